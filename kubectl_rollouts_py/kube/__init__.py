"""API access: kubeconfig, the Kubernetes API and saved-object files, returning plain dicts.

This layer is the only home of the `kubernetes` client library, and it imports it lazily
(inside functions), so `--help`, `version` and completion never pay for it. Typed API
classes (CoreV1Api, AppsV1Api and their hundreds of models) are never imported: every
request goes through `ApiClient.call_api` and JSON is decoded to dicts here.

May not import: click, cli/, derive/, render/, term/.
"""
