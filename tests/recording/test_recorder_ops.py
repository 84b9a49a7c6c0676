"""ops/record.py in-process: the Recorder over a fake Source writes lists and events, trims
pods, says when the API server is unreachable and when it is back, prunes, and stops after
the batch in hand."""

from __future__ import annotations

import datetime as dt
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from kubectl_rollouts_py import errors
from kubectl_rollouts_py.kube import resources as r
from kubectl_rollouts_py.kube.source import ObjectList, WatchEvent
from kubectl_rollouts_py.ops.record import Recorder, trim_pod
from kubectl_rollouts_py.recording.sqlite import open_recording

NOW = dt.datetime(2026, 12, 1, 8, 0, tzinfo=dt.timezone.utc)


def rollout(rv: str, message: str = "") -> dict:
    return {"kind": "Rollout", "metadata": {"name": "app-backend", "namespace": "ithome", "uid": "u", "resourceVersion": rv},
            "status": {"message": message}}


class FakeSource:
    """Lists once (after `fail_lists` failures), then one watch per resource that yields
    its queued events and waits for stop."""

    namespace = "ithome"

    def __init__(self, fail_lists: int = 0) -> None:
        self.fail_lists = fail_lists
        self.events: dict[str, list[WatchEvent]] = {"rollouts": [WatchEvent("MODIFIED", rollout("2", "moved"))]}
        self.lock = threading.Lock()

    def list(self, resource: Any, namespace: Any, **_: Any) -> ObjectList:
        with self.lock:
            if resource is r.ROLLOUTS and self.fail_lists:
                self.fail_lists -= 1
                raise errors.ConnectionFailed("connection refused")
        items = [rollout("1")] if resource is r.ROLLOUTS else []
        return ObjectList(items, "1")

    def watch(self, resource: Any, namespace: Any, *, stop: threading.Event | None = None, **_: Any) -> Iterator[WatchEvent]:
        yield from self.events.pop(resource.plural, [])
        assert stop is not None
        stop.wait(5)


def run_until(recorder: Recorder, condition, timeout: float = 10.0) -> None:  # type: ignore[no-untyped-def]
    def stopper() -> None:
        deadline = time.monotonic() + timeout
        while not condition() and time.monotonic() < deadline:
            time.sleep(0.02)
        recorder.stop()

    thread = threading.Thread(target=stopper, daemon=True)
    thread.start()
    recorder.run()
    thread.join()


def test_lists_and_events_are_recorded_and_stop_ends_the_run(tmp_path: Path) -> None:
    notices: list[str] = []
    with open_recording(tmp_path / "r.db") as store:
        recorder = Recorder(FakeSource(), store, "ithome", clock=lambda: NOW, monotonic=time.monotonic, notify=notices.append,
                            retain_seconds=86400, max_bytes=None)
        run_until(recorder, lambda: recorder.summary.versions >= 2)
        versions = store.rollout_record("ithome", "app-backend").versions
        assert [v["status"]["message"] for _, v in versions] == ["", "moved"]
        assert recorder.summary.ended == "stopped" and notices == []
        assert store._conn.execute("SELECT scope, ended FROM sessions").fetchall() == [("namespace ithome", "stopped")]


def test_an_unreachable_api_server_is_said_once_and_its_return(tmp_path: Path) -> None:
    notices: list[str] = []
    with open_recording(tmp_path / "r.db") as store:
        recorder = Recorder(FakeSource(fail_lists=3), store, None, clock=lambda: NOW, monotonic=time.monotonic,
                            notify=notices.append)
        run_until(recorder, lambda: recorder.summary.versions >= 2 and len(notices) >= 2, timeout=20)
    assert len(notices) == 2, notices
    assert notices[0].startswith("cannot reach the API server (connection refused); retrying")
    assert notices[1] == "the API server is back: recording again"


def test_pods_are_trimmed_to_what_the_tree_reads() -> None:
    pod = {"apiVersion": "v1", "kind": "Pod",
           "metadata": {"name": "p", "namespace": "ithome", "uid": "u", "resourceVersion": "9", "labels": {"a": "b"},
                        "annotations": {"big": "x" * 1000}, "managedFields": [{}], "ownerReferences": [{"uid": "rs"}]},
           "spec": {"containers": [{"name": "c", "image": "i", "env": [{"name": "TOKEN", "value": "s3cret"}]}],
                    "nodeName": "n1"},
           "status": {"phase": "Running", "podIP": "10.0.0.1", "conditions": [{"type": "Ready", "lastProbeTime": "t"}],
                      "containerStatuses": [{"name": "c", "ready": True, "restartCount": 2, "imageID": "sha",
                                             "state": {"running": {}}}]}}
    assert trim_pod(pod) == {
        "apiVersion": "v1", "kind": "Pod",
        "metadata": {"name": "p", "namespace": "ithome", "uid": "u", "labels": {"a": "b"}, "ownerReferences": [{"uid": "rs"}]},
        "spec": {"containers": [{"name": "c", "image": "i"}], "initContainers": []},
        "status": {"phase": "Running", "containerStatuses": [{"name": "c", "ready": True, "restartCount": 2, "state": {"running": {}}}],
                   "initContainerStatuses": []},
    }
