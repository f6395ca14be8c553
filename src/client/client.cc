// Client: builds resource URLs and query parameters the way client-go does, and decodes replies
// and watch events.
#include "client/client.h"

#include <nlohmann/json.hpp>

namespace skiff::client {
namespace {

void AddFieldParams(Params& q, const std::string& field_manager,
                    const std::string& field_validation) {
  if (!field_manager.empty()) {
    q.emplace_back("fieldManager", field_manager);
  }
  if (!field_validation.empty()) {
    q.emplace_back("fieldValidation", field_validation);
  }
}

void AddDryRun(Params& q, bool dry_run) {
  if (dry_run) {
    q.emplace_back("dryRun", "All");
  }
}

StatusOr<Json> ParseBody(const Response& res) {
  if (res.body.empty()) {
    return Json::object();
  }
  auto parsed = ParseJson(res.body);
  if (!parsed.ok()) {
    return parsed.status().WithContext("decoding server reply");
  }
  return parsed;
}

}  // namespace

std::string_view PatchContentType(PatchType type) {
  switch (type) {
    case PatchType::kJson:
      return "application/json-patch+json";
    case PatchType::kMerge:
      return "application/merge-patch+json";
    case PatchType::kStrategic:
      return "application/strategic-merge-patch+json";
    case PatchType::kApply:
      return "application/apply-patch+yaml";
  }
  return "application/merge-patch+json";
}

std::string ResourcePath(const ResourceInfo& r, std::string_view ns, std::string_view name,
                         std::string_view subresource) {
  std::string path = r.group.empty() ? "/api/" + r.version : "/apis/" + r.group + "/" + r.version;
  if (r.namespaced && !ns.empty()) {
    path += "/namespaces/" + PathEscape(ns);
  }
  path += "/" + r.plural;
  if (!name.empty()) {
    path += "/" + PathEscape(name);
    if (!subresource.empty()) {
      path += "/" + std::string(subresource);
    }
  }
  return path;
}

Client::Client(std::unique_ptr<RestClient> rest) : rest_(std::move(rest)), discovery_(*rest_) {}

StatusOr<std::unique_ptr<Client>> Client::FromConfig(const RestConfig& config,
                                                     RestClientOptions options) {
  SKIFF_ASSIGN_OR_RETURN(auto rest, RestClient::Create(config, std::move(options)));
  return std::make_unique<Client>(std::move(rest));
}

StatusOr<Json> Client::Get(const ResourceInfo& r, std::string_view ns, std::string_view name,
                           const GetOptions& options) {
  Request req{.path = ResourcePath(r, ns, name, options.subresource)};
  if (options.as_table) {
    req.accept = std::string(kTableAccept);
  }
  SKIFF_ASSIGN_OR_RETURN(Response res, rest_->Do(req));
  return ParseBody(res);
}

StatusOr<Json> Client::List(const ResourceInfo& r, std::string_view ns,
                            const ListOptions& options) {
  Json merged;
  std::string continue_token;
  do {
    Request req{.path = ResourcePath(r, ns)};
    if (options.as_table) {
      req.accept = std::string(kTableAccept);
    }
    if (!options.label_selector.empty()) {
      req.query.emplace_back("labelSelector", options.label_selector);
    }
    if (!options.field_selector.empty()) {
      req.query.emplace_back("fieldSelector", options.field_selector);
    }
    if (options.limit > 0) {
      req.query.emplace_back("limit", std::to_string(options.limit));
    }
    if (!continue_token.empty()) {
      req.query.emplace_back("continue", continue_token);
    } else if (!options.resource_version.empty()) {
      req.query.emplace_back("resourceVersion", options.resource_version);
    }
    SKIFF_ASSIGN_OR_RETURN(Response res, rest_->Do(req));
    SKIFF_ASSIGN_OR_RETURN(Json page, ParseBody(res));
    if (!page.is_object()) {
      return Internal("list reply is not an object");
    }
    const char* key = page.value("kind", "") == "Table" ? "rows" : "items";
    if (merged.is_null()) {
      merged = page;
      if (!merged.contains(key) || !merged[key].is_array()) {
        merged[key] = Json::array();
      }
    } else if (page.contains(key) && page[key].is_array()) {
      for (auto& item : page[key]) {
        merged[key].push_back(std::move(item));
      }
      merged["metadata"] = page.value("metadata", Json::object());
    }
    continue_token.clear();
    if (page.contains("metadata") && page["metadata"].is_object()) {
      continue_token = page["metadata"].value("continue", "");
    }
  } while (!continue_token.empty());
  if (merged.contains("metadata") && merged["metadata"].is_object()) {
    merged["metadata"].erase("continue");
  }
  return merged;
}

StatusOr<Json> Client::Create(const ResourceInfo& r, std::string_view ns, const Json& object,
                              const WriteOptions& options) {
  Request req{.method = "POST", .path = ResourcePath(r, ns), .body = DumpJson(object)};
  AddFieldParams(req.query, options.field_manager, options.field_validation);
  AddDryRun(req.query, options.dry_run);
  SKIFF_ASSIGN_OR_RETURN(Response res, rest_->Do(req));
  return ParseBody(res);
}

StatusOr<Json> Client::Replace(const ResourceInfo& r, std::string_view ns, std::string_view name,
                               const Json& object, const WriteOptions& options) {
  Request req{.method = "PUT",
              .path = ResourcePath(r, ns, name, options.subresource),
              .body = DumpJson(object)};
  AddFieldParams(req.query, options.field_manager, options.field_validation);
  AddDryRun(req.query, options.dry_run);
  SKIFF_ASSIGN_OR_RETURN(Response res, rest_->Do(req));
  return ParseBody(res);
}

StatusOr<Json> Client::Patch(const ResourceInfo& r, std::string_view ns, std::string_view name,
                             std::string_view patch, const PatchOptions& options) {
  Request req{.method = "PATCH",
              .path = ResourcePath(r, ns, name, options.subresource),
              .body = std::string(patch),
              .content_type = std::string(PatchContentType(options.type))};
  AddFieldParams(req.query, options.field_manager, options.field_validation);
  if (options.force.has_value()) {
    req.query.emplace_back("force", *options.force ? "true" : "false");
  }
  AddDryRun(req.query, options.dry_run);
  SKIFF_ASSIGN_OR_RETURN(Response res, rest_->Do(req));
  return ParseBody(res);
}

StatusOr<Json> Client::Delete(const ResourceInfo& r, std::string_view ns, std::string_view name,
                              const DeleteOptions& options) {
  Json body = {{"kind", "DeleteOptions"}, {"apiVersion", "v1"}};
  if (!options.propagation_policy.empty()) {
    body["propagationPolicy"] = options.propagation_policy;
  }
  if (options.grace_period_seconds) {
    body["gracePeriodSeconds"] = *options.grace_period_seconds;
  }
  if (!options.precondition_uid.empty()) {
    body["preconditions"] = {{"uid", options.precondition_uid}};
  }
  if (options.dry_run) {
    body["dryRun"] = Json::array({"All"});
  }
  Request req{.method = "DELETE", .path = ResourcePath(r, ns, name), .body = DumpJson(body)};
  SKIFF_ASSIGN_OR_RETURN(Response res, rest_->Do(req));
  return ParseBody(res);
}

Status Client::Watch(const ResourceInfo& r, std::string_view ns, const WatchOptions& options,
                     const std::function<bool(const WatchEvent&)>& on_event) {
  Request req{.path = ResourcePath(r, ns), .timeout = options.deadline};
  req.canceler = options.canceler;
  if (options.as_table) {
    req.accept = std::string(kTableAccept);
  }
  if (options.allow_bookmarks) {
    req.query.emplace_back("allowWatchBookmarks", "true");
  }
  if (!options.field_selector.empty()) {
    req.query.emplace_back("fieldSelector", options.field_selector);
  }
  if (!options.label_selector.empty()) {
    req.query.emplace_back("labelSelector", options.label_selector);
  }
  if (!options.resource_version.empty()) {
    req.query.emplace_back("resourceVersion", options.resource_version);
  }
  if (options.timeout_seconds > 0) {
    req.query.emplace_back("timeoutSeconds", std::to_string(options.timeout_seconds));
  }
  req.query.emplace_back("watch", "true");
  Status event_error;
  Status stream = rest_->Stream(req, [&](std::string_view line) {
    if (line.empty()) {
      return true;
    }
    auto parsed = ParseJson(line);
    if (!parsed.ok() || !parsed->is_object()) {
      event_error = Internal("malformed watch event: " + std::string(line.substr(0, 200)));
      return false;
    }
    WatchEvent event;
    event.type = parsed->value("type", "");
    Json object = parsed->contains("object") ? std::move((*parsed)["object"]) : Json::object();
    if (event.type == "ERROR") {
      int code = object.is_object() ? object.value("code", 500) : 500;
      event_error = StatusFromResponse(code, DumpJson(object));
      return false;
    }
    event.object = std::make_shared<const Json>(std::move(object));
    return on_event(event);
  });
  SKIFF_RETURN_IF_ERROR(stream);
  return event_error;
}

Status Client::Logs(std::string_view ns, std::string_view pod, const LogOptions& options,
                    const std::function<bool(std::string_view line)>& on_line) {
  Request req{.path = "/api/v1/namespaces/" + PathEscape(ns) + "/pods/" + PathEscape(pod) + "/log",
              .accept = "application/json, */*"};
  if (!options.container.empty()) {
    req.query.emplace_back("container", options.container);
  }
  if (options.follow) {
    req.query.emplace_back("follow", "true");
  }
  if (options.previous) {
    req.query.emplace_back("previous", "true");
  }
  if (options.since_seconds) {
    req.query.emplace_back("sinceSeconds", std::to_string(*options.since_seconds));
  }
  if (options.tail_lines) {
    req.query.emplace_back("tailLines", std::to_string(*options.tail_lines));
  }
  if (options.timestamps) {
    req.query.emplace_back("timestamps", "true");
  }
  return rest_->Stream(req, on_line);
}

StatusOr<Json> Client::ServerVersion() {
  SKIFF_ASSIGN_OR_RETURN(Response res, rest_->Do(Request{.path = "/version"}));
  return ParseBody(res);
}

}  // namespace skiff::client
