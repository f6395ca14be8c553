// EventRecorder: writes core/v1 Events for an object (kubectl describe's Events section),
// aggregating repeats of the same reason+message into one Event with a growing count, as
// client-go's recorder does. Asynchronous: never blocks a reconcile.
#pragma once

#include <memory>
#include <string>
#include <string_view>

#include "base/json.h"

namespace skiff::client {
class Client;
}

namespace skiff::controllers {

class EventRecorder {
 public:
  EventRecorder(client::Client* client, std::string component);
  ~EventRecorder();  // flushes what is queued, then stops
  // `type` is "Normal" or "Warning". `object` needs apiVersion, kind and metadata.
  void Event(const Json& object, std::string_view type, std::string_view reason,
             std::string_view message);
  void Flush();  // blocks until queued events are written (tests)

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace skiff::controllers
