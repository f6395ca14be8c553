// Tests for volume preparation and container mounts (temp dirs only; no mounting).
#include "node/volumes.h"

#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>

namespace skiff::node {
namespace {

namespace fs = std::filesystem;

class FakeConfig : public ConfigSource {
 public:
  StatusOr<std::map<std::string, std::string>> ConfigMap(const std::string&,
                                                         const std::string& name) override {
    if (name == "cfg") return std::map<std::string, std::string>{{"a.txt", "A"}, {"b.txt", "B"}};
    return NotFound("configmap");
  }
  StatusOr<std::map<std::string, std::string>> Secret(const std::string&,
                                                      const std::string& name) override {
    if (name == "sec") return std::map<std::string, std::string>{{"token", "t0k"}};
    return NotFound("secret");
  }
};

class VolumesTest : public ::testing::Test {
 protected:
  void SetUp() override {
    root_ = fs::temp_directory_path() /
            ("skiff-vol-" + std::to_string(getpid()) + "-" +
             ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::create_directories(root_);
  }
  void TearDown() override { fs::remove_all(root_); }
  std::string Read(const fs::path& p) {
    std::ifstream in(p);
    std::stringstream ss;
    ss << in.rdbuf();
    return ss.str();
  }
  int Mode(const fs::path& p) {
    struct stat st;
    stat(p.c_str(), &st);
    return st.st_mode & 0777;
  }
  PodSpecView Pod(Json volumes) {
    Json pod = {
        {"metadata",
         {{"name", "p"}, {"namespace", "ns1"}, {"uid", "u1"}, {"labels", {{"a", "b"}}}}},
        {"spec", {{"containers", Json::array({Json{{"name", "c"}}})}, {"volumes", volumes}}}};
    return *ParsePod(pod);
  }
  fs::path root_;
  FakeConfig config_;
};

TEST_F(VolumesTest, PreparesEachType) {
  Json vols = Json::array();
  vols.push_back({{"name", "scratch"}, {"emptyDir", Json::object()}});
  vols.push_back(
      {{"name", "cfg"},
       {"configMap", {{"name", "cfg"}, {"items", {{{"key", "a.txt"}, {"path", "sub/a"}}}}}}});
  vols.push_back({{"name", "sec"}, {"secret", {{"secretName", "sec"}}}});
  vols.push_back({{"name", "claim"}, {"persistentVolumeClaim", {{"claimName", "data"}}}});
  Json item = {{"path", "name"}};
  item["fieldRef"]["fieldPath"] = "metadata.name";
  Json info = {{"name", "info"}};
  info["downwardAPI"]["items"] = Json::array({item});
  vols.push_back(info);
  PodSpecView pod = Pod(vols);
  EnvContext env{.pod = &pod, .config = &config_};
  VolumeOptions opts{.pod_dir = (root_ / "pod").string(), .data_dir = (root_ / "data").string()};
  auto prepared = PrepareVolumes(pod, env, opts);
  ASSERT_TRUE(prepared.ok()) << prepared.status().ToString();
  EXPECT_TRUE(fs::is_directory((*prepared)["scratch"].host_path));
  EXPECT_EQ(Read(fs::path((*prepared)["cfg"].host_path) / "sub/a"), "A");
  EXPECT_FALSE(fs::exists(fs::path((*prepared)["cfg"].host_path) / "b.txt"));  // items only
  fs::path token = fs::path((*prepared)["sec"].host_path) / "token";
  EXPECT_EQ(Read(token), "t0k");
  EXPECT_EQ(Mode(token), 0600);
  EXPECT_EQ((*prepared)["claim"].host_path, (root_ / "data/volumes/pvc/ns1/data").string());
  EXPECT_TRUE(fs::is_directory((*prepared)["claim"].host_path));
  EXPECT_EQ(Read(fs::path((*prepared)["info"].host_path) / "name"), "p");
  EXPECT_TRUE((*prepared)["sec"].read_only);
  CleanupVolumes(pod, opts);
  EXPECT_FALSE(fs::exists(root_ / "pod" / "volumes"));
  EXPECT_TRUE(fs::exists(root_ / "data/volumes/pvc/ns1/data"));  // claims outlive pods
}

TEST_F(VolumesTest, MissingObjectsAndUnsupportedTypes) {
  PodSpecView pod = Pod(Json::array({{{"name", "s"}, {"secret", {{"secretName", "nope"}}}}}));
  EnvContext env{.pod = &pod, .config = &config_};
  VolumeOptions opts{.pod_dir = (root_ / "pod").string(), .data_dir = (root_ / "data").string()};
  auto r = PrepareVolumes(pod, env, opts);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().message(),
            "MountVolume.SetUp failed for volume \"s\" : secret \"nope\" not found");
  pod =
      Pod(Json::array({{{"name", "s"}, {"secret", {{"secretName", "nope"}, {"optional", true}}}}}));
  EXPECT_TRUE(PrepareVolumes(pod, env, opts).ok());
  pod = Pod(Json::array({{{"name", "n"}, {"nfs", {{"server", "x"}}}}}));
  r = PrepareVolumes(pod, env, opts);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), StatusCode::kUnimplemented);
  pod = Pod(Json::array(
      {{{"name", "h"},
        {"hostPath", {{"path", (root_ / "absent").string()}, {"type", "Directory"}}}}}));
  EXPECT_FALSE(PrepareVolumes(pod, env, opts).ok());
  pod = Pod(Json::array(
      {{{"name", "h"},
        {"hostPath", {{"path", (root_ / "made").string()}, {"type", "DirectoryOrCreate"}}}}}));
  EXPECT_TRUE(PrepareVolumes(pod, env, opts).ok());
  EXPECT_TRUE(fs::is_directory(root_ / "made"));
}

TEST_F(VolumesTest, ContainerMountsCreateMountPointsParentsFirst) {
  std::map<std::string, PreparedVolume> vols = {{"data", {(root_ / "src").string(), false}},
                                                {"cfg", {(root_ / "cfgsrc").string(), true}}};
  fs::create_directories(root_ / "src");
  fs::create_directories(root_ / "cfgsrc");
  Container c;
  c.volume_mounts = {
      {.name = "cfg", .mount_path = (root_ / "mnt/data/cfg").string()},
      {.name = "data", .mount_path = (root_ / "mnt/data").string(), .sub_path = "inner"}};
  std::vector<std::string> created;
  auto mounts = ContainerMounts(c, vols, &created);
  ASSERT_TRUE(mounts.ok()) << mounts.status().ToString();
  ASSERT_EQ(mounts->size(), 2u);
  EXPECT_EQ((*mounts)[0].target, (root_ / "mnt/data").string());
  EXPECT_EQ((*mounts)[0].source, (root_ / "src/inner").string());
  EXPECT_TRUE((*mounts)[1].read_only);
  EXPECT_TRUE(fs::is_directory(root_ / "src/inner"));
  EXPECT_TRUE(fs::is_directory(root_ / "mnt/data/cfg"));
  EXPECT_EQ(created.front(), (root_ / "mnt").string());
  c.volume_mounts = {{.name = "missing", .mount_path = "/x"}};
  EXPECT_FALSE(ContainerMounts(c, vols, &created).ok());
  c.volume_mounts = {{.name = "data", .mount_path = "/x", .sub_path = "../escape"}};
  EXPECT_FALSE(ContainerMounts(c, vols, &created).ok());
}

}  // namespace
}  // namespace skiff::node
