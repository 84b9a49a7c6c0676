"""The resource kinds the plugin reads and writes, keyed by their plural name."""

from __future__ import annotations

from urllib.parse import quote

from kubectl_rollouts_py import errors
from kubectl_rollouts_py._frozen import frozen

# Kubernetes' name rules (k8s.io/apimachinery/pkg/util/validation): an RFC 1123 label
# (namespaces), [a-z0-9]([-a-z0-9]*[a-z0-9])?, or an RFC 1123 subdomain (most kinds, these
# CRDs included): labels joined by dots. Checked without a regular expression (none is
# compiled at import: this module is on every command's path).
_LABEL_CHARACTERS = frozenset("abcdefghijklmnopqrstuvwxyz0123456789-")
LABEL_MAX = 63
SUBDOMAIN_MAX = 253
_LABEL_RULE = ("a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', "
               "and must start and end with an alphanumeric character")
_SUBDOMAIN_RULE = ("a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', "
                   "and must start and end with an alphanumeric character")


def _is_label(text: str) -> bool:
    return bool(text) and text[0] != "-" and text[-1] != "-" and all(c in _LABEL_CHARACTERS for c in text)


def name_problem(name: str, rule: str = "subdomain") -> str | None:
    """What is wrong with `name` under Kubernetes' `rule` ("subdomain" or "label"); None if nothing."""
    label = rule == "label"
    limit, words = (LABEL_MAX, _LABEL_RULE) if label else (SUBDOMAIN_MAX, _SUBDOMAIN_RULE)
    if len(name) > limit:
        return f"must be no more than {limit} characters"
    if not (_is_label(name) if label else all(_is_label(part) for part in name.split("."))):
        return words
    return None


def check_namespace(namespace: str) -> str:
    """`namespace`, if it is a valid namespace name (an RFC 1123 label); UsageError otherwise."""
    problem = name_problem(namespace, "label")
    if problem is not None:
        raise errors.UsageError(f'invalid namespace "{_shown(namespace)}": {problem}')
    return namespace


def _shown(text: str) -> str:
    return text if len(text) <= 80 else text[:80] + "..."


@frozen
class Resource:
    """One API resource: where it lives and what it is called."""

    group: str  # "" for the core group
    version: str
    plural: str
    kind: str
    namespaced: bool = True
    name_rule: str = "subdomain"  # the Kubernetes rule its names follow: "subdomain" or "label"

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

    def check_name(self, name: str) -> str:
        """`name`, if it is a valid name for this kind; UsageError (nothing sent) otherwise.

        Kubernetes would refuse to create such an object, so none exists to be read or
        changed; a `/`, `?`, `%` or `..` in a name would otherwise change the request's path.
        """
        problem = name_problem(name, self.name_rule)
        if problem is not None:
            raise errors.UsageError(f'invalid {self.singular} name "{_shown(name)}": {problem}')
        return name

    def path(self, namespace: str | None, name: str | None = None, subresource: str | None = None) -> str:
        """The URL path of a collection (name None) or of one object. The namespace and name
        are checked (UsageError) and every segment is percent-encoded."""
        base = f"/apis/{self.group}/{self.version}" if self.group else f"/api/{self.version}"
        if self.namespaced and namespace:
            base += f"/namespaces/{quote(check_namespace(namespace), safe='')}"
        base += f"/{self.plural}"
        if name is not None:
            base += f"/{quote(self.check_name(name), safe='')}"
            if subresource:
                base += f"/{quote(subresource, safe='')}"
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
