"""The sandbox's objects: names, labels, hashes and builders shaped like Argo's and Kubernetes',
the simulated clock, and one pass's view of the namespace. Pure: no requests."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, Protocol

from kubectl_rollouts_py.environment import utcnow
from kubectl_rollouts_py.kube import resources as r

JSON = dict[str, Any]

HASH_LABEL = "rollouts-pod-template-hash"
REVISION = "rollout.argoproj.io/revision"
DESIRED_REPLICAS = "rollout.argoproj.io/desired-replicas"
SERVICES = r.Resource("", "v1", "services", "Service")
TERMINAL = ("Successful", "Failed", "Error", "Inconclusive")

# Kubernetes' rand.SafeEncodeString alphabet: no vowels, no look-alike characters.
_ALPHANUMS = "bcdfghjklmnpqrstvwxz2456789"


# ------------------------------------------------------------------------------ helpers


def timestamp(moment: dt.datetime) -> str:
    """RFC 3339 with whole seconds, as metav1.Time is written."""
    return moment.astimezone(dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def parse_time(text: Any) -> dt.datetime | None:
    if not isinstance(text, str) or not text:
        return None
    try:
        return dt.datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        return None


def _fnv32a(data: bytes) -> int:
    value = 0x811C9DC5
    for byte in data:
        value = ((value ^ byte) * 0x01000193) & 0xFFFFFFFF
    return value


def pod_template_hash(template: Mapping[str, Any]) -> str:
    """The `rollouts-pod-template-hash` of a pod template, shaped like Argo's.

    Argo hashes its Go printout of the template with FNV-32a and encodes the decimal digits
    with SafeEncodeString; we hash the canonical JSON (without the hash label) the same
    way, so equal templates get equal hashes and the text looks the same (`7d9f8c6b5`).
    """
    copy = json.loads(json.dumps(template))
    template_labels = (copy.get("metadata") or {}).get("labels")
    if isinstance(template_labels, dict):
        template_labels.pop(HASH_LABEL, None)
    data = json.dumps(copy, sort_keys=True, separators=(",", ":")).encode()
    return "".join(_ALPHANUMS[b % len(_ALPHANUMS)] for b in str(_fnv32a(data)).encode())


def steps_hash(steps: Any) -> str:
    data = json.dumps(steps or [], sort_keys=True, separators=(",", ":")).encode()
    return "".join(_ALPHANUMS[b % len(_ALPHANUMS)] for b in str(_fnv32a(data)).encode())


def random_suffix(seed: str, length: int = 5) -> str:
    """Five characters from the generateName alphabet, derived from `seed` (deterministic)."""
    digest = hashlib.sha256(seed.encode()).digest()
    return "".join(_ALPHANUMS[b % len(_ALPHANUMS)] for b in digest[:length])


def merge_patch_diff(old: Any, new: Any) -> Any:
    """The JSON merge patch that turns `old` into `new` (None values in `new` are not allowed)."""
    if not isinstance(old, dict) or not isinstance(new, dict):
        return new
    patch: JSON = {}
    for key in old.keys() - new.keys():
        patch[key] = None
    for key, value in new.items():
        if key not in old:
            patch[key] = value
        elif not _same_json(old[key], value):
            patch[key] = merge_patch_diff(old[key], value) if isinstance(old[key], dict) and isinstance(value, dict) else value
    return patch


def _same_json(a: Any, b: Any) -> bool:
    return json.dumps(a, sort_keys=True) == json.dumps(b, sort_keys=True)


def meta_of(obj: Mapping[str, Any]) -> JSON:
    found = obj.get("metadata")
    return found if isinstance(found, dict) else {}


def name_of(obj: Mapping[str, Any]) -> str:
    return str(meta_of(obj).get("name") or "")


def labels_of(obj: Mapping[str, Any]) -> JSON:
    found = meta_of(obj).get("labels")
    return found if isinstance(found, dict) else {}


def annotations_of(obj: Mapping[str, Any]) -> JSON:
    found = meta_of(obj).get("annotations")
    return found if isinstance(found, dict) else {}


def owned_by(obj: Mapping[str, Any], uid: str) -> bool:
    refs = meta_of(obj).get("ownerReferences") or []
    return any(isinstance(ref, dict) and ref.get("uid") == uid and ref.get("controller") for ref in refs)


def revision_of(rs: Mapping[str, Any]) -> int:
    try:
        return int(str(annotations_of(rs).get(REVISION, "0")))
    except ValueError:
        return 0


def as_int(value: Any, default: int) -> int:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return default
    return int(value)


def owner_reference(owner: Mapping[str, Any]) -> JSON:
    return {
        "apiVersion": owner.get("apiVersion", ""),
        "kind": owner.get("kind", ""),
        "name": name_of(owner),
        "uid": meta_of(owner).get("uid", ""),
        "controller": True,
        "blockOwnerDeletion": True,
    }


def replicas_for_weight(replicas: int, weight: int) -> tuple[int, int]:
    """(canary, stable) pods for a canary weight: ceil of the canary's share, the rest stable."""
    weight = max(0, min(100, weight))
    canary = min(replicas, math.ceil(replicas * weight / 100))
    return canary, replicas - canary


