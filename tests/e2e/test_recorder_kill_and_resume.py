"""The recorder killed with SIGKILL in the middle of writing leaves a database that opens
and holds every batch committed before; restarted, it lists first and records what changed
while it was down (deletions included). An API server outage is said, once, and so is the
return."""

from __future__ import annotations

import signal
import sqlite3
import threading
from pathlib import Path

from kubectl_rollouts_py.recording.sqlite import open_recording
from kubectl_rollouts_py.sandbox.apiserver import APIServer

from .recorder_scenario import NAME, Canary, count_versions, old_objects, start_recorder, stop_recorder, wait_for
from .standin import NS, run_cli


def _committed(db: Path) -> int:
    conn = sqlite3.connect(f"file:{db}?mode=ro", uri=True)
    try:
        return int(conn.execute("SELECT count(*) FROM versions").fetchone()[0])
    finally:
        conn.close()


def test_sigkill_mid_write_leaves_a_readable_database_and_a_restart_catches_up(tmp_path: Path) -> None:
    db, kubeconfig = tmp_path / "rollouts.db", tmp_path / "kubeconfig"
    with APIServer() as srv:
        srv.seed(old_objects())
        srv.write_kubeconfig(kubeconfig, namespace=NS)
        proc = start_recorder(kubeconfig, db, "-A")
        wait_for(lambda: count_versions(db, "Pod") >= 4)
        canary = Canary(srv)
        stop = threading.Event()

        def churn() -> None:  # a busy controller: the rollout's status changes as fast as it can
            n = 0
            while not stop.is_set():
                n += 1
                canary.status(message=f"busy {n}")

        writer = threading.Thread(target=churn, daemon=True)
        writer.start()
        wait_for(lambda: count_versions(db, "Rollout") >= 50, timeout=30)
        before = _committed(db)
        proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=10)
        stop.set()
        writer.join(5)
        assert proc.returncode == -signal.SIGKILL

        with open_recording(db, readonly=True) as store:  # opens: WAL replayed, nothing half-written
            assert store._conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
            assert store._conn.execute("SELECT count(*) FROM versions").fetchone()[0] >= before
            assert store.rollout_record(NS, NAME) is not None
        shown = run_cli("history", NAME, "-n", NS, "--db", str(db))
        assert shown.code == 0 and "Revision 1  promoted" in shown.out, shown.err

        # While it is down: the rollout starts revision 2, an old pod goes.
        canary.start_revision_2()
        assert srv.delete_object("pods", NS, f"{NAME}-5c6b7d8f9-a")
        proc = start_recorder(kubeconfig, db, "-A")
        wait_for(lambda: count_versions(db, "ReplicaSet") >= 2)
        wait_for(lambda: _deleted(db, "Pod", f"{NAME}-5c6b7d8f9-a"))
        code, err = stop_recorder(proc)
        assert code == 143, err
    document = run_cli("history", NAME, "-n", NS, "--db", str(db), "-o", "json")
    assert '"revision": 2' in document.out


def _deleted(db: Path, kind: str, name: str) -> bool:
    conn = sqlite3.connect(f"file:{db}?mode=ro", uri=True)
    try:
        return bool(conn.execute("SELECT count(*) FROM versions WHERE kind = ? AND name = ? AND deleted = 1",
                                 (kind, name)).fetchone()[0])
    finally:
        conn.close()


def test_an_api_server_outage_is_said_and_so_is_its_end(tmp_path: Path) -> None:
    db, kubeconfig, log = tmp_path / "rollouts.db", tmp_path / "kubeconfig", tmp_path / "stderr"
    srv = APIServer()
    url = srv.start()
    port = int(url.rsplit(":", 1)[1])

    def said(words: str) -> bool:
        return words in log.read_text()

    try:
        srv.seed(old_objects())
        srv.write_kubeconfig(kubeconfig, namespace=NS)
        proc = start_recorder(kubeconfig, db, "-n", NS, stderr=log)
        wait_for(lambda: count_versions(db, "Pod") >= 4)
        srv.stop()
        # The notice comes once a stream has failed twice in a row; then the server returns.
        wait_for(lambda: said("cannot reach the API server"), timeout=30)
        srv.start(port=port)
        Canary(srv).status(message="after the outage")
        wait_for(lambda: count_versions(db, "Rollout") >= 2, timeout=30)
        # Every stream that was said to be failing must have listed again (each after its
        # own back-off) before the return is said.
        wait_for(lambda: said("the API server is back"), timeout=30)
        code, _ = stop_recorder(proc)
    finally:
        srv.stop()
    err = log.read_text()
    assert code == 143, err
    lines = err.splitlines()
    troubled = [line for line in lines if "cannot reach the API server" in line]
    back = [line for line in lines if "the API server is back" in line]
    assert len(troubled) == 1 and len(back) == 1, err
