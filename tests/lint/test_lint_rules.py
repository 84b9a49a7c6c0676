"""Our own lint rules, in-process: AnalysisTemplates, Experiments, typed fields in every pod
template, Rollout steps and required references (kubectl_rollouts_py.lint.check)."""

from __future__ import annotations

import textwrap
from typing import Any

import pytest
import yaml

from kubectl_rollouts_py import lint
from kubectl_rollouts_py.lint import names

POD = {"metadata": {"labels": {"app": "app-backend"}},
       "spec": {"containers": [{"name": "app-backend", "image": "app-backend:2.0"}]}}


def check(text: str, **kwargs: Any) -> lint.Report:
    docs = [lint.Document("test.yaml", i, d) for i, d in enumerate(yaml.safe_load_all(textwrap.dedent(text)), 1)]
    return lint.check(docs, **kwargs)


def messages(text: str, **kwargs: Any) -> list[str]:
    report = check(text, **kwargs)
    return [p.message() for p in report.problems] if report.failure is None else [report.failure]


SUCCESS_RATE = """
apiVersion: argoproj.io/v1alpha1
kind: AnalysisTemplate
metadata: {name: success-rate}
spec:
  args: [{name: service-name}]
  metrics:
  - name: success-rate
    interval: 1m
    count: 5
    successCondition: result[0] >= 0.95
    failureLimit: 2
    provider:
      prometheus:
        address: http://prometheus.monitoring:9090
        query: sum(rate(http_requests_total{service="{{args.service-name}}",code!~"5.."}[5m])) / sum(rate(http_requests_total{service="{{args.service-name}}"}[5m]))
"""


def test_a_sound_template_is_clean() -> None:
    assert check(SUCCESS_RATE).ok


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        (("successCondition: result[0] >= 0.95", "successCondition: result[0] >="),
         'analysistemplate/success-rate: spec.metrics[0].successCondition: Invalid value: "result[0] >=": unexpected token EOF'),
        (("successCondition: result[0] >= 0.95", "successCondition: result[0] >= {{args.threshold}}"),
         'analysistemplate/success-rate: spec.metrics[0].successCondition: Invalid value: "result[0] >= {{args.threshold}}": '
         "failed to resolve {{args.threshold}}"),
        (("interval: 1m", "interval: 1d"),
         'analysistemplate/success-rate: spec.metrics[0].interval: Invalid value: "1d": time: unknown unit "d" in duration "1d"'),
        (("failureLimit: 2", "failureLimit: -2"),
         'analysistemplate/success-rate: spec.metrics[0]: Invalid value: "success-rate": failureLimit must be >= 0, or -1 to be disabled'),
        (("failureLimit: 2", "failureLimit: 9"),
         'analysistemplate/success-rate: spec.metrics[0]: Invalid value: "success-rate": '
         "count (5) must be >= failureLimit + consecutiveSuccessLimit (9 + 0) if both >= 0"),
        (("failureLimit: 2", 'failureLimit: "two"'),
         'analysistemplate/success-rate: spec.metrics[0].failureLimit: Invalid value: "two": must be an integer'),
        (("    interval: 1m\n", ""),
         'analysistemplate/success-rate: spec.metrics[0]: Invalid value: "success-rate": interval must be specified when count > 1'),
        (("address: http://prometheus.monitoring:9090", "address: prometheus:9090"),
         'analysistemplate/success-rate: spec.metrics[0].provider.prometheus.address: Invalid value: "prometheus:9090": '
         "must be an http:// or https:// URL"),
        (("successCondition:", "successCondtion:"),
         "analysistemplate/success-rate: spec.metrics[0].successCondtion: Unknown field"),
        (("count: 5", "count: 2.5"),
         'analysistemplate/success-rate: spec.metrics[0].count: Invalid value: 2.5: expected int32, got number'),
    ],
)
def test_template_problems(change: tuple[str, str], expected: str) -> None:
    assert change[0] in SUCCESS_RATE
    assert messages(SUCCESS_RATE.replace(*change, 1)) == [expected]


def test_prometheus_address_may_come_from_the_controllers_default() -> None:
    text = SUCCESS_RATE.replace("        address: http://prometheus.monitoring:9090\n", "")
    assert messages(text) == [
        "analysistemplate/success-rate: spec.metrics[0].provider.prometheus.address: Required value: "
        "no address, and ARGO_ROLLOUTS_PROMETHEUS_ADDRESS is not set for the controller"
    ]
    assert check(text, prometheus_default="http://prometheus:9090").ok


