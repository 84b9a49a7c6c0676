"""HTTP: the threaded server, the request handler and its routing."""

from __future__ import annotations

import contextlib
import json
import socket
import sys
import threading
import time
import traceback
from collections.abc import Sequence
from dataclasses import dataclass
from email.message import Message
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qsl, urlsplit

from ..quiet_http import QuietThreadingHTTPServer
from .errors import StatusError, bad_request, endpoint_not_found, invalid, method_not_allowed, status_details
from .faults import DropConnection
from .jsondata import JSON, encode, parse_bool
from .patching import STRATEGIC, applying, apply_merge, patch_function, replacing
from .resources import GROUP_VERSIONS, VERSION_INFO, ResourceType, Target, discovery_document, resolve_target, resource_list, root_paths
from .selectors import FieldRequirement, Selector, parse_label_selector, selector_from_query
from .store import check_body, namespace_of, scale_view
from .watch import WatchStreams

if TYPE_CHECKING:
    from .server import APIServer


@dataclass(frozen=True)
class RecordedRequest:
    """One request as the server received it (recorded before authentication)."""

    method: str
    path: str  # without the query string
    query: dict[str, str]  # the last value wins for repeated parameters
    content_type: str  # the media type only, lower-case, "" when absent
    body: bytes
    headers: Message  # case-insensitive .get()

    def json(self) -> Any:
        return json.loads(self.body)


def parse_json(body: bytes) -> Any:
    try:
        return json.loads(body)
    except (ValueError, UnicodeDecodeError) as exc:
        raise bad_request(f"the request body is not valid JSON: {exc}") from None


class StandInHTTPServer(QuietThreadingHTTPServer):
    """An HTTP server that knows its APIServer and can close its live connections."""

    def __init__(self, address: tuple[str, int], api: APIServer) -> None:
        self.api = api
        self.connections: set[socket.socket] = set()
        self.connections_lock = threading.Lock()
        self.closed = False  # close_connections() ran: a connection that comes later is cut at once
        if ":" in address[0]:
            self.address_family = socket.AF_INET6
        super().__init__(address, _Handler)

    def track(self, conn: socket.socket, alive: bool) -> None:
        with self.connections_lock:
            (self.connections.add if alive else self.connections.discard)(conn)
            late = alive and self.closed
        if late:
            # Accepted just before the server stopped, its handler started after the
            # connections were cut: it must not go on serving from a stopped server (a client
            # would see a server that answers lists and ends every watch, never an outage).
            with contextlib.suppress(OSError):
                conn.shutdown(socket.SHUT_RDWR)

    def close_connections(self) -> None:
        with self.connections_lock:
            self.closed = True
            live = list(self.connections)
        for conn in live:
            with contextlib.suppress(OSError):
                conn.shutdown(socket.SHUT_RDWR)

    def poke(self) -> None:
        host, port = self.server_address[:2]
        with contextlib.suppress(OSError):
            socket.create_connection((str(host), int(port)), timeout=0.2).close()


