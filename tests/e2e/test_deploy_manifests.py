"""deploy/: the container recipe and the manifests that run the dashboard and the recorder.

- real kubectl accepts every manifest (`apply --dry-run=client`, recursively, against the
  discovery-only server of kubectl_discovery.py), and every field is one Kubernetes knows
  (checked against the kubernetes client's models, since kubectl's own validation needs the
  server's OpenAPI schema);
- every Role and ClusterRole of the default set (deploy/*.yaml) only gets, lists and watches,
  and every binding there binds one of them; the dashboard's role reads every kind the plugin
  reads;
- the pods run as the image's non-root user with a read-only root filesystem, no
  capabilities and the runtime's seccomp profile, with resources and health probes;
- the containers' arguments are flags the installed CLI has (`<command> --help` lists each);
- deploy/Containerfile: its COPY sources exist and hold what the wheel is built from, its
  base images are pinned by tag, its USER is numeric and not root, and its ENTRYPOINT is the
  console script setup.cfg declares, in the environment the build stage installs.
"""

from __future__ import annotations

import configparser
import json
import re
import shlex
import subprocess
from collections import Counter
from pathlib import Path
from typing import Any

import pytest
import yaml

import kubectl_rollouts_py
from kubectl_rollouts_py.dashboard import hub
from kubectl_rollouts_py.kube import resources as r

from .kubectl_discovery import _Server, dry_run_line, discovery_server, kubectl_dry_run

ROOT = Path(__file__).resolve().parents[2]
DEPLOY = ROOT / "deploy"
CONTAINERFILE = DEPLOY / "Containerfile"
MANIFESTS = sorted(p for p in DEPLOY.rglob("*") if p.suffix in (".yaml", ".yml", ".json"))
DEFAULT_SET = sorted(p for p in DEPLOY.glob("*") if p.suffix in (".yaml", ".yml", ".json"))
IMAGE = f"kubectl-rollouts-py:{kubectl_rollouts_py.__version__}"
READ_VERBS = {"get", "list", "watch"}


def documents(path: Path) -> list[dict[str, Any]]:
    return [d for d in yaml.safe_load_all(path.read_text()) if d is not None]


def every_document(paths: list[Path]) -> list[tuple[Path, dict[str, Any]]]:
    return [(p, d) for p in paths for d in documents(p)]


def pod_specs(paths: list[Path]) -> list[tuple[str, dict[str, Any]]]:
    return [(f"{p.relative_to(ROOT)}: {d['metadata']['name']}", d["spec"]["template"]["spec"])
            for p, d in every_document(paths) if d["kind"] == "Deployment"]


def project_containers(paths: list[Path]) -> list[tuple[str, dict[str, Any]]]:
    """The containers that run the image built from deploy/Containerfile."""
    return [(f"{where}/{c['name']}", c) for where, spec in pod_specs(paths) for c in spec["containers"]
            if str(c["image"]).split("/")[-1].startswith("kubectl-rollouts-py:")]


def test_there_are_manifests_and_a_default_set() -> None:
    names = {p.relative_to(DEPLOY).as_posix() for p in MANIFESTS}
    assert {"dashboard.yaml", "recorder.yaml", "optional/actions.yaml", "optional/actions-binding.yaml",
            "optional/impersonation.yaml", "optional/oauth2-proxy.yaml", "optional/ingress.yaml"} <= names


# ------------------------------------------------------------------ kubectl


def test_kubectl_accepts_every_manifest(kubectl: str, tmp_path: Path) -> None:
    with discovery_server() as server:
        proc = kubectl_dry_run(kubectl, server, tmp_path, [DEPLOY], recursive=True)
    assert proc.returncode == 0, proc.stderr
    expected = Counter(dry_run_line(d) for _, d in every_document(MANIFESTS))
    assert Counter(proc.stdout.splitlines()) == expected


