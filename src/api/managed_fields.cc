// Field sets, FieldsV1 encoding, the apply merge/compare/prune steps and managedFields entry
// bookkeeping, ported from structured-merge-diff (fieldpath, typed, merge.Updater) and
// k8s.io/apiserver's managedfields (stripmeta, managedfieldsupdater, conflict wording).
#include "api/managed_fields.h"

#include <algorithm>
#include <functional>
#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <set>
#include <string>
#include <tuple>
#include <vector>

#include "api/strategic_merge.h"

namespace skiff::api {
namespace {

// ---- Field sets: trees keyed by serialized path elements, exactly as FieldsV1 nests them:
// "f:<field>", "k:<json of the key fields>", "v:<json value>", "i:<index>". `member` is the
// "." marker: the node's own path is in the set, not only paths below it.
struct FieldSet {
  bool member = false;
  std::map<std::string, FieldSet> children;
  bool Empty() const { return !member && children.empty(); }
};
using Path = std::vector<std::string>;

void Insert(FieldSet& s, const Path& p) {
  FieldSet* n = &s;
  for (const std::string& e : p) {
    n = &n->children[e];
  }
  n->member = true;
}

const FieldSet* Find(const FieldSet& s, const Path& p) {
  const FieldSet* n = &s;
  for (const std::string& e : p) {
    auto it = n->children.find(e);
    if (it == n->children.end()) {
      return nullptr;
    }
    n = &it->second;
  }
  return n;
}

void UnionInto(FieldSet& a, const FieldSet& b) {
  a.member = a.member || b.member;
  for (const auto& [k, c] : b.children) {
    UnionInto(a.children[k], c);
  }
}

FieldSet Intersect(const FieldSet& a, const FieldSet& b) {
  FieldSet out;
  out.member = a.member && b.member;
  for (const auto& [k, c] : a.children) {
    if (auto it = b.children.find(k); it != b.children.end()) {
      FieldSet sub = Intersect(c, it->second);
      if (!sub.Empty()) {
        out.children.emplace(k, std::move(sub));
      }
    }
  }
  return out;
}

// Removes b's members from a, pruning nodes left empty.
void Subtract(FieldSet& a, const FieldSet& b) {
  if (b.member) {
    a.member = false;
  }
  for (auto it = a.children.begin(); it != a.children.end();) {
    if (auto o = b.children.find(it->first); o != b.children.end()) {
      Subtract(it->second, o->second);
    }
    it = it->second.Empty() ? a.children.erase(it) : std::next(it);
  }
}

void ForEachMember(const FieldSet& s, Path& prefix, const std::function<void(const Path&)>& fn) {
  if (s.member && !prefix.empty()) {
    fn(prefix);
  }
  for (const auto& [k, c] : s.children) {
    prefix.push_back(k);
    ForEachMember(c, prefix, fn);
    prefix.pop_back();
  }
}

Json ToFieldsV1(const FieldSet& s) {
  Json out = Json::object();
  if (s.member && !s.children.empty()) {
    out["."] = Json::object();
  }
  for (const auto& [k, c] : s.children) {
    out[k] = ToFieldsV1(c);
  }
  return out;
}

bool FromFieldsV1(const Json& j, FieldSet& s) {
  if (!j.is_object()) {
    return false;
  }
  if (j.empty()) {
    s.member = true;
  }
  for (auto it = j.begin(); it != j.end(); ++it) {
    const std::string& k = it.key();
    if (k == ".") {
      s.member = true;
    } else if (k.size() < 2 || k[1] != ':' ||
               std::string_view("fkvi").find(k[0]) == std::string_view::npos) {
      return false;
    } else if (!FromFieldsV1(*it, s.children[k])) {
      return false;
    }
  }
  return true;
}

// fieldpath.Path.String(): .spec.containers[name="c"].ports[containerPort=80,protocol="TCP"]
std::string DisplayPath(const Path& p) {
  std::string out;
  for (const std::string& e : p) {
    std::string body = e.substr(2);
    if (e[0] == 'f') {
      out += "." + body;
    } else if (e[0] == 'k') {
      Json key = Json::parse(body, nullptr, /*allow_exceptions=*/false);
      std::string parts;
      for (auto it = key.begin(); key.is_object() && it != key.end(); ++it) {
        parts += (parts.empty() ? "" : ",") + it.key() + "=" + DumpJson(*it);
      }
      out += "[" + parts + "]";
    } else {
      out += (e[0] == 'v' ? "[=" : "[") + body + "]";
    }
  }
  return out;
}

// ---- Schema-driven structure ----

const Json* ChildSchema(const Json* schema, bool root, const std::string& key) {
  return root ? SchemaRootField(schema, key) : SchemaField(schema, key);
}

bool Declared(const Json* schema, bool root, const std::string& key) {
  return SchemaDeclaresField(schema, key) ||
         (root && (key == "metadata" || key == "apiVersion" || key == "kind"));
}

// Path elements of an associative list's items; nullopt when the list is owned atomically:
// atomic or unknown type, items lacking key fields (absent key fields with a schema default
// take the default, as upstream), non-scalar set items, or duplicates.
std::optional<std::vector<std::string>> ItemElements(const Json& list, const Json* schema) {
  ListInfo info = SchemaListInfo(schema);
  if (info.type == ListType::kAtomic || !list.is_array()) {
    return std::nullopt;
  }
  const Json* item_schema = SchemaItems(schema);
  std::vector<std::string> out;
  std::set<std::string> seen;
  for (const Json& item : list) {
    std::string pe;
    if (info.type == ListType::kSet) {
      if (item.is_structured()) {
        return std::nullopt;
      }
      pe = "v:" + DumpJson(item);
    } else {
      if (!item.is_object()) {
        return std::nullopt;
      }
      Json key = Json::object();
      for (const std::string& k : info.keys) {
        const Json* ks = SchemaField(item_schema, k);
        if (auto it = item.find(k); it != item.end() && !it->is_null()) {
          key[k] = *it;
        } else if (ks != nullptr && ks->is_object() && ks->contains("default")) {
          key[k] = (*ks)["default"];
        } else {
          return std::nullopt;
        }
      }
      pe = "k:" + DumpJson(key);
    }
    if (!seen.insert(pe).second) {
      return std::nullopt;
    }
    out.push_back(std::move(pe));
  }
  return out;
}

// typed.ToFieldSet: leaves, list items and map entries that are not struct fields are members;
// struct fields are members only when null or an empty object.
void ToSet(const Json& v, const Json* schema, bool root, FieldSet& node) {
  if (v.is_object()) {
    if (SchemaMapIsAtomic(schema)) {
      node.member = true;
      return;
    }
    for (auto it = v.begin(); it != v.end(); ++it) {
      FieldSet& child = node.children["f:" + it.key()];
      ToSet(*it, ChildSchema(schema, root, it.key()), false, child);
      if (it->is_null() || (it->is_object() && it->empty()) || !Declared(schema, root, it.key())) {
        child.member = true;
      }
      if (child.Empty()) {  // e.g. an empty associative list: nothing to own
        node.children.erase("f:" + it.key());
      }
    }
  } else if (v.is_array()) {
    auto pes = ItemElements(v, schema);
    if (!pes) {
      node.member = true;
      return;
    }
    for (size_t i = 0; i < v.size(); ++i) {
      FieldSet& child = node.children[(*pes)[i]];
      ToSet(v[i], SchemaItems(schema), false, child);
      child.member = true;
    }
  } else {
    node.member = true;
  }
}

Json Merge(const Json* lhs, const Json& rhs, const Json* schema, bool root);

// typed mergingWalker.visitListItems: shared items take the RHS order, LHS-only items keep
// their place, RHS-only items come where the RHS has them.
Json MergeList(const Json& lhs, const Json& rhs, const std::vector<std::string>& lpe,
               const std::vector<std::string>& rpe, const Json* item_schema) {
  std::map<std::string, size_t> in_lhs;
  std::map<std::string, size_t> in_rhs;
  for (size_t i = 0; i < lpe.size(); ++i) {
    in_lhs[lpe[i]] = i;
  }
  for (size_t i = 0; i < rpe.size(); ++i) {
    in_rhs[rpe[i]] = i;
  }
  std::vector<const std::string*> shared;
  for (const std::string& pe : rpe) {
    if (in_lhs.count(pe)) {
      shared.push_back(&pe);
    }
  }
  size_t next_shared = 0;
  auto next = [&]() -> const std::string* {
    return next_shared < shared.size() ? shared[next_shared] : nullptr;
  };
  std::set<std::string> merged_rhs;
  Json out = Json::array();
  size_t l = 0;
  size_t r = 0;
  while (l < lpe.size() || r < rpe.size()) {
    if (l < lpe.size() && r < rpe.size()) {
      if (lpe[l] == rpe[r]) {
        merged_rhs.insert(lpe[l]);
        out.push_back(Merge(&lhs[l], rhs[r], item_schema, false));
        ++l, ++r;
        ++next_shared;
        continue;
      }
      if (in_rhs.count(lpe[l]) && next() != nullptr && *next() != lpe[l]) {
        ++l;  // shared item, but not the one due now
        continue;
      }
    }
    if (l < lpe.size()) {
      if (!in_rhs.count(lpe[l])) {
        out.push_back(lhs[l++]);
        continue;
      }
      if (merged_rhs.count(lpe[l])) {
        ++l;
        continue;
      }
    }
    if (r < rpe.size()) {
      const std::string& pe = rpe[r];
      merged_rhs.insert(pe);
      auto li = in_lhs.find(pe);
      out.push_back(
          Merge(li == in_lhs.end() ? nullptr : &lhs[li->second], rhs[r], item_schema, false));
      ++r;
      if (next() != nullptr && *next() == pe) {
        ++next_shared;
      }
    }
  }
  return out;
}

// live merged with the applied config. A null in the config removes the field.
Json Merge(const Json* lhs, const Json& rhs, const Json* schema, bool root) {
  if (rhs.is_object() && !SchemaMapIsAtomic(schema)) {
    Json out = lhs != nullptr && lhs->is_object() ? *lhs : Json::object();
    for (auto it = rhs.begin(); it != rhs.end(); ++it) {
      if (it->is_null()) {
        out.erase(it.key());
        continue;
      }
      auto old = out.find(it.key());
      Json merged = Merge(old == out.end() ? nullptr : &*old, *it,
                          ChildSchema(schema, root, it.key()), false);
      out[it.key()] = std::move(merged);
    }
    return out;
  }
  if (rhs.is_array() && lhs != nullptr && lhs->is_array()) {
    auto lpe = ItemElements(*lhs, schema);
    auto rpe = ItemElements(rhs, schema);
    if (lpe && rpe) {
      return MergeList(*lhs, rhs, *lpe, *rpe, SchemaItems(schema));
    }
  }
  return rhs;
}

const Json* Member(const Json* obj, const std::string& key) {
  if (obj == nullptr || !obj->is_object()) {
    return nullptr;
  }
  auto it = obj->find(key);
  return it == obj->end() ? nullptr : &*it;
}

struct Comparison {
  FieldSet added;
  FieldSet modified;
  FieldSet removed;
};

// typed compareWalker. `l`/`r` null means absent. With `skip_self` the node's own path is not
// recorded (used for the two halves of a type change).
void Compare(const Json* l, const Json* r, const Json* schema, bool root, Path& path, Comparison& c,
             bool skip_self = false) {
  const bool atomic_map = SchemaMapIsAtomic(schema);
  std::optional<std::vector<std::string>> lpe;
  std::optional<std::vector<std::string>> rpe;
  if (l != nullptr && l->is_array()) {
    lpe = ItemElements(*l, schema);
  }
  if (r != nullptr && r->is_array()) {
    rpe = ItemElements(*r, schema);
  }
  const bool record = !skip_self && !path.empty();
  if ((l == nullptr || (l->is_object() && !atomic_map)) &&
      (r == nullptr || (r->is_object() && !atomic_map))) {
    std::set<std::string> keys;
    for (const Json* side : {l, r}) {
      if (side != nullptr) {
        for (auto it = side->begin(); it != side->end(); ++it) {
          keys.insert(it.key());
        }
      }
    }
    for (const std::string& k : keys) {
      path.push_back("f:" + k);
      Compare(Member(l, k), Member(r, k), ChildSchema(schema, root, k), false, path, c);
      path.pop_back();
    }
  } else if ((l == nullptr || lpe) && (r == nullptr || rpe)) {
    std::map<std::string, std::pair<const Json*, const Json*>> items;
    for (size_t i = 0; lpe && i < lpe->size(); ++i) {
      items[(*lpe)[i]].first = &(*l)[i];
    }
    for (size_t i = 0; rpe && i < rpe->size(); ++i) {
      items[(*rpe)[i]].second = &(*r)[i];
    }
    for (const auto& [pe, sides] : items) {
      path.push_back(pe);
      Compare(sides.first, sides.second, SchemaItems(schema), false, path, c);
      path.pop_back();
    }
  } else if (l != nullptr && r != nullptr && l->type() != r->type() &&
             (l->is_structured() || r->is_structured())) {
    // A type change: modified here, the old side's contents removed, the new side's added.
    Compare(l, nullptr, schema, root, path, c, true);
    Compare(nullptr, r, schema, root, path, c, true);
  }
  if (!record) {
    return;
  }
  if (l == nullptr) {
    Insert(c.added, path);
  } else if (r == nullptr) {
    Insert(c.removed, path);
  } else if (*l != *r && (l->type() != r->type() || !l->is_structured() || atomic_map ||
                          (l->is_array() && !(lpe && rpe)))) {
    Insert(c.modified, path);  // a leaf (scalar, atomic, unkeyable list) or a type change
  }
}

// Removes the value at `p` (if present) from `doc`.
void RemoveAt(Json& doc, const Path& p, const Json* schema) {
  Json* cur = &doc;
  for (size_t i = 0; i < p.size(); ++i) {
    Json::iterator it = cur->end();
    if (p[i][0] == 'f' && cur->is_object()) {
      it = cur->find(p[i].substr(2));
      schema = ChildSchema(schema, i == 0, p[i].substr(2));
    } else if (auto pes = cur->is_array() ? ItemElements(*cur, schema) : std::nullopt) {
      it = cur->begin() + (std::find(pes->begin(), pes->end(), p[i]) - pes->begin());
      schema = SchemaItems(schema);
    }
    if (it == cur->end()) {
      return;
    }
    if (i + 1 == p.size()) {
      cur->erase(it);
      return;
    }
    cur = &*it;
  }
}

// stripmeta: fields the server owns are never part of anyone's set.
void StripIgnored(FieldSet& s) {
  s.member = false;
  s.children.erase("f:apiVersion");
  s.children.erase("f:kind");
  auto m = s.children.find("f:metadata");
  if (m == s.children.end()) {
    return;
  }
  m->second.member = false;
  for (const char* f : {"name", "namespace", "creationTimestamp", "selfLink", "uid", "clusterName",
                        "generation", "managedFields", "resourceVersion"}) {
    m->second.children.erase(std::string("f:") + f);
  }
  if (m->second.Empty()) {
    s.children.erase(m);
  }
}

// ---- managedFields entries ----

struct Entry {
  std::string manager;
  std::string operation;  // "Apply" | "Update"
  std::string api_version;
  std::string time;
  std::string subresource;
  FieldSet set;
};

const Json* ManagedFieldsOf(const Json& obj) {
  const Json* mf = Member(Member(&obj, "metadata"), "managedFields");
  return mf != nullptr && !mf->is_null() ? mf : nullptr;
}

Entry* FindEntry(std::vector<Entry>& es, std::string_view manager, std::string_view op,
                 std::string_view sub) {
  for (Entry& e : es) {
    if (e.manager == manager && e.operation == op && e.subresource == sub) {
      return &e;
    }
  }
  return nullptr;
}

// nullopt when malformed (upstream DecodeManagedFields fails).
std::optional<std::vector<Entry>> DecodeEntries(const Json& obj) {
  std::vector<Entry> out;
  const Json* mf = ManagedFieldsOf(obj);
  if (mf == nullptr) {
    return out;
  }
  if (!mf->is_array()) {
    return std::nullopt;
  }
  for (const Json& j : *mf) {
    if (!j.is_object()) {
      return std::nullopt;
    }
    auto str = [&j](const char* k) {
      auto it = j.find(k);
      return it != j.end() && it->is_string() ? it->get<std::string>() : std::string();
    };
    Entry e{str("manager"), str("operation"),   str("apiVersion"),
            str("time"),    str("subresource"), {}};
    if ((e.operation != "Apply" && e.operation != "Update") ||
        (j.contains("fieldsType") && str("fieldsType") != "FieldsV1")) {
      return std::nullopt;
    }
    if (auto f = j.find("fieldsV1"); f != j.end() && !f->is_null()) {
      if (!FromFieldsV1(*f, e.set)) {
        return std::nullopt;
      }
      e.set.member = false;
    }
    if (Entry* dup = FindEntry(out, e.manager, e.operation, e.subresource)) {
      UnionInto(dup->set, e.set);
    } else {
      out.push_back(std::move(e));
    }
  }
  return out;
}

// Writes the entries (sorted as upstream's sortEncodedManagedFields, empty ones dropped).
void EncodeEntries(std::vector<Entry> entries, Json& obj) {
  std::erase_if(entries, [](const Entry& e) { return e.set.Empty(); });
  std::sort(entries.begin(), entries.end(), [](const Entry& a, const Entry& b) {
    return std::tie(a.operation, a.time, a.manager, a.api_version, a.subresource) <
           std::tie(b.operation, b.time, b.manager, b.api_version, b.subresource);
  });
  if (entries.empty()) {
    if (obj.is_object() && obj.contains("metadata") && obj["metadata"].is_object()) {
      obj["metadata"].erase("managedFields");
    }
    return;
  }
  Json arr = Json::array();
  for (const Entry& e : entries) {
    Json j = {{"manager", e.manager},
              {"operation", e.operation},
              {"apiVersion", e.api_version},
              {"fieldsType", "FieldsV1"},
              {"fieldsV1", ToFieldsV1(e.set)}};
    if (!e.time.empty()) {
      j["time"] = e.time;
    }
    if (!e.subresource.empty()) {
      j["subresource"] = e.subresource;
    }
    arr.push_back(std::move(j));
  }
  obj["metadata"]["managedFields"] = std::move(arr);
}

Json WithoutManagedFields(const Json& obj) {
  Json out = obj.is_object() ? obj : Json::object();
  if (auto md = out.find("metadata"); md != out.end() && md->is_object()) {
    md->erase("managedFields");
  }
  return out;
}

Comparison CompareObjects(const Json& old_obj, const Json& new_obj, const Json* schema) {
  Comparison c;
  Path path;
  Compare(&old_obj, &new_obj, schema, true, path, c);
  StripIgnored(c.added);
  StripIgnored(c.modified);
  StripIgnored(c.removed);
  return c;
}

// printManager in apiserver's managedfields/internal/conflict.go.
std::string DescribeManager(const Entry& e) {
  std::string s = Json(e.manager).dump(-1, ' ', false, Json::error_handler_t::replace);
  if (!e.subresource.empty()) {
    s += " with subresource " + Json(e.subresource).dump(-1, ' ', false, Json::error_handler_t::replace);
  }
  if (e.operation == "Update") {
    s += " using " + e.api_version;
  }
  return s;
}

Status ConflictError(const std::vector<std::pair<const Entry*, FieldSet>>& conflicts) {
  StatusDetails details;
  details.reason = "Conflict";
  details.http_code = 409;
  std::string grouped;
  std::string single;
  for (const auto& [entry, set] : conflicts) {
    const std::string who = DescribeManager(*entry);
    grouped += (grouped.empty() ? "" : "\n") + std::string("conflicts with ") + who + ":";
    Path prefix;
    ForEachMember(set, prefix, [&](const Path& p) {
      const std::string field = DisplayPath(p);
      details.causes.push_back({"FieldManagerConflict", "conflict with " + who, field});
      grouped += "\n- " + field;
      single = "conflict with " + who + ": " + field;
    });
  }
  const size_t n = details.causes.size();
  std::string message = n == 1
                            ? "Apply failed with 1 conflict: " + single
                            : "Apply failed with " + std::to_string(n) + " conflicts: " + grouped;
  return Status(StatusCode::kAborted, std::move(message), std::move(details));
}

Status BadRequest(std::string message) {
  StatusDetails d;
  d.reason = "BadRequest";
  d.http_code = 400;
  return Status(StatusCode::kInvalidArgument, std::move(message), std::move(d));
}

}  // namespace

StatusOr<Json> ServerSideApply(const Json* live, const Json& config, std::string_view manager,
                               bool force, const Json* schema, std::string_view api_version,
                               std::string_view now_rfc3339) {
  if (!config.is_object()) {
    return BadRequest("apply configuration must be a JSON object");
  }
  if (const Json* mf = ManagedFieldsOf(config); mf != nullptr && !mf->empty()) {
    return BadRequest("metadata.managedFields must be nil");
  }
  const Json live_obj = live != nullptr && live->is_object() ? *live : Json::object();
  std::vector<Entry> entries = DecodeEntries(live_obj).value_or(std::vector<Entry>{});
  const Json base = WithoutManagedFields(live_obj);
  if (live != nullptr && live->is_object() && entries.empty()) {
    // skipNonAppliedManager: an object nobody tracked so far is first attributed, as an update
    // from empty, to "before-first-apply", so that applying over it can conflict.
    Comparison initial = CompareObjects(Json::object(), base, schema);
    UnionInto(initial.added, initial.modified);
    if (!initial.added.Empty()) {
      entries.push_back(Entry{"before-first-apply", "Update", std::string(api_version),
                              std::string(now_rfc3339), "", std::move(initial.added)});
    }
  }
  Json merged = Merge(&base, WithoutManagedFields(config), schema, true);

  FieldSet applied;
  ToSet(config, schema, true, applied);
  StripIgnored(applied);
  Entry* self = FindEntry(entries, manager, "Apply", "");
  if (self == nullptr) {
    entries.push_back(Entry{std::string(manager), "Apply", "", "", "", {}});
    self = &entries.back();
  }
  const FieldSet last = std::move(self->set);
  const bool set_changed = ToFieldsV1(last) != ToFieldsV1(applied);
  self->set = applied;

  // Prune: what the manager applied last time and nobody owns any more leaves the object.
  FieldSet owned;
  for (const Entry& e : entries) {
    UnionInto(owned, e.set);
  }
  Path prefix;
  std::vector<Path> doomed;
  ForEachMember(last, prefix, [&](const Path& p) {
    const FieldSet* node = Find(owned, p);
    if (node == nullptr || node->Empty()) {
      doomed.push_back(p);
    }
  });
  for (const Path& p : doomed) {
    RemoveAt(merged, p, schema);
  }

  Comparison c = CompareObjects(base, merged, schema);
  FieldSet changed = c.added;
  UnionInto(changed, c.modified);
  std::vector<std::pair<const Entry*, FieldSet>> conflicts;
  for (const Entry& e : entries) {
    if (&e == self) {
      continue;
    }
    FieldSet clash = Intersect(e.set, changed);
    if (!clash.Empty()) {
      conflicts.emplace_back(&e, std::move(clash));
    }
  }
  if (!conflicts.empty() && !force) {
    std::sort(conflicts.begin(), conflicts.end(), [](const auto& a, const auto& b) {
      return std::tie(a.first->manager, a.first->operation, a.first->subresource) <
             std::tie(b.first->manager, b.first->operation, b.first->subresource);
    });
    return ConflictError(conflicts);
  }
  for (Entry& e : entries) {
    if (&e == self) {
      continue;
    }
    Subtract(e.set, changed);
    Subtract(e.set, c.removed);
  }
  self->api_version = std::string(api_version);
  if (self->time.empty() || set_changed || merged != base) {
    self->time = std::string(now_rfc3339);
  }
  EncodeEntries(std::move(entries), merged);
  return merged;
}

Json UpdateManagedFields(const Json& old_obj, const Json& new_obj, std::string_view manager,
                         std::string_view subresource, const Json* schema,
                         std::string_view api_version, std::string_view now_rfc3339) {
  std::optional<std::vector<Entry>> entries;
  const Json* sent = ManagedFieldsOf(new_obj);
  if (subresource.empty() && sent != nullptr && *sent == Json::parse("[{}]")) {
    entries.emplace();  // an explicit reset
  } else if (subresource.empty()) {
    entries = DecodeEntries(new_obj);
    if (entries && entries->empty()) {
      entries.reset();
    }
  }
  if (!entries) {
    entries = DecodeEntries(old_obj).value_or(std::vector<Entry>{});
  }
  Json result = new_obj.is_object() ? new_obj : Json::object();
  Comparison c =
      CompareObjects(WithoutManagedFields(old_obj), WithoutManagedFields(result), schema);
  FieldSet changed = c.added;
  UnionInto(changed, c.modified);
  for (Entry& e : *entries) {
    Subtract(e.set, changed);
    Subtract(e.set, c.removed);
  }
  if (!changed.Empty()) {
    Entry* self = FindEntry(*entries, manager, "Update", subresource);
    if (self == nullptr) {
      entries->push_back(
          Entry{std::string(manager), "Update", "", "", std::string(subresource), {}});
      self = &entries->back();
    }
    UnionInto(self->set, changed);
    self->api_version = std::string(api_version);
    self->time = std::string(now_rfc3339);
  }
  EncodeEntries(std::move(*entries), result);
  return result;
}

}  // namespace skiff::api
