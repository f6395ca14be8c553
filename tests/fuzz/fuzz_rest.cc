// Fuzzes the model server's REST frontend end to end (route parsing, V1/V2 decoding, the
// model call, encoding, error mapping) with an inline test runtime. Input: first line is
// "METHOD TARGET", optional second line starting with 'H' is the Inference-Header-Content-Length
// value, the rest is the body. Every request must be answered exactly once with a valid status
// and, for errors, a KServe-shaped JSON body.
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "serving/fake_runtime_testonly.h"
#include "serving/model.h"
#include "serving/rest_api.h"

namespace {

using namespace skiff::serving;

class Capture : public HttpResponder {
 public:
  void Dispatch(std::function<void()> fn) override { fn(); }
  void Send(HttpResponse response) override {
    if (sent) __builtin_trap();
    sent = true;
    status = response.status;
    body = std::move(response.body);
  }
  bool sent = false;
  int status = 0;
  std::string body;
};

struct Fixture {
  ServingMetrics metrics{"m"};
  Model model{ModelOptions{.name = "m", .version = "", .model_dir = "", .max_batch_size = 1},
              std::make_unique<FakeRuntime>(/*thread_safe=*/true, /*can_batch=*/true), metrics};
  std::unique_ptr<RestApi> api;
  Fixture() {
    std::mutex mu;
    std::condition_variable cv;
    bool done = false;
    model.LoadAsync([&](skiff::Status) {
      std::lock_guard<std::mutex> lock(mu);
      done = true;
      cv.notify_all();
    });
    std::unique_lock<std::mutex> lock(mu);
    cv.wait(lock, [&] { return done; });
    api = std::make_unique<RestApi>(model, metrics, RestApiOptions{}, nullptr);
  }
};

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static Fixture* fixture = new Fixture();
  std::string_view in(reinterpret_cast<const char*>(data), size);
  HttpRequest req;
  size_t nl = in.find('\n');
  std::string_view line = in.substr(0, nl);
  in = nl == std::string_view::npos ? std::string_view() : in.substr(nl + 1);
  size_t space = line.find(' ');
  req.method = std::string(line.substr(0, space));
  req.target = space == std::string_view::npos ? "/" : std::string(line.substr(space + 1));
  if (!in.empty() && in[0] == 'H') {
    nl = in.find('\n');
    req.inference_header_length =
        std::string(in.substr(1, nl == std::string_view::npos ? nl : nl - 1));
    in = nl == std::string_view::npos ? std::string_view() : in.substr(nl + 1);
  }
  req.body = std::string(in);
  auto capture = std::make_shared<Capture>();
  fixture->api->Handle(std::move(req), capture);
  if (!capture->sent) __builtin_trap();
  if (capture->status < 200 || capture->status > 599) __builtin_trap();
  if (capture->status >= 400 && capture->body.rfind("{\"error\":", 0) != 0 &&
      capture->body.rfind("{\"detail\":", 0) != 0) {
    __builtin_trap();
  }
  return 0;
}
