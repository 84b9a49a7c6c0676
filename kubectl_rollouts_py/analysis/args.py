"""Arguments, `{{args.x}}` templating and spec validation, as pure functions.

The path from templates to a measurable run:

1. `collect_templates` (nested `spec.templates`, with cycle detection Argo lacks) and
   `flatten_templates` merge templates into one spec.
2. `resolve_rollout_args` turns a Rollout's `analysis.args` into concrete values
   (value, podTemplateHashValue, fieldRef); `parse_cli_args` reads `NAME=VALUE` flags.
3. `merge_args` lays incoming args over the template's declared ones.
4. `prepare_run` does what every reconcile does before measuring: substitute placeholders
   with secrets replaced by a dummy, validate, compute the dry-run set and
   retention limits, and returns either an `evaluate.RunSpec` or the run's Error message.
5. `resolve_for_measurement` substitutes the real secret values, only for the provider
   call, and returns them so `mask_secrets` can hide them in messages.

Substitution is text insertion as Argo does it (the values are escaped for the JSON
document the metric is serialised into), with one deliberate difference: a Prometheus
metric's `query` is PromQL, and Argo's plain insertion lets a value change the query's
structure (`foo"} or vector(1) #` closes the label matcher it was meant to fill and adds a
series). `substitute_promql` keeps every value in its spot instead:

* inside a PromQL string literal ("...", '...'), the value is escaped by PromQL's rules, so
  it stays one string, whatever it holds; a raw `...` string cannot escape anything, so a
  value with a backtick is refused;
* in a `#` comment, a value must not hold a line break (it would end the comment);
* anywhere else, the value must be one token: a number, a duration, or a name (metric,
  label, function), not a PromQL keyword; inside `{...}` it may also be a list of label
  matchers (`a="x", b=~"y.*"`), and inside `by (...)`-style groupings a list of names.

Anything else fails the substitution with a message that names the argument (never its
value). Secret values are checked only where they are really substituted (for the
measurement); the dummy that stands in for them elsewhere is inserted as it is.

Secret values never appear in any message built here.
"""

from __future__ import annotations

import base64
import json
import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from kubectl_rollouts_py import govalues
from kubectl_rollouts_py.analysis import evaluate
from kubectl_rollouts_py.analysis.expr.values import format_float_g
from kubectl_rollouts_py.errors import RolloutsError

UNABLE_TO_RESOLVE = "Unable to resolve metric arguments: "
SPEC_INVALID = "Analysis spec invalid: "
SECRET_DUMMY = "*****"  # stands in for secret values everywhere except the provider call
SECRET_MASK = "*****"

SecretResolver = Callable[[str, str], str]
"""(secret name, key) -> decoded value; raise ArgsError("key 'k' does not exist in secret 's'")."""


class ArgsError(RolloutsError):
    """Arguments could not be built or substituted; the message never contains a secret value."""


# ------------------------------------------------------------------ argument shapes


@dataclass(frozen=True)
class SecretKeyRef:
    name: str
    key: str


@dataclass(frozen=True)
class Argument:
    """A template/run argument. `value` None means absent, which is not "".

    `field_path` is a template-level `valueFrom.fieldRef`, which the analysis controller
    never resolves: unless a Rollout supplies a value, substitution reports the argument
    as not supplied.
    """

    name: str
    value: str | None = None
    secret: SecretKeyRef | None = None
    field_path: str | None = None

    @property
    def has_value_from(self) -> bool:
        return self.secret is not None or self.field_path is not None

    @classmethod
    def from_dict(cls, arg: Mapping[str, Any]) -> Argument:
        value_from = arg.get("valueFrom") or {}
        secret = value_from.get("secretKeyRef")
        field_ref = value_from.get("fieldRef")
        value = arg.get("value")
        return cls(
            name=str(arg.get("name", "")),
            value=None if value is None else str(value),
            secret=SecretKeyRef(str(secret.get("name", "")), str(secret.get("key", ""))) if secret else None,
            field_path=str(field_ref.get("fieldPath", "")) if field_ref else None,
        )

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"name": self.name}
        if self.value is not None:
            out["value"] = self.value
        if self.secret is not None:
            out["valueFrom"] = {"secretKeyRef": {"name": self.secret.name, "key": self.secret.key}}
        elif self.field_path is not None:
            out["valueFrom"] = {"fieldRef": {"fieldPath": self.field_path}}
        return out


