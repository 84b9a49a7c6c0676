"""Shared flags: kubectl's global flags (accepted anywhere after the plugin name), `-o`,
`--from-file`, and click classes that behave like the Argo Rollouts kubectl plugin's cobra commands."""

from __future__ import annotations

import sys
from collections.abc import Callable
from typing import Any

import click

GLOBALS_KEY = "rollouts_py.globals"

_TRUE = {"1", "t", "T", "TRUE", "true", "True"}
_FALSE = {"0", "f", "F", "FALSE", "false", "False"}


def _store_global(ctx: click.Context, param: click.Parameter, value: Any) -> Any:
    """Remember a global flag given on any command; a later (deeper) command wins."""
    # Not given: the value is None (or an empty tuple), and click reports no source or
    # DEFAULT. It must not overwrite what an outer command level was given.
    source = ctx.get_parameter_source(param.name or "")
    if value is None or (param.multiple and not value) or (source is not None and source.name == "DEFAULT"):
        return value
    store = global_flags(ctx)
    if param.multiple:
        store[param.name] = tuple(store.get(param.name, ())) + tuple(value)
    else:
        store[param.name] = value
    return value


def global_flags(ctx: click.Context) -> dict[str, Any]:
    """The global flags given so far in this run: kept by the root context's object (the
    App that cli/errors.run made, so that it sees --debug after the command), else in the
    root context's meta (a command run without run(), as shell completion does)."""
    root = ctx.find_root()
    flags = getattr(root.obj, "flags", None)
    if isinstance(flags, dict):
        return flags
    store: dict[str, Any] = root.meta.setdefault(GLOBALS_KEY, {})
    return store


class _Level(click.ParamType):
    """kubectl's -v level: an integer, also written `-v=6` as kubectl's flag parser takes it."""

    name = "integer"

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> int:
        if isinstance(value, int):
            return value
        text = str(value)
        digits = text[1:] if text.startswith("=") else text
        if not digits.lstrip("-").isdigit() or not digits.isascii():
            self.fail(f"{text!r} is not a valid integer.", param, ctx)
        return int(digits)


def _global(*decls: str, **kwargs: Any) -> tuple[tuple[str, ...], dict[str, Any]]:
    return decls, kwargs


GLOBAL_OPTIONS = [
    _global("-n", "--namespace", metavar="NS", help="Namespace (default: from the kubeconfig context)."),
    _global("--kubeconfig", metavar="PATH", help="Path to the kubeconfig file (default: $KUBECONFIG, ~/.kube/config)."),
    _global("--context", metavar="NAME", help="The kubeconfig context to use."),
    _global("--cluster", metavar="NAME", help="The kubeconfig cluster to use."),
    _global("--user", metavar="NAME", help="The kubeconfig user to use."),
    _global("-s", "--server", metavar="URL", help="The address of the Kubernetes API server."),
    _global("--token", metavar="TOKEN", help="Bearer token for authentication to the API server."),
    _global("--insecure-skip-tls-verify", is_flag=True, default=None, help="Do not check the server's certificate."),
    _global("--certificate-authority", metavar="PATH", help="Path to a CA certificate file."),
    _global("--client-certificate", metavar="PATH", help="Path to a client certificate file for TLS."),
    _global("--client-key", metavar="PATH", help="Path to a client key file for TLS."),
    _global("--tls-server-name", metavar="NAME",
            help="Server name to check the server's certificate against, and send in SNI "
                 "(default: the server's host name)."),
    _global("--request-timeout", metavar="DURATION", help="Per-request timeout, e.g. 5s, 1m; 0 means none."),
    _global("--as", "as_user", metavar="USER", help="Username to impersonate."),
    _global("--as-group", multiple=True, metavar="GROUP", help="Group to impersonate (repeatable)."),
    _global("--as-uid", metavar="UID", help="UID to impersonate."),
    _global("--cache-dir", metavar="DIR",
            help="Directory of the kubeconfig cache (default: $XDG_CACHE_HOME, else ~/.cache)."),
    _global("-v", "--v", "--loglevel", "verbosity", type=_Level(), metavar="N",
            help="Log level: 6 logs each API request (method, URL, status, time) to stderr, "
                 "7 also its headers, 8 the answer's headers; never credentials or bodies."),
    _global("--no-color", is_flag=True, default=None, help="Never colour the output."),
    _global("--debug", is_flag=True, default=None,
            help="On an internal error, print its full traceback after the Error line, for a bug report "
                 "(also KUBECTL_ROLLOUTS_PY_DEBUG=1)."),
]


