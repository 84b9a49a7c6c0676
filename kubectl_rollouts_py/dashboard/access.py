"""Who may use the dashboard, as whom it acts, where it is served, and what it logs.

    Access            the authentication mode: "token" (the default: the page carries a
                      random token that every action must send back; meant for loopback) or
                      "proxy" (a signing-in reverse proxy in front, trusted by its address,
                      names the person in X-Forwarded-User / X-Forwarded-Groups)
    Identity          that person; actions are sent to the API server impersonating them
    IdentitySources   one Source per identity (Impersonate-User/-Group), bounded, least
                      recently used closed first
    root_path()       a --root-path PREFIX, checked and normalised ("" for none)
    AccessLog         one JSON line per request: time, method, path (no query), status,
                      duration in ms, user when known; never a header's value

Reads (the shared live view: one set of watch streams for every tab) use the dashboard's own
credentials; only actions are impersonated. See docs/dashboard.md.
"""

from __future__ import annotations

import datetime as dt
import ipaddress
import json
import re
import threading
from collections import OrderedDict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any, TextIO

from kubectl_rollouts_py import errors
from kubectl_rollouts_py.kube.source import Source

USER_HEADER = "X-Forwarded-User"
GROUPS_HEADER = "X-Forwarded-Groups"
MAX_NAME = 256  # characters of a forwarded user or group name
MAX_GROUPS = 64
IDENTITY_SOURCES = 32  # per-identity sources kept open at once
MAX_LOGGED_PATH = 512
RESERVED_PREFIX = "system:"

Network = ipaddress.IPv4Network | ipaddress.IPv6Network
# Characters a root path may have: RFC 3986 unreserved ones and "/" (no %-escapes, no "..").
_ROOT_PATH = re.compile(r"[A-Za-z0-9._~/-]*")
# A forwarded name: printable, no control or format characters, no comma in a group.
_BAD_NAME = re.compile(r"[\x00-\x1f\x7f-\x9f\u200b-\u200f\u2028-\u202e\u2060-\u206f\ufeff]")


class Refused(Exception):
    """A request the access rules turn away: its HTTP status and why (safe to show and log)."""

    def __init__(self, code: int, message: str) -> None:
        super().__init__(message)
        self.code, self.message = code, message


def root_path(value: str | None) -> str:
    """--root-path as served: "" for none, else "/a/b" (leading slash, no trailing one)."""
    text = (value or "").strip()
    if text in ("", "/"):
        return ""
    if not text.startswith("/"):
        text = "/" + text
    text = text.rstrip("/")
    segments = text.split("/")[1:]
    if not _ROOT_PATH.fullmatch(text) or any(s in ("", ".", "..") for s in segments):
        raise errors.UsageError(f"invalid --root-path {value!r}: use a path such as /rollouts "
                                "(letters, digits, '-', '.', '_', '~' between single slashes; no '..')")
    return text


def networks(values: Iterable[str]) -> tuple[Network, ...]:
    """--trusted-proxy CIDRs (an address alone is one host)."""
    found = []
    for value in values:
        try:
            found.append(ipaddress.ip_network(value.strip(), strict=False))
        except ValueError:
            raise errors.UsageError(f"invalid --trusted-proxy {value!r}: use an address or a CIDR such as 10.0.0.0/8") from None
    return tuple(found)


@dataclass(frozen=True)
class Identity:
    """The person a trusted proxy named. `groups` keep their order (duplicates dropped).

    The names are kept as HTTP carries them (each byte one Latin-1 character, as the
    standard library reads and writes header values), so that the Impersonate-* headers
    repeat the proxy's bytes exactly; `display` is the user as text (UTF-8)."""

    user: str
    groups: tuple[str, ...] = ()

    @property
    def display(self) -> str:
        return _text(self.user) or ""


def _text(wire: str) -> str | None:
    """A header value's text (its bytes read as UTF-8), or None when they are not UTF-8."""
    try:
        return wire.encode("latin-1").decode("utf-8")
    except UnicodeError:
        return None


def _name(value: str, what: str) -> str:
    value = value.strip()
    text = _text(value)
    if not text or len(text) > MAX_NAME or _BAD_NAME.search(text):
        raise Refused(401, f"invalid {what} from the proxy")
    if text.startswith(RESERVED_PREFIX):
        # Kubernetes keeps "system:" for its own users and groups (system:masters is every
        # right there is): no person signing in through a proxy is one of them.
        raise Refused(403, f"{what} {text[:64]!r} refused: names starting with {RESERVED_PREFIX!r} are Kubernetes' own")
    return value


