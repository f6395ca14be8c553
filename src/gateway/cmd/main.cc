// skiff-gateway: the data-plane gateway as a standalone process (see docs/gateway.md).
#include "gateway/gateway_main.h"

int main(int argc, char** argv) { return skiff::gateway::GatewayMain(argc, argv); }
