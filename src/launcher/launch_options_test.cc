// Tests for torchrun argument parsing: spellings, PET_* defaults, and argparse-style errors.
#include "launcher/launch_options.h"

#include <gtest/gtest.h>

namespace skiff::launcher {
namespace {

using Env = std::map<std::string, std::string>;

LaunchOptions Parse(const std::vector<std::string>& args, const Env& env = {}) {
  auto r = ParseLaunchArgs(args, env);
  EXPECT_TRUE(r.ok()) << r.status().ToString();
  return r.ok() ? *r : LaunchOptions{};
}

std::string Error(const std::vector<std::string>& args, const Env& env = {}) {
  auto r = ParseLaunchArgs(args, env);
  EXPECT_FALSE(r.ok());
  return r.ok() ? "" : r.status().message();
}

TEST(ParseLaunchArgs, TorchrunDefaults) {
  LaunchOptions o = Parse({"train.py"});
  EXPECT_EQ(o.min_nodes, 1);
  EXPECT_EQ(o.max_nodes, 1);
  EXPECT_EQ(o.nproc_per_node, "1");
  EXPECT_EQ(o.rdzv_backend, "static");
  EXPECT_EQ(o.rdzv_id, "none");
  EXPECT_FALSE(o.node_rank.has_value());
  EXPECT_EQ(o.master_addr, "127.0.0.1");
  EXPECT_EQ(o.master_port, 29500);
  EXPECT_EQ(o.max_restarts, 0);
  EXPECT_EQ(o.role, "default");
  EXPECT_EQ(o.training_script, "train.py");
  EXPECT_TRUE(o.script_args.empty());
}

TEST(ParseLaunchArgs, BothSpellingsAndValueForms) {
  LaunchOptions o = Parse({"--nproc-per-node=2",
                           "--nnodes",
                           "3",
                           "--node_rank=2",
                           "--master-addr",
                           "10.0.0.5",
                           "--master_port=1234",
                           "--max-restarts",
                           "4",
                           "--rdzv-id",
                           "job7",
                           "-r3",
                           "-t",
                           "1",
                           "--log-dir",
                           "/tmp/l",
                           "--local-addr",
                           "x",
                           "--logs-specs",
                           "y",
                           "--start-method",
                           "fork",
                           "--monitor-interval",
                           "0.5",
                           "--role",
                           "trainer",
                           "t.py"});
  EXPECT_EQ(o.nproc_per_node, "2");
  EXPECT_EQ(o.max_nodes, 3);
  EXPECT_EQ(o.node_rank, 2);
  EXPECT_EQ(o.master_addr, "10.0.0.5");
  EXPECT_EQ(o.master_port, 1234);
  EXPECT_EQ(o.max_restarts, 4);
  EXPECT_EQ(o.rdzv_id, "job7");
  EXPECT_EQ(o.redirects, "3");
  EXPECT_EQ(o.tee, "1");
  EXPECT_EQ(o.log_dir, "/tmp/l");
  EXPECT_EQ(o.start_method, "fork");
  EXPECT_DOUBLE_EQ(o.monitor_interval, 0.5);
  EXPECT_EQ(o.role, "trainer");
  EXPECT_EQ(o.training_script, "t.py");
}

TEST(ParseLaunchArgs, EverythingAfterTheScriptIsItsArguments) {
  LaunchOptions o = Parse({"--standalone", "-m", "pkg.train", "--nproc_per_node", "8", "-x"});
  EXPECT_TRUE(o.standalone);
  EXPECT_TRUE(o.module);
  EXPECT_EQ(o.nproc_per_node, "1");
  EXPECT_EQ(o.training_script, "pkg.train");
  EXPECT_EQ(o.script_args, (std::vector<std::string>{"--nproc_per_node", "8", "-x"}));
  o = Parse({"--no_python", "--", "--weird-name", "a"});
  EXPECT_TRUE(o.no_python);
  EXPECT_EQ(o.training_script, "--weird-name");
  EXPECT_EQ(o.script_args, (std::vector<std::string>{"a"}));
}

TEST(ParseLaunchArgs, PetEnvSuppliesDefaultsAndFlagsWin) {
  Env env = {{"PET_NNODES", "2:4"},        {"PET_NPROC_PER_NODE", "auto"},
             {"PET_NODE_RANK", "1"},       {"PET_MASTER_ADDR", "job-node-0-0.job"},
             {"PET_MASTER_PORT", "29501"}, {"PET_STANDALONE", "0"},
             {"PET_NO_PYTHON", "1"},       {"PET_RDZV_ENDPOINT", "h:1"},
             {"PET_MAX_RESTARTS", "2"}};
  LaunchOptions o = Parse({"x"}, env);
  EXPECT_EQ(o.min_nodes, 2);
  EXPECT_EQ(o.max_nodes, 4);
  EXPECT_EQ(o.nproc_per_node, "auto");
  EXPECT_EQ(o.node_rank, 1);
  EXPECT_EQ(o.master_addr, "job-node-0-0.job");
  EXPECT_EQ(o.master_port, 29501);
  EXPECT_FALSE(o.standalone);
  EXPECT_TRUE(o.no_python);
  EXPECT_EQ(o.rdzv_endpoint, "h:1");
  EXPECT_EQ(o.max_restarts, 2);
  o = Parse({"--nproc_per_node", "3", "--node_rank", "0", "x"}, env);
  EXPECT_EQ(o.nproc_per_node, "3");
  EXPECT_EQ(o.node_rank, 0);
  EXPECT_EQ(o.max_nodes, 4);
}

TEST(ParseLaunchArgs, ArgparseErrors) {
  EXPECT_NE(Error({}).find("the following arguments are required: training_script"),
            std::string::npos);
  EXPECT_NE(Error({"--bogus", "x.py"}).find("unrecognized arguments: --bogus"), std::string::npos);
  EXPECT_NE(Error({"--nproc_per_node"}).find("expected one argument"), std::string::npos);
  EXPECT_NE(Error({"--nproc_per_node", "--nnodes", "1", "x"}).find("expected one argument"),
            std::string::npos);
  EXPECT_NE(Error({"--nproc_per_node", "many", "x"}).find("unsupported value 'many'"),
            std::string::npos);
  EXPECT_NE(Error({"--nproc_per_node", "0", "x"}).find("unsupported value"), std::string::npos);
  EXPECT_NE(Error({"--nnodes", "1:2:3", "x"}).find("MIN:MAX"), std::string::npos);
  EXPECT_NE(Error({"--nnodes", "3:2", "x"}).find("MIN <= MAX"), std::string::npos);
  EXPECT_NE(Error({"--nnodes", "0", "x"}).find("nnodes"), std::string::npos);
  EXPECT_NE(Error({"--master_port", "70000", "x"}).find("--master_port"), std::string::npos);
  EXPECT_NE(Error({"--node_rank", "-1", "x"}).find("--node_rank"), std::string::npos);
  EXPECT_NE(Error({"--start_method", "thread", "x"}).find("invalid choice"), std::string::npos);
  EXPECT_NE(Error({"--standalone=1", "x"}).find("ignored explicit argument"), std::string::npos);
  EXPECT_NE(Error({"-m", "--no_python", "x"}).find("--no_python"), std::string::npos);
  EXPECT_NE(Error({"x"}, {{"PET_NNODES", "two"}}).find("from PET_NNODES"), std::string::npos);
  EXPECT_NE(Error({"x"}, {{"PET_STANDALONE", "yes"}}).find("PET_STANDALONE"), std::string::npos);
}

TEST(ParseLaunchArgs, Help) {
  EXPECT_TRUE(Parse({"--nnodes", "2", "-h"}).help);
  EXPECT_TRUE(Parse({"--help"}).help);
  std::string help = Help("torchrun");
  EXPECT_EQ(help.rfind("usage: torchrun", 0), 0u);
  EXPECT_NE(help.find("--nproc_per_node NPROC_PER_NODE"), std::string::npos);
}

}  // namespace
}  // namespace skiff::launcher
