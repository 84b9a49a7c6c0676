"""Objects a Rollout refers to: Services, Ingresses and Istio VirtualServices in the same
files (the Argo Rollouts kubectl plugin's association and ValidateRolloutReferencedResources),
and the references `--require-references` insists on.

The plugin pairs a Service with the last Rollout naming it as its canary, stable, ping,
pong, active or preview service; an Ingress with a Rollout whose stable (or root) service
one of its rules uses; a VirtualService with a Rollout naming it. Its loops over Ingresses
and VirtualServices stop at the first Rollout without the matching traffic routing; that is
kept, so the same files give the same verdicts.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from kubectl_rollouts_py.govalues import go_quote
from kubectl_rollouts_py.lint import fields as f
from kubectl_rollouts_py.lint.fields import FieldError

SERVICE_PATHS = {
    "canaryService": "spec.strategy.canary.canaryService",
    "stableService": "spec.strategy.canary.stableService",
    "pingService": "spec.strategy.canary.pingPong.pingService",
    "pongService": "spec.strategy.canary.pingPong.pongService",
    "activeService": "spec.strategy.blueGreen.activeService",
    "previewService": "spec.strategy.blueGreen.previewService",
}
ROLLOUT_UNIQUE_LABEL = "rollouts-pod-template-hash"


def _dict(value: Any) -> Mapping[str, Any]:
    return value if isinstance(value, Mapping) else {}


def _list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else []


def name_of(obj: Mapping[str, Any]) -> str:
    return str(_dict(obj.get("metadata")).get("name") or "")


def _canary(rollout: Mapping[str, Any]) -> Mapping[str, Any] | None:
    canary = _dict(_dict(rollout.get("spec")).get("strategy")).get("canary")
    return _dict(canary) if canary is not None else None


def _blue_green(rollout: Mapping[str, Any]) -> Mapping[str, Any] | None:
    blue_green = _dict(_dict(rollout.get("spec")).get("strategy")).get("blueGreen")
    return _dict(blue_green) if blue_green is not None else None


def service_roles(rollout: Mapping[str, Any]) -> list[tuple[str, str]]:
    """(role, service name) in the order the plugin assigns them; role keys SERVICE_PATHS."""
    roles: list[tuple[str, str]] = []
    canary = _canary(rollout)
    if canary is not None:
        roles += [("canaryService", str(canary.get("canaryService") or "")),
                  ("stableService", str(canary.get("stableService") or ""))]
        if canary.get("pingPong") is not None:
            ping_pong = _dict(canary.get("pingPong"))
            roles += [("pingService", str(ping_pong.get("pingService") or "")),
                      ("pongService", str(ping_pong.get("pongService") or ""))]
    blue_green = _blue_green(rollout)
    if blue_green is not None:
        roles += [("activeService", str(blue_green.get("activeService") or "")),
                  ("previewService", str(blue_green.get("previewService") or ""))]
    return roles


def validate_services(rollouts: Sequence[Mapping[str, Any]], services: Sequence[Mapping[str, Any]]) -> dict[int, list[FieldError]]:
    """Errors per rollout index: each Service's selector must match the pod template's labels."""
    owner: dict[int, tuple[int, str]] = {}  # service index -> (rollout index, role); the last pairing wins
    by_name: dict[str, list[int]] = {}
    for s, service in enumerate(services):
        by_name.setdefault(name_of(service), []).append(s)
    for r, rollout in enumerate(rollouts):
        for role, name in service_roles(rollout):
            for s in by_name.get(name, ()):
                owner[s] = (r, role)
    found: dict[int, list[FieldError]] = {}
    for s, service in enumerate(services):
        if s not in owner:
            continue
        r, role = owner[s]
        labels = _dict(_dict(_dict(_dict(rollouts[r].get("spec")).get("template")).get("metadata")).get("labels"))
        selector = _dict(_dict(service.get("spec")).get("selector"))
        for key in sorted(selector, key=str):
            if key == ROLLOUT_UNIQUE_LABEL:
                continue
            if key not in labels or str(labels[key]) != str(selector[key]):
                message = f"Service {go_quote(name_of(service))} has unmatch label {go_quote(str(key))} in rollout"
                found.setdefault(r, []).append(f.invalid(SERVICE_PATHS[role], name_of(service), message))
    return found


# ------------------------------------------------------------------------------ Ingresses


def ingress_services(ingress: Mapping[str, Any]) -> list[str]:
    """The backend services of an Ingress's rules (networking.k8s.io/v1 or the v1beta1 form)."""
    found = []
    for rule in _list(_dict(ingress.get("spec")).get("rules")):
        for path in _list(_dict(_dict(rule).get("http")).get("paths")):
            backend = _dict(_dict(path).get("backend"))
            name = _dict(backend.get("service")).get("name") or backend.get("serviceName")
            if name:
                found.append(str(name))
    return found


