#include "serving/rest_api.h"

#include <gtest/gtest.h>

#include <future>

#include "serving/fake_runtime_testonly.h"

namespace skiff::serving {
namespace {

class Capture : public HttpResponder {
 public:
  void Dispatch(std::function<void()> fn) override { fn(); }
  void Send(HttpResponse response) override { promise_.set_value(std::move(response)); }
  HttpResponse Get() { return promise_.get_future().get(); }

 private:
  std::promise<HttpResponse> promise_;
};

class RestApiTest : public ::testing::Test {
 protected:
  void Start(bool thread_safe, int max_batch, Status load = Status::Ok()) {
    ModelOptions options;
    options.name = "iris";
    options.max_batch_size = max_batch;
    model_ = std::make_unique<Model>(
        options, std::make_unique<FakeRuntime>(thread_safe, true, load), metrics_);
    std::promise<Status> loaded;
    model_->LoadAsync([&](Status s) { loaded.set_value(s); });
    EXPECT_EQ(loaded.get_future().get().ok(), load.ok());
    api_ = std::make_unique<RestApi>(*model_, metrics_, RestApiOptions{}, nullptr);
  }

  HttpResponse Call(std::string method, std::string target, std::string body = "",
                    std::optional<std::string> header_length = std::nullopt) {
    HttpRequest req;
    req.method = std::move(method);
    req.target = std::move(target);
    req.body = std::move(body);
    req.inference_header_length = std::move(header_length);
    req.received = std::chrono::steady_clock::now();
    auto capture = std::make_shared<Capture>();
    api_->Handle(std::move(req), capture);
    return capture->Get();
  }

