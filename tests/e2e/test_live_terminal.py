"""`watch` / `get rollout -w` in a real terminal (tmux) against the stand-in API server.

Each test starts the installed CLI in a detached tmux session of its own tmux server (its own
socket, so nothing touches a user's tmux), changes the cluster through the server's test
helpers and reads the screen with `capture-pane`.
"""

from __future__ import annotations

import os
import shlex
import shutil
import signal
import subprocess
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from kubectl_rollouts_py.sandbox.apiserver import APIServer, Fault

from tests.faults.test_pipes_and_signals import slow_analysis  # noqa: F401  (a fixture: analyze measuring every 60 s)

from .standin import NS, app_backend_objects, cli_path

pytestmark = pytest.mark.skipif(shutil.which("tmux") is None, reason="tmux is not installed")

STABLE_POD = "app-backend-5c6b7d8f9-4x7kq"
CANARY_POD = "app-backend-6d8f9c7b5-jx2vd"


class Terminal:
    """One tmux session running one command; `screen()` is what a user would see."""

    def __init__(self, tmp_path: Path, command: list[str], env: dict[str, str], *, width: int = 120, height: int = 40) -> None:
        self.socket = f"rpy-live-{os.getpid()}-{time.monotonic_ns()}"
        line = " ".join(shlex.quote(a) for a in command)
        environ = " ".join(f"{k}={shlex.quote(v)}" for k, v in env.items())
        script = f"env {environ} {line}; echo EXIT=$?; sleep 600"
        self._tmux("new-session", "-d", "-s", "live", "-x", str(width), "-y", str(height), script)
        self.started: set[int] = set()  # pids of the pane's shell and the CLI, for close()

    def _tmux(self, *args: str) -> str:
        done = subprocess.run(["tmux", "-L", self.socket, "-f", "/dev/null", *args], capture_output=True, text=True, timeout=10)
        return done.stdout

    def screen(self) -> str:
        """The visible screen, without the empty lines below the text."""
        return self._tmux("capture-pane", "-p", "-t", "live").rstrip("\n")

    def flag(self, name: str) -> str:
        return self._tmux("display-message", "-p", "-t", "live", f"#{{{name}}}").strip()

    def keys(self, *keys: str) -> None:
        self._tmux("send-keys", "-t", "live", *keys)

    def resize(self, width: int, height: int) -> None:
        self._tmux("resize-window", "-t", "live", "-x", str(width), "-y", str(height))

    def cli_pid(self) -> int:
        shell = int(self.flag("pane_pid"))
        children = Path(f"/proc/{shell}/task/{shell}/children").read_text().split()
        self.started.update((shell, int(children[0])))
        return int(children[0])

    def _started(self) -> list[int]:
        """The pane's shell and its children (the CLI), while the pane lives."""
        try:
            shell = int(self.flag("pane_pid"))
            return [shell, *map(int, Path(f"/proc/{shell}/task/{shell}/children").read_text().split())]
        except (ValueError, OSError):
            return []

    def wait_for(self, predicate: Callable[[str], bool], timeout: float = 30.0) -> float:
        """Seconds until the screen satisfies `predicate`; fails with the screen after `timeout`,
        a bound on a failure, not a measure (benchmarks/live_bench.py times changes to screen)."""
        start = time.monotonic()
        while True:
            text = self.screen()
            if predicate(text):
                return time.monotonic() - start
            if time.monotonic() - start > timeout:
                pytest.fail(f"not on screen after {timeout} s:\n{text}")
            time.sleep(0.01)

    def kill_server(self) -> None:
        """What closing the terminal window does: tmux goes, the pane's pty hangs up."""
        self.started.update(self._started())
        self._tmux("kill-server")

    def close(self) -> None:
        self.kill_server()
        started = self.started
        # Belt and braces: the hang-up must end the CLI by itself (the tests below check
        # it); whatever is left after a few seconds is killed, so no test leaves a process
        # behind on a deleted pty.
        deadline = time.monotonic() + 5
        while (alive := [pid for pid in started if _alive(pid)]) and time.monotonic() < deadline:
            time.sleep(0.05)
        for pid in alive:
            os.kill(pid, signal.SIGKILL)


def _state(pid: int) -> str:
    """The process's state letter (R, S, T, Z, ...); "" when it is gone."""
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except (OSError, IndexError):
        return ""


