"""Analysis runs, planned: templates, arguments and the run spec, checked as Argo checks a new run.

    TEMPLATE | FILE ─▶ nested templates (args.collect_templates) ─▶ args: template defaults
    < the rollout's analysis args < given args (args.new_run_spec) ─▶ args.prepare_run ─▶ Plan

`ops.analysis_run` takes a Plan on from there: measuring, scheduling, the AnalysisRun
document. Both are used by `analyze`; the sandbox's controller uses `ops.analysis_run` for
the runs it drives.

Decisions:

* A rollout gives the args of its first analysis that references the template (canary
  background analysis, then canary steps in order, then blue-green pre- and
  post-promotion analysis), with its dryRun/measurementRetention rules. When none
  references it, the args of all of them are used, the earlier one winning a name.
* Metrics of other providers are not measured: the plan lists them as skipped.
* Anything found wrong before the first measurement (template or rollout missing, an
  argument without a value, a spec Argo would reject) raises a RolloutsError with Argo's
  run message, rather than becoming a run in phase Error.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any, Protocol

from kubectl_rollouts_py import errors
from kubectl_rollouts_py.analysis import args as a
from kubectl_rollouts_py.analysis import evaluate
from kubectl_rollouts_py.kube import resources as r
from kubectl_rollouts_py.kube.source import Source

class Cluster(Protocol):
    """The cluster, opened on first use (a run of a template from a file may need none);
    its namespace is known without opening it."""

    def __call__(self) -> Source: ...

    @property
    def namespace(self) -> str: ...


class OnDemand:
    """A Cluster that `open` opens on first use; until then `namespace` says its namespace."""

    def __init__(self, open: Callable[[], Source], namespace: Callable[[], str]) -> None:  # noqa: A002
        self._open = open
        self._namespace = namespace
        self._source: Source | None = None

    def __call__(self) -> Source:
        if self._source is None:
            self._source = self._open()
        return self._source

    @property
    def namespace(self) -> str:
        return str(self._source.namespace) if self._source is not None else self._namespace()


class Connected:
    """A Cluster over a source that is open already."""

    def __init__(self, source: Source, namespace: str | None = None) -> None:
        self._source = source
        self._namespace = namespace

    def __call__(self) -> Source:
        return self._source

    @property
    def namespace(self) -> str:
        return self._namespace or self._source.namespace

Warn = Callable[[str], None]


@dataclass
class Plan:
    """Everything fixed before the first measurement."""

    name: str
    namespace: str
    arguments: list[a.Argument]
    run_spec: dict[str, Any]  # metrics with placeholders, merged args, dryRun, retention
    resolved: tuple[dict[str, Any], ...]  # every metric, substituted with dummy secrets
    spec: evaluate.RunSpec  # the Prometheus metrics only
    raw: dict[str, dict[str, Any]]  # resolved metric name -> its unsubstituted form
    skipped: dict[str, str] = field(default_factory=dict)  # metric name -> provider kind


@dataclass
class Inputs:
    """What the run is asked for: a template (by name, or in a file), args, a rollout."""

    template: str | None
    filename: str | None
    cluster_template: bool
    cli_args: tuple[str, ...]
    rollout: str | None
    allow_secrets: bool


def is_cluster_template(template: Mapping[str, Any]) -> bool:
    return template.get("kind") == "ClusterAnalysisTemplate"


def name_of(obj: Mapping[str, Any]) -> str:
    return str((obj.get("metadata") or {}).get("name") or "")


# ------------------------------------------------------------------------------ templates


def file_templates(filename: str, wanted: str | None) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """The template to run from FILE (by name if one is wanted) and every template in it."""
    from kubectl_rollouts_py.kube import files

    objects = files.load_file(filename)
    templates = [o for o in objects if o.get("kind") in ("AnalysisTemplate", "ClusterAnalysisTemplate")]
    if not templates:
        kinds = ", ".join(sorted({str(o.get("kind")) for o in objects})) or "nothing"
        raise errors.InputError(f"{filename}: no AnalysisTemplate or ClusterAnalysisTemplate in it (found {kinds})")
    if wanted is not None:
        chosen = [t for t in templates if name_of(t) == wanted]
        if not chosen:
            raise errors.NotFound(f'{filename}: no template named "{wanted}"')
        return chosen[0], templates
    if len(templates) > 1:
        names = ", ".join(name_of(t) for t in templates)
        raise errors.InputError(f"{filename} holds {len(templates)} templates ({names}): name one, e.g. analyze -f {filename} {name_of(templates[0])}")
    return templates[0], templates


def load_templates(
    inputs: Inputs, cluster: Cluster
) -> tuple[Mapping[str, Any], list[Mapping[str, Any]], list[Mapping[str, Any]]]:
    """The template to run, and the namespaced and cluster templates it brings (nested ones resolved like Argo)."""
    local: list[Mapping[str, Any]] = []
    top: Mapping[str, Any]
    if inputs.filename is not None:
        top, in_file = file_templates(inputs.filename, inputs.template)
        local = list(in_file)
    elif inputs.cluster_template:
        top = cluster().get(r.CLUSTERANALYSISTEMPLATES, str(inputs.template), None)
    else:
        top = cluster().get(r.ANALYSISTEMPLATES, str(inputs.template), cluster.namespace)

    def lookup(name: str, cluster_scope: bool) -> Mapping[str, Any]:
        for template in local:  # templates in the same file first, then the cluster
            if name_of(template) == name and is_cluster_template(template) == cluster_scope:
                return template
        if cluster_scope:
            return cluster().get(r.CLUSTERANALYSISTEMPLATES, name, None)
        return cluster().get(r.ANALYSISTEMPLATES, name, cluster.namespace)

    local = [top, *[t for t in local if t is not top]]
    namespaced, cluster_templates = a.collect_templates(
        [{"templateName": name_of(top), "clusterScope": is_cluster_template(top)}], lookup
    )
    return top, namespaced, cluster_templates


# ------------------------------------------------------------------------------ a rollout's args


def rollout_analyses(rollout: Mapping[str, Any]) -> list[Mapping[str, Any]]:
    """The rollout's analysis blocks, in the order their args are looked at."""
    strategy = (rollout.get("spec") or {}).get("strategy") or {}
    canary = strategy.get("canary") or {}
    blocks = [canary.get("analysis")]
    blocks += [(step or {}).get("analysis") for step in canary.get("steps") or []]
    blue_green = strategy.get("blueGreen") or {}
    blocks += [blue_green.get("prePromotionAnalysis"), blue_green.get("postPromotionAnalysis")]
    return [b for b in blocks if isinstance(b, Mapping)]


