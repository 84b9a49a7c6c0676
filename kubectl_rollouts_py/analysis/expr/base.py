"""Shared pieces of the condition engine: the error type, the resource limits and the budget.

Every other module of the `expr` package raises `ConditionError`; `conditions.py` re-exports it. Nothing
here imports beyond the standard library and `kubectl_rollouts_py.errors`.
"""

from __future__ import annotations

from typing import Literal

from kubectl_rollouts_py._frozen import frozen
from kubectl_rollouts_py.errors import RolloutsError

ErrorKind = Literal["compile", "runtime", "not_bool"]


class ConditionError(RolloutsError):
    """A condition could not be compiled or evaluated.

    `message` is expr's own wording where we know it (without expr's source-location suffix,
    which Argo strips too). `kind` says when expr would have reported it: "compile" (syntax,
    unknown name, static type error, invalid literal regex), "runtime" (raised while
    evaluating) or "not_bool" (the expression ran but did not yield a bool). Limit
    violations (our own, expr has none) are "compile" when found while parsing and
    "runtime" while evaluating; `limit` is True for them.
    """

    def __init__(self, message: str, *, kind: ErrorKind = "runtime", limit: bool = False) -> None:
        super().__init__(message)
        self.kind: ErrorKind = kind
        self.limit = limit


@frozen
class Limits:
    """Bounds that keep hostile conditions within bounded time and memory.

    expr itself has none of these; real Argo conditions are far below every one of them.
    """

    max_length: int = 8192  # characters of expression text
    max_depth: int = 100  # parser recursion and syntax-tree depth (Python's stack is ~1000 frames)
    max_steps: int = 500_000  # evaluation work units: nodes visited + elements created or scanned
    max_collection: int = 100_000  # elements in any list the expression builds (ranges, map(), concat…)
    max_string: int = 1_000_000  # characters in any string the expression builds
    max_value_depth: int = 64  # nesting of the input value (JSON from a provider)
    max_regex_length: int = 2000  # characters of a `matches` pattern
    max_regex_program: int = 5000  # NFA instructions after expanding counted repetitions


DEFAULT_LIMITS = Limits()


class Budget:
    """A countdown of evaluation work; raises once exhausted.

    One instance per evaluation. Charging is explicit (callers know how much work they are
    about to do), so a single huge operation is refused before it runs, not after.
    """

    __slots__ = ("remaining", "limits")

    def __init__(self, limits: Limits) -> None:
        self.limits = limits
        self.remaining = limits.max_steps

    def charge(self, units: int = 1) -> None:
        self.remaining -= units
        if self.remaining < 0:
            raise ConditionError(
                f"evaluation exceeded its budget of {self.limits.max_steps} steps", kind="runtime", limit=True
            )

    def check_collection(self, size: int) -> None:
        """Refuse to build a list of `size` elements; charge for it otherwise."""
        if size > self.limits.max_collection:
            raise ConditionError(
                f"collection of {size} elements exceeds the limit of {self.limits.max_collection}",
                kind="runtime",
                limit=True,
            )
        self.charge(size)

    def check_string(self, size: int) -> None:
        """Refuse to build a string of `size` characters; charge for it otherwise."""
        if size > self.limits.max_string:
            raise ConditionError(
                f"string of {size} characters exceeds the limit of {self.limits.max_string}",
                kind="runtime",
                limit=True,
            )
        self.charge(size // 64 + 1)
