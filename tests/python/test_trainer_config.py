"""Finding Skiff: $KUBECONFIG, then ~/.kube/config, then the kubeconfig in Skiff's data dir
($SKIFF_DATA_DIR, $XDG_DATA_HOME/skiff, ~/.local/share/skiff); the namespace from the
context, else "default"."""
import os
import unittest
from unittest import mock

import trainer_testlib as lib
from skiff.trainer import KubernetesBackendConfig, TrainerClient
from skiff.trainer.config import (find_kubeconfig, make_api_client, no_kubeconfig_message,
                                  skiff_data_dir)

KUBECONFIG = """apiVersion: v1
kind: Config
clusters:
- name: skiff
  cluster: {{server: "{server}", insecure-skip-tls-verify: true}}
users:
- name: admin
  user: {{token: abc}}
contexts:
- name: plain
  context: {{cluster: skiff, user: admin}}
- name: ml
  context: {{cluster: skiff, user: admin, namespace: ml-prod}}
current-context: {current}
"""


def write_kubeconfig(path, server="https://127.0.0.1:6443", current="plain"):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "w") as f:
        f.write(KUBECONFIG.format(server=server, current=current))
    return path


class DiscoveryTest(unittest.TestCase):
    def setUp(self):
        self.home = lib.temp_dir(self)

    def test_data_dir_order(self):
        self.assertEqual(skiff_data_dir({"SKIFF_DATA_DIR": "/d", "XDG_DATA_HOME": "/x",
                                         "HOME": "/h"}), "/d")
        self.assertEqual(skiff_data_dir({"XDG_DATA_HOME": "/x", "HOME": "/h"}), "/x/skiff")
        self.assertEqual(skiff_data_dir({"HOME": "/h"}), "/h/.local/share/skiff")
        self.assertEqual(skiff_data_dir({"SKIFF_DATA_DIR": "", "HOME": "/h"}),
                         "/h/.local/share/skiff")

    def test_kubeconfig_order(self):
        env = {"HOME": self.home}
        self.assertIsNone(find_kubeconfig(env))
        default_data = write_kubeconfig(
            os.path.join(self.home, ".local", "share", "skiff", "kubeconfig"))
        self.assertEqual(find_kubeconfig(env), default_data)
        xdg = os.path.join(self.home, "xdg")
        env["XDG_DATA_HOME"] = xdg
        self.assertIsNone(find_kubeconfig(env), "the XDG data dir has no kubeconfig yet")
        xdg_config = write_kubeconfig(os.path.join(xdg, "skiff", "kubeconfig"))
        self.assertEqual(find_kubeconfig(env), xdg_config)
        env["SKIFF_DATA_DIR"] = os.path.join(self.home, "data")
        data_config = write_kubeconfig(os.path.join(self.home, "data", "kubeconfig"))
        self.assertEqual(find_kubeconfig(env), data_config)
        kube = write_kubeconfig(os.path.join(self.home, ".kube", "config"))
        self.assertEqual(find_kubeconfig(env), kube, "~/.kube/config beats the data dir")
        env["KUBECONFIG"] = "/elsewhere/a:/elsewhere/b"
        self.assertEqual(find_kubeconfig(env), "/elsewhere/a:/elsewhere/b",
                         "$KUBECONFIG is used as given, like kubectl")

    def test_message_names_every_place(self):
        msg = no_kubeconfig_message({"HOME": "/h"})
        self.assertIn("/h/.kube/config", msg)
        self.assertIn("/h/.local/share/skiff/kubeconfig", msg)
        self.assertIn("skiff up", msg)


class ApiClientTest(unittest.TestCase):
    def setUp(self):
        self.home = lib.temp_dir(self)
        self.env = mock.patch.dict(os.environ, {"HOME": self.home}, clear=True)
        self.env.start()
        self.addCleanup(self.env.stop)

    def test_skiff_data_dir_kubeconfig_and_default_namespace(self):
        data = os.path.join(self.home, "skiff-data")
        write_kubeconfig(os.path.join(data, "kubeconfig"), server="https://127.0.0.1:7443")
        os.environ["SKIFF_DATA_DIR"] = data
        api_client, namespace = make_api_client(KubernetesBackendConfig())
        self.assertEqual(api_client.configuration.host, "https://127.0.0.1:7443")
        self.assertEqual(namespace, "default")

    def test_context_namespace_and_explicit_values(self):
        path = write_kubeconfig(os.path.join(self.home, "kc"), current="ml")
        _, namespace = make_api_client(KubernetesBackendConfig(config_file=path))
        self.assertEqual(namespace, "ml-prod")
        _, namespace = make_api_client(KubernetesBackendConfig(config_file=path,
                                                               context="plain"))
        self.assertEqual(namespace, "default")
        _, namespace = make_api_client(KubernetesBackendConfig(config_file=path,
                                                               namespace="team-a"))
        self.assertEqual(namespace, "team-a")
        os.environ["KUBECONFIG"] = path
        client = TrainerClient()
        self.assertEqual(client.backend.namespace, "ml-prod")

    def test_client_configuration_is_used_as_is(self):
        from kubernetes import client
        configuration = client.Configuration()
        configuration.host = "https://example.invalid:1"
        api_client, namespace = make_api_client(KubernetesBackendConfig(
            client_configuration=configuration, namespace="x"))
        self.assertEqual(api_client.configuration.host, "https://example.invalid:1")
        self.assertEqual(namespace, "x")

    def test_nothing_found(self):
        with self.assertRaisesRegex(RuntimeError, "skiff up"):
            TrainerClient()
        with self.assertRaisesRegex(ValueError, "KubernetesBackendConfig"):
            TrainerClient(backend_config="local")


if __name__ == "__main__":
    unittest.main()