def test_the_discovery_server_is_quiet_when_a_client_hangs_up(capsys: pytest.CaptureFixture[str]) -> None:
    """kubectl may drop a kept-alive connection as it exits: no traceback for that, but one
    for anything else."""
    server = _Server(("127.0.0.1", 0), object)  # type: ignore[arg-type]  # the handler is never used
    try:
        for error in (ConnectionResetError(104, "Connection reset by peer"), BrokenPipeError(32, "Broken pipe")):
            try:
                raise error
            except ConnectionError:
                server.handle_error(None, ("127.0.0.1", 1))
        assert capsys.readouterr().err == ""
        try:
            raise ValueError("a real bug")
        except ValueError:
            server.handle_error(None, ("127.0.0.1", 1))
        assert "ValueError: a real bug" in capsys.readouterr().err
    finally:
        server.server_close()


# ------------------------------------------------------------------ fields Kubernetes knows


def _unknown_fields(value: Any, type_name: str, where: str) -> list[str]:
    """Where `value` does not fit the kubernetes client's model `type_name` (unknown fields,
    wrong primitive types)."""
    from kubernetes.client import models

    listed = re.fullmatch(r"(?:List|list)\[(.+)\]", type_name)
    mapped = re.fullmatch(r"(?:Dict\[str, (.+)\]|dict\(str, (.+)\))", type_name)
    if listed:
        if not isinstance(value, list):
            return [f"{where}: expected a list"]
        return [p for i, item in enumerate(value) for p in _unknown_fields(item, listed.group(1), f"{where}[{i}]")]
    if mapped:
        if not isinstance(value, dict):
            return [f"{where}: expected a map"]
        inner = mapped.group(1) or mapped.group(2)
        return [p for k, item in value.items() for p in _unknown_fields(item, inner, f"{where}.{k}")]
    model = getattr(models, type_name, None)
    if model is not None:
        if not isinstance(value, dict):
            return [f"{where}: expected an object ({type_name})"]
        by_json = {json_name: attr for attr, json_name in model.attribute_map.items()}
        problems = [f"{where}.{k}: not a field of {type_name}" for k in value if k not in by_json]
        return problems + [p for k, item in value.items() if k in by_json
                           for p in _unknown_fields(item, model.openapi_types[by_json[k]], f"{where}.{k}")]
    primitive = {"str": str, "bool": bool, "int": int, "float": (int, float)}.get(type_name)
    if primitive is not None and (not isinstance(value, primitive) or (type_name == "int" and isinstance(value, bool))):
        return [f"{where}: expected {type_name}, got {value!r}"]
    return []  # object (int or string), datetime: anything YAML gives


@pytest.mark.parametrize("path", MANIFESTS, ids=lambda p: p.relative_to(DEPLOY).as_posix())
def test_every_field_is_a_kubernetes_field(path: Path) -> None:
    problems = []
    for document in documents(path):
        version = str(document["apiVersion"]).split("/")[-1]
        model = f"{version[0].upper()}{version[1:]}{document['kind']}"
        problems += _unknown_fields(document, model, f"{document['kind']}/{document['metadata']['name']}")
    assert problems == []


def test_the_field_check_finds_a_misspelt_field() -> None:
    container = {"name": "x", "image": "i", "securityContext": {"readOnlyRootFileSystem": True}}
    assert _unknown_fields(container, "V1Container", "c") == ["c.securityContext.readOnlyRootFileSystem: not a field of V1SecurityContext"]
    assert _unknown_fields({"name": "x", "image": "i", "ports": [{"containerPort": "3100"}]}, "V1Container", "c") == [
        "c.ports[0].containerPort: expected int, got '3100'"]


# ------------------------------------------------------------------ roles


def _roles(paths: list[Path]) -> dict[str, dict[str, Any]]:
    return {d["metadata"]["name"]: d for _, d in every_document(paths) if d["kind"] in ("Role", "ClusterRole")}


