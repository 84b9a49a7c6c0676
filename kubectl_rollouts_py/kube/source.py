"""Where objects come from: a live cluster or saved files, behind one small interface.

`open_source` is the only constructor the CLI needs. Both implementations return plain
dicts shaped like the API's JSON, raise the project's own errors (kubectl_rollouts_py.errors)
and are safe to call from several threads at once.

Importing this module is cheap: it must not import kubernetes, urllib3 or yaml (a test
checks this), so the cluster and file back ends are imported inside `open_source`.
"""

from __future__ import annotations

import builtins
import threading
from collections.abc import Iterator, Mapping
from typing import Any, Protocol, TextIO

from kubectl_rollouts_py._frozen import frozen
from kubectl_rollouts_py.kube import options as kube_options
from kubectl_rollouts_py.kube import resources

PATCH_CONTENT_TYPES = {
    "merge": "application/merge-patch+json",
    "json": "application/json-patch+json",
    "strategic": "application/strategic-merge-patch+json",
}

READ_ONLY_MESSAGE = "cannot change saved objects: --from-file is read-only"


class RawJSON(str):
    """JSON text to send byte for byte, where exact bytes matter (the Argo Rollouts kubectl plugin's
    patch bodies, spacing included). Writes accept it wherever they accept a dict or list."""


@frozen
class ObjectList:
    """The result of a LIST: the items (plain dicts) and the list's resourceVersion.

    Every item carries `kind` and `apiVersion`, even where the API leaves them out of
    list items (built-in kinds), so items look the same as objects from `get`.
    """

    items: list[dict[str, Any]]
    resource_version: str


@frozen
class WatchEvent:
    """One watch event: type is ADDED, MODIFIED, DELETED or BOOKMARK; object is a dict."""

    type: str
    object: dict[str, Any]


class Source(Protocol):
    """What the CLI reads objects from (and, for a cluster, writes them to).

    `resource` arguments are `resources.Resource` values (or their plural name).
    A namespace of None is only meaningful for `list` (all namespaces) and for
    cluster-scoped resources.
    """

    namespace: str

    def describe(self) -> str:
        """Where the objects come from, for messages; never contains credentials."""
        ...

    def get(self, resource: resources.Resource | str, name: str, namespace: str | None) -> dict[str, Any]:
        """One object. Raises errors.NotFound with the API's message if it does not exist."""
        ...

    def list(
        self,
        resource: resources.Resource | str,
        namespace: str | None,
        *,
        label_selector: str | None = None,
        field_selector: str | None = None,
    ) -> ObjectList:
        """All matching objects, in namespace/name order for files (server order for a cluster)."""
        ...

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
    ) -> Iterator[WatchEvent]:
        """Changes after `resource_version`.

        Ends when the server ends the stream, when `timeout_seconds` have passed or soon
        after `stop` is set (from any thread). Raises errors.Expired when the version is
        too old: list again and watch from the new version.
        """
        ...

    def patch(
        self,
        resource: resources.Resource | str,
        name: str,
        namespace: str | None,
        body: dict[str, Any] | builtins.list[Any] | RawJSON,  # `list` here is the method above
        *,
        patch_type: str = "merge",
        subresource: str | None = None,
    ) -> dict[str, Any]:
        """Patch one object (patch_type: merge, json or strategic) and return the result."""
        ...

    def create(self, resource: resources.Resource | str, namespace: str | None, body: dict[str, Any] | RawJSON) -> dict[str, Any]:
        """Create an object and return the server's copy."""
        ...

    def replace(
        self, resource: resources.Resource | str, name: str, namespace: str | None, body: dict[str, Any] | RawJSON
    ) -> dict[str, Any]:
        """Replace (PUT) an object and return the server's copy."""
        ...

    def close(self) -> None:
        """Release connections. Safe to call twice."""
        ...

    def __enter__(self) -> Source:
        """`with open_source(...) as src:` closes the source on exit."""
        ...

    def __exit__(self, *exc_info: object) -> None:
        ...


def open_source(
    options: kube_options.ConnectionOptions,
    from_files: tuple[str, ...] = (),
    *,
    environ: Mapping[str, str] | None = None,
    log: TextIO | None = None,
) -> Source:
    """Open the cluster the options select, or the saved objects in `from_files`.

    `environ` defaults to the process environment; tests pass their own so that
    KUBECONFIG, HOME and the in-cluster variables are under their control. `log` (the
    run's stderr) gets the request log that -v 6 and above asks for (kube/client.py).

    Raises:
        ConfigError: the kubeconfig is missing or does not select a usable cluster.
        InputError: a file in `from_files` cannot be read or parsed.
    """
    # Imported here, not at module level, so importing this module stays cheap.
    if from_files:
        from kubectl_rollouts_py.kube import config as kube_config
        from kubectl_rollouts_py.kube import files as kube_files

        namespace = kube_config.resolve_namespace_leniently(options, environ=environ)
        return kube_files.FileSource(from_files, namespace=namespace)

    from kubectl_rollouts_py.kube import client as kube_client
    from kubectl_rollouts_py.kube import config as kube_config

    request_log = None
    if log is not None and options.verbosity >= kube_client.LOG_REQUESTS:
        request_log = kube_client.RequestLog(log, options.verbosity)
    return kube_client.ClusterSource(kube_config.resolve(options, environ=environ), request_log=request_log)


def as_resource(resource: resources.Resource | str) -> resources.Resource:
    """Accept a Resource or its plural name (`rollouts`)."""
    if isinstance(resource, resources.Resource):
        return resource
    try:
        return resources.BY_PLURAL[resource]
    except KeyError:
        raise ValueError(f"unknown resource {resource!r}") from None


def object_namespace(resource: resources.Resource, namespace: str | None, *, verb: str) -> str | None:
    """The namespace one object lives in: required for namespaced kinds, ignored otherwise."""
    if not resource.namespaced:
        return None
    if not namespace:
        # A programming error, not a user error: the CLI always resolves a namespace.
        raise ValueError(f"{verb} {resource.qualified}: a namespace is required")
    return namespace
