"""A stand-in Kubernetes API server: in-memory, loopback-only, standard library only.

In tests::

    with APIServer() as srv:
        srv.seed([rollout, replicaset, pod])
        srv.write_kubeconfig(tmp_path / "kubeconfig")
        ...  # run kubectl, the python client or our CLI against it
        assert srv.requests[-1].method == "PATCH"

Standalone, for the demo sandbox::

    python -m kubectl_rollouts_py.sandbox.apiserver --port 8001 --seed scenario/ --kubeconfig kc

What it models, because clients depend on it:

* discovery (/version, /api, /apis and the per-group-version resource lists);
* LIST with a typed envelope, label and field selectors, cluster-wide lists;
* GET, POST (201), PUT with optimistic concurrency, PATCH chosen by Content-Type
  (merge, JSON, strategic for built-in kinds), DELETE with finalizers;
* the status subresource split, `generation`, no-op writes that change nothing;
* WATCH with resourceVersion replay from a bounded log, 410 Expired, bookmarks,
  timeoutSeconds, and selector enter/leave transitions;
* one global resourceVersion counter, copy-on-write storage with cached JSON bytes.

Fault injection, for reliability tests (`APIServer.inject`, thread-safe, bounded by `times`)::

    srv.inject("GET", "/apis/argoproj.io/", Fault.error(429, retry_after=0.05), prefix=True, times=3)
    srv.inject("PATCH", re.compile(r".*/rollouts/x(/status)?"), Fault.drop())   # applied, answer cut
    srv.inject("*", path, Fault.delay(10))            # or Fault.malformed(), Fault.error(503)
    srv.inject("GET", path, Fault.watch_close(events=2))  # or watch_drop (cut mid-event), watch_expired (410)

What it does not model: Table responses (kubectl prints NAME/AGE), limit/continue (every
list is complete), server-side apply, OpenAPI documents (kubectl create/apply need
--validate=false), protobuf, admission and schema validation, garbage collection of owned
objects, controllers (nothing moves on its own), pods/log and exec, TLS.
"""

from __future__ import annotations

import argparse
import base64
import contextlib
import hmac
import json
import os
import random
import re
import select
import signal
import socket
import socketserver
import sys
import threading
import time
import traceback
import uuid
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timezone
from email.message import Message
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urlsplit

JSON = dict[str, Any]

DEFAULT_EVENT_WINDOW = 1000
DEFAULT_BOOKMARK_INTERVAL = 5.0
# How often an idle watch checks whether its client hung up. Events and bookmarks never
# wait for this; it only bounds how long a dead watch keeps its thread.
_LIVENESS_INTERVAL = 1.0
_ANONYMOUS = "system:anonymous"
_VERSION_INFO: JSON = {
    "major": "1",
    "minor": "32",
    "gitVersion": "v1.32.4",
    "gitCommit": "0000000000000000000000000000000000000000",
    "gitTreeState": "clean",
    "buildDate": "2025-01-01T00:00:00Z",
    "goVersion": "go1.23.0",
    "compiler": "gc",
    "platform": "linux/amd64",
}


# --------------------------------------------------------------------------------------
# Resource table


@dataclass(frozen=True)
class ResourceType:
    """One served resource: where it lives in the URL space and how writes treat it."""

    group: str  # "" is the core group
    version: str
    plural: str
    kind: str
    namespaced: bool = True
    short_names: tuple[str, ...] = ()
    subresources: tuple[str, ...] = ()  # any of "status", "scale"
    # Built-in kinds accept strategic-merge-patch and a PUT without resourceVersion;
    # custom resources answer 415 and 422 to those.
    builtin: bool = False
    extra_field_selectors: tuple[str, ...] = ()

    @property
    def api_version(self) -> str:
        return f"{self.group}/{self.version}" if self.group else self.version

    @property
    def qualified(self) -> str:
        """`rollouts.argoproj.io` or `pods`: how NotFound and Conflict messages name it."""
        return f"{self.plural}.{self.group}" if self.group else self.plural

    @property
    def qualified_kind(self) -> str:
        """`Rollout.argoproj.io` or `Pod`: how Invalid messages name it."""
        return f"{self.kind}.{self.group}" if self.group else self.kind

    @property
    def has_status(self) -> bool:
        return "status" in self.subresources

    @property
    def field_selectors(self) -> tuple[str, ...]:
        return ("metadata.name", "metadata.namespace", *self.extra_field_selectors)


_ARGO = "argoproj.io"
_POD_FIELDS = (
    "spec.nodeName",
    "spec.restartPolicy",
    "spec.schedulerName",
    "spec.serviceAccountName",
    "spec.hostNetwork",
    "status.phase",
    "status.podIP",
    "status.nominatedNodeName",
)
RESOURCES: tuple[ResourceType, ...] = (
    ResourceType(_ARGO, "v1alpha1", "rollouts", "Rollout", short_names=("ro",), subresources=("status", "scale")),
    ResourceType(_ARGO, "v1alpha1", "experiments", "Experiment", short_names=("exp",)),
    ResourceType(_ARGO, "v1alpha1", "analysisruns", "AnalysisRun", short_names=("ar",)),
    ResourceType(_ARGO, "v1alpha1", "analysistemplates", "AnalysisTemplate"),
    ResourceType(_ARGO, "v1alpha1", "clusteranalysistemplates", "ClusterAnalysisTemplate", namespaced=False),
    ResourceType(
        "apps", "v1", "replicasets", "ReplicaSet", short_names=("rs",), subresources=("status", "scale"),
        builtin=True, extra_field_selectors=("status.replicas",),
    ),
    ResourceType(
        "apps", "v1", "deployments", "Deployment", short_names=("deploy",), subresources=("status", "scale"),
        builtin=True,
    ),
    ResourceType(
        "", "v1", "pods", "Pod", short_names=("po",), subresources=("status",), builtin=True,
        extra_field_selectors=_POD_FIELDS,
    ),
    ResourceType("", "v1", "services", "Service", short_names=("svc",), subresources=("status",), builtin=True),
    ResourceType(
        "", "v1", "namespaces", "Namespace", namespaced=False, short_names=("ns",), subresources=("status",),
        builtin=True, extra_field_selectors=("status.phase",),
    ),
    ResourceType("", "v1", "secrets", "Secret", builtin=True, extra_field_selectors=("type",)),
    ResourceType("", "v1", "configmaps", "ConfigMap", short_names=("cm",), builtin=True),
)
_BY_PATH = {(r.group, r.version, r.plural): r for r in RESOURCES}
_BY_KIND = {(r.api_version, r.kind): r for r in RESOURCES}
_NAMESPACES = _BY_PATH[("", "v1", "namespaces")]
_GROUP_VERSIONS: dict[str, list[str]] = {}
for _r in RESOURCES:
    if _r.version not in _GROUP_VERSIONS.setdefault(_r.group, []):
        _GROUP_VERSIONS[_r.group].append(_r.version)

_VERBS = ["create", "delete", "deletecollection", "get", "list", "patch", "update", "watch"]
# Field values an object without the field still selects on (the real server fills defaults).
_FIELD_DEFAULTS = {"spec.hostNetwork": "false"}


def resource_for(name: str) -> ResourceType:
    """Find a resource by plural, `plural.group`, kind or short name (case-insensitive).

    Raises:
        KeyError: no served resource has that name.
    """
    wanted = name.lower()
    for rtype in RESOURCES:
        names = {rtype.plural, rtype.qualified, rtype.kind.lower(), *rtype.short_names}
        if wanted in names:
            return rtype
    raise KeyError(f"no served resource named {name!r}")


# --------------------------------------------------------------------------------------
# Errors as the API reports them


class StatusError(Exception):
    """A failed request, sent to the client as a `kind: Status` body with HTTP `code`."""

    def __init__(self, code: int, reason: str, message: str, details: JSON | None = None) -> None:
        super().__init__(message)
        self.code = code
        self.reason = reason
        self.message = message
        self.details = details
        self.retry_after: str | None = None

    def to_status(self) -> JSON:
        body: JSON = {
            "kind": "Status",
            "apiVersion": "v1",
            "metadata": {},
            "status": "Failure",
            "message": self.message,
            "reason": self.reason,
        }
        if self.details is not None:
            body["details"] = self.details
        body["code"] = self.code
        return body


def _details(rtype: ResourceType, name: str | None) -> JSON:
    # The real server names the *resource* (plural) in details.kind for these errors.
    details: JSON = {"name": name} if name else {}
    if rtype.group:
        details["group"] = rtype.group
    details["kind"] = rtype.plural
    return details


def _not_found(rtype: ResourceType, name: str) -> StatusError:
    return StatusError(404, "NotFound", f'{rtype.qualified} "{name}" not found', _details(rtype, name))


def _already_exists(rtype: ResourceType, name: str) -> StatusError:
    return StatusError(409, "AlreadyExists", f'{rtype.qualified} "{name}" already exists', _details(rtype, name))


def _conflict(rtype: ResourceType, name: str, why: str | None = None) -> StatusError:
    why = why or "the object has been modified; please apply your changes to the latest version and try again"
    message = f'Operation cannot be fulfilled on {rtype.qualified} "{name}": {why}'
    return StatusError(409, "Conflict", message, _details(rtype, name))


def _invalid(rtype: ResourceType, name: str, field_path: str, problem: str) -> StatusError:
    details: JSON = {"name": name}
    if rtype.group:
        details["group"] = rtype.group
    details["kind"] = rtype.kind  # Invalid names the kind, unlike NotFound
    details["causes"] = [{"reason": "FieldValueInvalid", "message": problem, "field": field_path}]
    message = f'{rtype.qualified_kind} "{name}" is invalid: {field_path}: {problem}'
    return StatusError(422, "Invalid", message, details)


def _unprocessable(message: str) -> StatusError:
    return StatusError(422, "Invalid", message)


