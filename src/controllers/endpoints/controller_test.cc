// The Endpoints controller against a real in-process API server: creation, readiness changes,
// label changes, user-managed Endpoints, and deletion with the Service.
#include "controllers/endpoints/controller.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <condition_variable>
#include <filesystem>
#include <mutex>
#include <nlohmann/json.hpp>

#include "apiserver/apiserver.h"
#include "client/client.h"
#include "client/kubeconfig.h"
#include "controllers/runtime/controller.h"

namespace skiff::controllers::endpoints {
namespace {

namespace fs = std::filesystem;
constexpr auto kDeadline = std::chrono::seconds(30);

class EndpointsControllerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() / ("skiff-endpoints-" + std::to_string(getpid()));
    fs::create_directories(dir_);
    apiserver::ApiServerOptions o;
    o.data_dir = dir_.string();
    o.listen = "127.0.0.1:0";
    o.threads = 1;
    o.synchronous = "OFF";
    auto server = apiserver::ApiServer::Start(o);
    ASSERT_TRUE(server.ok()) << server.status().ToString();
    server_ = std::move(*server);
    auto config = client::LoadKubeconfig(server_->kubeconfig_path());
    ASSERT_TRUE(config.ok());
    auto c = client::Client::FromConfig(*config);
    ASSERT_TRUE(c.ok());
    client_ = std::move(*c);
    manager_ = std::make_unique<Manager>(client_.get());
    ASSERT_TRUE(Register(manager_.get()).ok());
    auto eps = manager_->informers().ForKind("v1", "Endpoints");
    ASSERT_TRUE(eps.ok());
    endpoints_ = *eps;
    auto wake = [this] {
      std::lock_guard<std::mutex> lock(mu_);
      ++events_;
      cv_.notify_all();
    };
    endpoints_->AddEventHandler(
        {.on_add = [wake](const client::ObjectPtr&) { wake(); },
         .on_update = [wake](const client::ObjectPtr&, const client::ObjectPtr&) { wake(); },
         .on_delete = [wake](const client::ObjectPtr&) { wake(); }});
    ASSERT_TRUE(manager_->Start().ok());
    ASSERT_TRUE(manager_->WaitForSync(kDeadline));
  }
  void TearDown() override {
    if (manager_) manager_->Stop();
    manager_.reset();
    client_.reset();
    if (server_) server_->Stop();
    std::error_code ec;
    fs::remove_all(dir_, ec);
  }

  // Waits (on Endpoints informer events) until `pred(endpoints or nullptr)` holds.
  bool WaitForEndpoints(const std::string& name,
                        const std::function<bool(const client::ObjectPtr&)>& pred) {
    std::unique_lock<std::mutex> lock(mu_);
    return cv_.wait_for(lock, kDeadline, [&] { return pred(endpoints_->Get("default", name)); });
  }

  client::ResourceInfo R(const std::string& kind) {
    return *client_->discovery().ResolveKind("v1", kind);
  }

  void CreatePod(const std::string& name, const std::string& ip, bool ready,
                 const std::string& app = "web") {
    Json pod = {
        {"apiVersion", "v1"},
        {"kind", "Pod"},
        {"metadata", {{"name", name}, {"namespace", "default"}, {"labels", {{"app", app}}}}},
        {"spec",
         {{"containers",
           {{{"name", "c"},
             {"image", "x"},
             {"ports", {{{"name", "http"}, {"containerPort", 8080}}}}}}}}}};
    auto created = client_->Create(R("Pod"), "default", pod);
    ASSERT_TRUE(created.ok()) << created.status().ToString();
    SetPodStatus(name, ip, ready);
  }

  void SetPodStatus(const std::string& name, const std::string& ip, bool ready) {
    auto pod = client_->Get(R("Pod"), "default", name);
    ASSERT_TRUE(pod.ok());
    (*pod)["status"] = {
        {"phase", "Running"},
        {"podIP", ip},
        {"conditions", {{{"type", "Ready"}, {"status", ready ? "True" : "False"}}}}};
    auto s = client_->Replace(R("Pod"), "default", name, *pod, {.subresource = "status"});
    ASSERT_TRUE(s.ok()) << s.status().ToString();
  }

  static std::vector<std::string> Ips(const client::ObjectPtr& ep, const char* list) {
    std::vector<std::string> out;
    if (!ep || !ep->contains("subsets")) return out;
    for (const auto& s : (*ep)["subsets"]) {
      if (!s.contains(list)) continue;
      for (const auto& a : s[list]) out.push_back(a["ip"]);
    }
    std::sort(out.begin(), out.end());
    return out;
  }

