# -*- coding: utf-8 -*-
"""`__main__.py` of the krew zipapp: shiv's bootstrap, without its cost on every run.

plugin/build.py writes this file over the `__main__.py` shiv made, with BUILD from the
zipapp's environment.json. When the zipapp was unpacked before (by shiv's bootstrap, on
its first run) and no SHIV_* variable asks for anything but a root or an entry point, it
does what shiv's bootstrap does then: put the unpacked site-packages on sys.path (before
any other site-packages, .pth files honoured) and call the entry point, with the standard
library's os, sys and site alone. shiv's bootstrap also imports hashlib, compileall,
subprocess, shutil, zipfile, json and pathlib, and reads the archive's directory, on every
run. Anything else (the first run, a forced extract, an interpreter, a script) goes to
shiv's bootstrap, which is in the archive as before.

Keep this file valid Python 3.6: it runs before the entry point checks the version floor.
"""

import os
import sys

BUILD = {}  # plugin/build.py: build_id, entry_point and root from environment.json

# What only shiv's own bootstrap handles.
_SLOW_VARIABLES = ("SHIV_FORCE_EXTRACT", "SHIV_INTERPRETER", "SHIV_CONSOLE_SCRIPT", "SHIV_MODULE",
                   "SHIV_PREPEND_PYTHONPATH", "SHIV_EXTEND_PYTHONPATH", "SHIV_COMPILE_PYC", "SHIV_COMPILE_WORKERS")


def _site_packages():
    """The unpacked site-packages, as shiv's cache_path names it, if it is there."""
    environ = os.environ
    if not BUILD.get("build_id") or any(name in environ for name in _SLOW_VARIABLES):
        return None
    root = environ.get("SHIV_ROOT", BUILD.get("root"))
    if root:
        if root.startswith("$"):
            root = environ.get(root[1:], root[1:])
        root = os.path.expanduser(root)
    else:
        root = os.path.expanduser("~/.shiv")
    name = os.path.basename(os.path.realpath(sys.argv[0]))
    site_packages = os.path.join(root, "%s_%s" % (name, BUILD["build_id"]), "site-packages")
    return site_packages if os.path.isdir(site_packages) else None


def _stem(path):
    """pathlib's Path(path).stem."""
    return os.path.splitext(os.path.basename(os.path.normpath(path)))[0] if path else ""


def _entry():
    """The entry point, `module:attribute` (SHIV_ENTRY_POINT wins), or None for shiv to find."""
    entry = os.environ.get("SHIV_ENTRY_POINT", BUILD.get("entry_point"))
    return entry if entry and entry.count(":") == 1 else None


def main():
    site_packages = _site_packages()
    entry = _entry()
    if site_packages is None or entry is None:
        import _bootstrap

        _bootstrap.bootstrap()
        return
    import site

    length = len(sys.path)
    index = next((i for i, part in enumerate(sys.path) if _stem(part) in ("site-packages", "dist-packages")), None)
    index = index or length  # as shiv's bootstrap has it (a first entry counts as none)
    site.addsitedir(site_packages)
    sys.path = sys.path[:index] + sys.path[length:] + sys.path[index:length]
    os.environ.pop("SHIV_ENTRY_POINT", None)
    module_name, attribute = entry.split(":")
    __import__(module_name)
    sys.exit(getattr(sys.modules[module_name], attribute)())


main()
