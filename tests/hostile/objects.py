"""Hostile and broken Kubernetes objects, and the checks every rendering of them must pass.

Objects other people's controllers write can have any field missing or of any JSON type,
and any string can carry terminal escapes or invisible characters. `mutated()` takes the
stand-in's realistic canary (tests/e2e/standin.app_backend_objects) and replaces, deletes
or retypes fields anywhere in it; `assert_terminal_safe()` is the contract for text that
reaches a terminal.
"""

from __future__ import annotations

import copy
import datetime as dt
import re
import unicodedata
from typing import Any

from hypothesis import strategies as st

from tests.e2e.standin import app_backend_objects

NOW = dt.datetime(2026, 11, 29, 8, 1, 30, tzinfo=dt.timezone.utc)

# Strings that would act on a terminal, or read differently from what they are.
HOSTILE_STRINGS = [
    "\x1b[2J\x1b[H",  # CSI: clear screen, cursor home
    "\x1b[31mred\x1b[0m",
    "\x1b]8;;https://evil.example/\x1b\\click\x1b]8;;\x1b\\",  # OSC 8 hyperlink
    "\x1b]52;c;cm0gLXJmIH4=\x07",  # OSC 52: write the clipboard
    "\x1b]0;title\x07",  # OSC 0: window title
    "\x07bell",
    "\x9b2J",  # C1 CSI
    "\x9d0;x\x9c",  # C1 OSC ... ST
    "\x85next-line",
    "abc\u202edcba.exe",  # RTL override
    "\u2066isolate\u2069",
    "zero\u200bwidth\u2060joiner\ufeff",
    "a\u0301\u0301\u0301\u0301",  # combining marks
    "line\u2028sep\u2029para",
    "\ud800lone",  # a lone surrogate: JSON "\ud800" decodes to this
    "\ue000private",
    "tab\there\rcarriage\x00nul\x7fdel",
    "\U000e0041tag",  # tag characters
    "x" * 100_000,
    "",
    " ",
    "Running",  # looks right, in the wrong place
    "2026-11-29T08:00:00Z",
    "0001-01-01T00:00:00Z",
    "9999-12-31T23:59:59Z",
    "2026-11-29T08:00:00+14:00",
    "-9223372036854775808",
    "99999999999999999999",
    "9" * 5000,  # int() refuses strings of 4300+ digits
    "0" * 5000 + "2",
    "1e400",
    "NaN",
    "3m",
    "-1h",
    "9999999999h",
    "1s" * 100_000,  # a long Go duration (parsing it was quadratic)
    "1e308",
    "-1e308",
    "[1e308, -1e308]",
]

# Values of the wrong JSON type (or absurd values of the right one).
HOSTILE_VALUES: list[Any] = [
    None,
    True,
    False,
    0,
    -1,
    2**63,
    -(2**63) - 1,
    10**300,
    10**400,  # past float range: int / int raises OverflowError
    1.5,
    -0.0,
    float("inf"),
    float("-inf"),
    float("nan"),
    1e308,
    [],
    [None],
    [1, "a", {}],
    {},
    {"a": None},
    {"": []},
]

hostile_strings = st.sampled_from(HOSTILE_STRINGS) | st.text(max_size=30)
hostile_values = st.sampled_from(HOSTILE_VALUES) | hostile_strings


def paths(value: Any, prefix: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    """Every path (dict keys and list indexes) to a node inside `value`, the root excluded."""
    found = []
    if isinstance(value, dict):
        for key, item in value.items():
            found.append((*prefix, key))
            found.extend(paths(item, (*prefix, key)))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            found.append((*prefix, index))
            found.extend(paths(item, (*prefix, index)))
    return found


def _parent(root: Any, path: tuple[Any, ...]) -> Any:
    for step in path[:-1]:
        root = root[step]
    return root


def _apply(objects: list[dict[str, Any]], edits: list[tuple[int, str, Any]]) -> list[dict[str, Any]]:
    """Apply (path index, action, value) edits; a path gone by an earlier edit is skipped."""
    result = copy.deepcopy(objects)
    for index, action, shared in edits:
        # A copy: HOSTILE_VALUES' lists and dicts are shared, and setting one inside itself
        # would build a cycle, which no JSON decoder can produce.
        value = copy.deepcopy(shared)
        all_paths = paths(result)
        if not all_paths:
            break
        path = all_paths[index % len(all_paths)]
        parent = _parent(result, path)
        key = path[-1]
        if len(path) == 1:
            # A whole object replaced or dropped: the source could hand anything over.
            if action == "delete":
                del parent[key]
            else:
                parent[key] = value
        elif action == "delete":
            del parent[key]
        elif action == "set":
            parent[key] = value
        elif action == "rekey" and isinstance(parent, dict) and isinstance(value, str):
            parent[value] = parent.pop(key)
    return result


@st.composite
def mutated(draw: st.DrawFn, base: list[dict[str, Any]] | None = None) -> list[dict[str, Any]]:
    """The realistic canary's objects with 1-12 fields deleted, replaced or renamed anywhere."""
    objects = base if base is not None else app_backend_objects()
    edits = draw(
        st.lists(
            st.tuples(st.integers(0, 10_000), st.sampled_from(["delete", "set", "set", "set", "rekey"]), hostile_values),
            min_size=1,
            max_size=12,
        )
    )
    return _apply(objects, edits)


def by_kind(objects: list[Any]) -> dict[str, list[Any]]:
    """The objects grouped the way the CLI fetches them; non-dicts ride along in every list."""
    kinds = {"Rollout": [], "ReplicaSet": [], "Pod": [], "AnalysisRun": [], "Experiment": []}
    for obj in objects:
        kind = obj.get("kind") if isinstance(obj, dict) else None
        if isinstance(kind, str) and kind in kinds:
            kinds[kind].append(obj)
        else:
            for items in kinds.values():
                items.append(obj)
    return kinds


# --------------------------------------------------------------------------- output checks

# The only escape sequences our own renderers write: SGR colours (render/style.py).
_OWN_SGR = re.compile("\x1b\\[[0-9;]*m")
_UNSAFE = frozenset({"Cc", "Cf", "Zl", "Zp", "Cs", "Co"})


def unsafe_characters(text: str, *, allowed: str = "\n") -> list[str]:
    """Characters in `text` that a terminal would act on or not show (see render/escape.py),
    other than `allowed` and the SGR colour sequences the renderers write themselves."""
    stripped = _OWN_SGR.sub("", text)
    # Distinct characters first: outputs run to megabytes, their alphabets do not.
    return sorted(c for c in set(stripped) if c not in allowed and unicodedata.category(c) in _UNSAFE)


def assert_terminal_safe(text: str, *, allowed: str = "\n") -> None:
    bad = unsafe_characters(text, allowed=allowed)
    assert not bad, f"raw unsafe characters in output: {[hex(ord(c)) for c in bad]}"
