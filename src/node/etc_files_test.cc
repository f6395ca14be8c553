// Tests for the managed /etc/hosts and /etc/resolv.conf.
#include "node/etc_files.h"

#include <gtest/gtest.h>

namespace skiff::node {
namespace {

TEST(EtcFiles, HostsWithSubdomainAndAliases) {
  std::string hosts = RenderHostsFile({.pod_ip = "10.244.0.9",
                                       .hostname = "job-0",
                                       .subdomain = "job",
                                       .ns = "team",
                                       .host_aliases = {{"10.1.2.3", "db"}}});
  EXPECT_NE(hosts.find("127.0.0.1\tlocalhost\n"), std::string::npos);
  EXPECT_NE(hosts.find("10.244.0.9\tjob-0.job.team.svc.cluster.local\tjob-0\n"), std::string::npos);
  EXPECT_NE(hosts.find("# Entries added by HostAliases.\n10.1.2.3\tdb\n"), std::string::npos);
  std::string plain = RenderHostsFile({.pod_ip = "10.244.0.9", .hostname = "web", .ns = "d"});
  EXPECT_NE(plain.find("10.244.0.9\tweb\n"), std::string::npos);
  EXPECT_EQ(plain.find("HostAliases"), std::string::npos);
}

TEST(EtcFiles, ResolvConf) {
  EXPECT_EQ(RenderResolvConf("team", "10.244.0.1"),
            "search team.svc.cluster.local svc.cluster.local cluster.local\n"
            "nameserver 10.244.0.1\noptions ndots:5\n");
}

}  // namespace
}  // namespace skiff::node