_SHARED: dict[bool, list[click.Option]] = {}


def _global_option_objects(shown: bool) -> list[click.Option]:
    """The global flags as click options, made once per process and shared by every command
    (an option keeps no state between commands; making fourteen per command cost the `get`
    path about a hundred option objects)."""
    if shown not in _SHARED:
        _SHARED[shown] = [click.Option(decls, expose_value=False, callback=_store_global, hidden=not shown, **kwargs)
                          for decls, kwargs in GLOBAL_OPTIONS]
    return _SHARED[shown]


def global_options(func: Callable[..., Any] | None = None, *, shown: bool = False) -> Any:
    """Add kubectl's global flags to a command. They are listed only in the root's help
    (`shown=True`), like `kubectl options`, but every command accepts them."""

    def decorate(f: Callable[..., Any]) -> Callable[..., Any]:
        # What click.option does, with the shared objects: decorators collect parameters in
        # __click_params__ bottom-up, and the command takes them in reverse.
        params = f.__dict__.setdefault("__click_params__", [])
        params.extend(reversed(_global_option_objects(shown)))
        return f

    return decorate(func) if func is not None else decorate


def output_option(func: Callable[..., Any]) -> Callable[..., Any]:
    return click.option(
        "-o",
        "--output",
        type=click.Choice(["text", "json", "yaml"]),
        default="text",
        show_default=True,
        help="Output format; json and yaml give the documented view schema (docs/output.md).",
    )(func)


def from_file_option(func: Callable[..., Any]) -> Callable[..., Any]:
    return click.option(
        "--from-file",
        "from_files",
        multiple=True,
        type=click.Path(),
        metavar="PATH",
        help="Read saved objects (YAML, JSON, a List; a file or a directory) instead of a cluster. Repeatable.",
    )(func)


def _show_help(ctx: click.Context, param: click.Parameter, value: bool) -> None:
    """-h/--help, written through the run's App (its Environment's stdout) as click writes it."""
    if not value or ctx.resilient_parsing:
        return
    from kubectl_rollouts_py.cli.context import App

    App.of(ctx).write(ctx.get_help() + "\n")
    ctx.exit()


def command_path(ctx: click.Context) -> str:
    """The names of the commands from below the root to ctx's: "" for the root, "get rollout"
    (canonical names: an alias resolves to its command)."""
    names = []
    while ctx.parent is not None:
        names.append(ctx.command.name or "")
        ctx = ctx.parent
    return " ".join(reversed(names))


def _format_examples(ctx: click.Context, formatter: click.HelpFormatter) -> None:
    """The command's Examples section, as kubectl prints it: written as is, not re-wrapped."""
    from kubectl_rollouts_py.cli.examples import examples  # only when help is printed

    lines = examples(command_path(ctx))
    if lines:
        with formatter.section("Examples"):
            for line in lines:
                formatter.write(f"{'':>{formatter.current_indent}}{line}\n" if line else "\n")


