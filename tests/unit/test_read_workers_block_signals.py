"""Worker threads leave the stopping signals to the main thread (issue 9)."""

from __future__ import annotations

import signal
import threading
from typing import Any

from kubectl_rollouts_py._threads import MAIN_THREAD_ONLY
from kubectl_rollouts_py.kube import fetch
from kubectl_rollouts_py.kube import resources as r
from kubectl_rollouts_py.kube.source import ObjectList


class MaskRecordingSource:
    """A source whose reads note which signals the thread that runs them blocks."""

    namespace = "ns"

    def __init__(self) -> None:
        self.masks: list[tuple[str, set[int]]] = []
        self._lock = threading.Lock()

    def _note(self) -> None:
        with self._lock:
            self.masks.append((threading.current_thread().name, set(signal.pthread_sigmask(signal.SIG_BLOCK, []))))

    def get(self, resource: r.Resource, name: str, namespace: str) -> dict[str, Any]:
        self._note()
        return {"metadata": {"name": name, "namespace": namespace}, "spec": {}}

    def list(self, resource: r.Resource, namespace: str, **_: Any) -> ObjectList:
        self._note()
        return ObjectList([], "1")


def test_fetch_workers_block_the_stopping_signals_and_the_main_thread_does_not() -> None:
    assert threading.current_thread() is threading.main_thread()
    source = MaskRecordingSource()
    fetch.fetch_with_namespace(source, r.EXPERIMENTS, "x", "ns")
    assert len(source.masks) == 5
    # Each round's first read runs in the main thread (a signal interrupts it there), the
    # others in workers that leave the stopping signals to the main thread.
    workers = [(name, mask) for name, mask in source.masks if name != "MainThread"]
    assert len(workers) == 3
    for name, mask in workers:
        assert MAIN_THREAD_ONLY <= mask, (name, mask)
    for name, mask in source.masks:
        if name == "MainThread":
            assert not MAIN_THREAD_ONLY & mask
    assert not MAIN_THREAD_ONLY & set(signal.pthread_sigmask(signal.SIG_BLOCK, []))
