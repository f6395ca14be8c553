// REST routing and the V1 / V2 handlers. Each call records its protocol, status and latency
// once, in Finish.
#include "serving/rest_api.h"

#include <spdlog/spdlog.h>

#include <cstdio>
#include <random>

#include "serving/binary_tensor.h"
#include "serving/errors.h"
#include "serving/json_writer.h"
#include "serving/route.h"
#include "serving/v1_codec.h"
#include "serving/v2_codec.h"

namespace skiff::serving {

namespace {

constexpr std::string_view kFixedBody = "{\"predictions\":[1]}";

HttpResponse Json(int status, std::string body) {
  HttpResponse r;
  r.status = status;
  r.body = std::move(body);
  return r;
}

HttpResponse Error(const Status& status) {
  HttpError e = ToHttpError(status);
  return Json(e.status, std::move(e.body));
}

void AppendTensorMetadata(std::string& out, const std::vector<TensorMetadata>& tensors) {
  out.push_back('[');
  for (size_t i = 0; i < tensors.size(); ++i) {
    if (i > 0) out.push_back(',');
    out.append("{\"name\":");
    AppendJsonString(out, tensors[i].name);
    out.append(",\"datatype\":");
    AppendJsonString(out, DataTypeName(tensors[i].datatype));
    out.append(",\"shape\":[");
    for (size_t d = 0; d < tensors[i].shape.size(); ++d) {
      if (d > 0) out.push_back(',');
      AppendJsonInt(out, tensors[i].shape[d]);
    }
    out.append("]}");
  }
  out.push_back(']');
}

std::string NameReady(std::string_view name, bool ready) {
  std::string out = "{\"name\":";
  AppendJsonString(out, name);
  out.append(ready ? ",\"ready\":true}" : ",\"ready\":false}");
  return out;
}

}  // namespace

std::string NewUuid() {
  thread_local std::mt19937_64 rng{std::random_device{}()};
  uint64_t a = rng(), b = rng();
  a = (a & 0xffffffffffff0fffULL) | 0x0000000000004000ULL;  // version 4
  b = (b & 0x3fffffffffffffffULL) | 0x8000000000000000ULL;  // RFC 4122 variant
  char buf[37];
  std::snprintf(buf, sizeof(buf), "%08x-%04x-%04x-%04x-%012llx", static_cast<unsigned>(a >> 32),
                static_cast<unsigned>((a >> 16) & 0xffff), static_cast<unsigned>(a & 0xffff),
                static_cast<unsigned>(b >> 48),
                static_cast<unsigned long long>(b & 0xffffffffffffULL));
  return buf;
}

// One counted request: where to answer, what to record.
struct RestApi::Call {
  std::shared_ptr<HttpResponder> responder;
  Protocol protocol = Protocol::kV1;
  std::chrono::steady_clock::time_point received;
  // Payload logging: set when the response should be logged.
  bool log_response = false;
  std::string ce_id;
};

RestApi::RestApi(Model& model, ServingMetrics& metrics, const RestApiOptions& options,
                 PayloadSink* sink)
    : model_(model), metrics_(metrics), options_(options), sink_(sink) {}

void RestApi::Finish(const std::shared_ptr<Call>& call, HttpResponse response) {
  double secs =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - call->received).count();
  metrics_.RecordRequest(call->protocol, response.status, secs);
  metrics_.AddInflight(-1);
  // KServe's logger records responses only for HTTP 200 (kserve.md §10).
  if (call->log_response && response.status == 200) {
    sink_->Submit(PayloadEvent{.is_request = false,
                               .id = call->ce_id,
                               .model = model_.name(),
                               .endpoint = std::string(ProtocolName(call->protocol)),
                               .content_type = response.inference_header_length
                                                   ? "application/octet-stream"
                                                   : response.content_type,
                               .body = response.body});
  }
  call->responder->Send(std::move(response));
}

