"""Analysis: Argo Rollouts' AnalysisTemplate semantics as a pure engine plus one adapter.

The engine is pure: no I/O and no environment; time arrives as a `now` argument (the only
clock read is expr's `now()` builtin in a condition evaluated without one). It is made of

* `conditions` (built on the `expr` package): the expr language Argo uses for
  successCondition/failureCondition, with expr's static typing and bounded evaluation;
* `evaluate`: one measurement → phase, counters, metric phase, run phase, termination,
  dry-run, and when the next measurement is due;
* `args`: building a run's arguments, `{{args.x}}` substitution and spec validation.

These modules import only the standard library, `kubectl_rollouts_py.errors`,
`kubectl_rollouts_py.govalues` (Go's durations, Atoi and IntOrString) and each other. They
may not import click, kubernetes, requests, the Prometheus client library, or the kube/,
render/, term/, derive/ or cli/ packages.

`prometheus` is the single adapter: the only module here that talks to a server, and the
only importer of the prometheus-api-client package (with `gojson`, Go's wording of a JSON
syntax error, as its helper). The engine never imports it; callers pass its results (a
float or a list of floats) into `evaluate`.
"""
