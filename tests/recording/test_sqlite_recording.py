"""The recording's SQLite store: versions deduplicated, deletions (seen and found by a
relist), objects as of a time, migrations from the first schema, retention and the size
cap, owner-only files, and files it must refuse without changing them."""

from __future__ import annotations

import datetime as dt
import hashlib
import os
import sqlite3
import stat
from pathlib import Path

import pytest

from kubectl_rollouts_py import errors
from kubectl_rollouts_py.recording import limits, paths, schema
from kubectl_rollouts_py.recording.sqlite import SQLiteRecording, open_recording
from kubectl_rollouts_py.recording.store import Listed, Seen

T0 = dt.datetime(2026, 12, 1, 8, 0, tzinfo=dt.timezone.utc)


def at(seconds: float) -> dt.datetime:
    return T0 + dt.timedelta(seconds=seconds)


def obj(kind: str, name: str, rv: str, ns: str = "ithome", uid: str | None = None, **extra: object) -> dict:
    return {"kind": kind, "metadata": {"name": name, "namespace": ns, "uid": uid or f"uid-{name}", "resourceVersion": rv,
                                       "managedFields": [{"manager": "x"}]}, **extra}


def count(store: SQLiteRecording, table: str) -> int:
    return store._conn.execute(f"SELECT count(*) FROM {table}").fetchone()[0]


def test_versions_are_deduplicated_and_deletions_recorded(tmp_path: Path) -> None:
    with open_recording(tmp_path / "r.db") as store:
        assert store.record([Seen("Rollout", obj("Rollout", "app", "1", spec={"a": 1}))], at(0)) == 1
        assert store.record([Seen("Rollout", obj("Rollout", "app", "1", spec={"a": 1}))], at(1)) == 0  # same version
        assert store.record([Seen("Rollout", obj("Rollout", "app", "2", spec={"a": 2}))], at(2)) == 1
        assert store.record([Listed("Rollout", "ithome", [obj("Rollout", "app", "2", spec={"a": 2})])], at(3)) == 0
        assert store.record([Seen("AnalysisRun", obj("AnalysisRun", "run", "3"))], at(4)) == 1
        assert store.record([Seen("AnalysisRun", obj("AnalysisRun", "run", "3"), deleted=True)], at(5)) == 1
        assert store.record([Seen("Secret", obj("Secret", "token", "9", data={"k": "c2VjcmV0"}))], at(5)) == 0
        assert [(o["metadata"]["name"]) for o in store.objects_at("ithome", at(4.5))["AnalysisRun"]] == ["run"]
        assert "AnalysisRun" not in store.objects_at("ithome", at(6))
        assert store.objects_at("ithome", at(1))["Rollout"][0]["spec"] == {"a": 1}
        assert "managedFields" not in store.objects_at("ithome", at(1))["Rollout"][0]["metadata"]
        record = store.rollout_record("ithome", "app")
        assert record is not None and [v["spec"] for _, v in record.versions] == [{"a": 1}, {"a": 2}]
        (run,) = record.analysis_runs
        assert run.obj["metadata"]["name"] == "run" and run.deleted == at(5)
        assert store._conn.execute("SELECT count(*) FROM versions WHERE kind = 'Secret'").fetchone()[0] == 0


def test_a_relist_records_what_went_while_nobody_watched(tmp_path: Path) -> None:
    with open_recording(tmp_path / "r.db") as store:
        store.record([Listed("ReplicaSet", None, [obj("ReplicaSet", "a", "1"), obj("ReplicaSet", "b", "2", ns="other")])], at(0))
        assert store.record([Listed("ReplicaSet", "ithome", [])], at(1)) == 1  # a gone; b is in another namespace
        assert store.objects_at("ithome", at(2)) == {}
        assert len(store.objects_at("other", at(2))["ReplicaSet"]) == 1
        assert [t for t in store.change_times("ithome")] == [at(0), at(1)]


