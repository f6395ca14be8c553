"""What train() writes: job names, resources_per_node, env, the TrainJob for each trainer kind,
initializers, torchtune args and the options."""
import unittest

import trainer_testlib as lib
from skiff.trainer import (BuiltinTrainer, CustomTrainer, CustomTrainerContainer,
                           DataType, HuggingFaceDatasetInitializer, HuggingFaceModelInitializer,
                           Initializer, LoraConfig, S3DatasetInitializer, TorchTuneConfig,
                           constants)
from skiff.trainer import options
from skiff.trainer.spec import (apply_options, build_trainjob, new_job_name,
                                resources_per_node)
from skiff.trainer.status import runtime_from_object


def train_func():
    print("hi")


TORCH = runtime_from_object(lib.torch_runtime())
TUNE = runtime_from_object(lib.torch_runtime(name="torchtune-llama3.2-1b", framework="torchtune"))


class NameTest(unittest.TestCase):
    def test_one_letter_then_eleven_hex(self):
        names = {new_job_name() for _ in range(500)}
        self.assertEqual(len(names), 500)
        for n in names:
            self.assertRegex(n, r"^[a-z][0-9a-f]{11}$")


class ResourcesTest(unittest.TestCase):
    def test_upstream_mapping(self):
        got = resources_per_node({"GPU": 2, "CPU": "4", "Memory": "8Gi", "storage": "10Gi"})
        want = {"nvidia.com/gpu": 2, "cpu": "4", "memory": "8Gi", "ephemeral-storage": "10Gi"}
        self.assertEqual(got, {"requests": want, "limits": want})
        self.assertIsNot(got["requests"], got["limits"])

    def test_extended_resources_keep_case_and_floats_become_strings(self):
        got = resources_per_node({"example.com/Custom-NPU": 1, "cpu": 0.5, "memory": 2.0})
        self.assertEqual(got["limits"], {"example.com/Custom-NPU": 1, "cpu": "0.5",
                                         "memory": "2"})

    def test_mig(self):
        self.assertEqual(resources_per_node({"mig-1g.5gb": 1})["limits"],
                         {"nvidia.com/mig-1g.5gb": 1})
        with self.assertRaisesRegex(ValueError, "cannot be requested together"):
            resources_per_node({"gpu": 1, "mig-1g.5gb": 1})


