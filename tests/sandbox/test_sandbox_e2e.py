"""`kubectl rollouts-py sandbox` as a user runs it: a process, the real CLI against it, SIGTERM.

The story test uses a real Prometheus (skipped without the binary, except under CI); the
others use the built-in stand-in, which starts in well under a second. Every sandbox runs at
--speed 60, so a 3m pause lasts 3 s. The fixture stops each sandbox with SIGTERM and checks
that it exits 0 and leaves no port open and no child process behind.
"""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
from pathlib import Path

from .conftest import NS, REPO, SandboxProcess, cli_command, images, kubeconfig_server, port_open, prometheus_or_skip

HASH = "rollouts-pod-template-hash"
ABORTED_11 = ('RolloutAborted: Rollout aborted update to revision 3: '
              'Metric "success-rate" assessed Failed due to failed (4) > failureLimit (3)')


def by_hash(items: list[dict]) -> dict[str, dict]:
    return {i["metadata"]["labels"][HASH]: i for i in items}


def values(run: dict) -> list[float]:
    return [float(m["value"].strip("[]")) for m in run["status"]["metricResults"][0]["measurements"]]


def test_the_canary_story_against_a_real_prometheus(start_sandbox) -> None:
    binary = prometheus_or_skip()
    box: SandboxProcess = start_sandbox("--speed", "60")
    assert f"({binary}, scraping the demo app every 0.25s)" in box.output

    # It starts Healthy, and the real kubectl works against it.
    assert box.cli("status", "app-backend", "--watch=false").out == "Healthy\n"
    kubectl = shutil.which("kubectl")
    if kubectl:
        got = box.kubectl(kubectl, "get", "rollouts.argoproj.io", "-n", NS)
        assert got.code == 0 and "app-backend" in got.out, got

    # 1.2: the canary walks the steps while its analysis passes, then it is stable.
    assert box.cli("set", "image", "app-backend", f"app-backend={REPO}:1.2").code == 0
    result = box.cli("status", "app-backend", "--timeout", "120s")
    assert result.code == 0, result
    assert "Paused - CanaryPauseStep" in result.out and result.out.splitlines()[-1] == "Healthy"
    status = box.rollout()["status"]
    good = status["currentPodHash"]
    assert status["stableRS"] == good
    replicasets = by_hash(box.replicasets())
    assert images(replicasets[good]) == [f"{REPO}:1.2"] and replicasets[good]["status"]["replicas"] == 5
    assert all(rs["spec"]["replicas"] == 0 for h, rs in replicasets.items() if h != good)
    run = by_hash(box.runs())[good]
    assert run["status"]["phase"] == "Successful"
    metric = run["status"]["metricResults"][0]
    assert metric["successful"] >= 3 and "failed" not in metric
    assert f'rollouts_pod_template_hash="{good}"' in metric["metadata"]["ResolvedPrometheusQuery"]
    assert all(0.95 <= v <= 1.0 for v in values(run))

    # 1.1: its analysis fails, the rollout is aborted and the canary scaled down.
    assert box.cli("set", "image", "app-backend", f"app-backend={REPO}:1.1").code == 0
    result = box.cli("status", "app-backend", "--timeout", "120s")
    assert result.code == 1, result
    assert result.out.splitlines()[-1] == f"Degraded - {ABORTED_11}"
    assert result.err == f"Error: The rollout is in a degraded state with message: {ABORTED_11}\n"
    bad = box.rollout()["status"]["currentPodHash"]
    box.wait(lambda: by_hash(box.replicasets())[bad].get("status", {}).get("replicas") == 0, what="the canary at 0")
    assert by_hash(box.replicasets())[bad]["spec"]["replicas"] == 0
    assert not [p for p in box.pods() if p["metadata"]["labels"][HASH] == bad]
    assert len([p for p in box.pods() if p["metadata"]["labels"][HASH] == good]) == 5
    run = by_hash(box.runs())[bad]
    assert (run["status"]["phase"], run["status"]["metricResults"][0]["failed"]) == ("Failed", 4)
    assert all(v < 0.95 for v in values(run))
    # The fixture then stops it with SIGTERM: Prometheus must go too (checked as a child process).
    assert box.children, "the real Prometheus should be a child process of the sandbox"


