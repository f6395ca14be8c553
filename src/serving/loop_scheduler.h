// LoopScheduler: how the serving core runs work later on the event-loop thread a request
// arrived on, so a model can batch the requests of one loop round without a thread handoff
// (loop batching, see Model). Implemented by the HTTP layer; no Asio here.
#pragma once

#include <functional>

namespace skiff::serving {

class LoopScheduler {
 public:
  virtual ~LoopScheduler() = default;
  // Runs `fn` on this loop's thread after the handlers that are already ready to run there
  // (the rest of the current round); the HTTP server never runs it inline. Thread-safe.
  // Callers must not hold locks that `fn` takes: a loop-less implementation may run it now.
  virtual void Defer(std::function<void()> fn) = 0;
};

}  // namespace skiff::serving
