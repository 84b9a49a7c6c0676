"""Layout rules: the tab writer, the header block and tree prefixes, `list` columns and
`status` lines."""

from __future__ import annotations

import re

import pytest
from conftest import GOLDEN

from kubectl_rollouts_py.derive.views import ExperimentRow, RolloutRow
from kubectl_rollouts_py.render import listing, tree
from kubectl_rollouts_py.render.style import Style
from kubectl_rollouts_py.render.tabwriter import align, visible_len

# --------------------------------------------------------------------------- tab writer


def test_cells_pad_to_the_widest_plus_two_and_the_last_cell_is_not_aligned() -> None:
    assert align([["a", "bb", "x"], ["ccc", "d", "yyyy"]]) == [
        "a    bb  x",
        "ccc  d   yyyy",
    ]


def test_empty_cells_are_padded_too() -> None:
    assert align([["NAME", "", "INFO"], ["", "", ""]]) == [
        "NAME    INFO",
        "        ",
    ]


def test_last_cell_keeps_its_own_spaces() -> None:
    assert align([["a", "last  "], ["bb", ""]]) == ["a   last  ", "bb  "]


def test_width_counts_code_points_not_display_columns() -> None:
    # CJK ideographs take two terminal columns each, but count as one code point, as in Go.
    lines = align([["後端", "x"], ["abc", "y"]])
    assert lines == ["後端   x", "abc  y"]


def test_combining_marks_count_as_code_points() -> None:
    decomposed = "e\u0301"  # é as e + combining acute accent: two code points
    assert align([[decomposed, "x"], ["abc", "y"]]) == [decomposed + "   x", "abc  y"]


def test_ansi_sgr_sequences_are_not_counted() -> None:
    green = "\x1b[32mok\x1b[0m"
    assert visible_len(green) == 2
    assert visible_len("\x1b[32m\x1b[32mname\x1b[0m\x1b[0m") == 4
    assert align([[green, "x"], ["abcd", "y"]]) == [green + "    x", "abcd  y"]


def test_glyphs_count_as_one() -> None:
    assert visible_len("⟳◌✔✖॥•⧉□⊞Σα├─│└") == 15


# --------------------------------------------------------------------------- tree tables in every golden file

HEADER = re.compile(r"^NAME +KIND +STATUS +AGE +INFO$")
SGR = re.compile("\\\\e\\[[0-9;]*m")  # goldens store ESC as \e


def table_files() -> list:
    return sorted(p for d in ("render_rollout", "render_experiment") for p in (GOLDEN / d).glob("*.txt"))


@pytest.mark.parametrize("path", table_files(), ids=lambda p: f"{p.parent.name}/{p.name}")
def test_tree_tables_follow_the_tab_writer_rule(path) -> None:  # type: ignore[no-untyped-def]
    """Every aligned cell is padded to (widest cell of its column + 2) code points, visible
    text only, empty cells included; the INFO cell is written as is."""
    lines = [SGR.sub("", line) for line in path.read_text(encoding="utf-8").split("\n")[:-1]]
    start = next(i for i, line in enumerate(lines) if HEADER.match(line))
    header, rows = lines[start], lines[start + 1 :]
    stops = [header.index(word) for word in ("KIND", "STATUS", "AGE", "INFO")]
    bounds = list(zip([0, *stops], stops))
    for row in rows:
        assert len(row) >= stops[-1], row
        for lo, hi in bounds:
            cell = row[lo:hi]
            assert cell.endswith("  ") or cell.strip() == "", row
    for j, (lo, hi) in enumerate(bounds):
        widest = max(len(line[lo:hi].rstrip(" ")) for line in [header, *rows])
        assert hi - lo == widest + 2, f"column {j} of {path.name}"


def test_header_block_labels_are_17_wide(load_scenario) -> None:  # type: ignore[no-untyped-def]
    text = tree.render_rollout(load_scenario("app-backend-canary-step1").rollout_view())
    header = text.split("\n\n")[0].split("\n")
    for line in header:
        if line in ("Replicas:",):
            continue
        label, value = line[:17], line[17:]
        assert len(line) >= 17 and not value.startswith(" ") and (label.rstrip().endswith(":") or label == " " * 17), line


