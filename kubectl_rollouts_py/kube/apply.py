"""Apply a patch plan: the one place that turns plans into writes.

A plan's status patch goes first to the status subresource; only a 404 there sends the
combined fallback to the main resource (controllers before v0.10 had no status
subresource). When a later request fails after an earlier one succeeded, the error says
exactly what was applied and what was not, so nothing is silently half done.

A write whose outcome is unknown (the connection broke or timed out after the request was
sent, or the server answered 500/502/503/504: kube/client.py marks such an error
`unconfirmed` and never retries it) is not sent again. The object is read back and
compared with what the request asked for:

* it shows the change: the request counts as applied and the plan goes on (the wording of
  what happened is appended to `notes`, when the caller passes a list);
* it does not show it, or cannot be read: UnconfirmedWrite, one line saying so, e.g.
  `the API server did not confirm the PATCH of rollouts.argoproj.io "x": <why>; reading it
  back shows status.abort=false, so the change was not applied`.

Ctrl-C, SIGTERM or SIGHUP in the middle of a plan is errors.Interrupted saying which
requests were applied and which were not; the one in flight is read back as above, but
for at most READ_BACK_SECONDS (the user asked to stop), else it is called unknown.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

from kubectl_rollouts_py import errors

if TYPE_CHECKING:
    from kubectl_rollouts_py.kube.source import Source


class PartialFailure(errors.RolloutsError):
    """Some requests of a plan were applied, then one failed."""


class UnconfirmedWrite(errors.RolloutsError):
    """A write whose answer never came (or was a 5xx), and reading back did not show it."""


def send(source: Source, request: Any) -> dict[str, Any]:
    """Send one plans.Request through the source, its body byte for byte."""
    from kubectl_rollouts_py.kube.source import RawJSON

    body = RawJSON(request.body)
    if request.method == "PATCH":
        return source.patch(request.resource, request.name, request.namespace, body,
                            patch_type=request.patch_type or "merge", subresource=request.subresource)
    if request.method == "PUT":
        return source.replace(request.resource, request.name, request.namespace, body)
    if request.method == "POST":
        return source.create(request.resource, request.namespace, body)
    raise ValueError(f"unsupported method {request.method}")


def _describe(request: Any) -> str:
    return f"{request.method} {request.path}"


def apply_plan(source: Source, plan: Any, notes: list[str] | None = None) -> dict[str, Any] | None:
    """Send the plan's requests in order; return the last object the server returned.

    `notes` (when given) receives one line per unconfirmed write that reading back showed
    applied.

    Raises:
        the first request's error as it is when nothing was applied;
        PartialFailure naming the applied and the failed request otherwise;
        UnconfirmedWrite when a write's outcome is unknown and reading back does not
        show it applied (with the applied / not applied requests when there are others);
        errors.Interrupted on Ctrl-C, SIGTERM or SIGHUP, saying which requests were
        applied, which were not, and what reading back shows of the one in flight.
    """
    progress = _Progress([r for r in (plan.status, plan.spec, *plan.extra) if r is not None])
    try:
        return _apply(source, plan, notes, progress)
    except KeyboardInterrupt as exc:
        raise errors.Interrupted(getattr(exc, "signum", 2), progress.interrupted(source)) from None


class _Progress:
    """Where a plan is: requests applied, the one in flight (sent, no answer yet), the rest."""

    def __init__(self, requests: list[Any]) -> None:
        self.applied: list[Any] = []
        self.current: Any = None
        self.rest = requests

    def sending(self, request: Any) -> None:
        self.rest = [r for r in self.rest if r is not request]
        self.current = request

    def done(self) -> None:
        self.applied.append(self.current)
        self.current = None

    def interrupted(self, source: Source) -> str:
        """`applied: ...; not applied: ...`, the request in flight read back (bounded)."""
        applied = [_describe(a) for a in self.applied]
        not_applied = [_describe(r) for r in self.rest]
        unknown = []
        if self.current is not None:
            verdict, shown = read_back_within(source, self.current, READ_BACK_SECONDS)
            if verdict is True:
                applied.append(f"{_describe(self.current)} (not confirmed; reading it back shows {shown})")
            elif verdict is False:
                not_applied.insert(0, f"{_describe(self.current)} (reading it back shows {shown})")
            else:
                unknown.append(f"{_describe(self.current)} (not confirmed; {shown})")
        parts = [f"{label}: {', '.join(items)}" for label, items in
                 (("applied", applied), ("unknown", unknown), ("not applied", not_applied)) if items]
        return "; ".join(parts) or "no request was sent"


# How long an interrupted command waits to read back the write it was sending.
READ_BACK_SECONDS = 3.0


def read_back_within(source: Source, request: Any, seconds: float) -> tuple[bool | None, str]:
    """read_back() in a helper thread, waited for at most `seconds` (the user asked to stop:
    a slow or unreachable server must not hold them up), and given up on a second signal."""
    import threading

    outcome: list[tuple[bool | None, str]] = []

    def work() -> None:
        try:
            verdict, _, shown = read_back(source, request)
            outcome.append((verdict, shown))
        except BaseException as exc:  # noqa: BLE001 - reported as unknown
            outcome.append((None, f"reading it back failed ({type(exc).__name__})"))

    thread = threading.Thread(target=work, name="read-back", daemon=True)
    thread.start()
    try:
        thread.join(seconds)
    except KeyboardInterrupt:
        return None, "interrupted again while reading it back"
    if not outcome:
        return None, f"reading it back took longer than {seconds:g}s"
    return outcome[0]


def _apply(source: Source, plan: Any, notes: list[str] | None, progress: _Progress) -> dict[str, Any] | None:
    applied = progress.applied
    result: dict[str, Any] | None = None
    spec = plan.spec
    if plan.status is not None:
        try:
            progress.sending(plan.status)
            result = _send_checked(source, plan.status, notes)
            progress.done()
        except errors.NotFound:
            # No status subresource (or no such object): one combined patch instead.
            spec = plan.fallback
            progress.current = None
        except UnconfirmedWrite as exc:
            rest = [r for r in (spec, *plan.extra) if r is not None]
            raise UnconfirmedWrite(exc.message + _progress([], [plan.status, *rest])) from exc
    pending = [r for r in (spec, *plan.extra) if r is not None]
    progress.rest = list(pending)
    for index, request in enumerate(pending):
        try:
            progress.sending(request)
            result = _send_checked(source, request, notes)
        except UnconfirmedWrite as exc:
            raise UnconfirmedWrite(exc.message + _progress(applied, pending[index:])) from exc
        except errors.RolloutsError as exc:
            if not applied:
                raise
            done = ", ".join(_describe(a) for a in applied)
            raise PartialFailure(f"{exc.message} (applied: {done}; not applied: {_describe(request)})") from exc
        progress.done()
    return result


def _progress(applied: list[Any], not_applied: list[Any]) -> str:
    """` (applied: ...; not applied: ...)` when the plan has more than this one request."""
    if not applied and len(not_applied) <= 1:
        return ""
    parts = []
    if applied:
        parts.append("applied: " + ", ".join(_describe(a) for a in applied))
    parts.append("not applied: " + ", ".join(_describe(r) for r in not_applied))
    return f" ({'; '.join(parts)})"


def _send_checked(source: Source, request: Any, notes: list[str] | None) -> dict[str, Any]:
    """send(), reading the object back when the server did not confirm the write."""
    try:
        return send(source, request)
    except errors.RolloutsError as exc:
        if not getattr(exc, "unconfirmed", False):
            raise
        failure = exc
    what = f'{request.resource.qualified} "{_name(request) or "?"}"' + (
        f" ({request.subresource})" if request.subresource else "")
    head = f"the API server did not confirm the {request.method} of {what}: {failure.message}"
    verdict, obj, shown = read_back(source, request)
    if verdict is True and obj is not None:
        if notes is not None:
            notes.append(f"{head}; reading it back shows {shown}, so the change was applied")
        return obj
    if verdict is False:
        raise UnconfirmedWrite(f"{head}; reading it back shows {shown}, so the change was not applied") from failure
    raise UnconfirmedWrite(f"{head}; {shown}, so whether the change was applied is unknown") from failure


# -------------------------------------------------------------------------- reading back

_ABSENT = object()


def read_back(source: Source, request: Any) -> tuple[bool | None, dict[str, Any] | None, str]:
    """(applied?, the object, what it shows) for a write whose answer is unknown.

    applied is None when the object cannot be read or the request cannot be checked.
    """
    name = _name(request)
    if not name:
        return None, None, "it cannot be read back (the request names no object)"
    try:
        obj = source.get(request.resource, name, request.namespace)
    except errors.NotFound:
        if request.method == "POST":
            return False, None, "no such object"
        return False, None, "that the object no longer exists"
    except errors.RolloutsError as exc:
        return None, None, f"reading it back failed too ({exc.message})"
    try:
        expected = _expectations(request)
    except (ValueError, TypeError, KeyError):
        expected = []
    if not expected:
        return None, obj, "it was read back, but this request cannot be checked against it"
    matches = [_value_at(obj, path) == value or (value is _ABSENT and _value_at(obj, path) is None)
               for path, value in expected]
    if request.method in ("PUT", "POST"):
        # A whole spec was sent: show where the object differs from it, not all of it.
        differing = list(_differences(expected[0][1], _value_at(obj, ("spec",)), ("spec",)))
        return not differing, obj, _show(obj, differing) if differing else "the spec as sent"
    return all(matches), obj, _show(obj, [path for path, _ in expected])


def _differences(want: Any, have: Any, path: tuple[Any, ...]) -> Any:
    """The paths where `have` differs from `want` (the deepest ones)."""
    if isinstance(want, dict) and isinstance(have, dict):
        for key in sorted(set(want) | set(have), key=str):
            yield from _differences(want.get(key), have.get(key), (*path, key))
    elif isinstance(want, list) and isinstance(have, list) and len(want) == len(have):
        for index, (w, h) in enumerate(zip(want, have)):
            yield from _differences(w, h, (*path, index))
    elif want != have:
        yield path


def _name(request: Any) -> str | None:
    if request.name:
        return str(request.name)
    try:
        body = json.loads(request.body)
    except ValueError:
        return None
    name = (body.get("metadata") or {}).get("name") if isinstance(body, dict) else None
    return str(name) if name else None


def _expectations(request: Any) -> list[tuple[tuple[Any, ...], Any]]:
    """(path, value) pairs the object shows once the request is applied (_ABSENT: removed)."""
    body = json.loads(request.body)
    if request.method in ("PUT", "POST"):
        return [(("spec",), body["spec"])] if isinstance(body, dict) and "spec" in body else []
    if request.patch_type == "json":
        pairs: list[tuple[tuple[Any, ...], Any]] = []
        for op in body:
            tokens = tuple(_token(t) for t in str(op.get("path", "")).split("/")[1:])
            if op.get("op") in ("add", "replace") and "-" not in tokens:
                pairs.append((tokens, op.get("value")))
            elif op.get("op") == "remove":
                pairs.append((tokens, _ABSENT))
        return pairs
    return list(_merge_leaves(body, ()))


def _merge_leaves(patch: Any, path: tuple[Any, ...]) -> Any:
    """The leaves of a merge patch: nested objects are walked, null means removed."""
    if isinstance(patch, dict) and patch:
        for key, value in patch.items():
            yield from _merge_leaves(value, (*path, key))
    elif patch is None:
        yield path, _ABSENT
    else:
        yield path, patch


def _token(text: str) -> Any:
    text = text.replace("~1", "/").replace("~0", "~")
    return int(text) if text.isdigit() else text


def _value_at(obj: Any, path: tuple[Any, ...]) -> Any:
    for key in path:
        if isinstance(obj, dict) and isinstance(key, str):
            obj = obj.get(key)
        elif isinstance(obj, list) and isinstance(key, int) and 0 <= key < len(obj):
            obj = obj[key]
        else:
            return None
    return obj


def _show(obj: Any, paths: list[tuple[Any, ...]], limit: int = 3) -> str:
    """`status.abort=true, spec.paused=null`: the read-back values at the request's paths."""
    shown = []
    for path in paths[:limit]:
        value = json.dumps(_value_at(obj, path), separators=(",", ":"), sort_keys=True)
        if len(value) > 60:
            value = value[:57] + "..."
        shown.append(f"{'.'.join(str(p) for p in path)}={value}")
    if len(paths) > limit:
        shown.append(f"and {len(paths) - limit} more")
    return ", ".join(shown)
