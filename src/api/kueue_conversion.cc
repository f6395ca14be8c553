// Kueue v1beta1 <-> v1beta2 conversion: the field mapping of upstream Kueue's conversion webhook
// (apis/kueue/v1beta1/*_conversion.go) plus an annotation carrying what the target version cannot
// hold, so both round trips are lossless. docs/kueue-versions.md lists every difference.
#include "api/kueue_conversion.h"

#include <algorithm>
#include <cstdint>
#include <exception>
#include <nlohmann/json.hpp>
#include <string>
#include <utility>
#include <vector>

namespace skiff::api {
namespace {

using Type = Json::value_t;

constexpr std::string_view kV1beta1 = "v1beta1";
constexpr std::string_view kV1beta2 = "v1beta2";

// Holds {"<version>": {"<dotted field path in that version>": value}} for fields the object's
// current version cannot represent. Conversion owns it: the next conversion consumes it, and it
// only exists while it has something to say (Cluster API's conversion-data idea).
constexpr char kDataAnnotation[] = "skiff.dev/kueue-conversion-data";
// Entry recording that metadata.annotations existed but was empty before the annotation was added.
constexpr char kEmptyAnnotations[] = "metadata.annotations";

// Expanding v1beta2 "universal" values can multiply a small document into a huge one; these
// bound one topology assignment (upstream's own limit is 100000 roots per slice).
constexpr int64_t kMaxTopologyDomains = 1 << 20;
constexpr int64_t kMaxTopologyValues = 1 << 21;

// What one conversion moves through the annotation.
struct Carry {
  Json in = Json::object();   // saved by the previous conversion, for the target version
  Json out = Json::object();  // source-version fields the target version cannot hold

