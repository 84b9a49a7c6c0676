"""Saved objects as a read-only Source (`--from-file`), behaving like the API server.

Input is what `kubectl get -o yaml|json` writes, or what people keep in git: files holding
multi-document YAML, a JSON object or array, or a list (`kind: List`, `RolloutList`, ...),
and directories of such files. get/list answer like the API: same NotFound message,
namespace/name order, label and field selectors. Nothing here imports `kubernetes`.
"""

from __future__ import annotations

import functools
import json
import os
import re
import sys
import threading
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import Any

from kubectl_rollouts_py import errors
from kubectl_rollouts_py.kube import resources
from kubectl_rollouts_py.kube import source as kube_source

FILE_SUFFIXES = (".yaml", ".yml", ".json")


class FileSource:
    """Objects read once from files; they never change, so watches see no events."""

    def __init__(self, paths: Iterable[str], *, namespace: str) -> None:
        """Read every path now, so a broken file is reported before any output.

        Raises:
            InputError: a path cannot be read, a file cannot be parsed, or a document
                is not a Kubernetes object (names the file, line or document).
        """
        self.paths = tuple(paths)
        self.namespace = namespace
        # (group, kind, namespace, name) -> object; later files override earlier ones,
        # as applying them in order would.
        self._objects: dict[tuple[str, str, str, str], dict[str, Any]] = {}
        for path in self.paths:
            for filename in _expand(path):
                for obj in load_file(filename):
                    self._add(obj)

    # -- Source interface -------------------------------------------------------------

    def describe(self) -> str:
        """`files: a.yaml, b/` (directories end with a slash)."""
        shown = [p if not os.path.isdir(p) or p.endswith("/") else p + "/" for p in self.paths]
        return "files: " + ", ".join(shown)

    def get(self, resource: resources.Resource | str, name: str, namespace: str | None) -> dict[str, Any]:
        """One saved object; NotFound carries the API's own wording."""
        res = kube_source.as_resource(resource)
        ns = kube_source.object_namespace(res, namespace, verb="get") or ""
        obj = self._objects.get((res.group, res.kind, ns, name))
        if obj is None:
            raise errors.NotFound(f'{res.qualified} "{name}" not found')
        return _copied(obj)

    def list(
        self,
        resource: resources.Resource | str,
        namespace: str | None,
        *,
        label_selector: str | None = None,
        field_selector: str | None = None,
    ) -> kube_source.ObjectList:
        """Matching saved objects in namespace/name order; resourceVersion "0"."""
        res = kube_source.as_resource(resource)
        labels = parse_label_selector(label_selector or "")
        fields = parse_field_selector(field_selector or "", res)
        wanted_ns = namespace if res.namespaced else None
        found = []
        for (group, kind, ns, name), obj in self._objects.items():
            if kind != res.kind or group != res.group:
                continue
            if wanted_ns is not None and ns != wanted_ns:
                continue
            if matches_labels(obj, labels) and matches_fields(obj, fields):
                found.append(((ns, name), obj))
        found.sort(key=lambda pair: pair[0])
        return kube_source.ObjectList([_copied(obj) for _, obj in found], "0")

    def watch(
        self,
        resource: resources.Resource | str,
        namespace: str | None,
        *,
        resource_version: str,
        label_selector: str | None = None,
        field_selector: str | None = None,
        timeout_seconds: int | None = None,
        stop: threading.Event | None = None,
    ) -> Iterator[kube_source.WatchEvent]:
        """No events ever; returns when `stop` is set or `timeout_seconds` pass.

        With neither, it blocks until the process is interrupted, like a watch on a
        quiet cluster.
        """
        res = kube_source.as_resource(resource)
        parse_label_selector(label_selector or "")
        parse_field_selector(field_selector or "", res)
        return _idle(timeout_seconds, stop)

    def patch(self, *args: Any, **kwargs: Any) -> dict[str, Any]:
        """Saved objects are read-only."""
        raise errors.UsageError(kube_source.READ_ONLY_MESSAGE)

    def create(self, *args: Any, **kwargs: Any) -> dict[str, Any]:
        """Saved objects are read-only."""
        raise errors.UsageError(kube_source.READ_ONLY_MESSAGE)

    def replace(self, *args: Any, **kwargs: Any) -> dict[str, Any]:
        """Saved objects are read-only."""
        raise errors.UsageError(kube_source.READ_ONLY_MESSAGE)

    def close(self) -> None:
        """Nothing to release."""

    def __enter__(self) -> FileSource:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    # -- internals ----------------------------------------------------------------------

    def _add(self, obj: dict[str, Any]) -> None:
        kind = obj["kind"]
        group = _group(obj.get("apiVersion"))
        metadata = obj["metadata"]
        known = resources.BY_KIND.get(kind)
        if group is None or (known is not None and (group, kind) in _LEGACY_GROUPS):
            # Saved objects from old clusters (and the Argo Rollouts kubectl plugin's test fixtures) say
            # extensions/v1beta1 for what API servers now serve as apps/v1.
            group = known.group if known is not None else ""
        if known is not None and not known.namespaced:
            ns = ""
        else:
            ns = str(metadata.get("namespace") or "")
            if not ns:
                # Like `kubectl apply -f` without a namespace: it lands in the current one.
                ns = self.namespace
                obj = {**obj, "metadata": {**metadata, "namespace": ns}}
        self._objects[(group, kind, ns, str(metadata["name"]))] = obj


