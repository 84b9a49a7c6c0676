"""Whole hostile clusters: 10,000 pods, 5 MB annotations, hostile strings everywhere,
duplicate owner uids and owner cycles. Each builder returns a fresh list of objects built on
the stand-in's canary (tests/e2e/standin.py), so `get rollout app-backend` has a tree."""

from __future__ import annotations

import copy
from typing import Any

from tests.e2e.standin import NS, ROLLOUT_UID, STABLE_RS_UID, app_backend_objects

ROLLOUT = "app-backend"
RUN = "app-backend-6d8f9c7b5-2"
EXPERIMENT = "app-backend-exp"
FIVE_MB = 5 * 1024 * 1024

# Every trick in one string: CSI, OSC 8 and 52, BEL, C1 CSI, RTL override, zero-width,
# BOM, a lone surrogate, combining marks, a line separator and a NUL.
EVIL = (
    "\x1b[2J\x1b]8;;https://evil.example/\x1b\\link\x1b]8;;\x1b\\\x1b]52;c;cm0gLXJmIH4=\x07"
    "\x9b31m\u202egnp.exe\u200b\u2060\ufeff\ud800e\u0301\u0301\u2028\x00\x7f"
)


def experiment() -> dict[str, Any]:
    return {
        "apiVersion": "argoproj.io/v1alpha1", "kind": "Experiment",
        "metadata": {"name": EXPERIMENT, "namespace": NS, "uid": "exp-1", "creationTimestamp": "2026-11-29T08:00:00Z",
                     "annotations": {"rollout.argoproj.io/revision": "2"},
                     "ownerReferences": [{"apiVersion": "argoproj.io/v1alpha1", "kind": "Rollout", "name": ROLLOUT,
                                          "uid": ROLLOUT_UID, "controller": True}]},
        "spec": {"duration": "5m", "templates": [{"name": "baseline"}]},
        "status": {"phase": "Running", "message": "m", "availableAt": "2026-11-29T08:00:00Z"},
    }


def base() -> list[dict[str, Any]]:
    return [*app_backend_objects(), experiment()]


def ten_thousand_pods() -> list[dict[str, Any]]:
    """The canary with 10,000 more running pods in its stable ReplicaSet."""
    objects = base()
    template = next(o for o in objects if o["kind"] == "Pod")
    for i in range(10_000):
        pod = copy.deepcopy(template)
        pod["metadata"]["name"] = f"app-backend-5c6b7d8f9-{i:05d}"
        pod["metadata"]["uid"] = f"pod-many-{i}"
        objects.append(pod)
    return objects


def five_mb_annotations() -> list[dict[str, Any]]:
    """A 5 MB annotation on every object, and 5 MB in the fields that are printed."""
    objects = base()
    big = "a" * FIVE_MB
    for obj in objects:
        obj["metadata"].setdefault("annotations", {})["example.com/huge"] = big
    rollout = objects[0]
    rollout["status"]["message"] = big
    for obj in objects:
        if obj["kind"] == "ReplicaSet":
            obj["metadata"]["annotations"]["scale-down-deadline"] = big  # unparsable: shown as "delay:"
        if obj["kind"] == "AnalysisRun":
            obj["status"]["metricResults"][0]["measurements"][0]["message"] = big
    return objects


def evil_strings() -> list[dict[str, Any]]:
    """EVIL appended to every string but uids, kinds, apiVersions, timestamps, hashes and
    revisions (so the tree stays connected and every row shows it). The objects named on the
    command line keep their names (argv cannot carry a NUL); a second rollout has EVIL in its
    name, for `list rollouts`."""
    objects = base()
    keep = {"uid", "kind", "apiVersion", "rollout.argoproj.io/revision", "creationTimestamp", "startedAt",
            "finishedAt", "startTime", "availableAt", "rollouts-pod-template-hash", "currentPodHash", "stableRS",
            "namespace", "observedGeneration"}

    def visit(value: Any) -> None:
        items = value.items() if isinstance(value, dict) else enumerate(value) if isinstance(value, list) else []
        for key, item in list(items):
            if isinstance(item, str) and key not in keep:
                value[key] = item + EVIL
            else:
                visit(item)

    named = {"Rollout": ROLLOUT, "AnalysisRun": RUN, "Experiment": EXPERIMENT}
    twin = copy.deepcopy(objects[0])
    twin["metadata"].update(name="evil" + EVIL, uid="evil-rollout")
    visit(objects)
    for obj in objects:
        if obj["kind"] in named:
            obj["metadata"]["name"] = named[obj["kind"]]
    return [*objects, twin]


def owner_tangles() -> list[dict[str, Any]]:
    """Duplicate uids and owner cycles around the canary:

    * a second ReplicaSet with the stable ReplicaSet's uid (and a pod owned by that uid);
    * a ReplicaSet owned by a pod that is owned by that ReplicaSet;
    * a self-owned ReplicaSet also owned by the rollout, and the rollout owned by it;
    * an AnalysisRun and an Experiment owned twice by the rollout;
    * a pod listing the same owner three times.
    """
    objects = base()
    rollout = objects[0]
    stable = next(o for o in objects if o["kind"] == "ReplicaSet")
    twin = copy.deepcopy(stable)
    twin["metadata"]["name"] = "app-backend-twin"
    objects.append(twin)

    loop_rs = copy.deepcopy(stable)
    loop_rs["metadata"].update(name="app-backend-loop", uid="loop-rs")
    loop_pod = copy.deepcopy(next(o for o in objects if o["kind"] == "Pod"))
    loop_pod["metadata"].update(name="app-backend-loop-pod", uid="loop-pod")
    loop_pod["metadata"]["ownerReferences"] = [{"kind": "ReplicaSet", "name": "app-backend-loop", "uid": "loop-rs"}]
    loop_rs["metadata"]["ownerReferences"] = [
        {"kind": "Pod", "name": "app-backend-loop-pod", "uid": "loop-pod"},
        {"kind": "Rollout", "name": ROLLOUT, "uid": ROLLOUT_UID},
    ]
    objects += [loop_rs, loop_pod]

    selfish = copy.deepcopy(stable)
    selfish["metadata"].update(name="app-backend-self", uid="self-rs")
    selfish["metadata"]["ownerReferences"] = [{"kind": "ReplicaSet", "uid": "self-rs"}, {"kind": "Rollout", "uid": ROLLOUT_UID}]
    objects.append(selfish)
    rollout["metadata"]["ownerReferences"] = [{"kind": "ReplicaSet", "uid": "self-rs"}, {"kind": "Rollout", "uid": ROLLOUT_UID}]

    for obj in objects:
        if obj["kind"] in ("AnalysisRun", "Experiment"):
            obj["metadata"]["ownerReferences"] *= 2
    tripled = next(o for o in objects if o["kind"] == "Pod")
    tripled["metadata"]["ownerReferences"] = [{"kind": "ReplicaSet", "uid": STABLE_RS_UID}] * 3
    return objects
