"""`kubectl_complete-rollouts_py`: shell completion for `kubectl rollouts-py ...`.

kubectl (1.26+) completes plugin arguments by running this executable with the words
typed after the plugin name, the last one being the word being completed, and expects
cobra's `__complete` answer: one candidate per line (`value<TAB>description`), then
`:<directive>`. click's own completion engine finds the candidates, so subcommands,
flags, choices and object names complete the same way as in click's shell scripts.
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from typing import Any

import click

from kubectl_rollouts_py.environment import Environment

# cobra ShellCompDirective values
DEFAULT = 0
NO_FILE_COMP = 4

# How long a name lookup may take in all, retries included (less if --request-timeout is
# given and shorter). The shell waits for the answer while the user waits for the prompt,
# so a slow or failing API server must cost a moment and no candidates, not the retry
# budget of a command (kubectl's own completion has a TODO to set 5 s; 2 s is plenty for
# a server that answers at all).
LOOKUP_SECONDS = 2.0


def complete_names(plural: str) -> Callable[[click.Context, click.Parameter, str], list[Any]]:
    """Shell completion of object names in the current namespace (never fails loudly)."""

    def complete(ctx: click.Context, param: click.Parameter, incomplete: str) -> list[Any]:
        import dataclasses

        from kubectl_rollouts_py.cli.context import App
        from kubectl_rollouts_py.kube import resources as r
        from kubectl_rollouts_py.kube import source as kube_source

        try:
            app = App.of(ctx)
            options = app.connection()
            budget = min(options.request_timeout or LOOKUP_SECONDS, LOOKUP_SECONDS)
            with kube_source.open_source(dataclasses.replace(options, request_timeout=budget), environ=app.env.environ) as source:
                items = source.list(r.BY_PLURAL[plural], source.namespace).items
        except Exception:  # completion must never print an error into the user's prompt
            return []
        names = sorted(str((i.get("metadata") or {}).get("name") or "") for i in items)
        return [click.shell_completion.CompletionItem(n) for n in names if n.startswith(incomplete)]

    return complete


def complete(words: list[str], env: Environment | None = None) -> str:
    """The cobra-protocol answer for `words` (the last one is the partial word); name
    lookups read the kubeconfig through `env` (default: this process's)."""
    from click.shell_completion import ShellComplete

    from kubectl_rollouts_py.cli.app import root
    from kubectl_rollouts_py.cli.context import App
    from kubectl_rollouts_py.render.escape import clean

    args, incomplete = (words[:-1], words[-1]) if words else ([], "")
    app = App(env=Environment.from_process() if env is None else env)
    completer = ShellComplete(root, {"obj": app}, "kubectl rollouts-py", "_KUBECTL_ROLLOUTS_PY_COMPLETE")
    lines = []
    directive = NO_FILE_COMP
    for item in completer.get_completions(args, incomplete):
        if item.type in ("file", "dir"):
            directive = DEFAULT  # let the shell complete paths
            continue
        help_text = f"\t{clean(item.help)}" if item.help else ""
        lines.append(clean(str(item.value)) + help_text)
    lines.append(f":{directive}")
    return "\n".join(lines) + "\n"


def main() -> None:
    from kubectl_rollouts_py.cli import fewer_collections

    fewer_collections()
    env = Environment.from_process()
    try:
        env.stdout.write(complete(sys.argv[1:], env))
    except Exception:  # a failing completion must not print into the user's prompt
        env.stdout.write(f":{NO_FILE_COMP}\n")