def _alive(pid: int) -> bool:
    """Running, not a zombie waiting to be reaped by its parent."""
    return _state(pid) not in ("", "Z")


@pytest.fixture()
def server(tmp_path: Path) -> Iterator[APIServer]:
    with APIServer(event_window=4) as srv:
        srv.seed(app_backend_objects())
        srv.kubeconfig = tmp_path / "kubeconfig"  # type: ignore[attr-defined]
        srv.write_kubeconfig(srv.kubeconfig, namespace=NS)  # type: ignore[attr-defined]
        yield srv


@pytest.fixture()
def terminal(tmp_path: Path, server: APIServer) -> Iterator[Callable[..., Terminal]]:
    opened: list[Terminal] = []

    def open_terminal(*args: str, height: int = 40) -> Terminal:
        env = {"KUBECONFIG": str(server.kubeconfig), "HOME": str(tmp_path), "PATH": os.environ.get("PATH", "/usr/bin:/bin")}  # type: ignore[attr-defined]
        if "PYTHONPATH" in os.environ:  # e.g. to run these tests against another copy of the package
            env["PYTHONPATH"] = os.environ["PYTHONPATH"]
        term = Terminal(tmp_path, [cli_path(), *args], env, height=height)
        opened.append(term)
        return term

    yield open_terminal
    for term in opened:
        term.close()


def _patch_status(server: APIServer, plural: str, name: str, **status: object) -> None:
    obj = server.get_object(plural, NS, name)
    assert obj is not None
    obj["status"] = {**obj.get("status", {}), **status}
    server.apply_change(obj)


def test_changes_are_drawn_in_place(terminal, server: APIServer) -> None:
    term = terminal("watch", "app-backend")
    term.wait_for(lambda s: STABLE_POD in s)
    first = term.screen()
    lines = first.splitlines()
    assert lines[0] == "Name:            app-backend"
    assert lines[3].startswith("Message:         CanaryPauseStep (") and lines[3].endswith(" left)")
    assert term.flag("alternate_on") == "1"  # drawn on the alternate screen, cursor hidden
    assert term.flag("cursor_flag") == "0"

    server.delete_object("pods", NS, STABLE_POD)
    term.wait_for(lambda s: STABLE_POD not in s)

    _patch_status(server, "replicasets", "app-backend-6d8f9c7b5", availableReplicas=0)
    term.wait_for(lambda s: "ReplicaSet   ◌ Progressing" in s)

    rollout = server.get_object("rollouts", NS, "app-backend")
    assert rollout is not None
    rollout["status"].update(phase="Degraded", message="RolloutAborted: Rollout aborted update to revision 2", abort=True)
    server.apply_change(rollout)
    term.wait_for(lambda s: "Status:          ✖ Degraded" in s)
    screen = term.screen()
    assert "Message:         RolloutAborted: Rollout aborted update to revision 2" in screen
    assert screen.splitlines()[0] == "Name:            app-backend"  # in place: the header did not scroll away


def test_tall_tree_folds_old_revisions_and_keeps_the_header(terminal, server: APIServer) -> None:
    term = terminal("get", "rollout", "app-backend", "-w", height=28)
    term.wait_for(lambda s: "revision:2" in s)
    screen = term.screen().splitlines()
    assert screen[0] == "Name:            app-backend"
    # The oldest revision folds; the analysis table stays at the bottom.
    assert screen[-4:-2] == ["… 1 more revision (6 lines)", ""]
    assert screen[-2].startswith("ANALYSISRUN") and screen[-1].startswith("app-backend-6d8f9c7b5-2  success-rate")
    assert not any("revision:1" in line for line in screen)
    term.resize(120, 40)  # SIGWINCH: the whole tree fits now
    term.wait_for(lambda s: "revision:1" in s and "… " not in s)
    assert term.screen().splitlines()[0] == "Name:            app-backend"