def parse_cli_args(items: Iterable[str]) -> list[Argument]:
    """`-a NAME=VALUE` flags, split at the first `=`.

    Raises:
        ArgsError: an item without `=`.
    """
    out = []
    for item in items:
        name, sep, value = item.partition("=")
        if not sep:
            raise ArgsError("arguments must be in the form NAME=VALUE")
        out.append(Argument(name=name, value=value))
    return out


def merge_args(incoming: Iterable[Argument], template_args: Sequence[Argument]) -> list[Argument]:
    """Lay incoming args over the template's.

    Only declared args are affected; an incoming value replaces the template's value, else
    an incoming valueFrom replaces its valueFrom (a template secretKeyRef stays when only a
    value comes in, and still wins at measurement time).

    Raises:
        ArgsError: `args.<name> was not resolved` for an arg with neither value nor valueFrom.
    """
    merged = list(template_args)
    for arg in incoming:
        for i, current in enumerate(merged):
            if current.name != arg.name:
                continue
            if arg.value is not None:
                merged[i] = Argument(current.name, arg.value, current.secret, current.field_path)
            elif arg.has_value_from:
                merged[i] = Argument(current.name, current.value, arg.secret, arg.field_path)
            break
    for arg in merged:
        if arg.value is None and not arg.has_value_from:
            raise ArgsError(f"args.{arg.name} was not resolved")
    return merged


# ------------------------------------------------------------------ Rollout-side args


def _go_v(value: Any) -> str:
    """fmt %v of a decoded JSON scalar (numbers are float64 in Go: 12345678 -> 1.2345678e+07)."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return format_float_g(float(value))
    return str(value)


_QUALIFIED_NAME = re.compile(r"^([a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*/)?[A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?$")


def _metadata_field(rollout: Mapping[str, Any], path: str) -> str:
    """Kubernetes fieldpath.ExtractFieldPathAsString on the Rollout's metadata."""
    metadata = rollout.get("metadata") or {}
    if path.endswith("']") and "['" in path:
        base, _, rest = path[:-2].partition("['")
        if base:
            if base not in ("metadata.annotations", "metadata.labels"):
                raise ArgsError(f'fieldPath "{path}" does not support subscript')
            key = rest.lower() if base == "metadata.annotations" else rest
            if len(rest) > 316 or not _QUALIFIED_NAME.match(key):
                raise ArgsError(f"invalid key subscript in {path}")
            section = metadata.get("annotations" if base == "metadata.annotations" else "labels") or {}
            return str(section.get(rest, ""))
    if path in ("metadata.annotations", "metadata.labels"):
        section = metadata.get(path.split(".")[1]) or {}
        return "\n".join(f"{k}={govalues.go_quote(str(section[k]))}" for k in sorted(section))
    if path in ("metadata.name", "metadata.namespace", "metadata.uid"):
        return str(metadata.get(path.split(".")[1], "") or "")
    raise ArgsError(f"unsupported fieldPath: {path}")


def _walk_rollout(rollout: Mapping[str, Any], path: str) -> str:
    """Argo's extractValueFromRollout: walk the Rollout's JSON, ending on a scalar."""
    node: Any = rollout
    for section in re.split(r"[.\[\]]+", path):
        if section == "":
            continue
        if isinstance(node, list):
            index = govalues.go_atoi(section)
            if index is None:
                raise ArgsError(f"invalid index '{section}'")
            if index < 0 or index >= len(node):
                raise ArgsError(f"index {index} out of range")
            node = node[index]
        elif isinstance(node, Mapping):
            node = node.get(section)
        else:
            raise ArgsError(f"invalid path {path} in rollout")
    if node is None:
        raise ArgsError(f"invalid path {path} in rollout")
    if isinstance(node, (list, Mapping)):
        raise ArgsError(f"path {path} in rollout must terminate in a primitive value")
    return _go_v(node)


def resolve_rollout_args(
    rollout_args: Iterable[Mapping[str, Any]],
    rollout: Mapping[str, Any],
    *,
    stable_hash: str | None = None,
    latest_hash: str | None = None,
) -> list[Argument]:
    """A Rollout's `analysis.args[]` (AnalysisRunArgument) as concrete Arguments.

    podTemplateHashValue Latest/Stable use `latest_hash`/`stable_hash`, defaulting to the
    Rollout's `status.currentPodHash` / `status.stableRS`; any other value gives "". An arg
    with neither value nor valueFrom yields "" (which overrides a template default).

    Raises:
        ArgsError: a fieldRef that cannot be resolved.
    """
    status = rollout.get("status") or {}
    hashes = {
        "Latest": latest_hash if latest_hash is not None else str(status.get("currentPodHash") or ""),
        "Stable": stable_hash if stable_hash is not None else str(status.get("stableRS") or ""),
    }
    out = []
    for arg in rollout_args:
        name = str(arg.get("name", ""))
        value_from = arg.get("valueFrom")
        if not value_from:
            out.append(Argument(name, str(arg.get("value") or "")))
            continue
        if value_from.get("podTemplateHashValue") is not None:
            value = hashes.get(str(value_from.get("podTemplateHashValue")), "")
        elif value_from.get("fieldRef") is not None:
            path = str((value_from.get("fieldRef") or {}).get("fieldPath", ""))
            value = _metadata_field(rollout, path) if path.startswith("metadata") else _walk_rollout(rollout, path)
        else:
            value = ""
        out.append(Argument(name, value))
    return out


