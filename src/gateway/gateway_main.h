// The `skiff-gateway` command: flags, the routes file (reloaded when it changes), signals.
// In the library so `skiff gateway` can run the same main.
#pragma once

namespace skiff::gateway {

// Serves until SIGTERM/SIGINT; returns the exit code: 0 after a clean stop, 1 when the gateway
// could not start or the first routes file is invalid, 2 for bad flags. Logs
// "listening http=ADDR:PORT" (and "metrics=ADDR:PORT") at info once serving, so callers using
// port 0 can find the ports.
int GatewayMain(int argc, char** argv);

}  // namespace skiff::gateway
