"""The fault matrix, writing commands: every command that changes the cluster, under a
fault on its first write (WRITE_FAULTS) and, for the commands that read before they write,
under every read fault (matrix.READ_FAULTS). Through the installed CLI.

The contract checked for every cell:

* exit 0 with the change made, or exit 1 with exactly one `Error: ` line; never a traceback;
* an ambiguous write (answer cut, late, 5xx, not JSON) is never sent again: the command
  reads the object back and either finds the change (exit 0, one `Warning:` line saying
  so) or says in its one line that the change was not applied, and the object agrees;
* a read fault the command cannot get past leaves the cluster untouched: nothing written.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest
import yaml

from kubectl_rollouts_py.sandbox.apiserver import APIServer, Fault
from tests.e2e.standin import IMAGE, run_cli
from tests.faults import matrix
from tests.faults.matrix import EXPERIMENT, READ_FAULTS, RUN, TEMPLATE


def _image(ro: dict[str, Any] | None) -> str | None:
    return ro["spec"]["template"]["spec"]["containers"][0]["image"] if ro else None


def _status(obj: dict[str, Any] | None) -> dict[str, Any]:
    return (obj or {}).get("status") or {}


@dataclass(frozen=True)
class Command:
    args: tuple[str, ...]
    target: tuple[str, str]  # (plural, name) of the object the command changes
    changed: Callable[[dict[str, Any] | None], bool]  # the object shows the change
    reads_first: bool  # the command reads the cluster before its first write
    files: tuple[tuple[str, dict[str, Any]], ...] = ()  # (file name, object) written beside the kubeconfig


WRITE_COMMANDS: dict[str, Command] = {
    "promote": Command(("promote", "app-backend"), ("rollouts", "app-backend"),
                       lambda ro: "pauseConditions" not in _status(ro), True),
    "promote --full": Command(("promote", "app-backend", "--full"), ("rollouts", "app-backend"),
                              lambda ro: _status(ro).get("promoteFull") is True, True),
    "abort": Command(("abort", "app-backend"), ("rollouts", "app-backend"), lambda ro: _status(ro).get("abort") is True, False),
    "pause": Command(("pause", "app-backend"), ("rollouts", "app-backend"),
                     lambda ro: (ro or {})["spec"].get("paused") is True, False),
    "retry rollout": Command(("retry", "rollout", "app-backend"), ("rollouts", "app-backend"),
                             lambda ro: _status(ro).get("abort") is False, False),
    "restart": Command(("restart", "app-backend"), ("rollouts", "app-backend"),
                       lambda ro: bool((ro or {})["spec"].get("restartAt")), False),
    "set image": Command(("set", "image", "app-backend", f"app-backend={IMAGE}:3.0"), ("rollouts", "app-backend"),
                         lambda ro: _image(ro) == f"{IMAGE}:3.0", True),
    "undo": Command(("undo", "app-backend"), ("rollouts", "app-backend"), lambda ro: _image(ro) == f"{IMAGE}:1.0", True),
    "retry experiment": Command(("retry", "experiment", EXPERIMENT), ("experiments", EXPERIMENT),
                                lambda exp: exp is not None and "status" not in exp, False),
    "terminate experiment": Command(("terminate", "experiment", EXPERIMENT), ("experiments", EXPERIMENT),
                                    lambda exp: (exp or {})["spec"].get("terminate") is True, False),
    "terminate analysisrun": Command(("terminate", "analysisrun", RUN), ("analysisruns", RUN),
                                     lambda run: (run or {})["spec"].get("terminate") is True, False),
    "create -f": Command(("create", "-f", "{dir}/rollout.yaml"), ("rollouts", "app-frontend"),
                         lambda ro: ro is not None, False, (("rollout.yaml", matrix.new_rollout()),)),
    "create analysisrun": Command(("create", "analysisrun", "--from", TEMPLATE, "--name", "manual"), ("analysisruns", "manual"),
                                  lambda run: run is not None, True),
}


@dataclass(frozen=True)
class WriteFault:
    """A fault on the command's writes, and how the command must end: "applied" (exit 0,
    the change made), "not applied" or "unknown" (one line saying so; the object as before)."""

    fault: Fault
    outcome: str
    times: int | None = 1
    flags: tuple[str, ...] = ()
    read_back_fails: bool = False  # reading the object back answers 503 too


WRITE_FAULTS = {
    "429": WriteFault(Fault.error(429, retry_after=0.01), "applied"),  # sent before processing: retried
    # 500 and 503 take the same path (an unconfirmed write, never resent; test_read_retries
    # has both); "always" shows the write is sent once, not once per 5xx.
    "503-always": WriteFault(Fault.error(503), "not applied", None),
    # Applied, the answer late. 2 s, not 0.5: the read-back must be answered in time, and the
    # stand-ins share one process (and a loaded box) with every other cell.
    "late": WriteFault(Fault.delay(matrix.LATE), "applied", 1, ("--request-timeout=2s",)),
    # Applied, the answer sent a byte at a time: cut off at the deadline, then read back.
    "dripping": WriteFault(Fault.drip(matrix.DRIP), "applied", 1, ("--request-timeout=2s",)),
    "dropped-before": WriteFault(Fault.drop(after_processing=False), "not applied"),
    "dropped": WriteFault(Fault.drop(), "applied"),  # applied, answer cut mid-body
    "not-json": WriteFault(Fault.malformed(), "applied"),  # applied, answer not JSON
    "dropped-unreadable": WriteFault(Fault.drop(), "unknown", read_back_fails=True),
}

# Reads before the write: only the commands that read first meet them (the others: "—").
READING_COMMANDS = [name for name, command in WRITE_COMMANDS.items() if command.reads_first]



def _run(srv: APIServer, command: Command, flags: tuple[str, ...]):  # type: ignore[no-untyped-def]
    tmp = srv.tmp  # type: ignore[attr-defined]
    for file_name, obj in command.files:
        (tmp / file_name).write_text(yaml.safe_dump(obj))
    args = tuple(a.replace("{dir}", str(tmp)) for a in command.args)
    return run_cli(*flags, *args, kubeconfig=srv.kubeconfig)


def run_cell(name: str, command: str, fault: str | None = None):  # type: ignore[no-untyped-def]
    cmd = WRITE_COMMANDS[command]
    with matrix.cluster() as srv:
        before = matrix.get(srv, *cmd.target)
        flags: tuple[str, ...] = ()
        if name == "test_write_commands_under_write_faults":
            assert fault is not None
            column = WRITE_FAULTS[fault]
            for method in ("PATCH", "PUT", "POST"):
                srv.inject(method, "/apis/", column.fault, prefix=True, times=column.times)
            if column.read_back_fails:
                # Aimed at the read-back: the target's own path, after the command's first
                # read of it (commands that read the rollout first read it once).
                plural, target = cmd.target
                skip = 1 if cmd.reads_first and plural == "rollouts" else 0
                srv.inject("GET", f"{matrix.COLLECTIONS[plural]}/{target}", Fault.error(503, retry_after=0.01),
                           times=None, skip=skip)
            flags = column.flags
        else:
            assert fault is not None
            matrix.inject_reads(srv, READ_FAULTS[fault])
            flags = READ_FAULTS[fault].flags
        started = time.monotonic()
        result = _run(srv, cmd, flags)
        return (result, time.monotonic() - started, before, matrix.get(srv, *cmd.target), matrix.writes(srv),
                matrix.reads(srv), srv.fault_hits())


@pytest.mark.parametrize("fault", list(WRITE_FAULTS))
@pytest.mark.parametrize("command", list(WRITE_COMMANDS))
def test_write_commands_under_write_faults(batch, request, command: str, fault: str) -> None:
    result, seconds, before, after, sent, read, hits = batch.outcome(request)
    cmd, column = WRITE_COMMANDS[command], WRITE_FAULTS[fault]
    assert not cmd.changed(before)
    assert hits >= 1
    if fault == "429" and not cmd.reads_first:
        # Why these commands' read-fault cells are "—": they read nothing before the write
        # (and a 429 is retried, so nothing is read back either).
        assert read == [], read
    # Never sent again after an ambiguous failure; a clean 429 is retried (once, here).
    assert len(sent) == len(set(sent)) + (1 if fault == "429" else 0), sent
    if column.outcome == "applied":
        matrix.check(result, True)
        assert cmd.changed(after)
    elif column.outcome == "not applied":
        line = matrix.check(result, False, "did not confirm")
        assert "so the change was not applied" in line, line
        assert after == before
    else:  # the write was applied, but the command cannot know it and must not guess
        line = matrix.check(result, False, "did not confirm")
        assert "reading it back failed too" in line and "so whether the change was applied is unknown" in line, line
        assert cmd.changed(after)
    assert seconds < 60  # a hang guard


@pytest.mark.parametrize("fault", list(READ_FAULTS))
@pytest.mark.parametrize("command", READING_COMMANDS)
def test_write_commands_under_read_faults(batch, request, command: str, fault: str) -> None:
    result, seconds, before, after, sent, _, hits = batch.outcome(request)
    cmd, column = WRITE_COMMANDS[command], READ_FAULTS[fault]
    assert hits >= 1
    matrix.check(result, column.ok, column.error)
    if column.ok:
        assert cmd.changed(after)
        assert len(sent) == len(set(sent))
    else:
        assert sent == [] and after == before  # nothing half done
    assert seconds < 60  # a hang guard

