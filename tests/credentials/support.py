"""Sentinel credentials, and servers that try hard to make the CLI print them.

Every credential the CLI can be given is a distinct, recognisable sentinel, so a leak says
which source it came from. `leaked(text)` names every sentinel (or encoded form of one)
found in a text; the tests assert it finds none in stdout or stderr.

`EchoServer` is the hostile API server (or Prometheus): it answers every request with a
chosen status and a body that repeats the request's headers back, `Authorization` first,
as a Kubernetes Status message, a plain-text line, or an HTML page. It records what it was
sent, so a test can also check the credential really reached it (else a test that finds no
sentinel in the output proves nothing).
"""

from __future__ import annotations

import base64
import json
import stat
import threading
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

# One sentinel per source. They look like tokens (letters, digits, dashes), so no quoting
# or escaping on the way out could hide a leak from a plain substring search.
TOKEN = "SENTINEL-TOKEN-7f3a9c1e5b"
FLAG_TOKEN = "SENTINEL-FLAGTOKEN-2c6e0a"
TOKEN_FILE = "SENTINEL-TOKENFILE-b42d8e"
USERNAME = "sentinel-user-3d9f"
PASSWORD = "SENTINEL-PASSWORD-5e1c7a"
EXEC_TOKEN = "SENTINEL-EXECTOKEN-c8a1f4"
EXEC_STDOUT = "SENTINEL-EXECSTDOUT-91bd2e"
OIDC_SIGNATURE = "SENTINEL-OIDC-d0e7c3"
OIDC_CLIENT_SECRET = "SENTINEL-OIDCSECRET-4f8b"
OIDC_REFRESH = "SENTINEL-OIDCREFRESH-6a2d"
PROXY_PASSWORD = "SENTINEL-PROXYPASS-0b5c7e"
URL_PASSWORD = "SENTINEL-URLPASS-e3f1a9"
SECRET_VALUE = "SENTINEL-SECRET-9b7e2f61"
PROM_PASSWORD = "SENTINEL-PROMPASS-7c2a"
PROM_TOKEN = "SENTINEL-PROMTOKEN-a81f"

ALL = (TOKEN, FLAG_TOKEN, TOKEN_FILE, PASSWORD, EXEC_TOKEN, EXEC_STDOUT, OIDC_SIGNATURE, OIDC_CLIENT_SECRET,
       OIDC_REFRESH, PROXY_PASSWORD, URL_PASSWORD, SECRET_VALUE, PROM_PASSWORD, PROM_TOKEN)

# Credentials that are not sentinels themselves (encoded forms, a JWT, key material): any
# CHUNK-character piece of one in the output is a leak, so one cut short is still found.
CHUNK = 16
_WATCHED: dict[str, str] = {}
_watched_lock = threading.Lock()


def watch_for(text: str, label: str) -> None:
    """Also look for every CHUNK-long piece of `text` (at steps of 4) in `leaked`."""
    with _watched_lock:
        for start in range(0, max(1, len(text) - CHUNK + 1), 4):
            _WATCHED.setdefault(text[start : start + CHUNK], label)


watch_for(base64.b64encode(f"{USERNAME}:{PASSWORD}".encode()).decode()[24:], "basic auth header of USERNAME:PASSWORD")
watch_for(base64.b64encode(SECRET_VALUE.encode()).decode(), "base64 of SECRET_VALUE")
watch_for(base64.b64encode(f"prom:{PROM_PASSWORD}".encode()).decode(), "basic auth header of prom:PROM_PASSWORD")


def leaked(*texts: str) -> list[str]:
    """The sentinels, pieces of sentinels ("SENTINEL-") and watched pieces found in `texts`."""
    joined = "\n".join(texts)
    with _watched_lock:
        watched = dict(_WATCHED)
    found = [s for s in ALL if s in joined]
    if not found and "SENTINEL-" in joined:
        found.append("a piece of a sentinel")
    found += sorted({f"a piece of the {label}" for piece, label in watched.items() if piece in joined})
    return found


def assert_no_leak(result: Any, *, context: str = "") -> None:
    """Neither stdout nor stderr of a CLI run holds a sentinel."""
    found = leaked(result.out, result.err)
    assert not found, f"{context}: leaked {found}\n--- stdout\n{result.out[:3000]}\n--- stderr\n{result.err[:3000]}"


def watch_key(pem: str, label: str) -> None:
    """Watch a PEM key's base64 body and the base64 of the whole PEM (`client-key-data`)."""
    body = "".join(line for line in pem.splitlines() if line and not line.startswith("-----"))
    watch_for(body, label)
    watch_for(base64.b64encode(pem.encode()).decode()[28:], label)  # past the "-----BEGIN" header


# ------------------------------------------------------------------ kubeconfigs


