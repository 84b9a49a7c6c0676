"""The live engine: follow the API's streams into an object cache, rebuild a view on change,
hand frames to a sink (a terminal screen or printed frames), and track outages.

Used by the CLI's watching commands and the dashboard. May import: errors, environment,
kube, derive, render, term, ops. Never click, cli, dashboard or sandbox.
"""
