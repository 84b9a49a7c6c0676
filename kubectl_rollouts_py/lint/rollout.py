"""A Rollout's own rules: the Argo Rollouts controller's ValidateRollout, in its order.

Paths and messages are the controller's (pkg/apis/rollouts/validation), including its
quirks: the canary and blue-green checks hang off `spec.strategy` (so `maxSurge` is
`spec.strategy.maxSurge`, a step `spec.strategy.steps[1]`), and a Rollout with no
strategy is reported at `spec.strategy.strategy`.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from kubectl_rollouts_py import govalues
from kubectl_rollouts_py.lint import fields as f
from kubectl_rollouts_py.lint import names, pods
from kubectl_rollouts_py.lint.fields import FieldError, GoText

MISSING_FIELD = "Rollout has missing field '%s'"
INVALID_SET_WEIGHT = "SetWeight needs to be between 0 and 100"
EXPERIMENT_WEIGHT_WITHOUT_ROUTING = "Experiment template weight cannot be set unless TrafficRouting is enabled"
EXPERIMENT_WEIGHT_ROUTERS = "Experiment template weight is only available for TrafficRouting with SMI, ALB, and Istio at this time"
SET_CANARY_SCALE_ROUTING = "SetCanaryScale requires TrafficRouting to be set"
SET_HEADER_ROUTE_ROUTING = "SetHeaderRoute requires TrafficRouting, supports Istio and ALB and Apisix"
SET_MIRROR_ROUTE_ROUTING = "SetMirrorRoute requires TrafficRouting, supports Istio only"
STRING_MATCH_MULTIPLE = "StringMatch match value must have exactly one of the following: exact, regex, prefix"
STRING_MATCH_MISSING = "StringMatch value missed, match value must have one of the following: exact, regex, prefix"
HEADER_ROUTE_ALB_VALUE = "SetHeaderRoute match value invalid. ALB supports 'exact' value only"
INVALID_DURATION = "Duration needs to be greater than 0"
MAX_SURGE_MAX_UNAVAILABLE = "MaxSurge and MaxUnavailable both can not be zero"
INVALID_STEP = "Step must have one of the following set: experiment, setWeight, setCanaryScale or pause"
MULTIPLE_STRATEGIES = "Multiple Strategies can not be listed"
DUPLICATE_SERVICES_BLUE_GREEN = "This rollout uses the same service for the active and preview services, but two different services are required."
DUPLICATE_SERVICES_CANARY = "This rollout uses the same service for the stable and canary services, but two different services are required."
ANTI_AFFINITY_STRATEGY = "AntiAffinity must have exactly one strategy listed"
ANTI_AFFINITY_WEIGHT = "AntiAffinity weight must be between 1-100"
SCALE_DOWN_LIMIT = "This rollout's revision history limit can not be smaller than the rollout's scale down limit"
TRAFFIC_ROUTING_SERVICES = "Canary service and Stable service must to be set to use Traffic Routing"
ANALYSIS_ARGS = "Analyses arguments must refer to valid object metadata supported by downwardAPI"
CANARY_SCALE_DOWN_DELAY = "Canary scaleDownDelaySeconds can only be used with traffic routing"
CANARY_DYNAMIC_STABLE_SCALE = "Canary dynamicStableScale can only be used with traffic routing"
DYNAMIC_STABLE_SCALE_WITH_DELAY = "Canary dynamicStableScale cannot be used with scaleDownDelaySeconds"
PING_PONG_SERVICES = "Ping service and Pong service must to be set to use Ping-Pong feature"
DUPLICATE_PING_PONG = "This rollout uses the same service for the ping and pong services, but two different services are required."
ALB_ROOT_SERVICE = "Root service field is required for the configuration with ALB and ping-pong feature enabled"
PING_PONG_ALB_ONLY = "Ping-pong feature works with the ALB traffic routing only"
ROUTE_NOT_MANAGED = "Steps define a route that does not exist in spec.strategy.canary.trafficRouting.managedRoutes"

DEFAULT_REPLICAS = 1
DEFAULT_REVISION_HISTORY_LIMIT = 10
DEFAULT_PROGRESS_DEADLINE_SECONDS = 600
DEFAULT_MAX_SURGE = "25%"
DEFAULT_MAX_UNAVAILABLE = "25%"


def _dict(value: Any) -> Mapping[str, Any]:
    return value if isinstance(value, Mapping) else {}


def _int(value: Any, default: int) -> int:
    return value if isinstance(value, int) and not isinstance(value, bool) else default


def empty_template(template: Any) -> bool:
    """Whether a workloadRef Rollout's template is empty: no labels, annotations or containers."""
    meta = _dict(_dict(template).get("metadata"))
    spec = _dict(_dict(template).get("spec"))
    return not meta.get("labels") and not meta.get("annotations") and not spec.get("containers")


