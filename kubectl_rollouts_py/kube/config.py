"""Which cluster to talk to, and as whom: kubeconfig and flag resolution, as kubectl does it.

Two stages keep the expensive part late:

1. `resolve` reads and merges the kubeconfig files with PyYAML alone and applies the
   flags. It returns a `ClusterConfig` (server, namespace, the chosen cluster and user
   entries) or raises a one-line `ConfigError` naming the file and what is wrong.
2. A transport (kube/transport.py) is built from the ClusterConfig. Static credentials
   (token, token file, client certificate, CA, the in-cluster service account) are loaded
   by kube/stdhttp.py with the library's rules and sent with http.client. Everything else
   goes through `new_configuration`, which turns a ClusterConfig into a private
   `kubernetes.client.Configuration` through the kubernetes library's own loaders, so exec
   credential plugins and auth providers behave as the library implements them. That is
   the only place that imports `kubernetes` (about half a second).

We merge the files ourselves rather than through the library, because the library
differs from kubectl: its last file wins `current-context` (kubectl: first), it reads
$KUBECONFIG once at import time, it has no --cluster/--user/--server overrides, and it
falls back to an anonymous user when a context names an undefined one.

Nothing here touches the library's process-wide default Configuration.
"""

from __future__ import annotations

import contextlib
import os
import re
from collections.abc import Iterator, Mapping
from dataclasses import field
from typing import Any

from kubectl_rollouts_py._frozen import frozen
from kubectl_rollouts_py import errors
from kubectl_rollouts_py.kube import options as kube_options

SERVICE_ACCOUNT_DIR = "/var/run/secrets/kubernetes.io/serviceaccount"

# Path-valued kubeconfig fields, resolved against the directory of the file that defines
# them (kubectl's rule), so the library never has to guess a base path.
_CLUSTER_PATH_FIELDS = ("certificate-authority",)
_USER_PATH_FIELDS = ("client-certificate", "client-key", "tokenFile")

# Connect timeout when --request-timeout does not ask for less: a black-holed address
# must fail in seconds, not after the OS's two-minute SYN retry budget.
MAX_CONNECT_TIMEOUT = 10.0

# Credentials that --token replaces in the selected user entry.
_CREDENTIAL_FIELDS = ("token", "tokenFile", "exec", "auth-provider", "username", "password")

# The longest text from a credential loader or exec plugin (its stderr) that a message
# repeats: enough for "token expired, run `aws sso login`", not for a dumped document.
MAX_LOADER_TEXT = 300


@frozen
class _Entry:
    """One named kubeconfig entry (context, cluster or user) and the file it came from."""

    body: dict[str, Any]
    path: str


@frozen
class Kubeconfig:
    """The merged kubeconfig files: for every name the first file to define it wins."""

    paths: tuple[str, ...]
    current_context: str
    contexts: dict[str, _Entry]
    clusters: dict[str, _Entry]
    users: dict[str, _Entry]

    @property
    def where(self) -> str:
        """The file list, for messages."""
        return ":".join(self.paths)


@frozen
class ClusterConfig:
    """Everything needed to build an API client, resolved from kubeconfig and flags.

    `cluster` and `user` are the selected kubeconfig entries with the flag overrides
    applied and relative paths made absolute; `user` holds credentials, so it is kept out
    of repr. `origin` says where this came from, for messages ("in-cluster" or the file).
    """

    server: str
    namespace: str
    origin: str
    context: str | None = None
    cluster: dict[str, Any] = field(default_factory=dict, repr=False)
    user: dict[str, Any] = field(default_factory=dict, repr=False)
    base_path: str = ""  # where an exec credential plugin runs (the user's kubeconfig dir)
    in_cluster: bool = False
    service_account_dir: str = SERVICE_ACCOUNT_DIR
    token: str | None = field(default=None, repr=False)  # --token, when given in-cluster
    insecure_skip_tls_verify: bool = False
    certificate_authority: str | None = None
    request_timeout: float | None = None  # seconds; None means no limit
    impersonate_user: str | None = None
    impersonate_groups: tuple[str, ...] = ()
    impersonate_uid: str | None = None

    @property
    def connect_timeout(self) -> float:
        """Seconds to wait for a TCP/TLS connection: bounded even without --request-timeout."""
        if self.request_timeout:
            return min(MAX_CONNECT_TIMEOUT, self.request_timeout)
        return MAX_CONNECT_TIMEOUT

    def impersonation_headers(self) -> list[tuple[str, str]]:
        """Impersonate-* headers, one per group (the API reads repeated headers, not a list)."""
        headers: list[tuple[str, str]] = []
        if self.impersonate_user:
            headers.append(("Impersonate-User", self.impersonate_user))
        headers.extend(("Impersonate-Group", group) for group in self.impersonate_groups)
        if self.impersonate_uid:
            headers.append(("Impersonate-Uid", self.impersonate_uid))
        return headers


