"""`analyze`: run an AnalysisTemplate against Prometheus with Argo's rules, before any rollout.

    TEMPLATE | -f FILE ─▶ nested templates (args.collect_templates) ─▶ args: template defaults
    < --rollout NAME < --arg NAME=VALUE (args.new_run_spec) ─▶ args.prepare_run ─▶ the engine's
    schedule: sleep until evaluate.next_reconcile, measure evaluate.due_metrics through
    analysis.prometheus, evaluate.reconcile ─▶ an AnalysisRun-shaped dict ─▶ derive.analysis ─▶
    render.analysis (the view `get analysisrun` shows) ─▶ exit code from the run's phase.

Decisions (also in the README):

* `--rollout NAME` takes the args of the rollout's first analysis that references the
  template (canary background analysis, then canary steps in order, then blue-green
  pre- and post-promotion analysis), with its dryRun/measurementRetention rules. When none
  references it, the args of all of them are used, the earlier one winning a name.
* `--timeout` terminates the run as `terminate analysisrun` would: unfinished metrics become
  Successful and the run's phase (the worst finished metric) decides the exit code.
* Metrics of other providers are not measured: they are listed with phase `Skipped`.
* `-o json`: one compact AnalysisRunView document per reconcile, newline-delimited (the last
  line is the outcome); with `--once` one indented document.
* Anything found wrong before the first measurement (template or rollout missing, an
  argument without a value, a spec Argo would reject) is a runtime error (exit 1) with
  Argo's run message, not a run in phase Error.
"""

from __future__ import annotations

import datetime as dt
import errno
import os
import signal
import sys
import threading
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Any

import click

from kubectl_rollouts_py import errors
from kubectl_rollouts_py.cli.completion import complete_names
from kubectl_rollouts_py.cli.context import App
from kubectl_rollouts_py.cli.options import CobraCommand, global_options

if TYPE_CHECKING:  # pragma: no cover
    from kubectl_rollouts_py.analysis import args as args_mod
    from kubectl_rollouts_py.analysis import evaluate

PROMETHEUS_ADDRESS_ENV = "ARGO_ROLLOUTS_PROMETHEUS_ADDRESS"
SCHEDULE_SLACK = dt.timedelta(milliseconds=5)  # an interval is due strictly after its instant
SKIPPED = "Skipped"
# Distinct Prometheus warnings shown per metric: a server may send a new one every query.
MAX_WARNINGS_PER_METRIC = 10

EPILOG = """\b
Exit codes, from the run's phase: 0 Successful; 3 Failed; 4 Inconclusive; 5 Error.
1: runtime error (template, rollout or secret not found, unreadable file, unresolved
argument, a template Argo would reject); 2: usage error; 130: interrupted (Ctrl-C).
143: SIGTERM; 129: SIGHUP (both stop it as Ctrl-C does).
Metrics of other providers than prometheus are listed as Skipped and do not count.
"""

_PHASE_EXIT = {
    "Successful": errors.ExitCode.SUCCESS,
    "Failed": errors.ExitCode.ANALYSIS_FAILED,
    "Inconclusive": errors.ExitCode.ANALYSIS_INCONCLUSIVE,
    "Error": errors.ExitCode.ANALYSIS_ERROR,
}


class AnalysisOutcome(errors.RolloutsError):
    """The run ended Failed, Inconclusive or Error: one line on stderr, exit 3, 4 or 5."""

    def __init__(self, message: str, exit_code: errors.ExitCode) -> None:
        super().__init__(message)
        self.exit_code = exit_code


# ------------------------------------------------------------------------------ the run to do


@dataclass
class Plan:
    """Everything fixed before the first measurement."""

    name: str
    namespace: str
    arguments: list[args_mod.Argument]
    run_spec: dict[str, Any]  # metrics with placeholders, merged args, dryRun, retention
    resolved: tuple[dict[str, Any], ...]  # every metric, substituted with dummy secrets
    spec: evaluate.RunSpec  # the Prometheus metrics only
    raw: dict[str, dict[str, Any]]  # resolved metric name -> its unsubstituted form
    skipped: dict[str, str] = field(default_factory=dict)  # metric name -> provider kind


