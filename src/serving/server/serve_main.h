// The common main of every skiff-serve-* executable: parses KServe-style flags, loads the
// model in the background, serves REST (and gRPC), drains on SIGTERM/SIGINT.
#pragma once

#include <functional>
#include <memory>
#include <span>
#include <string_view>

#include "base/status.h"
#include "serving/runtime.h"
#include "serving/server_options.h"

namespace skiff::serving {

struct ServeMainSpec {
  std::string_view program;                // "skiff-serve-xgboost"
  std::span<const RuntimeFlagSpec> flags;  // the runtime's own flags
  // Builds the (not yet loaded) runtime from the parsed options.
  std::function<StatusOr<std::unique_ptr<Runtime>>(const ServerOptions&)> make_runtime;
};

// Runs the server until SIGTERM/SIGINT, then drains in-flight requests (up to
// --drain_timeout_s) and returns the process exit code: 0 after a clean drain, 1 when the
// server could not start, 2 for bad flags. Logs "listening http=HOST:PORT" (and
// "grpc=HOST:PORT") at info once serving, so callers using port 0 can find the port.
int ServeMain(int argc, char** argv, const ServeMainSpec& spec);

}  // namespace skiff::serving
