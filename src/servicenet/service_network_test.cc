// Integration tests: a real in-process API server, a ServiceNetwork fed by its informers, and
// real sockets. Loopback mode runs anywhere; host mode (ClusterIP on an interface, DNS on a
// bridge address) needs root and skips otherwise. Test interfaces have their own names and
// ranges, so a `skiff up` on the same machine is not disturbed.
#include "servicenet/service_network.h"

#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <set>
#include <thread>

#include "apiserver/apiserver.h"
#include "client/client.h"
#include "client/informer.h"
#include "client/kubeconfig.h"
#include "servicenet/dns_message.h"
#include "servicenet/host_network.h"
#include "servicenet/resolver.h"

namespace skiff::servicenet {
namespace {

namespace fs = std::filesystem;
constexpr auto kDeadline = std::chrono::seconds(30);

// A TCP server on ip:0 answering each connection with its own tag, then closing.
class TagServer {
 public:
  TagServer(const std::string& ip, int port, std::string tag) : tag_(std::move(tag)) {
    fd_ = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    int one = 1;
    setsockopt(fd_, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_port = htons(static_cast<uint16_t>(port));
    inet_pton(AF_INET, ip.c_str(), &a.sin_addr);
    ok_ = bind(fd_, reinterpret_cast<sockaddr*>(&a), sizeof(a)) == 0 && listen(fd_, 64) == 0;
    socklen_t len = sizeof(a);
    getsockname(fd_, reinterpret_cast<sockaddr*>(&a), &len);
    port_ = ntohs(a.sin_port);
    thread_ = std::thread([this] {
      for (;;) {
        int c = accept(fd_, nullptr, nullptr);
        if (c < 0) return;
        char buf[64];
        ssize_t n = read(c, buf, sizeof(buf));  // the request: "hi"
        if (n > 0) {
          std::string reply = tag_ + ":" + std::string(buf, static_cast<size_t>(n));
          (void)!write(c, reply.data(), reply.size());
        }
        close(c);
      }
    });
  }
  ~TagServer() {
    shutdown(fd_, SHUT_RDWR);
    close(fd_);
    thread_.join();
  }
  bool ok() const { return ok_; }
  int port() const { return port_; }

 private:
  std::string tag_;
  int fd_ = -1;
  int port_ = 0;
  bool ok_ = false;
  std::thread thread_;
};

// Connects, sends "hi", half-closes and returns everything read ("" on refusal or reset).
std::string Exchange(const std::string& address) {
  auto colon = address.rfind(':');
  int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_port = htons(static_cast<uint16_t>(std::stoi(address.substr(colon + 1))));
  inet_pton(AF_INET, address.substr(0, colon).c_str(), &a.sin_addr);
  std::string out;
  if (connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof(a)) == 0) {
    (void)!write(fd, "hi", 2);
    shutdown(fd, SHUT_WR);
    char buf[256];
    for (ssize_t n; (n = read(fd, buf, sizeof(buf))) > 0;) out.append(buf, static_cast<size_t>(n));
  }
  close(fd);
  return out;
}

// One UDP DNS query; returns the parsed reply.
StatusOr<DnsParsedResponse> QueryUdp(const std::string& server, const std::string& name,
                                     DnsType type) {
  auto colon = server.rfind(':');
  int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  timeval tv{.tv_sec = 10, .tv_usec = 0};  // bounds a failure only
  setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_port = htons(static_cast<uint16_t>(std::stoi(server.substr(colon + 1))));
  inet_pton(AF_INET, server.substr(0, colon).c_str(), &a.sin_addr);
  std::string q = EncodeDnsQuery(4242, name, type);
  sendto(fd, q.data(), q.size(), 0, reinterpret_cast<sockaddr*>(&a), sizeof(a));
  char buf[2048];
  ssize_t n = recv(fd, buf, sizeof(buf), 0);
  close(fd);
  if (n <= 0) return DeadlineExceeded("no DNS reply");
  return ParseDnsResponse(std::string_view(buf, static_cast<size_t>(n)));
}

class ServiceNetworkTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() /
           ("skiff-servicenet-" + std::to_string(getpid()) + "-" + std::to_string(counter_++));
    fs::create_directories(dir_);
    apiserver::ApiServerOptions o;
    o.data_dir = (dir_ / "api").string();
    o.listen = "127.0.0.1:0";
    o.threads = 1;
    o.synchronous = "OFF";
    auto server = apiserver::ApiServer::Start(o);
    ASSERT_TRUE(server.ok()) << server.status().ToString();
    server_ = std::move(*server);
    auto config = client::LoadKubeconfig(server_->kubeconfig_path());
    ASSERT_TRUE(config.ok()) << config.status().ToString();
    auto c = client::Client::FromConfig(*config);
    ASSERT_TRUE(c.ok());
    client_ = std::move(*c);
  }
  void TearDown() override {
    net_.reset();
    client_.reset();
    if (server_) server_->Stop();
    std::error_code ec;
    fs::remove_all(dir_, ec);
  }

