// The kubectl-like verbs of the `skiff` binary. main.cc fills these option structs from flags;
// each Run* returns the process exit code and writes data to stdout, diagnostics to stderr.
#pragma once

#include <string>
#include <vector>

#include "cli/common.h"

namespace skiff::cli {

struct ApplyFlags {
  std::vector<std::string> filenames;  // -f (files, directories, "-")
  bool recursive = false;              // -R
  bool server_side = false;
  bool force_conflicts = false;
  std::string field_manager;  // "" = kubectl's default for the apply mode
  bool dry_run_server = false;
};
int RunApply(Session& session, const ApplyFlags& flags);

struct GetFlags {
  std::vector<std::string> args;  // TYPE[,TYPE] [NAME...] or TYPE/NAME...
  bool all_namespaces = false;    // -A
  std::string selector;           // -l
  std::string field_selector;
  std::string output;  // "", wide, yaml, json, name
  bool watch = false;  // -w
  bool show_labels = false;
  bool no_headers = false;
};
int RunGet(Session& session, const GetFlags& flags);

struct DescribeFlags {
  std::vector<std::string> args;  // TYPE [NAME...] or TYPE/NAME
  std::string selector;
  bool all_namespaces = false;
};
int RunDescribe(Session& session, const DescribeFlags& flags);

struct DeleteFlags {
  std::vector<std::string> args;  // TYPE NAME... or TYPE/NAME...
  std::vector<std::string> filenames;
  bool recursive = false;
  bool all = false;
  std::string selector;
  bool all_namespaces = false;
  std::string cascade = "background";  // background, foreground, orphan (true/false legacy)
  int grace_period = -1;               // -1 = the object's default
  bool now = false;                    // grace period 1
  bool force = false;                  // grace period 0
  bool wait = true;                    // wait until the objects are gone
  std::string timeout = "0s";          // how long --wait waits; 0 = a week, like kubectl
  bool ignore_not_found = false;
};
int RunDelete(Session& session, const DeleteFlags& flags);

struct WaitFlags {
  std::vector<std::string> args;  // TYPE/NAME... or TYPE NAME...
  std::string for_condition;      // condition=X[=v] | delete | jsonpath={.p}=v | create
  std::string timeout = "30s";
  std::string selector;
  bool all = false;
  bool all_namespaces = false;
};
int RunWait(Session& session, const WaitFlags& flags);

struct LogsFlags {
  std::vector<std::string> args;  // POD or pod/POD, optional CONTAINER
  std::string container;          // -c
  bool follow = false;            // -f
  int64_t tail = -1;              // --tail; -1 = all
  bool timestamps = false;
  bool previous = false;
  std::string since;  // --since=10s
};
int RunLogs(Session& session, const LogsFlags& flags);

// `skiff queue status`: ClusterQueue usage and borrowing, pending Workloads in admission order
// with the reason each waits.
int RunQueueStatus(Session& session);

struct VersionFlags {
  bool client_only = false;
  std::string output;  // "", json, yaml
};
int RunVersion(Session& session, const VersionFlags& flags);

// Splits `get`-style arguments into (resource, name) pairs: "pods a b", "pods,svc", "pod/a
// svc/b". An empty name means "all of that type".
struct TypedName {
  std::string type;
  std::string name;
};
StatusOr<std::vector<TypedName>> ParseResourceArgs(const std::vector<std::string>& args);

// One object addressed on the command line.
struct ObjectRef {
  client::ResourceInfo resource;
  std::string ns;  // empty for cluster-scoped kinds
  std::string name;
};
// Resolves `typed` to objects, as kubectl's resource builder does: a name addresses one object
// in the session's namespace; a bare type lists that type by `selector` (every namespace with
// `all_namespaces`), and needs `all` or a selector, else InvalidArgument(missing_name_message).
StatusOr<std::vector<ObjectRef>> ResolveObjects(Session& session, client::Client& client,
                                                const std::vector<TypedName>& typed, bool all,
                                                const std::string& selector, bool all_namespaces,
                                                std::string_view missing_name_message);

}  // namespace skiff::cli