def kubeconfig_paths(options: kube_options.ConnectionOptions, environ: Mapping[str, str]) -> tuple[list[str], str]:
    """The kubeconfig files to read, in precedence order, and which setting named them.

    The second value is "--kubeconfig", "KUBECONFIG" or "default".
    """
    if options.kubeconfig:
        return [_expand_user(options.kubeconfig, environ)], "--kubeconfig"
    listed = environ.get("KUBECONFIG", "")
    if listed:
        paths = [_expand_user(p, environ) for p in listed.split(os.pathsep) if p]
        # Duplicates would only re-merge the same entries; kubectl drops them too.
        return list(dict.fromkeys(paths)), "KUBECONFIG"
    return [_expand_user("~/.kube/config", environ)], "default"


def read_kubeconfig(
    paths: list[str], *, required: bool, environ: Mapping[str, str] | None = None, cache_dir: str | None = None
) -> Kubeconfig | None:
    """Read and merge the files that exist; None when none does.

    With `required`, every path must exist (used for --kubeconfig, where kubectl also
    refuses a missing file). Files listed in $KUBECONFIG may be missing, as in kubectl.
    With `environ`, parsed files are cached in its user's cache directory, or in
    `cache_dir` (--cache-dir) when given (kube/config_cache.py), so an unchanged kubeconfig
    is read without PyYAML.

    Raises:
        ConfigError: a file cannot be read, is not valid YAML or is not shaped like a kubeconfig.
    """
    found: list[str] = []
    current = ""
    merged: dict[str, dict[str, _Entry]] = {"contexts": {}, "clusters": {}, "users": {}}
    def load(path: str) -> Any:
        return _load_yaml_file(path, required=required)

    if environ is None:
        documents = [load(path) for path in paths]
    else:
        from kubectl_rollouts_py.kube import config_cache

        documents = config_cache.load_documents(paths, load, _MISSING, environ, _yaml_loader, cache_dir)
    for path, document in zip(paths, documents):
        if document is _MISSING:
            continue
        found.append(path)
        if document is None:
            continue  # an empty file is an empty config, as in kubectl
        if not isinstance(document, dict):
            raise errors.ConfigError(f"invalid kubeconfig {path}: expected a mapping, found {_type_name(document)}")
        if not current and document.get("current-context"):
            current = str(document["current-context"])
        for section, body_key in (("contexts", "context"), ("clusters", "cluster"), ("users", "user")):
            for name, body in _named_entries(document, section, body_key, path):
                merged[section].setdefault(name, _Entry(body, path))
    if not found:
        return None
    return Kubeconfig(tuple(found), current, merged["contexts"], merged["clusters"], merged["users"])


def resolve(
    options: kube_options.ConnectionOptions,
    *,
    environ: Mapping[str, str] | None = None,
    service_account_dir: str = SERVICE_ACCOUNT_DIR,
) -> ClusterConfig:
    """Resolve the flags and kubeconfig to one cluster, user and namespace, like kubectl.

    Order: --kubeconfig, else $KUBECONFIG (a colon-separated list, merged, first wins),
    else ~/.kube/config, else the in-cluster service account, else --server alone.
    Namespace: -n, else the context's namespace, else the in-cluster namespace file,
    else "default".

    Raises:
        ConfigError: with one line naming the file and what is wrong.
    """
    env = os.environ if environ is None else environ
    paths, named_by = kubeconfig_paths(options, env)
    kubeconfig = read_kubeconfig(paths, required=named_by == "--kubeconfig", environ=env, cache_dir=options.cache_dir)
    if kubeconfig is not None:
        return _from_kubeconfig(kubeconfig, options)
    if env.get("KUBERNETES_SERVICE_HOST") and env.get("KUBERNETES_SERVICE_PORT"):
        return _in_cluster(options, env, service_account_dir)
    if options.server:
        # kubectl works with --server and no kubeconfig at all (anonymous, or --token).
        return _from_kubeconfig(Kubeconfig((), "", {}, {}, {}), options)
    if named_by == "KUBECONFIG":
        raise errors.ConfigError(
            f"no kubeconfig found: none of the files in KUBECONFIG exists ({':'.join(paths)}); "
            "fix KUBECONFIG or pass --kubeconfig"
        )
    raise errors.ConfigError(f"no kubeconfig found: {paths[0]} does not exist; set KUBECONFIG or pass --kubeconfig")


