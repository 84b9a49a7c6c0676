"""The demo sandbox and the test infrastructure it is built from, all on loopback.

* `apiserver`: a stand-in Kubernetes API server serving the Argo Rollouts, apps/v1 and
  core/v1 resources the plugin touches from an in-memory store, close enough to the real
  server's wire semantics for kubectl, the official Python client and our own CLI
  (discovery, lists, watches with resourceVersion replay, patches by Content-Type, the
  status subresource). Standard library only (PyYAML for seed files, lazily).
* `demoapp`: per-pod `http_server_requests_seconds_count` traffic for Prometheus to scrape.
* `controller` (with `rollout_sync`, one Rollout's pass, and `objects`, the objects it
  builds and its clock): a *simulated* Argo Rollouts controller that talks to the API
  server over HTTP like a real one, and drives AnalysisRuns with the use cases `analyze`
  runs (`ops.analysis_run`).
* `scenario`, `run`: the app-backend canary's objects and the wiring behind `sandbox`.

Only `cli/sandbox.py` imports this package from the plugin; tests and benchmarks use it
directly. It may not import click or cli/.
"""
