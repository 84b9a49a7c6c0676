"""kubectl rollouts-py: a kubectl plugin for Argo Rollouts progressive delivery.

The package is split into layers that only call "downwards":

    cli/      click commands; the only place that imports click and maps errors to exit codes
    kube/     API access (kubernetes client) and saved-object files; returns plain dicts
    derive/   pure view models built from plain dicts, `now` passed in
    render/   pure text (and json/yaml) from view models
    term/     terminal facts: colour policy, escaping for the terminal
    patches/  pure patch plans (mutations)
    analysis/ pure analysis evaluator plus one Prometheus adapter
    sandbox/  the stand-in Kubernetes API server (and later the demo sandbox)

Importing this package must stay cheap: it is on the path of `--help` and completion.
"""

__version__ = "0.1.0"
