// TestEnv (tests only): a real skiff API server on a free port in a temporary directory, and a
// client for it — what controller tests run against instead of mocks.
#pragma once

#include <stdlib.h>

#include <chrono>
#include <filesystem>
#include <functional>
#include <memory>
#include <string>
#include <thread>

#include "apiserver/apiserver.h"
#include "client/client.h"
#include "client/kubeconfig.h"

namespace skiff::controllers::testing {

class TestEnv {
 public:
  TestEnv() {
    std::string tmpl = (std::filesystem::temp_directory_path() / "skiff-test-XXXXXX").string();
    dir_ = ::mkdtemp(tmpl.data());
    apiserver::ApiServerOptions o;
    o.data_dir = dir_;
    o.listen = "127.0.0.1:0";
    o.threads = 1;
    o.synchronous = "NORMAL";
    auto s = apiserver::ApiServer::Start(o);
    if (!s.ok()) return;
    server_ = std::move(*s);
    auto config = client::LoadKubeconfig(server_->kubeconfig_path());
    if (!config.ok()) return;
    auto c = client::Client::FromConfig(*config);
    if (c.ok()) client_ = std::move(*c);
  }
  ~TestEnv() {
    client_.reset();
    if (server_) server_->Stop();
    std::error_code ec;
    std::filesystem::remove_all(dir_, ec);
  }
  bool ok() const { return client_ != nullptr; }
  client::Client* client() { return client_.get(); }
  client::ResourceInfo Resource(const std::string& api_version, const std::string& kind) {
    auto r = client_->discovery().ResolveKind(api_version, kind);
    return r.ok() ? *r : client::ResourceInfo{};
  }

 private:
  std::string dir_;
  std::unique_ptr<apiserver::ApiServer> server_;
  std::unique_ptr<client::Client> client_;
};

// Polls `cond` until it holds or `timeout` passes (controller-runtime's Eventually): a bounded
// wait for asynchronous effects, never a fixed sleep.
inline bool Eventually(const std::function<bool()>& cond,
                       std::chrono::milliseconds timeout = std::chrono::seconds(10)) {
  auto deadline = std::chrono::steady_clock::now() + timeout;
  while (std::chrono::steady_clock::now() < deadline) {
    if (cond()) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  return cond();
}

}  // namespace skiff::controllers::testing
