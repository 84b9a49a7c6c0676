"""kube.cache.ObjectCache and kube.follow.Follower, with a scripted source (no server)."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from typing import Any

import pytest

from kubectl_rollouts_py import errors
from kubectl_rollouts_py.kube import follow
from kubectl_rollouts_py.kube import resources as r
from kubectl_rollouts_py.kube.cache import ObjectCache
from kubectl_rollouts_py.kube.follow import Follower, Stream, Wakeup
from kubectl_rollouts_py.kube.source import ObjectList, WatchEvent


def pod(name: str, rv: str, phase: str = "Running", ns: str = "ns") -> dict[str, Any]:
    return {"kind": "Pod", "metadata": {"name": name, "namespace": ns, "resourceVersion": rv}, "status": {"phase": phase}}


# --------------------------------------------------------------------------- ObjectCache


def test_cache_is_synced_once_every_kind_was_listed() -> None:
    cache = ObjectCache([r.PODS, r.REPLICASETS])
    assert not cache.synced
    assert cache.apply([(r.PODS, "LIST", {"items": []})])  # the first list is a change, even empty
    assert not cache.synced
    cache.apply([(r.REPLICASETS, "LIST", {"items": []})])
    assert cache.synced


def test_events_update_one_object_and_replays_change_nothing() -> None:
    cache = ObjectCache([r.PODS])
    cache.apply([(r.PODS, "LIST", {"items": [pod("b", "1"), pod("a", "2")]})])
    assert [p["metadata"]["name"] for p in cache.items(r.PODS)] == ["a", "b"]  # namespace/name order
    before = cache.changes
    assert not cache.apply([(r.PODS, "MODIFIED", pod("a", "2"))])  # same resourceVersion: a replay
    assert cache.changes == before
    assert cache.apply([(r.PODS, "MODIFIED", pod("a", "3", "Failed"))])
    assert cache.get(r.PODS, "a", "ns")["status"]["phase"] == "Failed"  # type: ignore[index]
    assert cache.apply([(r.PODS, "ADDED", pod("c", "4"))])
    assert cache.apply([(r.PODS, "DELETED", pod("b", "5"))])
    assert not cache.apply([(r.PODS, "DELETED", pod("b", "5"))])  # already gone
    assert [p["metadata"]["name"] for p in cache.items(r.PODS)] == ["a", "c"]
    assert cache.changes == before + 3


def test_a_relist_replaces_the_kind_and_drops_what_was_deleted_meanwhile() -> None:
    cache = ObjectCache([r.PODS])
    cache.apply([(r.PODS, "LIST", {"items": [pod("a", "1"), pod("b", "2")]})])
    assert not cache.apply([(r.PODS, "LIST", {"items": [pod("a", "1"), pod("b", "2")]})])  # same state
    assert cache.apply([(r.PODS, "LIST", {"items": [pod("b", "7")]})])
    assert [p["metadata"]["resourceVersion"] for p in cache.items(r.PODS)] == ["7"]


def test_other_items_and_kinds_are_ignored() -> None:
    cache = ObjectCache([r.PODS])
    assert not cache.apply([Wakeup("resize"), (r.REPLICASETS, "ADDED", pod("x", "1")), (r.PODS, "BOOKMARK", {}),
                            (r.PODS, "ADDED", {"metadata": {}})])
    assert cache.items(r.PODS) == []


def test_items_are_a_copy_of_the_list() -> None:
    cache = ObjectCache([r.PODS])
    cache.apply([(r.PODS, "LIST", {"items": [pod("a", "1")]})])
    cache.items(r.PODS).clear()
    assert len(cache.items(r.PODS)) == 1


# --------------------------------------------------------------------------- Follower


class ScriptedSource:
    """A Source whose list and watch answers come from scripts; watch calls are recorded."""

    namespace = "ns"

    def __init__(self, lists: list[Any], watches: list[Any]) -> None:
        self.lists, self.watches = list(lists), list(watches)
        self.listed = 0
        self.watched: list[str] = []

    def list(self, resource: Any, namespace: Any, **kwargs: Any) -> ObjectList:
        self.listed += 1
        answer = self.lists.pop(0)
        if isinstance(answer, BaseException):
            raise answer
        return answer

    def watch(self, resource: Any, namespace: Any, *, resource_version: str, stop: threading.Event, **kwargs: Any) -> Iterator[WatchEvent]:
        self.watched.append(resource_version)
        script = self.watches.pop(0) if self.watches else None
        if script is None:
            stop.wait()
            return
        for item in script:
            if isinstance(item, BaseException):
                raise item
            yield item


def drain(follower: Follower, until: int, timeout: float = 30.0) -> list[Any]:
    """The first `until` items the follower hands over (`timeout` only bounds a failure)."""
    got: list[Any] = []
    deadline = time.monotonic() + timeout
    while len(got) < until and time.monotonic() < deadline:
        batch = follower.get(0.1)
        got.extend(batch or [])
    return got


def test_follower_lists_then_watches_from_the_list_version_and_resumes(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(follow, "BACKOFF", (0.01,))
    source = ScriptedSource(
        lists=[ObjectList([pod("a", "5")], "10"), ObjectList([pod("a", "30")], "31")],
        watches=[
            [WatchEvent("MODIFIED", pod("a", "11")), WatchEvent("BOOKMARK", {"metadata": {"resourceVersion": "12"}})],  # ends
            [errors.ConnectionFailed("refused")],  # network failure: back off, resume from 12
            [errors.Expired("too old")],  # 410: list again
            [WatchEvent("DELETED", pod("a", "32"))],
        ],
    )
    with Follower(source, [Stream(r.PODS, "ns")]) as follower:
        got = drain(follower, 4)
    kinds = [(kind, obj.get("metadata", {}).get("resourceVersion")) for _, kind, obj in got]
    assert kinds == [("LIST", None), ("MODIFIED", "11"), ("LIST", None), ("DELETED", "32")]  # no BOOKMARK handed over
    assert source.watched[:4] == ["10", "12", "12", "31"]


def test_follower_starts_from_a_given_list_without_listing() -> None:
    source = ScriptedSource(lists=[], watches=[])
    stream = Stream(r.PODS, "ns", listed=ObjectList([pod("a", "1")], "7"))
    with Follower(source, [stream]) as follower:
        got = drain(follower, 1)
        deadline = time.monotonic() + 30  # the watch starts after the list is handed over
        while not source.watched and time.monotonic() < deadline:
            time.sleep(0.01)
    assert got == [(r.PODS, "LIST", {"items": [pod("a", "1")]})]
    assert source.listed == 0 and source.watched == ["7"]


@pytest.mark.parametrize("fatal", [errors.Forbidden("no", status=403), errors.NotFound("gone"), RuntimeError("bug")])
def test_fatal_errors_are_raised_in_the_callers_thread(fatal: BaseException) -> None:
    source = ScriptedSource(lists=[fatal], watches=[])
    with Follower(source, [Stream(r.PODS, "ns")]) as follower, pytest.raises(type(fatal)):
        drain(follower, 1)


def test_max_failures_gives_up(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(follow, "BACKOFF", (0.001,))
    source = ScriptedSource(lists=[errors.ConnectionFailed("refused")] * 5, watches=[])
    with Follower(source, [Stream(r.PODS, "ns")], max_failures=2, retry_first_list=True) as follower, \
            pytest.raises(errors.ConnectionFailed):
        drain(follower, 3)  # a Trouble report may come first (after the second failure)
    assert source.listed == 3


def test_a_stream_that_keeps_failing_reports_trouble_then_recovery(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(follow, "BACKOFF", (0.001,))
    failing = [errors.ConnectionFailed("refused")] * 3
    source = ScriptedSource(lists=[*failing, ObjectList([pod("a", "5")], "6")], watches=[])
    with Follower(source, [Stream(r.PODS, "ns")], retry_first_list=True) as follower:
        got = drain(follower, 4)
    assert [type(item).__name__ for item in got] == ["Trouble", "Trouble", "tuple", "Recovered"]
    assert got[0] == follow.Trouble(r.PODS, "refused", 2) and got[1].failures == 3
    assert got[2][1] == "LIST"
    assert got[3] == follow.Recovered(r.PODS)


def test_a_failed_first_list_is_raised_at_once_unless_asked_to_retry(monkeypatch: pytest.MonkeyPatch) -> None:
    # The source has retried the read already; a caller with nothing to show yet must hear of it.
    monkeypatch.setattr(follow, "BACKOFF", (0.001,))
    source = ScriptedSource(lists=[errors.ApiError("answered 503 5 times", status=503), ObjectList([], "1")], watches=[])
    with Follower(source, [Stream(r.PODS, "ns")]) as follower, pytest.raises(errors.ApiError):
        drain(follower, 1)
    assert source.listed == 1
    source = ScriptedSource(lists=[errors.ApiError("answered 503 5 times", status=503), ObjectList([], "1")], watches=[])
    with Follower(source, [Stream(r.PODS, "ns")], retry_first_list=True) as follower:
        assert drain(follower, 1)[0][1] == "LIST"


def test_get_blocks_without_timeout_until_woken() -> None:
    source = ScriptedSource(lists=[ObjectList([], "1")], watches=[])
    with Follower(source, [Stream(r.PODS, "ns")]) as follower:
        assert drain(follower, 1)[0][1] == "LIST"
        assert follower.get(0.05) is None
        # Usually the wake-up comes while get() waits; earlier, get() must return it all the same.
        threading.Timer(0.05, follower.wake, args=("stop",)).start()
        batch = follower.get()  # no timeout: only the wake-up ends the wait
    assert batch is not None and isinstance(batch[0], Wakeup) and batch[0].reason == "stop"
