"""Every help page teaches: Examples that parse, the global flags, command lists that show
each summary whole, defaults in words, and no in-house words.

The command tree is walked from the root (every lazily loaded command loaded, every group's
commands), and each page is rendered by click as `COMMAND --help` renders it.
"""

from __future__ import annotations

import re
import shlex
import warnings
from collections.abc import Iterator

import click
import pytest

from kubectl_rollouts_py.cli import app, examples, options

PROG = "kubectl rollouts-py"
WIDTH = 80


def _tree(command: click.Command, path: tuple[str, ...] = ()) -> Iterator[tuple[tuple[str, ...], click.Command]]:
    yield path, command
    if isinstance(command, click.Group):
        ctx = click.Context(command)
        for name in command.list_commands(ctx):
            sub = command.get_command(ctx, name)
            assert sub is not None, (path, name)
            yield from _tree(sub, (*path, name))


TREE = dict(_tree(app.root))
PATHS = sorted(TREE)


def _ids(path: tuple[str, ...]) -> str:
    return " ".join(path) or "(root)"


def help_page(path: tuple[str, ...], width: int = WIDTH) -> str:
    """The help of the command at `path`, with the contexts `kubectl rollouts-py PATH --help` makes
    (each command's context_settings too: click caches a command's help option, made from the
    first context's help_option_names, so a bare Context would take `-h` from the root)."""
    ctx = click.Context(app.root, info_name=PROG, **{**app.root.context_settings, "terminal_width": width})
    for name in path:
        group = ctx.command
        assert isinstance(group, click.Group)
        command = group.get_command(ctx, name)
        assert command is not None
        ctx = click.Context(command, info_name=name, parent=ctx, **command.context_settings)
    return ctx.get_help()


def section(page: str, heading: str) -> list[str]:
    """The lines of a section (without its heading), up to the next unindented line."""
    lines = page.split("\n")
    start = lines.index(f"{heading}:") + 1
    end = next((i for i in range(start, len(lines)) if lines[i] and not lines[i].startswith(" ")), len(lines))
    while end > start and not lines[end - 1].strip():
        end -= 1
    return lines[start:end]


def example_blocks(page: str) -> list[tuple[str, str]]:
    """(comment, shell command) of each example of the page's Examples section."""
    blocks: list[list[str]] = [[]]
    for line in section(page, "Examples"):
        if line.strip():
            blocks[-1].append(line)
        elif blocks[-1]:
            blocks.append([])
    result = []
    for block in filter(None, blocks):
        comments = [line for line in block if line.lstrip().startswith("#")]
        commands = [line for line in block if not line.lstrip().startswith("#")]
        assert len(comments) == 1 and block[0] is comments[0], f"one comment line, then the command: {block}"
        result.append((comments[0].strip()[1:].strip(), " ".join(line.strip().removesuffix("\\").strip()
                                                                 for line in commands)))
    return result


def plugin_arguments(shell_command: str) -> list[str]:
    """The arguments after `kubectl rollouts-py` in a shell command line (a pipe's last part,
    up to a redirection)."""
    lexer = shlex.shlex(shell_command, posix=True, punctuation_chars="|>")
    lexer.whitespace_split = True
    words = list(lexer)
    if "|" in words:
        words = words[len(words) - 1 - words[::-1].index("|") + 1:]
    if ">" in words:
        words = words[:words.index(">")]
    assert words[:2] == PROG.split(), shell_command
    return words[2:]


def parse(arguments: list[str]) -> click.Context:
    """Parse the arguments as the CLI would, down to the command they name, without running
    it: unknown flags, bad values, missing or extra arguments raise click's errors."""
    ctx = app.root.make_context(PROG, list(arguments))
    while isinstance(ctx.command, click.Group):
        group = ctx.command
        with warnings.catch_warnings():  # public up to click 9, deprecated from 8.2 (then `args` holds all)
            warnings.simplefilter("ignore", DeprecationWarning)
            protected = list(getattr(ctx, "protected_args", ()))
        rest = [*protected, *ctx.args]
        if not rest and group.invoke_without_command:  # `create -f FILE`
            break
        assert rest, f"no command after the group: {arguments}"
        name, command, rest = group.resolve_command(ctx, rest)
        assert command is not None and name is not None
        ctx = command.make_context(name, rest, parent=ctx)
    return ctx


def test_the_walk_reaches_every_command() -> None:
    assert set(app.COMMANDS) <= {path[0] for path in PATHS if path}
    assert ("get", "rollout") in TREE and ("terminate", "analysisrun") in TREE and ("set-image",) in TREE
    # Each path has its examples in the module, and the module has no others.
    assert set(examples.EXAMPLES) == {" ".join(path) for path in PATHS}