void RestApi::Handle(HttpRequest&& request, std::shared_ptr<HttpResponder> responder) {
  Route route = ParseRoute(request.method, request.target);
  // Routes that are not model-server API calls: answered without metrics.
  switch (route.kind) {
    case RouteKind::kFixedResponse:
      if (options_.enable_fixed_response) {
        responder->Send(Json(200, std::string(kFixedBody)));
        return;
      }
      responder->Send(Json(404, ErrorBody("Not Found")));
      return;
    case RouteKind::kNotFound:
      responder->Send(Json(404, ErrorBody("Not Found")));
      return;
    case RouteKind::kMethodNotAllowed:
      responder->Send(Json(405, ErrorBody("Method Not Allowed")));
      return;
    case RouteKind::kRoot:
      responder->Send(Json(200, "{\"status\":\"alive\"}"));
      return;
    case RouteKind::kMetrics: {
      HttpResponse r = Json(200, metrics_.RenderPrometheus());
      r.content_type = "text/plain; version=0.0.4; charset=utf-8";
      responder->Send(std::move(r));
      return;
    }
    default:
      break;
  }

  auto call = std::make_shared<Call>();
  call->responder = std::move(responder);
  call->received = request.received;
  bool v1 = route.kind == RouteKind::kV1ListModels || route.kind == RouteKind::kV1ModelReady ||
            route.kind == RouteKind::kV1Predict || route.kind == RouteKind::kV1Explain;
  call->protocol = v1 ? Protocol::kV1 : Protocol::kV2;
  metrics_.AddInflight(1);

  if (!route.model.empty() && route.model != model_.name()) {
    Finish(call, Error(ModelNotFoundError(route.model)));
    return;
  }
  // One model, so any version names it unless the model declares its own.
  if (!route.version.empty() && !model_.version().empty() && route.version != model_.version()) {
    Finish(call, Error(NotFound("Model with name " + std::string(route.model) + " version " +
                                std::string(route.version) + " does not exist.")));
    return;
  }
  switch (route.kind) {
    case RouteKind::kV1ListModels:
    case RouteKind::kV2ListModels: {
      std::string body = "{\"models\":[";
      AppendJsonString(body, model_.name());
      body.append("]}");
      Finish(call, Json(200, std::move(body)));
      return;
    }
    case RouteKind::kV1ModelReady:
    case RouteKind::kV2ModelReady: {
      Status ready = model_.CheckReady();
      Finish(call, ready.ok() ? Json(200, NameReady(model_.name(), true)) : Error(ready));
      return;
    }
    case RouteKind::kV2Live:
      Finish(call, Json(200, "{\"live\":true}"));
      return;
    case RouteKind::kV2Ready: {
      Status ready = draining_.load(std::memory_order_relaxed)
                         ? ServerNotReadyError("It is shutting down.")
                         : model_.CheckReady();
      Finish(call, ready.ok() ? Json(200, "{\"ready\":true}")
                              : Error(ServerNotReadyError(ready.message())));
      return;
    }
    case RouteKind::kV2Server: {
      std::string body = "{\"name\":\"skiff-serve\",\"version\":";
      AppendJsonString(body, options_.server_version);
      body.append(",\"extensions\":[\"model_repository_extension\",\"binary_tensor_data\"]}");
      Finish(call, Json(200, std::move(body)));
      return;
    }
    case RouteKind::kV2ModelMetadata:
      Finish(call, ModelMetadataResponse());
      return;
    case RouteKind::kV1Predict:
    case RouteKind::kV1Explain:
      V1Predict(std::move(call), std::move(request), route.kind == RouteKind::kV1Explain);
      return;
    case RouteKind::kV2Infer:
      V2Infer(std::move(call), std::move(request));
      return;
    case RouteKind::kV2RepoLoad:
    case RouteKind::kV2RepoUnload:
      RepositoryLoad(std::move(call), route.kind == RouteKind::kV2RepoLoad);
      return;
    default:
      Finish(call, Json(404, ErrorBody("Not Found")));
  }
}

HttpResponse RestApi::ModelMetadataResponse() {
  StatusOr<ModelMetadata> md = model_.Metadata();
  if (!md.ok()) return Error(md.status());
  std::string body = "{\"name\":";
  AppendJsonString(body, model_.name());
  if (!model_.version().empty()) {
    body.append(",\"versions\":[");
    AppendJsonString(body, model_.version());
    body.push_back(']');
  }
  body.append(",\"platform\":");
  AppendJsonString(body, md->platform);
  body.append(",\"inputs\":");
  AppendTensorMetadata(body, md->inputs);
  body.append(",\"outputs\":");
  AppendTensorMetadata(body, md->outputs);
  body.push_back('}');
  return Json(200, std::move(body));
}

