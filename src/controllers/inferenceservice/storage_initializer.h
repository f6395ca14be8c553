// The storage initializer program run by the predictor's `storage-initializer` init container.
#pragma once

#include <string>

#include "base/json.h"

namespace skiff::controllers::inferenceservice {

// Python source of the storage initializer (argv: storageUri, destination).
const char* StorageInitializerScript();

// Adds the `storage-initializer` init container that fetches `uri` into /mnt/models, its
// emptyDir volume, and the model mount of `container` (the kserve-container), read-only unless
// `read_only` is false. Not for pvc:// (mounted directly).
void AddStorageInitializer(const std::string& uri, bool read_only, Json* pod, Json* container);

}  // namespace skiff::controllers::inferenceservice