  const Json* In(const std::string& path) const {
    auto it = in.find(path);
    return it == in.end() ? nullptr : &*it;
  }
};

// A field error in kube's form (422 Invalid with one cause); ConvertKueue names the object.
Status FieldError(const std::string& field, std::string message,
                  const char* reason = "FieldValueInvalid") {
  StatusDetails details;
  details.reason = "Invalid";
  details.http_code = 422;
  details.causes.push_back({reason, message, field});
  return Status(StatusCode::kInvalidArgument, field + ": " + message, std::move(details));
}
Status Invalid(const std::string& field, std::string_view what) {
  return FieldError(field, "Invalid value: " + std::string(what));
}

Json* Field(Json* obj, std::string_view key) {
  if (obj == nullptr || !obj->is_object()) return nullptr;
  auto it = obj->find(key);
  return it == obj->end() ? nullptr : &*it;
}
Json* Object(Json* obj, std::string_view key) {
  Json* f = Field(obj, key);
  return f != nullptr && f->is_object() ? f : nullptr;
}
const Json* Find(const Json& obj, std::string_view key) {
  if (!obj.is_object()) return nullptr;
  auto it = obj.find(key);
  return it == obj.end() ? nullptr : &*it;
}

void Rename(Json* obj, std::string_view from, std::string_view to) {
  Json* f = Field(obj, from);
  if (f == nullptr) return;
  Json value = std::move(*f);
  obj->erase(std::string(from));
  (*obj)[std::string(to)] = std::move(value);
}

// Moves obj[key] into the carry under `path`.
void Save(Json* obj, std::string_view key, Carry& c, const std::string& path) {
  Json* f = Field(obj, key);
  if (f == nullptr) return;
  c.out[path] = std::move(*f);
  obj->erase(std::string(key));
}

// Puts a saved value back when obj is an object without `key` and the value has the shape its
// schema demands; the annotation is user-editable, so nothing else is trusted into the object.
void Restore(Json* obj, std::string_view key, const Carry& c, const std::string& path, Type type) {
  const Json* v = c.In(path);
  if (v == nullptr || v->type() != type || obj == nullptr || !obj->is_object() ||
      obj->contains(key)) {
    return;
  }
  (*obj)[std::string(key)] = *v;
}

std::string NameOf(const Json& item) {
  const Json* name = Find(item, "name");
  return name != nullptr && name->is_string() ? name->get<std::string>() : "";
}

// Calls fn(element, element's name) for each object in the list obj[key].
template <typename Fn>
Status ForEachNamed(Json* obj, std::string_view key, Fn fn) {
  Json* list = Field(obj, key);
  if (list == nullptr || !list->is_array()) return Status::Ok();
  for (Json& item : *list) {
    if (item.is_object()) SKIFF_RETURN_IF_ERROR(fn(item, NameOf(item)));
  }
  return Status::Ok();
}

// ---- metadata annotation ----

// Removes the conversion-data annotation and returns what it saved for `version`.
Json TakeCarried(Json& obj, std::string_view version) {
  Json* meta = Object(&obj, "metadata");
  Json* annotations = Object(meta, "annotations");
  Json* raw = Field(annotations, kDataAnnotation);
  if (raw == nullptr) return Json::object();
  Json carried = Json::object();
  if (raw->is_string()) {
    auto data = ParseJson(raw->get_ref<const std::string&>());
    if (data.ok() && data->is_object()) {
      if (Json* v = Object(&*data, version)) carried = std::move(*v);
    }
  }
  annotations->erase(kDataAnnotation);
  if (annotations->empty() && !carried.contains(kEmptyAnnotations)) meta->erase("annotations");
  carried.erase(kEmptyAnnotations);
  return carried;
}

Status PutCarried(Json& obj, std::string_view version, Json data) {
  if (data.empty()) return Status::Ok();
  Json& meta = obj["metadata"];
  if (meta.is_null()) meta = Json::object();
  if (!meta.is_object()) return Invalid("metadata", "must be an object");
  const Json* existing = Find(meta, "annotations");
  if (existing != nullptr && existing->is_object() && existing->empty()) {
    data[kEmptyAnnotations] = Json::object();
  }
  Json& annotations = meta["annotations"];
  if (annotations.is_null()) annotations = Json::object();
  if (!annotations.is_object()) {
    return Invalid("metadata.annotations", "must be a map of strings");
  }
  Json wrapped = Json::object();
  wrapped[std::string(version)] = std::move(data);
  annotations[kDataAnnotation] = DumpJson(wrapped);
  return Status::Ok();
}

// ---- shared status pieces ----

// v1beta2 keeps admissionFairSharingStatus for LocalQueues only.
constexpr char kAfsPath[] = "status.fairSharing.admissionFairSharingStatus";

Status SaveAdmissionFairSharing(Json& obj, Carry& c) {
  Save(Object(Object(&obj, "status"), "fairSharing"), "admissionFairSharingStatus", c, kAfsPath);
  return Status::Ok();
}
Status RestoreAdmissionFairSharing(Json& obj, Carry& c) {
  Restore(Object(Object(&obj, "status"), "fairSharing"), "admissionFairSharingStatus", c, kAfsPath,
          Type::object);
  return Status::Ok();
}

// ---- AdmissionCheck ----

// v1beta1 spec.retryDelayMinutes (deprecated, default 15) is gone in v1beta2.
constexpr char kRetryDelayPath[] = "spec.retryDelayMinutes";
constexpr int kRetryDelayDefault = 15;

Status AdmissionCheckToV2(Json& obj, Carry& c) {
  Json* spec = Object(&obj, "spec");
  if (spec == nullptr) return Status::Ok();
  Json* delay = Field(spec, "retryDelayMinutes");
  if (delay == nullptr) {
    c.out[kRetryDelayPath] = nullptr;  // absent, where v1beta1 shows its default
  } else if (*delay != kRetryDelayDefault) {
    c.out[kRetryDelayPath] = *delay;
  }
  spec->erase("retryDelayMinutes");
  return Status::Ok();
}

Status AdmissionCheckToV1(Json& obj, Carry& c) {
  Json* spec = Object(&obj, "spec");
  if (spec == nullptr) return Status::Ok();
  const Json* saved = c.In(kRetryDelayPath);
  if (saved == nullptr) {
    (*spec)["retryDelayMinutes"] = kRetryDelayDefault;
  } else if (saved->is_number_integer()) {
    (*spec)["retryDelayMinutes"] = *saved;
  }
  return Status::Ok();
}

// ---- ClusterQueue ----

constexpr char kChecksPath[] = "spec.admissionChecks";
constexpr char kMayStopSearch[] = "MayStopSearch";

// v1beta1's deprecated flavorFungibility values; upstream maps both to MayStopSearch.
struct LegacyPolicy {
  const char* field;
  const char* value;
};
constexpr LegacyPolicy kLegacyPolicies[] = {{"whenCanBorrow", "Borrow"},
                                            {"whenCanPreempt", "Preempt"}};

std::string FungibilityPath(const LegacyPolicy& p) {
  return std::string("spec.flavorFungibility.") + p.field;
}

// A strategy whose rules are all a bare {name}: what a v1beta1 spec.admissionChecks list becomes.
// Upstream collapses every rule without onFlavors back into the list; requiring the bare shape
// keeps an explicit "onFlavors: []" intact through a round trip.
bool IsPlainChecksStrategy(const Json& strategy) {
  const Json* rules = Find(strategy, "admissionChecks");
  if (strategy.size() != 1 || rules == nullptr || !rules->is_array() || rules->empty()) {
    return false;
  }
  return std::all_of(rules->begin(), rules->end(), [](const Json& rule) {
    const Json* name = Find(rule, "name");
    return rule.size() == 1 && name != nullptr && name->is_string();
  });
}

Status ClusterQueueToV2(Json& obj, Carry& c) {
  if (Json* spec = Object(&obj, "spec")) {
    Rename(spec, "cohort", "cohortName");
    Json* list = Field(spec, "admissionChecks");
    Json* strategy = Field(spec, "admissionChecksStrategy");
    if (list != nullptr && !list->is_null()) {
      // Upstream's webhook rejects both; one strategy cannot hold the two without losing one.
      if (strategy != nullptr && !strategy->is_null()) {
        return Invalid(
            "spec.admissionChecks",
            "either admissionChecks or admissionChecksStrategy can be set, but not both");
      }
      if (!list->is_array()) {
        return Invalid("spec.admissionChecks", "must be a list of names");
      }
      Json rules = Json::array();
      for (const Json& name : *list) {
        if (!name.is_string()) {
          return Invalid("spec.admissionChecks", "must be a list of names");
        }
        Json rule = Json::object();
        rule["name"] = name;
        rules.push_back(std::move(rule));
      }
      if (rules.empty()) {
        c.out[kChecksPath] = Json::array();
      } else {
        Json converted = Json::object();
        converted["admissionChecks"] = std::move(rules);
        (*spec)["admissionChecksStrategy"] = std::move(converted);
      }
    } else if (strategy != nullptr && IsPlainChecksStrategy(*strategy)) {
      c.out[kChecksPath] = nullptr;  // written as a strategy: keep that form for v1beta1 readers
    }
    spec->erase("admissionChecks");
    if (Json* ff = Object(spec, "flavorFungibility")) {
      for (const LegacyPolicy& p : kLegacyPolicies) {
        Json* v = Field(ff, p.field);
        if (v != nullptr && *v == p.value) {
          c.out[FungibilityPath(p)] = p.value;
          *v = kMayStopSearch;
        }
      }
    }
    Restore(spec, "concurrentAdmissionPolicy", c, "spec.concurrentAdmissionPolicy", Type::object);
  }
  // Deprecated upstream (no longer written since v0.14); v1beta2 dropped it.
  Save(Object(&obj, "status"), "pendingWorkloadsStatus", c, "status.pendingWorkloadsStatus");
  return SaveAdmissionFairSharing(obj, c);
}

Status ClusterQueueToV1(Json& obj, Carry& c) {
  if (Json* spec = Object(&obj, "spec")) {
    Rename(spec, "cohortName", "cohort");
    Save(spec, "concurrentAdmissionPolicy", c, "spec.concurrentAdmissionPolicy");
    const Json* saved = c.In(kChecksPath);
    Json* strategy = Field(spec, "admissionChecksStrategy");
    if (strategy != nullptr && IsPlainChecksStrategy(*strategy) &&
        !(saved != nullptr && saved->is_null())) {
      Json names = Json::array();
      for (const Json& rule : *Find(*strategy, "admissionChecks")) {
        names.push_back(*Find(rule, "name"));
      }
      spec->erase("admissionChecksStrategy");
      (*spec)["admissionChecks"] = std::move(names);
    } else if (strategy == nullptr && saved != nullptr && saved->is_array() && saved->empty()) {
      (*spec)["admissionChecks"] = Json::array();
    }
    if (Json* ff = Object(spec, "flavorFungibility")) {
      for (const LegacyPolicy& p : kLegacyPolicies) {
        Json* v = Field(ff, p.field);
        const Json* old = c.In(FungibilityPath(p));
        // Only while the value is still the one the legacy value became.
        if (v != nullptr && *v == kMayStopSearch && old != nullptr && *old == p.value) {
          *v = p.value;
        }
      }
    }
  }
  Restore(Object(&obj, "status"), "pendingWorkloadsStatus", c, "status.pendingWorkloadsStatus",
          Type::object);
  return RestoreAdmissionFairSharing(obj, c);
}

// ---- LocalQueue ----

Status LocalQueueToV2(Json& obj, Carry& c) {
  Json* status = Object(&obj, "status");
  Rename(status, "flavorUsage", "flavorsUsage");
  // Deprecated in v1beta1 ("marked for removal in v1beta2"); upstream drops it.
  Save(status, "flavors", c, "status.flavors");
  return Status::Ok();
}

Status LocalQueueToV1(Json& obj, Carry& c) {
  Json* status = Object(&obj, "status");
  Rename(status, "flavorsUsage", "flavorUsage");
  Restore(status, "flavors", c, "status.flavors", Type::array);
  return Status::Ok();
}

// ---- Workload: priority class ----

constexpr char kSourcePath[] = "spec.priorityClassSource";
constexpr char kNamePath[] = "spec.priorityClassName";
constexpr char kRefPath[] = "spec.priorityClassRef";

struct PriorityClassKind {
  const char* source;  // v1beta1 spec.priorityClassSource
  const char* group;   // v1beta2 spec.priorityClassRef
  const char* kind;
};
constexpr PriorityClassKind kPriorityClassKinds[] = {
    {"kueue.x-k8s.io/workloadpriorityclass", "kueue.x-k8s.io", "WorkloadPriorityClass"},
    {"scheduling.k8s.io/priorityclass", "scheduling.k8s.io", "PriorityClass"},
};

// The kind of a reference v1beta1 can express exactly, else nullptr.
const PriorityClassKind* RepresentableRef(const Json& ref) {
  const Json* group = Find(ref, "group");
  const Json* kind = Find(ref, "kind");
  const Json* name = Find(ref, "name");
  if (ref.size() != 3 || group == nullptr || kind == nullptr || name == nullptr ||
      !name->is_string() || name->get_ref<const std::string&>().empty()) {
    return nullptr;
  }
  for (const PriorityClassKind& k : kPriorityClassKinds) {
    if (*group == k.group && *kind == k.kind) return &k;
  }
  return nullptr;
}

Status PriorityToRef(Json& spec, Carry& c) {
  Json* source = Field(&spec, "priorityClassSource");
  Json* name = Field(&spec, "priorityClassName");
  if (source != nullptr && source->is_null()) source = nullptr;
  if (name != nullptr && name->is_null()) name = nullptr;
  if (source != nullptr && !source->is_string()) {
    return Invalid("spec.priorityClassSource", "must be a string");
  }
  if (name != nullptr && !name->is_string()) {
    return Invalid("spec.priorityClassName", "must be a string");
  }
  std::string src = source != nullptr ? source->get<std::string>() : "";
  const PriorityClassKind* kind = nullptr;
  for (const PriorityClassKind& k : kPriorityClassKinds) {
    if (src == k.source) kind = &k;
  }
  if (kind == nullptr && !src.empty()) {
    return FieldError("spec.priorityClassSource",
                      "Unsupported value: \"" + src + "\": supported values: \"\", \"" +
                          kPriorityClassKinds[0].source + "\", \"" + kPriorityClassKinds[1].source +
                          "\"",
                      "FieldValueNotSupported");
  }
  if (kind != nullptr && name != nullptr && !name->get_ref<const std::string&>().empty()) {
    Json ref = Json::object();
    ref["group"] = kind->group;
    ref["kind"] = kind->kind;
    ref["name"] = *name;
    spec["priorityClassRef"] = std::move(ref);
  } else {
    // No class named: a reference needs both, so keep whatever half was written. An absent
    // source is recorded because v1beta1 shows its default "" otherwise.
    if (source == nullptr) {
      c.out[kSourcePath] = nullptr;
    } else if (!src.empty()) {
      c.out[kSourcePath] = src;
    }
    if (name != nullptr) c.out[kNamePath] = *name;
  }
  spec.erase("priorityClassSource");
  spec.erase("priorityClassName");
  return Status::Ok();
}

void RefToPriority(Json& spec, Carry& c) {
  Json* ref = Field(&spec, "priorityClassRef");
  const PriorityClassKind* kind = ref != nullptr ? RepresentableRef(*ref) : nullptr;
  if (kind != nullptr) {
    spec["priorityClassSource"] = kind->source;
    spec["priorityClassName"] = (*ref)["name"];
  } else {
    if (ref != nullptr && !ref->is_null()) c.out[kRefPath] = *ref;
    const Json* source = c.In(kSourcePath);
    if (source == nullptr) {
      spec["priorityClassSource"] = "";
    } else if (source->is_string()) {
      spec["priorityClassSource"] = *source;
    }
    const Json* name = c.In(kNamePath);
    if (name != nullptr && name->is_string()) spec["priorityClassName"] = *name;
  }
  spec.erase("priorityClassRef");
}

// ---- Workload: topology assignment (v1beta1 domains <-> v1beta2 slices) ----

bool ToCount(const Json& j, int64_t max, int64_t& out) {
  if (j.is_number_unsigned()) {
    uint64_t u = j.get<uint64_t>();
    if (u > static_cast<uint64_t>(max)) return false;
    out = static_cast<int64_t>(u);
    return true;
  }
  if (!j.is_number_integer()) return false;
  out = j.get<int64_t>();
  return out >= 0 && out <= max;
}

StatusOr<size_t> LevelCount(const Json& ta, const std::string& path) {
  const Json* levels = Find(ta, "levels");
  if (levels == nullptr || !levels->is_array()) {
    return Invalid(path + ".levels", "must be a list");
  }
  return levels->size();
}

bool IsContinuationByte(char ch) { return (static_cast<unsigned char>(ch) & 0xC0) == 0x80; }

// One level's values in v1beta2's compact form, exactly as upstream (tas.V1Beta2From): one
// universal value when all are equal, else common prefix/suffix (never overlapping) and roots.
// Cuts stay on UTF-8 character boundaries (upstream cuts bytes; label values are ASCII anyway).
Json CompactValues(const std::vector<std::string_view>& values) {
  std::string_view first = values.front();
  size_t prefix = first.size(), suffix = first.size(), min_len = first.size(), max_len = 0;
  for (std::string_view v : values) {
    min_len = std::min(min_len, v.size());
    max_len = std::max(max_len, v.size());
    size_t k = 0;
    while (k < std::min(prefix, v.size()) && v[k] == first[k]) ++k;
    prefix = k;
    k = 0;
    while (k < std::min(suffix, v.size()) && v[v.size() - 1 - k] == first[first.size() - 1 - k]) {
      ++k;
    }
    suffix = k;
  }
  Json out = Json::object();
  if (prefix == max_len) {
    out["universal"] = std::string(first);
    return out;
  }
  if (prefix + suffix > min_len) prefix = min_len - suffix;
  while (prefix > 0 && prefix < first.size() && IsContinuationByte(first[prefix])) --prefix;
  while (suffix > 0 && IsContinuationByte(first[first.size() - suffix])) --suffix;
  Json individual = Json::object();
  if (prefix > 0) individual["prefix"] = std::string(first.substr(0, prefix));
  if (suffix > 0) individual["suffix"] = std::string(first.substr(first.size() - suffix));
  Json roots = Json::array();
  for (std::string_view v : values) {
    roots.push_back(std::string(v.substr(prefix, v.size() - prefix - suffix)));
  }
  individual["roots"] = std::move(roots);
  out["individual"] = std::move(individual);
  return out;
}

// v1beta1 domains -> v1beta2 slices: one compact slice, as upstream encodes it.
StatusOr<Json> EncodeSlices(const Json& domains, size_t levels, const std::string& path) {
  if (!domains.is_array()) return Invalid(path + ".domains", "must be a list");
  Json slices = Json::array();
  if (domains.empty()) return slices;
  std::vector<std::vector<std::string_view>> per_level(levels);
  Json counts = Json::array();
  for (size_t j = 0; j < domains.size(); ++j) {
    std::string at = path + ".domains[" + std::to_string(j) + "]";
    const Json* values = Find(domains[j], "values");
    if (values == nullptr || !values->is_array() || values->size() != levels) {
      return Invalid(at + ".values",
                     "must hold one value per topology level (" + std::to_string(levels) + ")");
    }
    for (size_t i = 0; i < levels; ++i) {
      if (!(*values)[i].is_string()) return Invalid(at + ".values", "must be strings");
      per_level[i].push_back((*values)[i].get_ref<const std::string&>());
    }
    const Json* count = Find(domains[j], "count");
    int64_t n = 0;
    if (count == nullptr || !ToCount(*count, INT32_MAX, n)) {
      return Invalid(at + ".count", "must be a non-negative integer");
    }
    counts.push_back(*count);
  }
  Json slice = Json::object();
  slice["domainCount"] = domains.size();
  Json values_per_level = Json::array();
  for (const auto& values : per_level) values_per_level.push_back(CompactValues(values));
  slice["valuesPerLevel"] = std::move(values_per_level);
  bool same =
      std::all_of(counts.begin(), counts.end(), [&](const Json& n) { return n == counts[0]; });
  Json pod_counts = Json::object();
  if (same) {
    pod_counts["universal"] = counts[0];
  } else {
    pod_counts["individual"] = std::move(counts);
  }
  slice["podCounts"] = std::move(pod_counts);
  slices.push_back(std::move(slice));
  return slices;
}

// The value of one level for the domains of a slice: universal, or prefix + root + suffix.
StatusOr<std::vector<std::string>> LevelValues(const Json& entry, int64_t count,
                                               const std::string& at) {
  if (const Json* universal = Find(entry, "universal"); universal != nullptr) {
    if (!universal->is_string()) return Invalid(at + ".universal", "must be a string");
    return std::vector<std::string>(static_cast<size_t>(count), universal->get<std::string>());
  }
  const Json* individual = Find(entry, "individual");
  const Json* roots = individual != nullptr ? Find(*individual, "roots") : nullptr;
  if (roots == nullptr || !roots->is_array() || static_cast<int64_t>(roots->size()) != count) {
    return Invalid(at, "must set universal, or individual.roots with domainCount items");
  }
  std::string affix[2];
  const char* keys[2] = {"prefix", "suffix"};
  for (int i = 0; i < 2; ++i) {
    const Json* v = Find(*individual, keys[i]);
    if (v == nullptr) continue;
    if (!v->is_string()) return Invalid(at + ".individual." + keys[i], "must be a string");
    affix[i] = v->get<std::string>();
  }
  std::vector<std::string> out;
  for (const Json& root : *roots) {
    if (!root.is_string()) return Invalid(at + ".individual.roots", "must be strings");
    out.push_back(affix[0] + root.get<std::string>() + affix[1]);
  }
  return out;
}

// v1beta2 slices -> v1beta1 domains (upstream: tas.InternalSeqFrom).
StatusOr<Json> DecodeSlices(const Json& slices, size_t levels, const std::string& path) {
  if (!slices.is_array()) return Invalid(path + ".slices", "must be a list");
  Json domains = Json::array();
  int64_t total = 0;
  for (size_t k = 0; k < slices.size(); ++k) {
    std::string at = path + ".slices[" + std::to_string(k) + "]";
    const Json& slice = slices[k];
    const Json* dc = Find(slice, "domainCount");
    int64_t count = 0;
    if (dc == nullptr || !ToCount(*dc, kMaxTopologyDomains, count)) {
      return Invalid(at + ".domainCount", "must be a non-negative integer");
    }
    total += count;
    if (total > kMaxTopologyDomains ||
        total * static_cast<int64_t>(std::max<size_t>(levels, 1)) > kMaxTopologyValues) {
      return Invalid(path + ".slices", "too many topology domains");
    }
    const Json* vpl = Find(slice, "valuesPerLevel");
    if (vpl == nullptr || !vpl->is_array() || vpl->size() != levels) {
      return Invalid(at + ".valuesPerLevel", "must have one entry per topology level");
    }
    std::vector<std::vector<std::string>> values;
    for (size_t i = 0; i < levels; ++i) {
      auto level = LevelValues((*vpl)[i], count, at + ".valuesPerLevel[" + std::to_string(i) + "]");
      if (!level.ok()) return level.status();
      values.push_back(std::move(*level));
    }
    const Json* pc = Find(slice, "podCounts");
    const Json* universal = pc != nullptr ? Find(*pc, "universal") : nullptr;
    const Json* individual = pc != nullptr ? Find(*pc, "individual") : nullptr;
    if (universal == nullptr && (individual == nullptr || !individual->is_array() ||
                                 static_cast<int64_t>(individual->size()) != count)) {
      return Invalid(at + ".podCounts", "must set universal, or individual with domainCount items");
    }
    for (int64_t d = 0; d < count; ++d) {
      const Json& pods = universal != nullptr ? *universal : (*individual)[static_cast<size_t>(d)];
      int64_t ignored = 0;
      if (!ToCount(pods, INT32_MAX, ignored)) {
        return Invalid(at + ".podCounts", "must be non-negative integers");
      }
      Json domain = Json::object();
      domain["count"] = pods;
      Json row = Json::array();
      for (size_t i = 0; i < levels; ++i) {
        row.push_back(std::move(values[i][static_cast<size_t>(d)]));
      }
      domain["values"] = std::move(row);
      domains.push_back(std::move(domain));
    }
  }
  return domains;
}

std::string SlicesPath(const std::string& podset) {
  return "status.admission.podSetAssignments[" + podset + "].topologyAssignment.slices";
}
std::string AssignmentPath(const std::string& podset) {
  return "status.admission.podSetAssignments[" + podset + "].topologyAssignment";
}

Status DomainsToSlices(Json& ta, const std::string& podset, Carry& c) {
  Json* domains = Field(&ta, "domains");
  if (domains == nullptr) return Status::Ok();
  std::string path = AssignmentPath(podset);
  SKIFF_ASSIGN_OR_RETURN(size_t levels, LevelCount(ta, path));
  SKIFF_ASSIGN_OR_RETURN(Json slices, EncodeSlices(*domains, levels, path));
  // A v1beta2 encoding that v1beta1 flattened comes back as it was, unless the domains changed.
  if (const Json* saved = c.In(SlicesPath(podset)); saved != nullptr) {
    auto decoded = DecodeSlices(*saved, levels, path);
    if (decoded.ok() && *decoded == *domains) slices = *saved;
  }
  ta.erase("domains");
  ta["slices"] = std::move(slices);
  return Status::Ok();
}

Status SlicesToDomains(Json& ta, const std::string& podset, Carry& c) {
  Json* slices = Field(&ta, "slices");
  if (slices == nullptr) return Status::Ok();
  std::string path = AssignmentPath(podset);
  SKIFF_ASSIGN_OR_RETURN(size_t levels, LevelCount(ta, path));
  SKIFF_ASSIGN_OR_RETURN(Json domains, DecodeSlices(*slices, levels, path));
  auto canonical = EncodeSlices(domains, levels, path);
  if (!canonical.ok() || *canonical != *slices) c.out[SlicesPath(podset)] = *slices;
  ta.erase("slices");
  ta["domains"] = std::move(domains);
  return Status::Ok();
}

template <typename Fn>
Status ForEachTopologyAssignment(Json* status, Fn fn) {
  return ForEachNamed(Object(status, "admission"), "podSetAssignments",
                      [&](Json& psa, const std::string& name) {
                        Json* ta = Object(&psa, "topologyAssignment");
                        return ta != nullptr ? fn(*ta, name) : Status::Ok();
                      });
}

// ---- Workload ----

std::string SliceConstraintsPath(const std::string& podset) {
  return "spec.podSets[" + podset + "].topologyRequest.podsetSliceRequiredTopologyConstraints";
}

Status WorkloadToV2(Json& obj, Carry& c) {
  if (Json* spec = Object(&obj, "spec")) {
    SKIFF_RETURN_IF_ERROR(PriorityToRef(*spec, c));
    Restore(spec, "priorityClassRef", c, kRefPath, Type::object);
    Restore(spec, "preemptionGates", c, "spec.preemptionGates", Type::array);
    SKIFF_RETURN_IF_ERROR(ForEachNamed(spec, "podSets", [&](Json& ps, const std::string& name) {
      Restore(Object(&ps, "topologyRequest"), "podsetSliceRequiredTopologyConstraints", c,
              SliceConstraintsPath(name), Type::array);
      return Status::Ok();
    }));
  }
  if (Json* status = Object(&obj, "status")) {
    Rename(status, "accumulatedPastExexcutionTimeSeconds", "accumulatedPastExecutionTimeSeconds");
    Restore(status, "preemptionGates", c, "status.preemptionGates", Type::array);
    SKIFF_RETURN_IF_ERROR(ForEachTopologyAssignment(
        status, [&](Json& ta, const std::string& name) { return DomainsToSlices(ta, name, c); }));
  }
  return Status::Ok();
}

Status WorkloadToV1(Json& obj, Carry& c) {
  if (Json* spec = Object(&obj, "spec")) {
    RefToPriority(*spec, c);
    Save(spec, "preemptionGates", c, "spec.preemptionGates");
    SKIFF_RETURN_IF_ERROR(ForEachNamed(spec, "podSets", [&](Json& ps, const std::string& name) {
      Save(Object(&ps, "topologyRequest"), "podsetSliceRequiredTopologyConstraints", c,
           SliceConstraintsPath(name));
      return Status::Ok();
    }));
  }
  if (Json* status = Object(&obj, "status")) {
    Rename(status, "accumulatedPastExecutionTimeSeconds", "accumulatedPastExexcutionTimeSeconds");
    Save(status, "preemptionGates", c, "status.preemptionGates");
    SKIFF_RETURN_IF_ERROR(ForEachTopologyAssignment(
        status, [&](Json& ta, const std::string& name) { return SlicesToDomains(ta, name, c); }));
  }
  return Status::Ok();
}

// ---- dispatch ----

using Converter = Status (*)(Json&, Carry&);
struct KindConverter {
  std::string_view kind;
  Converter to_v1beta2;
  Converter to_v1beta1;
};
// ResourceFlavor and WorkloadPriorityClass have identical schemas in both versions.
constexpr KindConverter kConverters[] = {
    {"AdmissionCheck", AdmissionCheckToV2, AdmissionCheckToV1},
    {"ClusterQueue", ClusterQueueToV2, ClusterQueueToV1},
    {"Cohort", SaveAdmissionFairSharing, RestoreAdmissionFairSharing},
    {"LocalQueue", LocalQueueToV2, LocalQueueToV1},
    {"Workload", WorkloadToV2, WorkloadToV1},
};

const KindConverter* ConverterFor(std::string_view kind) {
  for (const KindConverter& k : kConverters) {
    if (k.kind == kind) return &k;
  }
  return nullptr;
}

// "ClusterQueue.kueue.x-k8s.io "a" is invalid: spec.x: ...", like the apiserver's own errors.
Status NameObject(const Status& s, std::string_view kind, const Json& obj) {
  const StatusDetails* d = s.details();
  if (d == nullptr) return s;
  StatusDetails named = *d;
  named.group = "kueue.x-k8s.io";
  named.kind = std::string(kind);
  const Json* meta = Find(obj, "metadata");
  const Json* name = meta != nullptr ? Find(*meta, "name") : nullptr;
  named.name = name != nullptr && name->is_string() ? name->get<std::string>() : "";
  std::string message =
      named.kind + "." + named.group + " \"" + named.name + "\" is invalid: " + s.message();
  return Status(s.code(), std::move(message), std::move(named));
}

}  // namespace

bool KueueKindHasConversion(std::string_view kind) { return ConverterFor(kind) != nullptr; }

Status ConvertKueue(std::string_view kind, std::string_view from, std::string_view to, Json& obj) {
  if (from == to) return Status::Ok();
  auto known = [](std::string_view v) { return v == kV1beta1 || v == kV1beta2; };
  if (!known(from) || !known(to)) {
    return InvalidArgument("no conversion for kueue.x-k8s.io " + std::string(kind) + " from " +
                           std::string(from) + " to " + std::string(to));
  }
  const KindConverter* converter = ConverterFor(kind);
  if (converter == nullptr) return Status::Ok();
  if (!obj.is_object()) return InvalidArgument(std::string(kind) + ": must be a JSON object");
  try {
    // Converted on a copy so that an error leaves `obj` as it was.
    Json work = obj;
    Carry carry;
    carry.in = TakeCarried(work, to);
    Converter convert = to == kV1beta2 ? converter->to_v1beta2 : converter->to_v1beta1;
    Status s = convert(work, carry);
    if (s.ok()) s = PutCarried(work, from, std::move(carry.out));
    if (!s.ok()) return NameObject(s, kind, obj);
    obj = std::move(work);
    return Status::Ok();
  } catch (const std::exception& e) {
    return Internal("converting kueue.x-k8s.io " + std::string(kind) + ": " + e.what());
  }
}

}  // namespace skiff::api