def test_template_arguments() -> None:
    text = SUCCESS_RATE.replace("args: [{name: service-name}]", "args: [{name: service-name}, {name: service-name}, "
                                "{name: token, value: x, valueFrom: {secretKeyRef: {name: s}}}]")
    assert messages(text) == [
        'analysistemplate/success-rate: spec.args[1].name: Duplicate value: "service-name"',
        "analysistemplate/success-rate: spec.args[2]: Invalid value: \"token\": arg 'token' has both Value and ValueFrom fields",
        "analysistemplate/success-rate: spec.args[2].valueFrom.secretKeyRef.key: Required value",
    ]


def test_range_query_and_job_provider() -> None:
    text = """
    apiVersion: argoproj.io/v1alpha1
    kind: ClusterAnalysisTemplate
    metadata: {name: checks}
    spec:
      metrics:
      - name: trend
        provider:
          prometheus:
            address: http://prometheus:9090
            query: up
            rangeQuery: {start: "now() - duration('5m'", end: "now()", step: 1x}
      - name: smoke
        provider:
          job:
            spec:
              template:
                spec:
                  containers:
                  - name: smoke
                    image: curlimages/curl
                    ports: [{containerPort: 70000}]
    """
    found = messages(text)
    assert found[0].startswith("clusteranalysistemplate/checks: spec.metrics[0].provider.prometheus.rangeQuery.start: Invalid value: ")
    assert found[1:] == [
        'clusteranalysistemplate/checks: spec.metrics[0].provider.prometheus.rangeQuery.step: Invalid value: "1x": '
        'time: unknown unit "x" in duration "1x"',
        "clusteranalysistemplate/checks: spec.metrics[1].provider.job.spec.template.spec.containers[0].ports[0].containerPort: "
        "Invalid value: 70000: must be between 1 and 65535, inclusive",
        'clusteranalysistemplate/checks: spec.metrics[1].provider.job.spec.template.spec.restartPolicy: Unsupported value: "Always": '
        'supported values: "OnFailure", "Never"',
    ]


MEMORY_12X = "quantities must match the regular expression '^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$'"


def test_an_invalid_quantity_is_an_error_in_every_pod_template() -> None:
    job = """
    apiVersion: argoproj.io/v1alpha1
    kind: AnalysisTemplate
    metadata: {name: smoke}
    spec:
      metrics:
      - name: smoke
        provider:
          job:
            spec:
              template:
                spec:
                  restartPolicy: Never
                  containers: [{name: smoke, image: busybox, resources: {limits: {memory: 12x}}}]
    """
    assert messages(job) == [
        "analysistemplate/smoke: spec.metrics[0].provider.job.spec.template.spec.containers[0].resources.limits[memory]: "
        f'Invalid value: "12x": {MEMORY_12X}'
    ]
    experiment = """
    apiVersion: argoproj.io/v1alpha1
    kind: Experiment
    metadata: {name: baseline}
    spec:
      templates:
      - name: baseline
        selector: {matchLabels: {app: web}}
        template:
          metadata: {labels: {app: web}}
          spec: {containers: [{name: web, image: web, resources: {requests: {memory: 12x}}}]}
    """
    assert messages(experiment) == [
        "experiment/baseline: spec.templates[0].template.spec.containers[0].resources.requests[memory]: "
        f'Invalid value: "12x": {MEMORY_12X}'
    ]
    rollout = """
    apiVersion: argoproj.io/v1alpha1
    kind: Rollout
    metadata: {name: app-backend}
    spec:
      selector: {matchLabels: {app: app-backend}}
      strategy: {canary: {steps: [{setWeight: 10}]}}
      template:
        metadata: {labels: {app: app-backend}}
        spec: {containers: [{name: app-backend, image: x, resources: {limits: {memory: 12x}}}]}
    """
    # A Rollout is decoded as the Argo plugin decodes it: Go's words, and the lint stops.
    assert messages(rollout) == [f"error unmarshaling JSON: while decoding JSON: {MEMORY_12X}"]


