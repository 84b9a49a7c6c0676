"""The CLI run in-process with an injected Environment (tests/inprocess.py): the same output
as the installed program, and the terminal, variables and clock the test chose.

A few tests also run the installed `kubectl-rollouts_py` (tests/e2e/standin.py) to show
that the in-process run is not a different program.
"""

from __future__ import annotations

import datetime as dt
import os
import subprocess
import textwrap
from pathlib import Path

import pytest

from kubectl_rollouts_py import __version__
from tests.e2e.standin import cli_path
from tests.e2e.standin import run_cli as run_installed
from tests.inprocess import run_cli

ROOT = Path(__file__).resolve().parents[2]
EXAMPLE = str(ROOT / "examples" / "app-backend-canary.yaml")
GOLDEN = ROOT / "tests" / "golden" / "render_rollout"
# --analysis=none: the Argo plugin's tree alone (no Why: line), as the render_rollout golden files hold it.
GET = ("get", "rollout", "app-backend", "-n", "ithome", "--from-file", EXAMPLE, "--analysis=none")
# The example's objects are the scenario app-backend-canary-step1, whose clock is this.
SCENARIO_NOW = dt.datetime(2026, 3, 14, 12, 0, tzinfo=dt.timezone.utc)
ENVIRON = {"HOME": "/nonexistent", "KUBECONFIG": "/nonexistent"}
ESC = "\x1b"


def golden(name: str) -> str:
    return (GOLDEN / name).read_text().replace("\\e", ESC)


# -- the same program ----------------------------------------------------------------------


@pytest.mark.parametrize("output", [(), ("-o", "json"), ("-o", "yaml")], ids=["text", "json", "yaml"])
def test_get_rollout_from_a_file_writes_what_the_installed_cli_writes(output: tuple[str, ...]) -> None:
    argv = (*GET, *output)
    installed = run_installed(*argv, env=ENVIRON)
    inprocess = run_cli(argv, environ=ENVIRON)
    assert installed.code == 0, installed.err
    assert (inprocess.exit_code, inprocess.stdout, inprocess.stderr) == (installed.code, installed.out, installed.err)


@pytest.mark.parametrize(
    "argv",
    [
        ("version",),
        ("version", "--short"),
        ("--version",),
        ("--help",),
        ("get", "rollout", "--help"),
        ("get", "rollout"),  # usage error: exit 2
        ("get", "rollout", "app-backend", "--output", "xml"),  # usage error: exit 2
        ("get", "rollout", "nope", "-n", "ithome", "--from-file", EXAMPLE),  # not found: exit 1
        ("get", "rollout", "web"),  # no kubeconfig: exit 1
    ],
    ids=lambda argv: " ".join(a if a != EXAMPLE else "FILE" for a in argv),
)
def test_the_same_exit_code_and_streams_as_the_installed_cli(argv: tuple[str, ...]) -> None:
    installed = run_installed(*argv, env=ENVIRON)
    inprocess = run_cli(argv, environ=ENVIRON)
    assert (inprocess.exit_code, inprocess.stdout, inprocess.stderr) == (installed.code, installed.out, installed.err)


def test_a_usage_error_exits_2_with_click_s_usage_on_the_injected_stderr() -> None:
    result = run_cli(["get", "rollout"], environ=ENVIRON)
    assert result.exit_code == 2
    assert result.stdout == ""
    assert result.stderr.startswith("Usage: kubectl rollouts-py get rollout [OPTIONS] NAME\n")
    assert result.stderr.endswith("Error: Missing argument 'NAME'.\n")


def test_version_and_help_are_written_to_the_injected_stdout() -> None:
    version = run_cli(["version", "--short"])
    assert (version.exit_code, version.stdout, version.stderr) == (0, f"kubectl-rollouts_py: v{__version__}\n", "")
    assert run_cli(["--version"]).stdout == f"kubectl-rollouts_py: v{__version__}\n"
    full = run_cli(["version"]).stdout.splitlines()
    assert full[0] == f"kubectl-rollouts_py: v{__version__}"
    assert full[1].startswith("  PythonVersion: ") and full[2].startswith("  Platform: ")
    helped = run_cli(["-h"])
    assert helped.exit_code == 0 and helped.stdout.startswith("Usage: kubectl rollouts-py [OPTIONS] COMMAND")
    assert "--debug" in helped.stdout and "KUBECTL_ROLLOUTS_PY_DEBUG=1" in helped.stdout


# -- the terminal, the variables and the clock come from the Environment -----------------------


def test_the_clock_is_the_environment_s() -> None:
    result = run_cli(GET, environ=ENVIRON, now=SCENARIO_NOW)
    assert result.exit_code == 0, result.stderr
    assert result.stdout.startswith(golden("app-backend-canary-step1.txt"))


