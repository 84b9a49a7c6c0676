"""What every write operation shares: carrying out a plan, the outcome, the conflict retry.

An operation builds a `Plan` with `patches/` and hands it to an `Executor`, which sends it
through `kube.apply` (the one place plans become requests) or, for a dry run, keeps it
unsent. The operation returns an `Outcome`: the confirmation line, the name the server
answered, the plan (so a front end can show a dry run's requests) and notes.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TypeVar

from kubectl_rollouts_py import errors
from kubectl_rollouts_py.kube import apply
from kubectl_rollouts_py.kube.source import Source
from kubectl_rollouts_py.patches.plan import Plan

# The Argo Rollouts kubectl plugin tries a template rewrite five times on 409 Conflict
# (then crashes); after the fifth we say so.
ATTEMPTS = 5

T = TypeVar("T")


@dataclass(frozen=True)
class Outcome:
    """What one write did.

    `message` is the confirmation line (`rollout 'web' promoted`), without a newline or a
    dry-run mark; `name` is the object's name: as asked, which the server's answer was
    checked against, or for an object the server names (generateName) as it answered
    (raw server text: a front end escapes it); `plan` is what was sent (or, in a dry run, what would be), None when there was
    nothing to do (`skipped`, e.g. undo to the template already running); `notes` says
    which unconfirmed writes reading back showed applied.
    """

    message: str
    name: str
    plan: Plan | None
    dry_run: bool = False
    skipped: bool = False
    notes: tuple[str, ...] = ()


class Executor:
    """Carries out plans: through kube.apply, or (dry_run) not at all.

    One serves a whole command. `applied` counts the plans applied in full, so that a front
    end can tell an interrupt after a plan (its change was applied) from one before its
    first request (nothing was sent).
    """

    def __init__(self, *, dry_run: bool = False) -> None:
        self.dry_run = dry_run
        self.applied = 0

    def carry_out(self, source: Source, plan: Plan, notes: list[str]) -> str | None:
        """Send the plan (unless dry run); the name of the object the server returned."""
        if self.dry_run:
            return None
        result = apply.apply_plan(source, plan, notes)
        self.applied += 1
        return answered_name(result)


def answered_name(obj: dict[str, Any] | None) -> str | None:
    metadata = (obj or {}).get("metadata")
    name = metadata.get("name") if isinstance(metadata, dict) else None
    return str(name) if name else None


# How much of a name the server answered a mismatch line quotes.
SHOWN_NAME = 80


class AnswerMismatch(errors.RolloutsError):
    """The server answered a write with an object other than the one it was sent for."""


def _quoted(text: str) -> str:
    return text if len(text) <= SHOWN_NAME else text[:SHOWN_NAME] + f"... ({len(text)} characters)"


def write(source: Source, executor: Executor | None, plan: Plan, name: str, line: Callable[[str], str], *,
          generated: bool = False) -> Outcome:
    """Carry out `plan` on the object called `name`; the outcome's message is line(name).

    The confirmation names what was asked for, never what the server said: an answer that
    names another object raises AnswerMismatch (the change was sent; what it did is not
    known). With `generated`, the server names the object (`name` is the generateName
    prefix its answer must start with), and the message is line(the answered name).
    """
    executor = executor or Executor()
    notes: list[str] = []
    answered = executor.carry_out(source, plan, notes)
    if answered is not None and not (answered.startswith(name) if generated else answered == name):
        wanted = f'a name starting "{name}"' if generated else f'"{name}"'
        sent = plan.requests()
        what = f"{sent[-1].method} of the {sent[-1].resource.singular}" if sent else "change"
        raise AnswerMismatch(f'the server answered the {what} {wanted} with another object, "{_quoted(answered)}": '
                             "the change was sent, but its answer cannot be trusted; check the object")
    shown = answered if generated and answered else name
    return Outcome(line(shown), shown, plan, executor.dry_run, notes=tuple(notes))


def with_conflict_retry(what: str, attempt: Callable[[], T]) -> T:
    """Call attempt() until it does not raise Conflict, at most ATTEMPTS times; each call
    re-reads the object, so every try starts from the server's latest version."""
    for _ in range(ATTEMPTS - 1):
        try:
            return attempt()
        except errors.Conflict:
            continue
    try:
        return attempt()
    except errors.Conflict as exc:
        raise errors.Conflict(f"{what}: the object changed under us {ATTEMPTS} times in a row; nothing was changed: {exc.message}",
                              status=409, reason="Conflict") from exc