# ------------------------------------------------------------------ templates


def collect_templates(
    refs: Sequence[Mapping[str, Any]], lookup: Callable[[str, bool], Mapping[str, Any]]
) -> tuple[list[Mapping[str, Any]], list[Mapping[str, Any]]]:
    """Resolve template references and their nested `spec.templates`, depth first.

    `lookup(name, cluster_scope)` returns the template object (or raises). Returns the
    namespaced and the cluster templates, parents before their children, each list
    de-duplicated by name (first occurrence kept).

    Raises:
        ArgsError: a reference cycle (Argo would recurse forever).
    """

    def visit(level: Sequence[Mapping[str, Any]], path: tuple[tuple[str, bool], ...]) -> tuple[list[Any], list[Any]]:
        namespaced: list[Mapping[str, Any]] = []
        cluster: list[Mapping[str, Any]] = []
        for ref in level:
            key = (str(ref.get("templateName", "")), bool(ref.get("clusterScope", False)))
            if key in path:
                chain = " -> ".join(name for name, _ in (*path, key))
                raise ArgsError(f"analysis template references form a cycle: {chain}")
            template = lookup(*key)
            (cluster if key[1] else namespaced).append(template)
            nested = ((template.get("spec") or {}).get("templates")) or []
            if nested:
                inner, inner_cluster = visit(nested, (*path, key))
                namespaced.extend(inner)
                cluster.extend(inner_cluster)
        return _unique(namespaced), _unique(cluster)

    return visit(refs, ())


def _unique(templates: list[Mapping[str, Any]]) -> list[Mapping[str, Any]]:
    seen: set[str] = set()
    out = []
    for template in templates:
        name = str((template.get("metadata") or {}).get("name", ""))
        if name not in seen:
            seen.add(name)
            out.append(template)
    return out


def flatten_templates(
    templates: Sequence[Mapping[str, Any]], cluster_templates: Sequence[Mapping[str, Any]] = ()
) -> dict[str, Any]:
    """One AnalysisTemplateSpec from several: metrics, args, dryRun, measurementRetention.

    Raises:
        ArgsError: duplicate metric names or rule names, or one argument with two different values.
    """
    specs = [t.get("spec") or {} for t in (*templates, *cluster_templates)]
    metrics: list[Any] = [m for s in specs for m in s.get("metrics") or []]
    seen: set[str] = set()
    for metric in metrics:
        if metric.get("name") in seen:
            raise ArgsError(f"two metrics have the same name '{metric.get('name')}'")
        seen.add(metric.get("name"))
    args: list[dict[str, Any]] = []
    for arg in (a for s in specs for a in s.get("args") or []):
        for i, prev in enumerate(args):
            if prev.get("name") != arg.get("name"):
                continue
            if prev.get("value") is not None and arg.get("value") is not None and prev["value"] != arg["value"]:
                raise ArgsError(
                    f"Argument `{prev.get('name')}` specified multiple times with different values: "
                    f"'{prev['value']}', '{arg['value']}'"
                )
            if prev.get("value") is None:
                args[i] = dict(arg)
            break
        else:
            args.append(dict(arg))
    dry_run = [r for s in specs for r in s.get("dryRun") or []]
    retention = [r for s in specs for r in s.get("measurementRetention") or []]
    _unique_rules(dry_run, "two Dry-Run metric rules have the same name '{}'")
    _unique_rules(retention, "two Measurement Retention metric rules have the same name '{}'")
    return {"metrics": metrics, "args": args, "dryRun": dry_run, "measurementRetention": retention}


def _unique_rules(rules: Sequence[Mapping[str, Any]], message: str) -> None:
    seen: set[Any] = set()
    for rule in rules:
        name = rule.get("metricName")
        if name in seen:
            raise ArgsError(message.format(name))
        seen.add(name)


