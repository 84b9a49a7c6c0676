"""Untrusted text never reaches the terminal raw.

Names, messages, images and phases come from other people's controllers (or files). No raw
control character (C0, DEL, C1, so no ESC), no bidi control and no invisible format
character (zero-width, word joiner, BOM, tags) may appear in rendered output; ordinary
letters and the Argo Rollouts kubectl plugin's glyphs pass unchanged.
"""

from __future__ import annotations

import re
import unicodedata

import pytest

from kubectl_rollouts_py.derive.listing import build_experiment_row
from kubectl_rollouts_py.derive.rollout import build_rollout_row
from kubectl_rollouts_py.render import listing, tree
from kubectl_rollouts_py.render.escape import clean
from kubectl_rollouts_py.render.style import Style

# Unicode's Bidi_Control property: these reorder the text around them.
BIDI_CONTROLS = {0x061C, 0x200E, 0x200F, *range(0x202A, 0x202F), *range(0x2066, 0x206A)}
# The SGR sequences our own Style writes (Argo's colour codes).
OWN_SGR = re.compile("\x1b\\[(?:0|31|32|33|94)m")


def unsafe(ch: str) -> bool:
    if ch == "\n":
        return False
    return unicodedata.category(ch) in ("Cc", "Cf", "Zl", "Zp") or ord(ch) in BIDI_CONTROLS


def offenders(text: str) -> list[str]:
    return [f"U+{ord(c):04X} at {i}: {text[max(0, i - 20):i]!r}" for i, c in enumerate(text) if unsafe(c)]


@pytest.mark.parametrize(
    ("raw", "shown"),
    [
        ("\x1b[31mred", "\\x1b[31mred"),
        ("\x1b]0;title\x07", "\\x1b]0;title\\x07"),
        ("a\x9bb", "a\\x9bb"),  # C1 CSI
        ("a\x85b", "a\\x85b"),  # C1 NEL
        ("a\x7fb", "a\\x7fb"),
        ("a\tb\nc\rd\x00", "a\\x09b\\x0ac\\x0dd\\x00"),
        ("abc\u202edef", "abc\\u202edef"),  # RIGHT-TO-LEFT OVERRIDE
        ("a\u2066b\u2069", "a\\u2066b\\u2069"),  # isolates
        ("a\u200bb", "a\\u200bb"),  # ZERO WIDTH SPACE
        ("a\u200db", "a\\u200db"),  # ZERO WIDTH JOINER
        ("a\u2060b", "a\\u2060b"),  # WORD JOINER
        ("\ufeffa", "\\ufeffa"),  # BOM
        ("a\u2028b", "a\\u2028b"),  # LINE SEPARATOR
        ("a\u061cb", "a\\u061cb"),  # ARABIC LETTER MARK: a bidi control
    ],
)
def test_clean_makes_unsafe_characters_visible(raw: str, shown: str) -> None:
    assert clean(raw) == shown


@pytest.mark.parametrize(
    "text",
    [
        "app-backend-7d9f8c6b5",
        "café-naïve",
        "後端服務",
        "ЖУРНАЛ",
        "שלום עולם",  # right-to-left letters are fine; only the controls are not
        "⟳ ◌ ✔ ✖ ॥ • ⧉ □ ⊞ Σ α ├──│└ ◷ ⚠ ?",
        "emoji 🚀",
        "quote \" backslash \\ percent %",
    ],
)
def test_clean_keeps_ordinary_text(text: str) -> None:
    assert clean(text) == text


def test_clean_output_is_always_safe() -> None:
    """clean() promises "every control or invisible formatting character made visible":
    that is every code point of general category Cc, Cf, Zl or Zp, in every plane
    (soft hyphen, U+180E, U+206A-206F and the tag characters U+E0000-E007F included)."""
    every_control_or_format = [chr(c) for c in range(0x110000) if not 0xD800 <= c <= 0xDFFF and unsafe(chr(c))]
    left_raw = [f"U+{ord(c):04X}" for c in every_control_or_format if offenders(clean(c))]
    assert left_raw == []


def rendered_hostile(load_scenario) -> dict[str, str]:  # type: ignore[no-untyped-def]
    sc = load_scenario("hostile")
    view = sc.rollout_view()
    out = {
        "get rollout": tree.render_rollout(view, Style(colour=False)),
        "get rollout (colour)": OWN_SGR.sub("", tree.render_rollout(view, Style(colour=True))),
        "list rollouts": listing.render_rollout_rows([build_rollout_row(r) for r in sc.of("Rollout")], all_namespaces=True),
        "status": listing.status_line(view.status, view.message, watching=False),
        "status --watch": listing.status_line(view.status, view.message, watching=True),
    }
    for rev in view.revisions:
        for experiment in rev.experiments:
            out[f"get experiment {experiment.name}"] = tree.render_experiment(experiment, Style(colour=True))
    return out


def test_no_unsafe_character_in_any_rendering_of_the_hostile_scenario(load_scenario) -> None:  # type: ignore[no-untyped-def]
    found = {what: offenders(text) for what, text in rendered_hostile(load_scenario).items()}
    assert {what: bad for what, bad in found.items() if bad} == {}


def test_colour_output_has_no_escape_but_our_own_sgr(load_scenario) -> None:  # type: ignore[no-untyped-def]
    text = tree.render_rollout(load_scenario("hostile").rollout_view(), Style(colour=True))
    assert "\x1b" not in OWN_SGR.sub("", text)


def test_hostile_text_is_shown_escaped_not_dropped(load_scenario) -> None:  # type: ignore[no-untyped-def]
    text = tree.render_rollout(load_scenario("hostile").rollout_view())
    for visible in ("evil-app\\x1b]0;pwned\\x07", "\\x1b[2J\\x1b[31m\\x9b31m fake\\u202egnissergorp\\u200b",
                    "evil-app-9f8e7d6c5\\u200b", "registry.example.com/evil/app:2.0\\x1b[8m", "Err\\x1b[5mor", "job-\\x1b[31mred\\u200d"):
        assert visible in text


def test_experiment_rows_are_escaped() -> None:
    exp = {"metadata": {"name": "exp\x1b[2J", "namespace": "ns\u202e", "creationTimestamp": "2026-03-14T11:00:00Z"},
           "spec": {"duration": "1h"}, "status": {"phase": "Run\x9bning", "availableAt": "2026-03-14T11:00:00Z"}}
    import datetime as dt

    text = listing.render_experiment_rows([build_experiment_row(exp, dt.datetime(2026, 3, 14, 12, tzinfo=dt.timezone.utc))], all_namespaces=True)
    assert offenders(text) == []
    assert "exp\\x1b[2J" in text and "ns\\u202e" in text and "Run\\x9bning" in text
