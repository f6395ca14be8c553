// Netlink and netns helpers against the real kernel (root only; skipped otherwise): a pod-like
// namespace with a veth pair, an address, a default route, and its removal.
#include "node/netlink.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <string>

namespace skiff::node {
namespace {

namespace fs = std::filesystem;

class NetlinkTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (geteuid() != 0) GTEST_SKIP() << "needs root (CAP_NET_ADMIN, CAP_SYS_ADMIN)";
    std::string id = std::to_string(getpid());
    path_ = "/run/netns/skiff-nltest-" + id;
    veth_ = "vsknlt" + id.substr(0, 8);
  }
  void TearDown() override {
    if (path_.empty()) return;
    if (auto nl = Netlink::Open(); nl.ok()) (void)nl->DeleteLink(veth_);
    (void)DeleteNetns(path_);
  }
  std::string path_, veth_;
};

TEST_F(NetlinkTest, BuildsAndRemovesAPodNamespace) {
  ASSERT_TRUE(CreateNetns(path_).ok());
  EXPECT_EQ(CreateNetns(path_).code(), StatusCode::kAlreadyExists);
  auto host = Netlink::Open();
  ASSERT_TRUE(host.ok()) << host.status().ToString();
  ASSERT_TRUE(host->CreateVeth(veth_, "eth0", path_).ok());
  auto host_end = host->LinkIndex(veth_);
  ASSERT_TRUE(host_end.ok());
  EXPECT_TRUE(host->SetUp(*host_end).ok());
  auto pod = Netlink::OpenIn(path_);
  ASSERT_TRUE(pod.ok()) << pod.status().ToString();
  auto eth0 = pod->LinkIndex("eth0");
  ASSERT_TRUE(eth0.ok()) << eth0.status().ToString();
  EXPECT_EQ(pod->LinkIndex(veth_).status().code(), StatusCode::kNotFound);
  ASSERT_TRUE(pod->AddAddress(*eth0, "10.251.3.7", 16).ok());
  EXPECT_EQ(pod->AddAddress(*eth0, "10.251.3.7", 16).code(), StatusCode::kAlreadyExists);
  ASSERT_TRUE(pod->SetUp(*eth0).ok());
  auto lo = pod->LinkIndex("lo");
  ASSERT_TRUE(lo.ok());
  EXPECT_TRUE(pod->SetUp(*lo).ok());
  auto addrs = pod->Addresses(*eth0);
  ASSERT_TRUE(addrs.ok());
  EXPECT_NE(std::find(addrs->begin(), addrs->end(), "10.251.3.7"), addrs->end());
  EXPECT_TRUE(pod->AddDefaultRoute("10.251.0.1", *eth0).ok());
  EXPECT_EQ(pod->AddDefaultRoute("10.251.0.1", *eth0).code(), StatusCode::kAlreadyExists);

  // Deleting the host end takes the pair; the namespace file goes with DeleteNetns.
  EXPECT_TRUE(host->DeleteLink(veth_).ok());
  EXPECT_EQ(host->DeleteLink(veth_).code(), StatusCode::kNotFound);
  EXPECT_EQ(pod->LinkIndex("eth0").status().code(), StatusCode::kNotFound);
  EXPECT_TRUE(DeleteNetns(path_).ok());
  EXPECT_FALSE(fs::exists(path_));
  EXPECT_TRUE(DeleteNetns(path_).ok());
  EXPECT_EQ(Netlink::OpenIn(path_).status().code(), StatusCode::kNotFound);
}

TEST_F(NetlinkTest, CreateLinkReportsExisting) {
  auto host = Netlink::Open();
  ASSERT_TRUE(host.ok());
  ASSERT_TRUE(host->CreateLink(veth_, "bridge").ok());
  EXPECT_EQ(host->CreateLink(veth_, "bridge").code(), StatusCode::kAlreadyExists);
  EXPECT_TRUE(host->LinkIndex(veth_).ok());
  EXPECT_TRUE(host->DeleteLink(veth_).ok());
  EXPECT_EQ(host->LinkIndex(veth_).status().code(), StatusCode::kNotFound);
}

}  // namespace
}  // namespace skiff::node
