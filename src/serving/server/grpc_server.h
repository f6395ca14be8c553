// Open Inference Protocol V2 over gRPC (inference.GRPCInferenceService): health, metadata,
// ModelInfer through the same Model (batcher included), repository load/unload. Uses gRPC's
// callback API, so no thread waits on a prediction. gRPC stays in grpc_server.cc.
#pragma once

#include <chrono>
#include <cstddef>
#include <memory>
#include <string>

#include "base/status.h"
#include "serving/metrics.h"
#include "serving/model.h"

namespace skiff::serving {

struct GrpcServerOptions {
  std::string host = "0.0.0.0";
  int port = 8081;  // 0 picks a free port
  size_t max_message_bytes = size_t{64} << 20;
};

// Thread-safe. Model and metrics must outlive it.
class GrpcServer {
 public:
  static StatusOr<std::unique_ptr<GrpcServer>> Start(const GrpcServerOptions& options, Model& model,
                                                     ServingMetrics& metrics);
  virtual ~GrpcServer() = default;
  virtual int port() const = 0;
  // Stops taking calls; waits for running ones until `deadline`, then cancels them.
  virtual void Shutdown(std::chrono::steady_clock::time_point deadline) = 0;
};

}  // namespace skiff::serving