def test_survives_the_server_ending_streams_and_restarting(terminal, server: APIServer) -> None:
    term = terminal("watch", "app-backend")
    term.wait_for(lambda s: CANARY_POD in s)
    port = int(server.url.rsplit(":", 1)[1])  # type: ignore[union-attr]
    server.stop()  # ends every open watch stream, then refuses connections
    server.delete_object("pods", NS, CANARY_POD)  # a change made while the watch is down
    term.wait_for(lambda s: s.startswith("reconnecting: "))  # the view knows the server is gone
    server.start(port=port)
    term.wait_for(lambda s: CANARY_POD not in s)
    server.delete_object("pods", NS, STABLE_POD)  # and it keeps watching afterwards
    term.wait_for(lambda s: STABLE_POD not in s)


def test_a_status_line_says_while_the_view_cannot_reconnect(terminal, server: APIServer) -> None:
    # Once the view said nothing while the server was gone (issue 9 follow-up).
    term = terminal("watch", "app-backend")
    term.wait_for(lambda s: CANARY_POD in s)
    port = int(server.url.rsplit(":", 1)[1])  # type: ignore[union-attr]
    server.stop()
    term.wait_for(lambda s: s.startswith("reconnecting: cannot reach the Kubernetes API at http://127.0.0.1:"))
    assert CANARY_POD in term.screen()  # the last view stays below the line
    server.start(port=port)
    term.wait_for(lambda s: "reconnecting" not in s and s.startswith("Name:"))


def test_relists_after_410_without_losing_a_change(terminal, server: APIServer) -> None:
    term = terminal("watch", "app-backend")
    term.wait_for(lambda s: CANARY_POD in s)
    port = int(server.url.rsplit(":", 1)[1])  # type: ignore[union-attr]
    server.stop()
    # More changes than the server's event window (4) while disconnected: resuming from the
    # last seen resourceVersion gets 410 Expired, so the watch must list again.
    server.delete_object("pods", NS, CANARY_POD)
    for i in range(6):
        _patch_status(server, "analysisruns", "app-backend-6d8f9c7b5-2", message=f"tick {i}")
    server.start(port=port)
    term.wait_for(lambda s: CANARY_POD not in s)
    expired = [q for q in server.requests if q.path.endswith("/pods") and q.query.get("watch") != "true"]
    assert len(expired) >= 2, "pods were listed only once: no relist after 410"


def test_injected_watch_failures_are_retried(terminal, server: APIServer) -> None:
    term = terminal("watch", "app-backend")
    term.wait_for(lambda s: CANARY_POD in s)
    port = int(server.url.rsplit(":", 1)[1])  # type: ignore[union-attr]
    server.stop()
    pods = f"/api/v1/namespaces/{NS}/pods"
    server.fail_next("GET", pods, 410)  # the re-watch is told it is too old...
    server.fail_next("GET", pods, 500)  # ...and the relist fails once: back off, retry
    server.delete_object("pods", NS, CANARY_POD)
    server.start(port=port)
    term.wait_for(lambda s: CANARY_POD not in s)


def test_ctrl_c_restores_the_terminal_and_exits_130(terminal) -> None:
    term = terminal("watch", "app-backend")
    term.wait_for(lambda s: STABLE_POD in s)
    term.keys("C-c")
    term.wait_for(lambda s: "EXIT=130" in s)
    assert term.flag("alternate_on") == "0"
    assert term.flag("cursor_flag") == "1"
    screen = term.screen()
    assert "Traceback" not in screen and "Error" not in screen  # Ctrl-C is how a watch is left
    assert screen.splitlines()[-1] == "EXIT=130"  # the prompt's line follows the frame, the ^C closed
    assert "Name:            app-backend" in screen  # the last frame stays on the main screen


def test_sigterm_restores_the_terminal_and_exits_143(terminal) -> None:
    term = terminal("get", "rollout", "app-backend", "--watch")
    term.wait_for(lambda s: STABLE_POD in s)
    os.kill(term.cli_pid(), signal.SIGTERM)
    term.wait_for(lambda s: "EXIT=143" in s)
    assert term.flag("alternate_on") == "0"
    assert term.flag("cursor_flag") == "1"
    screen = term.screen()
    assert "Traceback" not in screen and "Error: interrupted by SIGTERM" in screen
    assert "Name:            app-backend" in screen  # the last frame stays on the main screen


def test_until_complete_exits_0_when_healthy(terminal, server: APIServer) -> None:
    term = terminal("watch", "app-backend", "--until-complete")
    term.wait_for(lambda s: STABLE_POD in s)
    _patch_status(server, "rollouts", "app-backend", phase="Healthy", message="")
    term.wait_for(lambda s: "EXIT=0" in s)
    assert "Status:          ✔ Healthy" in term.screen()


