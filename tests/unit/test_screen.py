"""term.screen.Screen (in-place drawing) and render.fold.fit_height (fitting a frame)."""

from __future__ import annotations

import io

import pytest

from kubectl_rollouts_py.render.fold import fit_height
from kubectl_rollouts_py.term import screen as sc
from kubectl_rollouts_py.term.screen import Screen


def frame(*lines: str) -> str:
    return "".join(line + "\n" for line in lines)


def test_enter_switches_to_the_alternate_screen_and_exit_restores_with_the_last_frame() -> None:
    out = io.StringIO()
    with Screen(out, height=lambda: 10) as screen:
        assert out.getvalue() == sc.ALT_SCREEN_ON + sc.CURSOR_HIDE + sc.WRAP_OFF + sc.HOME + sc.ERASE_BELOW
        screen.show(frame("a", "b"))
        out.seek(0)
        out.truncate()
    assert out.getvalue() == sc.SYNC_END + sc.WRAP_ON + sc.CURSOR_SHOW + sc.ALT_SCREEN_OFF + "a\nb\n"


def test_restores_the_terminal_when_the_body_raises() -> None:
    out = io.StringIO()
    with pytest.raises(KeyboardInterrupt), Screen(out, height=lambda: 10):
        raise KeyboardInterrupt
    assert out.getvalue().endswith(sc.ALT_SCREEN_OFF)


def test_a_frame_is_drawn_in_place_in_one_synchronized_write() -> None:
    out = io.StringIO()
    screen = Screen(out, height=lambda: 10)
    assert screen.show(frame("Name: x", "", "tree"))
    assert out.getvalue() == (
        sc.SYNC_BEGIN + sc.HOME + "Name: x" + sc.ERASE_LINE_END + "\n" + sc.ERASE_LINE_END + "\n" + "tree" + sc.ERASE_LINE_END
        + sc.ERASE_BELOW + sc.SYNC_END
    )
    assert "\x1b[2J" not in out.getvalue()  # never a full clear: no flicker


def test_nothing_is_written_when_the_text_did_not_change() -> None:
    out = io.StringIO()
    screen = Screen(out, height=lambda: 10)
    screen.show(frame("a"))
    written = out.getvalue()
    assert not screen.show(frame("a"))
    assert out.getvalue() == written and screen.writes == 1


def test_frames_are_fitted_then_clipped_to_the_height() -> None:
    out = io.StringIO()
    rows = [5]
    screen = Screen(out, fit=lambda text, height: text.upper(), height=lambda: rows[0])
    screen.show(frame(*"abcdefgh"))
    body = out.getvalue()
    assert "E" + sc.ERASE_LINE_END in body and "F" not in body  # five lines, the fit applied
    rows[0] = 8
    assert screen.refit()  # after SIGWINCH the same frame gets the new height
    assert "H" + sc.ERASE_LINE_END in out.getvalue()
    assert not screen.refit()  # unchanged size: nothing drawn


def test_close_is_idempotent_and_silent_on_a_closed_stream() -> None:
    out = io.StringIO()
    screen = Screen(out, height=lambda: 3).__enter__()
    out.close()
    screen.close()
    screen.close()


# --------------------------------------------------------------------------- fitting


TREE = frame(
    "Name:            app",
    "Status:          ॥ Paused",
    "",
    "NAME        KIND        STATUS   AGE  INFO",
    "⟳ app       Rollout     ॥ Paused  9d",
    "├──# revision:3",
    "│  └──⧉ app-3  ReplicaSet  ✔ Healthy  1m  canary",
    "│     └──□ app-3-a  Pod  ✔ Running  1m  ready:1/1",
    "├──# revision:2",
    "│  └──⧉ app-2  ReplicaSet  • ScaledDown  2d",
    "└──# revision:1",
    "   └──⧉ app-1  ReplicaSet  ✔ Healthy  9d  stable",
    "      ├──□ app-1-a  Pod  ✔ Running  9d  ready:1/1",
    "      └──□ app-1-b  Pod  ✔ Running  9d  ready:1/1",
)


def test_a_frame_that_fits_is_unchanged() -> None:
    assert fit_height(TREE, 14) == TREE
    assert fit_height(TREE, 100) == TREE


def test_oldest_revisions_fold_first_and_the_header_stays() -> None:
    lines = fit_height(TREE, 13).splitlines()
    assert lines[:5] == TREE.splitlines()[:5]
    assert lines[-1] == "… 1 more revision (4 lines)"
    assert "├──# revision:2" in lines and len(lines) == 11
    assert fit_height(TREE, 9).splitlines()[-1] == "… 2 more revisions (6 lines)"


def test_a_newest_revision_taller_than_the_screen_is_cut() -> None:
    lines = fit_height(TREE, 7).splitlines()
    assert lines == TREE.splitlines()[:6] + ["… 8 more lines"]


def test_a_header_taller_than_the_screen_keeps_its_top() -> None:
    assert fit_height(TREE, 3) == frame("Name:            app", "Status:          ॥ Paused", "… 12 more lines")
    assert fit_height(TREE, 1) == "… 14 more lines\n"
    assert fit_height(TREE, 0) == ""


def test_frames_without_revisions_are_cut_at_the_bottom() -> None:
    experiment = frame("Name: e", "", "NAME KIND", *[f"row {i}" for i in range(10)])
    assert fit_height(experiment, 5).splitlines() == ["Name: e", "", "NAME KIND", "row 0", "… 9 more lines"]


def test_every_fitted_frame_fits() -> None:
    for height in range(0, 20):
        assert len(fit_height(TREE, height).splitlines()) <= height


TABLE = frame("", "ANALYSISRUN  METRIC  STATUS", "app-3-1      rate    ◌ Running")


def test_the_analysis_table_stays_at_the_bottom_while_revisions_fold() -> None:
    lines = fit_height(TREE + TABLE, 13).splitlines()
    assert lines[-4:] == ["… 2 more revisions (6 lines)", "", "ANALYSISRUN  METRIC  STATUS", "app-3-1      rate    ◌ Running"]
    assert lines[:5] == TREE.splitlines()[:5] and len(lines) == 12
    cut = fit_height(TREE + TABLE, 10).splitlines()
    assert cut[-4] == "… 8 more lines" and cut[-1].startswith("app-3-1")


def test_the_analysis_table_gives_way_before_the_tree() -> None:
    lines = fit_height(TREE + TABLE, 7).splitlines()
    assert lines == TREE.splitlines()[:6] + ["… 8 more lines"]
    for height in range(0, 25):
        assert len(fit_height(TREE + TABLE, height).splitlines()) <= height
