"""Pod status, READY and restarts, and the pod icon."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from kubectl_rollouts_py.derive.pods import build_pod_view, pod_status
from kubectl_rollouts_py.render.style import pod_icon

NOW = dt.datetime(2026, 3, 14, 12, 0, tzinfo=dt.timezone.utc)


def pod(*, containers: int = 1, init: list[dict[str, Any]] | None = None, deleting: bool = False, **status: Any) -> dict[str, Any]:
    spec: dict[str, Any] = {"containers": [{"name": f"c{i}", "image": "app:1"} for i in range(containers)]}
    if init is not None:
        spec["initContainers"] = init
    metadata: dict[str, Any] = {"name": "p", "creationTimestamp": "2026-03-14T11:00:00Z"}
    if deleting:
        metadata["deletionTimestamp"] = "2026-03-14T12:00:30Z"
    return {"metadata": metadata, "spec": spec, "status": status}


def init_spec(*names: str, sidecars: tuple[str, ...] = ()) -> list[dict[str, Any]]:
    return [{"name": n, "image": "busybox", **({"restartPolicy": "Always"} if n in sidecars else {})} for n in names]


def cs(name: str, state: dict[str, Any], *, ready: bool = False, restarts: int = 0, started: bool | None = None) -> dict[str, Any]:
    out: dict[str, Any] = {"name": name, "ready": ready, "restartCount": restarts, "state": state}
    if started is not None:
        out["started"] = started
    return out


RUNNING = {"running": {"startedAt": "2026-03-14T11:00:05Z"}}


def waiting(reason: str) -> dict[str, Any]:
    return {"waiting": {"reason": reason}}


def terminated(exit_code: int, reason: str = "", signal: int = 0) -> dict[str, Any]:
    body: dict[str, Any] = {"exitCode": exit_code}
    if reason:
        body["reason"] = reason
    if signal:
        body["signal"] = signal
    return {"terminated": body}


MAIN_RUNNING = [cs("c0", RUNNING, ready=True)]

CASES = [
    # ---- phase and status.reason
    ("phase only", pod(phase="Pending"), ("Pending", 0, 0)),
    ("status.reason overrides the phase", pod(phase="Failed", reason="Evicted"), ("Evicted", 0, 0)),
    ("no status at all", {"metadata": {"name": "p"}, "spec": {"containers": [{"name": "c0"}]}}, ("", 0, 0)),
    # ---- init containers, in order
    (
        "init terminated 0 goes on to the next",
        pod(phase="Pending", init=init_spec("a", "b"), initContainerStatuses=[cs("a", terminated(0, "Completed")), cs("b", waiting("PodInitializing"))]),
        ("Init:1/2", 0, 0),
    ),
    (
        "init failed with a reason",
        pod(phase="Pending", init=init_spec("a"), initContainerStatuses=[cs("a", terminated(1, "Error"), restarts=2)]),
        ("Init:Error", 0, 2),
    ),
    (
        "init failed by a signal, no reason",
        pod(phase="Pending", init=init_spec("a"), initContainerStatuses=[cs("a", terminated(137, signal=9))]),
        ("Init:Signal:9", 0, 0),
    ),
    (
        "init failed with an exit code, no reason or signal",
        pod(phase="Pending", init=init_spec("a"), initContainerStatuses=[cs("a", terminated(2))]),
        ("Init:ExitCode:2", 0, 0),
    ),
    (
        "init waiting with a reason",
        pod(phase="Pending", init=init_spec("a"), initContainerStatuses=[cs("a", waiting("ImagePullBackOff"))]),
        ("Init:ImagePullBackOff", 0, 0),
    ),
    (
        "init crash looping",
        pod(phase="Pending", init=init_spec("a"), initContainerStatuses=[cs("a", waiting("CrashLoopBackOff"), restarts=4)]),
        ("Init:CrashLoopBackOff", 0, 4),
    ),
    (
        "init waiting PodInitializing counts as i/n",
        pod(phase="Pending", init=init_spec("a", "b", "c"), initContainerStatuses=[cs("a", waiting("PodInitializing"))]),
        ("Init:0/3", 0, 0),
    ),
    (
        "init running counts as i/n",
        pod(phase="Pending", init=init_spec("a", "b"), initContainerStatuses=[cs("a", terminated(0)), cs("b", RUNNING)]),
        ("Init:1/2", 0, 0),
    ),
    (
        "restarts sum the visited init containers only",
        pod(
            phase="Pending",
            init=init_spec("a", "b", "c"),
            initContainerStatuses=[cs("a", terminated(0), restarts=1), cs("b", terminated(1, "Error"), restarts=2), cs("c", waiting("PodInitializing"), restarts=50)],
        ),
        ("Init:Error", 0, 3),
    ),
    (
        "all init containers done: the main containers decide",
        pod(phase="Running", init=init_spec("a"), initContainerStatuses=[cs("a", terminated(0), restarts=5)], containerStatuses=[cs("c0", RUNNING, ready=True, restarts=1)]),
        ("Running", 1, 1),
    ),
    # ---- native sidecars (init containers with restartPolicy Always)
    (
        "started and ready sidecar goes on to the next init container",
        pod(
            phase="Pending",
            init=init_spec("proxy", "migrate", sidecars=("proxy",)),
            initContainerStatuses=[cs("proxy", RUNNING, ready=True, started=True), cs("migrate", waiting("PodInitializing"))],
        ),
        ("Init:1/2", 0, 0),
    ),
    (
        "started but not ready sidecar stops the init walk without initializing",
        pod(
            phase="Running",
            init=init_spec("proxy", "migrate", sidecars=("proxy",)),
            initContainerStatuses=[cs("proxy", RUNNING, started=True, restarts=3), cs("migrate", waiting("CrashLoopBackOff"))],
            containerStatuses=[cs("c0", waiting("PodInitializing"))],
        ),
        ("PodInitializing", 0, 0),
    ),
    (
        "sidecar that has not started is an ordinary init container",
        pod(phase="Pending", init=init_spec("proxy", sidecars=("proxy",)), initContainerStatuses=[cs("proxy", waiting("PodInitializing"), started=False)]),
        ("Init:0/1", 0, 0),
    ),
    (
        "restartPolicy Always only counts on the matching init container",
        pod(phase="Pending", init=init_spec("proxy", "other", sidecars=("other",)), initContainerStatuses=[cs("proxy", RUNNING, ready=True, started=True)]),
        ("Init:0/2", 0, 0),
    ),
    # Argo checks the terminated cases before the sidecar case, so they are checked first.
    (
        "terminated 0 is checked before the sidecar case",
        pod(
            phase="Pending",
            init=init_spec("proxy", "migrate", sidecars=("proxy",)),
            initContainerStatuses=[cs("proxy", terminated(0, "Completed"), started=True), cs("migrate", waiting("ErrImagePull"))],
            containerStatuses=[cs("c0", waiting("PodInitializing"))],
        ),
        ("Init:ErrImagePull", 0, 0),
    ),
    (
        "terminated non-zero is checked before the sidecar case",
        pod(
            phase="Pending",
            init=init_spec("proxy", sidecars=("proxy",)),
            initContainerStatuses=[cs("proxy", terminated(1, "Error"), started=True, restarts=1)],
            containerStatuses=[cs("c0", waiting("PodInitializing"))],
        ),
        ("Init:Error", 0, 1),
    ),
    # ---- main containers, walked in reverse
    ("running and ready", pod(phase="Running", containerStatuses=MAIN_RUNNING), ("Running", 1, 0)),
    ("running but not ready", pod(phase="Running", containerStatuses=[cs("c0", RUNNING)]), ("Running", 0, 0)),
    ("waiting reason", pod(phase="Pending", containerStatuses=[cs("c0", waiting("ContainerCreating"))]), ("ContainerCreating", 0, 0)),
    ("waiting without a reason keeps the phase", pod(phase="Pending", containerStatuses=[cs("c0", {"waiting": {}})]), ("Pending", 0, 0)),
    ("crash loop with restarts", pod(phase="Running", containerStatuses=[cs("c0", waiting("CrashLoopBackOff"), restarts=7)]), ("CrashLoopBackOff", 0, 7)),
    ("terminated reason", pod(phase="Running", containerStatuses=[cs("c0", terminated(137, "OOMKilled"))]), ("OOMKilled", 0, 0)),
    ("terminated by a signal", pod(phase="Running", containerStatuses=[cs("c0", terminated(143, signal=15))]), ("Signal:15", 0, 0)),
    ("terminated with an exit code", pod(phase="Running", containerStatuses=[cs("c0", terminated(3))]), ("ExitCode:3", 0, 0)),
    ("terminated 0 without reason", pod(phase="Succeeded", containerStatuses=[cs("c0", terminated(0))]), ("ExitCode:0", 0, 0)),
    (
        "the first container wins because the walk is reversed",
        pod(containers=2, phase="Running", containerStatuses=[cs("c0", terminated(1, "Error")), cs("c1", waiting("CrashLoopBackOff"))]),
        ("Error", 0, 0),
    ),
    (
        "a later waiting container does not hide an earlier one",
        pod(containers=2, phase="Running", containerStatuses=[cs("c0", waiting("ImagePullBackOff")), cs("c1", RUNNING, ready=True)]),
        ("ImagePullBackOff", 1, 0),
    ),
    (
        "Completed with a running container shows Running",
        pod(containers=2, phase="Running", containerStatuses=[cs("c0", RUNNING, ready=True), cs("c1", terminated(0, "Completed"))]),
        ("Running", 1, 0),
    ),
    (
        "Completed with a running but unready container stays Completed",
        pod(containers=2, phase="Running", containerStatuses=[cs("c0", RUNNING), cs("c1", terminated(0, "Completed"))]),
        ("Completed", 0, 0),
    ),
    ("Completed alone", pod(phase="Succeeded", containerStatuses=[cs("c0", terminated(0, "Completed"))]), ("Completed", 0, 0)),
    (
        "restarts sum every main container",
        pod(containers=3, phase="Running", containerStatuses=[cs("c0", RUNNING, ready=True, restarts=1), cs("c1", RUNNING, ready=True, restarts=2), cs("c2", RUNNING, restarts=4)]),
        ("Running", 2, 7),
    ),
    # ---- deletion
    ("deletionTimestamp is Terminating", pod(deleting=True, phase="Running", containerStatuses=MAIN_RUNNING), ("Terminating", 1, 0)),
    ("deletionTimestamp beats a waiting reason", pod(deleting=True, phase="Running", containerStatuses=[cs("c0", waiting("CrashLoopBackOff"), restarts=2)]), ("Terminating", 0, 2)),
    ("deletionTimestamp and NodeLost is Unknown", pod(deleting=True, phase="Running", reason="NodeLost", containerStatuses=MAIN_RUNNING), ("Unknown", 1, 0)),
    ("NodeLost without deletion stays NodeLost", pod(phase="Running", reason="NodeLost"), ("NodeLost", 0, 0)),
    ("deleting an initializing pod", pod(deleting=True, phase="Pending", init=init_spec("a"), initContainerStatuses=[cs("a", waiting("PodInitializing"))]), ("Terminating", 0, 0)),
]


@pytest.mark.parametrize(("obj", "expected"), [pytest.param(p, e, id=i) for i, p, e in CASES])
def test_pod_status(obj: dict[str, Any], expected: tuple[str, int, int]) -> None:
    assert pod_status(obj) == expected


def test_ready_total_is_the_number_of_spec_containers() -> None:
    # Two containers in the spec, only one status reported yet.
    v = build_pod_view(pod(containers=2, phase="Running", containerStatuses=MAIN_RUNNING), NOW)
    assert (v.ready, v.total, v.restarts, v.age) == (1, 2, 0, "60m")


@pytest.mark.parametrize(
    ("status", "icon"),
    [
        ("Init:0/1", "◌"),
        ("Init:Error", "◌"),  # Init: is checked before "ends with Error"
        ("Init:CrashLoopBackOff", "◌"),
        ("Signal:9", "✖"),
        ("ExitCode:1", "✖"),
        ("Error", "⚠"),
        ("CreateContainerConfigError", "⚠"),
        ("ErrImagePull", "⚠"),
        ("ErrImageNeverPull", "⚠"),
        ("Pending", "◌"),
        ("Terminating", "◌"),
        ("ContainerCreating", "◌"),
        ("Running", "✔"),
        ("Completed", "✔"),
        ("Failed", "✖"),
        ("InvalidImageName", "✖"),
        ("CrashLoopBackOff", "✖"),
        ("ImagePullBackOff", "⚠"),
        ("RegistryUnavailable", "⚠"),
        ("Unknown", "?"),
        ("OOMKilled", " "),
        ("Evicted", " "),
        ("PodInitializing", " "),
        ("", " "),
        ("running", " "),  # case-sensitive
    ],
)
def test_pod_icon(status: str, icon: str) -> None:
    assert pod_icon(status) == icon
