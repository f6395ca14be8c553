// The GRPCInferenceService callback implementation. Each handler is thin: check the model,
// convert, call Model, convert back, map the Status to a gRPC status.
#include "serving/server/grpc_server.h"

#include <grpcpp/grpcpp.h>
#include <spdlog/spdlog.h>

#include "serving/errors.h"
#include "serving/proto/grpc_predict_v2.grpc.pb.h"
#include "serving/server/grpc_codec_impl.h"

namespace skiff::serving {

namespace {

using grpc::CallbackServerContext;
using grpc::ServerUnaryReactor;

grpc::Status ToGrpc(const Status& s) {
  if (s.ok()) return grpc::Status::OK;
  return grpc::Status(static_cast<grpc::StatusCode>(GrpcStatusCode(s.code())), s.message());
}

class Service final : public inference::GRPCInferenceService::CallbackService {
 public:
  Service(Model& model, ServingMetrics& metrics) : model_(model), metrics_(metrics) {}

  ServerUnaryReactor* ServerLive(CallbackServerContext* ctx, const inference::ServerLiveRequest*,
                                 inference::ServerLiveResponse* resp) override {
    resp->set_live(true);
    return Done(ctx, Status::Ok());
  }

  ServerUnaryReactor* ServerReady(CallbackServerContext* ctx, const inference::ServerReadyRequest*,
                                  inference::ServerReadyResponse* resp) override {
    resp->set_ready(model_.state() == ModelState::kReady);
    return Done(ctx, Status::Ok());
  }

  ServerUnaryReactor* ModelReady(CallbackServerContext* ctx,
                                 const inference::ModelReadyRequest* req,
                                 inference::ModelReadyResponse* resp) override {
    if (Status s = CheckName(req->name(), req->version()); !s.ok()) return Done(ctx, s);
    resp->set_ready(model_.state() == ModelState::kReady);
    return Done(ctx, Status::Ok());
  }

  ServerUnaryReactor* ServerMetadata(CallbackServerContext* ctx,
                                     const inference::ServerMetadataRequest*,
                                     inference::ServerMetadataResponse* resp) override {
    resp->set_name("skiff-serve");
    resp->set_version("0.1.0");
    resp->add_extensions("model_repository_extension");
    return Done(ctx, Status::Ok());
  }

  ServerUnaryReactor* ModelMetadata(CallbackServerContext* ctx,
                                    const inference::ModelMetadataRequest* req,
                                    inference::ModelMetadataResponse* resp) override {
    if (Status s = CheckName(req->name(), req->version()); !s.ok()) return Done(ctx, s);
    StatusOr<skiff::serving::ModelMetadata> md = model_.Metadata();
    if (!md.ok()) return Done(ctx, md.status());
    resp->set_name(model_.name());
    if (!model_.version().empty()) resp->add_versions(model_.version());
    resp->set_platform(md->platform);
    auto fill = [](const std::vector<TensorMetadata>& from, auto* to) {
      for (const TensorMetadata& t : from) {
        auto* m = to->Add();
        m->set_name(t.name);
        m->set_datatype(std::string(DataTypeName(t.datatype)));
        for (int64_t d : t.shape) m->add_shape(d);
      }
    };
    fill(md->inputs, resp->mutable_inputs());
    fill(md->outputs, resp->mutable_outputs());
    return Done(ctx, Status::Ok());
  }

  ServerUnaryReactor* ModelInfer(CallbackServerContext* ctx,
                                 const inference::ModelInferRequest* req,
                                 inference::ModelInferResponse* resp) override {
    auto start = std::chrono::steady_clock::now();
    metrics_.AddInflight(1);
    ServerUnaryReactor* reactor = ctx->DefaultReactor();
    auto finish = [this, reactor, start](const Status& s) {
      metrics_.RecordRequest(
          Protocol::kGrpc, GrpcStatusCode(s.code()),
          std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count());
      metrics_.AddInflight(-1);
      reactor->Finish(ToGrpc(s));
    };
    if (Status s = CheckName(req->model_name(), req->model_version()); !s.ok()) {
      finish(s);
      return reactor;
    }
    if (Status s = model_.CheckReady(); !s.ok()) {
      finish(s);
      return reactor;
    }
    V2DecodeOptions options;
    options.model_name = model_.name();
    StatusOr<InferRequest> decoded = InferRequestFromProto(*req, options);
    if (!decoded.ok()) {
      finish(decoded.status());
      return reactor;
    }
    bool raw = req->raw_input_contents_size() > 0;
    V2ResponseOptions response_options = ResponseOptionsFor(*decoded);
    std::string id = std::move(decoded->id);
    PredictRequest pr;
    pr.inputs = std::move(decoded->inputs);
    for (const RequestedOutput& o : decoded->outputs) pr.output_names.push_back(o.name);
    pr.parameters = std::move(decoded->parameters);
    model_.Predict(std::move(pr), [this, resp, raw, finish, id = std::move(id),
                                   response_options = std::move(response_options)](
                                      StatusOr<std::vector<Tensor>> result) mutable {
      if (!result.ok()) {
        finish(result.status());
        return;
      }
      InferResponse response;
      response.model_name = model_.name();
      response.model_version = model_.version();
      response.id = std::move(id);
      response.outputs = std::move(*result);
      finish(InferResponseToProto(std::move(response), response_options, raw, *resp));
    });
    return reactor;
  }