@pytest.mark.parametrize("path", PATHS, ids=_ids)
def test_every_help_page_has_examples_that_parse(path: tuple[str, ...]) -> None:
    page = help_page(path)
    blocks = example_blocks(page)
    assert 2 <= len(blocks) <= 4, blocks
    for comment, shell_command in blocks:
        assert comment and "\n" not in comment
        ctx = parse(plugin_arguments(shell_command))
        assert isinstance(ctx.command, click.Command)
    # The page's own command is among its examples (a group: one of its commands).
    named = {options.command_path(parse(plugin_arguments(c))) for _, c in blocks}
    assert any(name == " ".join(path) or name.startswith(" ".join(path) + " ") for name in named) or not path, named


@pytest.mark.parametrize("path", PATHS, ids=_ids)
def test_examples_come_before_the_options_as_in_kubectl(path: tuple[str, ...]) -> None:
    page = help_page(path)
    assert page.index("\nExamples:\n") < page.index("\nOptions:\n")
    for line in section(page, "Examples"):
        assert len(line) <= 100, line


def test_an_example_that_names_a_missing_flag_does_not_parse() -> None:
    # The check above can fail: a flag the command lacks is click's usage error.
    with pytest.raises(click.NoSuchOption):
        parse(plugin_arguments(f"{PROG} get rollout app-backend -n ithome --no-such-flag"))
    with pytest.raises(click.BadParameter):
        parse(plugin_arguments(f"{PROG} undo app-backend --to-revision latest"))
    assert options.command_path(parse(plugin_arguments(f"helm template x | {PROG} get ro app-backend > out"))) \
        == "get rollout"


def _global_flag_records() -> list[str]:
    return [opt.opts[-1] for opt in options._global_option_objects(True)]


@pytest.mark.parametrize("path", PATHS, ids=_ids)
def test_every_command_that_takes_the_global_flags_lists_them(path: tuple[str, ...]) -> None:
    command = TREE[path]
    hidden = options._global_option_objects(False)
    takes = any(param in hidden for param in command.params) or not path
    page = help_page(path, width=200)
    if not takes:  # sandbox has flags of its own by those names
        assert "Global Flags:" not in page
        return
    listed = section(page, "Global Flags")
    for flag in _global_flag_records():
        assert any(re.search(rf"(^|, ){re.escape(flag)}\b", line.strip()) for line in listed), (flag, listed)
    own = section(page, "Options")
    assert not any("--kubeconfig" in line for line in own)


def test_the_root_lists_each_summary_whole() -> None:
    page = help_page((), width=WIDTH)
    rows = section(page, "Commands")
    assert len(rows) == len(app.COMMANDS)
    ctx = click.Context(app.root)
    for line, name in zip(rows, sorted(app.COMMANDS)):
        label, _, summary = line.strip().partition("  ")
        assert label.split()[0] == name
        assert summary.strip() == app.COMMANDS[name].summary == app.root.summary_command(ctx, name).get_short_help_str()
        assert summary.strip().endswith(".") and "..." not in summary


@pytest.mark.parametrize("path", [p for p in PATHS if isinstance(TREE[p], click.Group)], ids=_ids)
def test_every_command_list_shows_one_line_per_command(path: tuple[str, ...]) -> None:
    rows = section(help_page(path, width=WIDTH), "Commands")
    group = TREE[path]
    assert isinstance(group, click.Group)
    assert len(rows) == len(group.list_commands(click.Context(group)))
    for line in rows:
        assert line.startswith("  ") and line.rstrip().endswith(".") and not line.rstrip().endswith("..."), line


def test_a_summary_loaded_or_not_is_the_tables() -> None:
    ctx = click.Context(app.root)
    app.root.get_command(ctx, "analyze")  # loaded now
    assert app.root.summary_command(ctx, "analyze").get_short_help_str() == app.COMMANDS["analyze"].summary


IN_HOUSE = re.compile(r"\bbrief\b|spec ?§|§|\bthe reference\b|\breference (plugin|implementation)\b", re.I)


@pytest.mark.parametrize("path", PATHS, ids=_ids)
def test_no_help_page_speaks_in_house_words(path: tuple[str, ...]) -> None:
    page = help_page(path, width=1000)
    assert not IN_HOUSE.search(page), IN_HOUSE.search(page)


def test_the_in_house_check_can_fail() -> None:
    assert IN_HOUSE.search("as the reference plugin shows") and IN_HOUSE.search("see spec §10")
    assert not IN_HOUSE.search("--require-references: templates referenced by a Rollout")


@pytest.mark.parametrize("path", PATHS, ids=_ids)
def test_defaults_are_shown_as_values_not_as_flag_names(path: tuple[str, ...]) -> None:
    # click shows the default of a `--flag/--no-flag` option as the flag's name without dashes
    # ("[default: w]"), which tells a user nothing.
    ctx = click.Context(TREE[path])
    for param in TREE[path].params:
        if isinstance(param, click.Option) and param.secondary_opts:
            record = param.get_help_record(ctx)
            assert record is None or "[default:" not in record[1], (param.opts, record)