_LEGACY_GROUPS = {("extensions", "ReplicaSet"), ("extensions", "Deployment")}


def _idle(timeout_seconds: float | None, stop: threading.Event | None) -> Iterator[kube_source.WatchEvent]:
    """A generator that blocks (no polling) until stop or timeout, then ends empty."""
    event = stop if stop is not None else threading.Event()
    event.wait(timeout_seconds)
    return
    yield  # pragma: no cover - makes this a generator


# ---------------------------------------------------------------------------------------
# Reading files


def load_file(filename: str) -> list[dict[str, Any]]:
    """The Kubernetes objects in one file, Lists flattened, empty documents skipped.

    Raises:
        InputError: unreadable, unparsable (with the line), or not Kubernetes objects
            (with the document number, counting from 1).
    """
    try:
        with open(filename, "rb") as handle:
            data = handle.read()
    except OSError as exc:
        raise errors.InputError(f"cannot read {filename}: {_strerror(exc)}") from exc
    objects: list[dict[str, Any]] = []
    for index, document in enumerate(_documents(filename, data), start=1):
        objects.extend(_objects_in(document, filename, f"document {index}"))
    return objects


def parse_documents(name: str, data: bytes) -> list[Any]:
    """The parsed documents of one file's bytes (JSON, or multi-document YAML; an empty
    document is None), under the same limits as load_file: depth, alias expansion, number
    size. For readers that check documents before they are objects (`lint`, stdin too).

    Raises:
        InputError: unparsable (with the line), too deep, or too many alias expansions.
    """
    return _documents(name, data)


def _expand(path: str) -> list[str]:
    """A file stays itself; a directory gives its *.yaml, *.yml, *.json files, sorted byte-wise."""
    if os.path.isdir(path):
        try:
            names = os.listdir(path)
        except OSError as exc:
            raise errors.InputError(f"cannot read {path}: {_strerror(exc)}") from exc
        chosen = [
            os.path.join(path, name)
            for name in sorted(names, key=os.fsencode)
            if name.endswith(FILE_SUFFIXES) and os.path.isfile(os.path.join(path, name))
        ]
        return chosen
    if not os.path.exists(path):
        raise errors.InputError(f"cannot read {path}: no such file or directory")
    return [path]


def _documents(filename: str, data: bytes) -> list[Any]:
    """Parse JSON (by suffix or a leading `{`/`[`) or multi-document YAML."""
    is_json_name = filename.endswith(".json")
    if is_json_name or data.lstrip()[:1] in (b"{", b"["):
        try:
            parsed = json.loads(data)
        except RecursionError as exc:
            raise errors.InputError(f"cannot parse {filename}: {_TOO_DEEP}") from exc
        except ValueError as exc:
            if is_json_name:
                line = getattr(exc, "lineno", None)
                where = f"line {line}: " if line else ""
                message = getattr(exc, "msg", None) or _value_problem(exc)
                raise errors.InputError(f"cannot parse {filename}: {where}{message}") from exc
            # Not JSON after all (YAML flow style can start with "{"); try YAML.
        else:
            return [parsed]
    import yaml

    _check_yaml_shape(filename, data)
    try:
        return list(yaml.load_all(data, Loader=_loader(fast=True)))
    except ValueError as exc:  # a number too long to convert (int's 4300-digit limit)
        raise errors.InputError(f"cannot parse {filename}: {_value_problem(exc)}") from exc
    except yaml.YAMLError as exc:
        # libyaml is fast but its messages are terser; re-parse with the pure-Python
        # parser, which explains the same error better ("... not allowed here").
        try:
            list(yaml.load_all(data, Loader=_loader(fast=False)))
        except yaml.YAMLError as slow_exc:
            exc = slow_exc
        except (ValueError, RecursionError):
            pass
        raise errors.InputError(f"cannot parse {filename}: {_yaml_problem(exc)}") from exc


