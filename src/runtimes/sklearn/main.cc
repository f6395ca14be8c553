// skiff-serve-sklearn: the model server with the scikit-learn runtime.
#include <cstdlib>
#include <string_view>

#include "runtimes/sklearn/sklearn_runtime.h"
#include "serving/server/serve_main.h"

namespace {

constexpr skiff::serving::RuntimeFlagSpec kFlags[] = {
    {.name = "predict_proba",
     .default_value = "",
     .help = "answer with predict_proba (default: env PREDICT_PROBA, as KServe)",
     .is_bool = true},
};

}  // namespace

int main(int argc, char** argv) {
  using skiff::StatusOr;
  using skiff::serving::Runtime;
  using skiff::serving::ServerOptions;
  return skiff::serving::ServeMain(
      argc, argv,
      {.program = "skiff-serve-sklearn",
       .flags = kFlags,
       .make_runtime = [](const ServerOptions& o) -> StatusOr<std::unique_ptr<Runtime>> {
         std::string_view flag = o.RuntimeFlag("predict_proba");
         bool proba = flag == "true";
         if (flag.empty()) {
           const char* env = std::getenv("PREDICT_PROBA");
           std::string_view e = env == nullptr ? "" : env;
           proba = e == "true" || e == "True" || e == "TRUE";
         }
         return skiff::runtimes::sklearn::NewSklearnRuntime({.predict_proba = proba});
       }});
}
