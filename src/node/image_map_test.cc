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

TEST(ImageMap, ParseErrors) {
  EXPECT_FALSE(ImageMap::ParseMapping("img: relative/path").ok());
  EXPECT_FALSE(ImageMap::ParseMapping("[1, 2]").ok());
  EXPECT_TRUE(ImageMap::ParseMapping("img: /bin/true").ok());
}

}  // namespace
}  // namespace skiff::node
