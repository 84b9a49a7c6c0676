"""FileSource: saved objects behave like the API server would serve them."""

from __future__ import annotations

import json
import os
import textwrap
import threading
import time

import pytest

from kubectl_rollouts_py import errors
from kubectl_rollouts_py.kube import files as kube_files
from kubectl_rollouts_py.kube import resources
from kubectl_rollouts_py.kube import source as kube_source
from kubectl_rollouts_py.kube.options import ConnectionOptions

# An environment with no kubeconfig anywhere, so tests never read the machine's.
NO_KUBECONFIG = {"HOME": "/nonexistent-home"}


def write(directory, name: str, text: str) -> str:
    path = os.path.join(str(directory), name)
    with open(path, "w", encoding="utf-8") as handle:
        handle.write(textwrap.dedent(text))
    return path


def rollout(name: str, namespace: str | None = None, labels: dict | None = None) -> dict:
    metadata: dict = {"name": name}
    if namespace:
        metadata["namespace"] = namespace
    if labels:
        metadata["labels"] = labels
    return {"apiVersion": "argoproj.io/v1alpha1", "kind": "Rollout", "metadata": metadata}


def open_files(*paths: str, namespace: str | None = None, environ: dict | None = None) -> kube_source.Source:
    return kube_source.open_source(
        ConnectionOptions(namespace=namespace), tuple(paths), environ=NO_KUBECONFIG if environ is None else environ
    )


def test_multi_document_yaml_skips_empty_documents_and_defaults_the_namespace(tmp_path):
    path = write(
        tmp_path,
        "objs.yaml",
        """\
        apiVersion: argoproj.io/v1alpha1
        kind: Rollout
        metadata:
          name: web
          creationTimestamp: 2024-05-01T10:00:00Z
        ---
        ---
        # only a comment
        ---
        apiVersion: apps/v1
        kind: ReplicaSet
        metadata: {name: web-abc, namespace: prod}
        """,
    )
    src = open_files(path)
    assert src.namespace == "default"
    got = src.get(resources.ROLLOUTS, "web", "default")
    assert got["metadata"]["namespace"] == "default"
    # Timestamps stay strings, as in the API's JSON (PyYAML would make a datetime).
    assert got["metadata"]["creationTimestamp"] == "2024-05-01T10:00:00Z"
    assert src.get(resources.REPLICASETS, "web-abc", "prod")["kind"] == "ReplicaSet"
    with pytest.raises(errors.NotFound):
        src.get(resources.REPLICASETS, "web-abc", "default")


def test_namespace_flag_places_objects_without_a_namespace(tmp_path):
    path = write(tmp_path, "r.json", json.dumps(rollout("web")))
    src = open_files(path, namespace="team-a")
    assert src.namespace == "team-a"
    assert src.get("rollouts", "web", "team-a")["metadata"]["namespace"] == "team-a"


def test_namespace_comes_from_the_kubeconfig_context_when_it_can_be_read(tmp_path):
    kubeconfig = write(
        tmp_path,
        "kc",
        """\
        current-context: dev
        contexts:
        - name: dev
          context: {cluster: c, namespace: from-context}
        """,
    )
    path = write(tmp_path, "r.yaml", json.dumps(rollout("web")))
    src = open_files(path, environ={"HOME": "/nonexistent-home", "KUBECONFIG": kubeconfig})
    assert src.namespace == "from-context"


def test_a_broken_kubeconfig_does_not_stop_saved_objects(tmp_path):
    kubeconfig = write(tmp_path, "kc", "current-context: [oops\n")
    path = write(tmp_path, "r.yaml", json.dumps(rollout("web")))
    src = open_files(path, environ={"HOME": "/nonexistent-home", "KUBECONFIG": kubeconfig})
    assert src.namespace == "default"


