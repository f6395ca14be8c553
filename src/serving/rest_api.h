// The REST frontend of the model server: routes V1 and Open Inference Protocol V2 requests
// to the Model, encodes answers and KServe-shaped errors, records metrics, feeds the
// payload logger. Thin: decoding and encoding live in the codecs, prediction in Model.
#pragma once

#include <atomic>
#include <memory>
#include <string>

#include "serving/http_types.h"
#include "serving/metrics.h"
#include "serving/model.h"
#include "serving/payload_sink.h"
#include "serving/server_options.h"

namespace skiff::serving {

struct RestApiOptions {
  bool enable_fixed_response = false;  // serve /bench/fixed
  LoggerMode logger_mode = LoggerMode::kAll;
  std::string server_version = "0.1.0";  // GET /v2 "version"
};

// Thread-safe: Handle runs on every loop. Model, metrics and sink must outlive it.
class RestApi : public HttpHandler {
 public:
  // `sink` may be null (payload logging off).
  RestApi(Model& model, ServingMetrics& metrics, const RestApiOptions& options, PayloadSink* sink);

  void Handle(HttpRequest&& request, std::shared_ptr<HttpResponder> responder) override;

  // From now on `/v2/health/ready` answers 503, so balancers stop sending (SIGTERM drain).
  void SetDraining() { draining_.store(true, std::memory_order_relaxed); }

 private:
  struct Call;
  void Finish(const std::shared_ptr<Call>& call, HttpResponse response);
  void V1Predict(std::shared_ptr<Call> call, HttpRequest&& request, bool explain);
  void V2Infer(std::shared_ptr<Call> call, HttpRequest&& request);
  void RepositoryLoad(std::shared_ptr<Call> call, bool load);
  HttpResponse ModelMetadataResponse();

  Model& model_;
  ServingMetrics& metrics_;
  const RestApiOptions options_;
  PayloadSink* const sink_;
  std::atomic<bool> draining_{false};
};

// A random RFC 4122 version-4 UUID (KServe's default request id).
std::string NewUuid();

}  // namespace skiff::serving