# Kubernetes objects nest about 20 levels (a CRD's schema perhaps 60). Deeper YAML is
# refused before it is built: libyaml's composer recurses in C and crashes the process
# (SIGSEGV) at some 20,000 levels. JSON needs no check of its own: the json module stops at
# Python's recursion limit (about 1000 levels) with RecursionError, and _copy, the one
# recursive walk of saved objects, turns the same error into an InputError.
MAX_DEPTH = 500
_TOO_DEEP = "nested too deeply"
# YAML aliases share one node; walking the objects repeats it. A "billion laughs" file of
# a few hundred bytes expands to 10^9 nodes, so aliases may add this many nodes at most.
MAX_ALIAS_NODES = 1_000_000


def _value_problem(exc: ValueError) -> str:
    message = str(exc)
    if "integer string conversion" in message:
        return f"a number has more than {sys.get_int_max_str_digits()} digits"
    return message


def _check_yaml_shape(filename: str, data: bytes) -> None:
    """Refuse YAML nested deeper than MAX_DEPTH or whose aliases expand past MAX_ALIAS_NODES.

    It reads libyaml's event stream, which is flat (no recursion), only when needed: without
    an anchor (`&`) there are no aliases, and a document cannot nest deeper than its longest
    line (each block level starts further right) plus its `[` and `{` (each flow level
    opens with one). A document that does not parse is left to the loader to explain.

    Raises:
        InputError: too deep, or too much aliasing.
    """
    longest_line = max(map(len, data.split(b"\n")), default=0)
    if longest_line + data.count(b"[") + data.count(b"{") < MAX_DEPTH and b"&" not in data:
        return
    import yaml
    from yaml import events as ev

    try:
        stack: list[list[Any]] = []  # [anchor, nodes so far] per open collection
        sizes: dict[str, int] = {}  # anchor -> nodes under it, aliases expanded
        expanded = 0
        event: Any  # a NodeEvent where `anchor` is read (the type checks below)
        for event in yaml.parse(data, Loader=_loader(fast=True)):
            kind = type(event)
            if kind is ev.SequenceStartEvent or kind is ev.MappingStartEvent:
                stack.append([event.anchor, 1])
                if len(stack) > MAX_DEPTH:
                    raise errors.InputError(f"cannot parse {filename}: {_TOO_DEEP} (more than {MAX_DEPTH} levels)")
                continue
            if kind is ev.SequenceEndEvent or kind is ev.MappingEndEvent:
                anchor, size = stack.pop()
            elif kind is ev.ScalarEvent:
                anchor, size = event.anchor, 1
            elif kind is ev.AliasEvent:
                anchor, size = None, sizes.get(event.anchor, 1)
                expanded += size
                if expanded > MAX_ALIAS_NODES:
                    raise errors.InputError(
                        f"cannot parse {filename}: aliases expand to more than {MAX_ALIAS_NODES} nodes"
                    )
            else:
                if kind is ev.DocumentStartEvent:
                    sizes = {}  # anchors are per document
                continue
            if anchor:
                sizes[anchor] = size
            if stack:
                stack[-1][1] += size
    except yaml.YAMLError as exc:
        # Some libyaml builds (the PyYAML wheels of some Pythons) stop at their own depth
        # limit before ours: the same refusal, said the same way whichever libyaml it is.
        if "maximum nesting depth" in str(exc):
            raise errors.InputError(f"cannot parse {filename}: {_TOO_DEEP} (more than {MAX_DEPTH} levels)") from None
        return


@functools.lru_cache(maxsize=2)
def _loader(*, fast: bool) -> Any:
    """A safe YAML loader that keeps timestamps as strings, as the API's JSON has them.

    PyYAML's safe loader turns an unquoted `2024-01-01T00:00:00Z` into a datetime;
    Kubernetes (sigs.k8s.io/yaml) keeps it a string, and so must we.
    """
    import yaml

    base = getattr(yaml, "CSafeLoader", yaml.SafeLoader) if fast else yaml.SafeLoader

    class Loader(base):  # type: ignore[misc, valid-type]
        pass

    Loader.yaml_implicit_resolvers = {
        first: [(tag, regexp) for tag, regexp in resolvers if tag != "tag:yaml.org,2002:timestamp"]
        for first, resolvers in base.yaml_implicit_resolvers.items()
    }
    return Loader


