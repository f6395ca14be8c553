// `skiff controllers`: every controller against any API server (skiff's or a real cluster's),
// with Lease-based leader election; and the in-process controller manager `skiff up` runs.
#include <signal.h>
#include <spdlog/spdlog.h>

#include <iostream>

#include "cli/controller_set.h"
#include "cli/daemon.h"
#include "cli/server_commands.h"
#include "client/client.h"
#include "client/kubeconfig.h"
#include "controllers/runtime/controller.h"

namespace skiff::cli {

int RunControllers(const ControllersOptions& options) {
  InitDaemonLogging(options.log_level);
  // Block termination signals before any thread starts, then wait for them here.
  sigset_t set = BlockTerminationSignals();

  StatusOr<client::RestConfig> config = Internal("no config");
  if (options.kubeconfig.empty() && std::getenv("KUBERNETES_SERVICE_HOST")) {
    config = client::InClusterConfig();
  } else {
    config = client::LoadKubeconfig(options.kubeconfig, options.context,
                                    DefaultDataDir() + "/kubeconfig");
  }
  if (!config.ok()) {
    std::cerr << "skiff controllers: " << config.status().message() << "\n";
    return 1;
  }
  client::RestClientOptions ro;
  ro.user_agent = "skiff-controller-manager/v0.1.0 (linux/amd64)";
  auto cl = client::Client::FromConfig(*config, ro);
  if (!cl.ok()) {
    std::cerr << "skiff controllers: " << cl.status().message() << "\n";
    return 1;
  }
  controllers::ManagerOptions mo;
  mo.leader_election = options.leader_elect;
  mo.election_namespace = options.election_namespace;
  mo.identity = options.identity;
  if (options.lease_duration_s > 0) {
    mo.lease_duration = std::chrono::seconds(options.lease_duration_s);
    mo.renew_deadline = std::chrono::milliseconds(options.lease_duration_s * 2000 / 3);
    mo.retry_period = std::chrono::milliseconds(std::max(200, options.lease_duration_s * 1000 / 7));
  }
  controllers::Manager manager(cl->get(), mo);
  if (Status s = RegisterControllers(&manager, options.only); !s.ok()) {
    std::cerr << "skiff controllers: " << s.ToString() << "\n";
    return 1;
  }
  if (Status s = manager.Start(); !s.ok()) {
    std::cerr << "skiff controllers: " << s.ToString() << "\n";
    return 1;
  }
  std::cerr << "skiff controllers: running against " << config->server
            << (options.leader_elect ? " (leader election on)" : "") << "\n";
  int sig = WaitForTermination(set);
  spdlog::info("component=controllers received signal {}, shutting down", sig);
  manager.Stop();
  return 0;
}

}  // namespace skiff::cli
