"""Arguments, `{{args.x}}` substitution and spec validation, table-driven."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from kubectl_rollouts_py.analysis import args as A
from kubectl_rollouts_py.analysis import evaluate as ev

PROM = {"prometheus": {"address": "http://prom:9090", "query": "up"}}


def metric(**fields: object) -> dict:
    return {"name": "m", "provider": PROM, **fields}


# ------------------------------------------------------------------ building the run's args


def test_cli_args_split_at_the_first_equals() -> None:
    assert A.parse_cli_args(["a=1", "b=x=y", "c="]) == [A.Argument("a", "1"), A.Argument("b", "x=y"), A.Argument("c", "")]
    with pytest.raises(A.ArgsError, match="NAME=VALUE"):
        A.parse_cli_args(["novalue"])


MERGE = [
    # (incoming, template, merged names→value, or error)
    ([A.Argument("svc", "web")], [A.Argument("svc")], {"svc": "web"}),
    ([A.Argument("svc", "web")], [A.Argument("svc", "default")], {"svc": "web"}),
    ([A.Argument("other", "x")], [A.Argument("svc", "default")], {"svc": "default"}),  # undeclared: dropped
    ([], [A.Argument("svc", "")], {"svc": ""}),  # "" is a value; absent is not
    ([A.Argument("svc", "")], [A.Argument("svc", "default")], {"svc": ""}),  # a Rollout arg with no value overrides
    ([], [A.Argument("svc")], "args.svc was not resolved"),
    ([A.Argument("other", "x")], [A.Argument("svc")], "args.svc was not resolved"),
]


@pytest.mark.parametrize(("incoming", "template", "expected"), MERGE)
def test_merge_args(incoming: list, template: list, expected: object) -> None:
    if isinstance(expected, str):
        with pytest.raises(A.ArgsError) as info:
            A.merge_args(incoming, template)
        assert info.value.message == expected
    else:
        assert {a.name: a.value for a in A.merge_args(incoming, template)} == expected


def test_a_value_does_not_clear_a_template_secret() -> None:
    secret = A.Argument.from_dict({"name": "token", "valueFrom": {"secretKeyRef": {"name": "s", "key": "k"}}})
    merged = A.merge_args([A.Argument("token", "plain")], [secret])
    assert merged[0].secret == A.SecretKeyRef("s", "k") and merged[0].value == "plain"
    resolved, secrets = A.resolve_for_measurement(
        metric(successCondition="'{{args.token}}' != ''"), merged, resolve_secret=lambda name, key: "s3cr3t"
    )
    assert resolved["successCondition"] == "'s3cr3t' != ''" and secrets == ("s3cr3t",)


ROLLOUT = {
    "metadata": {"name": "web", "namespace": "shop", "uid": "u-1", "labels": {"app": "web", "tier": "front"},
                 "annotations": {"team": "a"}},
    "spec": {"replicas": 12345678, "paused": False, "template": {"metadata": {"labels": {"version": "v2"}}},
             "strategy": {"canary": {"steps": [{"setWeight": 20}, {"pause": {}}]}}},
    "status": {"currentPodHash": "6d4f", "stableRS": "5c8b", "alb": {"canaryTargetGroup": {"name": "tg-canary"}}},
}  # fmt: skip

ROLLOUT_ARGS = [
    ({"name": "x", "value": "plain"}, "plain"),
    ({"name": "x"}, ""),
    ({"name": "x", "valueFrom": {"podTemplateHashValue": "Latest"}}, "6d4f"),
    ({"name": "x", "valueFrom": {"podTemplateHashValue": "Stable"}}, "5c8b"),
    ({"name": "x", "valueFrom": {"podTemplateHashValue": "Other"}}, ""),
    ({"name": "x", "value": "ignored", "valueFrom": {"podTemplateHashValue": "Stable"}}, "5c8b"),
    ({"name": "x", "valueFrom": {"fieldRef": {"fieldPath": "metadata.name"}}}, "web"),
    ({"name": "x", "valueFrom": {"fieldRef": {"fieldPath": "metadata.namespace"}}}, "shop"),
    ({"name": "x", "valueFrom": {"fieldRef": {"fieldPath": "metadata.uid"}}}, "u-1"),
    ({"name": "x", "valueFrom": {"fieldRef": {"fieldPath": "metadata.labels['app']"}}}, "web"),
    ({"name": "x", "valueFrom": {"fieldRef": {"fieldPath": "metadata.labels['missing']"}}}, ""),
    ({"name": "x", "valueFrom": {"fieldRef": {"fieldPath": "metadata.annotations['team']"}}}, "a"),
    ({"name": "x", "valueFrom": {"fieldRef": {"fieldPath": "metadata.labels"}}}, 'app="web"\ntier="front"'),
    ({"name": "x", "valueFrom": {"fieldRef": {"fieldPath": "status.alb.canaryTargetGroup.name"}}}, "tg-canary"),
    ({"name": "x", "valueFrom": {"fieldRef": {"fieldPath": "spec.template.metadata.labels.version"}}}, "v2"),
    ({"name": "x", "valueFrom": {"fieldRef": {"fieldPath": "spec.strategy.canary.steps[0].setWeight"}}}, "20"),
    ({"name": "x", "valueFrom": {"fieldRef": {"fieldPath": "spec.paused"}}}, "false"),
    # Go formats JSON numbers as float64 with %v
    ({"name": "x", "valueFrom": {"fieldRef": {"fieldPath": "spec.replicas"}}}, "1.2345678e+07"),
]


@pytest.mark.parametrize(("arg", "value"), ROLLOUT_ARGS)
def test_rollout_args(arg: dict, value: str) -> None:
    assert A.resolve_rollout_args([arg], ROLLOUT) == [A.Argument("x", value)]


def test_explicit_hashes_override_the_status() -> None:
    args = [{"name": "x", "valueFrom": {"podTemplateHashValue": "Latest"}}]
    assert A.resolve_rollout_args(args, ROLLOUT, latest_hash="new")[0].value == "new"


@pytest.mark.parametrize(
    ("path", "message"),
    [
        ("spec.template", "path spec.template in rollout must terminate in a primitive value"),
        ("spec.nope", "invalid path spec.nope in rollout"),
        ("spec.strategy.canary.steps[x]", "invalid index 'x'"),
        ("spec.strategy.canary.steps[5]", "index 5 out of range"),
        ("spec.replicas.more", "invalid path spec.replicas.more in rollout"),
        ("metadata.generateName", "unsupported fieldPath: metadata.generateName"),
        ("metadata.name['x']", 'fieldPath "metadata.name[\'x\']" does not support subscript'),
    ],
)
def test_rollout_field_ref_errors(path: str, message: str) -> None:
    with pytest.raises(A.ArgsError) as info:
        A.resolve_rollout_args([{"name": "x", "valueFrom": {"fieldRef": {"fieldPath": path}}}], ROLLOUT)
    assert info.value.message == message


# ------------------------------------------------------------------ templates


def template(name: str, *, metrics: list | None = None, args: list | None = None, refs: list | None = None, **spec: object) -> dict:
    body: dict = {"metrics": metrics or [], "args": args or [], **spec}
    if refs:
        body["templates"] = refs
    return {"metadata": {"name": name}, "spec": body}


def test_collect_templates_depth_first_unique_and_cycle_safe() -> None:
    store = {
        ("a", False): template("a", refs=[{"templateName": "b"}, {"templateName": "c", "clusterScope": True}]),
        ("b", False): template("b", refs=[{"templateName": "d"}]),
        ("c", True): template("c", refs=[{"templateName": "d"}]),
        ("d", False): template("d"),
    }
    namespaced, cluster = A.collect_templates([{"templateName": "a"}, {"templateName": "d"}], lambda n, c: store[(n, c)])
    assert [t["metadata"]["name"] for t in namespaced] == ["a", "b", "d"]
    assert [t["metadata"]["name"] for t in cluster] == ["c"]
    store[("d", False)] = template("d", refs=[{"templateName": "a"}])
    with pytest.raises(A.ArgsError, match="cycle: a -> b -> d -> a"):
        A.collect_templates([{"templateName": "a"}], lambda n, c: store[(n, c)])


def test_flatten_templates() -> None:
    one = template("one", metrics=[metric(name="a")], args=[{"name": "svc"}, {"name": "ns", "value": "x"}], dryRun=[{"metricName": "a"}])
    two = template("two", metrics=[metric(name="b")], args=[{"name": "svc", "value": "web"}, {"name": "ns", "value": "x"}])
    flat = A.flatten_templates([one], [two])
    assert [m["name"] for m in flat["metrics"]] == ["a", "b"]
    assert flat["args"] == [{"name": "svc", "value": "web"}, {"name": "ns", "value": "x"}]
    assert flat["dryRun"] == [{"metricName": "a"}]
    with pytest.raises(A.ArgsError, match="two metrics have the same name 'a'"):
        A.flatten_templates([one, one])
    clash = template("three", args=[{"name": "ns", "value": "y"}])
    with pytest.raises(A.ArgsError, match="Argument `ns` specified multiple times with different values: 'x', 'y'"):
        A.flatten_templates([one, clash])


def test_new_run_spec_prepends_rollout_rules_and_merges_args() -> None:
    t = template("t", metrics=[metric(name="a")], args=[{"name": "svc"}], dryRun=[{"metricName": "a"}])
    spec = A.new_run_spec([t], [], [A.Argument("svc", "web")], dry_run=[{"metricName": "^a$"}])
    assert spec["args"] == [{"name": "svc", "value": "web"}]
    assert spec["dryRun"] == [{"metricName": "^a$"}, {"metricName": "a"}]
    with pytest.raises(A.ArgsError, match="two Dry-Run metric rules have the same name 'a'"):
        A.new_run_spec([t], [], [A.Argument("svc", "web")], dry_run=[{"metricName": "a"}])


# ------------------------------------------------------------------ substitution

SUBSTITUTE = [
    # (metric fields, args, expected field → value, or error message)
    ({"successCondition": "result[0] >= {{args.t}}"}, {"t": "0.95"}, {"successCondition": "result[0] >= 0.95"}),
    ({"successCondition": "result[0] >= {{ args.t }}"}, {"t": "0.95"}, {"successCondition": "result[0] >= 0.95"}),
    ({"interval": "{{args.i}}", "count": "{{args.c}}"}, {"i": "1m", "c": "3"}, {"interval": "1m", "count": "3"}),
    ({"name": "{{args.n}}-rate"}, {"n": "web"}, {"name": "web-rate"}),
    # quotes, backslashes and newlines survive intact; inserted text is not rescanned
    ({"successCondition": "{{args.q}}"}, {"q": 'a"b\\c\nd'}, {"successCondition": 'a"b\\c\nd'}),
    ({"successCondition": "{{args.a}}"}, {"a": "{{args.b}}", "b": "x"}, {"successCondition": "{{args.b}}"}),
    ({"successCondition": "{{args.missing}}"}, {"t": "1"}, "failed to resolve {{args.missing}}"),
    ({"successCondition": "{{ inputs.x }}"}, {"t": "1"}, "failed to resolve {{ inputs.x }}"),
    ({"interval": "{{args.a}}", "successCondition": "{{args.b}}"}, {}, "failed to resolve {{args.b}}"),  # last one
    # placeholders are found in the metric's JSON text, so the braces closing the provider
    # object can end an unterminated tag; only text after the provider can have none
    ({"successCondition": "{{args.t"}, {"t": "1"}, 'failed to resolve {{args.t","provider":{"prometheus":'),
    ({"consecutiveSuccessLimit": "{{args.t"}, {"t": "1"}, 'cannot find end tag="}}" in the template='),
]


@pytest.mark.parametrize(("fields", "values", "expected"), SUBSTITUTE)
def test_substitution(fields: dict, values: dict, expected: object) -> None:
    args = [A.Argument(k, v) for k, v in values.items()]
    if isinstance(expected, str):
        with pytest.raises(A.ArgsError) as info:
            A.resolve_metrics([metric(**fields)], args)
        assert info.value.message.startswith(expected)
    else:
        resolved = A.resolve_metrics([metric(**fields)], args)[0]
        for key, value in expected.items():
            assert resolved[key] == value


def test_headers_and_provider_fields_are_substituted() -> None:
    m = {
        "name": "m",
        "provider": {"prometheus": {"address": "{{args.addr}}", "query": 'up{job="{{args.job}}"}',
                                    "headers": [{"key": "X-Scope", "value": "{{args.tenant}}"}]}},
    }  # fmt: skip
    args = [A.Argument("addr", "http://p:9090"), A.Argument("job", "api"), A.Argument("tenant", "t1")]
    prom = A.resolve_metrics([m], args)[0]["provider"]["prometheus"]
    assert prom == {"address": "http://p:9090", "query": 'up{job="api"}', "headers": [{"key": "X-Scope", "value": "t1"}]}


def test_an_arg_without_value_is_not_supplied_even_if_unused() -> None:
    field_ref = A.Argument.from_dict({"name": "x", "valueFrom": {"fieldRef": {"fieldPath": "metadata.name"}}})
    with pytest.raises(A.ArgsError, match='argument "x" was not supplied'):
        A.resolve_metrics([metric()], [field_ref])


def test_secrets_are_dummies_for_validation_and_real_only_for_the_measurement() -> None:
    secret = A.Argument("token", secret=A.SecretKeyRef("prom-auth", "token"))
    m = metric(provider={"prometheus": {"address": "http://p", "query": "up",
                                        "headers": [{"key": "Authorization", "value": "Bearer {{args.token}}"}]}})  # fmt: skip
    assert "Bearer *****" in str(A.resolve_metrics([m], [secret]))
    resolved, secrets = A.resolve_for_measurement(m, [secret], resolve_secret=lambda name, key: "hunter2")
    assert resolved["provider"]["prometheus"]["headers"][0]["value"] == "Bearer hunter2"
    assert A.mask_secrets("401 for Bearer hunter2", secrets) == "401 for Bearer *****"
    with pytest.raises(A.ArgsError) as info:
        A.resolve_for_measurement(m, [secret])
    assert "prom-auth" in info.value.message


def test_a_failing_secret_resolver_never_leaks_the_value() -> None:
    secret = A.Argument("token", secret=A.SecretKeyRef("s", "k"))

    def broken(name: str, key: str) -> str:
        raise RuntimeError("value was hunter2")

    with pytest.raises(A.ArgsError) as info:
        A.resolve_for_measurement(metric(successCondition="'{{args.token}}' != ''"), [secret], resolve_secret=broken)
    assert "hunter2" not in info.value.message


# ------------------------------------------------------------------ validation and prepare_run

VALIDATION = [
    ([], "no metrics specified"),
    ([metric(), metric()], "metrics[1]: duplicate name 'm'"),
    ([metric(consecutiveSuccessLimit=-1)], "metrics[0]: consecutiveSuccessLimit must be >= 0"),
    ([metric(failureLimit=-2)], "metrics[0]: failureLimit must be >= 0, or -1 to be disabled"),
    ([metric(failureLimit=-1)], "metrics[0]: failureLimit and consecutiveSuccessLimit cannot both be disabled"),
    ([metric(inconclusiveLimit=-1)], "metrics[0]: inconclusiveLimit must be >= 0"),
    ([metric(consecutiveErrorLimit=-1)], "metrics[0]: consecutiveErrorLimit must be >= 0"),
    ([metric(count=2, failureLimit=3, interval="1m")],
     "metrics[0]: count (2) must be >= failureLimit + consecutiveSuccessLimit (3 + 0) if both >= 0"),
    ([metric(count=2, failureLimit=-1, consecutiveSuccessLimit=3, interval="1m")], "metrics[0]: count must be >= consecutiveSuccessLimit"),
    ([metric(count=2, inconclusiveLimit=3, interval="1m")], "metrics[0]: count must be >= inconclusiveLimit"),
    ([metric(count=2)], "metrics[0]: interval must be specified when count > 1"),
    ([metric(interval="1d")], 'metrics[0]: invalid interval string: time: unknown unit "d" in duration "1d"'),
    ([metric(initialDelay="soon")], 'metrics[0]: invalid startDelay string: time: invalid duration "soon"'),
    ([{"name": "m"}], "metrics[0]: no provider specified"),
    ([{"name": "m", "provider": {**PROM, "web": {"url": "x"}}}], "metrics[0]: multiple providers specified"),
]


@pytest.mark.parametrize(("metrics", "reason"), VALIDATION)
def test_validation(metrics: list, reason: str) -> None:
    prepared = A.prepare_run({"metrics": metrics})
    assert prepared.spec is None
    assert prepared.error == "Analysis spec invalid: " + reason


def test_valid_specs_pass() -> None:
    for metrics in ([metric()], [metric(count="junk")], [metric(count=3, failureLimit=2, interval="1m")],
                    [metric(failureLimit=-1, consecutiveSuccessLimit=2)]):  # fmt: skip
        assert A.prepare_run({"metrics": metrics}).error == ""


def test_prepare_run() -> None:
    run = {
        "metrics": [metric(name="rate", successCondition="result[0] >= {{args.t}}"), metric(name="lat")],
        "args": [{"name": "t", "value": "0.9"}],
        "dryRun": [{"metricName": "lat"}],
        "measurementRetention": [{"metricName": ".*", "limit": 3}],
        "terminate": True,
    }
    prepared = A.prepare_run(run)
    assert prepared.error == "" and prepared.spec is not None
    assert prepared.spec.metrics[0].success_condition == "result[0] >= 0.9"
    assert prepared.spec.dry_run == {"lat"} and prepared.spec.retention == {"rate": 3, "lat": 3} and prepared.spec.terminate
    # resolution errors come before validation, and before dry-run rules are looked at
    broken = {**run, "args": []}
    assert A.prepare_run(broken).error == "Unable to resolve metric arguments: failed to resolve {{args.t}}"
    assert A.prepare_run({**run, "dryRun": [{"metricName": "*"}]}).error == (
        "Analysis spec invalid: dryRun[0]: Rule didn't match any metric name(s)"
    )


def test_a_spec_error_errors_the_run() -> None:
    prepared = A.prepare_run({"metrics": [metric(count=2)]})
    status = ev.error_run(ev.RunStatus(), prepared.error, now=ev.dt.datetime(2026, 1, 1, tzinfo=ev.dt.timezone.utc))
    assert status.phase is ev.Phase.ERROR and status.message.startswith("Analysis spec invalid: ")


# ------------------------------------------------------------------ PromQL: values stay in their spot
# A deliberate difference from Argo, which inserts values as plain text.

INJECTION = 'x"} or vector(1) #'


@pytest.mark.parametrize(
    ("query", "value", "expected"),
    [
        # inside a string literal: escaped by PromQL's rules, so it stays one string
        ('up{job="{{args.v}}"}', "api", 'up{job="api"}'),
        ('up{job="{{args.v}}"}', INJECTION, 'up{job="x\\"} or vector(1) #"}'),
        ("up{job='{{args.v}}'}", "x'} or vector(1) #", "up{job='x\\'} or vector(1) #'}"),
        ('up{job="{{args.v}}"}', "it's", 'up{job="it\'s"}'),  # the other quote needs nothing
        ('up{job="{{args.v}}"}', "a\\", 'up{job="a\\\\"}'),  # a trailing backslash cannot eat the quote
        ('up{job="{{args.v}}"}', "a\nb\tc\x01", 'up{job="a\\nb\\tc\\x01"}'),
        ('up{job=~"{{args.v}}.*"}', "a|b", 'up{job=~"a|b.*"}'),  # regex syntax is the string's own business
        ("up{job=`{{args.v}}`}", 'a"b\\', 'up{job=`a"b\\`}'),  # raw string: nothing to escape
        # outside strings: one token, a matcher list in braces, a name list in groupings
        ("rate(x[{{args.v}}])", "5m", "rate(x[5m])"),
        ("rate(x[{{args.v}}])", "1h30m", "rate(x[1h30m])"),
        ("x > {{args.v}}", "0.95", "x > 0.95"),
        ("x > {{args.v}}", "-1.5e3", "x > -1.5e3"),
        ("x > {{args.v}}", "+Inf", "x > +Inf"),
        ("{{args.v}}(x)", "sum", "sum(x)"),
        ("{{args.v}}{a='b'}", "namespace:http_requests:rate5m", "namespace:http_requests:rate5m{a='b'}"),
        ("x{ {{args.v}} }", 'a="b", c=~"d.*"', 'x{ a="b", c=~"d.*" }'),
        ("sum by ({{args.v}}) (x)", "pod, namespace", "sum by (pod, namespace) (x)"),
        ("sum without({{args.v}}) (x)", "pod", "sum without(pod) (x)"),
        ("x # {{args.v}}", "anything (goes) } here", "x # anything (goes) } here"),
        ("x > {{args.v}}", "", "x > "),
    ],
)
def test_promql_values_stay_in_their_spot(query: str, value: str, expected: str) -> None:
    assert A.substitute_promql(query, {"v": value}) == expected


@pytest.mark.parametrize(
    ("query", "value", "why"),
    [
        ("rate(x[{{args.v}}])", "5m]) or vector(1", "only a number, a duration or a name"),
        ("x > {{args.v}}", "0.9 or vector(1)", "only a number, a duration or a name"),
        ("x {{args.v}} y", "unless", "only a number, a duration or a name"),  # a keyword is an operator, not a value
        ("sum({{args.v}})", "pod, namespace", "only a number, a duration or a name"),  # a list only in by (...)
        ("x{ {{args.v}} }", 'a="b"} or vector(1', "or label matchers"),
        ("x{ {{args.v}} }", 'a="b\nc"', "or label matchers"),
        ("x # {{args.v}}", "a\nvector(1)", "line break"),
        ("x{a=`{{args.v}}`}", "a`} or vector(1) #", "backtick"),
        ('x{a="\\{{args.v}}"}', "n-1", "backslash"),
    ],
)
def test_promql_values_that_cannot_stay_in_their_spot_are_refused(query: str, value: str, why: str) -> None:
    with pytest.raises(A.ArgsError) as info:
        A.substitute_promql(query, {"v": value})
    assert info.value.message.startswith("args.v cannot be substituted into the PromQL query where it stands: ")
    assert why in info.value.message
    assert value not in info.value.message  # the message names the argument, never its value


def test_only_the_prometheus_query_is_substituted_as_promql() -> None:
    m = metric(successCondition='result[0] != "{{args.job}}"',
               provider={"prometheus": {"address": "http://p", "query": 'up{job="{{args.job}}"}',
                                        "headers": [{"key": "X-Job", "value": "{{args.job}}"}]}})  # fmt: skip
    resolved = A.resolve_metrics([m], [A.Argument("job", INJECTION)])[0]
    assert resolved["provider"]["prometheus"]["query"] == 'up{job="x\\"} or vector(1) #"}'
    assert resolved["provider"]["prometheus"]["headers"][0]["value"] == INJECTION  # a header is not PromQL
    assert resolved["successCondition"] == 'result[0] != "x"} or vector(1) #"'  # Argo's plain text, as before


def test_a_misplaced_value_errors_the_run_with_argo_s_prefix() -> None:
    m = metric(provider={"prometheus": {"address": "http://p", "query": "rate(x[{{args.w}}])"}})
    prepared = A.prepare_run({"metrics": [m], "args": [{"name": "w", "value": "5m]) or vector(1"}]})
    assert prepared.spec is None
    assert prepared.error.startswith("Unable to resolve metric arguments: args.w cannot be substituted")


def test_a_secret_is_checked_where_it_is_really_substituted() -> None:
    secret = A.Argument("w", secret=A.SecretKeyRef("s", "k"))
    m = metric(provider={"prometheus": {"address": "http://p", "query": 'x{a="{{args.w}}"} > {{args.w}}'}})
    # the dummy is not what is sent, so it is not judged
    assert A.resolve_metrics([m], [secret])[0]["provider"]["prometheus"]["query"] == 'x{a="*****"} > *****'
    resolved, secrets = A.resolve_for_measurement(m, [secret], resolve_secret=lambda name, key: "0.5")
    assert resolved["provider"]["prometheus"]["query"] == 'x{a="0.5"} > 0.5'
    with pytest.raises(A.ArgsError) as info:
        A.resolve_for_measurement(m, [secret], resolve_secret=lambda name, key: 'p"} or vector(1) #')
    assert "args.w cannot be substituted" in info.value.message and "vector" not in info.value.message


def test_basic_auth_and_encoded_forms_of_a_secret_are_masked_too() -> None:
    secret = A.Argument("pw", secret=A.SecretKeyRef("s", "k"))
    m = metric(provider={"prometheus": {"address": "http://p", "query": 'up{a="{{args.pw}}"}',
                                        "authentication": {"basicAuth": {"username": "prom", "password": "{{args.pw}}"}}}})  # fmt: skip
    password = 'hun"ter 2'
    _, secrets = A.resolve_for_measurement(m, [secret], resolve_secret=lambda name, key: password)
    import base64

    basic = base64.b64encode(f"prom:{password}".encode()).decode()
    # what a server may echo: the basic auth header, the form-encoded query, the PromQL string
    echoed = f"Authorization: Basic {basic}; query=up%7Ba%3D%22hun%22ter+2%22%7D; " + 'q=up{a="hun\\"ter 2"}'
    masked = A.mask_secrets(echoed, secrets)
    assert "hun" not in masked and "ter" not in masked, masked


@pytest.mark.parametrize(
    ("query", "values", "noted"),
    [
        ('up{job="{{args.job}}"}', {"job": "api"}, []),
        ('up{job="{{args.job}}"}', {"job": INJECTION}, ["job"]),
        ("up{job='{{args.job}}'}", {"job": "a'b"}, ["job"]),
        ('up{job="{{args.job}}"}', {"job": "a\\"}, ["job"]),
        ('up{job="{{args.job}}"}', {"job": "it's fine"}, []),
        ("rate(x[{{args.window}}]) > {{args.t}}", {"window": "5m", "t": "0.95"}, []),
        ("sum(x) # {{args.note}}", {"note": 'anything "goes" here'}, []),
    ],
)
def test_promql_injection_notes_say_where_argo_would_differ(query: str, values: dict, noted: list) -> None:
    args = [A.Argument(k, v) for k, v in values.items()]
    notes = A.promql_injection_warnings(query, args)
    assert [n.split("'")[1] for n in notes] == noted
    for note, (name, value) in zip(notes, values.items()):
        assert value not in note and "escaped" in note


# ------------------------------------------------------------------ against a real Prometheus


def _analyze_once(tmp_path: Path, prom_url: str, query: str, value: str) -> tuple[int, str, list[dict]]:
    """`analyze --once -o json` of a one-metric template through the installed CLI:
    (exit code, stderr, the metric's measurements)."""
    from e2e.standin import run_cli

    template = {"apiVersion": "argoproj.io/v1alpha1", "kind": "AnalysisTemplate", "metadata": {"name": "t"},
                "spec": {"args": [{"name": "v"}],
                         "metrics": [{"name": "m", "successCondition": "true",
                                      "provider": {"prometheus": {"address": prom_url, "query": query}}}]}}  # fmt: skip
    path = tmp_path / "template.json"
    path.write_text(json.dumps(template))
    result = run_cli("analyze", "-f", str(path), "-a", f"v={value}", "--once", "-o", "json")
    measurements = json.loads(result.out)["metrics"][0]["measurements"] if result.out else []
    return result.code, result.err, measurements


# The value closes the string and the selector, ORs in a series of its own, and reopens a
# selector so that Argo's plain substitution still parses: `... or <a series of 42> or sum(...)`.
CLOSE_AND_ADD = ('good"}) or label_replace(vector(42), "injected", "yes", "", "")'
                 ' or sum(http_server_requests_seconds_count{rollouts_pod_template_hash="good')
HASH_QUERY = 'sum(http_server_requests_seconds_count{rollouts_pod_template_hash="{{args.v}}"})'


def test_plain_values_still_measure_against_prometheus(prom_server: Any, tmp_path: Path) -> None:
    code, err, measurements = _analyze_once(tmp_path, prom_server.url, HASH_QUERY, "good")
    assert code == 0, err
    assert len(json.loads(measurements[0]["value"])) == 1 and json.loads(measurements[0]["value"])[0] > 0


def test_an_injection_attempt_in_a_string_adds_no_series(prom_server: Any, tmp_path: Path) -> None:
    # What Argo would send returns the injected series: the attack is real ...
    plain = HASH_QUERY.replace("{{args.v}}", CLOSE_AND_ADD)
    assert 42.0 in [float(sample["value"][1]) for sample in prom_server.api(plain)["data"]["result"]]
    # ... and what we send is one label value that no series has: an empty result, no 42.
    code, err, measurements = _analyze_once(tmp_path, prom_server.url, HASH_QUERY, CLOSE_AND_ADD)
    assert measurements[0]["phase"] == "Successful" and measurements[0]["value"] == "[]", (code, err, measurements)


def test_an_injection_attempt_outside_a_string_is_refused(prom_server: Any, tmp_path: Path) -> None:
    query = "sum(rate(http_server_requests_seconds_count[{{args.v}}]))"
    code, err, _ = _analyze_once(tmp_path, prom_server.url, query, "10s]) or vector(42) or sum(rate(up[10s")
    assert code == 1
    assert err == ("Error: Unable to resolve metric arguments: args.v cannot be substituted into the PromQL query "
                   "where it stands: outside a string literal only a number, a duration or a name is accepted\n")
    code, err, measurements = _analyze_once(tmp_path, prom_server.url, query, "10s")
    assert code == 0 and json.loads(measurements[0]["value"])[0] > 0, err