@dataclass
class Inputs:
    """The command's flags, as given."""

    template: str | None
    filename: str | None
    cluster_template: bool
    cli_args: tuple[str, ...]
    rollout: str | None
    allow_secrets: bool


class Cluster:
    """The source, opened on first use: `-f FILE` without --rollout needs no cluster."""

    def __init__(self, app: App, stack: ExitStack) -> None:
        self._app = app
        self._stack = stack
        self._source: Any = None

    def __call__(self) -> Any:
        if self._source is None:
            self._source = self._stack.enter_context(self._app.source())
        return self._source

    @property
    def namespace(self) -> str:
        if self._source is not None:
            return str(self._source.namespace)
        from kubectl_rollouts_py.kube import config as kube_config

        return kube_config.resolve_namespace_leniently(self._app.connection())


def _kind_of(template: Mapping[str, Any]) -> bool:
    """True for a ClusterAnalysisTemplate."""
    return template.get("kind") == "ClusterAnalysisTemplate"


def _name_of(obj: Mapping[str, Any]) -> str:
    return str((obj.get("metadata") or {}).get("name") or "")


def _file_templates(filename: str, wanted: str | None) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """The template to run from FILE (by name if TEMPLATE is given) and every template in it."""
    from kubectl_rollouts_py.kube import files

    objects = files.load_file(filename)
    templates = [o for o in objects if o.get("kind") in ("AnalysisTemplate", "ClusterAnalysisTemplate")]
    if not templates:
        kinds = ", ".join(sorted({str(o.get("kind")) for o in objects})) or "nothing"
        raise errors.InputError(f"{filename}: no AnalysisTemplate or ClusterAnalysisTemplate in it (found {kinds})")
    if wanted is not None:
        chosen = [t for t in templates if _name_of(t) == wanted]
        if not chosen:
            raise errors.NotFound(f'{filename}: no template named "{wanted}"')
        return chosen[0], templates
    if len(templates) > 1:
        names = ", ".join(_name_of(t) for t in templates)
        raise errors.InputError(f"{filename} holds {len(templates)} templates ({names}): name one, e.g. analyze -f {filename} {_name_of(templates[0])}")
    return templates[0], templates


def load_templates(inputs: Inputs, cluster: Cluster) -> tuple[dict[str, Any], list[Mapping[str, Any]], list[Mapping[str, Any]]]:
    """The template to run, and the namespaced and cluster templates it brings (nested ones resolved like Argo)."""
    from kubectl_rollouts_py.analysis import args as a
    from kubectl_rollouts_py.kube import resources as r

    local: list[dict[str, Any]] = []
    if inputs.filename is not None:
        top, local = _file_templates(inputs.filename, inputs.template)
    elif inputs.cluster_template:
        top = cluster().get(r.CLUSTERANALYSISTEMPLATES, str(inputs.template), None)
    else:
        top = cluster().get(r.ANALYSISTEMPLATES, str(inputs.template), cluster().namespace)

    def lookup(name: str, cluster_scope: bool) -> Mapping[str, Any]:
        for template in local:  # templates in the same file first, then the cluster
            if _name_of(template) == name and _kind_of(template) == cluster_scope:
                return template
        if cluster_scope:
            return cluster().get(r.CLUSTERANALYSISTEMPLATES, name, None)  # type: ignore[no-any-return]
        return cluster().get(r.ANALYSISTEMPLATES, name, cluster().namespace)  # type: ignore[no-any-return]

    local = [top, *[t for t in local if t is not top]]
    namespaced, cluster_templates = a.collect_templates([{"templateName": _name_of(top), "clusterScope": _kind_of(top)}], lookup)
    return top, namespaced, cluster_templates


# ------------------------------------------------------------------------------ --rollout


def rollout_analyses(rollout: Mapping[str, Any]) -> list[Mapping[str, Any]]:
    """The rollout's analysis blocks, in the order `--rollout` looks at them."""
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


def _pod_hashes(source: Any, rollout: Mapping[str, Any]) -> tuple[str, str]:
    """(stable, latest): the `rollouts-pod-template-hash` of the stable and the new ReplicaSet, "" if missing."""
    from kubectl_rollouts_py.kube import resources as r

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
    arguments: list[args_mod.Argument]
    dry_run: list[Any]
    retention: list[Any]
    warnings: list[str]


