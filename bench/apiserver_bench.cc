// API server benchmark: creates/s and updates/s with 1 and 16 clients, list
// latency at 10k objects, and watch delivery latency with 100 watchers, against
// a running `skiff up` (--kubeconfig) — and the same write loop against etcd's
// JSON gateway (--etcd) as the same-run baseline. Prints one JSON object.
#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <mutex>
#include <nlohmann/json.hpp>
#include <string>
#include <thread>
#include <vector>

#include "base/base64.h"
#include "base/json.h"
#include "client/kubeconfig.h"
#include "client/rest_client.h"

namespace {

using Clock = std::chrono::steady_clock;
using skiff::Json;
using skiff::client::Request;
using skiff::client::RestClient;

double Seconds(Clock::duration d) { return std::chrono::duration<double>(d).count(); }

double Percentile(std::vector<double> v, double p) {
  if (v.empty()) return 0;
  std::sort(v.begin(), v.end());
  size_t i = std::min(v.size() - 1, static_cast<size_t>(p * (v.size() - 1) + 0.5));
  return v[i];
}

// Runs `per_client` operations on each of `clients` threads; returns ops/s.
template <typename Op>
double Throughput(int clients, int per_client, Op op) {
  std::atomic<int> failures{0};
  auto start = Clock::now();
  std::vector<std::thread> threads;
  for (int c = 0; c < clients; ++c) {
    threads.emplace_back([&, c] {
      for (int i = 0; i < per_client; ++i) {
        if (!op(c, i)) ++failures;
      }
    });
  }
  for (auto& t : threads) t.join();
  double secs = Seconds(Clock::now() - start);
  if (failures) std::fprintf(stderr, "warning: %d operations failed\n", failures.load());
  return clients * per_client / secs;
}

Json ConfigMap(const std::string& name, int v) {
  return Json{{"apiVersion", "v1"},
              {"kind", "ConfigMap"},
              {"metadata", {{"name", name}}},
              {"data", {{"value", std::to_string(v)}, {"payload", std::string(200, 'x')}}}};
}

std::string Ns(const std::string& ns) { return "/api/v1/namespaces/" + ns + "/configmaps"; }

bool CreateNamespace(RestClient& c, const std::string& ns) {
  Request r{.method = "POST", .path = "/api/v1/namespaces"};
  r.body = skiff::DumpJson(Json{{"metadata", {{"name", ns}}}});
  return c.Do(r).ok();
}

Json BenchSkiff(RestClient& c) {
  Json out;
  // Creates and updates, 1 and 16 clients.
  for (int clients : {1, 16}) {
    std::string ns = "bench-c" + std::to_string(clients);
    CreateNamespace(c, ns);
    int per = clients == 1 ? 2000 : 500;
    std::vector<std::vector<std::string>> rv(clients, std::vector<std::string>(per));
    double creates = Throughput(clients, per, [&](int t, int i) {
      Request r{.method = "POST", .path = Ns(ns)};
      r.body = skiff::DumpJson(ConfigMap("cm-" + std::to_string(t) + "-" + std::to_string(i), i));
      auto resp = c.Do(r);
      if (!resp.ok()) return false;
      auto j = skiff::ParseJson(resp->body);
      rv[t][i] = (*j)["metadata"]["resourceVersion"].get<std::string>();
      return true;
    });
    double updates = Throughput(clients, per, [&](int t, int i) {
      std::string name = "cm-" + std::to_string(t) + "-" + std::to_string(i);
      Json obj = ConfigMap(name, i + 1);
      obj["metadata"]["resourceVersion"] = rv[t][i];
      Request r{.method = "PUT", .path = Ns(ns) + "/" + name};
      r.body = skiff::DumpJson(obj);
      return c.Do(r).ok();
    });
    out["creates_per_s_" + std::to_string(clients)] = creates;
    out["updates_per_s_" + std::to_string(clients)] = updates;
  }
  // List latency at 10k objects.
  CreateNamespace(c, "bench-list");
  Throughput(16, 625, [&](int t, int i) {
    Request r{.method = "POST", .path = Ns("bench-list")};
    r.body = skiff::DumpJson(ConfigMap("l-" + std::to_string(t) + "-" + std::to_string(i), i));
    return c.Do(r).ok();
  });
  std::vector<double> list_ms;
  size_t items = 0;
  for (int i = 0; i < 20; ++i) {
    auto start = Clock::now();
    auto resp = c.Do(Request{.method = "GET", .path = Ns("bench-list")});
    list_ms.push_back(Seconds(Clock::now() - start) * 1000);
    if (resp.ok() && i == 0) items = (*skiff::ParseJson(resp->body))["items"].size();
  }
  out["list_objects"] = items;
  out["list_ms_p50"] = Percentile(list_ms, 0.5);
  out["list_ms_p99"] = Percentile(list_ms, 0.99);

  // Watch delivery latency: 100 watchers, 200 writes, send time carried in the object.
  CreateNamespace(c, "bench-watch");
  const int kWatchers = 100, kWrites = 200;
  std::mutex mu;
  std::vector<double> lat_ms;
  std::atomic<int> ready{0};
  std::atomic<bool> stop{false};
  auto base = Clock::now();
  std::vector<std::thread> watchers;
  auto list = c.Do(Request{.method = "GET", .path = Ns("bench-watch")});
  std::string rv0 = list.ok() ? (*skiff::ParseJson(list->body))["metadata"]["resourceVersion"].get<std::string>() : "";
  for (int w = 0; w < kWatchers; ++w) {
    watchers.emplace_back([&] {
      Request r{.method = "GET", .path = Ns("bench-watch")};
      r.query = {{"watch", "true"}, {"resourceVersion", rv0}, {"timeoutSeconds", "120"}};
      int got = 0;
      (void)c.Stream(r, [&](std::string_view line) {
        auto now = Seconds(Clock::now() - base) * 1000;
        auto ev = skiff::ParseJson(line);
        if (!ev.ok()) return true;
        const Json& data = (*ev)["object"]["data"];
        if (!data.contains("sent_ms")) {  // the warm-up object
          ++ready;
          return true;
        }
        double sent = std::stod(data["sent_ms"].get<std::string>());
        {
          std::lock_guard l(mu);
          lat_ms.push_back(now - sent);
        }
        return ++got < kWrites && !stop;
      });
    });
  }
  // A warm-up write proves every watch is established before timing starts.
  std::vector<double> write_ms;
  auto write = [&](const std::string& name, bool timed, int i) {
    Json obj = ConfigMap(name, i);
    if (timed) {
      char sent[32];
      std::snprintf(sent, sizeof(sent), "%.3f", Seconds(Clock::now() - base) * 1000);
      obj["data"]["sent_ms"] = sent;
    }
    Request r{.method = "POST", .path = Ns("bench-watch")};
    r.body = skiff::DumpJson(obj);
    auto start = Clock::now();
    (void)c.Do(r);
    if (timed) write_ms.push_back(Seconds(Clock::now() - start) * 1000);
  };
  write("warmup", false, 0);
  while (ready < kWatchers) std::this_thread::sleep_for(std::chrono::milliseconds(10));
  // Writes at a steady pace so delivery, not queueing behind a burst, is measured.
  for (int i = 0; i < kWrites; ++i) {
    write("w-" + std::to_string(i), true, i);
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  stop = true;
  for (auto& t : watchers) t.join();
  out["watchers"] = kWatchers;
  out["watch_events_delivered"] = lat_ms.size();
  out["watch_ms_p50"] = Percentile(lat_ms, 0.5);
  out["watch_ms_p99"] = Percentile(lat_ms, 0.99);
  // The writer's own round trip (includes the fsync): delivery cannot beat the commit.
  out["watch_write_ms_p50"] = Percentile(write_ms, 0.5);
  out["watch_write_ms_p99"] = Percentile(write_ms, 0.99);
  return out;
}

Json BenchEtcd(const std::string& url) {
  skiff::client::RestConfig cfg;
  cfg.server = url;
  auto c = RestClient::Create(cfg);
  if (!c.ok()) return Json{{"error", c.status().ToString()}};
  Json out;
  for (int clients : {1, 16}) {
    int per = clients == 1 ? 2000 : 500;
    double puts = Throughput(clients, per, [&](int t, int i) {
      std::string key = "/registry/configmaps/bench/cm-" + std::to_string(clients) + "-" +
                        std::to_string(t) + "-" + std::to_string(i);
      std::string value = skiff::DumpJson(ConfigMap("x", i));
      Request r{.method = "POST", .path = "/v3/kv/put"};
      r.body = skiff::DumpJson(Json{{"key", skiff::Base64Encode(key)}, {"value", skiff::Base64Encode(value)}});
      return (*c)->Do(r).ok();
    });
    out["puts_per_s_" + std::to_string(clients)] = puts;
  }
  return out;
}

}  // namespace

int main(int argc, char** argv) {
  std::string kubeconfig, etcd;
  for (int i = 1; i + 1 < argc; i += 2) {
    if (!std::strcmp(argv[i], "--kubeconfig")) kubeconfig = argv[i + 1];
    if (!std::strcmp(argv[i], "--etcd")) etcd = argv[i + 1];
  }
  Json result;
  if (!etcd.empty()) result["etcd"] = BenchEtcd(etcd);
  if (!kubeconfig.empty()) {
    auto cfg = skiff::client::LoadKubeconfig(kubeconfig);
    if (!cfg.ok()) {
      std::fprintf(stderr, "%s\n", cfg.status().ToString().c_str());
      return 1;
    }
    skiff::client::RestClientOptions opts;
    opts.max_idle_connections = 128;
    auto c = RestClient::Create(*cfg, opts);
    if (!c.ok()) {
      std::fprintf(stderr, "%s\n", c.status().ToString().c_str());
      return 1;
    }
    result["skiff"] = BenchSkiff(**c);
  }
  std::printf("%s\n", skiff::DumpJsonPretty(result).c_str());
  return 0;
}
