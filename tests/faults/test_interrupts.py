"""Ctrl-C (SIGINT) and SIGTERM in the middle of a write, sent to the installed CLI.

The stand-in API server holds the answer to one request back (Fault.delay: it applies the
write, then waits), the test sends the signal while the CLI waits for it, and checks the
exit code (130 for SIGINT, 143 for SIGTERM), the one `Error:` line (which requests were
applied, which were not, what reading back showed of the one in flight) and that the
server's state is what the line says.
"""

from __future__ import annotations

import copy
import os
import signal
import subprocess
import time
from collections.abc import Callable, Iterator

import pytest

from kubectl_rollouts_py.sandbox.apiserver import APIServer, Fault
from tests.e2e.standin import NS, app_backend_objects, cli_path

ROLLOUTS = f"/apis/argoproj.io/v1alpha1/namespaces/{NS}/rollouts"
CODES = {signal.SIGINT: (130, "interrupted"), signal.SIGTERM: (143, "interrupted by SIGTERM")}
SIGNALS = pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGTERM], ids=["SIGINT", "SIGTERM"])


def _rollout(name: str, *, paused: bool = True) -> dict:
    rollout = copy.deepcopy(app_backend_objects()[0])
    rollout["metadata"].update(name=name, uid=f"uid-{name}", labels={"team": "web"})
    rollout["spec"]["paused"] = paused
    return rollout


@pytest.fixture()
def server(tmp_path) -> Iterator[APIServer]:
    with APIServer() as srv:
        srv.seed([*app_backend_objects()[1:], _rollout("app-backend"), _rollout("web-a", paused=False),
                  _rollout("web-b", paused=False), _rollout("web-c", paused=False)])
        srv.kubeconfig = tmp_path / "kubeconfig"  # type: ignore[attr-defined]
        srv.write_kubeconfig(srv.kubeconfig, namespace=NS)  # type: ignore[attr-defined]
        yield srv


def _interrupt(server: APIServer, args: list[str], sig: int, ready: Callable[[], bool]) -> tuple[int, str, str]:
    """Run the CLI; once `ready()` (the delayed write was processed, its answer held back),
    send `sig`; return (exit code, stdout, stderr)."""
    env = {k: v for k, v in os.environ.items() if k not in ("KUBECONFIG", "NO_COLOR")}
    env["KUBECONFIG"] = str(server.kubeconfig)  # type: ignore[attr-defined]
    proc = subprocess.Popen([cli_path(), *args], stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env,
                            stdin=subprocess.DEVNULL, text=True)
    try:
        deadline = time.monotonic() + 20
        while not ready():
            assert proc.poll() is None, proc.communicate()
            assert time.monotonic() < deadline, "the delayed request never came"
            time.sleep(0.02)
        time.sleep(0.2)  # the CLI is now waiting for the held-back answer
        proc.send_signal(sig)
        out, err = proc.communicate(timeout=30)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
        server.clear_faults()
    return proc.returncode, out, err


def _one_error_line(code: int, err: str, sig: int) -> str:
    expected_code, words = CODES[sig]
    assert code == expected_code, err
    assert "Traceback" not in err
    lines = err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith(f"Error: {words}: "), err
    return lines[0]


def _spec(server: APIServer, name: str) -> dict:
    obj = server.get_object("rollouts", NS, name)
    assert obj is not None
    return obj


@SIGNALS
def test_promote_full_interrupted_on_its_second_request(server: APIServer, sig: int) -> None:
    # promote --full on a paused rollout: PATCH /status (promoteFull), then PATCH the rollout
    # (spec.paused=false). The second answer is held back: both were applied, the second
    # not confirmed but read back.
    server.inject("PATCH", f"{ROLLOUTS}/app-backend", Fault.delay(30))
    code, out, err = _interrupt(server, ["promote", "--full", "app-backend"], sig,
                                lambda: _spec(server, "app-backend")["spec"].get("paused") is False)
    line = _one_error_line(code, err, sig)
    assert line == (f"Error: {CODES[sig][1]}: rollout 'app-backend': applied: PATCH {ROLLOUTS}/app-backend/status, "
                    f"PATCH {ROLLOUTS}/app-backend (not confirmed; reading it back shows spec.paused=false)")
    assert out == ""
    rollout = _spec(server, "app-backend")
    assert rollout["status"].get("promoteFull") is True and rollout["spec"]["paused"] is False


