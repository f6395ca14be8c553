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
    # Pods outlive `skiff up` by design (a restart re-adopts them): remove them first.
    ${K:-kubectl} delete trainjob,inferenceservice --all -A --wait=true --timeout=60s >/dev/null 2>&1 || true
    ${K:-kubectl} delete deployment,job,jobset,pod --all -A --wait=true --timeout=60s >/dev/null 2>&1 || true
    kill -TERM "$PID"; wait "$PID" 2>/dev/null || true
  fi
  rm -rf "$DATA"
}
trap cleanup EXIT

step() { printf '\n\033[1m== %s\033[0m\n' "$*"; }

step "skiff up --data-dir $DATA --listen 127.0.0.1:$PORT --simulate-gpus 8"
"$SKIFF" up --data-dir "$DATA" --listen "127.0.0.1:$PORT" --simulate-gpus 8 >"$LOG" 2>&1 &
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

step "queue: the TrainJob's kueue.x-k8s.io/queue-name label handed it to Kueue; gpu-cluster-queue admitted it"
$K get clusterqueues,localqueues -A
$K get workloads -n ml-prod
"$SKIFF" queue status

step "train: the seed TrainJob became a JobSet of 2 nodes x 2 (simulated) GPUs; its ranks rendezvous over DNS"
$K get clustertrainingruntimes
$K wait --for=condition=Complete trainjob/fraud-model-train -n ml-prod --timeout=180s
$K get trainjob,jobset,jobs,pods -n ml-prod
for p in $($K get pods -n ml-prod -l jobset.sigs.k8s.io/jobset-name=fraud-model-train -o name); do
  echo "--- $p"; $K logs -n ml-prod "$p" | grep -v '^PET_'
done
echo "reproducibility record:"
$K get trainjob fraud-model-train -n ml-prod -o jsonpath='{.metadata.annotations.trainer\.skiff\.dev/record}{"\n"}' | cut -c1-300

step "train from Python: the seed notebook flow (TrainerClient + CustomTrainer, CPU/gloo train_func)"
PYTHONPATH="$REPO/python" /usr/bin/python3 "$REPO/scripts/demo_train.py"

step "serve: the seed InferenceService with its gs:// model swapped for a local file:// one (no internet here)"
$K get isvc fraud-detector -n ml-prod -o jsonpath='{.status.conditions[?(@.type=="Ready")].message}{"\n"}' || true
/usr/bin/python3 "$SEED/../../bench/make_models.py" "$DATA/models" >/dev/null
sed "s|\"gs://kfserving-examples/models/sklearn/1.0/model\"|file://$DATA/models/sklearn-iris|" "$SEED/isvc-sklearn.yaml" | $K apply -f -
$K wait --for=condition=Ready isvc/fraud-detector -n ml-prod --timeout=180s
$K get isvc,deployment,service -n ml-prod
IP=$($K get service fraud-detector-predictor -n ml-prod -o jsonpath='{.spec.clusterIP}')
echo "POST http://$IP/v1/models/fraud-detector:predict (KServe V1, 3 iris rows):"
curl -s -X POST "http://$IP/v1/models/fraud-detector:predict" -H 'Content-Type: application/json' \
  -d '{"instances": [[5.1, 3.5, 1.4, 0.2], [6.2, 2.9, 4.3, 1.3], [7.7, 3.0, 6.1, 2.3]]}'
echo
echo "the same through the gateway on :8080, routed by Host (the isvc's status.url):"
curl -s -X POST localhost:8080/v1/models/fraud-detector:predict -H 'Host: fraud-detector.ml-prod.example.com' \
  -H 'Content-Type: application/json' -d '{"instances": [[5.1, 3.5, 1.4, 0.2], [7.7, 3.0, 6.1, 2.3]]}'
echo

