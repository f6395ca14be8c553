// `skiff describe`: kubectl's generic describer (pkg/describe/describe.go genericDescriber):
// Name/Namespace/Labels/Annotations, then every other field as indented "Smart Label: value"
// lines, then the object's Events.
#include <algorithm>
#include <cctype>
#include <iostream>
#include <nlohmann/json.hpp>
#include <set>

#include "base/time.h"
#include "cli/commands.h"
#include "client/table_printer.h"

namespace skiff::cli {
namespace {

constexpr size_t kMaxAnnotationLen = 140;

std::string Indent(int level) { return std::string(static_cast<size_t>(level) * 2, ' '); }

// kubectl's smartLabelFor: "creationTimestamp" → "Creation Timestamp", "apiVersion" →
// "API Version"; names with characters other than letters and '-' are kept as they are.
std::string SmartLabel(const std::string& field) {
  if (field.empty() || std::any_of(field.begin(), field.end(), [](char c) {
        return !std::isalpha(static_cast<unsigned char>(c)) && c != '-';
      })) {
    return field;
  }
  // fatih/camelcase.Split: runs of lower, upper and other characters; the last letter of an
  // upper-case run moves to a following lower-case run ("HTTPServer" → "HTTP", "Server").
  auto cls = [](char c) {
    return std::islower(static_cast<unsigned char>(c))   ? 1
           : std::isupper(static_cast<unsigned char>(c)) ? 2
                                                         : 3;
  };
  std::vector<std::string> runs;
  int last = 0;
  for (char c : field) {
    int k = cls(c);
    if (k == last && !runs.empty()) {
      runs.back() += c;
    } else {
      runs.emplace_back(1, c);
    }
    last = k;
  }
  for (size_t i = 0; i + 1 < runs.size(); ++i) {
    if (cls(runs[i][0]) == 2 && cls(runs[i + 1][0]) == 1) {
      runs[i + 1].insert(runs[i + 1].begin(), runs[i].back());
      runs[i].pop_back();
    }
  }
  static const std::set<std::string> kAcronyms = {"API", "URL", "UID", "OSB", "GUID"};
  std::string out;
  for (std::string part : runs) {
    if (part.empty() || part == "_") {
      continue;
    }
    std::string upper = part;
    for (char& c : upper) {
      c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
    }
    if (kAcronyms.count(upper)) {
      part = upper;
    } else {
      part[0] = static_cast<char>(std::toupper(static_cast<unsigned char>(part[0])));
    }
    if (!out.empty()) {
      out += ' ';
    }
    out += part;
  }
  return out;
}

// Go's %v for a scalar JSON value.
std::string Scalar(const Json& v) {
  if (v.is_null()) {
    return "<nil>";
  }
  return client::FormatCell(v);
}

void PrintContent(std::string& out, int level, const Json& content, const std::string& prefix,
                  const std::set<std::string>& skip) {
  for (auto it = content.begin(); it != content.end(); ++it) {  // sorted keys
    std::string path = prefix + "." + it.key();
    if (skip.count(path)) {
      continue;
    }
    const Json& value = it.value();
    if (value.is_object()) {
      out += Indent(level) + SmartLabel(it.key()) + ":\n";
      PrintContent(out, level + 1, value, path, skip);
    } else if (value.is_array()) {
      out += Indent(level) + SmartLabel(it.key()) + ":\n";
      for (const Json& child : value) {
        if (child.is_object()) {
          PrintContent(out, level + 1, child, path, skip);
        } else {
          out += Indent(level + 1) + Scalar(child) + "\n";
        }
      }
    } else {
      out += Indent(level) + SmartLabel(it.key()) + ":\t" + Scalar(value) + "\n";
    }
  }
}

void PrintLabels(std::string& out, const Json* labels) {
  out += "Labels:\t";
  if (labels == nullptr || !labels->is_object() || labels->empty()) {
    out += "<none>\n";
    return;
  }
  bool first = true;
  for (auto it = labels->begin(); it != labels->end(); ++it) {
    if (!first) {
      out += "\t";
    }
    first = false;
    out += it.key() + "=" + (it.value().is_string() ? it.value().get<std::string>() : "") + "\n";
  }
}

void PrintAnnotations(std::string& out, const Json* annotations) {
  out += "Annotations:\t";
  std::vector<std::pair<std::string, std::string>> entries;
  if (annotations != nullptr && annotations->is_object()) {
    for (auto it = annotations->begin(); it != annotations->end(); ++it) {
      if (it.key() != "kubectl.kubernetes.io/last-applied-configuration") {
        entries.emplace_back(it.key(), it.value().is_string() ? it.value().get<std::string>() : "");
      }
    }
  }
  if (entries.empty()) {
    out += "<none>\n";
    return;
  }
  bool first = true;
  for (auto& [key, raw] : entries) {
    if (!first) {
      out += "\t";
    }
    first = false;
    std::string value = raw;
    if (!value.empty() && value.back() == '\n') {
      value.pop_back();
    }
    if (value.size() + key.size() + 2 > kMaxAnnotationLen ||
        value.find('\n') != std::string::npos) {
      out += key + ":\n";
      size_t start = 0;
      while (true) {
        size_t nl = value.find('\n', start);
        std::string line = value.substr(start, nl == std::string::npos ? nl : nl - start);
        if (line.size() > kMaxAnnotationLen - 2) {
          line = line.substr(0, kMaxAnnotationLen - 2) + "...";
        }
        out += "\t  " + line + "\n";
        if (nl == std::string::npos) {
          break;
        }
        start = nl + 1;
      }
    } else {
      out += key + ": " + value + "\n";
    }
  }
}

std::string Since(const Json* timestamp, SystemTime now) {
  if (timestamp == nullptr || !timestamp->is_string()) {
    return "<unknown>";
  }
  auto t = ParseRfc3339(timestamp->get<std::string>());
  return t.ok() ? HumanDuration(now - *t) : "<unknown>";
}

std::string Str(const Json& obj, std::initializer_list<const char*> path) {
  const Json* v = Field(obj, path);
  return v && v->is_string() ? v->get<std::string>() : "";
}

void PrintEvents(std::string& out, client::Client& client, const Json& object,
                 const client::ResourceInfo& r) {
  client::ResourceInfo events{.group = "",
                              .version = "v1",
                              .plural = "events",
                              .singular = "event",
                              .kind = "Event",
                              .namespaced = true};
  std::string ns = MetaString(object, "namespace");
  std::string selector = "involvedObject.name=" + MetaString(object, "name");
  if (!ns.empty()) {
    selector += ",involvedObject.namespace=" + ns;
  }
  selector += ",involvedObject.kind=" + r.kind + ",involvedObject.uid=" + MetaString(object, "uid");
  auto list = client.List(events, ns, {.field_selector = selector});
  const Json* items = list.ok() ? Field(*list, {"items"}) : nullptr;
  if (items == nullptr || !items->is_array() || items->empty()) {
    out += "Events:\t<none>\n";
    return;
  }
  std::vector<Json> sorted(items->begin(), items->end());
  auto last_seen = [](const Json& e) {
    std::string t = Str(e, {"lastTimestamp"});
    return t.empty() ? Str(e, {"eventTime"}) : t;
  };
  std::stable_sort(sorted.begin(), sorted.end(),
                   [&](const Json& a, const Json& b) { return last_seen(a) < last_seen(b); });
  SystemTime now = std::chrono::system_clock::now();
  out += "Events:\n  Type\tReason\tAge\tFrom\tMessage\n";
  out += "  ----\t------\t----\t----\t-------\n";
  for (const Json& e : sorted) {
    const Json* event_time = Field(e, {"eventTime"});
    bool has_event_time = event_time && event_time->is_string() && !event_time->empty();
    std::string first = Since(has_event_time ? event_time : Field(e, {"firstTimestamp"}), now);
    std::string interval = first;
    const Json* series = Field(e, {"series"});
    const Json* count = Field(e, {"count"});
    if (series && series->is_object()) {
      interval = Since(Field(*series, {"lastObservedTime"}), now) + " (x" +
                 client::FormatCell(series->value("count", Json(0))) + " over " + first + ")";
    } else if (count && count->is_number_integer() && count->get<int64_t>() > 1) {
      interval = Since(Field(e, {"lastTimestamp"}), now) + " (x" +
                 std::to_string(count->get<int64_t>()) + " over " + first + ")";
    }
    std::string source = Str(e, {"source", "component"});
    if (source.empty()) {
      source = Str(e, {"reportingComponent"});
    }
    std::string message = Str(e, {"message"});
    while (!message.empty() && std::isspace(static_cast<unsigned char>(message.back()))) {
      message.pop_back();
    }
    out += "  " + Str(e, {"type"}) + "\t" + Str(e, {"reason"}) + "\t" + interval + "\t" + source +
           "\t" + message + "\n";
  }
}

std::string Describe(client::Client& client, const Json& object, const client::ResourceInfo& r) {
  std::string out;
  out += "Name:\t" + MetaString(object, "name") + "\n";
  out += "Namespace:\t" + MetaString(object, "namespace") + "\n";
  PrintLabels(out, Field(object, {"metadata", "labels"}));
  PrintAnnotations(out, Field(object, {"metadata", "annotations"}));
  static const std::set<std::string> kSkip = {".metadata.managedFields", ".metadata.name",
                                              ".metadata.namespace", ".metadata.labels",
                                              ".metadata.annotations"};
  PrintContent(out, 0, object, "", kSkip);
  PrintEvents(out, client, object, r);
  return client::TabAlign(out, 0, 2);
}

}  // namespace

int RunDescribe(Session& session, const DescribeFlags& flags) {
  if (flags.args.empty()) {
    std::cerr << "You must specify the type of resource to describe. Use \"skiff describe "
                 "--help\" for usage.\nerror: Required resource not specified.\n";
    return 1;
  }
  auto typed = ParseResourceArgs(flags.args);
  if (!typed.ok()) {
    return ReportError(typed.status());
  }
  auto client = session.Client();
  if (!client.ok()) {
    return ReportError(client.status());
  }
  int rc = 0;
  bool first = true;
  auto emit = [&](const std::string& text) {
    std::cout << (first ? "" : "\n\n") << text;
    first = false;
  };
  for (const TypedName& t : *typed) {
    auto r = (*client)->discovery().ResolveResource(t.type);
    if (!r.ok()) {
      rc = ReportError(r.status());
      continue;
    }
    std::string ns = !r->namespaced || flags.all_namespaces ? "" : session.Namespace();
    if (!t.name.empty()) {
      auto obj = (*client)->Get(*r, ns, t.name);
      if (obj.ok()) {
        emit(Describe(**client, *obj, *r));
        continue;
      }
      if (obj.status().code() != StatusCode::kNotFound) {
        rc = ReportError(obj.status());
        continue;
      }
      // kubectl falls back to objects whose names start with the given name.
      auto list = (*client)->List(*r, ns, {.label_selector = flags.selector});
      bool found = false;
      if (list.ok() && (*list)["items"].is_array()) {
        for (const Json& item : (*list)["items"]) {
          if (MetaString(item, "name").rfind(t.name, 0) == 0) {
            emit(Describe(**client, item, *r));
            found = true;
          }
        }
      }
      if (!found) {
        rc = ReportError(obj.status());
      }
      continue;
    }
    auto list = (*client)->List(*r, ns, {.label_selector = flags.selector});
    if (!list.ok()) {
      rc = ReportError(list.status());
      continue;
    }
    const Json& items = (*list)["items"];
    if (!items.is_array() || items.empty()) {
      if (r->namespaced && !flags.all_namespaces) {
        std::cerr << "No resources found in " << ns << " namespace.\n";
      } else {
        std::cerr << "No resources found\n";
      }
      continue;
    }
    for (const Json& item : items) {
      emit(Describe(**client, item, *r));
    }
  }
  return rc;
}

}  // namespace skiff::cli
