"""Helpers for the kube tests: kubeconfigs that select either transport.

A token user gets the stdlib transport ("http.client"). The library transport
("kubernetes") is chosen the way a user chooses it: the user is an exec credential plugin,
here a small script that prints an ExecCredential with the token. Nothing is patched.
"""

from __future__ import annotations

import base64
import json
import os
import shutil
import socket
import ssl
import stat
import subprocess
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

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


# -- TLS: certificates from the openssl CLI, and a TLS front for the stand-in server --------


@dataclass(frozen=True)
class PKI:
    """PEM files: a CA, a server certificate it signed (127.0.0.1 and kube.test), a client
    certificate it signed (CN jane), and an unrelated CA."""

    ca: str
    server_cert: str
    server_key: str
    client_cert: str
    client_key: str
    other_ca: str


def make_pki(directory: Path) -> PKI:
    """Generate the PKI with `openssl` (EC keys: fast). Raises FileNotFoundError without it."""
    openssl = shutil.which("openssl")
    if openssl is None:
        raise FileNotFoundError("openssl")

    def run(*args: str) -> None:
        subprocess.run([openssl, *args], check=True, capture_output=True, cwd=directory)

    def new_ca(name: str) -> None:
        run("req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes", "-days", "2",
            "-subj", f"/CN={name}", "-keyout", f"{name}.key", "-out", f"{name}.crt",
            "-addext", "basicConstraints=critical,CA:TRUE", "-addext", "keyUsage=critical,keyCertSign,cRLSign")

    def issue(name: str, subject: str, extensions: str, serial: int) -> None:
        (directory / f"{name}.ext").write_text(extensions)
        run("req", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes", "-subj", subject,
            "-keyout", f"{name}.key", "-out", f"{name}.csr")
        run("x509", "-req", "-in", f"{name}.csr", "-CA", "ca.crt", "-CAkey", "ca.key", "-set_serial", str(serial),
            "-days", "2", "-extfile", f"{name}.ext", "-out", f"{name}.crt")

    new_ca("ca")
    new_ca("other-ca")
    common = "basicConstraints=CA:FALSE\nkeyUsage=critical,digitalSignature\nauthorityKeyIdentifier=keyid\nsubjectKeyIdentifier=hash\n"
    issue("server", "/CN=stand-in", common + "extendedKeyUsage=serverAuth\nsubjectAltName=IP:127.0.0.1,DNS:kube.test\n", 2)
    issue("client", "/CN=jane", common + "extendedKeyUsage=clientAuth\n", 3)
    d = str(directory)
    return PKI(
        ca=f"{d}/ca.crt", server_cert=f"{d}/server.crt", server_key=f"{d}/server.key",
        client_cert=f"{d}/client.crt", client_key=f"{d}/client.key", other_ca=f"{d}/other-ca.crt",
    )


def b64_file(path: str) -> str:
    """A file's content as kubeconfig `*-data` wants it."""
    with open(path, "rb") as handle:
        return base64.b64encode(handle.read()).decode()


class TLSFront:
    """Terminates TLS on loopback and pipes the bytes to a plain-HTTP server (the stand-in).

    The stand-in speaks plain HTTP only; this puts real TLS, with the test PKI and
    optionally a required client certificate, in front of it. `url` is the https URL.
    """

    def __init__(self, upstream_url: str, pki: PKI, *, require_client_cert: bool = False) -> None:
        upstream = urlsplit(upstream_url)
        self._upstream = (upstream.hostname or "127.0.0.1", upstream.port or 80)
        self._context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        self._context.load_cert_chain(pki.server_cert, pki.server_key)
        if require_client_cert:
            self._context.verify_mode = ssl.CERT_REQUIRED
            self._context.load_verify_locations(cafile=pki.ca)
        self._listener = socket.create_server(("127.0.0.1", 0))
        self.port = self._listener.getsockname()[1]
        self.url = f"https://127.0.0.1:{self.port}"
        self._sockets: list[socket.socket] = []
        self._lock = threading.Lock()
        threading.Thread(target=self._accept, daemon=True).start()

    def close(self) -> None:
        """End every connection and the listener. Sockets are only shut down here, and each is
        closed by the thread that uses it: a descriptor closed under another thread's TLS call
        goes to the next socket, which then receives that call's alert (a TLS record in front
        of another test's HTTP request)."""
        _shut(self._listener)  # wakes the accept, whose thread closes the listener
        with self._lock:
            sockets, self._sockets = self._sockets, []
        for sock in sockets:
            _shut(sock)

    def __enter__(self) -> TLSFront:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def _track(self, sock: socket.socket) -> socket.socket:
        with self._lock:
            self._sockets.append(sock)
        return sock

    def _accept(self) -> None:
        try:
            while True:
                try:
                    conn, _ = self._listener.accept()
                except OSError:
                    return
                threading.Thread(target=self._serve, args=(self._track(conn),), daemon=True).start()
        finally:
            self._listener.close()

    def _serve(self, conn: socket.socket) -> None:
        conn.settimeout(5)
        try:
            tls = self._track(self._context.wrap_socket(conn, server_side=True, do_handshake_on_connect=False))
        except (OSError, ssl.SSLError):
            conn.close()
            return
        try:
            tls.do_handshake()
            tls.settimeout(None)
            upstream = self._track(socket.create_connection(self._upstream, timeout=5))
            upstream.settimeout(None)
        except (OSError, ssl.SSLError):
            # The alert is sent; read what the client sent before closing, because closing
            # with unread data makes the kernel send a reset that can overtake the alert.
            try:
                tls.settimeout(1)
                while socket.socket.recv(tls, 65536):
                    pass
            except OSError:
                pass
            tls.close()
            return
        back = threading.Thread(target=_pipe, args=(upstream, tls), daemon=True)
        back.start()
        _pipe(tls, upstream)
        back.join()  # both directions are done with the sockets: this thread closes them
        tls.close()
        upstream.close()


def _shut(sock: socket.socket) -> None:
    """The plain socket's shutdown (SSLSocket's would drop its SSL object under a reader)."""
    try:
        socket.socket.shutdown(sock, socket.SHUT_RDWR)
    except OSError:
        pass


def _pipe(source: socket.socket, target: socket.socket) -> None:
    """Copy bytes until either side ends, then end both."""
    try:
        while data := source.recv(65536):
            target.sendall(data)
    except (OSError, ssl.SSLError):
        pass
    for sock in (source, target):
        try:
            # The plain socket's shutdown: SSLSocket's would drop its SSL object under the
            # other pipe thread's read.
            socket.socket.shutdown(sock, socket.SHUT_RDWR)
        except (OSError, ssl.SSLError):
            pass
