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