def validate(rollout: Mapping[str, Any]) -> list[FieldError]:
    """ValidateRollout: the spec, then the strategy."""
    spec = _dict(rollout.get("spec"))
    path = "spec"
    errs: list[FieldError] = []
    replicas = _int(spec.get("replicas"), DEFAULT_REPLICAS)
    if replicas < 0:
        errs.append(f.invalid(f.child(path, "replicas"), replicas, "must be greater than or equal to 0"))
    selector = spec.get("selector")
    workload_ref = spec.get("workloadRef")
    if workload_ref is None:
        if selector is None:
            errs.append(f.required(f.child(path, "selector"), MISSING_FIELD % ".spec.selector"))
        else:
            errs.extend(names.validate_label_selector(selector, f.child(path, "selector")))
            if names.selector_is_empty(selector):
                errs.append(f.invalid(f.child(path, "selector"), names.go_label_selector(selector),
                                      "empty selector is invalid for deployment"))
    resolved = bool(spec.get("templateResolvedFromRef"))
    if not resolved and workload_ref is not None and not empty_template(spec.get("template")):
        errs.append(f.internal(f.child(path, "template"), "template must be empty for workload reference rollout"))
    if names.selector_error(selector) is not None:
        errs.append(f.invalid(f.child(path, "selector"), names.go_label_selector(selector), "invalid label selector"))
    elif resolved or workload_ref is None:
        # A missing selector selects nothing, so the template's labels never match it.
        errs.extend(pods.validate_for_replicaset(spec.get("template"), selector, f.child(path, "template")))
    min_ready = _int(spec.get("minReadySeconds"), 0)
    if min_ready < 0:
        errs.append(f.invalid(f.child(path, "minReadySeconds"), min_ready, "must be greater than or equal to 0"))
    history = _int(spec.get("revisionHistoryLimit"), DEFAULT_REVISION_HISTORY_LIMIT)
    if history < 0:
        errs.append(f.invalid(f.child(path, "revisionHistoryLimit"), history, "must be greater than or equal to 0"))
    deadline = _int(spec.get("progressDeadlineSeconds"), DEFAULT_PROGRESS_DEADLINE_SECONDS)
    if deadline < 0:
        errs.append(f.invalid(f.child(path, "progressDeadlineSeconds"), deadline, "must be greater than or equal to 0"))
    if deadline <= min_ready:
        errs.append(f.invalid(f.child(path, "progressDeadlineSeconds"), deadline, "must be greater than minReadySeconds"))
    errs.extend(_strategy(rollout, f.child(path, "strategy")))
    return errs


def _strategy(rollout: Mapping[str, Any], path: str) -> list[FieldError]:
    strategy = _dict(_dict(rollout.get("spec")).get("strategy"))
    blue_green, canary = strategy.get("blueGreen"), strategy.get("canary")
    if blue_green is None and canary is None:
        return [f.required(f.child(path, "strategy"), MISSING_FIELD % ".spec.strategy.canary or .spec.strategy.blueGreen")]
    if blue_green is not None and canary is not None:
        return [f.invalid(f.child(path, "strategy"), "blueGreen: true canary: true", MULTIPLE_STRATEGIES)]
    if blue_green is not None:
        return _blue_green(rollout, _dict(blue_green), path)
    return _canary(rollout, _dict(canary), path)


