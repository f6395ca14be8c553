// ServiceNetwork: informer events mark services dirty; one sync worker rebuilds their records,
// publishes a new table snapshot (read by DNS), and converges the ClusterIP addresses and the
// proxy listeners to it.
#include "servicenet/service_network.h"

#include <spdlog/spdlog.h>

#include <condition_variable>
#include <filesystem>
#include <fstream>
#include <map>
#include <mutex>
#include <nlohmann/json.hpp>
#include <set>
#include <sstream>
#include <thread>

#include "client/client.h"
#include "client/informer.h"
#include "servicenet/dns_server.h"
#include "servicenet/host_network.h"

namespace skiff::servicenet {
namespace {

namespace fs = std::filesystem;

std::string ListenerKey(const ServiceRecord& r, const ServicePort& p) {
  return r.ns + "/" + r.name + "/" + p.name + "/" + p.protocol;
}

std::string ModeName(NetworkMode m) {
  switch (m) {
    case NetworkMode::kHost:
      return "host";
    case NetworkMode::kLoopback:
      return "loopback";
    default:
      return "auto";
  }
}

std::set<std::string> ReadLines(const fs::path& path) {
  std::set<std::string> out;
  std::ifstream in(path);
  for (std::string line; std::getline(in, line);) {
    if (!line.empty()) out.insert(line);
  }
  return out;
}

void WriteFileAtomically(const fs::path& path, const std::string& content) {
  std::error_code ec;
  fs::create_directories(path.parent_path(), ec);
  fs::path tmp = path;
  tmp += ".tmp";
  {
    std::ofstream out(tmp, std::ios::trunc);
    out << content;
  }
  fs::rename(tmp, path, ec);
}

}  // namespace

struct ServiceNetwork::Impl {
  Impl(client::Client* c, ServiceNetworkOptions o) : client(c), options(std::move(o)) {}

  // What informer handlers hold instead of `this`: a shared informer factory outlives us and
  // cannot drop handlers, so Stop() cuts the link.
  struct Link {
    std::mutex mu;
    Impl* impl = nullptr;  // guarded by mu
  };
  std::shared_ptr<Link> link = std::make_shared<Link>();

  client::Client* client;
  ServiceNetworkOptions options;
  std::unique_ptr<client::InformerFactory> own_informers;
  client::Informer* services = nullptr;
  client::Informer* endpoints = nullptr;
  std::unique_ptr<ServiceProxy> proxy;
  std::unique_ptr<DnsServer> dns;
  std::thread worker;
  NetworkMode mode = NetworkMode::kAuto;  // effective; set in Start before threads begin

  mutable std::mutex mu;
  std::condition_variable wake;     // the worker: dirty keys or stop
  std::condition_variable applied;  // WaitUntil callers
  std::set<std::string> dirty;      // guarded by mu
  bool stopping = false;            // guarded by mu
  bool started = false;             // guarded by mu
  uint64_t passes = 0;              // completed sync passes; guarded by mu
  uint64_t requested = 0;           // WaitForSync requests issued; guarded by mu
  uint64_t completed = 0;           // requests covered by a finished pass; guarded by mu
  std::shared_ptr<const ServiceTable> table = std::make_shared<ServiceTable>();  // guarded by mu
  std::map<std::string, int> local_ports;  // listener key -> loopback port; guarded by mu
  std::map<std::string, std::string> listener_errors;  // key -> why; guarded by mu
  std::string dns_error;                               // guarded by mu
  bool kubernetes_service_done = false;                // worker only

  // Worker-only state.
  ServiceTable::Map records;
  std::set<std::string> owned_ips;  // ClusterIPs this instance put on the interface

  fs::path StateDir() const { return fs::path(options.data_dir) / "servicenet"; }

  void MarkDirty(const client::ObjectPtr& obj) {
    std::string key = client::KeyOf(*obj);
    std::lock_guard<std::mutex> lock(mu);
    dirty.insert(std::move(key));
    wake.notify_one();
  }

