"""Live views when stdout is not a terminal: printed frames, NDJSON, `status`, `list -w`, exits."""

from __future__ import annotations

import json
import os
import queue
import signal
import subprocess
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from kubectl_rollouts_py.sandbox.apiserver import APIServer

from .standin import NS, app_backend_objects, assert_one_error_line, cli_path, run_cli

STABLE_POD = "app-backend-5c6b7d8f9-4x7kq"


class Running:
    """The installed CLI in the background, its stdout read line by line as it comes."""

    def __init__(self, kubeconfig: Path, *args: str) -> None:
        env = {"KUBECONFIG": str(kubeconfig), "PATH": os.environ.get("PATH", "/usr/bin:/bin"), "HOME": "/tmp"}
        self.proc = subprocess.Popen([cli_path(), *args], stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                                     stderr=subprocess.PIPE, text=True, env=env)
        self.lines: queue.Queue[str] = queue.Queue()
        self.seen: list[str] = []
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()

    def _read(self) -> None:
        assert self.proc.stdout is not None
        for line in self.proc.stdout:
            self.lines.put(line)

    def read_until(self, needle: str, timeout: float = 5.0) -> list[str]:
        """Lines up to and including the first one containing `needle`."""
        deadline = time.monotonic() + timeout
        got = []
        while True:
            try:
                line = self.lines.get(timeout=max(0.0, deadline - time.monotonic()))
            except queue.Empty:
                pytest.fail(f"{needle!r} not printed within {timeout} s; got {got!r}")
            got.append(line)
            self.seen.append(line)
            if needle in line:
                return got

    def finish(self, timeout: float = 10.0) -> tuple[int, str, str]:
        """Wait for the exit; (exit code, everything printed, stderr)."""
        assert self.proc.stderr is not None
        self.proc.wait(timeout=timeout)
        self._reader.join(timeout)
        while not self.lines.empty():
            self.seen.append(self.lines.get())
        return self.proc.returncode, "".join(self.seen), self.proc.stderr.read()

    def stop(self) -> tuple[int, str, str]:
        """SIGTERM (a graceful stop: exit 143, as the shells' 128 + 15), then `finish()`."""
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
        return self.finish()


@pytest.fixture()
def server(tmp_path: Path) -> Iterator[APIServer]:
    with APIServer() as srv:
        srv.seed(app_backend_objects())
        srv.kubeconfig = tmp_path / "kubeconfig"  # type: ignore[attr-defined]
        srv.write_kubeconfig(srv.kubeconfig, namespace=NS)  # type: ignore[attr-defined]
        yield srv


@pytest.fixture()
def running(server: APIServer) -> Iterator:  # type: ignore[type-arg]
    started: list[Running] = []

    def start(*args: str) -> Running:
        started.append(Running(server.kubeconfig, *args))  # type: ignore[attr-defined]
        return started[-1]

    yield start
    for one in started:
        if one.proc.poll() is None:
            one.proc.kill()
            one.proc.wait(timeout=10)


def _patch_status(server: APIServer, plural: str, name: str, **status: object) -> None:
    obj = server.get_object(plural, NS, name)
    assert obj is not None
    obj["status"] = {**obj.get("status", {}), **status}
    server.apply_change(obj)


def test_piped_watch_prints_the_get_frame_then_each_changed_frame(server: APIServer, running) -> None:  # type: ignore[no-untyped-def]
    once = run_cli("get", "rollout", "app-backend", kubeconfig=server.kubeconfig)  # type: ignore[attr-defined]
    live = running("get", "rollout", "app-backend", "-w")
    first = live.read_until("  success-rate  ")  # the analysis table's row ends the frame
    # The first frame is `get`'s output, with the pause countdown added to the message.
    assert first[3].startswith("Message:         CanaryPauseStep (") and first[3].endswith(" left)\n")
    assert first[:3] + first[4:] == once.out.splitlines(keepends=True)[:3] + once.out.splitlines(keepends=True)[4:]
    server.delete_object("pods", NS, STABLE_POD)
    second = live.read_until("  success-rate  ")
    assert second[0] == "\n" and second[1].startswith("--- ") and second[1].endswith("Z\n")
    assert second[2] == "Name:            app-backend\n"
    assert not any(STABLE_POD in line for line in second)
    code, _, err = live.stop()
    assert (code, err.strip()) == (143, "Error: interrupted by SIGTERM")