class _Handler(WatchStreams):
    """One connection. Every request's body is read in full before anything is answered,
    because an unread body (kubectl sends one with DELETE) corrupts keep-alive."""

    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True  # headers and body go out in separate writes
    server_version = "stand-in-apiserver"
    sys_version = ""
    server: StandInHTTPServer

    def setup(self) -> None:
        super().setup()
        self.server.track(self.connection, True)

    def finish(self) -> None:
        try:
            super().finish()
        finally:
            self.server.track(self.connection, False)

    def do_GET(self) -> None:
        self._serve("GET")

    def do_POST(self) -> None:
        self._serve("POST")

    def do_PUT(self) -> None:
        self._serve("PUT")

    def do_PATCH(self) -> None:
        self._serve("PATCH")

    def do_DELETE(self) -> None:
        self._serve("DELETE")

    def do_HEAD(self) -> None:
        self._serve("HEAD")

    def do_OPTIONS(self) -> None:
        self._serve("OPTIONS")

    def log_message(self, format: str, *args: Any) -> None:  # the base class's parameter name
        if self.server.api.log_requests:
            sys.stderr.write(f"stand-in-apiserver: {format % args}\n")

    # -- request handling

    def _serve(self, method: str) -> None:
        self._streaming = False
        try:
            body = self._read_body()
        except (ValueError, OSError):
            self.close_connection = True
            self._send_json(400, encode(bad_request("unreadable request body").to_status()))
            return
        split = urlsplit(self.path)
        query = dict(parse_qsl(split.query, keep_blank_values=True))
        content_type = (self.headers.get("Content-Type") or "").split(";")[0].strip().lower()
        api = self.server.api
        api.note_request(RecordedRequest(method, split.path, query, content_type, body, self.headers))
        watch = parse_bool(query.get("watch")) or "/watch/" in split.path
        self._fault = api.take_fault(method, split.path, watch)
        try:
            api.authenticate(self.headers.get("Authorization"))
            if self._fault is not None:
                if self._fault.kind == "status":
                    raise self._fault.status_error(method, split.path)
                if self._fault.kind == "drop" and not self._fault.after_processing:
                    raise DropConnection()
            self._route(method, split.path, query, content_type, body)
        except StatusError as err:
            self._fail(err)
        except DropConnection:
            self._hang_up()
        except (BrokenPipeError, ConnectionResetError):
            self.close_connection = True
        except Exception:  # a bug here must not kill the connection silently
            traceback.print_exc()
            self._fail(StatusError(500, "InternalError", "an internal error occurred in the stand-in API server"))

    def _fail(self, err: StatusError) -> None:
        if self._streaming:  # too late for a status line; the client sees the stream end
            self.close_connection = True
        else:
            self._send_json(err.code, encode(err.to_status()), retry_after=err.retry_after)

    def _read_body(self) -> bytes:
        if "chunked" in (self.headers.get("Transfer-Encoding") or "").lower():
            chunks: list[bytes] = []
            while True:
                size = int(self.rfile.readline().split(b";")[0].strip() or b"0", 16)
                if size == 0:
                    while self.rfile.readline() not in (b"\r\n", b"\n", b""):
                        pass  # trailers
                    return b"".join(chunks)
                chunks.append(self.rfile.read(size))
                self.rfile.readline()
        length = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(length) if length > 0 else b""

    def _send_json(
        self, code: int, body: bytes, content_type: str = "application/json", *, retry_after: str | None = None
    ) -> None:
        fault, self._fault = getattr(self, "_fault", None), None  # a fault applies to one answer only
        if fault is not None and fault.kind == "delay":
            self._pause(fault.seconds)
        if fault is not None and fault.kind == "malformed":
            code, body, content_type = 200, b'{"kind": "Status", "apiVersion": "v1", "metadata": {<html>oops', "application/json"
        self.send_response(code)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        if retry_after is not None:
            self.send_header("Retry-After", retry_after)
        if self.close_connection:
            self.send_header("Connection", "close")
        self.end_headers()
        if fault is not None and fault.kind == "drop":
            self.wfile.write(body[: len(body) // 2])  # the rest never comes
            return self._hang_up()
        if fault is not None and fault.kind == "drip" and self.command != "HEAD":
            return self._drip(body, fault.seconds)
        if self.command != "HEAD":
            self.wfile.write(body)

    def _drip(self, body: bytes, interval: float) -> None:
        """Send `body` one byte every `interval` seconds (a Fault.drip); stop() cuts it short."""
        store = self.server.api.store
        for index in range(len(body)):
            self.wfile.write(body[index:index + 1])
            self.wfile.flush()
            self._pause(interval)
            if store.stopping:
                return self._hang_up()

    def _pause(self, seconds: float) -> None:
        """Hold an answer back; stop() cuts the wait short."""
        store = self.server.api.store
        deadline = time.monotonic() + seconds
        with store.cond:
            while not store.stopping and time.monotonic() < deadline:
                store.cond.wait(max(0.0, deadline - time.monotonic()))

    def _route(self, method: str, path: str, query: dict[str, str], content_type: str, body: bytes) -> None:
        segments = [s for s in path.split("/") if s]
        if len(segments) >= 2 and segments[0] == "api":
            group, version, rest = "", segments[1], segments[2:]
        elif len(segments) >= 3 and segments[0] == "apis":
            group, version, rest = segments[1], segments[2], segments[3:]
        else:
            return self._serve_discovery(method, segments)
        if version not in GROUP_VERSIONS.get(group, []):
            raise endpoint_not_found()
        if not rest:
            if method != "GET":
                raise method_not_allowed()
            return self._send_json(200, encode(resource_list(group, version)))
        watch_path = rest[0] == "watch"  # the legacy /watch/ prefix
        target = resolve_target(group, version, rest[1:] if watch_path else rest)
        self._serve_resource(method, target, query, content_type, body, watch_path)

    def _serve_discovery(self, method: str, segments: list[str]) -> None:
        if method != "GET":
            raise method_not_allowed()
        if segments in (["healthz"], ["livez"], ["readyz"]):
            return self._send_json(200, b"ok", "text/plain; charset=utf-8")
        if segments == ["version"]:
            return self._send_json(200, encode(VERSION_INFO))
        if not segments:
            return self._send_json(200, encode({"paths": root_paths()}))
        self._send_json(200, encode(discovery_document(segments, self.server.server_address)))

    def _serve_resource(
        self, method: str, target: Target, query: dict[str, str], content_type: str, body: bytes, watch_path: bool
    ) -> None:
        api = self.server.api
        rtype = target.rtype
        dry_run = query.get("dryRun") == "All"
        if target.name is None:
            watching = watch_path or parse_bool(query.get("watch"))
            collection_verbs = {"GET": "watch" if watching else "list", "POST": "create", "DELETE": "deletecollection"}
            verb = collection_verbs.get(method)
            if verb is None or (verb == "create" and rtype.namespaced and target.namespace is None):
                raise method_not_allowed()
            api.authorize(verb, target, self.headers.get("Impersonate-User"))
            if verb == "create":
                entry = api.create(rtype, target.ns, parse_json(body), dry_run=dry_run)
                return self._send_json(201, entry.raw)
            selector = selector_from_query(query, rtype)
            if verb == "watch":
                return self._stream_watch(target, query, selector)
            if verb == "list":
                return self._send_json(200, _list_body(api, target, selector))
            return self._delete_collection(target, selector, body, dry_run)
        verb = {"GET": "get", "PUT": "update", "PATCH": "patch", "DELETE": "delete"}.get(method)
        if verb is None or (verb == "delete" and target.subresource):
            raise method_not_allowed()
        if watch_path:  # /watch/.../name: a single-object watch
            fields = (FieldRequirement("metadata.name", "=", target.name),)
            whole = Target(rtype, target.namespace, None, None)
            api.authorize("watch", whole, self.headers.get("Impersonate-User"))
            labels = parse_label_selector(query.get("labelSelector", ""))
            return self._stream_watch(whole, query, Selector(labels, fields))
        api.authorize(verb, target, self.headers.get("Impersonate-User"))
        if target.subresource == "scale":
            return self._serve_scale(verb, target, content_type, body, dry_run)
        if verb == "get":
            with api.store.cond:
                entry = api.require(rtype, target.ns, target.name)
            return self._send_json(200, entry.raw)
        if verb == "delete":
            return self._serve_delete(target, body, query, dry_run)
        if verb == "update":
            candidate = check_body(rtype, target.ns, parse_json(body))
            if candidate["metadata"].get("name", target.name) != target.name:
                raise bad_request(
                    f"the name of the object ({candidate['metadata']['name']}) "
                    f"does not match the name on the URL ({target.name})"
                )
            entry = api.update(
                target, replacing(candidate), subresource=target.subresource, require_rv=True, dry_run=dry_run
            )
            return self._send_json(200, entry.raw)
        apply = patch_function(content_type, rtype)
        patch = parse_json(body)
        entry = api.update(
            target, applying(apply, patch), subresource=target.subresource, require_rv=False, dry_run=dry_run
        )
        self._send_json(200, entry.raw)

    def _serve_delete(self, target: Target, body: bytes, query: dict[str, str], dry_run: bool) -> None:
        options = parse_json(body) if body.strip() else {}
        if not isinstance(options, dict):
            raise bad_request("DeleteOptions must be a JSON object")
        dry_run = dry_run or options.get("dryRun") == ["All"]
        entry, gone = self.server.api.delete(target, options, dry_run=dry_run)
        rtype = target.rtype
        if gone and rtype.kind != "Pod":
            # Like the real server: custom resources and most built-ins answer a finished
            # delete with a Status; pods (and anything still finalizing) with the object.
            details = status_details(rtype, target.name)
            details["uid"] = entry.obj["metadata"].get("uid")
            status = {"kind": "Status", "apiVersion": "v1", "metadata": {}, "status": "Success", "details": details}
            return self._send_json(200, encode(status))
        self._send_json(200, entry.raw)

    def _delete_collection(self, target: Target, selector: Selector, body: bytes, dry_run: bool) -> None:
        api = self.server.api
        options = parse_json(body) if body.strip() else {}
        if not isinstance(options, dict):
            raise bad_request("DeleteOptions must be a JSON object")
        with api.store.cond:
            names = [
                (namespace_of(e.obj), e.obj["metadata"]["name"])
                for e in api.store.items(target.rtype, target.namespace)
                if selector.matches(e.obj)
            ]
            raws = [
                api.delete(Target(target.rtype, ns or None, name, None), options, dry_run=dry_run)[0].raw
                for ns, name in names
            ]
            rv = api.store.rv
        self._send_json(200, _list_envelope(target.rtype, rv, raws))

    def _serve_scale(self, verb: str, target: Target, content_type: str, body: bytes, dry_run: bool) -> None:
        api = self.server.api
        rtype = target.rtype
        if verb == "get":
            with api.store.cond:
                entry = api.require(rtype, target.ns, str(target.name))
            return self._send_json(200, encode(scale_view(rtype, entry.obj)))
        sent = parse_json(body)
        if verb == "update":
            change = replacing(sent)
        else:
            # Scale is a built-in type even for a custom resource, so SMP is accepted here.
            apply = apply_merge if content_type == STRATEGIC else patch_function(content_type, rtype)
            change = applying(apply, sent)

        def scaled(current: JSON) -> JSON:
            scale = change(scale_view(rtype, current))
            replicas = (scale.get("spec") or {}).get("replicas") if isinstance(scale, dict) else None
            if not isinstance(replicas, int) or isinstance(replicas, bool) or replicas < 0:
                problem = f"Invalid value: {replicas!r}: must be a non-negative integer"
                raise invalid(rtype, str(target.name), "spec.replicas", problem)
            current.setdefault("spec", {})["replicas"] = replicas
            current["metadata"]["resourceVersion"] = (scale.get("metadata") or {}).get("resourceVersion")
            return current

        entry = api.update(target, scaled, subresource=None, require_rv=False, dry_run=dry_run)
        self._send_json(200, encode(scale_view(rtype, entry.obj)))


def _list_envelope(rtype: ResourceType, rv: int, raws: Sequence[bytes]) -> bytes:
    metadata = {"resourceVersion": str(rv)}
    head = encode({"kind": rtype.kind + "List", "apiVersion": rtype.api_version, "metadata": metadata})
    return head[:-1] + b',"items":[' + b",".join(raws) + b"]}"


def _list_body(api: APIServer, target: Target, selector: Selector) -> bytes:
    store = api.store
    with store.cond:
        entries = store.items(target.rtype, target.namespace, selector.matches if selector else None)
        rv = store.rv
    return _list_envelope(target.rtype, rv, [e.raw for e in entries])
