// The process-wide metrics provider list.
#include "base/metrics.h"

#include <cmath>
#include <cstdio>
#include <map>
#include <mutex>

namespace skiff::metrics {
namespace {

struct Registry {
  std::mutex mu;
  int next = 1;
  std::map<int, Provider> providers;
};

Registry& Global() {
  static Registry* r = new Registry();
  return *r;
}

}  // namespace

int Register(Provider provider) {
  Registry& r = Global();
  std::lock_guard<std::mutex> lock(r.mu);
  int id = r.next++;
  r.providers[id] = std::move(provider);
  return id;
}

void Unregister(int handle) {
  Registry& r = Global();
  std::lock_guard<std::mutex> lock(r.mu);
  r.providers.erase(handle);
}

std::string RenderAll() {
  Registry& r = Global();
  std::lock_guard<std::mutex> lock(r.mu);
  std::string out;
  for (auto& [id, p] : r.providers) p(out);
  return out;
}

void AppendSample(std::string& out, const std::string& name,
                  std::initializer_list<std::pair<const char*, std::string>> labels,
                  double value) {
  out += name;
  if (labels.size() > 0) {
    out += '{';
    bool first = true;
    for (const auto& [k, v] : labels) {
      if (!first) out += ',';
      first = false;
      out += k;
      out += "=\"";
      for (char c : v) {
        if (c == '\\' || c == '"') out += '\\';
        if (c == '\n') {
          out += "\\n";
          continue;
        }
        out += c;
      }
      out += '"';
    }
    out += '}';
  }
  char buf[64];
  if (std::isinf(value)) {
    std::snprintf(buf, sizeof(buf), " %s\n", value > 0 ? "+Inf" : "-Inf");
  } else {
    std::snprintf(buf, sizeof(buf), " %.17g\n", value);
  }
  out += buf;
}

}  // namespace skiff::metrics