def validate_ingresses(rollouts: Sequence[Mapping[str, Any]], ingresses: Sequence[Mapping[str, Any]]) -> dict[int, list[FieldError]]:
    owner: dict[int, int] = {}
    backends = [set(ingress_services(ingress)) for ingress in ingresses]
    for r, rollout in enumerate(rollouts):
        if not ingresses:
            break
        canary = _canary(rollout)
        if canary is None or canary.get("trafficRouting") is None:
            break  # the plugin's loop returns here, for every later Rollout too
        routing = _dict(canary["trafficRouting"])
        service = ""
        if routing.get("nginx") is not None:
            service = str(canary.get("stableService") or "")
        elif routing.get("alb") is not None:
            service = str(_dict(routing["alb"]).get("rootService") or canary.get("stableService") or "")
        elif routing.get("smi") is not None:
            service = str(_dict(routing["smi"]).get("rootService") or "")
        for i, names in enumerate(backends):
            if service in names:
                owner[i] = r
    found: dict[int, list[FieldError]] = {}
    for i, r in owner.items():
        canary = _canary(rollouts[r]) or {}
        routing = _dict(canary.get("trafficRouting"))
        ingress = ingresses[i]
        stable = str(canary.get("stableService") or "")
        if routing.get("nginx") is not None:
            nginx = _dict(routing["nginx"])
            listed = _list(nginx.get("stableIngresses"))
            if name_of(ingress) in listed:
                path, configured = "spec.strategy.canary.trafficRouting.nginx.stableIngresses", name_of(ingress)
            else:
                path, configured = "spec.strategy.canary.trafficRouting.nginx.stableIngress", str(nginx.get("stableIngress") or "")
            service = stable
        elif routing.get("alb") is not None:
            alb = _dict(routing["alb"])
            if name_of(ingress) in _list(alb.get("ingresses")):
                path, configured = "spec.strategy.canary.trafficRouting.alb.ingresses", name_of(ingress)
            else:
                path, configured = "spec.strategy.canary.trafficRouting.alb.ingress", str(alb.get("ingress") or "")
            service = str(alb.get("rootService") or stable)
        else:
            continue
        if service not in ingress_services(ingress):
            message = f"ingress `{name_of(ingress)}` has no rules using service {service} backend"
            found.setdefault(r, []).append(f.invalid(path, configured, message))
    return found


# ------------------------------------------------------------------------------ VirtualServices


def _istio(rollout: Mapping[str, Any]) -> Mapping[str, Any] | None:
    canary = _canary(rollout)
    if canary is None or canary.get("trafficRouting") is None:
        return None
    istio = _dict(canary["trafficRouting"]).get("istio")
    return _dict(istio) if istio is not None else None


def configured_virtual_services(rollout: Mapping[str, Any]) -> tuple[str, list[Mapping[str, Any]]]:
    """(field path, the VirtualService entries) of a Rollout with Istio routing."""
    istio = _istio(rollout) or {}
    many = istio.get("virtualServices")
    if many:
        return "spec.strategy.canary.trafficRouting.istio.virtualServices.name", [_dict(v) for v in many]
    single = istio.get("virtualService")
    return "spec.strategy.canary.trafficRouting.istio.virtualService.name", [_dict(single)] if single is not None else []


def validate_virtual_services(rollouts: Sequence[Mapping[str, Any]], services: Sequence[Mapping[str, Any]]) -> dict[int, list[FieldError]]:
    owner: dict[int, int] = {}
    by_name: dict[str, list[int]] = {}
    for v, vsvc in enumerate(services):
        by_name.setdefault(name_of(vsvc), []).append(v)
    for r, rollout in enumerate(rollouts):
        if services and _istio(rollout) is None:
            break  # the plugin's loop returns here, for every later Rollout too
        _, entries = configured_virtual_services(rollout)
        for name in dict.fromkeys(str(entry.get("name") or "") for entry in entries):
            for v in by_name.get(name, ()):
                owner[v] = r
    found: dict[int, list[FieldError]] = {}
    for v, r in owner.items():
        errs = _virtual_service(rollouts[r], services[v])
        if errs:
            found.setdefault(r, []).extend(errs)
    return found