def resolve_namespace_leniently(
    options: kube_options.ConnectionOptions, *, environ: Mapping[str, str] | None = None
) -> str:
    """The namespace for saved objects: -n, else the kubeconfig context's, else "default".

    Never fails: saved objects must work with no kubeconfig, or a broken one, at all.
    """
    if options.namespace:
        return options.namespace
    env = os.environ if environ is None else environ
    try:
        paths, _ = kubeconfig_paths(options, env)
        kubeconfig = read_kubeconfig(paths, required=False, environ=env, cache_dir=options.cache_dir)
        if kubeconfig is not None:
            context = kubeconfig.contexts.get(options.context or kubeconfig.current_context)
            if context is not None and context.body.get("namespace"):
                return str(context.body["namespace"])
    except Exception:  # noqa: BLE001 - anything wrong with the kubeconfig means "no opinion"
        pass
    return "default"


def new_configuration(cluster_config: ClusterConfig) -> Any:
    """A private `kubernetes.client.Configuration` for this cluster and user.

    Credentials come from the library's loaders (token, token file, client certificates,
    exec plugins, auth providers); persist_config stays off, so nothing is written back to
    the kubeconfig. Retries are disabled: urllib3's default retries a refused connection
    with backoff, and a CLI must fail fast.

    Raises:
        ConfigError: the loader rejected the entry (missing certificate file, failing
            exec plugin, ...).
    """
    from kubernetes.client import Configuration
    from kubernetes.config import config_exception

    configuration = Configuration()
    try:
        if cluster_config.in_cluster:
            _load_in_cluster(cluster_config, configuration)
        else:
            _load_kubeconfig_entry(cluster_config, configuration)
    except config_exception.ConfigException as exc:
        raise invalid_entry(cluster_config, _one_line(exc)) from exc
    except (AttributeError, KeyError, TypeError, ValueError, OSError) as exc:
        # Auth providers fail in library-specific ways (e.g. gcp without google-auth
        # installed); the user still deserves one line rather than a traceback.
        raise unloadable_credentials(cluster_config, exc) from exc
    configuration.retries = False
    # One CLI run issues a handful of concurrent requests (a GET and four LISTs).
    configuration.connection_pool_maxsize = 8
    return configuration


def invalid_entry(cluster_config: ClusterConfig, problem: str) -> errors.ConfigError:
    """`invalid kubeconfig FILE: PROBLEM`, for an entry the credential loader rejects."""
    return errors.ConfigError(f"invalid kubeconfig {cluster_config.origin}: {loader_text(cluster_config, problem)}")


def unloadable_credentials(cluster_config: ClusterConfig, exc: BaseException) -> errors.ConfigError:
    """`cannot load credentials from FILE: REASON`, for a file or value that cannot be read."""
    return errors.ConfigError(
        f"cannot load credentials from {cluster_config.origin}: {loader_text(cluster_config, _one_line(exc))}"
    )


def credential_values(cluster_config: ClusterConfig) -> list[str]:
    """Every secret the selected user entry (and --token) holds, for redaction.

    Tokens, passwords, key data, every auth-provider setting (id and refresh tokens, client
    secrets) and the exec plugin's environment values (where cloud credentials travel).
    """
    user = cluster_config.user
    values = [cluster_config.token]
    values += [user.get(key) for key in ("token", "password", "client-key-data")]
    provider = user.get("auth-provider")
    if isinstance(provider, dict) and isinstance(provider.get("config"), dict):
        values += list(provider["config"].values())
    plugin = user.get("exec")
    if isinstance(plugin, dict):
        values += [item.get("value") for item in plugin.get("env") or () if isinstance(item, dict)]
    return sorted({v for v in values if isinstance(v, str) and len(v) >= 3}, key=len, reverse=True)


