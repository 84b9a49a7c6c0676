"""AGE formatting, Go duration parsing, and `list experiments` rows."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from kubectl_rollouts_py.derive.fields import ZERO_TIME
from kubectl_rollouts_py.derive.humantime import age, human_duration
from kubectl_rollouts_py.derive.listing import build_experiment_row

MINUTE, HOUR, DAY = 60, 3600, 86400
NOW = dt.datetime(2026, 3, 14, 12, 0, tzinfo=dt.timezone.utc)

HUMAN = [
    (-3, "<invalid>"),
    (-2, "<invalid>"),
    (-1.9, "0s"),  # truncated toward zero to -1
    (-1, "0s"),
    (0, "0s"),
    (0.9, "0s"),
    (1, "1s"),
    (59, "59s"),
    (119, "119s"),
    (119.99, "119s"),
    (120, "2m"),
    (121, "2m1s"),
    (9 * MINUTE + 59, "9m59s"),
    (10 * MINUTE, "10m"),
    (10 * MINUTE + 59, "10m"),
    (179 * MINUTE + 59, "179m"),
    (3 * HOUR, "3h"),
    (3 * HOUR + 59, "3h"),
    (3 * HOUR + MINUTE, "3h1m"),
    (7 * HOUR + 59 * MINUTE, "7h59m"),
    (7 * HOUR + 59 * MINUTE + 59, "7h59m"),
    (8 * HOUR, "8h"),
    (8 * HOUR + 30 * MINUTE, "8h"),
    (47 * HOUR, "47h"),
    (47 * HOUR + 59 * MINUTE + 59, "47h"),
    (2 * DAY, "2d"),
    (2 * DAY + HOUR, "2d1h"),
    (7 * DAY + 23 * HOUR, "7d23h"),
    (7 * DAY + 23 * HOUR + 59 * MINUTE, "7d23h"),
    (8 * DAY, "8d"),
    (8 * DAY + 23 * HOUR, "8d"),
    (729 * DAY, "729d"),
    (729 * DAY + 23 * HOUR, "729d"),
    (730 * DAY, "2y"),
    (731 * DAY, "2y1d"),
    (2919 * DAY, "7y364d"),
    (2920 * DAY, "8y"),
    (2921 * DAY, "8y"),
    (100 * 365 * DAY, "100y"),
]


@pytest.mark.parametrize(("seconds", "expected"), HUMAN, ids=[e + f"[{s}]" for s, e in HUMAN])
def test_human_duration(seconds: float, expected: str) -> None:
    assert human_duration(seconds) == expected


@pytest.mark.parametrize(
    ("created", "expected"),
    [
        pytest.param(NOW - dt.timedelta(days=7), "7d", id="a week"),
        pytest.param(NOW + dt.timedelta(seconds=1), "0s", id="1s in the future"),
        pytest.param(NOW + dt.timedelta(seconds=1, milliseconds=500), "0s", id="1.5s in the future"),
        pytest.param(NOW + dt.timedelta(seconds=2), "<invalid>", id="2s in the future"),
        pytest.param(NOW - dt.timedelta(seconds=119, microseconds=999999), "119s", id="sub-second part truncated"),
        # Go's time.Duration is int64 nanoseconds: a difference saturates at 292y.
        pytest.param(ZERO_TIME, "292y", id="zero time saturates"),
        pytest.param(dt.datetime(1700, 1, 1, tzinfo=dt.timezone.utc), "292y", id="older than 292y saturates"),
        pytest.param(dt.datetime(1800, 1, 1, tzinfo=dt.timezone.utc), "226y", id="just under the saturation"),
    ],
)
def test_age(created: dt.datetime, expected: str) -> None:
    assert age(created, NOW) == expected


def experiment(phase: str = "Running", duration: Any = "10m", available_at: Any = "2026-03-14T11:55:00Z") -> dict[str, Any]:
    exp: dict[str, Any] = {
        "metadata": {"name": "exp", "namespace": "ns", "creationTimestamp": "2026-03-14T11:54:30Z"},
        "spec": {},
        "status": {"phase": phase},
    }
    if duration is not None:
        exp["spec"]["duration"] = duration
    if available_at is not None:
        exp["status"]["availableAt"] = available_at
    return exp


@pytest.mark.parametrize(
    ("exp", "duration", "remaining"),
    [
        pytest.param(experiment(), "10m", "5m", id="running: availableAt + duration - now"),
        pytest.param(experiment(available_at="2026-03-14T11:51:30Z"), "10m", "90s", id="90s left"),
        pytest.param(experiment(available_at="2026-03-14T11:50:00Z"), "10m", "-", id="exactly 0 left is not shown"),
        pytest.param(experiment(available_at="2026-03-14T11:40:00Z"), "10m", "-", id="overdue"),
        pytest.param(experiment(available_at=None), "10m", "-", id="not yet available"),
        pytest.param(experiment(phase="Pending"), "10m", "5m", id="pending is not completed"),
        *[pytest.param(experiment(phase=p), "10m", "-", id=f"{p} is completed") for p in ("Successful", "Failed", "Error", "Inconclusive")],
        pytest.param(experiment(duration=None), "-", "-", id="no duration runs forever"),
        pytest.param(experiment(duration="1d"), "-", "-", id="not a Go duration"),
        pytest.param(experiment(duration=600), "-", "-", id="duration wrongly typed"),
        pytest.param(experiment(duration="2h30m"), "150m", "145m", id="long duration"),
        pytest.param(experiment(duration="72h", available_at="2026-03-14T11:00:00Z"), "3d", "2d23h", id="days"),
    ],
)
def test_experiment_row(exp: dict[str, Any], duration: str, remaining: str) -> None:
    row = build_experiment_row(exp, NOW)
    assert (row.name, row.namespace, row.duration, row.remaining, row.age) == ("exp", "ns", duration, remaining, "5m30s")
    assert row.status == exp["status"]["phase"]


def test_experiment_row_of_the_experiment_scenario(load_scenario) -> None:  # type: ignore[no-untyped-def]
    sc = load_scenario("checkout-experiment-step")
    row = build_experiment_row(sc.get("Experiment", sc.target.name), sc.now)
    # created 10:02:00, available 10:02:30, duration 10m, now 10:08:00 -> 4m30s left
    assert (row.status, row.duration, row.remaining, row.age) == ("Running", "10m", "4m30s", "6m")
