// Model-server options and the flag parser shared by every skiff-serve-* executable. Flags
// match KServe's model-server flags where they exist (`--model_name`, `--model_dir`,
// `--http_port`, `--grpc_port`, `--workers`); each may be spelled with '-' or '_', as
// `--flag=value` or `--flag value`.
#pragma once

#include <cstddef>
#include <map>
#include <optional>
#include <span>
#include <string>
#include <string_view>

#include "base/status.h"

namespace skiff::serving {

enum class LoggerMode { kAll, kRequest, kResponse };

struct ServerOptions {
  std::string model_name = "model";       // --model_name: the {m} in every path
  std::string model_dir = "/mnt/models";  // --model_dir: where the runtime finds its file
  std::string model_version;              // --model_version: empty = unversioned
  std::string http_host = "0.0.0.0";      // --http_host
  int http_port = 8080;                   // --http_port (KServe's default); 0 picks a free port
  int grpc_port = 8081;                   // --grpc_port (KServe's default); 0 picks a free port
  bool enable_grpc = true;                // --enable_grpc (KServe's flag)
  int workers = 0;                        // --workers: HTTP loop threads; 0 = one per core
  // --max_batch_size: rows per model call for runtimes that can batch; 0 = runtime default,
  // 1 = no cross-request batching.
  int max_batch_size = 0;
  // --max_latency_ms: how long a non-full batch may wait for more requests (fractional ok).
  double max_latency_ms = 0;
  // --loop_batching: for thread-safe runtimes that batch (XGBoost), run the
  // requests each HTTP loop decoded in one round as one model call at the end of the round,
  // on that loop (no batcher-thread handoff). See ModelOptions::loop_batching.
  bool loop_batching = true;
  // --max_body_bytes: larger request bodies get 413 before they are read.
  size_t max_body_bytes = size_t{64} << 20;
  // --drain_timeout_s: on SIGTERM, how long in-flight requests may take before exit.
  int drain_timeout_s = 30;
  std::string log_level = "info";  // --log_level: trace|debug|info|warn|error
  // --logger_url / --logger_mode (all|request|response) / --logger_queue_size: the payload
  // logger (KServe's agent logger semantics); empty URL = off.
  std::string logger_url;
  LoggerMode logger_mode = LoggerMode::kAll;
  size_t logger_queue_size = 100;
  // --enable_fixed_response: serve `/bench/fixed`, a constant answer on the same HTTP stack
  // (the benchmark's physical limit).
  bool enable_fixed_response = false;
  // --exit_on_load_failure: exit 1 when the model fails to load, as KServe's model servers do
  // (the pod restarts and shows why); without it the server stays live and answers 503.
  bool exit_on_load_failure = false;
  // Values of the runtime's own flags (RuntimeFlag), defaults filled in; key without dashes.
  std::map<std::string, std::string, std::less<>> runtime_flags;

  std::string_view RuntimeFlag(std::string_view name) const;
};

// A flag a runtime adds (e.g. XGBoost's --nthread).
struct RuntimeFlagSpec {
  std::string_view name;  // with underscores
  std::string_view default_value;
  std::string_view help;
  bool is_bool = false;  // `--name` alone means true
};

// Parses argv[1..]. InvalidArgument names the offending flag. `--help` gives NotFound with
// the help text as message (the caller prints it and exits 0).
StatusOr<ServerOptions> ParseServerFlags(std::span<const std::string_view> args,
                                         std::span<const RuntimeFlagSpec> runtime_flags);
std::string ServerFlagsHelp(std::string_view program,
                            std::span<const RuntimeFlagSpec> runtime_flags);

}  // namespace skiff::serving
