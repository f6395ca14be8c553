// skiff-torchrun (also run as `torchrun`): torchrun's CLI and env contract with static
// rendezvous, for hosts whose own torchrun cannot run (docs/node.md, "torchrun in pods").
#include <netinet/in.h>
#include <sched.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstdio>
#include <fstream>
#include <map>
#include <string>
#include <vector>

#include "launcher/launch_options.h"
#include "launcher/launch_plan.h"
#include "launcher/worker_group.h"

extern char** environ;

namespace {

using skiff::launcher::HostFacts;

std::string Basename(const std::string& path) {
  size_t slash = path.rfind('/');
  return slash == std::string::npos ? path : path.substr(slash + 1);
}

int CpuCount() {
  cpu_set_t set;
  if (sched_getaffinity(0, sizeof set, &set) == 0) return CPU_COUNT(&set);
  long n = sysconf(_SC_NPROCESSORS_ONLN);
  return n > 0 ? static_cast<int>(n) : 1;
}

// A port the kernel considers free now; rank 0 binds it moments later (torchrun's own
// _get_socket_with_port has the same window).
int FreePort() {
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  if (fd < 0) return 0;
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t len = sizeof addr;
  int port = 0;
  if (bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0 &&
      getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len) == 0) {
    port = ntohs(addr.sin_port);
  }
  close(fd);
  return port;
}

std::string RandomRunId() {
  std::ifstream in("/proc/sys/kernel/random/uuid");
  std::string id;
  std::getline(in, id);
  return id;
}

}  // namespace

int main(int argc, char** argv) {
  std::string prog = argc > 0 ? Basename(argv[0]) : "torchrun";
  std::map<std::string, std::string> env;
  for (char** e = environ; *e != nullptr; ++e) {
    std::string kv = *e;
    size_t eq = kv.find('=');
    if (eq != std::string::npos) env.emplace(kv.substr(0, eq), kv.substr(eq + 1));
  }
  std::vector<std::string> args(argv + (argc > 0 ? 1 : 0), argv + argc);
  auto options = skiff::launcher::ParseLaunchArgs(args, env);
  if (!options.ok()) {
    std::fprintf(stderr, "%s%s: error: %s\n", skiff::launcher::Usage(prog).c_str(), prog.c_str(),
                 options.status().message().c_str());
    return 2;
  }
  if (options->help) {
    std::fputs(skiff::launcher::Help(prog).c_str(), stdout);
    return 0;
  }
  HostFacts host{.env = env, .cpu_count = CpuCount()};
  if (options->standalone) {
    host.free_port = FreePort();
    host.standalone_run_id = RandomRunId();
  }
  auto plan = skiff::launcher::PlanLaunch(*options, host);
  if (!plan.ok()) {
    std::fprintf(stderr, "%s: error: %s\n", prog.c_str(), plan.status().message().c_str());
    return 2;
  }
  auto path = env.find("PATH");
  auto program =
      skiff::launcher::ResolveProgram(*plan, path == env.end() ? "/usr/bin:/bin" : path->second);
  if (!program.ok()) {
    std::fprintf(stderr, "%s: error: %s\n", prog.c_str(), program.status().message().c_str());
    return 2;
  }
  if (plan->warn_omp) {
    std::fputs(
        "WARNING:torch.distributed.run:\n*****************************************\nSetting "
        "OMP_NUM_THREADS environment variable for each process to be 1 in default, to avoid "
        "your system being overloaded, please further tune the variable for optimal "
        "performance in your application as needed. \n*****************************************\n",
        stderr);
  }
  std::fflush(stderr);
  return skiff::launcher::RunWorkerGroup(*plan, *program, env);
}
