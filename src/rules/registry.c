/*
 * registry.c -- the rule table: one row per rule, sorted by id.
 *
 * Rule ids are public API: never renamed, never reused. Everything that
 * describes a rule (the `rules` command, docs/rules.md, SARIF rule metadata)
 * is read from this table, so documentation cannot drift from the code.
 * Lookups are binary searches; tests/unit/rules checks order and fields.
 */
#include <string.h>
#include <strings.h>

#include "rules/audit.h"
#include "rules/ha.h"
#include "rules/rules.h"

/* Sorted by id. Ids are public: never renamed, never reused. */
static const kh_rule_def kh_rules[] = {
    {
        .info = {
            .id = "audit.admission-webhook-changed",
            .area = KH_AREA_AUDIT,
            .severity = KH_SEVERITY_HIGH,
            .title = "an admission webhook or policy was changed or deleted",
            .why = "admission webhooks and ValidatingAdmissionPolicies are where a cluster enforces its rules; an attacker who rewrites or deletes one switches the enforcement off (or installs a mutating webhook that injects into every pod)",
            .fix = "make sure the change was planned; restrict create, update, patch and delete on admissionregistration.k8s.io to the cluster's operators",
            .refs = "Falco k8saudit rules; Kubernetes documentation: Dynamic Admission Control",
            .since = "0.4.0",
        },
        .check_event = kh_audit__admission_webhook_changed,
    },
    {
        .info = {
            .id = "audit.anonymous-allowed",
            .area = KH_AREA_AUDIT,
            .severity = KH_SEVERITY_HIGH,
            .title = "an anonymous request was allowed",
            .why = "a request without credentials (system:anonymous or the system:unauthenticated group) was authorized and served: whatever RBAC grants to anonymous users is open to anyone who can reach the API server",
            .fix = "run the API server with --anonymous-auth=false (or limit anonymous access to health endpoints with an AuthenticationConfiguration) and remove RBAC grants to system:anonymous and system:unauthenticated",
            .refs = "Falco k8saudit rules (Anonymous Request Allowed); CIS Kubernetes Benchmark 1.2.1",
            .since = "0.4.0",
        },
        .check_event = kh_audit__anonymous_allowed,
    },
    {
        .info = {
            .id = "audit.auth-failure-burst",
            .area = KH_AREA_AUDIT,
            .severity = KH_SEVERITY_MEDIUM,
            .title = "a burst of failed authentications (401)",
            .why = "many 401 answers for one source address (or user) in a short window mean credentials are being guessed or a stolen token has been revoked and is still being tried",
            .fix = "find the client at that address; block it if unknown; rotate the credentials it may hold (threshold and window: watch.rules.audit.auth-failure-burst)",
            .refs = "Kubernetes documentation: Auditing; MITRE ATT&CK T1110 Brute Force",
            .since = "0.4.0",
        },
        .check_event = kh_audit__auth_failure_burst,
    },
    {
        .info = {
            .id = "audit.cluster-admin-binding",
            .area = KH_AREA_AUDIT,
            .severity = KH_SEVERITY_HIGH,
            .title = "a binding to cluster-admin was created",
            .why = "a (Cluster)RoleBinding to the cluster-admin ClusterRole gives its subjects every permission in the cluster (or the namespace): the usual last step of a privilege escalation and a common persistence mechanism",
            .fix = "check who created it and why; bind a narrower role instead and delete the binding",
            .refs = "Falco k8saudit rules (Attach to cluster-admin Role); Kubernetes documentation: Using RBAC Authorization",
            .since = "0.4.0",
        },
        .check_event = kh_audit__cluster_admin_binding,
    },
    {
        .info = {
            .id = "audit.events-deleted",
            .area = KH_AREA_AUDIT,
            .severity = KH_SEVERITY_MEDIUM,
            .title = "Kubernetes events were deleted",
            .why = "events record what happened in the cluster (failed pulls, kills, scheduling); deleting them by hand, rather than letting the API server expire them, hides traces",
            .fix = "find out why the user deleted events; do not grant delete on events to people or workloads",
            .refs = "MITRE ATT&CK for Containers: Delete Kubernetes events (T1070)",
            .since = "0.4.0",
        },
        .check_event = kh_audit__events_deleted,
    },
    {
        .info = {
            .id = "audit.forbidden-burst",
            .area = KH_AREA_AUDIT,
            .severity = KH_SEVERITY_MEDIUM,
            .title = "a burst of forbidden requests (403) by one user",
            .why = "many requests refused by authorization for one user in a short window is how a stolen credential is probed for what it may do (kubectl auth can-i --list by trial and error)",
            .fix = "check the user's recent activity; revoke the credential if its owner did not make these requests (threshold and window: watch.rules.audit.forbidden-burst)",
            .refs = "Kubernetes documentation: Auditing; MITRE ATT&CK T1069 Permission Groups Discovery",
            .since = "0.4.0",
        },
        .check_event = kh_audit__forbidden_burst,
    },
    {
        .info = {
            .id = "audit.impersonation",
            .area = KH_AREA_AUDIT,
            .severity = KH_SEVERITY_MEDIUM,
            .title = "a request impersonated another user",
            .why = "impersonation lets a user act with another identity's permissions; outside a known proxy it is a privilege escalation that also hides who acted",
            .fix = "allow the impersonate verb only to the proxies that need it and add them to watch.rules.audit.impersonation.exceptions",
            .refs = "Kubernetes documentation: User impersonation; Falco k8saudit rules",
            .since = "0.4.0",
        },
        .check_event = kh_audit__impersonation,
    },
    {
        .info = {
            .id = "audit.kube-system-change",
            .area = KH_AREA_AUDIT,
            .severity = KH_SEVERITY_MEDIUM,
            .title = "a change in kube-system by a non-system user",
            .why = "kube-system holds the control plane's own workloads and credentials; a person (or an ordinary workload) creating, changing or deleting objects there can take over the cluster's components",
            .fix = "make such changes through the cluster's provisioning tooling; restrict write access to kube-system",
            .refs = "Falco k8saudit rules (Pod Created in Kube Namespace, Service Account Created in Kube Namespace)",
            .since = "0.4.0",
        },
        .check_event = kh_audit__kube_system_change,
    },
    {
        .info = {
            .id = "audit.kubectl-in-pod",
            .area = KH_AREA_AUDIT,
            .severity = KH_SEVERITY_MEDIUM,
            .title = "kubectl was used with a pod's credentials",
            .why = "kubectl's user agent with a service account token (or a token bound to a pod) means someone runs kubectl inside a pod or with a token taken from one: the usual next step after getting a shell in a container",
            .fix = "find the pod the token belongs to; do not ship kubectl in images; except the automation (CI runners) that does this on purpose",
            .refs = "Falco rules (Contact K8S API Server From Container); MITRE ATT&CK for Containers: Container Administration Command",
            .since = "0.4.0",
        },
        .check_event = kh_audit__kubectl_in_pod,
    },
    {
        .info = {
            .id = "audit.nodes-proxy",
            .area = KH_AREA_AUDIT,
            .severity = KH_SEVERITY_HIGH,
            .title = "the kubelet API was reached through nodes/proxy",
            .why = "nodes/proxy forwards a request to a node's kubelet with the API server's own credentials: exec into any pod on the node without an audit record of the exec, and a read of every pod's environment",
            .fix = "grant nodes/proxy only to monitoring that needs it (and except it here); use the metrics endpoints instead",
            .refs = "Kubernetes documentation: Kubelet authentication/authorization; Falco k8saudit rules",
            .since = "0.4.0",
        },
        .check_event = kh_audit__nodes_proxy,
    },
    {
        .info = {
            .id = "audit.pod-exec",
            .area = KH_AREA_AUDIT,
            .severity = KH_SEVERITY_MEDIUM,
            .title = "a shell or port-forward was opened into a pod",
            .why = "exec, attach and port-forward run commands in or tunnel into a running container, bypassing the image and its admission checks: the usual way in after a credential theft",
            .fix = "use exec only for debugging on a short-lived grant; except the users and namespaces where it is expected",
            .refs = "Falco k8saudit rules (Attach/Exec Pod); MITRE ATT&CK for Containers: Exec into container",
            .since = "0.4.0",
        },
        .check_event = kh_audit__pod_exec,
    },
    {
        .info = {
            .id = "audit.privileged-pod",
            .area = KH_AREA_AUDIT,
            .severity = KH_SEVERITY_HIGH,
            .title = "a pod was created privileged, with host namespaces or hostPath",
            .why = "a privileged container, the host's network, PID or IPC namespace, or a hostPath volume gives the pod the node: a container escape needs nothing more (the Pod Security baseline checks, run on the audited requestObject)",
            .fix = "enforce the baseline (or restricted) Pod Security level on the namespace; find out who created the pod",
            .refs = "Falco k8saudit rules (Create Privileged Pod, Create Sensitive Mount Pod, Create HostNetwork Pod); Pod Security Standards",
            .since = "0.4.0",
        },
        .check_event = kh_audit__privileged_pod,
    },
    {
        .info = {
            .id = "audit.secret-enumeration",
            .area = KH_AREA_AUDIT,
            .severity = KH_SEVERITY_HIGH,
            .title = "secrets were listed across all namespaces",
            .why = "a list or watch of secrets without a namespace returns every secret of the cluster (tokens, keys, passwords) in one answer",
            .fix = "grant list and watch on secrets only within namespaces; find out why this user read them all",
            .refs = "Falco k8saudit rules (K8s Secret Get/List); MITRE ATT&CK T1552.007 Container API",
            .since = "0.4.0",
        },
        .check_event = kh_audit__secret_enumeration,
    },
    {
        .info = {
            .id = "audit.secret-read",
            .area = KH_AREA_AUDIT,
            .severity = KH_SEVERITY_LOW,
            .title = "a secret was read by a non-system user",
            .why = "reading secrets by hand (not by the controllers that use them) is how credentials are collected; each read is worth a trace",
            .fix = "read secrets only through the workloads that mount them; except automation that must read them",
            .refs = "Falco k8saudit rules (K8s Secret Get Successfully)",
            .since = "0.4.0",
        },
        .check_event = kh_audit__secret_read,
    },
    {
        .info = {
            .id = "audit.sensitive-namespace",
            .area = KH_AREA_AUDIT,
            .severity = KH_SEVERITY_MEDIUM,
            .title = "activity in a namespace marked sensitive",
            .why = "namespaces listed in watch.sensitiveNamespaces (the SIEM, EDR, SOAR agents) are what an attacker disables first; any request there by a non-system user is reported",
            .fix = "check the request was expected; list the namespaces of your security tooling in watch.sensitiveNamespaces",
            .refs = "Kubernetes documentation: Auditing",
            .since = "0.4.0",
        },
        .check_event = kh_audit__sensitive_namespace,
    },
    {
        .info = {
            .id = "audit.serviceaccount-token",
            .area = KH_AREA_AUDIT,
            .severity = KH_SEVERITY_MEDIUM,
            .title = "a service account token was created by a user",
            .why = "a token minted through serviceaccounts/token (kubectl create token) carries the service account's permissions for as long as it lives, outside any pod",
            .fix = "mint tokens only from automation that needs them, with short expirations",
            .refs = "Kubernetes documentation: Managing Service Accounts (TokenRequest API)",
            .since = "0.4.0",
        },
        .check_event = kh_audit__serviceaccount_token,
    },
    {
        .info = {
            .id = "audit.source-outside-cidrs",
            .area = KH_AREA_AUDIT,
            .severity = KH_SEVERITY_HIGH,
            .title = "a request came from outside the allowed networks",
            .why = "with watch.allowedSourceCIDRs listing the networks the API server is reached from (nodes, VPN, CI), a request from any other address, answered or not, is someone reaching the API server from where nobody should",
            .fix = "restrict the API server's network exposure (firewall, authorized networks); list every legitimate network in watch.allowedSourceCIDRs",
            .refs = "Kubernetes documentation: Controlling Access to the Kubernetes API; CIS Kubernetes Benchmark 5.x (network access to the control plane)",
            .since = "0.4.0",
        },
        .check_event = kh_audit__source_outside_cidrs,
    },
    {
        .info = {
            .id = "audit.wildcard-role",
            .area = KH_AREA_AUDIT,
            .severity = KH_SEVERITY_MEDIUM,
            .title = "a role granting '*' was created or changed",
            .why = "a rule with verbs or resources '*' grants everything present and future, including resources added later by CRDs",
            .fix = "list the verbs and resources the role needs",
            .refs = "Falco k8saudit rules (ClusterRole With Wildcard Created); Kubernetes documentation: RBAC Good Practices",
            .since = "0.4.0",
        },
        .check_event = kh_audit__wildcard_role,
    },
    {
        .info = {
            .id = "ha.budget-blocks-eviction",
            .area = KH_AREA_HA,
            .severity = KH_SEVERITY_MEDIUM,
            .title = "a PodDisruptionBudget can never allow an eviction",
            .why = "with every pod ready the disruption controller still computes 0 disruptions "
                   "allowed (maxUnavailable 0, minAvailable at or above the replicas after "
                   "rounding up, no field at all, or a percentage over pods whose controller has "
                   "no scale), so `kubectl drain`, node upgrades and the cluster autoscaler stall "
                   "on its pods",
            .fix = "leave room for one eviction: maxUnavailable 1 (or a percentage that rounds up "
                   "to at least 1), or minAvailable below the replica count; use an integer "
                   "minAvailable for DaemonSet, Job or bare pods",
            .refs = "Kubernetes documentation: Specifying a Disruption Budget for your Application; "
                    "pkg/controller/disruption (getExpectedPodCount)",
            .since = "0.3.0",
        },
        .check_set = kh_ha__budget_blocks_eviction,
        .kinds = kh_ha__kinds,
        .fields = kh_ha__fields,
    },
    {
        .info = {
            .id = "ha.budget-selects-nothing",
            .area = KH_AREA_HA,
            .severity = KH_SEVERITY_LOW,
            .title = "a PodDisruptionBudget selects no pod",
            .why = "a budget whose selector matches no pod or pod template in its namespace (or is "
                   "null, invalid, or an empty selector in policy/v1beta1) protects nothing: the "
                   "workload it was meant for can be drained all at once",
            .fix = "make spec.selector match the labels of the pod template it protects",
            .refs = "Kubernetes documentation: Specifying a Disruption Budget for your Application",
            .since = "0.3.0",
        },
        .check_set = kh_ha__budget_selects_nothing,
        .kinds = kh_ha__kinds,
        .fields = kh_ha__fields,
    },
    {
        .info = {
            .id = "ha.control-plane-zones",
            .area = KH_AREA_HA,
            .severity = KH_SEVERITY_HIGH,
            .title = "control-plane nodes are not spread across 3 zones",
            .why = "with the control-plane nodes (role label or taint) in fewer than 3 zones, "
                   "losing one zone can take etcd's quorum and every API server with it",
            .fix = "run control-plane nodes in at least 3 zones (topology.kubernetes.io/zone)",
            .refs = "Kubernetes documentation: Running in multiple zones; Options for Highly "
                    "Available Topology",
            .since = "0.3.0",
        },
        .check_set = kh_ha__control_plane_zones,
        .kinds = kh_ha__kinds,
        .fields = kh_ha__fields,
    },
    {
        .info = {
            .id = "ha.etcd-quorum",
            .area = KH_AREA_HA,
            .severity = KH_SEVERITY_HIGH,
            .title = "etcd has fewer than 3 members or an even number",
            .why = "etcd needs a majority of its members (quorum): 1 or 2 members survive no "
                   "failure, and an even count survives no more failures than one member fewer; "
                   "without quorum the API server cannot read or write",
            .fix = "run an odd number of etcd members, at least 3 (5 to survive two failures), in "
                   "different zones",
            .refs = "etcd documentation: FAQ, What is failure tolerance?; Kubernetes documentation: "
                    "Operating etcd clusters for Kubernetes",
            .since = "0.3.0",
        },
        .check_set = kh_ha__etcd_quorum,
        .kinds = kh_ha__kinds,
        .fields = kh_ha__fields,
    },
    {
        .info = {
            .id = "ha.ingress-single-replica",
            .area = KH_AREA_HA,
            .severity = KH_SEVERITY_HIGH,
            .title = "an ingress controller or LoadBalancer Service rests on one replica or one zone",
            .why = "traffic from outside the cluster enters through the ingress controller or the "
                   "LoadBalancer Service's pods; with one replica, or every ready backend in one "
                   "zone, one pod, node or zone failure cuts it off",
            .fix = "run at least 2 replicas of the ingress controller and of every LoadBalancer "
                   "backend, spread across zones",
            .refs = "Kubernetes documentation: Ingress Controllers; Running in multiple zones",
            .since = "0.3.0",
        },
        .check_set = kh_ha__ingress_single_replica,
        .kinds = kh_ha__kinds,
        .fields = kh_ha__fields,
    },
    {
        .info = {
            .id = "ha.no-anti-affinity",
            .area = KH_AREA_HA,
            .severity = KH_SEVERITY_MEDIUM,
            .title = "replicas are not kept apart across nodes",
            .why = "without a required pod anti-affinity or a DoNotSchedule topology spread "
                   "constraint over nodes (with maxSkew below the replica count), the scheduler "
                   "may place every replica on one node, and that node's failure takes them all "
                   "down; a preferred rule or ScheduleAnyway is reported at low severity, as the "
                   "scheduler may ignore it",
            .fix = "add topologySpreadConstraints over kubernetes.io/hostname with "
                   "whenUnsatisfiable: DoNotSchedule and maxSkew 1, or a required podAntiAffinity "
                   "term selecting the workload's own pods",
            .refs = "Kubernetes documentation: Pod Topology Spread Constraints; Assigning Pods to "
                    "Nodes (inter-pod affinity and anti-affinity)",
            .since = "0.3.0",
        },
        .check_set = kh_ha__no_anti_affinity,
        .kinds = kh_ha__kinds,
        .fields = kh_ha__fields,
    },
    {
        .info = {
            .id = "ha.no-disruption-budget",
            .area = KH_AREA_HA,
            .severity = KH_SEVERITY_LOW,
            .title = "a multi-replica workload has no PodDisruptionBudget",
            .why = "without a budget, voluntary disruptions (node drains, upgrades, the cluster "
                   "autoscaler) may evict every replica at the same time",
            .fix = "add a PodDisruptionBudget selecting the pods, e.g. maxUnavailable: 1",
            .refs = "Kubernetes documentation: Disruptions; Specifying a Disruption Budget for your "
                    "Application",
            .since = "0.3.0",
        },
        .check_set = kh_ha__no_disruption_budget,
        .kinds = kh_ha__kinds,
        .fields = kh_ha__fields,
    },
    {
        .info = {
            .id = "ha.no-readiness-probe",
            .area = KH_AREA_HA,
            .severity = KH_SEVERITY_MEDIUM,
            .title = "a Service backend with several replicas has no readiness probe",
            .why = "a Service sends traffic to a pod as soon as its containers start when none has "
                   "a readinessProbe, and keeps sending it while the container cannot serve, so "
                   "rollouts and restarts of a replicated backend drop requests",
            .fix = "add a readinessProbe to each container that serves the Service",
            .refs = "Kubernetes documentation: Configure Liveness, Readiness and Startup Probes",
            .since = "0.3.0",
        },
        .check_set = kh_ha__no_readiness_probe,
        .kinds = kh_ha__kinds,
        .fields = kh_ha__fields,
    },
    {
        .info = {
            .id = "ha.not-spread-across-zones",
            .area = KH_AREA_HA,
            .severity = KH_SEVERITY_MEDIUM,
            .title = "replicas are not kept apart across zones",
            .why = "when the cluster's nodes span several zones, a workload with no required "
                   "anti-affinity or DoNotSchedule topology spread over "
                   "topology.kubernetes.io/zone may run every replica in one zone, which a zone "
                   "outage then takes down; preferred rules are reported at low severity",
            .fix = "add topologySpreadConstraints over topology.kubernetes.io/zone with "
                   "whenUnsatisfiable: DoNotSchedule and maxSkew 1",
            .refs = "Kubernetes documentation: Pod Topology Spread Constraints; Running in multiple "
                    "zones",
            .since = "0.3.0",
        },
        .check_set = kh_ha__not_spread_across_zones,
        .kinds = kh_ha__kinds,
        .fields = kh_ha__fields,
    },
    {
        .info = {
            .id = "ha.pod-in-several-disruption-budgets",
            .area = KH_AREA_HA,
            .severity = KH_SEVERITY_MEDIUM,
            .title = "pods are selected by more than one PodDisruptionBudget",
            .why = "the eviction API refuses to evict a pod that more than one "
                   "PodDisruptionBudget selects, so `kubectl drain`, cluster upgrades and the "
                   "cluster autoscaler stall on it and the node cannot be emptied for "
                   "maintenance",
            .fix = "make the budgets' selectors disjoint so each pod has exactly one budget "
                   "(the related locations name the budgets that overlap)",
            .refs = "Kubernetes documentation: Specifying a Disruption Budget for your "
                    "Application; API-initiated eviction (pods/eviction)",
            .since = "0.2.0",
        },
        .check_set = kh_ha__pod_in_several_disruption_budgets,
        .kinds = kh_ha__disruption_budget_kinds,
        .fields = kh_ha__disruption_budget_fields,
    },
    {
        .info = {
            .id = "ha.rolling-update-takes-all-down",
            .area = KH_AREA_HA,
            .severity = KH_SEVERITY_MEDIUM,
            .title = "a rollout may take every replica down",
            .why = "a Deployment with strategy Recreate, or whose maxUnavailable resolves (rounded "
                   "down, as the Deployment controller does) to the replica count, and a "
                   "StatefulSet whose rollingUpdate.maxUnavailable does the same, may stop every "
                   "replica during a rollout",
            .fix = "use RollingUpdate with maxUnavailable below the replica count (the default 25% "
                   "rounds down), and maxSurge to keep capacity",
            .refs = "Kubernetes documentation: Deployments (Strategy); StatefulSets (Maximum "
                    "unavailable Pods)",
            .since = "0.3.0",
        },
        .check_set = kh_ha__rolling_update_takes_all_down,
        .kinds = kh_ha__kinds,
        .fields = kh_ha__fields,
    },
    {
        .info = {
            .id = "ha.service-selects-nothing",
            .area = KH_AREA_HA,
            .severity = KH_SEVERITY_LOW,
            .title = "a Service selects no pod",
            .why = "a Service whose selector matches no pod or pod template in its namespace has "
                   "no endpoints: every connection to it fails",
            .fix = "make spec.selector match the labels of the pod template behind it",
            .refs = "Kubernetes documentation: Service (Services with selectors)",
            .since = "0.3.0",
        },
        .check_set = kh_ha__service_selects_nothing,
        .kinds = kh_ha__kinds,
        .fields = kh_ha__fields,
    },
    {
        .info = {
            .id = "ha.single-apiserver",
            .area = KH_AREA_HA,
            .severity = KH_SEVERITY_HIGH,
            .title = "the API server has a single endpoint",
            .why = "with one kube-apiserver (one static pod, or one address behind the "
                   "`kubernetes` Service), its node's failure leaves the cluster unmanageable: "
                   "nothing is scheduled, scaled or repaired until it returns",
            .fix = "run at least 3 control-plane nodes, each with an API server, behind a load "
                   "balancer",
            .refs = "Kubernetes documentation: Options for Highly Available Topology; Creating "
                    "Highly Available Clusters with kubeadm",
            .since = "0.3.0",
        },
        .check_set = kh_ha__single_apiserver,
        .kinds = kh_ha__kinds,
        .fields = kh_ha__fields,
    },
    {
        .info = {
            .id = "ha.single-replica",
            .area = KH_AREA_HA,
            .severity = KH_SEVERITY_MEDIUM,
            .title = "a workload runs a single replica",
            .why = "a Deployment, StatefulSet, ReplicaSet or ReplicationController with one "
                   "replica (spec.replicas, default 1, or its HorizontalPodAutoscaler's "
                   "minReplicas, default 1) is down whenever its pod is restarted, evicted or "
                   "loses its node",
            .fix = "run at least 2 replicas (and an HPA minReplicas of at least 2); a workload "
                   "scaled to 0 is not reported",
            .refs = "Kubernetes documentation: Deployments; Horizontal Pod Autoscaling",
            .since = "0.3.0",
        },
        .check_set = kh_ha__single_replica,
        .kinds = kh_ha__kinds,
        .fields = kh_ha__fields,
    },
    {
        .info = {
            .id = "image.digest-not-pinned",
            .area = KH_AREA_IMAGE,
            .severity = KH_SEVERITY_LOW,
            .title = "container image is not pinned by digest",
            .why = "a tag, even a version tag, can be moved to other content by anyone who can "
                   "push to the repository; only a digest names exactly the image that was "
                   "reviewed, scanned and signed",
            .fix = "reference the image by digest, keeping the tag for readers if you like "
                   "(image: registry.example/app:1.4.2@sha256:...); crane digest or skopeo "
                   "inspect print it",
            .refs = "Kubernetes documentation: Images, image names; OCI Distribution "
                    "Specification: pulling manifests by digest",
            .since = "0.1.0",
        },
        .check = kh_image__digest_not_pinned,
    },
    {
        .info = {
            .id = "image.invalid-reference",
            .area = KH_AREA_IMAGE,
            .severity = KH_SEVERITY_MEDIUM,
            .title = "container image reference is not valid",
            .why = "the kubelet cannot pull an image whose reference breaks the OCI/Docker "
                   "reference grammar (an upper-case repository path, a bad tag, a malformed "
                   "digest, an invalid registry host), so the pod never starts; an image that "
                   "cannot be parsed cannot be checked against registries, signatures or "
                   "vulnerability reports either, and the allow-list and signature rules "
                   "report it as untrusted",
            .fix = "write the reference as [registry[:port]/]path[:tag][@sha256:<64 lower-case "
                   "hex>] with a lower-case path; the message says which part is wrong",
            .refs = "distribution/reference grammar (reference.go, normalize.go); Kubernetes "
                    "documentation: Images, image names",
            .since = "0.1.0",
        },
        .check = kh_image__invalid_reference,
    },
    {
        .info = {
            .id = "image.pull-policy-drift",
            .area = KH_AREA_IMAGE,
            .severity = KH_SEVERITY_LOW,
            .title = "image pull policy lets a mutable tag drift between nodes",
            .why = "a node keeps the image it pulled first when imagePullPolicy is "
                   "IfNotPresent (the default for every tag but :latest) and runs whatever it "
                   "has when it is Never, so after a tag moves, nodes run different images "
                   "under one name and restarts do not pick up the new one. The rule fires "
                   "when the image has no digest and the effective policy (the one set, or the "
                   "default: Always for :latest or no tag, IfNotPresent otherwise) is "
                   "IfNotPresent or Never",
            .fix = "pin the image by digest, after which the policy no longer matters, or set "
                   "imagePullPolicy: Always so that every start resolves the tag",
            .refs = "Kubernetes documentation: Images, image pull policy",
            .since = "0.1.0",
        },
        .check = kh_image__pull_policy_drift,
    },
    {
        .info = {
            .id = "image.signature-missing",
            .area = KH_AREA_IMAGE,
            .severity = KH_SEVERITY_HIGH,
            .title = "container image is not signed by a trusted signer",
            .why = "a signature ties an image digest to the identity that built it, so an "
                   "image pushed by anyone else is refused. The rule runs only when "
                   "images.trustedSigners is configured; an image counts as signed only when "
                   "it is pinned by digest and cosign verification evidence (--signatures or "
                   "images.signatures, see docs/supply-chain.md) holds a signature of that "
                   "digest by a trusted signer; an image that cannot be parsed is never signed",
            .fix = "sign the digest (cosign sign registry.example/app@sha256:...), pin the "
                   "image by that digest in the manifest, and pass the output of cosign verify "
                   "--output json with --signatures",
            .refs = "Sigstore cosign: signing and verifying containers; SLSA: build provenance; "
                    "docs/supply-chain.md",
            .since = "0.1.0",
        },
        .check = kh_image__signature_missing,
    },
    {
        .info = {
            .id = "image.tag-not-pinned",
            .area = KH_AREA_IMAGE,
            .severity = KH_SEVERITY_MEDIUM,
            .title = "container image has no tag or uses :latest",
            .why = "an untagged or :latest image can change under the same name: "
                   "what runs is not what was reviewed, and rollbacks are not reproducible",
            .fix = "pin the image to a version tag, or better to a digest "
                   "(image: registry.example/app:1.4.2@sha256:...)",
            .refs = "Kubernetes documentation: Images, image names; CIS Kubernetes Benchmark 5.5",
            .since = "0.1.0",
        },
        .check = kh_image__tag_not_pinned,
    },
    {
        .info = {
            .id = "image.untrusted-registry",
            .area = KH_AREA_IMAGE,
            .severity = KH_SEVERITY_HIGH,
            .title = "container image is not from a trusted registry",
            .why = "images from registries outside the organisation's control bypass its "
                   "builds, scans and signing. The rule runs only when "
                   "images.trustedRegistries lists the allowed registries: host[:port] with an "
                   "optional path prefix (a leading *. matches subdomains), matched after "
                   "normalisation (nginx is docker.io/library/nginx) on whole path components "
                   "(registry.example/team trusts registry.example/team/app, not "
                   "registry.example/teamx/app); an image that cannot be parsed is never "
                   "trusted",
            .fix = "mirror or rebuild the image into a trusted registry, or add its registry "
                   "(or a path under it) to images.trustedRegistries",
            .refs = "CIS Kubernetes Benchmark 5.5.1 (image provenance); NIST SP 800-190 4.1.5 "
                    "(use of untrusted images)",
            .since = "0.1.0",
        },
        .check = kh_image__untrusted_registry,
    },
    {
        .info = {
            .id = "image.vulnerable",
            .area = KH_AREA_IMAGE,
            .severity = KH_SEVERITY_HIGH,
            .title = "container image has known vulnerabilities at or above the gate",
            .why = "a Trivy or Grype report found vulnerabilities in the image at or above "
                   "images.vulnerabilities.failOn (default high). The rule runs only when a "
                   "report is given (--vuln-report or images.vulnerabilities.reports); report "
                   "images are matched by digest when the container's image has one (only a "
                   "report naming that digest counts), else by normalised name and tag. Each "
                   "finding takes the severity of its worst vulnerability; with "
                   "images.vulnerabilities.requireReport an image no report covers is a "
                   "finding too",
            .fix = "rebuild the image on patched packages or a patched base image and scan it "
                   "again; the message lists the vulnerability ids, worst first",
            .refs = "Trivy JSON report; Grype JSON report; NIST SP 800-190 4.1.1 (image "
                    "vulnerabilities); docs/supply-chain.md",
            .since = "0.1.0",
        },
        .check = kh_image__vulnerable,
    },
    {
        .info = {
            .id = "manifest.duplicate-key",
            .area = KH_AREA_MANIFEST,
            .severity = KH_SEVERITY_HIGH,
            .title = "a mapping repeats a key",
            .why = "when a key appears twice, tools disagree on the value: the API server keeps "
                   "the last one (or rejects the object under strict validation), other tools "
                   "may read the first, so a reviewed value can hide the one that is applied",
            .fix = "remove the repeated key so the manifest says one thing; kubeharden "
                   "evaluates the last value, as the API server does",
            .refs = "YAML 1.2 section 3.2.1.1 (keys are unique); kubectl --validate=strict",
            .since = "0.1.0",
        },
        .flags = KH_RULE_SEES_ENVELOPE,
        .check = kh_manifest__duplicate_key,
    },
    {
        .info = {
            .id = "manifest.invalid-pod-os-fields",
            .area = KH_AREA_MANIFEST,
            .severity = KH_SEVERITY_MEDIUM,
            .title = "pod spec sets fields its OS does not allow",
            .why = "the API server's validation rejects a pod or pod template whose "
                   "spec.os.name is windows and that sets a Linux-only field (spec.hostPID, "
                   "hostIPC, hostUsers, shareProcessNamespace; securityContext seLinuxOptions, "
                   "seccompProfile, appArmorProfile, runAsUser, runAsGroup, fsGroup, "
                   "fsGroupChangePolicy, sysctls, supplementalGroups, supplementalGroupsPolicy, "
                   "seLinuxChangePolicy; container capabilities, privileged, "
                   "allowPrivilegeEscalation, procMount, readOnlyRootFilesystem), whose "
                   "spec.os.name is linux and that sets windowsOptions, or whose spec.os.name "
                   "is empty or neither linux nor windows. Validation runs before admission, "
                   "so Pod Security never judges such an object: from v1.25 the restricted "
                   "level skips its Linux checks for Windows pods and would allow, for "
                   "example, an Unconfined seccomp profile that the API server refuses",
            .fix = "remove the fields the pod's OS cannot use, or correct spec.os.name "
                   "(linux or windows, in lower case)",
            .refs = "Kubernetes API validation (pkg/apis/core/validation: validateOS, "
                    "validateWindows, validateLinux); KEP-2802 (Identify Pod's OS during API "
                    "server admission); docs/pss.md",
            .since = "0.2.0",
        },
        .check = kh_manifest__invalid_pod_os_fields,
    },
    {
        .info = {
            .id = "manifest.volume-multiple-sources",
            .area = KH_AREA_MANIFEST,
            .severity = KH_SEVERITY_MEDIUM,
            .title = "volume sets more than one source",
            .why = "the API server's validation rejects a volume that sets more than one "
                   "source (emptyDir and hostPath, say), before admission runs; Pod Security "
                   "admission never sees it, and its restricted level would pass such a "
                   "volume for its emptyDir without looking at the hostPath. A source set "
                   "to null does not count",
            .fix = "keep one source per volume; use a second volume for the other",
            .refs = "Kubernetes API validation (pkg/apis/core/validation: "
                    "validateVolumeSource, \"may not specify more than 1 volume type\"); "
                    "docs/pss.md",
            .since = "0.2.0",
        },
        .check = kh_manifest__volume_multiple_sources,
    },
    {
        .info = {
            .id = "netpol.allow-from-anywhere",
            .area = KH_AREA_NETPOL,
            .severity = KH_SEVERITY_MEDIUM,
            .title = "an ingress rule admits every source",
            .why = "an ingress rule without 'from' (or with an ipBlock of 0.0.0.0/0 or ::/0) "
                   "admits every pod of every namespace and every address outside the "
                   "cluster, so the isolation the policy set up is undone for those ports",
            .fix = "name the sources: podSelector and namespaceSelector peers for callers in "
                   "the cluster, the narrowest ipBlock ranges for callers outside it",
            .refs = "Kubernetes documentation: Network Policies (NetworkPolicyIngressRule.from); "
                    "NSA/CISA Kubernetes Hardening Guidance: network separation",
            .since = "0.3.0",
        },
        .check_set = kh_netpol__allow_from_anywhere,
        .kinds = kh_netpol__kinds,
        .fields = kh_netpol__fields,
    },
    {
        .info = {
            .id = "netpol.destination-rule-disables-tls",
            .area = KH_AREA_NETPOL,
            .severity = KH_SEVERITY_HIGH,
            .title = "an Istio DestinationRule sends plaintext to a sensitive namespace",
            .why = "tls.mode DISABLE in a DestinationRule makes clients send plaintext to the "
                   "hosts it names, so traffic to SIEM, EDR or SOAR workloads can be read and "
                   "altered on the wire (and a STRICT server then refuses it)",
            .fix = "use tls.mode ISTIO_MUTUAL (or drop the tls block and let auto mTLS "
                   "apply) for hosts in sensitive namespaces",
            .refs = "Istio documentation: DestinationRule ClientTLSSettings; docs/netpol.md",
            .since = "0.3.0",
        },
        .check_set = kh_netpol__destination_rule_disables_tls,
        .kinds = kh_netpol__mtls_kinds,
        .fields = kh_netpol__fields,
    },
    {
        .info = {
            .id = "netpol.egress-to-internet",
            .area = KH_AREA_NETPOL,
            .severity = KH_SEVERITY_MEDIUM,
            .title = "an egress rule lets pods connect to the internet",
            .why = "an egress rule without 'to', or with an ipBlock that reaches public "
                   "addresses, lets a compromised pod download tools and send data out",
            .fix = "list the destinations the workload needs (an egress gateway or proxy, "
                   "specific ranges) instead of everything; keep DNS to the cluster's DNS pods",
            .refs = "Kubernetes documentation: Network Policies (NetworkPolicyEgressRule.to, "
                    "ipBlock); NSA/CISA Kubernetes Hardening Guidance: network separation",
            .since = "0.3.0",
        },
        .check_set = kh_netpol__egress_to_internet,
        .kinds = kh_netpol__kinds,
        .fields = kh_netpol__fields,
    },
    {
        .info = {
            .id = "netpol.invalid-policy",
            .area = KH_AREA_NETPOL,
            .severity = KH_SEVERITY_HIGH,
            .title = "the API server refuses this NetworkPolicy",
            .why = "the API server's validation rejects it (an empty peer, ipBlock next to a "
                   "selector, an except outside its cidr, endPort with a named port...), so "
                   "the isolation it was meant to give never exists",
            .fix = "fix the field the finding names; `kubectl apply --dry-run=server` shows "
                   "the API server's own message",
            .refs = "Kubernetes API validation (pkg/apis/networking/validation: "
                    "ValidateNetworkPolicySpec, ValidateNetworkPolicyPeer, ValidateIPBlock)",
            .since = "0.3.0",
        },
        .check_set = kh_netpol__invalid_policy,
        .kinds = kh_netpol__kinds,
        .fields = kh_netpol__fields,
    },
    {
        .info = {
            .id = "netpol.isolation-assertion-broken",
            .area = KH_AREA_NETPOL,
            .severity = KH_SEVERITY_HIGH,
            .title = "a protected namespace accepts traffic the configuration forbids",
            .why = "the configuration (netpol.isolation) says which namespaces may reach the "
                   "sensitive ones (SIEM, EDR, SOAR) and on which ports; the policies let "
                   "another source, or another port, through",
            .fix = "tighten the ingress rules of the protected namespace (the related "
                   "locations name the rules that allow the path) or the source's egress; "
                   "add a default deny where the side is not isolated",
            .refs = "docs/netpol.md (isolation assertions); Kubernetes documentation: "
                    "Network Policies",
            .since = "0.3.0",
        },
        .check_set = kh_netpol__isolation_assertion_broken,
        .kinds = kh_netpol__kinds,
        .fields = kh_netpol__fields,
    },
    {
        .info = {
            .id = "netpol.named-port-unresolved",
            .area = KH_AREA_NETPOL,
            .severity = KH_SEVERITY_MEDIUM,
            .title = "a named port in a policy matches no container port",
            .why = "a named port allows traffic only to pods whose containers declare a port "
                   "of that name and protocol; when none does, the entry allows nothing and "
                   "the traffic it was written for is dropped (or a typo goes unnoticed)",
            .fix = "use the name the destination's containers declare (spec.containers[].ports"
                   "[].name, with the same protocol), or a port number",
            .refs = "Kubernetes documentation: Network Policies (NetworkPolicyPort.port); "
                    "kube-network-policies: evaluatePorts",
            .since = "0.3.0",
        },
        .check_set = kh_netpol__named_port_unresolved,
        .kinds = kh_netpol__kinds,
        .fields = kh_netpol__fields,
    },
    {
        .info = {
            .id = "netpol.namespace-without-default-deny-egress",
            .area = KH_AREA_NETPOL,
            .severity = KH_SEVERITY_LOW,
            .title = "namespace has no default-deny egress NetworkPolicy",
            .why = "without a policy that selects every pod with policyTypes [Egress] and no "
                   "egress rules, any pod no other policy selects for egress may connect "
                   "anywhere, inside the cluster and out",
            .fix = "add a default deny (podSelector: {}, policyTypes: [Egress]) and allow "
                   "what each workload needs (DNS first) with further policies",
            .refs = "Kubernetes documentation: Network Policies, Default policies",
            .since = "0.3.0",
        },
        .check_set = kh_netpol__namespace_without_default_deny_egress,
        .kinds = kh_netpol__kinds,
        .fields = kh_netpol__fields,
    },
    {
        .info = {
            .id = "netpol.namespace-without-default-deny-ingress",
            .area = KH_AREA_NETPOL,
            .severity = KH_SEVERITY_MEDIUM,
            .title = "namespace has no default-deny ingress NetworkPolicy",
            .why = "pods are open to every source until a policy with Ingress selects them; "
                   "without a default deny, a new workload, or one whose labels drift, "
                   "accepts connections from anywhere",
            .fix = "add a default deny (podSelector: {}, policyTypes: [Ingress]) and allow "
                   "each workload's callers with further policies",
            .refs = "Kubernetes documentation: Network Policies, Default policies",
            .since = "0.3.0",
        },
        .check_set = kh_netpol__namespace_without_default_deny_ingress,
        .kinds = kh_netpol__kinds,
        .fields = kh_netpol__fields,
    },
    {
        .info = {
            .id = "netpol.peer-selects-nothing",
            .area = KH_AREA_NETPOL,
            .severity = KH_SEVERITY_LOW,
            .title = "a policy peer selects no workload",
            .why = "a podSelector or namespaceSelector peer that matches nothing in the input "
                   "allows nothing: usually a label typo, a missing namespace label, or a "
                   "namespaceSelector written where the policy's own namespace was meant",
            .fix = "match the labels the intended pods and namespaces carry (namespaces have "
                   "kubernetes.io/metadata.name automatically)",
            .refs = "Kubernetes documentation: Network Policies (NetworkPolicyPeer)",
            .since = "0.3.0",
        },
        .check_set = kh_netpol__peer_selects_nothing,
        .kinds = kh_netpol__kinds,
        .fields = kh_netpol__fields,
    },
    {
        .info = {
            .id = "netpol.policy-selects-nothing",
            .area = KH_AREA_NETPOL,
            .severity = KH_SEVERITY_LOW,
            .title = "NetworkPolicy selects no workload in its namespace",
            .why = "a policy whose podSelector matches no pod of its namespace isolates and "
                   "allows nothing: the workload it was written for is left open",
            .fix = "match the labels of the pods' template (spec.template.metadata.labels), "
                   "in the policy's own namespace",
            .refs = "Kubernetes documentation: Network Policies (spec.podSelector)",
            .since = "0.3.0",
        },
        .check_set = kh_netpol__policy_selects_nothing,
        .kinds = kh_netpol__kinds,
        .fields = kh_netpol__fields,
    },
    {
        .info = {
            .id = "netpol.sensitive-without-mtls",
            .area = KH_AREA_NETPOL,
            .severity = KH_SEVERITY_MEDIUM,
            .title = "a workload in a sensitive namespace has no mutual TLS in force",
            .why = "namespaces marked sensitive (SIEM, EDR, SOAR) should accept only encrypted, "
                   "authenticated traffic; without a mesh, or with Istio in PERMISSIVE mode or "
                   "a port relaxed by portLevelMtls, they also accept plaintext",
            .fix = "mesh the workload (Istio sidecar or ambient, or Linkerd) and, for Istio, "
                   "apply a PeerAuthentication with mtls.mode STRICT to the namespace",
            .refs = "Istio documentation: PeerAuthentication, Mutual TLS migration; Linkerd "
                    "documentation: Automatic mTLS; docs/netpol.md",
            .since = "0.3.0",
        },
        .check_set = kh_netpol__sensitive_without_mtls,
        .kinds = kh_netpol__mtls_kinds,
        .fields = kh_netpol__fields,
    },
    {
        .info = {
            .id = "netpol.workload-not-selected",
            .area = KH_AREA_NETPOL,
            .severity = KH_SEVERITY_MEDIUM,
            .title = "no NetworkPolicy selects the workload's pods",
            .why = "pods that no policy selects are not isolated in either direction: they "
                   "accept connections from every pod and address, and may connect anywhere",
            .fix = "add a default deny to the namespace and a policy for the workload that "
                   "allows its callers and destinations",
            .refs = "Kubernetes documentation: Network Policies (isolated and non-isolated pods)",
            .since = "0.3.0",
        },
        .check_set = kh_netpol__workload_not_selected,
        .kinds = kh_netpol__kinds,
        .fields = kh_netpol__fields,
    },
    {
        .info = {
            .id = "pss.baseline.apparmor",
            .area = KH_AREA_PSS,
            .severity = KH_SEVERITY_MEDIUM,
            .title = "pod or container overrides the default AppArmor profile",
            .why = "an Unconfined (or other custom) AppArmor profile removes the mandatory "
                   "access control that confines the container's processes on the node",
            .fix = "leave appArmorProfile unset or use type RuntimeDefault or Localhost; "
                   "annotations container.apparmor.security.beta.kubernetes.io/* may only be "
                   "runtime/default or localhost/<profile>",
            .refs = "Pod Security Standards, baseline: AppArmor (upstream check "
                    "appArmorProfile); docs/pss.md",
            .since = "0.1.0",
        },
        .pss_level = KH_PSS_BASELINE,
        .check = kh_pss__apparmor,
    },
    {
        .info = {
            .id = "pss.baseline.capabilities",
            .area = KH_AREA_PSS,
            .severity = KH_SEVERITY_HIGH,
            .title = "container adds a capability beyond the default set",
            .why = "capabilities such as SYS_ADMIN, NET_ADMIN or NET_RAW hand the container "
                   "parts of root's power over the node's kernel",
            .fix = "add only AUDIT_WRITE, CHOWN, DAC_OVERRIDE, FOWNER, FSETID, KILL, MKNOD, "
                   "NET_BIND_SERVICE, SETFCAP, SETGID, SETPCAP, SETUID or SYS_CHROOT, spelled "
                   "exactly so (no CAP_ prefix)",
            .refs = "Pod Security Standards, baseline: Capabilities (upstream check "
                    "capabilities_baseline); docs/pss.md",
            .since = "0.1.0",
        },
        .pss_level = KH_PSS_BASELINE,
        .check = kh_pss__capabilities,
    },
    {
        .info = {
            .id = "pss.baseline.host-namespaces",
            .area = KH_AREA_PSS,
            .severity = KH_SEVERITY_HIGH,
            .title = "pod shares a host namespace",
            .why = "hostNetwork, hostPID and hostIPC let the pod see and reach the node's "
                   "network stack, processes or shared memory, which breaks isolation",
            .fix = "remove hostNetwork, hostPID and hostIPC, or set them to false",
            .refs = "Pod Security Standards, baseline: Host Namespaces",
            .since = "0.1.0",
        },
        .pss_level = KH_PSS_BASELINE,
        .check = kh_pss__host_namespaces,
    },
    {
        .info = {
            .id = "pss.baseline.host-path-volumes",
            .area = KH_AREA_PSS,
            .severity = KH_SEVERITY_HIGH,
            .title = "pod mounts a hostPath volume",
            .why = "hostPath exposes the node's filesystem to the container, "
                   "often enough to take over the node",
            .fix = "use emptyDir, a PersistentVolumeClaim, a ConfigMap/Secret or a projected volume",
            .refs = "Pod Security Standards, baseline: HostPath Volumes",
            .since = "0.1.0",
        },
        .pss_level = KH_PSS_BASELINE,
        .check = kh_pss__host_path_volumes,
    },
    {
        .info = {
            .id = "pss.baseline.host-ports",
            .area = KH_AREA_PSS,
            .severity = KH_SEVERITY_MEDIUM,
            .title = "container binds a host port",
            .why = "a hostPort opens the port on the node's own addresses, bypassing Services "
                   "and NetworkPolicies and pinning the pod to nodes where the port is free",
            .fix = "remove ports[].hostPort (or set it to 0) and expose the pod through a "
                   "Service",
            .refs = "Pod Security Standards, baseline: Host Ports (upstream check hostPorts); "
                    "docs/pss.md",
            .since = "0.1.0",
        },
        .pss_level = KH_PSS_BASELINE,
        .check = kh_pss__host_ports,
    },
    {
        .info = {
            .id = "pss.baseline.host-probes",
            .area = KH_AREA_PSS,
            .severity = KH_SEVERITY_MEDIUM,
            .title = "probe or lifecycle hook targets another host",
            .why = "the kubelet sends probes and lifecycle requests from the node's network, "
                   "so a host field turns them into requests the pod could not make itself "
                   "(blind SSRF to node-local or other services)",
            .fix = "remove host from httpGet and tcpSocket in livenessProbe, readinessProbe, "
                   "startupProbe and lifecycle.postStart/preStop: the pod IP is used",
            .refs = "Pod Security Standards, baseline: Host Probes / Lifecycle Hooks (v1.34+, "
                    "upstream check hostProbesAndHostLifecycle, KEP-4940); docs/pss.md",
            .since = "0.1.0",
        },
        .pss_level = KH_PSS_BASELINE,
        .check = kh_pss__host_probes,
    },
    {
        .info = {
            .id = "pss.baseline.privileged",
            .area = KH_AREA_PSS,
            .severity = KH_SEVERITY_CRITICAL,
            .title = "container runs privileged",
            .why = "a privileged container has every capability and all host devices: "
                   "it is root on the node",
            .fix = "remove securityContext.privileged or set it to false; grant only the "
                   "capabilities the process needs",
            .refs = "Pod Security Standards, baseline: Privileged Containers",
            .since = "0.1.0",
        },
        .pss_level = KH_PSS_BASELINE,
        .check = kh_pss__privileged,
    },
    {
        .info = {
            .id = "pss.baseline.proc-mount",
            .area = KH_AREA_PSS,
            .severity = KH_SEVERITY_MEDIUM,
            .title = "container unmasks /proc",
            .why = "the default /proc masks hide kernel interfaces that leak host information "
                   "or allow writes to the node; procMount Unmasked removes them",
            .fix = "remove securityContext.procMount or set it to Default (from v1.35 baseline "
                   "allows other values for pods with hostUsers: false)",
            .refs = "Pod Security Standards, baseline: /proc Mount Type (upstream check "
                    "procMount); docs/pss.md",
            .since = "0.1.0",
        },
        .pss_level = KH_PSS_BASELINE,
        .check = kh_pss__proc_mount_baseline,
    },
    {
        .info = {
            .id = "pss.baseline.seccomp",
            .area = KH_AREA_PSS,
            .severity = KH_SEVERITY_MEDIUM,
            .title = "pod or container disables seccomp",
            .why = "an Unconfined seccomp profile lets the container make every system call, "
                   "including the rarely used ones most kernel exploits need",
            .fix = "set seccompProfile.type to RuntimeDefault or Localhost, or leave it unset "
                   "(before v1.19: the seccomp.security.alpha.kubernetes.io annotations may "
                   "only be runtime/default, docker/default or localhost/<profile>)",
            .refs = "Pod Security Standards, baseline: Seccomp (upstream check "
                    "seccompProfile_baseline); docs/pss.md",
            .since = "0.1.0",
        },
        .pss_level = KH_PSS_BASELINE,
        .check = kh_pss__seccomp_baseline,
    },
    {
        .info = {
            .id = "pss.baseline.selinux",
            .area = KH_AREA_PSS,
            .severity = KH_SEVERITY_MEDIUM,
            .title = "pod or container sets custom SELinux options",
            .why = "a custom SELinux type (such as spc_t), user or role takes the container "
                   "out of the confinement the container_t domain gives it",
            .fix = "remove seLinuxOptions, or use only type container_t, container_init_t, "
                   "container_kvm_t or (from v1.31) container_engine_t, with no user or role",
            .refs = "Pod Security Standards, baseline: SELinux (upstream check seLinuxOptions); "
                    "docs/pss.md",
            .since = "0.1.0",
        },
        .pss_level = KH_PSS_BASELINE,
        .check = kh_pss__selinux,
    },
    {
        .info = {
            .id = "pss.baseline.sysctls",
            .area = KH_AREA_PSS,
            .severity = KH_SEVERITY_MEDIUM,
            .title = "pod sets an unsafe sysctl",
            .why = "sysctls outside the safe, namespaced set change the node's kernel for "
                   "every pod on it or disable security mechanisms",
            .fix = "set only the sysctls the Pod Security Standards allow for your Kubernetes "
                   "version (docs/pss.md) and tune the others on the node",
            .refs = "Pod Security Standards, baseline: Sysctls (upstream check sysctls); "
                    "docs/pss.md",
            .since = "0.1.0",
        },
        .pss_level = KH_PSS_BASELINE,
        .check = kh_pss__sysctls,
    },
    {
        .info = {
            .id = "pss.baseline.windows-host-process",
            .area = KH_AREA_PSS,
            .severity = KH_SEVERITY_CRITICAL,
            .title = "Windows pod runs a HostProcess container",
            .why = "a HostProcess container runs directly on the Windows node with the node's "
                   "privileges: it is administrator on the node",
            .fix = "remove securityContext.windowsOptions.hostProcess (pod and containers) or "
                   "set it to false",
            .refs = "Pod Security Standards, baseline: HostProcess (upstream check "
                    "windowsHostProcess); docs/pss.md",
            .since = "0.1.0",
        },
        .pss_level = KH_PSS_BASELINE,
        .check = kh_pss__windows_host_process,
    },
    {
        .info = {
            .id = "pss.restricted.capabilities",
            .area = KH_AREA_PSS,
            .severity = KH_SEVERITY_MEDIUM,
            .title = "container does not drop ALL capabilities or adds one",
            .why = "the runtime's default capability set (CHOWN, DAC_OVERRIDE, SETUID and, on "
                   "some runtimes, NET_RAW) is more than most processes need, and each one is "
                   "a step towards root if the container is compromised",
            .fix = "set securityContext.capabilities.drop: [\"ALL\"] (upper case) and add "
                   "nothing but NET_BIND_SERVICE",
            .refs = "Pod Security Standards, restricted: Capabilities (v1.22+, upstream check "
                    "capabilities_restricted); docs/pss.md",
            .since = "0.1.0",
        },
        .pss_level = KH_PSS_RESTRICTED,
        .overrides = "pss.baseline.capabilities",
        .overrides_since = 22,
        .check = kh_pss__capabilities_restricted,
    },
    {
        .info = {
            .id = "pss.restricted.privilege-escalation",
            .area = KH_AREA_PSS,
            .severity = KH_SEVERITY_MEDIUM,
            .title = "container allows privilege escalation",
            .why = "unless allowPrivilegeEscalation is false, set-user-ID binaries and file "
                   "capabilities can give a process more privileges than its parent",
            .fix = "set securityContext.allowPrivilegeEscalation: false in every container, "
                   "init container and ephemeral container",
            .refs = "Pod Security Standards, restricted: Privilege Escalation (v1.8+, upstream "
                    "check allowPrivilegeEscalation); docs/pss.md",
            .since = "0.1.0",
        },
        .pss_level = KH_PSS_RESTRICTED,
        .check = kh_pss__privilege_escalation,
    },
    {
        .info = {
            .id = "pss.restricted.proc-mount",
            .area = KH_AREA_PSS,
            .severity = KH_SEVERITY_MEDIUM,
            .title = "container unmasks /proc (restricted, user namespaces too)",
            .why = "from v1.35 baseline lets pods with hostUsers: false unmask /proc; the "
                   "restricted level still requires the default masks for every pod",
            .fix = "remove securityContext.procMount or set it to Default",
            .refs = "Pod Security Standards, restricted: /proc Mount Type (v1.35+, upstream "
                    "check procMount_restricted); docs/pss.md",
            .since = "0.1.0",
        },
        .pss_level = KH_PSS_RESTRICTED,
        .overrides = "pss.baseline.proc-mount",
        .overrides_since = 35,
        .check = kh_pss__proc_mount_restricted,
    },
    {
        .info = {
            .id = "pss.restricted.run-as-non-root",
            .area = KH_AREA_PSS,
            .severity = KH_SEVERITY_MEDIUM,
            .title = "container may run as root",
            .why = "without runAsNonRoot: true the kubelet starts the container as whatever "
                   "user the image names, often root",
            .fix = "set securityContext.runAsNonRoot: true on the pod (or on every container) "
                   "and never false on a container",
            .refs = "Pod Security Standards, restricted: Running as Non-root (upstream check "
                    "runAsNonRoot); docs/pss.md",
            .since = "0.1.0",
        },
        .pss_level = KH_PSS_RESTRICTED,
        .check = kh_pss__run_as_non_root,
    },
    {
        .info = {
            .id = "pss.restricted.run-as-user",
            .area = KH_AREA_PSS,
            .severity = KH_SEVERITY_MEDIUM,
            .title = "pod or container runs as user 0",
            .why = "runAsUser: 0 runs the process as root whatever the image says",
            .fix = "remove runAsUser: 0 from the pod and container securityContexts or use a "
                   "non-zero user id",
            .refs = "Pod Security Standards, restricted: Running as Non-root user (v1.23+, "
                    "upstream check runAsUser); docs/pss.md",
            .since = "0.1.0",
        },
        .pss_level = KH_PSS_RESTRICTED,
        .check = kh_pss__run_as_user,
    },
    {
        .info = {
            .id = "pss.restricted.seccomp",
            .area = KH_AREA_PSS,
            .severity = KH_SEVERITY_MEDIUM,
            .title = "container has no RuntimeDefault or Localhost seccomp profile",
            .why = "without a seccomp profile the container can make every system call the "
                   "kernel offers, the attack surface of most container escapes",
            .fix = "set securityContext.seccompProfile.type: RuntimeDefault (or Localhost) on "
                   "the pod, or on every container",
            .refs = "Pod Security Standards, restricted: Seccomp (v1.19+, upstream check "
                    "seccompProfile_restricted); docs/pss.md",
            .since = "0.1.0",
        },
        .pss_level = KH_PSS_RESTRICTED,
        .overrides = "pss.baseline.seccomp",
        .overrides_since = 19,
        .check = kh_pss__seccomp_restricted,
    },
    {
        .info = {
            .id = "pss.restricted.volume-types",
            .area = KH_AREA_PSS,
            .severity = KH_SEVERITY_MEDIUM,
            .title = "pod uses a volume type outside the restricted set",
            .why = "inline volume sources such as hostPath, nfs or gitRepo reach storage "
                   "outside the cluster's control and bypass PersistentVolume policy",
            .fix = "use configMap, csi, downwardAPI, emptyDir, ephemeral, image, "
                   "persistentVolumeClaim, projected or secret volumes",
            .refs = "Pod Security Standards, restricted: Volume Types (upstream check "
                    "restrictedVolumes); docs/pss.md",
            .since = "0.1.0",
        },
        .pss_level = KH_PSS_RESTRICTED,
        .overrides = "pss.baseline.host-path-volumes",
        .overrides_since = 0,
        .check = kh_pss__volume_types,
    },
    {
        .info = {
            .id = "rbac.admission-webhook-write",
            .area = KH_AREA_RBAC,
            .severity = KH_SEVERITY_HIGH,
            .title = "a binding grants writing admission webhooks or policies",
            .why = "whoever can create, change or delete a ValidatingWebhookConfiguration or "
                   "MutatingWebhookConfiguration (or an admission policy) decides what the API "
                   "server admits: they can switch off enforcement such as this webhook, or send "
                   "every Pod and Secret to a server of theirs and rewrite it there; Kubernetes' "
                   "own bootstrap bindings are not reported",
            .fix = "grant webhook and admission-policy writes only to the controllers that own "
                   "them (cert-manager's cainjector, the policy engine), with resourceNames where "
                   "possible",
            .refs = "Kubernetes documentation: Role Based Access Control Good Practices (Control "
                    "admission webhooks); CIS Kubernetes Benchmark 5.1.12",
            .since = "0.2.0",
        },
        .check_set = kh_rbac__admission_webhook_write,
        .kinds = kh_rbac__risk_kinds,
        .fields = kh_rbac__risk_fields,
    },
    {
        .info = {
            .id = "rbac.anonymous-grant",
            .area = KH_AREA_RBAC,
            .severity = KH_SEVERITY_CRITICAL,
            .title = "a binding grants permissions to unauthenticated requests",
            .why = "User system:anonymous and Group system:unauthenticated are every request "
                   "without credentials, from anyone who reaches the API server; Kubernetes' own "
                   "grant to them (system:public-info-viewer: /healthz, /version, /livez, /readyz) "
                   "and kubeadm's read of the kube-public cluster-info ConfigMap for node join are "
                   "left out",
            .fix = "remove the subject from the binding, or bind system:authenticated (or a "
                   "narrower group) instead; consider --anonymous-auth=false",
            .refs = "Kubernetes documentation: Authenticating (Anonymous requests); Using RBAC "
                    "Authorization (Default roles and role bindings)",
            .since = "0.2.0",
        },
        .check_set = kh_rbac__anonymous_grant,
        .kinds = kh_rbac__risk_kinds,
        .fields = kh_rbac__risk_fields,
    },
    {
        .info = {
            .id = "rbac.bind-escalate-impersonate",
            .area = KH_AREA_RBAC,
            .severity = KH_SEVERITY_CRITICAL,
            .title = "a binding grants bind, escalate or impersonate",
            .why = "bind lets its holder create bindings to roles it does not hold, escalate lets "
                   "it write roles with permissions it does not have, and impersonate lets it act "
                   "as other users, groups (system:masters among them) or service accounts: each "
                   "defeats RBAC's own escalation checks; Kubernetes' own bootstrap bindings (the "
                   "aggregation controller's escalate) are not reported",
            .fix = "drop these verbs; if a controller must manage bindings, limit bind to the "
                   "roles it hands out with resourceNames",
            .refs = "Kubernetes documentation: Role Based Access Control Good Practices (Escalate "
                    "verb, Bind verb, Impersonate verb); CIS Kubernetes Benchmark 5.1.8",
            .since = "0.2.0",
        },
        .check_set = kh_rbac__bind_escalate_impersonate,
        .kinds = kh_rbac__risk_kinds,
        .fields = kh_rbac__risk_fields,
    },
    {
        .info = {
            .id = "rbac.binding-to-missing-role",
            .area = KH_AREA_RBAC,
            .severity = KH_SEVERITY_LOW,
            .title = "a binding refers to a role that does not exist",
            .why = "a binding whose roleRef names no role grants nothing today (the authorizer "
                   "gives up on it), but whoever later creates a role of that name grants it to "
                   "the binding's subjects at once: a stale binding is a trap. Judged only when "
                   "the input holds the API server's own roles (labelled "
                   "kubernetes.io/bootstrapping=rbac-defaults), as a dump of a whole cluster does; "
                   "otherwise the role may exist outside the input",
            .fix = "delete the binding, or create the role it expects on purpose",
            .refs = "Kubernetes documentation: Role Based Access Control Good Practices (Periodic "
                    "review)",
            .since = "0.2.0",
        },
        .check_set = kh_rbac__binding_to_missing_role,
        .kinds = kh_rbac__risk_kinds,
        .fields = kh_rbac__risk_fields,
    },
    {
        .info = {
            .id = "rbac.binding-to-missing-serviceaccount",
            .area = KH_AREA_RBAC,
            .severity = KH_SEVERITY_LOW,
            .title = "a binding names a service account that does not exist",
            .why = "permissions granted to a service account that does not exist wait for whoever "
                   "creates an account of that name, in a namespace where someone may be allowed "
                   "to create service accounts. Judged only for namespaces the input holds "
                   "ServiceAccounts of (every namespace has its 'default' one, so a dump of "
                   "accounts holds them all)",
            .fix = "remove the subject from the binding, or create the account on purpose",
            .refs = "Kubernetes documentation: Role Based Access Control Good Practices (Periodic "
                    "review)",
            .since = "0.2.0",
        },
        .check_set = kh_rbac__binding_to_missing_serviceaccount,
        .kinds = kh_rbac__risk_kinds,
        .fields = kh_rbac__risk_fields,
    },
    {
        .info = {
            .id = "rbac.cluster-admin-binding",
            .area = KH_AREA_RBAC,
            .severity = KH_SEVERITY_CRITICAL,
            .title = "a binding grants every verb on every resource",
            .why = "a role with '*' verbs on '*' resources in '*' groups (cluster-admin, or its "
                   "equal) is all power cluster-wide through a ClusterRoleBinding and all power "
                   "over a namespace through a RoleBinding; least privilege rules it out outside "
                   "break-glass access. Left out: Kubernetes' own binding of cluster-admin to "
                   "Group system:masters (label kubernetes.io/bootstrapping=rbac-defaults) and "
                   "kubeadm's ClusterRoleBinding kubeadm:cluster-admins to Group "
                   "kubeadm:cluster-admins, which admin.conf uses",
            .fix = "bind a role with the verbs and resources the subject needs (view, edit, or one "
                   "of your own) and keep cluster-admin for break-glass accounts",
            .refs = "Kubernetes documentation: Role Based Access Control Good Practices (Least "
                    "privilege); CIS Kubernetes Benchmark 5.1.1",
            .since = "0.2.0",
        },
        .check_set = kh_rbac__cluster_admin_binding,
        .kinds = kh_rbac__risk_kinds,
        .fields = kh_rbac__risk_fields,
    },
    {
        .info = {
            .id = "rbac.csr-approve",
            .area = KH_AREA_RBAC,
            .severity = KH_SEVERITY_HIGH,
            .title = "a binding grants approving or signing certificate requests",
            .why = "update on certificatesigningrequests/approval with approve (or sign) on a "
                   "Kubernetes signer (kube-apiserver-client, kube-apiserver-client-kubelet, "
                   "kubelet-serving) lets its holder issue client certificates the API server "
                   "trusts for any user and group, system:masters included; Kubernetes' own "
                   "controllers' bindings are not reported",
            .fix = "leave approval to the controllers that must do it; limit signers to your own "
                   "with resourceNames",
            .refs = "Kubernetes documentation: Role Based Access Control Good Practices (CSRs and "
                    "certificate issuing); CIS Kubernetes Benchmark 5.1.11",
            .since = "0.2.0",
        },
        .check_set = kh_rbac__csr_approve,
        .kinds = kh_rbac__risk_kinds,
        .fields = kh_rbac__risk_fields,
    },
    {
        .info = {
            .id = "rbac.default-serviceaccount-permissions",
            .area = KH_AREA_RBAC,
            .severity = KH_SEVERITY_MEDIUM,
            .title = "a binding grants permissions to default service accounts",
            .why = "every pod that names no service account runs as its namespace's 'default' "
                   "account, so a grant to it (or to Group system:serviceaccounts or "
                   "system:serviceaccounts:<ns>, which hold it) is a grant to every such pod, "
                   "often unnoticed; Kubernetes' own bootstrap bindings are not reported",
            .fix = "create a dedicated service account for the workload that needs the permissions "
                   "and bind that instead",
            .refs = "Kubernetes documentation: Configure Service Accounts for Pods; CIS Kubernetes "
                    "Benchmark 5.1.5",
            .since = "0.2.0",
        },
        .check_set = kh_rbac__default_serviceaccount_permissions,
        .kinds = kh_rbac__risk_kinds,
        .fields = kh_rbac__risk_fields,
    },
    {
        .info = {
            .id = "rbac.escalation-path",
            .area = KH_AREA_RBAC,
            .severity = KH_SEVERITY_CRITICAL,
            .title = "a subject can become cluster-admin-equivalent",
            .why = "following grants step by step (create a pod that runs as another account, "
                   "impersonate, mint a token, read a legacy token secret, exec into another "
                   "account's pod, bind or escalate a role, use nodes/proxy or patch nodes), the "
                   "subject reaches all power over the cluster: the shortest such path is reported "
                   "on the binding it starts from, each step with its binding and rule. Subjects "
                   "that hold the power themselves are rbac.cluster-admin-binding's; a member "
                   "whose shortest path is its group's is reported through the group; paths "
                   "that start with one of Kubernetes' own bindings (a controller creating "
                   "pods) are left out, the grant to blame being a later one",
            .fix = "break the path at its first step: remove or narrow the grant on the binding "
                   "reported (`kubeharden rbac paths --from SUBJECT` shows every step)",
            .refs = "Kubernetes documentation: Role Based Access Control Good Practices (Privilege "
                    "escalation risks); docs/rbac.md",
            .since = "0.2.0",
        },
        .check_set = kh_rbac__escalation_path,
        .kinds = kh_rbac__risk_kinds,
        .fields = kh_rbac__risk_fields,
    },
    {
        .info = {
            .id = "rbac.nodes-proxy",
            .area = KH_AREA_RBAC,
            .severity = KH_SEVERITY_CRITICAL,
            .title = "a binding grants nodes/proxy",
            .why = "nodes/proxy reaches the kubelet API of every node, which runs commands in any "
                   "pod there (exec, run) and bypasses admission and audit of pod exec; even get "
                   "is enough over a WebSocket; Kubernetes' own bootstrap bindings are not "
                   "reported",
            .fix = "grant metrics readers nodes/metrics or nodes/stats instead",
            .refs = "Kubernetes documentation: Role Based Access Control Good Practices (Access to "
                    "proxy subresource of Nodes); CIS Kubernetes Benchmark 5.1.10",
            .since = "0.2.0",
        },
        .check_set = kh_rbac__nodes_proxy,
        .kinds = kh_rbac__risk_kinds,
        .fields = kh_rbac__risk_fields,
    },
    {
        .info = {
            .id = "rbac.persistentvolume-create",
            .area = KH_AREA_RBAC,
            .severity = KH_SEVERITY_HIGH,
            .title = "a binding grants creating persistent volumes",
            .why = "a PersistentVolume may be a hostPath volume, and a pod that claims it mounts "
                   "the node's filesystem whatever Pod Security says about the pod; Kubernetes' "
                   "own bootstrap bindings are not reported",
            .fix = "let only the storage provisioners create PersistentVolumes; users create "
                   "PersistentVolumeClaims",
            .refs = "Kubernetes documentation: Role Based Access Control Good Practices (Persistent "
                    "volume creation); CIS Kubernetes Benchmark 5.1.9",
            .since = "0.2.0",
        },
        .check_set = kh_rbac__persistentvolume_create,
        .kinds = kh_rbac__risk_kinds,
        .fields = kh_rbac__risk_fields,
    },
    {
        .info = {
            .id = "rbac.pod-create",
            .area = KH_AREA_RBAC,
            .severity = KH_SEVERITY_MEDIUM,
            .title = "a binding grants creating pods or pod-creating workloads",
            .why = "whoever can create a Pod, Deployment, ReplicaSet, StatefulSet, DaemonSet, Job, "
                   "CronJob or ReplicationController in a namespace can run it as any service "
                   "account of that namespace and read every Secret, ConfigMap and volume a pod "
                   "there could mount; Kubernetes' own controllers' bindings are not reported",
            .fix = "grant workload creation only where it is meant (CI, operators), per namespace, "
                   "and keep powerful service accounts out of namespaces where others create pods",
            .refs = "Kubernetes documentation: Role Based Access Control Good Practices (Workload "
                    "creation); CIS Kubernetes Benchmark 5.1.4",
            .since = "0.2.0",
        },
        .check_set = kh_rbac__pod_create,
        .kinds = kh_rbac__risk_kinds,
        .fields = kh_rbac__risk_fields,
    },
    {
        .info = {
            .id = "rbac.pod-exec",
            .area = KH_AREA_RBAC,
            .severity = KH_SEVERITY_HIGH,
            .title = "a binding grants exec, attach or port-forward into pods",
            .why = "pods/exec and pods/attach run commands in a running container (with its "
                   "service-account token and secrets), pods/portforward reaches its ports from "
                   "outside the network policies; before v1.35 a WebSocket exec needed only get, "
                   "so get counts as well as create; Kubernetes' own bootstrap bindings are not "
                   "reported",
            .fix = "remove pods/exec, pods/attach and pods/portforward from everyday roles; grant "
                   "them for debugging through a separate, time-limited binding",
            .refs = "Kubernetes documentation: Role Based Access Control Good Practices; Kubernetes "
                    "feature gate AuthorizePodWebsocketUpgradeCreatePermission",
            .since = "0.2.0",
        },
        .check_set = kh_rbac__pod_exec,
        .kinds = kh_rbac__risk_kinds,
        .fields = kh_rbac__risk_fields,
    },
    {
        .info = {
            .id = "rbac.secrets-read",
            .area = KH_AREA_RBAC,
            .severity = KH_SEVERITY_HIGH,
            .title = "a binding grants reading secrets cluster-wide or in a sensitive namespace",
            .why = "get, list or watch on secrets returns their values (list returns them all); a "
                   "ClusterRoleBinding reaches every namespace, and kube-system and namespaces "
                   "labelled kubeharden.io/sensitive=true hold credentials worth a cluster; "
                   "reading one named secret (resourceNames) is not reported, nor are Kubernetes' "
                   "own bootstrap bindings",
            .fix = "grant secret reads per namespace and, where possible, per secret with "
                   "resourceNames; mount secrets into pods instead of reading them through the API",
            .refs = "Kubernetes documentation: Role Based Access Control Good Practices (Listing "
                    "secrets); CIS Kubernetes Benchmark 5.1.2",
            .since = "0.2.0",
        },
        .check_set = kh_rbac__secrets_read,
        .kinds = kh_rbac__risk_kinds,
        .fields = kh_rbac__risk_fields,
    },
    {
        .info = {
            .id = "rbac.serviceaccount-token-create",
            .area = KH_AREA_RBAC,
            .severity = KH_SEVERITY_HIGH,
            .title = "a binding grants creating service account tokens",
            .why = "create on serviceaccounts/token mints a token for any service account it "
                   "covers, so its holder acts with every permission of those accounts; "
                   "Kubernetes' own bootstrap bindings are not reported",
            .fix = "leave token requests to the kubelet and controllers; limit any other grant to "
                   "one account with resourceNames",
            .refs = "Kubernetes documentation: Role Based Access Control Good Practices (Token "
                    "request); CIS Kubernetes Benchmark 5.1.13",
            .since = "0.2.0",
        },
        .check_set = kh_rbac__serviceaccount_token_create,
        .kinds = kh_rbac__risk_kinds,
        .fields = kh_rbac__risk_fields,
    },
    {
        .info = {
            .id = "rbac.unused-serviceaccount-with-permissions",
            .area = KH_AREA_RBAC,
            .severity = KH_SEVERITY_LOW,
            .title = "a service account with permissions is used by no pod",
            .why = "an account that no pod or workload runs as, yet holds a binding, is a "
                   "credential nobody needs: its tokens (a legacy token secret, or one minted with "
                   "serviceaccounts/token) are all it is good for. Judged only when the input "
                   "holds pods or workloads; accounts that only Kubernetes' own bindings grant "
                   "(the controllers' accounts in kube-system) are left out",
            .fix = "delete the account and its bindings, or the bindings alone",
            .refs = "Kubernetes documentation: Role Based Access Control Good Practices (Periodic "
                    "review)",
            .since = "0.2.0",
        },
        .check_set = kh_rbac__unused_serviceaccount_with_permissions,
        .kinds = kh_rbac__risk_kinds,
        .fields = kh_rbac__risk_fields,
    },
    {
        .info = {
            .id = "rbac.wildcard-resources",
            .area = KH_AREA_RBAC,
            .severity = KH_SEVERITY_MEDIUM,
            .title = "a binding grants a rule with '*' resources",
            .why = "'*' in resources matches every resource of the rule's groups and subresource, "
                   "including those added later by upgrades and CustomResourceDefinitions, so the "
                   "grant widens without anyone changing it; rules with '*' everything are "
                   "rbac.cluster-admin-binding's, and Kubernetes' own bootstrap bindings are not "
                   "reported",
            .fix = "list the resources the subject needs",
            .refs = "Kubernetes documentation: Role Based Access Control Good Practices (Least "
                    "privilege); CIS Kubernetes Benchmark 5.1.3",
            .since = "0.2.0",
        },
        .check_set = kh_rbac__wildcard_resources,
        .kinds = kh_rbac__risk_kinds,
        .fields = kh_rbac__risk_fields,
    },
    {
        .info = {
            .id = "rbac.wildcard-verbs",
            .area = KH_AREA_RBAC,
            .severity = KH_SEVERITY_MEDIUM,
            .title = "a binding grants a rule with '*' verbs",
            .why = "'*' in verbs matches every verb, including escalate, bind, impersonate and any "
                   "verb added later, so the grant is wider than anyone reading it expects; rules "
                   "with '*' everything are rbac.cluster-admin-binding's, and Kubernetes' own "
                   "bootstrap bindings are not reported",
            .fix = "list the verbs the subject needs (get, list, watch for reading)",
            .refs = "Kubernetes documentation: Role Based Access Control Good Practices (Least "
                    "privilege); CIS Kubernetes Benchmark 5.1.3",
            .since = "0.2.0",
        },
        .check_set = kh_rbac__wildcard_verbs,
        .kinds = kh_rbac__risk_kinds,
        .fields = kh_rbac__risk_fields,
    },
    {
        .info = {
            .id = "rbac.workload-powerful-token",
            .area = KH_AREA_RBAC,
            .severity = KH_SEVERITY_HIGH,
            .title = "a workload mounts the token of a powerful service account",
            .why = "the pods run as a service account that can become cluster-admin-equivalent (it "
                   "holds that power or has an escalation path to it) and mount its token "
                   "(automountServiceAccountToken is not false on the pod nor the account), so "
                   "anyone who breaks into one container owns the cluster; pods whose controller "
                   "is in the input are reported through it",
            .fix = "give the workload its own least-privileged account, or set "
                   "automountServiceAccountToken: false where it needs no API access",
            .refs = "Kubernetes documentation: Configure Service Accounts for Pods; CIS Kubernetes "
                    "Benchmark 5.1.6",
            .since = "0.2.0",
        },
        .check_set = kh_rbac__workload_powerful_token,
        .kinds = kh_rbac__risk_kinds,
        .fields = kh_rbac__risk_fields,
    },
    {
        .info = {
            .id = "workload.credential-in-env",
            .area = KH_AREA_WORKLOAD,
            .severity = KH_SEVERITY_HIGH,
            .title = "credential passed as a literal environment variable",
            .why = "a literal env value sits in the manifest, in Git, in the API server's "
                   "storage and in every kubectl get -o yaml, readable by anyone who can read "
                   "the workload. A variable whose name reads as a credential (PASSWORD, "
                   "PASSWD, PASS, PASSPHRASE, SECRET, TOKEN, CREDENTIAL, API KEY, PRIVATE KEY, "
                   "ACCESS KEY, SECRET KEY and the like, in any case, as a word or at a word's "
                   "end) is reported when its value is a literal (not empty, not using a "
                   "$(VAR) reference, not a flag such as true or 1, not an absolute file "
                   "path) or comes from a ConfigMap; names ending in a word such as FILE, "
                   "PATH, URL, NAME or ID are about a secret, not the secret, and are "
                   "skipped. Whatever the name, a literal value that holds a well-known "
                   "secret format is reported too: a PEM private key, an AWS access key id "
                   "(AKIA...), a GitHub (ghp_, gho_, ghu_, ghs_, ghr_, github_pat_), GitLab "
                   "(glpat-), Slack (xoxb- and the like), npm or Stripe live token, a Google "
                   "API key (AIza...), a JSON Web Token, or a password written in a URL "
                   "(scheme://user:password@host). The value is never printed",
            .fix = "keep the value in a Secret and use env[].valueFrom.secretKeyRef (or mount "
                   "the Secret as a file); rotate any credential that was committed",
            .refs = "Kubernetes documentation: Good practices for Kubernetes Secrets; CIS "
                    "Kubernetes Benchmark 5.4.1 (prefer Secrets as files over environment "
                    "variables)",
            .since = "0.1.0",
        },
        .check = kh_workload__credential_in_env,
    },
    {
        .info = {
            .id = "workload.default-namespace",
            .area = KH_AREA_WORKLOAD,
            .severity = KH_SEVERITY_LOW,
            .title = "workload runs in the default namespace",
            .why = "the default namespace gathers unrelated workloads under the same "
                   "policies, quotas and RBAC, and is where mistakes land",
            .fix = "deploy into a namespace of its own with its own policies",
            .refs = "Kubernetes documentation: Namespaces; CIS Kubernetes Benchmark 5.7.4",
            .since = "0.1.0",
        },
        .check = kh_workload__default_namespace,
    },
    {
        .info = {
            .id = "workload.host-aliases",
            .area = KH_AREA_WORKLOAD,
            .severity = KH_SEVERITY_LOW,
            .title = "pod overrides /etc/hosts with hostAliases",
            .why = "hostAliases write fixed name-to-address mappings into the pod's "
                   "/etc/hosts, bypassing cluster DNS and the controls built on it, and can "
                   "quietly send a name's traffic to another address",
            .fix = "remove hostAliases and publish the name in DNS (a Service, an ExternalName "
                   "Service or a DNS record)",
            .refs = "Kubernetes documentation: Adding entries to Pod /etc/hosts with "
                    "HostAliases",
            .since = "0.1.0",
        },
        .check = kh_workload__host_aliases,
    },
    {
        .info = {
            .id = "workload.host-user-namespace",
            .area = KH_AREA_WORKLOAD,
            .severity = KH_SEVERITY_INFO,
            .title = "pod could run in its own user namespace (hostUsers: false)",
            .why = "with hostUsers: false the pod's user ids are mapped to unprivileged ids on "
                   "the node, so root in a container, or a process that escapes it, is not "
                   "root on the node. The suggestion is not made for pods that share a host "
                   "namespace (hostNetwork, hostPID, hostIPC), which user namespaces do not "
                   "allow, nor for Windows pods",
            .fix = "set spec.hostUsers: false (user namespaces are beta since Kubernetes 1.30 "
                   "and on by default since 1.33; nodes need a recent kernel and a runtime "
                   "that supports them)",
            .refs = "Kubernetes documentation: User Namespaces (KEP-127)",
            .since = "0.1.0",
        },
        .check = kh_workload__host_user_namespace,
    },
    {
        .info = {
            .id = "workload.no-liveness-probe",
            .area = KH_AREA_WORKLOAD,
            .severity = KH_SEVERITY_LOW,
            .title = "container has no liveness probe",
            .why = "a container that hangs without exiting is never restarted when it has no "
                   "liveness probe. Init and ephemeral containers, Jobs, CronJobs and pods "
                   "that run to completion (restartPolicy Never or OnFailure, or owned by a "
                   "Job) are skipped: probes there are meaningless",
            .fix = "add a livenessProbe (httpGet, tcpSocket, grpc or exec) that fails only "
                   "when a restart would help",
            .refs = "Kubernetes documentation: Configure Liveness, Readiness and Startup Probes",
            .since = "0.1.0",
        },
        .check = kh_workload__no_liveness_probe,
    },
    {
        .info = {
            .id = "workload.no-readiness-probe",
            .area = KH_AREA_WORKLOAD,
            .severity = KH_SEVERITY_LOW,
            .title = "container has no readiness probe",
            .why = "a container without a readiness probe gets Service traffic as soon as it "
                   "starts and keeps getting it while it cannot serve, and rolling updates "
                   "cannot wait for new pods to be ready. The same containers and pods as for "
                   "liveness probes are skipped",
            .fix = "add a readinessProbe that succeeds only when the container can serve "
                   "requests",
            .refs = "Kubernetes documentation: Configure Liveness, Readiness and Startup Probes",
            .since = "0.1.0",
        },
        .check = kh_workload__no_readiness_probe,
    },
    {
        .info = {
            .id = "workload.no-resource-limits",
            .area = KH_AREA_WORKLOAD,
            .severity = KH_SEVERITY_MEDIUM,
            .title = "container has no CPU or memory limit",
            .why = "without limits one container can exhaust its node's memory or CPU "
                   "and starve or evict its neighbours",
            .fix = "set resources.limits.memory and resources.limits.cpu (or a "
                   "LimitRange default in the namespace)",
            .refs = "Kubernetes documentation: Resource Management for Pods and Containers",
            .since = "0.1.0",
        },
        .check = kh_workload__no_resource_limits,
    },
    {
        .info = {
            .id = "workload.no-resource-requests",
            .area = KH_AREA_WORKLOAD,
            .severity = KH_SEVERITY_LOW,
            .title = "container has no CPU or memory request",
            .why = "without requests the scheduler cannot place the pod sensibly and it "
                   "is the first to be evicted under pressure",
            .fix = "set resources.requests.cpu and resources.requests.memory",
            .refs = "Kubernetes documentation: Resource Management for Pods and Containers",
            .since = "0.1.0",
        },
        .check = kh_workload__no_resource_requests,
    },
    {
        .info = {
            .id = "workload.service-account-token-mounted",
            .area = KH_AREA_WORKLOAD,
            .severity = KH_SEVERITY_MEDIUM,
            .title = "pod mounts a service-account token it does not need",
            .why = "every container of the pod can read the mounted token and act as the "
                   "service account, and a pod on the namespace's default service account "
                   "almost never needs the API. The rule fires when the pod runs as the "
                   "default account (serviceAccountName unset or default) and leaves "
                   "automountServiceAccountToken unset; setting it to true or false, or "
                   "running as a dedicated service account, counts as a deliberate choice. A "
                   "default ServiceAccount that disables automounting is not visible in one "
                   "manifest: suppress the finding there",
            .fix = "set automountServiceAccountToken: false in the pod spec (or on the "
                   "namespace's default ServiceAccount), or run the pod as a dedicated service "
                   "account with only the permissions it needs",
            .refs = "CIS Kubernetes Benchmark 5.1.6 (service account tokens only where "
                    "necessary); Kubernetes documentation: Configure Service Accounts for Pods",
            .since = "0.1.0",
        },
        .check = kh_workload__service_account_token_mounted,
    },
    {
        .info = {
            .id = "workload.service-external-ips",
            .area = KH_AREA_WORKLOAD,
            .severity = KH_SEVERITY_HIGH,
            .title = "Service sets externalIPs",
            .why = "kube-proxy sends traffic for every address in externalIPs to the Service "
                   "on every node, so whoever can create a Service can intercept traffic meant "
                   "for other hosts (CVE-2020-8554)",
            .fix = "remove spec.externalIPs and use a LoadBalancer, Ingress or Gateway; forbid "
                   "the field cluster-wide with the DenyServiceExternalIPs admission plugin",
            .refs = "CVE-2020-8554; Kubernetes documentation: Service external IPs, "
                    "DenyServiceExternalIPs admission controller",
            .since = "0.1.0",
        },
        .check = kh_workload__service_external_ips,
    },
    {
        .info = {
            .id = "workload.service-load-balancer",
            .area = KH_AREA_WORKLOAD,
            .severity = KH_SEVERITY_LOW,
            .title = "Service is exposed through an external load balancer",
            .why = "a Service of type LoadBalancer gets an address reachable from outside the "
                   "cluster, by default from any address. Load balancers made internal by the "
                   "GKE, AWS, Azure or OCI annotations are not reported",
            .fix = "expose the application through an Ingress or Gateway with TLS and "
                   "authentication, make the load balancer internal, or restrict it with "
                   "spec.loadBalancerSourceRanges",
            .refs = "Kubernetes documentation: Service type LoadBalancer, internal load "
                    "balancer",
            .since = "0.1.0",
        },
        .check = kh_workload__service_load_balancer,
    },
    {
        .info = {
            .id = "workload.service-node-port",
            .area = KH_AREA_WORKLOAD,
            .severity = KH_SEVERITY_MEDIUM,
            .title = "Service is exposed on a node port",
            .why = "a Service of type NodePort opens its ports on every node's addresses, past "
                   "the load balancers, Ingress and firewall rules that guard the cluster's "
                   "entry points",
            .fix = "use a ClusterIP Service behind an Ingress or Gateway, or a LoadBalancer; "
                   "where a node port is unavoidable, restrict access to the nodes with "
                   "firewall rules",
            .refs = "Kubernetes documentation: Service type NodePort",
            .since = "0.1.0",
        },
        .check = kh_workload__service_node_port,
    },
    {
        .info = {
            .id = "workload.shared-process-namespace",
            .area = KH_AREA_WORKLOAD,
            .severity = KH_SEVERITY_MEDIUM,
            .title = "pod shares one process namespace between its containers",
            .why = "with shareProcessNamespace every container sees the other containers' "
                   "processes, can signal them, and can read their environment and files "
                   "through /proc/<pid>/root, so one compromised sidecar reaches the main "
                   "container's secrets",
            .fix = "remove shareProcessNamespace or set it to false; for troubleshooting, "
                   "attach an ephemeral debug container instead",
            .refs = "Kubernetes documentation: Share Process Namespace between Containers in a "
                    "Pod",
            .since = "0.1.0",
        },
        .check = kh_workload__shared_process_namespace,
    },
    {
        .info = {
            .id = "workload.writable-root-filesystem",
            .area = KH_AREA_WORKLOAD,
            .severity = KH_SEVERITY_MEDIUM,
            .title = "container root filesystem is writable",
            .why = "a writable root filesystem lets an attacker drop tools, change binaries "
                   "and persist inside the container. Ephemeral containers and Windows pods, "
                   "which cannot have a read-only root filesystem, are skipped",
            .fix = "set securityContext.readOnlyRootFilesystem: true and mount emptyDir "
                   "volumes where the application must write (/tmp, caches)",
            .refs = "CIS Kubernetes Benchmark 5.7.3 (apply security context); NSA/CISA "
                    "Kubernetes Hardening Guidance: immutable container file systems",
            .since = "0.1.0",
        },
        .check = kh_workload__writable_root_filesystem,
    },
};

