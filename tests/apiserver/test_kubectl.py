"""The real kubectl (v1.32 on these machines) against the stand-in server."""

from __future__ import annotations

import json
import queue
import subprocess
import threading
import time
from collections.abc import Callable
from typing import Any

import pytest

from kubectl_rollouts_py.sandbox.apiserver import APIServer, RecordedRequest

from .support import JSON_PATCH, MERGE, STRATEGIC, pod, rollout

Kubectl = Callable[..., subprocess.CompletedProcess[str]]


@pytest.fixture
def seeded(server: APIServer) -> APIServer:
    server.seed([
        rollout("web", replicas=3),
        rollout("api"),
        pod("web-1", labels={"app": "x"}, containers=[{"name": "app", "image": "app:1"}, {"name": "proxy", "image": "proxy:1"}]),
        pod("web-2", labels={"app": "x"}, phase="Pending"),
        pod("db-1", labels={"app": "y"}),
    ])
    return server


def _rows(stdout: str) -> list[list[str]]:
    return [line.split() for line in stdout.splitlines()]


def test_get_rollouts_prints_a_table(seeded: APIServer, kubectl: Kubectl) -> None:
    rows = _rows(kubectl("get", "rollouts.argoproj.io").stdout)
    assert rows[0][0] == "NAME"
    assert [r[0] for r in rows[1:]] == ["api", "web"]


def test_get_one_rollout_as_json_by_short_name(seeded: APIServer, kubectl: Kubectl) -> None:
    result = kubectl("get", "ro", "web", "-o", "json")
    obj = json.loads(result.stdout)
    assert (obj["kind"], obj["metadata"]["name"], obj["spec"]["replicas"]) == ("Rollout", "web", 3)
    assert "could also match" not in result.stderr  # no ambiguous short names from subresources


def test_get_pods_by_label_and_field_selector(seeded: APIServer, kubectl: Kubectl) -> None:
    assert [r[0] for r in _rows(kubectl("get", "pods", "-l", "app=x").stdout)[1:]] == ["web-1", "web-2"]
    running = kubectl("get", "pods", "-l", "app in (x,y)", "--field-selector", "status.phase=Running").stdout
    assert [r[0] for r in _rows(running)[1:]] == ["db-1", "web-1"]


def test_get_missing_rollout_reports_not_found(seeded: APIServer, kubectl: Kubectl) -> None:
    result = kubectl("get", "ro", "nope", check=False)
    assert result.returncode == 1
    assert result.stderr.strip() == 'Error from server (NotFound): rollouts.argoproj.io "nope" not found'


def test_forbidden_get(seeded: APIServer, kubectl: Kubectl) -> None:
    seeded.forbid("get", "rollouts")
    result = kubectl("get", "ro", "web", check=False)
    assert result.returncode == 1
    assert result.stderr.startswith('Error from server (Forbidden): rollouts.argoproj.io "web" is forbidden')


def _wait_for_watch(server: APIServer, timeout: float = 10) -> RecordedRequest:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        found = [r for r in server.requests if r.query.get("watch") == "true"]
        if found:
            return found[0]
        time.sleep(0.02)
    raise AssertionError("kubectl never started its watch")


def _wait_for_watch_loop(server: APIServer, timeout: float = 30) -> None:
    """Until a watch stream has taken its starting point and waits for changes (a thread waits
    on the store's condition): a change from now on is an event of its own, not part of the
    synthetic ADDED events the stream starts with."""
    deadline = time.monotonic() + timeout
    while True:
        with server.store.cond:
            if server.store.waiting:  # seen under the lock: a stream is inside cond.wait()
                return
        assert time.monotonic() < deadline, "the watch never started waiting for changes"
        time.sleep(0.02)


