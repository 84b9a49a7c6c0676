"""The root's lazily loaded commands: the table in cli/app.py names where each command lives,
and the root's help, `version` and name completion import no command module."""

from __future__ import annotations

import subprocess
import sys

import click
import pytest

from kubectl_rollouts_py.cli import app


@pytest.mark.parametrize("name", sorted(app.COMMANDS))
def test_the_table_says_where_each_command_lives(name: str) -> None:
    # (What the root lists for it, the table's summary, is checked in tests/unit/test_help.py.)
    command = app.load(app.COMMANDS[name])
    assert command.name == name
    assert not command.hidden and not command.deprecated


def test_the_table_lists_every_command_the_modules_define() -> None:
    # Every click command defined at the top level of a cli/ module is in the table
    # (the groups' subcommands are reached through their group).
    import importlib
    import pkgutil

    import kubectl_rollouts_py.cli as cli_package

    listed = {(entry.modules[0], entry.attribute) for entry in app.COMMANDS.values()}
    subcommands = set()
    for entry in app.COMMANDS.values():
        command = app.load(entry)
        if isinstance(command, click.Group):
            subcommands.update(id(c) for c in command.commands.values())
    for info in pkgutil.iter_modules(cli_package.__path__):
        module = importlib.import_module(f"kubectl_rollouts_py.cli.{info.name}")
        for attribute, value in vars(module).items():
            if isinstance(value, click.Command) and value.__module__ == module.__name__ and value is not app.root \
                    and id(value) not in subcommands and getattr(value.callback, "__module__", "") == module.__name__:
                assert (module.__name__, attribute) in listed, f"{module.__name__}.{attribute} is not in cli/app.py's COMMANDS"


_IMPORTED = """
import sys
from kubectl_rollouts_py.cli import main
sys.argv = ["kubectl-rollouts_py", *{argv!r}]
try:
    main()
except SystemExit:
    pass
loaded = sorted(m for m in sys.modules if m.startswith("kubectl_rollouts_py.cli.") and m.rsplit(".", 1)[1] not in
                ("app", "errors", "options", "context", "version", "completion", "examples", "quick"))
sys.stderr.write("LOADED " + " ".join(loaded) + "\\n")
"""


@pytest.mark.parametrize("argv", [["--help"], ["version"], ["--version"]], ids=["help", "version", "--version"])
def test_the_root_help_and_version_import_no_command_module(argv: list[str]) -> None:
    done = subprocess.run([sys.executable, "-c", _IMPORTED.format(argv=argv)], capture_output=True, text=True, check=True)
    assert "LOADED \n" in done.stderr, done.stderr


def test_completing_command_names_imports_no_command_module() -> None:
    code = ("import sys\nfrom kubectl_rollouts_py.cli import completion\nout = completion.complete(['p'])\n"
            "assert out.startswith('pause\\t') and 'promote\\t' in out, out\n"
            "print(sorted(m for m in sys.modules if m.startswith('kubectl_rollouts_py.cli.')))")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert "mutate" not in done.stdout and "get" not in done.stdout.replace("'", " ").split(), done.stdout


def test_an_alias_of_a_lazy_command_loads_it() -> None:
    ctx = click.Context(app.root)
    assert app.root.get_command(ctx, "why") is app.load(app.COMMANDS["explain"])