def test_experiment_rules() -> None:
    text = """
    apiVersion: argoproj.io/v1alpha1
    kind: Experiment
    metadata: {name: exp}
    spec:
      duration: 1d
      templates:
      - name: baseline
        selector: {matchLabels: {app: web}}
        template:
          metadata: {labels: {app: other}}
          spec: {containers: [{name: web, image: web}]}
      - name: baseline
        template:
          metadata: {labels: {app: web}}
          spec: {containers: [{name: web, image: web, resources: {requests: {cpu: "2"}, limits: {cpu: "1"}}}]}
      analyses:
      - {name: a}
    """
    assert messages(text) == [
        'experiment/exp: spec.templates[0].template.metadata.labels: Invalid value: map[string]string{"app":"other"}: '
        "`selector` does not match template `labels`",
        'experiment/exp: spec.templates[1].name: Duplicate value: "baseline"',
        "experiment/exp: spec.templates[1].selector: Required value",
        'experiment/exp: spec.templates[1].template.metadata.labels: Invalid value: map[string]string{"app":"web"}: '
        "`selector` does not match template `labels`",
        'experiment/exp: spec.templates[1].template.spec.containers[0].resources.requests[cpu]: Invalid value: "2": '
        "must be less than or equal to cpu limit of 1",
        'experiment/exp: spec.duration: Invalid value: "1d": time: unknown unit "d" in duration "1d"',
        "experiment/exp: spec.analyses[0].templateName: Required value",
    ]


def test_rollout_steps_beyond_argo() -> None:
    text = """
    apiVersion: argoproj.io/v1alpha1
    kind: Rollout
    metadata: {name: app-backend}
    spec:
      selector: {matchLabels: {app: app-backend}}
      template:
        metadata: {labels: {app: app-backend, version: "2.0"}}
        spec: {containers: [{name: app-backend, image: "app-backend:2.0"}]}
      strategy:
        canary:
          analysis:
            templates: [{templateName: success-rate}]
            args: [{name: canary-hash, valueFrom: {podTemplateHashValue: Newest}}]
          steps:
          - setWeight: 10
          - pause: {duration: 3 minutes}
          - experiment:
              duration: 10 min
              templates: [{name: canary, specRef: latest}]
    """
    assert messages(text) == [
        'spec.strategy.steps[1].pause.duration: Invalid value: -1: Duration needs to be greater than 0',
        'rollout/app-backend: spec.strategy.canary.analysis.args[0].valueFrom.podTemplateHashValue: Unsupported value: "Newest": '
        'supported values: "Stable", "Latest"',
        'rollout/app-backend: spec.strategy.canary.steps[2].experiment.templates[0].specRef: Unsupported value: "latest": '
        'supported values: "stable", "canary"',
        'rollout/app-backend: spec.strategy.canary.steps[2].experiment.duration: Invalid value: "10 min": '
        'time: unknown unit " min" in duration "10 min"',
    ]


def test_typed_fields_as_go_decodes_them() -> None:
    text = """
    apiVersion: argoproj.io/v1alpha1
    kind: Rollout
    metadata: {name: app-backend, labels: {version: 2}}
    spec:
      replicas: "4"
      selector: {matchLabels: {app: app-backend}}
      strategy: {canary: {}}
      template: {metadata: {labels: {app: app-backend}}, spec: {containers: [{name: a}]}}
    """
    # Go reports the first problem in sorted key order: metadata before spec.
    assert messages(text) == ["error unmarshaling JSON: while decoding JSON: json: cannot unmarshal number into Go struct field "
                              "ObjectMeta.metadata.labels of type string"]
    assert messages(text.replace("labels: {version: 2}", "labels: {version: '2'}")) == [
        "error unmarshaling JSON: while decoding JSON: json: cannot unmarshal string into Go struct field "
        "RolloutSpec.spec.replicas of type int32"
    ]


def test_label_selectors_and_ports() -> None:
    text = """
    apiVersion: argoproj.io/v1alpha1
    kind: Rollout
    metadata: {name: web}
    spec:
      selector:
        matchExpressions: [{key: app, operator: In}]
      strategy: {blueGreen: {activeService: web, previewService: web-preview}}
      template:
        metadata: {labels: {app: web}}
        spec:
          containers:
          - name: web
            image: web
            ports: [{name: Http_Port, containerPort: 8080}]
            readinessProbe: {httpGet: {path: /, port: 0}}
    """
    found = messages(text)
    assert found[0] == ("spec.selector.matchExpressions[0].values: Required value: must be specified when `operator` "
                        "is 'In' or 'NotIn'")
    assert found[1].startswith("spec.selector: Invalid value: v1.LabelSelector{MatchLabels:map[string]string(nil), ")
    assert found[1].endswith(": invalid label selector")


