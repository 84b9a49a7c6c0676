"""The story on the sandbox: after `set image` to the failing tag 1.1, `explain app-backend`
names the metric, its failing values, the limit and the abort, and offers retry, set image
and undo."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.sandbox.conftest import REPO, SandboxProcess


@pytest.fixture()
def sandbox(tmp_path: Path) -> Iterator[SandboxProcess]:
    box = SandboxProcess(tmp_path, "--speed", "60", "--prometheus", "builtin", "--quiet")
    try:
        yield box
    finally:
        assert box.stop() == 0, box.output[-2000:]
        box.assert_nothing_left()


def test_explain_after_the_failing_image(sandbox: SandboxProcess) -> None:
    healthy = sandbox.cli("explain", "app-backend")
    assert healthy.code == 0, healthy.err
    assert f"1. Healthy: running {REPO}:1.0 (revision 1), promoted" in healthy.out

    assert sandbox.cli("set", "image", "app-backend", f"app-backend={REPO}:1.1").code == 0
    sandbox.wait(lambda: sandbox.rollout().get("status", {}).get("abort") is True, timeout=60, what="the abort")
    result = sandbox.cli("why", "app-backend")
    assert result.code == 0 and result.err == "", result.err
    text = result.out
    run = next(r["metadata"]["name"] for r in sandbox.runs() if r.get("status", {}).get("phase") == "Failed")
    assert f"1. The rollout was aborted: analysis {run} ended Failed on metric success-rate." in text
    assert "metric success-rate (Failed): successCondition isNaN(result[0]) || result[0] >= 0.95" in text
    assert re.search(r"latest values \(newest first\): \[0\.\d+\](, \[0\.\d+\])*", text), text
    assert "4 failed > failureLimit 3: the metric failed" in text
    assert "controller: Rollout aborted update to revision 2: Metric \"success-rate\" assessed Failed due to failed (4) > failureLimit (3)" in text
    assert "all traffic is back on the stable ReplicaSet" in text and f"{REPO}:1.0" in text
    for command in ("kubectl rollouts-py retry rollout app-backend -n ithome",
                    f"kubectl rollouts-py set image app-backend app-backend={REPO}:FIXED_TAG -n ithome",
                    "kubectl rollouts-py undo app-backend -n ithome"):
        assert f"       {command}\n" in text

    document = json.loads(sandbox.cli("explain", "app-backend", "-o", "json").out)
    assert document["status"] == "Degraded" and document["causes"][0]["kind"] == "aborted"
