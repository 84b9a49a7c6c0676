"""kubectl rollouts-py: a kubectl plugin for Argo Rollouts progressive delivery.

The package is split into layers that only call "downwards" (tests/test_layers.py holds
the rules, and places every package):

    cli/       click commands; the only place that imports click and maps errors to exit codes
    dashboard/ the web dashboard: a front end over ops/ and watch/
    sandbox/   the stand-in Kubernetes API server, controller and demo sandbox
    watch/     the live engine: following streams, frames, sinks, outages
    ops/       the use cases (promote, set image, analysis runs, ...): plain functions over a Source
    kube/      API access (kubernetes client) and saved-object files; returns plain dicts
    derive/    pure view models built from plain dicts, `now` passed in
    render/    pure text (and json/yaml) from view models
    patches/   pure patch plans (mutations)
    analysis/  pure analysis evaluator plus one Prometheus adapter
    term/      terminal facts: colour policy, screens, signals
    errors, environment, govalues, _threads: leaves (they import only the standard library)

Importing this package must stay cheap: it is on the path of `--help` and completion.
"""

__version__ = "0.1.0"