def test_require_references_in_files_and_through_a_lookup() -> None:
    rollout = """
    apiVersion: argoproj.io/v1alpha1
    kind: Rollout
    metadata: {name: app-backend, namespace: ithome}
    spec:
      selector: {matchLabels: {app: app-backend}}
      template:
        metadata: {labels: {app: app-backend}}
        spec: {containers: [{name: app-backend, image: "app-backend:2.0"}]}
      strategy:
        canary:
          canaryService: app-backend-canary
          stableService: app-backend-stable
          analysis: {templates: [{templateName: success-rate}, {templateName: error-rate, clusterScope: true}]}
          steps: [{setWeight: 10}]
    """
    assert check(rollout).ok
    assert messages(rollout, require_references=True) == [
        f'rollout/app-backend: {path}: Not found: "{name}": no {kind} "{name}" in the files'
        for path, kind, name in [
            ("spec.strategy.canary.canaryService", "Service", "app-backend-canary"),
            ("spec.strategy.canary.stableService", "Service", "app-backend-stable"),
            ("spec.strategy.canary.analysis.templates[0].templateName", "AnalysisTemplate", "success-rate"),
            ("spec.strategy.canary.analysis.templates[1].templateName", "ClusterAnalysisTemplate", "error-rate"),
        ]
    ]
    services = "".join(f"""
    ---
    apiVersion: v1
    kind: Service
    metadata: {{name: app-backend-{role}}}
    spec: {{selector: {{app: app-backend}}}}
    """ for role in ("canary", "stable"))
    asked: list[lint.Reference] = []

    def lookup(ref: lint.Reference) -> bool:
        asked.append(ref)
        return ref.kind == "AnalysisTemplate"

    assert messages(rollout + services + "---" + SUCCESS_RATE.replace("\n", "\n    "), require_references=True, lookup=lookup,
                    looked_in="the files or cluster") == [
        'rollout/app-backend: spec.strategy.canary.analysis.templates[1].templateName: Not found: "error-rate": '
        'no ClusterAnalysisTemplate "error-rate" in the files or cluster'
    ]
    assert [(r.kind, r.name, r.namespace) for r in asked] == [("ClusterAnalysisTemplate", "error-rate", "")]


def test_a_rollouts_analyses_against_the_templates_in_the_files() -> None:
    rollout = """
    apiVersion: argoproj.io/v1alpha1
    kind: Rollout
    metadata: {name: app-backend}
    spec:
      selector: {matchLabels: {app: app-backend}}
      template:
        metadata: {labels: {app: app-backend}}
        spec: {containers: [{name: app-backend, image: "app-backend:2.0"}]}
      strategy:
        canary:
          analysis:
            templates: [{templateName: success-rate}]
            args: [{name: service-name, value: app-backend}]
          steps:
          - setWeight: 10
          - analysis: {templates: [{templateName: success-rate}]}
    ---
    """
    template = SUCCESS_RATE.replace("    count: 5\n", "").replace("\n", "\n    ")
    # The step's analysis passes no service-name (the background one does).
    assert messages(rollout + template) == [
        'rollout/app-backend: spec.strategy.canary.steps[1].analysis.templates: Invalid value: "templateNames: [success-rate]": '
        "args.service-name was not resolved"
    ]
    # Given the argument, its metric (an interval, no count) would keep the step waiting forever.
    step_args = "analysis: {templates: [{templateName: success-rate}], args: [{name: service-name, value: x}]}"
    assert messages(rollout.replace("analysis: {templates: [{templateName: success-rate}]}", step_args) + template) == [
        'rollout/app-backend: spec.strategy.canary.steps[1].analysis.templates: Invalid value: "success-rate": '
        "AnalysisTemplate success-rate has metric success-rate which runs indefinitely. Invalid value for count: <nil>"
    ]
    assert check(rollout.replace("analysis: {templates: [{templateName: success-rate}]}", step_args)
                 + SUCCESS_RATE.replace("\n", "\n    ")).ok


@pytest.mark.parametrize(("text", "value"), [("128Mi", 128 * 2**20), ("500m", 0.5), ("1e3", 1000), ("0.5Gi", 2**29), ("+2k", 2000)])
def test_quantities(text: str, value: float) -> None:
    assert names.parse_quantity(text) == value


@pytest.mark.parametrize(("text", "message"), [("12x", names.QUANTITY_FORMAT_ERROR), ("12Gb", names.QUANTITY_FORMAT_ERROR),
                                               ("", names.QUANTITY_FORMAT_ERROR), ("1e", names.QUANTITY_SUFFIX_ERROR),
                                               ("abc", names.QUANTITY_FORMAT_ERROR)])
def test_bad_quantities(text: str, message: str) -> None:
    with pytest.raises(ValueError, match="^" + __import__("re").escape(message) + "$"):
        names.parse_quantity(text)
