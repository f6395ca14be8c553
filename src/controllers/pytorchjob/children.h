// Rendering of a PyTorchJob's children, as training-operator v1.9's createNewPod and
// CreateNewService: one Pod and one headless Service per replica, both named
// `<job>-<master|worker>-<index>`, labelled for the job and replica, owned by the job.
#pragma once

#include <cstdint>
#include <map>
#include <string>

#include "base/json.h"
#include "controllers/pytorchjob/pytorchjob_view.h"

namespace skiff::controllers::pytorchjob {

// job-name and operator-name: the labels every child carries (upstream GenLabels).
std::map<std::string, std::string> JobLabels(const std::string& job_name);
// JobLabels plus replica-type (lower case): status.replicaStatuses[*].selector's labels.
std::map<std::string, std::string> ReplicaSelectorLabels(const std::string& job_name,
                                                         ReplicaType type);
// "k1=v1,k2=v2" in key order (metav1.FormatLabelSelector of matchLabels).
std::string FormatSelector(const std::map<std::string, std::string>& labels);

// The Pod for replica `index` of `spec`: the defaulted template with the replica labels
// (job-role=master on the Master), the env of PodEnv appended to every container, restartPolicy
// from the replica spec (ExitCode becomes Never), and a controller ownerReference. `job` needs
// metadata.name/namespace/uid and spec.
Json RenderPod(const Json& job, const PyTorchJobView& view, const ReplicaSpec& spec, int32_t index);

// The headless Service (clusterIP None) selecting that Pod, with the pytorch container's ports.
Json RenderService(const Json& job, const PyTorchJobView& view, const ReplicaSpec& spec,
                   int32_t index);

}  // namespace skiff::controllers::pytorchjob