  ServerUnaryReactor* RepositoryModelLoad(CallbackServerContext* ctx,
                                          const inference::RepositoryModelLoadRequest* req,
                                          inference::RepositoryModelLoadResponse* resp) override {
    if (Status s = CheckName(req->model_name(), ""); !s.ok()) return Done(ctx, s);
    ServerUnaryReactor* reactor = ctx->DefaultReactor();
    model_.LoadAsync([this, reactor, resp](Status s) {
      resp->set_model_name(model_.name());
      resp->set_isloaded(s.ok());
      reactor->Finish(ToGrpc(s.ok() ? s : model_.CheckReady()));
    });
    return reactor;
  }

  ServerUnaryReactor* RepositoryModelUnload(
      CallbackServerContext* ctx, const inference::RepositoryModelUnloadRequest* req,
      inference::RepositoryModelUnloadResponse* resp) override {
    if (Status s = CheckName(req->model_name(), ""); !s.ok()) return Done(ctx, s);
    ServerUnaryReactor* reactor = ctx->DefaultReactor();
    model_.UnloadAsync([this, reactor, resp](Status s) {
      resp->set_model_name(model_.name());
      resp->set_isunloaded(s.ok());
      reactor->Finish(ToGrpc(s));
    });
    return reactor;
  }

 private:
  ServerUnaryReactor* Done(CallbackServerContext* ctx, const Status& s) {
    ServerUnaryReactor* reactor = ctx->DefaultReactor();
    reactor->Finish(ToGrpc(s));
    return reactor;
  }

  Status CheckName(const std::string& name, const std::string& version) {
    if (name != model_.name()) return ModelNotFoundError(name);
    if (!version.empty() && !model_.version().empty() && version != model_.version()) {
      return NotFound("Model with name " + name + " version " + version + " does not exist.");
    }
    return Status::Ok();
  }

  Model& model_;
  ServingMetrics& metrics_;
};

class GrpcServerImpl : public GrpcServer {
 public:
  GrpcServerImpl(Model& model, ServingMetrics& metrics) : service_(model, metrics) {}
  ~GrpcServerImpl() override { Shutdown(std::chrono::steady_clock::now()); }

  Status Start(const GrpcServerOptions& options) {
    grpc::ServerBuilder builder;
    std::string address = options.host + ":" + std::to_string(options.port);
    builder.AddListeningPort(address, grpc::InsecureServerCredentials(), &port_);
    builder.SetMaxReceiveMessageSize(static_cast<int>(options.max_message_bytes));
    builder.SetMaxSendMessageSize(static_cast<int>(options.max_message_bytes));
    builder.RegisterService(&service_);
    server_ = builder.BuildAndStart();
    if (server_ == nullptr || port_ == 0) {
      return Unavailable("cannot listen for gRPC on " + address);
    }
    return Status::Ok();
  }

  int port() const override { return port_; }

  void Shutdown(std::chrono::steady_clock::time_point deadline) override {
    if (server_ == nullptr || shut_down_) return;
    shut_down_ = true;
    auto wall = std::chrono::system_clock::now() +
                std::chrono::duration_cast<std::chrono::system_clock::duration>(
                    deadline - std::chrono::steady_clock::now());
    server_->Shutdown(wall);
    server_->Wait();
  }

 private:
  Service service_;
  std::unique_ptr<grpc::Server> server_;
  int port_ = 0;
  bool shut_down_ = false;
};

}  // namespace

StatusOr<std::unique_ptr<GrpcServer>> GrpcServer::Start(const GrpcServerOptions& options,
                                                        Model& model, ServingMetrics& metrics) {
  auto server = std::make_unique<GrpcServerImpl>(model, metrics);
  SKIFF_RETURN_IF_ERROR(server->Start(options));
  return std::unique_ptr<GrpcServer>(std::move(server));
}

}  // namespace skiff::serving