def _host(destination: Any) -> str:
    return str(_dict(_dict(destination).get("destination")).get("host") or "").split(".")[0]


def _destinations(route: Any, canary: Mapping[str, Any], istio: Mapping[str, Any]) -> str | None:
    stable_svc, canary_svc = str(canary.get("stableService") or ""), str(canary.get("canaryService") or "")
    rule = istio.get("destinationRule")
    has = {"stable": False, "canary": False, "stable_subset": False, "canary_subset": False}
    for destination in _list(_dict(route).get("route")):
        host = _host(destination)
        has["stable"] |= bool(stable_svc) and host == stable_svc
        has["canary"] |= bool(canary_svc) and host == canary_svc
        if rule is not None:
            subset = _dict(_dict(destination).get("destination")).get("subset")
            rule_map = _dict(rule)
            has["stable_subset"] |= bool(rule_map.get("stableSubsetName")) and subset == rule_map.get("stableSubsetName")
            has["canary_subset"] |= bool(rule_map.get("canarySubsetName")) and subset == rule_map.get("canarySubsetName")
    if rule is not None:
        if not has["canary_subset"]:
            return f"Canary DestinationRule subset '{_dict(rule).get('canarySubsetName') or ''}' not found in route"
        if not has["stable_subset"]:
            return f"Stable DestinationRule subset '{_dict(rule).get('stableSubsetName') or ''}' not found in route"
        return None
    if not has["canary"]:
        return f"Canary Service '{canary_svc}' not found in route"
    if not has["stable"]:
        return f"Stable Service '{stable_svc}' not found in route"
    return None


def _http_problem(entry: Mapping[str, Any], routes: list[Any], canary: Mapping[str, Any], istio: Mapping[str, Any]) -> str | None:
    names = [str(n) for n in _list(entry.get("routes"))]
    if names:
        chosen = []
        for name in names:
            match = [route for route in routes if _dict(route).get("name") == name]
            if not match:
                return f"HTTP Route '{name}' is not found in the defined Virtual Service."
            chosen.append(match[0])
    else:
        chosen = routes[:1]
    for route in chosen:
        problem = _destinations(route, canary, istio)
        if problem:
            return problem
    managed = {_dict(m).get("name") for m in _list(_dict(canary.get("trafficRouting")).get("managedRoutes"))}
    unmanaged = [route for route in routes if _dict(route).get("name") not in managed or not _dict(route).get("name")]
    if not names and len(unmanaged) > 1:
        return ("spec.http[] should be set in VirtualService and it must have exactly one route when omitting "
                "spec.strategy.canary.trafficRouting.istio.virtualService.routes")
    return None


def _port_routes_problem(kind: str, wanted: list[Any], routes: list[Any], canary: Mapping[str, Any], istio: Mapping[str, Any]) -> str | None:
    if not wanted:
        chosen = routes[:1]
    else:
        chosen = []
        for want in wanted:
            want_map = _dict(want)
            hits = []
            for route in routes:
                matches = [_dict(m) for m in _list(_dict(route).get("match"))]
                ports = {str(m.get("port") or 0) for m in matches}
                if len(ports) > 1:
                    continue
                if next(iter(ports), "0") != str(want_map.get("port") or 0):
                    continue
                if kind == "TLS":
                    sni = sorted({str(h) for m in matches for h in _list(m.get("sniHosts"))})
                    if sni != sorted(str(h) for h in _list(want_map.get("sniHosts"))):
                        continue
                hits.append(route)
            if not hits:
                return f"No matching {kind} routes found in the defined Virtual Service."
            chosen.extend(hits)
    for route in chosen:
        problem = _destinations(route, canary, istio)
        if problem:
            return problem
    if not wanted and len(routes) > 1:
        field_name = kind.lower()
        return (f"spec.{field_name}[] should be set in VirtualService and it must have exactly one route when omitting "
                f"spec.strategy.canary.trafficRouting.istio.virtualService.{field_name}Routes")
    return None