def _blue_green(rollout: Mapping[str, Any], blue_green: Mapping[str, Any], path: str) -> list[FieldError]:
    errs: list[FieldError] = []
    active, preview = blue_green.get("activeService") or "", blue_green.get("previewService") or ""
    if active == preview:
        errs.append(f.invalid(f.child(path, "activeService"), active, DUPLICATE_SERVICES_BLUE_GREEN))
    history = _int(_dict(rollout.get("spec")).get("revisionHistoryLimit"), DEFAULT_REVISION_HISTORY_LIMIT)
    limit = blue_green.get("scaleDownDelayRevisionLimit")
    if isinstance(limit, int) and history < limit:
        errs.append(f.invalid(f.child(path, "scaleDownDelayRevisionLimit"), limit, SCALE_DOWN_LIMIT))
    errs.extend(_anti_affinity(blue_green.get("antiAffinity"), f.child(path, "antiAffinity")))
    return errs


def _requires_canary_stable_services(canary: Mapping[str, Any]) -> bool:
    routing = canary.get("trafficRouting")
    if routing is None or canary.get("pingPong") is not None:
        return False
    return _dict(_dict(routing).get("istio")).get("destinationRule") is None


def _percent_or_int(value: Any) -> int:
    """getIntOrPercentValue: `25%` -> 25, 3 -> 3, anything else -> 0."""
    if isinstance(value, bool):
        return 0
    if isinstance(value, int):
        return value
    if isinstance(value, str):
        if value.endswith("%") and value[:-1].isdigit():
            return int(value[:-1])
        parsed = govalues.go_atoi(value)
        return parsed if parsed is not None else 0
    return 0


def _canary(rollout: Mapping[str, Any], canary: Mapping[str, Any], path: str) -> list[FieldError]:
    errs: list[FieldError] = []
    surge = canary.get("maxSurge")
    unavailable = canary.get("maxUnavailable")
    surge_value = _percent_or_int(DEFAULT_MAX_SURGE if surge is None else surge)
    unavailable_value = _percent_or_int(DEFAULT_MAX_UNAVAILABLE if unavailable is None else unavailable)
    if surge_value == 0 and unavailable_value == 0:
        errs.append(f.invalid(f.child(path, "maxSurge"), GoText(str(surge)), MAX_SURGE_MAX_UNAVAILABLE))
    canary_service, stable_service = canary.get("canaryService") or "", canary.get("stableService") or ""
    if canary_service and stable_service and canary_service == stable_service:
        errs.append(f.invalid(f.child(path, "stableService"), stable_service, DUPLICATE_SERVICES_CANARY))
    routing = canary.get("trafficRouting")
    routing_map = _dict(routing)
    ping_pong = canary.get("pingPong")
    if ping_pong is not None:
        ping_pong = _dict(ping_pong)
        if routing is not None and routing_map.get("alb") is None:
            errs.append(f.invalid(f.child(path, "trafficRouting", "alb"), None, PING_PONG_ALB_ONLY))
        ping, pong = ping_pong.get("pingService") or "", ping_pong.get("pongService") or ""
        if not ping:
            errs.append(f.invalid(f.child(path, "pingPong", "pingService"), ping, PING_PONG_SERVICES))
        if not pong:
            errs.append(f.invalid(f.child(path, "pingPong", "pongService"), pong, PING_PONG_SERVICES))
        if ping == pong:
            errs.append(f.invalid(f.child(path, "pingPong", "pingService"), ping, DUPLICATE_PING_PONG))
        alb = routing_map.get("alb")
        if routing is not None and alb is not None and not _dict(alb).get("rootService"):
            errs.append(f.invalid(f.child(path, "trafficRouting", "alb", "rootService"), "", ALB_ROOT_SERVICE))
    if _requires_canary_stable_services(canary):
        if not stable_service:
            errs.append(f.invalid(f.child(path, "stableService"), stable_service, TRAFFIC_ROUTING_SERVICES))
        if not canary_service:
            errs.append(f.invalid(f.child(path, "canaryService"), canary_service, TRAFFIC_ROUTING_SERVICES))
    delay = canary.get("scaleDownDelaySeconds")
    dynamic = bool(canary.get("dynamicStableScale"))
    if routing is None:
        if delay is not None:
            errs.append(f.invalid(f.child(path, "scaleDownDelaySeconds"), delay, CANARY_SCALE_DOWN_DELAY))
        if dynamic:
            errs.append(f.invalid(f.child(path, "dynamicStableScale"), dynamic, CANARY_DYNAMIC_STABLE_SCALE))
    elif delay is not None and dynamic:
        errs.append(f.invalid(f.child(path, "dynamicStableScale"), dynamic, DYNAMIC_STABLE_SCALE_WITH_DELAY))
    steps = canary.get("steps")
    for i, step in enumerate(steps if isinstance(steps, list) else []):
        errs.extend(_step(rollout, canary, _dict(step), f.index(f.child(path, "steps"), i), path))
    errs.extend(_anti_affinity(canary.get("antiAffinity"), f.child(path, "antiAffinity")))
    return errs