def test_empty_step_keeps_its_padding(load_scenario) -> None:  # type: ignore[no-untyped-def]
    text = tree.render_rollout(load_scenario("hostile").rollout_view())
    assert "\n  Step:          \n" in text  # "%-17s" with an empty value: 10 trailing spaces


def test_revision_rows_pad_every_cell(load_scenario) -> None:  # type: ignore[no-untyped-def]
    text = tree.render_rollout(load_scenario("app-backend-canary-step1").rollout_view())
    lines = text.split("\n")
    header = next(line for line in lines if line.startswith("NAME"))
    revision = next(line for line in lines if line.startswith("├──# revision:2"))
    assert len(revision) == header.index("INFO") and revision.rstrip(" ") == "├──# revision:2"


def test_tree_prefixes(load_scenario) -> None:  # type: ignore[no-untyped-def]
    """Not-last children get ├── and │ below, the last └── and spaces; "last" in a revision
    counts ReplicaSets, Experiments and AnalysisRuns together."""
    text = tree.render_rollout(load_scenario("checkout-experiment-step").rollout_view("checkout"))
    table = text.split("\n\n", 1)[1].split("\n")
    kind_column = table[0].index("KIND")
    names = [line[:kind_column].rstrip() for line in table[1:-1]]
    assert names == [
        "⟳ checkout",
        "├──# revision:2",
        "│  ├──⧉ checkout-94c6d8f7b",
        "│  └──Σ checkout-94c6d8f7b-2-0",
        "│     ├──⧉ checkout-94c6d8f7b-2-0-baseline",
        "│     │  └──□ checkout-94c6d8f7b-2-0-baseline-d4x9z",
        "│     ├──⧉ checkout-94c6d8f7b-2-0-canary",
        "│     │  └──□ checkout-94c6d8f7b-2-0-canary-p7m2c",
        "│     └──α checkout-94c6d8f7b-2-0-smoke-test",
        "│        ├──⊞ 7fae07bf-2d74-595d-9bd1-9a8cbe6f3d00.smoke.1",
        "│        └──⊞ 7fae07bf-2d74-595d-9bd1-9a8cbe6f3d00.smoke.2",
        "└──# revision:1",
        "   └──⧉ checkout-7f5b9d6c8",
        "      ├──□ checkout-7f5b9d6c8-z2k8q",
        "      ├──□ checkout-7f5b9d6c8-n5w7r",
        "      └──□ checkout-7f5b9d6c8-g3t6v",
    ]


def test_experiment_root_has_no_prefix_and_children_at_top_level(load_scenario) -> None:  # type: ignore[no-untyped-def]
    text = tree.render_experiment(load_scenario("checkout-experiment-step").experiment_view())
    header, table = text.split("\n\n", 1)
    assert [line[:17] for line in header.split("\n")] == ["Name:            ", "Namespace:       ", "Status:          ", "Images:          ", " " * 17]
    rows = table.split("\n")
    assert rows[1].startswith("Σ checkout-94c6d8f7b-2-0  ")
    assert [r[:4] for r in rows[2:-1] if not r.startswith(("│", " "))] == ["├──⧉", "├──⧉", "└──α"]


def test_colour_does_not_change_the_layout(load_scenario) -> None:  # type: ignore[no-untyped-def]
    strip = re.compile("\x1b\\[[0-9;]*m")
    for name in ("app-backend-canary-step1", "bluegreen-preview", "checkout-experiment-step", "hostile"):
        sc = load_scenario(name)
        view = sc.rollout_view()
        assert strip.sub("", tree.render_rollout(view, Style(colour=True))) == tree.render_rollout(view, Style(colour=False))
        for ref in sc.refs("Experiment"):
            ev = sc.experiment_view(ref.name)
            assert strip.sub("", tree.render_experiment(ev, Style(colour=True))) == tree.render_experiment(ev, Style(colour=False))


# --------------------------------------------------------------------------- list


def test_list_rollouts_matches_argo_s_documented_example() -> None:
    """The Argo Rollouts kubectl plugin's documented `list rollouts` output (trailing spaces significant)."""
    row = RolloutRow(namespace="default", name="can-guestbook", strategy="Canary", status="Progressing", step="1/3",
                     set_weight="10", ready="1/4", desired=5, updated=3, available=2)
    assert listing.render_rollout_rows([row]) == (
        "NAME           STRATEGY   STATUS        STEP  SET-WEIGHT  READY  DESIRED  UP-TO-DATE  AVAILABLE\n"
        "can-guestbook  Canary     Progressing   1/3   10          1/4    5        3           2        \n"
    )


