"""`get rollout --revisions N` (and `watch --revisions N`) through the installed CLI against
the stand-in API server: only the N newest revisions in the tree, in `-o json|yaml` and in
every live frame; N below 1 or not a number is a usage error."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from kubectl_rollouts_py.sandbox.apiserver import APIServer
from tests.e2e.standin import NS, app_backend_objects, run_cli
from tests.faults import matrix

WAIT = 30.0


@pytest.fixture()
def server(tmp_path: Path) -> Iterator[APIServer]:
    with APIServer() as srv:
        srv.seed(app_backend_objects())  # revision 2 (the canary) and revision 1 (stable)
        srv.kubeconfig = tmp_path / "kubeconfig"  # type: ignore[attr-defined]
        srv.write_kubeconfig(srv.kubeconfig, namespace=NS)  # type: ignore[attr-defined]
        yield srv


def _revision_rows(text: str) -> list[str]:
    return [line.split("# ", 1)[1].strip() for line in text.splitlines() if "# revision:" in line]


def test_without_the_flag_every_revision_is_shown(server: APIServer) -> None:
    result = run_cli("get", "rollout", "app-backend", kubeconfig=server.kubeconfig)  # type: ignore[attr-defined]
    assert result.code == 0, result.err
    assert _revision_rows(result.out) == ["revision:2", "revision:1"]


def test_revisions_1_shows_the_newest_only(server: APIServer) -> None:
    full = run_cli("get", "rollout", "app-backend", kubeconfig=server.kubeconfig)  # type: ignore[attr-defined]
    result = run_cli("get", "rollout", "app-backend", "--revisions", "1", kubeconfig=server.kubeconfig)  # type: ignore[attr-defined]
    assert (result.code, result.err) == (0, ""), result.err
    assert _revision_rows(result.out) == ["revision:2"]
    assert "app-backend-5c6b7d8f9" not in result.out  # revision 1's ReplicaSet and pods
    # The header (status, images with the stable one) is the same as without the flag.
    assert result.out.split("\n\n")[0] == full.out.split("\n\n")[0]
    # The newest revision ends the tree now: its branch is drawn as the last one.
    assert any(line.startswith("└──# revision:2") for line in result.out.splitlines()), result.out


def test_more_revisions_than_there_are_shows_them_all(server: APIServer) -> None:
    full = run_cli("get", "rollout", "app-backend", kubeconfig=server.kubeconfig)  # type: ignore[attr-defined]
    result = run_cli("get", "rollout", "app-backend", "--revisions", "5", kubeconfig=server.kubeconfig)  # type: ignore[attr-defined]
    assert result.code == 0 and result.out == full.out


@pytest.mark.parametrize("output", ["json", "yaml"])
def test_output_documents_carry_the_same_revisions(server: APIServer, output: str) -> None:
    import yaml

    result = run_cli("get", "rollout", "app-backend", "--revisions", "1", "-o", output,
                     kubeconfig=server.kubeconfig)  # type: ignore[attr-defined]
    assert result.code == 0, result.err
    document = json.loads(result.out) if output == "json" else yaml.safe_load(result.out)
    assert [r["revision"] for r in document["revisions"]] == [2]
    assert [i["image"] for i in document["images"]] == [
        i["image"] for i in json.loads(run_cli("get", "rollout", "app-backend", "-o", "json",
                                               kubeconfig=server.kubeconfig).out)["images"]]  # type: ignore[attr-defined]


@pytest.mark.parametrize("command", [["get", "rollout", "app-backend", "-w"], ["watch", "app-backend"]], ids=" ".join)
def test_every_live_frame_keeps_the_cut(server: APIServer, command: list[str]) -> None:
    with matrix.running(server, *command, "--revisions", "1") as (proc, out, err):
        out.wait_for(lambda text: "# revision:2" in text, WAIT, "the first frame")
        rollout = server.get_object("rollouts", NS, "app-backend")
        rollout["metadata"].setdefault("labels", {})["seen"] = "1"
        rollout["status"] = {**rollout["status"], "message": "a change"}
        server.apply_change(rollout)
        out.wait_for(lambda text: "a change" in text, WAIT, "the second frame")
        proc.terminate()
        proc.wait(timeout=WAIT)
    frames = out.text.split("\n--- ")
    assert len(frames) >= 2
    for frame in frames:
        assert _revision_rows(frame) == ["revision:2"], frame


@pytest.mark.parametrize("value", ["0", "-1", "two"])
def test_a_bad_count_is_a_usage_error(server: APIServer, value: str) -> None:
    result = run_cli("get", "rollout", "app-backend", "--revisions", value, kubeconfig=server.kubeconfig)  # type: ignore[attr-defined]
    assert result.code == 2, result.err
    assert result.out == "" and "--revisions" in result.err and "Traceback" not in result.err
    assert not any(q.path.endswith("/rollouts/app-backend") for q in server.requests)  # nothing was read