def _pause_seconds(pause: Mapping[str, Any]) -> int:
    """RolloutPause.DurationSeconds: unset 0, `30` or 30 seconds, a Go duration, else -1."""
    duration = pause.get("duration")
    if duration is None:
        return 0
    if isinstance(duration, str):
        number = govalues.go_atoi(duration)
        if number is not None and -(2**31) <= number < 2**31:
            return number
        seconds = govalues.duration_seconds(duration)
        return -1 if seconds is None else int(seconds)
    return _int(duration, 0)


def _step(rollout: Mapping[str, Any], canary: Mapping[str, Any], step: Mapping[str, Any], path: str, strategy_path: str) -> list[FieldError]:
    errs: list[FieldError] = []
    kinds = [step.get(k) is not None for k in ("experiment", "pause", "setWeight", "analysis")]
    present = {k: step.get(k) is not None for k in ("experiment", "pause", "setWeight", "analysis", "setCanaryScale",
                                                        "setHeaderRoute", "setMirrorRoute")}
    if sum(kinds) > 1:
        shown = "step.Experiment: {experiment} step.Pause: {pause} step.SetWeight: {setWeight} step.Analysis: {analysis}"
        errs.append(f.invalid(path, shown.format(**{k: str(v).lower() for k, v in present.items()}), INVALID_STEP))
    if not any(present.values()) and step.get("plugin") is None:
        shown = ("step.Experiment: {experiment} step.Pause: {pause} step.SetWeight: {setWeight} step.Analysis: {analysis} "
                 "step.SetCanaryScale: {setCanaryScale} step.SetHeaderRoute: {setHeaderRoute} step.SetMirrorRoutes: {setMirrorRoute}")
        errs.append(f.invalid(path, shown.format(**{k: str(not v).lower() for k, v in present.items()}), INVALID_STEP))
    weight = step.get("setWeight")
    if isinstance(weight, int) and not 0 <= weight <= 100:
        errs.append(f.invalid(f.child(path, "setWeight"), weight, INVALID_SET_WEIGHT))
    if step.get("pause") is not None:
        seconds = _pause_seconds(_dict(step["pause"]))
        if seconds < 0:
            errs.append(f.invalid(f.child(path, "pause", "duration"), seconds, INVALID_DURATION))
    routing = canary.get("trafficRouting")
    routing_map = _dict(routing)
    if step.get("setCanaryScale") is not None and routing is None:
        errs.append(f.required(f.child(strategy_path, "trafficRouting"), SET_CANARY_SCALE_ROUTING))
    header = step.get("setHeaderRoute")
    if header is not None:
        if routing is None or all(routing_map.get(k) is None for k in ("istio", "alb", "apisix")):
            errs.append(f.invalid(f.child(path, "setHeaderRoute"), GoText(f.compact_json(header)), SET_HEADER_ROUTE_ROUTING))
        else:
            for j, match in enumerate(_dict(header).get("match") or []):
                mpath = f.index(f.child(path, "setHeaderRoute", "match"), j)
                value = _dict(match).get("headerValue")
                if routing_map.get("alb") is not None:
                    errs.extend(_alb_match(value, mpath))
                else:
                    errs.extend(_one_match(value, mpath))
    mirror = step.get("setMirrorRoute")
    if mirror is not None:
        if routing is None or routing_map.get("istio") is None:
            errs.append(f.invalid(f.child(path, "setMirrorRoute"), GoText(f.compact_json(mirror)), SET_MIRROR_ROUTE_ROUTING))
        for j, match in enumerate(_dict(mirror).get("match") or []):
            mpath = f.index(f.child(path, "setMirrorRoute", "match"), j)
            for part in ("method", "path"):
                if _dict(match).get(part) is not None:
                    errs.extend(_one_match(_dict(match)[part], mpath))
    if routing is not None and (header is not None or mirror is not None):
        managed = routing_map.get("managedRoutes")
        if managed is None:
            errs.append(f.required(f.child(strategy_path, "trafficRouting", "managedRoutes"),
                                   MISSING_FIELD % "spec.strategy.canary.trafficRouting.managedRoutes"))
        else:
            route_names = [_dict(r).get("name") for r in managed if isinstance(r, Mapping)]
            for part, value in (("setHeaderRoute", header), ("setMirrorRoute", mirror)):
                if value is not None and _dict(value).get("name") not in route_names:
                    errs.append(f.invalid(f.child(path, part), _dict(value).get("name") or "", ROUTE_NOT_MANAGED))
    args: list[Any] = []
    experiment = step.get("experiment")
    if experiment is not None:
        for j, template in enumerate(_dict(experiment).get("templates") or []):
            weight_value = _dict(template).get("weight")
            if weight_value is None:
                continue
            wpath = f.child(f.index(f.child(path, "experiment", "templates"), j), "weight")
            if routing is None:
                errs.append(f.invalid(wpath, weight_value, EXPERIMENT_WEIGHT_WITHOUT_ROUTING))
            elif all(routing_map.get(k) is None for k in ("alb", "smi", "istio")):
                errs.append(f.invalid(wpath, weight_value, EXPERIMENT_WEIGHT_ROUTERS))
        for analysis in _dict(experiment).get("analyses") or []:
            args.extend(_dict(analysis).get("args") or [])
    if step.get("analysis") is not None:
        args.extend(_dict(step["analysis"]).get("args") or [])
    for arg in args:
        field_path = _dict(_dict(_dict(arg).get("valueFrom")).get("fieldRef")).get("fieldPath")
        if isinstance(field_path, str) and field_path.startswith("metadata") and not _metadata_path_ok(rollout, field_path):
            errs.append(f.invalid(f.child(path, "analyses"), GoText(f.compact_json(args)), ANALYSIS_ARGS))
    return errs


