// Protobuf field tables for meta/v1 and the non-core groups (apps, batch, coordination, rbac,
// networking, policy, scheduling, authentication, autoscaling, discovery, events; Kubernetes
// 1.32), plus the top-level kinds the decoder accepts. Format: see protobuf.h.
#include "api/protobuf.h"

namespace skiff::api::protobuf_internal {
namespace {

// clang-format off
constexpr MessageSpec kOtherMessages[] = {
    {"apps.ControllerRevision", "1metadata:meta.ObjectMeta 2data:R 3revision:l!"},
    {"apps.DaemonSet",
     "1metadata:meta.ObjectMeta 2spec:apps.DaemonSetSpec 3status:apps.DaemonSetStatus"},
    {"apps.DaemonSetCondition", "1type:s! 2status:s! 3lastTransitionTime:T 4reason:s 5message:s"},
    {"apps.DaemonSetSpec",
     "1selector:meta.LabelSelector 2template:core.PodTemplateSpec "
     "3updateStrategy:apps.DaemonSetUpdateStrategy 4minReadySeconds:i "
     "6revisionHistoryLimit:i!"},
    {"apps.DaemonSetStatus",
     "1currentNumberScheduled:i! 2numberMisscheduled:i! 3desiredNumberScheduled:i! "
     "4numberReady:i! 5observedGeneration:l 6updatedNumberScheduled:i 7numberAvailable:i "
     "8numberUnavailable:i 9collisionCount:i! 10conditions:*apps.DaemonSetCondition"},
    {"apps.DaemonSetUpdateStrategy", "1type:s 2rollingUpdate:apps.RollingUpdateDaemonSet"},
    {"apps.Deployment",
     "1metadata:meta.ObjectMeta 2spec:apps.DeploymentSpec 3status:apps.DeploymentStatus"},
    {"apps.DeploymentCondition",
     "1type:s! 2status:s! 4reason:s 5message:s 6lastUpdateTime:T 7lastTransitionTime:T"},
    {"apps.DeploymentSpec",
     "1replicas:i! 2selector:meta.LabelSelector 3template:core.PodTemplateSpec "
     "4strategy:apps.DeploymentStrategy 5minReadySeconds:i 6revisionHistoryLimit:i! "
     "7paused:b 9progressDeadlineSeconds:i!"},
    {"apps.DeploymentStatus",
     "1observedGeneration:l 2replicas:i 3updatedReplicas:i 4availableReplicas:i "
     "5unavailableReplicas:i 6conditions:*apps.DeploymentCondition 7readyReplicas:i "
     "8collisionCount:i!"},
    {"apps.DeploymentStrategy", "1type:s 2rollingUpdate:apps.RollingUpdateDeployment"},
    {"apps.ReplicaSet",
     "1metadata:meta.ObjectMeta 2spec:apps.ReplicaSetSpec 3status:apps.ReplicaSetStatus"},
    {"apps.ReplicaSetCondition", "1type:s! 2status:s! 3lastTransitionTime:T 4reason:s 5message:s"},
    {"apps.ReplicaSetSpec",
     "1replicas:i! 2selector:meta.LabelSelector 3template:core.PodTemplateSpec "
     "4minReadySeconds:i"},
    {"apps.ReplicaSetStatus",
     "1replicas:i! 2fullyLabeledReplicas:i 3observedGeneration:l 4readyReplicas:i "
     "5availableReplicas:i 6conditions:*apps.ReplicaSetCondition"},
    {"apps.RollingUpdateDaemonSet", "1maxUnavailable:I! 2maxSurge:I!"},
    {"apps.RollingUpdateDeployment", "1maxUnavailable:I! 2maxSurge:I!"},
    {"apps.RollingUpdateStatefulSetStrategy", "1partition:i! 2maxUnavailable:I!"},
    {"apps.StatefulSet",
     "1metadata:meta.ObjectMeta 2spec:apps.StatefulSetSpec 3status:apps.StatefulSetStatus"},
    {"apps.StatefulSetCondition", "1type:s! 2status:s! 3lastTransitionTime:T 4reason:s 5message:s"},
    {"apps.StatefulSetOrdinals", "1start:i!"},
    {"apps.StatefulSetPersistentVolumeClaimRetentionPolicy", "1whenDeleted:s 2whenScaled:s"},
    {"apps.StatefulSetSpec",
     "1replicas:i! 2selector:meta.LabelSelector 3template:core.PodTemplateSpec "
     "4volumeClaimTemplates:*core.PersistentVolumeClaim 5serviceName:s! "
     "6podManagementPolicy:s 7updateStrategy:apps.StatefulSetUpdateStrategy "
     "8revisionHistoryLimit:i! 9minReadySeconds:i "
     "10persistentVolumeClaimRetentionPolicy:apps.StatefulSetPersistentVolumeClaimRetentionPolicy "
     "11ordinals:apps.StatefulSetOrdinals"},
    {"apps.StatefulSetStatus",
     "1observedGeneration:l 2replicas:i! 3readyReplicas:i 4currentReplicas:i "
     "5updatedReplicas:i 6currentRevision:s 7updateRevision:s 9collisionCount:i! "
     "10conditions:*apps.StatefulSetCondition 11availableReplicas:i!"},
    {"apps.StatefulSetUpdateStrategy",
     "1type:s 2rollingUpdate:apps.RollingUpdateStatefulSetStrategy"},
    {"as1.CrossVersionObjectReference", "1kind:s! 2name:s! 3apiVersion:s"},
    {"as1.HorizontalPodAutoscaler",
     "1metadata:meta.ObjectMeta 2spec:as1.HorizontalPodAutoscalerSpec "
     "3status:as1.HorizontalPodAutoscalerStatus"},
    {"as1.HorizontalPodAutoscalerSpec",
     "1scaleTargetRef:as1.CrossVersionObjectReference 2minReplicas:i! 3maxReplicas:i! "
     "4targetCPUUtilizationPercentage:i!"},
    {"as1.HorizontalPodAutoscalerStatus",
     "1observedGeneration:l! 2lastScaleTime:T 3currentReplicas:i! 4desiredReplicas:i! "
     "5currentCPUUtilizationPercentage:i!"},
    {"as1.Scale", "1metadata:meta.ObjectMeta 2spec:as1.ScaleSpec 3status:as1.ScaleStatus"},
    {"as1.ScaleSpec", "1replicas:i"},
    {"as1.ScaleStatus", "1replicas:i! 2selector:s"},
    {"as2.ContainerResourceMetricSource", "1name:s! 2target:as2.MetricTarget 3container:s!"},
    {"as2.ContainerResourceMetricStatus", "1name:s! 2current:as2.MetricValueStatus 3container:s!"},
    {"as2.CrossVersionObjectReference", "1kind:s! 2name:s! 3apiVersion:s"},
    {"as2.ExternalMetricSource", "1metric:as2.MetricIdentifier 2target:as2.MetricTarget"},
    {"as2.ExternalMetricStatus", "1metric:as2.MetricIdentifier 2current:as2.MetricValueStatus"},
    {"as2.HPAScalingPolicy", "1type:s! 2value:i! 3periodSeconds:i!"},
    {"as2.HPAScalingRules",
     "1selectPolicy:s! 2policies:*as2.HPAScalingPolicy 3stabilizationWindowSeconds:i!"},
    {"as2.HorizontalPodAutoscaler",
     "1metadata:meta.ObjectMeta 2spec:as2.HorizontalPodAutoscalerSpec "
     "3status:as2.HorizontalPodAutoscalerStatus"},
    {"as2.HorizontalPodAutoscalerBehavior",
     "1scaleUp:as2.HPAScalingRules 2scaleDown:as2.HPAScalingRules"},
    {"as2.HorizontalPodAutoscalerCondition",
     "1type:s! 2status:s! 3lastTransitionTime:T 4reason:s 5message:s"},
    {"as2.HorizontalPodAutoscalerSpec",
     "1scaleTargetRef:as2.CrossVersionObjectReference 2minReplicas:i! 3maxReplicas:i! "
     "4metrics:*as2.MetricSpec 5behavior:as2.HorizontalPodAutoscalerBehavior"},
    {"as2.HorizontalPodAutoscalerStatus",
     "1observedGeneration:l! 2lastScaleTime:T 3currentReplicas:i 4desiredReplicas:i! "
     "5currentMetrics:*as2.MetricStatus 6conditions:*as2.HorizontalPodAutoscalerCondition"},
    {"as2.MetricIdentifier", "1name:s! 2selector:meta.LabelSelector"},
    {"as2.MetricSpec",
     "1type:s! 2object:as2.ObjectMetricSource 3pods:as2.PodsMetricSource "
     "4resource:as2.ResourceMetricSource 5external:as2.ExternalMetricSource "
     "7containerResource:as2.ContainerResourceMetricSource"},
    {"as2.MetricStatus",
     "1type:s! 2object:as2.ObjectMetricStatus 3pods:as2.PodsMetricStatus "
     "4resource:as2.ResourceMetricStatus 5external:as2.ExternalMetricStatus "
     "7containerResource:as2.ContainerResourceMetricStatus"},
    {"as2.MetricTarget", "1type:s! 2value:Q! 3averageValue:Q! 4averageUtilization:i!"},
    {"as2.MetricValueStatus", "1value:Q! 2averageValue:Q! 3averageUtilization:i!"},
    {"as2.ObjectMetricSource",
     "1describedObject:as2.CrossVersionObjectReference 2target:as2.MetricTarget "
     "3metric:as2.MetricIdentifier"},
    {"as2.ObjectMetricStatus",
     "1metric:as2.MetricIdentifier 2current:as2.MetricValueStatus "
     "3describedObject:as2.CrossVersionObjectReference"},
    {"as2.PodsMetricSource", "1metric:as2.MetricIdentifier 2target:as2.MetricTarget"},
    {"as2.PodsMetricStatus", "1metric:as2.MetricIdentifier 2current:as2.MetricValueStatus"},
    {"as2.ResourceMetricSource", "1name:s! 2target:as2.MetricTarget"},
    {"as2.ResourceMetricStatus", "1name:s! 2current:as2.MetricValueStatus"},
    {"authn.BoundObjectReference", "1kind:s 2apiVersion:s 3name:s 4uid:s"},
    {"authn.TokenRequest",
     "1metadata:meta.ObjectMeta 2spec:authn.TokenRequestSpec "
     "3status:authn.TokenRequestStatus"},
    {"authn.TokenRequestSpec",
     "1audiences:*s 3boundObjectRef:authn.BoundObjectReference 4expirationSeconds:l!"},
    {"authn.TokenRequestStatus", "1token:s! 2expirationTimestamp:T"},
    {"batch.CronJob",
     "1metadata:meta.ObjectMeta 2spec:batch.CronJobSpec 3status:batch.CronJobStatus"},
    {"batch.CronJobSpec",
     "1schedule:s! 2startingDeadlineSeconds:l! 3concurrencyPolicy:s 4suspend:b! "
     "5jobTemplate:batch.JobTemplateSpec 6successfulJobsHistoryLimit:i! "
     "7failedJobsHistoryLimit:i! 8timeZone:s!"},
    {"batch.CronJobStatus",
     "1active:*core.ObjectReference 4lastScheduleTime:T 5lastSuccessfulTime:T"},
    {"batch.Job", "1metadata:meta.ObjectMeta 2spec:batch.JobSpec 3status:batch.JobStatus"},
    {"batch.JobCondition",
     "1type:s! 2status:s! 3lastProbeTime:T 4lastTransitionTime:T 5reason:s 6message:s"},
    {"batch.JobSpec",
     "1parallelism:i! 2completions:i! 3activeDeadlineSeconds:l! "
     "4selector:meta.LabelSelector 5manualSelector:b! 6template:core.PodTemplateSpec "
     "7backoffLimit:i! 8ttlSecondsAfterFinished:i! 9completionMode:s! 10suspend:b! "
     "11podFailurePolicy:batch.PodFailurePolicy 12backoffLimitPerIndex:i! "
     "13maxFailedIndexes:i! 14podReplacementPolicy:s! 15managedBy:s! "
     "16successPolicy:batch.SuccessPolicy"},
    {"batch.JobStatus",
     "1conditions:*batch.JobCondition 2startTime:T 3completionTime:T 4active:i "
     "5succeeded:i 6failed:i 7completedIndexes:s "
     "8uncountedTerminatedPods:batch.UncountedTerminatedPods 9ready:i! 10failedIndexes:s! "
     "11terminating:i!"},
    {"batch.JobTemplateSpec", "1metadata:meta.ObjectMeta 2spec:batch.JobSpec"},
    {"batch.PodFailurePolicy", "1rules:*batch.PodFailurePolicyRule"},
    {"batch.PodFailurePolicyOnExitCodesRequirement", "1containerName:s! 2operator:s! 3values:*i"},
    {"batch.PodFailurePolicyOnPodConditionsPattern", "1type:s! 2status:s!"},
    {"batch.PodFailurePolicyRule",
     "1action:s! 2onExitCodes:batch.PodFailurePolicyOnExitCodesRequirement "
     "3onPodConditions:*batch.PodFailurePolicyOnPodConditionsPattern"},
    {"batch.SuccessPolicy", "1rules:*batch.SuccessPolicyRule"},
    {"batch.SuccessPolicyRule", "1succeededIndexes:s! 2succeededCount:i!"},
    {"batch.UncountedTerminatedPods", "1succeeded:*s 2failed:*s"},
    {"coord.Lease", "1metadata:meta.ObjectMeta 2spec:coord.LeaseSpec"},
    {"coord.LeaseSpec",
     "1holderIdentity:s! 2leaseDurationSeconds:i! 3acquireTime:M 4renewTime:M "
     "5leaseTransitions:i! 6strategy:s! 7preferredHolder:s!"},
    {"disc.Endpoint",
     "1addresses:*s 2conditions:disc.EndpointConditions 3hostname:s! "
     "4targetRef:core.ObjectReference 5deprecatedTopology:{s:s} 6nodeName:s! 7zone:s! "
     "8hints:disc.EndpointHints"},
    {"disc.EndpointConditions", "1ready:b! 2serving:b! 3terminating:b!"},
    {"disc.EndpointHints", "1forZones:*disc.ForZone"},
    {"disc.EndpointPort", "1name:s! 2protocol:s! 3port:i! 4appProtocol:s!"},
    {"disc.EndpointSlice",
     "1metadata:meta.ObjectMeta 2endpoints:*disc.Endpoint 3ports:*disc.EndpointPort "
     "4addressType:s!"},
    {"disc.ForZone", "1name:s!"},
    {"ev.Event",
     "1metadata:meta.ObjectMeta 2eventTime:M 3series:ev.EventSeries 4reportingController:s "
     "5reportingInstance:s 6action:s 7reason:s 8regarding:core.ObjectReference "
     "9related:core.ObjectReference 10note:s 11type:s 12deprecatedSource:core.EventSource "
     "13deprecatedFirstTimestamp:T 14deprecatedLastTimestamp:T 15deprecatedCount:i"},
    {"ev.EventSeries", "1count:i! 2lastObservedTime:M"},
    {"meta.Condition",
     "1type:s! 2status:s! 3observedGeneration:l 4lastTransitionTime:T 5reason:s! "
     "6message:s!"},
    {"meta.DeleteOptions",
     "1gracePeriodSeconds:l! 2preconditions:meta.Preconditions 3orphanDependents:b! "
     "4propagationPolicy:s! 5dryRun:*s "
     "6ignoreStoreReadErrorWithClusterBreakingPotential:b!"},
    {"meta.LabelSelector", "1matchLabels:{s:s} 2matchExpressions:*meta.LabelSelectorRequirement"},
    {"meta.LabelSelectorRequirement", "1key:s! 2operator:s! 3values:*s"},
    {"meta.ListMeta", "1selfLink:s 2resourceVersion:s 3continue:s 4remainingItemCount:l!"},
    {"meta.ManagedFieldsEntry",
     "1manager:s 2operation:s 3apiVersion:s 4time:T 6fieldsType:s 7fieldsV1:F "
     "8subresource:s"},
    {"meta.ObjectMeta",
     "1name:s 2generateName:s 3namespace:s 4selfLink:s 5uid:s 6resourceVersion:s "
     "7generation:l 8creationTimestamp:T 9deletionTimestamp:T "
     "10deletionGracePeriodSeconds:l! 11labels:{s:s} 12annotations:{s:s} "
     "13ownerReferences:*meta.OwnerReference 14finalizers:*s "
     "17managedFields:*meta.ManagedFieldsEntry"},
    {"meta.OwnerReference",
     "1kind:s! 3name:s! 4uid:s! 5apiVersion:s! 6controller:b! 7blockOwnerDeletion:b!"},
    {"meta.Preconditions", "1uid:s! 2resourceVersion:s!"},
    {"meta.Status",
     "1metadata:meta.ListMeta 2status:s 3message:s 4reason:s 5details:meta.StatusDetails "
     "6code:i"},
    {"meta.StatusCause", "1reason:s 2message:s 3field:s"},
    {"meta.StatusDetails",
     "1name:s 2group:s 3kind:s 4causes:*meta.StatusCause 5retryAfterSeconds:i 6uid:s"},
    {"net.HTTPIngressPath", "1path:s 2backend:net.IngressBackend 3pathType:s!"},
    {"net.HTTPIngressRuleValue", "1paths:*net.HTTPIngressPath"},
    {"net.IPBlock", "1cidr:s! 2except:*s"},
    {"net.Ingress", "1metadata:meta.ObjectMeta 2spec:net.IngressSpec 3status:net.IngressStatus"},
    {"net.IngressBackend",
     "3resource:core.TypedLocalObjectReference 4service:net.IngressServiceBackend"},
    {"net.IngressClass", "1metadata:meta.ObjectMeta 2spec:net.IngressClassSpec"},
    {"net.IngressClassParametersReference",
     "1apiGroup:s! 2kind:s! 3name:s! 4scope:s! 5namespace:s!"},
    {"net.IngressClassSpec", "1controller:s 2parameters:net.IngressClassParametersReference"},
    {"net.IngressLoadBalancerIngress", "1ip:s 2hostname:s 4ports:*net.IngressPortStatus"},
    {"net.IngressLoadBalancerStatus", "1ingress:*net.IngressLoadBalancerIngress"},
    {"net.IngressPortStatus", "1port:i! 2protocol:s! 3error:s!"},
    {"net.IngressRule", "1host:s 2ingressRuleValue:^net.IngressRuleValue"},
    {"net.IngressRuleValue", "1http:net.HTTPIngressRuleValue"},
    {"net.IngressServiceBackend", "1name:s! 2port:net.ServiceBackendPort"},
    {"net.IngressSpec",
     "1defaultBackend:net.IngressBackend 2tls:*net.IngressTLS 3rules:*net.IngressRule "
     "4ingressClassName:s!"},
    {"net.IngressStatus", "1loadBalancer:net.IngressLoadBalancerStatus"},
    {"net.IngressTLS", "1hosts:*s 2secretName:s"},
    {"net.NetworkPolicy", "1metadata:meta.ObjectMeta 2spec:net.NetworkPolicySpec"},
    {"net.NetworkPolicyEgressRule", "1ports:*net.NetworkPolicyPort 2to:*net.NetworkPolicyPeer"},
    {"net.NetworkPolicyIngressRule", "1ports:*net.NetworkPolicyPort 2from:*net.NetworkPolicyPeer"},
    {"net.NetworkPolicyPeer",
     "1podSelector:meta.LabelSelector 2namespaceSelector:meta.LabelSelector "
     "3ipBlock:net.IPBlock"},
    {"net.NetworkPolicyPort", "1protocol:s! 2port:I! 3endPort:i!"},
    {"net.NetworkPolicySpec",
     "1podSelector:meta.LabelSelector 2ingress:*net.NetworkPolicyIngressRule "
     "3egress:*net.NetworkPolicyEgressRule 4policyTypes:*s"},
    {"net.ServiceBackendPort", "1name:s 2number:i"},
    {"policy.Eviction", "1metadata:meta.ObjectMeta 2deleteOptions:meta.DeleteOptions"},
    {"policy.PodDisruptionBudget",
     "1metadata:meta.ObjectMeta 2spec:policy.PodDisruptionBudgetSpec "
     "3status:policy.PodDisruptionBudgetStatus"},
    {"policy.PodDisruptionBudgetSpec",
     "1minAvailable:I! 2selector:meta.LabelSelector 3maxUnavailable:I! "
     "4unhealthyPodEvictionPolicy:s!"},
    {"policy.PodDisruptionBudgetStatus",
     "1observedGeneration:l 2disruptedPods:{s:T} 3disruptionsAllowed:i! 4currentHealthy:i! "
     "5desiredHealthy:i! 6expectedPods:i! 7conditions:*meta.Condition"},
    {"rbac.AggregationRule", "1clusterRoleSelectors:*meta.LabelSelector"},
    {"rbac.ClusterRole",
     "1metadata:meta.ObjectMeta 2rules:*rbac.PolicyRule "
     "3aggregationRule:rbac.AggregationRule"},
    {"rbac.ClusterRoleBinding",
     "1metadata:meta.ObjectMeta 2subjects:*rbac.Subject 3roleRef:rbac.RoleRef"},
    {"rbac.PolicyRule",
     "1verbs:*s 2apiGroups:*s 3resources:*s 4resourceNames:*s 5nonResourceURLs:*s"},
    {"rbac.Role", "1metadata:meta.ObjectMeta 2rules:*rbac.PolicyRule"},
    {"rbac.RoleBinding", "1metadata:meta.ObjectMeta 2subjects:*rbac.Subject 3roleRef:rbac.RoleRef"},
    {"rbac.RoleRef", "1apiGroup:s! 2kind:s! 3name:s!"},
    {"rbac.Subject", "1kind:s! 2apiGroup:s 3name:s! 4namespace:s"},
    {"sched.PriorityClass",
     "1metadata:meta.ObjectMeta 2value:i! 3globalDefault:b 4description:s "
     "5preemptionPolicy:s!"},
};

constexpr KindSpec kKinds[] = {
    {"apps/v1", "ControllerRevision", "apps.ControllerRevision"},
    {"apps/v1", "DaemonSet", "apps.DaemonSet"},
    {"apps/v1", "Deployment", "apps.Deployment"},
    {"apps/v1", "ReplicaSet", "apps.ReplicaSet"},
    {"apps/v1", "StatefulSet", "apps.StatefulSet"},
    {"authentication.k8s.io/v1", "TokenRequest", "authn.TokenRequest"},
    {"autoscaling/v1", "HorizontalPodAutoscaler", "as1.HorizontalPodAutoscaler"},
    {"autoscaling/v1", "Scale", "as1.Scale"},
    {"autoscaling/v2", "HorizontalPodAutoscaler", "as2.HorizontalPodAutoscaler"},
    {"batch/v1", "CronJob", "batch.CronJob"},
    {"batch/v1", "Job", "batch.Job"},
    {"coordination.k8s.io/v1", "Lease", "coord.Lease"},
    {"discovery.k8s.io/v1", "EndpointSlice", "disc.EndpointSlice"},
    {"events.k8s.io/v1", "Event", "ev.Event"},
    {"networking.k8s.io/v1", "Ingress", "net.Ingress"},
    {"networking.k8s.io/v1", "IngressClass", "net.IngressClass"},
    {"networking.k8s.io/v1", "NetworkPolicy", "net.NetworkPolicy"},
    {"policy/v1", "Eviction", "policy.Eviction"},
    {"policy/v1", "PodDisruptionBudget", "policy.PodDisruptionBudget"},
    {"rbac.authorization.k8s.io/v1", "ClusterRole", "rbac.ClusterRole"},
    {"rbac.authorization.k8s.io/v1", "ClusterRoleBinding", "rbac.ClusterRoleBinding"},
    {"rbac.authorization.k8s.io/v1", "Role", "rbac.Role"},
    {"rbac.authorization.k8s.io/v1", "RoleBinding", "rbac.RoleBinding"},
    {"scheduling.k8s.io/v1", "PriorityClass", "sched.PriorityClass"},
    {"v1", "Binding", "core.Binding"},
    {"v1", "ConfigMap", "core.ConfigMap"},
    {"v1", "Endpoints", "core.Endpoints"},
    {"v1", "Event", "core.Event"},
    {"v1", "LimitRange", "core.LimitRange"},
    {"v1", "Namespace", "core.Namespace"},
    {"v1", "Node", "core.Node"},
    {"v1", "PersistentVolume", "core.PersistentVolume"},
    {"v1", "PersistentVolumeClaim", "core.PersistentVolumeClaim"},
    {"v1", "Pod", "core.Pod"},
    {"v1", "PodTemplate", "core.PodTemplate"},
    {"v1", "ReplicationController", "core.ReplicationController"},
    {"v1", "ResourceQuota", "core.ResourceQuota"},
    {"v1", "Secret", "core.Secret"},
    {"v1", "Service", "core.Service"},
    {"v1", "ServiceAccount", "core.ServiceAccount"},
    {"", "DeleteOptions", "meta.DeleteOptions"},
    {"", "Status", "meta.Status"},
};
// clang-format on

}  // namespace

std::span<const MessageSpec> OtherMessageSpecs() { return kOtherMessages; }
std::span<const KindSpec> KindSpecs() { return kKinds; }

}  // namespace skiff::api::protobuf_internal