class TrainJobTest(unittest.TestCase):
    def test_seed_custom_trainer(self):
        job = build_trainjob("b0123456789a", TORCH, trainer=CustomTrainer(
            func=train_func, num_nodes=2, resources_per_node={"gpu": 2},
            packages_to_install=["torch"], env={"A": "1", "B": 2}))
        self.assertEqual(job["apiVersion"], "trainer.kubeflow.org/v1alpha1")
        self.assertEqual(job["kind"], "TrainJob")
        self.assertEqual(job["metadata"]["name"], "b0123456789a")
        spec = job["spec"]
        self.assertEqual(spec["runtimeRef"], {"name": "torch-distributed",
                                              "apiGroup": "trainer.kubeflow.org",
                                              "kind": "ClusterTrainingRuntime"})
        trainer = spec["trainer"]
        self.assertEqual(trainer["numNodes"], 2)
        self.assertEqual(trainer["resourcesPerNode"]["limits"], {"nvidia.com/gpu": 2})
        self.assertEqual(trainer["env"], [{"name": "A", "value": "1"},
                                          {"name": "B", "value": "2"}])
        self.assertEqual(trainer["command"][:2], ["bash", "-c"])
        self.assertIn("torchrun", trainer["command"][2])
        self.assertNotIn("image", trainer)
        self.assertRegex(job["metadata"]["annotations"]["trainer.skiff.dev/function-digest"],
                         r"^sha256:[0-9a-f]{64}$")
        self.assertEqual(job["metadata"]["annotations"]["trainer.skiff.dev/function-name"],
                         "train_func")

    def test_no_trainer_means_runtime_defaults(self):
        job = build_trainjob("c0123456789a", TORCH)
        self.assertNotIn("trainer", job["spec"])
        self.assertNotIn("annotations", job["metadata"])

    def test_custom_trainer_image_and_container_trainer(self):
        job = build_trainjob("d0123456789a", TORCH, trainer=CustomTrainer(
            func=train_func, image="python:3.11"))
        self.assertEqual(job["spec"]["trainer"]["image"], "python:3.11")
        job = build_trainjob("d0123456789b", TORCH, trainer=CustomTrainerContainer(
            image="my/img", num_nodes=3), option_spec=apply_options(
                [options.TrainerCommand(["python3", "-c", "print(1)"]),
                 options.TrainerArgs(["--x"])], CustomTrainerContainer(image="my/img"), None))
        self.assertEqual(job["spec"]["trainer"], {"numNodes": 3, "image": "my/img",
                                                  "command": ["python3", "-c", "print(1)"],
                                                  "args": ["--x"]})

    def test_trainer_kind_must_fit_runtime(self):
        with self.assertRaisesRegex(ValueError, "CustomTrainer can't be used"):
            build_trainjob("e0123456789a", TUNE, trainer=CustomTrainer(func=train_func))
        with self.assertRaisesRegex(ValueError, "BuiltinTrainer can't be used"):
            build_trainjob("e0123456789a", TORCH,
                           trainer=BuiltinTrainer(config=TorchTuneConfig()))
        with self.assertRaisesRegex(ValueError, "not supported"):
            build_trainjob("e0123456789a", TORCH, trainer=object())

    def test_builtin_trainer_args(self):
        init = Initializer(dataset=HuggingFaceDatasetInitializer(
            storage_uri="hf://tatsu-lab/alpaca/data/train.json"))
        job = build_trainjob("f0123456789a", TUNE, initializer=init, trainer=BuiltinTrainer(
            config=TorchTuneConfig(dtype=DataType.BF16, batch_size=2, epochs=1, num_nodes=2,
                                   peft_config=LoraConfig(lora_rank=8))))
        trainer = job["spec"]["trainer"]
        self.assertEqual(trainer["command"], ["tune", "run"])
        self.assertEqual(trainer["numNodes"], 2)
        self.assertEqual(trainer["args"], [
            "dtype=bf16", "batch_size=2", "epochs=1",
            "dataset.data_files=/workspace/dataset/data/train.json", "model.lora_rank=8",
            "model.lora_attn_modules=[q_proj,v_proj,output_proj]"])

    def test_initializers(self):
        init = Initializer(
            dataset=S3DatasetInitializer(storage_uri="s3://bucket/data", endpoint="http://m"),
            model=HuggingFaceModelInitializer(storage_uri="hf://org/model", access_token="t"))
        spec = build_trainjob("g0123456789a", TORCH, initializer=init)["spec"]
        self.assertEqual(spec["initializer"]["dataset"], {
            "storageUri": "s3://bucket/data", "env": [{"name": "ENDPOINT", "value": "http://m"}]})
        self.assertEqual(spec["initializer"]["model"], {
            "storageUri": "hf://org/model",
            "env": [{"name": "IGNORE_PATTERNS", "value": "*.msgpack,*.h5,*.bin,*.pt,*.pth"},
                    {"name": "ACCESS_TOKEN", "value": "t"}]})
        with self.assertRaisesRegex(ValueError, "hf://"):
            HuggingFaceDatasetInitializer(storage_uri="s3://x")

    def test_namespaced_runtime_ref_kind(self):
        runtime = runtime_from_object(lib.torch_runtime(name="mine", kind="TrainingRuntime"))
        job = build_trainjob("h0123456789a", runtime)
        self.assertEqual(job["spec"]["runtimeRef"]["kind"], "TrainingRuntime")


