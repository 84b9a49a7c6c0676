"""`lint`: read the files (or stdin), run the rules of kubectl_rollouts_py.lint, and, for
`--require-references`, look up what the files do not hold in a Source (a cluster, or
saved objects).

Reading goes through kube.files.parse_documents, so a lint input has the limits every
file input has (nesting depth, alias expansion, number size): a YAML bomb is one error,
not a hang.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

from kubectl_rollouts_py import errors
from kubectl_rollouts_py import lint as rules
from kubectl_rollouts_py.kube import resources
from kubectl_rollouts_py.kube.source import Source

STDIN = "-"
SERVICES = resources.Resource("", "v1", "services", "Service")
_REFERENCED = {
    "AnalysisTemplate": resources.ANALYSISTEMPLATES,
    "ClusterAnalysisTemplate": resources.CLUSTERANALYSISTEMPLATES,
    "Deployment": resources.DEPLOYMENTS,
    "Service": SERVICES,
}


@dataclass(frozen=True)
class LintOptions:
    """What to check beyond the files' own rules."""

    require_references: bool = False
    prometheus_default: str | None = None  # the controller's ARGO_ROLLOUTS_PROMETHEUS_ADDRESS


def read_documents(paths: Sequence[str], read_stdin: Callable[[], bytes]) -> list[rules.Document]:
    """The documents of every path, in order (`-` is standard input, read once).

    Raises:
        InputError: a file cannot be read or parsed.
    """
    from kubectl_rollouts_py.kube import files

    documents: list[rules.Document] = []
    stdin_data: bytes | None = None
    for path in paths:
        if path == STDIN:
            if stdin_data is None:
                stdin_data = read_stdin()
            data, name = stdin_data, "<stdin>"
        else:
            data, name = _read(path), path
        for number, value in enumerate(files.parse_documents(name, data), start=1):
            documents.append(rules.Document(name, number, value))
    return documents


def _read(path: str) -> bytes:
    try:
        with open(path, "rb") as handle:
            return handle.read()
    except OSError as exc:
        reason = (exc.strerror or str(exc)).lower()
        raise errors.InputError(f"cannot read {path}: {reason}") from exc


def lint(
    paths: Sequence[str],
    *,
    read_stdin: Callable[[], bytes],
    options: LintOptions = LintOptions(),
    source: Source | None = None,
) -> rules.Report:
    """Lint the files together. With a source, references missing from the files are looked up there.

    Raises:
        InputError: a file cannot be read or parsed, or is nested too deeply to check.
        ApiError, ConnectionFailed: looking a reference up failed (not: it does not exist).
    """
    documents = read_documents(paths, read_stdin)
    lookup = None if source is None else _lookup(source)
    looked_in = "the files" if source is None else f"the files or in {source.describe()}"
    try:
        return rules.check(
            documents,
            require_references=options.require_references,
            lookup=lookup,
            looked_in=looked_in,
            prometheus_default=options.prometheus_default,
        )
    except RecursionError as exc:
        raise errors.InputError("cannot lint: a document is nested too deeply") from exc


def _lookup(source: Source) -> rules.Lookup:
    def exists(ref: rules.Reference) -> bool:
        resource = _REFERENCED.get(ref.kind)
        if resource is None:
            return False
        namespace = (ref.namespace or source.namespace) if resource.namespaced else None
        try:
            source.get(resource, ref.name, namespace)
        except errors.NotFound:
            return False
        return True

    return exists