def test_later_versions_are_compressed_against_the_first_and_read_back(tmp_path: Path) -> None:
    big = {"containers": [{"name": f"c{i}", "image": f"registry.example/team/app-{i}:1.0", "env": [{"name": "MODE", "value": "x" * 40}]}
                          for i in range(20)]}
    with open_recording(tmp_path / "r.db") as store:
        for i in range(5):
            store.record([Seen("Rollout", obj("Rollout", "app", str(i), spec=big, status={"step": i}))], at(i))
        sizes = [len(b) for (b,) in store._conn.execute("SELECT b.body FROM versions v JOIN bodies b ON b.hash = v.hash ORDER BY v.id")]
        assert max(sizes[1:]) * 3 < sizes[0]
    with open_recording(tmp_path / "r.db", readonly=True) as reader:
        versions = reader.rollout_record("ithome", "app").versions
        assert [v["status"]["step"] for _, v in versions] == [0, 1, 2, 3, 4] and versions[-1][1]["spec"] == big


def test_the_same_body_is_stored_once(tmp_path: Path) -> None:
    with open_recording(tmp_path / "r.db") as store:
        pod = {"kind": "Pod", "metadata": {"name": "p", "namespace": "ithome", "uid": "u"}, "status": {"phase": "Running"}}
        store.record([Seen("Pod", pod)], at(0))
        store.record([Seen("Pod", pod)], at(1))  # no resourceVersion (trimmed): the same content is no new version
        assert count(store, "versions") == 1 and count(store, "bodies") == 1


def test_files_are_owner_only_under_the_state_directory(tmp_path: Path) -> None:
    path = paths.default_path({"XDG_STATE_HOME": str(tmp_path / "state"), "HOME": "/nowhere"})
    assert path == tmp_path / "state" / "kubectl-rollouts-py" / "rollouts.db"
    assert paths.default_path({"HOME": "/home/u"}) == Path("/home/u/.local/state/kubectl-rollouts-py/rollouts.db")
    with open_recording(path) as store:
        store.record([Seen("Rollout", obj("Rollout", "app", "1"))], at(0))
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600
    assert stat.S_IMODE(os.stat(path.parent).st_mode) == 0o700
    for extra in ("-wal", "-shm"):
        side = Path(str(path) + extra)
        if side.exists():
            assert stat.S_IMODE(os.stat(side).st_mode) == 0o600


def test_migrations_from_the_first_version_keep_what_was_recorded(tmp_path: Path) -> None:
    path = tmp_path / "r.db"
    paths.create_owner_only(path)
    conn = sqlite3.connect(path, isolation_level=None)
    old = SQLiteRecording(conn, path, readonly=False)
    old.migrate(target=1)
    assert old.schema_version == 1
    body = b'{"kind":"Rollout","metadata":{"name":"app","namespace":"ithome","resourceVersion":"1","uid":"u"}}'
    import zlib
    digest = hashlib.sha256(body).digest()
    conn.execute("INSERT INTO bodies VALUES (?, ?)", (digest, zlib.compress(body)))
    conn.execute("INSERT INTO versions (kind, namespace, name, uid, resource_version, hash, seen) "
                 "VALUES ('Rollout', 'ithome', 'app', 'u', '1', ?, ?)", (digest, at(0).timestamp()))
    conn.execute("INSERT INTO latest VALUES ('Rollout', 'ithome', 'app', 'u', '1', ?, 0)", (digest,))
    conn.close()
    with open_recording(path) as store:
        assert store.schema_version == schema.LATEST
        assert [e.name for e in store.rollouts(None)] == ["app"]
        store.begin_session("all namespaces", at(1))
        store.end_session(at(2), "stopped")
    with open_recording(path, readonly=True) as reader:
        assert reader.objects_at("ithome", at(1))["Rollout"][0]["metadata"]["uid"] == "u"


