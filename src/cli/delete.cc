// `skiff delete`: deletes by name, selector, --all or manifest, printing kubectl's
// `kind.group "name" deleted`, then (by default) waits until each object is gone.
#include <iostream>
#include <nlohmann/json.hpp>

#include "cli/commands.h"

namespace skiff::cli {
namespace {

struct Target {
  client::ResourceInfo resource;
  std::string ns;
  std::string name;
  std::string uid;  // of the object we deleted, once known
};

StatusOr<std::string> PropagationPolicy(const std::string& cascade) {
  if (cascade == "background" || cascade == "true") return std::string("Background");
  if (cascade == "foreground") return std::string("Foreground");
  if (cascade == "orphan" || cascade == "false") return std::string("Orphan");
  return InvalidArgument("invalid cascade value (" + cascade +
                         "). Must be \"background\", \"foreground\", or \"orphan\".");
}

// Blocks until the object is gone (404, or its uid changed), bounded by `timeout` (0 = none).
Status WaitForDeletion(client::Client& client, const Target& t, std::chrono::milliseconds timeout) {
  auto deadline = std::chrono::steady_clock::now() + timeout;
  std::string field = "metadata.name=" + t.name;
  while (true) {
    auto list = client.List(t.resource, t.ns, {.field_selector = field});
    if (!list.ok()) {
      return list.status();
    }
    const Json& items = (*list)["items"];
    bool present = false;
    for (const Json& item : items) {
      if (t.uid.empty() || MetaString(item, "uid") == t.uid) {
        present = true;
      }
    }
    if (!present) {
      return Status::Ok();
    }
    std::chrono::milliseconds left{0};
    if (timeout.count() > 0) {
      left = std::chrono::duration_cast<std::chrono::milliseconds>(
          deadline - std::chrono::steady_clock::now());
      if (left.count() <= 0) {
        return DeadlineExceeded("");
      }
    }
    bool gone = false;
    client::WatchOptions watch{.resource_version = MetaString(*list, "resourceVersion"),
                               .field_selector = field,
                               .deadline = left};
    Status st = client.Watch(t.resource, t.ns, watch, [&](const client::WatchEvent& e) {
      if (e.type == "DELETED" && (t.uid.empty() || MetaString(*e.object, "uid") == t.uid)) {
        gone = true;
        return false;
      }
      if (e.type != "BOOKMARK" && !t.uid.empty() && MetaString(*e.object, "uid") != t.uid) {
        gone = true;  // recreated under the same name: ours is gone
        return false;
      }
      return true;
    });
    if (gone) {
      return Status::Ok();
    }
    if (!st.ok() && st.code() != StatusCode::kOutOfRange) {
      return st;
    }
  }
}

}  // namespace

int RunDelete(Session& session, const DeleteFlags& flags) {
  auto policy = PropagationPolicy(flags.cascade);
  if (!policy.ok()) {
    return ReportError(policy.status());
  }
  auto timeout = ParseDuration(flags.timeout);
  if (!timeout.ok()) {
    return ReportError(timeout.status());
  }
  if (flags.filenames.empty() && flags.args.empty()) {
    std::cerr << "error: You must provide one or more resources by argument or filename.\n"
                 "Example resource specifications include:\n"
                 "   '-f rsrc.yaml'\n   '--filename=rsrc.json'\n   '<resource> <name>'\n"
                 "   '<resource>'\n";
    return 1;
  }
  auto client = session.Client();
  if (!client.ok()) {
    return ReportError(client.status());
  }
  int rc = 0;
  std::vector<Target> targets;
  if (!flags.filenames.empty()) {
    auto manifests = ReadManifests(flags.filenames, flags.recursive);
    if (!manifests.ok()) {
      return ReportError(manifests.status());
    }
    for (const Manifest& m : *manifests) {
      auto r = (*client)->discovery().ResolveKind(m.object->value("apiVersion", ""),
                                                  m.object->value("kind", ""));
      if (!r.ok()) {
        rc = ReportError(r.status());
        continue;
      }
      std::string ns = MetaString(*m.object, "namespace");
      if (ns.empty()) {
        ns = session.Namespace();
      }
      targets.push_back({*r, r->namespaced ? ns : "", MetaString(*m.object, "name"), ""});
    }
  } else {
    auto typed = ParseResourceArgs(flags.args);
    if (!typed.ok()) {
      return ReportError(typed.status());
    }
    auto objects = ResolveObjects(session, **client, *typed, flags.all, flags.selector,
                                  flags.all_namespaces,
                                  "resource(s) were provided, but no name was specified");
    if (!objects.ok()) {
      return ReportError(objects.status());
    }
    for (ObjectRef& o : *objects) {
      targets.push_back({std::move(o.resource), std::move(o.ns), std::move(o.name), ""});
    }
    if (targets.empty() && rc == 0) {
      std::cout << "No resources found\n";
      return 0;
    }
  }

  client::DeleteOptions options{.propagation_policy = *policy};
  if (flags.force) {
    options.grace_period_seconds = 0;
  } else if (flags.now) {
    options.grace_period_seconds = 1;
  } else if (flags.grace_period >= 0) {
    options.grace_period_seconds = flags.grace_period;
  }
  std::vector<Target> deleted;
  for (Target& t : targets) {
    auto reply = (*client)->Delete(t.resource, t.ns, t.name, options);
    if (!reply.ok()) {
      if (reply.status().code() == StatusCode::kNotFound && flags.ignore_not_found) {
        continue;
      }
      rc = ReportError(reply.status());
      continue;
    }
    // The reply is the object (pods, or a deletion pending on finalizers) or a Status whose
    // details carry the uid.
    t.uid = MetaString(*reply, "uid");
    if (t.uid.empty()) {
      const Json* uid = Field(*reply, {"details", "uid"});
      t.uid = uid && uid->is_string() ? uid->get<std::string>() : "";
    }
    std::cout << t.resource.KindPrefix() << " \"" << t.name << "\" deleted\n" << std::flush;
    deleted.push_back(t);
  }
  if (!flags.wait) {
    return rc;
  }
  for (const Target& t : deleted) {
    Status st = WaitForDeletion(**client, t, *timeout);
    if (st.code() == StatusCode::kDeadlineExceeded) {
      rc = ReportError(InvalidArgument("timed out waiting for the condition on " +
                                       t.resource.plural + "/" + t.name));
    } else if (!st.ok()) {
      rc = ReportError(st);
    }
  }
  return rc;
}

}  // namespace skiff::cli
