// Discovery: fetches /api, /apis (aggregated v2 when the server offers it, else the legacy
// per-group-version documents) and resolves user input the way kubectl's REST mapper does.
#include "client/discovery.h"

#include <algorithm>
#include <cctype>
#include <nlohmann/json.hpp>

#include "base/json.h"
#include "client/rest_client.h"

namespace skiff::client {
namespace {

constexpr std::string_view kAggregatedAccept =
    "application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList,"
    "application/json;g=apidiscovery.k8s.io;v=v2beta1;as=APIGroupDiscoveryList,"
    "application/json";

std::string Lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) {
    c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  }
  return out;
}

std::vector<std::string> Strings(const Json& obj, const char* key) {
  std::vector<std::string> out;
  auto it = obj.find(key);
  if (it != obj.end() && it->is_array()) {
    for (const Json& v : *it) {
      if (v.is_string()) {
        out.push_back(v.get<std::string>());
      }
    }
  }
  return out;
}

bool IsAggregated(const Response& r) {
  return r.content_type.find("as=APIGroupDiscoveryList") != std::string::npos;
}

// Splits "g/v" (or "v" for core) into group and version.
std::pair<std::string, std::string> SplitGroupVersion(std::string_view gv) {
  size_t slash = gv.find('/');
  if (slash == std::string_view::npos) {
    return {"", std::string(gv)};
  }
  return {std::string(gv.substr(0, slash)), std::string(gv.substr(slash + 1))};
}

struct Candidate {
  std::string name;
  std::optional<std::string> group;
  std::optional<std::string> version;
};

std::vector<Candidate> CandidatesFor(std::string_view input) {
  std::string lower = Lower(input);
  size_t dot = lower.find('.');
  if (dot == std::string::npos) {
    return {{lower, std::nullopt, std::nullopt}};
  }
  std::vector<Candidate> out;
  std::string name = lower.substr(0, dot);
  std::string rest = lower.substr(dot + 1);
  size_t dot2 = rest.find('.');
  if (dot2 != std::string::npos) {
    out.push_back({name, rest.substr(dot2 + 1), rest.substr(0, dot2)});
  }
  out.push_back({name, rest, std::nullopt});
  return out;
}

// Returns the first resource (in priority order) for which `match` holds.
template <class Pred>
const ResourceInfo* FindFirst(const std::vector<GroupResources>& groups, const Candidate& c,
                              Pred match) {
  for (const GroupResources& g : groups) {
    if (c.group && *c.group != g.group) {
      continue;
    }
    for (const ResourceInfo& r : g.resources) {
      if (c.version && *c.version != r.version) {
        continue;
      }
      if (match(r)) {
        return &r;
      }
    }
  }
  return nullptr;
}

}  // namespace

std::string ResourceInfo::KindPrefix() const {
  std::string k = Lower(kind);
  return group.empty() ? k : k + "." + group;
}

std::vector<ResourceInfo> ParseApiResourceList(const std::string& group_version,
                                               const std::string& body) {
  std::vector<ResourceInfo> out;
  auto parsed = ParseJson(body);
  if (!parsed.ok() || !parsed->is_object() || !parsed->contains("resources") ||
      !(*parsed)["resources"].is_array()) {
    return out;
  }
  auto [group, version] = SplitGroupVersion(group_version);
  std::vector<std::pair<std::string, std::string>> subs;
  for (const Json& r : (*parsed)["resources"]) {
    if (!r.is_object()) {
      continue;
    }
    std::string name = r.value("name", "");
    size_t slash = name.find('/');
    if (slash != std::string::npos) {
      subs.emplace_back(name.substr(0, slash), name.substr(slash + 1));
      continue;
    }
    ResourceInfo info;
    info.group = group;
    info.version = version;
    info.plural = name;
    info.singular = r.value("singularName", "");
    info.kind = r.value("kind", "");
    info.namespaced = r.value("namespaced", false);
    info.short_names = Strings(r, "shortNames");
    info.verbs = Strings(r, "verbs");
    info.categories = Strings(r, "categories");
    if (info.singular.empty()) {
      info.singular = Lower(info.kind);
    }
    out.push_back(std::move(info));
  }
  for (const auto& [parent, sub] : subs) {
    for (ResourceInfo& info : out) {
      if (info.plural == parent) {
        info.subresources.push_back(sub);
      }
    }
  }
  return out;
}

