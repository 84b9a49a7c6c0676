"""The recording in one SQLite file (the standard library's sqlite3).

WAL mode: the recorder writes while history, report and replay read; each batch of changes
is one transaction, so a recorder killed at any moment leaves a file holding every batch
committed before, and nothing half-written. Object bodies are zlib-compressed JSON stored
once per distinct content (SHA-256); versions point at them.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import fcntl
import hashlib
import json
import os
import sqlite3
import urllib.parse
import zlib
from collections import OrderedDict
from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any

from kubectl_rollouts_py import errors
from kubectl_rollouts_py.recording import paths, schema
from kubectl_rollouts_py.recording.store import (
    NEVER_RECORDED,
    Change,
    Listed,
    Recorded,
    RolloutEntry,
    RolloutRecord,
    Seen,
)

BUSY_TIMEOUT = 10.0  # seconds a reader or writer waits for the other's lock
SIZE_STEP = 0.1  # the share of the recorded time span dropped per round when over --max-size
BASES_CACHED = 1024  # plain bodies of bases kept in memory (a base is an object's first recorded version)


def _timestamp(moment: dt.datetime) -> float:
    return moment.timestamp()


def _moment(seconds: float) -> dt.datetime:
    return dt.datetime.fromtimestamp(seconds, dt.timezone.utc)


def _identity(obj: Mapping[str, Any]) -> tuple[str, str, str, str]:
    meta = obj.get("metadata")
    meta = meta if isinstance(meta, Mapping) else {}

    def text(key: str) -> str:
        value = meta.get(key)
        return value if isinstance(value, str) else ""

    return text("namespace"), text("name"), text("uid"), text("resourceVersion")


def _body(obj: Mapping[str, Any]) -> bytes:
    """The object as stored: as it was, but for metadata.managedFields (the API server's
    field-ownership bookkeeping, often half an object's size, read by no view)."""
    meta = obj.get("metadata")
    if isinstance(meta, Mapping) and "managedFields" in meta:
        obj = {**obj, "metadata": {k: v for k, v in meta.items() if k != "managedFields"}}
    return json.dumps(obj, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


def _not_a_recording(path: Path, why: str) -> errors.InputError:
    return errors.InputError(f"{path} is not a kubectl-rollouts-py recording ({why}); nothing was changed")


def _lock(path: Path) -> int:
    """Hold an exclusive flock on the file (not SQLite's own POSIX locks, which it leaves
    alone): a second recorder on the same file is refused instead of interleaving."""
    fd = os.open(path, os.O_RDONLY)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError as exc:
        os.close(fd)
        raise errors.InputError(f"another recorder is writing {path}; nothing was changed") from exc
    return fd


class SQLiteRecording:
    """A recording file; open it with `open_recording`."""

    def __init__(self, conn: sqlite3.Connection, path: Path, *, readonly: bool) -> None:
        self._conn = conn
        self.path = path
        self.readonly = readonly
        self._session: int | None = None
        self._bases: OrderedDict[bytes, bytes] = OrderedDict()
        self._lock_fd: int | None = None  # the writer's flock on the file: one recorder per file

    # -- opening

    @classmethod
    def open(cls, path: Path, *, readonly: bool = False) -> SQLiteRecording:
        """Open (read-only: it must exist) or create the recording at `path`.

        Raises InputError, one line, for a missing, unreadable, unwritable or foreign
        file, a corrupt one, or one from a newer release; such files are left as they are.
        """
        path = Path(path)
        if readonly:
            if not path.is_file():
                raise errors.InputError(f"no recording at {path}: run `record --db {path}` first")
        else:
            paths.create_owner_only(path)
            if not os.access(path, os.W_OK) or not os.access(path.parent, os.W_OK):
                raise errors.InputError(f"cannot write the recording {path}: the file or its directory is read-only")
        lock_fd = None if readonly else _lock(path)
        target = f"file:{urllib.parse.quote(str(path.resolve()))}" + ("?mode=ro" if readonly else "?mode=rw")
        try:
            conn = sqlite3.connect(target, uri=True, timeout=BUSY_TIMEOUT, isolation_level=None, check_same_thread=False)
        except sqlite3.Error as exc:
            if lock_fd is not None:
                os.close(lock_fd)
            raise errors.InputError(f"cannot open the recording {path}: {exc}") from exc
        store = cls(conn, path, readonly=readonly)
        store._lock_fd = lock_fd
        try:
            store._prepare()
        except BaseException:
            store.close()
            raise
        return store

    def _prepare(self) -> None:
        path = self.path
        try:
            version = int(self._conn.execute("PRAGMA user_version").fetchone()[0])
            app_id = int(self._conn.execute("PRAGMA application_id").fetchone()[0])
            tables = int(self._conn.execute("SELECT count(*) FROM sqlite_master").fetchone()[0])
        except sqlite3.DatabaseError as exc:
            # The file is not read through a descriptor of our own: closing one would drop the
            # POSIX locks SQLite holds on the file for other connections of this process.
            why = "not an SQLite database" if "not a database" in str(exc) else f"unreadable: {exc}"
            raise _not_a_recording(path, why) from exc
        if app_id != schema.APPLICATION_ID and (app_id != 0 or tables or version):
            raise _not_a_recording(path, "another program's SQLite database")
        if version > schema.LATEST:
            raise errors.InputError(
                f"the recording {path} has schema version {version}, newer than this kubectl-rollouts-py reads "
                f"(up to {schema.LATEST}): upgrade kubectl-rollouts-py; nothing was changed")
        if self.readonly:
            if version < schema.LATEST:
                raise errors.InputError(f"the recording {path} has the older schema version {version}: "
                                        f"`record --db {path}` upgrades it")
            return
        try:
            if version == 0:
                # Before the first table: freed pages can then be given back after pruning.
                self._conn.execute("PRAGMA auto_vacuum = INCREMENTAL")
            mode = self._conn.execute("PRAGMA journal_mode = WAL").fetchone()[0]
            if str(mode).lower() != "wal":
                raise errors.InputError(f"cannot use the recording {path}: SQLite refused WAL mode ({mode})")
            self._conn.execute("PRAGMA synchronous = NORMAL")  # WAL: a killed process loses no commit
            self.migrate()
        except sqlite3.OperationalError as exc:
            raise errors.InputError(f"cannot write the recording {path}: {exc}") from exc
        except sqlite3.DatabaseError as exc:
            raise _not_a_recording(path, f"unreadable: {exc}") from exc

    def migrate(self, target: int = schema.LATEST) -> None:
        """Bring the schema to `target`, one migration per transaction."""
        version = int(self._conn.execute("PRAGMA user_version").fetchone()[0])
        while version < target:
            with self._transaction():
                for statement in schema.MIGRATIONS[version].split(";"):
                    if statement.strip():
                        self._conn.execute(statement)
                self._conn.execute(f"PRAGMA application_id = {schema.APPLICATION_ID}")
                self._conn.execute(f"PRAGMA user_version = {version + 1}")
            version += 1

    @property
    def schema_version(self) -> int:
        return int(self._conn.execute("PRAGMA user_version").fetchone()[0])

    @contextlib.contextmanager
    def _transaction(self) -> Iterator[None]:
        """One transaction; SQLite's failures (a full disk, a file gone read-only, a lock held
        too long) become one line naming the file, with the batch rolled back."""
        try:
            self._conn.execute("BEGIN IMMEDIATE")
            try:
                yield
            except BaseException:
                with contextlib.suppress(sqlite3.Error):
                    self._conn.execute("ROLLBACK")
                raise
            self._conn.execute("COMMIT")
        except sqlite3.Error as exc:
            raise errors.InputError(f"cannot write the recording {self.path}: {exc}") from exc

    def close(self) -> None:
        conn, self._conn = self._conn, None  # type: ignore[assignment]
        if conn is not None:
            conn.close()
        # Only after SQLite's connection: closing any descriptor of the file drops the POSIX
        # locks SQLite holds on it in this process.
        lock_fd, self._lock_fd = self._lock_fd, None
        if lock_fd is not None:
            os.close(lock_fd)

    def __enter__(self) -> SQLiteRecording:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    # -- sessions

    def begin_session(self, scope: str, started: dt.datetime) -> None:
        with self._transaction():
            cursor = self._conn.execute("INSERT INTO sessions (started, scope) VALUES (?, ?)", (_timestamp(started), scope))
        self._session = cursor.lastrowid

    def end_session(self, stopped: dt.datetime, ended: str) -> None:
        if self._session is None:
            return
        with self._transaction():
            self._conn.execute("UPDATE sessions SET stopped = ?, ended = ? WHERE id = ?",
                               (_timestamp(stopped), ended, self._session))
        self._session = None

    # -- writing

    def record(self, changes: Sequence[Change], seen: dt.datetime) -> int:
        when = _timestamp(seen)
        new = 0
        with self._transaction():
            for change in changes:
                if isinstance(change, Listed):
                    new += self._listed(change, when)
                else:
                    new += self._seen(change, when)
        return new

    def _latest(self, kind: str, namespace: str, name: str, uid: str) -> tuple[str, bytes | None, int, bytes | None] | None:
        row = self._conn.execute(
            "SELECT resource_version, hash, deleted, base FROM latest WHERE kind = ? AND namespace = ? AND name = ? AND uid = ?",
            (kind, namespace, name, uid)).fetchone()
        return None if row is None else (row[0], row[1], row[2], row[3])

    def _put(self, kind: str, key: tuple[str, str, str, str], digest: bytes | None, when: float, deleted: bool,
             base: bytes | None) -> None:
        namespace, name, uid, version = key
        self._conn.execute(
            "INSERT INTO versions (kind, namespace, name, uid, resource_version, hash, seen, deleted) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            (kind, namespace, name, uid, version, digest, when, int(deleted)))
        self._conn.execute(
            "INSERT OR REPLACE INTO latest (kind, namespace, name, uid, resource_version, hash, deleted, base) "
            "VALUES (?, ?, ?, ?, ?, ?, ?, ?)", (kind, namespace, name, uid, version, digest, int(deleted), base))

    def _plain(self, digest: bytes) -> bytes:
        """A stored body, decompressed (bases are cached: every later version needs theirs)."""
        cached = self._bases.get(digest)
        if cached is not None:
            self._bases.move_to_end(digest)
            return cached
        row = self._conn.execute("SELECT body, base FROM bodies WHERE hash = ?", (digest,)).fetchone()
        if row is None:
            raise errors.InputError(f"the recording {self.path} is damaged: a stored body is missing")
        plain = self._decode(row[0], row[1])
        self._bases[digest] = plain
        if len(self._bases) > BASES_CACHED:
            self._bases.popitem(last=False)
        return plain

    def _decode(self, blob: bytes, base: bytes | None) -> bytes:
        if base is None:
            return zlib.decompress(blob)
        inflate = zlib.decompressobj(zdict=self._plain(base))
        return inflate.decompress(blob) + inflate.flush()

    def _store_body(self, digest: bytes, body: bytes, base: bytes | None) -> None:
        if self._conn.execute("SELECT 1 FROM bodies WHERE hash = ?", (digest,)).fetchone():
            return
        if base is None or base == digest:
            self._conn.execute("INSERT INTO bodies (hash, body, base) VALUES (?, ?, NULL)", (digest, zlib.compress(body, 6)))
            return
        deflate = zlib.compressobj(6, zdict=self._plain(base))
        self._conn.execute("INSERT INTO bodies (hash, body, base) VALUES (?, ?, ?)",
                           (digest, deflate.compress(body) + deflate.flush(), base))

    def _seen(self, change: Seen, when: float) -> int:
        if change.kind in NEVER_RECORDED:
            return 0
        key = _identity(change.obj)
        namespace, name, uid, version = key
        if not name:
            return 0
        last = self._latest(change.kind, namespace, name, uid)
        body = _body(change.obj)
        digest = hashlib.sha256(body).digest()
        if change.deleted:
            if last is not None and last[2]:
                return 0
        elif last is not None and not last[2] and ((version and last[0] == version) or last[1] == digest):
            return 0
        base = last[3] if last is not None else None
        self._store_body(digest, body, base)
        self._put(change.kind, key, digest, when, change.deleted, base if base is not None else digest)
        return 1

    def _listed(self, change: Listed, when: float) -> int:
        if change.kind in NEVER_RECORDED:
            return 0
        new = 0
        present = set()
        for item in change.items:
            namespace, name, uid, _ = _identity(item)
            present.add((namespace, name, uid))
            new += self._seen(Seen(change.kind, item), when)
        query = "SELECT namespace, name, uid, resource_version, base FROM latest WHERE kind = ? AND deleted = 0"
        params: tuple[str, ...] = (change.kind,)
        if change.namespace is not None:
            query += " AND namespace = ?"
            params += (change.namespace,)
        for namespace, name, uid, version, base in self._conn.execute(query, params).fetchall():
            if (namespace, name, uid) not in present:  # deleted while nobody watched
                self._put(change.kind, (namespace, name, uid, version), None, when, True, base)
                new += 1
        return new

    # -- reading

    def _load(self, blob: bytes, base: bytes | None) -> dict[str, Any]:
        loaded: dict[str, Any] = json.loads(self._decode(blob, base))
        return loaded

    def rollouts(self, namespace: str | None) -> list[RolloutEntry]:
        query = ("SELECT v.namespace, v.name, MIN(v.seen), MAX(v.seen), "
                 "(SELECT MIN(l.deleted) FROM latest l WHERE l.kind = 'Rollout' AND l.namespace = v.namespace AND l.name = v.name) "
                 "FROM versions v WHERE v.kind = 'Rollout'")
        params: tuple[str, ...] = ()
        if namespace is not None:
            query += " AND v.namespace = ?"
            params = (namespace,)
        query += " GROUP BY v.namespace, v.name ORDER BY v.namespace, v.name"
        return [RolloutEntry(ns, name, _moment(first), _moment(last), bool(gone))
                for ns, name, first, last, gone in self._conn.execute(query, params)]

    def objects_at(self, namespace: str, at: dt.datetime) -> dict[str, list[dict[str, Any]]]:
        rows = self._conn.execute(
            "SELECT v.kind, b.body, b.base FROM versions v JOIN bodies b ON b.hash = v.hash "
            "WHERE v.id IN (SELECT MAX(id) FROM versions WHERE namespace = ? AND seen <= ? GROUP BY kind, name, uid) "
            "AND v.deleted = 0 ORDER BY v.kind, v.name",
            (namespace, _timestamp(at)))
        found: dict[str, list[dict[str, Any]]] = {}
        for kind, blob, base in rows.fetchall():
            found.setdefault(kind, []).append(self._load(blob, base))
        return found

    def _last_versions(self, namespace: str, kind: str) -> tuple[Recorded, ...]:
        gone = {(name, uid): when for name, uid, when in self._conn.execute(
            "SELECT name, uid, MIN(seen) FROM versions WHERE namespace = ? AND kind = ? AND deleted = 1 GROUP BY name, uid",
            (namespace, kind))}
        rows = self._conn.execute(
            "SELECT v.name, v.uid, v.seen, b.body, b.base FROM versions v JOIN bodies b ON b.hash = v.hash "
            "WHERE v.id IN (SELECT MAX(id) FROM versions WHERE namespace = ? AND kind = ? AND deleted = 0 GROUP BY name, uid) "
            "ORDER BY v.id", (namespace, kind))
        found = []
        for name, uid, when, blob, base in rows.fetchall():
            deleted = gone.get((name, uid))
            found.append(Recorded(self._load(blob, base), _moment(when), _moment(deleted) if deleted is not None else None))
        return tuple(found)

    def rollout_record(self, namespace: str, name: str) -> RolloutRecord | None:
        rows = self._conn.execute(
            "SELECT v.uid, v.seen, b.body, b.base FROM versions v JOIN bodies b ON b.hash = v.hash "
            "WHERE v.namespace = ? AND v.kind = 'Rollout' AND v.name = ? AND v.deleted = 0 ORDER BY v.id",
            (namespace, name)).fetchall()
        if not rows:
            return None
        uid = rows[-1][0]  # a rollout deleted and created again: the last one
        versions = tuple((_moment(seen), self._load(blob, base)) for row_uid, seen, blob, base in rows if row_uid == uid)
        return RolloutRecord(
            versions=versions,
            replica_sets=self._last_versions(namespace, "ReplicaSet"),
            analysis_runs=self._last_versions(namespace, "AnalysisRun"),
            experiments=self._last_versions(namespace, "Experiment"),
        )

    def change_times(self, namespace: str, since: dt.datetime | None = None) -> list[dt.datetime]:
        rows = self._conn.execute("SELECT DISTINCT seen FROM versions WHERE namespace = ? AND seen >= ? ORDER BY seen",
                                  (namespace, _timestamp(since) if since else 0.0))
        return [_moment(seen) for (seen,) in rows]

    # -- bounds

    def size(self) -> int:
        """Bytes the recording's pages hold (free pages not counted)."""
        pages = self._conn.execute("PRAGMA page_count").fetchone()[0]
        free = self._conn.execute("PRAGMA freelist_count").fetchone()[0]
        page = self._conn.execute("PRAGMA page_size").fetchone()[0]
        return int((pages - free) * page)

    def _prune_before(self, cutoff: float) -> int:
        with self._transaction():
            # A version superseded by a later one seen by the cutoff reconstructs nothing after it.
            removed = self._conn.execute(
                "DELETE FROM versions WHERE seen < :c AND id NOT IN "
                "(SELECT MAX(id) FROM versions WHERE seen <= :c GROUP BY namespace, kind, name, uid)", {"c": cutoff}).rowcount
            # Objects already gone at the cutoff: their deletion goes too.
            removed += self._conn.execute(
                "DELETE FROM versions WHERE seen < :c AND deleted = 1", {"c": cutoff}).rowcount
            if removed:
                # Bodies no version points at go, but for the bases of those that stay (twice: a
                # base whose last dependant went in the first pass goes in the second).
                for _ in range(2):
                    self._conn.execute("DELETE FROM bodies WHERE hash NOT IN (SELECT hash FROM versions WHERE hash IS NOT NULL) "
                                       "AND hash NOT IN (SELECT base FROM bodies WHERE base IS NOT NULL)")
            self._conn.execute("DELETE FROM sessions WHERE stopped IS NOT NULL AND stopped < ?", (cutoff,))
        return int(removed)

    def prune(self, *, before: dt.datetime | None, max_bytes: int | None) -> int:
        removed = self._prune_before(_timestamp(before)) if before is not None else 0
        while max_bytes is not None and self.size() > max_bytes:
            first, last = self._conn.execute("SELECT MIN(seen), MAX(seen) FROM versions").fetchone()
            if first is None or last <= first:
                break
            dropped = self._prune_before(first + (last - first) * SIZE_STEP)
            removed += dropped
            if not dropped:
                break
        if removed:
            self._conn.execute("PRAGMA incremental_vacuum")
            self._conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        return removed


def open_recording(path: Path | str, *, readonly: bool = False) -> SQLiteRecording:
    """The recording at `path` (see SQLiteRecording.open)."""
    return SQLiteRecording.open(Path(path), readonly=readonly)