def resolve_rollout(source: Any, name: str, template: Mapping[str, Any]) -> RolloutArgs:
    """The rollout's analysis args for this template, with podTemplateHashValue and fieldRef resolved."""
    from kubectl_rollouts_py.analysis import args as a
    from kubectl_rollouts_py.kube import resources as r

    rollout = source.get(r.ROLLOUTS, name, source.namespace)
    blocks = rollout_analyses(rollout)
    block = choose_analysis(blocks, _name_of(template), _kind_of(template))
    warnings = []
    if block is not None:
        raw_args = list(block.get("args") or [])
    else:
        seen: set[str] = set()
        raw_args = []
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
        stable, latest = _pod_hashes(source, rollout)
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


def _provider_kind(metric: Mapping[str, Any]) -> str:
    provider = metric.get("provider") or {}
    kinds = [k for k, v in provider.items() if v is not None] if isinstance(provider, Mapping) else []
    return kinds[0] if kinds else ""


def plan_run(inputs: Inputs, cluster: Cluster, warn: Callable[[str], None]) -> Plan:
    """Templates, args and the run spec, checked the way Argo checks a new run.

    Raises:
        RolloutsError: exit 1 with the reason (Argo's run message where Argo has one).
    """
    from kubectl_rollouts_py.analysis import args as a

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
        arg = secret_args[0]
        assert arg.secret is not None
        raise errors.RolloutsError(
            f'argument "{arg.name}" comes from key "{arg.secret.key}" of secret "{arg.secret.name}": '
            "pass --allow-secrets to read it (its value is never printed)"
        )
    prepared = a.prepare_run(run_spec)
    if prepared.spec is None:
        raise errors.RolloutsError(prepared.error)
    raw = {}
    skipped = {}
    for original, resolved in zip(run_spec["metrics"], prepared.metrics):
        name = str(resolved.get("name", ""))
        kind = _provider_kind(resolved)
        if kind == "prometheus":
            raw[name] = original
        else:
            skipped[name] = kind
            warn(f'metric "{name}" uses the {kind} provider: analyze measures Prometheus metrics only, so it is skipped')
    if not raw:
        raise errors.RolloutsError(f'nothing to measure: no metric of "{_name_of(top)}" uses the prometheus provider')
    for name, original in raw.items():
        query = str(((original.get("provider") or {}).get("prometheus") or {}).get("query") or "")
        for text in a.promql_injection_warnings(query, arguments):
            warn(f'metric "{name}": {text}')
    spec = replace(prepared.spec, metrics=tuple(m for m in prepared.spec.metrics if m.name in raw))
    namespace = str((top.get("metadata") or {}).get("namespace") or "") if inputs.filename else ""
    return Plan(_name_of(top), namespace or cluster.namespace, arguments, run_spec, prepared.metrics, spec, raw, skipped)


# ------------------------------------------------------------------------------ measuring


class SecretReader:
    """(secret, key) -> decoded value, read through the Source once per run and cached."""

    def __init__(self, cluster: Cluster) -> None:
        self._cluster = cluster
        self._values: dict[tuple[str, str], str] = {}
        self._lock = threading.Lock()

    def __call__(self, name: str, key: str) -> str:
        import base64
        import binascii

        from kubectl_rollouts_py.analysis.args import ArgsError
        from kubectl_rollouts_py.kube import resources as r

        with self._lock:
            if (name, key) in self._values:
                return self._values[(name, key)]
            source = self._cluster()
            try:
                secret = source.get(r.Resource("", "v1", "secrets", "Secret"), name, source.namespace)
            except errors.RolloutsError as exc:
                raise ArgsError(exc.message) from None
            data = secret.get("data") or {}
            if key not in data:
                raise ArgsError(f"key '{key}' does not exist in secret '{name}'")
            try:
                value = base64.b64decode(str(data[key]), validate=True).decode("utf-8", errors="replace")
            except (binascii.Error, ValueError):
                raise ArgsError(f"key '{key}' of secret '{name}' is not valid base64") from None
            self._values[(name, key)] = value
            return value


