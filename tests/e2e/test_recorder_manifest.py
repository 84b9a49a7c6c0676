"""deploy/recorder.yaml: real kubectl accepts it (`apply --dry-run=client`, against a tiny
discovery-only server: kubectl maps kinds to resources through discovery even for a dry
run), and its role only reads the kinds the recorder follows."""

from __future__ import annotations

import json
import subprocess
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
import yaml

MANIFEST = Path(__file__).resolve().parents[2] / "deploy" / "recorder.yaml"

_GROUPS = {
    "": ("v1", [("namespaces", "Namespace", False), ("serviceaccounts", "ServiceAccount", True),
                ("persistentvolumeclaims", "PersistentVolumeClaim", True), ("pods", "Pod", True)]),
    "apps": ("v1", [("deployments", "Deployment", True), ("replicasets", "ReplicaSet", True)]),
    "rbac.authorization.k8s.io": ("v1", [("clusterroles", "ClusterRole", False), ("clusterrolebindings", "ClusterRoleBinding", False),
                                         ("roles", "Role", True), ("rolebindings", "RoleBinding", True)]),
}


def _resource_list(group: str) -> dict:
    version, resources = _GROUPS[group]
    return {"kind": "APIResourceList", "apiVersion": "v1", "groupVersion": f"{group}/{version}" if group else version,
            "resources": [{"name": n, "singularName": k.lower(), "namespaced": ns, "kind": k,
                           "verbs": ["create", "delete", "get", "list", "patch", "update", "watch"]} for n, k, ns in resources]}


class _Discovery(BaseHTTPRequestHandler):
    def log_message(self, *args: object) -> None:
        pass

    def _send(self, status: int, body: dict) -> None:
        data = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def do_GET(self) -> None:  # noqa: N802
        path = self.path.split("?")[0]
        if path == "/api":
            self._send(200, {"kind": "APIVersions", "versions": ["v1"]})
        elif path == "/apis":
            self._send(200, {"kind": "APIGroupList", "apiVersion": "v1", "groups": [
                {"name": g, "versions": [{"groupVersion": f"{g}/{v}", "version": v}],
                 "preferredVersion": {"groupVersion": f"{g}/{v}", "version": v}} for g, (v, _) in _GROUPS.items() if g]})
        elif path == "/api/v1":
            self._send(200, _resource_list(""))
        elif any(path == f"/apis/{g}/{v}" for g, (v, _) in _GROUPS.items() if g):
            self._send(200, _resource_list(path.split("/")[2]))
        else:  # every object: not there yet, so a dry run "creates" it
            self._send(404, {"kind": "Status", "apiVersion": "v1", "status": "Failure", "reason": "NotFound", "code": 404})


@pytest.fixture()
def discovery(tmp_path: Path):
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Discovery)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    kubeconfig = tmp_path / "kubeconfig"
    kubeconfig.write_text(yaml.safe_dump({
        "apiVersion": "v1", "kind": "Config", "current-context": "c",
        "clusters": [{"name": "c", "cluster": {"server": f"http://127.0.0.1:{server.server_address[1]}"}}],
        "users": [{"name": "u", "user": {}}], "contexts": [{"name": "c", "context": {"cluster": "c", "user": "u"}}]}))
    yield kubeconfig
    server.shutdown()


def test_kubectl_accepts_the_manifest(kubectl: str, discovery: Path, tmp_path: Path) -> None:
    proc = subprocess.run([kubectl, "apply", "--dry-run=client", "--validate=false", "-f", str(MANIFEST)],
                          capture_output=True, text=True, timeout=60,
                          env={"KUBECONFIG": str(discovery), "HOME": str(tmp_path), "PATH": "/usr/bin:/bin"})
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.splitlines() == [
        "namespace/rollouts-recorder created (dry run)",
        "serviceaccount/rollouts-recorder created (dry run)",
        "clusterrole.rbac.authorization.k8s.io/rollouts-recorder created (dry run)",
        "clusterrolebinding.rbac.authorization.k8s.io/rollouts-recorder created (dry run)",
        "persistentvolumeclaim/rollouts-recorder created (dry run)",
        "deployment.apps/rollouts-recorder created (dry run)",
    ]


def test_the_role_only_reads_what_the_recorder_follows() -> None:
    documents = list(yaml.safe_load_all(MANIFEST.read_text()))
    (role,) = [d for d in documents if d["kind"] in ("ClusterRole", "Role")]
    granted = {(g, r) for rule in role["rules"] for g in rule["apiGroups"] for r in rule["resources"]}
    assert granted == {("argoproj.io", "rollouts"), ("argoproj.io", "analysisruns"), ("argoproj.io", "experiments"),
                       ("apps", "replicasets"), ("", "pods")}
    assert all(rule["verbs"] == ["get", "list", "watch"] for rule in role["rules"])
    (deployment,) = [d for d in documents if d["kind"] == "Deployment"]
    (container,) = deployment["spec"]["template"]["spec"]["containers"]
    assert container["command"][:5] == ["/opt/app/bin/kubectl-rollouts_py", "record", "-A", "--db", "/data/rollouts.db"]
    assert deployment["spec"]["template"]["spec"]["serviceAccountName"] == "rollouts-recorder"
    assert any(v.get("persistentVolumeClaim") for v in deployment["spec"]["template"]["spec"]["volumes"])
