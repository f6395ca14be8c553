// `skiff get`: server-side Tables printed like kubectl, `-o yaml|json|name`, and `-w` watches.
#include <iostream>
#include <nlohmann/json.hpp>

#include "api/yaml.h"
#include "cli/commands.h"
#include "client/table_printer.h"

namespace skiff::cli {
namespace {

struct TypeRequest {
  client::ResourceInfo resource;
  std::vector<std::string> names;  // empty = list
};

std::vector<std::string> SplitComma(const std::string& s) {
  std::vector<std::string> out;
  size_t start = 0;
  while (start <= s.size()) {
    size_t comma = s.find(',', start);
    std::string part =
        s.substr(start, comma == std::string::npos ? std::string::npos : comma - start);
    if (!part.empty()) {
      out.push_back(part);
    }
    if (comma == std::string::npos) {
      break;
    }
    start = comma + 1;
  }
  return out;
}

void AddRequest(std::vector<TypeRequest>& out, const client::ResourceInfo& r,
                const std::string& name) {
  auto it = std::find_if(out.begin(), out.end(), [&](const TypeRequest& q) {
    return q.resource.group == r.group && q.resource.plural == r.plural;
  });
  if (it == out.end()) {
    out.push_back({r, {}});
    it = out.end() - 1;
  }
  if (!name.empty()) {
    it->names.push_back(name);
  }
}

// Resolves each distinct type once, keeping first-seen order.
StatusOr<std::vector<TypeRequest>> ResolveRequests(client::Client& client,
                                                   const std::vector<TypedName>& typed) {
  std::vector<TypeRequest> out;
  for (const TypedName& t : typed) {
    // kubectl expands categories ("all") before resolving resource names.
    std::vector<client::ResourceInfo> resources;
    if (t.name.empty() && t.type.find('.') == std::string::npos) {
      SKIFF_ASSIGN_OR_RETURN(resources, client.discovery().ResolveCategory(t.type));
    }
    if (resources.empty()) {
      SKIFF_ASSIGN_OR_RETURN(client::ResourceInfo r, client.discovery().ResolveResource(t.type));
      resources.push_back(std::move(r));
    }
    for (const client::ResourceInfo& r : resources) {
      AddRequest(out, r, t.name);
    }
  }
  return out;
}

std::string NamespaceFor(const client::ResourceInfo& r, const GetFlags& flags, Session& session) {
  if (!r.namespaced || flags.all_namespaces) {
    return "";
  }
  return session.Namespace();
}

// Fills in apiVersion/kind that list items may omit, as kubectl's typed decoding does.
void SetTypeMeta(Json& item, const client::ResourceInfo& r) {
  if (!item.is_object()) {
    return;
  }
  if (!item.contains("apiVersion")) {
    item["apiVersion"] = r.GroupVersion();
  }
  if (!item.contains("kind")) {
    item["kind"] = r.kind;
  }
}

Json AsTable(Json reply) {
  if (reply.is_object() && reply.value("kind", "") == "Table") {
    return reply;
  }
  return client::TableFromObjects(reply, std::chrono::system_clock::now());
}

// Prints a table for one type; returns whether any row was printed.
bool PrintTable(const Json& table, const client::TablePrintOptions& options,
                client::TabWriter& writer, bool separate) {
  std::vector<client::TextRow> rows = client::TableBody(table, options);
  if (rows.empty()) {
    return false;
  }
  if (separate) {
    std::cout << "\n";
  }
  if (!options.no_headers) {
    rows.insert(rows.begin(), client::TableHeader(table, options));
  }
  std::cout << writer.Format(rows) << std::flush;
  return true;
}

int Watch(Session& session, client::Client& client, const TypeRequest& req, const GetFlags& flags,
          OutputFormat format) {
  if (req.names.size() > 1) {
    return ReportError(InvalidArgument(
        "watch is only supported on individual resources and resource collections, but " +
        std::to_string(req.names.size()) + " resources were found"));
  }
  std::string ns = NamespaceFor(req.resource, flags, session);
  bool table_mode = format == OutputFormat::kTable || format == OutputFormat::kWide;
  client::ListOptions list{.label_selector = flags.selector,
                           .field_selector = flags.field_selector,
                           .as_table = table_mode};
  if (!req.names.empty()) {
    list.field_selector = "metadata.name=" + req.names[0];
  }
  auto initial = client.List(req.resource, ns, list);
  if (!initial.ok()) {
    return ReportError(initial.status());
  }
  client::TablePrintOptions print{.wide = format == OutputFormat::kWide,
                                  .with_namespace = flags.all_namespaces && req.resource.namespaced,
                                  .show_labels = flags.show_labels,
                                  .no_headers = flags.no_headers};
  client::TabWriter writer;
  Json columns;
  bool headers_printed = false;
  bool first_object = true;
  auto emit = [&](Json table) {
    if (table_mode) {
      table = AsTable(std::move(table));
      if (table.contains("columnDefinitions") && !table["columnDefinitions"].empty()) {
        columns = table["columnDefinitions"];
      } else {
        table["columnDefinitions"] = columns;
      }
      client::TablePrintOptions opts = print;
      opts.no_headers = print.no_headers || headers_printed;
      if (PrintTable(table, opts, writer, false)) {
        headers_printed = true;
      }
      return;
    }
    auto print_one = [&](const Json& obj) {
      if (format == OutputFormat::kYaml && !first_object) {
        std::cout << "---\n";
      }
      first_object = false;
      PrintObject(std::cout, obj, format, req.resource);
      std::cout << std::flush;
    };
    if (table.contains("items") && table["items"].is_array()) {
      for (Json& item : table["items"]) {
        SetTypeMeta(item, req.resource);
        print_one(item);
      }
    } else {
      print_one(table);
    }
  };
  std::string rv = MetaString(*initial, "resourceVersion");
  emit(*initial);
  if (table_mode && !headers_printed && !flags.all_namespaces && req.resource.namespaced) {
    std::cerr << "No resources found in " << ns << " namespace.\n";
  }
  client::WatchOptions watch{.resource_version = rv,
                             .label_selector = list.label_selector,
                             .field_selector = list.field_selector,
                             .as_table = table_mode};
  Status st = client.Watch(req.resource, ns, watch, [&](const client::WatchEvent& event) {
    if (event.type == "BOOKMARK") {
      return true;
    }
    emit(*event.object);
    return true;
  });
  return st.ok() ? 0 : ReportError(st);
}

}  // namespace

StatusOr<std::vector<ObjectRef>> ResolveObjects(Session& session, client::Client& client,
                                                const std::vector<TypedName>& typed, bool all,
                                                const std::string& selector, bool all_namespaces,
                                                std::string_view missing_name_message) {
  std::vector<ObjectRef> out;
  for (const TypedName& t : typed) {
    SKIFF_ASSIGN_OR_RETURN(client::ResourceInfo r, client.discovery().ResolveResource(t.type));
    if (!t.name.empty()) {
      out.push_back({r, r.namespaced ? session.Namespace() : "", t.name});
      continue;
    }
    if (!all && selector.empty()) return InvalidArgument(std::string(missing_name_message));
    std::string ns = r.namespaced && !all_namespaces ? session.Namespace() : "";
    SKIFF_ASSIGN_OR_RETURN(Json list, client.List(r, ns, {.label_selector = selector}));
    for (const Json& item : list["items"]) {
      out.push_back({r, r.namespaced ? MetaString(item, "namespace") : "", MetaString(item, "name")});
    }
  }
  return out;
}

StatusOr<std::vector<TypedName>> ParseResourceArgs(const std::vector<std::string>& args) {
  std::vector<TypedName> out;
  if (args.empty()) {
    return out;
  }
  if (args[0].find('/') != std::string::npos) {
    for (const std::string& a : args) {
      size_t slash = a.find('/');
      if (slash == std::string::npos) {
        return InvalidArgument(
            "there is no need to specify a resource type as a separate argument when passing "
            "arguments in resource/name form (e.g. 'skiff get resource/<resource_name>' instead "
            "of 'skiff get resource resource/<resource_name>'");
      }
      if (slash == 0 || slash + 1 == a.size()) {
        return InvalidArgument(
            "arguments in resource/name form must have a single resource and "
            "name");
      }
      out.push_back({a.substr(0, slash), a.substr(slash + 1)});
    }
    return out;
  }
  std::vector<std::string> types = SplitComma(args[0]);
  for (size_t i = 1; i < args.size(); ++i) {
    if (args[i].find('/') != std::string::npos) {
      return InvalidArgument(
          "there is no need to specify a resource type as a separate argument when passing "
          "arguments in resource/name form (e.g. 'skiff get resource/<resource_name>' instead of "
          "'skiff get resource resource/<resource_name>'");
    }
  }
  for (const std::string& type : types) {
    if (args.size() == 1) {
      out.push_back({type, ""});
    }
    for (size_t i = 1; i < args.size(); ++i) {
      out.push_back({type, args[i]});
    }
  }
  return out;
}

int RunGet(Session& session, const GetFlags& flags) {
  auto format = ParseOutputFormat(flags.output);
  if (!format.ok()) {
    return ReportError(format.status());
  }
  if (flags.args.empty()) {
    std::cerr << "You must specify the type of resource to get. Use \"skiff get --help\" for "
                 "usage.\nerror: Required resource not specified.\n";
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
  auto requests = ResolveRequests(**client, *typed);
  if (!requests.ok()) {
    return ReportError(requests.status());
  }
  if (flags.watch) {
    if (requests->size() != 1) {
      return ReportError(InvalidArgument(
          "watch is only supported on individual resources and resource collections, but " +
          std::to_string(requests->size()) + " resources were found"));
    }
    return Watch(session, **client, requests->front(), flags, *format);
  }

  bool table_mode = *format == OutputFormat::kTable || *format == OutputFormat::kWide;
  bool any_error = false;
  bool printed = false;
  bool all_namespaced = !flags.all_namespaces;
  std::vector<Json> objects;
  std::vector<client::ResourceInfo> object_types;
  bool single_item_implied = requests->size() == 1 && requests->front().names.size() == 1;
  client::TabWriter writer;
  for (const TypeRequest& req : *requests) {
    const client::ResourceInfo& r = req.resource;
    all_namespaced = all_namespaced && r.namespaced;
    std::string ns = NamespaceFor(r, flags, session);
    Json collected;  // one Table (table mode) or a list of objects
    if (req.names.empty()) {
      client::ListOptions list{.label_selector = flags.selector,
                               .field_selector = flags.field_selector,
                               .as_table = table_mode};
      auto reply = (*client)->List(r, ns, list);
      if (!reply.ok()) {
        ReportError(reply.status());
        any_error = true;
        continue;
      }
      collected = table_mode ? AsTable(*std::move(reply)) : *std::move(reply);
    } else {
      for (const std::string& name : req.names) {
        auto reply = (*client)->Get(r, ns, name, {.subresource = "", .as_table = table_mode});
        if (!reply.ok()) {
          ReportError(reply.status());
          any_error = true;
          continue;
        }
        if (!table_mode) {
          if (collected.is_null()) {
            collected = {{"items", Json::array()}};
          }
          collected["items"].push_back(*std::move(reply));
          continue;
        }
        Json table = AsTable(*std::move(reply));
        if (collected.is_null()) {
          collected = std::move(table);
        } else if (table.contains("rows")) {
          for (Json& row : table["rows"]) {
            collected["rows"].push_back(std::move(row));
          }
        }
      }
      if (collected.is_null()) {
        continue;
      }
    }
    if (table_mode) {
      client::TablePrintOptions print{.wide = *format == OutputFormat::kWide,
                                      .with_namespace = flags.all_namespaces && r.namespaced,
                                      .show_labels = flags.show_labels,
                                      .no_headers = flags.no_headers,
                                      .kind_prefix = requests->size() > 1 ? r.KindPrefix() : ""};
      // kubectl resets remembered widths for each resource type's table.
      writer.Reset();
      if (PrintTable(collected, print, writer, printed && !flags.no_headers)) {
        printed = true;
      }
      continue;
    }
    if (collected.contains("items") && collected["items"].is_array()) {
      for (Json& item : collected["items"]) {
        SetTypeMeta(item, r);
        objects.push_back(std::move(item));
        object_types.push_back(r);
      }
    }
  }

  if (table_mode) {
    if (!printed && !any_error) {
      if (all_namespaced) {
        std::cerr << "No resources found in " << session.Namespace() << " namespace.\n";
      } else {
        std::cerr << "No resources found\n";
      }
    }
    return any_error ? 1 : 0;
  }
  if (*format == OutputFormat::kName) {
    for (size_t i = 0; i < objects.size(); ++i) {
      std::cout << NameOf(object_types[i], MetaString(objects[i], "name")) << "\n";
    }
  } else if (single_item_implied && objects.size() == 1) {
    PrintObject(std::cout, objects[0], *format, object_types[0]);
  } else if (!(single_item_implied && any_error)) {
    PrintObject(std::cout, WrapInList(std::move(objects)), *format, requests->front().resource);
  }
  return any_error ? 1 : 0;
}

}  // namespace skiff::cli
