"""The resource kinds the plugin reads and writes, keyed by their plural name."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Resource:
    """One API resource: where it lives and what it is called."""

    group: str  # "" for the core group
    version: str
    plural: str
    kind: str
    namespaced: bool = True

    @property
    def singular(self) -> str:
        return self.kind.lower()

    @property
    def api_version(self) -> str:
        return f"{self.group}/{self.version}" if self.group else self.version

    @property
    def qualified(self) -> str:
        """`rollouts.argoproj.io`, as API error messages name it (plural)."""
        return f"{self.plural}.{self.group}" if self.group else self.plural

    @property
    def qualified_singular(self) -> str:
        """`rollout.argoproj.io`, as the Argo Rollouts kubectl plugin's cache lookups name it."""
        return f"{self.singular}.{self.group}" if self.group else self.singular

    def path(self, namespace: str | None, name: str | None = None, subresource: str | None = None) -> str:
        """The URL path of a collection (name None) or of one object."""
        base = f"/apis/{self.group}/{self.version}" if self.group else f"/api/{self.version}"
        if self.namespaced and namespace:
            base += f"/namespaces/{namespace}"
        base += f"/{self.plural}"
        if name is not None:
            base += f"/{name}"
            if subresource:
                base += f"/{subresource}"
        return base


ARGO = "argoproj.io"
ROLLOUTS = Resource(ARGO, "v1alpha1", "rollouts", "Rollout")
EXPERIMENTS = Resource(ARGO, "v1alpha1", "experiments", "Experiment")
ANALYSISRUNS = Resource(ARGO, "v1alpha1", "analysisruns", "AnalysisRun")
ANALYSISTEMPLATES = Resource(ARGO, "v1alpha1", "analysistemplates", "AnalysisTemplate")
CLUSTERANALYSISTEMPLATES = Resource(ARGO, "v1alpha1", "clusteranalysistemplates", "ClusterAnalysisTemplate", namespaced=False)
REPLICASETS = Resource("apps", "v1", "replicasets", "ReplicaSet")
DEPLOYMENTS = Resource("apps", "v1", "deployments", "Deployment")
PODS = Resource("", "v1", "pods", "Pod")

ALL = (ROLLOUTS, EXPERIMENTS, ANALYSISRUNS, ANALYSISTEMPLATES, CLUSTERANALYSISTEMPLATES, REPLICASETS, DEPLOYMENTS, PODS)
BY_KIND = {r.kind: r for r in ALL}
BY_PLURAL = {r.plural: r for r in ALL}
