"""The fault matrix, shell completion: `kubectl_complete-rollouts_py` looks object names up
in the cluster; under every read fault it must answer the shell (cobra's `__complete`
protocol: candidates, then `:4`) and exit 0, with nothing on stderr, in a moment.

kubectl runs the helper with the words typed after `kubectl rollouts-py`, puts its stdout
into the shell's completion and its stderr on the terminal, and treats a non-zero exit as
"no plugin completion" (the shell then offers file names). So an API server that fails or
is slow must give no candidates quickly: exit 0, `:4` alone, stderr empty.
"""

from __future__ import annotations

import dataclasses
import os
import subprocess
import time
from pathlib import Path

import pytest

from kubectl_rollouts_py.cli.completion import LOOKUP_SECONDS
from kubectl_rollouts_py.sandbox.apiserver import Fault
from tests.e2e.standin import cli_path
from tests.faults import matrix
from tests.faults.matrix import READ_FAULTS, RUN
from tests.kubectl_support import find_kubectl

# (words after the plugin name, the candidates the healthy cluster gives, transport)
COMPLETIONS = {
    "get rollout <TAB>": (("get", "rollout", ""), ["app-backend"], "http.client"),
    "get rollout <TAB> (exec-plugin credentials)": (("get", "rollout", ""), ["app-backend"], "kubernetes"),
    "terminate analysisrun <TAB>": (("terminate", "analysisrun", ""), [RUN], "http.client"),
}

# The read faults, without --request-timeout: a user pressing TAB gives none. "late" holds
# the answer back a minute, so a lookup that waited for it could not pass for a quick one.
FAULTS = {name: column.fault for name, column in READ_FAULTS.items()}
FAULTS["late"] = Fault.delay(60)


def helper() -> str:
    return str(Path(cli_path()).with_name("kubectl_complete-rollouts_py"))



def run_cell(name: str, fault: str, completion: str = ""):  # type: ignore[no-untyped-def]
    if name == "test_kubectl_completion_through_the_plugin_under_faults":
        return _through_kubectl(fault)
    words, _, transport = COMPLETIONS[completion]
    with matrix.cluster(transport=transport) as srv:
        matrix.inject_reads(srv, dataclasses.replace(READ_FAULTS[fault], fault=FAULTS[fault]))
        env = {k: v for k, v in os.environ.items() if k != "KUBECONFIG"}
        env["KUBECONFIG"] = str(srv.kubeconfig)  # type: ignore[attr-defined]
        started = time.monotonic()
        done = subprocess.run([helper(), *words], capture_output=True, text=True, env=env, timeout=90, stdin=subprocess.DEVNULL)
        return done, time.monotonic() - started, srv.fault_hits()


@pytest.mark.parametrize("fault", list(FAULTS))
@pytest.mark.parametrize("completion", list(COMPLETIONS))
def test_completion_under_faults(batch, request, completion: str, fault: str) -> None:
    done, seconds, hits = batch.outcome(request)
    _, candidates, _ = COMPLETIONS[completion]
    assert hits >= 1
    assert (done.returncode, done.stderr) == (0, ""), done
    expected = candidates if READ_FAULTS[fault].ok else []
    assert done.stdout.splitlines() == [*expected, ":4"], done.stdout
    # The lookup's budget is LOOKUP_SECONDS (2 s), retries included; the bound is a hang
    # guard with room for a loaded machine, far below the minute "late" holds answers.
    assert seconds < 10 * LOOKUP_SECONDS, seconds


def _through_kubectl(fault: str):  # type: ignore[no-untyped-def]
    kubectl = find_kubectl()
    assert kubectl is not None, "kubectl is needed (a missing binary is a failure, not a skip)"
    with matrix.cluster() as srv:
        tmp = srv.tmp  # type: ignore[attr-defined]
        bindir = tmp / "bin"
        bindir.mkdir()
        (bindir / "kubectl_complete-rollouts_py").symlink_to(helper())
        (bindir / "kubectl-rollouts_py").symlink_to(cli_path())
        matrix.inject_reads(srv, dataclasses.replace(READ_FAULTS[fault], fault=FAULTS[fault]))
        env = {"PATH": f"{bindir}:{os.path.dirname(kubectl)}:/usr/bin:/bin", "HOME": str(tmp),
               "KUBECONFIG": str(srv.kubeconfig)}  # type: ignore[attr-defined]
        started = time.monotonic()
        done = subprocess.run([kubectl, "__complete", "rollouts-py", "get", "rollout", ""], capture_output=True, text=True,
                              env=env, timeout=90)
        return done, time.monotonic() - started


@pytest.mark.parametrize("fault", list(FAULTS))
def test_kubectl_completion_through_the_plugin_under_faults(batch, request, fault: str) -> None:
    # What the shell gets from kubectl itself: the names or none, no error words, no file names.
    done, seconds = batch.outcome(request)
    assert done.returncode == 0, done
    assert done.stdout.splitlines() == [*(["app-backend"] if READ_FAULTS[fault].ok else []), ":4"], done.stdout
    assert "rror" not in done.stderr and "rror" not in done.stdout, done.stderr
    assert seconds < 10 * LOOKUP_SECONDS
