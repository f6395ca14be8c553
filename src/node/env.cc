// $(VAR) expansion and env resolution, following the kubelet's makeEnvironmentVariables.
#include "node/env.h"

#include "api/quantity.h"

namespace skiff::node {

std::string ExpandVars(std::string_view input,
                       const std::function<std::optional<std::string>(std::string_view)>& lookup) {
  std::string out;
  size_t checkpoint = 0;
  for (size_t cursor = 0; cursor < input.size(); ++cursor) {
    if (input[cursor] != '$' || cursor + 1 >= input.size()) continue;
    out.append(input.substr(checkpoint, cursor - checkpoint));
    std::string_view rest = input.substr(cursor + 1);
    size_t advance = 1;
    if (rest[0] == '$') {
      out.push_back('$');
    } else if (rest[0] == '(') {
      size_t close = rest.find(')', 1);
      if (close == std::string_view::npos) {
        out.append("$(");
      } else {
        std::string_view name = rest.substr(1, close - 1);
        std::optional<std::string> value = lookup(name);
        if (value) {
          out.append(*value);
        } else {
          out.append("$(").append(name).append(")");
        }
        advance = close + 1;
      }
    } else {
      out.push_back('$');
      out.push_back(rest[0]);
    }
    cursor += advance;
    checkpoint = cursor + 1;
  }
  if (checkpoint < input.size()) out.append(input.substr(checkpoint));
  return out;
}

std::function<std::optional<std::string>(std::string_view)> EnvLookup(const EnvList& env) {
  return [&env](std::string_view name) -> std::optional<std::string> {
    for (auto it = env.rbegin(); it != env.rend(); ++it) {
      if (it->first == name) return it->second;
    }
    return std::nullopt;
  };
}

namespace {

// "metadata.labels['app']" -> "app" when `path` starts with `prefix` + "['".
std::optional<std::string> Subscript(const std::string& path, const std::string& prefix) {
  if (path.rfind(prefix + "['", 0) != 0 || path.size() < prefix.size() + 4 ||
      path.compare(path.size() - 2, 2, "']") != 0) {
    return std::nullopt;
  }
  return path.substr(prefix.size() + 2, path.size() - prefix.size() - 4);
}

std::string Lookup(const std::map<std::string, std::string>& m, const std::string& key) {
  auto it = m.find(key);
  return it == m.end() ? "" : it->second;
}

}  // namespace

StatusOr<std::string> FieldRefValue(const EnvContext& ctx, const std::string& path) {
  const PodSpecView& pod = *ctx.pod;
  if (path == "metadata.name") return pod.name;
  if (path == "metadata.namespace") return pod.ns;
  if (path == "metadata.uid") return pod.uid;
  if (path == "spec.nodeName") return pod.node_name;
  if (path == "spec.serviceAccountName") return pod.service_account;
  if (path == "status.podIP" || path == "status.podIPs") return ctx.pod_ip;
  if (path == "status.hostIP" || path == "status.hostIPs") return ctx.host_ip;
  if (auto k = Subscript(path, "metadata.labels")) return Lookup(pod.labels, *k);
  if (auto k = Subscript(path, "metadata.annotations")) return Lookup(pod.annotations, *k);
  if (path == "metadata.labels" || path == "metadata.annotations") {
    // Downward API volumes render the whole map as key="value" lines, sorted.
    const auto& m = path == "metadata.labels" ? pod.labels : pod.annotations;
    std::string out;
    for (const auto& [k, v] : m) {
      std::string escaped;
      for (char c : v) {
        if (c == '"' || c == '\\') escaped.push_back('\\');
        if (c == '\n') {
          escaped += "\\n";
          continue;
        }
        escaped.push_back(c);
      }
      out += k + "=\"" + escaped + "\"\n";
    }
    return out;
  }
  return InvalidArgument("unsupported fieldRef fieldPath \"" + path + "\"");
}

StatusOr<std::string> ResourceFieldValue(const EnvContext& ctx, const Container& self,
                                         const ValueSource& ref) {
  const Container* c = &self;
  if (!ref.container_name.empty()) {
    c = FindContainer(*ctx.pod, ref.container_name);
    if (c == nullptr) {
      return InvalidArgument("resourceFieldRef: no container named \"" + ref.container_name + "\"");
    }
  }
  const std::string& r = ref.resource;
  size_t dot = r.find('.');
  if (dot == std::string::npos) return InvalidArgument("unsupported resource \"" + r + "\"");
  std::string which = r.substr(0, dot), name = r.substr(dot + 1);
  const auto& list = which == "limits" ? c->limits : c->requests;
  if (which != "limits" && which != "requests") {
    return InvalidArgument("unsupported resource \"" + r + "\"");
  }
  api::Quantity q;
  auto it = list.find(name);
  if (it != list.end()) {
    SKIFF_ASSIGN_OR_RETURN(q, api::ParseQuantity(it->second));
  } else if (name == "cpu") {
    // Unset limits read as node allocatable; unset cpu requests as 0 (kube: 0 → rounded to 1).
    q = api::Quantity::FromMilli(which == "limits" ? ctx.node_cpu_milli : 0);
  } else if (name == "memory") {
    q = api::Quantity::FromValue(which == "limits" ? ctx.node_memory_bytes : 0);
  }
  api::Quantity divisor = api::Quantity::FromValue(1);
  if (!ref.divisor.empty()) {
    SKIFF_ASSIGN_OR_RETURN(divisor, api::ParseQuantity(ref.divisor));
  }
  if (divisor.MilliValue() <= 0) return InvalidArgument("resourceFieldRef divisor must be > 0");
  int64_t num = q.MilliValue(), den = divisor.MilliValue();
  int64_t value = (num + den - 1) / den;
  // cpu rounds up to at least 1, as kube's ExtractContainerResourceValue does.
  if (name == "cpu" && value < 1) value = 1;
  return std::to_string(value);
}

StatusOr<EnvList> ResolveEnv(const EnvContext& ctx, const Container& container) {
  EnvList env;
  const std::string& ns = ctx.pod->ns;
  for (const auto& from : container.env_from) {
    StatusOr<std::map<std::string, std::string>> data =
        from.secret ? ctx.config->Secret(ns, from.name) : ctx.config->ConfigMap(ns, from.name);
    if (!data.ok()) {
      if (data.status().code() == StatusCode::kNotFound && from.optional) continue;
      if (data.status().code() == StatusCode::kNotFound) {
        return FailedPrecondition(std::string(from.secret ? "secret" : "configmap") + " \"" +
                                  from.name + "\" not found");
      }
      return data.status();
    }
    for (const auto& [k, v] : *data) env.emplace_back(from.prefix + k, v);
  }
  for (const auto& var : container.env) {
    std::string value;
    switch (var.from.kind) {
      case ValueSource::Kind::kNone:
        value = ExpandVars(var.value, EnvLookup(env));
        break;
      case ValueSource::Kind::kFieldRef: {
        SKIFF_ASSIGN_OR_RETURN(value, FieldRefValue(ctx, var.from.field_path));
        break;
      }
      case ValueSource::Kind::kResourceFieldRef: {
        SKIFF_ASSIGN_OR_RETURN(value, ResourceFieldValue(ctx, container, var.from));
        break;
      }
      case ValueSource::Kind::kConfigMapKeyRef:
      case ValueSource::Kind::kSecretKeyRef: {
        bool secret = var.from.kind == ValueSource::Kind::kSecretKeyRef;
        auto data = secret ? ctx.config->Secret(ns, var.from.ref_name)
                           : ctx.config->ConfigMap(ns, var.from.ref_name);
        if (!data.ok()) {
          if (data.status().code() != StatusCode::kNotFound) return data.status();
          if (var.from.optional) continue;
          return FailedPrecondition(std::string(secret ? "secret" : "configmap") + " \"" +
                                    var.from.ref_name + "\" not found");
        }
        auto it = data->find(var.from.ref_key);
        if (it == data->end()) {
          if (var.from.optional) continue;
          return FailedPrecondition("couldn't find key " + var.from.ref_key + " in " +
                                    (secret ? "Secret " : "ConfigMap ") + ns + "/" +
                                    var.from.ref_name);
        }
        value = it->second;
        break;
      }
    }
    env.emplace_back(var.name, std::move(value));
  }
  return env;
}

}  // namespace skiff::node