StatusOr<std::vector<GroupResources>> ParseAggregatedDiscovery(const std::string& body) {
  SKIFF_ASSIGN_OR_RETURN(Json doc, ParseJson(body));
  if (!doc.is_object() || !doc.contains("items") || !doc["items"].is_array()) {
    return InvalidArgument("aggregated discovery document has no items");
  }
  std::vector<GroupResources> out;
  for (const Json& item : doc["items"]) {
    if (!item.is_object()) {
      continue;
    }
    GroupResources g;
    if (item.contains("metadata") && item["metadata"].is_object()) {
      g.group = item["metadata"].value("name", "");
    }
    if (!item.contains("versions") || !item["versions"].is_array()) {
      continue;
    }
    for (const Json& v : item["versions"]) {
      if (!v.is_object()) {
        continue;
      }
      std::string version = v.value("version", "");
      g.versions.push_back(version);
      if (!v.contains("resources") || !v["resources"].is_array()) {
        continue;
      }
      for (const Json& r : v["resources"]) {
        if (!r.is_object()) {
          continue;
        }
        ResourceInfo info;
        info.group = g.group;
        info.version = version;
        info.plural = r.value("resource", "");
        info.singular = r.value("singularResource", "");
        if (r.contains("responseKind") && r["responseKind"].is_object()) {
          info.kind = r["responseKind"].value("kind", "");
        }
        info.namespaced = r.value("scope", "") == "Namespaced";
        info.short_names = Strings(r, "shortNames");
        info.verbs = Strings(r, "verbs");
        info.categories = Strings(r, "categories");
        if (r.contains("subresources") && r["subresources"].is_array()) {
          for (const Json& s : r["subresources"]) {
            if (s.is_object()) {
              info.subresources.push_back(s.value("subresource", ""));
            }
          }
        }
        if (info.singular.empty()) {
          info.singular = Lower(info.kind);
        }
        g.resources.push_back(std::move(info));
      }
    }
    out.push_back(std::move(g));
  }
  // The core group comes first regardless of server order, as in kubectl's priority mapper.
  std::stable_partition(out.begin(), out.end(),
                        [](const GroupResources& g) { return g.group.empty(); });
  return out;
}

StatusOr<ResourceInfo> MatchResource(const std::vector<GroupResources>& groups,
                                     std::string_view input) {
  for (const Candidate& c : CandidatesFor(input)) {
    if (c.name.empty()) {
      continue;
    }
    const ResourceInfo* r = FindFirst(groups, c, [&](const ResourceInfo& r) {
      return r.plural == c.name || r.singular == c.name;
    });
    if (!r) {
      r = FindFirst(groups, c, [&](const ResourceInfo& r) {
        return std::find(r.short_names.begin(), r.short_names.end(), c.name) != r.short_names.end();
      });
    }
    if (!r) {
      r = FindFirst(groups, c, [&](const ResourceInfo& r) { return Lower(r.kind) == c.name; });
    }
    if (r) {
      return *r;
    }
  }
  return NotFound("the server doesn't have a resource type \"" + std::string(input) + "\"");
}

std::vector<ResourceInfo> MatchCategory(const std::vector<GroupResources>& groups,
                                        std::string_view category) {
  std::vector<ResourceInfo> out;
  for (const GroupResources& g : groups) {
    for (const ResourceInfo& r : g.resources) {
      if (std::find(r.categories.begin(), r.categories.end(), category) == r.categories.end()) {
        continue;
      }
      // Resources of non-preferred versions repeat an earlier entry of the same group.
      bool seen = std::any_of(out.begin(), out.end(), [&](const ResourceInfo& o) {
        return o.group == r.group && o.plural == r.plural;
      });
      if (!seen) {
        out.push_back(r);
      }
    }
  }
  return out;
}

StatusOr<ResourceInfo> MatchKind(const std::vector<GroupResources>& groups,
                                 std::string_view api_version, std::string_view kind) {
  auto [group, version] = SplitGroupVersion(api_version);
  for (const GroupResources& g : groups) {
    if (g.group != group) {
      continue;
    }
    for (const ResourceInfo& r : g.resources) {
      if (r.version == version && r.kind == kind) {
        return r;
      }
    }
  }
  return NotFound("no matches for kind \"" + std::string(kind) + "\" in version \"" +
                  std::string(api_version) + "\"");
}

