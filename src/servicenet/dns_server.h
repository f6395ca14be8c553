// DnsServer: the DNS transport — one UDP socket and one TCP listener on the same address,
// handing each message to a handler that produces the reply bytes.
#pragma once

#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "base/status.h"

namespace skiff::servicenet {

// Given a raw message and whether it came over TCP, the reply (nullopt: send nothing). Called on
// the server's loop thread; must not block.
using DnsHandler = std::function<std::optional<std::string>(std::string_view message, bool tcp)>;

struct DnsServerOptions {
  std::string listen = "10.244.0.1:53";  // IPv4 "ip:port"; port 0 picks one (same for UDP/TCP)
  int tcp_idle_timeout_ms = 10000;       // an idle TCP client is dropped after this
};

// Runs one event-loop thread of its own (answers are in-memory lookups; a separate loop keeps a
// busy proxy from delaying name resolution). Thread-safe Stop().
class DnsServer {
 public:
  // Binds UDP and TCP. Errors: Unavailable when the address is taken or not local.
  static StatusOr<std::unique_ptr<DnsServer>> Start(const DnsServerOptions& options,
                                                    DnsHandler handler);
  ~DnsServer();
  std::string address() const;  // "ip:port" actually bound
  void Stop();

 private:
  struct Impl;
  explicit DnsServer(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace skiff::servicenet
