// Shared plumbing for the kubectl-like verbs: the lazily connected session (kubeconfig, client,
// namespace), kubectl-worded error reporting, manifest reading and object output.
#pragma once

#include <chrono>
#include <iosfwd>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/json.h"
#include "base/status.h"
#include "client/client.h"

namespace skiff::cli {

inline constexpr std::string_view kClientVersion = "v0.1.0";

// Flags every kubectl-like verb accepts.
struct GlobalOptions {
  std::string kubeconfig;  // --kubeconfig; "" = $KUBECONFIG, ~/.kube/config, data-dir kubeconfig
  std::string context;     // --context; "" = current-context
  std::string namespace_;  // -n/--namespace; "" = the context's namespace
  int verbosity = 0;       // -v: >= 6 logs each request to stderr
};

// Connects on first use. Not thread-safe (the CLI is single-threaded).
class Session {
 public:
  explicit Session(GlobalOptions options) : options_(std::move(options)) {}

  StatusOr<client::Client*> Client();
  // -n if given, else the kubeconfig context's namespace, else "default".
  std::string Namespace();
  bool NamespaceExplicit() const { return !options_.namespace_.empty(); }
  const GlobalOptions& options() const { return options_; }

 private:
  GlobalOptions options_;
  std::unique_ptr<client::Client> client_;
  std::string config_namespace_;
};

// Prints `status` to stderr in kubectl's words ("Error from server (NotFound): ...",
// "The TrainJob \"x\" is invalid: ...", "error: ...") and returns exit code 1.
int ReportError(const Status& status);
// The text ReportError would print (without the trailing newline).
std::string ErrorText(const Status& status);
// Wraps a server error's message like kubectl's AddSourceToErr: `error when <verb> "<source>":
// <message>`, keeping reason and details.
Status AddSourceToError(const Status& status, std::string_view verb, std::string_view source);

// One object read from -f input, with the file it came from (for messages).
struct Manifest {
  std::shared_ptr<const Json> object;  // never null
  std::string source;                  // file path, or "STDIN"
};
// Reads every document from each of `paths` ("-" = stdin; a directory reads its .json/.yaml/.yml
// files, descending when `recursive`). Empty documents are skipped and `kind: List` expanded.
StatusOr<std::vector<Manifest>> ReadManifests(const std::vector<std::string>& paths,
                                              bool recursive);

// Go's time.ParseDuration subset kubectl flags use: "30s", "1m30s", "100ms", "2h". A bare
// number is seconds.
StatusOr<std::chrono::milliseconds> ParseDuration(std::string_view text);

// `-o yaml|json|name` printing of one object or a list (kubectl wraps several objects in a
// `kind: List`).
enum class OutputFormat { kTable, kWide, kYaml, kJson, kName };
StatusOr<OutputFormat> ParseOutputFormat(std::string_view text);
void PrintObject(std::ostream& out, const Json& object, OutputFormat format,
                 const client::ResourceInfo& resource);
// kubectl's List wrapper for several objects.
Json WrapInList(std::vector<Json> items);
// `kind.group/name` as `-o name` prints it.
std::string NameOf(const client::ResourceInfo& resource, std::string_view name);

// Small accessors for generic objects (metadata fields as strings; "" when absent).
std::string MetaString(const Json& object, const char* key);
const Json* Field(const Json& object, std::initializer_list<const char*> path);

}  // namespace skiff::cli