def test_list_rollouts_printf_widths_apply_before_alignment() -> None:
    short = RolloutRow(namespace="ns", name="a", strategy="Canary", status="Healthy", step="-", set_weight="-",
                       ready="1/1", desired=1, updated=1, available=1)
    assert listing.render_rollout_rows([short], all_namespaces=True, timestamp="2026-03-14T12:00:00Z") == (
        "TIMESTAMP             NAMESPACE  NAME        STRATEGY   STATUS        STEP  SET-WEIGHT  READY  DESIRED  UP-TO-DATE  AVAILABLE\n"
        "2026-03-14T12:00:00Z  ns         a           Canary     Healthy       -     -           1/1    1        1           1        \n"
    )


def test_list_rollouts_header_even_without_rows() -> None:
    assert listing.render_rollout_rows([]) == "NAME  STRATEGY  STATUS  STEP  SET-WEIGHT  READY  DESIRED  UP-TO-DATE  AVAILABLE\n"


def test_list_experiments_widths() -> None:
    row = ExperimentRow(namespace="ns", name="e", status="", duration="-", remaining="-", age="5d")
    assert listing.render_experiment_rows([row], all_namespaces=True) == (
        "NAMESPACE  NAME        STATUS  DURATION  REMAINING  AGE\n"
        "ns         e                   -         -          5d \n"
    )


# --------------------------------------------------------------------------- status


@pytest.mark.parametrize(
    ("status", "message", "watching", "line"),
    [
        ("Healthy", "", False, "Healthy"),
        ("Degraded", "RolloutAborted: metric failed", False, "Degraded"),
        ("Paused", "BlueGreenPause", False, "Paused - BlueGreenPause"),
        ("Progressing", "", False, "Progressing - "),  # QUIRK kept: ` - ` with an empty message
        ("Healthy", "", True, "Healthy"),
        ("Degraded", "RolloutAborted: metric failed", True, "Degraded - RolloutAborted: metric failed"),
        ("Progressing", "", True, "Progressing"),
        ("Paused", "CanaryPauseStep", True, "Paused - CanaryPauseStep"),
    ],
)
def test_status_line(status: str, message: str, watching: bool, line: str) -> None:
    assert listing.status_line(status, message, watching=watching) == line


def test_rollout_without_replica_sets_or_strategy() -> None:
    """No images: no Images line; no strategy: an empty Strategy value and no Step lines;
    a tree with only the root row."""
    import datetime as dt

    from kubectl_rollouts_py.derive.rollout import build_rollout_view

    ro = {"metadata": {"name": "bare", "namespace": "ns", "uid": "u", "creationTimestamp": "2026-03-14T11:00:00Z"}, "spec": {}, "status": {}}
    view = build_rollout_view(ro, replica_sets=[], pods=[], analysis_runs=[], experiments=[], now=dt.datetime(2026, 3, 14, 12, tzinfo=dt.timezone.utc))
    assert tree.render_rollout(view) == (
        "Name:            bare\n"
        "Namespace:       ns\n"
        "Status:          ◌ Progressing\n"
        "Message:         more replicas need to be updated\n"
        "Strategy:        \n"
        "Replicas:\n"
        "  Desired:       1\n"
        "  Current:       0\n"
        "  Updated:       0\n"
        "  Ready:         0\n"
        "  Available:     0\n"
        "\n"
        "NAME    KIND     STATUS         AGE  INFO\n"
        "⟳ bare  Rollout  ◌ Progressing  60m  \n"
    )


def test_list_rollouts_keeps_the_given_order() -> None:
    rows = [RolloutRow(namespace="ns", name=n, strategy="Canary", status="Healthy", step="-", set_weight="100", ready="1/1",
                       desired=1, updated=1, available=1) for n in ("zeta", "alpha")]
    lines = listing.render_rollout_rows(rows).split("\n")
    assert [line.split()[0] for line in lines[1:3]] == ["zeta", "alpha"]
