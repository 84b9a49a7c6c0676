"""Pod templates as the API server validates them (a subset of ValidatePodTemplateSpec).

Every pod template goes through here: a Rollout's (as the ReplicaSet it becomes), an
Experiment's templates, an AnalysisTemplate's Job provider. What is checked: template
labels, containers (present, named, unique), ports, resource requests against limits,
probes, environment variable names present, volume mounts naming a volume, and the
enumerations (restartPolicy, imagePullPolicy, dnsPolicy, port protocol). Quantities,
integer fields and unknown fields are checked earlier, by strict decoding.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from kubectl_rollouts_py.lint import fields as f
from kubectl_rollouts_py.lint import names
from kubectl_rollouts_py.lint.fields import FieldError

RESTART_POLICIES = ("Always", "Never", "OnFailure")
PULL_POLICIES = ("Always", "IfNotPresent", "Never")
DNS_POLICIES = ("ClusterFirst", "ClusterFirstWithHostNet", "Default", "None")
PROTOCOLS = ("SCTP", "TCP", "UDP")
_PROBE_HANDLERS = ("exec", "httpGet", "tcpSocket", "grpc")


def _dict(value: Any) -> Mapping[str, Any]:
    return value if isinstance(value, Mapping) else {}


def _list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else []


def validate_for_replicaset(template: Any, selector: Any, path: str, *, check_selector: bool = True) -> list[FieldError]:
    """ValidatePodTemplateSpecForReplicaSet: labels match the selector, restartPolicy Always."""
    template = _dict(template)
    meta = _dict(template.get("metadata"))
    spec = _dict(template.get("spec"))
    errs: list[FieldError] = []
    if check_selector and not names.selector_matches(selector, _dict(meta.get("labels"))):
        errs.append(f.invalid(f.child(path, "metadata", "labels"), f.go_string_map(_dict(meta.get("labels"))),
                              "`selector` does not match template `labels`"))
    errs.extend(validate_template(template, path))
    policy = spec.get("restartPolicy") or "Always"
    if policy != "Always":
        errs.append(f.not_supported(f.child(path, "spec", "restartPolicy"), policy, ["Always"]))
    if spec.get("activeDeadlineSeconds") is not None:
        errs.append(f.forbidden(f.child(path, "spec", "activeDeadlineSeconds"), "activeDeadlineSeconds in ReplicaSet is not Supported"))
    return errs


def validate_for_job(template: Any, path: str) -> list[FieldError]:
    """A Job's pod template: restartPolicy OnFailure or Never."""
    template = _dict(template)
    errs = validate_template(template, path)
    policy = _dict(template.get("spec")).get("restartPolicy") or "Always"
    if policy not in ("OnFailure", "Never"):
        errs.append(f.not_supported(f.child(path, "spec", "restartPolicy"), policy, ["OnFailure", "Never"]))
    return errs


def validate_template(template: Mapping[str, Any], path: str) -> list[FieldError]:
    """ValidatePodTemplateSpec: metadata labels, then the pod spec."""
    meta = _dict(template.get("metadata"))
    errs = names.labels(meta.get("labels"), f.child(path, "metadata", "labels"))
    errs.extend(validate_pod_spec(_dict(template.get("spec")), f.child(path, "spec")))
    return errs


def validate_pod_spec(spec: Mapping[str, Any], path: str) -> list[FieldError]:
    errs: list[FieldError] = []
    volumes = _volumes(_list(spec.get("volumes")), f.child(path, "volumes"), errs)
    containers = _list(spec.get("containers"))
    init = _list(spec.get("initContainers"))
    seen_names: set[str] = set()
    if not containers:
        errs.append(f.required(f.child(path, "containers")))
    errs.extend(_containers(containers, f.child(path, "containers"), volumes, seen_names))
    errs.extend(_containers(init, f.child(path, "initContainers"), volumes, seen_names))
    policy = spec.get("restartPolicy")
    if policy and policy not in RESTART_POLICIES:
        errs.append(f.not_supported(f.child(path, "restartPolicy"), policy, RESTART_POLICIES))
    dns = spec.get("dnsPolicy")
    if dns and dns not in DNS_POLICIES:
        errs.append(f.not_supported(f.child(path, "dnsPolicy"), dns, DNS_POLICIES))
    for name in ("terminationGracePeriodSeconds", "activeDeadlineSeconds"):
        value = spec.get(name)
        if isinstance(value, int) and not isinstance(value, bool) and value < (1 if name == "activeDeadlineSeconds" else 0):
            bound = "1" if name == "activeDeadlineSeconds" else "0"
            errs.append(f.invalid(f.child(path, name), value, f"must be greater than or equal to {bound}"))
    return errs


def _volumes(volumes: list[Any], path: str, errs: list[FieldError]) -> set[str]:
    seen: set[str] = set()
    for i, volume in enumerate(volumes):
        vpath = f.index(path, i)
        name = _dict(volume).get("name")
        if not name:
            errs.append(f.required(f.child(vpath, "name")))
            continue
        errs.extend(f.invalid(f.child(vpath, "name"), name, msg) for msg in names.dns1123_label(str(name)))
        if name in seen:
            errs.append(f.duplicate(f.child(vpath, "name"), name))
        seen.add(str(name))
    return seen


