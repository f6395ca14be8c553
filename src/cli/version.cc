// `skiff version`: the client's version and the server's /version, as kubectl prints them.
#include <iostream>
#include <nlohmann/json.hpp>

#include "api/yaml.h"
#include "cli/commands.h"

namespace skiff::cli {

int RunVersion(Session& session, const VersionFlags& flags) {
  if (!flags.output.empty() && flags.output != "json" && flags.output != "yaml") {
    return ReportError(InvalidArgument("--output must be 'yaml' or 'json'"));
  }
  Json client_version = {{"major", "0"},
                         {"minor", "1"},
                         {"gitVersion", std::string(kClientVersion)},
                         {"platform", "linux/amd64"}};
  Json server_version;
  Status server_error;
  if (!flags.client_only) {
    auto client = session.Client();
    if (!client.ok()) {
      server_error = client.status();
    } else {
      auto v = (*client)->ServerVersion();
      if (v.ok()) {
        server_version = *v;
      } else {
        server_error = v.status();
      }
    }
  }
  if (flags.output.empty()) {
    std::cout << "Client Version: " << kClientVersion << "\n";
    if (server_version.is_object()) {
      std::cout << "Server Version: " << server_version.value("gitVersion", "") << "\n";
    }
  } else {
    Json doc = {{"clientVersion", client_version}};
    if (server_version.is_object()) {
      doc["serverVersion"] = server_version;
    }
    if (flags.output == "json") {
      std::cout << doc.dump(2) << "\n";
    } else {
      std::cout << api::ToYaml(doc);
    }
  }
  return server_error.ok() ? 0 : ReportError(server_error);
}

}  // namespace skiff::cli
