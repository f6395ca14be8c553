"""Names and defaults shared by the trainer SDK: API coordinates, labels, statuses, the
environment variables the Kubeflow SDK reads (trainer.md §6)."""
import os

GROUP = "trainer.kubeflow.org"
VERSION = "v1alpha1"
API_VERSION = f"{GROUP}/{VERSION}"

TRAINJOB_KIND = "TrainJob"
TRAINJOB_PLURAL = "trainjobs"
CLUSTER_TRAINING_RUNTIME_KIND = "ClusterTrainingRuntime"
CLUSTER_TRAINING_RUNTIME_PLURAL = "clustertrainingruntimes"
TRAINING_RUNTIME_KIND = "TrainingRuntime"
TRAINING_RUNTIME_PLURAL = "trainingruntimes"

# SDK-level job statuses (not TrainJob condition types: Created and Running are derived).
TRAINJOB_CREATED = "Created"
TRAINJOB_RUNNING = "Running"
TRAINJOB_COMPLETE = "Complete"
TRAINJOB_FAILED = "Failed"
TRAINJOB_STATUSES = frozenset(
    {TRAINJOB_CREATED, TRAINJOB_RUNNING, TRAINJOB_COMPLETE, TRAINJOB_FAILED})

POD_PENDING = "Pending"
POD_RUNNING = "Running"
POD_SUCCEEDED = "Succeeded"

UNKNOWN = "Unknown"

RUNTIME_FRAMEWORK_LABEL = "trainer.kubeflow.org/framework"
TRAINJOB_ANCESTOR_LABEL = "trainer.kubeflow.org/trainjob-ancestor-step"
JOBSET_NAME_LABEL = "jobset.sigs.k8s.io/jobset-name"
JOBSET_RJOB_NAME_LABEL = "jobset.sigs.k8s.io/replicatedjob-name"
JOB_INDEX_LABEL = "batch.kubernetes.io/job-completion-index"

DATASET_INITIALIZER = "dataset-initializer"
MODEL_INITIALIZER = "model-initializer"
LAUNCHER = "launcher"
NODE = "node"
ANCESTOR_TRAINER = "trainer"

CPU_LABEL = "cpu"
GPU_LABEL = "nvidia.com/gpu"
GPU_MIG_PREFIX = "nvidia.com/mig-"
TPU_LABEL = "google.com/tpu"
TORCH_ENV_NUM_PROC_PER_NODE = "PET_NPROC_PER_NODE"

WORKSPACE_PATH = "/workspace"
DATASET_PATH = os.path.join(WORKSPACE_PATH, "dataset")
MODEL_PATH = os.path.join(WORKSPACE_PATH, "model")
INITIALIZER_DEFAULT_IGNORE_PATTERNS = ["*.msgpack", "*.h5", "*.bin", "*.pt", "*.pth"]

# Entrypoints by ML policy; the function file is appended to the torchrun/python ones.
TORCH_ENTRYPOINT = "torchrun"
PYTHON_ENTRYPOINT = "python"
MPI_COMMAND_PREFIX = ("mpirun", "--hostfile", "/etc/mpi/hostfile")
DEFAULT_MPI_USER_HOME = os.getenv("DEFAULT_MPI_USER_HOME", "/home/mpiuser")
TORCH_TUNE = "torchtune"
TORCH_TUNE_COMMAND = ("tune", "run")
TORCH_TUNE_INSTRUCT_DATASET = "torchtune.datasets.instruct_dataset"

# The manager every RuntimePatch from the SDK carries (upstream fixes it).
SDK_PATCH_MANAGER = "trainer.kubeflow.org/kubeflow-sdk"

# Skiff's own annotations on a TrainJob made from a CustomTrainer function.
FUNCTION_DIGEST_ANNOTATION = "trainer.skiff.dev/function-digest"
FUNCTION_NAME_ANNOTATION = "trainer.skiff.dev/function-name"

# Seconds for one API request (not for followed logs).
DEFAULT_TIMEOUT = 60

JOB_NAME_UUID_LENGTH = 11


def default_training_runtime():
    """The runtime train() uses when none is given ($DEFAULT_TRAINING_RUNTIME)."""
    return os.getenv("DEFAULT_TRAINING_RUNTIME") or "torch-distributed"


def default_pip_index_urls():
    """$DEFAULT_PIP_INDEX_URLS (comma-separated), else PyPI; the first is --index-url."""
    raw = os.getenv("DEFAULT_PIP_INDEX_URLS") or "https://pypi.org/simple"
    return [u.strip() for u in raw.split(",") if u.strip()]
