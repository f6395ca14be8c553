// Folder-private helpers for object metadata handled by the server on writes.
#pragma once

#include <string>

#include "apiserver/context.h"
#include "base/json.h"

namespace skiff::apiserver {

// The object's metadata as a (possibly created) object node.
Json& Meta(Json& obj);
std::string MetaString(const Json& obj, const char* key);
// Converts a stored object to the requested version (conversion strategy None).
Json ToVersion(const Json& stored, const ResourcePath& p);
// Response body for one stored object in the requested version.
std::string EncodeForVersion(const store::ObjectPtr& o, const ResourcePath& p);

}  // namespace skiff::apiserver
