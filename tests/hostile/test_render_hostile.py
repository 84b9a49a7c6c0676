"""Hostile and broken objects through derive and every renderer, in process.

Properties, over objects with any field missing, retyped or filled with terminal escapes
(tests/hostile/objects.py): deriving and rendering never raises; text output has no raw
control, format, bidi, zero-width, surrogate or private-use character (our own SGR colours
aside); `-o json|yaml` documents are ASCII-only.
"""

from __future__ import annotations

import json
import time
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from kubectl_rollouts_py.render.output import serialise
from kubectl_rollouts_py.derive import analysis as derive_analysis
from kubectl_rollouts_py.derive import listing as derive_listing
from kubectl_rollouts_py.derive import rollout as derive_rollout
from kubectl_rollouts_py.derive import clock
from kubectl_rollouts_py.render import analysis as render_analysis
from kubectl_rollouts_py.render import listing as render_listing
from kubectl_rollouts_py.render import style as st_style
from kubectl_rollouts_py.render import tree
from kubectl_rollouts_py.render.fold import fit_height
from tests.e2e.standin import app_backend_objects
from tests.hostile.objects import HOSTILE_STRINGS, NOW, assert_terminal_safe, by_kind, mutated

STYLES = (st_style.PLAIN, st_style.Style(colour=True))
PROFILE = settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])


def _documents(document: Any) -> None:
    for fmt in ("json", "yaml"):
        text = serialise(document, fmt)
        assert text.isascii(), fmt
        assert_terminal_safe(text)
    json.loads(serialise(document, "json"))


def render_everything(objects: list[Any]) -> None:
    """Every view and renderer the CLI has for these objects, as `get`/`list`/`status`/
    `get analysisrun`/`get experiment` would call them."""
    kinds = by_kind(objects)
    rollouts = [r for r in kinds["Rollout"] if isinstance(r, dict)] or [{}]
    for rollout in rollouts:
        view = derive_rollout.build_rollout_view(
            rollout, replica_sets=kinds["ReplicaSet"], pods=kinds["Pod"], analysis_runs=kinds["AnalysisRun"],
            experiments=kinds["Experiment"], now=NOW,
        )
        for scope in ("auto", "all"):
            view = derive_analysis.attach_analysis(
                view, rollout, analysis_runs=kinds["AnalysisRun"], replica_sets=kinds["ReplicaSet"], scope=scope, now=NOW
            )
        for style in STYLES:
            text = render_analysis.render_rollout_with_analysis(view, style)
            assert_terminal_safe(text)
            assert_terminal_safe(fit_height(text, 12))
        _documents(view.to_dict())
        clock.next_change(view, NOW)
        row = derive_rollout.build_rollout_row(rollout)
        for all_namespaces in (False, True):
            assert_terminal_safe(render_listing.render_rollout_rows([row], all_namespaces=all_namespaces, timestamp="2026-11-29T08:00:00Z"))
        _documents(row.to_dict())
        status, message = derive_rollout.rollout_status(rollout)
        for watching in (False, True):
            assert_terminal_safe(render_listing.status_line(status, message, watching=watching))
    for run in kinds["AnalysisRun"]:
        if isinstance(run, dict):
            detail = derive_analysis.build_analysis_run_view(run, NOW)
            for style in STYLES:
                assert_terminal_safe(render_analysis.render_run_detail(detail, style))
            _documents(detail.to_dict())
    for experiment in kinds["Experiment"]:
        if isinstance(experiment, dict):
            ex_view = derive_rollout.build_experiment_view(
                experiment, replica_sets=kinds["ReplicaSet"], pods=kinds["Pod"], analysis_runs=kinds["AnalysisRun"], now=NOW
            )
            for style in STYLES:
                assert_terminal_safe(tree.render_experiment(ex_view, style))
            _documents(ex_view.to_dict())
            ex_row = derive_listing.build_experiment_row(experiment, NOW)
            assert_terminal_safe(render_listing.render_experiment_rows([ex_row], all_namespaces=True))
            _documents(ex_row.to_dict())


def _experiment() -> dict[str, Any]:
    return {
        "apiVersion": "argoproj.io/v1alpha1", "kind": "Experiment",
        "metadata": {"name": "exp", "namespace": "ithome", "uid": "exp-1", "creationTimestamp": "2026-11-29T08:00:00Z",
                     "annotations": {"rollout.argoproj.io/revision": "2"},
                     "ownerReferences": [{"kind": "Rollout", "uid": "5b1f0c3e-2c8e-4a59-9d1e-000000000001"}]},
        "spec": {"duration": "5m"},
        "status": {"phase": "Running", "message": "m", "availableAt": "2026-11-29T08:00:00Z"},
    }


