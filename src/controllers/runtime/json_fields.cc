// Non-throwing field access for controllers.
#include "controllers/runtime/json_fields.h"

#include <nlohmann/json.hpp>

namespace skiff::controllers {

const Json& Field(const Json& obj, const char* key) {
  static const Json kNull;
  if (!obj.is_object()) return kNull;
  auto it = obj.find(key);
  return it == obj.end() ? kNull : *it;
}

std::string StringField(const Json& obj, const char* key, std::string def) {
  const Json& v = Field(obj, key);
  return v.is_string() ? v.get<std::string>() : def;
}

std::string MetaString(const Json& obj, const char* key) {
  return StringField(Field(obj, "metadata"), key);
}

}  // namespace skiff::controllers
