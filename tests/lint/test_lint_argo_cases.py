"""The Argo Rollouts kubectl plugin's own lint suite, run through the installed CLI.

The cases in cases/argo/ are written from the plugin's test data
(argoproj/argo-rollouts pkg/kubectl-argo-rollouts/cmd/lint/testdata/, file names kept) and
the expectations from its lint_test.go (TestLintValidRollout, TestLintInvalidRollout):
valid files print nothing and exit 0; invalid files exit 1 with exactly one stderr line.

One difference in wording is deliberate: for maxSurge the plugin's older releases printed
the Go value `intstr.IntOrString{Type:0, IntVal:0, StrVal:""}`; current ones print it as
`0`, which is what is expected here.
"""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

CASES = Path(__file__).parent / "cases" / "argo"
CLI = "kubectl-rollouts_py"

VALID = [
    "valid.yml",
    "valid.json",
    "valid-workload-ref.yaml",
    "valid-with-another-empty-object.yml",
    "valid-istio-v1alpha3.yml",
    "valid-istio-v1beta1.yml",
    "valid-blue-green.yml",
    "valid-ingress-smi.yml",
    "valid-ingress-smi-multi.yml",
    "valid-alb-canary.yml",
    "valid-nginx-canary.yml",
    "valid-nginx-basic-canary.yml",
    "valid-istio-v1beta1-mulitiple-virtualsvcs.yml",
    "valid-nginx-smi-with-vsvc.yaml",
]

_MAX_SURGE = "Error: spec.strategy.maxSurge: Invalid value: 0: MaxSurge and MaxUnavailable both can not be zero\n"
INVALID = {
    "invalid.yml": _MAX_SURGE,
    "invalid-empty-rollout-vsvc.yml": "Error: spec.selector: Required value: Rollout has missing field '.spec.selector'\n",
    "invalid.json": _MAX_SURGE,
    "invalid-multiple-docs.yml": _MAX_SURGE,
    "invalid-unknown-field.yml": 'Error: error unmarshaling JSON: while decoding JSON: json: unknown field "unknown-strategy"\n',
    "invalid-service-labels.yml": 'Error: spec.strategy.canary.canaryService: Invalid value: "istio-host-split-canary": '
    'Service "istio-host-split-canary" has unmatch label "app" in rollout\n',
    "invalid-ping-pong.yml": 'Error: spec.strategy.canary.pingPong.pingService: Invalid value: "ping-service": '
    'Service "ping-service" has unmatch label "app" in rollout\n',
    "invalid-ingress-smi-multi.yml": 'Error: spec.strategy.canary.canaryService: Invalid value: "rollout-smi-experiment-canary": '
    'Service "rollout-smi-experiment-canary" has unmatch label "app" in rollout\n',
    "invalid-nginx-canary.yml": "Error: spec.strategy.steps[1].experiment.templates[0].weight: Invalid value: 20: "
    "Experiment template weight is only available for TrafficRouting with SMI, ALB, and Istio at this time\n",
}


def lint(*args: str, stdin: bytes | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run([CLI, "lint", *args], input=stdin.decode() if stdin is not None else None,
                          capture_output=True, text=True, timeout=60, check=False)


def test_every_case_file_is_used() -> None:
    assert sorted(p.name for p in CASES.iterdir()) == sorted([*VALID, *INVALID])


@pytest.mark.parametrize("name", VALID)
def test_valid_file_prints_nothing(name: str) -> None:
    result = lint("-f", str(CASES / name))
    assert (result.returncode, result.stdout, result.stderr) == (0, "", "")


@pytest.mark.parametrize("name", sorted(INVALID))
def test_invalid_file_gives_the_plugins_error_line(name: str) -> None:
    result = lint("-f", str(CASES / name))
    assert result.returncode == 1
    assert result.stderr == INVALID[name]
    # Each problem's body goes to stdout (the plugin prints them with fmt.Println), the first
    # of them being the Error line's; a decoding error stops before any.
    first = INVALID[name].removeprefix("Error: ")
    if "unmarshaling" in first:
        assert result.stdout == ""
    else:
        assert first.endswith(result.stdout.splitlines()[0] + "\n")


def test_the_whole_suite_in_one_run_reports_the_first_invalid_file() -> None:
    # Several -f files are linted together, in order: the first problem is the Error line.
    result = lint("-f", str(CASES / "valid.yml"), "-f", str(CASES / "invalid-nginx-canary.yml"), "-f", str(CASES / "invalid.yml"))
    assert result.returncode == 1
    assert result.stderr == INVALID["invalid-nginx-canary.yml"]
    assert len(result.stdout.splitlines()) == 2


def test_stdin() -> None:
    data = (CASES / "invalid.yml").read_bytes()
    result = lint("-f", "-", stdin=data)
    assert (result.returncode, result.stderr) == (1, _MAX_SURGE)