# ------------------------------------------------------------------------------ object builders


def new_replica_set(rollout: Mapping[str, Any], pod_hash: str, revision: int, replicas: int) -> JSON:
    """The ReplicaSet a Rollout makes for its current pod template."""
    spec = rollout.get("spec") or {}
    template = json.loads(json.dumps(spec.get("template") or {}))
    template.setdefault("metadata", {}).setdefault("labels", {})[HASH_LABEL] = pod_hash
    selector = json.loads(json.dumps(spec.get("selector") or {}))
    selector.setdefault("matchLabels", {})[HASH_LABEL] = pod_hash
    return {
        "apiVersion": "apps/v1",
        "kind": "ReplicaSet",
        "metadata": {
            "name": f"{name_of(rollout)}-{pod_hash}",
            "namespace": meta_of(rollout).get("namespace"),
            "labels": dict(template["metadata"]["labels"]),
            "annotations": {
                DESIRED_REPLICAS: str(as_int(spec.get("replicas"), 1)),
                REVISION: str(revision),
            },
            "ownerReferences": [owner_reference(rollout)],
        },
        "spec": {"replicas": replicas, "selector": selector, "template": template},
    }


def new_pod(rs: Mapping[str, Any], *, name: str | None = None) -> JSON:
    """A pod of a ReplicaSet, as the ReplicaSet controller creates it (without status)."""
    template = (rs.get("spec") or {}).get("template") or {}
    tmeta = template.get("metadata") or {}
    metadata: JSON = {
        "namespace": meta_of(rs).get("namespace"),
        "labels": dict(tmeta.get("labels") or {}),
        "ownerReferences": [owner_reference(rs)],
    }
    if tmeta.get("annotations"):
        metadata["annotations"] = dict(tmeta["annotations"])
    if name:
        metadata["name"] = name
    else:
        metadata["generateName"] = f"{name_of(rs)}-"
    spec = json.loads(json.dumps(template.get("spec") or {}))
    spec.setdefault("nodeName", "sandbox-node")
    spec.setdefault("serviceAccountName", "default")
    return {"apiVersion": "v1", "kind": "Pod", "metadata": metadata, "spec": spec}


def ready_pod_status(pod: Mapping[str, Any], *, started: dt.datetime, ip: str) -> JSON:
    """A Running, ready pod's status (every container started at `started`)."""
    when = timestamp(started)
    containers = ((pod.get("spec") or {}).get("containers")) or []
    statuses = []
    for container in containers:
        image = str(container.get("image", ""))
        digest = hashlib.sha256(image.encode()).hexdigest()
        statuses.append(
            {
                "containerID": "containerd://" + hashlib.sha256((name_of(pod) + image).encode()).hexdigest(),
                "image": image,
                "imageID": f"docker.io/{image.split(':')[0]}@sha256:{digest}",
                "name": container.get("name", ""),
                "ready": True,
                "restartCount": 0,
                "started": True,
                "state": {"running": {"startedAt": when}},
            }
        )
    return {
        "conditions": [
            {"lastTransitionTime": when, "status": "True", "type": kind}
            for kind in ("Initialized", "Ready", "ContainersReady", "PodScheduled")
        ],
        "containerStatuses": statuses,
        "hostIP": "127.0.0.1",
        "phase": "Running",
        "podIP": ip,
        "podIPs": [{"ip": ip}],
        "qosClass": "Burstable",
        "startTime": when,
    }


