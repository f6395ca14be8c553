// Session setup, kubectl-worded errors, manifest reading and `-o` printing for the CLI verbs.
#include "cli/common.h"

#include <algorithm>
#include <cctype>
#include <charconv>
#include <filesystem>
#include <iostream>
#include <iterator>
#include <nlohmann/json.hpp>

#include "api/yaml.h"
#include "cli/server_commands.h"
#include "client/kubeconfig.h"

namespace skiff::cli {
namespace {

bool ContainsNoCase(std::string_view haystack, std::string_view needle) {
  auto it = std::search(haystack.begin(), haystack.end(), needle.begin(), needle.end(),
                        [](char a, char b) { return std::tolower(a) == std::tolower(b); });
  return it != haystack.end();
}

bool HasManifestExtension(const std::filesystem::path& p) {
  std::string ext = p.extension().string();
  return ext == ".json" || ext == ".yaml" || ext == ".yml";
}

Status AppendDocuments(std::string_view text, const std::string& source,
                       std::vector<Manifest>* out) {
  auto docs = api::ParseYamlDocuments(text);
  if (!docs.ok()) {
    return InvalidArgument("error parsing " + source + ": " + docs.status().message());
  }
  for (Json& doc : *docs) {
    if (doc.is_null() || (doc.is_object() && doc.empty())) {
      continue;
    }
    if (!doc.is_object()) {
      return InvalidArgument("error parsing " + source + ": a manifest must be a mapping");
    }
    std::string kind = doc.value("kind", "");
    if (kind.size() >= 4 && kind.compare(kind.size() - 4, 4, "List") == 0 &&
        doc.contains("items") && doc["items"].is_array()) {
      for (Json& item : doc["items"]) {
        out->push_back({std::make_shared<const Json>(std::move(item)), source});
      }
      continue;
    }
    out->push_back({std::make_shared<const Json>(std::move(doc)), source});
  }
  return Status::Ok();
}

Status ReadPath(const std::string& path, bool recursive, bool top_level,
                std::vector<Manifest>* out) {
  namespace fs = std::filesystem;
  std::error_code ec;
  fs::file_status st = fs::status(path, ec);
  if (ec || !fs::exists(st)) {
    return NotFound("the path \"" + path + "\" does not exist");
  }
  if (fs::is_directory(st)) {
    if (!top_level && !recursive) {
      return Status::Ok();
    }
    std::vector<fs::path> entries;
    for (fs::directory_iterator it(path, ec), end; !ec && it != end; it.increment(ec)) {
      entries.push_back(it->path());
    }
    if (ec) {
      return Internal("reading directory " + path + ": " + ec.message());
    }
    std::sort(entries.begin(), entries.end());
    for (const fs::path& entry : entries) {
      std::error_code entry_ec;
      if (fs::is_directory(entry, entry_ec)) {
        if (recursive) {
          SKIFF_RETURN_IF_ERROR(ReadPath(entry.string(), recursive, false, out));
        }
      } else if (HasManifestExtension(entry)) {
        SKIFF_RETURN_IF_ERROR(ReadPath(entry.string(), recursive, false, out));
      }
    }
    return Status::Ok();
  }
  SKIFF_ASSIGN_OR_RETURN(std::string text, client::ReadFileToString(path));
  return AppendDocuments(text, path, out);
}

}  // namespace

StatusOr<client::Client*> Session::Client() {
  if (client_) {
    return client_.get();
  }
  auto config = client::LoadKubeconfig(options_.kubeconfig, options_.context,
                                       DefaultDataDir() + "/kubeconfig");
  if (!config.ok()) {
    return config.status();
  }
  config_namespace_ = config->namespace_;
  client::RestClientOptions rest_options;
  rest_options.user_agent = "skiff/" + std::string(kClientVersion) + " (linux/amd64)";
  rest_options.on_warning = [](std::string_view text) { std::cerr << "Warning: " << text << "\n"; };
  if (options_.verbosity >= 6) {
    std::string server = config->server;
    rest_options.on_response = [server](const client::Request& req, int status) {
      std::string url = server + req.path;
      if (!req.query.empty()) {
        url += "?" + client::EncodeQuery(req.query);
      }
      std::cerr << req.method << " " << url << " " << status << "\n";
    };
  }
  SKIFF_ASSIGN_OR_RETURN(client_, client::Client::FromConfig(*config, std::move(rest_options)));
  return client_.get();
}

std::string Session::Namespace() {
  if (!options_.namespace_.empty()) {
    return options_.namespace_;
  }
  if (!client_) {
    // Loading the kubeconfig is what tells us the context's namespace.
    (void)Client();
  }
  return config_namespace_.empty() ? "default" : config_namespace_;
}

std::string ErrorText(const Status& status) {
  const StatusDetails* d = status.details();
  if (d != nullptr && d->http_code > 0) {
    if (d->reason == "Invalid") {
      std::string s = "The request is invalid";
      if (!d->kind.empty() || !d->name.empty()) {
        s = "The " + d->kind + " \"" + d->name + "\" is invalid";
      } else if (!status.message().empty()) {
        s += ": " + status.message();
      }
      std::vector<std::string> causes;
      for (const StatusCause& c : d->causes) {
        std::string msg = c.field + ": " + c.message;
        if (std::find(causes.begin(), causes.end(), msg) == causes.end()) {
          causes.push_back(std::move(msg));
        }
      }
      if (causes.size() == 1) {
        return s + ": " + causes[0];
      }
      if (causes.size() > 1) {
        s += ": ";
        for (const std::string& c : causes) {
          s += "\n* " + c;
        }
      }
      return s;
    }
    if (!d->reason.empty()) {
      return "Error from server (" + d->reason + "): " + status.message();
    }
    return "Error from server: " + status.message();
  }
  if (status.code() == StatusCode::kUnavailable &&
      ContainsNoCase(status.message(), "connection refused")) {
    std::string host;
    size_t at = status.message().find("dial tcp ");
    if (at != std::string::npos) {
      size_t start = at + 9;
      size_t end = status.message().find(": ", start);
      host = status.message().substr(start, end - start);
    }
    return "The connection to the server " + host +
           " was refused - did you specify the right host or port?";
  }
  if (status.code() == StatusCode::kUnavailable) {
    return "Unable to connect to the server: " + status.message();
  }
  if (status.message().rfind("error: ", 0) == 0) {
    return status.message();
  }
  return "error: " + status.message();
}

int ReportError(const Status& status) {
  std::cerr << ErrorText(status) << "\n";
  return 1;
}

Status AddSourceToError(const Status& status, std::string_view verb, std::string_view source) {
  if (status.ok() || source.empty()) {
    return status;
  }
  std::string message =
      "error when " + std::string(verb) + " \"" + std::string(source) + "\": " + status.message();
  if (status.details() != nullptr) {
    return Status(status.code(), std::move(message), *status.details());
  }
  return Status(status.code(), std::move(message));
}

StatusOr<std::vector<Manifest>> ReadManifests(const std::vector<std::string>& paths,
                                              bool recursive) {
  std::vector<Manifest> out;
  for (const std::string& path : paths) {
    if (path == "-") {
      std::string text((std::istreambuf_iterator<char>(std::cin)),
                       std::istreambuf_iterator<char>());
      SKIFF_RETURN_IF_ERROR(AppendDocuments(text, "STDIN", &out));
      continue;
    }
    SKIFF_RETURN_IF_ERROR(ReadPath(path, recursive, true, &out));
  }
  return out;
}

StatusOr<std::chrono::milliseconds> ParseDuration(std::string_view text) {
  std::string_view s = text;
  if (s.empty()) {
    return InvalidArgument("invalid duration \"\"");
  }
  bool all_digits = std::all_of(s.begin(), s.end(), [](char c) { return std::isdigit(c); });
  if (all_digits) {
    int64_t seconds = 0;
    auto [ptr, ec] = std::from_chars(s.data(), s.data() + s.size(), seconds);
    if (ec != std::errc() || seconds > (int64_t{1} << 40)) {
      return InvalidArgument("invalid duration \"" + std::string(text) + "\"");
    }
    return std::chrono::milliseconds(seconds * 1000);
  }
  double total_ms = 0;
  while (!s.empty()) {
    size_t i = 0;
    while (i < s.size() && (std::isdigit(static_cast<unsigned char>(s[i])) || s[i] == '.')) {
      ++i;
    }
    if (i == 0) {
      return InvalidArgument("invalid duration \"" + std::string(text) + "\"");
    }
    double value = std::atof(std::string(s.substr(0, i)).c_str());
    s.remove_prefix(i);
    size_t j = 0;
    while (j < s.size() && !std::isdigit(static_cast<unsigned char>(s[j])) && s[j] != '.') {
      ++j;
    }
    std::string unit(s.substr(0, j));
    s.remove_prefix(j);
    double scale;
    if (unit == "h") {
      scale = 3600e3;
    } else if (unit == "m") {
      scale = 60e3;
    } else if (unit == "s") {
      scale = 1e3;
    } else if (unit == "ms") {
      scale = 1;
    } else if (unit == "us" || unit == "\xC2\xB5s") {
      scale = 1e-3;
    } else if (unit == "ns") {
      scale = 1e-6;
    } else {
      return InvalidArgument("invalid duration \"" + std::string(text) + "\"");
    }
    total_ms += value * scale;
  }
  return std::chrono::milliseconds(static_cast<int64_t>(total_ms));
}

StatusOr<OutputFormat> ParseOutputFormat(std::string_view text) {
  if (text.empty()) return OutputFormat::kTable;
  if (text == "wide") return OutputFormat::kWide;
  if (text == "yaml") return OutputFormat::kYaml;
  if (text == "json") return OutputFormat::kJson;
  if (text == "name") return OutputFormat::kName;
  return InvalidArgument("unable to match a printer suitable for the output format \"" +
                         std::string(text) + "\", allowed formats are: json,name,wide,yaml");
}

std::string NameOf(const client::ResourceInfo& resource, std::string_view name) {
  return resource.KindPrefix() + "/" + std::string(name);
}

Json WrapInList(std::vector<Json> items) {
  Json list = {{"apiVersion", "v1"},
               {"kind", "List"},
               {"items", Json::array()},
               {"metadata", {{"resourceVersion", ""}}}};
  for (Json& item : items) {
    list["items"].push_back(std::move(item));
  }
  return list;
}

void PrintObject(std::ostream& out, const Json& object, OutputFormat format,
                 const client::ResourceInfo& resource) {
  Json copy = object;
  // kubectl hides managedFields unless --show-managed-fields.
  auto strip = [](Json& obj) {
    if (obj.is_object() && obj.contains("metadata") && obj["metadata"].is_object()) {
      obj["metadata"].erase("managedFields");
    }
  };
  strip(copy);
  if (copy.contains("items") && copy["items"].is_array()) {
    for (Json& item : copy["items"]) {
      strip(item);
    }
  }
  switch (format) {
    case OutputFormat::kYaml:
      out << api::ToYaml(copy);
      break;
    case OutputFormat::kJson:
      out << copy.dump(4, ' ', false, Json::error_handler_t::replace) << "\n";
      break;
    case OutputFormat::kName:
      if (copy.contains("items") && copy["items"].is_array()) {
        for (const Json& item : copy["items"]) {
          out << NameOf(resource, MetaString(item, "name")) << "\n";
        }
      } else {
        out << NameOf(resource, MetaString(copy, "name")) << "\n";
      }
      break;
    case OutputFormat::kTable:
    case OutputFormat::kWide:
      break;
  }
}

const Json* Field(const Json& object, std::initializer_list<const char*> path) {
  const Json* cur = &object;
  for (const char* key : path) {
    if (!cur->is_object()) {
      return nullptr;
    }
    auto it = cur->find(key);
    if (it == cur->end()) {
      return nullptr;
    }
    cur = &*it;
  }
  return cur;
}

std::string MetaString(const Json& object, const char* key) {
  const Json* v = Field(object, {"metadata", key});
  if (v == nullptr) {
    return "";
  }
  if (v->is_string()) {
    return v->get<std::string>();
  }
  if (v->is_number_integer()) {
    return std::to_string(v->get<int64_t>());
  }
  return "";
}

}  // namespace skiff::cli