class OptionsTest(unittest.TestCase):
    def test_metadata_options_merge_with_function_annotations(self):
        trainer = CustomTrainer(func=train_func)
        spec = apply_options([options.Name("my-job"), options.Labels({"kueue.x-k8s.io/"
                                                                       "queue-name": "q"}),
                              options.Annotations({"team": "ml"})], trainer, None)
        job = build_trainjob(new_job_name(), TORCH, trainer=trainer, option_spec=spec)
        self.assertEqual(job["metadata"]["name"], "my-job")
        self.assertEqual(job["metadata"]["labels"], {"kueue.x-k8s.io/queue-name": "q"})
        self.assertEqual(job["metadata"]["annotations"]["team"], "ml")
        self.assertIn(constants.FUNCTION_DIGEST_ANNOTATION, job["metadata"]["annotations"])

    def test_name_must_be_rfc1035(self):
        for bad in ("My-Job", "1abc", "a" * 64, "a_b", ""):
            with self.assertRaises(ValueError, msg=bad):
                options.Name(bad)

    def test_env_from_appends_after_env(self):
        trainer = CustomTrainer(func=train_func, env={"A": "1"})
        spec = apply_options([options.TrainerEnvFrom.secret("TOKEN", secret_name="s", key="k"),
                              options.TrainerEnvFrom.config_map("CFG", config_map_name="c",
                                                                key="x")], trainer, None)
        env = build_trainjob("i0123456789a", TORCH, trainer=trainer,
                             option_spec=spec)["spec"]["trainer"]["env"]
        self.assertEqual(env, [
            {"name": "A", "value": "1"},
            {"name": "TOKEN", "valueFrom": {"secretKeyRef": {"name": "s", "key": "k"}}},
            {"name": "CFG", "valueFrom": {"configMapKeyRef": {"name": "c", "key": "x"}}}])

    def test_command_options_refuse_function_trainers(self):
        with self.assertRaisesRegex(ValueError, "CustomTrainerContainer"):
            apply_options([options.TrainerCommand(["x"])], CustomTrainer(func=train_func), None)
        with self.assertRaisesRegex(ValueError, "CustomTrainerContainer"):
            apply_options([options.TrainerArgs(["x"])], CustomTrainer(func=train_func), None)
        with self.assertRaisesRegex(ValueError, "not compatible"):
            apply_options([options.TrainerEnvFrom.secret("T", secret_name="s", key="k")],
                          BuiltinTrainer(config=TorchTuneConfig()), None)

    def test_runtime_patch(self):
        patch = options.RuntimePatch(training_runtime_spec=options.TrainingRuntimeSpecPatch(
            template=options.JobSetTemplatePatch(spec=options.JobSetSpecPatch(replicated_jobs=[
                options.ReplicatedJobPatch(name="node", template=options.JobTemplatePatch(
                    spec=options.JobSpecPatch(template=options.PodTemplatePatch(
                        spec=options.PodSpecPatch(node_selector={"pool": "gpu"},
                                                  containers=[options.ContainerPatch(
                                                      name="sidecar",
                                                      env=[{"name": "X", "value": "1"}])]))))),
            ]))))
        spec = apply_options([patch, options.ActiveDeadlineSeconds(60)], None, None)
        job = build_trainjob("j0123456789a", TORCH, option_spec=spec)
        self.assertEqual(job["spec"]["activeDeadlineSeconds"], 60)
        self.assertEqual(job["spec"]["runtimePatches"], [{
            "manager": "trainer.kubeflow.org/kubeflow-sdk",
            "trainingRuntimeSpec": {"template": {"spec": {"replicatedJobs": [{
                "name": "node", "template": {"spec": {"template": {"spec": {
                    "containers": [{"name": "sidecar", "env": [{"name": "X", "value": "1"}]}],
                    "nodeSelector": {"pool": "gpu"}}}}}}]}}}}])
        with self.assertRaises(ValueError):
            options.ActiveDeadlineSeconds(0)
        with self.assertRaises(ValueError):
            options.ContainerPatch(name="c", volume_mounts=[{"name": "v", "mountPath": "rel"}])

    def test_non_callable_option_is_refused(self):
        with self.assertRaisesRegex(ValueError, "not callable"):
            apply_options(["Name"], None, None)


class KubeflowAliasTest(unittest.TestCase):
    def test_seed_import_path(self):
        import kubeflow.trainer as kt
        import kubeflow.trainer.options as ko
        import skiff.trainer as st
        self.assertIs(kt.TrainerClient, st.TrainerClient)
        self.assertIs(kt.CustomTrainer, st.CustomTrainer)
        self.assertIs(ko.RuntimePatch, options.RuntimePatch)
        from kubeflow.common.types import KubernetesBackendConfig
        self.assertIs(KubernetesBackendConfig, st.KubernetesBackendConfig)
        self.assertIn("TrainerClient", kt.__all__)
        self.assertIn("CustomTrainer", kt.__all__)


if __name__ == "__main__":
    unittest.main()