@dataclass
class Measurer:
    """Takes one measurement of a metric: substitute (real secrets), query, assess, mask."""

    plan: Plan
    clock: Callable[[], dt.datetime]
    address_override: str | None = None
    default_address: str | None = None
    resolve_secret: Callable[[str, str], str] | None = None
    deadline: float | None = None  # time.monotonic() when --timeout ends the run: no query outlives it
    warn: Callable[[str], None] | None = None
    """Where a Prometheus answer's warnings are told: the run view has no measurement
    metadata, so without this a warned answer looks like a clean success."""
    _warned: dict[str, set[str]] = field(default_factory=dict, repr=False)
    _warn_lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def check_secrets(self) -> None:
        """Read every secret now, so a missing one is an error before anything is measured."""
        from kubectl_rollouts_py.analysis import args as a

        for raw in self.plan.raw.values():
            try:
                a.resolve_for_measurement(raw, self.plan.arguments, resolve_secret=self.resolve_secret)
            except a.ArgsError as exc:
                raise errors.RolloutsError(a.UNABLE_TO_RESOLVE + exc.message) from None

    def measure(self, name: str) -> evaluate.Measurement:
        from kubectl_rollouts_py.analysis import args as a
        from kubectl_rollouts_py.analysis import evaluate as ev
        from kubectl_rollouts_py.analysis import prometheus

        metric = self.plan.spec.metric(name)
        assert metric is not None
        started = self.clock()
        secrets: tuple[str, ...] = ()
        try:
            resolved, secrets = a.resolve_for_measurement(self.plan.raw[name], self.plan.arguments, resolve_secret=self.resolve_secret)
            provider = (resolved.get("provider") or {}).get("prometheus") or {}
            sample = self._sample(provider, started)
        except (a.ArgsError, prometheus.ProviderError) as exc:
            return ev.error_measurement(a.mask_secrets(exc.message, secrets), started_at=started, finished_at=self.clock())
        self._tell_warnings(name, [a.mask_secrets(w, secrets) for w in sample.warnings])
        measurement = ev.assess_measurement(
            metric, sample.result, value=sample.value, started_at=started, finished_at=self.clock(), metadata=sample.metadata, now=started
        )
        return replace(measurement, message=a.mask_secrets(measurement.message, secrets), value=a.mask_secrets(measurement.value, secrets))

    def _tell_warnings(self, name: str, warnings: Sequence[str]) -> None:
        """`Warning: metric "x": Prometheus warned: ...` once per distinct warning of a metric,
        bounded and escaped as the adapter bounds the measurement's metadata (server text);
        after MAX_WARNINGS_PER_METRIC of them, one line says the rest are not shown."""
        if self.warn is None or not warnings:
            return
        from kubectl_rollouts_py.analysis.prometheus import bounded_text
        from kubectl_rollouts_py.render.escape import clean

        # Under the lock (metrics are measured concurrently): each line once, in order.
        with self._warn_lock:
            seen = self._warned.setdefault(name, set())
            for text in warnings:
                if text in seen or len(seen) > MAX_WARNINGS_PER_METRIC:
                    continue
                seen.add(text)
                if len(seen) > MAX_WARNINGS_PER_METRIC:
                    self.warn(clean(f'Warning: metric "{name}": further Prometheus warnings are not shown'))
                else:
                    self.warn(clean(f'Warning: metric "{name}": Prometheus warned: {bounded_text(text)}'))

    def _sample(self, provider: Mapping[str, Any], now: dt.datetime) -> Any:
        from kubectl_rollouts_py.analysis import conditions, durations, prometheus

        override, default = self.address_override, self.default_address
        range_query = provider.get("rangeQuery")
        if not range_query:
            return prometheus.query(provider, at=now, address_override=override, default_address=default, deadline=self.deadline)
        bounds = []
        for which in ("start", "end"):
            try:
                bounds.append(conditions.evaluate_time(str(range_query.get(which) or ""), now=now))
            except conditions.ConditionError as exc:
                raise prometheus.ProviderError(f"failed to parse rangeQuery.{which} as time: {exc.message}") from None
        try:
            step = dt.timedelta(microseconds=durations.parse_go_duration(str(range_query.get("step") or "")) / 1000)
        except ValueError as exc:
            raise prometheus.ProviderError(f"failed to parse rangeQuery.step as duration: {exc}") from None
        return prometheus.query_range(
            provider, start=bounds[0], end=bounds[1], step=step, address_override=override, default_address=default, deadline=self.deadline
        )


