// NodeAgent wiring: host detection, Node/Lease via ApiWriter, the pod informer feeding the
// Supervisor, and the services pod workers share.
#include "node/agent.h"

#include <signal.h>
#include <spdlog/spdlog.h>
#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>

#include "base/base64.h"
#include "client/client.h"
#include "client/informer.h"
#include "controllers/runtime/events.h"
#include "node/api_writer.h"
#include "node/cgroups.h"
#include "node/env.h"
#include "node/image_map.h"
#include "node/launcher.h"
#include "node/network.h"
#include "node/node_info.h"
#include "node/pod_worker.h"
#include "node/prober.h"
#include "node/resources.h"
#include "node/supervisor.h"
#include "node/usage_sampler.h"

namespace skiff::node {
namespace {

namespace fs = std::filesystem;

// ConfigMaps and Secrets read straight from the API when a container starts (the kubelet
// also reads them on demand, with a short cache we do without).
class ClientConfigSource final : public ConfigSource {
 public:
  explicit ClientConfigSource(client::Client* client) : client_(client) {}
  StatusOr<std::map<std::string, std::string>> ConfigMap(const std::string& ns,
                                                         const std::string& name) override {
    SKIFF_ASSIGN_OR_RETURN(Json obj, client_->Get(ConfigMapsResource(), ns, name));
    std::map<std::string, std::string> out;
    if (obj.contains("data") && obj["data"].is_object()) {
      for (auto it = obj["data"].begin(); it != obj["data"].end(); ++it) {
        if (it->is_string()) out[it.key()] = it->get<std::string>();
      }
    }
    if (obj.contains("binaryData") && obj["binaryData"].is_object()) {
      for (auto it = obj["binaryData"].begin(); it != obj["binaryData"].end(); ++it) {
        if (!it->is_string()) continue;
        if (auto d = Base64Decode(it->get<std::string>())) out[it.key()] = *d;
      }
    }
    return out;
  }
  StatusOr<std::map<std::string, std::string>> Secret(const std::string& ns,
                                                      const std::string& name) override {
    SKIFF_ASSIGN_OR_RETURN(Json obj, client_->Get(SecretsResource(), ns, name));
    std::map<std::string, std::string> out;
    if (obj.contains("data") && obj["data"].is_object()) {
      for (auto it = obj["data"].begin(); it != obj["data"].end(); ++it) {
        if (!it->is_string()) continue;
        if (auto d = Base64Decode(it->get<std::string>())) out[it.key()] = *d;
      }
    }
    if (obj.contains("stringData") && obj["stringData"].is_object()) {
      for (auto it = obj["stringData"].begin(); it != obj["stringData"].end(); ++it) {
        if (it->is_string()) out[it.key()] = it->get<std::string>();
      }
    }
    return out;
  }

