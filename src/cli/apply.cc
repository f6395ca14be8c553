// `skiff apply -f`: resolves each manifest's kind, fills in the namespace like kubectl, and
// applies it client-side (last-applied + three-way merge patch) or server-side.
#include "client/apply.h"

#include <iostream>
#include <nlohmann/json.hpp>

#include "cli/commands.h"

namespace skiff::cli {

int RunApply(Session& session, const ApplyFlags& flags) {
  if (flags.filenames.empty()) {
    std::cerr << "error: must specify one of -f and -k\n";
    return 1;
  }
  if (flags.force_conflicts && !flags.server_side) {
    return ReportError(InvalidArgument("--force-conflicts only works with --server-side"));
  }
  auto manifests = ReadManifests(flags.filenames, flags.recursive);
  if (!manifests.ok()) {
    return ReportError(manifests.status());
  }
  if (manifests->empty()) {
    return ReportError(InvalidArgument("no objects passed to apply"));
  }
  auto client = session.Client();
  if (!client.ok()) {
    return ReportError(client.status());
  }
  int rc = 0;
  for (const Manifest& m : *manifests) {
    Json object = *m.object;
    std::string api_version = object.value("apiVersion", "");
    std::string kind = object.value("kind", "");
    if (api_version.empty() || kind.empty()) {
      rc = ReportError(InvalidArgument("unable to decode \"" + m.source +
                                       "\": Object 'Kind' is "
                                       "missing in '" +
                                       DumpJson(object) + "'"));
      continue;
    }
    std::string name = MetaString(object, "name");
    std::string ns = MetaString(object, "namespace");
    auto resource = (*client)->discovery().ResolveKind(api_version, kind);
    if (!resource.ok()) {
      if (resource.status().code() != StatusCode::kNotFound) {
        rc = ReportError(resource.status());
        continue;
      }
      rc = ReportError(InvalidArgument("resource mapping not found for name: \"" + name +
                                       "\" namespace: \"" + ns + "\" from \"" + m.source +
                                       "\": " + resource.status().message() +
                                       "\nensure CRDs are installed first"));
      continue;
    }
    if (resource->namespaced) {
      if (ns.empty()) {
        ns = session.Namespace();
        object["metadata"]["namespace"] = ns;
      } else if (session.NamespaceExplicit() && ns != session.Namespace()) {
        rc = ReportError(InvalidArgument(
            "the namespace from the provided object \"" + ns +
            "\" does not match the namespace \"" + session.Namespace() +
            "\". You must pass '--namespace=" + ns + "' to perform this operation."));
        continue;
      }
    }
    if (name.empty()) {
      if (!MetaString(object, "generateName").empty()) {
        rc = ReportError(InvalidArgument("from " + MetaString(object, "generateName") +
                                         ": cannot use generate name with apply"));
      } else {
        rc = ReportError(InvalidArgument("error when retrieving current configuration of \"" +
                                         m.source + "\": resource name may not be empty"));
      }
      continue;
    }
    client::ApplyOptions options{.server_side = flags.server_side,
                                 .force_conflicts = flags.force_conflicts,
                                 .field_manager = flags.field_manager,
                                 .dry_run = flags.dry_run_server,
                                 .source = m.source};
    auto outcome = client::ApplyObject(**client, *resource, object, options);
    if (!outcome.ok()) {
      rc = ReportError(outcome.status());
      continue;
    }
    std::cout << NameOf(*resource, name) << " " << client::ApplyResultVerb(outcome->result)
              << (flags.dry_run_server ? " (server dry run)" : "") << "\n"
              << std::flush;
  }
  return rc;
}

}  // namespace skiff::cli