def _grants(role: dict[str, Any]) -> set[tuple[str, str, str]]:
    return {(g, res, v) for rule in role["rules"] for g in rule["apiGroups"] for res in rule["resources"] for v in rule["verbs"]}


def test_every_role_of_the_default_set_only_reads() -> None:
    roles = _roles(DEFAULT_SET)
    assert roles, "the default set has no role"
    for name, role in roles.items():
        assert "aggregationRule" not in role, name
        for rule in role["rules"]:
            assert set(rule["verbs"]) <= READ_VERBS, (name, rule)
            assert "*" not in rule["resources"] and "*" not in rule["apiGroups"], (name, rule)
            assert "nonResourceURLs" not in rule, (name, rule)
            assert not any("/" in res for res in rule["resources"]), (name, rule)  # no subresources (exec, portforward, ...)
            assert "secrets" not in rule["resources"], (name, rule)


def test_every_binding_of_the_default_set_binds_one_of_its_roles() -> None:
    """A binding to a role defined elsewhere (cluster-admin, edit, ...) would grant more."""
    roles = _roles(DEFAULT_SET)
    bindings = [d for _, d in every_document(DEFAULT_SET) if d["kind"] in ("RoleBinding", "ClusterRoleBinding")]
    assert bindings
    for binding in bindings:
        assert binding["roleRef"]["name"] in roles, binding["metadata"]["name"]
        assert binding["roleRef"]["kind"] == roles[binding["roleRef"]["name"]]["kind"]


def test_the_dashboard_reads_every_kind_the_plugin_reads() -> None:
    """The dashboard follows hub.KINDS live, and its explanations read the rest of the
    plugin's kinds (AnalysisTemplates, ClusterAnalysisTemplates, workloadRef Deployments)."""
    granted = _grants(_roles([DEPLOY / "dashboard.yaml"])["rollouts-dashboard"])
    kinds = {(res.group, res.plural) for res in r.ALL}
    assert {(g, res) for g, res, _ in granted} == kinds
    assert {(g, res, v) for g, res in kinds for v in READ_VERBS} == granted
    assert {(k.group, k.plural) for k in hub.KINDS} <= kinds


def test_the_impersonation_role_only_impersonates_users_and_groups() -> None:
    (role,) = _roles([DEPLOY / "optional" / "impersonation.yaml"]).values()
    assert _grants(role) == {("", "users", "impersonate"), ("", "groups", "impersonate")}


def test_the_optional_bindings_bind_the_dashboards_service_account() -> None:
    for path in (DEPLOY / "optional" / "actions-binding.yaml", DEPLOY / "optional" / "impersonation.yaml"):
        (binding,) = [d for d in documents(path) if d["kind"] == "ClusterRoleBinding"]
        assert binding["subjects"] == [{"kind": "ServiceAccount", "name": "rollouts-dashboard", "namespace": "rollouts-dashboard"}]
    (binding,) = documents(DEPLOY / "optional" / "actions-binding.yaml")
    assert binding["roleRef"]["name"] in _roles([DEPLOY / "optional" / "actions.yaml"])


# ------------------------------------------------------------------ pods


def _containerfile_user() -> tuple[int, int]:
    (user,) = [args for name, args in _instructions(_stages()[-1][1]) if name == "USER"]
    uid, _, gid = user.partition(":")
    return int(uid), int(gid or uid)