def _bad_request(message: str) -> StatusError:
    return StatusError(400, "BadRequest", message)


def _unsupported_media(accepted: Sequence[str]) -> StatusError:
    message = (
        "the body of the request was in an unknown format - accepted media types include: "
        + ", ".join(accepted)
    )
    return StatusError(415, "UnsupportedMediaType", message)


def _method_not_allowed() -> StatusError:
    return StatusError(405, "MethodNotAllowed", "the server does not allow this method on the requested resource")


def _endpoint_not_found() -> StatusError:
    return StatusError(404, "NotFound", "the server could not find the requested resource", {})


def _unauthorized() -> StatusError:
    return StatusError(401, "Unauthorized", "Unauthorized")


def _forbidden(rtype: ResourceType, verb: str, resource: str, namespace: str | None, name: str | None) -> StatusError:
    who = f'{rtype.qualified} "{name}"' if name else rtype.qualified
    where = f'in the namespace "{namespace}"' if namespace else "at the cluster scope"
    message = (
        f'{who} is forbidden: User "{_ANONYMOUS}" cannot {verb} resource "{resource}" '
        f'in API group "{rtype.group}" {where}'
    )
    return StatusError(403, "Forbidden", message, _details(rtype, name))


# --------------------------------------------------------------------------------------
# Small JSON helpers


def _encode(obj: Any) -> bytes:
    return json.dumps(obj, separators=(",", ":"), ensure_ascii=False).encode()


def _clone(obj: Any) -> Any:
    """A deep copy of JSON data (faster than copy.deepcopy for plain dicts and lists)."""
    return json.loads(_encode(obj))


def _json_equal(a: Any, b: Any) -> bool:
    """JSON equality: unlike Python's ==, `true` is not `1`."""
    if isinstance(a, bool) or isinstance(b, bool):
        return type(a) is type(b) and a == b
    if isinstance(a, dict):
        return isinstance(b, dict) and a.keys() == b.keys() and all(_json_equal(a[k], b[k]) for k in a)
    if isinstance(a, list):
        return isinstance(b, list) and len(a) == len(b) and all(_json_equal(x, y) for x, y in zip(a, b, strict=True))
    return bool(a == b) and isinstance(b, (int, float)) == isinstance(a, (int, float))


def _parse_json(body: bytes) -> Any:
    try:
        return json.loads(body)
    except (ValueError, UnicodeDecodeError) as exc:
        raise _bad_request(f"the request body is not valid JSON: {exc}") from None


def _parse_bool(value: str | None) -> bool:
    # The same spellings Go's strconv.ParseBool accepts.
    return value in ("1", "t", "T", "true", "TRUE", "True")


# --------------------------------------------------------------------------------------
# Label and field selectors


@dataclass(frozen=True)
class LabelRequirement:
    """One comma-separated term of a label selector."""

    key: str
    op: str  # "=", "!=", "in", "notin", "exists", "!", ">", "<"
    values: tuple[str, ...] = ()

    def matches(self, labels: Mapping[str, str]) -> bool:
        present = self.key in labels
        value = labels.get(self.key)
        if self.op == "=":
            return present and value == self.values[0]
        if self.op == "!=":
            return not present or value != self.values[0]
        if self.op == "in":
            return present and value in self.values
        if self.op == "notin":
            return not present or value not in self.values
        if self.op == "exists":
            return present
        if self.op == "!":
            return not present
        try:  # > and < compare integers, and never select a missing or non-numeric label
            number = int(value) if value is not None else None
        except ValueError:
            return False
        if number is None:
            return False
        return number > int(self.values[0]) if self.op == ">" else number < int(self.values[0])


_LABEL_KEY = re.compile(r"[A-Za-z0-9]([-A-Za-z0-9_./]*[A-Za-z0-9])?")
_LABEL_VALUE = re.compile(r"([A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?)?")
_SET_TERM = re.compile(r"(\S+)\s+(in|notin)\s*\((.*)\)", re.DOTALL)
_OP_TERM = re.compile(r"([^\s=!<>]+)\s*(==|=|!=|<|>)\s*(.*)", re.DOTALL)


def _split_top_level(text: str) -> list[str]:
    """Split on commas that are not inside parentheses: `a in (x,y),b` is two terms."""
    parts: list[str] = []
    depth = 0
    start = 0
    for i, ch in enumerate(text):
        if ch == "(":
            depth += 1
        elif ch == ")":
            depth -= 1
            if depth < 0:
                raise _bad_request(f"unable to parse requirement: unbalanced parenthesis in {text!r}")
        elif ch == "," and depth == 0:
            parts.append(text[start:i])
            start = i + 1
    if depth:
        raise _bad_request(f"unable to parse requirement: unbalanced parenthesis in {text!r}")
    parts.append(text[start:])
    return parts


def _check_key(key: str, term: str) -> str:
    if not _LABEL_KEY.fullmatch(key):
        raise _bad_request(f"unable to parse requirement: invalid label key {key!r} in {term!r}")
    return key


def _check_value(value: str, term: str) -> str:
    if not _LABEL_VALUE.fullmatch(value):
        raise _bad_request(f"unable to parse requirement: invalid label value {value!r} in {term!r}")
    return value


def _parse_label_term(term: str) -> LabelRequirement:
    if match := _SET_TERM.fullmatch(term):
        key, op, inner = match.groups()
        values = tuple(_check_value(v.strip(), term) for v in inner.split(","))
        if values == ("",):
            raise _bad_request(
                f"unable to parse requirement: for 'in', 'notin' operators, values set can't be empty: {term!r}"
            )
        return LabelRequirement(_check_key(key, term), op, values)
    if term.startswith("!"):
        return LabelRequirement(_check_key(term[1:].strip(), term), "!")
    if match := _OP_TERM.fullmatch(term):
        key, op, value = match.groups()
        value = _check_value(value.strip(), term)
        if op in (">", "<") and not re.fullmatch(r"-?\d+", value):
            raise _bad_request(
                f"unable to parse requirement: for 'Gt', 'Lt' operators, the value must be an integer: {term!r}"
            )
        return LabelRequirement(_check_key(key, term), "=" if op == "==" else op, (value,))
    return LabelRequirement(_check_key(term, term), "exists")


def parse_label_selector(text: str) -> tuple[LabelRequirement, ...]:
    """Parse a labelSelector query value; an empty string selects everything.

    Raises:
        StatusError: 400 BadRequest, as the real server answers a malformed selector.
    """
    if not text.strip():
        return ()
    return tuple(_parse_label_term(part.strip()) for part in _split_top_level(text))


def _split_escaped(text: str, sep: str) -> list[str]:
    """Split on `sep` unless backslash-escaped (field selector values may escape `,` and `=`)."""
    parts, cur, escaped = [], [], False
    for ch in text:
        if escaped:
            cur.append("\\" + ch)
            escaped = False
        elif ch == "\\":
            escaped = True
        elif ch == sep:
            parts.append("".join(cur))
            cur = []
        else:
            cur.append(ch)
    parts.append("".join(cur))
    return parts


def _unescape(value: str) -> str:
    return re.sub(r"\\(.)", r"\1", value)


@dataclass(frozen=True)
class FieldRequirement:
    """One term of a field selector: `path op value` with op one of =, !=."""

    path: str
    op: str
    value: str

    def matches(self, obj: JSON) -> bool:
        return (_field_value(obj, self.path) == self.value) == (self.op == "=")


def _field_value(obj: JSON, path: str) -> str:
    cur: Any = obj
    for part in path.split("."):
        cur = cur.get(part) if isinstance(cur, dict) else None
    if cur is None:
        return _FIELD_DEFAULTS.get(path, "")
    if isinstance(cur, bool):
        return "true" if cur else "false"
    return str(cur)


def parse_field_selector(text: str, rtype: ResourceType) -> tuple[FieldRequirement, ...]:
    """Parse a fieldSelector query value against the fields `rtype` supports.

    Raises:
        StatusError: 400 BadRequest for a malformed term or an unsupported field.
    """
    if not text.strip():
        return ()
    terms = []
    for term in _split_escaped(text, ","):
        match = re.fullmatch(r"\s*([^=!\s]+)\s*(==|=|!=)(.*)", term, re.DOTALL)
        if not match:
            raise _bad_request(f"invalid selector: {text!r}; can't understand {term!r}")
        path, op, value = match.groups()
        if path not in rtype.field_selectors:
            if rtype.builtin:
                raise _bad_request(f"field label not supported: {path}")
            allowed = ", ".join(f'"{p}"' for p in rtype.field_selectors)
            raise _bad_request(f'"{path}" is not a known field selector: only {allowed}')
        terms.append(FieldRequirement(path, "!=" if op == "!=" else "=", _unescape(value)))
    return tuple(terms)


@dataclass(frozen=True)
class Selector:
    """A label and a field selector together; the empty Selector matches everything."""

    labels: tuple[LabelRequirement, ...] = ()
    fields: tuple[FieldRequirement, ...] = ()

    def __bool__(self) -> bool:
        return bool(self.labels or self.fields)

    def matches(self, obj: JSON) -> bool:
        labels = (obj.get("metadata") or {}).get("labels")
        if not isinstance(labels, dict):
            labels = {}
        return all(r.matches(labels) for r in self.labels) and all(f.matches(obj) for f in self.fields)


def _selector_from_query(query: Mapping[str, str], rtype: ResourceType) -> Selector:
    return Selector(
        parse_label_selector(query.get("labelSelector", "")),
        parse_field_selector(query.get("fieldSelector", ""), rtype),
    )


# --------------------------------------------------------------------------------------
# Patches. Each function may mutate and return its `target`, which is always a private copy.


def merge_patch(target: Any, patch: Any) -> Any:
    """RFC 7386 JSON merge patch: objects merge recursively, null deletes, lists replace."""
    if not isinstance(patch, dict):
        return patch
    if not isinstance(target, dict):
        target = {}
    for key, value in patch.items():
        if value is None:
            target.pop(key, None)
        else:
            target[key] = merge_patch(target.get(key), value)
    return target


