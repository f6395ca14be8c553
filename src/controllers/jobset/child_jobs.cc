// Child Job and headless Service rendering for the JobSet controller.
#include "controllers/jobset/child_jobs.h"

#include <openssl/evp.h>

#include <map>
#include <nlohmann/json.hpp>

#include "controllers/runtime/conditions.h"

namespace skiff::controllers::jobset {

namespace {

Json& ObjectAt(Json& parent, const char* key) {
  Json& v = parent[key];
  if (!v.is_object()) v = Json::object();
  return v;
}

Json OwnerOf(const Json& jobset) {
  Json owner = jobset;
  owner["apiVersion"] = "jobset.x-k8s.io/v1alpha2";
  owner["kind"] = "JobSet";
  return owner;
}

void Stamp(Json& meta, const std::map<std::string, std::string>& kv) {
  Json& labels = ObjectAt(meta, "labels");
  Json& annotations = ObjectAt(meta, "annotations");
  for (const auto& [k, v] : kv) {
    labels[k] = v;
    annotations[k] = v;
  }
}

}  // namespace

std::string ChildJobName(std::string_view jobset, std::string_view rjob, int64_t index) {
  return std::string(jobset) + "-" + std::string(rjob) + "-" + std::to_string(index);
}

std::string JobKeyHash(std::string_view ns, std::string_view job_name) {
  std::string input = std::string(ns) + "/" + std::string(job_name);
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  if (EVP_Digest(input.data(), input.size(), digest, &len, EVP_sha1(), nullptr) != 1) return "";
  static const char kHex[] = "0123456789abcdef";
  std::string out;
  for (unsigned int i = 0; i < len; ++i) {
    out += kHex[digest[i] >> 4];
    out += kHex[digest[i] & 0xf];
  }
  return out;
}

Json RenderChildJob(const Json& jobset, const JobSetSpecView& spec, size_t rjob_index,
                    int64_t job_index, int32_t restarts) {
  const ReplicatedJob& rjob = spec.replicated_jobs[rjob_index];
  Json tmpl = Json::object();
  static const Json kNull;
  const Json& jspec_in = jobset.is_object() && jobset.contains("spec") ? jobset["spec"] : kNull;
  const Json& rjobs = jspec_in.is_object() && jspec_in.contains("replicatedJobs")
                          ? jspec_in["replicatedJobs"]
                          : kNull;
  if (rjobs.is_array() && rjob_index < rjobs.size() && rjobs[rjob_index].is_object() &&
      rjobs[rjob_index].contains("template") && rjobs[rjob_index]["template"].is_object()) {
    tmpl = rjobs[rjob_index]["template"];
  }
  std::string name = ChildJobName(spec.name, rjob.name, job_index);
  int64_t global_replicas = 0;
  int64_t global_index = -1;
  for (size_t i = 0; i < spec.replicated_jobs.size(); ++i) {
    if (i == rjob_index) global_index = global_replicas + job_index;
    global_replicas += spec.replicated_jobs[i].replicas;
  }
  std::map<std::string, std::string> kv = {
      {kJobSetNameKey, spec.name},
      {kReplicatedJobNameKey, rjob.name},
      {kRestartsKey, std::to_string(restarts)},
      {kReplicatedJobReplicasKey, std::to_string(rjob.replicas)},
      {kGlobalReplicasKey, std::to_string(global_replicas)},
      {kJobIndexKey, std::to_string(job_index)},
      {kJobKey, JobKeyHash(spec.ns, name)},
      {kJobGlobalIndexKey, std::to_string(global_index)},
  };
  if (spec.coordinator) {
    kv[kCoordinatorKey] = spec.name + "-" + spec.coordinator->replicated_job + "-" +
                          std::to_string(spec.coordinator->job_index) + "-" +
                          std::to_string(spec.coordinator->pod_index) + "." + spec.subdomain;
  }

  Json job = {{"apiVersion", "batch/v1"}, {"kind", "Job"}};
  Json meta = Json::object();
  if (tmpl.contains("metadata") && tmpl["metadata"].is_object()) {
    const Json& tm = tmpl["metadata"];
    if (tm.contains("labels") && tm["labels"].is_object()) meta["labels"] = tm["labels"];
    if (tm.contains("annotations") && tm["annotations"].is_object()) {
      meta["annotations"] = tm["annotations"];
    }
  }
  meta["name"] = name;
  meta["namespace"] = spec.ns;
  Stamp(meta, kv);
  meta["ownerReferences"] = Json::array({ControllerRef(OwnerOf(jobset))});

  Json jspec = tmpl.contains("spec") && tmpl["spec"].is_object() ? tmpl["spec"] : Json::object();
  if (!jspec.contains("completionMode")) jspec["completionMode"] = "Indexed";
  Json& ptmpl = ObjectAt(jspec, "template");
  Stamp(ObjectAt(ptmpl, "metadata"), kv);
  Json& pspec = ObjectAt(ptmpl, "spec");
  if (!pspec.contains("restartPolicy") || pspec["restartPolicy"] == "") {
    pspec["restartPolicy"] = "OnFailure";
  }
  if (spec.dns_hostnames) pspec["subdomain"] = spec.subdomain;
  jspec["suspend"] = spec.suspend;
  job["metadata"] = std::move(meta);
  job["spec"] = std::move(jspec);
  return job;
}

Json RenderHeadlessService(const Json& jobset, const JobSetSpecView& spec) {
  return {{"apiVersion", "v1"},
          {"kind", "Service"},
          {"metadata",
           {{"name", spec.subdomain},
            {"namespace", spec.ns},
            {"ownerReferences", Json::array({ControllerRef(OwnerOf(jobset))})}}},
          {"spec",
           {{"clusterIP", "None"},
            {"selector", {{kJobSetNameKey, spec.name}}},
            {"publishNotReadyAddresses", spec.publish_not_ready}}}};
}

}  // namespace skiff::controllers::jobset
