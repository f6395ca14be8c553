// Fuzzes the gateway's parsers of user bytes: the routes file (parse, validate, compile into a
// routing table and route through it), Host header normalisation, request targets, endpoint
// addresses, and the error body that echoes request bytes (it must stay valid JSON).
#include <cstddef>
#include <cstdint>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>

#include "base/time.h"
#include "gateway/http_head.h"
#include "gateway/route_table.h"
#include "gateway/routes_file.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace skiff::gateway;
  std::string_view in(reinterpret_cast<const char*>(data), size);

  // Normalising twice gives the same host, and the result is a valid routes-file host.
  if (auto host = NormalizeHost(in); host.ok()) {
    auto again = NormalizeHost(*host);
    if (!again.ok() || *again != *host) __builtin_trap();
  }
  if (auto a = ParseEndpointAddress(in); a.ok()) {
    auto again = ParseEndpointAddress(a->address);
    if (!again.ok() || again->address != a->address) __builtin_trap();
  }
  if (auto t = SplitTarget(in); t.ok()) {
    if (t->path.size() > in.size()) __builtin_trap();
    std::string forwarded = ForwardedTarget(t->path_and_query, "/v1", true);
    if (forwarded.empty() || forwarded.front() != '/') __builtin_trap();
  }
  std::string body = ErrorJson(in);
  if (!nlohmann::json::accept(body)) __builtin_trap();

  auto routes = ParseRoutesJson(in);
  if (!routes.ok()) return 0;
  if (!ValidateRoutes(*routes).ok()) __builtin_trap();  // the parser validated already
  static skiff::RealClock clock;
  RouteTable table(*routes, [](const std::string& key) {
    return std::make_shared<Revision>(key, ActivatorOptions{}, nullptr, clock);
  });
  for (const Route& r : *routes) {
    for (const std::string& h : r.hosts) {
      auto host = NormalizeHost(h);
      const CompiledRoute* match = table.Match(*host, r.path_prefix + "/x");
      if (match == nullptr) __builtin_trap();  // its own host and prefix must route
      for (int i = 0; i < 8; ++i) (void)match->Pick();
    }
  }
  return 0;
}
