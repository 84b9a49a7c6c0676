"""A discovery-only API server for `kubectl apply --dry-run=client` of the manifests in deploy/.

kubectl maps every kind to its resource through discovery, even for a client-side dry run,
so the dry run needs a server that answers /api, /apis and each group's resource list. Every
object is "not found" (404), so kubectl reports each one as created. Nothing else is served,
nothing is stored, and it listens on loopback only.

    with discovery_server() as server:
        result = kubectl_dry_run(kubectl, server, tmp_path, [path, ...])
"""

from __future__ import annotations

import json
import subprocess
import threading
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import yaml

# group -> (version, [(plural, kind, namespaced)]): the kinds the manifests use.
GROUPS: dict[str, tuple[str, list[tuple[str, str, bool]]]] = {
    "": ("v1", [("namespaces", "Namespace", False), ("serviceaccounts", "ServiceAccount", True),
                ("persistentvolumeclaims", "PersistentVolumeClaim", True), ("pods", "Pod", True),
                ("services", "Service", True), ("secrets", "Secret", True), ("configmaps", "ConfigMap", True)]),
    "apps": ("v1", [("deployments", "Deployment", True), ("replicasets", "ReplicaSet", True)]),
    "rbac.authorization.k8s.io": ("v1", [("clusterroles", "ClusterRole", False), ("clusterrolebindings", "ClusterRoleBinding", False),
                                         ("roles", "Role", True), ("rolebindings", "RoleBinding", True)]),
    "networking.k8s.io": ("v1", [("ingresses", "Ingress", True), ("networkpolicies", "NetworkPolicy", True)]),
}


def _resource_list(group: str) -> dict[str, Any]:
    version, resources = GROUPS[group]
    return {"kind": "APIResourceList", "apiVersion": "v1", "groupVersion": f"{group}/{version}" if group else version,
            "resources": [{"name": n, "singularName": k.lower(), "namespaced": ns, "kind": k,
                           "verbs": ["create", "delete", "get", "list", "patch", "update", "watch"]} for n, k, ns in resources]}


class _Discovery(BaseHTTPRequestHandler):
    def log_message(self, *args: object) -> None:
        pass

    def _send(self, status: int, body: dict[str, Any]) -> None:
        data = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def do_GET(self) -> None:  # noqa: N802
        path = self.path.split("?")[0]
        if path == "/api":
            self._send(200, {"kind": "APIVersions", "versions": ["v1"]})
        elif path == "/apis":
            self._send(200, {"kind": "APIGroupList", "apiVersion": "v1", "groups": [
                {"name": g, "versions": [{"groupVersion": f"{g}/{v}", "version": v}],
                 "preferredVersion": {"groupVersion": f"{g}/{v}", "version": v}} for g, (v, _) in GROUPS.items() if g]})
        elif path == "/api/v1":
            self._send(200, _resource_list(""))
        elif any(path == f"/apis/{g}/{v}" for g, (v, _) in GROUPS.items() if g):
            self._send(200, _resource_list(path.split("/")[2]))
        else:  # every object: not there yet, so a dry run "creates" it
            self._send(404, {"kind": "Status", "apiVersion": "v1", "status": "Failure", "reason": "NotFound", "code": 404})


class _Server(ThreadingHTTPServer):
    daemon_threads = True

    def handle_error(self, request: Any, client_address: Any) -> None:
        """A client that hangs up (kubectl closing a kept-alive connection as it exits) is
        not an error worth a traceback on the test's output; anything else still is."""
        import sys

        if isinstance(sys.exc_info()[1], ConnectionError):  # reset, broken pipe, aborted
            return
        super().handle_error(request, client_address)


@contextmanager
def discovery_server() -> Iterator[ThreadingHTTPServer]:
    """The server, serving on a free loopback port until the block ends."""
    server = _Server(("127.0.0.1", 0), _Discovery)
    thread = threading.Thread(target=server.serve_forever, name="kubectl-discovery", daemon=True)
    thread.start()
    try:
        yield server
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=10)


def write_kubeconfig(server: ThreadingHTTPServer, path: Path) -> Path:
    """A kubeconfig whose one context points at `server` (no credentials)."""
    path.write_text(yaml.safe_dump({
        "apiVersion": "v1", "kind": "Config", "current-context": "c",
        "clusters": [{"name": "c", "cluster": {"server": f"http://127.0.0.1:{server.server_address[1]}"}}],
        "users": [{"name": "u", "user": {}}], "contexts": [{"name": "c", "context": {"cluster": "c", "user": "u"}}]}))
    return path


def kubectl_dry_run(kubectl: str, server: ThreadingHTTPServer, home: Path, paths: Sequence[Path],
                    *, recursive: bool = False) -> subprocess.CompletedProcess[str]:
    """`kubectl apply --dry-run=client -f PATH...` against `server`, with `home` as HOME (its
    cache goes there) and nothing from this process's environment.

    --validate=false: validation would fetch the server's OpenAPI schema, which this server
    does not have; tests check the fields themselves (see test_deploy_manifests.py).
    """
    kubeconfig = write_kubeconfig(server, home / "kubeconfig")
    args = [kubectl, "apply", "--dry-run=client", "--validate=false"]
    if recursive:
        args.append("--recursive")
    for path in paths:
        args += ["-f", str(path)]
    return subprocess.run(args, capture_output=True, text=True, timeout=120, stdin=subprocess.DEVNULL,
                          env={"KUBECONFIG": str(kubeconfig), "HOME": str(home), "PATH": "/usr/bin:/bin"})


def dry_run_line(document: dict[str, Any]) -> str:
    """What kubectl prints for one object a client dry run creates: `deployment.apps/NAME created (dry run)`."""
    api_version = str(document["apiVersion"])
    group = api_version.split("/")[0] if "/" in api_version else ""
    kind = str(document["kind"]).lower()
    return f"{kind}.{group}/{document['metadata']['name']} created (dry run)" if group else \
        f"{kind}/{document['metadata']['name']} created (dry run)"