def test_a_newer_schema_a_corrupt_file_and_a_foreign_database_are_refused_untouched(tmp_path: Path) -> None:
    newer = tmp_path / "newer.db"
    with open_recording(newer):
        pass
    conn = sqlite3.connect(newer)
    conn.execute(f"PRAGMA user_version = {schema.LATEST + 1}")
    conn.close()
    corrupt = tmp_path / "corrupt.db"
    corrupt.write_bytes(b"not a database at all" * 100)
    foreign = tmp_path / "foreign.db"
    conn = sqlite3.connect(foreign)
    conn.execute("CREATE TABLE t (x)")
    conn.close()
    for path, words in ((newer, "newer than this"), (corrupt, "not an SQLite database"), (foreign, "another program")):
        before = path.read_bytes()
        for readonly in (False, True):
            with pytest.raises(errors.InputError, match=words):
                open_recording(path, readonly=readonly)
        assert path.read_bytes() == before


def test_a_path_that_cannot_be_written_is_one_error(tmp_path: Path) -> None:
    (tmp_path / "file").write_text("x")
    with pytest.raises(errors.InputError, match="cannot create the recording"):
        open_recording(tmp_path / "file" / "r.db")
    with pytest.raises(errors.InputError, match="no recording at"):
        open_recording(tmp_path / "missing.db", readonly=True)
    with pytest.raises(errors.InputError, match="is a directory"):
        open_recording(tmp_path)


def test_one_writer_per_file(tmp_path: Path) -> None:
    with open_recording(tmp_path / "r.db") as writer:
        writer.record([Seen("Rollout", obj("Rollout", "app", "1"))], at(0))
        with pytest.raises(errors.InputError, match="another recorder is writing"):
            open_recording(tmp_path / "r.db")
        with open_recording(tmp_path / "r.db", readonly=True) as reader:  # readers are welcome
            assert reader.rollouts(None)[0].name == "app"
        writer.record([Seen("Rollout", obj("Rollout", "app", "2"))], at(1))  # its own locks are intact
    with open_recording(tmp_path / "r.db") as again:
        assert len(again.rollout_record("ithome", "app").versions) == 2


def test_retention_keeps_what_rebuilds_the_state_at_the_cutoff(tmp_path: Path) -> None:
    with open_recording(tmp_path / "r.db") as store:
        for i in range(10):
            store.record([Seen("Rollout", obj("Rollout", "app", str(i), spec={"i": i}))], at(i * 100))
        store.record([Seen("AnalysisRun", obj("AnalysisRun", "old", "50"))], at(10))
        store.record([Seen("AnalysisRun", obj("AnalysisRun", "old", "51"), deleted=True)], at(20))
        removed = store.prune(before=at(450), max_bytes=None)
        assert removed == 4 + 2  # rollout versions 0..3, the run and its deletion
        assert store.objects_at("ithome", at(450))["Rollout"][0]["spec"] == {"i": 4}
        assert [v["spec"]["i"] for _, v in store.rollout_record("ithome", "app").versions] == [4, 5, 6, 7, 8, 9]
        assert count(store, "bodies") == 7  # the six kept, and the first version: their compression base


def test_the_size_cap_drops_the_oldest_history(tmp_path: Path) -> None:
    with open_recording(tmp_path / "r.db") as store:
        for i in range(300):
            store.record([Seen("Rollout", obj("Rollout", "app", str(i), spec={"pad": os.urandom(600).hex()}))], at(i))
        big = store.size()
        store.prune(before=None, max_bytes=big // 3)
        assert store.size() <= big // 3
        versions = store.rollout_record("ithome", "app").versions
        assert versions[-1][1]["metadata"]["resourceVersion"] == "299" and len(versions) < 150


def test_limits() -> None:
    assert limits.retention_seconds("30d") == 30 * 86400
    assert limits.retention_seconds("2w") == 14 * 86400
    assert limits.retention_seconds("90m") == 5400
    assert limits.retention_seconds("0") is None
    assert limits.size_bytes("1GiB") == 1024**3
    assert limits.size_bytes("500MB") == 500 * 1000**2
    assert limits.size_bytes("0") is None
    for bad in ("soon", "-1d"):
        with pytest.raises(errors.UsageError):
            limits.retention_seconds(bad)
    with pytest.raises(errors.UsageError):
        limits.size_bytes("big")
