"""The fault matrix, watching commands: every command that follows the cluster through
watch streams, under the watch faults, through the installed CLI.

Columns: the stream of the watched object's kind is closed after one event, or its
connection cut in the middle of the next event; the next watch is answered with a 410
Expired event (the command must list again); a 410 and then a 503 on that re-list. For every cell the command shows its first frame, the faults are
met, then the object changes; the command must show the change (and, for the commands
that end on it, end with exit 0), with nothing on stderr and no traceback.
"""

from __future__ import annotations

import contextlib
import re
import signal
import subprocess
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import pytest
import yaml

from kubectl_rollouts_py.sandbox.apiserver import APIServer, Fault
from tests.e2e.standin import NS
from tests.faults import matrix
from tests.faults.matrix import COLLECTIONS, EXPERIMENT, RUN


def _healthy_rollout(srv: APIServer, name: str) -> None:
    rollout = srv.get_object("rollouts", NS, name)
    rollout["status"] = {**(rollout.get("status") or {}), "phase": "Healthy", "message": "", "stableRS": "6d8f9c7b5",
                         "currentPodHash": "6d8f9c7b5", "observedGeneration": str(rollout["metadata"].get("generation", 1)),
                         "pauseConditions": None}
    srv.apply_change(rollout)


def _phase(plural: str, name: str, phase: str) -> Callable[[APIServer], None]:
    def change(srv: APIServer) -> None:
        obj = srv.get_object(plural, NS, name)
        obj["status"] = {**(obj.get("status") or {}), "phase": phase}
        srv.apply_change(obj)

    return change


def _shown(pattern: str) -> Callable[[str], bool]:
    return lambda text: re.search(pattern, text, re.MULTILINE) is not None


@dataclass(frozen=True)
class Watcher:
    args: tuple[str, ...]
    target: tuple[str, str]  # (plural, name): the watched object, whose kind's stream meets the faults
    lists: int  # LISTs of that collection the command sends before any re-list
    first: Callable[[str], bool]  # the first frame is out
    change: Callable[[APIServer], None]  # the change made once the faults were met
    shown: Callable[[str], bool]  # the output shows the change
    ends: bool  # the command ends by itself once it has shown the change (else: Ctrl-C)
    files: tuple[tuple[str, dict[str, Any]], ...] = ()


HEALTHY_TREE = _shown(r"^Status:\s+✔ Healthy$")
WATCHERS: dict[str, Watcher] = {
    "status": Watcher(("status", "app-backend", "--timeout", "60s"), ("rollouts", "app-backend"), 0,
                      _shown("^Paused - CanaryPauseStep$"), lambda srv: _healthy_rollout(srv, "app-backend"),
                      _shown("^Healthy$"), True),
    "watch": Watcher(("watch", "app-backend", "--until-complete", "--timeout", "60s"), ("rollouts", "app-backend"), 1,
                     _shown("^Name: +app-backend$"), lambda srv: _healthy_rollout(srv, "app-backend"), HEALTHY_TREE, True),
    "get rollout -w": Watcher(("get", "rollout", "app-backend", "-w", "--until-complete", "--timeout", "60s"),
                              ("rollouts", "app-backend"), 1, _shown("^Name: +app-backend$"),
                              lambda srv: _healthy_rollout(srv, "app-backend"), HEALTHY_TREE, True),
    "get experiment -w": Watcher(("get", "experiment", EXPERIMENT, "-w"), ("experiments", EXPERIMENT), 1,
                                 _shown(f"^Name: +{EXPERIMENT}$"), _phase("experiments", EXPERIMENT, "Successful"),
                                 _shown(r"^Status:\s+✔ Successful$"), False),
    "get analysisrun -w": Watcher(("get", "analysisrun", RUN, "-w"), ("analysisruns", RUN), 1, _shown(f"^Name: +{RUN}$"),
                                  _phase("analysisruns", RUN, "Successful"), _shown(r"^Status:\s+✔ Successful$"), False),
    "list rollouts -w": Watcher(("list", "rollouts", "-w"), ("rollouts", "app-backend"), 1, _shown("^app-backend "),
                                lambda srv: _healthy_rollout(srv, "app-backend"), _shown(r"^app-backend .*Healthy"), False),
    "create -w": Watcher(("create", "-f", "{dir}/rollout.yaml", "-w"), ("rollouts", "app-frontend"), 1,
                         _shown("^Name: +app-frontend$"), lambda srv: _healthy_rollout(srv, "app-frontend"), HEALTHY_TREE,
                         False, (("rollout.yaml", matrix.new_rollout()),)),
}

WATCH_FAULTS = ("closed-after-1-event", "cut-mid-event-after-1", "410", "410-then-503-on-relist")
# The faults that end the stream after one event (which _touch provides).
AFTER_ONE_EVENT = {"closed-after-1-event": Fault.watch_close(events=1), "cut-mid-event-after-1": Fault.watch_drop(events=1)}



