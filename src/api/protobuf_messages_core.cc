// Protobuf field tables for k8s.io/api/core/v1 (Kubernetes 1.32), in the compact form that
// protobuf.h describes. Field numbers, JSON names and Go pointer/omitempty facts follow the
// upstream types' protobuf and json tags.
#include "api/protobuf.h"

namespace skiff::api::protobuf_internal {
namespace {

// clang-format off
constexpr MessageSpec kCoreMessages[] = {
    {"core.AWSElasticBlockStoreVolumeSource", "1volumeID:s! 2fsType:s 3partition:i 4readOnly:b"},
    {"core.Affinity",
     "1nodeAffinity:core.NodeAffinity 2podAffinity:core.PodAffinity "
     "3podAntiAffinity:core.PodAntiAffinity"},
    {"core.AppArmorProfile", "1type:s! 2localhostProfile:s!"},
    {"core.AttachedVolume", "1name:s! 2devicePath:s!"},
    {"core.AzureDiskVolumeSource",
     "1diskName:s! 2diskURI:s! 3cachingMode:s! 4fsType:s! 5readOnly:b! 6kind:s!"},
    {"core.AzureFilePersistentVolumeSource",
     "1secretName:s! 2shareName:s! 3readOnly:b 4secretNamespace:s!"},
    {"core.AzureFileVolumeSource", "1secretName:s! 2shareName:s! 3readOnly:b"},
    {"core.Binding", "1metadata:meta.ObjectMeta 2target:core.ObjectReference"},
    {"core.CSIPersistentVolumeSource",
     "1driver:s! 2volumeHandle:s! 3readOnly:b 4fsType:s 5volumeAttributes:{s:s} "
     "6controllerPublishSecretRef:core.SecretReference "
     "7nodeStageSecretRef:core.SecretReference 8nodePublishSecretRef:core.SecretReference "
     "9controllerExpandSecretRef:core.SecretReference "
     "10nodeExpandSecretRef:core.SecretReference"},
    {"core.CSIVolumeSource",
     "1driver:s! 2readOnly:b! 3fsType:s! 4volumeAttributes:{s:s} "
     "5nodePublishSecretRef:core.LocalObjectReference"},
    {"core.Capabilities", "1add:*s 2drop:*s"},
    {"core.CephFSPersistentVolumeSource",
     "1monitors:*s 2path:s 3user:s 4secretFile:s 5secretRef:core.SecretReference "
     "6readOnly:b"},
    {"core.CephFSVolumeSource",
     "1monitors:*s 2path:s 3user:s 4secretFile:s 5secretRef:core.LocalObjectReference "
     "6readOnly:b"},
    {"core.CinderPersistentVolumeSource",
     "1volumeID:s! 2fsType:s 3readOnly:b 4secretRef:core.SecretReference"},
    {"core.CinderVolumeSource",
     "1volumeID:s! 2fsType:s 3readOnly:b 4secretRef:core.LocalObjectReference"},
    {"core.ClientIPConfig", "1timeoutSeconds:i!"},
    {"core.ClusterTrustBundleProjection",
     "1name:s! 2signerName:s! 3labelSelector:meta.LabelSelector 4path:s! 5optional:b!"},
    {"core.ConfigMap", "1metadata:meta.ObjectMeta 2data:{s:s} 3binaryData:{s:y} 4immutable:b!"},
    {"core.ConfigMapEnvSource", "1localObjectReference:^core.LocalObjectReference 2optional:b!"},
    {"core.ConfigMapKeySelector",
     "1localObjectReference:^core.LocalObjectReference 2key:s! 3optional:b!"},
    {"core.ConfigMapNodeConfigSource",
     "1namespace:s! 2name:s! 3uid:s 4resourceVersion:s 5kubeletConfigKey:s!"},
    {"core.ConfigMapProjection",
     "1localObjectReference:^core.LocalObjectReference 2items:*core.KeyToPath 4optional:b!"},
    {"core.ConfigMapVolumeSource",
     "1localObjectReference:^core.LocalObjectReference 2items:*core.KeyToPath "
     "3defaultMode:i! 4optional:b!"},
    {"core.Container",
     "1name:s! 2image:s 3command:*s 4args:*s 5workingDir:s 6ports:*core.ContainerPort "
     "7env:*core.EnvVar 8resources:core.ResourceRequirements "
     "9volumeMounts:*core.VolumeMount 10livenessProbe:core.Probe "
     "11readinessProbe:core.Probe 12lifecycle:core.Lifecycle 13terminationMessagePath:s "
     "14imagePullPolicy:s 15securityContext:core.SecurityContext 16stdin:b 17stdinOnce:b "
     "18tty:b 19envFrom:*core.EnvFromSource 20terminationMessagePolicy:s "
     "21volumeDevices:*core.VolumeDevice 22startupProbe:core.Probe "
     "23resizePolicy:*core.ContainerResizePolicy 24restartPolicy:s!"},
    {"core.ContainerImage", "1names:*s 2sizeBytes:l"},
    {"core.ContainerPort", "1name:s 2hostPort:i 3containerPort:i! 4protocol:s 5hostIP:s"},
    {"core.ContainerResizePolicy", "1resourceName:s! 2restartPolicy:s!"},
    {"core.ContainerState",
     "1waiting:core.ContainerStateWaiting 2running:core.ContainerStateRunning "
     "3terminated:core.ContainerStateTerminated"},
    {"core.ContainerStateRunning", "1startedAt:T"},
    {"core.ContainerStateTerminated",
     "1exitCode:i! 2signal:i 3reason:s 4message:s 5startedAt:T 6finishedAt:T "
     "7containerID:s"},
    {"core.ContainerStateWaiting", "1reason:s 2message:s"},
    {"core.ContainerStatus",
     "1name:s! 2state:core.ContainerState 3lastState:core.ContainerState 4ready:b! "
     "5restartCount:i! 6image:s! 7imageID:s! 8containerID:s 9started:b! "
     "10allocatedResources:{s:Q} 11resources:core.ResourceRequirements "
     "12volumeMounts:*core.VolumeMountStatus 13user:core.ContainerUser "
     "14allocatedResourcesStatus:*core.ResourceStatus"},
    {"core.ContainerUser", "1linux:core.LinuxContainerUser"},
    {"core.DaemonEndpoint", "1Port:i!"},
    {"core.DownwardAPIProjection", "1items:*core.DownwardAPIVolumeFile"},
    {"core.DownwardAPIVolumeFile",
     "1path:s! 2fieldRef:core.ObjectFieldSelector "
     "3resourceFieldRef:core.ResourceFieldSelector 4mode:i!"},
    {"core.DownwardAPIVolumeSource", "1items:*core.DownwardAPIVolumeFile 2defaultMode:i!"},
    {"core.EmptyDirVolumeSource", "1medium:s 2sizeLimit:Q!"},
    {"core.EndpointAddress", "1ip:s! 2targetRef:core.ObjectReference 3hostname:s 4nodeName:s!"},
    {"core.EndpointPort", "1name:s 2port:i! 3protocol:s 4appProtocol:s!"},
    {"core.EndpointSubset",
     "1addresses:*core.EndpointAddress 2notReadyAddresses:*core.EndpointAddress "
     "3ports:*core.EndpointPort"},
    {"core.Endpoints", "1metadata:meta.ObjectMeta 2subsets:*core.EndpointSubset"},
    {"core.EnvFromSource",
     "1prefix:s 2configMapRef:core.ConfigMapEnvSource 3secretRef:core.SecretEnvSource"},
    {"core.EnvVar", "1name:s! 2value:s 3valueFrom:core.EnvVarSource"},
    {"core.EnvVarSource",
     "1fieldRef:core.ObjectFieldSelector 2resourceFieldRef:core.ResourceFieldSelector "
     "3configMapKeyRef:core.ConfigMapKeySelector 4secretKeyRef:core.SecretKeySelector"},
    {"core.EphemeralContainer",
     "1ephemeralContainerCommon:^core.EphemeralContainerCommon 2targetContainerName:s"},
    {"core.EphemeralContainerCommon",
     "1name:s! 2image:s 3command:*s 4args:*s 5workingDir:s 6ports:*core.ContainerPort "
     "7env:*core.EnvVar 8resources:core.ResourceRequirements "
     "9volumeMounts:*core.VolumeMount 10livenessProbe:core.Probe "
     "11readinessProbe:core.Probe 12lifecycle:core.Lifecycle 13terminationMessagePath:s "
     "14imagePullPolicy:s 15securityContext:core.SecurityContext 16stdin:b 17stdinOnce:b "
     "18tty:b 19envFrom:*core.EnvFromSource 20terminationMessagePolicy:s "
     "21volumeDevices:*core.VolumeDevice 22startupProbe:core.Probe "
     "23resizePolicy:*core.ContainerResizePolicy 24restartPolicy:s!"},
    {"core.EphemeralVolumeSource", "1volumeClaimTemplate:core.PersistentVolumeClaimTemplate"},
    {"core.Event",
     "1metadata:meta.ObjectMeta 2involvedObject:core.ObjectReference 3reason:s 4message:s "
     "5source:core.EventSource 6firstTimestamp:T 7lastTimestamp:T 8count:i 9type:s "
     "10eventTime:M 11series:core.EventSeries 12action:s 13related:core.ObjectReference "
     "14reportingComponent:s! 15reportingInstance:s!"},
    {"core.EventSeries", "1count:i 2lastObservedTime:M"},
    {"core.EventSource", "1component:s 2host:s"},
    {"core.ExecAction", "1command:*s"},
    {"core.FCVolumeSource", "1targetWWNs:*s 2lun:i! 3fsType:s 4readOnly:b 5wwids:*s"},
    {"core.FlexPersistentVolumeSource",
     "1driver:s! 2fsType:s 3secretRef:core.SecretReference 4readOnly:b 5options:{s:s}"},
    {"core.FlexVolumeSource",
     "1driver:s! 2fsType:s 3secretRef:core.LocalObjectReference 4readOnly:b 5options:{s:s}"},
    {"core.FlockerVolumeSource", "1datasetName:s 2datasetUUID:s"},
    {"core.GCEPersistentDiskVolumeSource", "1pdName:s! 2fsType:s 3partition:i 4readOnly:b"},
    {"core.GRPCAction", "1port:i! 2service:s!"},
    {"core.GitRepoVolumeSource", "1repository:s! 2revision:s 3directory:s"},
    {"core.GlusterfsPersistentVolumeSource",
     "1endpoints:s! 2path:s! 3readOnly:b 4endpointsNamespace:s!"},
    {"core.GlusterfsVolumeSource", "1endpoints:s! 2path:s! 3readOnly:b"},
    {"core.HTTPGetAction", "1path:s 2port:I! 3host:s 4scheme:s 5httpHeaders:*core.HTTPHeader"},
    {"core.HTTPHeader", "1name:s! 2value:s!"},
    {"core.HostAlias", "1ip:s! 2hostnames:*s"},
    {"core.HostIP", "1ip:s!"},
    {"core.HostPathVolumeSource", "1path:s! 2type:s!"},
    {"core.ISCSIPersistentVolumeSource",
     "1targetPortal:s! 2iqn:s! 3lun:i! 4iscsiInterface:s 5fsType:s 6readOnly:b 7portals:*s "
     "8chapAuthDiscovery:b 10secretRef:core.SecretReference 11chapAuthSession:b "
     "12initiatorName:s!"},
    {"core.ISCSIVolumeSource",
     "1targetPortal:s! 2iqn:s! 3lun:i! 4iscsiInterface:s 5fsType:s 6readOnly:b 7portals:*s "
     "8chapAuthDiscovery:b 10secretRef:core.LocalObjectReference 11chapAuthSession:b "
     "12initiatorName:s!"},
    {"core.ImageVolumeSource", "1reference:s 2pullPolicy:s"},
    {"core.KeyToPath", "1key:s! 2path:s! 3mode:i!"},
    {"core.Lifecycle", "1postStart:core.LifecycleHandler 2preStop:core.LifecycleHandler"},
    {"core.LifecycleHandler",
     "1exec:core.ExecAction 2httpGet:core.HTTPGetAction 3tcpSocket:core.TCPSocketAction "
     "4sleep:core.SleepAction"},
    {"core.LimitRange", "1metadata:meta.ObjectMeta 2spec:core.LimitRangeSpec"},
    {"core.LimitRangeItem",
     "1type:s! 2max:{s:Q} 3min:{s:Q} 4default:{s:Q} 5defaultRequest:{s:Q} "
     "6maxLimitRequestRatio:{s:Q}"},
    {"core.LimitRangeSpec", "1limits:*core.LimitRangeItem"},
    {"core.LinuxContainerUser", "1uid:l! 2gid:l! 3supplementalGroups:*l"},
    {"core.LoadBalancerIngress", "1ip:s 2hostname:s 3ipMode:s! 4ports:*core.PortStatus"},
    {"core.LoadBalancerStatus", "1ingress:*core.LoadBalancerIngress"},
    {"core.LocalObjectReference", "1name:s"},
    {"core.LocalVolumeSource", "1path:s! 2fsType:s!"},
    {"core.ModifyVolumeStatus", "1targetVolumeAttributesClassName:s 2status:s!"},
    {"core.NFSVolumeSource", "1server:s! 2path:s! 3readOnly:b"},
    {"core.Namespace",
     "1metadata:meta.ObjectMeta 2spec:core.NamespaceSpec 3status:core.NamespaceStatus"},
    {"core.NamespaceCondition", "1type:s! 2status:s! 4lastTransitionTime:T 5reason:s 6message:s"},
    {"core.NamespaceSpec", "1finalizers:*s"},
    {"core.NamespaceStatus", "1phase:s 2conditions:*core.NamespaceCondition"},
    {"core.Node", "1metadata:meta.ObjectMeta 2spec:core.NodeSpec 3status:core.NodeStatus"},
    {"core.NodeAddress", "1type:s! 2address:s!"},
    {"core.NodeAffinity",
     "1requiredDuringSchedulingIgnoredDuringExecution:core.NodeSelector "
     "2preferredDuringSchedulingIgnoredDuringExecution:*core.PreferredSchedulingTerm"},
    {"core.NodeCondition",
     "1type:s! 2status:s! 3lastHeartbeatTime:T 4lastTransitionTime:T 5reason:s 6message:s"},
    {"core.NodeConfigSource", "2configMap:core.ConfigMapNodeConfigSource"},
    {"core.NodeConfigStatus",
     "1assigned:core.NodeConfigSource 2active:core.NodeConfigSource "
     "3lastKnownGood:core.NodeConfigSource 4error:s"},
    {"core.NodeDaemonEndpoints", "1kubeletEndpoint:core.DaemonEndpoint"},
    {"core.NodeFeatures", "1supplementalGroupsPolicy:b!"},
    {"core.NodeRuntimeHandler", "1name:s! 2features:core.NodeRuntimeHandlerFeatures"},
    {"core.NodeRuntimeHandlerFeatures", "1recursiveReadOnlyMounts:b! 2userNamespaces:b!"},
    {"core.NodeSelector", "1nodeSelectorTerms:*core.NodeSelectorTerm"},
    {"core.NodeSelectorRequirement", "1key:s! 2operator:s! 3values:*s"},
    {"core.NodeSelectorTerm",
     "1matchExpressions:*core.NodeSelectorRequirement "
     "2matchFields:*core.NodeSelectorRequirement"},
    {"core.NodeSpec",
     "1podCIDR:s 2externalID:s 3providerID:s 4unschedulable:b 5taints:*core.Taint "
     "6configSource:core.NodeConfigSource 7podCIDRs:*s"},
    {"core.NodeStatus",
     "1capacity:{s:Q} 2allocatable:{s:Q} 3phase:s 4conditions:*core.NodeCondition "
     "5addresses:*core.NodeAddress 6daemonEndpoints:core.NodeDaemonEndpoints "
     "7nodeInfo:core.NodeSystemInfo 8images:*core.ContainerImage 9volumesInUse:*s "
     "10volumesAttached:*core.AttachedVolume 11config:core.NodeConfigStatus "
     "12runtimeHandlers:*core.NodeRuntimeHandler 13features:core.NodeFeatures"},
    {"core.NodeSystemInfo",
     "1machineID:s! 2systemUUID:s! 3bootID:s! 4kernelVersion:s! 5osImage:s! "
     "6containerRuntimeVersion:s! 7kubeletVersion:s! 8kubeProxyVersion:s! "
     "9operatingSystem:s! 10architecture:s!"},
    {"core.ObjectFieldSelector", "1apiVersion:s 2fieldPath:s!"},
    {"core.ObjectReference",
     "1kind:s 2namespace:s 3name:s 4uid:s 5apiVersion:s 6resourceVersion:s 7fieldPath:s"},
    {"core.PersistentVolume",
     "1metadata:meta.ObjectMeta 2spec:core.PersistentVolumeSpec "
     "3status:core.PersistentVolumeStatus"},
    {"core.PersistentVolumeClaim",
     "1metadata:meta.ObjectMeta 2spec:core.PersistentVolumeClaimSpec "
     "3status:core.PersistentVolumeClaimStatus"},
    {"core.PersistentVolumeClaimCondition",
     "1type:s! 2status:s! 3lastProbeTime:T 4lastTransitionTime:T 5reason:s 6message:s"},
    {"core.PersistentVolumeClaimSpec",
     "1accessModes:*s 2resources:core.VolumeResourceRequirements 3volumeName:s "
     "4selector:meta.LabelSelector 5storageClassName:s! 6volumeMode:s! "
     "7dataSource:core.TypedLocalObjectReference 8dataSourceRef:core.TypedObjectReference "
     "9volumeAttributesClassName:s!"},
    {"core.PersistentVolumeClaimStatus",
     "1phase:s 2accessModes:*s 3capacity:{s:Q} "
     "4conditions:*core.PersistentVolumeClaimCondition 5allocatedResources:{s:Q} "
     "7allocatedResourceStatuses:{s:s} 8currentVolumeAttributesClassName:s! "
     "9modifyVolumeStatus:core.ModifyVolumeStatus"},
    {"core.PersistentVolumeClaimTemplate",
     "1metadata:meta.ObjectMeta 2spec:core.PersistentVolumeClaimSpec"},
    {"core.PersistentVolumeClaimVolumeSource", "1claimName:s! 2readOnly:b"},
    {"core.PersistentVolumeSource",
     "1gcePersistentDisk:core.GCEPersistentDiskVolumeSource "
     "2awsElasticBlockStore:core.AWSElasticBlockStoreVolumeSource "
     "3hostPath:core.HostPathVolumeSource 4glusterfs:core.GlusterfsPersistentVolumeSource "
     "5nfs:core.NFSVolumeSource 6rbd:core.RBDPersistentVolumeSource "
     "7iscsi:core.ISCSIPersistentVolumeSource 8cinder:core.CinderPersistentVolumeSource "
     "9cephfs:core.CephFSPersistentVolumeSource 10fc:core.FCVolumeSource "
     "11flocker:core.FlockerVolumeSource 12flexVolume:core.FlexPersistentVolumeSource "
     "13azureFile:core.AzureFilePersistentVolumeSource "
     "14vsphereVolume:core.VsphereVirtualDiskVolumeSource "
     "15quobyte:core.QuobyteVolumeSource 16azureDisk:core.AzureDiskVolumeSource "
     "17photonPersistentDisk:core.PhotonPersistentDiskVolumeSource "
     "18portworxVolume:core.PortworxVolumeSource "
     "19scaleIO:core.ScaleIOPersistentVolumeSource 20local:core.LocalVolumeSource "
     "21storageos:core.StorageOSPersistentVolumeSource "
     "22csi:core.CSIPersistentVolumeSource"},
    {"core.PersistentVolumeSpec",
     "1capacity:{s:Q} 2persistentVolumeSource:^core.PersistentVolumeSource 3accessModes:*s "
     "4claimRef:core.ObjectReference 5persistentVolumeReclaimPolicy:s 6storageClassName:s "
     "7mountOptions:*s 8volumeMode:s! 9nodeAffinity:core.VolumeNodeAffinity "
     "10volumeAttributesClassName:s!"},
    {"core.PersistentVolumeStatus", "1phase:s 2message:s 3reason:s 4lastPhaseTransitionTime:T"},
    {"core.PhotonPersistentDiskVolumeSource", "1pdID:s! 2fsType:s"},
    {"core.Pod", "1metadata:meta.ObjectMeta 2spec:core.PodSpec 3status:core.PodStatus"},
    {"core.PodAffinity",
     "1requiredDuringSchedulingIgnoredDuringExecution:*core.PodAffinityTerm "
     "2preferredDuringSchedulingIgnoredDuringExecution:*core.WeightedPodAffinityTerm"},
    {"core.PodAffinityTerm",
     "1labelSelector:meta.LabelSelector 2namespaces:*s 3topologyKey:s! "
     "4namespaceSelector:meta.LabelSelector 5matchLabelKeys:*s 6mismatchLabelKeys:*s"},
    {"core.PodAntiAffinity",
     "1requiredDuringSchedulingIgnoredDuringExecution:*core.PodAffinityTerm "
     "2preferredDuringSchedulingIgnoredDuringExecution:*core.WeightedPodAffinityTerm"},
    {"core.PodCondition",
     "1type:s! 2status:s! 3lastProbeTime:T 4lastTransitionTime:T 5reason:s 6message:s"},
    {"core.PodDNSConfig", "1nameservers:*s 2searches:*s 3options:*core.PodDNSConfigOption"},
    {"core.PodDNSConfigOption", "1name:s 2value:s!"},
    {"core.PodIP", "1ip:s!"},
    {"core.PodOS", "1name:s!"},
    {"core.PodReadinessGate", "1conditionType:s!"},
    {"core.PodResourceClaim", "1name:s! 3resourceClaimName:s! 4resourceClaimTemplateName:s!"},
    {"core.PodResourceClaimStatus", "1name:s! 2resourceClaimName:s!"},
    {"core.PodSchedulingGate", "1name:s!"},
    {"core.PodSecurityContext",
     "1seLinuxOptions:core.SELinuxOptions 2runAsUser:l! 3runAsNonRoot:b! "
     "4supplementalGroups:*l 5fsGroup:l! 6runAsGroup:l! 7sysctls:*core.Sysctl "
     "8windowsOptions:core.WindowsSecurityContextOptions 9fsGroupChangePolicy:s! "
     "10seccompProfile:core.SeccompProfile 11appArmorProfile:core.AppArmorProfile "
     "12supplementalGroupsPolicy:s! 13seLinuxChangePolicy:s!"},
    {"core.PodSpec",
     "1volumes:*core.Volume 2containers:*core.Container 3restartPolicy:s "
     "4terminationGracePeriodSeconds:l! 5activeDeadlineSeconds:l! 6dnsPolicy:s "
     "7nodeSelector:{s:s} 8serviceAccountName:s 9serviceAccount:s 10nodeName:s "
     "11hostNetwork:b 12hostPID:b 13hostIPC:b 14securityContext:core.PodSecurityContext "
     "15imagePullSecrets:*core.LocalObjectReference 16hostname:s 17subdomain:s "
     "18affinity:core.Affinity 19schedulerName:s 20initContainers:*core.Container "
     "21automountServiceAccountToken:b! 22tolerations:*core.Toleration "
     "23hostAliases:*core.HostAlias 24priorityClassName:s 25priority:i! "
     "26dnsConfig:core.PodDNSConfig 27shareProcessNamespace:b! "
     "28readinessGates:*core.PodReadinessGate 29runtimeClassName:s! "
     "30enableServiceLinks:b! 31preemptionPolicy:s! 32overhead:{s:Q} "
     "33topologySpreadConstraints:*core.TopologySpreadConstraint "
     "34ephemeralContainers:*core.EphemeralContainer 35setHostnameAsFQDN:b! "
     "36os:core.PodOS 37hostUsers:b! 38schedulingGates:*core.PodSchedulingGate "
     "39resourceClaims:*core.PodResourceClaim 40resources:core.ResourceRequirements"},
    {"core.PodStatus",
     "1phase:s 2conditions:*core.PodCondition 3message:s 4reason:s 5hostIP:s 6podIP:s "
     "7startTime:T 8containerStatuses:*core.ContainerStatus 9qosClass:s "
     "10initContainerStatuses:*core.ContainerStatus 11nominatedNodeName:s "
     "12podIPs:*core.PodIP 13ephemeralContainerStatuses:*core.ContainerStatus 14resize:s "
     "15resourceClaimStatuses:*core.PodResourceClaimStatus 16hostIPs:*core.HostIP"},
    {"core.PodTemplate", "1metadata:meta.ObjectMeta 2template:core.PodTemplateSpec"},
    {"core.PodTemplateSpec", "1metadata:meta.ObjectMeta 2spec:core.PodSpec"},
    {"core.PortStatus", "1port:i! 2protocol:s! 3error:s!"},
    {"core.PortworxVolumeSource", "1volumeID:s! 2fsType:s 3readOnly:b"},
    {"core.PreferredSchedulingTerm", "1weight:i! 2preference:core.NodeSelectorTerm"},
    {"core.Probe",
     "1handler:^core.ProbeHandler 2initialDelaySeconds:i 3timeoutSeconds:i "
     "4periodSeconds:i 5successThreshold:i 6failureThreshold:i "
     "7terminationGracePeriodSeconds:l!"},
    {"core.ProbeHandler",
     "1exec:core.ExecAction 2httpGet:core.HTTPGetAction 3tcpSocket:core.TCPSocketAction "
     "4grpc:core.GRPCAction"},
    {"core.ProjectedVolumeSource", "1sources:*core.VolumeProjection 2defaultMode:i!"},
    {"core.QuobyteVolumeSource", "1registry:s! 2volume:s! 3readOnly:b 4user:s 5group:s 6tenant:s"},
    {"core.RBDPersistentVolumeSource",
     "1monitors:*s 2image:s! 3fsType:s 4pool:s 5user:s 6keyring:s "
     "7secretRef:core.SecretReference 8readOnly:b"},
    {"core.RBDVolumeSource",
     "1monitors:*s 2image:s! 3fsType:s 4pool:s 5user:s 6keyring:s "
     "7secretRef:core.LocalObjectReference 8readOnly:b"},
    {"core.ReplicationController",
     "1metadata:meta.ObjectMeta 2spec:core.ReplicationControllerSpec "
     "3status:core.ReplicationControllerStatus"},
    {"core.ReplicationControllerCondition",
     "1type:s! 2status:s! 3lastTransitionTime:T 4reason:s 5message:s"},
    {"core.ReplicationControllerSpec",
     "1replicas:i! 2selector:{s:s} 3template:core.PodTemplateSpec 4minReadySeconds:i"},
    {"core.ReplicationControllerStatus",
     "1replicas:i! 2fullyLabeledReplicas:i 3observedGeneration:l 4readyReplicas:i "
     "5availableReplicas:i 6conditions:*core.ReplicationControllerCondition"},
    {"core.ResourceClaim", "1name:s! 2request:s"},
    {"core.ResourceFieldSelector", "1containerName:s 2resource:s! 3divisor:Q"},
    {"core.ResourceHealth", "1resourceID:s! 2health:s"},
    {"core.ResourceQuota",
     "1metadata:meta.ObjectMeta 2spec:core.ResourceQuotaSpec "
     "3status:core.ResourceQuotaStatus"},
    {"core.ResourceQuotaSpec", "1hard:{s:Q} 2scopes:*s 3scopeSelector:core.ScopeSelector"},
    {"core.ResourceQuotaStatus", "1hard:{s:Q} 2used:{s:Q}"},
    {"core.ResourceRequirements", "1limits:{s:Q} 2requests:{s:Q} 3claims:*core.ResourceClaim"},
    {"core.ResourceStatus", "1name:s! 2resources:*core.ResourceHealth"},
    {"core.SELinuxOptions", "1user:s 2role:s 3type:s 4level:s"},
    {"core.ScaleIOPersistentVolumeSource",
     "1gateway:s! 2system:s! 3secretRef:core.SecretReference 4sslEnabled:b "
     "5protectionDomain:s 6storagePool:s 7storageMode:s 8volumeName:s 9fsType:s "
     "10readOnly:b"},
    {"core.ScaleIOVolumeSource",
     "1gateway:s! 2system:s! 3secretRef:core.LocalObjectReference 4sslEnabled:b "
     "5protectionDomain:s 6storagePool:s 7storageMode:s 8volumeName:s 9fsType:s "
     "10readOnly:b"},
    {"core.ScopeSelector", "1matchExpressions:*core.ScopedResourceSelectorRequirement"},
    {"core.ScopedResourceSelectorRequirement", "1scopeName:s! 2operator:s! 3values:*s"},
    {"core.SeccompProfile", "1type:s! 2localhostProfile:s!"},
    {"core.Secret",
     "1metadata:meta.ObjectMeta 2data:{s:y} 3type:s 4stringData:{s:s} 5immutable:b!"},
    {"core.SecretEnvSource", "1localObjectReference:^core.LocalObjectReference 2optional:b!"},
    {"core.SecretKeySelector",
     "1localObjectReference:^core.LocalObjectReference 2key:s! 3optional:b!"},
    {"core.SecretProjection",
     "1localObjectReference:^core.LocalObjectReference 2items:*core.KeyToPath 4optional:b!"},
    {"core.SecretReference", "1name:s 2namespace:s"},
    {"core.SecretVolumeSource",
     "1secretName:s 2items:*core.KeyToPath 3defaultMode:i! 4optional:b!"},
    {"core.SecurityContext",
     "1capabilities:core.Capabilities 2privileged:b! 3seLinuxOptions:core.SELinuxOptions "
     "4runAsUser:l! 5runAsNonRoot:b! 6readOnlyRootFilesystem:b! "
     "7allowPrivilegeEscalation:b! 8runAsGroup:l! 9procMount:s! "
     "10windowsOptions:core.WindowsSecurityContextOptions "
     "11seccompProfile:core.SeccompProfile 12appArmorProfile:core.AppArmorProfile"},
    {"core.Service", "1metadata:meta.ObjectMeta 2spec:core.ServiceSpec 3status:core.ServiceStatus"},
    {"core.ServiceAccount",
     "1metadata:meta.ObjectMeta 2secrets:*core.ObjectReference "
     "3imagePullSecrets:*core.LocalObjectReference 4automountServiceAccountToken:b!"},
    {"core.ServiceAccountTokenProjection", "1audience:s 2expirationSeconds:l! 3path:s!"},
    {"core.ServicePort", "1name:s 2protocol:s 3port:i! 4targetPort:I 5nodePort:i 6appProtocol:s!"},
    {"core.ServiceSpec",
     "1ports:*core.ServicePort 2selector:{s:s} 3clusterIP:s 4type:s 5externalIPs:*s "
     "7sessionAffinity:s 8loadBalancerIP:s 9loadBalancerSourceRanges:*s 10externalName:s "
     "11externalTrafficPolicy:s 12healthCheckNodePort:i 13publishNotReadyAddresses:b "
     "14sessionAffinityConfig:core.SessionAffinityConfig 17ipFamilyPolicy:s! "
     "18clusterIPs:*s 19ipFamilies:*s 20allocateLoadBalancerNodePorts:b! "
     "21loadBalancerClass:s! 22internalTrafficPolicy:s! 23trafficDistribution:s!"},
    {"core.ServiceStatus", "1loadBalancer:core.LoadBalancerStatus 2conditions:*meta.Condition"},
    {"core.SessionAffinityConfig", "1clientIP:core.ClientIPConfig"},
    {"core.SleepAction", "1seconds:l!"},
    {"core.StorageOSPersistentVolumeSource",
     "1volumeName:s 2volumeNamespace:s 3fsType:s 4readOnly:b "
     "5secretRef:core.ObjectReference"},
    {"core.StorageOSVolumeSource",
     "1volumeName:s 2volumeNamespace:s 3fsType:s 4readOnly:b "
     "5secretRef:core.LocalObjectReference"},
    {"core.Sysctl", "1name:s! 2value:s!"},
    {"core.TCPSocketAction", "1port:I! 2host:s"},
    {"core.Taint", "1key:s! 2value:s 3effect:s! 4timeAdded:T"},
    {"core.Toleration", "1key:s 2operator:s 3value:s 4effect:s 5tolerationSeconds:l!"},
    {"core.TopologySpreadConstraint",
     "1maxSkew:i! 2topologyKey:s! 3whenUnsatisfiable:s! 4labelSelector:meta.LabelSelector "
     "5minDomains:i! 6nodeAffinityPolicy:s! 7nodeTaintsPolicy:s! 8matchLabelKeys:*s"},
    {"core.TypedLocalObjectReference", "1apiGroup:s! 2kind:s! 3name:s!"},
    {"core.TypedObjectReference", "1apiGroup:s! 2kind:s! 3name:s! 4namespace:s!"},
    {"core.Volume", "1name:s! 2volumeSource:^core.VolumeSource"},
    {"core.VolumeDevice", "1name:s! 2devicePath:s!"},
    {"core.VolumeMount",
     "1name:s! 2readOnly:b 3mountPath:s! 4subPath:s 5mountPropagation:s! 6subPathExpr:s "
     "7recursiveReadOnly:s!"},
    {"core.VolumeMountStatus", "1name:s! 2mountPath:s! 3readOnly:b 4recursiveReadOnly:s!"},
    {"core.VolumeNodeAffinity", "1required:core.NodeSelector"},
    {"core.VolumeProjection",
     "1secret:core.SecretProjection 2downwardAPI:core.DownwardAPIProjection "
     "3configMap:core.ConfigMapProjection "
     "4serviceAccountToken:core.ServiceAccountTokenProjection "
     "5clusterTrustBundle:core.ClusterTrustBundleProjection"},
    {"core.VolumeResourceRequirements", "1limits:{s:Q} 2requests:{s:Q}"},
    {"core.VolumeSource",
     "1hostPath:core.HostPathVolumeSource 2emptyDir:core.EmptyDirVolumeSource "
     "3gcePersistentDisk:core.GCEPersistentDiskVolumeSource "
     "4awsElasticBlockStore:core.AWSElasticBlockStoreVolumeSource "
     "5gitRepo:core.GitRepoVolumeSource 6secret:core.SecretVolumeSource "
     "7nfs:core.NFSVolumeSource 8iscsi:core.ISCSIVolumeSource "
     "9glusterfs:core.GlusterfsVolumeSource "
     "10persistentVolumeClaim:core.PersistentVolumeClaimVolumeSource "
     "11rbd:core.RBDVolumeSource 12flexVolume:core.FlexVolumeSource "
     "13cinder:core.CinderVolumeSource 14cephfs:core.CephFSVolumeSource "
     "15flocker:core.FlockerVolumeSource 16downwardAPI:core.DownwardAPIVolumeSource "
     "17fc:core.FCVolumeSource 18azureFile:core.AzureFileVolumeSource "
     "19configMap:core.ConfigMapVolumeSource "
     "20vsphereVolume:core.VsphereVirtualDiskVolumeSource "
     "21quobyte:core.QuobyteVolumeSource 22azureDisk:core.AzureDiskVolumeSource "
     "23photonPersistentDisk:core.PhotonPersistentDiskVolumeSource "
     "24portworxVolume:core.PortworxVolumeSource 25scaleIO:core.ScaleIOVolumeSource "
     "26projected:core.ProjectedVolumeSource 27storageos:core.StorageOSVolumeSource "
     "28csi:core.CSIVolumeSource 29ephemeral:core.EphemeralVolumeSource "
     "30image:core.ImageVolumeSource"},
    {"core.VsphereVirtualDiskVolumeSource",
     "1volumePath:s! 2fsType:s 3storagePolicyName:s 4storagePolicyID:s"},
    {"core.WeightedPodAffinityTerm", "1weight:i! 2podAffinityTerm:core.PodAffinityTerm"},
    {"core.WindowsSecurityContextOptions",
     "1gmsaCredentialSpecName:s! 2gmsaCredentialSpec:s! 3runAsUserName:s! 4hostProcess:b!"},
};
// clang-format on

}  // namespace

std::span<const MessageSpec> CoreMessageSpecs() { return kCoreMessages; }

}  // namespace skiff::api::protobuf_internal