class _PatchFailed(Exception):
    """A JSON patch that is well formed but does not apply (the server answers 422)."""


def _pointer(path: Any) -> list[str]:
    if not isinstance(path, str) or (path and not path.startswith("/")):
        raise _PatchFailed(f"invalid JSON pointer {path!r}")
    if not path:
        return []
    return [p.replace("~1", "/").replace("~0", "~") for p in path[1:].split("/")]


def _list_index(container: list[Any], token: str, *, for_insert: bool) -> int:
    if for_insert and token == "-":
        return len(container)
    if not re.fullmatch(r"0|[1-9][0-9]*", token):
        raise _PatchFailed(f"invalid array index {token!r}")
    index = int(token)
    limit = len(container) if for_insert else len(container) - 1
    if index > limit:
        raise _PatchFailed(f"array index {index} out of bounds")
    return index


def _resolve(doc: Any, tokens: list[str]) -> Any:
    cur = doc
    for token in tokens:
        if isinstance(cur, dict):
            if token not in cur:
                raise _PatchFailed(f"missing path component {token!r}")
            cur = cur[token]
        elif isinstance(cur, list):
            cur = cur[_list_index(cur, token, for_insert=False)]
        else:
            raise _PatchFailed(f"cannot descend into a scalar at {token!r}")
    return cur


def _add(doc: Any, tokens: list[str], value: Any) -> Any:
    if not tokens:
        return value
    parent = _resolve(doc, tokens[:-1])
    if isinstance(parent, dict):
        parent[tokens[-1]] = value
    elif isinstance(parent, list):
        parent.insert(_list_index(parent, tokens[-1], for_insert=True), value)
    else:
        raise _PatchFailed("cannot add to a scalar")
    return doc


def _remove(doc: Any, tokens: list[str]) -> Any:
    if not tokens:
        raise _PatchFailed("cannot remove the whole document")
    parent = _resolve(doc, tokens[:-1])
    if isinstance(parent, dict):
        if tokens[-1] not in parent:
            raise _PatchFailed(f"missing path component {tokens[-1]!r}")
        return parent.pop(tokens[-1])
    if isinstance(parent, list):
        return parent.pop(_list_index(parent, tokens[-1], for_insert=False))
    raise _PatchFailed("cannot remove from a scalar")


def _operation_value(op: JSON) -> Any:
    if "value" not in op:
        raise _PatchFailed(f"operation {op.get('op')!r} needs a value")
    return op["value"]


def json_patch(doc: Any, operations: Any) -> Any:
    """Apply an RFC 6902 JSON patch to `doc` (a private copy) and return the result.

    Raises:
        StatusError: 400 when the patch is not a list of operations.
        _PatchFailed: an operation does not apply (missing path, failed `test`).
    """
    if not isinstance(operations, list) or not all(isinstance(op, dict) for op in operations):
        raise _bad_request("a JSON patch must be a list of operation objects")
    for op in operations:
        kind = op.get("op")
        path = _pointer(op.get("path"))
        if kind == "add":
            doc = _add(doc, path, _operation_value(op))
        elif kind == "remove":
            _remove(doc, path)
        elif kind == "replace":
            _resolve(doc, path)  # replace requires the target to exist
            if path:
                _remove(doc, path)
            doc = _add(doc, path, _operation_value(op))
        elif kind in ("move", "copy"):
            source = _pointer(op.get("from"))
            if kind == "move" and path[: len(source)] == source and len(path) > len(source):
                raise _PatchFailed("cannot move a value into one of its own children")
            value = _remove(doc, source) if kind == "move" else _clone(_resolve(doc, source))
            doc = _add(doc, path, value)
        elif kind == "test":
            if not _json_equal(_resolve(doc, path), _operation_value(op)):
                raise _PatchFailed(f"testing value {op.get('path')} failed")
        else:
            raise _bad_request(f"unknown JSON patch operation {kind!r}")
    return doc


# Strategic merge patch: lists with a patchMergeKey merge element by element; all other lists
# are replaced. The keys below are the ones in the Kubernetes Go types the kinds here carry.
_MERGE_KEYS = {
    "containers": "name",
    "initContainers": "name",
    "ephemeralContainers": "name",
    "env": "name",
    "volumes": "name",
    "volumeMounts": "mountPath",
    "volumeDevices": "devicePath",
    "imagePullSecrets": "name",
    "hostAliases": "ip",
    "ownerReferences": "uid",
    "conditions": "type",
    "resourceClaims": "name",
    "topologySpreadConstraints": "topologyKey",
}
_CONTAINER_LISTS = ("containers", "initContainers", "ephemeralContainers")
_MERGED_PRIMITIVE_LISTS = ("finalizers",)  # patchStrategy "merge" on a list of strings: a set union


def _merge_key(path: tuple[str, ...]) -> str | None:
    if not path:
        return None
    if path[-1] == "ports":
        # Container ports merge by containerPort, Service ports by port.
        return "containerPort" if len(path) > 1 and path[-2] in _CONTAINER_LISTS else "port"
    return _MERGE_KEYS.get(path[-1])


def strategic_merge_patch(target: JSON, patch: JSON, path: tuple[str, ...] = ()) -> JSON | None:
    """Apply a strategic merge patch to `target` (a private copy).

    Supports null deletion, merge-keyed lists, `$patch: replace|delete`, `$retainKeys`,
    `$deleteFromPrimitiveList/<field>`, and ignores `$setElementOrder/<field>`.
    Returns None when the patch deletes the whole map (`$patch: delete`).
    """
    directive = patch.get("$patch")
    if directive == "delete":
        return None
    if directive == "replace":
        return {k: v for k, v in patch.items() if k != "$patch"}
    for key, value in patch.items():
        if key in ("$patch", "$retainKeys") or key.startswith("$setElementOrder/"):
            continue
        if key.startswith("$deleteFromPrimitiveList/"):
            name = key.split("/", 1)[1]
            if isinstance(target.get(name), list) and isinstance(value, list):
                target[name] = [item for item in target[name] if item not in value]
            continue
        current = target.get(key)
        if value is None:
            target.pop(key, None)
        elif isinstance(value, dict):
            merged = strategic_merge_patch(current if isinstance(current, dict) else {}, value, (*path, key))
            if merged is None:
                target.pop(key, None)
            else:
                target[key] = merged
        elif isinstance(value, list):
            target[key] = _merge_list(current if isinstance(current, list) else [], value, (*path, key))
        else:
            target[key] = value
    retain = patch.get("$retainKeys")
    if isinstance(retain, list):
        for key in [k for k in target if k not in retain]:
            del target[key]
    return target


def _merge_list(current: list[Any], patch: list[Any], path: tuple[str, ...]) -> list[Any]:
    if path[-1] in _MERGED_PRIMITIVE_LISTS:
        return current + [item for item in patch if item not in current]
    key = _merge_key(path)
    if key is None or any(isinstance(e, dict) and e.get("$patch") == "replace" for e in patch):
        return [e for e in patch if not (isinstance(e, dict) and "$patch" in e)]
    result = list(current)
    for element in patch:
        if not isinstance(element, dict) or key not in element:
            raise _bad_request(f"strategic merge patch: an element of {'.'.join(path)} lacks merge key {key!r}")
        index = next(
            (i for i, item in enumerate(result) if isinstance(item, dict) and item.get(key) == element[key]),
            None,
        )
        if element.get("$patch") == "delete":
            if index is not None:
                del result[index]
            continue
        merged = strategic_merge_patch(result[index] if index is not None else {}, element, path)
        if index is None:
            result.append(merged)
        elif merged is None:
            del result[index]
        else:
            result[index] = merged
    return result


_MERGE = "application/merge-patch+json"
_JSON_PATCH = "application/json-patch+json"
_STRATEGIC = "application/strategic-merge-patch+json"
_APPLY = "application/apply-patch+yaml"


def _patch_function(media_type: str, rtype: ResourceType) -> Callable[[JSON, Any], Any]:
    """Pick the patch algorithm from the Content-Type, never from the body's shape."""
    accepted = [_JSON_PATCH, _MERGE] + ([_STRATEGIC] if rtype.builtin else [])
    if media_type == _MERGE:
        return _apply_merge
    if media_type == _JSON_PATCH:
        return json_patch
    if media_type == _STRATEGIC and rtype.builtin:
        return _apply_strategic
    raise _unsupported_media(accepted)


def _apply_merge(target: JSON, patch: Any) -> Any:
    if not isinstance(patch, dict):
        # A real server turns the document into the non-object and then fails to decode it.
        raise _unprocessable("a merge patch must be a JSON object")
    return merge_patch(target, patch)


def _apply_strategic(target: JSON, patch: Any) -> Any:
    if not isinstance(patch, dict):
        raise _bad_request("a strategic merge patch must be a JSON object")
    return strategic_merge_patch(target, patch)


# --------------------------------------------------------------------------------------
# Storage


@dataclass(frozen=True)
class _Entry:
    """A stored object version. `obj` is never mutated; `raw` is its JSON, encoded once."""

    obj: JSON
    raw: bytes

    @property
    def rv(self) -> str:
        return str(self.obj["metadata"]["resourceVersion"])


@dataclass(frozen=True)
class _Event:
    """One entry of the watch log. Every resourceVersion has exactly one event."""

    rv: int
    type: str  # ADDED, MODIFIED or DELETED
    rtype: ResourceType
    namespace: str
    obj: JSON
    raw: bytes
    prev: JSON | None  # the version before a MODIFIED, for selector enter/leave transitions


