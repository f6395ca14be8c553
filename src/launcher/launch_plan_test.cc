// Tests for resolving torchrun options into ranks, rank 0's address and the worker env.
#include "launcher/launch_plan.h"

#include <gtest/gtest.h>

namespace skiff::launcher {
namespace {

LaunchOptions Options(const std::vector<std::string>& args,
                      const std::map<std::string, std::string>& env = {}) {
  auto r = ParseLaunchArgs(args, env);
  EXPECT_TRUE(r.ok()) << r.status().ToString();
  return r.ok() ? *r : LaunchOptions{};
}

std::map<std::string, std::string> AsMap(
    const std::vector<std::pair<std::string, std::string>>& v) {
  return {v.begin(), v.end()};
}

TEST(ResolveNprocPerNode, IntCpuGpuAuto) {
  HostFacts host{.cpu_count = 6};
  EXPECT_EQ(*ResolveNprocPerNode("3", host), 3);
  EXPECT_EQ(*ResolveNprocPerNode("cpu", host), 6);
  EXPECT_EQ(*ResolveNprocPerNode("auto", host), 6);
  EXPECT_FALSE(ResolveNprocPerNode("gpu", host).ok());
  host.env["CUDA_VISIBLE_DEVICES"] = "";
  EXPECT_EQ(*ResolveNprocPerNode("auto", host), 6);
  EXPECT_FALSE(ResolveNprocPerNode("gpu", host).ok());
  host.env["CUDA_VISIBLE_DEVICES"] = "0,3";
  EXPECT_EQ(*ResolveNprocPerNode("auto", host), 2);
  EXPECT_EQ(*ResolveNprocPerNode("gpu", host), 2);
  EXPECT_EQ(*ResolveNprocPerNode("cpu", host), 6);
  EXPECT_FALSE(ResolveNprocPerNode("0", host).ok());
  EXPECT_FALSE(ResolveNprocPerNode("tpu", host).ok());
}

TEST(ParseEndpoint, HostPortAndIpv6) {
  EXPECT_EQ(*ParseEndpoint("job-node-0-0.job:29500", -1),
            std::make_pair(std::string("job-node-0-0.job"), 29500));
  EXPECT_EQ(*ParseEndpoint("[::1]:1234", -1), std::make_pair(std::string("::1"), 1234));
  EXPECT_EQ(*ParseEndpoint("host", 29400), std::make_pair(std::string("host"), 29400));
  EXPECT_FALSE(ParseEndpoint("host", -1).ok());
  EXPECT_FALSE(ParseEndpoint(":29500", -1).ok());
  EXPECT_FALSE(ParseEndpoint("h:99999", -1).ok());
  EXPECT_FALSE(ParseEndpoint("h:x", -1).ok());
}

TEST(PlanLaunch, MultiNodeRanksAndEnv) {
  HostFacts host{.env = {{"OMP_NUM_THREADS", "4"}}, .cpu_count = 8};
  auto plan = PlanLaunch(
      Options({"--nnodes", "2", "--node_rank", "1", "--nproc_per_node", "2", "--master_addr",
               "m.job", "--rdzv_id", "j", "--max_restarts", "3", "train.py", "--lr", "1"}),
      host);
  ASSERT_TRUE(plan.ok()) << plan.status().ToString();
  EXPECT_EQ(plan->argv, (std::vector<std::string>{"/usr/bin/python3", "-u", "train.py", "--lr", "1"}));
  EXPECT_FALSE(plan->warn_omp);
  auto env = AsMap(RankEnv(*plan, 1, 2));
  EXPECT_EQ(env["RANK"], "3");
  EXPECT_EQ(env["LOCAL_RANK"], "1");
  EXPECT_EQ(env["WORLD_SIZE"], "4");
  EXPECT_EQ(env["LOCAL_WORLD_SIZE"], "2");
  EXPECT_EQ(env["GROUP_RANK"], "1");
  EXPECT_EQ(env["GROUP_WORLD_SIZE"], "2");
  EXPECT_EQ(env["ROLE_RANK"], "3");
  EXPECT_EQ(env["ROLE_WORLD_SIZE"], "4");
  EXPECT_EQ(env["ROLE_NAME"], "default");
  EXPECT_EQ(env["MASTER_ADDR"], "m.job");
  EXPECT_EQ(env["MASTER_PORT"], "29500");
  EXPECT_EQ(env["TORCHELASTIC_RESTART_COUNT"], "2");
  EXPECT_EQ(env["TORCHELASTIC_MAX_RESTARTS"], "3");
  EXPECT_EQ(env["TORCHELASTIC_RUN_ID"], "j");
  EXPECT_EQ(env["TORCHELASTIC_USE_AGENT_STORE"], "False");
  EXPECT_EQ(env["NCCL_ASYNC_ERROR_HANDLING"], "1");
  EXPECT_EQ(env.count("OMP_NUM_THREADS"), 0u);  // inherited as set, not overridden
}

TEST(PlanLaunch, TrainerPetEnvContract) {
  // What a TrainJob's torch policy injects (trainer.md §4): `torchrun train.py` alone.
  HostFacts host{.env = {{"PET_NNODES", "2"},
                         {"PET_NPROC_PER_NODE", "3"},
                         {"PET_NODE_RANK", "1"},
                         {"PET_MASTER_ADDR", "tj-node-0-0.tj"},
                         {"PET_MASTER_PORT", "29500"}},
                 .cpu_count = 1};
  auto plan = PlanLaunch(Options({"train.py"}, host.env), host);
  ASSERT_TRUE(plan.ok()) << plan.status().ToString();
  EXPECT_TRUE(plan->warn_omp);
  auto env = AsMap(RankEnv(*plan, 2, 0));
  EXPECT_EQ(env["RANK"], "5");
  EXPECT_EQ(env["WORLD_SIZE"], "6");
  EXPECT_EQ(env["MASTER_ADDR"], "tj-node-0-0.tj");
  EXPECT_EQ(env["OMP_NUM_THREADS"], "1");
  EXPECT_EQ(env["TORCHELASTIC_RUN_ID"], "none");
}

TEST(PlanLaunch, EndpointStandaloneAndCommands) {
  HostFacts host{.cpu_count = 2, .free_port = 40123, .standalone_run_id = "uuid-1"};
  auto plan = PlanLaunch(Options({"--rdzv_endpoint", "ep:555", "--master_addr", "ignored",
                                  "--nnodes", "1:2", "--node_rank", "1", "x.py"}),
                         host);
  ASSERT_TRUE(plan.ok());
  EXPECT_EQ(plan->master_addr, "ep");
  EXPECT_EQ(plan->master_port, 555);
  EXPECT_EQ(plan->nnodes, 2);
  // A static endpoint must name its port; c10d defaults to 29400.
  EXPECT_FALSE(PlanLaunch(Options({"--rdzv_endpoint", "ep", "x.py"}), host).ok());
  plan = PlanLaunch(Options({"--rdzv_backend", "c10d", "--rdzv_endpoint", "ep", "x.py"}), host);
  ASSERT_TRUE(plan.ok());
  EXPECT_EQ(plan->master_port, 29400);

  plan = PlanLaunch(
      Options({"--standalone", "--nnodes", "3", "--nproc_per_node", "cpu", "-m", "pkg.mod", "a"}),
      host);
  ASSERT_TRUE(plan.ok());
  EXPECT_EQ(plan->nnodes, 1);
  EXPECT_EQ(plan->nproc_per_node, 2);
  EXPECT_EQ(plan->master_addr, "127.0.0.1");
  EXPECT_EQ(plan->master_port, 40123);
  EXPECT_EQ(plan->run_id, "uuid-1");
  EXPECT_EQ(plan->argv, (std::vector<std::string>{"/usr/bin/python3", "-u", "-m", "pkg.mod", "a"}));

  plan = PlanLaunch(Options({"--no_python", "sh", "-c", "true"}), host);
  ASSERT_TRUE(plan.ok());
  EXPECT_TRUE(plan->no_python);
  EXPECT_EQ(plan->argv, (std::vector<std::string>{"sh", "-c", "true"}));

  HostFacts custom{.env = {{"PYTHON_EXEC", "/opt/py"}}};
  plan = PlanLaunch(Options({"--run_path", "--no_python", "/abs/t.py"}), custom);
  ASSERT_TRUE(plan.ok());
  EXPECT_EQ(plan->argv, (std::vector<std::string>{"/opt/py", "-u", "/abs/t.py"}));
}

TEST(PlanLaunch, NodeRankErrors) {
  HostFacts host;
  auto plan = PlanLaunch(Options({"--nnodes", "2", "--node_rank", "2", "x.py"}), host);
  ASSERT_FALSE(plan.ok());
  EXPECT_NE(plan.status().message().find("out of range"), std::string::npos);
  // Dynamic rendezvous assigns node ranks; static cannot, so it must be given.
  plan = PlanLaunch(
      Options({"--nnodes", "2", "--rdzv_backend", "c10d", "--rdzv_endpoint", "h:1", "x.py"}), host);
  ASSERT_FALSE(plan.ok());
  EXPECT_NE(plan.status().message().find("--node_rank"), std::string::npos);
  EXPECT_TRUE(PlanLaunch(Options({"--nnodes", "2", "--rdzv_backend", "c10d", "--rdzv_endpoint",
                                  "h:1", "x.py"},
                                 {{"PET_NODE_RANK", "1"}}),
                         host)
                  .ok());
  // torchrun's static default: node rank 0.
  EXPECT_EQ(PlanLaunch(Options({"--nnodes", "2", "x.py"}), host)->node_rank, 0);
}

}  // namespace
}  // namespace skiff::launcher
