// Tests for image → program mapping.
#include "node/image_map.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

namespace skiff::node {
namespace {

TEST(ImageRepository, StripsRegistryTagDigest) {
  EXPECT_EQ(ImageRepository("python:3.11"), "python");
  EXPECT_EQ(ImageRepository("docker.io/library/python:3.11@sha256:abc"), "python");
  EXPECT_EQ(ImageRepository("ghcr.io/org/img:tag"), "ghcr.io/org/img");
  EXPECT_EQ(ImageRepository("localhost:5000/img"), "localhost:5000/img");
  EXPECT_EQ(ImageRepository("pytorch/pytorch:2.1.0-cuda12.1-cudnn8-runtime"), "pytorch/pytorch");
}

TEST(ImageMap, BuiltinRules) {
  ImageMap map({});
  auto r = map.Resolve("python:3.11", {"python", "-c", "print(1)"}, {});
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->argv, (std::vector<std::string>{"/usr/bin/python3", "-c", "print(1)"}));
  r = map.Resolve("pytorch/pytorch:2.1", {}, {"train.py"});
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->argv, (std::vector<std::string>{"/usr/bin/python3", "train.py"}));
  r = map.Resolve("anything/at-all", {"/bin/sh", "-c", "true"}, {"x"});
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->argv, (std::vector<std::string>{"/bin/sh", "-c", "true", "x"}));
  r = map.Resolve("busybox", {"sh", "-c", "true"}, {});
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->argv[1], "-c");
  EXPECT_EQ(r->argv[0].substr(r->argv[0].size() - 3), "/sh");
  auto bad = map.Resolve("example.com/unknown:1", {}, {});
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.status().code(), StatusCode::kNotFound);
  EXPECT_NE(bad.status().message().find("has no local mapping"), std::string::npos);
  bad = map.Resolve("x", {"no-such-program-anywhere"}, {});
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.status().code(), StatusCode::kFailedPrecondition);
  bad = map.Resolve("x", {"/nonexistent/prog"}, {});
  EXPECT_FALSE(bad.ok());
}

TEST(ImageMap, UserFileAndReload) {
  std::string path = std::filesystem::temp_directory_path() /
                     ("skiff-image-map-" + std::to_string(getpid()) + ".yaml");
  {
    std::ofstream f(path);
    f << "images:\n  myorg/trainer: /bin/true\n  \"tools/*\": [/bin/sh, -c]\n";
  }
  ImageMap map({.mapping_file = path});
  auto r = map.Resolve("myorg/trainer:v2", {}, {"--epochs", "1"});
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->argv, (std::vector<std::string>{"/bin/true", "--epochs", "1"}));
  r = map.Resolve("tools/echo:1", {}, {"echo hi"});
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->argv, (std::vector<std::string>{"/bin/sh", "-c", "echo hi"}));
  {
    std::ofstream f(path);
    f << "{\"myorg/trainer\": \"/bin/false\", \"extra\": \"/bin/true\"}\n";
  }
  // A different mtime: force it forward so the reload is seen even within one tick.
  auto t = std::filesystem::last_write_time(path);
  std::filesystem::last_write_time(path, t + std::chrono::seconds(5));
  r = map.Resolve("myorg/trainer", {}, {});
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->argv[0], "/bin/false");
  EXPECT_TRUE(map.Resolve("extra:latest", {}, {}).ok());
  std::filesystem::remove(path);
}

// A temp dir laid out like the skiff binary's: skiff-torchrun and container-bin/.
class TorchrunDir : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() /
           ("skiff-image-map-torchrun-" + std::to_string(getpid()));
    std::filesystem::create_directories(dir_ + "/container-bin");
    std::filesystem::create_directories(dir_ + "/user");
    for (const std::string& exe : {dir_ + "/skiff-torchrun", dir_ + "/user/torchrun"}) {
      std::ofstream(exe) << "#!/bin/sh\n";
      std::filesystem::permissions(exe, std::filesystem::perms::owner_all);
    }
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }
  ImageMapOptions Options() {
    return {.torchrun = dir_ + "/skiff-torchrun", .container_bin_dir = dir_ + "/container-bin"};
  }
  std::string dir_;
};

