// Defaulting and validation the kube-apiserver applies to built-in kinds beyond
// their schemas: Pod/container defaults, Service IP allocation, Secret stringData,
// Namespace phase, workload defaults and immutable fields.
#include <nlohmann/json.hpp>
#include <set>

#include "api/autoscaling.h"
#include "base/base64.h"

#include "apiserver/admission.h"

namespace skiff::apiserver {
namespace {

bool Is(const api::KindInfo& k, const char* group, const char* kind) {
  return k.group == group && k.kind == kind;
}

void SetDefault(Json& obj, const char* key, Json value) {
  if (!obj.contains(key) || obj[key].is_null()) obj[key] = std::move(value);
}

void DefaultContainer(Json& c) {
  if (!c.is_object()) return;
  SetDefault(c, "terminationMessagePath", "/dev/termination-log");
  SetDefault(c, "terminationMessagePolicy", "File");
  if (!c.contains("imagePullPolicy")) {
    std::string image = c.value("image", "");
    auto slash = image.rfind('/');
    std::string last = slash == std::string::npos ? image : image.substr(slash + 1);
    bool latest = last.find(':') == std::string::npos || last.ends_with(":latest");
    if (image.find('@') != std::string::npos) latest = false;
    c["imagePullPolicy"] = latest ? "Always" : "IfNotPresent";
  }
  if (c.contains("ports") && c["ports"].is_array()) {
    for (auto& p : c["ports"]) {
      if (p.is_object()) SetDefault(p, "protocol", "TCP");
    }
  }
  SetDefault(c, "resources", Json::object());
}

void DefaultPodSpec(Json& spec) {
  if (!spec.is_object()) return;
  SetDefault(spec, "restartPolicy", "Always");
  SetDefault(spec, "dnsPolicy", "ClusterFirst");
  SetDefault(spec, "schedulerName", "default-scheduler");
  SetDefault(spec, "terminationGracePeriodSeconds", 30);
  SetDefault(spec, "securityContext", Json::object());
  for (const char* list : {"containers", "initContainers"}) {
    if (spec.contains(list) && spec[list].is_array()) {
      for (auto& c : spec[list]) DefaultContainer(c);
    }
  }
}

void DefaultTemplate(Json& spec) {
  if (spec.is_object() && spec.contains("template") && spec["template"].is_object() &&
      spec["template"].contains("spec")) {
    DefaultPodSpec(spec["template"]["spec"]);
  }
}

std::string AllocateClusterIp(Context& ctx, const Json& obj) {
  // 10.96.0.0/12, deterministic from the uid, skipping addresses in use.
  std::hash<std::string> h;
  std::string uid = obj["metadata"].value("uid", "");
  uint32_t base = h(uid) % ((1u << 20) - 2) + 1;
  auto used = ctx.store->List("services", "", "", 0);
  std::set<std::string> taken;
  for (const auto& s : used.items) {
    if (s->value->contains("spec")) taken.insert(s->value->at("spec").value("clusterIP", ""));
  }
  for (uint32_t i = 0; i < (1u << 20); ++i) {
    uint32_t off = (base + i) % ((1u << 20) - 2) + 1;
    uint32_t ip = (10u << 24) | (96u << 16) | off;
    if (off == 1) continue;  // 10.96.0.1 is the kubernetes service
    std::string s = std::to_string(ip >> 24) + "." + std::to_string((ip >> 16) & 255) + "." +
                    std::to_string((ip >> 8) & 255) + "." + std::to_string(ip & 255);
    if (!taken.count(s)) return s;
  }
  return "";
}

void DefaultService(Context& ctx, Json& obj, const Json* old) {
  if (!obj.contains("spec") || !obj["spec"].is_object()) obj["spec"] = Json::object();
  Json& spec = obj["spec"];
  SetDefault(spec, "type", "ClusterIP");
  SetDefault(spec, "sessionAffinity", "None");
  if (spec["type"] != "ExternalName") {
    SetDefault(spec, "internalTrafficPolicy", "Cluster");
    SetDefault(spec, "ipFamilies", Json::array({"IPv4"}));
    SetDefault(spec, "ipFamilyPolicy", "SingleStack");
    if (old && old->contains("spec") && (*old)["spec"].contains("clusterIP") &&
        (!spec.contains("clusterIP") || spec["clusterIP"] == "")) {
      spec["clusterIP"] = (*old)["spec"]["clusterIP"];
    }
    if (!spec.contains("clusterIP") || spec["clusterIP"] == "") {
      spec["clusterIP"] = AllocateClusterIp(ctx, obj);
    }
    spec["clusterIPs"] = Json::array({spec["clusterIP"]});
  }
  if (spec.contains("ports") && spec["ports"].is_array()) {
    for (auto& p : spec["ports"]) {
      if (!p.is_object()) continue;
      SetDefault(p, "protocol", "TCP");
      if (!p.contains("targetPort") && p.contains("port")) p["targetPort"] = p["port"];
    }
  }
}

}  // namespace

void DefaultBuiltin(Context& ctx, const api::KindInfo& kind, Json& obj, const Json* old) {
  if (Is(kind, "", "Pod")) {
    if (obj.contains("spec")) DefaultPodSpec(obj["spec"]);
    if (!obj.contains("status") || !obj["status"].is_object()) {
      obj["status"] = {{"phase", "Pending"}};
    }
    SetDefault(obj["status"], "phase", "Pending");
  } else if (Is(kind, "", "Service")) {
    DefaultService(ctx, obj, old);
  } else if (Is(kind, "", "Secret")) {
    SetDefault(obj, "type", "Opaque");
    if (obj.contains("stringData") && obj["stringData"].is_object()) {
      if (!obj.contains("data") || !obj["data"].is_object()) obj["data"] = Json::object();
      for (auto& [k, v] : obj["stringData"].items()) {
        if (v.is_string()) obj["data"][k] = Base64Encode(v.get<std::string>());
      }
      obj.erase("stringData");
    }
  } else if (Is(kind, "", "Namespace")) {
    if (!obj.contains("spec") || !obj["spec"].is_object()) obj["spec"] = Json::object();
    SetDefault(obj["spec"], "finalizers", Json::array({"kubernetes"}));
    if (!obj.contains("status") || !obj["status"].is_object()) obj["status"] = Json::object();
    SetDefault(obj["status"], "phase", "Active");
    if (!obj["metadata"].contains("labels") || !obj["metadata"]["labels"].is_object()) {
      obj["metadata"]["labels"] = Json::object();
    }
    obj["metadata"]["labels"]["kubernetes.io/metadata.name"] = obj["metadata"].value("name", "");
  } else if (Is(kind, "apps", "Deployment")) {
    Json& spec = obj["spec"];
    if (!spec.is_object()) return;
    SetDefault(spec, "replicas", 1);
    SetDefault(spec, "revisionHistoryLimit", 10);
    SetDefault(spec, "progressDeadlineSeconds", 600);
    SetDefault(spec, "strategy", Json{{"type", "RollingUpdate"}});
    if (spec["strategy"].value("type", "") == "RollingUpdate") {
      if (!spec["strategy"].contains("rollingUpdate")) spec["strategy"]["rollingUpdate"] = Json::object();
      SetDefault(spec["strategy"]["rollingUpdate"], "maxSurge", "25%");
      SetDefault(spec["strategy"]["rollingUpdate"], "maxUnavailable", "25%");
    }
    DefaultTemplate(spec);
  } else if (Is(kind, "autoscaling", "HorizontalPodAutoscaler")) {
    api::DefaultHorizontalPodAutoscaler(obj);
  } else if (Is(kind, "apps", "ReplicaSet")) {
    if (!obj["spec"].is_object()) return;
    SetDefault(obj["spec"], "replicas", 1);
    DefaultTemplate(obj["spec"]);
  } else if (Is(kind, "batch", "Job")) {
    Json& spec = obj["spec"];
    if (!spec.is_object()) return;
    // kube defaults completions to 1 only when neither completions nor parallelism is set; a
    // Job with parallelism but no completions is a work queue (done when any pod succeeds).
    if (!old && !spec.contains("completions") && !spec.contains("parallelism")) {
      spec["completions"] = 1;
    }
    SetDefault(spec, "parallelism", 1);
    SetDefault(spec, "backoffLimit", 6);
    SetDefault(spec, "completionMode", "NonIndexed");
    SetDefault(spec, "suspend", false);
    SetDefault(spec, "podReplacementPolicy", "TerminatingOrFailed");
    std::string uid = obj["metadata"].value("uid", "");
    std::string name = obj["metadata"].value("name", "");
    if (!spec.value("manualSelector", false) && !old) {
      spec["selector"] = {{"matchLabels", {{"batch.kubernetes.io/controller-uid", uid}}}};
      if (spec.contains("template") && spec["template"].is_object()) {
        Json& tmeta = spec["template"]["metadata"];
        if (!tmeta.is_object()) tmeta = Json::object();
        Json& labels = tmeta["labels"];
        if (!labels.is_object()) labels = Json::object();
        labels["batch.kubernetes.io/controller-uid"] = uid;
        labels["batch.kubernetes.io/job-name"] = name;
        labels["controller-uid"] = uid;
        labels["job-name"] = name;
      }
    }
    DefaultTemplate(spec);
  }
}

std::vector<StatusCause> ValidateBuiltin(const api::KindInfo& kind, const Json& obj,
                                         const Json* old) {
  std::vector<StatusCause> causes;
  auto required = [&](const Json& parent, const char* key, const std::string& field) {
    if (!parent.is_object() || !parent.contains(key) || parent[key].is_null() ||
        (parent[key].is_array() && parent[key].empty())) {
      causes.push_back({"FieldValueRequired", "Required value", field});
      return false;
    }
    return true;
  };
  auto check_pod_spec = [&](const Json& spec, const std::string& path) {
    if (!required(spec, "containers", path + ".containers")) return;
    std::set<std::string> names;
    const Json& cs = spec["containers"];
    for (size_t i = 0; i < cs.size(); ++i) {
      std::string cp = path + ".containers[" + std::to_string(i) + "]";
      if (!cs[i].is_object()) continue;
      if (required(cs[i], "name", cp + ".name")) {
        std::string n = cs[i].value("name", "");
        if (!names.insert(n).second) {
          causes.push_back({"FieldValueDuplicate", "Duplicate value: \"" + n + "\"", cp + ".name"});
        }
      }
      required(cs[i], "image", cp + ".image");
    }
  };
  if (Is(kind, "", "Pod")) {
    if (required(obj, "spec", "spec")) check_pod_spec(obj["spec"], "spec");
    if (old && old->contains("spec") && obj.contains("spec")) {
      // Pod spec is immutable except images, activeDeadlineSeconds and tolerations additions;
      // scheduling gates may only be removed, and while the old pod is still gated its
      // nodeSelector may gain entries (kube 1.27+: how Kueue places a pod before ungating it).
      Json a = (*old)["spec"], b = obj["spec"];
      auto gate_names = [](const Json& spec) {
        std::set<std::string> out;
        if (spec.contains("schedulingGates") && spec["schedulingGates"].is_array()) {
          for (const Json& g : spec["schedulingGates"]) {
            if (g.is_object()) out.insert(g.value("name", ""));
          }
        }
        return out;
      };
      std::set<std::string> old_gates = gate_names(a);
      if (b.contains("schedulingGates") && b["schedulingGates"].is_array()) {
        const Json& gates = b["schedulingGates"];
        for (size_t i = 0; i < gates.size(); ++i) {
          std::string g = gates[i].is_object() ? gates[i].value("name", "") : "";
          if (old_gates.count(g)) continue;
          causes.push_back({"FieldValueForbidden",
                            "Forbidden: only deletion is allowed, but found new scheduling gate '" +
                                g + "'",
                            "spec.schedulingGates[" + std::to_string(i) + "].name"});
        }
      }
      if (!old_gates.empty()) {
        Json old_sel = a.value("nodeSelector", Json::object());
        Json new_sel = b.value("nodeSelector", Json::object());
        bool additions_only = old_sel.is_object() && new_sel.is_object();
        for (auto it = old_sel.begin(); additions_only && it != old_sel.end(); ++it) {
          additions_only = new_sel.contains(it.key()) && new_sel[it.key()] == *it;
        }
        if (!additions_only) {
          causes.push_back({"FieldValueInvalid",
                            "Invalid value: " + new_sel.dump() +
                                ": only additions to spec.nodeSelector are allowed (no mutations "
                                "or deletions)",
                            "spec.nodeSelector"});
        }
        a.erase("nodeSelector");
        b.erase("nodeSelector");
      }
      for (Json* s : {&a, &b}) {
        s->erase("activeDeadlineSeconds");
        s->erase("tolerations");
        s->erase("schedulingGates");
        for (const char* list : {"containers", "initContainers"}) {
          if (s->contains(list) && (*s)[list].is_array()) {
            for (auto& c : (*s)[list]) {
              if (c.is_object()) c.erase("image");
            }
          }
        }
      }
      // nodeName may be set once, by binding.
      if (!(*old)["spec"].contains("nodeName")) b.erase("nodeName"), a.erase("nodeName");
      if (a != b) {
        causes.push_back({"FieldValueForbidden",
                          "Forbidden: pod updates may not change fields other than "
                          "`spec.containers[*].image`, `spec.initContainers[*].image`, "
                          "`spec.activeDeadlineSeconds`, `spec.tolerations` (only additions to "
                          "existing tolerations)",
                          "spec"});
      }
    }
  } else if (Is(kind, "apps", "Deployment") || Is(kind, "apps", "ReplicaSet")) {
    if (required(obj, "spec", "spec")) {
      required(obj["spec"], "selector", "spec.selector");
      if (required(obj["spec"], "template", "spec.template")) {
        const Json& t = obj["spec"]["template"];
        if (required(t, "spec", "spec.template.spec")) check_pod_spec(t["spec"], "spec.template.spec");
      }
    }
  } else if (Is(kind, "batch", "Job")) {
    if (required(obj, "spec", "spec") && required(obj["spec"], "template", "spec.template")) {
      const Json& t = obj["spec"]["template"];
      if (required(t, "spec", "spec.template.spec")) {
        check_pod_spec(t["spec"], "spec.template.spec");
        std::string rp = t["spec"].value("restartPolicy", "");
        if (rp != "Never" && rp != "OnFailure") {
          causes.push_back({"FieldValueNotSupported",
                            "Unsupported value: \"" + rp +
                                "\": supported values: \"OnFailure\", \"Never\"",
                            "spec.template.spec.restartPolicy"});
        }
      }
      if (old && (*old).contains("spec") && (*old)["spec"].contains("template") &&
          (*old)["spec"]["template"] != obj["spec"]["template"] &&
          !(*old)["spec"].value("suspend", false)) {
        causes.push_back({"FieldValueInvalid", "Invalid value: field is immutable",
                          "spec.template"});
      }
    }
  } else if (Is(kind, "autoscaling", "HorizontalPodAutoscaler")) {
    causes = api::ValidateHorizontalPodAutoscaler(obj);
  } else if (Is(kind, "", "ConfigMap") || Is(kind, "", "Secret")) {
    if (old && old->value("immutable", false)) {
      for (const char* f : {"data", "binaryData"}) {
        if (old->value(f, Json()) != obj.value(f, Json())) {
          causes.push_back({"FieldValueForbidden",
                            "Forbidden: field is immutable when `immutable` is set", f});
        }
      }
    }
  } else if (Is(kind, "", "Service")) {
    if (obj.contains("spec") && obj["spec"].value("type", "") != "ExternalName" &&
        obj["spec"].value("clusterIP", "") != "None") {
      required(obj["spec"], "ports", "spec.ports");
    }
  }
  return causes;
}

}  // namespace skiff::apiserver
