// The `skiff` command: parses flags with CLI11 (the only place its exceptions are caught) and
// dispatches to the daemon subcommands (up, kubeconfig) and the kubectl-like verbs.
#include <CLI/CLI.hpp>
#include <iostream>

#include "cli/commands.h"
#include "cli/server_commands.h"
#include "gateway/gateway_main.h"

namespace skiff::cli {
namespace {

struct Flags {
  GlobalOptions global;
  UpOptions up;
  ControllersOptions controllers;
  NodeOptions node;
  std::string kubeconfig_data_dir;
  ApplyFlags apply;
  GetFlags get;
  DescribeFlags describe;
  DeleteFlags del;
  WaitFlags wait;
  LogsFlags logs;
  VersionFlags version;
  std::string apply_dry_run = "none";
};

// kubectl accepts its global flags anywhere on the line, so each verb declares them too (bound
// to the same variables) rather than relying on CLI11's fallthrough, which would stop routing
// later positional arguments to the verb.
void AddGlobalFlags(CLI::App* app, GlobalOptions& g) {
  app->add_option("--kubeconfig", g.kubeconfig, "Path to the kubeconfig file to use");
  app->add_option("--context", g.context, "The name of the kubeconfig context to use");
  app->add_option("-n,--namespace", g.namespace_, "The namespace scope for this request");
  app->add_option("-v,--v", g.verbosity, "Log level (6 logs each request)");
}

void AddSelectorFlags(CLI::App* sub, std::string& selector, bool& all_namespaces) {
  sub->add_option("-l,--selector", selector,
                  "Label selector to filter on, e.g. -l key1=value1,key2=value2");
  sub->add_flag("-A,--all-namespaces", all_namespaces, "Across all namespaces");
}

int Main(int argc, char** argv) {
  // `skiff gateway ...` is the standalone gateway (its own flags: see docs/gateway.md).
  if (argc >= 2 && std::string(argv[1]) == "gateway") {
    return gateway::GatewayMain(argc - 1, argv + 1);
  }
  CLI::App app{
      "skiff: a Kubernetes-native MLOps control plane.\n"
      "`skiff up` runs it locally; the other commands mirror kubectl."};
  app.name("skiff");
  app.require_subcommand(1);
  Flags f;
  AddGlobalFlags(&app, f.global);

  CLI::App* up = app.add_subcommand("up", "Run the control plane locally until interrupted");
  up->add_option("--data-dir", f.up.data_dir,
                 "State directory (default $SKIFF_DATA_DIR or "
                 "~/.local/share/skiff)");
  up->add_option("--listen", f.up.listen, "HOST:PORT for the HTTPS API")->capture_default_str();
  up->add_option("--log-level", f.up.log_level, "trace, debug, info, warn or error")
      ->capture_default_str();

  up->add_flag("!--no-controllers", f.up.controllers, "Do not run the controllers in-process");
  up->add_flag("!--no-node", f.up.node, "Do not run the node agent in-process");
  up->add_option("--node-name", f.up.node_name, "Name of the local Node")->capture_default_str();
  up->add_option("--simulate-gpus", f.up.simulate_gpus,
                 "Declare N extra nvidia.com/gpu devices (queueing tests and demos)");
  up->add_option("--capacity", f.up.capacity, "Extra node capacity name=quantity (repeatable)");
  up->add_option("--image-map", f.up.image_map, "YAML/JSON file mapping images to executables");
  up->add_flag("--no-sandbox", f.up.no_sandbox,
               "Run pods on the host network without namespaces or cgroups");
  up->add_option("--kueue-config", f.up.kueue_config,
                 "Kueue Configuration YAML (config.kueue.x-k8s.io) for the Kueue controllers");
  up->add_option("--gateway-listen", f.up.gateway_listen,
                 "HOST:PORT of the inference gateway; empty = no gateway")
      ->capture_default_str();

  CLI::App* node = app.add_subcommand("node", "Run the local node agent against an API server");
  node->add_option("--kubeconfig", f.node.kubeconfig, "Path to the kubeconfig file");
  node->add_option("--context", f.node.context, "The kubeconfig context to use");
  node->add_option("--data-dir", f.node.data_dir,
                   "State directory (the API server's: pod logs are served from it)");
  node->add_option("--node-name", f.node.node_name, "Name of the Node")->capture_default_str();
  node->add_option("--simulate-gpus", f.node.simulate_gpus,
                   "Declare N extra nvidia.com/gpu devices (queueing tests and demos)");
  node->add_option("--capacity", f.node.capacity, "Extra capacity name=quantity (repeatable)");
  node->add_option("--image-map", f.node.image_map, "YAML/JSON file mapping images to executables");
  node->add_flag("--no-sandbox", f.node.no_sandbox,
                 "Run pods on the host network without namespaces or cgroups");
  node->add_option("--log-level", f.node.log_level, "trace, debug, info, warn or error")
      ->capture_default_str();

  CLI::App* ctrl = app.add_subcommand(
      "controllers", "Run every controller against any API server (skiff's or a cluster's)");
  ctrl->add_option("--kubeconfig", f.controllers.kubeconfig, "Path to the kubeconfig file");
  ctrl->add_option("--context", f.controllers.context, "The kubeconfig context to use");
  ctrl->add_option("--leader-elect", f.controllers.leader_elect,
                   "Use a Lease so that only one copy acts")
      ->capture_default_str();
  ctrl->add_option("--leader-elect-namespace", f.controllers.election_namespace,
                   "Namespace of the election Lease")
      ->capture_default_str();
  ctrl->add_option("--leader-elect-identity", f.controllers.identity,
                   "This copy's identity (default: hostname_random)");
  ctrl->add_option("--leader-elect-lease-duration", f.controllers.lease_duration_s,
                   "Lease duration in seconds")
      ->capture_default_str();
  ctrl->add_option("--controllers", f.controllers.only, "Run only these controllers")
      ->delimiter(',');
  ctrl->add_option("--log-level", f.controllers.log_level, "trace, debug, info, warn or error")
      ->capture_default_str();

  CLI::App* kubeconfig = app.add_subcommand("kubeconfig", "Print the kubeconfig `skiff up` wrote");
  kubeconfig->add_option("--data-dir", f.kubeconfig_data_dir, "State directory");

  CLI::App* apply = app.add_subcommand("apply", "Apply a configuration to resources by file");
  apply->add_option("-f,--filename", f.apply.filenames, "Files, directories or - for stdin");
  apply->add_flag("-R,--recursive", f.apply.recursive, "Process directories recursively");
  apply->add_flag("--server-side", f.apply.server_side, "Apply on the server (field ownership)");
  apply->add_flag("--force-conflicts", f.apply.force_conflicts,
                  "With --server-side, take ownership of conflicting fields");
  apply->add_option("--field-manager", f.apply.field_manager, "Name of the field manager");
  apply->add_option("--dry-run", f.apply_dry_run, "none or server");

  CLI::App* get = app.add_subcommand("get", "Display one or many resources");
  get->add_option("args", f.get.args, "TYPE[,TYPE] [NAME...] or TYPE/NAME...");
  get->add_option("-o,--output", f.get.output, "wide, yaml, json or name");
  get->add_flag("-w,--watch", f.get.watch, "Watch for changes after listing");
  get->add_option("--field-selector", f.get.field_selector, "Field selector, e.g. metadata.name=x");
  get->add_flag("--show-labels", f.get.show_labels, "Show all labels as the last column");
  get->add_flag("--no-headers", f.get.no_headers, "Don't print headers");
  AddSelectorFlags(get, f.get.selector, f.get.all_namespaces);

  CLI::App* describe = app.add_subcommand("describe", "Show details of a resource");
  describe->add_option("args", f.describe.args, "TYPE [NAME...] or TYPE/NAME");
  AddSelectorFlags(describe, f.describe.selector, f.describe.all_namespaces);

  CLI::App* del = app.add_subcommand("delete", "Delete resources by name, selector or file");
  del->add_option("args", f.del.args, "TYPE NAME... or TYPE/NAME...");
  del->add_option("-f,--filename", f.del.filenames, "Files, directories or - for stdin");
  del->add_flag("-R,--recursive", f.del.recursive, "Process directories recursively");
  del->add_flag("--all", f.del.all, "Delete all resources of the type in the namespace");
  AddSelectorFlags(del, f.del.selector, f.del.all_namespaces);
  del->add_option("--cascade", f.del.cascade, "background, foreground or orphan")
      ->capture_default_str();
  del->add_option("--grace-period", f.del.grace_period, "Seconds given to terminate; -1 = default");
  del->add_flag("--now", f.del.now, "Terminate immediately (grace period 1)");
  del->add_flag("--force", f.del.force, "Delete without waiting (grace period 0)");
  del->add_flag("--wait", f.del.wait, "Wait for the resources to be gone")->capture_default_str();
  del->add_option("--timeout", f.del.timeout, "How long --wait waits; 0s = a week");
  del->add_flag("--ignore-not-found", f.del.ignore_not_found, "Treat 'not found' as success");

  CLI::App* wait = app.add_subcommand("wait", "Wait for a condition on resources");
  wait->add_option("args", f.wait.args, "TYPE/NAME... or TYPE NAME...");
  wait->add_option("--for", f.wait.for_condition,
                   "condition=Ready[=true], delete, create or jsonpath='{.path}'=value");
  wait->add_option("--timeout", f.wait.timeout, "How long to wait, e.g. 30s, 5m")
      ->capture_default_str();
  wait->add_flag("--all", f.wait.all, "Wait on every resource of the type");
  AddSelectorFlags(wait, f.wait.selector, f.wait.all_namespaces);

  CLI::App* logs = app.add_subcommand("logs", "Print the logs of a container in a pod");
  logs->add_option("args", f.logs.args, "POD [CONTAINER] or pod/POD");
  logs->add_option("-c,--container", f.logs.container, "Container name");
  logs->add_flag("-f,--follow", f.logs.follow, "Stream the logs");
  logs->add_option("--tail", f.logs.tail, "Lines of recent log to show; -1 = all");
  logs->add_flag("--timestamps", f.logs.timestamps, "Prefix each line with its timestamp");
  logs->add_flag("-p,--previous", f.logs.previous, "The previous instance of the container");
  logs->add_option("--since", f.logs.since, "Only logs newer than this duration, e.g. 10s");

  CLI::App* queue = app.add_subcommand("queue", "Kueue: queues and pending workloads");
  CLI::App* queue_status =
      queue->add_subcommand("status", "Per-queue usage, borrowing and every pending workload's "
                                      "position and reason");
  queue->require_subcommand(1);

  CLI::App* version = app.add_subcommand("version", "Print the client and server versions");
  version->add_flag("--client", f.version.client_only, "Client version only");
  version->add_option("-o,--output", f.version.output, "yaml or json");

  for (CLI::App* verb : {apply, get, describe, del, wait, logs, version, queue_status}) {
    AddGlobalFlags(verb, f.global);
  }

  try {
    app.parse(argc, argv);
  } catch (const CLI::CallForHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForAllHelp& e) {
    return app.exit(e);
  } catch (const CLI::ParseError& e) {
    std::string where = "skiff";
    for (const CLI::App* sub : app.get_subcommands()) {
      where += " " + sub->get_name();
    }
    std::cerr << "error: " << e.what() << "\nSee '" << where << " --help' for usage.\n";
    return 1;
  }

  if (node->parsed()) {
    return RunNode(f.node);
  }
  if (ctrl->parsed()) {
    return RunControllers(f.controllers);
  }
  if (up->parsed()) {
    return RunUp(f.up);
  }
  if (kubeconfig->parsed()) {
    return RunKubeconfig(f.kubeconfig_data_dir.empty() ? DefaultDataDir() : f.kubeconfig_data_dir);
  }
  Session session(f.global);
  if (apply->parsed()) {
    if (f.apply_dry_run == "server") {
      f.apply.dry_run_server = true;
    } else if (f.apply_dry_run != "none") {
      std::cerr << "error: Invalid dry-run value (" << f.apply_dry_run
                << "). Must be \"none\" or \"server\".\n";
      return 1;
    }
    return RunApply(session, f.apply);
  }
  if (get->parsed()) return RunGet(session, f.get);
  if (describe->parsed()) return RunDescribe(session, f.describe);
  if (del->parsed()) return RunDelete(session, f.del);
  if (wait->parsed()) return RunWait(session, f.wait);
  if (queue_status->parsed()) return RunQueueStatus(session);
  if (logs->parsed()) return RunLogs(session, f.logs);
  if (version->parsed()) return RunVersion(session, f.version);
  std::cerr << app.help();
  return 1;
}

}  // namespace
}  // namespace skiff::cli

int main(int argc, char** argv) {
  try {
    return skiff::cli::Main(argc, argv);
  } catch (const std::exception& e) {
    // Last resort: nothing below main throws by design; report rather than abort.
    std::cerr << "error: " << e.what() << "\n";
    return 1;
  }
}
