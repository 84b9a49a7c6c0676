"""A real Prometheus whose past holds six hours of the app-backend canary's traffic.

The recording (sandbox.backfill, written as OpenMetrics and backfilled with
`promtool tsdb create-blocks-from openmetrics`) runs from START to END with the stable pods
at 1% 5xx throughout and the canary pod answering 40% 5xx during INCIDENT (one hour).
Without `prometheus`/`promtool` the tests that need them are skipped, except under CI.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from kubectl_rollouts_py.sandbox import backfill, scenario
from kubectl_rollouts_py.sandbox.prometheus import PrometheusProcess

UTC = dt.timezone.utc
START = dt.datetime(2025, 3, 14, 6, 0, tzinfo=UTC)
END = START + dt.timedelta(hours=6)
INCIDENT = (START + dt.timedelta(hours=3), START + dt.timedelta(hours=4))
CANARY_ARGS = ("-a", f"pod-name={scenario.ROLLOUT}", "-a", f"canary-hash={backfill.CANARY_HASH}")


def rfc(moment: dt.datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


def tool_or_skip(name: str) -> str:
    found = shutil.which(name) or (f"/usr/bin/{name}" if Path(f"/usr/bin/{name}").exists() else None)
    if found:
        return found
    reason = f"no `{name}` binary: install Debian's prometheus package"
    if os.environ.get("CI"):
        pytest.fail(reason + " — CI must run these tests", pytrace=False)
    pytest.skip(reason)


@pytest.fixture(scope="session")
def story_prometheus(tmp_path_factory: pytest.TempPathFactory) -> Iterator[PrometheusProcess]:
    binary, promtool = tool_or_skip("prometheus"), tool_or_skip("promtool")
    workdir = tmp_path_factory.mktemp("story-prometheus")
    server = PrometheusProcess(binary, workdir, retention="100y")
    text = backfill.recording(START, END, incidents=[backfill.Incident(*INCIDENT)])
    backfill.backfill(text, server.storage, workdir=workdir, promtool=promtool)
    server.start()
    try:
        yield server
    finally:
        server.stop()


def write_template(tmp_path: Path, obj: dict[str, Any], name: str = "template.json") -> str:
    path = tmp_path / name
    path.write_text(json.dumps(obj))
    return str(path)


@pytest.fixture
def story_template(tmp_path: Path, story_prometheus: PrometheusProcess) -> str:
    """The story's `success-rate` template, measuring the backfilled Prometheus."""
    return write_template(tmp_path, scenario.success_rate_template(story_prometheus.url))
