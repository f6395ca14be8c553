// Kubeconfig loading: turns a kubeconfig file (or the in-cluster service-account mount) into the
// RestConfig a RestClient needs: server URL, trust roots, and credentials.
#pragma once

#include <string>
#include <string_view>

#include "base/status.h"

namespace skiff::client {

// Everything needed to reach and authenticate to one API server.
struct RestConfig {
  std::string server{};                // "https://127.0.0.1:6443"; "http://" disables TLS
  std::string ca_data{};               // PEM trust roots; empty = the system default store
  bool insecure = false;               // skip server certificate verification
  std::string tls_server_name{};       // overrides the name checked in the server certificate
  std::string token{};                 // bearer token; empty = none
  std::string username{}, password{};  // basic auth, used only when token is empty
  std::string client_cert_pem{}, client_key_pem{};  // mutual TLS
  std::string namespace_ = "default";               // the context's namespace
};

// Where the file came from; lets callers explain which kubeconfig they used.
struct KubeconfigPaths {
  std::string env_kubeconfig{};  // value of $KUBECONFIG (may be a ':'-separated list)
  std::string home{};            // $HOME
  std::string fallback{};        // e.g. DefaultDataDir() + "/kubeconfig" of `skiff up`
};

// Picks the kubeconfig file kubectl would read: `explicit_path` if set, else the first existing
// entry of $KUBECONFIG, else ~/.kube/config if it exists, else `fallback` if it exists.
// NotFound when nothing exists. Pure apart from stat() calls.
StatusOr<std::string> ResolveKubeconfigPath(std::string_view explicit_path,
                                            const KubeconfigPaths& paths);

// Parses kubeconfig YAML text and resolves `context` (empty = current-context). Relative file
// references (certificate-authority, tokenFile, client-certificate, client-key) are resolved
// against `base_dir`, as kubectl does. Errors are InvalidArgument/NotFound with a message.
StatusOr<RestConfig> ParseKubeconfig(std::string_view yaml_text, std::string_view context,
                                     std::string_view base_dir);

// Loads the kubeconfig kubectl would use. `path` "" follows ResolveKubeconfigPath with $KUBECONFIG
// and $HOME from the environment and `fallback_path` (skiff's data-dir kubeconfig, passed in so
// this library does not depend on the CLI).
StatusOr<RestConfig> LoadKubeconfig(std::string_view path, std::string_view context = "",
                                    std::string_view fallback_path = "");

// The config a pod running inside a cluster uses: KUBERNETES_SERVICE_HOST/PORT and the
// service-account files under `sa_dir` (token, ca.crt, namespace). FailedPrecondition when not
// running in a cluster.
StatusOr<RestConfig> InClusterConfig(
    std::string_view sa_dir = "/var/run/secrets/kubernetes.io/serviceaccount");

// Reads a whole file; NotFound/Internal with the path in the message.
StatusOr<std::string> ReadFileToString(const std::string& path);

}  // namespace skiff::client
