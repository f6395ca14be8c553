// `skiff wait`: kubectl's pkg/cmd/wait — list then watch each object until a condition, a
// jsonpath value, creation or deletion holds, or the timeout passes.
#include <iostream>
#include <nlohmann/json.hpp>

#include "api/jsonpath.h"
#include "cli/commands.h"
#include "client/table_printer.h"

namespace skiff::cli {
namespace {

bool EqualFold(std::string_view a, std::string_view b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
           return std::tolower(static_cast<unsigned char>(x)) ==
                  std::tolower(static_cast<unsigned char>(y));
         });
}

enum class WaitKind { kCondition, kDelete, kCreate, kJsonPath };

struct Condition {
  WaitKind kind = WaitKind::kCondition;
  std::string name;   // condition type, or jsonpath expression
  std::string value;  // expected status/value
  bool has_value = false;
};

StatusOr<Condition> ParseFor(const std::string& spec) {
  Condition c;
  if (spec == "delete") {
    c.kind = WaitKind::kDelete;
    return c;
  }
  if (spec == "create") {
    c.kind = WaitKind::kCreate;
    return c;
  }
  if (spec.rfind("condition=", 0) == 0) {
    std::string rest = spec.substr(10);
    size_t eq = rest.find('=');
    c.name = rest.substr(0, eq);
    c.value = eq == std::string::npos ? "true" : rest.substr(eq + 1);
    c.has_value = true;
    if (c.name.empty()) {
      return InvalidArgument("condition name cannot be empty");
    }
    return c;
  }
  if (spec.rfind("jsonpath=", 0) == 0) {
    c.kind = WaitKind::kJsonPath;
    std::string rest = spec.substr(9);
    // The expression is `{...}`; a value may follow after '='.
    size_t close = rest.rfind('}');
    if (rest.empty() || rest[0] != '{' || close == std::string::npos) {
      return InvalidArgument(
          "jsonpath wait format must be --for=jsonpath='{.status.readyReplicas}'=3");
    }
    c.name = rest.substr(0, close + 1);
    if (close + 1 < rest.size()) {
      if (rest[close + 1] != '=') {
        return InvalidArgument(
            "jsonpath wait format must be --for=jsonpath='{.status.readyReplicas}'=3");
      }
      c.value = rest.substr(close + 2);
      c.has_value = true;
    }
    return c;
  }
  return InvalidArgument("unrecognized condition: \"" + spec + "\"");
}

bool ConditionMet(const Json& obj, const Condition& c) {
  switch (c.kind) {
    case WaitKind::kCreate:
      return true;
    case WaitKind::kDelete:
      return false;
    case WaitKind::kCondition: {
      const Json* conditions = Field(obj, {"status", "conditions"});
      if (conditions == nullptr || !conditions->is_array()) {
        return false;
      }
      const Json* generation = Field(obj, {"metadata", "generation"});
      for (const Json& cond : *conditions) {
        if (!cond.is_object() || !EqualFold(cond.value("type", ""), c.name)) {
          continue;
        }
        // kubectl skips conditions written for an older generation.
        if (generation && generation->is_number_integer() && cond.contains("observedGeneration") &&
            cond["observedGeneration"].is_number_integer() &&
            cond["observedGeneration"].get<int64_t>() < generation->get<int64_t>()) {
          continue;
        }
        return EqualFold(cond.value("status", ""), c.value);
      }
      return false;
    }
    case WaitKind::kJsonPath: {
      auto matches = api::EvaluateJsonPath(obj, c.name);
      if (!matches.ok() || matches->empty()) {
        return false;
      }
      if (!c.has_value) {
        return true;
      }
      if (matches->size() != 1) {
        return false;
      }
      const Json& v = (*matches)[0];
      if (v.is_object() || v.is_array()) {
        return false;
      }
      return client::FormatCell(v) == c.value;
    }
  }
  return false;
}

using Target = ObjectRef;

// Returns OK when met; DeadlineExceeded on timeout.
Status WaitOne(client::Client& client, const Target& t, const Condition& c,
               std::chrono::steady_clock::time_point deadline) {
  std::string field = "metadata.name=" + t.name;
  while (true) {
    auto list = client.List(t.resource, t.ns, {.field_selector = field});
    if (!list.ok()) {
      return list.status();
    }
    const Json& items = (*list)["items"];
    bool exists = items.is_array() && !items.empty();
    if (c.kind == WaitKind::kDelete ? !exists : exists && ConditionMet(items[0], c)) {
      return Status::Ok();
    }
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0) {
      return DeadlineExceeded("");
    }
    bool met = false;
    client::WatchOptions watch{.resource_version = MetaString(*list, "resourceVersion"),
                               .field_selector = field,
                               .allow_bookmarks = true,
                               .deadline = left};
    Status st = client.Watch(t.resource, t.ns, watch, [&](const client::WatchEvent& e) {
      if (e.type == "BOOKMARK") {
        return true;
      }
      if (c.kind == WaitKind::kDelete) {
        met = e.type == "DELETED";
      } else if (e.type != "DELETED") {
        met = ConditionMet(*e.object, c);
      }
      return !met;
    });
    if (met) {
      return Status::Ok();
    }
    if (st.code() == StatusCode::kDeadlineExceeded) {
      return st;
    }
    if (!st.ok() && st.code() != StatusCode::kOutOfRange) {
      return st;
    }
    // The server ended the watch (or its revision expired): list again.
  }
}

}  // namespace

int RunWait(Session& session, const WaitFlags& flags) {
  if (flags.for_condition.empty()) {
    return ReportError(InvalidArgument("--for must be set"));
  }
  auto condition = ParseFor(flags.for_condition);
  if (!condition.ok()) {
    return ReportError(condition.status());
  }
  auto timeout = ParseDuration(flags.timeout);
  if (!timeout.ok()) {
    return ReportError(timeout.status());
  }
  auto typed = ParseResourceArgs(flags.args);
  if (!typed.ok()) {
    return ReportError(typed.status());
  }
  if (typed->empty()) {
    return ReportError(InvalidArgument("resource(s) must be specified"));
  }
  auto client = session.Client();
  if (!client.ok()) {
    return ReportError(client.status());
  }
  auto objects = ResolveObjects(session, **client, *typed, flags.all, flags.selector,
                                flags.all_namespaces,
                                "resource name or --all or --selector must be set");
  if (!objects.ok()) {
    return ReportError(objects.status());
  }
  const std::vector<Target>& targets = *objects;
  if (targets.empty()) {
    return ReportError(InvalidArgument("no matching resources found"));
  }
  auto deadline = std::chrono::steady_clock::now() + *timeout;
  int rc = 0;
  for (const Target& t : targets) {
    Status st = WaitOne(**client, t, *condition, deadline);
    if (st.ok()) {
      std::cout << NameOf(t.resource, t.name) << " condition met\n" << std::flush;
    } else if (st.code() == StatusCode::kDeadlineExceeded) {
      rc = ReportError(InvalidArgument("timed out waiting for the condition on " +
                                       t.resource.plural + "/" + t.name));
    } else {
      rc = ReportError(st);
    }
  }
  return rc;
}

}  // namespace skiff::cli
