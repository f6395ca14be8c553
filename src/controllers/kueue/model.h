// Translation of Kueue API objects (v1beta2 JSON, as the informers serve them) into the typed
// model of the scheduling core (src/kueue/types.h), and of its decisions back into status JSON.
#pragma once

#include <map>
#include <nlohmann/json.hpp>  // folder-private
#include <string>

#include "base/json.h"
#include "kueue/types.h"

namespace skiff::controllers::kueue {

namespace core = ::skiff::kueue;

core::ResourceFlavor ParseFlavor(const Json& rf);
core::Cohort ParseCohort(const Json& cohort);
// `namespace_selector_null` reports a ClusterQueue that admits no namespace (nil selector).
core::ClusterQueue ParseClusterQueue(const Json& cq);

// `cluster_queue` resolved by the caller from the LocalQueue ("" when the LocalQueue is
// missing); `priority` from spec.priority.
core::Workload ParseWorkload(const Json& wl, const std::string& cluster_queue);

// status.admission JSON for a decision.
Json AdmissionJson(const core::Admission& admission);
// flavorsReservation / flavorsUsage JSON.
Json FlavorsUsageJson(const std::vector<core::FlavorUsage>& usage);

}  // namespace skiff::controllers::kueue