def new_run_spec(
    templates: Sequence[Mapping[str, Any]],
    cluster_templates: Sequence[Mapping[str, Any]],
    args: Iterable[Argument],
    *,
    dry_run: Sequence[Mapping[str, Any]] = (),
    measurement_retention: Sequence[Mapping[str, Any]] = (),
) -> dict[str, Any]:
    """The AnalysisRun spec a Rollout (or `create analysisrun`) creates.

    Rollout dryRun/measurementRetention rules are prepended to the templates' ones.

    Raises:
        ArgsError: flattening or merging failed.
    """
    flat = flatten_templates(templates, cluster_templates)
    merged = merge_args(args, [Argument.from_dict(a) for a in flat["args"]])
    dry = [*dry_run, *flat["dryRun"]]
    retention = [*measurement_retention, *flat["measurementRetention"]]
    _unique_rules(dry, "two Dry-Run metric rules have the same name '{}'")
    _unique_rules(retention, "two Measurement Retention metric rules have the same name '{}'")
    spec: dict[str, Any] = {"metrics": flat["metrics"], "args": [a.to_dict() for a in merged]}
    if dry:
        spec["dryRun"] = dry
    if retention:
        spec["measurementRetention"] = retention
    return spec


# ------------------------------------------------------------------ substitution

# Go struct field order of Metric and PrometheusMetric: placeholders are visited in this
# order, which decides which unknown placeholder is reported when there are several.
_METRIC_ORDER = (
    "name", "interval", "initialDelay", "count", "successCondition", "failureCondition", "failureLimit",
    "inconclusiveLimit", "consecutiveErrorLimit", "provider", "consecutiveSuccessLimit",
)  # fmt: skip
_PROMETHEUS_ORDER = ("address", "query", "authentication", "timeout", "insecure", "headers", "rangeQuery")


def _ordered(value: Mapping[str, Any], order: Sequence[str]) -> dict[str, Any]:
    known = [k for k in order if k in value]
    return {k: value[k] for k in (*known, *(k for k in value if k not in order))}


def _metric_document(metric: Mapping[str, Any]) -> str:
    doc = _ordered(metric, _METRIC_ORDER)
    provider = doc.get("provider")
    if isinstance(provider, Mapping) and isinstance(provider.get("prometheus"), Mapping):
        doc["provider"] = {**provider, "prometheus": _ordered(provider["prometheus"], _PROMETHEUS_ORDER)}
    return json.dumps(doc, ensure_ascii=False, separators=(",", ":"))


def _go_q(text: str) -> str:
    return json.dumps(text, ensure_ascii=False)


def substitute(template: str, values: Mapping[str, str]) -> str:
    """fasttemplate on text: replace `{{ args.x }}` (trimmed) with JSON-escaped values.

    Inserted text is not rescanned. The last unknown tag is the one reported.

    Raises:
        ArgsError: `cannot find end tag=...` for an unterminated `{{`, or
            `failed to resolve {{<raw tag>}}`.
    """
    pieces: list[str] = []
    pos = 0
    unresolved: str | None = None
    while True:
        start = template.find("{{", pos)
        if start < 0:
            pieces.append(template[pos:])
            break
        end = template.find("}}", start + 2)
        if end < 0:
            raise ArgsError(
                f'cannot find end tag={_go_q("}}")} in the template={_go_q(template)} '
                f"starting from {_go_q(template[start + 2 :])}"
            )
        pieces.append(template[pos:start])
        raw = template[start + 2 : end]
        key = raw.strip()
        if key.startswith("args.") and key[5:] in values:
            pieces.append(json.dumps(values[key[5:]], ensure_ascii=False)[1:-1])
        else:
            unresolved = raw
        pos = end + 2
    if unresolved is not None:
        raise ArgsError(f"failed to resolve {{{{{unresolved}}}}}")
    return "".join(pieces)


def resolve_metric(metric: Mapping[str, Any], values: Mapping[str, str], *, unchecked: Iterable[str] = ()) -> dict[str, Any]:
    """Substitute placeholders in every string of a metric (via its JSON form, as Argo does),
    and in a Prometheus query as PromQL (`substitute_promql`; `unchecked` args go in as they are).

    Raises:
        ArgsError: as `substitute`, or a value that cannot stand where it is in the query.
    """
    resolved: dict[str, Any] = json.loads(substitute(_metric_document(metric), values))
    return _promql_query(metric, resolved, values, frozenset(unchecked))