def _containers(containers: Sequence[Any], path: str, volumes: set[str], seen_names: set[str]) -> list[FieldError]:
    errs: list[FieldError] = []
    for i, raw in enumerate(containers):
        container = _dict(raw)
        cpath = f.index(path, i)
        name = container.get("name")
        if not name:
            errs.append(f.required(f.child(cpath, "name")))
        else:
            errs.extend(f.invalid(f.child(cpath, "name"), name, msg) for msg in names.dns1123_label(str(name)))
            if name in seen_names:
                errs.append(f.duplicate(f.child(cpath, "name"), name))
            seen_names.add(str(name))
        errs.extend(_ports(_list(container.get("ports")), f.child(cpath, "ports")))
        errs.extend(_env(_list(container.get("env")), f.child(cpath, "env")))
        errs.extend(_mounts(_list(container.get("volumeMounts")), f.child(cpath, "volumeMounts"), volumes))
        for probe in ("livenessProbe", "readinessProbe", "startupProbe"):
            if isinstance(container.get(probe), Mapping):
                errs.extend(_probe(container[probe], f.child(cpath, probe)))
        errs.extend(_resources(_dict(container.get("resources")), f.child(cpath, "resources")))
        pull = container.get("imagePullPolicy")
        if pull and pull not in PULL_POLICIES:
            errs.append(f.not_supported(f.child(cpath, "imagePullPolicy"), pull, PULL_POLICIES))
    return errs


def _ports(ports: list[Any], path: str) -> list[FieldError]:
    errs: list[FieldError] = []
    seen: set[str] = set()
    for i, raw in enumerate(ports):
        port = _dict(raw)
        ppath = f.index(path, i)
        name = port.get("name")
        if name:
            errs.extend(f.invalid(f.child(ppath, "name"), name, msg) for msg in names.port_name(str(name)))
            if name in seen:
                errs.append(f.duplicate(f.child(ppath, "name"), name))
            seen.add(str(name))
        number = port.get("containerPort")
        if not number:
            errs.append(f.required(f.child(ppath, "containerPort")))
        elif isinstance(number, int):
            errs.extend(f.invalid(f.child(ppath, "containerPort"), number, msg) for msg in names.port_number(number))
        host = port.get("hostPort")
        if isinstance(host, int) and host != 0:
            errs.extend(f.invalid(f.child(ppath, "hostPort"), host, msg) for msg in names.port_number(host))
        protocol = port.get("protocol")
        if protocol and protocol not in PROTOCOLS:
            errs.append(f.not_supported(f.child(ppath, "protocol"), protocol, PROTOCOLS))
    return errs


def _env(env: list[Any], path: str) -> list[FieldError]:
    return [f.required(f.child(f.index(path, i), "name")) for i, var in enumerate(env) if not _dict(var).get("name")]


def _mounts(mounts: list[Any], path: str, volumes: set[str]) -> list[FieldError]:
    errs: list[FieldError] = []
    for i, raw in enumerate(mounts):
        mount = _dict(raw)
        mpath = f.index(path, i)
        name = mount.get("name")
        if not name:
            errs.append(f.required(f.child(mpath, "name")))
        elif name not in volumes:
            errs.append(f.not_found(f.child(mpath, "name"), name))
        if not mount.get("mountPath"):
            errs.append(f.required(f.child(mpath, "mountPath")))
    return errs


def _probe(probe: Mapping[str, Any], path: str) -> list[FieldError]:
    errs: list[FieldError] = []
    handlers = [h for h in _PROBE_HANDLERS if probe.get(h) is not None]
    if not handlers:
        errs.append(f.required(path, "must specify a handler type"))
    elif len(handlers) > 1:
        errs.append(f.forbidden(f.child(path, handlers[1]), "may not specify more than 1 handler type"))
    for name in ("httpGet", "tcpSocket"):
        action = _dict(probe.get(name))
        if "port" in action:
            errs.extend(names.port_num_or_name(action.get("port"), f.child(path, name, "port")))
        elif probe.get(name) is not None:
            errs.append(f.required(f.child(path, name, "port")))
    grpc = _dict(probe.get("grpc"))
    if isinstance(grpc.get("port"), int):
        errs.extend(f.invalid(f.child(path, "grpc", "port"), grpc["port"], m) for m in names.port_number(grpc["port"]))
    for name in ("initialDelaySeconds", "timeoutSeconds", "periodSeconds", "successThreshold", "failureThreshold"):
        value = probe.get(name)
        if isinstance(value, int) and not isinstance(value, bool) and value < 0:
            errs.append(f.invalid(f.child(path, name), value, "must be greater than or equal to 0"))
    return errs


def _resources(resources: Mapping[str, Any], path: str) -> list[FieldError]:
    errs: list[FieldError] = []
    limits = _dict(resources.get("limits"))
    requests = _dict(resources.get("requests"))
    for group, values in (("limits", limits), ("requests", requests)):
        for name in sorted(values, key=str):
            errs.extend(f.invalid(f.key(f.child(path, group), str(name)), str(name), msg)
                        for msg in names.qualified_name(str(name)))
            amount = names.quantity_of(values[name])
            if amount is not None and amount < 0:
                errs.append(f.invalid(f.key(f.child(path, group), str(name)), _shown(values[name]),
                                      "must be greater than or equal to 0"))
    for name in sorted(requests, key=str):
        want, cap = names.quantity_of(requests[name]), names.quantity_of(limits.get(name))
        if want is not None and cap is not None and want > cap:
            errs.append(f.invalid(f.key(f.child(path, "requests"), str(name)), _shown(requests[name]),
                                  f"must be less than or equal to {name} limit of {_shown(limits[name])}"))
    return errs


def _shown(value: Any) -> str:
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value).strip()
