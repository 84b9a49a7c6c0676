"""Leaving the live views, through the installed CLI against the stand-in API server: Ctrl-C
(SIGINT) is how people leave a watch, so it ends every watching command with exit 130 and no
`Error:` line (SIGTERM keeps its line and 143); `status --until-paused` ends with exit 0 as
soon as the rollout is Paused."""

from __future__ import annotations

import json
import signal
import subprocess
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from kubectl_rollouts_py.sandbox.apiserver import APIServer
from tests.e2e.standin import NS, cli_path
from tests.faults import matrix
from tests.faults.matrix import EXPERIMENT, RUN

WAIT = 30.0  # seconds a condition may take on a loaded machine


@pytest.fixture()
def server() -> Iterator[APIServer]:
    with matrix.cluster() as srv:
        yield srv


def _stdout_has(text: str) -> Callable[[str], bool]:
    return lambda out: text in out


# (args, the stream that shows the command is watching, what appears there once it is)
WATCHING = {
    "watch": (["watch", "app-backend"], "out", "Name:            app-backend"),
    "get rollout -w": (["get", "rollout", "app-backend", "-w"], "out", "Name:            app-backend"),
    "get experiment -w": (["get", "experiment", EXPERIMENT, "-w"], "out", f"Name:            {EXPERIMENT}"),
    "get analysisrun -w": (["get", "analysisrun", RUN, "-w"], "out", f"Name:            {RUN}"),
    "status": (["status", "app-backend"], "out", "Paused - CanaryPauseStep"),
    "status --until-paused (not yet paused)": (["status", "app-backend", "--until-paused"], "out", "Progressing"),
    "list rollouts -w": (["list", "rollouts", "-w"], "out", "app-backend"),
    "create -w": (["create", "-f", "{dir}/rollout.yaml", "-w"], "out", "Name:            app-frontend"),
    "record": (["record", "--db", "{dir}/rollouts.db"], "err", "(Ctrl-C stops)"),
}


def _unpause(srv: APIServer) -> None:
    """app-backend moving on from its pause step (status Progressing)."""
    rollout = srv.get_object("rollouts", NS, "app-backend")
    rollout["status"] = {**rollout["status"], "pauseConditions": None, "phase": "Progressing",
                         "message": "more replicas need to be updated", "controllerPause": False}
    srv.apply_change(rollout)


def _pause(srv: APIServer, reason: str) -> None:
    rollout = srv.get_object("rollouts", NS, "app-backend")
    rollout["status"] = {**rollout["status"], "pauseConditions": [{"reason": reason, "startTime": "2026-11-29T08:10:00Z"}],
                         "phase": "Paused", "message": reason}
    srv.apply_change(rollout)


def _run(srv: APIServer, args: list[str], stream: str, shown: str, sig: int) -> tuple[int, str, str]:
    tmp: Path = srv.tmp  # type: ignore[attr-defined]
    if "{dir}/rollout.yaml" in args:
        import yaml

        (tmp / "rollout.yaml").write_text(yaml.safe_dump(matrix.new_rollout()))
    args = [a.replace("{dir}", str(tmp)) for a in args]
    with matrix.running(srv, *args) as (proc, out, err):
        (out if stream == "out" else err).wait_for(_stdout_has(shown), WAIT, repr(shown))
        proc.send_signal(sig)
        proc.wait(timeout=WAIT)
    return proc.returncode, out.text, err.text


@pytest.mark.parametrize("command", list(WATCHING))
def test_ctrl_c_leaves_every_watch_with_130_and_no_error_line(server: APIServer, command: str) -> None:
    args, stream, shown = WATCHING[command]
    if "--until-paused" in args:
        _unpause(server)
    code, out, err = _run(server, args, stream, shown, signal.SIGINT)
    assert code == 130, (code, err)
    assert "Error" not in err and "Traceback" not in err, err
    if command == "record":  # its notices only, the last one saying what it recorded
        assert err.splitlines()[-1].split(" ", 1)[1].startswith("stopped: "), err
        assert "versions recorded into" in err.splitlines()[-1], err
    else:
        assert err == "", err  # stderr is not a terminal: not even the newline after ^C


@pytest.mark.parametrize("command", ["watch", "status", "list rollouts -w", "record"])
def test_sigterm_still_says_it_was_interrupted(server: APIServer, command: str) -> None:
    args, stream, shown = WATCHING[command]
    code, out, err = _run(server, args, stream, shown, signal.SIGTERM)
    assert code == 143, (code, err)
    assert err.strip().splitlines()[-1].startswith("Error: interrupted by SIGTERM"), err