def kubeconfig(path: Path, server: str, user: dict[str, Any], *, cluster: dict[str, Any] | None = None,
               namespace: str = "ithome") -> Path:
    """A one-context kubeconfig for `server` with exactly this user entry."""
    from tests.kube.support import write_kubeconfig

    # "http.client" adds nothing to the user entry; which transport runs is the entry's choice.
    write_kubeconfig(path, server, transport="http.client", namespace=namespace, cluster=cluster, user=user)
    return path


def exec_plugin(directory: Path, name: str, *, stdout: str, stderr: str = "", code: int = 0) -> str:
    """An executable exec credential plugin that prints `stdout` and `stderr` and exits `code`."""
    path = directory / name
    path.write_text(
        "#!/usr/bin/env python3\nimport sys\n"
        f"sys.stdout.write({stdout!r})\nsys.stderr.write({stderr!r})\nsys.exit({code})\n"
    )
    path.chmod(path.stat().st_mode | stat.S_IXUSR)
    return str(path)


def exec_credential(token: str) -> str:
    return json.dumps({"apiVersion": "client.authentication.k8s.io/v1", "kind": "ExecCredential", "status": {"token": token}})


def exec_user(command: str) -> dict[str, Any]:
    return {"exec": {"apiVersion": "client.authentication.k8s.io/v1", "command": command, "interactiveMode": "Never"}}


def oidc_id_token(signature: str) -> str:
    """An unexpired JWT-shaped id-token whose signature part is the sentinel (the library
    only decodes the payload for its expiry)."""

    def part(obj: dict[str, Any]) -> str:
        return base64.urlsafe_b64encode(json.dumps(obj).encode()).decode().rstrip("=")

    return f"{part({'alg': 'RS256', 'typ': 'JWT'})}.{part({'iss': 'https://issuer.test', 'exp': 4102444800})}.{signature}"


# ------------------------------------------------------------------ the hostile server


@dataclass
class Seen:
    method: str
    path: str
    headers: dict[str, str]


@dataclass
class EchoServer:
    """Answers `status` with the request's headers echoed in the body.

    `style`: status (a Kubernetes Status), plain (one text line), html, prometheus (an
    API error envelope), or json200: 200 with a body that is not JSON but holds the headers
    (a broken proxy), which the CLI reports as "not JSON" with a snippet of the body.
    A GET of a path in `answers` (or a request matching a "METHOD /path" key) gets that
    object instead, with 200 (so a write can be reached, or a query answered).
    """

    status: int = 500
    style: str = "status"
    answers: dict[str, Any] = field(default_factory=dict)  # GET path -> a JSON object to answer 200 with
    seen: list[Seen] = field(default_factory=list)
    url: str = ""

    def __post_init__(self) -> None:
        echo = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def _serve(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                form = self.rfile.read(length).decode("utf-8", "replace") if length else ""
                headers = {k: v for k, v in self.headers.items()}
                echo.seen.append(Seen(self.command, self.path, headers))
                # Authorization first: a body cut short still holds it.
                ordered = sorted(headers.items(), key=lambda kv: kv[0].lower() != "authorization")
                said = "; ".join(f"{k}: {v}" for k, v in ordered)
                # The short styles hold the credential alone, so that no length limit on
                # what the CLI repeats hides it (a plain line is shown up to 200 characters).
                credential = next((v for k, v in ordered if k.lower() == "authorization"), "")
                status, content_type = echo.status, "application/json"
                path = self.path.split("?", 1)[0]
                answer = echo.answers.get(path) if self.command == "GET" else echo.answers.get(f"{self.command} {path}")
                if answer is not None:
                    status, body = 200, json.dumps(answer)
                elif echo.style == "status":
                    body = json.dumps({"kind": "Status", "apiVersion": "v1", "status": "Failure", "code": status,
                                       "reason": "InternalError", "message": f"request rejected ({said})"})
                elif echo.style == "plain":
                    body, content_type = f"rejected {credential}", "text/plain"
                elif echo.style == "html":
                    body, content_type = f"<html><body><h1>{status}</h1><pre>{said}</pre></body></html>", "text/html"
                elif echo.style == "prometheus":
                    # Prometheus quotes the query in its parse errors: echo it, raw and decoded.
                    from urllib.parse import unquote_plus

                    error = f"rejected {said}; query {form}; decoded {unquote_plus(form)}"
                    body = json.dumps({"status": "error", "errorType": "bad_data", "error": error})
                else:  # json200
                    status, body = 200, f"{credential} oops"
                data = body.encode()
                self.send_response(status)
                self.send_header("Content-Type", content_type)
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            do_GET = do_POST = do_PATCH = do_PUT = do_DELETE = _serve  # noqa: N815

            def log_message(self, format: str, *args: object) -> None:  # noqa: A002
                pass

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self._server.server_address[1]}"
        self._thread = threading.Thread(target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
        self._thread.start()

    def authorizations(self) -> list[str]:
        return [v for seen in self.seen for k, v in seen.headers.items() if k.lower() == "authorization"]

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()
