// The payload logger's sender: one keep-alive HTTP/1.1 connection to the sink, reopened on
// failure; events wait in a bounded deque.
#include "serving/server/payload_logger.h"

#include <spdlog/spdlog.h>

#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http.hpp>
#include <chrono>
#include <condition_variable>
#include <deque>
#include <mutex>
#include <optional>
#include <thread>

#include "base/time.h"

namespace skiff::serving {

namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = asio::ip::tcp;

struct Url {
  std::string host;
  std::string port = "80";
  std::string path = "/";
};

StatusOr<Url> ParseUrl(std::string_view url) {
  constexpr std::string_view kScheme = "http://";
  if (url.substr(0, kScheme.size()) != kScheme) {
    return InvalidArgument("payload logger URL must start with http:// (got \"" + std::string(url) +
                           "\")");
  }
  url.remove_prefix(kScheme.size());
  Url out;
  size_t slash = url.find('/');
  std::string_view hostport = url.substr(0, slash);
  if (slash != std::string_view::npos) out.path = std::string(url.substr(slash));
  size_t colon = hostport.rfind(':');
  if (colon != std::string_view::npos && hostport.find(']') == std::string_view::npos) {
    out.port = std::string(hostport.substr(colon + 1));
    hostport = hostport.substr(0, colon);
  }
  out.host = std::string(hostport);
  if (out.host.empty() || out.port.empty()) {
    return InvalidArgument("payload logger URL has no host");
  }
  return out;
}

class LoggerImpl : public PayloadLogger {
 public:
  LoggerImpl(const PayloadLoggerOptions& options, Url url, ServingMetrics& metrics)
      : options_(options), url_(std::move(url)), metrics_(metrics) {
    // The sender thread: blocking HTTP to the sink must stay off the loops and the batcher.
    thread_ = std::thread([this] { Run(); });
  }

  ~LoggerImpl() override {
    {
      std::lock_guard<std::mutex> lock(mu_);
      stopping_ = true;
    }
    cv_.notify_all();
    thread_.join();
  }

  void Submit(PayloadEvent&& event) override {
    {
      std::lock_guard<std::mutex> lock(mu_);
      if (queue_.size() >= options_.queue_size) {
        metrics_.RecordLoggerDrop();
        return;
      }
      queue_.push_back(std::move(event));
    }
    cv_.notify_one();
  }

 private:
  void Run() {
    std::unique_lock<std::mutex> lock(mu_);
    while (true) {
      cv_.wait(lock, [this] { return stopping_ || !queue_.empty(); });
      if (queue_.empty()) return;
      PayloadEvent event = std::move(queue_.front());
      queue_.pop_front();
      lock.unlock();
      Status s = Send(event);
      if (!s.ok()) {
        metrics_.RecordLoggerDrop();
        spdlog::warn("component=serving payload logger: {} (event dropped)", s.message());
      }
      lock.lock();
      if (!s.ok() && stopping_) {
        // Shutting down with the sink unreachable: do not hold the exit for every event.
        for (size_t i = 0; i < queue_.size(); ++i) metrics_.RecordLoggerDrop();
        queue_.clear();
      }
    }
  }

  Status Send(const PayloadEvent& event) {
    http::request<http::string_body> req{http::verb::post, url_.path, 11};
    req.set(http::field::host, url_.host);
    req.set(http::field::content_type,
            event.content_type.empty() ? "application/json" : event.content_type);
    req.set("ce-specversion", "1.0");
    req.set("ce-id", event.id);
    req.set("ce-type", event.is_request ? "org.kubeflow.serving.inference.request"
                                        : "org.kubeflow.serving.inference.response");
    req.set("ce-source", options_.source);
    std::string now = FormatRfc3339(std::chrono::system_clock::now());
    req.set("ce-time", now);
    req.set("ce-recordedtime", now);
    req.set("ce-inferenceservicename", event.model);
    req.set("ce-component", options_.component);
    req.set("ce-endpoint", event.endpoint);
    req.body() = event.body;
    req.keep_alive(true);
    req.prepare_payload();
    // One retry on a fresh connection: the sink may have closed the idle keep-alive one.
    for (int attempt = 0; attempt < 2; ++attempt) {
      beast::error_code ec;
      if (!stream_) {
        stream_.emplace(io_);
        tcp::resolver resolver(io_);
        auto endpoints = resolver.resolve(url_.host, url_.port, ec);
        if (ec) return Unavailable("resolve " + url_.host + ": " + ec.message());
        stream_->expires_after(std::chrono::seconds(5));
        stream_->connect(endpoints, ec);
        if (ec) {
          stream_.reset();
          return Unavailable("connect " + url_.host + ":" + url_.port + ": " + ec.message());
        }
      }
      stream_->expires_after(std::chrono::seconds(5));
      http::write(*stream_, req, ec);
      http::response<http::string_body> res;
      if (!ec) http::read(*stream_, buffer_, res, ec);
      if (ec) {
        stream_.reset();
        buffer_.clear();
        continue;
      }
      if (!res.keep_alive()) {
        stream_.reset();
        buffer_.clear();
      }
      if (res.result_int() >= 300) {
        return Unavailable("sink answered " + std::to_string(res.result_int()));
      }
      return Status::Ok();
    }
    return Unavailable("cannot deliver to " + options_.url);
  }

  const PayloadLoggerOptions options_;
  const Url url_;
  ServingMetrics& metrics_;
  asio::io_context io_;                      // sender thread only
  std::optional<beast::tcp_stream> stream_;  // sender thread only
  beast::flat_buffer buffer_;                // sender thread only
  std::mutex mu_;
  std::condition_variable cv_;
  std::deque<PayloadEvent> queue_;  // guarded by mu_
  bool stopping_ = false;           // guarded by mu_
  std::thread thread_;
};

}  // namespace

StatusOr<std::unique_ptr<PayloadLogger>> PayloadLogger::Start(const PayloadLoggerOptions& options,
                                                              ServingMetrics& metrics) {
  SKIFF_ASSIGN_OR_RETURN(Url url, ParseUrl(options.url));
  return std::unique_ptr<PayloadLogger>(new LoggerImpl(options, std::move(url), metrics));
}

}  // namespace skiff::serving
