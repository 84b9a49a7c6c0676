"""`kubectl rollouts-py dashboard`: a live web view of rollouts and their analysis.

hub.py (one shared set of watch streams, SSE fan-out) ─▶ model.py (JSON documents from the
CLI's view models) ─▶ server.py (stdlib HTTP server: pages, JSON API, events, actions) ─▶
static/ (plain HTML, CSS and JS; inline SVG charts; no build step, no CDN).

access.py: who may use it and as whom it acts (the page's token, or a signing-in proxy's
X-Forwarded-User with impersonated actions), the root path, and the JSON access log.
"""