def test_json_object_array_and_kubectl_list_output_are_flattened(tmp_path):
    obj = write(tmp_path, "one.json", json.dumps(rollout("a", "ns")))
    array = write(tmp_path, "many.json", json.dumps([rollout("b", "ns"), rollout("c", "ns")]))
    listing = write(
        tmp_path,
        "list.yaml",
        """\
        apiVersion: v1
        kind: List
        items:
        - apiVersion: argoproj.io/v1alpha1
          kind: Rollout
          metadata: {name: d, namespace: ns}
        metadata: {resourceVersion: ""}
        """,
    )
    typed_list = write(
        tmp_path,
        "rollouts.json",
        json.dumps({"apiVersion": "argoproj.io/v1alpha1", "kind": "RolloutList", "items": [rollout("e", "ns")]}),
    )
    src = open_files(obj, array, listing, typed_list)
    names = [o["metadata"]["name"] for o in src.list(resources.ROLLOUTS, "ns").items]
    assert names == ["a", "b", "c", "d", "e"]


def test_built_in_list_items_get_kind_and_api_version_from_the_list(tmp_path):
    path = write(
        tmp_path,
        "pods.json",
        json.dumps({"apiVersion": "v1", "kind": "PodList", "items": [{"metadata": {"name": "p", "namespace": "ns"}}]}),
    )
    pod = open_files(path).get(resources.PODS, "p", "ns")
    assert (pod["kind"], pod["apiVersion"]) == ("Pod", "v1")


def test_directory_reads_yaml_yml_json_in_byte_order_and_later_files_win(tmp_path):
    directory = tmp_path / "saved"
    directory.mkdir()
    write(directory, "b.yml", json.dumps(rollout("web", "ns", {"from": "b"})))
    write(directory, "a.yaml", json.dumps(rollout("web", "ns", {"from": "a"})))
    write(directory, "B.json", json.dumps(rollout("other", "ns")))
    write(directory, "notes.txt", "not: [yaml")
    (directory / "sub").mkdir()
    write(directory / "sub", "x.yaml", json.dumps(rollout("nested", "ns")))
    src = open_files(str(directory))
    # Byte order: "B.json" < "a.yaml" < "b.yml"; b.yml is read last and wins.
    assert src.get(resources.ROLLOUTS, "web", "ns")["metadata"]["labels"] == {"from": "b"}
    assert [o["metadata"]["name"] for o in src.list(resources.ROLLOUTS, None).items] == ["other", "web"]
    assert src.describe() == f"files: {directory}/"


def test_list_orders_by_namespace_then_name_and_filters_kind_and_group(tmp_path):
    path = write(
        tmp_path,
        "mixed.json",
        json.dumps(
            [
                rollout("z", "a"),
                rollout("b", "b"),
                rollout("a", "b"),
                {"apiVersion": "example.com/v1", "kind": "Rollout", "metadata": {"name": "imposter", "namespace": "a"}},
                {"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "d", "namespace": "a"}},
            ]
        ),
    )
    src = open_files(path)
    listed = src.list(resources.ROLLOUTS, None)
    assert [(o["metadata"]["namespace"], o["metadata"]["name"]) for o in listed.items] == [("a", "z"), ("b", "a"), ("b", "b")]
    assert listed.resource_version == "0"
    assert [o["metadata"]["name"] for o in src.list(resources.ROLLOUTS, "b").items] == ["a", "b"]


def test_cluster_scoped_kinds_ignore_namespaces(tmp_path):
    path = write(
        tmp_path,
        "t.yaml",
        """\
        apiVersion: argoproj.io/v1alpha1
        kind: ClusterAnalysisTemplate
        metadata: {name: success-rate}
        """,
    )
    src = open_files(path)
    assert "namespace" not in src.get(resources.CLUSTERANALYSISTEMPLATES, "success-rate", None)["metadata"]
    assert len(src.list(resources.CLUSTERANALYSISTEMPLATES, "anything").items) == 1


def test_results_are_copies_callers_may_change(tmp_path):
    src = open_files(write(tmp_path, "r.json", json.dumps(rollout("web", "ns", {"a": "1"}))))
    first = src.get(resources.ROLLOUTS, "web", "ns")
    first["metadata"]["labels"]["a"] = "changed"
    assert src.get(resources.ROLLOUTS, "web", "ns")["metadata"]["labels"] == {"a": "1"}


def test_not_found_message_matches_the_api_server(tmp_path):
    src = open_files(write(tmp_path, "r.json", json.dumps(rollout("web", "ns"))))
    with pytest.raises(errors.NotFound) as caught:
        src.get(resources.ROLLOUTS, "missing", "ns")
    assert str(caught.value) == 'rollouts.argoproj.io "missing" not found'
    with pytest.raises(errors.NotFound) as caught:
        src.get(resources.PODS, "missing", "ns")
    assert str(caught.value) == 'pods "missing" not found'


@pytest.mark.parametrize(
    ("selector", "expected"),
    [
        ("", ["canary", "plain", "stable"]),
        ("app=web", ["canary", "stable"]),
        ("app==web,track!=canary", ["stable"]),
        ("track in (canary, stable)", ["canary", "stable"]),
        ("track notin (canary)", ["plain", "stable"]),
        ("track", ["canary", "stable"]),
        ("!track", ["plain"]),
        ("app=web,track in (canary,x)", ["canary"]),
        ("weight>10", ["canary"]),
        ("weight<10", ["stable"]),
    ],
)
def test_label_selectors(tmp_path, selector, expected):
    objs = [
        rollout("canary", "ns", {"app": "web", "track": "canary", "weight": "20"}),
        rollout("stable", "ns", {"app": "web", "track": "stable", "weight": "5"}),
        rollout("plain", "ns", {"app": "db"}),
    ]
    src = open_files(write(tmp_path, "r.json", json.dumps(objs)))
    got = src.list(resources.ROLLOUTS, "ns", label_selector=selector).items
    assert [o["metadata"]["name"] for o in got] == expected


def test_field_selectors_on_name_namespace_and_pod_phase(tmp_path):
    pods = [
        {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "a", "namespace": "x"}, "status": {"phase": "Running"}},
        {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "b", "namespace": "y"}, "status": {"phase": "Pending"}},
    ]
    src = open_files(write(tmp_path, "p.json", json.dumps(pods)))

    def names(selector: str) -> list[str]:
        return [o["metadata"]["name"] for o in src.list(resources.PODS, None, field_selector=selector).items]

    assert names("metadata.name=a") == ["a"]
    assert names("metadata.namespace!=x") == ["b"]
    assert names("status.phase==Pending") == ["b"]
    assert names("metadata.name=a,metadata.namespace=y") == []


