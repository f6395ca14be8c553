// skiff-serve-xgboost: the model server with the XGBoost runtime.
#include <charconv>

#include "runtimes/xgboost/xgboost_runtime.h"
#include "serving/server/serve_main.h"

namespace {

constexpr skiff::serving::RuntimeFlagSpec kFlags[] = {
    {.name = "nthread", .default_value = "1", .help = "threads per prediction call (default 1)"},
};

}  // namespace

int main(int argc, char** argv) {
  using skiff::StatusOr;
  using skiff::serving::Runtime;
  using skiff::serving::ServerOptions;
  return skiff::serving::ServeMain(
      argc, argv,
      {.program = "skiff-serve-xgboost",
       .flags = kFlags,
       .make_runtime = [](const ServerOptions& o) -> StatusOr<std::unique_ptr<Runtime>> {
         std::string_view v = o.RuntimeFlag("nthread");
         int n = 0;
         auto [ptr, ec] = std::from_chars(v.data(), v.data() + v.size(), n);
         if (ec != std::errc() || ptr != v.data() + v.size() || n < 0) {
           return skiff::InvalidArgument("invalid --nthread \"" + std::string(v) + "\"");
         }
         return skiff::runtimes::xgboost::NewXgboostRuntime({.nthread = n});
       }});
}
