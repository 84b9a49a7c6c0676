"""`lint`: the rules, as pure functions over parsed documents (no I/O, no click).

`check(documents, ...)` decodes every document strictly and validates the kinds it knows,
returning a `Report`:

* the Argo Rollouts kubectl plugin's lint, with its messages and its order: each Rollout
  decoded into its Go type (unknown fields, wrong types, quantities; the first such
  problem stops everything, as in the plugin), then the controller's ValidateRollout and
  the checks of the Services, Ingresses and VirtualServices it names in the same files;
  these problems have no subject, and print as the plugin prints them;
* beyond it, with the object named as the subject (`analysistemplate/success-rate`):
  AnalysisTemplates and ClusterAnalysisTemplates (lint/templates.py), Experiments and the
  experiment and analysis steps of Rollouts (lint/experiments.py), a Rollout's analyses
  against the templates in the same files (lint/analyses.py), and, when asked, references
  that must exist (`--require-references`).

Modules: fields (field errors), names (Kubernetes value rules), schema (strict decoding),
pods (pod templates), rollout (ValidateRollout), references, templates, experiments, analyses.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from kubectl_rollouts_py.govalues import go_json_kind, go_quote
from kubectl_rollouts_py.lint import analyses, experiments, references, rollout, schema, templates
from kubectl_rollouts_py.lint import fields as f
from kubectl_rollouts_py.lint.fields import FieldError
from kubectl_rollouts_py.lint.references import Reference

ARGO = "argoproj.io"
# (group, kind) -> the schema a document of that kind is decoded with
_ARGO_LINTED = {(ARGO, "Rollout"): "Rollout", ("", "Service"): "Service",
                ("networking.k8s.io", "Ingress"): "Ingress", ("extensions", "Ingress"): "Ingress"}
_OURS = {(ARGO, "AnalysisTemplate"): "AnalysisTemplate", (ARGO, "ClusterAnalysisTemplate"): "ClusterAnalysisTemplate",
         (ARGO, "Experiment"): "Experiment"}

__all__ = ["Document", "Problem", "Reference", "Report", "check"]


@dataclass(frozen=True)
class Document:
    """One parsed YAML or JSON document: where it came from and what it holds (None if empty)."""

    source: str
    number: int
    value: Any


@dataclass(frozen=True)
class Problem:
    """A field error, and the object it is about ("" for the Argo plugin's own Rollout checks)."""

    error: FieldError
    subject: str = ""

    def line(self) -> str:
        """The line for stdout: the plugin prints only the body of its errors."""
        return self.error.body() if not self.subject else self.message()

    def message(self) -> str:
        return str(self.error) if not self.subject else f"{self.subject}: {self.error}"


@dataclass(frozen=True)
class Report:
    """The problems found, in order; or the decoding error that stopped the lint."""

    problems: tuple[Problem, ...] = ()
    failure: str | None = None

    @property
    def ok(self) -> bool:
        return not self.problems and self.failure is None

    def error(self) -> str | None:
        """The one `Error:` message: the decoding failure or the first problem."""
        if self.failure is not None:
            return self.failure
        return self.problems[0].message() if self.problems else None


Lookup = Callable[[Reference], bool]


def _group(api_version: Any) -> str:
    if not isinstance(api_version, str) or "/" not in api_version:
        return ""
    return api_version.split("/", 1)[0]


def subject_of(obj: Mapping[str, Any]) -> str:
    name = references.name_of(obj) or "<unnamed>"
    return f"{str(obj.get('kind') or '').lower()}/{name}"


class _Stop(Exception):
    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


def _objects(documents: Sequence[Document]) -> list[Mapping[str, Any]]:
    """The objects of the documents, Lists flattened; _Stop for a document Go would refuse."""
    found: list[Mapping[str, Any]] = []
    for document in documents:
        _collect(document.value, found)
    return found


def _collect(value: Any, found: list[Mapping[str, Any]]) -> None:
    if value is None:
        return
    if not isinstance(value, Mapping):
        shown = go_json_kind(value)
        raise _Stop(f"{schema.PREFIX}json: cannot unmarshal {shown} into Go value of type map[string]interface {{}}")
    kind = value.get("kind")
    if not isinstance(kind, str) or not kind:
        raise _Stop(f"{schema.PREFIX}Object 'Kind' is missing in '{f.compact_json(value)}'")
    items = value.get("items")
    if kind.endswith("List") and isinstance(items, list):
        for item in items:
            _collect(item, found)
        return
    found.append(value)


def check(
    documents: Sequence[Document],
    *,
    require_references: bool = False,
    lookup: Lookup | None = None,
    looked_in: str = "the files",
    prometheus_default: str | None = None,
) -> Report:
    """Lint the documents of one run (all files together, in order).

    Args:
        require_references: report templates, Services and Deployments that the objects
            name but that neither the documents hold nor `lookup` finds.
        lookup: asked about each reference the documents do not satisfy (a cluster).
        looked_in: words for where references were looked for, for the message.
        prometheus_default: the controller's default Prometheus address, if known.
    """
    undecodable: dict[int, Problem] = {}  # our kinds that do not decode: one problem each, not checked further
    try:
        objects = _objects(documents)
        kinds = [(_group(obj.get("apiVersion")), str(obj.get("kind"))) for obj in objects]
        for n, (obj, group_kind) in enumerate(zip(objects, kinds)):
            if group_kind in _ARGO_LINTED:
                _decode(obj, _ARGO_LINTED[group_kind])
            elif group_kind in _OURS:
                problem = _decode_ours(obj, _OURS[group_kind])
                if problem is not None:
                    undecodable[n] = problem
    except _Stop as stop:
        return Report(failure=stop.message)
    rollouts = [obj for obj, gk in zip(objects, kinds) if gk == (ARGO, "Rollout")]
    services = [obj for obj, gk in zip(objects, kinds) if gk == ("", "Service")]
    ingresses = [obj for obj, gk in zip(objects, kinds) if gk[1] == "Ingress" and gk[0] in ("networking.k8s.io", "extensions")
                 and str(obj.get("apiVersion")).rsplit("/", 1)[-1] in ("v1", "v1beta1")]
    virtual_services = [obj for obj, gk in zip(objects, kinds) if gk == ("networking.istio.io", "VirtualService")]

    problems: list[Problem] = []
    by_service = references.validate_services(rollouts, services)
    by_ingress = references.validate_ingresses(rollouts, ingresses)
    by_vsvc = references.validate_virtual_services(rollouts, virtual_services)
    for r, obj in enumerate(rollouts):
        found = rollout.validate(obj) + by_service.get(r, []) + by_ingress.get(r, []) + by_vsvc.get(r, [])
        problems.extend(Problem(err) for err in found)
    in_files = {(gk[1], references.name_of(obj)): obj for obj, gk in zip(objects, kinds)
                if gk in ((ARGO, "AnalysisTemplate"), (ARGO, "ClusterAnalysisTemplate"))}
    for obj in rollouts:
        found = experiments.validate_rollout_steps(obj) + analyses.validate(obj, in_files)
        problems.extend(Problem(err, subject_of(obj)) for err in found)
    for n, (obj, gk) in enumerate(zip(objects, kinds)):
        if n in undecodable:
            problems.append(undecodable[n])
            continue
        if gk in ((ARGO, "AnalysisTemplate"), (ARGO, "ClusterAnalysisTemplate")):
            found = templates.validate(obj, prometheus_default=prometheus_default)
        elif gk == (ARGO, "Experiment"):
            found = experiments.validate(obj)
        else:
            continue
        problems.extend(Problem(err, subject_of(obj)) for err in found)
    if require_references:
        problems.extend(_references(objects, kinds, lookup, looked_in))
    return Report(problems=tuple(problems))


def _decode(obj: Mapping[str, Any], spec: str) -> None:
    """The kinds the Argo plugin decodes: the first problem stops the lint, in its words."""
    try:
        schema.decode(obj, spec)
    except schema.DecodeError as exc:
        raise _Stop(str(exc)) from None


def _decode_ours(obj: Mapping[str, Any], spec: str) -> Problem | None:
    """Our kinds: a decoding problem is a field error of that object (with its full path)."""
    try:
        schema.decode(obj, spec)
    except schema.DecodeError as exc:
        if exc.unknown:
            error = FieldError(f.UNKNOWN_FIELD, exc.path)
        else:
            error = f.invalid(exc.path, exc.value, exc.detail)
        return Problem(error, subject_of(obj))
    return None


def _references(objects: Sequence[Mapping[str, Any]], kinds: Sequence[tuple[str, str]], lookup: Lookup | None,
                looked_in: str) -> list[Problem]:
    held: dict[tuple[str, str], list[str]] = {}
    for obj, (_, kind) in zip(objects, kinds):
        namespace = str((obj.get("metadata") or {}).get("namespace") or "") if isinstance(obj.get("metadata"), Mapping) else ""
        held.setdefault((kind, references.name_of(obj)), []).append(namespace)
    problems: list[Problem] = []
    for obj, (group, kind) in zip(objects, kinds):
        if group != ARGO:
            continue
        if kind == "Rollout":
            wanted = references.rollout_references(obj)
        elif kind == "Experiment":
            wanted = references.experiment_references(obj)
        elif kind in ("AnalysisTemplate", "ClusterAnalysisTemplate"):
            wanted = references.template_references(obj)
        else:
            continue
        for ref in wanted:
            namespaces = held.get((ref.kind, ref.name))
            if namespaces is not None and any(not ns or not ref.namespace or ns == ref.namespace for ns in namespaces):
                continue
            if lookup is not None and lookup(ref):
                continue
            detail = f"no {ref.kind} {go_quote(ref.name)} in {looked_in}"
            problems.append(Problem(FieldError(f.NOT_FOUND, ref.path, ref.name, detail), subject_of(obj)))
    return problems
