"""The dashboard's memory across a watch renewal that lists a kind again (410 Expired): the
objects of the new list must not stay alive beside the cache's equal older ones. Before the
fix the follow thread kept its last list in a local variable for the whole next watch, a
second copy of every quiet kind (4.3 MiB for 200 rollouts' pods, ReplicaSets and runs): the
server's RSS step at each 300 s renewal in the soak."""

from __future__ import annotations

import gc
import time

from kubectl_rollouts_py.kube import resources as r
from kubectl_rollouts_py.sandbox.apiserver import Fault

from e2e.standin import NS

POD = "app-backend-6d8f9c7b5-jx2vd"


def copies_of_the_pod() -> int:
    gc.collect()
    return sum(1 for o in gc.get_objects()
               if type(o) is dict and isinstance(o.get("metadata"), dict) and o["metadata"].get("name") == POD and "spec" in o)


def test_a_relist_leaves_one_copy_of_each_object(renewing_dash, cluster) -> None:
    pods = f"/api/v1/namespaces/{NS}/pods"
    before = copies_of_the_pod()  # the cache's, and the stand-in's stored one (same process)
    cluster.clear_requests()
    cluster.inject("GET", pods, Fault.watch_expired(), times=1)  # the next watch (renewed within 5 s) meets 410
    deadline = time.monotonic() + 30  # bounds on a failure only
    # The stream lists again, and then watches from that list: by then the list's objects exist.
    while not any(r.method == "GET" and r.path == pods and r.query.get("watch") == "true"
                  for r in cluster.requests[_first_list(cluster, pods) + 1:]):
        assert time.monotonic() < deadline, "the pods were not listed and watched again within 30 s"
        time.sleep(0.1)
    # Once the hub has applied the list, its objects must go. Nothing else happens in the
    # cluster, so a copy kept until the next event would stay for good and fail this wait.
    deadline = time.monotonic() + 30
    while (copies := copies_of_the_pod()) != before:
        assert time.monotonic() < deadline, f"{copies} copies of the pod, {before} before the list"
        time.sleep(0.2)
    assert renewing_dash.hub.cache.get(r.PODS, POD, NS) is not None


def _first_list(cluster, pods: str) -> int:  # type: ignore[no-untyped-def]
    """The index of the first request that lists `pods` (not a watch); len(requests) if none yet."""
    requests = cluster.requests
    return next((i for i, q in enumerate(requests) if q.method == "GET" and q.path == pods and "watch" not in q.query),
                len(requests))
