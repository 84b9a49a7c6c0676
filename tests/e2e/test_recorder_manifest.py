"""deploy/recorder.yaml: real kubectl accepts it (`apply --dry-run=client`, against the
discovery-only server of kubectl_discovery.py), and its role only reads the kinds the
recorder follows."""

from __future__ import annotations

from pathlib import Path

import yaml

from .kubectl_discovery import discovery_server, kubectl_dry_run

MANIFEST = Path(__file__).resolve().parents[2] / "deploy" / "recorder.yaml"


def test_kubectl_accepts_the_manifest(kubectl: str, tmp_path: Path) -> None:
    with discovery_server() as server:
        proc = kubectl_dry_run(kubectl, server, tmp_path, [MANIFEST])
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
    assert "command" not in container  # the image's ENTRYPOINT, kubectl-rollouts_py, runs the args
    assert container["args"][:4] == ["record", "-A", "--db", "/data/rollouts.db"]
    assert deployment["spec"]["template"]["spec"]["serviceAccountName"] == "rollouts-recorder"
    (data,) = [m for m in container["volumeMounts"] if m["mountPath"] == "/data"]
    (volume,) = [v for v in deployment["spec"]["template"]["spec"]["volumes"] if v["name"] == data["name"]]
    assert volume["persistentVolumeClaim"]["claimName"] == "rollouts-recorder"
