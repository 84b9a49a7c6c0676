"""krew distribution tests: the archive, the manifest, a simulated krew install."""
