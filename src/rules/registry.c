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

#include "rules/rules.h"

/* Sorted by id. Ids are public: never renamed, never reused. */
static const kh_rule_def kh_rules[] = {
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
        .check = kh_pss__host_path_volumes,
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
        .check = kh_pss__privileged,
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
};

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

const char *kh_area_name(kh_area a)
{
    static const char *const names[] = {"pss",  "workload", "image",        "rbac",
                                        "netpol", "ha",     "controlplane", "kubelet"};
    return (unsigned)a < sizeof(names) / sizeof(names[0]) ? names[a] : "unknown";
}