class _Help:
    """Help as the Argo Rollouts kubectl plugin's cobra commands give it: the description,
    Examples, the command's own options (and a group's commands), then the global flags under
    a heading of their own, on every command that takes them. Printed through the App
    instead of to sys.stdout."""

    def get_help_option(self, ctx: click.Context) -> click.Option | None:
        option: click.Option | None = super().get_help_option(ctx)  # type: ignore[misc]
        if option is not None:
            option.callback = _show_help
        return option

    def format_help(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        command: click.Command = self  # type: ignore[assignment]
        command.format_usage(ctx, formatter)
        command.format_help_text(ctx, formatter)
        format_arguments = getattr(command, "format_arguments", None)  # click 8.2 and later
        if format_arguments is not None:
            format_arguments(ctx, formatter)
        _format_examples(ctx, formatter)
        command.format_options(ctx, formatter)
        command.format_epilog(ctx, formatter)

    def format_options(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        command: click.Command = self  # type: ignore[assignment]
        # Each global flag as the root lists it (a subcommand's copies are hidden).
        shown = {id(option): option for option in _global_option_objects(True)}
        shown.update((id(hidden), option) for hidden, option in zip(_global_option_objects(False), _global_option_objects(True)))
        own: list[tuple[str, str]] = []
        shared: list[tuple[str, str]] = []
        for param in command.get_params(ctx):
            if isinstance(param, click.Argument):
                continue
            record = shown.get(id(param), param).get_help_record(ctx)
            if record is not None:
                (shared if id(param) in shown else own).append(record)
        if own:
            with formatter.section("Options"):
                formatter.write_dl(own)
        if isinstance(command, click.Group):
            command.format_commands(ctx, formatter)
        if shared:
            with formatter.section("Global Flags"):
                formatter.write_dl(shared)


class CobraCommand(_Help, click.Command):
    """A command whose flags are read as cobra reads them: boolean flags also take
    `--flag=true|false`, and short options also `-n=VALUE`."""

    def parse_args(self, ctx: click.Context, args: list[str]) -> list[str]:
        return super().parse_args(ctx, _rewrite_cobra_forms(self, args))


def _rewrite_cobra_forms(command: click.Command, args: list[str]) -> list[str]:
    """`--flag=true|false` of a boolean flag as click spells it, and `-n=VALUE` of a short
    option that takes a value as `-n VALUE` (click would read the value as "=VALUE")."""
    flags: dict[str, tuple[str | None, str | None]] = {}
    short_valued: set[str] = set()
    for param in command.params:
        if isinstance(param, click.Option) and param.is_flag and param.is_bool_flag:
            off = param.secondary_opts[0] if param.secondary_opts else None
            for opt in param.opts:
                flags[opt] = (opt, off)
        elif isinstance(param, click.Option) and not param.is_flag:
            short_valued.update(opt for opt in param.opts if len(opt) == 2 and opt[0] == "-" and opt[1] != "-")
    result: list[str] = []
    for i, arg in enumerate(args):
        if arg == "--":
            return result + args[i:]
        name, sep, value = arg.partition("=")
        if sep and name in short_valued:
            result += [name, value]
            continue
        if sep and name in flags and (value in _TRUE or value in _FALSE):
            on, off = flags[name]
            if value in _TRUE:
                result.append(on or name)
            elif off:
                result.append(off)
            continue
        result.append(arg)
    return result


class AliasGroup(_Help, click.Group):
    """A group whose subcommands also answer to the Argo Rollouts kubectl plugin's aliases (`ro`, `exp`, ...)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.aliases: dict[str, str] = {}

    def parse_args(self, ctx: click.Context, args: list[str]) -> list[str]:
        return super().parse_args(ctx, _rewrite_cobra_forms(self, args))

    def add_alias(self, command_name: str, *aliases: str) -> None:
        for alias in aliases:
            self.aliases[alias] = command_name

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        return super().get_command(ctx, self.aliases.get(cmd_name, cmd_name))

    def resolve_command(self, ctx: click.Context, args: list[str]) -> tuple[str | None, click.Command | None, list[str]]:
        _, command, rest = super().resolve_command(ctx, args)
        return (command.name if command else None), command, rest

    def summary_command(self, ctx: click.Context, name: str) -> click.Command | None:
        """The command whose short help the group's help and completion show for `name`
        (cli/app.py's lazy root answers without importing it)."""
        return self.get_command(ctx, name)

    def format_commands(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        from kubectl_rollouts_py.cli.examples import SUMMARIES  # only when help is printed

        path = command_path(ctx)
        rows = []
        for name in self.list_commands(ctx):
            command = self.summary_command(ctx, name)
            if command is None or command.hidden:
                continue
            aliases = sorted(a for a, target in self.aliases.items() if target == name)
            label = name + (f" ({', '.join(aliases)})" if aliases else "")
            # Whole: a summary (or first sentence) cut at click's limit would end in "...".
            summary = SUMMARIES.get(f"{path} {name}".strip()) or command.get_short_help_str(limit=sys.maxsize)
            rows.append((label, summary))
        if rows:
            with formatter.section("Commands"):
                formatter.write_dl(rows)

    def shell_complete(self, ctx: click.Context, incomplete: str) -> list[Any]:
        """Subcommand names with their short help (as click's own, through
        `summary_command`), then the group's options."""
        from click.shell_completion import CompletionItem

        results: list[Any] = []
        for name in self.list_commands(ctx):
            if not name.startswith(incomplete):
                continue
            command = self.summary_command(ctx, name)
            if command is not None and not command.hidden:
                results.append(CompletionItem(name, help=command.get_short_help_str()))
        results.extend(click.Command.shell_complete(self, ctx, incomplete))
        return results
