// ServeMain: wiring of flags, model, REST, gRPC and the payload logger, plus the signal-driven
// drain. Signals are blocked in every thread and taken synchronously by the main thread.
#include "serving/server/serve_main.h"

#include <pthread.h>
#include <signal.h>
#include <spdlog/sinks/stdout_sinks.h>
#include <spdlog/spdlog.h>

#include <cstdio>
#include <string>
#include <vector>

#include "serving/metrics.h"
#include "serving/model.h"
#include "serving/rest_api.h"
#include "serving/server/grpc_server.h"
#include "serving/server/http_server.h"
#include "serving/server/payload_logger.h"

namespace skiff::serving {

int ServeMain(int argc, char** argv, const ServeMainSpec& spec) {
  std::vector<std::string_view> args(argv + 1, argv + argc);
  StatusOr<ServerOptions> parsed = ParseServerFlags(args, spec.flags);
  if (!parsed.ok()) {
    if (parsed.status().code() == StatusCode::kNotFound) {
      std::fputs(ServerFlagsHelp(spec.program, spec.flags).c_str(), stdout);
      return 0;
    }
    std::fprintf(stderr, "%s: %s\n", std::string(spec.program).c_str(),
                 parsed.status().message().c_str());
    return 2;
  }
  const ServerOptions& options = *parsed;

  auto logger = spdlog::stderr_logger_mt(std::string(spec.program));
  spdlog::set_default_logger(logger);
  spdlog::set_level(spdlog::level::from_str(options.log_level));
  spdlog::flush_on(spdlog::level::info);

  // Every thread started below inherits the mask, so only sigwait sees these.
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGTERM);
  sigaddset(&signals, SIGINT);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);
  signal(SIGPIPE, SIG_IGN);

  StatusOr<std::unique_ptr<Runtime>> runtime = spec.make_runtime(options);
  if (!runtime.ok()) {
    spdlog::error("component=serving cannot create runtime: {}", runtime.status().message());
    return 1;
  }
  ServingMetrics metrics(options.model_name);
  auto model =
      std::make_unique<Model>(ModelOptions{.name = options.model_name,
                                           .version = options.model_version,
                                           .model_dir = options.model_dir,
                                           .max_batch_size = options.max_batch_size,
                                           .max_latency = std::chrono::microseconds(
                                               static_cast<int64_t>(options.max_latency_ms * 1000)),
                                           .loop_batching = options.loop_batching},
                              std::move(*runtime), metrics);
  if (options.exit_on_load_failure) {
    model->LoadAsync([](Status s) {
      if (s.ok()) return;
      // One line on stderr: the pod's termination message (FallbackToLogsOnError).
      std::fprintf(stderr, "model failed to load: %s\n", std::string(s.message()).c_str());
      std::fflush(stderr);
      spdlog::shutdown();
      std::_Exit(1);
    });
  } else {
    model->LoadAsync();
  }

  std::unique_ptr<PayloadLogger> payload_logger;
  if (!options.logger_url.empty()) {
    StatusOr<std::unique_ptr<PayloadLogger>> pl = PayloadLogger::Start(
        PayloadLoggerOptions{
            .url = options.logger_url,
            .queue_size = options.logger_queue_size,
            .source = "http://localhost:" + std::to_string(options.http_port) + "/"},
        metrics);
    if (!pl.ok()) {
      spdlog::error("component=serving bad --logger_url: {}", pl.status().message());
      return 2;
    }
    payload_logger = std::move(*pl);
  }

  RestApi rest(*model, metrics,
               RestApiOptions{.enable_fixed_response = options.enable_fixed_response,
                              .logger_mode = options.logger_mode},
               payload_logger.get());
  StatusOr<std::unique_ptr<HttpServer>> http =
      HttpServer::Start(HttpServerOptions{.host = options.http_host,
                                          .port = options.http_port,
                                          .workers = options.workers,
                                          .max_body_bytes = options.max_body_bytes},
                        rest);
  if (!http.ok()) {
    spdlog::error("component=serving {}", http.status().message());
    return 1;
  }
  std::unique_ptr<GrpcServer> grpc;
  if (options.enable_grpc) {
    StatusOr<std::unique_ptr<GrpcServer>> g =
        GrpcServer::Start(GrpcServerOptions{.host = options.http_host,
                                            .port = options.grpc_port,
                                            .max_message_bytes = options.max_body_bytes},
                          *model, metrics);
    if (!g.ok()) {
      spdlog::error("component=serving {}", g.status().message());
      return 1;
    }
    grpc = std::move(*g);
    spdlog::info("component=serving listening grpc={}:{}", options.http_host, grpc->port());
  }
  spdlog::info("component=serving listening http={}:{} model={} workers={}", options.http_host,
               (*http)->port(), options.model_name, options.workers);

  int sig = 0;
  sigwait(&signals, &sig);
  spdlog::info("component=serving received signal {}, draining {} in-flight requests", sig,
               (*http)->inflight());
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(options.drain_timeout_s);
  rest.SetDraining();
  (*http)->BeginDrain();
  if (grpc) grpc->Shutdown(deadline);
  bool idle = (*http)->WaitIdle(deadline);
  if (!idle) {
    spdlog::warn("component=serving drain timed out with {} requests in flight",
                 (*http)->inflight());
  }
  (*http)->Stop();
  // The model goes before the HTTP server: queued callbacks post into its (stopped) loops.
  model.reset();
  grpc.reset();
  payload_logger.reset();
  http->reset();
  spdlog::info("component=serving stopped");
  return 0;
}

}  // namespace skiff::serving
