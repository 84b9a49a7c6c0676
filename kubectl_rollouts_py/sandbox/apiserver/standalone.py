"""Seed files and the standalone entry point (`python -m kubectl_rollouts_py.sandbox.apiserver`)."""

from __future__ import annotations

import argparse
import os
import signal
import sys
import threading
from collections.abc import Iterable, Sequence
from pathlib import Path

from .jsondata import JSON
from .server import APIServer
from .store import flatten_lists


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
                    documents.extend(dict(d) for d in flatten_lists([doc]))
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
