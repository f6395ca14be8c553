// Reading user objects without throwing: a field that is absent or of another type reads as null
// or the default, so a malformed object degrades instead of failing a reconcile.
#pragma once

#include <string>

#include "base/json.h"

namespace skiff::controllers {

// obj[key], or a null Json when obj is not an object or has no such key.
const Json& Field(const Json& obj, const char* key);
// obj[key] as a string; `def` when absent or not a string.
std::string StringField(const Json& obj, const char* key, std::string def = "");
// metadata.<key> as a string; "" when absent or not a string.
std::string MetaString(const Json& obj, const char* key);

}  // namespace skiff::controllers