@SIGNALS
def test_promote_full_interrupted_on_its_first_request_sends_no_second(server: APIServer, sig: int) -> None:
    server.inject("PATCH", f"{ROLLOUTS}/app-backend/status", Fault.delay(30))
    code, out, err = _interrupt(server, ["promote", "--full", "app-backend"], sig,
                                lambda: _spec(server, "app-backend")["status"].get("promoteFull") is True)
    line = _one_error_line(code, err, sig)
    assert line == (f"Error: {CODES[sig][1]}: rollout 'app-backend': applied: PATCH {ROLLOUTS}/app-backend/status "
                    f"(not confirmed; reading it back shows status.promoteFull=true); not applied: PATCH {ROLLOUTS}/app-backend")
    assert _spec(server, "app-backend")["spec"]["paused"] is True  # the second request was never sent
    assert not [q for q in server.requests if q.method == "PATCH" and q.path == f"{ROLLOUTS}/app-backend"]


@SIGNALS
def test_pause_of_several_rollouts_says_which_were_done_and_which_not_started(server: APIServer, sig: int) -> None:
    server.inject("PATCH", f"{ROLLOUTS}/web-b", Fault.delay(30))
    code, out, err = _interrupt(server, ["pause", "-l", "team=web"], sig,
                                lambda: _spec(server, "web-b")["spec"].get("paused") is True)
    line = _one_error_line(code, err, sig)
    # app-backend and web-a come before web-b in the list (name order), web-c after.
    assert line == (f"Error: {CODES[sig][1]}: rollout 'web-b': applied: PATCH {ROLLOUTS}/web-b (not confirmed; reading it "
                    "back shows spec.paused=true); done: app-backend, web-a; not started: web-c")
    assert out == "rollout 'app-backend' paused\nrollout 'web-a' paused\n"
    assert [_spec(server, n)["spec"]["paused"] for n in ("web-a", "web-b", "web-c")] == [True, True, False]


@SIGNALS
def test_set_image_interrupted_while_reading_says_nothing_was_sent(server: APIServer, sig: int) -> None:
    server.inject("GET", f"{ROLLOUTS}/app-backend", Fault.delay(30))
    code, out, err = _interrupt(server, ["set", "image", "app-backend", "app-backend=example/app:9"], sig,
                                lambda: any(q.method == "GET" and q.path == f"{ROLLOUTS}/app-backend" for q in server.requests))
    line = _one_error_line(code, err, sig)
    assert line == f"Error: {CODES[sig][1]}: rollout 'app-backend': nothing was sent"
    assert not [q for q in server.requests if q.method in ("PUT", "PATCH")]


def test_set_image_interrupted_on_its_put_reads_it_back(server: APIServer) -> None:
    server.inject("PUT", f"{ROLLOUTS}/app-backend", Fault.delay(30))
    image = "example/app:9"

    def applied() -> bool:
        return _spec(server, "app-backend")["spec"]["template"]["spec"]["containers"][0]["image"] == image

    code, out, err = _interrupt(server, ["set", "image", "app-backend", f"app-backend={image}"], signal.SIGINT, applied)
    line = _one_error_line(code, err, signal.SIGINT)
    assert line == (f"Error: interrupted: rollout 'app-backend': applied: PUT {ROLLOUTS}/app-backend "
                    "(not confirmed; reading it back shows the spec as sent)")


def test_a_server_that_does_not_answer_the_read_back_is_unknown_within_seconds(server: APIServer) -> None:
    # Every later GET of the rollout is held back too: the read-back gives up after
    # kube.apply.READ_BACK_SECONDS (3 s) and calls the write unknown.
    server.inject("PATCH", f"{ROLLOUTS}/web-a", Fault.delay(60))
    server.inject("GET", f"{ROLLOUTS}/web-a", Fault.delay(60), times=None)
    started = time.monotonic()
    code, out, err = _interrupt(server, ["pause", "web-a"], signal.SIGINT,
                                lambda: _spec(server, "web-a")["spec"].get("paused") is True)
    line = _one_error_line(code, err, signal.SIGINT)
    assert line == (f"Error: interrupted: rollout 'web-a': unknown: PATCH {ROLLOUTS}/web-a "
                    "(not confirmed; reading it back took longer than 3s)")
    assert time.monotonic() - started < 50  # a hang guard: not the 60 s the server holds answers back