def test_unsupported_field_selector_is_a_bad_request_like_the_api(tmp_path):
    src = open_files(write(tmp_path, "r.json", json.dumps(rollout("web", "ns"))))
    with pytest.raises(errors.ApiError) as caught:
        src.list(resources.ROLLOUTS, "ns", field_selector="spec.paused=true")
    assert caught.value.status == 400
    assert str(caught.value) == '"spec.paused" is not a known field selector: only "metadata.name", "metadata.namespace"'


def test_unparsable_label_selector_is_a_bad_request(tmp_path):
    src = open_files(write(tmp_path, "r.json", json.dumps(rollout("web", "ns"))))
    with pytest.raises(errors.ApiError) as caught:
        src.list(resources.ROLLOUTS, "ns", label_selector="app=(web")
    assert caught.value.status == 400
    assert "unable to parse requirement" in str(caught.value)


def test_malformed_yaml_names_file_and_line(tmp_path):
    path = write(tmp_path, "x.yaml", "kind: Rollout\nmetadata:\n  name: a: b\n")
    with pytest.raises(errors.InputError) as caught:
        open_files(path)
    assert str(caught.value) == f"cannot parse {path}: line 3: mapping values are not allowed here"


def test_malformed_json_names_file_and_line(tmp_path):
    path = write(tmp_path, "x.json", '{\n  "kind": "Rollout",\n  "metadata": {\n}\n')
    with pytest.raises(errors.InputError) as caught:
        open_files(path)
    assert str(caught.value).startswith(f"cannot parse {path}: line 5: ")


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("just a string\n", "document 1: not a Kubernetes object (found a string)"),
        ("kind: Rollout\nmetadata: {name: a}\n---\nmetadata: {name: b}\n", "document 2: missing kind"),
        ("kind: Rollout\nmetadata: {}\n", "document 1: Rollout has no metadata.name"),
        ("kind: List\nitems:\n- kind: Rollout\n  metadata: {name: a}\n- 3\n", "document 1, item 2: not a Kubernetes object (found a number)"),
    ],
)
def test_documents_that_are_not_objects_name_file_and_document(tmp_path, text, message):
    path = write(tmp_path, "x.yaml", text)
    with pytest.raises(errors.InputError) as caught:
        open_files(path)
    assert str(caught.value) == f"{path}: {message}"