def forwarded_identity(users: Sequence[str], groups: Sequence[str]) -> Identity:
    """The identity in the proxy's headers (all values of each, as received); Refused 401
    when there is no single user."""
    names = [u.strip() for u in users if u.strip()]
    if not names:
        raise Refused(401, f"no {USER_HEADER} header: the dashboard is served through a signing-in proxy (--auth proxy)")
    if len(set(names)) > 1:
        raise Refused(401, f"more than one {USER_HEADER} header")
    user = _name(names[0], USER_HEADER)
    seen: dict[str, None] = {}
    for header in groups:  # one header with commas, or one header per group: both are read
        for group in header.split(","):
            if group.strip():
                seen.setdefault(_name(group, GROUPS_HEADER), None)
    if len(seen) > MAX_GROUPS:
        raise Refused(401, f"more than {MAX_GROUPS} groups in {GROUPS_HEADER}")
    return Identity(user, tuple(seen))


@dataclass(frozen=True)
class Access:
    """The authentication mode and what it needs."""

    mode: str = "token"  # "token" or "proxy"
    trusted: tuple[Network, ...] = ()

    def __post_init__(self) -> None:
        if self.mode not in ("token", "proxy"):
            raise errors.UsageError(f'invalid --auth {self.mode!r}: use "token" or "proxy"')
        if self.mode == "proxy" and not self.trusted:
            raise errors.UsageError("--auth proxy needs --trusted-proxy CIDR (the proxy's address; repeatable)")
        if self.mode == "token" and self.trusted:
            raise errors.UsageError("--trusted-proxy is only for --auth proxy")

    @property
    def proxy(self) -> bool:
        return self.mode == "proxy"

    def trusts(self, address: str) -> bool:
        try:
            ip = ipaddress.ip_address(address.split("%", 1)[0])
        except ValueError:
            return False
        if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
            ip = ip.ipv4_mapped
        return any(ip in net for net in self.trusted if net.version == ip.version)

    def check_peer(self, address: str) -> None:
        if self.proxy and not self.trusts(address):
            raise Refused(403, f"request from {address} refused: not a trusted proxy (--trusted-proxy)")

    def describe_trusted(self) -> str:
        return ", ".join(str(n) for n in self.trusted)


@dataclass
class IdentitySources:
    """A Source per identity, made by `open` (the dashboard's connection impersonating that
    person); at most `limit` are kept open, the least recently used is closed first.
    Callers that use a source must hold `lock` from `get` until they are done with it (the
    dashboard runs one action at a time under it), so that no source in use is closed."""

    open: Callable[[Identity], Source]
    limit: int = IDENTITY_SOURCES
    lock: threading.Lock = field(default_factory=threading.Lock)
    _sources: OrderedDict[Identity, Source] = field(default_factory=OrderedDict)

    def get(self, identity: Identity) -> Source:
        """The identity's source (the caller holds `lock`)."""
        source = self._sources.get(identity)
        if source is not None:
            self._sources.move_to_end(identity)
            return source
        source = self.open(identity)
        self._sources[identity] = source
        while len(self._sources) > self.limit:
            _, old = self._sources.popitem(last=False)
            old.close()
        return source

    def count(self) -> int:
        return len(self._sources)

    def close(self) -> None:
        with self.lock:
            while self._sources:
                _, source = self._sources.popitem()
                source.close()


class AccessLog:
    """One JSON line per request on `stream` (none when None). Only the fields below are
    written: never a header's value (a token, a cookie, Authorization), never the query."""

    def __init__(self, stream: TextIO | None, clock: Callable[[], dt.datetime]) -> None:
        self.stream = stream
        self.clock = clock
        self._lock = threading.Lock()

    def write(self, *, method: str, path: str, status: int, duration_ms: float, user: str | None = None,
              remote: str | None = None, error: str | None = None) -> None:
        if self.stream is None:
            return
        entry: dict[str, Any] = {
            "time": self.clock().astimezone(dt.timezone.utc).isoformat(timespec="milliseconds").replace("+00:00", "Z"),
            "method": method[:16],
            "path": path.split("?", 1)[0].split("#", 1)[0][:MAX_LOGGED_PATH],
            "status": status,
            "durationMs": round(duration_ms, 1),
        }
        if user is not None:
            entry["user"] = user
        if remote is not None:
            entry["remote"] = remote
        if error is not None:
            entry["error"] = error
        line = json.dumps(entry, ensure_ascii=True, separators=(",", ":")) + "\n"
        with self._lock:
            try:
                self.stream.write(line)
                self.stream.flush()
            except (OSError, ValueError):
                pass
