// ServiceTable: an immutable snapshot of every ServiceRecord, keyed by namespace/name. The
// service network swaps in a new snapshot on each change; readers hold the one they got.
#pragma once

#include <map>
#include <memory>
#include <string>
#include <string_view>

#include "servicenet/service_record.h"

namespace skiff::servicenet {

// Thread-safe to read (immutable after construction).
class ServiceTable : public ServiceSource {
 public:
  using Map = std::map<std::string, std::shared_ptr<const ServiceRecord>, std::less<>>;

  ServiceTable() = default;
  explicit ServiceTable(Map records);

  std::shared_ptr<const ServiceRecord> Find(std::string_view ns,
                                            std::string_view name) const override;
  bool HasNamespace(std::string_view ns) const override;

  // Keyed "ns/name".
  const Map& records() const { return records_; }

 private:
  Map records_;
  std::map<std::string, int, std::less<>> namespaces_;  // ns -> number of services
};

}  // namespace skiff::servicenet