def test_missing_path_is_an_input_error(tmp_path):
    missing = str(tmp_path / "nope.yaml")
    with pytest.raises(errors.InputError) as caught:
        open_files(missing)
    assert str(caught.value) == f"cannot read {missing}: no such file or directory"


def test_writes_are_refused_as_a_usage_error(tmp_path):
    src = open_files(write(tmp_path, "r.json", json.dumps(rollout("web", "ns"))))
    for call in (
        lambda: src.patch(resources.ROLLOUTS, "web", "ns", {"spec": {"paused": False}}),
        lambda: src.create(resources.ROLLOUTS, "ns", rollout("new")),
        lambda: src.replace(resources.ROLLOUTS, "web", "ns", rollout("web")),
    ):
        with pytest.raises(errors.UsageError) as caught:
            call()
        assert str(caught.value) == "cannot change saved objects: --from-file is read-only"


HANG_GUARD = 30.0  # seconds; a bound on a failure, not a measure of speed


def _watch_in_a_thread(src, **kwargs) -> tuple[threading.Thread, list]:
    """Consume a watch in another thread, so a watch that never ends fails the test rather
    than hanging it."""
    events: list = []
    thread = threading.Thread(
        target=lambda: events.extend(src.watch(resources.ROLLOUTS, "ns", resource_version="0", **kwargs)), daemon=True
    )
    thread.start()
    return thread, events


def test_watch_yields_nothing_and_returns_at_the_timeout(tmp_path):
    src = open_files(write(tmp_path, "r.json", json.dumps(rollout("web", "ns"))))
    started = time.monotonic()
    watcher, events = _watch_in_a_thread(src, timeout_seconds=0.2)
    watcher.join(HANG_GUARD)
    assert not watcher.is_alive()  # the timeout ended it (without one it would block for ever)
    assert time.monotonic() - started >= 0.15  # not before the timeout
    assert events == []


def test_watch_returns_when_stop_is_set_from_another_thread(tmp_path):
    src = open_files(write(tmp_path, "r.json", json.dumps(rollout("web", "ns"))))
    stop = threading.Event()
    watcher, events = _watch_in_a_thread(src, timeout_seconds=10 * HANG_GUARD, stop=stop)
    stop.set()
    watcher.join(HANG_GUARD)
    assert not watcher.is_alive()  # stop ended it, long before its timeout
    assert events == []


def test_file_source_never_imports_kubernetes(tmp_path):
    import subprocess
    import sys

    path = write(tmp_path, "r.json", json.dumps(rollout("web", "ns")))
    code = f"""
import sys
from kubectl_rollouts_py.kube import source, resources
from kubectl_rollouts_py.kube.options import ConnectionOptions
src = source.open_source(ConnectionOptions(), ({path!r},), environ={{"HOME": "/nonexistent-home"}})
src.list(resources.ROLLOUTS, None)
print(sorted(m for m in sys.modules if m.split(".")[0] in ("kubernetes", "urllib3")))
"""
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert result.stdout.strip() == "[]"


def test_load_file_is_usable_on_its_own(tmp_path):
    path = write(tmp_path, "r.yaml", "kind: Rollout\napiVersion: argoproj.io/v1alpha1\nmetadata: {name: a}\n")
    assert kube_files.load_file(path) == [rollout("a")]


def test_legacy_extensions_group_replica_sets_are_served_as_apps(tmp_path):
    path = write(
        tmp_path,
        "old.yaml",
        """\
        apiVersion: extensions/v1beta1
        kind: ReplicaSet
        metadata: {name: old-rs, namespace: a}
        ---
        apiVersion: extensions/v1beta1
        kind: Ingress
        metadata: {name: not-a-replicaset, namespace: a}
        """,
    )
    src = open_files(path)
    assert [o["metadata"]["name"] for o in src.list(resources.REPLICASETS, "a").items] == ["old-rs"]
    assert src.get(resources.REPLICASETS, "old-rs", "a")["apiVersion"] == "extensions/v1beta1"