def loader_text(cluster_config: ClusterConfig, text: str) -> str:
    """A credential loader's message made safe to print: one line, the entry's secrets
    replaced by `*****`, the plugin's output never quoted, at most MAX_LOADER_TEXT long."""
    text = " ".join(text.split())
    # The library quotes the apiVersion an exec plugin printed; that is the plugin's stdout.
    text = re.sub(r"plugin api version .*? does not match", "plugin's apiVersion does not match", text)
    for value in credential_values(cluster_config):
        text = text.replace(value, "*****")
    if len(text) > MAX_LOADER_TEXT:
        text = text[: MAX_LOADER_TEXT - 1] + "…"
    return text


# ---------------------------------------------------------------------------------------
# kubeconfig reading


class _Missing:
    pass


_MISSING = _Missing()


def _yaml_loader() -> Any:
    """The PyYAML loader class kubeconfig files are read with (libyaml's when there is one)."""
    import yaml

    return getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def _load_yaml_file(path: str, *, required: bool) -> Any:
    """The parsed file, or _MISSING if it does not exist and is not required."""
    try:
        with open(path, "rb") as handle:
            text = handle.read()
    except FileNotFoundError:
        if required:
            raise errors.ConfigError(f"cannot read kubeconfig {path}: no such file") from None
        return _MISSING
    except OSError as exc:
        raise errors.ConfigError(f"cannot read kubeconfig {path}: {exc.strerror or exc}") from exc
    import yaml

    try:
        return yaml.load(text, Loader=_yaml_loader())
    except yaml.YAMLError as exc:
        # libyaml is fast but terse; the pure-Python parser explains the same error better.
        try:
            yaml.load(text, Loader=yaml.SafeLoader)
        except yaml.YAMLError as slow_exc:
            exc = slow_exc
        raise errors.ConfigError(f"invalid kubeconfig {path}: {_yaml_problem(exc)}") from exc


def _yaml_problem(exc: Exception) -> str:
    """`line 3: mapping values are not allowed here` from a PyYAML error."""
    mark = getattr(exc, "problem_mark", None)
    problem = getattr(exc, "problem", None) or str(exc).splitlines()[0]
    if mark is not None:
        return f"line {mark.line + 1}: {problem}"
    return str(problem)


def _named_entries(document: dict[str, Any], section: str, body_key: str, path: str) -> list[tuple[str, dict[str, Any]]]:
    """The (name, body) pairs of one kubeconfig list section, validated."""
    items = document.get(section) or []
    if not isinstance(items, list):
        raise errors.ConfigError(f"invalid kubeconfig {path}: {section} must be a list")
    entries = []
    for index, item in enumerate(items):
        if not isinstance(item, dict) or not item.get("name"):
            raise errors.ConfigError(f"invalid kubeconfig {path}: {section}[{index}] has no name")
        body = item.get(body_key) or {}
        if not isinstance(body, dict):
            raise errors.ConfigError(f"invalid kubeconfig {path}: {section}[{index}].{body_key} must be a mapping")
        entries.append((str(item["name"]), body))
    return entries


