// skiff-serve-torch: the model server with the TorchScript runtime.
#include "runtimes/torch/torch_runtime.h"
#include "serving/server/serve_main.h"

namespace {

constexpr skiff::serving::RuntimeFlagSpec kFlags[] = {
    {.name = "device", .default_value = "auto", .help = "auto (CUDA when available), cpu or cuda"},
};

}  // namespace

int main(int argc, char** argv) {
  using skiff::StatusOr;
  using skiff::serving::Runtime;
  using skiff::serving::ServerOptions;
  return skiff::serving::ServeMain(
      argc, argv,
      {.program = "skiff-serve-torch",
       .flags = kFlags,
       .make_runtime = [](const ServerOptions& o) -> StatusOr<std::unique_ptr<Runtime>> {
         std::string device(o.RuntimeFlag("device"));
         if (device != "auto" && device != "cpu" && device != "cuda") {
           return skiff::InvalidArgument("invalid --device \"" + device + "\"");
         }
         return skiff::runtimes::torch::NewTorchRuntime({.device = device});
       }});
}