def _yaml_problem(exc: Exception) -> str:
    mark = getattr(exc, "problem_mark", None)
    problem = getattr(exc, "problem", None) or str(exc).splitlines()[0]
    if mark is not None:
        return f"line {mark.line + 1}: {problem}"
    return str(problem)


def _objects_in(document: Any, filename: str, where: str) -> list[dict[str, Any]]:
    """Validate one parsed document and flatten arrays and *List kinds into objects."""
    if document is None:
        return []
    if isinstance(document, list):
        found = []
        for number, item in enumerate(document, start=1):
            found.extend(_objects_in(item, filename, f"{where}, item {number}"))
        return found
    if not isinstance(document, dict):
        raise errors.InputError(f"{filename}: {where}: not a Kubernetes object (found {_describe_value(document)})")
    kind = document.get("kind")
    if not isinstance(kind, str) or not kind:
        raise errors.InputError(f"{filename}: {where}: missing kind")
    items = document.get("items")
    if kind.endswith("List") and isinstance(items, list):
        # Built-in lists (PodList, ...) omit kind and apiVersion on their items.
        item_kind = kind[: -len("List")]
        api_version = document.get("apiVersion")
        found = []
        for number, item in enumerate(items, start=1):
            if isinstance(item, dict) and item_kind and "kind" not in item:
                item = {"kind": item_kind, **({"apiVersion": api_version} if api_version else {}), **item}
            found.extend(_objects_in(item, filename, f"{where}, item {number}"))
        return found
    metadata = document.get("metadata")
    if not isinstance(metadata, dict) or not isinstance(metadata.get("name"), str) or not metadata["name"]:
        raise errors.InputError(f"{filename}: {where}: {kind} has no metadata.name")
    return [document]


def _group(api_version: Any) -> str | None:
    """`argoproj.io/v1alpha1` → `argoproj.io`; `v1` → ``; missing → None (match any)."""
    if not isinstance(api_version, str) or not api_version:
        return None
    return api_version.rsplit("/", 1)[0] if "/" in api_version else ""


def _describe_value(value: Any) -> str:
    if isinstance(value, str):
        return "a string"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, (int, float)):
        return "a number"
    return type(value).__name__


def _strerror(exc: OSError) -> str:
    return (exc.strerror or str(exc)).lower()


def _copied(obj: dict[str, Any]) -> dict[str, Any]:
    """A copy of a saved object for a caller; InputError if it is nested too deeply to copy."""
    try:
        return _copy(obj)
    except RecursionError as exc:
        metadata = obj["metadata"]
        raise errors.InputError(f"{obj['kind']} {metadata.get('namespace')}/{metadata['name']}: {_TOO_DEEP}") from exc


