"""API access: kubeconfig, the Kubernetes API and saved-object files, returning plain dicts.

This layer is the only home of the `kubernetes` client library, and it imports it lazily
and only when it must: static credentials (token, token file, client certificate, the
in-cluster service account) are sent with http.client (stdhttp.py), and the library is
imported only for exec plugins, auth providers and proxies (libhttp.py; transport.py
chooses). Typed API classes (CoreV1Api, AppsV1Api and their hundreds of models) are never
imported: JSON is decoded to dicts here (client.py).

May not import: click, cli/, derive/, render/, term/.
"""
