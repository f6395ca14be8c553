// The payload logger (KServe agent logger semantics, kserve.md §10): inference requests and
// responses POSTed to a URL as binary-mode CloudEvents (ce-specversion, ce-id, ce-type
// org.kubeflow.serving.inference.request|response, ce-source, ce-time, ...), from one sender
// thread fed by a bounded queue, so a slow sink drops events instead of slowing inference.
#pragma once

#include <cstddef>
#include <memory>
#include <string>

#include "base/status.h"
#include "serving/metrics.h"
#include "serving/payload_sink.h"

namespace skiff::serving {

struct PayloadLoggerOptions {
  std::string url;                      // http://host[:port][/path]; https is not supported
  size_t queue_size = 100;              // KServe's queue length; beyond it events are dropped
  std::string source;                   // ce-source
  std::string component = "predictor";  // ce-component
};

// Thread-safe. Owns the sender thread.
class PayloadLogger : public PayloadSink {
 public:
  // InvalidArgument for a URL that is not http://host[:port][/path].
  static StatusOr<std::unique_ptr<PayloadLogger>> Start(const PayloadLoggerOptions& options,
                                                        ServingMetrics& metrics);
  // Sends what is queued (each send bounded by a 5 s timeout), then joins.
  ~PayloadLogger() override = default;
};

}  // namespace skiff::serving
