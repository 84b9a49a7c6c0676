"""A cache of the shape of kubeconfig files, so that most commands start without PyYAML.

Parsing YAML costs a command about as much as the rest of its start-up (importing PyYAML
compiles its regular expressions). The kubeconfig rarely changes, so what parsing it found is
kept as JSON in `$XDG_CACHE_HOME/kubectl-rollouts-py/` (default `~/.cache/...`; with
--cache-dir DIR, `DIR/kubectl-rollouts-py/`), one file per
list of kubeconfig paths, keyed by each file's path, device, inode, size, mtime and ctime
(nanoseconds). Any change to a file, or a file that appears or goes, is a miss: the files
are parsed as before and the entry is replaced.

The cache never holds a string of the kubeconfig. It holds each document's shape (mappings
and sequences), its numbers, booleans and nulls, and for every string (keys included) only
where its text lies: the start and end offsets of the characters in the decoded file. A hit
reads the kubeconfig itself (its key must match before and after the read) and takes each
string from there, so tokens, client keys, passwords and the like stay in the kubeconfig
alone. A file is cached only when that gives back exactly what the YAML loader does: every
string written on one line, plain or quoted without escapes ('' or a backslash), nothing a
JSON number cannot hold exactly; the rebuilt document is compared with the parsed one before
the entry is written. Any other kubeconfig is parsed every time. Entries of an older format
(which held the strings themselves) are deleted when seen.

The directory is 0700 and each file 0600, created atomically (written to a private
temporary file, then renamed), and an entry whose file or directory is not the user's own,
or is open to others, is ignored. An entry is replaced when its files change and removed
when they are gone; the 32 most recently used entries are kept.

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
# 1 held the parsed documents, strings included; 2 holds their shape and where each string lies.
FORMAT = 2
# An entry holding more items than this (aliases can multiply a document) is not written.
MAX_ITEMS = 100_000
MAX_ENTRIES = 32
# A hit older than this marks its entry as recently used (for pruning, which keeps the newest).
TOUCH_SECONDS = 3600.0
# A file changed this recently may change again within its timestamps' resolution without
# a visible difference in its key: it is parsed, not cached, until it has settled.
SETTLE_SECONDS = 2.0

_Key = list[list[Any]]


def cache_directory(environ: Mapping[str, str], cache_dir: str | None = None) -> str | None:
    """Where the cache lives: `kubectl-rollouts-py` in --cache-dir's directory (a relative one
    is relative to the current directory, `~` is the environment's HOME), else in
    $XDG_CACHE_HOME (when absolute) or $HOME/.cache; None without any of them.

    The directory given is left as it is (kubectl's own cache may share it); only ours in it
    is made private."""
    if cache_dir:
        home = environ.get("HOME", "")
        if (cache_dir == "~" or cache_dir.startswith("~/")) and os.path.isabs(home):
            cache_dir = home + cache_dir[1:]
        return os.path.join(os.path.abspath(cache_dir), DIRECTORY)
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


def _same(a: Any, b: Any) -> bool:
    """Equal with the same types throughout (1 and True and 1.0 are not the same here)."""
    if type(a) is not type(b):
        return False
    if isinstance(a, dict):
        return list(a) == list(b) and all(_same(a[k], b[k]) for k in a)
    if isinstance(a, list):
        return len(a) == len(b) and all(_same(x, y) for x, y in zip(a, b))
    return bool(a == b)


class _NotCacheable(Exception):
    pass


_STR = "tag:yaml.org,2002:str"
_SEQ = "tag:yaml.org,2002:seq"
_MAP = "tag:yaml.org,2002:map"
_JSON_SCALARS = (bool, int, float, type(None))


def _where(node: Any, text: str) -> list[int]:
    """[start, end]: where the characters of a string scalar's value lie in `text`, if they
    are its value exactly (one line, plain or quoted without escapes)."""
    value, end, style = node.value, node.end_mark.index, node.style
    if style in ("'", '"'):
        end -= 1
        start = end - len(value)
        if start < 1 or text[start - 1] != style or text[end] != style:
            raise _NotCacheable
        if (style == '"' and "\\" in value) or (style == "'" and "'" in value):
            raise _NotCacheable
    elif style in (None, ""):
        start = end - len(value)
    else:  # a block scalar (| or >)
        raise _NotCacheable
    if start < 0 or "\n" in value or "\r" in value or text[start:end] != value:
        raise _NotCacheable
    return [start, end]


def _shape_of(raw: bytes, loader_class: Any) -> tuple[str, Any]:
    """The text of a kubeconfig and its shape: mappings as {"m": [key, value, ...]}, sequences
    as {"s": [...]}, strings as [start, end] in the text, other scalars as constructed.

    Raises:
        _NotCacheable: (or any error) the document cannot be given back that way.
    """
    text = raw.decode("utf-8-sig")
    loader = loader_class(raw)
    items = 0

    def walk(node: Any) -> Any:
        nonlocal items
        items += 1
        if items > MAX_ITEMS:
            raise _NotCacheable
        if node.id == "scalar":
            if node.tag == _STR:
                return _where(node, text)
            value = loader.construct_object(node)
            if type(value) not in _JSON_SCALARS or (isinstance(value, float) and value - value != 0):
                raise _NotCacheable  # a date, binary, NaN or infinity
            return value
        if node.id == "sequence" and node.tag == _SEQ:
            return {"s": [walk(child) for child in node.value]}
        if node.id == "mapping" and node.tag == _MAP:
            flat: list[Any] = []
            for key, value in node.value:
                flat.append(walk(key))
                flat.append(walk(value))
            return {"m": flat}
        raise _NotCacheable  # a set, an ordered map, or anything else not a plain mapping or list

    try:
        root = loader.get_single_node()
        return text, None if root is None else walk(root)
    finally:
        loader.dispose()


def _rebuild(shape: Any, text: str) -> Any:
    """The document a shape describes, its strings taken from `text`."""
    if isinstance(shape, list):
        return text[shape[0] : shape[1]]
    if isinstance(shape, dict):
        if "m" in shape:
            flat = shape["m"]
            return {_rebuild(flat[i], text): _rebuild(flat[i + 1], text) for i in range(0, len(flat), 2)}
        return [_rebuild(item, text) for item in shape["s"]]
    return shape


def _read_text(path: str, key: list[Any]) -> str | None:
    """The text of a kubeconfig file if its key is `key` before and after reading it."""
    try:
        with open(path, "rb") as handle:
            raw = handle.read()
        if _stat_key(path) != key:
            return None
        return raw.decode("utf-8-sig")
    except (OSError, ValueError):
        return None


def _from_cache(entry: str, paths: list[str], key: _Key, load: Callable[[str], Any]) -> list[Any] | None:
    """The documents rebuilt from the entry for `key`, or None (a miss). An entry of another
    format is deleted."""
    cached = read_private(entry)
    if not isinstance(cached, dict):
        return None
    if cached.get("format") != FORMAT:
        _remove(entry)  # an older format held the kubeconfig's strings themselves
        return None
    shapes = cached.get("documents")
    if cached.get("key") != key or not isinstance(shapes, list) or len(shapes) != len(paths):
        return None
    documents: list[Any] = []
    for path, file_key, shape in zip(paths, key, shapes):
        if len(file_key) == 1:
            documents.append(load(path))  # an absent file is loaded again: `load` raises if it is required
            continue
        text = _read_text(path, file_key)
        if text is None:
            return None
        try:
            documents.append(_rebuild(shape, text))
        except (TypeError, KeyError, IndexError, ValueError, RecursionError):
            return None
    _touch(entry)
    return documents


def _shapes(paths: list[str], key: _Key, documents: list[Any], missing: Any, loader_class: Any) -> list[Any] | None:
    """The shapes of the parsed `documents`, if each rebuilds to exactly its document."""
    shapes: list[Any] = []
    for path, file_key, document in zip(paths, key, documents):
        if document is missing:
            shapes.append(None)
            continue
        if len(file_key) == 1:
            return None  # appeared since
        try:
            with open(path, "rb") as handle:
                text, shape = _shape_of(handle.read(), loader_class)
            if not _same(_rebuild(shape, text), document):
                return None
        except Exception:  # noqa: BLE001 - best effort: anything unexpected means "not cached"
            return None
        shapes.append(shape)
    return shapes


def _sweep_old_formats(directory: str) -> None:
    """Delete entries of another format (an older one held the kubeconfig's strings)."""
    head = f'{{"format":{FORMAT},'.encode()
    try:
        names = [n for n in os.listdir(directory) if n.startswith(PREFIX) and n.endswith(".json")]
    except OSError:
        return
    for name in names:
        try:
            with open(os.path.join(directory, name), "rb") as handle:
                if handle.read(len(head)) == head:
                    continue
        except OSError:
            continue
        _remove(os.path.join(directory, name))


def load_documents(
    paths: list[str],
    load: Callable[[str], Any],
    missing: Any,
    environ: Mapping[str, str],
    loader_class: Callable[[], Any],
    cache_dir: str | None = None,
) -> list[Any]:
    """The parsed documents of `paths`, in order: `load(path)` for each (it returns `missing`
    for an absent file, or raises), or rebuilt from the cache for files unchanged since.
    `loader_class()` is the PyYAML loader class `load` uses (called on a miss only);
    `cache_dir` is --cache-dir (see cache_directory)."""
    directory = cache_directory(environ, cache_dir)
    keys = [_stat_key(p) for p in paths]
    if directory is None or any(k is None for k in keys):
        return [load(p) for p in paths]
    entry = _entry_path(directory, paths)
    key: _Key = [k for k in keys if k is not None]
    private = private_directory(directory, create=False)
    if private:
        cached = _from_cache(entry, paths, key, load)
        if cached is not None:
            return cached
    documents = [load(p) for p in paths]
    if private:
        _sweep_old_formats(directory)
    if all(len(k) == 1 for k in key):
        if os.path.exists(entry):
            _remove(entry)  # the kubeconfig is gone: so is its entry
        return documents
    settled = time.time_ns() - int(SETTLE_SECONDS * 1e9)
    if any(len(k) > 1 and max(k[4], k[5]) > settled for k in key):
        return documents  # changing while we read it: not cached
    shapes = _shapes(paths, key, documents, missing, loader_class())
    if shapes is None or [_stat_key(p) for p in paths] != key:
        if os.path.exists(entry):
            _remove(entry)
        return documents
    try:
        text = json.dumps(shapes, allow_nan=False, separators=(",", ":"))
    except (TypeError, ValueError):
        return documents
    if write_private(directory, entry, f'{{"format":{FORMAT},"key":{json.dumps(key)},"documents":{text}}}'):
        _prune(directory, keep=entry)
    return documents