class _Store:
    """Objects by resource type, one global resourceVersion counter and a bounded event log.

    Callers hold `cond` around every call. Writers hand over fresh dicts; the store encodes
    them once and keeps the *decoded* copy, so nothing a caller still holds aliases storage.
    """

    def __init__(self, window: int) -> None:
        self.cond = threading.Condition()
        self.rv = 0
        self.stopping = False
        self.watchers = 0  # open watch streams, so stop() can let them end cleanly
        self._window = window
        self._objects: dict[ResourceType, dict[tuple[str, str], _Entry]] = {r: {} for r in RESOURCES}
        self._log: list[_Event] = []

    def get(self, rtype: ResourceType, namespace: str, name: str) -> _Entry | None:
        return self._objects[rtype].get((namespace, name))

    def items(self, rtype: ResourceType, namespace: str | None) -> list[_Entry]:
        """Entries in etcd key order (namespace, then name); namespace None means all."""
        bucket = self._objects[rtype]
        keys = sorted(k for k in bucket if namespace is None or k[0] == namespace)
        return [bucket[k] for k in keys]

    def namespaces_in_use(self) -> set[str]:
        return {ns for r, bucket in self._objects.items() if r.namespaced for ns, _ in bucket}

    def put(self, rtype: ResourceType, obj: JSON, event_type: str, prev: JSON | None) -> _Entry:
        """Store `obj` (which the caller gives up) at a new resourceVersion and log the event."""
        self.rv += 1
        obj["metadata"]["resourceVersion"] = str(self.rv)
        raw = _encode(obj)
        entry = _Entry(json.loads(raw), raw)
        key = (_namespace_of(entry.obj), entry.obj["metadata"]["name"])
        self._objects[rtype][key] = entry
        self._append(_Event(self.rv, event_type, rtype, key[0], entry.obj, raw, prev))
        return entry

    def remove(self, rtype: ResourceType, namespace: str, name: str) -> _Entry:
        """Delete an object; the DELETED event carries its last state at the deletion's RV."""
        old = self._objects[rtype].pop((namespace, name))
        self.rv += 1
        final = dict(old.obj, metadata=dict(old.obj["metadata"], resourceVersion=str(self.rv)))
        raw = _encode(final)
        entry = _Entry(json.loads(raw), raw)
        self._append(_Event(self.rv, "DELETED", rtype, namespace, entry.obj, raw, None))
        return entry

    @property
    def oldest_resumable(self) -> int:
        """The oldest resourceVersion a watch can resume from; older ones get 410 Expired."""
        return max(0, self.rv - self._window)

    def events_after(self, rv: int) -> list[_Event]:
        if not self._log:
            return []
        start = max(0, rv + 1 - self._log[0].rv)  # the log is contiguous in rv
        return self._log[start:]

    def _append(self, event: _Event) -> None:
        self._log.append(event)
        # Trim in batches so appends stay O(1) amortised; oldest_resumable, not the
        # physical length, decides what a watcher may replay.
        if len(self._log) > 2 * self._window:
            del self._log[: len(self._log) - self._window]
        self.cond.notify_all()


def _namespace_of(obj: JSON) -> str:
    return str((obj.get("metadata") or {}).get("namespace") or "")


def _spec_changed(rtype: ResourceType, old: JSON, new: JSON) -> bool:
    """Whether a write changes anything that bumps metadata.generation.

    With a status subresource only spec-like fields count; without one (most Argo kinds)
    status changes count too, as for a CRD without the subresource.
    """
    ignored = {"apiVersion", "kind", "metadata"} | ({"status"} if rtype.has_status else set())
    keys = (old.keys() | new.keys()) - ignored
    return any(not _json_equal(old.get(k), new.get(k)) for k in keys)


# Metadata a client cannot set through an update: kept from the stored version.
_SYSTEM_METADATA = (
    "name", "namespace", "uid", "creationTimestamp", "deletionTimestamp",
    "deletionGracePeriodSeconds", "generation", "resourceVersion",
)


def _fold_string_data(rtype: ResourceType, obj: JSON) -> None:
    # Secrets accept write-only stringData; the server folds it into base64 data.
    if rtype.kind == "Secret" and isinstance(obj.get("stringData"), dict):
        data = dict(obj.get("data") or {})
        for key, value in obj.pop("stringData").items():
            data[key] = base64.b64encode(str(value).encode()).decode()
        obj["data"] = data


def _scale_selector(rtype: ResourceType, obj: JSON) -> str:
    status = obj.get("status") or {}
    if rtype.kind == "Rollout" and status.get("selector"):
        return str(status["selector"])
    labels = ((obj.get("spec") or {}).get("selector") or {}).get("matchLabels") or {}
    return ",".join(f"{k}={v}" for k, v in sorted(labels.items()))


_SCALE_METADATA = ("name", "namespace", "uid", "resourceVersion", "creationTimestamp")


def _scale_view(rtype: ResourceType, obj: JSON) -> JSON:
    """The autoscaling/v1 Scale a real server derives for the /scale subresource."""
    meta = obj["metadata"]
    return {
        "kind": "Scale",
        "apiVersion": "autoscaling/v1",
        "metadata": {k: meta[k] for k in _SCALE_METADATA if k in meta},
        "spec": {"replicas": (obj.get("spec") or {}).get("replicas", 1)},
        "status": {"replicas": (obj.get("status") or {}).get("replicas", 0), "selector": _scale_selector(rtype, obj)},
    }


# --------------------------------------------------------------------------------------
# The server


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


@dataclass(frozen=True)
class _Rule:
    verb: str
    resource: str
    namespace: str | None


@dataclass(frozen=True)
class _Target:
    """A resolved resource URL."""

    rtype: ResourceType
    namespace: str | None  # None: cluster-scoped kind, or a list across all namespaces
    name: str | None
    subresource: str | None

    @property
    def ns(self) -> str:
        return self.namespace or ""


@dataclass(frozen=True)
class Fault:
    """What the server does instead of (or to) its normal answer; see APIServer.inject.

    Build one with the class methods rather than the constructor.
    """

    kind: str  # status | delay | drop | malformed | watch_close | watch_drop | watch_expired
    status: int = 0
    retry_after: str | None = None
    seconds: float = 0.0
    after_processing: bool = True
    events: int = 0
    message: str | None = None

    @classmethod
    def error(cls, status: int, *, retry_after: float | str | None = None, message: str | None = None) -> Fault:
        """Answer with an error Status of this code (429, 500, 503, ...), before the request
        is processed; `retry_after` adds a Retry-After header (seconds; fractions allowed
        here so tests stay fast, though real servers send whole seconds)."""
        return cls("status", status=status, retry_after=None if retry_after is None else f"{retry_after:g}"
                   if isinstance(retry_after, (int, float)) else str(retry_after), message=message)

    @classmethod
    def delay(cls, seconds: float) -> Fault:
        """Process the request, then hold the answer back this long (a write is applied)."""
        return cls("delay", seconds=seconds)

    @classmethod
    def drop(cls, *, after_processing: bool = True) -> Fault:
        """Cut the connection: after processing, mid-body (headers and half the body sent;
        a write is applied), or before processing (nothing answered, nothing applied)."""
        return cls("drop", after_processing=after_processing)

    @classmethod
    def malformed(cls) -> Fault:
        """Process the request, then answer 200 with a body that is not JSON."""
        return cls("malformed")

    @classmethod
    def watch_close(cls, events: int = 0) -> Fault:
        """A watch: end the stream (cleanly, as a server-side timeout does) after N events."""
        return cls("watch_close", events=events)

    @classmethod
    def watch_drop(cls, events: int = 0) -> Fault:
        """A watch: after N events, cut the connection mid-event (half an event line sent,
        the chunked body never ended), as a broken network or a crashed server does."""
        return cls("watch_drop", events=events)

    @classmethod
    def watch_expired(cls) -> Fault:
        """A watch: answer with a 410 Expired ERROR event at once, as for a too-old version."""
        return cls("watch_expired")

    @property
    def for_watch(self) -> bool:
        return self.kind.startswith("watch_")


class _InjectedFault:
    """One rule of APIServer.inject: which requests, what to do, how many more times."""

    def __init__(self, method: str, path: str | re.Pattern[str], prefix: bool, fault: Fault, times: int | None,
                 watch: bool | None = None, skip: int = 0) -> None:
        self.method = method.upper()
        self.path = path
        self.prefix = prefix
        self.fault = fault
        self.remaining = times  # None: every matching request
        self.watch = watch  # None: what the fault's kind allows; True/False: only (non-)watch requests
        self.skip = skip  # matching requests still to let through untouched
        self.hits = 0

    def matches(self, method: str, path: str, watch: bool) -> bool:
        if self.method not in ("*", method):
            return False
        if self.fault.kind != "status" and self.fault.for_watch != watch:
            return False
        if self.watch is not None and self.watch != watch:
            return False
        if isinstance(self.path, re.Pattern):
            return self.path.fullmatch(path) is not None
        return path.startswith(self.path) if self.prefix else path == self.path


class _DropConnection(Exception):
    """Raised inside a handler to close the connection without an answer."""


