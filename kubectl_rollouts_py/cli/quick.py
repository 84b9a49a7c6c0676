"""The plainest `get rollout NAME` and `version`, run without click.

`get rollout NAME -n NS` is the command run most, and click costs it about a fifth of its
run on a slow machine: importing click, building the command tree, parsing kubectl's global
flags at three levels. When the arguments are exactly `get rollout|ro|rollouts NAME` with at
most one namespace (`-n NS`, `--namespace NS`, `-n=NS` or `--namespace=NS`) and at most one
output format (`-o`/`--output` text, json or yaml, in the same forms), before or after NAME,
cli/errors.run calls `get rollout`'s own code (cli/showing.py) with what click would have
handed it: the namespace as the global flag, every other option at its default. Any
other argument (another flag, -h, a second name, `--`, a value that starts with `-`) goes
through click as before. Both paths run the same functions, so what they print and how they
fail is the same (tests/unit/test_quick.py runs each accepted form both ways). `version` and
`version --short` alike: their text is made here, for cli/version.py too.

No click here, nor anything that imports it.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from kubectl_rollouts_py.cli.context import App

ROLLOUT_NAMES = ("rollout", "ro", "rollouts")  # the command and its aliases (cli/get.py)
NAMESPACE_FLAGS = ("-n", "--namespace")
OUTPUT_FLAGS = ("-o", "--output")
OUTPUTS = ("text", "json", "yaml")  # click.Choice of cli/options.output_option (case matters)


def quick_command(argv: Sequence[str]) -> Callable[[App], None] | None:
    """`get rollout NAME [-n NS] [-o FORMAT]` or `version [--short]` as a function of the run's App;
    None for anything else."""
    if list(argv) in (["version"], ["version", "--short"]):
        short = len(argv) == 2
        return lambda app: app.write(version_text(short))
    if len(argv) < 3 or argv[0] != "get" or argv[1] not in ROLLOUT_NAMES:
        return None
    name: str | None = None
    given: dict[tuple[str, ...], str] = {}
    rest = list(argv[2:])
    while rest:
        arg = rest.pop(0)
        flag, equals, value = arg.partition("=")
        flags = next((f for f in (NAMESPACE_FLAGS, OUTPUT_FLAGS) if flag in f), None)
        if flags is not None and flags not in given:
            if not equals:
                if not rest:
                    return None
                value = rest.pop(0)
            if not value or value.startswith("-") or (flags is OUTPUT_FLAGS and value not in OUTPUTS):
                return None
            given[flags] = value
        elif arg.startswith("-") or name is not None:
            return None
        else:
            name = arg
    if name is None:
        return None
    namespace, output = given.get(NAMESPACE_FLAGS), given.get(OUTPUT_FLAGS, "text")
    return lambda app: _get_rollout(app, name, namespace, output)


def _get_rollout(app: App, name: str, namespace: str | None, output: str) -> None:
    """What cli/get.py's get_rollout does with these arguments and no other flag."""
    from kubectl_rollouts_py.cli.showing import rollout_frame, show
    from kubectl_rollouts_py.kube import resources as r

    if namespace is not None:
        app.flags["namespace"] = namespace  # as the global flag's callback keeps it
    show(app, rollout_frame(app, "auto", None), r.ROLLOUTS, name, (), output, False, None, False)


_ARCH = {"x86_64": "amd64", "aarch64": "arm64", "arm64": "arm64", "amd64": "amd64"}


def version_text(short: bool) -> str:
    """What `version` prints (`--short`: the first line only)."""
    import platform
    import sys

    from kubectl_rollouts_py import __version__

    lines = [f"kubectl-rollouts_py: v{__version__}"]
    if not short:
        machine = platform.machine().lower()
        lines += [
            f"  PythonVersion: {platform.python_version()}",
            f"  Platform: {sys.platform}/{_ARCH.get(machine, machine)}",
        ]
    return "\n".join(lines) + "\n"
