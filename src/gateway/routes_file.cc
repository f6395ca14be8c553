// Routes file parsing: the JSON document walked with explicit type checks (no nlohmann
// exceptions on the normal path), unknown fields refused, then ValidateRoutes.
#include "gateway/routes_file.h"

#include <cmath>
#include <initializer_list>
#include <nlohmann/json.hpp>

#include "base/json.h"

namespace skiff::gateway {

namespace {

Status CheckFields(const Json& object, const std::string& at,
                   std::initializer_list<std::string_view> known) {
  for (auto it = object.begin(); it != object.end(); ++it) {
    bool ok = false;
    for (std::string_view k : known) ok = ok || it.key() == k;
    if (!ok) {
      return InvalidArgument((at.empty() ? "" : at + ".") + it.key() + ": unknown field");
    }
  }
  return Status::Ok();
}

StatusOr<std::vector<std::string>> StringList(const Json& value, const std::string& at) {
  if (!value.is_array()) return InvalidArgument(at + ": must be a list of strings");
  std::vector<std::string> out;
  out.reserve(value.size());
  for (size_t i = 0; i < value.size(); ++i) {
    if (!value[i].is_string()) {
      return InvalidArgument(at + "[" + std::to_string(i) + "]: must be a string");
    }
    out.push_back(value[i].get_ref<const std::string&>());
  }
  return out;
}

StatusOr<int64_t> Integer(const Json& value, const std::string& at) {
  if (value.is_number_integer()) return value.get<int64_t>();
  if (value.is_number_float()) {
    double d = value.get<double>();
    if (std::isfinite(d) && d == std::floor(d) && std::fabs(d) < 1e15) {
      return static_cast<int64_t>(d);
    }
  }
  return InvalidArgument(at + ": must be an integer");
}

StatusOr<Backend> ParseBackend(const Json& j, const std::string& at) {
  if (!j.is_object()) return InvalidArgument(at + ": must be an object");
  SKIFF_RETURN_IF_ERROR(CheckFields(j, at, {"revision", "weight", "endpoints", "ready"}));
  Backend b;
  auto rev = j.find("revision");
  if (rev == j.end() || !rev->is_string()) {
    return InvalidArgument(at + ".revision: required string");
  }
  b.revision = rev->get_ref<const std::string&>();
  if (auto w = j.find("weight"); w != j.end()) {
    SKIFF_ASSIGN_OR_RETURN(int64_t weight, Integer(*w, at + ".weight"));
    if (weight < 0 || weight > 100) return InvalidArgument(at + ".weight: must be 0..100");
    b.weight = static_cast<int>(weight);
  }
  if (auto e = j.find("endpoints"); e != j.end() && !e->is_null()) {
    SKIFF_ASSIGN_OR_RETURN(auto endpoints, StringList(*e, at + ".endpoints"));
    b.endpoints = std::move(endpoints);
  }
  if (auto r = j.find("ready"); r != j.end()) {
    if (!r->is_boolean()) return InvalidArgument(at + ".ready: must be true or false");
    b.ready = r->get<bool>();
  }
  return b;
}

StatusOr<Route> ParseRoute(const Json& j, const std::string& at) {
  if (!j.is_object()) return InvalidArgument(at + ": must be an object");
  SKIFF_RETURN_IF_ERROR(CheckFields(
      j, at, {"hosts", "pathPrefix", "stripPrefix", "backends", "timeoutSeconds", "retries"}));
  Route r;
  auto hosts = j.find("hosts");
  if (hosts == j.end()) return InvalidArgument(at + ".hosts: required");
  SKIFF_ASSIGN_OR_RETURN(r.hosts, StringList(*hosts, at + ".hosts"));
  if (auto p = j.find("pathPrefix"); p != j.end()) {
    if (!p->is_string()) return InvalidArgument(at + ".pathPrefix: must be a string");
    r.path_prefix = p->get_ref<const std::string&>();
  }
  if (auto s = j.find("stripPrefix"); s != j.end()) {
    if (!s->is_boolean()) return InvalidArgument(at + ".stripPrefix: must be true or false");
    r.strip_prefix = s->get<bool>();
  }
  if (auto t = j.find("timeoutSeconds"); t != j.end()) {
    // Fractions allowed (tests and benchmarks want sub-second limits); capped at one day.
    if (!t->is_number()) return InvalidArgument(at + ".timeoutSeconds: must be a number");
    double seconds = t->get<double>();
    if (!std::isfinite(seconds) || seconds <= 0 || seconds > 86400) {
      return InvalidArgument(at + ".timeoutSeconds: must be in (0, 86400]");
    }
    r.timeout = std::chrono::milliseconds(std::max<int64_t>(1, std::llround(seconds * 1000)));
  }
  if (auto n = j.find("retries"); n != j.end()) {
    SKIFF_ASSIGN_OR_RETURN(int64_t retries, Integer(*n, at + ".retries"));
    if (retries < 0 || retries > 10) return InvalidArgument(at + ".retries: must be 0..10");
    r.retries = static_cast<int>(retries);
  }
  auto backends = j.find("backends");
  if (backends == j.end() || !backends->is_array()) {
    return InvalidArgument(at + ".backends: required list");
  }
  for (size_t i = 0; i < backends->size(); ++i) {
    SKIFF_ASSIGN_OR_RETURN(
        Backend b, ParseBackend((*backends)[i], at + ".backends[" + std::to_string(i) + "]"));
    r.backends.push_back(std::move(b));
  }
  return r;
}

StatusOr<std::vector<Route>> Parse(std::string_view text) {
  SKIFF_ASSIGN_OR_RETURN(Json doc, ParseJson(text));
  if (!doc.is_object()) return InvalidArgument("routes file: must be a JSON object");
  SKIFF_RETURN_IF_ERROR(CheckFields(doc, "", {"routes"}));
  auto routes = doc.find("routes");
  if (routes == doc.end() || !routes->is_array()) {
    return InvalidArgument("routes: required list");
  }
  std::vector<Route> out;
  out.reserve(routes->size());
  for (size_t i = 0; i < routes->size(); ++i) {
    SKIFF_ASSIGN_OR_RETURN(Route r, ParseRoute((*routes)[i], "routes[" + std::to_string(i) + "]"));
    out.push_back(std::move(r));
  }
  SKIFF_RETURN_IF_ERROR(ValidateRoutes(out));
  return out;
}

}  // namespace

StatusOr<std::vector<Route>> ParseRoutesJson(std::string_view text) {
  try {
    return Parse(text);
  } catch (const Json::exception& e) {
    // Every access above is type-checked first; this is the adapter's last resort.
    return InvalidArgument(std::string("routes file: ") + e.what());
  }
}

}  // namespace skiff::gateway