def _promql_query(metric: Mapping[str, Any], resolved: dict[str, Any], values: Mapping[str, str], unchecked: frozenset[str]) -> dict[str, Any]:
    """`resolved` with its Prometheus query substituted again, as PromQL, from the template.

    The whole-document substitution ran first, so its errors (and their order) are Argo's.
    """
    provider = metric.get("provider")
    prometheus = provider.get("prometheus") if isinstance(provider, Mapping) else None
    query = prometheus.get("query") if isinstance(prometheus, Mapping) else None
    if isinstance(query, str) and "{{" in query:
        resolved["provider"]["prometheus"]["query"] = substitute_promql(query, values, unchecked=unchecked)
    return resolved


def _values(args: Sequence[Argument], secret_value: Callable[[Argument], str]) -> dict[str, str]:
    values: dict[str, str] = {}
    for arg in args:
        if arg.secret is not None:
            values[arg.name] = secret_value(arg)
        elif arg.value is not None:
            values[arg.name] = arg.value
        else:
            raise ArgsError(f'argument "{arg.name}" was not supplied')
    return values


def _has_unterminated_tag(text: str) -> bool:
    start = text.rfind("{{")
    return start >= 0 and text.find("}}", start + 2) < 0


def resolve_metrics(metrics: Sequence[Mapping[str, Any]], args: Sequence[Argument]) -> list[dict[str, Any]]:
    """Every metric with placeholders substituted, secrets replaced by a dummy.

    This is what validation and assessment see on every reconcile.

    Raises:
        ArgsError: an unterminated `{{`, an argument without a value, or an unknown tag.
    """
    # Argo resolves metric by metric: template parse, then the "not supplied" check, then tags.
    values: dict[str, str] | None = None
    dummies = frozenset(arg.name for arg in args if arg.secret is not None)
    out = []
    for metric in metrics:
        text = _metric_document(metric)
        if _has_unterminated_tag(text):
            substitute(text, {})  # raises fasttemplate's message
        if values is None:
            values = _values(args, lambda arg: SECRET_DUMMY)
        out.append(_promql_query(metric, json.loads(substitute(text, values)), values, dummies))
    return out


def resolve_for_measurement(
    metric: Mapping[str, Any], args: Sequence[Argument], *, resolve_secret: SecretResolver | None = None
) -> tuple[dict[str, Any], tuple[str, ...]]:
    """The metric with real secret values, for the provider call only; also the secret values.

    Pass the returned secrets to `mask_secrets` before showing any message or value.

    Raises:
        ArgsError: as resolve_metrics, or a secret that cannot be read (no resolver, missing
            Secret or key); the message names the Secret, never its value.
    """
    secrets: list[str] = []

    def secret_value(arg: Argument) -> str:
        assert arg.secret is not None
        if resolve_secret is None:
            raise ArgsError(f'argument "{arg.name}" comes from secret "{arg.secret.name}" and no secret resolver was given')
        try:
            value = resolve_secret(arg.secret.name, arg.secret.key)
        except ArgsError:
            raise
        except Exception as exc:  # noqa: BLE001 - the resolver's own failure, reported by type only
            raise ArgsError(f"secret '{arg.secret.name}' could not be read ({type(exc).__name__})") from None
        secrets.append(value)
        return value

    text = _metric_document(metric)
    if _has_unterminated_tag(text):
        substitute(text, {})
    values = _values(args, secret_value)
    resolved = _promql_query(metric, json.loads(substitute(text, values)), values, frozenset())
    return resolved, tuple(secrets) + secret_forms(resolved, secrets)


def secret_forms(resolved: Mapping[str, Any], secrets: Sequence[str]) -> tuple[str, ...]:
    """The other shapes in which the provider sends (and a server may echo) the secrets.

    A secret used in basic auth (`authentication.basicAuth`, or a password in the address)
    travels as base64 of `user:password`; a secret in the query or the URL travels
    percent-encoded, and as PromQL-escaped text inside a string literal. `mask_secrets`
    hides these too.
    """
    from urllib.parse import quote, quote_plus, unquote, urlsplit

    present = [s for s in secrets if s]
    if not present:
        return ()
    forms: list[str] = []
    for secret in present:
        forms += [quote(secret, safe=""), quote_plus(secret), _promql_escape(secret, '"'), _promql_escape(secret, "'")]
    provider = resolved.get("provider")
    prometheus = provider.get("prometheus") if isinstance(provider, Mapping) else None
    if not isinstance(prometheus, Mapping):
        prometheus = {}
    authentication = prometheus.get("authentication")
    basic = authentication.get("basicAuth") if isinstance(authentication, Mapping) else None
    pairs: list[tuple[str, str]] = []
    if isinstance(basic, Mapping) and basic.get("password") is not None:
        pairs.append((str(basic.get("username") or ""), str(basic.get("password"))))
    try:
        address = urlsplit(str(prometheus.get("address") or ""))
        if address.password is not None:
            pairs.append((unquote(address.username or ""), unquote(address.password)))
    except ValueError:
        pass
    for user, password in pairs:
        if any(s in user or s in password for s in present):
            forms += [password, base64.b64encode(f"{user}:{password}".encode()).decode()]
    return tuple(f for f in dict.fromkeys(forms) if f and f not in present)


