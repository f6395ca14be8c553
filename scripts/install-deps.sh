#!/usr/bin/env bash
# Installs exactly the Debian 12 packages Skiff needs that are missing.
# Idempotent; works as root or through sudo. Usage: scripts/install-deps.sh [--dry-run]
set -euo pipefail

PACKAGES=(
  # build
  build-essential cmake ninja-build ccache pkg-config clang libclang-rt-14-dev
  # libraries (Boost 1.74 is Debian 12's default; 1.81 conflicts with python3-sklearn)
  libboost-dev libssl-dev libsqlite3-dev nlohmann-json3-dev libyaml-dev
  libspdlog-dev libfmt-dev libcli11-dev libcurl4-openssl-dev libsimdjson-dev
  # tests and benchmarks
  libgtest-dev libgmock-dev libbenchmark-dev python3 python3-yaml python3-kubernetes
  wrk git curl etcd-server
  # node agent: `ip` for pod network namespaces; pgrep/ps in its e2e tests
  iproute2 procps
  # model serving (src/serving, src/runtimes; tests and benchmark)
  libgrpc++-dev libprotobuf-dev protobuf-compiler protobuf-compiler-grpc libxgboost-dev
  python3-dev python3-numpy python3-sklearn python3-xgboost python3-grpcio python3-protobuf
  python3-fastapi python3-uvicorn
  # TorchScript runtime and its test model (large: ~200 packages; the runtime is skipped without)
  libtorch-dev python3-torch
)

missing=()
for p in "${PACKAGES[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$p")
  fi
done
# kubectl: any working one will do (e.g. the gcloud dispatcher); else Debian's client.
if ! command -v kubectl >/dev/null 2>&1; then
  missing+=(kubernetes-client)
fi

if [ ${#missing[@]} -eq 0 ]; then
  echo "install-deps: all dependencies present"
  exit 0
fi
echo "install-deps: installing ${missing[*]}"
if [ "${1:-}" = "--dry-run" ]; then
  exit 0
fi
SUDO=""
if [ "$(id -u)" -ne 0 ]; then
  SUDO="sudo"
fi
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}"