def choose_analysis(blocks: Sequence[Mapping[str, Any]], name: str, cluster_scope: bool) -> Mapping[str, Any] | None:
    """The first block that references the template, or None."""
    for block in blocks:
        for ref in block.get("templates") or []:
            if str(ref.get("templateName") or "") == name and bool(ref.get("clusterScope")) == cluster_scope:
                return block
    return None


def pod_hashes(source: Source, rollout: Mapping[str, Any]) -> tuple[str, str]:
    """(stable, latest): the `rollouts-pod-template-hash` of the stable and the new ReplicaSet, "" if missing."""
    uid = str((rollout.get("metadata") or {}).get("uid") or "")
    status = rollout.get("status") or {}
    namespace = str((rollout.get("metadata") or {}).get("namespace") or source.namespace)
    hashes = set()
    for rs in source.list(r.REPLICASETS, namespace).items:
        owners = (rs.get("metadata") or {}).get("ownerReferences") or []
        if any(o.get("uid") == uid for o in owners):
            hashes.add(str(((rs.get("metadata") or {}).get("labels") or {}).get("rollouts-pod-template-hash") or ""))
    stable, latest = str(status.get("stableRS") or ""), str(status.get("currentPodHash") or "")
    return (stable if stable in hashes else ""), (latest if latest in hashes else "")


@dataclass
class RolloutArgs:
    arguments: list[a.Argument]
    dry_run: list[Any]
    retention: list[Any]
    warnings: list[str]


def resolve_rollout(source: Source, name: str, template: Mapping[str, Any]) -> RolloutArgs:
    """The rollout's analysis args for this template, with podTemplateHashValue and fieldRef resolved."""
    rollout = source.get(r.ROLLOUTS, name, source.namespace)
    blocks = rollout_analyses(rollout)
    block = choose_analysis(blocks, name_of(template), is_cluster_template(template))
    warnings = []
    raw_args: list[Mapping[str, Any]] = []
    if block is not None:
        raw_args = list(block.get("args") or [])
    else:
        seen: set[str] = set()
        for candidate in blocks:
            for arg in candidate.get("args") or []:
                if arg.get("name") not in seen:
                    seen.add(arg.get("name"))
                    raw_args.append(arg)
        if not blocks:
            warnings.append(f'rollout "{name}" has no analysis, so it gives no arguments')
    wants_hash = [arg for arg in raw_args if ((arg.get("valueFrom") or {}).get("podTemplateHashValue")) is not None]
    stable = latest = ""
    if wants_hash:
        stable, latest = pod_hashes(source, rollout)
    arguments = a.resolve_rollout_args(raw_args, rollout, stable_hash=stable, latest_hash=latest)
    for arg in wants_hash:
        which = str(arg["valueFrom"]["podTemplateHashValue"])
        if not {"Stable": stable, "Latest": latest}.get(which):
            warnings.append(f'args.{arg.get("name")}: rollout "{name}" has no {which.lower()} ReplicaSet, so podTemplateHashValue {which} is ""')
    return RolloutArgs(
        arguments,
        list((block or {}).get("dryRun") or []),
        list((block or {}).get("measurementRetention") or []),
        warnings,
    )