  void Apply(const std::string& kind, const Json& obj) {
    auto r = client_->discovery().ResolveKind("v1", kind);
    ASSERT_TRUE(r.ok());
    std::string ns = obj["metadata"].value("namespace", "default");
    std::string name = obj["metadata"]["name"];
    auto existing = client_->Get(*r, ns, name);
    if (existing.ok()) {
      Json updated = obj;
      updated["metadata"]["resourceVersion"] = (*existing)["metadata"]["resourceVersion"];
      auto s = client_->Replace(*r, ns, name, updated);
      ASSERT_TRUE(s.ok()) << s.status().ToString();
    } else {
      auto s = client_->Create(*r, ns, obj);
      ASSERT_TRUE(s.ok()) << s.status().ToString();
    }
  }
  void Delete(const std::string& kind, const std::string& ns, const std::string& name) {
    auto r = client_->discovery().ResolveKind("v1", kind);
    ASSERT_TRUE(r.ok());
    ASSERT_TRUE(client_->Delete(*r, ns, name).ok());
  }

  static Json Service(const std::string& name, const std::string& cluster_ip) {
    Json svc = {{"apiVersion", "v1"},
                {"kind", "Service"},
                {"metadata", {{"name", name}, {"namespace", "default"}}},
                {"spec", {{"ports", {{{"name", "http"}, {"port", 8081}}}}}}};
    if (!cluster_ip.empty()) svc["spec"]["clusterIP"] = cluster_ip;
    return svc;
  }
  static Json Endpoints(const std::string& name, const std::vector<std::string>& ips, int port) {
    Json addrs = Json::array();
    for (const auto& ip : ips) addrs.push_back({{"ip", ip}});
    Json subset = {{"ports", {{{"name", "http"}, {"port", port}, {"protocol", "TCP"}}}}};
    if (!addrs.empty()) subset["addresses"] = addrs;
    return {{"apiVersion", "v1"},
            {"kind", "Endpoints"},
            {"metadata", {{"name", name}, {"namespace", "default"}}},
            {"subsets", ips.empty() ? Json::array() : Json::array({subset})}};
  }

  // Waits until the proxied backend set for default/<name> port http has `n` backends.
  bool WaitForBackends(const std::string& name, size_t n) {
    return net_->WaitUntil(
        [&] {
          auto r = net_->table()->Find("default", name);
          return r && !r->ports.empty() && BackendsFor(*r, r->ports[0]).size() == n;
        },
        kDeadline);
  }

  static inline int counter_ = 0;
  fs::path dir_;
  std::unique_ptr<apiserver::ApiServer> server_;
  std::unique_ptr<client::Client> client_;
  std::unique_ptr<ServiceNetwork> net_;
};

