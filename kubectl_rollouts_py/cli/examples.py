"""The Examples section of every command's help, keyed by the command's path below the root
("" is the root itself, then "get rollout", "set-image", ...).

The help formatter in cli/options.py imports this module only when it prints a help page,
so it costs a command nothing. Each example is a one-line `# comment` and the command;
examples are separated by a blank line, and a command may go on over lines ending in `\\`.
tests/unit/test_help.py parses every example with the real command tree.
"""

from __future__ import annotations

EXAMPLES: dict[str, str] = {
    "": r"""
# Show the app-backend canary: its step, weights, images, pods and analysis
kubectl rollouts-py get rollout app-backend -n ithome

# Why is it paused (or failing), and which command moves it on?
kubectl rollouts-py explain app-backend -n ithome

# End the current pause and go on to the next step
kubectl rollouts-py promote app-backend -n ithome

# Try all of it on this machine: a simulated cluster running the app-backend canary
kubectl rollouts-py sandbox
""",
    "abort": r"""
# Abort the app-backend canary: all traffic goes back to the stable version
kubectl rollouts-py abort app-backend -n ithome

# Show the request abort would send, and send nothing
kubectl rollouts-py abort app-backend -n ithome --dry-run

# Abort every rollout labelled app=app-backend
kubectl rollouts-py abort -n ithome -l app=app-backend
""",
    "analyze": r"""
# Run the success-rate template now, with the args the app-backend rollout gives it
kubectl rollouts-py analyze success-rate -n ithome --rollout app-backend

# Take one measurement of each metric now, from a Prometheus on this machine
kubectl rollouts-py analyze success-rate -n ithome --rollout app-backend --once \
  --prometheus http://localhost:9090

# Run the template of a file, with its argument given by hand
kubectl rollouts-py analyze -f success-rate.yaml -a canary-hash=7d9f8c6b5 --once

# Replay it over the last 14 days: a 10-minute run every hour, and the worst window
kubectl rollouts-py analyze success-rate -n ithome --rollout app-backend --backtest \
  --from -14d --step 1h --window 10m
""",
    "create": r"""
# Create the success-rate AnalysisTemplate and the app-backend Rollout
kubectl rollouts-py create -n ithome -f success-rate.yaml -f app-backend.yaml

# Create the Rollout and watch it come up
kubectl rollouts-py create -n ithome -f app-backend.yaml -w

# Show the requests create would send, and send nothing
kubectl rollouts-py create -n ithome -f app-backend.yaml --dry-run
""",
    "create analysisrun": r"""
# Run the success-rate template by hand against the canary's pods
kubectl rollouts-py create analysisrun -n ithome --from success-rate -a canary-hash=7d9f8c6b5

# Give the run a name, and show the request without sending it
kubectl rollouts-py create ar -n ithome --from success-rate --name success-rate-manual \
  -a canary-hash=7d9f8c6b5 --dry-run

# Create it from the template in a file
kubectl rollouts-py create analysisrun -n ithome --from-file success-rate.yaml \
  -a canary-hash=7d9f8c6b5
""",
    "dashboard": r"""
# Serve the dashboard of namespace ithome on http://127.0.0.1:3100
kubectl rollouts-py dashboard -n ithome

# Every namespace, on port 8080, with no promote or abort buttons
kubectl rollouts-py dashboard -A -p 8080 --read-only

# Behind a reverse proxy that forwards https://ops.example.com/rollouts/ to it
kubectl rollouts-py dashboard -n ithome --root-path /rollouts
""",
    "explain": r"""
# Why is the app-backend canary paused, failing or stuck, and what moves it on?
kubectl rollouts-py explain app-backend -n ithome

# The same, under its short name
kubectl rollouts-py why app-backend -n ithome

# The causes, evidence and commands as JSON (schema: docs/explain-schema.json)
kubectl rollouts-py explain app-backend -n ithome -o json

# Explain saved objects (a support bundle) instead of a cluster
kubectl rollouts-py explain app-backend -n ithome --from-file bundle/
""",
    "get": r"""
# Show the app-backend canary as the Argo Rollouts kubectl plugin draws it
kubectl rollouts-py get rollout app-backend -n ithome

# Keep watching it, redrawn as it moves from step to step
kubectl rollouts-py get ro app-backend -n ithome -w

# Show the success-rate AnalysisRun of app-backend's revision 2
kubectl rollouts-py get analysisrun app-backend-7d9f8c6b5-2 -n ithome
""",
    "get rollout": r"""
# Show the app-backend canary: step, weights, images, revisions, pods and analysis
kubectl rollouts-py get rollout app-backend -n ithome

# Watch it until it is Healthy (exit 0) or Degraded (exit 1), for 10 minutes at most
kubectl rollouts-py get rollout app-backend -n ithome --until-complete --timeout 10m

# Only the 2 newest revisions, each with the metric tables of its AnalysisRuns
kubectl rollouts-py get rollout app-backend -n ithome --revisions 2 --analysis all

# As JSON, for scripts
kubectl rollouts-py get rollout app-backend -n ithome -o json
""",
    "get analysisrun": r"""
# List the AnalysisRuns of namespace ithome: status, rollout and revision, metrics, age
kubectl rollouts-py get analysisrun -n ithome

# Show the success-rate run of app-backend's revision 2: every measurement, newest first
kubectl rollouts-py get analysisrun app-backend-7d9f8c6b5-2 -n ithome

# Watch it while the canary's 3-minute pause runs
kubectl rollouts-py get ar app-backend-7d9f8c6b5-2 -n ithome -w

# List the AnalysisRuns of every namespace, as YAML
kubectl rollouts-py get analysisruns -A -o yaml
""",
    "get experiment": r"""
# Show an experiment of app-backend with its ReplicaSets, pods and analysis runs
kubectl rollouts-py get experiment app-backend-7d9f8c6b5-2-1 -n ithome

# Keep watching it
kubectl rollouts-py get exp app-backend-7d9f8c6b5-2-1 -n ithome -w

# With the metric tables of all its AnalysisRuns, as JSON
kubectl rollouts-py get experiment app-backend-7d9f8c6b5-2-1 -n ithome --analysis all -o json
""",
    "history": r"""
# The revisions of app-backend still in the cluster, newest first
kubectl rollouts-py history app-backend -n ithome

# Everything the recorder saw, deleted AnalysisRuns included
kubectl rollouts-py history app-backend -n ithome --db rollouts.db

# Revision 3 in detail: steps, every measurement, the pod template diff
kubectl rollouts-py history app-backend -n ithome --revision 3 --db rollouts.db

# As JSON, for scripts
kubectl rollouts-py history app-backend -n ithome -o json
""",
    "lint": r"""
# Lint the app-backend canary (prints nothing and exits 0 when it is clean)
kubectl rollouts-py lint -f examples/app-backend-canary.yaml

# Lint the Rollout with its success-rate template; every name it uses must be in the files
kubectl rollouts-py lint -f app-backend.yaml -f success-rate.yaml --require-references

# Look up in namespace ithome what the files do not hold (the template, the Services)
kubectl rollouts-py lint -f app-backend.yaml --require-references --cluster-lookup -n ithome

# Lint what another tool renders
helm template charts/app-backend | kubectl rollouts-py lint -f -
""",
    "list": r"""
# The rollouts of namespace ithome
kubectl rollouts-py list rollouts -n ithome

# The rollouts of every namespace
kubectl rollouts-py list ro -A

# The experiments of namespace ithome
kubectl rollouts-py list experiments -n ithome
""",
    "list rollouts": r"""
# The rollouts of namespace ithome: status, step, weight, replicas
kubectl rollouts-py list rollouts -n ithome

# Only app-backend, with a new timestamped row whenever it changes
kubectl rollouts-py list rollouts -n ithome --name app-backend -w --timestamps

# The rollouts of every namespace, as JSON
kubectl rollouts-py list rollouts -A -o json
""",
    "list experiments": r"""
# The experiments of namespace ithome
kubectl rollouts-py list experiments -n ithome

# The experiments of every namespace
kubectl rollouts-py list exp -A

# The experiments in saved objects (a support bundle) instead of a cluster
kubectl rollouts-py list experiments -n ithome --from-file bundle/
""",
    "pause": r"""
# Hold the app-backend canary at its current step (sets spec.paused)
kubectl rollouts-py pause app-backend -n ithome

# Show the request pause would send, and send nothing
kubectl rollouts-py pause app-backend -n ithome --dry-run

# Pause every rollout labelled app=app-backend
kubectl rollouts-py pause -n ithome -l app=app-backend
""",
    "promote": r"""
# End the current 3-minute pause now: app-backend goes on to setWeight 33
kubectl rollouts-py promote app-backend -n ithome

# Skip every remaining step and analysis: the new version takes all traffic
kubectl rollouts-py promote app-backend -n ithome --full

# Show the request promote would send, and send nothing
kubectl rollouts-py promote app-backend -n ithome --dry-run
""",
    "record": r"""
# Record every namespace into the default file ($XDG_STATE_HOME/kubectl-rollouts-py/rollouts.db)
kubectl rollouts-py record -A

# Record namespace ithome into ithome.db: a week, 200 MiB at most
kubectl rollouts-py record -n ithome --db ithome.db --retain 7d --max-size 200MiB

# Later, even once the cluster has deleted its runs
kubectl rollouts-py history app-backend -n ithome --db ithome.db
""",
    "replay": r"""
# app-backend as it was at 08:05 UTC on 1 December
kubectl rollouts-py replay app-backend -n ithome --db rollouts.db --at 2026-12-01T08:05:00Z

# As it was 20 minutes ago, as JSON for scripts
kubectl rollouts-py replay app-backend -n ithome --db rollouts.db --at 20m -o json

# On a terminal: step through the recorded changes with left and right
kubectl rollouts-py replay app-backend -n ithome --db rollouts.db
""",
    "report": r"""
# The newest revision of app-backend as Markdown, for a pull request
kubectl rollouts-py report app-backend -n ithome --db rollouts.db

# Revision 3 as one HTML file with charts, for a postmortem
kubectl rollouts-py report app-backend -n ithome --revision 3 \
  --format html --db rollouts.db > app-backend-3.html

# JUnit XML for CI: one test case per metric, failed metrics as failures
kubectl rollouts-py report app-backend -n ithome --format junit > analysis.xml
""",
    "restart": r"""
# Restart app-backend's pods now (the controller replaces them a few at a time)
kubectl rollouts-py restart app-backend -n ithome

# Restart them in 5 minutes
kubectl rollouts-py restart app-backend -n ithome --in 5m

# Show the request restart would send, and send nothing
kubectl rollouts-py restart app-backend -n ithome --dry-run
""",
    "retry": r"""
# Retry the aborted app-backend canary from its first step
kubectl rollouts-py retry rollout app-backend -n ithome

# Retry a failed experiment
kubectl rollouts-py retry experiment app-backend-7d9f8c6b5-2-1 -n ithome
""",
    "retry rollout": r"""
# Retry the aborted app-backend canary: it starts again at setWeight 10
kubectl rollouts-py retry rollout app-backend -n ithome

# The same, under its short name; show the request, and send nothing
kubectl rollouts-py retry ro app-backend -n ithome --dry-run

# Retry every aborted rollout labelled app=app-backend
kubectl rollouts-py retry rollout -n ithome -l app=app-backend
""",
    "retry experiment": r"""
# Retry a failed experiment of app-backend
kubectl rollouts-py retry experiment app-backend-7d9f8c6b5-2-1 -n ithome

# The same, under its short name; show the request, and send nothing
kubectl rollouts-py retry exp app-backend-7d9f8c6b5-2-1 -n ithome --dry-run
""",
    "sandbox": r"""
# Start the sandbox; it prints the KUBECONFIG to export and commands to try
kubectl rollouts-py sandbox

# Watch the whole story run by itself: 1.2 promoted, 1.1 aborted, undo
kubectl rollouts-py sandbox --tour

# Real time (a 3m pause takes 3 minutes), a fixed port, no controller events
kubectl rollouts-py sandbox --speed 1 --port 6443 -q
""",
    "set": r"""
# Start a canary of app-backend:1.2
kubectl rollouts-py set image app-backend -n ithome \
  app-backend=registry.example.com/app-backend:1.2

# Show the request, and send nothing
kubectl rollouts-py set image app-backend app-backend=registry.example.com/app-backend:1.2 \
  -n ithome --dry-run
""",
    "set image": r"""
# Start a canary: container app-backend runs registry.example.com/app-backend:1.2
kubectl rollouts-py set image app-backend -n ithome \
  app-backend=registry.example.com/app-backend:1.2

# Every container of the pod template gets the same image
kubectl rollouts-py set image app-backend '*=registry.example.com/app-backend:1.2' -n ithome

# Show the request, and send nothing
kubectl rollouts-py set image app-backend app-backend=registry.example.com/app-backend:1.2 \
  -n ithome --dry-run
""",
    "set-image": r"""
# Start a canary of app-backend:1.2 (the same as `set image`)
kubectl rollouts-py set-image app-backend -n ithome \
  app-backend=registry.example.com/app-backend:1.2

# Show the request, and send nothing
kubectl rollouts-py set-image app-backend app-backend=registry.example.com/app-backend:1.2 \
  -n ithome --dry-run
""",
    "status": r"""
# Wait until the app-backend canary is Healthy (exit 0) or Degraded (exit 1)
kubectl rollouts-py status app-backend -n ithome

# Print its status once and exit
kubectl rollouts-py status app-backend -n ithome --watch=false

# In CI: wait for the canary's first pause (exit 0), then test the canary
kubectl rollouts-py status app-backend -n ithome --until-paused --timeout 5m

# Give up after 10 minutes (exit 1), as a CI job would
kubectl rollouts-py status app-backend -n ithome --timeout 10m
""",
    "terminate": r"""
# Stop the success-rate run of app-backend's revision 2 now
kubectl rollouts-py terminate analysisrun app-backend-7d9f8c6b5-2 -n ithome

# Stop an experiment of app-backend
kubectl rollouts-py terminate experiment app-backend-7d9f8c6b5-2-1 -n ithome
""",
    "terminate analysisrun": r"""
# Stop the success-rate run of app-backend's revision 2 now
kubectl rollouts-py terminate analysisrun app-backend-7d9f8c6b5-2 -n ithome

# The same, under its short name; show the request, and send nothing
kubectl rollouts-py terminate ar app-backend-7d9f8c6b5-2 -n ithome --dry-run
""",
    "terminate experiment": r"""
# Stop an experiment of app-backend
kubectl rollouts-py terminate experiment app-backend-7d9f8c6b5-2-1 -n ithome

# The same, under its short name; show the request, and send nothing
kubectl rollouts-py terminate exp app-backend-7d9f8c6b5-2-1 -n ithome --dry-run
""",
    "undo": r"""
# Go back to the previous pod template (app-backend:1.1 after a bad 1.2)
kubectl rollouts-py undo app-backend -n ithome

# Go back to revision 1
kubectl rollouts-py undo app-backend -n ithome --to-revision 1

# Show the request undo would send, and send nothing
kubectl rollouts-py undo app-backend -n ithome --dry-run
""",
    "version": r"""
# Print the version, with the Python and platform it runs on
kubectl rollouts-py version

# Print only the version
kubectl rollouts-py version --short
""",
    "watch": r"""
# Watch the app-backend canary live, with the time left of its 3-minute pause
kubectl rollouts-py watch app-backend -n ithome

# Stop when it is Healthy (exit 0) or Degraded (exit 1)
kubectl rollouts-py watch app-backend -n ithome --until-complete

# Stop after 10 minutes; only the 2 newest revisions, with no metric tables
kubectl rollouts-py watch app-backend -n ithome --timeout 10m --revisions 2 --analysis none
""",
}


# What a group's help lists for each of its commands (the root's list comes from the table
# in cli/app.py): one sentence that shows whole in an 80-column list.
SUMMARIES: dict[str, str] = {
    "create analysisrun": "Create an AnalysisRun from an AnalysisTemplate.",
    "get analysisrun": "Show an AnalysisRun, or list them.",
    "get experiment": "Show an experiment and its pods.",
    "get rollout": "Show a rollout: steps, revisions and pods.",
    "list experiments": "List the experiments of a namespace.",
    "list rollouts": "List the rollouts of a namespace.",
    "retry experiment": "Retry a failed experiment.",
    "retry rollout": "Retry an aborted rollout.",
    "set image": "Set the image of a rollout's container.",
    "terminate analysisrun": "Terminate a running AnalysisRun.",
    "terminate experiment": "Terminate a running experiment.",
}


def examples(path: str) -> list[str]:
    """The lines of the Examples section of the command at `path`, unindented; empty if
    it has none."""
    text = EXAMPLES.get(path, "").strip("\n")
    return text.split("\n") if text else []