def _from_kubeconfig(kubeconfig: Kubeconfig, options: kube_options.ConnectionOptions) -> ClusterConfig:
    """Select context, cluster and user as kubectl does, then apply the flag overrides."""
    where = kubeconfig.where or "(no kubeconfig)"
    context_name = options.context or kubeconfig.current_context or None
    context: dict[str, Any] = {}
    if context_name:
        entry = kubeconfig.contexts.get(context_name)
        if entry is None:
            how = "" if options.context else "current "
            raise errors.ConfigError(
                f"{how}context {context_name!r} not found in {where}{_available(kubeconfig.contexts)}"
            )
        context = entry.body
        where = entry.path

    cluster_name = options.cluster or context.get("cluster")
    if not cluster_name and not options.server:
        if context_name:
            raise errors.ConfigError(f"context {context_name!r} in {where} has no cluster")
        raise errors.ConfigError(
            f"no current context in {where}; pass --context or set one with 'kubectl config use-context NAME'"
        )
    cluster: dict[str, Any] = {}
    cluster_path = where
    if cluster_name:
        found = kubeconfig.clusters.get(str(cluster_name))
        if found is None:
            raise errors.ConfigError(_undefined("cluster", str(cluster_name), options.cluster, context_name, where))
        cluster = _absolute_paths(found.body, _CLUSTER_PATH_FIELDS, found.path)
        cluster_path = found.path

    user_name = options.user or context.get("user")
    user: dict[str, Any] = {}
    base_path = ""
    if user_name:
        found = kubeconfig.users.get(str(user_name))
        if found is None:
            raise errors.ConfigError(_undefined("user", str(user_name), options.user, context_name, where))
        user = _absolute_paths(found.body, _USER_PATH_FIELDS, found.path)
        base_path = os.path.dirname(os.path.abspath(found.path))

    if options.server:
        cluster["server"] = options.server
    if not cluster.get("server"):
        raise errors.ConfigError(f"cluster {cluster_name!r} in {cluster_path} has no server")
    cluster["server"] = _normalise_server(str(cluster["server"]))
    if options.certificate_authority:
        cluster.pop("certificate-authority-data", None)
        cluster["certificate-authority"] = os.path.abspath(options.certificate_authority)
    if options.insecure_skip_tls_verify:
        # kubectl drops the CA when the flag is given: verifying nothing needs no roots.
        cluster.pop("certificate-authority-data", None)
        cluster.pop("certificate-authority", None)
        cluster["insecure-skip-tls-verify"] = True
    if options.token:
        for key in _CREDENTIAL_FIELDS:
            user.pop(key, None)
        user["token"] = options.token
    _apply_tls_flags(options, cluster, user, str(user_name or ""))

    groups = options.impersonate_groups or tuple(str(g) for g in (user.get("as-groups") or ()))
    impersonate_user = options.impersonate or user.get("as") or None
    impersonate_uid = options.impersonate_uid or user.get("as-uid") or None
    _check_impersonation(impersonate_user, groups, impersonate_uid, str(user_name or ""))
    return ClusterConfig(
        server=cluster["server"],
        namespace=options.namespace or str(context.get("namespace") or "") or "default",
        origin=":".join(kubeconfig.paths) if len(kubeconfig.paths) > 1 else where,
        context=context_name,
        cluster=cluster,
        user=user,
        base_path=base_path,
        insecure_skip_tls_verify=bool(cluster.get("insecure-skip-tls-verify")),
        certificate_authority=cluster.get("certificate-authority"),
        request_timeout=options.request_timeout or None,
        impersonate_user=impersonate_user,
        impersonate_groups=tuple(groups),
        impersonate_uid=impersonate_uid,
    )


def _in_cluster(options: kube_options.ConnectionOptions, env: Mapping[str, str], service_account_dir: str) -> ClusterConfig:
    """The pod's service account, as `kubectl` inside a pod uses it."""
    host = env["KUBERNETES_SERVICE_HOST"]
    if ":" in host:  # an IPv6 address needs brackets in a URL
        host = f"[{host}]"
    server = options.server or f"https://{host}:{env['KUBERNETES_SERVICE_PORT']}"
    namespace = options.namespace
    if not namespace:
        try:
            with open(os.path.join(service_account_dir, "namespace"), encoding="utf-8") as handle:
                namespace = handle.read().strip()
        except OSError:
            namespace = ""
    cluster: dict[str, Any] = {}
    user: dict[str, Any] = {}
    _apply_tls_flags(options, cluster, user, "")
    _check_impersonation(options.impersonate, options.impersonate_groups, options.impersonate_uid, "")
    return ClusterConfig(
        server=_normalise_server(server),
        namespace=namespace or "default",
        origin="in-cluster service account",
        cluster=cluster,
        user=user,
        in_cluster=True,
        service_account_dir=service_account_dir,
        token=options.token,
        insecure_skip_tls_verify=options.insecure_skip_tls_verify,
        certificate_authority=os.path.abspath(options.certificate_authority) if options.certificate_authority else None,
        request_timeout=options.request_timeout or None,
        impersonate_user=options.impersonate,
        impersonate_groups=tuple(options.impersonate_groups),
        impersonate_uid=options.impersonate_uid,
    )


