"""The recorder never stores credentials: no Secret (it does not follow them, and the store
refuses them), and not the bearer token it connects with."""

from __future__ import annotations

import base64
import json
from pathlib import Path

from kubectl_rollouts_py.recording.sqlite import open_recording
from kubectl_rollouts_py.sandbox.apiserver import APIServer

from .recorder_scenario import count_versions, old_objects, start_recorder, stop_recorder, wait_for
from .standin import NS

TOKEN = "recorder-token-0f9e8d7c6b5a"
PASSWORD = "hunter2-db-password"


def test_no_secret_and_no_token_in_the_recording(tmp_path: Path) -> None:
    db, kubeconfig = tmp_path / "rollouts.db", tmp_path / "kubeconfig"
    secret = {"apiVersion": "v1", "kind": "Secret", "metadata": {"name": "db", "namespace": NS},
              "data": {"password": base64.b64encode(PASSWORD.encode()).decode()}}
    with APIServer(token=TOKEN) as srv:
        srv.seed([*old_objects(), secret])
        srv.write_kubeconfig(kubeconfig, namespace=NS)
        proc = start_recorder(kubeconfig, db, "-A")
        wait_for(lambda: count_versions(db, "Pod") >= 4)
        code, err = stop_recorder(proc)
    assert code == 143, err
    assert count_versions(db, "Secret") == 0
    with open_recording(db, readonly=True) as store:
        bodies = [store._decode(body, base) for body, base in store._conn.execute("SELECT body, base FROM bodies")]
    everything = b"\n".join(bodies) + db.read_bytes()
    for leaked in (TOKEN, PASSWORD, base64.b64encode(PASSWORD.encode()).decode()):
        assert leaked.encode() not in everything
    assert any(json.loads(b)["kind"] == "Rollout" for b in bodies)