TEST_F(ServiceNetworkTest, LoopbackModeProxiesAndAnswersDns) {
  TagServer a("127.0.0.2", 0, "a");
  ASSERT_TRUE(a.ok());
  TagServer b("127.0.0.3", a.port(), "b");
  ASSERT_TRUE(b.ok());
  auto net = ServiceNetwork::Create(client_.get(),
                                    {.data_dir = dir_.string(), .mode = NetworkMode::kLoopback});
  ASSERT_TRUE(net.ok());
  net_ = std::move(*net);
  ASSERT_TRUE(net_->Start().ok());
  EXPECT_EQ(net_->mode(), NetworkMode::kLoopback);
  ASSERT_TRUE(net_->WaitForSync(kDeadline));

  Apply("Service", Service("web", ""));
  Apply("Endpoints", Endpoints("web", {"127.0.0.2", "127.0.0.3"}, a.port()));
  ASSERT_TRUE(WaitForBackends("web", 2));
  auto addr = net_->ServiceAddress("default", "web", "http");
  ASSERT_TRUE(addr.ok()) << addr.status().ToString();
  EXPECT_EQ(addr->rfind("127.0.0.1:", 0), 0u);
  EXPECT_EQ(*net_->ResolveHostPort("web:8081"), *addr);
  EXPECT_EQ(*net_->ResolveHostPort("web.default.svc.cluster.local:http"), *addr);

  // Idle connections alternate between the two backends.
  std::set<std::string> replies;
  for (int i = 0; i < 4; ++i) replies.insert(Exchange(*addr));
  EXPECT_EQ(replies, (std::set<std::string>{"a:hi", "b:hi"}));

  // The Service's ClusterIP comes from the API server and is what DNS answers.
  auto dns = QueryUdp(net_->dns_address(), "web.default.svc.cluster.local", DnsType::kA);
  ASSERT_TRUE(dns.ok()) << dns.status().ToString();
  ASSERT_EQ(dns->answers.size(), 1u);
  EXPECT_EQ(FormatIpv4(dns->answers[0].a), net_->table()->Find("default", "web")->cluster_ip);
  auto nx = QueryUdp(net_->dns_address(), "nope.default.svc.cluster.local", DnsType::kA);
  ASSERT_TRUE(nx.ok());
  EXPECT_EQ(nx->rcode, DnsRcode::kNxDomain);

  // A backend that refuses is skipped: with "a" and a dead address every connection lands on
  // "a".
  {
    Apply("Endpoints", Endpoints("web", {"127.0.0.2", "127.0.0.5"}, a.port()));  // .5: nobody
    ASSERT_TRUE(net_->WaitUntil(
        [&] {
          auto r = net_->table()->Find("default", "web");
          auto backends = BackendsFor(*r, r->ports[0]);
          return backends.size() == 2 && backends[1].ip == "127.0.0.5";
        },
        kDeadline));
    for (int i = 0; i < 4; ++i) EXPECT_EQ(Exchange(*addr), "a:hi");
  }

  // No endpoints: the connection is reset at once.
  Apply("Endpoints", Endpoints("web", {}, a.port()));
  ASSERT_TRUE(WaitForBackends("web", 0));
  EXPECT_EQ(Exchange(*addr), "");
  EXPECT_GT(net_->degraded().size(), 0u);  // the loopback fallback says so
}

TEST_F(ServiceNetworkTest, ResolverReadsInformers) {
  Apply("Service", Service("prometheus", ""));
  client::InformerFactory informers(client_.get());
  auto resolver = Resolver::Create(informers, {.system_fallback = false});
  ASSERT_TRUE(resolver.ok());
  informers.StartAll();
  ASSERT_TRUE(informers.WaitForSync(kDeadline));
  auto svc =
      client_->Get(*client_->discovery().ResolveKind("v1", "Service"), "default", "prometheus");
  ASSERT_TRUE(svc.ok());
  std::string ip = (*svc)["spec"]["clusterIP"];
  EXPECT_EQ(*(*resolver)->Resolve("prometheus"), ip);
  EXPECT_EQ(*(*resolver)->Resolve("prometheus.default"), ip);
  EXPECT_EQ(*(*resolver)->ResolveHostPort("prometheus.default.svc:9090"), ip + ":9090");
  EXPECT_EQ(*(*resolver)->Resolve("10.1.2.3"), "10.1.2.3");
  EXPECT_EQ((*resolver)->Resolve("prometheus.monitoring").status().code(), StatusCode::kNotFound);
  EXPECT_EQ(*Resolve(informers, "prometheus.default.svc.cluster.local", "kube-system"), ip);
  informers.StopAll();
}

