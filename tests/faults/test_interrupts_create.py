"""Ctrl-C (SIGINT) and SIGTERM in the middle of `create -f A -f B -f C`, sent to the installed CLI.

The stand-in API server holds back the answer to the second object's POST (Fault.delay: the
object is created, the answer waits); the signal comes while the CLI waits for it. The one
`Error:` line says what became of that object (kube.apply reads it back), which objects
were created before it and which were never sent, and the server holds exactly those.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from kubectl_rollouts_py.sandbox.apiserver import APIServer, Fault
from tests.e2e.standin import NS, app_backend_objects
from tests.faults.test_interrupts import CODES, SIGNALS, _interrupt, _one_error_line

GROUP = f"/apis/argoproj.io/v1alpha1/namespaces/{NS}"


def _rollout(name: str) -> dict:
    rollout = app_backend_objects()[0]
    rollout["metadata"] = {"name": name}
    rollout.pop("status", None)
    return rollout


TEMPLATE = {"apiVersion": "argoproj.io/v1alpha1", "kind": "AnalysisTemplate", "metadata": {"name": "success-rate"},
            "spec": {"metrics": [{"name": "m", "provider": {"prometheus": {"address": "http://prometheus:9090", "query": "up"}}}]}}


@pytest.fixture()
def server(tmp_path: Path) -> Iterator[APIServer]:
    with APIServer() as srv:
        srv.kubeconfig = tmp_path / "kubeconfig"  # type: ignore[attr-defined]
        srv.write_kubeconfig(srv.kubeconfig, namespace=NS)  # type: ignore[attr-defined]
        yield srv


def _files(tmp_path: Path, *objects: dict) -> list[str]:
    args = []
    for index, obj in enumerate(objects):
        path = tmp_path / f"{index}.json"
        path.write_text(json.dumps(obj))
        args += ["-f", str(path)]
    return args


@SIGNALS
def test_create_of_three_files_interrupted_on_the_second(server: APIServer, tmp_path: Path, sig: int) -> None:
    server.inject("POST", f"{GROUP}/analysistemplates", Fault.delay(30))
    files = _files(tmp_path, _rollout("web-a"), TEMPLATE, _rollout("web-c"))
    code, out, err = _interrupt(server, ["create", *files], sig,
                                lambda: server.get_object("analysistemplates", NS, "success-rate") is not None)
    line = _one_error_line(code, err, sig)
    assert line == (f"Error: {CODES[sig][1]}: analysistemplate.argoproj.io/success-rate: applied: POST {GROUP}/analysistemplates "
                    "(not confirmed; reading it back shows the spec as sent); created: rollout.argoproj.io/web-a; "
                    "not created: rollout.argoproj.io/web-c")
    assert out == "rollout.argoproj.io/web-a created\n"
    assert server.get_object("rollouts", NS, "web-a") is not None
    assert server.get_object("rollouts", NS, "web-c") is None
    assert not [q for q in server.requests if q.method == "POST" and q.path == f"{GROUP}/rollouts" and b"web-c" in q.body]


@SIGNALS
def test_create_interrupted_on_the_first_of_two_created_nothing_before_it(server: APIServer, tmp_path: Path, sig: int) -> None:
    server.inject("POST", f"{GROUP}/rollouts", Fault.delay(30))
    files = _files(tmp_path, _rollout("web-a"), TEMPLATE)
    code, out, err = _interrupt(server, ["create", *files], sig, lambda: server.get_object("rollouts", NS, "web-a") is not None)
    line = _one_error_line(code, err, sig)
    assert line == (f"Error: {CODES[sig][1]}: rollout.argoproj.io/web-a: applied: POST {GROUP}/rollouts "
                    "(not confirmed; reading it back shows the spec as sent); not created: analysistemplate.argoproj.io/success-rate")
    assert out == ""
    assert server.get_object("analysistemplates", NS, "success-rate") is None


@SIGNALS
def test_create_analysisrun_interrupted_on_its_post(server: APIServer, sig: int) -> None:
    server.seed([{**TEMPLATE, "metadata": {"name": "success-rate", "namespace": NS}}])
    server.inject("POST", f"{GROUP}/analysisruns", Fault.delay(30))
    code, out, err = _interrupt(server, ["create", "analysisrun", "--from", "success-rate", "--name", "manual"], sig,
                                lambda: server.get_object("analysisruns", NS, "manual") is not None)
    line = _one_error_line(code, err, sig)
    assert line == (f"Error: {CODES[sig][1]}: analysisrun.argoproj.io/manual: applied: POST {GROUP}/analysisruns "
                    "(not confirmed; reading it back shows the spec as sent)")
    assert out == ""
