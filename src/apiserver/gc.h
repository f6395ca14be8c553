// Folder-private: the garbage collector (ownerReferences with background,
// foreground and orphan propagation) and namespace termination.
#pragma once

#include <memory>

#include "apiserver/context.h"

namespace skiff::apiserver {

class GarbageCollector {
 public:
  // Starts watching the store; runs on its own thread (deletions wait on the store).
  static std::unique_ptr<GarbageCollector> Start(Context& ctx);
  virtual ~GarbageCollector() = default;
};

}  // namespace skiff::apiserver
