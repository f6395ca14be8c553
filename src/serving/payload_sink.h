// Where the payload logger's events go: request and response bodies of inference calls,
// tagged for CloudEvents (kserve.md §10). The HTTP sink lives in serving/server.
#pragma once

#include <string>

namespace skiff::serving {

struct PayloadEvent {
  bool is_request = true;  // ce-type ...inference.request or ...inference.response
  std::string id;          // ce-id: shared by a request and its response
  std::string model;       // ce-inferenceservicename
  std::string endpoint;    // ce-endpoint: "v1" or "v2"
  std::string content_type;
  std::string body;
};

// Thread-safe. Submit never blocks: a sink that cannot keep up drops events (and counts them).
class PayloadSink {
 public:
  virtual ~PayloadSink() = default;
  virtual void Submit(PayloadEvent&& event) = 0;
};

}  // namespace skiff::serving
