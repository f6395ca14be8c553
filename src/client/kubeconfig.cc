// Kubeconfig parsing and path resolution, following client-go's clientcmd loading rules for the
// subset kubectl users rely on (one file, one context, token/basic/cert auth).
#include "client/kubeconfig.h"

#include <sys/stat.h>

#include <cstdlib>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>

#include "api/yaml.h"
#include "base/base64.h"

namespace skiff::client {
namespace {

bool FileExists(const std::string& path) {
  struct stat st;
  return !path.empty() && ::stat(path.c_str(), &st) == 0 && S_ISREG(st.st_mode);
}

std::string EnvOrEmpty(const char* name) {
  const char* v = std::getenv(name);
  return v ? std::string(v) : std::string();
}

std::string JoinPath(std::string_view base_dir, const std::string& p) {
  if (p.empty() || p[0] == '/' || base_dir.empty()) {
    return p;
  }
  std::string out(base_dir);
  if (out.back() != '/') {
    out += '/';
  }
  return out + p;
}

std::string DirName(std::string_view path) {
  size_t slash = path.rfind('/');
  if (slash == std::string_view::npos) {
    return ".";
  }
  return slash == 0 ? "/" : std::string(path.substr(0, slash));
}

// Finds the entry of a kubeconfig named list (`clusters`, `users`, `contexts`) by name and
// returns its inner object (`cluster`, `user`, `context`).
const Json* FindNamed(const Json& doc, const char* list, const char* inner, std::string_view name) {
  auto it = doc.find(list);
  if (it == doc.end() || !it->is_array()) {
    return nullptr;
  }
  for (const Json& entry : *it) {
    if (entry.is_object() && entry.value("name", "") == name) {
      auto in = entry.find(inner);
      if (in != entry.end() && in->is_object()) {
        return &*in;
      }
      static const Json kEmpty = Json::object();
      return &kEmpty;
    }
  }
  return nullptr;
}

std::string Str(const Json& obj, const char* key) {
  auto it = obj.find(key);
  if (it == obj.end() || !it->is_string()) {
    return "";
  }
  return it->get<std::string>();
}

bool Bool(const Json& obj, const char* key) {
  auto it = obj.find(key);
  if (it == obj.end()) {
    return false;
  }
  if (it->is_boolean()) {
    return it->get<bool>();
  }
  return it->is_string() && it->get<std::string>() == "true";
}

// Reads `<key>-data` (base64) or `<key>` (a file path) into PEM text.
StatusOr<std::string> DataOrFile(const Json& obj, const std::string& key,
                                 std::string_view base_dir) {
  std::string data = Str(obj, (key + "-data").c_str());
  if (!data.empty()) {
    std::string compact;
    for (char c : data) {
      if (c != ' ' && c != '\t' && c != '\n' && c != '\r') {
        compact += c;
      }
    }
    auto decoded = Base64Decode(compact);
    if (!decoded) {
      return InvalidArgument(key + "-data: invalid base64 data");
    }
    return *decoded;
  }
  std::string file = Str(obj, key.c_str());
  if (file.empty()) {
    return std::string();
  }
  return ReadFileToString(JoinPath(base_dir, file));
}

std::string TrimTrailingSlashes(std::string s) {
  while (s.size() > 1 && s.back() == '/') {
    s.pop_back();
  }
  return s;
}

std::string TrimSpace(std::string s) {
  size_t b = s.find_first_not_of(" \t\r\n");
  size_t e = s.find_last_not_of(" \t\r\n");
  return b == std::string::npos ? "" : s.substr(b, e - b + 1);
}

}  // namespace

StatusOr<std::string> ReadFileToString(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    return NotFound("cannot open " + path);
  }
  std::ostringstream ss;
  ss << in.rdbuf();
  if (in.bad()) {
    return Internal("error reading " + path);
  }
  return ss.str();
}

StatusOr<std::string> ResolveKubeconfigPath(std::string_view explicit_path,
                                            const KubeconfigPaths& paths) {
  if (!explicit_path.empty()) {
    return std::string(explicit_path);
  }
  std::string_view list = paths.env_kubeconfig;
  while (!list.empty()) {
    size_t colon = list.find(':');
    std::string entry(list.substr(0, colon));
    list = colon == std::string_view::npos ? std::string_view() : list.substr(colon + 1);
    if (FileExists(entry)) {
      return entry;
    }
  }
  if (!paths.home.empty() && FileExists(paths.home + "/.kube/config")) {
    return paths.home + "/.kube/config";
  }
  if (FileExists(paths.fallback)) {
    return paths.fallback;
  }
  return NotFound(
      "no kubeconfig found: set --kubeconfig or $KUBECONFIG, create ~/.kube/config, or run "
      "`skiff up`");
}

