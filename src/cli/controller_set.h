// The controllers `skiff up` and `skiff controllers` run, registered on one Manager.
#pragma once

#include <string>
#include <vector>

#include "base/status.h"

namespace skiff::controllers {
class Manager;
}

namespace skiff::cli {

// Every controller's name, in registration order.
std::vector<std::string> ControllerNames();

// Registers the controllers named in `only` (all when empty). Unknown names are InvalidArgument.
Status RegisterControllers(controllers::Manager* manager, const std::vector<std::string>& only);

}  // namespace skiff::cli
