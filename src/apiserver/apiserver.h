// The embedded Kubernetes API server: REST front end over the SQLite store,
// with authentication, discovery, OpenAPI, admission, watch and garbage collection.
#pragma once

#include <memory>
#include <string>

#include "base/status.h"

namespace skiff::apiserver {

struct ApiServerOptions {
  std::string data_dir;                   // holds skiff.db, TLS material, token, kubeconfig
  std::string listen = "127.0.0.1:6443";  // port 0 picks a free port
  bool tls = true;                        // false: plain HTTP (tests, benchmarks)
  int threads = 0;                        // event loops; 0 = one per core
  std::string synchronous = "FULL";       // SQLite durability (FULL or NORMAL)
  int64_t watch_history = 20000;          // events kept for watch resume
  // Kueue's job webhook: create jobs labelled kueue.x-k8s.io/queue-name suspended. On when the
  // Kueue controllers run against this server (`skiff up`), as installing Kueue turns it on.
  bool kueue_webhooks = false;
};

class ApiServer {
 public:
  // Opens the store, loads kinds (built-in + stored CRDs), seeds default namespaces,
  // creates TLS material and a kubeconfig on first start, and starts serving.
  static StatusOr<std::unique_ptr<ApiServer>> Start(const ApiServerOptions& options);
  virtual ~ApiServer() = default;
  virtual int port() const = 0;
  virtual std::string url() const = 0;             // https://127.0.0.1:PORT
  virtual std::string kubeconfig_path() const = 0;  // <data_dir>/kubeconfig
  virtual void Stop() = 0;
};

}  // namespace skiff::apiserver
