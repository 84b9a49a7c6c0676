"""krew distribution tests: the archive, the manifest, a simulated krew install.

Not tests/dist: pytest never collects a folder named dist (its default norecursedirs), and
.gitignore's dist/ would hide it from git too.
"""
