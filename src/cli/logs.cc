// `skiff logs`: resolves the container like kubectl (the default-container annotation, else the
// first one, with a note on stderr), then streams /log.
#include <iostream>
#include <nlohmann/json.hpp>

#include "cli/commands.h"

namespace skiff::cli {

int RunLogs(Session& session, const LogsFlags& flags) {
  if (flags.args.empty() || flags.args.size() > 2) {
    std::cerr << "error: expected POD or TYPE/NAME, and optionally a container name.\nSee "
                 "'skiff logs -h' for help and examples\n";
    return 1;
  }
  std::string pod = flags.args[0];
  if (size_t slash = pod.find('/'); slash != std::string::npos) {
    std::string type = pod.substr(0, slash);
    if (type != "pod" && type != "pods" && type != "po") {
      return ReportError(InvalidArgument("cannot get logs from " + type +
                                         ": only pods are supported by skiff logs"));
    }
    pod = pod.substr(slash + 1);
  }
  std::string container = flags.container;
  if (flags.args.size() == 2) {
    if (!container.empty()) {
      return ReportError(InvalidArgument("only one of -c or an inline [CONTAINER] arg is allowed"));
    }
    container = flags.args[1];
  }
  client::LogOptions options{.container = "",
                             .follow = flags.follow,
                             .tail_lines = std::nullopt,
                             .timestamps = flags.timestamps,
                             .previous = flags.previous,
                             .since_seconds = std::nullopt};
  if (flags.tail >= 0) {
    options.tail_lines = flags.tail;
  }
  if (!flags.since.empty()) {
    auto since = ParseDuration(flags.since);
    if (!since.ok()) {
      return ReportError(since.status());
    }
    options.since_seconds = (since->count() + 999) / 1000;
  }
  auto client = session.Client();
  if (!client.ok()) {
    return ReportError(client.status());
  }
  std::string ns = session.Namespace();
  client::ResourceInfo pods{.group = "",
                            .version = "v1",
                            .plural = "pods",
                            .singular = "pod",
                            .kind = "Pod",
                            .namespaced = true};
  auto object = (*client)->Get(pods, ns, pod);
  if (!object.ok()) {
    return ReportError(object.status());
  }
  if (container.empty()) {
    const Json* annotation =
        Field(*object, {"metadata", "annotations", "kubectl.kubernetes.io/default-container"});
    if (annotation && annotation->is_string()) {
      container = annotation->get<std::string>();
    } else {
      std::vector<std::string> names;
      std::string all;
      auto add = [&](const char* list, const char* suffix) {
        const Json* cs = Field(*object, {"spec", list});
        if (cs == nullptr || !cs->is_array()) {
          return;
        }
        for (const Json& c : *cs) {
          std::string name = c.value("name", "");
          names.push_back(name);
          all += (all.empty() ? "" : ", ") + name + suffix;
        }
      };
      add("containers", "");
      size_t regular = names.size();
      add("initContainers", " (init)");
      add("ephemeralContainers", " (ephem)");
      if (regular > 0) {
        container = names[0];
        if (names.size() > 1) {
          std::cerr << "Defaulted container \"" << container << "\" out of: " << all << "\n";
        }
      }
    }
  }
  options.container = container;
  Status st = (*client)->Logs(ns, pod, options, [](std::string_view line) {
    std::cout << line << "\n" << std::flush;
    return static_cast<bool>(std::cout);
  });
  return st.ok() ? 0 : ReportError(st);
}

}  // namespace skiff::cli