  Status SetUpInformers() {
    client::InformerFactory* f = options.informers;
    if (!f) {
      own_informers = std::make_unique<client::InformerFactory>(client);
      f = own_informers.get();
    }
    SKIFF_ASSIGN_OR_RETURN(services, f->ForKind("v1", "Service"));
    SKIFF_ASSIGN_OR_RETURN(endpoints, f->ForKind("v1", "Endpoints"));
    {
      std::lock_guard<std::mutex> lock(link->mu);
      link->impl = this;
    }
    auto mark = [l = link](const client::ObjectPtr& o) {
      std::lock_guard<std::mutex> lock(l->mu);
      if (l->impl) l->impl->MarkDirty(o);
    };
    client::EventHandler h;
    h.on_add = mark;
    h.on_update = [mark](const client::ObjectPtr&, const client::ObjectPtr& o) { mark(o); };
    h.on_delete = mark;
    services->AddEventHandler(h);
    endpoints->AddEventHandler(h);
    return Status::Ok();
  }

  Status SetUpHostNetwork() {
    SKIFF_RETURN_IF_ERROR(HostNetwork::EnsureBridge(options.bridge, options.bridge_cidr));
    SKIFF_RETURN_IF_ERROR(HostNetwork::EnsureAddressInterface(options.service_interface));
    return Status::Ok();
  }

  void StartDns() {
    std::string listen = options.dns_listen;
    if (listen.empty()) {
      listen = mode == NetworkMode::kHost
                   ? options.bridge_cidr.substr(0, options.bridge_cidr.find('/')) + ":53"
                   : "127.0.0.1:0";
    }
    auto server = DnsServer::Start({.listen = listen}, [this](std::string_view msg, bool tcp) {
      std::shared_ptr<const ServiceTable> snapshot;
      {
        std::lock_guard<std::mutex> lock(mu);
        snapshot = table;
      }
      return AnswerDnsMessage(*snapshot, msg, tcp, options.dns);
    });
    std::lock_guard<std::mutex> lock(mu);
    if (!server.ok()) {
      dns_error = server.status().ToString();
      spdlog::warn("component=servicenet dns disabled: {}", dns_error);
      return;
    }
    dns = std::move(*server);
    spdlog::info("component=servicenet dns listening on {} (udp+tcp) zone={}", dns->address(),
                 options.dns.domain);
    if (!options.data_dir.empty())
      WriteFileAtomically(StateDir() / "dns-address", dns->address() + "\n");
  }

  bool Stopping() {
    std::lock_guard<std::mutex> lock(mu);
    return stopping;
  }

  void Run() {
    // Converging before the caches are full would withdraw ClusterIPs of services not yet seen.
    while (!services->WaitForSync(std::chrono::milliseconds(200)) ||
           !endpoints->WaitForSync(std::chrono::milliseconds(200))) {
      if (Stopping()) return;
    }
    {
      std::lock_guard<std::mutex> lock(mu);
      dirty.insert("");  // one pass even with no Services: removes stale addresses
    }
    for (;;) {
      std::set<std::string> keys;
      uint64_t request;
      {
        std::unique_lock<std::mutex> lock(mu);
        wake.wait(lock, [&] { return stopping || !dirty.empty(); });
        if (stopping) return;
        keys.swap(dirty);
        request = requested;
      }
      try {
        SyncPass(keys);
      } catch (const std::exception& e) {
        spdlog::error("component=servicenet sync error: {}", e.what());
      }
      std::lock_guard<std::mutex> lock(mu);
      ++passes;
      completed = request;
      applied.notify_all();
    }
  }