@pytest.mark.parametrize(("where", "spec"), pod_specs(MANIFESTS), ids=lambda v: v if isinstance(v, str) else "")
def test_every_pod_runs_locked_down(where: str, spec: dict[str, Any]) -> None:
    pod = spec["securityContext"]
    uid, gid = _containerfile_user()
    assert pod["runAsNonRoot"] is True
    assert (pod["runAsUser"], pod["runAsGroup"]) == (uid, gid)
    assert pod["seccompProfile"] == {"type": "RuntimeDefault"}
    assert spec["serviceAccountName"]
    for container in spec["containers"] + spec.get("initContainers", []):
        context = container["securityContext"]
        assert context["readOnlyRootFilesystem"] is True, container["name"]
        assert context["allowPrivilegeEscalation"] is False, container["name"]
        assert context["capabilities"] == {"drop": ["ALL"]}, container["name"]
        assert "privileged" not in context and "runAsUser" not in context, container["name"]
        assert container["resources"]["requests"]["cpu"] and container["resources"]["requests"]["memory"], container["name"]
        assert container["resources"]["limits"]["memory"], container["name"]
        assert ":" in container["image"] and not container["image"].endswith(":latest"), container["name"]


@pytest.mark.parametrize(("where", "container"), project_containers(MANIFESTS), ids=lambda v: v if isinstance(v, str) else "")
def test_project_containers_run_the_image_of_this_version(where: str, container: dict[str, Any]) -> None:
    assert container["image"] == IMAGE, f"{where}: build and tag the image as {IMAGE} (docs/deploy.md), and name it so here"
    assert "command" not in container, f"{where}: the image's ENTRYPOINT runs the args"
    if container["args"][0] == "record":
        mounted = {m["mountPath"] for m in container["volumeMounts"]}
        assert {"/data", "/tmp"} <= mounted  # the database; HOME and SQLite's temporary files


def _flag(args: list[str], name: str, default: str) -> str:
    return args[args.index(name) + 1] if name in args else default


@pytest.mark.parametrize(("where", "container"), [(w, c) for w, c in project_containers(MANIFESTS) if c["args"][0] == "dashboard"],
                         ids=lambda v: v if isinstance(v, str) else "")
def test_dashboards_probe_health_on_their_port(where: str, container: dict[str, Any]) -> None:
    args = container["args"]
    port = int(_flag(args, "--port", "3100"))
    root = _flag(args, "--root-path", "").rstrip("/")
    (http,) = [p for p in container["ports"] if p["containerPort"] == port]
    assert (container["livenessProbe"]["httpGet"], container["readinessProbe"]["httpGet"]) == (
        {"path": f"{root}/healthz", "port": http["name"]}, {"path": f"{root}/readyz", "port": http["name"]})
    assert _flag(args, "--address", "127.0.0.1") == "0.0.0.0"  # the kubelet probes from outside the pod
    assert {m["mountPath"] for m in container["volumeMounts"]} == {"/tmp"}
    if "--auth" in args:  # behind the sidecar: only the pod's loopback is trusted
        assert _flag(args, "--auth", "token") == "proxy"
        assert [args[i + 1] for i, a in enumerate(args) if a == "--trusted-proxy"] == ["127.0.0.1/32"]
    else:
        assert "--trusted-proxy" not in args


def test_services_select_their_pods_and_target_a_port_they_have() -> None:
    for path in MANIFESTS:
        docs = documents(path)
        for service in (d for d in docs if d["kind"] == "Service"):
            (deployment,) = [d for d in docs if d["kind"] == "Deployment"]
            template = deployment["spec"]["template"]
            assert service["spec"]["type"] == "ClusterIP"
            assert service["spec"]["selector"].items() <= template["metadata"]["labels"].items()
            assert service["spec"]["selector"] == deployment["spec"]["selector"]["matchLabels"]
            names = {p["name"] for c in template["spec"]["containers"] for p in c.get("ports", [])}
            assert {p["targetPort"] for p in service["spec"]["ports"]} <= names