def mask_secrets(text: str, secrets: Iterable[str]) -> str:
    """Replace every (non-empty) secret value in `text` with `*****`, as Argo does for messages."""
    for secret in sorted((s for s in secrets if s), key=len, reverse=True):
        text = text.replace(secret, SECRET_MASK)
    return text


# ------------------------------------------------------------------ validation


def _provider_count(provider: Any) -> int:
    if not isinstance(provider, Mapping):
        return 0
    return sum(1 for value in provider.values() if value is not None)


def validate_metric(metric: Mapping[str, Any]) -> None:
    """One metric's checks (without the `metrics[i]: ` prefix).

    Raises:
        evaluate.AnalysisSpecInvalid
    """
    spec = evaluate.MetricSpec.from_dict(metric)
    count = spec.count or 0
    failure = spec.failure_limit
    streak = spec.consecutive_success_limit
    invalid = evaluate.AnalysisSpecInvalid
    if streak < 0:
        raise invalid("consecutiveSuccessLimit must be >= 0")
    if failure < -1:
        raise invalid("failureLimit must be >= 0, or -1 to be disabled")
    if failure == -1 and streak == 0:
        raise invalid("failureLimit and consecutiveSuccessLimit cannot both be disabled")
    if spec.inconclusive_limit < 0:
        raise invalid("inconclusiveLimit must be >= 0")
    if metric.get("consecutiveErrorLimit") is not None and spec.consecutive_error_limit < 0:
        raise invalid("consecutiveErrorLimit must be >= 0")
    if count > 0 and failure >= 0 and streak >= 0 and count < failure + streak:
        raise invalid(
            f"count ({count}) must be >= failureLimit + consecutiveSuccessLimit ({failure} + {streak}) if both >= 0"
        )
    if count > 0 and failure < 0 and count < streak:
        raise invalid("count must be >= consecutiveSuccessLimit")
    if count > 0 and count < spec.inconclusive_limit:
        raise invalid("count must be >= inconclusiveLimit")
    if count > 1 and not spec.interval:
        raise invalid("interval must be specified when count > 1")
    for text, label in ((spec.interval, "interval"), (spec.initial_delay, "startDelay")):
        if text:
            try:
                govalues.parse_go_duration(text)
            except ValueError as exc:
                raise invalid(f"invalid {label} string: {exc}") from None
    providers = _provider_count(metric.get("provider"))
    if providers == 0:
        raise invalid("no provider specified")
    if providers > 1:
        raise invalid("multiple providers specified")


def validate_metrics(metrics: Sequence[Mapping[str, Any]]) -> None:
    """Argo's ValidateMetrics on resolved metrics.

    Raises:
        evaluate.AnalysisSpecInvalid: the reason, e.g. `metrics[0]: interval must be specified when count > 1`.
    """
    if not metrics:
        raise evaluate.AnalysisSpecInvalid("no metrics specified")
    seen: set[Any] = set()
    for i, metric in enumerate(metrics):
        if metric.get("name") in seen:
            raise evaluate.AnalysisSpecInvalid(f"metrics[{i}]: duplicate name '{metric.get('name')}'")
        seen.add(metric.get("name"))
        try:
            validate_metric(metric)
        except evaluate.AnalysisSpecInvalid as exc:
            raise evaluate.AnalysisSpecInvalid(f"metrics[{i}]: {exc.message}") from None


# ------------------------------------------------------------------ a run, ready to measure


@dataclass(frozen=True)
class PreparedRun:
    """Outcome of a reconcile's preparation: a RunSpec to measure, or the run's Error message."""

    spec: evaluate.RunSpec | None
    metrics: tuple[dict[str, Any], ...] = ()
    error: str = ""