@pytest.mark.parametrize("state", ["connected", "reconnecting", "server down"])
def test_closing_the_terminal_ends_the_watch_in_every_state(terminal, server: APIServer, state: str) -> None:
    # The terminal goes away (tmux killed: the pty hangs up, SIGHUP and SIGCONT arrive
    # together) while the watch is idle and connected, while a stream is reconnecting (its
    # relist held back by the server), or while the server is down (every stream backing
    # off). The process must be gone within seconds: an idle view never writes, so no EIO
    # would ever end it otherwise.
    term = terminal("watch", "app-backend")
    term.wait_for(lambda s: CANARY_POD in s)
    pid = term.cli_pid()
    pods = f"/api/v1/namespaces/{NS}/pods"
    if state != "connected":
        port = int(server.url.rsplit(":", 1)[1])  # type: ignore[union-attr]
        server.stop()
        if state == "reconnecting":
            server.fail_next("GET", pods, 410)  # the re-watch must list again...
            server.inject("GET", pods, Fault.delay(60), times=None)  # ...and the list hangs
            server.start(port=port)
            deadline = time.monotonic() + 30
            while not any(q.path == pods and q.query.get("watch") != "true" and q.method == "GET"
                          for q in server.requests[-20:]):
                assert time.monotonic() < deadline, "the watch never listed again"
                time.sleep(0.05)
        else:
            term.wait_for(lambda s: s.startswith("reconnecting: "))  # every stream backing off
    # Stopped while the pty hangs up, the CLI finds SIGHUP waiting when the SIGCONT the
    # kernel sends after it wakes every thread at once: whichever thread runs first takes
    # it. (A hang-up does this by itself now and then; here it happens every time.)
    os.kill(pid, signal.SIGSTOP)
    while _state(pid) not in ("T", ""):
        time.sleep(0.01)
    term.kill_server()
    deadline = time.monotonic() + 30  # a hang guard: without the fix the CLI lived on for good
    while _alive(pid):
        assert time.monotonic() < deadline, f"the CLI (pid {pid}) outlived its terminal ({state})"
        time.sleep(0.05)


@pytest.mark.parametrize(("sig", "code", "words"), [(signal.SIGTERM, 143, "interrupted by SIGTERM"), (signal.SIGINT, 130, "interrupted")],
                         ids=["SIGTERM", "SIGINT"])
@pytest.mark.parametrize("view", ["get analysisrun -w", "analyze"])
def test_a_signal_restores_the_terminal_of_every_full_screen_view(terminal, slow_analysis, view: str, sig: int, code: int, words: str) -> None:
    args = ["get", "analysisrun", "app-backend-6d8f9c7b5-2", "-w"] if view != "analyze" else slow_analysis
    term = terminal(*args)
    term.wait_for(lambda s: "success-rate" in s and term.flag("alternate_on") == "1")
    os.kill(term.cli_pid(), sig)
    term.wait_for(lambda s: f"EXIT={code}" in s)
    assert term.flag("alternate_on") == "0"
    assert term.flag("cursor_flag") == "1"
    screen = term.screen()
    if view == "get analysisrun -w" and sig == signal.SIGINT:
        assert "Traceback" not in screen and "Error" not in screen  # Ctrl-C leaves a watch quietly
    else:
        assert "Traceback" not in screen and f"Error: {words}" in screen
    if view == "analyze":  # the table so far stays on the main screen, the line says how far it got
        assert 'Error: ' + words + ': analysis "success-rate" was Running: success-rate 1 measured (1 successful)' in screen


def test_sighup_restores_the_terminal_and_exits_129(terminal) -> None:
    # SIGHUP without the terminal going away (sent by hand, or by a multiplexer detaching).
    term = terminal("watch", "app-backend")
    term.wait_for(lambda s: STABLE_POD in s)
    os.kill(term.cli_pid(), signal.SIGHUP)
    term.wait_for(lambda s: "EXIT=129" in s)
    assert term.flag("alternate_on") == "0" and term.flag("cursor_flag") == "1"
    assert "Error: interrupted by SIGHUP" in term.screen()