def test_colour_on_the_injected_terminal() -> None:
    result = run_cli(GET, environ=ENVIRON, now=SCENARIO_NOW, tty=True)
    assert result.exit_code == 0, result.stderr
    assert ESC in result.stdout
    assert result.stdout.startswith(golden("app-backend-canary-step1.ansi.txt"))


@pytest.mark.parametrize(
    ("environ", "flags", "tty"),
    [
        ({}, (), False),  # not a terminal
        ({"NO_COLOR": "1"}, (), True),  # NO_COLOR, any non-empty value
        ({"NO_COLOR": "0"}, (), True),
        ({"TERM": "dumb"}, (), True),
        ({}, ("--no-color",), True),
    ],
    ids=["pipe", "NO_COLOR=1", "NO_COLOR=0", "TERM=dumb", "--no-color"],
)
def test_no_colour_from_the_injected_facts(environ: dict[str, str], flags: tuple[str, ...], tty: bool) -> None:
    result = run_cli((*GET, *flags), environ={**ENVIRON, **environ}, now=SCENARIO_NOW, tty=tty)
    assert result.exit_code == 0, result.stderr
    assert ESC not in result.stdout
    assert result.stdout.startswith(golden("app-backend-canary-step1.txt"))


def test_an_empty_no_color_leaves_the_colour_on() -> None:
    # no-color.org: NO_COLOR counts when it is present *and not empty*.
    result = run_cli(GET, environ={**ENVIRON, "NO_COLOR": ""}, now=SCENARIO_NOW, tty=True)
    assert result.exit_code == 0, result.stderr
    assert result.stdout.startswith(golden("app-backend-canary-step1.ansi.txt"))


def test_the_kubeconfig_is_found_through_the_injected_variables(tmp_path: Path) -> None:
    missing = tmp_path / "no-such-kubeconfig"
    result = run_cli(["get", "rollout", "web"], environ={"HOME": str(tmp_path), "KUBECONFIG": str(missing)})
    assert result.exit_code == 1
    assert result.stdout == ""
    assert result.stderr.startswith("Error: no kubeconfig found") and str(missing) in result.stderr
    assert result.stderr.count("\n") == 1


def test_the_namespace_of_saved_objects_comes_from_the_injected_kubeconfig(tmp_path: Path) -> None:
    kubeconfig = tmp_path / "config"
    kubeconfig.write_text(textwrap.dedent("""\
        apiVersion: v1
        kind: Config
        clusters: [{name: c, cluster: {server: "https://127.0.0.1:1"}}]
        users: [{name: u, user: {token: t}}]
        contexts: [{name: x, context: {cluster: c, user: u, namespace: ithome}}]
        current-context: x
    """))
    result = run_cli(["get", "rollout", "app-backend", "--from-file", EXAMPLE, "--analysis=none"],
                     environ={"HOME": str(tmp_path), "KUBECONFIG": str(kubeconfig)}, now=SCENARIO_NOW)
    assert result.exit_code == 0, result.stderr
    assert result.stdout.startswith(golden("app-backend-canary-step1.txt"))


def test_stdin_is_the_environment_s() -> None:
    bad = "apiVersion: argoproj.io/v1alpha1\nkind: Rollout\nmetadata: {name: x}\nspec: {}\n"
    result = run_cli(["lint", "-f", "-"], stdin=bad, environ=ENVIRON)
    assert result.exit_code == 1
    assert result.stderr.startswith("Error: spec.selector: Required value")
    proc = subprocess.run([cli_path(), "lint", "-f", "-"], input=bad, capture_output=True, text=True, timeout=60,
                          env={**os.environ, **ENVIRON})
    assert (result.exit_code, result.stdout, result.stderr) == (proc.returncode, proc.stdout, proc.stderr)
    assert run_cli(["lint", "-f", "-"], stdin=Path(EXAMPLE).read_text(), environ=ENVIRON) == run_cli(["lint", "-f", EXAMPLE])


# -- --debug -----------------------------------------------------------------------------------


def broken_clock() -> dt.datetime:
    raise ZeroDivisionError("the clock broke")


def test_an_internal_error_is_one_line_by_default() -> None:
    result = run_cli(GET, environ=ENVIRON, now=broken_clock)
    assert result.exit_code == 1
    assert result.stdout == ""
    assert result.stderr == "Error: internal error: ZeroDivisionError: the clock broke (please report this)\n"


@pytest.mark.parametrize(("flags", "environ"), [(("--debug",), {}), ((), {"KUBECTL_ROLLOUTS_PY_DEBUG": "1"})],
                         ids=["--debug", "KUBECTL_ROLLOUTS_PY_DEBUG=1"])
