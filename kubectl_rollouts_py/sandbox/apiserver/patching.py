"""Patches: merge (RFC 7386), JSON (RFC 6902) and strategic merge, chosen by Content-Type.

Each function may mutate and return its `target`, which is always a private copy.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from .errors import bad_request, unprocessable, unsupported_media
from .jsondata import JSON, clone, json_equal
from .resources import ResourceType


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


class PatchFailed(Exception):
    """A JSON patch that is well formed but does not apply (the server answers 422)."""


def _pointer(path: Any) -> list[str]:
    if not isinstance(path, str) or (path and not path.startswith("/")):
        raise PatchFailed(f"invalid JSON pointer {path!r}")
    if not path:
        return []
    return [p.replace("~1", "/").replace("~0", "~") for p in path[1:].split("/")]


def _list_index(container: list[Any], token: str, *, for_insert: bool) -> int:
    if for_insert and token == "-":
        return len(container)
    if not re.fullmatch(r"0|[1-9][0-9]*", token):
        raise PatchFailed(f"invalid array index {token!r}")
    index = int(token)
    limit = len(container) if for_insert else len(container) - 1
    if index > limit:
        raise PatchFailed(f"array index {index} out of bounds")
    return index


def _resolve(doc: Any, tokens: list[str]) -> Any:
    cur = doc
    for token in tokens:
        if isinstance(cur, dict):
            if token not in cur:
                raise PatchFailed(f"missing path component {token!r}")
            cur = cur[token]
        elif isinstance(cur, list):
            cur = cur[_list_index(cur, token, for_insert=False)]
        else:
            raise PatchFailed(f"cannot descend into a scalar at {token!r}")
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
        raise PatchFailed("cannot add to a scalar")
    return doc


def _remove(doc: Any, tokens: list[str]) -> Any:
    if not tokens:
        raise PatchFailed("cannot remove the whole document")
    parent = _resolve(doc, tokens[:-1])
    if isinstance(parent, dict):
        if tokens[-1] not in parent:
            raise PatchFailed(f"missing path component {tokens[-1]!r}")
        return parent.pop(tokens[-1])
    if isinstance(parent, list):
        return parent.pop(_list_index(parent, tokens[-1], for_insert=False))
    raise PatchFailed("cannot remove from a scalar")


def _operation_value(op: JSON) -> Any:
    if "value" not in op:
        raise PatchFailed(f"operation {op.get('op')!r} needs a value")
    return op["value"]


def json_patch(doc: Any, operations: Any) -> Any:
    """Apply an RFC 6902 JSON patch to `doc` (a private copy) and return the result.

    Raises:
        StatusError: 400 when the patch is not a list of operations.
        PatchFailed: an operation does not apply (missing path, failed `test`).
    """
    if not isinstance(operations, list) or not all(isinstance(op, dict) for op in operations):
        raise bad_request("a JSON patch must be a list of operation objects")
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
                raise PatchFailed("cannot move a value into one of its own children")
            value = _remove(doc, source) if kind == "move" else clone(_resolve(doc, source))
            doc = _add(doc, path, value)
        elif kind == "test":
            if not json_equal(_resolve(doc, path), _operation_value(op)):
                raise PatchFailed(f"testing value {op.get('path')} failed")
        else:
            raise bad_request(f"unknown JSON patch operation {kind!r}")
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
            raise bad_request(f"strategic merge patch: an element of {'.'.join(path)} lacks merge key {key!r}")
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


MERGE = "application/merge-patch+json"
JSON_PATCH = "application/json-patch+json"
STRATEGIC = "application/strategic-merge-patch+json"
_APPLY = "application/apply-patch+yaml"


def patch_function(media_type: str, rtype: ResourceType) -> Callable[[JSON, Any], Any]:
    """Pick the patch algorithm from the Content-Type, never from the body's shape."""
    accepted = [JSON_PATCH, MERGE] + ([STRATEGIC] if rtype.builtin else [])
    if media_type == MERGE:
        return apply_merge
    if media_type == JSON_PATCH:
        return json_patch
    if media_type == STRATEGIC and rtype.builtin:
        return _apply_strategic
    raise unsupported_media(accepted)


def apply_merge(target: JSON, patch: Any) -> Any:
    if not isinstance(patch, dict):
        # A real server turns the document into the non-object and then fails to decode it.
        raise unprocessable("a merge patch must be a JSON object")
    return merge_patch(target, patch)


def _apply_strategic(target: JSON, patch: Any) -> Any:
    if not isinstance(patch, dict):
        raise bad_request("a strategic merge patch must be a JSON object")
    return strategic_merge_patch(target, patch)


def replacing(body: Any) -> Callable[[JSON], Any]:
    """The `change` of a PUT: the stored object is ignored, the body is the candidate."""
    return lambda _current: body


def applying(apply: Callable[[JSON, Any], Any], patch: Any) -> Callable[[JSON], Any]:
    """The `change` of a PATCH; a patch that does not apply becomes 422 Invalid."""
    def change(current: JSON) -> Any:
        try:
            return apply(current, patch)
        except PatchFailed as exc:
            raise unprocessable(f"the server rejected our request due to an error in our request: {exc}") from None

    return change