def pod_is_ready(pod: Mapping[str, Any]) -> bool:
    status = pod.get("status") or {}
    if status.get("phase") != "Running" or meta_of(pod).get("deletionTimestamp"):
        return False
    return any(c.get("type") == "Ready" and c.get("status") == "True" for c in status.get("conditions") or [] if isinstance(c, dict))


# ------------------------------------------------------------------------------ time


class SimClock:
    """Wall time, and a simulated time that runs `speed` times faster since `origin`, except
    while held (`hold()` until `release()`): then it stands still.

    The sandbox holds it while Prometheus has not yet scraped the demo app's newest pods,
    so that in simulated time scraping is instant: at any speed, a measurement finds the
    samples a real cluster would have by then. Each hold is kept as a segment (its wall
    start and end, and the simulated instant it stopped at), so that times convert both
    ways across holds.
    """

    def __init__(self, speed: float, wall: Callable[[], dt.datetime] = utcnow) -> None:
        if not speed > 0:
            raise ValueError("speed must be > 0")
        self.speed = speed
        self._wall = wall
        self.origin = wall()
        self._holds: list[tuple[dt.datetime, dt.datetime, dt.datetime]] = []  # (wall start, wall end, sim instant)
        self._held_total = dt.timedelta(0)  # the length of the segments in _holds
        self._since: dt.datetime | None = None  # the wall start of the hold going on

    def wall(self) -> dt.datetime:
        return self._wall()

    def sim(self) -> dt.datetime:
        return self.to_sim(self._wall())

    @property
    def holding(self) -> bool:
        return self._since is not None

    def held_for(self) -> float:
        """Wall seconds the hold going on has lasted (0 when none)."""
        return 0.0 if self._since is None else max(0.0, (self._wall() - self._since).total_seconds())

    def hold(self) -> None:
        """Stop simulated time from now until release()."""
        if self._since is None:
            self._since = self._wall()

    def release(self) -> None:
        """Let simulated time run again, from where it stood."""
        if self._since is None:
            return
        start, self._since = self._since, None
        end = max(start, self._wall())
        self._holds.append((start, end, self.to_sim(start)))
        self._held_total += end - start

    def _held_before(self, wall: dt.datetime) -> dt.timedelta:
        """How much of the wall time up to `wall` was held."""
        held = self._held_total
        for start, end, _ in reversed(self._holds):  # recent times are asked most: stop early
            if end <= wall:
                break
            held -= end - max(start, wall) if start < wall else end - start
        if self._since is not None and wall > self._since:
            held += wall - self._since
        return held

    def to_sim(self, wall: dt.datetime) -> dt.datetime:
        return self.origin + (wall - self.origin - self._held_before(wall)) * self.speed

    def to_wall(self, sim: dt.datetime) -> dt.datetime:
        """The wall time simulated time reached `sim` (the end of a hold that stopped there)."""
        held = self._held_total
        for start, end, at in reversed(self._holds):  # the instants only grow: stop at the first one reached
            if at <= sim:
                break
            held -= end - start
        if self._since is not None and self.to_sim(self._since) <= sim:
            held += self._wall() - self._since
        return self.origin + (sim - self.origin) / self.speed + held

    def wall_seconds(self, sim_seconds: float) -> float:
        return sim_seconds / self.speed


# ------------------------------------------------------------------------------ hooks


class PodHooks(Protocol):
    """What the sandbox does when a pod starts or stops serving (the demo traffic)."""

    def pod_ready(self, pod: Mapping[str, Any]) -> None: ...

    def pod_gone(self, name: str) -> None: ...

    def settled(self) -> bool:
        """Whether the metrics of every serving pod can be measured yet (Prometheus has
        scraped them enough); a due measurement waits for it."""
        ...


# ------------------------------------------------------------------------------ one pass's view of the namespace


@dataclass
class Snapshot:
    """Everything in the namespace, listed at the start of a pass and kept current by our writes."""

    rollouts: dict[str, JSON] = field(default_factory=dict)
    replicasets: dict[str, JSON] = field(default_factory=dict)
    pods: dict[str, JSON] = field(default_factory=dict)
    runs: dict[str, JSON] = field(default_factory=dict)
    services: dict[str, JSON] = field(default_factory=dict)

    def owned(self, bucket: Mapping[str, JSON], uid: str) -> list[JSON]:
        return [obj for obj in bucket.values() if owned_by(obj, uid)]
