"""Colour rules, as the Argo Rollouts kubectl plugin colours: what is wrapped, with which code, and how often."""

from __future__ import annotations

import pytest

from kubectl_rollouts_py.render import tree
from kubectl_rollouts_py.render.style import Style

E = "\x1b"
ON, OFF = Style(colour=True), Style(colour=False)


def wrap(code: int, text: str) -> str:
    return f"{E}[{code}m{text}{E}[0m"


@pytest.mark.parametrize(
    ("glyph", "code"),
    [("◷", 33), ("?", 33), ("◌", 94), ("⚠", 31), ("✖", 31), ("✔", 32), ("॥", 0), ("•", 0), (" ", 0)],
)
def test_icon_colours(glyph: str, code: int) -> None:
    assert ON.icon(glyph) == wrap(code, glyph)
    assert OFF.icon(glyph) == glyph


@pytest.mark.parametrize(
    ("tag", "code"),
    [("canary", 33), ("stable", 32), ("active", 32), ("preview", 94), ("ping", 94), ("pong", 94), ("Σ:baseline", 0), ("other", 0)],
)
def test_tag_colours(tag: str, code: int) -> None:
    assert ON.tag(tag) == wrap(code, tag)
    assert OFF.tag(tag) == tag


@pytest.mark.parametrize(
    ("tags", "expected"),
    [
        (("stable", "active"), wrap(32, wrap(32, "rs"))),
        (("canary", "ping"), wrap(94, wrap(33, "rs"))),  # innermost first: canary, then ping
        (("stable", "pong"), wrap(94, wrap(32, "rs"))),
        (("preview",), wrap(94, "rs")),
        ((), "rs"),  # a plain RS name is not wrapped at all
    ],
)
def test_replica_set_names_are_wrapped_once_per_tag(tags: tuple[str, ...], expected: str) -> None:
    assert ON.replica_set_name(tags, "rs") == expected
    assert OFF.replica_set_name(tags, "rs") == "rs"


@pytest.mark.parametrize(("phase", "code"), [("Pending", 94), ("Running", 94), ("Successful", 0), ("Failed", 0), ("Error", 0), ("", 0)])
def test_run_experiment_and_job_names_take_their_phase_colour(phase: str, code: int) -> None:
    assert ON.phase_name(phase, "name") == wrap(code, "name")


def lines_with(text: str, needle: str) -> list[str]:
    return [line for line in text.split("\n") if needle in line]


def test_bluegreen_colours_in_context(load_scenario) -> None:  # type: ignore[no-untyped-def]
    text = tree.render_rollout(load_scenario("bluegreen-preview").rollout_view(), ON)
    assert f"Status:          {wrap(0, '॥')} Paused\n" in text
    assert f"luciferstut/app-frontend-for-ithome2024:1.5 ({wrap(32, 'stable')}, {wrap(32, 'active')})\n" in text
    assert "luciferstut/app-frontend-for-ithome2024:1.4\n" in text  # no tags: no parentheses, nothing wrapped
    (active,) = lines_with(text, "ReplicaSet  " + wrap(32, "✔") + " Healthy  115m")
    assert active.startswith(f"│  └──⧉ {wrap(32, wrap(32, 'app-frontend-6f7c9d8b5'))}  ")
    assert active.endswith(f"{wrap(32, '✔')} Healthy  115m  {wrap(32, 'stable')},{wrap(32, 'active')}")
    (old,) = lines_with(text, "app-frontend-5b7d9c6f8  ")
    assert old.startswith("   └──⧉ app-frontend-5b7d9c6f8  ") and old.endswith("delay:7m30s")  # delay is plain
    for pod in lines_with(text, "□ "):
        assert "□ app-frontend-" in pod and pod.endswith("ready:1/1")  # pod names and ready: never coloured


def test_canary_colours_in_context(load_scenario) -> None:  # type: ignore[no-untyped-def]
    text = tree.render_rollout(load_scenario("app-backend-aborted").rollout_view(), ON)
    (canary,) = lines_with(text, "⧉ " + wrap(33, "app-backend-7d9f8c6b5"))
    assert f"{wrap(0, '•')} ScaledDown" in canary and canary.endswith(wrap(33, "canary"))
    (run,) = lines_with(text, "α ")
    assert run.startswith(f"│  └──α {wrap(0, 'app-backend-7d9f8c6b5-2')}  ")  # Failed: wrapped with code 0
    assert run.endswith(f"{wrap(31, '✖')} Failed       3m15s  {wrap(32, '✔')} 3,{wrap(31, '✖')} 4")
    (root,) = lines_with(text, "⟳ ")
    assert root.startswith("⟳ app-backend  ") and f"{wrap(31, '✖')} Degraded" in root  # rollout name never wrapped


def test_experiment_colours_in_context(load_scenario) -> None:  # type: ignore[no-untyped-def]
    sc = load_scenario("checkout-experiment-step")
    text = tree.render_rollout(sc.rollout_view("checkout"), ON)
    assert f"(\x1b[32mstable\x1b[0m, {wrap(0, 'Σ:baseline')})" in text
    (exp,) = lines_with(text, "Σ ")
    assert exp.startswith(f"│  └──Σ {wrap(94, 'checkout-94c6d8f7b-2-0')}  ") and f"{wrap(94, '◌')} Running" in exp
    jobs = lines_with(text, "⊞ ")
    assert [j.split("⊞ ")[1].split("  ")[0] for j in jobs] == [
        wrap(0, "7fae07bf-2d74-595d-9bd1-9a8cbe6f3d00.smoke.1"),
        wrap(94, "7fae07bf-2d74-595d-9bd1-9a8cbe6f3d00.smoke.2"),
    ]
    (run,) = lines_with(text, "α ")
    assert run.endswith(f"{wrap(32, '✔')} 4,{wrap(33, '?')} 1,{wrap(31, '⚠')} 1")


def test_no_colour_means_no_escape_at_all(load_scenario) -> None:  # type: ignore[no-untyped-def]
    for name in ("app-backend-canary-step1", "bluegreen-preview", "checkout-experiment-step"):
        sc = load_scenario(name)
        assert E not in tree.render_rollout(sc.rollout_view(), OFF)
    assert E not in tree.render_experiment(load_scenario("checkout-experiment-step").experiment_view(), OFF)
