"""Connection options, as kubectl's global flags give them. Cheap to import."""

from __future__ import annotations

from dataclasses import field

from kubectl_rollouts_py._frozen import frozen


@frozen
class ConnectionOptions:
    """What the user said about which cluster to talk to, and how.

    Every field is None/empty when the flag was not given, so the kubeconfig decides.
    """

    kubeconfig: str | None = None  # --kubeconfig; else $KUBECONFIG (colon-separated), ~/.kube/config, in-cluster
    context: str | None = None  # --context
    cluster: str | None = None  # --cluster
    user: str | None = None  # --user
    namespace: str | None = None  # -n/--namespace
    server: str | None = None  # -s/--server
    token: str | None = None  # --token (never printed)
    insecure_skip_tls_verify: bool = False  # --insecure-skip-tls-verify
    certificate_authority: str | None = None  # --certificate-authority
    request_timeout: float | None = None  # --request-timeout, seconds; None or 0 = no timeout
    impersonate: str | None = None  # --as
    impersonate_groups: tuple[str, ...] = field(default_factory=tuple)  # --as-group (repeatable)
    impersonate_uid: str | None = None  # --as-uid
    client_certificate: str | None = None  # --client-certificate (relative to the current directory)
    client_key: str | None = None  # --client-key (relative to the current directory)
    tls_server_name: str | None = None  # --tls-server-name
    cache_dir: str | None = None  # --cache-dir; else $XDG_CACHE_HOME or ~/.cache (kube/config_cache.py)
    verbosity: int = 0  # -v/--v/--loglevel: 6 logs each request, 7 its headers, 8 the answer's headers
