// Flag parsing for the model servers: a small table of typed setters.
#include "serving/server_options.h"

#include <charconv>
#include <functional>
#include <vector>

namespace skiff::serving {

namespace {

// KServe model-server flags Skiff accepts and ignores (they tune its Python stack).
constexpr std::string_view kIgnoredKServeFlags[] = {
    "enable_docs_url",     "enable_latency_logging", "max_threads",
    "max_asyncio_workers", "configure_logging",      "log_config_file",
    "access_log_format",   "predictor_host",         "protocol"};

std::string Normalize(std::string_view name) {
  std::string out(name);
  for (char& c : out) {
    if (c == '-') c = '_';
  }
  return out;
}

Status BadValue(std::string_view flag, std::string_view value, std::string_view want) {
  return InvalidArgument("invalid value \"" + std::string(value) + "\" for --" + std::string(flag) +
                         ": " + std::string(want));
}

template <typename T>
Status ParseNumber(std::string_view flag, std::string_view value, T& out, T min) {
  T v{};
  auto [ptr, ec] = std::from_chars(value.data(), value.data() + value.size(), v);
  if (ec != std::errc() || ptr != value.data() + value.size() || v < min) {
    return BadValue(flag, value, "want a number >= " + std::to_string(min));
  }
  out = v;
  return Status::Ok();
}

StatusOr<bool> ParseBool(std::string_view flag, std::string_view value) {
  if (value == "true" || value == "1" || value == "True") return true;
  if (value == "false" || value == "0" || value == "False") return false;
  return BadValue(flag, value, "want true or false");
}

struct Setter {
  std::string_view name;
  bool is_bool;
  std::string_view help;
  std::function<Status(ServerOptions&, std::string_view)> set;
};

std::vector<Setter> Setters() {
  auto str = [](std::string ServerOptions::*field) {
    return [field](ServerOptions& o, std::string_view v) {
      o.*field = std::string(v);
      return Status::Ok();
    };
  };
  auto integer = [](int ServerOptions::*field, std::string_view name, int min) {
    return [field, name, min](ServerOptions& o, std::string_view v) {
      return ParseNumber(name, v, o.*field, min);
    };
  };
  auto boolean = [](bool ServerOptions::*field, std::string_view name) {
    return [field, name](ServerOptions& o, std::string_view v) -> Status {
      StatusOr<bool> b = ParseBool(name, v);
      if (!b.ok()) return b.status();
      o.*field = *b;
      return Status::Ok();
    };
  };
  return {
      {"model_name", false, "model name served at /v1/models/{m} and /v2/models/{m}",
       str(&ServerOptions::model_name)},
      {"model_dir", false, "directory holding the model file", str(&ServerOptions::model_dir)},
      {"model_version", false, "model version (default: unversioned)",
       str(&ServerOptions::model_version)},
      {"http_host", false, "address to listen on (default 0.0.0.0)",
       str(&ServerOptions::http_host)},
      {"http_port", false, "REST port (default 8080; 0 = any free port)",
       integer(&ServerOptions::http_port, "http_port", 0)},
      {"grpc_port", false, "gRPC port (default 8081; 0 = any free port)",
       integer(&ServerOptions::grpc_port, "grpc_port", 0)},
      {"enable_grpc", true, "serve Open Inference Protocol V2 over gRPC (default true)",
       boolean(&ServerOptions::enable_grpc, "enable_grpc")},
      {"workers", false, "HTTP loop threads (default: one per core)",
       integer(&ServerOptions::workers, "workers", 0)},
      {"max_batch_size", false, "rows per model call (0 = runtime default, 1 = no batching)",
       integer(&ServerOptions::max_batch_size, "max_batch_size", 0)},
      {"max_latency_ms", false, "longest wait of a non-full batch for more requests (default 0)",
       [](ServerOptions& o, std::string_view v) -> Status {
         double d = 0;
         auto [ptr, ec] = std::from_chars(v.data(), v.data() + v.size(), d);
         if (ec != std::errc() || ptr != v.data() + v.size() || d < 0) {
           return BadValue("max_latency_ms", v, "want milliseconds >= 0");
         }
         o.max_latency_ms = d;
         return Status::Ok();
       }},
      {"loop_batching", true,
       "batch thread-safe runtimes on the HTTP loop at the end of each round (default true; "
       "needs max_latency_ms 0)",
       boolean(&ServerOptions::loop_batching, "loop_batching")},
      {"max_body_bytes", false, "largest request body accepted (default 64 MiB); larger get 413",
       [](ServerOptions& o, std::string_view v) {
         return ParseNumber<size_t>("max_body_bytes", v, o.max_body_bytes, 1);
       }},
      {"drain_timeout_s", false, "SIGTERM: seconds to let in-flight requests finish (default 30)",
       integer(&ServerOptions::drain_timeout_s, "drain_timeout_s", 0)},
      {"log_level", false, "trace|debug|info|warn|error (default info)",
       str(&ServerOptions::log_level)},
      {"logger_url", false, "payload logger sink URL (http://host:port/path); empty = off",
       str(&ServerOptions::logger_url)},
      {"logger_mode", false, "all|request|response (default all)",
       [](ServerOptions& o, std::string_view v) -> Status {
         if (v == "all") {
           o.logger_mode = LoggerMode::kAll;
         } else if (v == "request") {
           o.logger_mode = LoggerMode::kRequest;
         } else if (v == "response") {
           o.logger_mode = LoggerMode::kResponse;
         } else {
           return BadValue("logger_mode", v, "want all, request or response");
         }
         return Status::Ok();
       }},
      {"logger_queue_size", false, "payload events buffered for the sink (default 100)",
       [](ServerOptions& o, std::string_view v) {
         return ParseNumber<size_t>("logger_queue_size", v, o.logger_queue_size, 1);
       }},
      {"enable_fixed_response", true, "serve /bench/fixed, a constant answer (benchmarks)",
       boolean(&ServerOptions::enable_fixed_response, "enable_fixed_response")},
      {"exit_on_load_failure", true, "exit 1 when the model fails to load (KServe's behaviour)",
       boolean(&ServerOptions::exit_on_load_failure, "exit_on_load_failure")},
  };
}

}  // namespace

std::string_view ServerOptions::RuntimeFlag(std::string_view name) const {
  auto it = runtime_flags.find(name);
  return it == runtime_flags.end() ? std::string_view() : std::string_view(it->second);
}

StatusOr<ServerOptions> ParseServerFlags(std::span<const std::string_view> args,
                                         std::span<const RuntimeFlagSpec> runtime_flags) {
  ServerOptions options;
  for (const RuntimeFlagSpec& f : runtime_flags) {
    options.runtime_flags[std::string(f.name)] = std::string(f.default_value);
  }
  std::vector<Setter> setters = Setters();
  for (size_t i = 0; i < args.size(); ++i) {
    std::string_view arg = args[i];
    if (arg == "--help" || arg == "-h") return NotFound("help");
    if (arg.substr(0, 2) != "--") {
      return InvalidArgument("unexpected argument \"" + std::string(arg) + "\"");
    }
    arg.remove_prefix(2);
    std::optional<std::string_view> value;
    if (size_t eq = arg.find('='); eq != std::string_view::npos) {
      value = arg.substr(eq + 1);
      arg = arg.substr(0, eq);
    }
    std::string name = Normalize(arg);
    bool is_bool = false;
    const Setter* setter = nullptr;
    const RuntimeFlagSpec* runtime = nullptr;
    for (const Setter& s : setters) {
      if (s.name == name) setter = &s;
    }
    for (const RuntimeFlagSpec& f : runtime_flags) {
      if (f.name == name) runtime = &f;
    }
    bool ignored = false;
    for (std::string_view n : kIgnoredKServeFlags) ignored |= n == name;
    if (setter == nullptr && runtime == nullptr && !ignored) {
      return InvalidArgument("unknown flag --" + std::string(arg));
    }
    is_bool = setter != nullptr ? setter->is_bool : runtime != nullptr && runtime->is_bool;
    if (!value) {
      bool next_is_value = i + 1 < args.size() && args[i + 1].substr(0, 2) != "--";
      if (is_bool && !(next_is_value && ParseBool(name, args[i + 1]).ok())) {
        value = "true";
      } else if (next_is_value) {
        value = args[++i];
      } else if (ignored) {
        continue;
      } else {
        return InvalidArgument("flag --" + std::string(arg) + " needs a value");
      }
    }
    if (setter != nullptr) {
      SKIFF_RETURN_IF_ERROR(setter->set(options, *value));
    } else if (runtime != nullptr) {
      if (runtime->is_bool) {
        StatusOr<bool> b = ParseBool(name, *value);
        if (!b.ok()) return b.status();
        options.runtime_flags[name] = *b ? "true" : "false";
      } else {
        options.runtime_flags[name] = std::string(*value);
      }
    }
  }
  if (options.model_name.empty()) return InvalidArgument("--model_name must not be empty");
  return options;
}

std::string ServerFlagsHelp(std::string_view program,
                            std::span<const RuntimeFlagSpec> runtime_flags) {
  std::string out = "Usage: " + std::string(program) +
                    " --model_name NAME --model_dir DIR [flags]\n"
                    "Flags may be written with '-' or '_', as --flag=value or --flag value.\n";
  auto line = [&out](std::string_view name, std::string_view help) {
    std::string flag = "  --" + std::string(name);
    flag.resize(std::max<size_t>(flag.size() + 1, 26), ' ');
    out += flag + std::string(help) + "\n";
  };
  for (const Setter& s : Setters()) line(s.name, s.help);
  for (const RuntimeFlagSpec& f : runtime_flags) line(f.name, f.help);
  return out;
}

}  // namespace skiff::serving