def test_promote_pause_abort_retry_full_promote_undo_and_restart(start_sandbox) -> None:
    box: SandboxProcess = start_sandbox("--speed", "60", "--prometheus", "builtin")
    assert "built-in stand-in" in box.output and "apt-get install prometheus" in box.output

    def state() -> tuple[str, str]:
        status = box.rollout().get("status") or {}
        return status.get("phase", ""), status.get("message", "")

    assert box.cli("set", "image", "app-backend", f"app-backend={REPO}:1.2").code == 0
    box.wait(lambda: state() == ("Paused", "CanaryPauseStep"), what="the first pause")
    new = box.rollout()["status"]["currentPodHash"]

    assert box.cli("pause", "app-backend").out == "rollout 'app-backend' paused\n"
    box.wait(lambda: state() == ("Paused", "manually paused"), what="the manual pause")

    assert box.cli("promote", "app-backend").out == "rollout 'app-backend' promoted\n"
    box.wait(lambda: box.rollout()["status"].get("currentStepIndex") == 3, what="step 3 after promote")

    assert box.cli("abort", "app-backend").out == "rollout 'app-backend' aborted\n"
    box.wait(lambda: state() == ("Degraded", "RolloutAborted: Rollout aborted update to revision 2"), what="the abort")
    box.wait(lambda: not [p for p in box.pods() if p["metadata"]["labels"][HASH] == new], what="no canary pods")
    result = box.cli("status", "app-backend", "--watch=false")
    assert (result.code, result.out) == (1, "Degraded\n")

    assert box.cli("retry", "rollout", "app-backend").out == "rollout 'app-backend' retried\n"
    box.wait(lambda: state() == ("Paused", "CanaryPauseStep"), what="the steps again")
    assert f"app-backend-{new}-2.1" in {r["metadata"]["name"] for r in box.runs()}

    assert box.cli("promote", "app-backend", "--full").out == "rollout 'app-backend' fully promoted\n"
    assert box.cli("status", "app-backend", "--timeout", "30s").code == 0
    assert box.rollout()["status"]["stableRS"] == new

    assert box.cli("undo", "app-backend").out == "rollout 'app-backend' undo\n"
    box.wait(lambda: images(box.rollout()) == [f"{REPO}:1.0"] and box.rollout()["status"]["currentPodHash"] != new,
             what="undo to 1.0")
    assert box.cli("promote", "app-backend", "--full").code == 0
    assert box.cli("status", "app-backend", "--timeout", "30s").code == 0

    pods = {p["metadata"]["name"] for p in box.pods()}
    assert box.cli("restart", "app-backend").out == "rollout 'app-backend' restarts in 0s\n"
    box.wait(lambda: box.rollout()["status"].get("restartedAt") == box.rollout()["spec"]["restartAt"], what="the restart")
    assert not pods & {p["metadata"]["name"] for p in box.pods()}
    assert box.cli("status", "app-backend", "--timeout", "30s").code == 0


def test_the_tour_runs_the_story_end_to_end_and_stops(tmp_path: Path) -> None:
    kubeconfig = tmp_path / "tour.kubeconfig"
    proc = subprocess.run(
        [*cli_command(), "sandbox", "--tour", "--prometheus", "builtin", "--kubeconfig", str(kubeconfig)],
        capture_output=True, text=True, timeout=180, stdin=subprocess.DEVNULL,
        env={k: v for k, v in os.environ.items() if k != "KUBECONFIG"},
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    out = proc.stdout
    for expected in (
        f"$ kubectl rollouts-py set image app-backend app-backend={REPO}:1.2",
        "Paused - CanaryPauseStep",
        f"Images:          {REPO}:1.2 (stable)",
        f"Degraded - {ABORTED_11}",
        f"Error: The rollout is in a degraded state with message: {ABORTED_11}",
        "$ kubectl rollouts-py undo app-backend",
        "Tour done in",
    ):
        assert expected in out, f"{expected!r} not in the tour's output:\n{out}"
    assert not port_open(kubeconfig_server(kubeconfig))


def test_ctrl_c_stops_the_sandbox_cleanly(start_sandbox) -> None:
    box: SandboxProcess = start_sandbox("--prometheus", "builtin")  # ready within START_TIMEOUT, a hang guard
    assert box.stop(signal.SIGINT) == 0
    box.assert_nothing_left()


def test_bad_flags_and_unsafe_kubeconfig_paths_are_one_line_errors(tmp_path: Path) -> None:
    home = tmp_path / "home"
    (home / ".kube").mkdir(parents=True)
    foreign = tmp_path / "mine.yaml"
    foreign.write_text("apiVersion: v1\nkind: Config\nclusters: []\n")
    env = {**{k: v for k, v in os.environ.items() if k != "KUBECONFIG"}, "HOME": str(home)}

    def sandbox(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run([*cli_command(), "sandbox", *args], capture_output=True, text=True, timeout=60, env=env,
                              stdin=subprocess.DEVNULL)

    cases = [
        (("--speed", "0"), 2, "Error: invalid --speed 0: use a factor above 0 and at most 10000 (1 is real time)\n"),
        (("--namespace", "Bad_NS"), 2, 'Error: invalid --namespace "Bad_NS": use a DNS label such as ithome\n'),
        (("--kubeconfig", str(home / ".kube" / "config")), 2,
         f"Error: the sandbox never writes {home / '.kube' / 'config'}: choose another --kubeconfig path\n"),
        (("--kubeconfig", str(foreign)), 2,
         f"Error: {foreign} exists and is not a sandbox kubeconfig; choose another --kubeconfig path\n"),
        (("--kubeconfig", str(tmp_path / "k"), "--prometheus", str(tmp_path / "nope")), 2,
         f"Error: --prometheus {tmp_path / 'nope'}: not an executable file\n"),
    ]
    for args, code, err in cases:
        result = sandbox(*args)
        assert (result.returncode, result.stdout, result.stderr) == (code, "", err), args
    assert foreign.read_text().startswith("apiVersion: v1\nkind: Config\nclusters: []")

    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        result = sandbox("--port", str(port), "--prometheus", "builtin", "--kubeconfig", str(tmp_path / "k2"))
    assert result.returncode == 1
    assert result.stderr.startswith(f"Error: the API server cannot listen on 127.0.0.1:{port}: ")
    assert result.stderr.count("\n") == 1 and "Traceback" not in result.stdout + result.stderr