void RestApi::V1Predict(std::shared_ptr<Call> call, HttpRequest&& request, bool explain) {
  if (Status ready = model_.CheckReady(); !ready.ok()) {
    Finish(call, Error(ready));
    return;
  }
  if (sink_ != nullptr) {
    call->ce_id = request.ce_id.empty() ? NewUuid() : request.ce_id;
    call->log_response = options_.logger_mode != LoggerMode::kRequest;
    if (options_.logger_mode != LoggerMode::kResponse) {
      sink_->Submit(PayloadEvent{.is_request = true,
                                 .id = call->ce_id,
                                 .model = model_.name(),
                                 .endpoint = "v1",
                                 .content_type = request.content_type,
                                 .body = request.body});
    }
  }
  StatusOr<V1Request> decoded = DecodeV1Request(request.body);
  if (!decoded.ok()) {
    Finish(call, Error(decoded.status()));
    return;
  }
  if (!decoded->tensor) {
    Finish(call,
           Error(InvalidInputError("Unsupported \"" + decoded->key +
                                   "\" format: this model takes rows of numbers of equal length")));
    return;
  }
  PredictRequest pr;
  pr.inputs.push_back(std::move(*decoded->tensor));
  pr.v1 = true;
  if (explain) {
    StatusOr<std::string> out = model_.Explain(pr);
    Finish(call, out.ok() ? Json(200, std::move(*out)) : Error(out.status()));
    return;
  }
  model_.Predict(
      std::move(pr),
      [this, call](StatusOr<std::vector<Tensor>> result) {
        // Encoding happens on the connection's loop, never on the batcher thread.
        call->responder->Dispatch([this, call, result = std::move(result)]() mutable {
          if (!result.ok()) {
            Finish(call, Error(result.status()));
            return;
          }
          if (result->empty()) {
            Finish(call, Error(InferenceError("model returned no outputs")));
            return;
          }
          StatusOr<std::string> body = EncodeV1Predictions((*result)[0]);
          Finish(call, body.ok() ? Json(200, std::move(*body)) : Error(body.status()));
        });
      },
      call->responder.get());
}

void RestApi::V2Infer(std::shared_ptr<Call> call, HttpRequest&& request) {
  if (Status ready = model_.CheckReady(); !ready.ok()) {
    Finish(call, Error(ready));
    return;
  }
  if (sink_ != nullptr) {
    call->ce_id = request.ce_id.empty() ? NewUuid() : request.ce_id;
    call->log_response = options_.logger_mode != LoggerMode::kRequest;
    if (options_.logger_mode != LoggerMode::kResponse) {
      sink_->Submit(PayloadEvent{.is_request = true,
                                 .id = call->ce_id,
                                 .model = model_.name(),
                                 .endpoint = "v2",
                                 .content_type = request.content_type,
                                 .body = request.body});
    }
  }
  std::optional<size_t> header_length;
  if (request.inference_header_length) {
    StatusOr<size_t> n = ParseInferenceHeaderContentLength(*request.inference_header_length);
    if (!n.ok()) {
      Finish(call, Error(n.status()));
      return;
    }
    header_length = *n;
  }
  V2DecodeOptions decode_options;
  decode_options.model_name = model_.name();
  StatusOr<InferRequest> decoded = DecodeV2Request(request.body, header_length, decode_options);
  if (!decoded.ok()) {
    Finish(call, Error(decoded.status()));
    return;
  }
  auto response_options = std::make_shared<V2ResponseOptions>(ResponseOptionsFor(*decoded));
  std::string id = decoded->id.empty() ? NewUuid() : std::move(decoded->id);
  PredictRequest pr;
  pr.inputs = std::move(decoded->inputs);
  for (const RequestedOutput& o : decoded->outputs) pr.output_names.push_back(o.name);
  pr.parameters = std::move(decoded->parameters);
  model_.Predict(
      std::move(pr),
      [this, call, response_options,
       id = std::move(id)](StatusOr<std::vector<Tensor>> result) mutable {
        call->responder->Dispatch([this, call, response_options, id = std::move(id),
                                   result = std::move(result)]() mutable {
          if (!result.ok()) {
            Finish(call, Error(result.status()));
            return;
          }
          InferResponse response;
          response.model_name = model_.name();
          response.model_version = model_.version();
          response.id = std::move(id);
          response.outputs = std::move(*result);
          StatusOr<V2Body> body = EncodeV2Response(response, *response_options);
          if (!body.ok()) {
            Finish(call, Error(body.status()));
            return;
          }
          HttpResponse r = Json(200, std::move(body->bytes));
          if (body->json_header_length) {
            r.inference_header_length = body->json_header_length;
            r.content_type = "application/octet-stream";
          }
          Finish(call, std::move(r));
        });
      },
      call->responder.get());
}

void RestApi::RepositoryLoad(std::shared_ptr<Call> call, bool load) {
  auto done = [this, call, load](Status s) {
    call->responder->Dispatch([this, call, load, s] {
      if (!s.ok()) {
        Finish(call, Error(load ? model_.CheckReady() : s));
        return;
      }
      std::string body = "{\"name\":";
      AppendJsonString(body, model_.name());
      body.append(load ? ",\"load\":true}" : ",\"unload\":true}");
      Finish(call, Json(200, std::move(body)));
    });
  };
  if (load) {
    model_.LoadAsync(std::move(done));
  } else {
    model_.UnloadAsync(std::move(done));
  }
}

}  // namespace skiff::serving