def prepare_run(run_spec: Mapping[str, Any]) -> PreparedRun:
    """Resolve (dummy secrets), validate and compute dry-run/retention for an AnalysisRun spec.

    On failure `error` is the run message: `Unable to resolve metric arguments: <err>` or
    `Analysis spec invalid: <err>`; resolution comes first, so dry-run
    metrics can still error the run.
    """
    args = [Argument.from_dict(a) for a in run_spec.get("args") or []]
    try:
        metrics = resolve_metrics(run_spec.get("metrics") or [], args)
    except ArgsError as exc:
        return PreparedRun(None, error=UNABLE_TO_RESOLVE + exc.message)
    try:
        validate_metrics(metrics)
        names = [str(m.get("name", "")) for m in metrics]
        dry_rules = [str(r.get("metricName", "")) for r in run_spec.get("dryRun") or []]
        dry = evaluate.dry_run_metric_names(dry_rules, names) if dry_rules else frozenset()
        retention_rules = [
            (str(r.get("metricName", "")), govalues.int_or_string(r.get("limit"), 0))
            for r in run_spec.get("measurementRetention") or []
        ]
        retention = evaluate.retention_limits(retention_rules, names) if retention_rules else {}
    except evaluate.AnalysisSpecInvalid as exc:
        return PreparedRun(None, tuple(metrics), error=SPEC_INVALID + exc.message)
    spec = evaluate.RunSpec.from_dicts(
        metrics, dry_run=dry, terminate=bool(run_spec.get("terminate")), retention=retention
    )
    return PreparedRun(spec, tuple(metrics))


# ------------------------------------------------------------------ PromQL: values stay in their spot

# What a value may be outside a string literal (see the module docstring).
_NAME = r"[A-Za-z_:][A-Za-z0-9_:]*"
_LABEL = r"[A-Za-z_][A-Za-z0-9_]*"
_NUMBER = r"[+-]?(?:(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:[eE][+-]?[0-9]+)?|0[xX][0-9a-fA-F]+|[iI][nN][fF]|[nN][aA][nN])"
_DURATION = r"(?:[0-9]+(?:ms|[smhdwy]))+"
_STRING = r'"(?:[^"\\\n]|\\.)*"' + r"|'(?:[^'\\\n]|\\.)*'|`[^`]*`"
_MATCHER = rf"{_LABEL}\s*(?:=~|!~|!=|=)\s*(?:{_STRING})"
_ONE_TOKEN = re.compile(rf"\s*(?:{_NUMBER}|{_DURATION}|{_NAME})\s*")
_MATCHER_LIST = re.compile(rf"\s*{_MATCHER}(?:\s*,\s*{_MATCHER})*\s*,?\s*")
_NAME_LIST = re.compile(rf"\s*{_LABEL}(?:\s*,\s*{_LABEL})*\s*,?\s*")
# Binary operators and modifiers spelled as words: one of these is a token, but not a value.
_KEYWORDS = frozenset({"and", "or", "unless", "atan2", "by", "without", "on", "ignoring", "group_left", "group_right", "offset", "bool"})
_GROUPING = frozenset({"by", "without", "on", "ignoring", "group_left", "group_right"})


def _promql_escape(value: str, quote: str) -> str:
    """`value` as the inside of a PromQL string literal quoted with `quote` (" or ').

    PromQL unquotes strings with Go's rules (a backslash escapes; a line break in a string
    is an error), so the quote, backslashes and control characters are escaped.
    """
    out = []
    for ch in value:
        if ch == "\\" or ch == quote:
            out.append("\\" + ch)
        elif ch == "\n":
            out.append("\\n")
        elif ch == "\r":
            out.append("\\r")
        elif ch == "\t":
            out.append("\\t")
        elif ord(ch) < 0x20 or ord(ch) == 0x7F:
            out.append(f"\\x{ord(ch):02x}")
        else:
            out.append(ch)
    return "".join(out)


