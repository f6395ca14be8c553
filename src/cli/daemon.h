// What every long-running `skiff` command (up, controllers, node) does first and last: log
// format and level, and termination signals handled synchronously on the main thread.
#pragma once

#include <signal.h>

#include <string>

namespace skiff::cli {

// Sets spdlog's level ("trace" … "error") and skiff's line format.
void InitDaemonLogging(const std::string& level);

// Blocks SIGINT and SIGTERM in the calling thread, so threads started afterwards inherit the
// mask and the signals wait for WaitForTermination(); ignores SIGPIPE. Call before any thread.
sigset_t BlockTerminationSignals();

// Waits for SIGINT or SIGTERM; returns the signal number.
int WaitForTermination(const sigset_t& set);

}  // namespace skiff::cli
