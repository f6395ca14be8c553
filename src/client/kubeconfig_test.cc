// Kubeconfig parsing, path resolution and the in-cluster config.
#include "client/kubeconfig.h"

#include <gtest/gtest.h>
#include <stdlib.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

namespace skiff::client {
namespace {

class TempDir {
 public:
  TempDir() {
    std::string tmpl = (std::filesystem::temp_directory_path() / "kubeconfig-test-XXXXXX").string();
    path_ = ::mkdtemp(tmpl.data());
  }
  ~TempDir() {
    std::error_code ec;
    std::filesystem::remove_all(path_, ec);
  }
  std::string Write(const std::string& name, const std::string& text) const {
    std::string p = path_ + "/" + name;
    std::filesystem::create_directories(std::filesystem::path(p).parent_path());
    std::ofstream(p) << text;
    return p;
  }
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

constexpr char kConfig[] = R"(apiVersion: v1
kind: Config
current-context: skiff
clusters:
- name: skiff
  cluster:
    server: https://127.0.0.1:6443/
    certificate-authority-data: LS0tLS1CRUdJTiBDRVJUSUZJQ0FURS0tLS0tCg==
- name: other
  cluster:
    server: http://10.0.0.1:8080
    insecure-skip-tls-verify: true
    certificate-authority: ca.crt
users:
- name: admin
  user:
    token: abc123
- name: filetoken
  user:
    tokenFile: token.txt
contexts:
- name: skiff
  context:
    cluster: skiff
    user: admin
- name: other
  context:
    cluster: other
    user: filetoken
    namespace: ml-prod
- name: broken
  context:
    cluster: missing
    user: admin
)";

TEST(KubeconfigTest, CurrentContext) {
  auto config = ParseKubeconfig(kConfig, "", "/nonexistent");
  ASSERT_TRUE(config.ok()) << config.status().ToString();
  EXPECT_EQ(config->server, "https://127.0.0.1:6443");
  EXPECT_EQ(config->ca_data, "-----BEGIN CERTIFICATE-----\n");
  EXPECT_EQ(config->token, "abc123");
  EXPECT_FALSE(config->insecure);
  EXPECT_EQ(config->namespace_, "default");
}

TEST(KubeconfigTest, ExplicitContextWithRelativeFiles) {
  TempDir dir;
  dir.Write("ca.crt", "PEM-DATA");
  dir.Write("token.txt", "  file-token\n");
  auto config = ParseKubeconfig(kConfig, "other", dir.path());
  ASSERT_TRUE(config.ok()) << config.status().ToString();
  EXPECT_EQ(config->server, "http://10.0.0.1:8080");
  EXPECT_TRUE(config->insecure);
  EXPECT_EQ(config->ca_data, "PEM-DATA");
  EXPECT_EQ(config->token, "file-token");
  EXPECT_EQ(config->namespace_, "ml-prod");
}

TEST(KubeconfigTest, Errors) {
  EXPECT_EQ(ParseKubeconfig(kConfig, "nope", "/").status().code(), StatusCode::kNotFound);
  EXPECT_EQ(ParseKubeconfig(kConfig, "broken", "/").status().code(), StatusCode::kNotFound);
  EXPECT_FALSE(ParseKubeconfig("clusters: [", "", "/").ok());
  EXPECT_FALSE(ParseKubeconfig("apiVersion: v1\n", "", "/").ok());
  // tokenFile that does not exist.
  EXPECT_FALSE(ParseKubeconfig(kConfig, "other", "/nonexistent").ok());
}

TEST(KubeconfigTest, ResolvePathOrder) {
  TempDir dir;
  std::string home_config = dir.Write("home/.kube/config", kConfig);
  std::string env_config = dir.Write("env.yaml", kConfig);
  std::string fallback = dir.Write("data/kubeconfig", kConfig);
  KubeconfigPaths paths{.env_kubeconfig = dir.path() + "/missing.yaml:" + env_config,
                        .home = dir.path() + "/home",
                        .fallback = fallback};
  EXPECT_EQ(*ResolveKubeconfigPath("/explicit", paths), "/explicit");
  EXPECT_EQ(*ResolveKubeconfigPath("", paths), env_config);
  paths.env_kubeconfig = dir.path() + "/missing.yaml";
  EXPECT_EQ(*ResolveKubeconfigPath("", paths), home_config);
  paths.home = dir.path() + "/nohome";
  EXPECT_EQ(*ResolveKubeconfigPath("", paths), fallback);
  paths.fallback = dir.path() + "/nothing";
  EXPECT_EQ(ResolveKubeconfigPath("", paths).status().code(), StatusCode::kNotFound);
}

TEST(KubeconfigTest, LoadFromFileResolvesRelativeToItsDirectory) {
  TempDir dir;
  dir.Write("cfg/ca.crt", "CA");
  dir.Write("cfg/token.txt", "tok");
  std::string path = dir.Write("cfg/config", kConfig);
  auto config = LoadKubeconfig(path, "other");
  ASSERT_TRUE(config.ok()) << config.status().ToString();
  EXPECT_EQ(config->ca_data, "CA");
  EXPECT_EQ(config->token, "tok");
}

TEST(KubeconfigTest, InClusterConfig) {
  TempDir dir;
  dir.Write("sa/token", "sa-token\n");
  dir.Write("sa/ca.crt", "CA-PEM");
  dir.Write("sa/namespace", "kube-system");
  ::unsetenv("KUBERNETES_SERVICE_HOST");
  EXPECT_EQ(InClusterConfig(dir.path() + "/sa").status().code(), StatusCode::kFailedPrecondition);
  ::setenv("KUBERNETES_SERVICE_HOST", "10.96.0.1", 1);
  ::setenv("KUBERNETES_SERVICE_PORT", "443", 1);
  auto config = InClusterConfig(dir.path() + "/sa");
  ::unsetenv("KUBERNETES_SERVICE_HOST");
  ::unsetenv("KUBERNETES_SERVICE_PORT");
  ASSERT_TRUE(config.ok()) << config.status().ToString();
  EXPECT_EQ(config->server, "https://10.96.0.1:443");
  EXPECT_EQ(config->token, "sa-token");
  EXPECT_EQ(config->ca_data, "CA-PEM");
  EXPECT_EQ(config->namespace_, "kube-system");
}

}  // namespace
}  // namespace skiff::client