step "roll out: a Knative-mode InferenceService (revisions, canary, scale to zero); short autoscaler windows for the demo"
cat <<'YAML' | $K apply -f -
apiVersion: v1
kind: Namespace
metadata: {name: knative-serving}
---
apiVersion: v1
kind: ConfigMap
metadata: {name: config-autoscaler, namespace: knative-serving}
data: {stable-window: "6s", scale-to-zero-grace-period: "2s", tick-interval: "500ms"}
YAML
kn_isvc() {  # kn_isvc MODEL_DIR [canaryTrafficPercent]
  local canary=""
  if [ -n "${2:-}" ]; then canary="    canaryTrafficPercent: $2"; fi
  $K apply -f - <<YAML
apiVersion: serving.kserve.io/v1beta1
kind: InferenceService
metadata:
  name: fraud-canary
  namespace: ml-prod
  annotations: {serving.kserve.io/deploymentMode: Serverless}
spec:
  predictor:
    minReplicas: 0
    maxReplicas: 3
$canary
    model:
      modelFormat: {name: sklearn}
      storageUri: file://$DATA/models/$1
YAML
}
served_by() {  # sends 200 requests; prints what each revision has served, from the gateway's metrics
  for _ in $(seq 1 200); do
    curl -s -o /dev/null -X POST localhost:8080/v1/models/fraud-canary:predict -H 'Host: fraud-canary.ml-prod.example.com' \
      -H 'Content-Type: application/json' -d '{"instances": [[6.0, 2.7, 5.1, 1.6]]}'
  done
  $K get --raw /metrics | grep '^skiff_gateway_revision_requests_total{.*fraud-canary' \
    | sed 's/.*revision_name="\([^"]*\)"} \(.*\)/  \1 served \2 requests/'
}
kn_isvc sklearn-iris
$K wait --for=condition=Ready isvc/fraud-canary -n ml-prod --timeout=180s
echo "canary: a logistic-regression model at 10% of the traffic"
kn_isvc sklearn-iris-logreg 10
for _ in $(seq 1 600); do  # until revision 2 is ready and takes its 10%
  [ "$($K get isvc fraud-canary -n ml-prod -o jsonpath='{.status.components.predictor.traffic[0].revisionName}')" = fraud-canary-predictor-00002 ] && break; sleep 0.2
done
$K get isvc fraud-canary -n ml-prod -o jsonpath='{range .status.components.predictor.traffic[*]}  {.revisionName}: {.percent}% {.tag}{"\n"}{end}'
served_by
echo "promote: drop canaryTrafficPercent"
kn_isvc sklearn-iris-logreg
for _ in $(seq 1 300); do
  [ "$($K get isvc fraud-canary -n ml-prod -o jsonpath='{.status.components.predictor.traffic[0].percent}')" = 100 ] && break; sleep 0.2
done
$K get isvc fraud-canary -n ml-prod
echo "idle: the autoscaler takes both revisions to zero replicas (stable window + grace)"
for _ in $(seq 1 300); do
  [ -z "$($K get pods -n ml-prod -l serving.kserve.io/inferenceservice=fraud-canary -o name)" ] && break; sleep 0.2
done
$K get deployments -n ml-prod -l serving.kserve.io/inferenceservice=fraud-canary
echo "a request now is held by the gateway's activator while a pod starts:"
curl -s -w '\n  answered in %{time_total}s (cold start from zero)\n' -X POST localhost:8080/v1/models/fraud-canary:predict \
  -H 'Host: fraud-canary.ml-prod.example.com' -H 'Content-Type: application/json' -d '{"instances": [[6.0, 2.7, 5.1, 1.6]]}'
echo "the autoscaler's decisions (Events on the revision Deployments):"
$K get events -n ml-prod -o custom-columns=REASON:.reason,REVISION:.involvedObject.name,MESSAGE:.message 2>/dev/null \
  | awk '$1 == "Scaled"' | tail -4 || true
$K delete isvc fraud-canary -n ml-prod --wait=false