/* The scanner keeps a waiting finding's rule as a 16-bit index. */
_Static_assert(sizeof(kh_rules) / sizeof(kh_rules[0]) <= UINT16_MAX, "rule index is 16 bits");

const kh_rule_def *kh_rules__table(size_t *count)
{
    *count = sizeof(kh_rules) / sizeof(kh_rules[0]);
    return kh_rules;
}

const kh_rule_def *kh_rules__find(const char *id)
{
    size_t lo = 0, hi = sizeof(kh_rules) / sizeof(kh_rules[0]);
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        int c = strcmp(id, kh_rules[mid].info.id);
        if (c == 0)
            return &kh_rules[mid];
        if (c < 0)
            hi = mid;
        else
            lo = mid + 1;
    }
    return NULL;
}

size_t kh_rule_count(void)
{
    return sizeof(kh_rules) / sizeof(kh_rules[0]);
}

const kh_rule_info *kh_rule_at(size_t i)
{
    return i < kh_rule_count() ? &kh_rules[i].info : NULL;
}

const kh_rule_info *kh_rule_find(const char *id)
{
    const kh_rule_def *d = id ? kh_rules__find(id) : NULL;
    return d ? &d->info : NULL;
}

static const char *const severity_names[] = {"info", "low", "medium", "high", "critical"};

const char *kh_severity_name(kh_severity s)
{
    return (unsigned)s < 5 ? severity_names[s] : "unknown";
}

int kh_severity_parse(kh_severity *out, const char *name)
{
    for (int i = 0; i < 5; i++) {
        if (strcasecmp(name, severity_names[i]) == 0) {
            *out = (kh_severity)i;
            return KH_OK;
        }
    }
    return KH_EUSAGE;
}

static const char *const area_names[] = {"pss", "workload", "image",   "rbac",    "netpol",
                                          "ha",  "controlplane", "kubelet", "manifest", "audit"};

const char *kh_area_name(kh_area a)
{
    return (unsigned)a < sizeof(area_names) / sizeof(area_names[0]) ? area_names[a]
                                                                     : "unknown";
}

int kh_area_parse(kh_area *out, const char *name)
{
    for (size_t i = 0; i < sizeof(area_names) / sizeof(area_names[0]); i++)
        if (strcmp(name, area_names[i]) == 0) {
            *out = (kh_area)i;
            return KH_OK;
        }
    return KH_EUSAGE;
}
