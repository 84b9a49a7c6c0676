"""`python -m kubectl_rollouts_py.sandbox.apiserver`: seed files, kubeconfig, clean exit."""

from __future__ import annotations

import json
import signal
import subprocess
import sys
from pathlib import Path

import yaml

from kubectl_rollouts_py.sandbox.apiserver import load_seed_documents

from .support import ROLLOUTS, Client

SEED_YAML = """\
apiVersion: argoproj.io/v1alpha1
kind: Rollout
metadata:
  name: web
  namespace: default
  creationTimestamp: 2024-05-01T10:00:00Z
spec:
  replicas: 2
---
# an empty document is skipped
---
apiVersion: v1
kind: List
items:
- apiVersion: v1
  kind: Pod
  metadata: {name: web-1, namespace: team}
  spec: {containers: [{name: app, image: app:1}]}
"""


def _write_seed(folder: Path) -> Path:
    (folder / "nested").mkdir(parents=True)
    (folder / "objects.yaml").write_text(SEED_YAML)
    (folder / "nested" / "template.json").write_text(json.dumps({
        "apiVersion": "argoproj.io/v1alpha1", "kind": "AnalysisTemplate", "metadata": {"name": "rate"}, "spec": {}}))
    (folder / "scenario.yaml").write_text("now: 2024-05-02T00:00:00Z\n")  # no kind: not an object
    (folder / "notes.txt").write_text("ignored")
    return folder


def test_load_seed_documents(tmp_path: Path) -> None:
    docs = load_seed_documents([_write_seed(tmp_path / "seed")])
    assert [(d["kind"], d["metadata"]["name"]) for d in docs] == [("AnalysisTemplate", "rate"), ("Rollout", "web"), ("Pod", "web-1")]
    # An unquoted YAML timestamp stays the string the API would send.
    assert docs[1]["metadata"]["creationTimestamp"] == "2024-05-01T10:00:00Z"


def test_standalone_server_serves_seeds_and_exits_cleanly_on_sigterm(tmp_path: Path) -> None:
    seed = _write_seed(tmp_path / "seed")
    kubeconfig = tmp_path / "kc"
    proc = subprocess.Popen(
        [sys.executable, "-m", "kubectl_rollouts_py.sandbox.apiserver", "--port", "0", "--seed", str(seed),
         "--kubeconfig", str(kubeconfig), "--namespace", "team"],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )
    try:
        assert proc.stdout is not None
        url = proc.stdout.readline().strip()
        assert url.startswith("http://127.0.0.1:")
        config = yaml.safe_load(kubeconfig.read_text())
        assert config["clusters"][0]["cluster"]["server"] == url
        assert config["contexts"][0]["context"]["namespace"] == "team"
        client = Client(url)
        items = client.get(ROLLOUTS).json["items"]
        assert [(i["metadata"]["name"], i["metadata"]["creationTimestamp"]) for i in items] == [("web", "2024-05-01T10:00:00Z")]
        assert client.get("/api/v1/namespaces/team/pods/web-1").status == 200
        client.close()
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(timeout=5) == 0
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
        proc.stdout.close()  # type: ignore[union-attr]
        proc.stderr.close()  # type: ignore[union-attr]


def test_standalone_server_exits_zero_on_sigint() -> None:
    proc = subprocess.Popen([sys.executable, "-m", "kubectl_rollouts_py.sandbox.apiserver", "--port", "0"],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    assert proc.stdout is not None
    assert proc.stdout.readline().startswith("http://")
    proc.send_signal(signal.SIGINT)
    assert proc.wait(timeout=5) == 0
    proc.stdout.close()
    proc.stderr.close()  # type: ignore[union-attr]


def test_bad_seed_file_is_a_usage_error(tmp_path: Path) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text("apiVersion: example.com/v1\nkind: Widget\nmetadata: {name: w}\n")
    result = subprocess.run([sys.executable, "-m", "kubectl_rollouts_py.sandbox.apiserver", "--port", "0", "--seed", str(bad)],
                            capture_output=True, text=True, timeout=10)
    assert result.returncode == 2
    assert "not a served kind" in result.stderr