  fs::path dir_;
  std::unique_ptr<apiserver::ApiServer> server_;
  std::unique_ptr<client::Client> client_;
  std::unique_ptr<Manager> manager_;
  client::Informer* endpoints_ = nullptr;
  std::mutex mu_;
  std::condition_variable cv_;
  int events_ = 0;
};

TEST_F(EndpointsControllerTest, FollowsPodsOfTheSelector) {
  CreatePod("a", "10.244.0.2", true);
  CreatePod("b", "10.244.0.3", false);
  CreatePod("other", "10.244.0.9", true, "db");
  Json svc = {
      {"apiVersion", "v1"},
      {"kind", "Service"},
      {"metadata", {{"name", "web"}, {"namespace", "default"}, {"labels", {{"tier", "x"}}}}},
      {"spec",
       {{"selector", {{"app", "web"}}},
        {"ports", {{{"name", "http"}, {"port", 80}, {"targetPort", "http"}}}}}}};
  ASSERT_TRUE(client_->Create(R("Service"), "default", svc).ok());

  ASSERT_TRUE(WaitForEndpoints("web", [](const client::ObjectPtr& ep) {
    return Ips(ep, "addresses") == std::vector<std::string>{"10.244.0.2"} &&
           Ips(ep, "notReadyAddresses") == std::vector<std::string>{"10.244.0.3"};
  }));
  auto ep = endpoints_->Get("default", "web");
  EXPECT_EQ((*ep)["subsets"][0]["ports"],
            Json::parse(R"([{"name":"http","port":8080,"protocol":"TCP"}])"));
  EXPECT_EQ((*ep)["metadata"]["labels"]["tier"], "x");

  // b becomes ready; a stops being ready.
  SetPodStatus("b", "10.244.0.3", true);
  SetPodStatus("a", "10.244.0.2", false);
  ASSERT_TRUE(WaitForEndpoints("web", [](const client::ObjectPtr& ep) {
    return Ips(ep, "addresses") == std::vector<std::string>{"10.244.0.3"} &&
           Ips(ep, "notReadyAddresses") == std::vector<std::string>{"10.244.0.2"};
  }));

  // b's labels change: it leaves the Endpoints although it no longer matches the selector.
  auto b = client_->Get(R("Pod"), "default", "b");
  ASSERT_TRUE(b.ok());
  (*b)["metadata"]["labels"]["app"] = "moved";
  ASSERT_TRUE(client_->Replace(R("Pod"), "default", "b", *b).ok());
  ASSERT_TRUE(WaitForEndpoints("web", [](const client::ObjectPtr& ep) {
    return Ips(ep, "addresses").empty() &&
           Ips(ep, "notReadyAddresses") == std::vector<std::string>{"10.244.0.2"};
  }));

  // The Service goes: so do its Endpoints.
  ASSERT_TRUE(client_->Delete(R("Service"), "default", "web").ok());
  ASSERT_TRUE(WaitForEndpoints("web", [](const client::ObjectPtr& ep) { return ep == nullptr; }));
}

TEST_F(EndpointsControllerTest, LeavesUserManagedEndpointsAlone) {
  Json svc = {{"apiVersion", "v1"},
              {"kind", "Service"},
              {"metadata", {{"name", "ext"}, {"namespace", "default"}}},
              {"spec", {{"ports", {{{"port", 5432}}}}}}};
  ASSERT_TRUE(client_->Create(R("Service"), "default", svc).ok());
  Json ep = {
      {"apiVersion", "v1"},
      {"kind", "Endpoints"},
      {"metadata", {{"name", "ext"}, {"namespace", "default"}}},
      {"subsets", {{{"addresses", {{{"ip", "192.0.2.10"}}}}, {"ports", {{{"port", 5432}}}}}}}};
  ASSERT_TRUE(client_->Create(R("Endpoints"), "default", ep).ok());
  // A selector Service created afterwards is reconciled; by the time its Endpoints exist the
  // earlier "ext" events were dequeued first (the queue is FIFO), so a controller that wrongly
  // managed "ext" would have emptied it.
  CreatePod("a", "10.244.0.2", true);
  Json web = {{"apiVersion", "v1"},
              {"kind", "Service"},
              {"metadata", {{"name", "web"}, {"namespace", "default"}}},
              {"spec", {{"selector", {{"app", "web"}}}, {"ports", {{{"port", 80}}}}}}};
  ASSERT_TRUE(client_->Create(R("Service"), "default", web).ok());
  ASSERT_TRUE(WaitForEndpoints("web", [](const client::ObjectPtr& ep) {
    return Ips(ep, "addresses") == std::vector<std::string>{"10.244.0.2"};
  }));
  EXPECT_EQ(Ips(endpoints_->Get("default", "ext"), "addresses"),
            std::vector<std::string>{"192.0.2.10"});
}

}  // namespace
}  // namespace skiff::controllers::endpoints