def test_the_oauth2_proxy_sidecar_forwards_to_the_dashboards_loopback_port() -> None:
    (deployment,) = [d for d in documents(DEPLOY / "optional" / "oauth2-proxy.yaml") if d["kind"] == "Deployment"]
    containers = {c["name"]: c for c in deployment["spec"]["template"]["spec"]["containers"]}
    dashboard, proxy = containers["dashboard"]["args"], containers["oauth2-proxy"]["args"]
    options = dict(a.removeprefix("--").split("=", 1) for a in proxy)
    root = _flag(dashboard, "--root-path", "")
    assert options["upstream"] == f"http://127.0.0.1:{_flag(dashboard, '--port', '3100')}{root}/"
    assert options["proxy-prefix"].startswith(root + "/")
    assert options["pass-user-headers"] == "true"
    (service,) = [d for d in documents(DEPLOY / "optional" / "oauth2-proxy.yaml") if d["kind"] == "Service"]
    assert [p["targetPort"] for p in service["spec"]["ports"]] == ["proxy"]  # never the dashboard's own port
    (ingress,) = documents(DEPLOY / "optional" / "ingress.yaml")
    ((path,),) = [rule["http"]["paths"] for rule in ingress["spec"]["rules"]]
    assert (path["path"], path["pathType"]) == (root, "Prefix")
    backend = path["backend"]["service"]
    assert backend["name"] == service["metadata"]["name"]
    assert backend["port"]["name"] in {p["name"] for p in service["spec"]["ports"]}


# ------------------------------------------------------------------ the CLI


def _help(console_script: str, command: str) -> str:
    proc = subprocess.run([console_script, command, "--help"], capture_output=True, text=True, timeout=60,
                          stdin=subprocess.DEVNULL, env={"PATH": "/usr/bin:/bin", "HOME": "/nonexistent"})
    assert proc.returncode == 0, proc.stderr
    return proc.stdout


@pytest.mark.parametrize(("where", "container"), project_containers(MANIFESTS), ids=lambda v: v if isinstance(v, str) else "")
def test_every_flag_a_container_passes_is_one_the_cli_has(console_script: str, where: str, container: dict[str, Any]) -> None:
    command, *args = container["args"]
    shown = _help(console_script, command)
    listed = set(re.findall(r"(?<![\w-])(--?[A-Za-z][\w-]*)", shown))
    flags = [a.split("=", 1)[0] for a in args if a.startswith("-")]
    assert flags
    assert [f for f in flags if f not in listed] == [], f"{where}: `{command} --help` does not list these"


# ------------------------------------------------------------------ Containerfile


def _logical_lines(text: str) -> list[str]:
    """The Containerfile's instructions, continuation lines joined, comments dropped."""
    lines, current = [], ""
    for raw in text.splitlines():
        stripped = raw.strip()
        if stripped.startswith("#") or not stripped:
            continue
        if stripped.endswith("\\"):
            current += stripped[:-1] + " "
            continue
        lines.append(current + stripped)
        current = ""
    assert current == "", "a continuation line ends the file"
    return lines


def _instructions(lines: list[str]) -> list[tuple[str, str]]:
    return [(line.split(None, 1)[0].upper(), line.split(None, 1)[1] if " " in line else "") for line in lines]


def _stages() -> list[tuple[str | None, list[str]]]:
    """(name, lines) of each stage, FROM line first."""
    stages: list[tuple[str | None, list[str]]] = []
    for line in _logical_lines(CONTAINERFILE.read_text()):
        name, args = _instructions([line])[0]
        if name == "FROM":
            words = args.split()
            stages.append((words[2] if len(words) == 3 and words[1].upper() == "AS" else None, []))
        assert stages, "the Containerfile does not start with FROM"
        stages[-1][1].append(line)
    return stages


def _copies(lines: list[str]) -> list[tuple[str | None, list[str], str]]:
    found = []
    for name, args in _instructions(lines):
        if name in ("COPY", "ADD"):
            assert name == "COPY", "ADD fetches and unpacks; COPY is what is meant"
            words = shlex.split(args)
            source = next((w.split("=", 1)[1] for w in words if w.startswith("--from=")), None)
            paths = [w for w in words if not w.startswith("--")]
            found.append((source, paths[:-1], paths[-1]))
    return found


