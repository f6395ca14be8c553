// Process-wide Prometheus exposition: components register a provider that appends their
// metrics in text format 0.0.4; the API server's `/metrics` (and any other endpoint) renders all
// of them. Thread-safe.
#pragma once

#include <functional>
#include <string>

namespace skiff::metrics {

using Provider = std::function<void(std::string& out)>;

// Returns a handle for Unregister. Providers must be cheap and must not call back into this
// registry.
int Register(Provider provider);
void Unregister(int handle);
// Every provider's text, in registration order.
std::string RenderAll();

// `name{k="v",...} value\n`, escaping label values as the format requires.
void AppendSample(std::string& out, const std::string& name,
                  std::initializer_list<std::pair<const char*, std::string>> labels, double value);

}  // namespace skiff::metrics
