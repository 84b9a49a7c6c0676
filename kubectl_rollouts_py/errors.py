"""The project's own error types and exit codes.

Adapters (kube/, analysis/prometheus) translate third-party exceptions into these, chained
with `raise ... from`. Only cli/ turns them into an exit code and an `Error: ...` line.
This module imports nothing beyond the standard library.
"""

from __future__ import annotations

import enum


class ExitCode(enum.IntEnum):
    """Process exit codes, documented in docs/commands.md (Exit codes) and in `--help`."""

    SUCCESS = 0
    ERROR = 1  # any runtime failure, as the Argo Rollouts kubectl plugin (and kubectl) does
    USAGE = 2  # bad flags or arguments (click's convention)
    ANALYSIS_FAILED = 3  # `analyze`: the run ended Failed
    ANALYSIS_INCONCLUSIVE = 4  # `analyze`: the run ended Inconclusive
    ANALYSIS_ERROR = 5  # `analyze`: the run ended Error
    HANGUP = 129  # SIGHUP: the terminal went away (128 + 1, the shells' convention)
    INTERRUPTED = 130  # Ctrl-C (SIGINT, 128 + 2)
    TERMINATED = 143  # SIGTERM (128 + 15)


class RolloutsError(Exception):
    """Base class: a failure the user should see as one `Error: <message>` line."""

    exit_code: ExitCode = ExitCode.ERROR

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message

    def __str__(self) -> str:
        return self.message


class Interrupted(KeyboardInterrupt):
    """Ctrl-C (SIGINT), SIGTERM or SIGHUP: stop now.

    A KeyboardInterrupt, so whatever already handles Ctrl-C (cleanup in `finally`, no
    retrying, no `except Exception`) handles all three alike. `detail` says what had been
    done when it came, e.g. which writes were applied; `signum` picks the exit code.
    """

    def __init__(self, signum: int = 2, detail: str = "") -> None:
        super().__init__(signum, detail)
        self.signum = signum
        self.detail = detail


class UsageError(RolloutsError):
    """Arguments that make no sense together (found after click parsed them)."""

    exit_code = ExitCode.USAGE


class ConfigError(RolloutsError):
    """Missing or invalid kubeconfig, or flags that select nothing in it."""


class InputError(RolloutsError):
    """A file given by the user could not be read or parsed (`--from-file`, `-f`)."""


class ConnectionFailed(RolloutsError):
    """The API server could not be reached (refused, DNS, TLS, timeout)."""


class ApiError(RolloutsError):
    """The API server answered with an error status.

    `status` is the HTTP code, `reason` the Kubernetes Status reason (e.g. "NotFound").
    """

    def __init__(self, message: str, *, status: int = 0, reason: str = "") -> None:
        super().__init__(message)
        self.status = status
        self.reason = reason


class NotFound(ApiError):
    """404, or an object missing from a listed snapshot."""

    def __init__(self, message: str, *, status: int = 404, reason: str = "NotFound") -> None:
        super().__init__(message, status=status, reason=reason)


class Unauthorized(ApiError):
    """401: the credentials were not accepted."""


class Forbidden(ApiError):
    """403: the credentials are not allowed to do this."""


class Conflict(ApiError):
    """409: stale resourceVersion or the object already exists."""


class Expired(ApiError):
    """410: the resourceVersion a list or watch started from is too old; list again."""

    def __init__(self, message: str, *, status: int = 410, reason: str = "Expired") -> None:
        super().__init__(message, status=status, reason=reason)