  void SyncPass(const std::set<std::string>& keys) {
    for (const auto& key : keys) {
      if (key.empty()) continue;
      auto [ns, name] = client::SplitObjectKey(key);
      client::ObjectPtr svc = services->Get(ns, name);
      if (!svc) {
        records.erase(key);
        continue;
      }
      client::ObjectPtr ep = endpoints->Get(ns, name);
      records[key] = std::make_shared<const ServiceRecord>(ParseServiceRecord(*svc, ep.get()));
    }
    auto snapshot = std::make_shared<const ServiceTable>(records);
    {
      std::lock_guard<std::mutex> lock(mu);
      table = snapshot;
    }
    if (mode == NetworkMode::kHost) SyncAddresses(*snapshot);
    SyncProxy(*snapshot);
    if (!options.apiserver_endpoint.empty() && !kubernetes_service_done) {
      Status s = EnsureKubernetesService();
      if (s.ok()) {
        kubernetes_service_done = true;
      } else {
        spdlog::warn("component=servicenet default/kubernetes service: {}", s.ToString());
      }
    }
  }

  static bool Proxied(const ServiceRecord& r) {
    return !r.headless && !r.cluster_ip.empty() && r.type != "ExternalName";
  }

  void SyncAddresses(const ServiceTable& snapshot) {
    std::set<std::string> want;
    for (const auto& [key, r] : snapshot.records()) {
      if (Proxied(*r)) want.insert(r->cluster_ip);
    }
    bool changed = false;
    for (const auto& ip : want) {
      if (owned_ips.count(ip)) continue;
      Status s = HostNetwork::AddAddress(options.service_interface, ip);
      if (!s.ok()) {
        spdlog::warn("component=servicenet cannot add ClusterIP: {}", s.ToString());
        continue;
      }
      owned_ips.insert(ip);
      changed = true;
    }
    for (auto it = owned_ips.begin(); it != owned_ips.end();) {
      if (want.count(*it)) {
        ++it;
        continue;
      }
      Status s = HostNetwork::RemoveAddress(options.service_interface, *it);
      if (!s.ok()) spdlog::warn("component=servicenet cannot remove ClusterIP: {}", s.ToString());
      it = owned_ips.erase(it);
      changed = true;
    }
    if (changed) SaveOwned();
  }

  void SaveOwned() {
    if (options.data_dir.empty()) return;
    std::string content;
    for (const auto& ip : owned_ips) content += ip + "\n";
    WriteFileAtomically(StateDir() / "cluster-ips", content);
  }

  void SyncProxy(const ServiceTable& snapshot) {
    std::vector<ProxyListenerSpec> specs;
    for (const auto& [key, r] : snapshot.records()) {
      if (!Proxied(*r)) continue;
      for (const auto& p : r->ports) {
        // The proxy is TCP only; UDP and SCTP service ports get DNS but no ClusterIP forwarding.
        if (p.protocol != "TCP" || p.port <= 0) continue;
        ProxyListenerSpec spec{.key = ListenerKey(*r, p), .backends = BackendsFor(*r, p)};
        if (mode == NetworkMode::kHost) {
          spec.bind_ip = r->cluster_ip;
          spec.bind_port = p.port;
        } else {
          spec.bind_ip = "127.0.0.1";
        }
        specs.push_back(std::move(spec));
      }
    }
    auto states = proxy->Update(std::move(specs));
    std::map<std::string, int> ports;
    std::map<std::string, std::string> errors;
    for (const auto& s : states) {
      if (s.status.ok()) {
        ports[s.key] = s.port;
      } else {
        errors[s.key] = s.status.ToString();
      }
    }
    std::lock_guard<std::mutex> lock(mu);
    for (const auto& [key, why] : errors) {
      if (!listener_errors.count(key)) {
        spdlog::warn("component=servicenet service port {} not proxied: {}", key, why);
      }
    }
    bool ports_changed = ports != local_ports;
    local_ports = std::move(ports);
    listener_errors = std::move(errors);
    if (ports_changed && mode == NetworkMode::kLoopback && !options.data_dir.empty()) {
      std::string content;
      for (const auto& [key, port] : local_ports) {
        content += key + " 127.0.0.1:" + std::to_string(port) + "\n";
      }
      WriteFileAtomically(StateDir() / "loopback-ports", content);
    }
  }