# ------------------------------------------------------------------------------ planning


def provider_kind(metric: Mapping[str, Any]) -> str:
    provider = metric.get("provider") or {}
    kinds = [k for k, v in provider.items() if v is not None] if isinstance(provider, Mapping) else []
    return str(kinds[0]) if kinds else ""


def plan_run(inputs: Inputs, cluster: Cluster, warn: Warn) -> Plan:
    """Templates, args and the run spec, checked the way Argo checks a new run.

    Templates and the rollout are read in the cluster's namespace, which is also the
    run's unless its file names one. Warnings (unknown args, skipped metrics, PromQL that an
    argument could break) go to `warn`, without a "Warning:" prefix.

    Raises:
        RolloutsError: the reason (Argo's run message where Argo has one).
    """
    top, namespaced, cluster_templates = load_templates(inputs, cluster)
    cli_args = a.parse_cli_args(inputs.cli_args)
    incoming: list[a.Argument] = []
    dry_run: list[Any] = []
    retention: list[Any] = []
    if inputs.rollout:
        from_rollout = resolve_rollout(cluster(), inputs.rollout, top)
        incoming, dry_run, retention = from_rollout.arguments, from_rollout.dry_run, from_rollout.retention
        for text in from_rollout.warnings:
            warn(text)
    flat = a.flatten_templates(namespaced, cluster_templates)
    declared = {str(arg.get("name")) for arg in flat["args"]}
    for arg in cli_args:
        if arg.name not in declared:
            warn(f'--arg {arg.name}: the template declares no argument "{arg.name}", so it is ignored')
    try:
        run_spec = a.new_run_spec(namespaced, cluster_templates, [*incoming, *cli_args], dry_run=dry_run, measurement_retention=retention)
    except a.ArgsError as exc:
        hint = ""
        if exc.message.endswith("was not resolved"):
            name = exc.message[len("args."):-len(" was not resolved")]
            hint = f": give it with --arg {name}=VALUE" + ("" if inputs.rollout else " or take it from a rollout with --rollout NAME")
        raise errors.RolloutsError(exc.message + hint) from None
    arguments = [a.Argument.from_dict(arg) for arg in run_spec["args"]]
    secret_args = [arg for arg in arguments if arg.secret is not None]
    if secret_args and not inputs.allow_secrets:
        first = secret_args[0]
        assert first.secret is not None
        raise errors.RolloutsError(
            f'argument "{first.name}" comes from key "{first.secret.key}" of secret "{first.secret.name}": '
            "pass --allow-secrets to read it (its value is never printed)"
        )
    prepared = a.prepare_run(run_spec)
    if prepared.spec is None:
        raise errors.RolloutsError(prepared.error)
    raw: dict[str, dict[str, Any]] = {}
    skipped: dict[str, str] = {}
    for original, resolved in zip(run_spec["metrics"], prepared.metrics):
        name = str(resolved.get("name", ""))
        kind = provider_kind(resolved)
        if kind == "prometheus":
            raw[name] = original
        else:
            skipped[name] = kind
            warn(f'metric "{name}" uses the {kind} provider: analyze measures Prometheus metrics only, so it is skipped')
    if not raw:
        raise errors.RolloutsError(f'nothing to measure: no metric of "{name_of(top)}" uses the prometheus provider')
    for name, original in raw.items():
        query = str(((original.get("provider") or {}).get("prometheus") or {}).get("query") or "")
        for text in a.promql_injection_warnings(query, arguments):
            warn(f'metric "{name}": {text}')
    spec = replace(prepared.spec, metrics=tuple(m for m in prepared.spec.metrics if m.name in raw))
    own = str((top.get("metadata") or {}).get("namespace") or "") if inputs.filename else ""
    return Plan(name_of(top), own or cluster.namespace, arguments, run_spec, prepared.metrics, spec, raw, skipped)