TEST_F(ServiceNetworkTest, HostModeClusterIpOnInterface) {
  if (geteuid() != 0) GTEST_SKIP() << "host mode needs root (CAP_NET_ADMIN); skipped";
  std::string suffix = std::to_string(getpid() % 100000);
  std::string bridge = "sknb" + suffix, svc_if = "sksv" + suffix;
  TagServer a("127.0.0.2", 0, "a");
  ASSERT_TRUE(a.ok());
  ServiceNetworkOptions o{.data_dir = dir_.string(),
                          .mode = NetworkMode::kHost,
                          .bridge = bridge,
                          .bridge_cidr = "10.252.0.1/16",
                          .service_interface = svc_if,
                          .dns_listen = "10.252.0.1:0",
                          .apiserver_endpoint = "127.0.0.1:" + std::to_string(server_->port()),
                          .kubernetes_cluster_ip = "10.127.0.1"};
  auto net = ServiceNetwork::Create(client_.get(), o);
  ASSERT_TRUE(net.ok());
  net_ = std::move(*net);
  Status started = net_->Start();
  ASSERT_TRUE(started.ok()) << started.ToString();
  EXPECT_EQ(net_->mode(), NetworkMode::kHost);
  ASSERT_TRUE(net_->WaitForSync(kDeadline));

  Apply("Service", Service("web", "10.127.0.5"));
  Apply("Endpoints", Endpoints("web", {"127.0.0.2"}, a.port()));
  ASSERT_TRUE(WaitForBackends("web", 1));
  auto addrs = HostNetwork::ListAddresses(svc_if);
  ASSERT_TRUE(addrs.ok());
  EXPECT_NE(std::find(addrs->begin(), addrs->end(), "10.127.0.5"), addrs->end());
  EXPECT_EQ(*net_->ServiceAddress("default", "web", "http"), "10.127.0.5:8081");
  EXPECT_EQ(Exchange("10.127.0.5:8081"), "a:hi");

  // DNS on the bridge address, kubernetes.default included.
  EXPECT_EQ(net_->dns_address().rfind("10.252.0.1:", 0), 0u);
  ASSERT_TRUE(net_->WaitUntil(
      [&] { return net_->table()->Find("default", "kubernetes") != nullptr; }, kDeadline));
  auto dns = QueryUdp(net_->dns_address(), "kubernetes.default.svc.cluster.local", DnsType::kA);
  ASSERT_TRUE(dns.ok()) << dns.status().ToString();
  ASSERT_EQ(dns->answers.size(), 1u);
  EXPECT_EQ(FormatIpv4(dns->answers[0].a), "10.127.0.1");

  // Deleting the Service withdraws its ClusterIP.
  Delete("Service", "default", "web");
  ASSERT_TRUE(
      net_->WaitUntil([&] { return net_->table()->Find("default", "web") == nullptr; }, kDeadline));
  addrs = HostNetwork::ListAddresses(svc_if);
  ASSERT_TRUE(addrs.ok());
  EXPECT_EQ(std::find(addrs->begin(), addrs->end(), "10.127.0.5"), addrs->end());

  net_->Stop();
  addrs = HostNetwork::ListAddresses(svc_if);
  ASSERT_TRUE(addrs.ok());
  EXPECT_TRUE(addrs->empty());  // Stop removes what it added
  EXPECT_TRUE(HostNetwork::DeleteInterface(svc_if).ok());
  EXPECT_TRUE(HostNetwork::DeleteInterface(bridge).ok());
}

}  // namespace
}  // namespace skiff::servicenet
