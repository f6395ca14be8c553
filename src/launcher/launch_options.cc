// torchrun's argument table and an argparse-compatible parser for it: one table of options,
// each with its PET_<DEST> env default, converted and checked once after scanning.
#include "launcher/launch_options.h"

#include <algorithm>
#include <cctype>
#include <charconv>
#include <cstdlib>

namespace skiff::launcher {
namespace {

enum class Kind { kValue, kFlag, kHelp };

struct OptionDef {
  std::vector<std::string> names;  // canonical spellings; "--x-y" is folded to "--x_y" first
  std::string dest;                // argparse dest: the PET_ suffix, upper-cased
  Kind kind;
  std::string metavar;
  std::string help;
};

// torch 2.x's table (a superset of 1.13's). Order is the help order.
const std::vector<OptionDef>& Options() {
  static const std::vector<OptionDef> kOptions = {
      {{"-h", "--help"}, "help", Kind::kHelp, "", "show this help message and exit"},
      {{"--nnodes"}, "nnodes", Kind::kValue, "NNODES", "number of nodes, or MIN:MAX (default 1)"},
      {{"--nproc_per_node"},
       "nproc_per_node",
       Kind::kValue,
       "NPROC_PER_NODE",
       "workers per node: int, auto, cpu or gpu (default 1)"},
      {{"--rdzv_backend"},
       "rdzv_backend",
       Kind::kValue,
       "RDZV_BACKEND",
       "rendezvous backend (default static; others are served as static)"},
      {{"--rdzv_endpoint"},
       "rdzv_endpoint",
       Kind::kValue,
       "RDZV_ENDPOINT",
       "host:port of rank 0's store; overrides --master_addr/--master_port"},
      {{"--rdzv_id"}, "rdzv_id", Kind::kValue, "RDZV_ID", "job id (TORCHELASTIC_RUN_ID)"},
      {{"--rdzv_conf"}, "rdzv_conf", Kind::kValue, "RDZV_CONF", "accepted, ignored"},
      {{"--standalone"},
       "standalone",
       Kind::kFlag,
       "",
       "single node on localhost with a free port"},
      {{"--max_restarts"},
       "max_restarts",
       Kind::kValue,
       "MAX_RESTARTS",
       "restart the local worker group this many times on failure (default 0)"},
      {{"--monitor_interval"},
       "monitor_interval",
       Kind::kValue,
       "MONITOR_INTERVAL",
       "accepted, ignored (exits are seen at once)"},
      {{"--start_method"},
       "start_method",
       Kind::kValue,
       "{spawn,fork,forkserver}",
       "accepted, ignored (workers are always new processes)"},
      {{"--role"}, "role", Kind::kValue, "ROLE", "ROLE_NAME of the workers (default default)"},
      {{"-m", "--module"}, "module", Kind::kFlag, "", "run the script as python -m <module>"},
      {{"--no_python"}, "no_python", Kind::kFlag, "", "run the script itself, found on PATH"},
      {{"--run_path"}, "run_path", Kind::kFlag, "", "run the script with python"},
      {{"--log_dir", "--log-dir"}, "log_dir", Kind::kValue, "LOG_DIR", "accepted, ignored"},
      {{"-r", "--redirects"},
       "redirects",
       Kind::kValue,
       "REDIRECTS",
       "accepted, ignored (workers write to the launcher's stdout/stderr)"},
      {{"-t", "--tee"}, "tee", Kind::kValue, "TEE", "accepted, ignored"},
      {{"--local_ranks_filter"},
       "local_ranks_filter",
       Kind::kValue,
       "LOCAL_RANKS_FILTER",
       "accepted, ignored"},
      {{"--logs_specs"}, "logs_specs", Kind::kValue, "LOGS_SPECS", "accepted, ignored"},
      {{"--local_addr"}, "local_addr", Kind::kValue, "LOCAL_ADDR", "accepted, ignored"},
      {{"--node_rank"}, "node_rank", Kind::kValue, "NODE_RANK", "rank of this node (default 0)"},
      {{"--master_addr"},
       "master_addr",
       Kind::kValue,
       "MASTER_ADDR",
       "address of rank 0 (default 127.0.0.1)"},
      {{"--master_port"},
       "master_port",
       Kind::kValue,
       "MASTER_PORT",
       "port of rank 0's store (default 29500)"},
  };
  return kOptions;
}

// "--nproc-per-node" → "--nproc_per_node": torch 2.x registers both spellings.
std::string FoldDashes(const std::string& opt) {
  if (opt.rfind("--", 0) != 0) return opt;
  std::string out = opt;
  std::replace(out.begin() + 2, out.end(), '-', '_');
  return out;
}

const OptionDef* FindOption(const std::string& name) {
  std::string folded = FoldDashes(name);
  for (const auto& def : Options()) {
    for (const auto& n : def.names) {
      if (n == folded) return &def;
    }
  }
  return nullptr;
}

std::string Upper(std::string s) {
  for (char& c : s) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  return s;
}

std::optional<int> ParseInt(const std::string& text) {
  std::string s = text;
  s.erase(0, s.find_first_not_of(" \t"));
  s.erase(s.find_last_not_of(" \t") + 1);
  if (!s.empty() && s[0] == '+') s.erase(0, 1);
  int v = 0;
  auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (s.empty() || ec != std::errc() || end != s.data() + s.size()) return std::nullopt;
  return v;
}

// argparse reads a token starting with '-' as an option unless it looks like a negative number.
bool LooksLikeOption(const std::string& arg) {
  if (arg.size() < 2 || arg[0] != '-') return false;
  char* end = nullptr;
  std::strtod(arg.c_str(), &end);
  return end == nullptr || *end != '\0';
}

Status ArgError(const OptionDef& def, const std::string& what) {
  return InvalidArgument("argument " + def.names.back() + ": " + what);
}

struct RawValue {
  std::string text;
  bool from_env = false;
};

Status Convert(const OptionDef& def, const RawValue& raw, LaunchOptions& out) {
  const std::string& v = raw.text;
  std::string origin = raw.from_env ? " (from PET_" + Upper(def.dest) + ")" : "";
  auto invalid = [&](const std::string& type) {
    return ArgError(def, "invalid " + type + " value: '" + v + "'" + origin);
  };
  const std::string& d = def.dest;
  if (d == "nnodes") {
    size_t colon = v.find(':');
    auto lo = ParseInt(v.substr(0, colon));
    auto hi = colon == std::string::npos ? lo : ParseInt(v.substr(colon + 1));
    if (!lo || !hi || std::count(v.begin(), v.end(), ':') > 1) {
      return ArgError(def, "nnodes=" + v + " is not in \"MIN:MAX\" format" + origin);
    }
    if (*lo <= 0 || *lo > *hi) {
      return ArgError(def, "nnodes=" + v + ": need 0 < MIN <= MAX" + origin);
    }
    out.min_nodes = *lo;
    out.max_nodes = *hi;
  } else if (d == "nproc_per_node") {
    auto n = ParseInt(v);
    if (n ? *n <= 0 : (v != "auto" && v != "cpu" && v != "gpu")) {
      return ArgError(def, "unsupported value '" + v + "' (an int > 0, auto, cpu or gpu)" + origin);
    }
    out.nproc_per_node = n ? std::to_string(*n) : v;
  } else if (d == "max_restarts") {
    auto n = ParseInt(v);
    if (!n || *n < 0) return invalid("int");
    out.max_restarts = *n;
  } else if (d == "monitor_interval") {
    char* end = nullptr;
    out.monitor_interval = std::strtod(v.c_str(), &end);
    if (v.empty() || *end != '\0') return invalid("float");
  } else if (d == "start_method") {
    if (v != "spawn" && v != "fork" && v != "forkserver") {
      return ArgError(
          def, "invalid choice: '" + v + "' (choose from 'spawn', 'fork', 'forkserver')" + origin);
    }
    out.start_method = v;
  } else if (d == "node_rank") {
    auto n = ParseInt(v);
    if (!n || *n < 0) return invalid("int");
    out.node_rank = *n;
  } else if (d == "master_port") {
    auto n = ParseInt(v);
    if (!n || *n <= 0 || *n > 65535) return invalid("port");
    out.master_port = *n;
  } else if (d == "rdzv_backend") {
    out.rdzv_backend = v;
  } else if (d == "rdzv_endpoint") {
    out.rdzv_endpoint = v;
  } else if (d == "rdzv_id") {
    out.rdzv_id = v;
  } else if (d == "rdzv_conf") {
    out.rdzv_conf = v;
  } else if (d == "role") {
    out.role = v;
  } else if (d == "log_dir") {
    out.log_dir = v;
  } else if (d == "redirects") {
    out.redirects = v;
  } else if (d == "tee") {
    out.tee = v;
  } else if (d == "local_addr") {
    out.local_addr = v;
  } else if (d == "master_addr") {
    out.master_addr = v;
  }
  return Status();
}

// torch's check_env: bool(int(os.environ[...])); "true"/"false" are accepted too.
StatusOr<bool> EnvFlag(const OptionDef& def, const std::string& v) {
  if (auto n = ParseInt(v)) return *n != 0;
  std::string lower = v;
  for (char& c : lower) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  if (lower == "true") return true;
  if (lower == "false" || lower.empty()) return false;
  return ArgError(def, "invalid value '" + v + "' in PET_" + Upper(def.dest) + " (want 0 or 1)");
}

void SetFlag(const std::string& dest, bool value, LaunchOptions& out) {
  if (dest == "standalone") out.standalone = value;
  if (dest == "module") out.module = value;
  if (dest == "no_python") out.no_python = value;
  if (dest == "run_path") out.run_path = value;
}

}  // namespace

StatusOr<LaunchOptions> ParseLaunchArgs(const std::vector<std::string>& args,
                                        const std::map<std::string, std::string>& env) {
  LaunchOptions out;
  std::map<std::string, RawValue> values;  // by dest
  std::map<std::string, bool> flags;
  std::vector<std::string> unknown;
  size_t i = 0;
  bool positional_only = false;
  for (; i < args.size(); ++i) {
    const std::string& arg = args[i];
    if (!positional_only && arg == "--") {
      positional_only = true;
      continue;
    }
    if (positional_only || !LooksLikeOption(arg)) break;
    std::string name = arg;
    std::optional<std::string> attached;
    if (arg.rfind("--", 0) == 0) {
      size_t eq = arg.find('=');
      if (eq != std::string::npos) {
        name = arg.substr(0, eq);
        attached = arg.substr(eq + 1);
      }
    } else if (arg.size() > 2) {  // "-r3": a short option with its value attached
      name = arg.substr(0, 2);
      attached = arg.substr(2);
    }
    const OptionDef* def = FindOption(name);
    if (def == nullptr) {
      unknown.push_back(arg);
      continue;
    }
    if (def->kind == Kind::kHelp) {
      out.help = true;
      return out;
    }
    if (def->kind == Kind::kFlag) {
      if (attached) return ArgError(*def, "ignored explicit argument '" + *attached + "'");
      flags[def->dest] = true;
      continue;
    }
    if (attached) {
      values[def->dest] = RawValue{.text = *attached};
      continue;
    }
    if (i + 1 >= args.size() || LooksLikeOption(args[i + 1]) || args[i + 1] == "--") {
      return ArgError(*def, "expected one argument");
    }
    values[def->dest] = RawValue{.text = args[++i]};
  }
  if (!unknown.empty()) {
    std::string list;
    for (const auto& u : unknown) list += (list.empty() ? "" : " ") + u;
    return InvalidArgument("unrecognized arguments: " + list);
  }
  for (const auto& def : Options()) {
    if (def.kind == Kind::kHelp) continue;
    auto e = env.find("PET_" + Upper(def.dest));
    if (def.kind == Kind::kFlag) {
      bool value = flags.count(def.dest) > 0;
      if (!value && e != env.end()) {
        SKIFF_ASSIGN_OR_RETURN(value, EnvFlag(def, e->second));
      }
      SetFlag(def.dest, value, out);
      continue;
    }
    auto v = values.find(def.dest);
    if (v != values.end()) {
      SKIFF_RETURN_IF_ERROR(Convert(def, v->second, out));
    } else if (e != env.end()) {
      SKIFF_RETURN_IF_ERROR(Convert(def, RawValue{.text = e->second, .from_env = true}, out));
    }
  }
  if (i >= args.size()) {
    return InvalidArgument(
        "the following arguments are required: training_script, "
        "training_script_args");
  }
  out.training_script = args[i];
  out.script_args.assign(args.begin() + static_cast<std::ptrdiff_t>(i) + 1, args.end());
  if (out.module && out.no_python && !out.run_path) {
    return InvalidArgument("don't use both the '--no_python' flag and the '--module' flag");
  }
  return out;
}

std::string Usage(const std::string& prog) {
  std::string u = "usage: " + prog;
  for (const auto& def : Options()) {
    u += " [" + def.names.front() + (def.kind == Kind::kValue ? " " + def.metavar : "") + "]";
  }
  return u + " training_script ...\n";
}

std::string Help(const std::string& prog) {
  std::string h = Usage(prog) +
                  "\nSkiff's torchrun: static rendezvous; each option defaults to env "
                  "PET_<OPTION>.\n\npositional arguments:\n  training_script  the program "
                  "(python script, module with -m, or executable with --no_python)\n  "
                  "training_script_args  its arguments\n\noptions:\n";
  for (const auto& def : Options()) {
    std::string names;
    for (const auto& n : def.names) names += (names.empty() ? "" : ", ") + n;
    if (def.kind == Kind::kValue) names += " " + def.metavar;
    h += "  " + names + "\n        " + def.help + "\n";
  }
  return h;
}

}  // namespace skiff::launcher