def base_objects() -> list[dict[str, Any]]:
    return [*app_backend_objects(), _experiment()]


def test_the_unmutated_objects_render() -> None:
    # The baseline: if this fails, the property tests below prove nothing.
    render_everything(base_objects())


@PROFILE
@given(mutated(base_objects()))
def test_broken_objects_never_crash_or_leak_control_characters(objects: list[Any]) -> None:
    render_everything(objects)


# Every string field of every kind gets the hostile string: names, messages, images,
# reasons, phases, conditions, label and annotation values.
@pytest.mark.parametrize("hostile", HOSTILE_STRINGS, ids=[ascii(s[:20]) for s in HOSTILE_STRINGS])
def test_hostile_string_in_every_string_field(hostile: str) -> None:
    objects = base_objects()
    _replace_strings(objects, lambda: hostile)
    render_everything(objects)


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.data())
def test_hostile_strings_mixed_across_fields(data: st.DataObject) -> None:
    objects = base_objects()
    _replace_strings(objects, lambda: data.draw(st.none() | st.sampled_from([s for s in HOSTILE_STRINGS if len(s) < 1000]) | st.text(max_size=20)))
    render_everything(objects)


def _replace_strings(value: Any, pick: Any) -> None:
    """Replace string leaves in place with pick() (None keeps the leaf), keys untouched.

    uids and revision annotations are kept so the tree stays connected and the hostile
    strings reach every row."""
    items = value.items() if isinstance(value, dict) else enumerate(value) if isinstance(value, list) else []
    for key, item in list(items):
        if isinstance(item, str):
            if key in ("uid", "rollout.argoproj.io/revision", "kind"):
                continue
            new = pick()
            if new is not None:
                value[key] = new
        else:
            _replace_strings(item, pick)


# --------------------------------------------------------------------------- found by the tests above


def test_replica_counts_past_float_range() -> None:
    # ActualWeight divided as floats: OverflowError for a count of 10**400 (valid JSON).
    objects = base_objects()
    canary = [o for o in objects if o.get("kind") == "ReplicaSet"][1]
    canary["status"]["availableReplicas"] = 10**400
    objects[0]["status"]["currentStepIndex"] = 0
    render_everything(objects)
    kinds = by_kind(objects)
    view = derive_rollout.build_rollout_view(objects[0], replica_sets=kinds["ReplicaSet"], pods=kinds["Pod"],
                                             analysis_runs=kinds["AnalysisRun"], experiments=kinds["Experiment"], now=NOW)
    assert view.actual_weight == str(10**400 * 100 // 5)


def test_measurements_spanning_the_float_range() -> None:
    # The sparkline's span -1e308..1e308 overflowed to inf; inf/inf is NaN; round(NaN) raised.
    objects = base_objects()
    run = next(o for o in objects if o.get("kind") == "AnalysisRun")
    run["status"]["metricResults"][0]["measurements"] = [
        {"phase": "Successful", "value": v} for v in ("1e308", "-1e308", "0", "[1.7976931348623157e308]")
    ]
    render_everything(objects)
    assert render_analysis.sparkline([1e308, -1e308, 0.0]) == "█▁▅"


def test_long_go_durations_parse_in_linear_time() -> None:
    # Parsing sliced the rest of the string per part: "1s" * 200,000 took 16 s (a 5 MB
    # duration: hours). Now one regex scan. A hang guard, not a speed target.
    objects = base_objects()
    objects[0]["spec"]["strategy"]["canary"]["steps"][1]["pause"]["duration"] = "1s" * 200_000
    next(o for o in objects if o.get("kind") == "Experiment")["spec"]["duration"] = "1s" * 200_000
    start = time.perf_counter()
    render_everything(objects)
    assert time.perf_counter() - start < 10


def test_integer_strings_of_thousands_of_digits() -> None:
    # the Atoi rule once called int() on the annotation: ValueError past Python's 4300-digit limit, so
    # a revision annotation of 5000 digits crashed every view (now: past int64, unset).
    objects = base_objects()
    for obj in objects:
        obj["metadata"].setdefault("annotations", {})["rollout.argoproj.io/revision"] = "9" * 5000
    objects[0]["status"]["observedGeneration"] = "0" * 5000 + "2"
    render_everything(objects)
