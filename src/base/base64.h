// Base64 (RFC 4648) encoding and decoding, standard and URL alphabets.
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace skiff {

std::string Base64Encode(std::string_view in, bool url = false, bool pad = true);
// Accepts either alphabet, with or without padding; nullopt on invalid input.
std::optional<std::string> Base64Decode(std::string_view in);

}  // namespace skiff
