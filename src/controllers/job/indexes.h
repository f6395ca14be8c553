// Completion-index sets for Indexed Jobs: status.completedIndexes in kube's
// compressed form
// ("1,3-5,7") and the choice of which indexes get new pods.
#pragma once

#include <cstdint>
#include <set>
#include <string>
#include <string_view>
#include <vector>

namespace skiff::controllers::job {

using IndexSet = std::set<int64_t>;

// Parses "1,3-5,7". Entries that are malformed, reversed, or >= `completions`
// are skipped, as kube's parseIndexesFromString does, so a corrupted status
// cannot make the controller fail.
IndexSet ParseIndexes(std::string_view s, int64_t completions);
// Formats ascending runs: {0,1,2,4} → "0-2,4"; {} → "".
std::string FormatIndexes(const IndexSet& indexes);

// The lowest `count` indexes in [0, completions) that are in none of `excluded`
// (completed indexes, indexes with an active pod, indexes with a create still
// in flight).
std::vector<int64_t> FirstMissingIndexes(int64_t completions, int64_t count,
                                         const std::vector<const IndexSet*>& excluded);

}  // namespace skiff::controllers::job