def test_ctrl_c_on_a_one_shot_read_keeps_its_error_line(server: APIServer) -> None:
    # Not a watch: a read cut short is reported, as before (status --watch=false waits on nothing,
    # so the read is held back to have something to interrupt).
    from kubectl_rollouts_py.sandbox.apiserver import Fault

    server.inject("GET", matrix.COLLECTIONS["rollouts"] + "/app-backend", Fault.delay(60), times=None)
    with matrix.running(server, "status", "app-backend", "--watch=false", "--request-timeout", "0") as (proc, out, err):
        _wait(lambda: any(q.path.endswith("/rollouts/app-backend") for q in server.requests))
        proc.send_signal(signal.SIGINT)
        proc.wait(timeout=WAIT)
    server.clear_faults()
    assert proc.returncode == 130
    assert err.text.strip().splitlines() == ["Error: interrupted"], err.text


def _wait(predicate: Callable[[], bool]) -> None:
    import time

    deadline = time.monotonic() + WAIT
    while not predicate():
        assert time.monotonic() < deadline, "the condition did not come"
        time.sleep(0.02)


# -- status --until-paused


@pytest.mark.parametrize("reason", ["CanaryPauseStep", "BlueGreenPause"])
def test_until_paused_exits_0_when_the_rollout_reaches_a_pause(server: APIServer, reason: str) -> None:
    _unpause(server)
    with matrix.running(server, "status", "app-backend", "--until-paused", "--timeout", "60s") as (proc, out, err):
        out.wait_for(_stdout_has("Progressing - more replicas need to be updated"), WAIT, "the first line")
        assert proc.poll() is None  # Progressing: still watching
        _pause(server, reason)
        code = proc.wait(timeout=WAIT)
    assert (code, err.text) == (0, ""), (code, err.text)
    assert out.text.splitlines() == ["Progressing - more replicas need to be updated", f"Paused - {reason}"]


def test_until_paused_exits_0_at_once_for_a_paused_rollout(server: APIServer) -> None:
    with matrix.running(server, "status", "app-backend", "--until-paused") as (proc, out, err):
        code = proc.wait(timeout=WAIT)
    assert (code, out.text, err.text) == (0, "Paused - CanaryPauseStep\n", "")


def test_until_paused_exits_0_on_spec_paused(server: APIServer) -> None:
    # `pause NAME` sets spec.paused; the controller then says "manually paused" (the
    # stand-in has no controller: the rollout is given the status it would write).
    _unpause(server)
    with matrix.running(server, "status", "app-backend", "--until-paused", "-o", "json") as (proc, out, err):
        out.wait_for(_stdout_has('"Progressing"'), WAIT, "the first document")
        rollout = server.get_object("rollouts", NS, "app-backend")
        rollout["spec"]["paused"] = True
        server.apply_change(rollout)  # a spec change: a new generation, not yet observed
        rollout = server.get_object("rollouts", NS, "app-backend")
        rollout["status"] = {**rollout["status"], "phase": "Paused", "message": "manually paused",
                             "observedGeneration": str(rollout["metadata"]["generation"])}
        server.apply_change(rollout)
        code = proc.wait(timeout=WAIT)
    assert (code, err.text) == (0, ""), (code, err.text)
    assert json.loads(out.text.splitlines()[-1]) == {"name": "app-backend", "namespace": "ithome", "status": "Paused",
                                                     "message": "manually paused"}


def test_until_paused_still_fails_on_degraded_and_on_timeout(server: APIServer) -> None:
    _unpause(server)
    with matrix.running(server, "status", "app-backend", "--until-paused") as (proc, out, err):
        out.wait_for(_stdout_has("Progressing"), WAIT, "the first line")
        rollout = server.get_object("rollouts", NS, "app-backend")
        rollout["status"] = {**rollout["status"], "phase": "Degraded", "message": "RolloutAborted: metric failed"}
        server.apply_change(rollout)
        code = proc.wait(timeout=WAIT)
    assert code == 1
    assert err.text.strip().splitlines()[-1] == "Error: The rollout is in a degraded state with message: RolloutAborted: metric failed"
    _unpause(server)
    with matrix.running(server, "status", "app-backend", "--until-paused", "--timeout", "1s") as (proc, out, err):
        code = proc.wait(timeout=WAIT)
    assert code == 1 and err.text.strip().splitlines()[-1] == "Error: Rollout status watch exceeded timeout", err.text


def test_until_paused_with_watch_false_is_a_usage_error(server: APIServer) -> None:
    done = subprocess.run([cli_path(), "status", "app-backend", "--until-paused", "--watch=false"],
                          capture_output=True, text=True, timeout=WAIT, stdin=subprocess.DEVNULL)
    assert done.returncode == 2, done.stderr
    assert done.stderr.strip().splitlines() == [
        "Error: --until-paused watches the rollout: it cannot be used with --watch=false"], done.stderr
    assert done.stdout == ""