def test_the_containerfile_bases_are_pinned_by_tag() -> None:
    for _, lines in _stages():
        image = _instructions(lines[:1])[0][1].split()[0]
        if "@sha256:" in image:
            continue
        name, _, tag = image.rpartition(":")
        assert name and "/" not in tag and tag not in ("", "latest"), f"unpinned base image {image}"
        assert "$" not in image


def test_the_containerfile_copies_what_the_wheel_is_built_from() -> None:
    stages = _stages()
    names = {n for n, _ in stages if n}
    copied: set[str] = set()
    for _, lines in stages:
        for source, paths, _ in _copies(lines):
            if source is not None:
                assert source in names, f"COPY --from={source}: no such stage"
                continue
            for path in paths:
                assert (ROOT / path).exists(), f"COPY {path}: not in the repository"
                copied.add(path.rstrip("/"))
    setup = configparser.ConfigParser()
    setup.read(ROOT / "setup.cfg")
    needed = {"pyproject.toml", "setup.cfg", *setup["metadata"]["license_files"].split()}
    needed |= {value.split(":", 1)[1].strip() for _, value in setup["metadata"].items() if value.startswith("file:")}
    needed |= {p.strip().removesuffix(".*") for p in setup["options.packages.find"]["include"].split(",") if "." not in p.strip().removesuffix(".*")}
    assert needed <= copied, f"the build stage does not have {sorted(needed - copied)}"
    for other in ("setup.py", "MANIFEST.in"):  # a build would read these too
        assert not (ROOT / other).exists() or other in copied


def test_the_containerfile_runs_as_a_numeric_non_root_user() -> None:
    runtime = _stages()[-1][1]
    users = [args for name, args in _instructions(runtime) if name == "USER"]
    assert len(users) == 1 and re.fullmatch(r"\d+(:\d+)?", users[0]), users
    uid, gid = _containerfile_user()
    assert uid != 0 and gid != 0
    assert [name for name, _ in _instructions(runtime)].index("USER") > max(
        i for i, (name, _) in enumerate(_instructions(runtime)) if name in ("RUN", "COPY"))


def test_the_containerfile_entrypoint_is_the_installed_console_script(console_script: str) -> None:
    stages = _stages()
    runtime = stages[-1][1]
    (entrypoint,) = [args for name, args in _instructions(runtime) if name == "ENTRYPOINT"]
    command = json.loads(entrypoint)  # exec form: no shell in between
    assert isinstance(command, list) and len(command) == 1
    script = Path(command[0])
    setup = configparser.ConfigParser()
    setup.read(ROOT / "setup.cfg")
    scripts = {line.split("=")[0].strip(): line.split("=")[1].strip()
               for line in setup["options.entry_points"]["console_scripts"].strip().splitlines()}
    assert scripts[script.name] == "kubectl_rollouts_py.cli:main"
    assert Path(console_script).name == script.name  # the one the tests run, installed by pip as the image's is
    # The build stage makes the virtual environment the script lives in and installs the
    # project into it; the runtime stage copies that environment to the same place.
    venv = script.parent.parent
    build_runs = " ".join(args for _, lines in stages[:-1] for name, args in _instructions(lines) if name == "RUN")
    assert re.search(rf"-m venv\b[^&]*\s{re.escape(str(venv))}(\s|$)", build_runs)
    assert f"--python {venv}/bin/python install" in build_runs and "kubectl-rollouts-py" in build_runs
    assert any(source and paths == [str(venv)] and target == str(venv) for source, paths, target in _copies(runtime))
    assert not any(name == "SHELL" for name, _ in _instructions(runtime))


def test_the_image_serves_the_dashboards_port() -> None:
    exposed = [args for name, args in _instructions(_stages()[-1][1]) if name == "EXPOSE"]
    ports = {int(_flag(c["args"], "--port", "3100")) for _, c in project_containers(MANIFESTS) if c["args"][0] == "dashboard"}
    assert exposed == [" ".join(str(p) for p in sorted(ports))]