def _touch(srv: APIServer, plural: str, name: str) -> None:
    """A change nobody sees (a label): the one event after which the closing stream ends."""
    obj = srv.get_object(plural, NS, name)
    obj["metadata"].setdefault("labels", {})["touched"] = "1"
    srv.apply_change(obj)


def _wait(predicate: Callable[[], bool], timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise AssertionError(f"{what} did not happen within {timeout}s")
        time.sleep(0.05)


@contextlib.contextmanager
def _running(srv: APIServer, watcher: Watcher, flags: tuple[str, ...] = ()) -> Iterator[tuple[subprocess.Popen[str], Any, Any]]:
    """The installed CLI running `watcher` (its files written first) against `srv`."""
    tmp = srv.tmp  # type: ignore[attr-defined]
    for file_name, obj in watcher.files:
        (tmp / file_name).write_text(yaml.safe_dump(obj))
    args = [a.replace("{dir}", str(tmp)) for a in watcher.args]
    with matrix.running(srv, *flags, *args) as running:
        yield running


def run_cell(name: str, command: str, fault: str):  # type: ignore[no-untyped-def]
    if name == "test_a_server_turning_every_watch_away_is_not_hammered":
        return _turned_away(command, fault)
    if name in ("test_watching_commands_under_read_faults", "test_watching_commands_when_a_related_first_list_fails"):
        return _read_fault(name, command, fault)
    watcher = WATCHERS[command]
    plural, target = watcher.target
    path = COLLECTIONS[plural]
    with matrix.cluster() as srv:
        if fault in AFTER_ONE_EVENT:
            srv.inject("GET", path, AFTER_ONE_EVENT[fault])
        else:
            srv.inject("GET", path, Fault.watch_expired())
            if fault == "410-then-503-on-relist":
                srv.inject("GET", path, Fault.error(503), watch=False, skip=watcher.lists)
        expected_hits = 2 if fault == "410-then-503-on-relist" else 1
        with _running(srv, watcher) as (proc, out, err):
            out.wait_for(watcher.first, 30, "first frame")
            if fault in AFTER_ONE_EVENT:
                _touch(srv, plural, target)  # the one event before the stream ends
            _wait(lambda: srv.fault_hits() >= expected_hits, 30, f"{expected_hits} fault(s) met")
            if fault in AFTER_ONE_EVENT:
                _wait(lambda: _watches(srv, path) >= 2, 30, "a second watch")  # the first one ended
            watcher.change(srv)
            if watcher.ends:
                proc.wait(timeout=30)
            else:
                out.wait_for(watcher.shown, 30, "the change")
                proc.send_signal(signal.SIGINT)
                proc.wait(timeout=10)
        lists = sum(1 for r in srv.requests if r.method == "GET" and r.path == path and r.query.get("watch") not in ("true", "1"))
        return proc.returncode, out.text, err.text, srv.fault_hits(), lists


def _watches(srv: APIServer, path: str) -> int:
    return sum(1 for r in srv.requests if r.path == path and r.query.get("watch") in ("true", "1"))


@pytest.mark.parametrize("fault", WATCH_FAULTS)
@pytest.mark.parametrize("command", list(WATCHERS))
def test_watching_commands_follow_through_watch_faults(batch, request, command: str, fault: str) -> None:
    code, out, err, hits, lists = batch.outcome(request)
    watcher = WATCHERS[command]
    assert "Traceback" not in err, err
    assert watcher.shown(out), out
    if watcher.ends:
        assert (code, err) == (0, ""), (code, err)
    else:  # left with Ctrl-C once the change was shown: exit 130, no Error line
        assert code == 130, (code, err)
        assert err == "", err
    assert hits == (2 if fault == "410-then-503-on-relist" else 1)
    if fault not in AFTER_ONE_EVENT:
        # the 410 made it list again (and after a 503, once more)
        assert lists >= watcher.lists + hits, lists


TURNED_AWAY = {"closed-at-once-always": Fault.watch_close(events=0), "410-always": Fault.watch_expired()}
TURNED_AWAY_SECONDS = 2.0


def _turned_away(command: str, fault: str):  # type: ignore[no-untyped-def]
    watcher = WATCHERS[command]
    path = COLLECTIONS[watcher.target[0]]
    with matrix.cluster() as srv:
        srv.inject("GET", path, TURNED_AWAY[fault], times=None)
        with _running(srv, watcher) as (proc, out, err):
            out.wait_for(watcher.first, 30, "first frame")
            _wait(lambda: _watches(srv, path) >= 1, 30, "a first watch")
            before = _watches(srv, path)
            time.sleep(TURNED_AWAY_SECONDS)  # a window to count in, not a wait for something
            watches = _watches(srv, path) - before
            # It keeps trying: another watch comes, however slow the box (a bound on a failure only).
            _wait(lambda: _watches(srv, path) > before, 30, "another watch")
            proc.send_signal(signal.SIGINT)
            proc.wait(timeout=10)
        return proc.returncode, out.text, err.text, watches


@pytest.mark.parametrize("fault", list(TURNED_AWAY))
@pytest.mark.parametrize("command", list(WATCHERS))
def test_a_server_turning_every_watch_away_is_not_hammered(batch, request, command: str, fault: str) -> None:
    # Every watch ends at once, empty, or with 410: the command keeps trying, backing off
    # (0.5 s doubling) after the first such end, as client-go does; it does not reconnect
    # hundreds of times a second. Ctrl-C still ends it at once (exit 130, no Error line).
    code, out, err, watches = batch.outcome(request)
    assert code == 130 and err == "", (code, err)
    assert WATCHERS[command].first(out), out
    # In the 2 s after the first: about 3 (at once, +0.5 s, +1 s); without the backoff, hundreds.
    # A busy box only makes it fewer, so there is no lower bound here: that it keeps trying
    # is waited for above.
    assert watches <= 12, watches


# -- the reads before the first frame


# A collection a view's stream lists first (a kind it shows beside its object, or for
# `get analysisrun -w` its own), whose first list fails in the last test below. `status`
# and `list rollouts -w` start their one stream from the read they printed: no such list.
RELATED_LIST = {
    "watch": f"/api/v1/namespaces/{NS}/pods",
    "get rollout -w": f"/apis/apps/v1/namespaces/{NS}/replicasets",
    "get experiment -w": f"/apis/argoproj.io/v1alpha1/namespaces/{NS}/analysisruns",
    "get analysisrun -w": COLLECTIONS["analysisruns"],
    "create -w": f"/api/v1/namespaces/{NS}/pods",
}
RELATED_FAULTS = {"503-always": matrix.READ_FAULTS["503-always"], "not-json": matrix.READ_FAULTS["not-json"]}


def _read_fault(name: str, command: str, fault: str):  # type: ignore[no-untyped-def]
    watcher = WATCHERS[command]
    with matrix.cluster() as srv:
        if name == "test_watching_commands_under_read_faults":
            column = matrix.READ_FAULTS[fault]
            matrix.inject_reads(srv, column)
        else:
            column = RELATED_FAULTS[fault]
            srv.inject("GET", RELATED_LIST[command], column.fault, times=column.times, watch=False)
        started = time.monotonic()
        with _running(srv, watcher, column.flags) as (proc, out, err):
            deadline = time.monotonic() + 60
            # Either the first frame comes (then Ctrl-C), or the command ends by itself.
            while proc.poll() is None and not watcher.first(out.text):
                assert time.monotonic() < deadline, f"neither a frame nor an end within 60s: {out.text!r} {err.text!r}"
                time.sleep(0.05)
            if proc.poll() is None:
                proc.send_signal(signal.SIGINT)
            proc.wait(timeout=30)
        return proc.returncode, out.text, err.text, time.monotonic() - started, matrix.writes(srv), srv.fault_hits()


@pytest.mark.parametrize("fault", list(matrix.READ_FAULTS))
@pytest.mark.parametrize("command", list(WATCHERS))
def test_watching_commands_under_read_faults(batch, request, command: str, fault: str) -> None:
    # The reads before the first frame (the object, then each stream's list) under every
    # read fault: as for the plain reads, retried into a first frame, or one `Error:` line.
    code, out, err, seconds, sent, hits = batch.outcome(request)
    column = matrix.READ_FAULTS[fault]
    assert hits >= 1
    assert "Traceback" not in err, err
    if column.ok:
        assert WATCHERS[command].first(out), out
        assert code == 130 and err == "", (code, err)  # left with Ctrl-C: no Error line
    else:
        assert code == 1, (code, out, err)
        lines = err.splitlines()
        assert len(lines) == 1 and lines[0].startswith("Error: ") and column.error in lines[0], err
        if command != "create -w":  # it created the rollout before it started to watch
            assert sent == []
    assert seconds < 60  # a hang guard


@pytest.mark.parametrize("fault", list(RELATED_FAULTS))
@pytest.mark.parametrize("command", list(RELATED_LIST))
def test_watching_commands_when_a_related_first_list_fails(batch, request, command: str, fault: str) -> None:
    # The view also lists the kinds it shows beside its object (ReplicaSets, pods, runs),
    # each in its own stream. When one of those first lists fails for good, the command
    # says so and ends, as `get rollout` without -w does; it used to wait with nothing on
    # the screen and nothing said (and with --timeout, exit 0).
    code, out, err, seconds, _, hits = batch.outcome(request)
    assert hits >= 1
    assert "Traceback" not in err, err
    assert code == 1, (code, out, err)
    lines = err.splitlines()
    assert len(lines) == 1 and lines[0].startswith("Error: ") and RELATED_FAULTS[fault].error in lines[0], err
    assert not WATCHERS[command].first(out), out
    assert seconds < 60  # a hang guard