def test_debug_prints_the_traceback_after_the_error_line(flags: tuple[str, ...], environ: dict[str, str]) -> None:
    result = run_cli((*GET, *flags), environ={**ENVIRON, **environ}, now=broken_clock)
    assert result.exit_code == 1
    lines = result.stderr.splitlines()
    assert lines[0] == "Error: internal error: ZeroDivisionError: the clock broke (please report this)"
    assert lines[1] == "Traceback (most recent call last):"
    assert any("broken_clock" in line for line in lines)
    assert lines[-1] == "ZeroDivisionError: the clock broke"


@pytest.mark.parametrize("value", ["0", "", "no"])
def test_other_values_of_the_debug_variable_keep_one_line(value: str) -> None:
    result = run_cli(GET, environ={**ENVIRON, "KUBECTL_ROLLOUTS_PY_DEBUG": value}, now=broken_clock)
    assert result.stderr.count("\n") == 1


def test_debug_does_not_change_ordinary_errors() -> None:
    argv = ("get", "rollout", "nope", "-n", "ithome", "--from-file", EXAMPLE)
    assert run_cli((*argv, "--debug"), environ=ENVIRON).stderr == 'Error: rollout.argoproj.io "nope" not found\n'


def installed_with_a_fault(tmp_path: Path, *args: str, environ: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    """The installed CLI, with `platform.python_version` (read by `version`) made to fail:
    a sitecustomize module on PYTHONPATH injects the fault before the program starts."""
    (tmp_path / "sitecustomize.py").write_text(textwrap.dedent("""\
        import platform

        def python_version():
            raise RuntimeError("injected fault")

        platform.python_version = python_version
    """))
    env = {k: v for k, v in os.environ.items() if k != "KUBECTL_ROLLOUTS_PY_DEBUG"}
    env.update({"PYTHONPATH": str(tmp_path), **(environ or {})})
    return subprocess.run([cli_path(), *args], capture_output=True, text=True, env=env, timeout=60,
                          stdin=subprocess.DEVNULL)


def test_the_installed_cli_prints_one_line_for_an_internal_error(tmp_path: Path) -> None:
    proc = installed_with_a_fault(tmp_path, "version")
    assert proc.returncode == 1
    assert proc.stderr == "Error: internal error: RuntimeError: injected fault (please report this)\n"


@pytest.mark.parametrize(("flags", "environ"), [(("--debug",), {}), ((), {"KUBECTL_ROLLOUTS_PY_DEBUG": "1"})],
                         ids=["--debug", "KUBECTL_ROLLOUTS_PY_DEBUG=1"])
def test_the_installed_cli_prints_the_traceback_with_debug(tmp_path: Path, flags: tuple[str, ...],
                                                            environ: dict[str, str]) -> None:
    proc = installed_with_a_fault(tmp_path, "version", *flags, environ=environ)
    assert proc.returncode == 1
    lines = proc.stderr.splitlines()
    assert lines[0] == "Error: internal error: RuntimeError: injected fault (please report this)"
    assert lines[1] == "Traceback (most recent call last):"
    assert any("kubectl_rollouts_py/cli/quick.py" in line for line in lines)  # version's text is made there
    assert lines[-1] == "RuntimeError: injected fault"


# -- flags as cobra reads them ----------------------------------------------------------------


@pytest.mark.parametrize("argv", [
    ("get", "rollout", "app-backend", "-n=ithome", "--from-file", EXAMPLE, "--analysis=none"),
    ("-n=ithome", "get", "rollout", "app-backend", "--from-file", EXAMPLE, "--analysis=none"),
    ("get", "rollout", "app-backend", "-n", "ithome", "-w=false", "--from-file", EXAMPLE, "--analysis=none"),
])
def test_short_options_also_take_an_equals_sign_as_kubectl_s_do(argv: tuple[str, ...]) -> None:
    plain = run_cli(list(GET), environ=ENVIRON, now=SCENARIO_NOW)
    result = run_cli(list(argv), environ=ENVIRON, now=SCENARIO_NOW)
    assert (result.exit_code, result.stderr) == (0, "")
    assert result.stdout == plain.stdout and "Namespace:       ithome" in plain.stdout


def test_an_equals_sign_after_it_stays_in_the_value() -> None:
    result = run_cli(["get", "rollout", "app-backend", "-n==ithome", "--from-file", EXAMPLE], environ=ENVIRON, now=SCENARIO_NOW)
    assert result.exit_code == 1 and 'rollout.argoproj.io "app-backend" not found' in result.stderr
