"""cli.errors.leaving_on_ctrl_c: which interrupts leave quietly (exit 130, no Error line) and
which keep their line, run in-process through the CLI's own edge (cli.errors.run)."""

from __future__ import annotations

import io
import signal

import click
import pytest

from kubectl_rollouts_py import errors
from kubectl_rollouts_py.cli.errors import LeftWithCtrlC, _run, leaving_on_ctrl_c
from kubectl_rollouts_py.environment import Environment


def _env(stderr_tty: bool = False) -> Environment:
    return Environment(stdin=io.StringIO(), stdout=io.StringIO(), stderr=io.StringIO(), stderr_isatty=stderr_tty)


@pytest.mark.parametrize("raised", [KeyboardInterrupt(), errors.Interrupted(signal.SIGINT)], ids=["SIGINT", "Interrupted(SIGINT)"])
def test_a_plain_ctrl_c_leaves_quietly(raised: BaseException) -> None:
    with pytest.raises(LeftWithCtrlC):
        with leaving_on_ctrl_c(_env()):
            raise raised


@pytest.mark.parametrize("raised", [errors.Interrupted(signal.SIGTERM), errors.Interrupted(signal.SIGHUP),
                                    errors.Interrupted(signal.SIGINT, "rollout 'app-backend': nothing was sent")],
                         ids=["SIGTERM", "SIGHUP", "a write's report"])
def test_other_interrupts_keep_their_error_line(raised: BaseException) -> None:
    with pytest.raises(errors.Interrupted):
        with leaving_on_ctrl_c(_env()):
            raise raised


@pytest.mark.parametrize(("tty", "stderr"), [(False, ""), (True, "\n")], ids=["pipe", "terminal"])
def test_the_edge_exits_130_with_nothing_but_a_newline_on_a_terminal(monkeypatch: pytest.MonkeyPatch, tty: bool, stderr: str) -> None:
    from kubectl_rollouts_py.cli import app as cli_app
    from kubectl_rollouts_py.cli.context import App

    @click.command()
    def leaving() -> None:
        with leaving_on_ctrl_c(env):
            raise KeyboardInterrupt

    env = _env(stderr_tty=tty)
    monkeypatch.setattr(cli_app, "root", leaving)
    assert _run([], "kubectl rollouts-py", App(env=env)) == 130
    assert env.stderr.getvalue() == stderr  # type: ignore[attr-defined]