def _apply_tls_flags(
    options: kube_options.ConnectionOptions, cluster: dict[str, Any], user: dict[str, Any], user_name: str
) -> None:
    """--client-certificate, --client-key and --tls-server-name over the selected entries, as
    kubectl applies them.

    A flag's file replaces the entry's file or data (kubectl refuses a file flag where the
    kubeconfig holds the data; the flag is what was asked for here). It is relative to the
    current directory and must be readable. --server without --tls-server-name drops the
    kubeconfig's tls-server-name (kubectl's rule: a server given by hand names itself).

    Raises:
        ConfigError: a file cannot be read, or a certificate has no key (or a key no certificate).
    """
    for flag, key, value in (
        ("--client-certificate", "client-certificate", options.client_certificate),
        ("--client-key", "client-key", options.client_key),
    ):
        if not value:
            continue
        path = os.path.abspath(value)
        try:
            with open(path, "rb"):
                pass
        except OSError as exc:
            reason = (exc.strerror or type(exc).__name__).lower()
            word = "client-cert" if key == "client-certificate" else "client-key"
            raise errors.ConfigError(f"unable to read {word} {value} (from {flag}): {reason}") from None
        user.pop(f"{key}-data", None)
        user[key] = path
    if options.client_certificate or options.client_key:
        has_cert = bool(user.get("client-certificate") or user.get("client-certificate-data"))
        has_key = bool(user.get("client-key") or user.get("client-key-data"))
        whose = f" for user {user_name!r}" if user_name else ""
        if has_cert and not has_key:
            raise errors.ConfigError(f"a client certificate needs its key: no client-key{whose}; pass --client-key")
        if has_key and not has_cert:
            raise errors.ConfigError(
                f"a client key needs its certificate: no client-certificate{whose}; pass --client-certificate"
            )
    if options.tls_server_name:
        cluster["tls-server-name"] = options.tls_server_name
    elif options.server:
        cluster.pop("tls-server-name", None)


def _check_impersonation(user: str | None, groups: tuple[str, ...], uid: str | None, user_name: str) -> None:
    """kubectl refuses to impersonate a uid or groups without a user name (so would the API server)."""
    if (groups or uid) and not user:
        whose = f" for user {user_name!r}" if user_name else ""
        raise errors.ConfigError(
            f"requesting uid or groups{whose} without impersonating a user: pass --as USER as well"
        )


def _undefined(kind: str, name: str, flag_value: str | None, context_name: str | None, where: str) -> str:
    if flag_value:
        return f"{kind} {name!r} (from --{kind}) not found in {where}"
    return f"context {context_name!r} in {where} refers to {kind} {name!r}, which is not defined"


def _available(entries: Mapping[str, _Entry]) -> str:
    if not entries:
        return " (it defines no contexts)"
    names = sorted(entries)
    shown = ", ".join(names[:10]) + (", ..." if len(names) > 10 else "")
    return f" (available: {shown})"


def _absolute_paths(body: dict[str, Any], keys: tuple[str, ...], path: str) -> dict[str, Any]:
    """A copy of `body` with relative file references resolved against `path`'s directory."""
    result = dict(body)
    base = os.path.dirname(os.path.abspath(path))
    for key in keys:
        value = result.get(key)
        if isinstance(value, str) and value and not os.path.isabs(value):
            result[key] = os.path.join(base, os.path.expanduser(value))
    return result


def _normalise_server(server: str) -> str:
    """`host:6443` → `https://host:6443`; no trailing slash (paths are appended to it)."""
    server = server.strip().rstrip("/")
    if "://" not in server:
        server = "https://" + server
    return server


def _expand_user(path: str, environ: Mapping[str, str]) -> str:
    """`~` from the given environment's HOME (not the process's), so tests can move it."""
    if path == "~" or path.startswith("~/"):
        home = environ.get("HOME") or os.path.expanduser("~")
        return os.path.join(home, path[2:]) if len(path) > 1 else home
    return os.path.expanduser(path)


def _one_line(exc: BaseException) -> str:
    text = " ".join(str(exc).split())
    return text or type(exc).__name__


def _type_name(value: Any) -> str:
    return {list: "a list", str: "a string", int: "a number", float: "a number", bool: "a boolean"}.get(
        type(value), type(value).__name__
    )


# ---------------------------------------------------------------------------------------
# kubernetes library loaders