def measure_all(names: Sequence[str], measure: Callable[[str], evaluate.Measurement]) -> dict[str, evaluate.Measurement]:
    """Measure the due metrics, concurrently as Argo does; Ctrl-C is not held up by a slow query."""
    if len(names) <= 1:
        return {name: measure(name) for name in names}
    taken: dict[str, evaluate.Measurement] = {}
    failures: list[BaseException] = []

    def work(name: str) -> None:
        try:
            taken[name] = measure(name)
        except BaseException as exc:  # noqa: BLE001 - re-raised in the main thread
            failures.append(exc)

    from kubectl_rollouts_py.term.signals import threads_without_signals

    threads = [threading.Thread(target=work, args=(name,), daemon=True) for name in names]
    with threads_without_signals():  # Ctrl-C, SIGTERM, SIGHUP must reach the main thread
        for thread in threads:
            thread.start()
    for thread in threads:
        while thread.is_alive():
            thread.join(0.1)
    if failures:
        raise failures[0]
    return {name: taken[name] for name in names}


# ------------------------------------------------------------------------------ running


def run_schedule(
    plan: Plan,
    measure: Callable[[str], evaluate.Measurement],
    *,
    clock: Callable[[], dt.datetime],
    sleep_until: Callable[[dt.datetime], None],
    show: Callable[[evaluate.RunStatus, dt.datetime | None], None],
    deadline: dt.datetime | None = None,
) -> evaluate.RunStatus:
    """Drive the run as the controller does, until it completes; `show` after each reconcile.

    At `deadline` the run is terminated (spec.terminate), and that reconcile completes it.
    """
    from kubectl_rollouts_py.analysis import evaluate as ev

    spec = plan.spec
    status = ev.RunStatus()
    while True:
        now = clock()
        if deadline is not None and now >= deadline and not spec.terminate:
            spec = replace(spec, terminate=True)
        taken = measure_all(ev.due_metrics(spec, status, now=now), measure)
        status = ev.reconcile(spec, status, taken, now=now)
        upcoming = ev.next_reconcile(spec, status)
        show(status, upcoming)
        if status.completed:
            return status
        if upcoming is None:  # nothing will ever be due: end it as a terminate would
            spec = replace(spec, terminate=True)
            continue
        wake = upcoming + SCHEDULE_SLACK
        sleep_until(min(wake, deadline) if deadline is not None else wake)


def run_once(plan: Plan, measure: Callable[[str], evaluate.Measurement], *, clock: Callable[[], dt.datetime]) -> evaluate.RunStatus:
    """One measurement per metric, now; each metric takes its measurement's phase, and the run
    the worst of them (Argo's order: Failed, Error, Inconclusive). Limits, count, interval and
    initialDelay are not applied; dry-run metrics do not count."""
    from kubectl_rollouts_py.analysis import evaluate as ev

    started = clock()
    taken = measure_all([m.name for m in plan.spec.metrics], measure)
    results = []
    phase, message = ev.Phase.SUCCESSFUL, ""
    for metric in plan.spec.metrics:
        measurement = taken[metric.name]
        dry = metric.name in plan.spec.dry_run
        result = ev.new_metric_result(metric.name, dry_run=dry, metadata=ev.provider_metadata(metric))
        result = replace(ev.record_measurement(result, measurement), phase=measurement.phase, message=measurement.message)
        results.append(result)
        if not dry and ev.is_worse(phase, measurement.phase):
            phase = measurement.phase
            message = f'Metric "{metric.name}" measured {phase.value}' + (f": {measurement.message}" if measurement.message else "")
    return ev.RunStatus(phase=phase, message=message, started_at=started, completed_at=clock(), metric_results=tuple(results))


# ------------------------------------------------------------------------------ the view


