"""Strict decoding: what Go's typed structs accept, and the errors they give.

The Argo Rollouts kubectl plugin decodes each document into the Go type of its kind with
unknown fields disallowed (sigs.k8s.io/yaml over encoding/json). `decode(obj, kind)`
does the same walk over our own description of those types: an unknown field, a value of
the wrong JSON type (`replicas: "3"`), an integer out of range, an IntOrString that is
neither, or a resource quantity that does not parse (`memory: 12x`) is an error with Go's
own wording, prefixed as the plugin prefixes it.

As in Go, keys are visited in sorted order (the plugin re-marshals each document through
yaml.v2, which sorts map keys), field names match case-insensitively when no exact match
exists, type errors and unknown fields are remembered and the first one is reported at the
end, while a value that a custom decoder refuses (a quantity, an IntOrString) stops the
walk at once and wins.

Types are written as strings: `string`, `int32`, `int64`, `bool`, `float64`, `intstr`
(IntOrString), `quantity`, `any` (free-form), `[]T`, `map[string]T`, or the name of a
struct below. Free-form parts (status, provider blocks this project does not read,
affinity, security contexts, ...) are `any`: nothing under them is checked.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from kubectl_rollouts_py.govalues import go_json_kind, go_quote
from kubectl_rollouts_py.lint import names
from kubectl_rollouts_py.lint.fields import GoText

PREFIX = "error unmarshaling JSON: while decoding JSON: "

_META = {
    "name": "string", "generateName": "string", "namespace": "string", "selfLink": "string", "uid": "string",
    "resourceVersion": "string", "generation": "int64", "creationTimestamp": "any", "deletionTimestamp": "any",
    "deletionGracePeriodSeconds": "int64", "labels": "map[string]string", "annotations": "map[string]string",
    "ownerReferences": "any", "finalizers": "[]string", "managedFields": "any",
}
_TYPE_META = {"apiVersion": "string", "kind": "string"}
_SELECTOR = {"matchLabels": "map[string]string", "matchExpressions": "[]LabelSelectorRequirement"}
_PROBE = {
    "exec": "ExecAction", "httpGet": "HTTPGetAction", "tcpSocket": "TCPSocketAction", "grpc": "GRPCAction",
    "initialDelaySeconds": "int32", "timeoutSeconds": "int32", "periodSeconds": "int32", "successThreshold": "int32",
    "failureThreshold": "int32", "terminationGracePeriodSeconds": "int64",
}
_CONTAINER = {
    "name": "string", "image": "string", "command": "[]string", "args": "[]string", "workingDir": "string",
    "ports": "[]ContainerPort", "envFrom": "any", "env": "[]EnvVar", "resources": "ResourceRequirements",
    "resizePolicy": "any", "restartPolicy": "string", "volumeMounts": "[]VolumeMount", "volumeDevices": "any",
    "livenessProbe": "Probe", "readinessProbe": "Probe", "startupProbe": "Probe", "lifecycle": "any",
    "terminationMessagePath": "string", "terminationMessagePolicy": "string", "imagePullPolicy": "string",
    "securityContext": "any", "stdin": "bool", "stdinOnce": "bool", "tty": "bool",
}
_VOLUME_SOURCES = (
    "hostPath", "emptyDir", "gcePersistentDisk", "awsElasticBlockStore", "gitRepo", "secret", "nfs", "iscsi",
    "glusterfs", "persistentVolumeClaim", "rbd", "flexVolume", "cinder", "cephfs", "flocker", "downwardAPI", "fc",
    "azureFile", "configMap", "vsphereVolume", "quobyte", "azureDisk", "photonPersistentDisk", "projected",
    "portworxVolume", "scaleIO", "storageos", "csi", "ephemeral", "image",
)
_POD_SPEC = {
    "volumes": "[]Volume", "initContainers": "[]Container", "containers": "[]Container", "ephemeralContainers": "any",
    "restartPolicy": "string", "terminationGracePeriodSeconds": "int64", "activeDeadlineSeconds": "int64",
    "dnsPolicy": "string", "nodeSelector": "map[string]string", "serviceAccountName": "string",
    "serviceAccount": "string", "automountServiceAccountToken": "bool", "nodeName": "string", "hostNetwork": "bool",
    "hostPID": "bool", "hostIPC": "bool", "shareProcessNamespace": "bool", "securityContext": "any",
    "imagePullSecrets": "any", "hostname": "string", "subdomain": "string", "affinity": "any", "schedulerName": "string",
    "tolerations": "any", "hostAliases": "any", "priorityClassName": "string", "priority": "int32", "dnsConfig": "any",
    "readinessGates": "any", "runtimeClassName": "string", "enableServiceLinks": "bool", "preemptionPolicy": "string",
    "overhead": "map[string]quantity", "topologySpreadConstraints": "any", "setHostnameAsFQDN": "bool", "os": "any",
    "hostUsers": "bool", "schedulingGates": "any", "resourceClaims": "any", "resources": "ResourceRequirements",
}
_ROLLOUT_ANALYSIS = {
    "templates": "[]AnalysisTemplateRef", "args": "[]AnalysisRunArgument", "dryRun": "[]DryRun",
    "measurementRetention": "[]MeasurementRetention", "analysisRunMetadata": "AnalysisRunMetadata",
}
_ANALYSIS_TEMPLATE = {**_TYPE_META, "metadata": "ObjectMeta", "spec": "AnalysisTemplateSpec", "status": "any"}

# name -> (Go type name, fields)
STRUCTS: dict[str, tuple[str, dict[str, str]]] = {
    # --- Kubernetes
    "ObjectMeta": ("v1.ObjectMeta", _META),
    "LabelSelector": ("v1.LabelSelector", _SELECTOR),
    "LabelSelectorRequirement": ("v1.LabelSelectorRequirement", {"key": "string", "operator": "string", "values": "[]string"}),
    "PodTemplateSpec": ("v1.PodTemplateSpec", {"metadata": "ObjectMeta", "spec": "PodSpec"}),
    "PodSpec": ("v1.PodSpec", _POD_SPEC),
    "Container": ("v1.Container", _CONTAINER),
    "ContainerPort": ("v1.ContainerPort", {"name": "string", "hostPort": "int32", "containerPort": "int32",
                                            "protocol": "string", "hostIP": "string"}),
    "EnvVar": ("v1.EnvVar", {"name": "string", "value": "string", "valueFrom": "any"}),
    "ResourceRequirements": ("v1.ResourceRequirements", {"limits": "map[string]quantity", "requests": "map[string]quantity",
                                                          "claims": "any"}),
    "VolumeMount": ("v1.VolumeMount", {"name": "string", "readOnly": "bool", "recursiveReadOnly": "string",
                                        "mountPath": "string", "subPath": "string", "mountPropagation": "string",
                                        "subPathExpr": "string"}),
    "Volume": ("v1.Volume", {"name": "string", **{source: "any" for source in _VOLUME_SOURCES}}),
    "Probe": ("v1.Probe", _PROBE),
    "ExecAction": ("v1.ExecAction", {"command": "[]string"}),
    "HTTPGetAction": ("v1.HTTPGetAction", {"path": "string", "port": "intstr", "host": "string", "scheme": "string",
                                            "httpHeaders": "any"}),
    "TCPSocketAction": ("v1.TCPSocketAction", {"port": "intstr", "host": "string"}),
    "GRPCAction": ("v1.GRPCAction", {"port": "int32", "service": "string"}),
    "Service": ("v1.Service", {**_TYPE_META, "metadata": "ObjectMeta", "spec": "ServiceSpec", "status": "any"}),
    "ServiceSpec": ("v1.ServiceSpec", {
        "ports": "[]ServicePort", "selector": "map[string]string", "clusterIP": "string", "clusterIPs": "[]string",
        "type": "string", "externalIPs": "[]string", "sessionAffinity": "string", "loadBalancerIP": "string",
        "loadBalancerSourceRanges": "[]string", "externalName": "string", "externalTrafficPolicy": "string",
        "healthCheckNodePort": "int32", "publishNotReadyAddresses": "bool", "sessionAffinityConfig": "any",
        "ipFamilies": "[]string", "ipFamilyPolicy": "string", "allocateLoadBalancerNodePorts": "bool",
        "loadBalancerClass": "string", "internalTrafficPolicy": "string", "trafficDistribution": "string",
    }),
    "ServicePort": ("v1.ServicePort", {"name": "string", "protocol": "string", "appProtocol": "string", "port": "int32",
                                        "targetPort": "intstr", "nodePort": "int32"}),
    "Ingress": ("v1.Ingress", {**_TYPE_META, "metadata": "ObjectMeta", "spec": "any", "status": "any"}),
    "JobSpec": ("v1.JobSpec", {
        "parallelism": "int32", "completions": "int32", "activeDeadlineSeconds": "int64", "podFailurePolicy": "any",
        "successPolicy": "any", "backoffLimit": "int32", "backoffLimitPerIndex": "int32", "maxFailedIndexes": "int32",
        "selector": "LabelSelector", "manualSelector": "bool", "template": "PodTemplateSpec",
        "ttlSecondsAfterFinished": "int32", "completionMode": "string", "suspend": "bool",
        "podReplacementPolicy": "string", "managedBy": "string",
    }),
    # --- Argo Rollouts: Rollout
    "Rollout": ("v1alpha1.Rollout", {**_TYPE_META, "metadata": "ObjectMeta", "spec": "RolloutSpec", "status": "any"}),
    "RolloutSpec": ("v1alpha1.RolloutSpec", {
        "replicas": "int32", "selector": "LabelSelector", "template": "PodTemplateSpec", "workloadRef": "ObjectRef",
        "minReadySeconds": "int32", "strategy": "RolloutStrategy", "revisionHistoryLimit": "int32", "paused": "bool",
        "progressDeadlineSeconds": "int32", "progressDeadlineAbort": "bool", "restartAt": "any",
        "analysis": "AnalysisRunStrategy", "templateResolvedFromRef": "bool",
    }),
    "ObjectRef": ("v1alpha1.ObjectRef", {"apiVersion": "string", "kind": "string", "name": "string", "scaleDown": "string"}),
    "AnalysisRunStrategy": ("v1alpha1.AnalysisRunStrategy", {"successfulRunHistoryLimit": "int32",
                                                               "unsuccessfulRunHistoryLimit": "int32"}),
    "RolloutStrategy": ("v1alpha1.RolloutStrategy", {"blueGreen": "BlueGreenStrategy", "canary": "CanaryStrategy"}),
    "BlueGreenStrategy": ("v1alpha1.BlueGreenStrategy", {
        "activeService": "string", "previewService": "string", "previewReplicaCount": "int32",
        "autoPromotionEnabled": "bool", "autoPromotionSeconds": "int32", "maxUnavailable": "intstr",
        "scaleDownDelaySeconds": "int32", "scaleDownDelayRevisionLimit": "int32",
        "prePromotionAnalysis": "RolloutAnalysis", "antiAffinity": "AntiAffinity",
        "postPromotionAnalysis": "RolloutAnalysis", "previewMetadata": "PodTemplateMetadata",
        "activeMetadata": "PodTemplateMetadata", "abortScaleDownDelaySeconds": "int32",
    }),
    "CanaryStrategy": ("v1alpha1.CanaryStrategy", {
        "canaryService": "string", "stableService": "string", "steps": "[]CanaryStep",
        "trafficRouting": "RolloutTrafficRouting", "maxUnavailable": "intstr", "maxSurge": "intstr",
        "analysis": "RolloutAnalysisBackground", "antiAffinity": "AntiAffinity", "canaryMetadata": "PodTemplateMetadata",
        "stableMetadata": "PodTemplateMetadata", "scaleDownDelaySeconds": "int32", "scaleDownDelayRevisionLimit": "int32",
        "abortScaleDownDelaySeconds": "int32", "dynamicStableScale": "bool", "pingPong": "PingPongSpec",
        "minPodsPerReplicaSet": "int32", "replicaProgressThreshold": "any",
    }),
    "PingPongSpec": ("v1alpha1.PingPongSpec", {"pingService": "string", "pongService": "string"}),
    "AntiAffinity": ("v1alpha1.AntiAffinity", {"preferredDuringSchedulingIgnoredDuringExecution": "PreferredAntiAffinity",
                                                "requiredDuringSchedulingIgnoredDuringExecution": "any"}),
    "PreferredAntiAffinity": ("v1alpha1.PreferredDuringSchedulingIgnoredDuringExecution", {"weight": "int32"}),
    "PodTemplateMetadata": ("v1alpha1.PodTemplateMetadata", {"labels": "map[string]string", "annotations": "map[string]string"}),
    "RolloutTrafficRouting": ("v1alpha1.RolloutTrafficRouting", {
        "istio": "IstioTrafficRouting", "nginx": "any", "alb": "any", "smi": "any", "ambassador": "any",
        "appMesh": "any", "traefik": "any", "apisix": "any", "plugins": "any", "managedRoutes": "[]MangedRoutes",
        "maxTrafficWeight": "int32",
    }),
    "IstioTrafficRouting": ("v1alpha1.IstioTrafficRouting", {"virtualService": "IstioVirtualService",
                                                              "destinationRule": "any",
                                                              "virtualServices": "[]IstioVirtualService"}),
    "IstioVirtualService": ("v1alpha1.IstioVirtualService", {"name": "string", "routes": "[]string", "tlsRoutes": "any",
                                                              "tcpRoutes": "any"}),
    "MangedRoutes": ("v1alpha1.MangedRoutes", {"name": "string"}),
    "CanaryStep": ("v1alpha1.CanaryStep", {
        "setWeight": "int32", "pause": "RolloutPause", "experiment": "RolloutExperimentStep",
        "analysis": "RolloutAnalysis", "setCanaryScale": "SetCanaryScale", "setHeaderRoute": "SetHeaderRoute",
        "setMirrorRoute": "SetMirrorRoute", "plugin": "any",
    }),
    "RolloutPause": ("v1alpha1.RolloutPause", {"duration": "intstr"}),
    "SetCanaryScale": ("v1alpha1.SetCanaryScale", {"weight": "int32", "replicas": "int32", "matchTrafficWeight": "bool"}),
    "SetHeaderRoute": ("v1alpha1.SetHeaderRoute", {"name": "string", "match": "[]HeaderRoutingMatch"}),
    "HeaderRoutingMatch": ("v1alpha1.HeaderRoutingMatch", {"headerName": "string", "headerValue": "StringMatch"}),
    "SetMirrorRoute": ("v1alpha1.SetMirrorRoute", {"name": "string", "match": "[]RouteMatch", "percentage": "int32"}),
    "RouteMatch": ("v1alpha1.RouteMatch", {"method": "StringMatch", "path": "StringMatch",
                                            "headers": "map[string]StringMatch"}),
    "StringMatch": ("v1alpha1.StringMatch", {"exact": "string", "prefix": "string", "regex": "string"}),
    "RolloutExperimentStep": ("v1alpha1.RolloutExperimentStep", {
        "templates": "[]RolloutExperimentTemplate", "duration": "string",
        "analyses": "[]RolloutExperimentStepAnalysisTemplateRef", "dryRun": "[]DryRun",
        "measurementRetention": "[]MeasurementRetention", "analysisRunMetadata": "AnalysisRunMetadata",
    }),
    "RolloutExperimentTemplate": ("v1alpha1.RolloutExperimentTemplate", {
        "name": "string", "specRef": "string", "replicas": "int32", "metadata": "PodTemplateMetadata",
        "selector": "LabelSelector", "weight": "int32", "service": "TemplateService",
    }),
    "TemplateService": ("v1alpha1.TemplateService", {"name": "string"}),
    "RolloutExperimentStepAnalysisTemplateRef": ("v1alpha1.RolloutExperimentStepAnalysisTemplateRef", {
        "name": "string", "templateName": "string", "clusterScope": "bool", "args": "[]AnalysisRunArgument",
        "requiredForCompletion": "bool",
    }),
    "RolloutAnalysis": ("v1alpha1.RolloutAnalysis", _ROLLOUT_ANALYSIS),
    "RolloutAnalysisBackground": ("v1alpha1.RolloutAnalysisBackground", {**_ROLLOUT_ANALYSIS, "startingStep": "int32"}),
    "AnalysisTemplateRef": ("v1alpha1.AnalysisTemplateRef", {"templateName": "string", "clusterScope": "bool"}),
    "AnalysisRunArgument": ("v1alpha1.AnalysisRunArgument", {"name": "string", "value": "string",
                                                              "valueFrom": "ArgumentValueFrom"}),
    "ArgumentValueFrom": ("v1alpha1.ArgumentValueFrom", {"podTemplateHashValue": "string", "fieldRef": "FieldRef"}),
    "FieldRef": ("v1alpha1.FieldRef", {"fieldPath": "string"}),
    "DryRun": ("v1alpha1.DryRun", {"metricName": "string"}),
    "MeasurementRetention": ("v1alpha1.MeasurementRetention", {"metricName": "string", "limit": "int32"}),
    "AnalysisRunMetadata": ("v1alpha1.AnalysisRunMetadata", {"labels": "map[string]string",
                                                              "annotations": "map[string]string"}),
    # --- Argo Rollouts: analysis
    "AnalysisTemplate": ("v1alpha1.AnalysisTemplate", _ANALYSIS_TEMPLATE),
    "ClusterAnalysisTemplate": ("v1alpha1.ClusterAnalysisTemplate", _ANALYSIS_TEMPLATE),
    "AnalysisTemplateSpec": ("v1alpha1.AnalysisTemplateSpec", {
        "metrics": "[]Metric", "args": "[]Argument", "dryRun": "[]DryRun",
        "measurementRetention": "[]MeasurementRetention", "templates": "[]AnalysisTemplateRef",
    }),
    "Argument": ("v1alpha1.Argument", {"name": "string", "value": "string", "valueFrom": "ValueFrom"}),
    "ValueFrom": ("v1alpha1.ValueFrom", {"secretKeyRef": "SecretKeyRef", "fieldRef": "FieldRef"}),
    "SecretKeyRef": ("v1alpha1.SecretKeyRef", {"name": "string", "key": "string"}),
    "Metric": ("v1alpha1.Metric", {
        "name": "string", "interval": "string", "initialDelay": "string", "count": "intstr",
        "successCondition": "string", "failureCondition": "string", "failureLimit": "intstr",
        "inconclusiveLimit": "intstr", "consecutiveErrorLimit": "intstr", "consecutiveSuccessLimit": "intstr",
        "provider": "MetricProvider",
    }),
    "MetricProvider": ("v1alpha1.MetricProvider", {
        "prometheus": "PrometheusMetric", "kayenta": "any", "web": "any", "datadog": "any", "wavefront": "any",
        "newRelic": "any", "job": "JobMetric", "cloudWatch": "any", "graphite": "any", "influxdb": "any",
        "skywalking": "any", "plugin": "any",
    }),
    "PrometheusMetric": ("v1alpha1.PrometheusMetric", {
        "address": "string", "query": "string", "authentication": "any", "timeout": "int64", "insecure": "bool",
        "headers": "any", "rangeQuery": "PrometheusRangeQueryArgs",
    }),
    "PrometheusRangeQueryArgs": ("v1alpha1.PrometheusRangeQueryArgs", {"start": "string", "end": "string", "step": "string"}),
    "JobMetric": ("v1alpha1.JobMetric", {"metadata": "PodTemplateMetadata", "spec": "JobSpec"}),
    # --- Argo Rollouts: Experiment
    "Experiment": ("v1alpha1.Experiment", {**_TYPE_META, "metadata": "ObjectMeta", "spec": "ExperimentSpec", "status": "any"}),
    "ExperimentSpec": ("v1alpha1.ExperimentSpec", {
        "templates": "[]TemplateSpec", "duration": "string", "progressDeadlineSeconds": "int32", "terminate": "bool",
        "analyses": "[]ExperimentAnalysisTemplateRef", "scaleDownDelaySeconds": "int32", "dryRun": "[]DryRun",
        "measurementRetention": "[]MeasurementRetention", "analysisRunMetadata": "AnalysisRunMetadata",
    }),
    "TemplateSpec": ("v1alpha1.TemplateSpec", {
        "name": "string", "replicas": "int32", "minReadySeconds": "int32", "selector": "LabelSelector",
        "template": "PodTemplateSpec", "service": "TemplateService",
    }),
    "ExperimentAnalysisTemplateRef": ("v1alpha1.ExperimentAnalysisTemplateRef", {
        "name": "string", "templateName": "string", "clusterScope": "bool", "args": "[]Argument",
        "requiredForCompletion": "bool",
    }),
}

_INT_RANGES = {"int32": (-(2**31), 2**31 - 1), "int64": (-(2**63), 2**63 - 1)}


class DecodeError(Exception):
    """A document that its Go type refuses.

    `str()` is the whole message as the Argo Rollouts kubectl plugin shows it (prefix
    included); `path`, `value` and `detail` say the same for a field error: where (with
    list indices and map keys, which Go's message leaves out), the value, and why.
    """

    def __init__(self, message: str, path: str, value: Any, detail: str, unknown: bool = False) -> None:
        super().__init__(PREFIX + message)
        self.path = path
        self.value = value
        self.detail = detail
        self.unknown = unknown


class _Abort(Exception):
    def __init__(self, problem: DecodeError) -> None:
        super().__init__(str(problem))
        self.problem = problem


def go_type(spec: str) -> str:
    """The Go name of a type description (`[]Container` -> `[]v1.Container`)."""
    if spec.startswith("[]"):
        return "[]" + go_type(spec[2:])
    if spec.startswith("map[string]"):
        return "map[string]" + go_type(spec[len("map[string]"):])
    return {"intstr": "intstr.IntOrString", "quantity": "resource.Quantity", "any": "interface {}"}.get(
        spec, STRUCTS[spec][0] if spec in STRUCTS else spec
    )


def _number_text(value: int | float) -> str:
    if isinstance(value, float) and value.is_integer() and abs(value) < 1e21:
        return str(int(value))
    return repr(value)


class _Decoder:
    def __init__(self) -> None:
        self.saved: DecodeError | None = None
        self.stack: list[str] = []  # Go's field stack: JSON names of struct fields only
        self.struct: str | None = None
        self.where: list[str] = []  # the full path: fields, [index], [key]

    def path(self, extra: str = "") -> str:
        text = "".join(self.where) + extra
        return text[1:] if text.startswith(".") else text

    def problem(self, message: str, value: Any, detail: str, *, unknown: bool = False, extra: str = "") -> DecodeError:
        return DecodeError(message, self.path(extra), value, detail, unknown)

    def save(self, problem: DecodeError) -> None:
        if self.saved is None:
            self.saved = problem

    def mismatch(self, value: Any, spec: str, what: str | None = None) -> DecodeError:
        kind = go_json_kind(value)
        shown = value if isinstance(value, (str, int, float, bool)) else GoText(kind)
        return self.problem(self.type_error(what or kind, spec), shown, f"expected {go_type(spec)}, got {kind}")

    def type_error(self, what: str, spec: str) -> str:
        if self.struct is not None:
            return f"json: cannot unmarshal {what} into Go struct field {self.struct}.{'.'.join(self.stack)} of type {go_type(spec)}"
        return f"json: cannot unmarshal {what} into Go value of type {go_type(spec)}"

    def value(self, value: Any, spec: str) -> None:
        if value is None or spec == "any":
            return
        if spec == "intstr":
            self._int_or_string(value)
        elif spec == "quantity":
            self._quantity(value)
        elif spec == "string":
            if not isinstance(value, str):
                self.save(self.mismatch(value, spec))
        elif spec == "bool":
            if not isinstance(value, bool):
                self.save(self.mismatch(value, spec))
        elif spec in _INT_RANGES:
            self._integer(value, spec)
        elif spec == "float64":
            if isinstance(value, bool) or not isinstance(value, (int, float)):
                self.save(self.mismatch(value, spec))
        elif spec.startswith("[]"):
            if not isinstance(value, list):
                self.save(self.mismatch(value, spec))
                return
            for i, item in enumerate(value):
                self.where.append(f"[{i}]")
                try:
                    self.value(item, spec[2:])
                finally:
                    self.where.pop()
        elif spec.startswith("map[string]"):
            if not isinstance(value, Mapping):
                self.save(self.mismatch(value, spec))
                return
            for name in sorted(value, key=str):
                self.where.append(f"[{name}]")
                try:
                    self.value(value[name], spec[len("map[string]"):])
                finally:
                    self.where.pop()
        else:
            self._struct(value, spec)

    def _integer(self, value: Any, spec: str) -> None:
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            self.save(self.mismatch(value, spec))
            return
        low, high = _INT_RANGES[spec]
        if (isinstance(value, float) and not value.is_integer()) or not low <= value <= high:
            self.save(self.mismatch(value, spec, "number " + _number_text(value)))

    def _int_or_string(self, value: Any) -> None:
        if isinstance(value, str):
            return
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise _Abort(self.mismatch(value, "int32"))
        low, high = _INT_RANGES["int32"]
        if (isinstance(value, float) and not value.is_integer()) or not low <= value <= high:
            raise _Abort(self.mismatch(value, "int32", "number " + _number_text(value)))

    def _quantity(self, value: Any) -> None:
        if isinstance(value, bool) or isinstance(value, (list, Mapping)):
            raise _Abort(self.problem(names.QUANTITY_FORMAT_ERROR, GoText(go_json_kind(value)), names.QUANTITY_FORMAT_ERROR))
        text = _number_text(value) if isinstance(value, (int, float)) else str(value).strip()
        try:
            names.parse_quantity(text)
        except ValueError as exc:
            raise _Abort(self.problem(str(exc), value, str(exc))) from None

    def _struct(self, value: Any, spec: str) -> None:
        go_name, known = STRUCTS[spec]
        if not isinstance(value, Mapping):
            self.save(self.mismatch(value, spec))
            return
        folded = {name.lower(): name for name in known}
        for key in sorted(value, key=str):
            name = key if key in known else folded.get(str(key).lower())
            if name is None:
                self.save(self.problem(f"json: unknown field {go_quote(str(key))}", None, "", unknown=True, extra=f".{key}"))
                continue
            outer = self.struct
            self.stack.append(name)
            self.where.append(f".{key}")
            self.struct = go_name.split(".")[-1]
            try:
                self.value(value[key], known[name])
            finally:
                self.stack.pop()
                self.where.pop()
                self.struct = outer


def decode(obj: Mapping[str, Any], spec: str) -> None:
    """Walk `obj` as Go would decode it into the type `spec`.

    Raises:
        DecodeError: the first problem, worded as the Argo Rollouts kubectl plugin shows it.
    """
    decoder = _Decoder()
    try:
        decoder.value(obj, spec)
    except _Abort as exc:
        raise exc.problem from None
    if decoder.saved is not None:
        raise decoder.saved
