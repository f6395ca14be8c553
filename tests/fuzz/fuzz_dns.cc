// Fuzzes the cluster DNS server's input path: query parsing, lookup and response encoding, plus
// the response parser. Every reply we produce must parse back and respect the UDP size limit.
#include <cstddef>
#include <cstdint>
#include <nlohmann/json.hpp>
#include <string_view>

#include "servicenet/dns_lookup.h"
#include "servicenet/dns_message.h"
#include "servicenet/service_table.h"

namespace {

const skiff::servicenet::ServiceTable& Table() {
  static const skiff::servicenet::ServiceTable* table = [] {
    using skiff::Json;
    skiff::servicenet::ServiceTable::Map m;
    Json svc = Json::parse(R"({"metadata":{"name":"web","namespace":"default"},
      "spec":{"clusterIP":"10.96.0.20","ports":[{"name":"http","port":80}]}})");
    Json headless = Json::parse(R"({"metadata":{"name":"js","namespace":"default"},
      "spec":{"clusterIP":"None","ports":[{"name":"http","port":80}]}})");
    Json ep = Json::parse(R"({"subsets":[{"addresses":[{"ip":"10.244.0.7","hostname":"h0"},
      {"ip":"10.244.0.8"}],"ports":[{"name":"http","port":8080}]}]})");
    for (const Json* s : {&svc, &headless}) {
      auto r = std::make_shared<skiff::servicenet::ServiceRecord>(
          skiff::servicenet::ParseServiceRecord(*s, &ep));
      m[r->ns + "/" + r->name] = r;
    }
    return new skiff::servicenet::ServiceTable(std::move(m));
  }();
  return *table;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace skiff::servicenet;
  std::string_view in(reinterpret_cast<const char*>(data), size);
  (void)ParseDnsResponse(in);
  ClusterDnsOptions options;
  for (bool tcp : {false, true}) {
    auto reply = AnswerDnsMessage(Table(), in, tcp, options);
    if (!reply) continue;
    auto parsed = ParseDnsResponse(*reply);
    if (!parsed.ok()) __builtin_trap();
    auto query = ParseDnsQuery(in);
    if (!tcp && query.ok() && reply->size() > DnsUdpLimit(*query)) __builtin_trap();
  }
  return 0;
}
