"""The served resources (kinds, URL space, short names), URL resolution and discovery."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from .errors import endpoint_not_found
from .jsondata import JSON

VERSION_INFO: JSON = {
    "major": "1",
    "minor": "32",
    "gitVersion": "v1.32.4",
    "gitCommit": "0000000000000000000000000000000000000000",
    "gitTreeState": "clean",
    "buildDate": "2025-01-01T00:00:00Z",
    "goVersion": "go1.23.0",
    "compiler": "gc",
    "platform": "linux/amd64",
}


@dataclass(frozen=True)
class ResourceType:
    """One served resource: where it lives in the URL space and how writes treat it."""

    group: str  # "" is the core group
    version: str
    plural: str
    kind: str
    namespaced: bool = True
    short_names: tuple[str, ...] = ()
    subresources: tuple[str, ...] = ()  # any of "status", "scale"
    # Built-in kinds accept strategic-merge-patch and a PUT without resourceVersion;
    # custom resources answer 415 and 422 to those.
    builtin: bool = False
    extra_field_selectors: tuple[str, ...] = ()

    @property
    def api_version(self) -> str:
        return f"{self.group}/{self.version}" if self.group else self.version

    @property
    def qualified(self) -> str:
        """`rollouts.argoproj.io` or `pods`: how NotFound and Conflict messages name it."""
        return f"{self.plural}.{self.group}" if self.group else self.plural

    @property
    def qualified_kind(self) -> str:
        """`Rollout.argoproj.io` or `Pod`: how Invalid messages name it."""
        return f"{self.kind}.{self.group}" if self.group else self.kind

    @property
    def has_status(self) -> bool:
        return "status" in self.subresources

    @property
    def field_selectors(self) -> tuple[str, ...]:
        return ("metadata.name", "metadata.namespace", *self.extra_field_selectors)


_ARGO = "argoproj.io"
_POD_FIELDS = (
    "spec.nodeName",
    "spec.restartPolicy",
    "spec.schedulerName",
    "spec.serviceAccountName",
    "spec.hostNetwork",
    "status.phase",
    "status.podIP",
    "status.nominatedNodeName",
)
RESOURCES: tuple[ResourceType, ...] = (
    ResourceType(_ARGO, "v1alpha1", "rollouts", "Rollout", short_names=("ro",), subresources=("status", "scale")),
    ResourceType(_ARGO, "v1alpha1", "experiments", "Experiment", short_names=("exp",)),
    ResourceType(_ARGO, "v1alpha1", "analysisruns", "AnalysisRun", short_names=("ar",)),
    ResourceType(_ARGO, "v1alpha1", "analysistemplates", "AnalysisTemplate"),
    ResourceType(_ARGO, "v1alpha1", "clusteranalysistemplates", "ClusterAnalysisTemplate", namespaced=False),
    ResourceType(
        "apps", "v1", "replicasets", "ReplicaSet", short_names=("rs",), subresources=("status", "scale"),
        builtin=True, extra_field_selectors=("status.replicas",),
    ),
    ResourceType(
        "apps", "v1", "deployments", "Deployment", short_names=("deploy",), subresources=("status", "scale"),
        builtin=True,
    ),
    ResourceType(
        "", "v1", "pods", "Pod", short_names=("po",), subresources=("status",), builtin=True,
        extra_field_selectors=_POD_FIELDS,
    ),
    ResourceType("", "v1", "services", "Service", short_names=("svc",), subresources=("status",), builtin=True),
    ResourceType(
        "", "v1", "namespaces", "Namespace", namespaced=False, short_names=("ns",), subresources=("status",),
        builtin=True, extra_field_selectors=("status.phase",),
    ),
    ResourceType("", "v1", "secrets", "Secret", builtin=True, extra_field_selectors=("type",)),
    ResourceType("", "v1", "configmaps", "ConfigMap", short_names=("cm",), builtin=True),
)
BY_PATH = {(r.group, r.version, r.plural): r for r in RESOURCES}
BY_KIND = {(r.api_version, r.kind): r for r in RESOURCES}
NAMESPACES = BY_PATH[("", "v1", "namespaces")]
GROUP_VERSIONS: dict[str, list[str]] = {}
for _r in RESOURCES:
    if _r.version not in GROUP_VERSIONS.setdefault(_r.group, []):
        GROUP_VERSIONS[_r.group].append(_r.version)

_VERBS = ["create", "delete", "deletecollection", "get", "list", "patch", "update", "watch"]


def resource_for(name: str) -> ResourceType:
    """Find a resource by plural, `plural.group`, kind or short name (case-insensitive).

    Raises:
        KeyError: no served resource has that name.
    """
    wanted = name.lower()
    for rtype in RESOURCES:
        names = {rtype.plural, rtype.qualified, rtype.kind.lower(), *rtype.short_names}
        if wanted in names:
            return rtype
    raise KeyError(f"no served resource named {name!r}")


@dataclass(frozen=True)
class Target:
    """A resolved resource URL."""

    rtype: ResourceType
    namespace: str | None  # None: cluster-scoped kind, or a list across all namespaces
    name: str | None
    subresource: str | None

    @property
    def ns(self) -> str:
        return self.namespace or ""


def resolve_target(group: str, version: str, rest: list[str]) -> Target:
    """Map the path after /api/v1 or /apis/{g}/{v} to a resource, namespace, name, subresource."""
    if not rest:
        raise endpoint_not_found()
    namespaced = len(rest) >= 3 and rest[0] == "namespaces"
    rtype = BY_PATH.get((group, version, rest[2])) if namespaced else None
    if rtype is not None and rtype.namespaced:
        namespace: str | None = rest[1]
        tail = rest[3:]
    else:
        rtype = BY_PATH.get((group, version, rest[0]))
        namespace, tail = None, rest[1:]
        if rtype is None or (rtype.namespaced and tail):
            raise endpoint_not_found()
    if len(tail) > 2 or (len(tail) == 2 and tail[1] not in rtype.subresources):
        raise endpoint_not_found()
    return Target(rtype, namespace, tail[0] if tail else None, tail[1] if len(tail) == 2 else None)


def discovery_document(segments: list[str], address: tuple[Any, ...]) -> JSON:
    if segments == ["api"]:
        return {
            "kind": "APIVersions",
            "versions": ["v1"],
            "serverAddressByClientCIDRs": [
                {"clientCIDR": "0.0.0.0/0", "serverAddress": f"{address[0]}:{address[1]}"}
            ],
        }
    if segments == ["apis"]:
        return {"kind": "APIGroupList", "apiVersion": "v1", "groups": [_group(g) for g in GROUP_VERSIONS if g]}
    if segments[0] == "apis" and len(segments) == 2 and segments[1] in GROUP_VERSIONS and segments[1]:
        return dict(_group(segments[1]), kind="APIGroup", apiVersion="v1")
    raise endpoint_not_found()


def root_paths() -> list[str]:
    paths = {"/api", "/api/v1", "/apis", "/version", "/healthz", "/livez", "/readyz"}
    for group, versions in GROUP_VERSIONS.items():
        if group:
            paths.add(f"/apis/{group}")
            paths.update(f"/apis/{group}/{v}" for v in versions)
    return sorted(paths)


def _group(group: str) -> JSON:
    versions = [{"groupVersion": f"{group}/{v}", "version": v} for v in GROUP_VERSIONS[group]]
    return {"name": group, "versions": versions, "preferredVersion": versions[0]}


def resource_list(group: str, version: str) -> JSON:
    # The core group's groupVersion is "v1", never "/v1": kubectl cannot find pods otherwise.
    resources: list[JSON] = []
    for r in RESOURCES:
        if (r.group, r.version) != (group, version):
            continue
        entry: JSON = {
            "name": r.plural,
            "singularName": r.kind.lower(),
            "namespaced": r.namespaced,
            "kind": r.kind,
            "verbs": _VERBS,
        }
        if r.short_names:
            entry["shortNames"] = list(r.short_names)
        resources.append(entry)
        for sub in r.subresources:
            # Subresources carry no shortNames: kubectl 1.32 warns about ambiguous short names otherwise.
            resources.append(
                {
                    "name": f"{r.plural}/{sub}",
                    "singularName": "",
                    "namespaced": r.namespaced,
                    "kind": "Scale" if sub == "scale" else r.kind,
                    **({"group": "autoscaling", "version": "v1"} if sub == "scale" else {}),
                    "verbs": ["get", "patch", "update"],
                }
            )
    group_version = f"{group}/{version}" if group else version
    return {"kind": "APIResourceList", "apiVersion": "v1", "groupVersion": group_version, "resources": resources}