def _metadata_path_ok(rollout: Mapping[str, Any], field_path: str) -> bool:
    """fieldpath.ExtractFieldPathAsString on the Rollout: only the downward API's metadata paths."""
    if field_path in ("metadata.name", "metadata.namespace", "metadata.uid", "metadata.annotations", "metadata.labels"):
        return True
    for prefix in ("metadata.annotations", "metadata.labels"):
        if field_path.startswith(prefix + "['") and field_path.endswith("']") and len(field_path) > len(prefix) + 4:
            return True
    return False


def _alb_match(value: Any, path: str) -> list[FieldError]:
    if value is None:
        return [f.invalid(path, None, STRING_MATCH_MISSING)]
    match = _dict(value)
    if not match.get("exact") or match.get("regex") or match.get("prefix"):
        return [f.invalid(path, GoText(f.compact_json(match)), HEADER_ROUTE_ALB_VALUE)]
    return []


def _one_match(value: Any, path: str) -> list[FieldError]:
    if value is None:
        return [f.invalid(path, None, STRING_MATCH_MISSING)]
    match = _dict(value)
    count = sum(1 for k in ("exact", "regex", "prefix") if match.get(k))
    if count > 1:
        return [f.invalid(path, GoText(f.compact_json(match)), STRING_MATCH_MULTIPLE)]
    if count == 0:
        return [f.invalid(path, GoText(f.compact_json(match)), STRING_MATCH_MISSING)]
    return []


def _anti_affinity(value: Any, path: str) -> list[FieldError]:
    if value is None:
        return []
    affinity = _dict(value)
    preferred = affinity.get("preferredDuringSchedulingIgnoredDuringExecution")
    required = affinity.get("requiredDuringSchedulingIgnoredDuringExecution")
    errs: list[FieldError] = []
    if (preferred is None) == (required is None):
        shown = (f"antiAffinity.PreferredDuringSchedulingIgnoredDuringExecution: {str(preferred is not None).lower()} "
                 f"antiAffinity.RequiredDuringSchedulingIgnoredDuringExecution: {str(required is not None).lower()}")
        errs.append(f.invalid(path, shown, ANTI_AFFINITY_STRATEGY))
    if preferred is not None:
        weight = _int(_dict(preferred).get("weight"), 0)
        if not 1 <= weight <= 100:
            errs.append(f.invalid(f.child(path, "weight"), weight, ANTI_AFFINITY_WEIGHT))
    return errs