 private:
  client::Client* client_;
};

std::string SelfDir() {
  std::error_code ec;
  fs::path self = fs::read_symlink("/proc/self/exe", ec);
  return ec ? "" : self.parent_path().string();
}

}  // namespace

struct NodeAgent::Impl {
  client::Client* client = nullptr;
  AgentOptions options;
  HostResources host;
  bool sandbox = false;
  RealClock clock;
  std::unique_ptr<ImageMap> images;
  std::unique_ptr<PodNetwork> network;
  std::unique_ptr<Cgroups> cgroups;
  std::unique_ptr<ClientConfigSource> config;
  std::unique_ptr<ApiWriter> writer;
  std::unique_ptr<controllers::EventRecorder> events;
  std::unique_ptr<ProbeRunner> prober;
  std::unique_ptr<ProbeRunner> setup_pool;
  std::unique_ptr<GpuPool> gpus;
  PortRegistry ports;
  NodeContext ctx;
  std::unique_ptr<Supervisor> supervisor;
  std::unique_ptr<client::Informer> informer;
  std::unique_ptr<UsageSampler> sampler;
  std::mutex mu;
  bool started = false;
};

NodeAgent::NodeAgent(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
NodeAgent::~NodeAgent() { Stop(); }

StatusOr<std::unique_ptr<NodeAgent>> NodeAgent::Create(client::Client* client,
                                                       AgentOptions options) {
  if (client == nullptr) return InvalidArgument("node agent: no API client");
  if (options.data_dir.empty()) return InvalidArgument("node agent: --data-dir is required");
  if (options.node_name.empty()) return InvalidArgument("node agent: empty node name");
  if (options.simulate_gpus < 0) return InvalidArgument("--simulate-gpus must be >= 0");
  auto impl = std::make_unique<Impl>();
  impl->client = client;
  impl->host = DetectHost();
  bool root = geteuid() == 0;
  if (options.sandbox == SandboxMode::kOn && !root) {
    return FailedPrecondition(
        "node agent: the pod sandbox needs root (run as root or use --no-sandbox)");
  }
  impl->sandbox = options.sandbox != SandboxMode::kOff && root;
  impl->cgroups = std::make_unique<Cgroups>();
  if (impl->sandbox && !impl->cgroups->Available()) {
    if (options.sandbox == SandboxMode::kOn) {
      return FailedPrecondition("node agent: cgroup v1 memory/cpu hierarchies are not writable");
    }
    impl->sandbox = false;
  }
  if (!impl->sandbox) impl->cgroups.reset();
  NodeObjectInput probe_input{.name = options.node_name, .extra_capacity = options.extra_capacity};
  SKIFF_RETURN_IF_ERROR(BuildNodeObject(probe_input).status());
  std::string bin_dir = options.skiff_bin_dir.empty() ? SelfDir() : options.skiff_bin_dir;
  // In a build tree the model servers (skiff-serve-<format>) sit in src/runtimes/<format>/
  // beside src/cli/: search there too, so skiff/serve-<format> images resolve.
  std::vector<std::string> bin_dirs = {bin_dir};
  {
    std::error_code ec;
    std::vector<std::string> runtime_dirs;
    for (fs::directory_iterator it(bin_dir + "/../runtimes", ec), end; !ec && it != end;
         it.increment(ec)) {
      if (it->is_directory(ec)) runtime_dirs.push_back(it->path().lexically_normal().string());
    }
    std::sort(runtime_dirs.begin(), runtime_dirs.end());
    bin_dirs.insert(bin_dirs.end(), runtime_dirs.begin(), runtime_dirs.end());
  }
  ImageMapOptions image_options{.mapping_file = options.image_map_file,
                                .skiff_bin_dirs = bin_dirs,
                                .skiff_binary = bin_dir + "/skiff",
                                .torchrun = bin_dir + "/skiff-torchrun",
                                .container_bin_dir = bin_dir + "/container-bin"};
  impl->images = std::make_unique<ImageMap>(image_options);
  if (impl->sandbox) {
    std::error_code ec;
    std::string state_dir =
        fs::absolute(PodWorker::StateDir(options.data_dir, options.node_name), ec)
            .lexically_normal()
            .string();
    impl->network =
        std::make_unique<PodNetwork>(NetworkOptions{.bridge = options.bridge,
                                                    .gateway = options.gateway,
                                                    .prefix_length = options.prefix_length,
                                                    .owner_tag = state_dir});
  }
  impl->options = std::move(options);
  return std::unique_ptr<NodeAgent>(new NodeAgent(std::move(impl)));
}

bool NodeAgent::sandboxed() const { return impl_->sandbox; }
const std::string& NodeAgent::node_name() const { return impl_->options.node_name; }

Status NodeAgent::Start() {
  Impl& m = *impl_;
  std::lock_guard<std::mutex> lock(m.mu);
  if (m.started) return Status();
  const AgentOptions& o = m.options;
  std::error_code ec;
  fs::create_directories(PodWorker::StateDir(o.data_dir, o.node_name), ec);
  fs::create_directories(o.data_dir + "/logs", ec);
  if (ec) return Internal("node agent: cannot create " + o.data_dir + ": " + ec.message());
  std::string host_ip = o.gateway;
  if (m.sandbox) {
    if (Status s = m.network->EnsureBridge(); !s.ok()) {
      return s.WithContext("node agent: setting up bridge " + o.bridge);
    }
  } else {
    host_ip = "127.0.0.1";
    spdlog::warn(
        "component=node running pods WITHOUT a sandbox (not root or --no-sandbox): host "
        "network, no cgroup limits; see docs/node.md");
  }
  SKIFF_ASSIGN_OR_RETURN(Json node, BuildNodeObject({.name = o.node_name,
                                                     .internal_ip = host_ip,
                                                     .host = m.host,
                                                     .simulated_gpus = o.simulate_gpus,
                                                     .extra_capacity = o.extra_capacity,
                                                     .max_pods = o.max_pods,
                                                     .sandbox = m.sandbox}));
  m.writer = std::make_unique<ApiWriter>(m.client, ApiWriterOptions{.node_name = o.node_name});
  SKIFF_RETURN_IF_ERROR(m.writer->Start(std::move(node)));
  m.events = std::make_unique<controllers::EventRecorder>(m.client, "kubelet");
  m.prober = std::make_unique<ProbeRunner>(4);
  // Pod network setup threads: a burst of pods builds its sandboxes in parallel (most of the
  // time goes to kernel waits, e.g. RCU grace periods, that overlap).
  if (m.sandbox) m.setup_pool = std::make_unique<ProbeRunner>(4);
  m.gpus = std::make_unique<GpuPool>(m.host.real_gpus, o.simulate_gpus);
  m.config = std::make_unique<ClientConfigSource>(m.client);
  NodeContext& ctx = m.ctx;
  ctx.node_name = o.node_name;
  ctx.data_dir = o.data_dir;
  ctx.host_ip = host_ip;
  ctx.node_cpu_milli = m.host.cpu_milli;
  ctx.node_memory_bytes = m.host.memory_bytes;
  ctx.sandbox = m.sandbox;
  ctx.dns_server = o.gateway;
  ctx.cluster_domain = o.cluster_domain;
  ctx.max_log_bytes = o.max_log_bytes;
  ctx.clock = &m.clock;
  ctx.images = m.images.get();
  ctx.network = m.network.get();
  ctx.cgroups = m.cgroups.get();
  ctx.config = m.config.get();
  ctx.writer = m.writer.get();
  ctx.events = m.events.get();
  ctx.prober = m.prober.get();
  ctx.setup_pool = m.setup_pool.get();
  ctx.gpus = m.gpus.get();
  ctx.ports = &m.ports;
  m.supervisor = std::make_unique<Supervisor>(ctx);
  Supervisor* sup = m.supervisor.get();
  ctx.post_probe_result = [sup](const std::string& uid, const std::string& c, int kind, bool ok,
                                const std::string& msg) {
    sup->PostProbeResult(uid, c, kind, ok, msg);
  };
  ctx.wake_pod = [sup](const std::string& uid) { sup->WakePod(uid); };
  m.informer = std::make_unique<client::Informer>(
      m.client, PodsResource(),
      client::InformerOptions{.field_selector = "spec.nodeName=" + o.node_name,
                              .resync = std::chrono::seconds(60)});
  client::Informer* inf = m.informer.get();
  m.supervisor->SetSyncedCheck([inf] { return inf->HasSynced(); });
  m.supervisor->Start();
  m.informer->AddEventHandler(client::EventHandler{
      .on_add = [sup](const client::ObjectPtr& p) { sup->Upsert(p); },
      .on_update = [sup](const client::ObjectPtr&, const client::ObjectPtr& p) { sup->Upsert(p); },
      .on_delete = [sup](const client::ObjectPtr& p) { sup->Remove(p); }});
  m.informer->Start();
  std::unique_ptr<UsageReader> reader =
      m.cgroups ? NewCgroupUsageReader(*m.cgroups)
                : NewProcUsageReader(PodWorker::StateDir(o.data_dir, o.node_name));
  m.sampler = std::make_unique<UsageSampler>(
      UsageSamplerOptions{
          .node_name = o.node_name, .interval = o.usage_interval, .window = o.usage_window},
      std::move(reader), [inf] { return inf->List(); }, &m.clock);
  m.sampler->Start();
  m.started = true;
  spdlog::info(
      "component=node node agent started node={} sandbox={} cpu={}m memory={} gpus={}+{}simulated",
      o.node_name, m.sandbox ? "netns" : "none", m.host.cpu_milli, m.host.memory_bytes,
      m.host.real_gpus, o.simulate_gpus);
  return Status();
}

void NodeAgent::Stop() {
  Impl& m = *impl_;
  std::lock_guard<std::mutex> lock(m.mu);
  if (!m.started) return;
  m.started = false;
  m.sampler->Stop();
  m.informer->Stop();
  // One fresh list, so deletions the watch had not delivered yet are finished by the
  // supervisor's shutdown instead of leaving their sandboxes behind.
  auto listed = m.client->List(PodsResource(), "",
                               {.field_selector = "spec.nodeName=" + m.options.node_name});
  if (listed.ok() && listed->contains("items") && (*listed)["items"].is_array()) {
    std::vector<std::shared_ptr<const Json>> pods;
    for (auto& item : (*listed)["items"]) pods.push_back(std::make_shared<const Json>(item));
    m.supervisor->FinalList(pods);
  } else if (!listed.ok()) {
    spdlog::warn("component=node final pod list at stop: {}", listed.status().ToString());
  }
  m.supervisor->Stop();
  m.prober.reset();
  m.setup_pool.reset();
  m.writer->Stop();
  m.events->Flush();
  spdlog::info("component=node node agent stopped node={} (pods keep running)",
               m.options.node_name);
}

void NodeAgent::KillAllPods(std::chrono::seconds timeout) {
  Stop();
  Impl& m = *impl_;
  std::string dir = PodWorker::StateDir(m.options.data_dir, m.options.node_name);
  std::error_code ec;
  std::vector<std::pair<pid_t, uint64_t>> procs;
  std::vector<std::string> uids;
  for (const auto& e : fs::directory_iterator(dir, ec)) {
    if (e.path().extension() != ".json") continue;
    std::ifstream in(e.path());
    std::stringstream ss;
    ss << in.rdbuf();
    auto state = ParseJson(ss.str());
    if (!state.ok()) continue;
    uids.push_back(state->value("uid", ""));
    for (const auto& c : state->value("containers", Json::array())) {
      pid_t pid = c.value("pid", 0);
      uint64_t ticks = c.value("ticks", uint64_t{0});
      if (ProcessAlive(pid, ticks)) procs.emplace_back(pid, ticks);
    }
  }
  for (auto [pid, ticks] : procs) kill(-pid, SIGTERM);
  for (const auto& uid : uids) {
    if (m.cgroups) m.cgroups->Signal(uid, "", SIGTERM);
  }
  auto deadline = std::chrono::steady_clock::now() + timeout;
  for (;;) {
    bool any = false;
    for (auto [pid, ticks] : procs) any = any || ProcessAlive(pid, ticks);
    if (!any || std::chrono::steady_clock::now() >= deadline) break;
    usleep(50 * 1000);  // bounded shutdown wait; no event to wait on for non-children
  }
  for (auto [pid, ticks] : procs) {
    if (ProcessAlive(pid, ticks)) kill(-pid, SIGKILL);
  }
  for (const auto& uid : uids) {
    if (m.cgroups) {
      m.cgroups->Signal(uid, "", SIGKILL);
      (void)m.cgroups->RemovePod(uid);
    }
    if (m.network) (void)m.network->Teardown(uid);
    fs::remove(dir + "/" + uid + ".json", ec);
    fs::remove_all(dir + "/" + uid, ec);
  }
}

}  // namespace skiff::node
