"""Follow changes with list-then-watch streams: no polling, no lost events.

Each stream starts from its list's resourceVersion, resumes from the last seen version
when the server ends it, relists on 410 Expired, and backs off when the network fails.
"""

from __future__ import annotations

import queue
import threading
from collections.abc import Iterator, Sequence
from typing import Any

from kubectl_rollouts_py import errors
from kubectl_rollouts_py.kube import resources as r

_WATCH_SECONDS = 300  # ask the server to end a stream now and then, as client-go does
_BACKOFF = (0.5, 1.0, 2.0, 4.0, 8.0)


def _resource_version(obj: dict[str, Any]) -> str | None:
    metadata = obj.get("metadata")
    version = metadata.get("resourceVersion") if isinstance(metadata, dict) else None
    return version if isinstance(version, str) and version else None


def _follow_one(
    source: Any,
    resource: r.Resource,
    namespace: str | None,
    field_selector: str | None,
    stop: threading.Event,
    out: queue.Queue[tuple[r.Resource, str, dict[str, Any]] | BaseException],
) -> None:
    failures = 0
    version: str | None = None
    while not stop.is_set():
        try:
            if version is None:
                listed = source.list(resource, namespace, field_selector=field_selector)
                version = listed.resource_version
                out.put((resource, "LIST", {"items": listed.items}))
            for event in source.watch(
                resource, namespace, resource_version=version, field_selector=field_selector,
                timeout_seconds=_WATCH_SECONDS, stop=stop,
            ):
                failures = 0
                version = _resource_version(event.object) or version
                if event.type != "BOOKMARK":
                    out.put((resource, event.type, event.object))
        except errors.Expired:
            version = None  # our version fell out of the server's window: relist
        except (errors.ConnectionFailed, errors.ApiError) as exc:
            if isinstance(exc, (errors.Forbidden, errors.Unauthorized, errors.NotFound)):
                out.put(exc)
                return
            stop.wait(_BACKOFF[min(failures, len(_BACKOFF) - 1)])
            failures += 1
        except BaseException as exc:  # hand anything unexpected to the caller's thread
            out.put(exc)
            return


def follow(
    source: Any,
    resources: Sequence[r.Resource],
    namespace: str | None,
    *,
    stop: threading.Event,
    field_selector: str | None = None,
    wait: float | None = None,
) -> Iterator[list[tuple[r.Resource, str, dict[str, Any]]]]:
    """Yield batches of (resource, event type, object) as they happen, until `stop` is set.

    The first batch holds one LIST entry per resource. A batch gathers everything that
    arrived together, so a burst of events costs one redraw. With `wait`, an empty batch
    is yielded when nothing happened for that many seconds (for clocks on screen).
    """
    out: queue.Queue[tuple[r.Resource, str, dict[str, Any]] | BaseException] = queue.Queue()
    threads = [
        threading.Thread(target=_follow_one, args=(source, res, namespace, field_selector, stop, out), daemon=True)
        for res in resources
    ]
    for thread in threads:
        thread.start()
    while not stop.is_set():
        try:
            first = out.get(timeout=wait if wait is not None else 0.5)
        except queue.Empty:
            if wait is not None:
                yield []
            continue
        batch = [first]
        while True:
            try:
                batch.append(out.get_nowait())
            except queue.Empty:
                break
        for item in batch:
            if isinstance(item, BaseException):
                raise item
        yield batch  # type: ignore[misc]