  // The `kubernetes` Service in `default`, as kube-apiserver's endpoint reconciler keeps it:
  // in-cluster clients (KUBERNETES_SERVICE_HOST) reach the API server through the proxy.
  Status EnsureKubernetesService() {
    auto colon = options.apiserver_endpoint.rfind(':');
    if (colon == std::string::npos) return InvalidArgument("apiserver_endpoint needs host:port");
    std::string ip = options.apiserver_endpoint.substr(0, colon);
    int port = std::atoi(options.apiserver_endpoint.c_str() + colon + 1);
    SKIFF_ASSIGN_OR_RETURN(client::ResourceInfo svc_r,
                           client->discovery().ResolveKind("v1", "Service"));
    SKIFF_ASSIGN_OR_RETURN(client::ResourceInfo ep_r,
                           client->discovery().ResolveKind("v1", "Endpoints"));
    Json labels = {{"component", "apiserver"}, {"provider", "kubernetes"}};
    Json svc = {
        {"apiVersion", "v1"},
        {"kind", "Service"},
        {"metadata", {{"name", "kubernetes"}, {"namespace", "default"}, {"labels", labels}}},
        {"spec",
         {{"type", "ClusterIP"},
          {"clusterIP", options.kubernetes_cluster_ip},
          {"ports",
           {{{"name", "https"}, {"port", 443}, {"protocol", "TCP"}, {"targetPort", port}}}}}}};
    auto created = client->Create(svc_r, "default", svc);
    if (!created.ok() && created.status().code() != StatusCode::kAlreadyExists) {
      return created.status();
    }
    Json subsets = {{{"addresses", {{{"ip", ip}}}},
                     {"ports", {{{"name", "https"}, {"port", port}, {"protocol", "TCP"}}}}}};
    Json ep = {{"apiVersion", "v1"},
               {"kind", "Endpoints"},
               {"metadata", {{"name", "kubernetes"}, {"namespace", "default"}, {"labels", labels}}},
               {"subsets", subsets}};
    auto made = client->Create(ep_r, "default", ep);
    if (made.ok()) return Status::Ok();
    if (made.status().code() != StatusCode::kAlreadyExists) return made.status();
    SKIFF_ASSIGN_OR_RETURN(Json current, client->Get(ep_r, "default", "kubernetes"));
    if (current.value("subsets", Json()) == subsets) return Status::Ok();
    current["subsets"] = subsets;
    return client->Replace(ep_r, "default", "kubernetes", current).status();
  }
};

StatusOr<std::unique_ptr<ServiceNetwork>> ServiceNetwork::Create(client::Client* client,
                                                                 ServiceNetworkOptions options) {
  if (!client) return InvalidArgument("servicenet: client is required");
  auto slash = options.bridge_cidr.find('/');
  if (slash == std::string::npos || !ParseIpv4(options.bridge_cidr.substr(0, slash))) {
    return InvalidArgument("servicenet: bridge_cidr must look like 10.244.0.1/16, got " +
                           options.bridge_cidr);
  }
  if (options.bridge.size() > 15 || options.service_interface.size() > 15) {
    return InvalidArgument("servicenet: interface names are limited to 15 characters");
  }
  auto impl = std::make_unique<Impl>(client, std::move(options));
  return std::unique_ptr<ServiceNetwork>(new ServiceNetwork(std::move(impl)));
}

ServiceNetwork::ServiceNetwork(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}

ServiceNetwork::~ServiceNetwork() { Stop(); }

Status ServiceNetwork::Start() {
  Impl& m = *impl_;
  {
    std::lock_guard<std::mutex> lock(m.mu);
    if (m.started) return FailedPrecondition("servicenet: already started");
    m.started = true;
  }
  m.mode = m.options.mode;
  if (m.mode != NetworkMode::kLoopback) {
    Status s = m.SetUpHostNetwork();
    if (!s.ok()) {
      if (m.mode == NetworkMode::kHost) {
        return Status(StatusCode::kUnavailable, "servicenet: host network: " + s.message());
      }
      spdlog::warn(
          "component=servicenet host network unavailable ({}); falling back to loopback: "
          "ClusterIPs are not reachable, pods cannot use cluster DNS (docs/networking.md)",
          s.ToString());
      m.mode = NetworkMode::kLoopback;
    } else {
      m.mode = NetworkMode::kHost;
    }
  }
  if (m.mode == NetworkMode::kHost && !m.options.data_dir.empty()) {
    // Addresses a previous run added and did not remove (a crash): adopt them, so the first
    // sync removes those no Service wants any more.
    m.owned_ips = ReadLines(m.StateDir() / "cluster-ips");
  }
  m.proxy = std::make_unique<ServiceProxy>(m.options.proxy);
  m.StartDns();
  SKIFF_RETURN_IF_ERROR(m.SetUpInformers());
  m.worker = std::thread([&m] { m.Run(); });
  if (m.own_informers) m.own_informers->StartAll();
  spdlog::info("component=servicenet started mode={} bridge={} service_interface={}",
               ModeName(m.mode), m.options.bridge, m.options.service_interface);
  return Status::Ok();
}

void ServiceNetwork::Stop() {
  Impl& m = *impl_;
  {
    std::lock_guard<std::mutex> lock(m.mu);
    if (!m.started || m.stopping) return;
    m.stopping = true;
    m.wake.notify_all();
    m.applied.notify_all();
  }
  {
    std::lock_guard<std::mutex> lock(m.link->mu);
    m.link->impl = nullptr;
  }
  if (m.worker.joinable()) m.worker.join();
  // Informer callbacks only mark keys dirty; after the worker is gone they are harmless, but
  // our own informers must stop before the Impl they call into goes away.
  if (m.own_informers) m.own_informers->StopAll();
  if (m.dns) m.dns->Stop();
  if (m.proxy) m.proxy->Stop();
  if (m.mode == NetworkMode::kHost) {
    for (const auto& ip : m.owned_ips) {
      Status s = HostNetwork::RemoveAddress(m.options.service_interface, ip);
      if (!s.ok()) spdlog::warn("component=servicenet cannot remove ClusterIP: {}", s.ToString());
    }
    m.owned_ips.clear();
    m.SaveOwned();
  }
  spdlog::info("component=servicenet stopped");
}

NetworkMode ServiceNetwork::mode() const { return impl_->mode; }

std::string ServiceNetwork::dns_address() const {
  std::lock_guard<std::mutex> lock(impl_->mu);
  return impl_->dns ? impl_->dns->address() : "";
}

std::string ServiceNetwork::degraded() const {
  std::lock_guard<std::mutex> lock(impl_->mu);
  std::vector<std::string> why;
  if (impl_->mode == NetworkMode::kLoopback) {
    why.push_back("loopback fallback: ClusterIPs and pod DNS unavailable");
  }
  if (!impl_->dns_error.empty()) why.push_back("dns: " + impl_->dns_error);
  for (const auto& [key, err] : impl_->listener_errors) why.push_back(key + ": " + err);
  std::string out;
  for (const auto& w : why) out += (out.empty() ? "" : "; ") + w;
  return out;
}

bool ServiceNetwork::WaitForSync(std::chrono::milliseconds timeout) {
  auto deadline = std::chrono::steady_clock::now() + timeout;
  if (!impl_->services || !impl_->endpoints) return false;  // not started
  if (!impl_->services->WaitForSync(timeout) || !impl_->endpoints->WaitForSync(timeout)) {
    return false;
  }
  // Every cached object has been handed to a handler (and marked dirty) by now, so the first
  // pass that starts after this request covers all of it.
  std::unique_lock<std::mutex> lock(impl_->mu);
  uint64_t want = ++impl_->requested;
  impl_->dirty.insert("");
  impl_->wake.notify_one();
  return impl_->applied.wait_until(lock, deadline,
                                   [&] { return !impl_->stopping && impl_->completed >= want; });
}

bool ServiceNetwork::WaitUntil(const std::function<bool()>& pred,
                               std::chrono::milliseconds timeout) {
  auto deadline = std::chrono::steady_clock::now() + timeout;
  std::unique_lock<std::mutex> lock(impl_->mu);
  for (;;) {
    lock.unlock();
    bool ok = pred();
    lock.lock();
    if (ok) return true;
    if (impl_->stopping) return false;
    uint64_t seen = impl_->passes;
    if (!impl_->applied.wait_until(lock, deadline,
                                   [&] { return impl_->stopping || impl_->passes != seen; })) {
      return false;
    }
  }
}

std::shared_ptr<const ServiceTable> ServiceNetwork::table() const {
  std::lock_guard<std::mutex> lock(impl_->mu);
  return impl_->table;
}

StatusOr<std::string> ServiceNetwork::ServiceAddress(std::string_view ns, std::string_view name,
                                                     std::string_view port) const {
  auto snapshot = table();
  auto r = snapshot->Find(ns, name);
  if (!r) return NotFound("service " + std::string(ns) + "/" + std::string(name) + " not found");
  const ServicePort* match = nullptr;
  for (const auto& p : r->ports) {
    if (p.name == port || std::to_string(p.port) == port) match = &p;
  }
  if (!match && r->ports.size() == 1 && port.empty()) match = &r->ports[0];
  if (!match) {
    return NotFound("service " + r->ns + "/" + r->name + " has no port " + std::string(port));
  }
  if (r->headless || r->cluster_ip.empty()) {
    return NotFound("service " + r->ns + "/" + r->name + " has no ClusterIP");
  }
  if (impl_->mode != NetworkMode::kLoopback)
    return r->cluster_ip + ":" + std::to_string(match->port);
  std::lock_guard<std::mutex> lock(impl_->mu);
  auto it = impl_->local_ports.find(ListenerKey(*r, *match));
  if (it == impl_->local_ports.end()) {
    return NotFound("service port " + ListenerKey(*r, *match) + " is not proxied yet");
  }
  return "127.0.0.1:" + std::to_string(it->second);
}

StatusOr<std::string> ServiceNetwork::ResolveHostPort(std::string_view host_port,
                                                      std::string_view ns) const {
  auto colon = host_port.rfind(':');
  if (colon == std::string_view::npos) return InvalidArgument("expected host:port");
  std::string_view host = host_port.substr(0, colon);
  std::string_view port = host_port.substr(colon + 1);
  auto snapshot = table();
  SearchOptions search{.ns = std::string(ns), .dns = impl_->options.dns};
  SKIFF_ASSIGN_OR_RETURN(HostLookup found, LookupClusterHost(*snapshot, host, search));
  if (!found.external_name.empty()) return found.external_name + ":" + std::string(port);
  // "<svc>.<ns>.svc.<domain>": a service name maps to its host-reachable proxy address.
  std::string suffix = ".svc." + impl_->options.dns.domain;
  if (found.name.size() > suffix.size() &&
      found.name.compare(found.name.size() - suffix.size(), suffix.size(), suffix) == 0) {
    std::string rest = found.name.substr(0, found.name.size() - suffix.size());
    auto dot = rest.find('.');
    if (dot != std::string::npos && rest.find('.', dot + 1) == std::string::npos) {
      auto addr = ServiceAddress(rest.substr(dot + 1), rest.substr(0, dot), port);
      if (addr.ok()) return addr;
    }
  }
  return found.addresses.front() + ":" + std::string(port);
}

}  // namespace skiff::servicenet