TEST_F(TorchrunDir, TorchrunCommandRunsSkiffsLauncher) {
  ImageMap map(Options());
  auto r = map.Resolve("pytorch/pytorch:2.1", {"torchrun", "--nproc_per_node", "2", "train.py"},
                       {"--lr", "1"});
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->argv, (std::vector<std::string>{dir_ + "/skiff-torchrun", "--nproc_per_node", "2",
                                               "train.py", "--lr", "1"}));
  EXPECT_NE(r->message.find("Skiff's"), std::string::npos);
  // Only the bare command: other programs and python are untouched.
  r = map.Resolve("pytorch/pytorch:2.1", {"python", "t.py"}, {});
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->argv[0], "/usr/bin/python3");
}

TEST_F(TorchrunDir, ImageMapFileWinsOverTheLauncher) {
  std::string file = dir_ + "/map.yaml";
  std::ofstream(file) << "images:\n  myorg/trainer: " << dir_ << "/user/torchrun\n";
  ImageMapOptions options = Options();
  options.mapping_file = file;
  ImageMap map(options);
  auto r = map.Resolve("myorg/trainer:v1", {"torchrun", "x.py"}, {});
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->argv, (std::vector<std::string>{dir_ + "/user/torchrun", "x.py"}));
  r = map.Resolve("pytorch/pytorch", {"torchrun", "x.py"}, {});
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->argv[0], dir_ + "/skiff-torchrun");
}

TEST_F(TorchrunDir, WithoutTheLauncherTorchrunIsLookedUpOnPath) {
  ImageMap map({.torchrun = dir_ + "/missing", .search_path = {dir_ + "/user"}});
  auto r = map.Resolve("pytorch/pytorch", {"torchrun", "x.py"}, {});
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->argv[0], dir_ + "/user/torchrun");
}

TEST_F(TorchrunDir, ContainerPathPutsContainerBinFirstWhenItExists) {
  EXPECT_EQ(ImageMap(Options()).ContainerPath(),
            dir_ + "/container-bin:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin");
  EXPECT_EQ(ImageMap({.container_bin_dir = dir_ + "/missing"}).ContainerPath(),
            "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin");
  EXPECT_EQ(ImageMap({}).ContainerPath(),
            "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin");
}

TEST(ImageMap, ParseErrors) {
  EXPECT_FALSE(ImageMap::ParseMapping("img: relative/path").ok());
  EXPECT_FALSE(ImageMap::ParseMapping("[1, 2]").ok());
  EXPECT_TRUE(ImageMap::ParseMapping("img: /bin/true").ok());
}

// KServe's storage-initializer image runs Skiff's binary of that name with the pod's args.
TEST(ImageMap, StorageInitializerImageRunsSkiffBinary) {
  std::string dir = ::testing::TempDir() + "/image-map-storage";
  std::filesystem::create_directories(dir);
  std::string bin = dir + "/skiff-storage-initializer";
  { std::ofstream(bin) << "#!/bin/sh\n"; }
  std::filesystem::permissions(bin, std::filesystem::perms::owner_all);
  ImageMap map({.skiff_bin_dirs = {dir}});
  auto r = map.Resolve("kserve/storage-initializer:v0.15.0", {}, {"s3://b/m", "/mnt/models"});
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->argv, (std::vector<std::string>{bin, "s3://b/m", "/mnt/models"}));
  ImageMap empty({.skiff_bin_dirs = {dir + "/none"}});
  EXPECT_EQ(empty.Resolve("kserve/storage-initializer", {}, {"x", "y"}).status().code(),
            StatusCode::kNotFound);
}

}  // namespace
}  // namespace skiff::node