  ServingMetrics metrics_{"iris"};
  std::unique_ptr<Model> model_;
  std::unique_ptr<RestApi> api_;
};

TEST_F(RestApiTest, V1PredictInlineAndBatched) {
  for (bool thread_safe : {true, false}) {
    Start(thread_safe, thread_safe ? 1 : 8);
    HttpResponse r = Call("POST", "/v1/models/iris:predict", R"({"instances":[[1,2],[3,4.5]]})");
    EXPECT_EQ(r.status, 200);
    EXPECT_EQ(r.body, R"({"predictions":[[2.0,4.0],[6.0,9.0]]})");
  }
}

TEST_F(RestApiTest, V2InferJsonAndBinary) {
  Start(true, 1);
  HttpResponse r = Call("POST", "/v2/models/iris/infer",
                        R"({"id":"abc","inputs":[{"name":"x","shape":[1,2],"datatype":"FP32",)"
                        R"("data":[1,2]}]})");
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(r.body,
            R"({"model_name":"iris","id":"abc","outputs":[{"name":"output-0","datatype":"FP64",)"
            R"("shape":[1,2],"data":[2.0,4.0]}]})");
  std::string json =
      R"({"inputs":[{"name":"x","shape":[1,2],"datatype":"FP64","parameters":)"
      R"({"binary_data_size":16}}],"outputs":[{"name":"output-0","parameters":{"binary_data":true}}]})";
  double values[] = {1.5, -2};
  std::string body = json + std::string(reinterpret_cast<const char*>(values), 16);
  r = Call("POST", "/v2/models/iris/infer", body, std::to_string(json.size()));
  EXPECT_EQ(r.status, 200);
  ASSERT_TRUE(r.inference_header_length.has_value());
  ASSERT_EQ(r.body.size(), *r.inference_header_length + 16);
  double out[2];
  std::memcpy(out, r.body.data() + *r.inference_header_length, 16);
  EXPECT_EQ(out[0], 3.0);
  EXPECT_EQ(out[1], -4.0);
  // The binary tensor cut short.
  r = Call("POST", "/v2/models/iris/infer", body.substr(0, body.size() - 3),
           std::to_string(json.size()));
  EXPECT_EQ(r.status, 400);
}

TEST_F(RestApiTest, KServeErrors) {
  Start(true, 1);
  HttpResponse r = Call("POST", "/v1/models/iris:predict", "{not json");
  EXPECT_EQ(r.status, 400);
  EXPECT_EQ(r.body.rfind("{\"error\":", 0), 0u);
  r = Call("POST", "/v1/models/rose:predict", R"({"instances":[[1,2]]})");
  EXPECT_EQ(r.status, 404);
  EXPECT_EQ(r.body, R"({"error":"Model with name rose does not exist."})");
  r = Call("POST", "/v2/models/iris/infer",
           R"({"inputs":[{"name":"x","shape":[1,3],"datatype":"FP32","data":[1,2]}]})");
  EXPECT_EQ(r.status, 400);
  r = Call("POST", "/v2/models/iris/infer",
           R"({"inputs":[{"name":"x","shape":[1,2],"datatype":"FP33","data":[1,2]}]})");
  EXPECT_EQ(r.status, 400);
  r = Call("POST", "/v2/models/iris/infer", R"({"inputs":[{"name":"x"}]})");
  EXPECT_EQ(r.status, 422);
  r = Call("POST", "/v1/models/iris:predict", R"({"instances":[[1,2]]})", std::nullopt);
  EXPECT_EQ(r.status, 200);  // still serving
  r = Call("GET", "/v2/nothing");
  EXPECT_EQ(r.status, 404);
  r = Call("GET", "/v1/models/iris:predict");
  EXPECT_EQ(r.status, 405);
}

TEST_F(RestApiTest, HealthMetadataAndMetrics) {
  Start(true, 1);
  EXPECT_EQ(Call("GET", "/v2/health/live").body, R"({"live":true})");
  EXPECT_EQ(Call("GET", "/v2/health/ready").body, R"({"ready":true})");
  EXPECT_EQ(Call("GET", "/v1/models/iris").body, R"({"name":"iris","ready":true})");
  EXPECT_EQ(Call("GET", "/v2/models/iris/versions/7/ready").status, 200);
  HttpResponse md = Call("GET", "/v2/models/iris");
  EXPECT_EQ(
      md.body,
      R"({"name":"iris","platform":"fake","inputs":[{"name":"input-0","datatype":"FP64",)"
      R"("shape":[-1,2]}],"outputs":[{"name":"output-0","datatype":"FP64","shape":[-1,2]}]})");
  std::string text = Call("GET", "/metrics").body;
  EXPECT_NE(text.find(R"(skiff_serving_requests_total{protocol="v2",model="iris",code="200"} 4)"),
            std::string::npos)
      << text;
  EXPECT_NE(text.find(R"(skiff_serving_requests_total{protocol="v1",model="iris",code="200"} 1)"),
            std::string::npos);
  EXPECT_NE(text.find("skiff_serving_inflight_requests{model=\"iris\"} 0"), std::string::npos);
  api_->SetDraining();
  EXPECT_EQ(Call("GET", "/v2/health/ready").status, 503);
  EXPECT_EQ(Call("GET", "/v2/health/live").status, 200);
}

TEST_F(RestApiTest, FailedLoadIsNotReadyWithReason) {
  Start(true, 1, FailedPrecondition("Failed to load /m/model.joblib: UnpicklingError : bad"));
  HttpResponse r = Call("GET", "/v2/models/iris");
  EXPECT_EQ(r.status, 503);
  EXPECT_NE(r.body.find("UnpicklingError"), std::string::npos) << r.body;
  EXPECT_EQ(Call("GET", "/v2/health/ready").status, 503);
  EXPECT_EQ(Call("GET", "/v1/models/iris").status, 503);
  EXPECT_EQ(Call("POST", "/v1/models/iris:predict", R"({"instances":[[1,2]]})").status, 503);
  EXPECT_EQ(Call("GET", "/v2/health/live").status, 200);
}

TEST_F(RestApiTest, RepositoryUnloadAndLoad) {
  Start(false, 4);
  EXPECT_EQ(Call("POST", "/v2/repository/models/iris/unload").body,
            R"({"name":"iris","unload":true})");
  EXPECT_EQ(Call("GET", "/v2/models/iris/ready").status, 503);
  EXPECT_EQ(Call("POST", "/v2/repository/models/iris/load").body, R"({"name":"iris","load":true})");
  EXPECT_EQ(Call("POST", "/v1/models/iris:predict", R"({"instances":[[1,2]]})").status, 200);
  EXPECT_EQ(Call("POST", "/v2/repository/models/rose/load").status, 404);
}

}  // namespace
}  // namespace skiff::serving