def test_json_watch_prints_one_compact_document_per_change(server: APIServer, running) -> None:  # type: ignore[no-untyped-def]
    live = running("watch", "app-backend", "-o", "json")
    first = json.loads(live.read_until('"RolloutView"')[0])
    assert first["kind"] == "RolloutView" and first["status"] == "Paused"
    _patch_status(server, "rollouts", "app-backend", phase="Progressing", message="more replicas need to be updated")
    second = live.read_until('"RolloutView"')
    assert len(second) == 1  # one line per document
    assert json.loads(second[0])["status"] == "Progressing"
    live.stop()


def test_until_complete_exits_1_when_degraded(server: APIServer, running) -> None:  # type: ignore[no-untyped-def]
    live = running("get", "rollout", "app-backend", "--until-complete")
    live.read_until("app-backend-5c6b7d8f9-q7r5t")
    _patch_status(server, "rollouts", "app-backend", phase="Degraded", message="RolloutAborted: aborted", abort=True)
    code, out, err = live.finish()
    assert code == 1
    assert err == "Error: The rollout is in a degraded state with message: RolloutAborted: aborted\n"
    assert "Status:          ✖ Degraded" in out


def test_timeouts_end_the_watch(server: APIServer) -> None:
    plain = run_cli("get", "rollout", "app-backend", "-w", "--timeout-seconds", "1", kubeconfig=server.kubeconfig)  # type: ignore[attr-defined]
    assert (plain.code, plain.err) == (0, "")
    assert plain.out.startswith("Name:            app-backend\n")
    waited = run_cli("watch", "app-backend", "--until-complete", "--timeout", "1s", kubeconfig=server.kubeconfig)  # type: ignore[attr-defined]
    assert assert_one_error_line(waited) == 'Error: rollout "app-backend" did not complete: timed out while waiting'


def test_watch_of_a_missing_rollout_is_an_error(server: APIServer) -> None:
    result = run_cli("watch", "nope", kubeconfig=server.kubeconfig)  # type: ignore[attr-defined]
    assert assert_one_error_line(result) == 'Error: rollout.argoproj.io "nope" not found'


def test_status_prints_changes_until_healthy(server: APIServer, running) -> None:  # type: ignore[no-untyped-def]
    live = running("status", "app-backend")
    assert live.read_until("Paused") == ["Paused - CanaryPauseStep\n"]
    _patch_status(server, "rollouts", "app-backend", phase="Progressing", message="more replicas need to be updated")
    _patch_status(server, "rollouts", "app-backend", phase="Healthy", message="")
    code, out, err = live.finish()
    assert (code, err) == (0, "")
    assert out.splitlines()[0] == "Paused - CanaryPauseStep" and out.splitlines()[-1] == "Healthy"


def test_status_timeout_and_degraded_keep_the_argo_plugins_messages(server: APIServer, running) -> None:  # type: ignore[no-untyped-def]
    timed_out = run_cli("status", "app-backend", "--timeout", "1s", kubeconfig=server.kubeconfig)  # type: ignore[attr-defined]
    assert timed_out.out == "Paused - CanaryPauseStep\n"
    assert assert_one_error_line(timed_out) == "Error: Rollout status watch exceeded timeout"
    live = running("status", "app-backend", "-o", "json")
    assert json.loads(live.read_until("Paused")[0])["message"] == "CanaryPauseStep"
    _patch_status(server, "rollouts", "app-backend", phase="Degraded", message="RolloutAborted: stop")
    code, out, err = live.finish()
    assert code == 1 and err == "Error: The rollout is in a degraded state with message: RolloutAborted: stop\n"
    assert [json.loads(line)["status"] for line in out.splitlines()] == ["Paused", "Degraded"]


def test_list_watch_prints_only_changed_rows(server: APIServer, running) -> None:  # type: ignore[no-untyped-def]
    other = app_backend_objects()[0]
    other["metadata"] = {**other["metadata"], "name": "other", "uid": "other-uid"}
    server.apply_change(other)
    live = running("list", "rollouts", "-w", "--timestamps")
    table = live.read_until("other")
    assert table[0].startswith("TIMESTAMP ") and "app-backend" in table[1]
    _patch_status(server, "rollouts", "other", availableReplicas=3)
    changed = live.read_until("other")
    assert len(changed) == 1 and changed[0].split()[1] == "other" and changed[0].split()[-1] == "3"
    _patch_status(server, "rollouts", "app-backend", message="same row")  # no column changes: nothing printed
    server.delete_object("rollouts", NS, "other")
    _patch_status(server, "rollouts", "app-backend", phase="Healthy", message="")
    changed = live.read_until("app-backend")
    assert len(changed) == 1 and "Healthy" in changed[0]
    live.stop()
