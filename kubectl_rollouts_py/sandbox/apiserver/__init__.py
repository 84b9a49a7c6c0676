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

Layout (at run time each module imports only those above it; errors, watch and handler
name a later module's class in type annotations only)::

    jsondata    one JSON encoding, deep copies, JSON equality
    errors      StatusError and the Status bodies the API answers with
    resources   the served kinds, URL resolution, discovery documents
    selectors   label and field selectors
    patching    merge, JSON and strategic merge patches, chosen by Content-Type
    store       objects, the global resourceVersion, the watch log, write rules
    faults      Fault and the rules of APIServer.inject
    watch       watch streams: replay, 410 Expired, bookmarks, selector transitions
    handler     the HTTP server, the request handler and its routing
    server      APIServer: lifecycle, test helpers, create/update/delete
    standalone  seed files and `main` (run by __main__)
"""

from .errors import StatusError
from .faults import Fault
from .handler import RecordedRequest
from .jsondata import JSON
from .patching import json_patch, merge_patch, strategic_merge_patch
from .resources import RESOURCES, ResourceType, resource_for
from .selectors import FieldRequirement, LabelRequirement, Selector, parse_field_selector, parse_label_selector
from .server import DEFAULT_EVENT_WINDOW, APIServer
from .standalone import load_seed_documents, main
from .watch import DEFAULT_BOOKMARK_INTERVAL

__all__ = [
    "DEFAULT_BOOKMARK_INTERVAL",
    "DEFAULT_EVENT_WINDOW",
    "JSON",
    "RESOURCES",
    "APIServer",
    "Fault",
    "FieldRequirement",
    "LabelRequirement",
    "RecordedRequest",
    "ResourceType",
    "Selector",
    "StatusError",
    "json_patch",
    "load_seed_documents",
    "main",
    "merge_patch",
    "parse_field_selector",
    "parse_label_selector",
    "resource_for",
    "strategic_merge_patch",
]
