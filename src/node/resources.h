// The built-in resources the node agent reads and writes, without a discovery round trip.
#pragma once

#include "client/discovery.h"

namespace skiff::node {

const client::ResourceInfo& PodsResource();
const client::ResourceInfo& NodesResource();
const client::ResourceInfo& NamespacesResource();
const client::ResourceInfo& LeasesResource();
const client::ResourceInfo& ConfigMapsResource();
const client::ResourceInfo& SecretsResource();

}  // namespace skiff::node