def _load_kubeconfig_entry(cluster_config: ClusterConfig, configuration: Any) -> None:
    """Fill `configuration` through the library's KubeConfigLoader, from one synthetic context."""
    from kubernetes.config import kube_config

    context = {"cluster": "cluster"}
    users = []
    if cluster_config.user:
        context["user"] = "user"
        users.append({"name": "user", "user": cluster_config.user})
    config_dict = {
        "current-context": "context",
        "contexts": [{"name": "context", "context": context}],
        "clusters": [{"name": "cluster", "cluster": cluster_config.cluster}],
        "users": users,
    }
    loader = kube_config.KubeConfigLoader(
        config_dict=config_dict,
        config_base_path=cluster_config.base_path,
    )
    # The library logs (and swallows) a failing exec plugin, then sends requests with no
    # credentials. kubectl stops with the plugin's error instead, so capture it and do that.
    with captured_library_errors() as messages:
        loader.load_and_set(configuration)
    if "exec" in cluster_config.user and messages and not configuration.api_key and not configuration.cert_file:
        raise credentials_failed(cluster_config, messages[-1])


def credentials_failed(cluster_config: ClusterConfig, message: str) -> errors.ConfigError:
    """`getting credentials for context 'NAME': MESSAGE` (kubectl's words), MESSAGE made safe."""
    return errors.ConfigError(
        f"getting credentials for context {cluster_config.context!r}: {loader_text(cluster_config, message)}"
    )


@contextlib.contextmanager
def captured_library_errors() -> Iterator[list[str]]:
    """`with captured_library_errors() as messages`: the ERROR records the kubernetes
    library logs meanwhile, kept instead of printed.

    With no handler configured, Python prints such records raw on stderr ("ERROR:root:
    exec: process returned 2. <the plugin's whole stderr>"), once per request; we report
    them as one bounded `Error:` line instead.
    """
    import logging

    captured = _captured_errors()
    root = logging.getLogger()
    root.addHandler(captured)
    try:
        yield captured.messages
    finally:
        root.removeHandler(captured)


def _load_in_cluster(cluster_config: ClusterConfig, configuration: Any) -> None:
    """Fill `configuration` from the service account files, then apply flag overrides."""
    from kubernetes.config import incluster_config

    directory = cluster_config.service_account_dir
    if cluster_config.token:
        # --token replaces the service account token; the CA file is still the pod's.
        # kubernetes >= 36 reads "BearerToken", older releases (the krew bundle pins 35)
        # read "authorization": set both, so the token is sent with either.
        configuration.api_key["BearerToken"] = configuration.api_key["authorization"] = f"Bearer {cluster_config.token}"
        ca = os.path.join(directory, "ca.crt")
        configuration.ssl_ca_cert = ca if os.path.isfile(ca) else None
    else:
        incluster_config.InClusterConfigLoader(
            token_filename=os.path.join(directory, "token"),
            cert_filename=os.path.join(directory, "ca.crt"),
            # The loader insists on these variables; the host it builds from them is
            # replaced below by the server `resolve` chose (which honours --server).
            environ={"KUBERNETES_SERVICE_HOST": "in-cluster", "KUBERNETES_SERVICE_PORT": "443"},
        ).load_and_set(configuration)
    configuration.host = cluster_config.server
    if cluster_config.cluster.get("tls-server-name"):
        configuration.tls_server_name = cluster_config.cluster["tls-server-name"]
    if cluster_config.user.get("client-certificate"):
        configuration.cert_file = cluster_config.user["client-certificate"]
        configuration.key_file = cluster_config.user.get("client-key")
    if cluster_config.certificate_authority:
        configuration.ssl_ca_cert = cluster_config.certificate_authority
    if cluster_config.insecure_skip_tls_verify:
        configuration.verify_ssl = False
        configuration.ssl_ca_cert = None


def _captured_errors() -> Any:
    """A logging handler that keeps the ERROR messages logged while it is attached.

    Built on demand: `logging` is only needed on the library path.
    """
    import logging

    class CapturedErrors(logging.Handler):
        def __init__(self) -> None:
            super().__init__(level=logging.ERROR)
            self.messages: list[str] = []

        def emit(self, record: logging.LogRecord) -> None:
            self.messages.append(record.getMessage())

    return CapturedErrors()