StatusOr<RestConfig> ParseKubeconfig(std::string_view yaml_text, std::string_view context,
                                     std::string_view base_dir) {
  auto parsed = api::ParseYamlOrJson(yaml_text);
  if (!parsed.ok()) {
    return parsed.status().WithContext("invalid kubeconfig");
  }
  const Json& doc = *parsed;
  if (!doc.is_object()) {
    return InvalidArgument("invalid kubeconfig: not a mapping");
  }
  std::string context_name(context);
  if (context_name.empty()) {
    context_name = Str(doc, "current-context");
  }
  if (context_name.empty()) {
    return InvalidArgument("invalid kubeconfig: no current-context set and no --context given");
  }
  const Json* ctx = FindNamed(doc, "contexts", "context", context_name);
  if (ctx == nullptr) {
    return NotFound("context \"" + context_name + "\" does not exist");
  }
  std::string cluster_name = Str(*ctx, "cluster");
  const Json* cluster = FindNamed(doc, "clusters", "cluster", cluster_name);
  if (cluster == nullptr) {
    return NotFound("cluster \"" + cluster_name + "\" does not exist (context \"" + context_name +
                    "\")");
  }
  RestConfig config;
  config.server = TrimTrailingSlashes(Str(*cluster, "server"));
  if (config.server.empty()) {
    return InvalidArgument("cluster \"" + cluster_name + "\" has no server");
  }
  config.insecure = Bool(*cluster, "insecure-skip-tls-verify");
  config.tls_server_name = Str(*cluster, "tls-server-name");
  SKIFF_ASSIGN_OR_RETURN(config.ca_data, DataOrFile(*cluster, "certificate-authority", base_dir));

  std::string user_name = Str(*ctx, "user");
  if (!user_name.empty()) {
    const Json* user = FindNamed(doc, "users", "user", user_name);
    if (user == nullptr) {
      return NotFound("user \"" + user_name + "\" does not exist (context \"" + context_name +
                      "\")");
    }
    config.token = Str(*user, "token");
    std::string token_file = Str(*user, "tokenFile");
    if (config.token.empty() && !token_file.empty()) {
      SKIFF_ASSIGN_OR_RETURN(std::string token, ReadFileToString(JoinPath(base_dir, token_file)));
      config.token = TrimSpace(std::move(token));
    }
    config.username = Str(*user, "username");
    config.password = Str(*user, "password");
    SKIFF_ASSIGN_OR_RETURN(config.client_cert_pem,
                           DataOrFile(*user, "client-certificate", base_dir));
    SKIFF_ASSIGN_OR_RETURN(config.client_key_pem, DataOrFile(*user, "client-key", base_dir));
  }
  std::string ns = Str(*ctx, "namespace");
  if (!ns.empty()) {
    config.namespace_ = ns;
  }
  return config;
}

StatusOr<RestConfig> LoadKubeconfig(std::string_view path, std::string_view context,
                                    std::string_view fallback_path) {
  KubeconfigPaths paths{.env_kubeconfig = EnvOrEmpty("KUBECONFIG"),
                        .home = EnvOrEmpty("HOME"),
                        .fallback = std::string(fallback_path)};
  SKIFF_ASSIGN_OR_RETURN(std::string file, ResolveKubeconfigPath(path, paths));
  auto text = ReadFileToString(file);
  if (!text.ok()) {
    return text.status();
  }
  auto config = ParseKubeconfig(*text, context, DirName(file));
  if (!config.ok()) {
    return config.status().WithContext(file);
  }
  return config;
}

StatusOr<RestConfig> InClusterConfig(std::string_view sa_dir) {
  std::string host = EnvOrEmpty("KUBERNETES_SERVICE_HOST");
  std::string port = EnvOrEmpty("KUBERNETES_SERVICE_PORT");
  if (host.empty() || port.empty()) {
    return FailedPrecondition(
        "unable to load in-cluster configuration, KUBERNETES_SERVICE_HOST and "
        "KUBERNETES_SERVICE_PORT must be defined");
  }
  RestConfig config;
  // IPv6 literals need brackets in a URL.
  if (host.find(':') != std::string::npos) {
    host = "[" + host + "]";
  }
  config.server = "https://" + host + ":" + port;
  std::string dir(sa_dir);
  SKIFF_ASSIGN_OR_RETURN(std::string token, ReadFileToString(dir + "/token"));
  config.token = TrimSpace(std::move(token));
  SKIFF_ASSIGN_OR_RETURN(config.ca_data, ReadFileToString(dir + "/ca.crt"));
  auto ns = ReadFileToString(dir + "/namespace");
  if (ns.ok() && !TrimSpace(*ns).empty()) {
    config.namespace_ = TrimSpace(*ns);
  }
  return config;
}

}  // namespace skiff::client
