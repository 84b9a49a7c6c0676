"""A cache of parsed kubeconfig files, so that most commands start without PyYAML.

Parsing YAML costs a command about as much as the rest of its start-up (importing PyYAML
compiles its regular expressions). The kubeconfig rarely changes, so its parsed form is kept
as JSON in `$XDG_CACHE_HOME/kubectl-rollouts-py/` (default `~/.cache/...`), one file per
list of kubeconfig paths, keyed by each file's path, device, inode, size, mtime and ctime
(nanoseconds). Any change to a file, or a file that appears or goes, is a miss: the files
are parsed as before and the entry is replaced.

What the cache holds is exactly what the files hold, parsed: no token from an exec plugin
or an auth provider, nothing resolved, nothing added. That includes the credentials the
user wrote into the kubeconfig (tokens, client keys), so the cache is as private as a
kubeconfig should be: the directory is 0700 and each file 0600, created atomically
(written to a private temporary file, then renamed), and an entry whose file or directory
is not the user's own, or is open to others, is ignored. An entry is replaced when its
files change and removed when they are gone, so an old credential does not outlive the
kubeconfig that held it by more than one run; the 32 most recently used entries are kept.

Everything here is best effort: a cache that cannot be read or written is simply not used,
and nothing it does changes what a command reports.
"""

from __future__ import annotations

import json
import os
import stat
import time
import zlib
from collections.abc import Callable, Mapping
from typing import Any

DIRECTORY = "kubectl-rollouts-py"
PREFIX = "kubeconfig-"
FORMAT = 1
MAX_ENTRIES = 32
# A hit older than this marks its entry as recently used (for pruning, which keeps the newest).
TOUCH_SECONDS = 3600.0
# A file changed this recently may change again within its timestamps' resolution without
# a visible difference in its key: it is parsed, not cached, until it has settled.
SETTLE_SECONDS = 2.0

_Key = list[list[Any]]


def cache_directory(environ: Mapping[str, str]) -> str | None:
    """Where the cache lives: $XDG_CACHE_HOME (when absolute) or $HOME/.cache; None without either."""
    base = environ.get("XDG_CACHE_HOME", "")
    if not os.path.isabs(base):
        home = environ.get("HOME", "")
        if not os.path.isabs(home):
            return None
        base = os.path.join(home, ".cache")
    return os.path.join(base, DIRECTORY)


def _stat_key(path: str) -> list[Any] | None:
    """The key of one file: [path, dev, ino, size, mtime_ns, ctime_ns], or [path] if it does
    not exist; None if it cannot be looked at (then the cache is not used)."""
    try:
        st = os.stat(path)
    except FileNotFoundError:
        return [path]
    except OSError:
        return None
    if not stat.S_ISREG(st.st_mode):
        return None
    return [path, st.st_dev, st.st_ino, st.st_size, st.st_mtime_ns, st.st_ctime_ns]


def _entry_path(directory: str, paths: list[str]) -> str:
    digest = zlib.crc32("\0".join(paths).encode("utf-8", "surrogateescape"))
    return os.path.join(directory, f"{PREFIX}{digest:08x}.json")


def private_directory(directory: str, *, create: bool) -> bool:
    """True if `directory` is ours and closed to others (made so when `create`)."""
    try:
        if create:
            os.makedirs(directory, mode=0o700, exist_ok=True)
        st = os.lstat(directory)
    except OSError:
        return False
    if not stat.S_ISDIR(st.st_mode) or st.st_uid != os.getuid():
        return False
    if st.st_mode & 0o077:
        if not create:
            return False
        try:
            os.chmod(directory, 0o700)
        except OSError:
            return False
    return True


def read_private(entry: str) -> Any:
    """The JSON in a cache file, if the file is ours, regular and private; else None."""
    try:
        fd = os.open(entry, os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0))
    except OSError:
        return None
    try:
        st = os.fstat(fd)
        if not stat.S_ISREG(st.st_mode) or st.st_uid != os.getuid() or st.st_mode & 0o077:
            return None
        with os.fdopen(fd, "rb") as handle:
            fd = -1
            return json.loads(handle.read())
    except (OSError, ValueError):
        return None
    finally:
        if fd >= 0:
            os.close(fd)


