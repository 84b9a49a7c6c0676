"""kubectl finds and runs the installed plugin (naming, exec, plugin list)."""

from __future__ import annotations

import re

from kubectl_rollouts_py import __version__


def test_plugin_list_shows_the_plugin_without_warnings(plugin_shell):
    result = plugin_shell.run(["plugin", "list"])

    assert result.returncode == 0, result.output
    assert str(plugin_shell.plugin_dir / "kubectl-rollouts_py") in result.stdout
    assert "warning" not in result.output.lower()


def test_kubectl_runs_the_plugin_version_command(plugin_shell):
    result = plugin_shell.run(["rollouts-py", "version"])

    assert result.returncode == 0, result.output
    assert result.stdout.splitlines()[0] == f"kubectl-rollouts_py: v{__version__}"


def test_the_underscore_spelling_reaches_the_same_plugin(plugin_shell):
    result = plugin_shell.run(["rollouts_py", "version", "--short"])

    assert result.returncode == 0, result.output
    assert result.stdout == f"kubectl-rollouts_py: v{__version__}\n"


def test_help_shows_the_plugin_as_users_type_it(plugin_shell):
    result = plugin_shell.run(["rollouts-py", "--help"])

    assert result.returncode == 0, result.output
    usage = result.stdout.splitlines()[0]
    assert re.match(r"Usage: kubectl rollouts-py\b", usage), usage


def test_an_unknown_command_is_a_usage_error_without_traceback(plugin_shell):
    result = plugin_shell.run(["rollouts-py", "no-such-command"])

    assert result.returncode == 2, result.output
    assert "Usage: kubectl rollouts-py" in result.stderr
    assert "no-such-command" in result.stderr
    assert "Traceback" not in result.output