def _rfc3339(moment: dt.datetime | None) -> str | None:
    if moment is None:
        return None
    return moment.astimezone(dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def _measurement_dict(m: evaluate.Measurement) -> dict[str, Any]:
    out: dict[str, Any] = {"phase": m.phase.value, "startedAt": _rfc3339(m.started_at), "finishedAt": _rfc3339(m.finished_at)}
    if m.value:
        out["value"] = m.value
    if m.message:
        out["message"] = m.message
    if m.metadata:
        out["metadata"] = dict(m.metadata)
    return out


def run_document(plan: Plan, status: evaluate.RunStatus, created: dt.datetime) -> dict[str, Any]:
    """The run as the API would hold it (camelCase); secret args name their Secret, never a value."""
    results: list[dict[str, Any]] = [
        {
            "name": r.name, "phase": r.phase.value, "message": r.message, "count": r.count, "successful": r.successful,
            "failed": r.failed, "inconclusive": r.inconclusive, "error": r.error, "consecutiveError": r.consecutive_error,
            "consecutiveSuccess": r.consecutive_success, "dryRun": r.dry_run, "metadata": dict(r.metadata),
            "measurements": [_measurement_dict(m) for m in r.measurements],
        }
        for r in status.metric_results
    ]
    for name, kind in plan.skipped.items():
        results.append({"name": name, "phase": SKIPPED, "message": f"not measured: analyze runs Prometheus metrics only (provider: {kind})"})
    shown_args = []
    for arg in plan.arguments:
        shown = arg.to_dict()
        if arg.secret is not None:
            shown.pop("value", None)  # the secret wins at measurement time; show where it comes from
        shown_args.append(shown)
    spec: dict[str, Any] = {"metrics": [dict(m) for m in plan.resolved], "args": shown_args}
    for key in ("dryRun", "measurementRetention"):
        if plan.run_spec.get(key):
            spec[key] = plan.run_spec[key]
    return {
        "apiVersion": "argoproj.io/v1alpha1",
        "kind": "AnalysisRun",
        "metadata": {"name": plan.name, "namespace": plan.namespace, "creationTimestamp": _rfc3339(created)},
        "spec": spec,
        "status": {
            "phase": status.phase.value if status.phase is not None else "Pending",
            "message": status.message,
            "startedAt": _rfc3339(status.started_at),
            "completedAt": _rfc3339(status.completed_at),
            "metricResults": results,
        },
    }


def _in(delta: dt.timedelta) -> str:
    seconds = max(0.0, delta.total_seconds())
    return f"{seconds:.1f}s" if seconds < 10 else f"{round(seconds)}s"


# ------------------------------------------------------------------------------ output


class Frames:
    """Where each state goes: redrawn in place on a terminal, printed otherwise, or NDJSON."""

    def __init__(self, app: App, output: str, *, live: bool) -> None:
        self.app = app
        self.output = output
        self.live = live
        self.style = app.style()
        self.screen: Any = None
        self._printed = False
        self._held: list[str] = []

    def warn(self, text: str) -> None:
        """A warning line on stderr; held while a live screen is up (it would be drawn over,
        or break the redraw) and written when the screen is restored."""
        if self.screen is not None:
            self._held.append(text)
        else:
            self.app.warn(text)

    @contextmanager
    def opened(self) -> Iterator[Frames]:
        on_terminal = sys.stdout.isatty() and os.environ.get("TERM") != "dumb"
        if self.output == "text" and self.live and on_terminal:
            from kubectl_rollouts_py.term.screen import Screen

            try:
                with Screen(sys.stdout) as screen:  # Ctrl-C, SIGTERM, SIGHUP: restored (cli/errors.py)
                    self.screen = screen
                    yield self
            finally:
                self.screen = None
                held, self._held = self._held, []
                for text in held:
                    self.app.warn(text)
            return
        yield self

    def show(self, view: Any, footer: str = "", *, final: bool = False) -> None:
        from kubectl_rollouts_py.render.output import serialise

        if self.output == "json":
            if self.live:
                import json

                self.app.write(json.dumps(view.to_dict(), separators=(",", ":"), ensure_ascii=True) + "\n")
            elif final:
                self.app.write(serialise(view.to_dict(), "json"))
            return
        from kubectl_rollouts_py.render import analysis as render_analysis

        text = render_analysis.render_run_detail(view, self.style) + (f"\n{footer}\n" if footer else "")
        if self.screen is not None:
            self.screen.show(text)
            return
        if self._printed:
            self.app.write(f"\n--- {self.app.now().strftime('%Y-%m-%dT%H:%M:%SZ')}\n")
        self._printed = True
        self.app.write(text)


def _parse_timeout(value: str | None) -> dt.timedelta | None:
    from kubectl_rollouts_py.analysis import durations

    if value is None:
        return None
    try:
        nanos = durations.parse_go_duration(value.strip())
    except ValueError as exc:
        raise errors.UsageError(f"invalid --timeout {value!r}: {exc} (use a duration such as 30s, 5m or 1h30m)") from None
    if nanos < 0:
        raise errors.UsageError(f"invalid --timeout {value!r}: must not be negative")
    return dt.timedelta(microseconds=nanos / 1000) if nanos else None


def _check_url(url: str | None) -> str | None:
    from urllib.parse import urlsplit

    if url is None:
        return None
    try:
        parts = urlsplit(url)
    except ValueError:
        parts = None
    if parts is None or not parts.scheme or not parts.netloc:
        raise errors.UsageError(f"invalid --prometheus {url!r}: give a URL with a scheme and a host, e.g. http://localhost:9090")
    return url


# ------------------------------------------------------------------------------ the command


@click.command("analyze", cls=CobraCommand, epilog=EPILOG)
@click.argument("template", required=False, metavar="[TEMPLATE]", shell_complete=complete_names("analysistemplates"))
@click.option("-f", "--filename", type=click.Path(), default=None, metavar="FILE",
              help="Run the template in FILE (YAML or JSON) instead of one from the cluster; name it with TEMPLATE if FILE holds several.")
@click.option("--cluster-template", is_flag=True, help="TEMPLATE is a ClusterAnalysisTemplate.")
@click.option("-a", "--arg", "cli_args", multiple=True, metavar="NAME=VALUE",
              help="Argument value; overrides the template default and --rollout. Repeatable.")
@click.option("--rollout", default=None, metavar="NAME",
              help="Take args from this rollout's analysis (podTemplateHashValue Stable/Latest, fieldRef resolved).")
@click.option("--prometheus", default=None, metavar="URL",
              help=f"Query this Prometheus instead of every metric's address (default address: ${PROMETHEUS_ADDRESS_ENV}).")
@click.option("--once", is_flag=True, help="Take one measurement per metric now and assess it, ignoring count, interval and limits.")
@click.option("--timeout", default=None, metavar="DURATION",
              help="Terminate the run after this long (e.g. 5m), as `terminate analysisrun` does; its phase then decides.")
@click.option("-o", "--output", type=click.Choice(["text", "json"]), default="text", show_default=True,
              help="json: the AnalysisRunView, one compact document per reconcile (one indented document with --once).")
@click.option("--allow-secrets", is_flag=True, help="Read secretKeyRef args from their Secrets (values are never printed).")
@global_options
def analyze(template: str | None, filename: str | None, cluster_template: bool, cli_args: tuple[str, ...], rollout: str | None,
            prometheus: str | None, once: bool, timeout: str | None, output: str, allow_secrets: bool) -> None:
    """Run an AnalysisTemplate against Prometheus now, with Argo's rules, and exit with its outcome.

    By default the metrics are measured on their own schedule (initialDelay, interval,
    count, limits) exactly as the Argo controller does, with a live table; --once takes one
    measurement of each metric now.
    """
    if template is None and filename is None:
        raise errors.UsageError("give a TEMPLATE name or -f FILE")
    if cluster_template and filename:
        raise errors.UsageError("--cluster-template names a template in the cluster; it cannot be used with -f")
    if once and timeout is not None:
        raise errors.UsageError("--once takes one measurement now; --timeout cannot be used with it")
    limit = _parse_timeout(timeout)
    address = _check_url(prometheus)
    for item in cli_args:
        if "=" not in item:
            raise errors.UsageError(f"invalid --arg {item!r}: use NAME=VALUE")
    app = App.of(click.get_current_context())
    inputs = Inputs(template, filename, cluster_template, cli_args, rollout, allow_secrets)
    with ExitStack() as stack:
        cluster = Cluster(app, stack)
        plan = plan_run(inputs, cluster, lambda text: app.warn(f"Warning: {text}"))
        measurer = Measurer(plan, app.now, address, os.environ.get(PROMETHEUS_ADDRESS_ENV) or None,
                            SecretReader(cluster) if allow_secrets else None)
        measurer.check_secrets()
        status = _run(app, plan, measurer, output=output, once=once, limit=limit)
    phase = status.phase.value if status.phase is not None else "Error"
    code = _PHASE_EXIT.get(phase, errors.ExitCode.ANALYSIS_ERROR)
    if code != errors.ExitCode.SUCCESS:
        raise AnalysisOutcome(f'analysis "{plan.name}" ended in phase {phase}' + (f": {status.message}" if status.message else ""), code)


def _run(app: App, plan: Plan, measurer: Measurer, *, output: str, once: bool, limit: dt.timedelta | None) -> evaluate.RunStatus:
    from kubectl_rollouts_py.derive import analysis as derive_analysis
    from kubectl_rollouts_py.term.signals import when_stdout_reader_goes

    created = app.now()
    frames = Frames(app, output, live=not once)
    measurer.warn = frames.warn

    def view_of(status: evaluate.RunStatus) -> Any:
        return derive_analysis.build_analysis_run_view(run_document(plan, status, created), app.now())

    if once:
        try:
            status = run_once(plan, measurer.measure, clock=app.now)
        except KeyboardInterrupt as exc:
            raise errors.Interrupted(getattr(exc, "signum", signal.SIGINT), f'analysis "{plan.name}": no measurement taken') from None
        frames.show(view_of(status), final=True)
        return status
    last: list[evaluate.RunStatus] = []

    def show(status: evaluate.RunStatus, upcoming: dt.datetime | None) -> None:
        last[:] = [status]
        footer = ""
        if not status.completed and upcoming is not None:
            when = min(upcoming, deadline) if deadline is not None else upcoming
            footer = f"Next reconcile in {_in(when - app.now())} ({_rfc3339(when)})"
            if deadline is not None and when >= deadline:
                footer = f"Terminating at the timeout in {_in(deadline - app.now())} ({_rfc3339(deadline)})"
        frames.show(view_of(status), footer, final=status.completed)

    reader_gone = threading.Event()

    def sleep_until(moment: dt.datetime) -> None:
        # An Event, not time.sleep: `analyze ... | head` ends when head does, not at the
        # next reconcile (maybe minutes away). Signals still interrupt the wait.
        if reader_gone.wait(max(0.0, (moment - app.now()).total_seconds())):
            raise BrokenPipeError(errno.EPIPE, "the reader of stdout is gone")  # exit 0, quietly

    deadline = created + limit if limit is not None else None
    if limit is not None:
        measurer.deadline = time.monotonic() + limit.total_seconds()
    try:
        with frames.opened(), when_stdout_reader_goes(reader_gone.set):
            return run_schedule(plan, measurer.measure, clock=app.now, sleep_until=sleep_until, show=show, deadline=deadline)
    except KeyboardInterrupt as exc:
        # After the screen is restored (its last frame, the table so far, stays on the main
        # screen); the line says how far the run got. Exit 130, not the phase's code: the
        # run did not end.
        detail = interrupted_summary(plan.name, last[0] if last else None)
        raise errors.Interrupted(getattr(exc, "signum", signal.SIGINT), detail) from None


def interrupted_summary(name: str, status: evaluate.RunStatus | None) -> str:
    """`analysis "x" was Running: success-rate 3 measured (2 successful, 1 failed)`."""
    if status is None or not any(m.count for m in status.metric_results):
        return f'analysis "{name}": no measurement taken'
    phase = status.phase.value if status.phase is not None else "Running"
    metrics = []
    for m in status.metric_results:
        counts = [f"{n} {label}" for n, label in ((m.successful, "successful"), (m.failed, "failed"),
                                                  (m.inconclusive, "inconclusive"), (m.error, "error")) if n]
        metrics.append(f"{m.name} {m.count} measured" + (f" ({', '.join(counts)})" if counts else ""))
    return f'analysis "{name}" was {phase}: ' + "; ".join(metrics)