def _virtual_service(rollout: Mapping[str, Any], vsvc: Mapping[str, Any]) -> list[FieldError]:
    istio = _istio(rollout)
    if istio is None:
        return [f.invalid("spec.strategy.canary.trafficRouting.istio", name_of(rollout),
                          "Rollout object is not configured with Istio traffic routing")]
    canary = _canary(rollout) or {}
    path, entries = configured_virtual_services(rollout)
    spec = _dict(vsvc.get("spec"))
    errs: list[FieldError] = []
    for entry in entries:
        name = str(entry.get("name") or "").split(".")[0]
        if name != name_of(vsvc):
            continue
        http, tls, tcp = spec.get("http"), spec.get("tls"), spec.get("tcp")
        if not isinstance(http, list) and not isinstance(tls, list) and not isinstance(tcp, list):
            errs.append(f.invalid(path, name, "Unable to get any of the HTTP, TCP or TLS routes for the Istio VirtualService"))
        if isinstance(http, list):
            problem = _http_problem(entry, http, canary, istio)
            if problem:
                errs.append(f.invalid(path, name, f"Istio VirtualService has invalid HTTP routes. Error: {problem}"))
        for kind, routes, wanted in (("TLS", tls, entry.get("tlsRoutes")), ("TCP", tcp, entry.get("tcpRoutes"))):
            if isinstance(routes, list):
                problem = _port_routes_problem(kind, _list(wanted), routes, canary, istio)
                if problem:
                    errs.append(f.invalid(path, name, f"Istio VirtualService has invalid {kind} routes. Error: {problem}"))
        break
    return errs


# ------------------------------------------------------------------------------ --require-references


@dataclass(frozen=True)
class Reference:
    """An object another one names: what it is, where it should live, and where it is named."""

    kind: str  # Service, AnalysisTemplate, ClusterAnalysisTemplate, Deployment
    name: str
    namespace: str  # "" when the referring object has none (the current namespace)
    path: str


def template_refs(refs: Any, path: str, namespace: str, *, name_key: str = "templateName") -> list[Reference]:
    found = []
    for i, ref in enumerate(refs if isinstance(refs, list) else []):
        ref = _dict(ref)
        name = ref.get(name_key)
        if not name:
            continue
        kind = "ClusterAnalysisTemplate" if ref.get("clusterScope") else "AnalysisTemplate"
        found.append(Reference(kind, str(name), "" if kind == "ClusterAnalysisTemplate" else namespace,
                               f.child(f.index(path, i), name_key)))
    return found


def rollout_references(rollout: Mapping[str, Any]) -> list[Reference]:
    namespace = str(_dict(rollout.get("metadata")).get("namespace") or "")
    spec = _dict(rollout.get("spec"))
    found: list[Reference] = []
    for role, name in service_roles(rollout):
        if name:
            found.append(Reference("Service", name, namespace, SERVICE_PATHS[role]))
    canary = _canary(rollout)
    if canary is not None:
        routing = _dict(canary.get("trafficRouting"))
        root = _dict(routing.get("alb")).get("rootService") or _dict(routing.get("smi")).get("rootService")
        if root:
            which = "alb" if _dict(routing.get("alb")).get("rootService") else "smi"
            found.append(Reference("Service", str(root), namespace, f"spec.strategy.canary.trafficRouting.{which}.rootService"))
        found += template_refs(_dict(canary.get("analysis")).get("templates"), "spec.strategy.canary.analysis.templates", namespace)
        for i, step in enumerate(_list(canary.get("steps"))):
            step = _dict(step)
            spath = f.index("spec.strategy.canary.steps", i)
            found += template_refs(_dict(step.get("analysis")).get("templates"), f.child(spath, "analysis", "templates"), namespace)
            found += template_refs(_dict(step.get("experiment")).get("analyses"), f.child(spath, "experiment", "analyses"), namespace)
    blue_green = _blue_green(rollout)
    if blue_green is not None:
        for part in ("prePromotionAnalysis", "postPromotionAnalysis"):
            found += template_refs(_dict(blue_green.get(part)).get("templates"), f"spec.strategy.blueGreen.{part}.templates", namespace)
    workload = _dict(spec.get("workloadRef"))
    if workload.get("kind") == "Deployment" and workload.get("name"):
        found.append(Reference("Deployment", str(workload["name"]), namespace, "spec.workloadRef.name"))
    return found


def experiment_references(experiment: Mapping[str, Any]) -> list[Reference]:
    namespace = str(_dict(experiment.get("metadata")).get("namespace") or "")
    return template_refs(_dict(experiment.get("spec")).get("analyses"), "spec.analyses", namespace)


def template_references(template: Mapping[str, Any]) -> list[Reference]:
    namespace = str(_dict(template.get("metadata")).get("namespace") or "")
    return template_refs(_dict(template.get("spec")).get("templates"), "spec.templates", namespace)
