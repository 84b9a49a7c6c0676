"""Helpers for the kube tests: kubeconfigs that select either transport.

A token user gets the stdlib transport ("http.client"). The library transport
("kubernetes") is chosen the way a user chooses it: the user is an exec credential plugin,
here a small script that prints an ExecCredential with the token. Nothing is patched.
"""

from __future__ import annotations

import json
import os
import stat
from pathlib import Path
from typing import Any

TRANSPORTS = ("http.client", "kubernetes")

# Only HOME matters to kubeconfig resolution when --kubeconfig is given; none of ours exists.
NO_HOME = {"HOME": "/nonexistent-home"}


def write_exec_plugin(directory: Path, token: str) -> str:
    """An executable exec credential plugin that prints `token` in an ExecCredential."""
    credential = {"apiVersion": "client.authentication.k8s.io/v1", "kind": "ExecCredential", "status": {"token": token}}
    path = directory / f"exec-plugin-{len(list(directory.glob('exec-plugin-*')))}"
    path.write_text(f"#!/usr/bin/env python3\nprint({json.dumps(json.dumps(credential))})\n")
    path.chmod(path.stat().st_mode | stat.S_IXUSR)
    return str(path)


def write_kubeconfig(
    path: Path,
    server: str,
    *,
    transport: str,
    token: str | None = None,
    namespace: str = "default",
    cluster: dict[str, Any] | None = None,
    user: dict[str, Any] | None = None,
) -> str:
    """A kubeconfig for `server` whose user makes ClusterSource pick `transport`.

    `token` is sent as a bearer token (from the kubeconfig, or from an exec plugin for the
    library transport); `cluster` and `user` add fields to those entries. JSON is YAML.
    """
    user_body: dict[str, Any] = dict(user or {})
    if transport == "kubernetes":
        user_body["exec"] = {
            "apiVersion": "client.authentication.k8s.io/v1",
            "command": write_exec_plugin(path.parent, token or "unused-token"),
            "interactiveMode": "Never",
        }
    elif transport == "http.client":
        if token is not None:
            user_body["token"] = token
    else:
        raise ValueError(f"unknown transport {transport!r}")
    config = {
        "apiVersion": "v1",
        "kind": "Config",
        "current-context": "test",
        "contexts": [{"name": "test", "context": {"cluster": "test", "user": "test", "namespace": namespace}}],
        "clusters": [{"name": "test", "cluster": {"server": server, **(cluster or {})}}],
        "users": [{"name": "test", "user": user_body}],
    }
    path.write_text(json.dumps(config, indent=1))
    os.chmod(path, 0o600)
    return str(path)