def _remove(entry: str) -> None:
    try:
        os.unlink(entry)
    except OSError:
        pass


def write_private(directory: str, entry: str, text: str) -> bool:
    """Write a cache file atomically (a 0600 temporary file renamed over it) in the private
    `directory` (made 0700 if needed); False if that cannot be done."""
    if not private_directory(directory, create=True):
        return False
    import tempfile

    try:
        fd, temporary = tempfile.mkstemp(prefix=".tmp-", dir=directory)  # created 0600
    except OSError:
        return False
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(text)
        os.replace(temporary, entry)
    except (OSError, ValueError):  # ValueError: text the file system's encoding cannot hold
        _remove(temporary)
        return False
    return True


def _prune(directory: str, *, keep: str) -> None:
    """Keep the MAX_ENTRIES most recently written entries."""
    try:
        names = [n for n in os.listdir(directory) if n.startswith(PREFIX) and n.endswith(".json")]
        if len(names) <= MAX_ENTRIES:
            return
        dated = sorted(((os.stat(os.path.join(directory, n)).st_mtime_ns, n) for n in names), reverse=True)
    except OSError:
        return
    for _, name in dated[MAX_ENTRIES:]:
        if os.path.join(directory, name) != keep:
            _remove(os.path.join(directory, name))


def _touch(entry: str) -> None:
    try:
        if os.stat(entry).st_mtime < time.time() - TOUCH_SECONDS:
            os.utime(entry)
    except OSError:
        pass


def _exact_json(documents: list[Any]) -> str | None:
    """The documents as JSON if JSON gives them back exactly (no dates, binary, non-string
    keys or NaN, which YAML can hold and JSON cannot); else None."""
    try:
        text = json.dumps(documents, allow_nan=False, ensure_ascii=False, separators=(",", ":"))
    except (TypeError, ValueError):
        return None
    return text if _same(json.loads(text), documents) else None


def _same(a: Any, b: Any) -> bool:
    """Equal with the same types throughout (1 and True and 1.0 are not the same here)."""
    if type(a) is not type(b):
        return False
    if isinstance(a, dict):
        return a.keys() == b.keys() and all(_same(a[k], b[k]) for k in a)
    if isinstance(a, list):
        return len(a) == len(b) and all(_same(x, y) for x, y in zip(a, b))
    return bool(a == b)


def load_documents(paths: list[str], load: Callable[[str], Any], missing: Any, environ: Mapping[str, str]) -> list[Any]:
    """The parsed documents of `paths`, in order: `load(path)` for each (it returns `missing`
    for an absent file, or raises), or what the cache kept for files unchanged since."""
    directory = cache_directory(environ)
    keys = [_stat_key(p) for p in paths]
    if directory is None or any(k is None for k in keys):
        return [load(p) for p in paths]
    entry = _entry_path(directory, paths)
    key: _Key = [k for k in keys if k is not None]
    if private_directory(directory, create=False):
        cached = read_private(entry)
        if isinstance(cached, dict) and cached.get("format") == FORMAT and cached.get("key") == key:
            documents = cached.get("documents")
            if isinstance(documents, list) and len(documents) == len(paths):
                _touch(entry)
                # An absent file is loaded again: `load` raises if it is required.
                return [load(p) if len(k) == 1 else doc for p, k, doc in zip(paths, key, documents)]
    documents = [load(p) for p in paths]
    if all(len(k) == 1 for k in key):
        if os.path.exists(entry):
            _remove(entry)  # the kubeconfig is gone: so is its copy
        return documents
    settled = time.time_ns() - int(SETTLE_SECONDS * 1e9)
    if any(len(k) > 1 and max(k[4], k[5]) > settled for k in key) or [_stat_key(p) for p in paths] != key:
        return documents  # changing while we read it: not cached
    text = _exact_json([None if doc is missing else doc for doc in documents])
    if text is not None and write_private(directory, entry, f'{{"format":{FORMAT},"key":{json.dumps(key)},"documents":{text}}}'):
        _prune(directory, keep=entry)
    return documents
