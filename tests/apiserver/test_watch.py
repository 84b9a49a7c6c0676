"""WATCH: chunked JSON lines, resourceVersion replay, 410 Expired, bookmarks, timeoutSeconds,
selector transitions, and waking on a condition variable rather than a poll."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable

import pytest

from kubectl_rollouts_py.sandbox.apiserver import APIServer

from .support import ROLLOUTS, Client, WatchStream, pod, rollout

Open = Callable[..., WatchStream]


def test_watch_response_is_chunked_json(server: APIServer, watch: Open) -> None:
    stream = watch(ROLLOUTS)
    assert stream.response.status == 200
    assert stream.response.headers["Content-Type"] == "application/json"  # not octet-stream: kubectl rejects that
    assert stream.response.headers["Transfer-Encoding"] == "chunked"


@pytest.mark.parametrize("rv", [None, "", "0"])
def test_watch_without_a_version_starts_with_synthetic_added(server: APIServer, watch: Open, rv: str | None) -> None:
    server.seed([rollout("b"), rollout("a"), rollout("elsewhere", namespace="other"), pod("p")])
    stream = watch(ROLLOUTS, resourceVersion=rv, watch="1") if rv is not None else watch(ROLLOUTS, watch="1")
    first, second = stream.next(), stream.next()
    assert [(e["type"], e["object"]["metadata"]["name"]) for e in (first, second)] == [("ADDED", "a"), ("ADDED", "b")]
    server.apply_change(rollout("a", replicas=2))
    event = stream.next()
    assert event["type"] == "MODIFIED" and event["object"]["spec"]["replicas"] == 2


def test_list_then_watch_has_no_gap(server: APIServer, client: Client, watch: Open) -> None:
    server.seed([rollout("r")])
    listed = client.get(ROLLOUTS).json["metadata"]["resourceVersion"]
    server.apply_change(rollout("r", replicas=5))  # happens between the list and the watch
    server.apply_change(rollout("s"))
    stream = watch(ROLLOUTS, resourceVersion=listed)
    events = [stream.next(), stream.next()]
    assert [(e["type"], e["object"]["metadata"]["name"]) for e in events] == [("MODIFIED", "r"), ("ADDED", "s")]
    assert events[0]["object"]["spec"]["replicas"] == 5
    assert int(events[0]["object"]["metadata"]["resourceVersion"]) == int(listed) + 1


def test_deleted_event_carries_the_deletion_resource_version(server: APIServer, client: Client, watch: Open) -> None:
    server.seed([rollout("r")])
    rv = server.resource_version
    stream = watch(ROLLOUTS, resourceVersion=rv)
    client.delete(f"{ROLLOUTS}/r")
    event = stream.next()
    assert event["type"] == "DELETED" and event["object"]["metadata"]["name"] == "r"
    assert event["object"]["metadata"]["resourceVersion"] == server.resource_version


def test_finalizers_give_modified_then_deleted(server: APIServer, client: Client, watch: Open) -> None:
    obj = rollout("r")
    obj["metadata"]["finalizers"] = ["hold"]
    server.seed([obj])
    stream = watch(ROLLOUTS, resourceVersion=server.resource_version)
    client.delete(f"{ROLLOUTS}/r", {"propagationPolicy": "Background"})
    marked = stream.next()
    assert marked["type"] == "MODIFIED" and marked["object"]["metadata"]["deletionTimestamp"]
    client.patch(f"{ROLLOUTS}/r", {"metadata": {"finalizers": []}})
    assert stream.next()["type"] == "DELETED"


def test_too_old_resource_version_is_an_expired_error_event() -> None:
    with APIServer(event_window=5) as server:
        server.seed([rollout("r")])
        old = server.resource_version
        for replicas in range(2, 12):
            server.apply_change(rollout("r", replicas=replicas))
        assert server.url
        stream = WatchStream(server.url, ROLLOUTS, resourceVersion=old)
        assert stream.response.status == 200  # the error travels inside the stream
        event = stream.next()
        assert event["type"] == "ERROR"
        assert event["object"]["kind"] == "Status"
        assert (event["object"]["code"], event["object"]["reason"]) == (410, "Expired")
        assert stream.next() is None  # and the stream ends
        stream.close()
        # A version inside the window still replays.
        recent = str(int(server.resource_version) - 5)
        ok = WatchStream(server.url, ROLLOUTS, resourceVersion=recent)
        assert ok.next()["type"] == "MODIFIED"
        ok.close()


def test_a_watcher_that_falls_out_of_the_window_gets_expired_mid_stream() -> None:
    with APIServer(event_window=3) as server:
        server.seed([rollout("r")])
        assert server.url
        stream = WatchStream(server.url, ROLLOUTS, resourceVersion=server.resource_version)
        with server.store.cond:  # hold the watcher back while five writes go by
            for replicas in range(2, 7):
                server.apply_change(rollout("r", replicas=replicas))
        event = stream.next()
        assert event["type"] == "ERROR" and event["object"]["code"] == 410
        stream.close()


def test_bookmarks_only_when_allowed() -> None:
    with APIServer(bookmark_interval=0.1) as server:
        server.seed([rollout("r"), pod("p")])
        assert server.url
        allowed = WatchStream(server.url, ROLLOUTS, resourceVersion=server.resource_version, allowWatchBookmarks="true")
        event = allowed.next(timeout=30)  # bounds on a failure, not measures
        assert event["type"] == "BOOKMARK"
        assert event["object"] == {"kind": "Rollout", "apiVersion": "argoproj.io/v1alpha1",
                                   "metadata": {"resourceVersion": server.resource_version}}
        server.apply_change(pod("p2"))  # other kinds still advance the bookmark's version
        while (event := allowed.next(timeout=30))["object"]["metadata"]["resourceVersion"] != server.resource_version:
            assert event["type"] == "BOOKMARK"
        allowed.close()
        # Without allowWatchBookmarks: no BOOKMARK with a change replayed from before the
        # watch, nor with one made while it is open, nor in the twenty bookmark intervals
        # until the timeout ends the stream. Both changes happen in a fixed order: the first
        # before the watch opens, the second once the first event has arrived.
        before = server.resource_version
        server.apply_change(rollout("r", replicas=2))
        plain = WatchStream(server.url, ROLLOUTS, resourceVersion=before, timeoutSeconds="2", read_timeout=30)
        first = plain.next()
        server.apply_change(rollout("r", replicas=3))
        events = [first, *plain.rest()]
        assert [(e["type"], e["object"]["spec"]["replicas"]) for e in events] == [("MODIFIED", 2), ("MODIFIED", 3)]
        plain.close()


def test_timeout_seconds_ends_the_stream_cleanly_with_a_final_bookmark(server: APIServer) -> None:
    assert server.url
    started = time.monotonic()
    stream = WatchStream(server.url, ROLLOUTS, timeoutSeconds="1", allowWatchBookmarks="true")
    events = []
    while (event := stream.next(timeout=30)) is not None:  # a bound on a failure, not a measure
        events.append(event)
    assert time.monotonic() - started >= 0.9  # not ended before its timeout
    assert [e["type"] for e in events] == ["BOOKMARK"]
    # The chunked stream ended properly, so the same connection serves the next request.
    sock = stream.conn.sock
    stream.conn.request("GET", ROLLOUTS)
    assert stream.conn.getresponse().status == 200
    assert stream.conn.sock is sock
    stream.close()


def test_label_selector_transitions(server: APIServer, watch: Open) -> None:
    server.seed([rollout("r", labels={"track": "stable"}), rollout("other", labels={"track": "canary"})])
    stream = watch(ROLLOUTS, labelSelector="track=stable")
    assert stream.next()["object"]["metadata"]["name"] == "r"
    server.apply_change(rollout("r", labels={"track": "stable"}, replicas=2))
    server.apply_change(rollout("other", labels={"track": "canary"}, replicas=2))  # never matches: nothing
    server.apply_change(rollout("r", labels={"track": "canary"}, replicas=3))  # leaves
    server.apply_change(rollout("r", labels={"track": "stable"}, replicas=4))  # enters
    events = [stream.next() for _ in range(3)]
    assert [e["type"] for e in events] == ["MODIFIED", "DELETED", "ADDED"]
    left = events[1]["object"]
    # As the real watch cache does: the previous content, at the new resourceVersion.
    assert left["metadata"]["labels"] == {"track": "stable"} and left["spec"]["replicas"] == 2
    assert int(left["metadata"]["resourceVersion"]) > int(events[0]["object"]["metadata"]["resourceVersion"])
    assert events[2]["object"]["spec"]["replicas"] == 4


def test_single_object_watch_by_field_selector(server: APIServer, watch: Open) -> None:
    server.seed([rollout("a"), rollout("b")])
    stream = watch(ROLLOUTS, fieldSelector="metadata.name=b", resourceVersion=server.resource_version)
    server.apply_change(rollout("a", replicas=2))
    server.apply_change(rollout("b", replicas=2))
    event = stream.next()
    assert (event["type"], event["object"]["metadata"]["name"]) == ("MODIFIED", "b")


def test_watch_sees_only_its_namespace_and_kind(server: APIServer, watch: Open) -> None:
    stream = watch(ROLLOUTS, resourceVersion=server.resource_version)
    server.apply_change(rollout("x", namespace="other"))
    server.apply_change(pod("p"))
    server.apply_change(rollout("mine"))
    assert stream.next()["object"]["metadata"]["name"] == "mine"
    everywhere = watch("/apis/argoproj.io/v1alpha1/rollouts", resourceVersion="1")
    names = {everywhere.next()["object"]["metadata"]["name"] for _ in range(2)}
    assert names == {"x", "mine"}


def test_legacy_watch_path(server: APIServer, watch: Open) -> None:
    server.seed([rollout("a"), rollout("b")])
    stream = watch("/apis/argoproj.io/v1alpha1/watch/namespaces/default/rollouts/b", watch=None)
    assert stream.next()["object"]["metadata"]["name"] == "b"


def test_bad_watch_parameters_are_bad_requests(client: Client) -> None:
    assert client.get(ROLLOUTS, watch="true", resourceVersion="abc").status == 400
    assert client.get(ROLLOUTS, watch="true", timeoutSeconds="soon").status == 400
    assert client.get(ROLLOUTS, watch="true", fieldSelector="spec.x=1").status == 400


def test_stop_ends_open_watches(watch: Open) -> None:
    server = APIServer()
    server.start()
    assert server.url
    stream = WatchStream(server.url, ROLLOUTS)
    stopper = threading.Thread(target=server.stop)
    stopper.start()
    assert stream.rest() == []
    stopper.join(30)  # a bound on a failure only
    assert not stopper.is_alive()
    stream.close()
