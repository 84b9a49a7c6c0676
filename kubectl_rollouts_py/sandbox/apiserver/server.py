"""The stand-in API server: the object that tests and the sandbox hold, and the semantic
operations (create, update, patch, delete) its HTTP handler calls."""

from __future__ import annotations

import hmac
import json
import os
import random
import re
import threading
import uuid
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from .errors import StatusError, already_exists, conflict, forbidden, invalid, not_found, status_details, unauthorized, unprocessable
from .faults import Fault, FaultRules
from .handler import RecordedRequest, StandInHTTPServer
from .jsondata import JSON, clone, encode, json_equal
from .resources import NAMESPACES, RESOURCES, ResourceType, Target, resource_for
from .store import Entry, Store, check_body, flatten_lists, fold_string_data, identify, next_version, spec_changed
from .watch import DEFAULT_BOOKMARK_INTERVAL

DEFAULT_EVENT_WINDOW = 1000


@dataclass(frozen=True)
class _Rule:
    verb: str
    resource: str
    namespace: str | None
    user: str | None = None  # only requests impersonating this user (Impersonate-User)


class APIServer:
    """An in-memory Kubernetes API server for tests and the demo sandbox.

    Args:
        token: when set, every request needs `Authorization: Bearer <token>` (else 401).
        event_window: how many events watches can replay; older resourceVersions get 410.
        bookmark_interval: seconds between BOOKMARK events on watches that allow them.
        record_requests: keep every request in `requests` (the standalone server turns it off).
        log_requests: print one line per request on stderr.
        clock: returns the current time for creationTimestamp and deletionTimestamp.
    """

    def __init__(
        self,
        token: str | None = None,
        *,
        event_window: int = DEFAULT_EVENT_WINDOW,
        bookmark_interval: float = DEFAULT_BOOKMARK_INTERVAL,
        record_requests: bool = True,
        log_requests: bool = False,
        clock: Callable[[], datetime] | None = None,
    ) -> None:
        self.url: str | None = None
        self.bookmark_interval = bookmark_interval
        self.log_requests = log_requests
        self._token = token
        self._record = record_requests
        self._clock = clock or (lambda: datetime.now(timezone.utc))
        self._store = Store(event_window)
        self._requests: list[RecordedRequest] = []
        self._requests_lock = threading.Lock()
        self._rules: list[_Rule] = []
        self._faults = FaultRules()
        self._httpd: StandInHTTPServer | None = None
        self._thread: threading.Thread | None = None
        with self._store.cond:
            self._ensure_namespace("default")

    # -- lifecycle

    def start(self, host: str = "127.0.0.1", port: int = 0) -> str:
        """Serve on host:port (0 picks a free port) in a daemon thread; return the base URL."""
        if self._httpd is not None:
            raise RuntimeError("the server is already running")
        self._store.stopping = False
        httpd = StandInHTTPServer((host, port), self)
        self._httpd = httpd
        self._thread = threading.Thread(
            target=httpd.serve_forever, kwargs={"poll_interval": 0.5}, name="stand-in-apiserver", daemon=True
        )
        self._thread.start()
        shown_host = f"[{host}]" if ":" in host else host
        self.url = f"http://{shown_host}:{httpd.server_address[1]}"
        return self.url

    def stop(self) -> None:
        """Stop serving: end open watches, close connections and the listening socket."""
        httpd, self._httpd = self._httpd, None
        if httpd is None:
            return
        with self._store.cond:
            self._store.stopping = True
            self._store.cond.notify_all()
            # Give open watches a moment to write their last chunk before sockets close.
            self._store.cond.wait_for(lambda: self._store.watchers == 0, timeout=1.0)
        # serve_forever only notices shutdown() between select() calls; a throwaway
        # connection wakes it at once instead of waiting out the poll interval.
        stopper = threading.Thread(target=httpd.shutdown, daemon=True)
        stopper.start()
        while stopper.is_alive():
            httpd.poke()
            stopper.join(0.05)
        httpd.server_close()
        httpd.close_connections()
        if self._thread is not None:
            self._thread.join(timeout=2)

    def __enter__(self) -> APIServer:
        self.start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    # -- test helpers

    @property
    def requests(self) -> list[RecordedRequest]:
        """A snapshot of the requests received so far, oldest first."""
        with self._requests_lock:
            return list(self._requests)

    def clear_requests(self) -> None:
        with self._requests_lock:
            self._requests.clear()

    @property
    def resource_version(self) -> str:
        """The current global resourceVersion (what a LIST would report now)."""
        with self._store.cond:
            return str(self._store.rv)

    def forbid(self, verb: str, plural: str, namespace: str | None = None, *, user: str | None = None) -> None:
        """Answer 403 Forbidden to `verb` on `plural`, in one namespace or (None) everywhere.

        `verb` is an RBAC verb (get, list, watch, create, update, patch, delete,
        deletecollection) or "*". `plural` is e.g. "rollouts", "rollouts/status" (as in RBAC,
        a subresource is only matched by its own name) or "*". With `user`, only requests
        that impersonate that user (an Impersonate-User header) are refused, and the message
        names them as a real API server does.
        """
        base, _, sub = plural.partition("/")
        base = base.split(".", 1)[0]  # "rollouts.argoproj.io" names the same resource
        self._rules.append(_Rule(verb, f"{base}/{sub}" if sub else base, namespace, user))

    def clear_forbidden(self) -> None:
        self._rules.clear()

    def fail_next(self, method: str, path: str, status: int, *, times: int = 1, message: str | None = None) -> None:
        """Answer the next `times` requests with this method and exact path with an error
        Status of code `status` (404, 409, 500, ...) instead of serving them, for tests of
        fallbacks and retries. The request is still recorded. (`inject` with Fault.error.)"""
        self.inject(method, path, Fault.error(status, message=message), times=times)

    def inject(
        self,
        method: str,
        path: str | re.Pattern[str],
        fault: Fault,
        *,
        times: int | None = 1,
        prefix: bool = False,
        watch: bool | None = None,
        skip: int = 0,
    ) -> None:
        """Fault injection: do `fault` to the next `times` requests that match.

        A request matches when its method is `method` ("*" for any) and its path (without
        the query) equals `path`, starts with it (`prefix=True`), or fully matches it (a
        compiled regex). Fault.error matches any request, watches included (an HTTP error
        instead of the stream); the watch faults (Fault.watch_close, Fault.watch_expired)
        only match watch requests, and delay, drip, drop and malformed only non-watch requests,
        so such a fault on a collection path does not disturb the watch on it.
        `times=None` applies the fault to every matching request until `clear_faults`.
        `watch=False` (True) narrows a rule to non-watch (watch) requests, and `skip=N`
        lets the first N matching requests through untouched: together they aim a
        Fault.error at the re-list after a 410 rather than at the first list of the same
        collection (`inject("GET", path, Fault.error(503), watch=False, skip=1)`).
        Rules are tried in the order they were added; the first match with uses left wins.
        Thread-safe; requests that met a fault are still recorded in `requests`.

        Faults: Fault.error(429, retry_after=1), Fault.error(503), Fault.delay(10),
        Fault.drip(1.0), Fault.drop(), Fault.drop(after_processing=False), Fault.malformed(),
        Fault.watch_close(events=3), Fault.watch_drop(events=3), Fault.watch_expired().
        """
        self._faults.add(method, path, fault, times=times, prefix=prefix, watch=watch, skip=skip)

    def clear_faults(self) -> None:
        """Forget every injected fault, used or not."""
        self._faults.clear()

    def fault_hits(self) -> int:
        """How many requests met an injected fault so far."""
        return self._faults.hits()

    def seed(self, objects: Iterable[Mapping[str, Any]]) -> None:
        """Add (or replace) objects as a controller would; `kind: List` documents are unpacked.

        uid, creationTimestamp and generation are kept when given, else assigned;
        resourceVersion is always assigned. Status is stored as given.
        """
        for obj in flatten_lists(objects):
            self.apply_change(obj)

    def apply_change(self, obj: Mapping[str, Any]) -> JSON:
        """Create or replace an object from test code, as if a controller wrote it.

        Bumps the resourceVersion and emits a watch event unless nothing changed. Status is
        taken as given. uid and creationTimestamp are kept from the stored object unless
        given; generation is computed unless given with a value other than the stored one.
        Returns a copy of the stored object.

        Raises:
            ValueError: unknown apiVersion/kind, or no metadata.name.
        """
        rtype, namespace, name = identify(obj)
        new = clone(dict(obj))
        new.setdefault("metadata", {})
        with self._store.cond:
            current = self._store.get(rtype, namespace, name)
            entry = self._store_controller_write(rtype, namespace, current, new)
        copy: JSON = json.loads(entry.raw)
        return copy

    def delete_object(self, plural: str, namespace: str | None, name: str) -> bool:
        """Remove an object at once, ignoring finalizers; False when it did not exist."""
        rtype = resource_for(plural)
        ns = (namespace or "") if rtype.namespaced else ""
        with self._store.cond:
            if self._store.get(rtype, ns, name) is None:
                return False
            self._remove(rtype, ns, name)
            return True

    def get_object(self, plural: str, namespace: str | None, name: str) -> JSON | None:
        """A deep copy of the stored object, or None."""
        rtype = resource_for(plural)
        with self._store.cond:
            entry = self._store.get(rtype, (namespace or "") if rtype.namespaced else "", name)
        return json.loads(entry.raw) if entry else None

    def list_objects(self, plural: str, namespace: str | None = None) -> list[JSON]:
        """Deep copies of the stored objects of one kind, in one namespace or (None) all."""
        rtype = resource_for(plural)
        with self._store.cond:
            entries = self._store.items(rtype, namespace if rtype.namespaced else None)
        return [json.loads(e.raw) for e in entries]

    def write_kubeconfig(
        self, path: str | os.PathLike[str], namespace: str = "default", token: str | None = None
    ) -> Path:
        """Write a kubeconfig whose current context ("stand-in") points at this server.

        `token` defaults to the server's own token. Returns the path written.
        """
        if self.url is None:
            raise RuntimeError("start() the server before writing a kubeconfig")
        token = token if token is not None else self._token
        q = json.dumps  # a JSON string is a valid double-quoted YAML scalar
        user = f"\n    token: {q(token)}" if token else " {}"
        text = "\n".join(
            [
                "apiVersion: v1",
                "kind: Config",
                "clusters:",
                "- name: stand-in",
                "  cluster:",
                f"    server: {q(self.url)}",
                "users:",
                "- name: stand-in",
                f"  user:{user}",
                "contexts:",
                "- name: stand-in",
                "  context:",
                "    cluster: stand-in",
                "    user: stand-in",
                f"    namespace: {q(namespace)}",
                "current-context: stand-in",
                "preferences: {}",
                "",
            ]
        )
        out = Path(path)
        # Private from the start: the file may hold the server's token. A file already there
        # is made 0600 before anything is written into it.
        fd = os.open(out, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        try:
            os.fchmod(fd, 0o600)
            with os.fdopen(fd, "w", encoding="utf-8") as stream:
                fd = -1
                stream.write(text)
        finally:
            if fd >= 0:
                os.close(fd)
        return out

    # -- request plumbing used by the handler (handler.py, watch.py)

    @property
    def store(self) -> Store:
        """The objects, their resource versions and events; hold `store.cond` to read them
        consistently."""
        return self._store

    def take_fault(self, method: str, path: str, watch: bool) -> Fault | None:
        """The injected fault that this request meets, if any (faults.FaultRules.take)."""
        return self._faults.take(method, path, watch)

    def note_request(self, request: RecordedRequest) -> None:
        if self._record:
            with self._requests_lock:
                self._requests.append(request)

    def authenticate(self, authorization: str | None) -> None:
        if self._token is None:
            return
        if not hmac.compare_digest((authorization or "").encode(), f"Bearer {self._token}".encode()):
            raise unauthorized()

    def authorize(self, verb: str, target: Target, user: str | None = None) -> None:
        """Raise 403 when a forbid() rule matches; `user` is the request's Impersonate-User."""
        resource = target.rtype.plural + (f"/{target.subresource}" if target.subresource else "")
        for rule in self._rules:
            if (
                rule.verb in (verb, "*")
                and rule.resource in (resource, "*")
                and (rule.namespace is None or rule.namespace == target.namespace)
                and (rule.user is None or rule.user == user)
            ):
                raise forbidden(target.rtype, verb, resource, target.namespace, target.name, user=user)

    def _now(self) -> str:
        return self._clock().astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")

    # -- semantic operations (hold nothing on entry; take the store lock themselves)

    def require(self, rtype: ResourceType, namespace: str, name: str) -> Entry:
        entry = self._store.get(rtype, namespace, name)
        if entry is None:
            raise not_found(rtype, name)
        return entry

    def _ensure_namespace(self, namespace: str) -> None:
        # Objects may go into any namespace; the namespaces resource then lists it.
        if namespace and self._store.get(NAMESPACES, "", namespace) is None:
            obj: JSON = {
                "apiVersion": "v1",
                "kind": "Namespace",
                "metadata": {
                    "name": namespace, "uid": str(uuid.uuid4()), "creationTimestamp": self._now(), "generation": 1,
                },
                "spec": {"finalizers": ["kubernetes"]},
                "status": {"phase": "Active"},
            }
            self._store.put(NAMESPACES, obj, "ADDED", None)

    def _store_controller_write(
        self, rtype: ResourceType, namespace: str, current: Entry | None, new: JSON
    ) -> Entry:
        """apply_change: the whole object as given, with the system fields filled in."""
        meta = new["metadata"]
        if rtype.namespaced:
            meta["namespace"] = namespace
        else:
            meta.pop("namespace", None)
        new["apiVersion"], new["kind"] = rtype.api_version, rtype.kind
        fold_string_data(rtype, new)
        if current is None:
            meta.setdefault("uid", str(uuid.uuid4()))
            meta.setdefault("creationTimestamp", self._now())
            meta.setdefault("generation", 1)
            meta.pop("resourceVersion", None)
            self._ensure_namespace(namespace)
            return self._store.put(rtype, new, "ADDED", None)
        old_meta = current.obj["metadata"]
        for key in ("uid", "creationTimestamp"):
            meta.setdefault(key, old_meta.get(key))
        # A generation that differs from the stored one was set on purpose and wins; an absent
        # or unchanged one (the usual read-modify-apply_change) is computed as a server would.
        old_generation = old_meta.get("generation", 1)
        if meta.get("generation", old_generation) == old_generation:
            meta["generation"] = old_generation + (1 if spec_changed(rtype, current.obj, new) else 0)
        return self._write(rtype, namespace, current, new, dry_run=False)

    def create(self, rtype: ResourceType, namespace: str, body: Any, *, dry_run: bool) -> Entry:
        obj = check_body(rtype, namespace, body)
        meta = obj["metadata"]
        with self._store.cond:
            name = meta.get("name") or ""
            if not name:
                if not meta.get("generateName"):
                    raise invalid(rtype, "", "metadata.name", "Required value: name or generateName is required")
                name = self._generate_name(rtype, namespace, str(meta["generateName"]))
            if self._store.get(rtype, namespace, name) is not None:
                raise already_exists(rtype, name)
            for key in ("resourceVersion", "deletionTimestamp", "deletionGracePeriodSeconds", "selfLink"):
                meta.pop(key, None)
            meta.update(name=name, uid=str(uuid.uuid4()), creationTimestamp=self._now(), generation=1)
            if rtype.namespaced:
                meta["namespace"] = namespace
            else:
                meta.pop("namespace", None)
            if rtype.has_status:
                obj.pop("status", None)  # status is only written through /status
            fold_string_data(rtype, obj)
            if dry_run:
                return Entry(obj, encode(obj))
            self._ensure_namespace(namespace)
            return self._store.put(rtype, obj, "ADDED", None)

    def _generate_name(self, rtype: ResourceType, namespace: str, prefix: str) -> str:
        alphabet = "bcdfghjklmnpqrstvwxz2456789"  # the real server's: no vowels, no look-alikes
        while True:
            name = prefix + "".join(random.choice(alphabet) for _ in range(5))
            if self._store.get(rtype, namespace, name) is None:
                return name

    def update(
        self,
        target: Target,
        change: Callable[[JSON], Any],
        *,
        subresource: str | None,
        require_rv: bool,
        dry_run: bool,
    ) -> Entry:
        """Read-modify-write one object.

        `change` turns a private copy of the stored object into the candidate (PUT ignores
        it and returns the body; PATCH patches it). The candidate's resourceVersion, if any,
        must be the stored one (409 otherwise).
        """
        rtype, namespace, name = target.rtype, target.ns, str(target.name)
        with self._store.cond:
            current = self.require(rtype, namespace, name)
            candidate = change(json.loads(current.raw))
            if not isinstance(candidate, dict) or not isinstance(candidate.setdefault("metadata", {}), dict):
                raise unprocessable(f'{rtype.qualified} "{name}": the result is not an object with metadata')
            sent_rv = str(candidate["metadata"].get("resourceVersion") or "")
            if require_rv and not sent_rv and not rtype.builtin:
                problem = "Invalid value: 0x0: must be specified for an update"
                raise invalid(rtype, name, "metadata.resourceVersion", problem)
            if sent_rv and sent_rv != current.rv:
                raise conflict(rtype, name)
            new = next_version(rtype, current.obj, candidate, subresource)
            return self._write(rtype, namespace, current, new, dry_run=dry_run)

    def _write(self, rtype: ResourceType, namespace: str, current: Entry, new: JSON, *, dry_run: bool) -> Entry:
        """Commit an update: nothing for a no-op; a delete when the last finalizer went."""
        meta = new["metadata"]
        meta["resourceVersion"] = current.rv
        if json_equal(new, current.obj):
            return current  # a no-op write keeps the resourceVersion and emits no event
        if dry_run:
            return Entry(new, encode(new))
        if meta.get("deletionTimestamp") and not meta.get("finalizers"):
            gone = self._remove(rtype, namespace, meta["name"])
            meta["resourceVersion"] = gone.rv
            return Entry(new, encode(new))
        return self._store.put(rtype, new, "MODIFIED", current.obj)

    def _remove(self, rtype: ResourceType, namespace: str, name: str) -> Entry:
        if rtype is NAMESPACES:  # a namespace takes its contents with it
            for other in RESOURCES:
                if other.namespaced:
                    for entry in self._store.items(other, name):
                        self._store.remove(other, name, entry.obj["metadata"]["name"])
        return self._store.remove(rtype, namespace, name)

    def delete(self, target: Target, options: JSON, *, dry_run: bool) -> tuple[Entry, bool]:
        """DELETE one object. Returns the entry and whether it is gone (False: finalizers)."""
        rtype, namespace, name = target.rtype, target.ns, str(target.name)
        with self._store.cond:
            current = self.require(rtype, namespace, name)
            meta = current.obj["metadata"]
            preconditions = options.get("preconditions") or {}
            for key, label in (("uid", "UID"), ("resourceVersion", "ResourceVersion")):
                wanted = preconditions.get(key)
                if wanted and wanted != meta.get(key):
                    why = (
                        f"Precondition failed: {label} in precondition: {wanted}, "
                        f"{label} in object meta: {meta.get(key)}"
                    )
                    raise conflict(rtype, name, why)
            if rtype is NAMESPACES and name == "default":
                message = 'namespaces "default" is forbidden: this namespace may not be deleted'
                raise StatusError(403, "Forbidden", message, status_details(rtype, name))
            if meta.get("finalizers"):
                if meta.get("deletionTimestamp"):
                    return current, False
                new = dict(current.obj)
                new["metadata"] = dict(
                    meta,
                    deletionTimestamp=self._now(),
                    deletionGracePeriodSeconds=0,
                    generation=meta.get("generation", 1) + 1,
                )
                if dry_run:
                    return Entry(new, encode(new)), False
                return self._store.put(rtype, new, "MODIFIED", current.obj), False
            if dry_run:
                return current, True
            return self._remove(rtype, namespace, name), True
