// GatewayMain: flag parsing, logging, the routes-file watcher and the signal wait. The main
// thread does the watching between signal waits, so no extra thread is needed.
#include "gateway/gateway_main.h"

#include <signal.h>
#include <spdlog/sinks/stdout_sinks.h>
#include <spdlog/spdlog.h>
#include <sys/stat.h>

#include <charconv>
#include <cstdio>
#include <ctime>
#include <fstream>
#include <optional>
#include <sstream>
#include <string>
#include <string_view>

#include "gateway/gateway.h"

namespace skiff::gateway {

namespace {

constexpr const char* kUsage = R"(usage: skiff-gateway [flags]
  --listen ADDR                 proxy listener host:port (default 0.0.0.0:8080; port 0 = any)
  --routes FILE                 JSON routing table, reloaded when it changes (docs/gateway.md)
  --metrics-bind-address ADDR   serve /metrics and /healthz there (default: off)
  --workers N                   event loops (default: one per core)
  --activator-queue N           held requests per revision with no endpoint (default 1000)
  --activator-timeout-s S       longest hold of such a request (default 60)
  --connect-timeout-ms MS       upstream connect limit before retrying elsewhere (default 2000)
  --max-body-bytes N            larger request bodies get 413 (default 64 MiB)
  --log-level LEVEL             trace, debug, info, warn, error (default info)
)";

struct Flags {
  GatewayOptions options;
  std::string routes_file;
  std::string log_level = "info";
};

template <typename T>
bool ParseNumber(std::string_view s, T& out) {
  auto [ptr, ec] = std::from_chars(s.data(), s.data() + s.size(), out);
  return ec == std::errc() && ptr == s.data() + s.size();
}

// --flag=value or --flag value. Returns an error message, or nullopt.
std::optional<std::string> ParseFlags(int argc, char** argv, Flags& f, bool& help) {
  for (int i = 1; i < argc; ++i) {
    std::string_view arg = argv[i];
    if (arg == "-h" || arg == "--help") {
      help = true;
      return std::nullopt;
    }
    if (!arg.starts_with("--")) return "unexpected argument " + std::string(arg);
    std::string name(arg.substr(2)), value;
    if (auto eq = name.find('='); eq != std::string::npos) {
      value = name.substr(eq + 1);
      name.resize(eq);
    } else if (i + 1 < argc) {
      value = argv[++i];
    } else {
      return "--" + name + " needs a value";
    }
    for (char& c : name) c = c == '_' ? '-' : c;
    auto bad = [&] { return "invalid value for --" + name + ": \"" + value + "\""; };
    if (name == "listen") {
      f.options.listen = value;
    } else if (name == "routes") {
      f.routes_file = value;
    } else if (name == "metrics-bind-address") {
      f.options.metrics_listen = value;
    } else if (name == "workers") {
      if (!ParseNumber(value, f.options.workers) || f.options.workers < 0) return bad();
    } else if (name == "activator-queue") {
      if (!ParseNumber(value, f.options.activator.queue_capacity)) return bad();
    } else if (name == "activator-timeout-s") {
      double s = 0;
      if (!ParseNumber(value, s) || s <= 0) return bad();
      f.options.activator.hold_timeout = std::chrono::milliseconds(static_cast<int64_t>(s * 1000));
    } else if (name == "connect-timeout-ms") {
      int64_t ms = 0;
      if (!ParseNumber(value, ms) || ms <= 0) return bad();
      f.options.connect_timeout = std::chrono::milliseconds(ms);
    } else if (name == "max-body-bytes") {
      if (!ParseNumber(value, f.options.max_body_bytes)) return bad();
    } else if (name == "log-level") {
      f.log_level = value;
    } else {
      return "unknown flag --" + name;
    }
  }
  return std::nullopt;
}

struct FileVersion {
  bool exists = false;
  dev_t dev = 0;
  ino_t ino = 0;
  off_t size = 0;
  timespec mtime{};
  bool operator==(const FileVersion& o) const {
    return exists == o.exists && dev == o.dev && ino == o.ino && size == o.size &&
           mtime.tv_sec == o.mtime.tv_sec && mtime.tv_nsec == o.mtime.tv_nsec;
  }
};

FileVersion Stat(const std::string& path) {
  struct stat st {};
  FileVersion v;
  if (::stat(path.c_str(), &st) != 0) return v;
  v.exists = true;
  v.dev = st.st_dev;
  v.ino = st.st_ino;
  v.size = st.st_size;
  v.mtime = st.st_mtim;
  return v;
}

// Reads and installs the routes file. Errors leave the current table in place.
Status LoadRoutes(Gateway& gateway, const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return NotFound("cannot read routes file " + path);
  std::stringstream text;
  text << in.rdbuf();
  return gateway.LoadRoutesJson(text.str());
}

}  // namespace

int GatewayMain(int argc, char** argv) {
  Flags flags;
  bool help = false;
  if (auto err = ParseFlags(argc, argv, flags, help)) {
    std::fprintf(stderr, "skiff-gateway: %s\n%s", err->c_str(), kUsage);
    return 2;
  }
  if (help) {
    std::fputs(kUsage, stdout);
    return 0;
  }
  auto logger = spdlog::stderr_logger_mt("skiff-gateway");
  spdlog::set_default_logger(logger);
  spdlog::set_level(spdlog::level::from_str(flags.log_level));
  spdlog::flush_on(spdlog::level::info);

  // Every thread started below inherits the mask, so only sigtimedwait sees these.
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGTERM);
  sigaddset(&signals, SIGINT);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);
  signal(SIGPIPE, SIG_IGN);

  auto started = Gateway::Start(flags.options);
  if (!started.ok()) {
    spdlog::error("component=gateway {}", started.status().message());
    return 1;
  }
  Gateway& gateway = **started;
  FileVersion version;
  if (!flags.routes_file.empty()) {
    version = Stat(flags.routes_file);
    if (Status s = LoadRoutes(gateway, flags.routes_file); !s.ok()) {
      spdlog::error("component=gateway routes file {}: {}", flags.routes_file, s.message());
      return 1;
    }
  }
  std::string where =
      "listening http=" + flags.options.listen.substr(0, flags.options.listen.rfind(':')) + ":" +
      std::to_string(gateway.port());
  if (gateway.metrics_port() != 0) {
    where += " metrics=" +
             flags.options.metrics_listen.substr(0, flags.options.metrics_listen.rfind(':')) + ":" +
             std::to_string(gateway.metrics_port());
  }
  spdlog::info("component=gateway {}", where);

  // Half-second polls of the routes file between signal waits: an edit takes effect within
  // about that long, and editors that replace the file (new inode) are noticed too.
  const timespec poll{0, 500'000'000};
  while (true) {
    int sig = sigtimedwait(&signals, nullptr, &poll);
    if (sig == SIGTERM || sig == SIGINT) {
      spdlog::info("component=gateway received signal {}, stopping", sig);
      break;
    }
    if (flags.routes_file.empty()) continue;
    FileVersion now = Stat(flags.routes_file);
    if (now == version || !now.exists) continue;
    version = now;
    if (Status s = LoadRoutes(gateway, flags.routes_file); !s.ok()) {
      // Counted in skiff_gateway_config_errors_total; the previous table keeps serving.
      spdlog::warn("component=gateway routes file {} not applied: {}", flags.routes_file,
                   s.message());
    } else {
      spdlog::info("component=gateway routes file {} reloaded", flags.routes_file);
    }
  }
  gateway.Stop();
  spdlog::info("component=gateway stopped");
  return 0;
}

}  // namespace skiff::gateway