class _CutStream(Exception):
    """Raised inside a watch to end the stream early (a Fault.watch_close)."""


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
        self._store = _Store(event_window)
        self._requests: list[RecordedRequest] = []
        self._requests_lock = threading.Lock()
        self._rules: list[_Rule] = []
        self._faults: list[_InjectedFault] = []
        self._faults_lock = threading.Lock()
        self._httpd: _HTTPServer | None = None
        self._thread: threading.Thread | None = None
        with self._store.cond:
            self._ensure_namespace("default")

    # -- lifecycle

    def start(self, host: str = "127.0.0.1", port: int = 0) -> str:
        """Serve on host:port (0 picks a free port) in a daemon thread; return the base URL."""
        if self._httpd is not None:
            raise RuntimeError("the server is already running")
        self._store.stopping = False
        httpd = _HTTPServer((host, port), self)
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

    def forbid(self, verb: str, plural: str, namespace: str | None = None) -> None:
        """Answer 403 Forbidden to `verb` on `plural`, in one namespace or (None) everywhere.

        `verb` is an RBAC verb (get, list, watch, create, update, patch, delete,
        deletecollection) or "*". `plural` is e.g. "rollouts", "rollouts/status" (as in RBAC,
        a subresource is only matched by its own name) or "*".
        """
        base, _, sub = plural.partition("/")
        base = base.split(".", 1)[0]  # "rollouts.argoproj.io" names the same resource
        self._rules.append(_Rule(verb, f"{base}/{sub}" if sub else base, namespace))

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
        only match watch requests, and delay, drop and malformed only non-watch requests,
        so such a fault on a collection path does not disturb the watch on it.
        `times=None` applies the fault to every matching request until `clear_faults`.
        `watch=False` (True) narrows a rule to non-watch (watch) requests, and `skip=N`
        lets the first N matching requests through untouched: together they aim a
        Fault.error at the re-list after a 410 rather than at the first list of the same
        collection (`inject("GET", path, Fault.error(503), watch=False, skip=1)`).
        Rules are tried in the order they were added; the first match with uses left wins.
        Thread-safe; requests that met a fault are still recorded in `requests`.

        Faults: Fault.error(429, retry_after=1), Fault.error(503), Fault.delay(10),
        Fault.drop(), Fault.drop(after_processing=False), Fault.malformed(),
        Fault.watch_close(events=3), Fault.watch_drop(events=3), Fault.watch_expired().
        """
        if times is not None and times < 1:
            raise ValueError("times must be at least 1 (or None for every request)")
        if skip < 0:
            raise ValueError("skip must not be negative")
        if watch is not None and fault.kind != "status" and watch != fault.for_watch:
            raise ValueError(f"a {fault.kind} fault never meets {'watch' if watch else 'non-watch'} requests")
        with self._faults_lock:
            self._faults.append(_InjectedFault(method, path, prefix, fault, times, watch, skip))

    def clear_faults(self) -> None:
        """Forget every injected fault, used or not."""
        with self._faults_lock:
            self._faults.clear()

    def fault_hits(self) -> int:
        """How many requests met an injected fault so far."""
        with self._faults_lock:
            return sum(f.hits for f in self._faults)

    def _take_fault(self, method: str, path: str, watch: bool) -> Fault | None:
        with self._faults_lock:
            for rule in self._faults:
                if (rule.remaining is None or rule.remaining > 0) and rule.matches(method, path, watch):
                    if rule.skip > 0:
                        rule.skip -= 1  # let this one through; a later rule may still take it
                        continue
                    if rule.remaining is not None:
                        rule.remaining -= 1
                    rule.hits += 1
                    return rule.fault
        return None

    def seed(self, objects: Iterable[Mapping[str, Any]]) -> None:
        """Add (or replace) objects as a controller would; `kind: List` documents are unpacked.

        uid, creationTimestamp and generation are kept when given, else assigned;
        resourceVersion is always assigned. Status is stored as given.
        """
        for obj in _flatten_lists(objects):
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
        rtype, namespace, name = _identify(obj)
        new = _clone(dict(obj))
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
        out.write_text(text)
        return out

    # -- request plumbing used by the handler

    def _note_request(self, request: RecordedRequest) -> None:
        if self._record:
            with self._requests_lock:
                self._requests.append(request)

    def _authenticate(self, authorization: str | None) -> None:
        if self._token is None:
            return
        if not hmac.compare_digest((authorization or "").encode(), f"Bearer {self._token}".encode()):
            raise _unauthorized()

    def _authorize(self, verb: str, target: _Target) -> None:
        resource = target.rtype.plural + (f"/{target.subresource}" if target.subresource else "")
        for rule in self._rules:
            if (
                rule.verb in (verb, "*")
                and rule.resource in (resource, "*")
                and (rule.namespace is None or rule.namespace == target.namespace)
            ):
                raise _forbidden(target.rtype, verb, resource, target.namespace, target.name)

    def _now(self) -> str:
        return self._clock().astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")

    # -- semantic operations (hold nothing on entry; take the store lock themselves)

    def _require(self, rtype: ResourceType, namespace: str, name: str) -> _Entry:
        entry = self._store.get(rtype, namespace, name)
        if entry is None:
            raise _not_found(rtype, name)
        return entry

    def _ensure_namespace(self, namespace: str) -> None:
        # Objects may go into any namespace; the namespaces resource then lists it.
        if namespace and self._store.get(_NAMESPACES, "", namespace) is None:
            obj: JSON = {
                "apiVersion": "v1",
                "kind": "Namespace",
                "metadata": {
                    "name": namespace, "uid": str(uuid.uuid4()), "creationTimestamp": self._now(), "generation": 1,
                },
                "spec": {"finalizers": ["kubernetes"]},
                "status": {"phase": "Active"},
            }
            self._store.put(_NAMESPACES, obj, "ADDED", None)

    def _store_controller_write(
        self, rtype: ResourceType, namespace: str, current: _Entry | None, new: JSON
    ) -> _Entry:
        """apply_change: the whole object as given, with the system fields filled in."""
        meta = new["metadata"]
        if rtype.namespaced:
            meta["namespace"] = namespace
        else:
            meta.pop("namespace", None)
        new["apiVersion"], new["kind"] = rtype.api_version, rtype.kind
        _fold_string_data(rtype, new)
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
            meta["generation"] = old_generation + (1 if _spec_changed(rtype, current.obj, new) else 0)
        return self._write(rtype, namespace, current, new, dry_run=False)

    def _create(self, rtype: ResourceType, namespace: str, body: Any, *, dry_run: bool) -> _Entry:
        obj = _check_body(rtype, namespace, body)
        meta = obj["metadata"]
        with self._store.cond:
            name = meta.get("name") or ""
            if not name:
                if not meta.get("generateName"):
                    raise _invalid(rtype, "", "metadata.name", "Required value: name or generateName is required")
                name = self._generate_name(rtype, namespace, str(meta["generateName"]))
            if self._store.get(rtype, namespace, name) is not None:
                raise _already_exists(rtype, name)
            for key in ("resourceVersion", "deletionTimestamp", "deletionGracePeriodSeconds", "selfLink"):
                meta.pop(key, None)
            meta.update(name=name, uid=str(uuid.uuid4()), creationTimestamp=self._now(), generation=1)
            if rtype.namespaced:
                meta["namespace"] = namespace
            else:
                meta.pop("namespace", None)
            if rtype.has_status:
                obj.pop("status", None)  # status is only written through /status
            _fold_string_data(rtype, obj)
            if dry_run:
                return _Entry(obj, _encode(obj))
            self._ensure_namespace(namespace)
            return self._store.put(rtype, obj, "ADDED", None)

    def _generate_name(self, rtype: ResourceType, namespace: str, prefix: str) -> str:
        alphabet = "bcdfghjklmnpqrstvwxz2456789"  # the real server's: no vowels, no look-alikes
        while True:
            name = prefix + "".join(random.choice(alphabet) for _ in range(5))
            if self._store.get(rtype, namespace, name) is None:
                return name

    def _update(
        self,
        target: _Target,
        change: Callable[[JSON], Any],
        *,
        subresource: str | None,
        require_rv: bool,
        dry_run: bool,
    ) -> _Entry:
        """Read-modify-write one object.

        `change` turns a private copy of the stored object into the candidate (PUT ignores
        it and returns the body; PATCH patches it). The candidate's resourceVersion, if any,
        must be the stored one (409 otherwise).
        """
        rtype, namespace, name = target.rtype, target.ns, str(target.name)
        with self._store.cond:
            current = self._require(rtype, namespace, name)
            candidate = change(json.loads(current.raw))
            if not isinstance(candidate, dict) or not isinstance(candidate.setdefault("metadata", {}), dict):
                raise _unprocessable(f'{rtype.qualified} "{name}": the result is not an object with metadata')
            sent_rv = str(candidate["metadata"].get("resourceVersion") or "")
            if require_rv and not sent_rv and not rtype.builtin:
                problem = "Invalid value: 0x0: must be specified for an update"
                raise _invalid(rtype, name, "metadata.resourceVersion", problem)
            if sent_rv and sent_rv != current.rv:
                raise _conflict(rtype, name)
            new = _next_version(rtype, current.obj, candidate, subresource)
            return self._write(rtype, namespace, current, new, dry_run=dry_run)

    def _write(self, rtype: ResourceType, namespace: str, current: _Entry, new: JSON, *, dry_run: bool) -> _Entry:
        """Commit an update: nothing for a no-op; a delete when the last finalizer went."""
        meta = new["metadata"]
        meta["resourceVersion"] = current.rv
        if _json_equal(new, current.obj):
            return current  # a no-op write keeps the resourceVersion and emits no event
        if dry_run:
            return _Entry(new, _encode(new))
        if meta.get("deletionTimestamp") and not meta.get("finalizers"):
            gone = self._remove(rtype, namespace, meta["name"])
            meta["resourceVersion"] = gone.rv
            return _Entry(new, _encode(new))
        return self._store.put(rtype, new, "MODIFIED", current.obj)

    def _remove(self, rtype: ResourceType, namespace: str, name: str) -> _Entry:
        if rtype is _NAMESPACES:  # a namespace takes its contents with it
            for other in RESOURCES:
                if other.namespaced:
                    for entry in self._store.items(other, name):
                        self._store.remove(other, name, entry.obj["metadata"]["name"])
        return self._store.remove(rtype, namespace, name)

    def _delete(self, target: _Target, options: JSON, *, dry_run: bool) -> tuple[_Entry, bool]:
        """DELETE one object. Returns the entry and whether it is gone (False: finalizers)."""
        rtype, namespace, name = target.rtype, target.ns, str(target.name)
        with self._store.cond:
            current = self._require(rtype, namespace, name)
            meta = current.obj["metadata"]
            preconditions = options.get("preconditions") or {}
            for key, label in (("uid", "UID"), ("resourceVersion", "ResourceVersion")):
                wanted = preconditions.get(key)
                if wanted and wanted != meta.get(key):
                    why = (
                        f"Precondition failed: {label} in precondition: {wanted}, "
                        f"{label} in object meta: {meta.get(key)}"
                    )
                    raise _conflict(rtype, name, why)
            if rtype is _NAMESPACES and name == "default":
                message = 'namespaces "default" is forbidden: this namespace may not be deleted'
                raise StatusError(403, "Forbidden", message, _details(rtype, name))
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
                    return _Entry(new, _encode(new)), False
                return self._store.put(rtype, new, "MODIFIED", current.obj), False
            if dry_run:
                return current, True
            return self._remove(rtype, namespace, name), True


def _identify(obj: Mapping[str, Any]) -> tuple[ResourceType, str, str]:
    rtype = _BY_KIND.get((str(obj.get("apiVersion")), str(obj.get("kind"))))
    if rtype is None:
        raise ValueError(f"not a served kind: apiVersion={obj.get('apiVersion')!r} kind={obj.get('kind')!r}")
    meta = obj.get("metadata") or {}
    name = meta.get("name")
    if not name:
        raise ValueError(f"{rtype.kind} without metadata.name")
    namespace = (meta.get("namespace") or "default") if rtype.namespaced else ""
    return rtype, namespace, str(name)


def _flatten_lists(objects: Iterable[Mapping[str, Any]]) -> Iterable[Mapping[str, Any]]:
    for obj in objects:
        if obj.get("kind") == "List" or (str(obj.get("kind", "")).endswith("List") and "items" in obj):
            yield from _flatten_lists(obj.get("items") or [])
        else:
            yield obj


def _check_body(rtype: ResourceType, namespace: str, body: Any) -> JSON:
    """Validate a POST/PUT body against the URL it was sent to; returns it with defaults."""
    if not isinstance(body, dict):
        raise _bad_request("the request body must be a JSON object")
    if body.get("apiVersion", rtype.api_version) != rtype.api_version or body.get("kind", rtype.kind) != rtype.kind:
        raise _bad_request(
            f"the API version in the data ({body.get('apiVersion')}) and kind ({body.get('kind')}) "
            f"do not match the expected {rtype.api_version} {rtype.kind}"
        )
    meta = body.setdefault("metadata", {})
    if not isinstance(meta, dict):
        raise _bad_request("metadata must be an object")
    if rtype.namespaced and meta.get("namespace") and meta["namespace"] != namespace:
        raise _bad_request("the namespace of the provided object does not match the namespace sent on the request")
    body["apiVersion"], body["kind"] = rtype.api_version, rtype.kind
    return body


def _next_version(rtype: ResourceType, old: JSON, candidate: JSON, subresource: str | None) -> JSON:
    """The object an update stores: the status split and the immutable metadata enforced.

    /status takes only .status from the candidate; the main endpoint takes everything but
    .status (when the kind has the subresource) and the system metadata.
    """
    if subresource == "status":
        new = dict(old, metadata=dict(old["metadata"]))
        if "status" in candidate:
            new["status"] = candidate["status"]
        else:
            new.pop("status", None)
        return new
    new = dict(candidate)
    new["apiVersion"], new["kind"] = rtype.api_version, rtype.kind
    old_meta = old["metadata"]
    meta = dict(candidate["metadata"])
    for key in _SYSTEM_METADATA:
        if key in old_meta:
            meta[key] = old_meta[key]
        else:
            meta.pop(key, None)
    meta.pop("selfLink", None)
    new["metadata"] = meta
    if rtype.has_status:
        if "status" in old:
            new["status"] = old["status"]
        else:
            new.pop("status", None)
    _fold_string_data(rtype, new)
    if _spec_changed(rtype, old, new):
        meta["generation"] = old_meta.get("generation", 1) + 1
    return new


# --------------------------------------------------------------------------------------
# HTTP


class _HTTPServer(ThreadingHTTPServer):
    """ThreadingHTTPServer that knows its APIServer and can close its live connections."""

    daemon_threads = True

    def __init__(self, address: tuple[str, int], api: APIServer) -> None:
        self.api = api
        self.connections: set[socket.socket] = set()
        self.connections_lock = threading.Lock()
        if ":" in address[0]:
            self.address_family = socket.AF_INET6
        super().__init__(address, _Handler)

    def server_bind(self) -> None:
        # HTTPServer.server_bind calls getfqdn(), a reverse DNS lookup that can take seconds.
        socketserver.TCPServer.server_bind(self)
        host, port = self.server_address[:2]
        self.server_name, self.server_port = str(host), int(port)

    def handle_error(self, request: Any, client_address: Any) -> None:
        # A client that goes away mid-request (tests kill CLIs and cut connections on
        # purpose) is not a server error; socketserver would print a traceback for it into
        # whatever runs the server. Anything else is a bug and keeps its traceback.
        if isinstance(sys.exc_info()[1], OSError):
            return
        super().handle_error(request, client_address)

    def track(self, conn: socket.socket, alive: bool) -> None:
        with self.connections_lock:
            (self.connections.add if alive else self.connections.discard)(conn)

    def close_connections(self) -> None:
        with self.connections_lock:
            live = list(self.connections)
        for conn in live:
            with contextlib.suppress(OSError):
                conn.shutdown(socket.SHUT_RDWR)

    def poke(self) -> None:
        host, port = self.server_address[:2]
        with contextlib.suppress(OSError):
            socket.create_connection((str(host), int(port)), timeout=0.2).close()


class _Handler(BaseHTTPRequestHandler):
    """One connection. Every request's body is read in full before anything is answered,
    because an unread body (kubectl sends one with DELETE) corrupts keep-alive."""

    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True  # headers and body go out in separate writes
    server_version = "stand-in-apiserver"
    sys_version = ""
    server: _HTTPServer

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
            self._send_json(400, _encode(_bad_request("unreadable request body").to_status()))
            return
        split = urlsplit(self.path)
        query = dict(parse_qsl(split.query, keep_blank_values=True))
        content_type = (self.headers.get("Content-Type") or "").split(";")[0].strip().lower()
        api = self.server.api
        api._note_request(RecordedRequest(method, split.path, query, content_type, body, self.headers))
        watch = _parse_bool(query.get("watch")) or "/watch/" in split.path
        self._fault = api._take_fault(method, split.path, watch)
        try:
            api._authenticate(self.headers.get("Authorization"))
            if self._fault is not None:
                if self._fault.kind == "status":
                    _REASONS = {400: "BadRequest", 404: "NotFound", 409: "Conflict", 410: "Expired", 422: "Invalid",
                                429: "TooManyRequests", 500: "InternalError", 502: "BadGateway",
                                503: "ServiceUnavailable", 504: "Timeout"}
                    code = self._fault.status
                    err = StatusError(code, _REASONS.get(code, "Unknown"),
                                      self._fault.message or f"injected {code} for {method} {split.path}")
                    err.retry_after = self._fault.retry_after
                    raise err
                if self._fault.kind == "drop" and not self._fault.after_processing:
                    raise _DropConnection()
            self._route(method, split.path, query, content_type, body)
        except StatusError as err:
            self._fail(err)
        except _DropConnection:
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
            self._send_json(err.code, _encode(err.to_status()), retry_after=err.retry_after)

    def _hang_up(self) -> None:
        """Close the connection at once, whatever was (not) sent."""
        self.close_connection = True
        with contextlib.suppress(OSError):
            self.wfile.flush()
        with contextlib.suppress(OSError):
            self.connection.shutdown(socket.SHUT_RDWR)

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
        if self.command != "HEAD":
            self.wfile.write(body)

    def _pause(self, seconds: float) -> None:
        """Hold an answer back; stop() cuts the wait short."""
        store = self.server.api._store
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
        if version not in _GROUP_VERSIONS.get(group, []):
            raise _endpoint_not_found()
        if not rest:
            if method != "GET":
                raise _method_not_allowed()
            return self._send_json(200, _encode(_resource_list(group, version)))
        watch_path = rest[0] == "watch"  # the legacy /watch/ prefix
        target = _resolve_target(group, version, rest[1:] if watch_path else rest)
        self._serve_resource(method, target, query, content_type, body, watch_path)

    def _serve_discovery(self, method: str, segments: list[str]) -> None:
        if method != "GET":
            raise _method_not_allowed()
        if segments in (["healthz"], ["livez"], ["readyz"]):
            return self._send_json(200, b"ok", "text/plain; charset=utf-8")
        if segments == ["version"]:
            return self._send_json(200, _encode(_VERSION_INFO))
        if not segments:
            return self._send_json(200, _encode({"paths": _root_paths()}))
        self._send_json(200, _encode(_discovery_document(segments, self.server.server_address)))

    def _serve_resource(
        self, method: str, target: _Target, query: dict[str, str], content_type: str, body: bytes, watch_path: bool
    ) -> None:
        api = self.server.api
        rtype = target.rtype
        dry_run = query.get("dryRun") == "All"
        if target.name is None:
            watching = watch_path or _parse_bool(query.get("watch"))
            collection_verbs = {"GET": "watch" if watching else "list", "POST": "create", "DELETE": "deletecollection"}
            verb = collection_verbs.get(method)
            if verb is None or (verb == "create" and rtype.namespaced and target.namespace is None):
                raise _method_not_allowed()
            api._authorize(verb, target)
            if verb == "create":
                entry = api._create(rtype, target.ns, _parse_json(body), dry_run=dry_run)
                return self._send_json(201, entry.raw)
            selector = _selector_from_query(query, rtype)
            if verb == "watch":
                return self._stream_watch(target, query, selector)
            if verb == "list":
                return self._send_json(200, _list_body(api, target, selector))
            return self._delete_collection(target, selector, body, dry_run)
        verb = {"GET": "get", "PUT": "update", "PATCH": "patch", "DELETE": "delete"}.get(method)
        if verb is None or (verb == "delete" and target.subresource):
            raise _method_not_allowed()
        if watch_path:  # /watch/.../name: a single-object watch
            fields = (FieldRequirement("metadata.name", "=", target.name),)
            whole = _Target(rtype, target.namespace, None, None)
            api._authorize("watch", whole)
            labels = parse_label_selector(query.get("labelSelector", ""))
            return self._stream_watch(whole, query, Selector(labels, fields))
        api._authorize(verb, target)
        if target.subresource == "scale":
            return self._serve_scale(verb, target, content_type, body, dry_run)
        if verb == "get":
            with api._store.cond:
                entry = api._require(rtype, target.ns, target.name)
            return self._send_json(200, entry.raw)
        if verb == "delete":
            return self._serve_delete(target, body, query, dry_run)
        if verb == "update":
            candidate = _check_body(rtype, target.ns, _parse_json(body))
            if candidate["metadata"].get("name", target.name) != target.name:
                raise _bad_request(
                    f"the name of the object ({candidate['metadata']['name']}) "
                    f"does not match the name on the URL ({target.name})"
                )
            entry = api._update(
                target, _replacing(candidate), subresource=target.subresource, require_rv=True, dry_run=dry_run
            )
            return self._send_json(200, entry.raw)
        apply = _patch_function(content_type, rtype)
        patch = _parse_json(body)
        entry = api._update(
            target, _patching(apply, patch), subresource=target.subresource, require_rv=False, dry_run=dry_run
        )
        self._send_json(200, entry.raw)

    def _serve_delete(self, target: _Target, body: bytes, query: dict[str, str], dry_run: bool) -> None:
        options = _parse_json(body) if body.strip() else {}
        if not isinstance(options, dict):
            raise _bad_request("DeleteOptions must be a JSON object")
        dry_run = dry_run or options.get("dryRun") == ["All"]
        entry, gone = self.server.api._delete(target, options, dry_run=dry_run)
        rtype = target.rtype
        if gone and rtype.kind != "Pod":
            # Like the real server: custom resources and most built-ins answer a finished
            # delete with a Status; pods (and anything still finalizing) with the object.
            details = _details(rtype, target.name)
            details["uid"] = entry.obj["metadata"].get("uid")
            status = {"kind": "Status", "apiVersion": "v1", "metadata": {}, "status": "Success", "details": details}
            return self._send_json(200, _encode(status))
        self._send_json(200, entry.raw)

    def _delete_collection(self, target: _Target, selector: Selector, body: bytes, dry_run: bool) -> None:
        api = self.server.api
        options = _parse_json(body) if body.strip() else {}
        if not isinstance(options, dict):
            raise _bad_request("DeleteOptions must be a JSON object")
        with api._store.cond:
            names = [
                (_namespace_of(e.obj), e.obj["metadata"]["name"])
                for e in api._store.items(target.rtype, target.namespace)
                if selector.matches(e.obj)
            ]
            raws = [
                api._delete(_Target(target.rtype, ns or None, name, None), options, dry_run=dry_run)[0].raw
                for ns, name in names
            ]
            rv = api._store.rv
        self._send_json(200, _list_envelope(target.rtype, rv, raws))

    def _serve_scale(self, verb: str, target: _Target, content_type: str, body: bytes, dry_run: bool) -> None:
        api = self.server.api
        rtype = target.rtype
        if verb == "get":
            with api._store.cond:
                entry = api._require(rtype, target.ns, str(target.name))
            return self._send_json(200, _encode(_scale_view(rtype, entry.obj)))
        sent = _parse_json(body)
        if verb == "update":
            change = _replacing(sent)
        else:
            # Scale is a built-in type even for a custom resource, so SMP is accepted here.
            apply = _apply_merge if content_type == _STRATEGIC else _patch_function(content_type, rtype)
            change = _patching(apply, sent)

        def scaled(current: JSON) -> JSON:
            scale = change(_scale_view(rtype, current))
            replicas = (scale.get("spec") or {}).get("replicas") if isinstance(scale, dict) else None
            if not isinstance(replicas, int) or isinstance(replicas, bool) or replicas < 0:
                problem = f"Invalid value: {replicas!r}: must be a non-negative integer"
                raise _invalid(rtype, str(target.name), "spec.replicas", problem)
            current.setdefault("spec", {})["replicas"] = replicas
            current["metadata"]["resourceVersion"] = (scale.get("metadata") or {}).get("resourceVersion")
            return current

        entry = api._update(target, scaled, subresource=None, require_rv=False, dry_run=dry_run)
        self._send_json(200, _encode(_scale_view(rtype, entry.obj)))

    # -- watch

    def _stream_watch(self, target: _Target, query: dict[str, str], selector: Selector) -> None:
        """Stream watch events as chunked JSON lines until timeoutSeconds, stop() or hang-up."""
        store = self.server.api._store
        fault, self._fault = getattr(self, "_fault", None), None
        with store.cond:
            store.watchers += 1
        try:
            if fault is not None and fault.kind == "watch_expired":
                self._begin_stream()
                with store.cond:
                    rv = store.rv
                return self._end_stream(_expired_line(_parse_rv(query.get("resourceVersion") or "0") or rv, rv + 1))
            cutting = fault is not None and fault.kind in ("watch_close", "watch_drop")
            self._events_left = fault.events if fault is not None and cutting else None
            try:
                self._watch_loop(target, query, selector)
            except _CutStream:
                if fault is not None and fault.kind == "watch_drop":
                    self._drop_mid_event()
                else:
                    self._end_stream()
        finally:
            with store.cond:
                store.watchers -= 1
                store.cond.notify_all()

    def _watch_loop(self, target: _Target, query: dict[str, str], selector: Selector) -> None:
        store = self.server.api._store
        rtype = target.rtype
        requested = query.get("resourceVersion", "")
        timeout = _parse_timeout(query.get("timeoutSeconds"))
        bookmarks = _parse_bool(query.get("allowWatchBookmarks"))
        initial_events = _parse_bool(query.get("sendInitialEvents"))
        with store.cond:
            if requested in ("", "0") or initial_events:
                cursor = store.rv
                initial = [e for e in store.items(rtype, target.namespace) if selector.matches(e.obj)]
            else:
                cursor = _parse_rv(requested)
                initial = []
            expired_at_start = cursor < store.oldest_resumable
            oldest = store.oldest_resumable
        self._begin_stream()
        if expired_at_start:
            return self._end_stream(_expired_line(cursor, oldest))
        lines = [b'{"type":"ADDED","object":' + e.raw + b"}\n" for e in initial]
        if initial_events and bookmarks:
            lines.append(_bookmark_line(rtype, cursor, initial_events_end=True))
        self._write_chunks(lines)

        started = time.monotonic()
        deadline = started + timeout if timeout is not None else None
        next_bookmark = started + self.server.api.bookmark_interval
        while True:
            now = time.monotonic()
            wake = now + _LIVENESS_INTERVAL
            if deadline is not None:
                wake = min(wake, deadline)
            if bookmarks:
                wake = min(wake, next_bookmark)
            with store.cond:
                # A condition variable, not polling: a write wakes every watcher at once.
                while store.rv <= cursor and not store.stopping and time.monotonic() < wake:
                    store.cond.wait(max(0.0, wake - time.monotonic()))
                stopping = store.stopping
                oldest = store.oldest_resumable
                fell_behind = cursor < oldest  # more writes went by than the log keeps
                events = [] if fell_behind else store.events_after(cursor)
                previous, cursor = cursor, max(cursor, store.rv)
            # Socket writes happen outside the lock: a slow client must not stall writers.
            if fell_behind:
                return self._end_stream(_expired_line(previous, oldest))
            self._write_chunks([line for ev in events if (line := _event_line(ev, target, selector))])
            now = time.monotonic()
            if stopping:
                return self._end_stream()
            if deadline is not None and now >= deadline:
                return self._end_stream(_bookmark_line(rtype, cursor) if bookmarks else None)
            if bookmarks and now >= next_bookmark:
                self._write_chunks([_bookmark_line(rtype, cursor)])
                next_bookmark = now + self.server.api.bookmark_interval
            if not events and self._client_gone():
                self.close_connection = True
                return

    def _begin_stream(self) -> None:
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Transfer-Encoding", "chunked")
        self.end_headers()
        self._streaming = True

    def _write_chunks(self, lines: Sequence[bytes]) -> None:
        left = getattr(self, "_events_left", None)
        cut = False
        if left is not None and self._streaming:
            cut = len(lines) >= left
            lines = lines[:left]
            self._events_left = left - len(lines)
        if lines:
            self.wfile.write(b"".join(b"%x\r\n%s\r\n" % (len(line), line) for line in lines))
        if cut:
            self._events_left = None
            raise _CutStream()

    def _end_stream(self, last_line: bytes | None = None) -> None:
        self._write_chunks([last_line] if last_line else [])
        self.wfile.write(b"0\r\n\r\n")
        self._streaming = False

    def _drop_mid_event(self) -> None:
        """Fault.watch_drop: a chunk announced twice as long as what is sent, then hang up."""
        half = b'{"type":"MODIFIED","object":{"kind":"'
        with contextlib.suppress(OSError):
            self.wfile.write(b"%x\r\n%s" % (len(half) * 2, half))
        self._hang_up()

    def _client_gone(self) -> bool:
        try:
            readable, _, _ = select.select([self.connection], [], [], 0)
            return bool(readable) and self.connection.recv(1, socket.MSG_PEEK) == b""
        except OSError:
            return True


def _replacing(body: Any) -> Callable[[JSON], Any]:
    """The `change` of a PUT: the stored object is ignored, the body is the candidate."""
    return lambda _current: body


def _patching(apply: Callable[[JSON, Any], Any], patch: Any) -> Callable[[JSON], Any]:
    """The `change` of a PATCH; a patch that does not apply becomes 422 Invalid."""
    def change(current: JSON) -> Any:
        try:
            return apply(current, patch)
        except _PatchFailed as exc:
            raise _unprocessable(f"the server rejected our request due to an error in our request: {exc}") from None

    return change


def _parse_timeout(value: str | None) -> float | None:
    if value in (None, ""):
        return None
    try:
        seconds = float(str(value))
    except ValueError:
        raise _bad_request(f"invalid timeoutSeconds {value!r}") from None
    return max(0.0, seconds)


def _parse_rv(value: str) -> int:
    if not re.fullmatch(r"\d+", value):
        raise _bad_request(f'invalid resource version "{value}": must be an integer')
    return int(value)


def _event_line(event: _Event, target: _Target, selector: Selector) -> bytes | None:
    """The line one watcher gets for one logged event, or None.

    With a selector, a MODIFIED that leaves it becomes DELETED (with the previous content at
    the new resourceVersion, as the real watch cache sends) and one that enters becomes ADDED.
    """
    if event.rtype is not target.rtype or (target.namespace is not None and event.namespace != target.namespace):
        return None
    kind, raw = event.type, event.raw
    if selector:
        now = selector.matches(event.obj)
        before = event.prev is not None and selector.matches(event.prev)
        if kind == "MODIFIED" and before and not now:
            assert event.prev is not None
            kind = "DELETED"
            raw = _encode(dict(event.prev, metadata=dict(event.prev["metadata"], resourceVersion=str(event.rv))))
        elif kind == "MODIFIED" and now and not before:
            kind = "ADDED"
        elif not now:
            return None
    return b'{"type":"' + kind.encode() + b'","object":' + raw + b"}\n"


def _bookmark_line(rtype: ResourceType, rv: int, *, initial_events_end: bool = False) -> bytes:
    meta: JSON = {"resourceVersion": str(rv)}
    if initial_events_end:
        meta["annotations"] = {"k8s.io/initial-events-end": "true"}
    bookmark = {"kind": rtype.kind, "apiVersion": rtype.api_version, "metadata": meta}
    return _encode({"type": "BOOKMARK", "object": bookmark}) + b"\n"


def _expired_line(requested: int, oldest: int) -> bytes:
    status = StatusError(410, "Expired", f"too old resource version: {requested} ({oldest})").to_status()
    return _encode({"type": "ERROR", "object": status}) + b"\n"


def _list_envelope(rtype: ResourceType, rv: int, raws: Sequence[bytes]) -> bytes:
    metadata = {"resourceVersion": str(rv)}
    head = _encode({"kind": rtype.kind + "List", "apiVersion": rtype.api_version, "metadata": metadata})
    return head[:-1] + b',"items":[' + b",".join(raws) + b"]}"


def _list_body(api: APIServer, target: _Target, selector: Selector) -> bytes:
    store = api._store
    with store.cond:
        entries = store.items(target.rtype, target.namespace)
        rv = store.rv
    return _list_envelope(target.rtype, rv, [e.raw for e in entries if not selector or selector.matches(e.obj)])


def _resolve_target(group: str, version: str, rest: list[str]) -> _Target:
    """Map the path after /api/v1 or /apis/{g}/{v} to a resource, namespace, name, subresource."""
    if not rest:
        raise _endpoint_not_found()
    namespaced = len(rest) >= 3 and rest[0] == "namespaces"
    rtype = _BY_PATH.get((group, version, rest[2])) if namespaced else None
    if rtype is not None and rtype.namespaced:
        namespace: str | None = rest[1]
        tail = rest[3:]
    else:
        rtype = _BY_PATH.get((group, version, rest[0]))
        namespace, tail = None, rest[1:]
        if rtype is None or (rtype.namespaced and tail):
            raise _endpoint_not_found()
    if len(tail) > 2 or (len(tail) == 2 and tail[1] not in rtype.subresources):
        raise _endpoint_not_found()
    return _Target(rtype, namespace, tail[0] if tail else None, tail[1] if len(tail) == 2 else None)


def _discovery_document(segments: list[str], address: tuple[Any, ...]) -> JSON:
    if segments == ["api"]:
        return {
            "kind": "APIVersions",
            "versions": ["v1"],
            "serverAddressByClientCIDRs": [
                {"clientCIDR": "0.0.0.0/0", "serverAddress": f"{address[0]}:{address[1]}"}
            ],
        }
    if segments == ["apis"]:
        return {"kind": "APIGroupList", "apiVersion": "v1", "groups": [_group(g) for g in _GROUP_VERSIONS if g]}
    if segments[0] == "apis" and len(segments) == 2 and segments[1] in _GROUP_VERSIONS and segments[1]:
        return dict(_group(segments[1]), kind="APIGroup", apiVersion="v1")
    raise _endpoint_not_found()


def _root_paths() -> list[str]:
    paths = {"/api", "/api/v1", "/apis", "/version", "/healthz", "/livez", "/readyz"}
    for group, versions in _GROUP_VERSIONS.items():
        if group:
            paths.add(f"/apis/{group}")
            paths.update(f"/apis/{group}/{v}" for v in versions)
    return sorted(paths)


def _group(group: str) -> JSON:
    versions = [{"groupVersion": f"{group}/{v}", "version": v} for v in _GROUP_VERSIONS[group]]
    return {"name": group, "versions": versions, "preferredVersion": versions[0]}


def _resource_list(group: str, version: str) -> JSON:
    # The core group's groupVersion is "v1", never "/v1": kubectl cannot find pods otherwise.
    resources: list[JSON] = []
    for r in RESOURCES:
        if (r.group, r.version) != (group, version):
            continue
        entry: JSON = {
            "name": r.plural,
            "singularName": r.kind.lower(),
            "namespaced": r.namespaced,
            "kind": r.kind,
            "verbs": _VERBS,
        }
        if r.short_names:
            entry["shortNames"] = list(r.short_names)
        resources.append(entry)
        for sub in r.subresources:
            # Subresources carry no shortNames: kubectl 1.32 warns about ambiguous short names otherwise.
            resources.append(
                {
                    "name": f"{r.plural}/{sub}",
                    "singularName": "",
                    "namespaced": r.namespaced,
                    "kind": "Scale" if sub == "scale" else r.kind,
                    **({"group": "autoscaling", "version": "v1"} if sub == "scale" else {}),
                    "verbs": ["get", "patch", "update"],
                }
            )
    group_version = f"{group}/{version}" if group else version
    return {"kind": "APIResourceList", "apiVersion": "v1", "groupVersion": group_version, "resources": resources}


# --------------------------------------------------------------------------------------
# Seed files and the standalone entry point


def load_seed_documents(paths: Iterable[str | os.PathLike[str]]) -> list[JSON]:
    """Read objects from YAML/JSON files or folders (*.yaml, *.yml, *.json, recursively).

    Files may hold several documents and `kind: List` documents. Documents without a
    `kind` (e.g. a scenario's own settings file) are skipped. Timestamps stay strings.
    """
    import yaml  # only the seed loader needs PyYAML

    class _Loader(yaml.SafeLoader):
        pass

    # YAML would turn an unquoted creationTimestamp into a datetime; the API wants strings.
    _Loader.yaml_implicit_resolvers = {
        first: [(tag, rx) for tag, rx in resolvers if tag != "tag:yaml.org,2002:timestamp"]
        for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
    }
    files: list[Path] = []
    for path in map(Path, paths):
        if path.is_dir():
            files.extend(sorted(p for p in path.rglob("*") if p.is_file() and p.suffix in (".yaml", ".yml", ".json")))
        else:
            files.append(path)
    documents: list[JSON] = []
    for file in files:
        with file.open(encoding="utf-8") as stream:
            for doc in yaml.load_all(stream, Loader=_Loader):  # a SafeLoader subclass: safe
                if isinstance(doc, dict) and doc.get("kind"):
                    documents.extend(dict(d) for d in _flatten_lists([doc]))
    return documents


def main(argv: Sequence[str] | None = None) -> int:
    """Run the server in the foreground until SIGINT or SIGTERM; exit 0."""
    parser = argparse.ArgumentParser(
        prog="python -m kubectl_rollouts_py.sandbox.apiserver",
        description="A stand-in Kubernetes API server with Argo Rollouts resources, in memory.",
    )
    parser.add_argument("--host", default="127.0.0.1", help="address to bind (default: loopback only)")
    parser.add_argument("--port", type=int, default=8001, help="port to listen on (0 picks one)")
    parser.add_argument(
        "--seed", nargs="+", action="extend", default=[], metavar="FILE_OR_DIR", help="objects to load (repeatable)"
    )
    parser.add_argument("--kubeconfig", metavar="OUT_PATH", help="write a kubeconfig for this server here")
    parser.add_argument("--namespace", default="default", help="namespace of the kubeconfig context")
    parser.add_argument("--token", help="require this bearer token")
    parser.add_argument("--verbose", action="store_true", help="log every request on stderr")
    args = parser.parse_args(argv)

    import yaml

    server = APIServer(token=args.token, record_requests=False, log_requests=args.verbose)
    try:
        server.seed(load_seed_documents(args.seed))
    except (OSError, ValueError, yaml.YAMLError) as exc:
        print(f"error: cannot seed: {exc}", file=sys.stderr)
        return 2
    # The handlers go in before the URL is printed: whoever reads it may signal at once.
    stop = threading.Event()
    for signum in (signal.SIGINT, signal.SIGTERM):
        signal.signal(signum, lambda *_: stop.set())
    url = server.start(args.host, args.port)
    if args.kubeconfig:
        server.write_kubeconfig(args.kubeconfig, namespace=args.namespace)
    print(url, flush=True)

    while not stop.wait(0.5):
        pass
    server.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
