#!/usr/bin/env bash
# `make demo`: starts the embedded control plane, applies the seed manifests a user
# brings, and shows their state — the whole lifecycle that exists so far.
set -euo pipefail
SKIFF=${1:-build/src/cli/skiff}
REPO=$(cd "$(dirname "$0")/.." && pwd)
SEED=${SKIFF_SEED:-$REPO/../shared/examples/seed}
DATA=$(mktemp -d /tmp/skiff-demo.XXXXXX)
PORT=${SKIFF_DEMO_PORT:-16443}
LOG=$DATA/skiff-up.log

cleanup() {
  if [ -n "${PID:-}" ] && kill -0 "$PID" 2>/dev/null; then
    kill -TERM "$PID"; wait "$PID" 2>/dev/null || true
  fi
  rm -rf "$DATA"
}
trap cleanup EXIT

step() { printf '\n\033[1m== %s\033[0m\n' "$*"; }

step "skiff up --data-dir $DATA --listen 127.0.0.1:$PORT"
"$SKIFF" up --data-dir "$DATA" --listen "127.0.0.1:$PORT" >"$LOG" 2>&1 &
PID=$!
for _ in $(seq 1 200); do
  [ -f "$DATA/kubeconfig" ] && "$SKIFF" --kubeconfig "$DATA/kubeconfig" version >/dev/null 2>&1 && break
  sleep 0.05
done
export KUBECONFIG=$DATA/kubeconfig
export KUBECACHEDIR=$DATA/kube-cache
"$SKIFF" version

if command -v kubectl >/dev/null 2>&1; then K=kubectl; else K="$SKIFF"; fi
echo "(using $K; the same kubeconfig works for both)"

step "create the namespaces the manifests use, as on a real cluster"
$K create namespace ml-prod
$K create namespace argocd

step "apply every seed manifest: $SEED"
$K apply -f "$SEED/"

step "what a user looks at"
$K get namespaces
$K get trainjobs -A
$K get clusterqueues,localqueues -A
$K get inferenceservices -n ml-prod
$K get scaledobjects,servicemonitors -n ml-prod
$K get applications -n argocd

step "re-apply is idempotent; a change is a three-way merge patch"
$K apply -f "$SEED/kueue.yaml"
$K patch localqueue gpu-queue -n ml-prod --type merge -p '{"metadata":{"labels":{"team":"fraud"}}}'
$K get localqueue gpu-queue -n ml-prod -o yaml | sed -n '1,20p'

step "bad input is answered with a Kubernetes Status, never a crash"
printf 'apiVersion: kueue.x-k8s.io/v1beta1\nkind: LocalQueue\nmetadata: {name: typo, namespace: ml-prod}\nspec: {clusterQueu: gpu-cluster-queue}\n' \
  | $K apply -f - 2>&1 || true

step "durable: restart and everything is still there"
kill -TERM "$PID"; wait "$PID" 2>/dev/null || true
"$SKIFF" up --data-dir "$DATA" --listen "127.0.0.1:$PORT" >>"$LOG" 2>&1 &
PID=$!
for _ in $(seq 1 200); do
  "$SKIFF" --kubeconfig "$DATA/kubeconfig" version >/dev/null 2>&1 && break
  sleep 0.05
done
$K get trainjob,isvc -n ml-prod

step "done (training, queueing and serving controllers arrive with the next issues)"
