// `skiff up` and `skiff kubeconfig`: the embedded control plane in one process.
#include <signal.h>
#include <spdlog/spdlog.h>

#include <cstdlib>
#include <functional>
#include <fstream>
#include <iostream>
#include <map>
#include <mutex>
#include <nlohmann/json.hpp>
#include <sstream>

#include "apiserver/apiserver.h"
#include "cli/controller_set.h"
#include "cli/node_agent.h"
#include "node/agent.h"
#include "cli/daemon.h"
#include "cli/isvc_routes.h"
#include "cli/server_commands.h"
#include "client/client.h"
#include "client/informer.h"
#include "client/kubeconfig.h"
#include "base/metrics.h"
#include "controllers/kpa/kpa_controller.h"
#include "controllers/kueue/config.h"
#include "gateway/gateway.h"
#include "controllers/runtime/controller.h"
#include "servicenet/service_network.h"

namespace skiff::cli {

std::string DefaultDataDir() {
  if (const char* d = std::getenv("SKIFF_DATA_DIR"); d && *d) return d;
  if (const char* x = std::getenv("XDG_DATA_HOME"); x && *x) return std::string(x) + "/skiff";
  const char* home = std::getenv("HOME");
  return std::string(home ? home : "/root") + "/.local/share/skiff";
}

// Validates a Kueue Configuration file and stores it where the Kueue controllers read it.
Status StoreKueueConfig(client::Client& cl, const std::string& path) {
  std::ifstream in(path);
  if (!in) return NotFound("cannot read " + path);
  std::stringstream text;
  text << in.rdbuf();
  SKIFF_RETURN_IF_ERROR(controllers::kueue::ParseKueueConfig(text.str()).status());
  SKIFF_ASSIGN_OR_RETURN(client::ResourceInfo ns, cl.discovery().ResolveKind("v1", "Namespace"));
  SKIFF_ASSIGN_OR_RETURN(client::ResourceInfo cm, cl.discovery().ResolveKind("v1", "ConfigMap"));
  Json nso = {{"apiVersion", "v1"}, {"kind", "Namespace"},
              {"metadata", {{"name", controllers::kueue::kConfigNamespace}}}};
  auto r = cl.Create(ns, "", nso);
  if (!r.ok() && r.status().code() != StatusCode::kAlreadyExists) return r.status();
  Json obj = {{"apiVersion", "v1"},
              {"kind", "ConfigMap"},
              {"metadata",
               {{"name", controllers::kueue::kConfigMapName},
                {"namespace", controllers::kueue::kConfigNamespace}}},
              {"data", {{controllers::kueue::kConfigKey, text.str()}}}};
  auto c = cl.Create(cm, controllers::kueue::kConfigNamespace, obj);
  if (c.ok()) return Status::Ok();
  if (c.status().code() != StatusCode::kAlreadyExists) return c.status();
  Json patch = {{"data", obj["data"]}};
  auto u = cl.Patch(cm, controllers::kueue::kConfigNamespace, controllers::kueue::kConfigMapName,
                    DumpJson(patch), client::PatchOptions{});
  return u.ok() ? Status::Ok() : u.status();
}

// Keeps the gateway's routing table in step with InferenceServices and their predictor
// Endpoints (Standard mode), recomputed on every change of either.
Status RouteInferenceServices(controllers::Manager& manager, gateway::Gateway* gw) {
  auto& inf = manager.informers();
  SKIFF_ASSIGN_OR_RETURN(client::Informer * isvcs,
                         inf.ForKind("serving.kserve.io/v1beta1", "InferenceService"));
  SKIFF_ASSIGN_OR_RETURN(client::Informer * endpoints, inf.ForKind("v1", "Endpoints"));
  auto mu = std::make_shared<std::mutex>();
  auto sync = [isvcs, endpoints, gw, mu] {
    std::lock_guard<std::mutex> lock(*mu);
    std::vector<Json> list;
    for (const client::ObjectPtr& o : isvcs->List()) list.push_back(*o);
    std::map<std::string, Json> eps;
    for (const client::ObjectPtr& o : endpoints->List()) {
      eps[(*o)["metadata"].value("namespace", "") + "/" + (*o)["metadata"].value("name", "")] = *o;
    }
    Status s = gw->SetRoutes(IsvcRoutes(list, eps));
    if (!s.ok()) spdlog::warn("component=gateway routes not applied: {}", s.ToString());
  };
  client::EventHandler h;
  h.on_add = [sync](const client::ObjectPtr&) { sync(); };
  h.on_update = [sync](const client::ObjectPtr&, const client::ObjectPtr&) { sync(); };
  h.on_delete = [sync](const client::ObjectPtr&) { sync(); };
  isvcs->AddEventHandler(h);
  endpoints->AddEventHandler(h);
  inf.StartAll();
  sync();
  return Status::Ok();
}

int RunUp(const UpOptions& options) {
  InitDaemonLogging(options.log_level);
  // Block termination signals before any thread starts, then wait for them here.
  sigset_t set = BlockTerminationSignals();

  apiserver::ApiServerOptions o;
  o.data_dir = options.data_dir.empty() ? DefaultDataDir() : options.data_dir;
  o.listen = options.listen;
  // Tuning knob for tests of watch expiry (410); the default keeps 20000 events.
  if (const char* h = std::getenv("SKIFF_WATCH_HISTORY"); h && *h) o.watch_history = std::atoll(h);
  // FULL (default) fsyncs every commit; NORMAL survives kill -9 but not power loss.
  if (const char* s = std::getenv("SKIFF_STORE_SYNC"); s && *s) o.synchronous = s;
  // The in-process Kueue controllers come with Kueue's job webhook.
  o.kueue_webhooks = options.controllers;
  auto server = apiserver::ApiServer::Start(o);
  if (!server.ok()) {
    std::cerr << "skiff up: " << server.status().ToString() << "\n";
    return 1;
  }
  // The controllers talk to the API server over HTTPS like any client (DESIGN.md principle 2),
  // so the same code runs against a real cluster with `skiff controllers`.
  std::unique_ptr<client::Client> cl;
  std::unique_ptr<controllers::Manager> manager;
  if (options.controllers || options.node) {
    auto config = client::LoadKubeconfig((*server)->kubeconfig_path());
    if (config.ok()) {
      client::RestClientOptions ro;
      ro.user_agent = "skiff-controller-manager/v0.1.0 (linux/amd64)";
      ro.max_idle_connections = 32;
      auto c = client::Client::FromConfig(*config, ro);
      if (c.ok()) cl = std::move(*c);
    }
    if (!cl) {
      std::cerr << "skiff up: cannot build the in-process client\n";
      (*server)->Stop();
      return 1;
    }
  }
  if (options.controllers && !options.kueue_config.empty()) {
    Status s = StoreKueueConfig(*cl, options.kueue_config);
    if (!s.ok()) {
      std::cerr << "skiff up: --kueue-config: " << s.ToString() << "\n";
      (*server)->Stop();
      return 1;
    }
  }
  std::shared_ptr<controllers::kpa::KpaHandle> kpa;
  // The inference gateway (:8080 by default): a busy port degrades, it does not stop `skiff up`.
  // Started before the controllers so the autoscaler can read its load and its activator can
  // wake revisions scaled to zero.
  std::unique_ptr<gateway::Gateway> gw;
  int gw_metrics = 0;
  if (!options.gateway_listen.empty()) {
    gateway::GatewayOptions go;
    go.listen = options.gateway_listen;
    go.workers = 1;
    auto g = gateway::Gateway::Start(go);
    if (g.ok()) {
      gw = std::move(*g);
      gateway::Gateway* raw = gw.get();
      gw_metrics = metrics::Register([raw](std::string& out) { out += raw->RenderMetrics(); });
      spdlog::info("component=gateway listening http={}", options.gateway_listen);
    } else {
      spdlog::warn("component=gateway degraded: {} (use --gateway-listen)", g.status().ToString());
    }
  }
  // The autoscaler's sampler reads the gateway: stop it first, on every way out.
  bool gateway_stopped = false;
  auto stop_gateway = [&] {
    if (gateway_stopped) return;
    gateway_stopped = true;
    if (kpa) kpa->Stop();
    if (gw) {
      gw->SetColdCallback(nullptr);
      metrics::Unregister(gw_metrics);
      gw->Stop();
    }
  };
  struct OnExit {
    std::function<void()> f;
    ~OnExit() { f(); }
  } gateway_guard{stop_gateway};
  if (options.controllers) {
    controllers::ManagerOptions mo;
    mo.leader_election = false;  // one process owns the data directory
    manager = std::make_unique<controllers::Manager>(cl.get(), mo);
    Status s = RegisterControllers(manager.get(), {});
    if (s.ok() && gw) {
      // Knative-mode revisions scale on the gateway's measurements.
      gateway::Gateway* raw = gw.get();
      controllers::kpa::KpaOptions ko;
      ko.load = [raw](const std::string& rev) -> std::optional<controllers::kpa::RevisionLoad> {
        std::optional<gateway::RevisionStats> st = raw->RevisionSnapshot(rev);
        if (!st) return std::nullopt;
        return controllers::kpa::RevisionLoad{static_cast<double>(st->concurrency),
                                              st->requests_per_second};
      };
      auto k = controllers::kpa::Register(manager.get(), ko);
      if (k.ok()) {
        kpa = *k;
        raw->SetColdCallback([handle = kpa](const std::string& rev) { handle->Poke(rev); });
      } else {
        s = k.status();
      }
    }
    if (s.ok()) s = manager->Start();
    if (!s.ok()) {
      std::cerr << "skiff up: controllers: " << s.ToString() << "\n";
      (*server)->Stop();
      return 1;
    }
  }
  // Services: ClusterIPs, the cluster DNS and the `kubernetes` Service (kube-proxy's and
  // CoreDNS's part), fed by the controllers' shared informers.
  std::unique_ptr<servicenet::ServiceNetwork> net;
  if (manager) {
    servicenet::ServiceNetworkOptions no;
    no.data_dir = o.data_dir;
    no.apiserver_endpoint = "127.0.0.1:" + std::to_string((*server)->port());
    no.informers = &manager->informers();
    auto n = servicenet::ServiceNetwork::Create(cl.get(), no);
    Status s = n.ok() ? (*n)->Start() : n.status();
    if (!s.ok()) {
      std::cerr << "skiff up: service network: " << s.ToString() << "\n";
      manager->Stop();
      (*server)->Stop();
      return 1;
    }
    net = std::move(*n);
    if (!net->degraded().empty()) {
      spdlog::warn("component=servicenet degraded: {}", net->degraded());
    }
  }
  // The node agent (the kubelet's part): pods bound to this node run as sandboxed processes.
  std::unique_ptr<node::NodeAgent> agent;
  if (options.node) {
    NodeAgentFlags nf{o.data_dir,         options.node_name, options.simulate_gpus,
                      options.capacity,   options.image_map, options.no_sandbox};
    auto a = StartNodeAgent(cl.get(), nf);
    if (!a.ok()) {
      std::cerr << "skiff up: node agent: " << a.status().ToString() << "\n";
      if (net) net->Stop();
      if (manager) manager->Stop();
      (*server)->Stop();
      return 1;
    }
    agent = std::move(*a);
  }
  if (gw && manager) {
    Status s = RouteInferenceServices(*manager, gw.get());
    if (!s.ok()) spdlog::warn("component=gateway no InferenceService routing: {}", s.ToString());
  }
  std::cerr << "skiff is up: " << (*server)->url() << "\n"
            << "  kubeconfig: " << (*server)->kubeconfig_path() << "\n"
            << "  try: KUBECONFIG=" << (*server)->kubeconfig_path() << " kubectl get namespaces\n";
  int sig = WaitForTermination(set);
  spdlog::info("component=skiff received signal {}, shutting down", sig);
  // Pods keep running: the next `skiff up` on this data dir re-adopts them.
  stop_gateway();
  if (agent) agent->Stop();
  if (net) net->Stop();
  if (manager) manager->Stop();
  (*server)->Stop();
  return 0;
}

int RunKubeconfig(const std::string& data_dir) {
  std::string dir = data_dir.empty() ? DefaultDataDir() : data_dir;
  std::ifstream in(dir + "/kubeconfig");
  if (!in) {
    std::cerr << "error: no kubeconfig in " << dir << " (run `skiff up` first)\n";
    return 1;
  }
  std::stringstream ss;
  ss << in.rdbuf();
  std::cout << ss.str();
  return 0;
}

}  // namespace skiff::cli
