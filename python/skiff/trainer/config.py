"""KubernetesBackendConfig and how the SDK finds a cluster: an explicit file, $KUBECONFIG,
~/.kube/config, then the kubeconfig `skiff up` writes into its data dir, then in-cluster."""
from __future__ import annotations

import os
from dataclasses import dataclass
from typing import Any, Optional

DEFAULT_NAMESPACE = "default"
SERVICE_ACCOUNT_NAMESPACE = "/var/run/secrets/kubernetes.io/serviceaccount/namespace"


@dataclass
class KubernetesBackendConfig:
    """namespace: default is the kubeconfig context's namespace, else "default".
    config_file: a kubeconfig path (or a $KUBECONFIG-style list); default: see find_kubeconfig.
    context: the kubeconfig context; default: its current-context.
    client_configuration: a ready kubernetes.client.Configuration (skips kubeconfig loading).
    """

    namespace: Optional[str] = None
    config_file: Optional[str] = None
    context: Optional[str] = None
    client_configuration: Optional[Any] = None


def skiff_data_dir(environ=None) -> str:
    """Skiff's state directory, as `skiff up` picks it: $SKIFF_DATA_DIR, else
    $XDG_DATA_HOME/skiff, else ~/.local/share/skiff."""
    env = os.environ if environ is None else environ
    if env.get("SKIFF_DATA_DIR"):
        return env["SKIFF_DATA_DIR"]
    if env.get("XDG_DATA_HOME"):
        return os.path.join(env["XDG_DATA_HOME"], "skiff")
    return os.path.join(env.get("HOME") or "/root", ".local", "share", "skiff")


def kubeconfig_candidates(environ=None) -> list:
    """The places looked at, in order, as (source, path)."""
    env = os.environ if environ is None else environ
    out = []
    if env.get("KUBECONFIG"):
        out.append(("$KUBECONFIG", env["KUBECONFIG"]))
    home = env.get("HOME") or "/root"
    out.append(("~/.kube/config", os.path.join(home, ".kube", "config")))
    out.append(("skiff data dir", os.path.join(skiff_data_dir(env), "kubeconfig")))
    return out


def find_kubeconfig(environ=None) -> Optional[str]:
    """The kubeconfig to use when none is given: $KUBECONFIG when set (kubectl's rule: it is
    used as-is, even a list), else the first existing of ~/.kube/config and
    <skiff data dir>/kubeconfig. None when there is none."""
    env = os.environ if environ is None else environ
    for source, path in kubeconfig_candidates(env):
        if source == "$KUBECONFIG" or os.path.isfile(path):
            return path
    return None


def no_kubeconfig_message(environ=None) -> str:
    tried = ", ".join(f"{p} ({s})" for s, p in kubeconfig_candidates(environ))
    return ("No Kubernetes configuration found (tried " + tried + "). Start Skiff with "
            "`skiff up`, or pass KubernetesBackendConfig(config_file=...).")


def context_namespace(config_file: Optional[str], context: Optional[str]) -> Optional[str]:
    """The namespace set on `context` (or the current context) of `config_file`, if any."""
    if not config_file:
        return None
    try:
        from kubernetes import config as k8s_config
        contexts, current = k8s_config.list_kube_config_contexts(config_file=config_file)
    except Exception:  # an unreadable kubeconfig has no namespace to offer
        return None
    chosen = current
    if context:
        chosen = next((c for c in contexts or [] if c.get("name") == context), None)
    return ((chosen or {}).get("context") or {}).get("namespace") or None


def in_cluster() -> bool:
    return bool(os.environ.get("KUBERNETES_SERVICE_HOST"))


def in_cluster_namespace() -> Optional[str]:
    try:
        with open(SERVICE_ACCOUNT_NAMESPACE) as f:
            return f.read().strip() or None
    except OSError:
        return None


def make_api_client(cfg: KubernetesBackendConfig):
    """(ApiClient, namespace) for cfg. Raises RuntimeError when no configuration is found."""
    from kubernetes import client, config as k8s_config

    config_file = cfg.config_file or find_kubeconfig()
    if cfg.client_configuration is not None:
        api_client = client.ApiClient(cfg.client_configuration)
    elif config_file:
        api_client = k8s_config.new_client_from_config(config_file=config_file,
                                                       context=cfg.context)
    elif in_cluster():
        configuration = client.Configuration()
        k8s_config.load_incluster_config(client_configuration=configuration)
        api_client = client.ApiClient(configuration)
    else:
        raise RuntimeError(no_kubeconfig_message())
    namespace = cfg.namespace
    if not namespace:
        namespace = context_namespace(config_file, cfg.context)
    if not namespace and not config_file and in_cluster():
        namespace = in_cluster_namespace()
    return api_client, namespace or DEFAULT_NAMESPACE
