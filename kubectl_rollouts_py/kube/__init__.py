"""API access: kubeconfig, the Kubernetes API and saved-object files, returning plain dicts.

This layer is the only home of the `kubernetes` client library, and it imports it lazily
(inside functions), so `--help`, `version` and completion never pay for it. The library
loads credentials and builds the TLS connection pool; typed API classes (CoreV1Api,
AppsV1Api and their hundreds of models) are never imported: requests go straight to the
ApiClient's pool and JSON is decoded to dicts here (see client.py for why).

May not import: click, cli/, derive/, render/, term/.
"""