Status Discovery::Refresh() {
  std::vector<GroupResources> groups;
  for (const char* root : {"/api", "/apis"}) {
    Request req{.path = root, .accept = std::string(kAggregatedAccept)};
    auto res = rest_.Do(req);
    if (!res.ok()) {
      // A server without the core group answers 404 on /api; client-go tolerates that.
      if (res.status().code() == StatusCode::kNotFound) {
        continue;
      }
      return res.status().WithContext("discovery " + std::string(root));
    }
    if (IsAggregated(*res)) {
      SKIFF_ASSIGN_OR_RETURN(auto parsed, ParseAggregatedDiscovery(res->body));
      for (auto& g : parsed) {
        groups.push_back(std::move(g));
      }
      continue;
    }
    SKIFF_ASSIGN_OR_RETURN(Json doc, ParseJson(res->body));
    if (!doc.is_object()) {
      continue;
    }
    std::vector<std::pair<std::string, std::vector<std::string>>> listed;  // group → versions
    if (std::string_view(root) == "/api") {
      listed.emplace_back("", Strings(doc, "versions"));
    } else if (doc.contains("groups") && doc["groups"].is_array()) {
      for (const Json& g : doc["groups"]) {
        if (!g.is_object()) {
          continue;
        }
        std::vector<std::string> versions;
        std::string preferred;
        if (g.contains("preferredVersion") && g["preferredVersion"].is_object()) {
          preferred = g["preferredVersion"].value("version", "");
        }
        if (!preferred.empty()) {
          versions.push_back(preferred);
        }
        if (g.contains("versions") && g["versions"].is_array()) {
          for (const Json& v : g["versions"]) {
            std::string ver = v.is_object() ? v.value("version", "") : "";
            if (!ver.empty() && ver != preferred) {
              versions.push_back(ver);
            }
          }
        }
        listed.emplace_back(g.value("name", ""), std::move(versions));
      }
    }
    for (auto& [group, versions] : listed) {
      GroupResources gr{.group = group, .versions = versions, .resources = {}};
      for (const std::string& v : versions) {
        std::string gv = group.empty() ? v : group + "/" + v;
        std::string path = group.empty() ? "/api/" + v : "/apis/" + gv;
        auto list = rest_.Do(Request{.path = path});
        if (!list.ok()) {
          // kubectl carries on with partial discovery; the group simply resolves nothing.
          continue;
        }
        for (auto& r : ParseApiResourceList(gv, list->body)) {
          gr.resources.push_back(std::move(r));
        }
      }
      groups.push_back(std::move(gr));
    }
  }
  groups_ = std::move(groups);
  loaded_ = true;
  return Status::Ok();
}

StatusOr<ResourceInfo> Discovery::ResolveResource(std::string_view input) {
  std::lock_guard<std::mutex> lock(mu_);
  bool fresh = !loaded_;
  if (!loaded_) {
    SKIFF_RETURN_IF_ERROR(Refresh());
  }
  auto r = MatchResource(groups_, input);
  if (r.ok() || fresh) {
    return r;
  }
  SKIFF_RETURN_IF_ERROR(Refresh());
  return MatchResource(groups_, input);
}

StatusOr<ResourceInfo> Discovery::ResolveKind(std::string_view api_version, std::string_view kind) {
  std::lock_guard<std::mutex> lock(mu_);
  bool fresh = !loaded_;
  if (!loaded_) {
    SKIFF_RETURN_IF_ERROR(Refresh());
  }
  auto r = MatchKind(groups_, api_version, kind);
  if (r.ok() || fresh) {
    return r;
  }
  SKIFF_RETURN_IF_ERROR(Refresh());
  return MatchKind(groups_, api_version, kind);
}

StatusOr<std::vector<ResourceInfo>> Discovery::ResolveCategory(std::string_view category) {
  std::lock_guard<std::mutex> lock(mu_);
  if (!loaded_) {
    SKIFF_RETURN_IF_ERROR(Refresh());
  }
  return MatchCategory(groups_, category);
}

StatusOr<std::vector<GroupResources>> Discovery::Groups() {
  std::lock_guard<std::mutex> lock(mu_);
  if (!loaded_) {
    SKIFF_RETURN_IF_ERROR(Refresh());
  }
  return groups_;
}

void Discovery::Invalidate() {
  std::lock_guard<std::mutex> lock(mu_);
  loaded_ = false;
  groups_.clear();
}

}  // namespace skiff::client
