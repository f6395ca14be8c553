// ServiceTable: snapshot lookups by namespace/name.
#include "servicenet/service_table.h"

namespace skiff::servicenet {

ServiceTable::ServiceTable(Map records) : records_(std::move(records)) {
  for (const auto& [key, record] : records_) ++namespaces_[record->ns];
}

std::shared_ptr<const ServiceRecord> ServiceTable::Find(std::string_view ns,
                                                        std::string_view name) const {
  std::string key;
  key.reserve(ns.size() + name.size() + 1);
  key.append(ns).append("/").append(name);
  auto it = records_.find(key);
  return it == records_.end() ? nullptr : it->second;
}

bool ServiceTable::HasNamespace(std::string_view ns) const {
  return namespaces_.find(ns) != namespaces_.end();
}

}  // namespace skiff::servicenet
