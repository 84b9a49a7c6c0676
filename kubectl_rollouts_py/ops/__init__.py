"""The use cases: one plain function per operation, shared by every front end.

Each operation reads what it needs through a `kube.source.Source`, plans its change with
`patches/`, applies it with `kube.apply`, and returns a result (data, not text on a
stream). The CLI, the dashboard and the sandbox call these; none of them repeats one.

May import: errors, environment, kube, derive, patches, analysis. Never click, cli,
dashboard, sandbox, watch, render or term.
"""