step "re-apply is idempotent; a change is a three-way merge patch"
$K apply -f "$SEED/kueue.yaml"
$K patch localqueue gpu-queue -n ml-prod --type merge -p '{"metadata":{"labels":{"team":"fraud"}}}'
$K get localqueue gpu-queue -n ml-prod -o yaml | sed -n '1,20p'

step "bad input is answered with a Kubernetes Status, never a crash"
printf 'apiVersion: kueue.x-k8s.io/v1beta1\nkind: LocalQueue\nmetadata: {name: typo, namespace: ml-prod}\nspec: {clusterQueu: gpu-cluster-queue}\n' \
  | $K apply -f - 2>&1 || true

step "run a workload: 3 replicas of python's http.server, each a process in its own sandbox"
$K create deployment web --image=python:3.11 --replicas=3 --port=8080 -- /usr/bin/python3 -m http.server 8080
$K expose deployment web --port=80 --target-port=8080
$K rollout status deployment/web --timeout=120s
$K get deployment,replicaset,pods -o wide
$K get endpoints web

step "reach it through its ClusterIP from the host (kube-proxy's job, done in user space)"
CIP=$($K get service web -o jsonpath='{.spec.clusterIP}')
/usr/bin/python3 -c "import urllib.request,sys; r=urllib.request.urlopen('http://$CIP/', timeout=10); print('GET http://$CIP/ ->', r.status)"

step "scale to 5, roll out a change, and see the revision history"
$K scale deployment web --replicas=5
$K rollout status deployment/web --timeout=120s
$K set env deployment/web GREETING=hello
$K rollout status deployment/web --timeout=120s
$K rollout history deployment/web
$K get replicasets

step "an Indexed Job: 4 completions, 2 at a time, each pod sees JOB_COMPLETION_INDEX"
cat <<'JOB' | $K apply -f -
apiVersion: batch/v1
kind: Job
metadata: {name: shards}
spec:
  completions: 4
  parallelism: 2
  completionMode: Indexed
  template:
    spec:
      restartPolicy: Never
      containers:
      - name: work
        image: python:3.11
        command: ["/usr/bin/python3", "-c", "import os; print('shard', os.environ['JOB_COMPLETION_INDEX'], 'done')"]
JOB
$K wait --for=condition=complete job/shards --timeout=120s
$K get job shards
for p in $($K get pods -l job-name=shards -o name); do $K logs "$p"; done

step "a pod that asks for more GPUs than the node has waits, and says why"
$K run gpu-hungry --image=python:3.11 --restart=Never --overrides='{"spec":{"containers":[{"name":"gpu-hungry","image":"python:3.11","command":["/bin/true"],"resources":{"limits":{"nvidia.com/gpu":"16"}}}]}}'
for _ in $(seq 1 100); do
  $K get pod gpu-hungry -o jsonpath='{.status.conditions[?(@.type=="PodScheduled")].message}' | grep -q . && break
  sleep 0.1
done
$K get pod gpu-hungry -o jsonpath='{.status.conditions[?(@.type=="PodScheduled")].message}{"\n"}'
$K delete pod gpu-hungry --wait=false

step "durable: restart and everything is still there"
kill -TERM "$PID"; wait "$PID" 2>/dev/null || true
"$SKIFF" up --data-dir "$DATA" --listen "127.0.0.1:$PORT" --simulate-gpus 8 >>"$LOG" 2>&1 &
PID=$!
for _ in $(seq 1 200); do
  "$SKIFF" --kubeconfig "$DATA/kubeconfig" version >/dev/null 2>&1 && break
  sleep 0.05
done
$K get trainjob,isvc -n ml-prod
$K rollout status deployment/web --timeout=60s
$K get pods -l app=web -o wide
echo "(the replicas kept running across the restart and were re-adopted)"

step "clean up the workload: deleting a pod ends its whole process tree"
$K delete deployment web --wait=true
$K delete job shards --wait=true
$K wait --for=delete pod -l app=web --timeout=60s 2>/dev/null || true
$K get pods

step "done: apply, queue, train, serve, canary, promote, scale to zero and back, restart (docs/ for each part)"
