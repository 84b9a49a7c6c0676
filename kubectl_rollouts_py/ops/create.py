"""Creating objects: from files (`create -f`) and an AnalysisRun from a template.

Creating is two steps, so that every object is checked before the first is sent:
`prepare` (or `prepare_analysis_run`) turns objects into `Creation`s, raising on an
unsupported kind or bad arguments; `create` POSTs one.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from kubectl_rollouts_py import errors
from kubectl_rollouts_py.kube import resources as r
from kubectl_rollouts_py.kube.source import Source
from kubectl_rollouts_py.ops.writes import Executor, Outcome, write
from kubectl_rollouts_py.patches import create as plans
from kubectl_rollouts_py.patches.plan import Plan, Request


def single_object(path: str) -> dict[str, Any]:
    """The one object in a YAML or JSON file (InputError for none or several)."""
    from kubectl_rollouts_py.kube import files

    objects = files.load_file(path)
    if len(objects) != 1:
        raise errors.InputError(f"{path}: expected exactly one object, found {len(objects)}")
    obj: dict[str, Any] = objects[0]
    return obj


def given_name(obj: dict[str, Any]) -> str:
    """The object's name as given (a generateName prefix ends with `*`: the server names it)."""
    metadata = obj.get("metadata") or {}
    if metadata.get("name"):
        return str(metadata["name"])
    return f"{metadata['generateName']}*" if metadata.get("generateName") else ""


@dataclass(frozen=True)
class Creation:
    """One object ready to POST. `fallback` names it in a dry run (no server to answer)."""

    obj: dict[str, Any]
    request: Request
    fallback: str

    @property
    def kind(self) -> str:
        return str(self.obj.get("kind") or "")

    @property
    def what(self) -> str:
        """`rollout.argoproj.io/web`, as the object is given (for messages before it exists)."""
        return f"{self.request.resource.qualified_singular}/{given_name(self.obj)}"


def prepare(objects: Sequence[dict[str, Any]], namespace: str) -> list[Creation]:
    """Creations for objects read from files; RolloutsError for a kind that cannot be created."""
    return [Creation(obj, plans.plan_create(obj, namespace), str((obj.get("metadata") or {}).get("name") or "")) for obj in objects]


def create(source: Source, creation: Creation, *, executor: Executor | None = None) -> Outcome:
    """POST the object; the outcome names it as the server did (`kind.group/name created`)."""
    resource = creation.request.resource
    metadata = creation.obj.get("metadata") or {}
    if metadata.get("name"):  # the server must answer for that name
        return write(source, executor, Plan(spec=creation.request), str(metadata["name"]),
                     lambda shown: f"{resource.qualified_singular}/{shown} created")
    # The server names it: its answer must start with the prefix (a dry run shows the fallback).
    prefix = str(metadata.get("generateName") or "")
    outcome = write(source, executor, Plan(spec=creation.request), prefix, lambda shown: f"{resource.qualified_singular}/{shown} created",
                    generated=True)
    if outcome.dry_run:
        return Outcome(f"{resource.qualified_singular}/{creation.fallback} created", creation.fallback, outcome.plan, True)
    return outcome


# ------------------------------------------------------------------------------ AnalysisRuns


@dataclass(frozen=True)
class RunOptions:
    """How to make an AnalysisRun of a template: arguments, name or prefix, instance id."""

    arguments: tuple[tuple[str, str], ...] = ()
    name: str | None = None
    generate_name: str | None = None
    instance_id: str | None = None

    @classmethod
    def from_flags(cls, arguments: Sequence[str], *, name: str | None = None, generate_name: str | None = None,
                   instance_id: str | None = None) -> RunOptions:
        """Arguments as `NAME=VALUE` text (UsageError otherwise)."""
        return cls(tuple(plans.parse_arguments(arguments)), name, generate_name, instance_id)


def read_template(source: Source, namespace: str, name: str, *, cluster_scoped: bool = False) -> dict[str, Any]:
    """An AnalysisTemplate of `namespace`, or (cluster_scoped) a ClusterAnalysisTemplate."""
    if cluster_scoped:
        return source.get(r.CLUSTERANALYSISTEMPLATES, name, None)
    return source.get(r.ANALYSISTEMPLATES, name, namespace)


def prepare_analysis_run(template: dict[str, Any], namespace: str, options: RunOptions = RunOptions()) -> Creation:
    """The AnalysisRun of `template` with the options' arguments merged in, ready to POST."""
    run = plans.analysis_run_from_template(template, namespace=namespace, arguments=options.arguments, name=options.name,
                                           generate_name=options.generate_name, instance_id=options.instance_id)
    metadata = run["metadata"]
    request = Request("POST", r.ANALYSISRUNS, namespace, None, json.dumps(run))
    return Creation(run, request, str(metadata.get("name") or metadata.get("generateName")))