def _copy(value: Any) -> Any:
    """A deep copy of plain data, so callers may change what they get (much faster than deepcopy)."""
    if isinstance(value, dict):
        return {key: _copy(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_copy(item) for item in value]
    return value


# ---------------------------------------------------------------------------------------
# Selectors, as the API server implements them


@dataclass(frozen=True)
class LabelRequirement:
    """One comma-separated part of a label selector."""

    key: str
    operator: str  # "exists", "!exists", "=", "!=", "in", "notin", "gt", "lt"
    values: tuple[str, ...] = ()


_KEY = r"[A-Za-z0-9]([-A-Za-z0-9_./]*[A-Za-z0-9])?"
_SET_RE = re.compile(rf"^(?P<key>{_KEY})\s+(?P<op>in|notin)\s*\((?P<values>[^()]*)\)$")
_EQ_RE = re.compile(rf"^(?P<key>{_KEY})\s*(?P<op>==|=|!=)\s*(?P<value>[-A-Za-z0-9_.]*)$")
_CMP_RE = re.compile(rf"^(?P<key>{_KEY})\s*(?P<op>[<>])\s*(?P<value>-?[0-9]+)$")
_EXISTS_RE = re.compile(rf"^(?P<not>!)?\s*(?P<key>{_KEY})$")


def parse_label_selector(selector: str) -> list[LabelRequirement]:
    """Parse `app=web,tier in (a,b),!canary,env!=prod`.

    Raises:
        ApiError: 400, with the API's `unable to parse requirement` wording.
    """
    requirements = []
    for part in _split_outside_parens(selector):
        part = part.strip()
        if not part:
            continue
        if match := _SET_RE.match(part):
            values = tuple(v.strip() for v in match["values"].split(",") if v.strip())
            requirements.append(LabelRequirement(match["key"], match["op"], values))
        elif match := _EQ_RE.match(part):
            op = "=" if match["op"] == "==" else match["op"]
            requirements.append(LabelRequirement(match["key"], op, (match["value"],)))
        elif match := _CMP_RE.match(part):
            requirements.append(LabelRequirement(match["key"], "gt" if match["op"] == ">" else "lt", (match["value"],)))
        elif match := _EXISTS_RE.match(part):
            requirements.append(LabelRequirement(match["key"], "!exists" if match["not"] else "exists"))
        else:
            raise errors.ApiError(
                f"unable to parse requirement: {part!r} in label selector {selector!r}", status=400, reason="BadRequest"
            )
    return requirements


def matches_labels(obj: dict[str, Any], requirements: list[LabelRequirement]) -> bool:
    """Whether the object's labels satisfy every requirement."""
    labels = (obj.get("metadata") or {}).get("labels")
    if not isinstance(labels, dict):  # a broken object's labels match nothing, as none
        labels = {}
    for req in requirements:
        present = req.key in labels
        value = str(labels.get(req.key, ""))
        if req.operator == "exists":
            ok = present
        elif req.operator == "!exists":
            ok = not present
        elif req.operator == "=":
            ok = present and value == req.values[0]
        elif req.operator == "!=":
            ok = not present or value != req.values[0]
        elif req.operator == "in":
            ok = present and value in req.values
        elif req.operator == "notin":
            ok = not present or value not in req.values
        else:  # gt / lt compare integers; a non-integer label value never matches
            try:
                number = int(value)
            except ValueError:
                ok = False
            else:
                bound = int(req.values[0])
                ok = present and (number > bound if req.operator == "gt" else number < bound)
        if not ok:
            return False
    return True


# Field selectors the API server accepts, per resource; every kind has the metadata pair.
_FIELDS: dict[str, tuple[str, ...]] = {
    "pods": (
        "spec.nodeName",
        "spec.restartPolicy",
        "spec.schedulerName",
        "spec.serviceAccountName",
        "spec.hostNetwork",
        "status.phase",
        "status.podIP",
        "status.nominatedNodeName",
    ),
    "replicasets": ("status.replicas",),
}


def parse_field_selector(selector: str, resource: resources.Resource) -> list[tuple[str, str, str]]:
    """Parse `metadata.name=x,status.phase!=Running` into (field, op, value) triples.

    Raises:
        ApiError: 400 for a field the API would not accept for this resource.
    """
    allowed = ("metadata.name", "metadata.namespace", *_FIELDS.get(resource.plural, ()))
    parsed = []
    for part in selector.split(","):
        part = part.strip()
        if not part:
            continue
        match = re.match(r"^([A-Za-z0-9.]+)\s*(==|=|!=)\s*(.*)$", part)
        if not match:
            raise errors.ApiError(f"invalid selector: {part!r}; expected field=value", status=400, reason="BadRequest")
        field_name, op, value = match.groups()
        if field_name not in allowed:
            if resource.group:
                message = f'"{field_name}" is not a known field selector: only "metadata.name", "metadata.namespace"'
            else:
                message = f"field label not supported: {field_name}"
            raise errors.ApiError(message, status=400, reason="BadRequest")
        parsed.append((field_name, "!=" if op == "!=" else "=", value.strip()))
    return parsed


def matches_fields(obj: dict[str, Any], requirements: list[tuple[str, str, str]]) -> bool:
    """Whether the object's fields satisfy every (field, op, value) requirement."""
    for field_name, op, value in requirements:
        current: Any = obj
        for step in field_name.split("."):
            current = current.get(step) if isinstance(current, dict) else None
        text = "" if current is None else (str(current).lower() if isinstance(current, bool) else str(current))
        if (text == value) != (op == "="):
            return False
    return True


def _split_outside_parens(text: str) -> list[str]:
    """Split on commas that are not inside `( ... )`: `a in (x,y),b` → [`a in (x,y)`, `b`]."""
    parts, depth, start = [], 0, 0
    for index, char in enumerate(text):
        if char == "(":
            depth += 1
        elif char == ")":
            depth = max(0, depth - 1)
        elif char == "," and depth == 0:
            parts.append(text[start:index])
            start = index + 1
    parts.append(text[start:])
    return parts
