// Folder-private: first-start TLS material (a CA and a serving certificate).
#pragma once

#include <string>
#include <vector>

#include "base/status.h"

namespace skiff::apiserver {

struct TlsMaterial {
  std::string ca_cert_pem;
  std::string ca_key_pem;
  std::string cert_pem;
  std::string key_pem;
};

// Generates an ECDSA P-256 CA and a serving certificate for `hosts` (IPs or DNS names)
// signed by it, valid for ten years.
StatusOr<TlsMaterial> GenerateTlsMaterial(const std::vector<std::string>& hosts);

}  // namespace skiff::apiserver