def test_watch_prints_a_line_per_change(seeded: APIServer, kubectl: Kubectl) -> None:
    proc = subprocess.Popen([*kubectl.cmd, "get", "ro", "web", "-w"], env=kubectl.env,  # type: ignore[attr-defined]
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    lines: queue.Queue[str] = queue.Queue()
    reader = threading.Thread(target=lambda: [lines.put(line) for line in proc.stdout], daemon=True)  # type: ignore[union-attr]
    reader.start()
    try:
        assert lines.get(timeout=10).split()[0] == "NAME"
        assert lines.get(timeout=10).split()[0] == "web"
        # kubectl watches from resourceVersion 0 and skips the first (synthetic ADDED) event,
        # so a change made before its watch is registered would be swallowed: wait for it.
        watch = _wait_for_watch(seeded)
        assert watch.query["fieldSelector"] == "metadata.name=web"
        _wait_for_watch_loop(seeded)
        seeded.apply_change(rollout("web", replicas=4))
        assert lines.get(timeout=10).split()[0] == "web"  # the MODIFIED event, printed
        seeded.apply_change(rollout("api", replicas=4))  # not watched: no line
        with pytest.raises(queue.Empty):
            lines.get(timeout=0.3)
    finally:
        proc.kill()
        proc.wait(10)
        proc.stdout.close()  # type: ignore[union-attr]
        proc.stderr.close()  # type: ignore[union-attr]


def test_patch_merge(seeded: APIServer, kubectl: Kubectl) -> None:
    seeded.clear_requests()
    result = kubectl("patch", "rollouts.argoproj.io", "web", "--type", "merge", "-p", '{"spec":{"paused":true}}')
    assert result.stdout.strip() == "rollout.argoproj.io/web patched"
    assert seeded.get_object("rollouts", "default", "web")["spec"]["paused"] is True  # type: ignore[index]
    patch = next(r for r in seeded.requests if r.method == "PATCH")
    assert patch.content_type == MERGE
    again = kubectl("patch", "rollouts.argoproj.io", "web", "--type", "merge", "-p", '{"spec":{"paused":true}}')
    assert again.stdout.strip() == "rollout.argoproj.io/web patched (no change)"


def test_patch_json(seeded: APIServer, kubectl: Kubectl) -> None:
    seeded.clear_requests()
    kubectl("patch", "rollouts.argoproj.io", "web", "--type", "json", "-p",
            '[{"op":"replace","path":"/spec/replicas","value":5}]')
    assert seeded.get_object("rollouts", "default", "web")["spec"]["replicas"] == 5  # type: ignore[index]
    assert next(r for r in seeded.requests if r.method == "PATCH").content_type == JSON_PATCH
    failed = kubectl("patch", "ro", "web", "--type", "json", "-p", '[{"op":"test","path":"/spec/replicas","value":1}]', check=False)
    assert failed.returncode == 1
    assert failed.stderr.startswith("The request is invalid: ") and "testing value /spec/replicas failed" in failed.stderr


def test_patch_status_subresource(seeded: APIServer, kubectl: Kubectl) -> None:
    seeded.clear_requests()
    kubectl("patch", "rollouts.argoproj.io", "web", "--subresource=status", "--type", "merge",
            "-p", '{"status":{"phase":"Paused"},"spec":{"replicas":1}}')
    obj: Any = seeded.get_object("rollouts", "default", "web")
    assert obj["status"] == {"phase": "Paused"}
    assert obj["spec"]["replicas"] == 3
    assert next(r for r in seeded.requests if r.method == "PATCH").path.endswith("/rollouts/web/status")


def test_strategic_patch_on_a_pod(seeded: APIServer, kubectl: Kubectl) -> None:
    seeded.clear_requests()
    kubectl("patch", "pod", "web-1", "-p", '{"spec":{"containers":[{"name":"app","image":"app:2"}]}}')
    containers = seeded.get_object("pods", "default", "web-1")["spec"]["containers"]  # type: ignore[index]
    assert containers == [{"name": "app", "image": "app:2"}, {"name": "proxy", "image": "proxy:1"}]
    assert next(r for r in seeded.requests if r.method == "PATCH").content_type == STRATEGIC


def test_strategic_patch_on_a_rollout_is_refused(seeded: APIServer, kubectl: Kubectl) -> None:
    result = kubectl("patch", "ro", "web", "-p", '{"spec":{"paused":true}}', check=False)
    assert result.returncode == 1
    assert "application/strategic-merge-patch+json is not supported" in result.stderr


def test_delete(seeded: APIServer, kubectl: Kubectl) -> None:
    seeded.clear_requests()
    assert kubectl("delete", "rollouts.argoproj.io", "web").stdout.strip() == 'rollout.argoproj.io "web" deleted'
    assert seeded.get_object("rollouts", "default", "web") is None
    delete = next(r for r in seeded.requests if r.method == "DELETE")
    assert delete.json()["propagationPolicy"] == "Background"
    assert kubectl("delete", "pod", "db-1").stdout.strip() == 'pod "db-1" deleted'
    assert kubectl("get", "pods", "-o", "name").stdout.split() == ["pod/web-1", "pod/web-2"]