class _PromQLSpot:
    """Where the scanner is in the query's PromQL text (template text, placeholders aside)."""

    def __init__(self) -> None:
        self.quote: str | None = None  # inside a string literal opened by this quote
        self.escaped = False  # the previous character was a backslash in a "..." or '...'
        self.comment = False
        self.braces = 0
        self.parens: list[bool] = []  # per open parenthesis: does it hold a grouping list?
        self.word = ""  # the last identifier outside strings, for `by (`
        self.in_word = False

    def feed(self, ch: str) -> None:
        if self.comment:
            self.comment = ch != "\n"
            return
        if self.quote is not None:
            if self.escaped:
                self.escaped = False
            elif ch == "\\" and self.quote != "`":
                self.escaped = True
            elif ch == self.quote:
                self.quote = None
            return
        if ch.isalnum() or ch in "_:":
            self.word = (self.word if self.in_word else "") + ch
            self.in_word = True
            return
        self.in_word = False
        if ch.isspace():
            return  # `by (` : the word before the space still counts
        if ch in "\"'`":
            self.quote = ch
        elif ch == "#":
            self.comment = True
        elif ch == "{":
            self.braces += 1
        elif ch == "}":
            self.braces = max(0, self.braces - 1)
        elif ch == "(":
            self.parens.append(self.word.lower() in _GROUPING)
        elif ch == ")" and self.parens:
            self.parens.pop()
        self.word = ""

    def insert(self, name: str, value: str, *, check: bool) -> str:
        """The text to put in for `value` here, or ArgsError when it cannot stay in this spot."""
        self.in_word = False
        self.word = ""
        if self.comment:
            if check and ("\n" in value or "\r" in value):
                raise _misplaced(name, "it holds a line break, which would end the # comment it is in")
            return value
        if self.quote is not None:
            if self.escaped:
                raise _misplaced(name, "it follows a backslash in a string literal, which would escape its first character")
            if self.quote == "`":
                if "`" in value:
                    raise _misplaced(name, "it holds a backtick, which a raw `...` string cannot escape")
                return value
            return _promql_escape(value, self.quote)
        if not check or not value.strip():
            return value
        if _ONE_TOKEN.fullmatch(value) and value.strip().lower() not in _KEYWORDS:
            return value
        if self.braces and _MATCHER_LIST.fullmatch(value):
            return value
        if self.parens and self.parens[-1] and _NAME_LIST.fullmatch(value):
            return value
        where = "outside a string literal only a number, a duration or a name is accepted"
        if self.braces:
            where += ', or label matchers (a="x", b=~"y")'
        raise _misplaced(name, where)


def _misplaced(name: str, why: str) -> ArgsError:
    return ArgsError(f"args.{name} cannot be substituted into the PromQL query where it stands: {why}")


def substitute_promql(query: str, values: Mapping[str, str], *, unchecked: Iterable[str] = ()) -> str:
    """Replace `{{ args.x }}` in a PromQL query so that each value stays in its spot.

    See the module docstring for the rules. `unchecked` names args inserted as they are
    (secret dummies, which are not what is sent). A placeholder is a `{{`...`}}` pair as in
    `substitute`, and inserted text is not rescanned.

    Raises:
        ArgsError: a value that cannot stay where it is, an unterminated or unknown tag.
    """
    skip = frozenset(unchecked)
    spot = _PromQLSpot()
    out: list[str] = []
    pos = 0
    while True:
        start = query.find("{{", pos)
        literal = query[pos:] if start < 0 else query[pos:start]
        for ch in literal:
            spot.feed(ch)
        out.append(literal)
        if start < 0:
            return "".join(out)
        end = query.find("}}", start + 2)
        if end < 0:
            raise ArgsError(f'cannot find end tag={_go_q("}}")} in the query')
        key = query[start + 2 : end].strip()
        name = key[5:] if key.startswith("args.") else None
        if name is None or name not in values:
            raise ArgsError(f"failed to resolve {{{{{query[start + 2 : end]}}}}}")
        out.append(spot.insert(name, values[name], check=name not in skip))
        pos = end + 2


def promql_injection_warnings(query: str, args: Sequence[Argument]) -> list[str]:
    """Notes about argument values that Argo would let change the query, and we do not.

    A value with a quote, a backslash or a line break inside a PromQL string literal is
    escaped here, so the query keeps its structure; Argo inserts it verbatim, so the same
    template behaves differently there. (A value that cannot stay in its spot at all is
    an error, from `substitute_promql`.) Secret arguments are skipped; messages name the
    argument, never its value.
    """
    values = {a.name: a.value for a in args if a.secret is None and a.value is not None}
    spot = _PromQLSpot()
    notes: list[str] = []
    pos = 0
    while True:
        start = query.find("{{", pos)
        for ch in query[pos:] if start < 0 else query[pos:start]:
            spot.feed(ch)
        end = query.find("}}", start + 2) if start >= 0 else -1
        if end < 0:
            break
        key = query[start + 2 : end].strip()
        value = values.get(key[5:]) if key.startswith("args.") else None
        if value is not None and spot.quote in ('"', "'") and (spot.quote in value or "\\" in value or "\n" in value):
            notes.append(
                f"argument {key[5:]!r} contains a quote, backslash or newline: it is escaped, so it stays inside "
                "the PromQL string it is substituted into (Argo inserts it verbatim, which changes the query)"
            )
        pos = end + 2
    return sorted(set(notes), key=notes.index)
