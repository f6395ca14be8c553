// Completion-index set parsing, formatting and selection.
#include "controllers/job/indexes.h"

#include <charconv>

namespace skiff::controllers::job {

namespace {

bool ParseInt(std::string_view s, int64_t* out) {
  if (s.empty()) return false;
  auto [ptr, ec] = std::from_chars(s.data(), s.data() + s.size(), *out);
  return ec == std::errc() && ptr == s.data() + s.size() && *out >= 0;
}

}  // namespace

IndexSet ParseIndexes(std::string_view s, int64_t completions) {
  IndexSet out;
  while (!s.empty()) {
    size_t comma = s.find(',');
    std::string_view part = s.substr(0, comma);
    s = comma == std::string_view::npos ? std::string_view() : s.substr(comma + 1);
    size_t dash = part.find('-');
    int64_t lo = 0;
    int64_t hi = 0;
    if (dash == std::string_view::npos) {
      if (!ParseInt(part, &lo)) continue;
      hi = lo;
    } else if (!ParseInt(part.substr(0, dash), &lo) || !ParseInt(part.substr(dash + 1), &hi) ||
               hi < lo) {
      continue;
    }
    if (hi >= completions) hi = completions - 1;
    for (int64_t i = lo; i <= hi; ++i) out.insert(i);
  }
  return out;
}

std::string FormatIndexes(const IndexSet& indexes) {
  std::string out;
  auto it = indexes.begin();
  while (it != indexes.end()) {
    int64_t first = *it;
    int64_t last = first;
    ++it;
    while (it != indexes.end() && *it == last + 1) {
      last = *it;
      ++it;
    }
    if (!out.empty()) out += ',';
    out += std::to_string(first);
    if (last > first) out += '-' + std::to_string(last);
  }
  return out;
}

std::vector<int64_t> FirstMissingIndexes(int64_t completions, int64_t count,
                                         const std::vector<const IndexSet*>& excluded) {
  std::vector<int64_t> out;
  for (int64_t i = 0; i < completions && static_cast<int64_t>(out.size()) < count; ++i) {
    bool taken = false;
    for (const IndexSet* set : excluded) {
      if (set->count(i)) {
        taken = true;
        break;
      }
    }
    if (!taken) out.push_back(i);
  }
  return out;
}

}  // namespace skiff::controllers::job
