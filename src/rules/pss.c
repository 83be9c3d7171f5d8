/*
 * pss.c -- Pod Security Standards, baseline level, and the helpers that
 * the restricted level (pss_restricted.c) shares.
 *
 * Each check mirrors one check of the upstream Pod Security admission
 * controller (k8s.io/pod-security-admission/policy/check_*.go) as it
 * behaves at policy version v1.<ctx->pss_minor>, and reports one finding
 * per offending field, worded like the API server's message for that one
 * container or field. Values are read the way the API server's Go types
 * decode them: only a YAML boolean is a bool (`yes` is true, "true" is a
 * string the API server rejects, so it never counts as true), only an
 * integer or an integral float is a number, and null is the zero value.
 * docs/pss.md lists every control, the versions where it changed, and the
 * traps the cases cover.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "rules/rules.h"

/* ------------------------------------------------------------------------
 * Shared helpers (declared in rules.h)
 * ---------------------------------------------------------------------- */

bool kh_pss__windows(const kh_podspec *ps)
{
    const char *os = kh_node_str(kh_node_get(kh_node_get(ps->spec, "os"), "name"));
    return os && strcmp(os, "windows") == 0;
}

bool kh_pss__user_namespace(const kh_podspec *ps)
{
    return kh_node_is_false(kh_node_get(ps->spec, "hostUsers"));
}

const char *kh_pss__str(const kh_node *n)
{
    const char *s = kh_node_str(n);
    return s ? s : "";
}

bool kh_pss__present(const kh_node *n)
{
    return n && n->type != KH_NODE_NULL;
}

/* Every check starts from the same pod spec, containers and security
 * contexts: the object's pod view, found once per object for all checks. */
const kh_pss_pod *kh_pss__pod(kh_rule_ctx *ctx, const kh_object *obj)
{
    return kh_rule__pod(ctx, obj);
}

bool kh_pss__int(const kh_node *n, int64_t *out)
{
    if (kh_node_int(n, out))
        return true;
    if (!n || n->type != KH_NODE_FLOAT || n->len >= 64)
        return false;
    /* An integral float (8080.0, 1e3) reaches the API server as a JSON
     * number without a fraction, which an int field accepts. */
    char buf[64];
    size_t len = 0;
    for (size_t i = 0; i < n->len; i++)
        if (n->u.text[i] != '_')
            buf[len++] = n->u.text[i];
    buf[len] = '\0';
    char *end;
    double d = strtod(buf, &end);
    if (*end || !(d > -9.0e18 && d < 9.0e18) || d != (double)(int64_t)d)
        return false;
    *out = (int64_t)d;
    return true;
}

const kh_node *kh_pss__deepest_key(const kh_node *map, const char *dotted,
                                   const kh_node *fallback)
{
    const kh_node *found = fallback;
    while (map && *dotted) {
        char key[64];
        size_t len = strcspn(dotted, ".");
        if (len >= sizeof(key))
            break;
        memcpy(key, dotted, len);
        key[len] = '\0';
        const kh_node *k = kh_rule__key(map, key);
        if (!k)
            break;
        found = k;
        map = kh_node_get(map, key);
        dotted += len + (dotted[len] == '.');
    }
    return found;
}

const char *kh_pss__pod_path(kh_rule_ctx *ctx, const kh_podspec *ps, const char *suffix)
{
    return kh_arena_printf(ctx->arena, "%s.%s", ps->path, suffix);
}

const char *kh_pss__who(kh_rule_ctx *ctx, const kh_container *c)
{
    return c ? kh_arena_printf(ctx->arena, "container \"%s\"", c->name) : "pod";
}

bool kh_pss__seccomp_type_ok(const char *type)
{
    return strcmp(type, "RuntimeDefault") == 0 || strcmp(type, "Localhost") == 0;
}

/* procMount: anything set other than "Default" (even "") is forbidden.
 * The baseline check stops here for user-namespace pods from v1.35. */
void kh_pss__proc_mount(kh_rule_ctx *ctx, const kh_object *obj, const kh_pss_pod *pod)
{
    for (size_t i = 0; i < pod->n; i++) {
        const kh_node *pm = kh_node_get(pod->sc[i], "procMount");
        if (!kh_pss__present(pm) || strcmp(kh_pss__str(pm), "Default") == 0)
            continue;
        kh_rule__report(ctx, obj, kh_rule__key(pod->sc[i], "procMount"),
                        kh_rule__container_path(ctx, &pod->ps, &pod->c[i],
                                                "securityContext.procMount"),
                        "procMount (container \"%s\" must not set securityContext.procMount "
                        "to \"%s\")", pod->c[i].name, kh_pss__str(pm));
    }
}

static bool in_list(const char *s, const char *const *list, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (strcmp(s, list[i]) == 0)
            return true;
    return false;
}

#define IN_LIST(s, list) in_list((s), (list), sizeof(list) / sizeof((list)[0]))

/* The field path of the pod's metadata: "metadata" for a Pod (and for a
 * template whose metadata is the object's), else the template's. */
static const char *meta_path(kh_rule_ctx *ctx, const kh_object *obj, const kh_podspec *ps)
{
    size_t n = strlen(ps->path);
    if (ps->meta == obj->metadata || n < 4 || strcmp(ps->path + n - 4, "spec") != 0)
        return "metadata";
    return kh_arena_printf(ctx->arena, "%.*smetadata", (int)(n - 4), ps->path);
}

static bool starts_with(const char *s, const char *prefix)
{
    return strncmp(s, prefix, strlen(prefix)) == 0;
}

/* The path of a securityContext field of the pod (c == NULL) or of a
 * container. */
static const char *sc_path(kh_rule_ctx *ctx, const kh_pss_pod *pod, const kh_container *c,
                           const char *suffix)
{
    return c ? kh_rule__container_path(ctx, &pod->ps, c, suffix)
             : kh_pss__pod_path(ctx, &pod->ps, suffix);
}

/* ------------------------------------------------------------------------
 * Host namespaces, privileged, hostPath, host ports (check_hostNamespaces,
 * check_privileged, check_hostPathVolumes, check_hostPorts: v1.0)
 * ---------------------------------------------------------------------- */

void kh_pss__privileged(kh_rule_ctx *ctx, const kh_object *obj)
{
    const kh_pss_pod *pod = kh_pss__pod(ctx, obj);
    for (size_t i = 0; pod && i < pod->n; i++) {
        if (!kh_node_is_true(kh_node_get(pod->sc[i], "privileged")))
            continue;
        kh_rule__report(ctx, obj, kh_rule__key(pod->sc[i], "privileged"),
                        sc_path(ctx, pod, &pod->c[i], "securityContext.privileged"),
                        "privileged (container \"%s\" must not set "
                        "securityContext.privileged=true)", pod->c[i].name);
    }
}

void kh_pss__host_namespaces(kh_rule_ctx *ctx, const kh_object *obj)
{
    static const char *const fields[] = {"hostNetwork", "hostPID", "hostIPC"};
    const kh_pss_pod *pod = kh_pss__pod(ctx, obj);
    for (size_t i = 0; pod && i < sizeof(fields) / sizeof(fields[0]); i++) {
        if (!kh_node_is_true(kh_node_get(pod->ps.spec, fields[i])))
            continue;
        kh_rule__report(ctx, obj, kh_rule__key(pod->ps.spec, fields[i]),
                        kh_pss__pod_path(ctx, &pod->ps, fields[i]),
                        "host namespaces (%s=true)", fields[i]);
    }
}

void kh_pss__host_path_volumes(kh_rule_ctx *ctx, const kh_object *obj)
{
    const kh_pss_pod *pod = kh_pss__pod(ctx, obj);
    const kh_node *volumes = pod ? kh_node_get(pod->ps.spec, "volumes") : NULL;
    for (size_t i = 0; kh_node_is_seq(volumes) && i < volumes->len; i++) {
        const kh_node *vol = kh_node_at(volumes, i);
        /* `hostPath: null` is no volume source at all; anything else,
         * even an empty mapping, is a hostPath volume to the API server. */
        if (!kh_pss__present(kh_node_get(vol, "hostPath")))
            continue;
        kh_rule__report(ctx, obj, kh_rule__key(vol, "hostPath"),
                        kh_arena_printf(ctx->arena, "%s.volumes[%zu].hostPath", pod->ps.path, i),
                        "hostPath volumes (volume \"%s\")",
                        kh_pss__str(kh_node_get(vol, "name")));
    }
}

static void host_ports_one(kh_rule_ctx *ctx, const kh_object *obj, const kh_pss_pod *pod,
                           const kh_container *c)
{
    const kh_node *ports = kh_node_get(c->node, "ports");
    for (size_t i = 0; kh_node_is_seq(ports) && i < ports->len; i++) {
        const kh_node *port = kh_node_at(ports, i);
        int64_t hp;
        if (!kh_pss__int(kh_node_get(port, "hostPort"), &hp) || hp == 0)
            continue;
        char suffix[64];
        snprintf(suffix, sizeof(suffix), "ports[%zu].hostPort", i);
        kh_rule__report(ctx, obj, kh_rule__key(port, "hostPort"),
                        kh_rule__container_path(ctx, &pod->ps, c, suffix),
                        "hostPort (container \"%s\" uses hostPort %" PRId64 ")", c->name, hp);
    }
}

void kh_pss__host_ports(kh_rule_ctx *ctx, const kh_object *obj)
{
    const kh_pss_pod *pod = kh_pss__pod(ctx, obj);
    for (size_t i = 0; pod && i < pod->n; i++)
        host_ports_one(ctx, obj, pod, &pod->c[i]);
}

/* ------------------------------------------------------------------------
 * Capabilities (check_capabilities_baseline: v1.0)
 * ---------------------------------------------------------------------- */

/* Compared exactly as written: "CAP_CHOWN" and "chown" are not "CHOWN". */
static const char *const baseline_capabilities[] = {
    "AUDIT_WRITE", "CHOWN",  "DAC_OVERRIDE", "FOWNER", "FSETID", "KILL",      "MKNOD",
    "NET_BIND_SERVICE", "SETFCAP", "SETGID", "SETPCAP", "SETUID", "SYS_CHROOT",
};

void kh_pss__capabilities(kh_rule_ctx *ctx, const kh_object *obj)
{
    const kh_pss_pod *pod = kh_pss__pod(ctx, obj);
    for (size_t i = 0; pod && i < pod->n; i++) {
        const kh_node *add = kh_node_get(kh_node_get(pod->sc[i], "capabilities"), "add");
        for (size_t k = 0; kh_node_is_seq(add) && k < add->len; k++) {
            const kh_node *cap = kh_node_at(add, k);
            if (IN_LIST(kh_pss__str(cap), baseline_capabilities))
                continue;
            char suffix[64];
            snprintf(suffix, sizeof(suffix), "securityContext.capabilities.add[%zu]", k);
            kh_rule__report(ctx, obj, cap, sc_path(ctx, pod, &pod->c[i], suffix),
                            "non-default capabilities (container \"%s\" must not include "
                            "\"%s\" in securityContext.capabilities.add)",
                            pod->c[i].name, kh_pss__str(cap));
        }
    }
}

/* ------------------------------------------------------------------------
 * AppArmor (check_appArmorProfile: v1.0; the field check was added to the
 * v1.0 function in Kubernetes 1.30, so it applies at every version)
 * ---------------------------------------------------------------------- */

#define APPARMOR_PREFIX "container.apparmor.security.beta.kubernetes.io/"

static void apparmor_field(kh_rule_ctx *ctx, const kh_object *obj, const kh_pss_pod *pod,
                           const kh_node *sc, const kh_container *c)
{
    const kh_node *profile = kh_node_get(sc, "appArmorProfile");
    if (!kh_pss__present(profile))
        return;
    const char *type = kh_pss__str(kh_node_get(profile, "type"));
    if (strcmp(type, "RuntimeDefault") == 0 || strcmp(type, "Localhost") == 0)
        return;
    kh_rule__report(ctx, obj, kh_pss__deepest_key(sc, "appArmorProfile.type", NULL),
                    sc_path(ctx, pod, c, "securityContext.appArmorProfile.type"),
                    "forbidden AppArmor profile (%s must not set AppArmor profile type "
                    "to \"%s\")", kh_pss__who(ctx, c), type);
}

static void apparmor_annotations(kh_rule_ctx *ctx, const kh_object *obj,
                                 const kh_podspec *ps)
{
    const kh_node *anns = kh_node_get(ps->meta, "annotations");
    for (size_t i = 0; kh_node_is_map(anns) && i < anns->len; i++) {
        const char *key = kh_node_str(anns->u.pairs[i].key);
        const char *value = kh_pss__str(anns->u.pairs[i].value);
        if (!key || !starts_with(key, APPARMOR_PREFIX) || !*value ||
            strcmp(value, "runtime/default") == 0 || starts_with(value, "localhost/"))
            continue;
        kh_rule__report(ctx, obj, anns->u.pairs[i].key,
                        kh_arena_printf(ctx->arena, "%s.annotations[%s]",
                                        meta_path(ctx, obj, ps), key),
                        "forbidden AppArmor profile (%s=\"%s\")", key, value);
    }
}

void kh_pss__apparmor(kh_rule_ctx *ctx, const kh_object *obj)
{
    const kh_pss_pod *pod = kh_pss__pod(ctx, obj);
    if (!pod)
        return;
    apparmor_field(ctx, obj, pod, pod->psc, NULL);
    for (size_t i = 0; i < pod->n; i++)
        apparmor_field(ctx, obj, pod, pod->sc[i], &pod->c[i]);
    apparmor_annotations(ctx, obj, &pod->ps);
}

/* ------------------------------------------------------------------------
 * SELinux (check_seLinuxOptions: v1.0, v1.31 adds container_engine_t)
 * ---------------------------------------------------------------------- */

static bool selinux_type_ok(const char *type, int minor)
{
    static const char *const types[] = {"", "container_t", "container_init_t",
                                        "container_kvm_t"};
    return IN_LIST(type, types) || (minor >= 31 && strcmp(type, "container_engine_t") == 0);
}

static void selinux_one(kh_rule_ctx *ctx, const kh_object *obj, const kh_pss_pod *pod,
                        const kh_node *sc, const kh_container *c)
{
    static const char *const fields[] = {"type", "user", "role"};
    const kh_node *opts = kh_node_get(sc, "seLinuxOptions");
    if (!kh_pss__present(opts))
        return;
    for (size_t i = 0; i < sizeof(fields) / sizeof(fields[0]); i++) {
        const char *value = kh_pss__str(kh_node_get(opts, fields[i]));
        const char *detail;
        if (i == 0 && !selinux_type_ok(value, ctx->pss_minor))
            detail = kh_arena_printf(ctx->arena, "type \"%s\"", value);
        else if (i > 0 && *value)
            detail = kh_arena_printf(ctx->arena, "%s may not be set", fields[i]);
        else
            continue;
        char suffix[64];
        snprintf(suffix, sizeof(suffix), "securityContext.seLinuxOptions.%s", fields[i]);
        const kh_node *at = kh_rule__key(opts, fields[i]);
        kh_rule__report(ctx, obj, at ? at : kh_rule__key(sc, "seLinuxOptions"),
                        sc_path(ctx, pod, c, suffix),
                        "seLinuxOptions (%s set forbidden securityContext.seLinuxOptions: %s)",
                        kh_pss__who(ctx, c), detail);
    }
}

void kh_pss__selinux(kh_rule_ctx *ctx, const kh_object *obj)
{
    const kh_pss_pod *pod = kh_pss__pod(ctx, obj);
    if (!pod)
        return;
    selinux_one(ctx, obj, pod, pod->psc, NULL);
    for (size_t i = 0; i < pod->n; i++)
        selinux_one(ctx, obj, pod, pod->sc[i], &pod->c[i]);
}

/* ------------------------------------------------------------------------
 * /proc mount (check_procMount_baseline: v1.0; v1.35 exempts pods with
 * hostUsers: false)
 * ---------------------------------------------------------------------- */

void kh_pss__proc_mount_baseline(kh_rule_ctx *ctx, const kh_object *obj)
{
    const kh_pss_pod *pod = kh_pss__pod(ctx, obj);
    if (!pod || (ctx->pss_minor >= 35 && kh_pss__user_namespace(&pod->ps)))
        return;
    kh_pss__proc_mount(ctx, obj, pod);
}

/* ------------------------------------------------------------------------
 * Seccomp (check_seccompProfile_baseline: v1.0 reads the alpha
 * annotations, v1.19 the seccompProfile fields)
 * ---------------------------------------------------------------------- */

#define SECCOMP_POD_KEY "seccomp.security.alpha.kubernetes.io/pod"
#define SECCOMP_CONTAINER_PREFIX "container.seccomp.security.alpha.kubernetes.io/"

static bool has_container(const kh_pss_pod *pod, const char *name)
{
    for (size_t i = 0; i < pod->n; i++)
        if (strcmp(pod->c[i].name, name) == 0)
            return true;
    return false;
}

/* Does the API server sync a Pod's seccomp annotations and fields when it
 * is created (applySeccompVersionSkew in the pod strategy's
 * PrepareForCreate, before admission)? Annotation to field from 1.19 to
 * 1.26 (kubernetes/kubernetes#91408, removed by #114947 for 1.27), field
 * to annotation from 1.19 to 1.24 (removed by #109819 for 1.25). Only a
 * Pod is synced: a workload's template is stored as written, and its
 * pods are created by a controller (a later Pod create, not this one). */
static bool syncs_annotation_to_field(const kh_rule_ctx *ctx, const kh_object *obj)
{
    return ctx->kube_minor >= 19 && ctx->kube_minor <= 26 && obj->kind &&
           strcmp(obj->kind, "Pod") == 0 && obj->group && !*obj->group;
}

static bool syncs_field_to_annotation(const kh_rule_ctx *ctx, const kh_object *obj)
{
    return ctx->kube_minor <= 24 && syncs_annotation_to_field(ctx, obj);
}

/* The seccomp annotation key of the pod (c == NULL) or of a container. */
static const char *seccomp_key(kh_rule_ctx *ctx, const kh_container *c)
{
    return c ? kh_arena_printf(ctx->arena, SECCOMP_CONTAINER_PREFIX "%s", c->name)
             : SECCOMP_POD_KEY;
}

/* podutil.SeccompFieldForAnnotation: the profile type an annotation value
 * becomes, or NULL for a value it does not convert ("", "localhost/"). */
static const char *seccomp_type_for_annotation(const char *value)
{
    if (strcmp(value, "unconfined") == 0)
        return "Unconfined";
    if (strcmp(value, "runtime/default") == 0 || strcmp(value, "docker/default") == 0)
        return "RuntimeDefault";
    if (starts_with(value, "localhost/") && value[10])
        return "Localhost";
    return NULL;
}

kh_pss_seccomp kh_pss__seccomp(kh_rule_ctx *ctx, const kh_object *obj, const kh_pss_pod *pod,
                               const kh_node *sc, const kh_container *c)
{
    kh_pss_seccomp out = {0};
    const kh_node *profile = kh_node_get(sc, "seccompProfile");
    if (kh_pss__present(profile)) {
        out.type = kh_pss__str(kh_node_get(profile, "type"));
        out.at = kh_pss__deepest_key(sc, "seccompProfile.type", NULL);
        out.path = sc_path(ctx, pod, c, "securityContext.seccompProfile.type");
        return out;
    }
    if (!syncs_annotation_to_field(ctx, obj))
        return out;
    const kh_node *anns = kh_node_get(pod->ps.meta, "annotations");
    const char *key = seccomp_key(ctx, c);
    const kh_node *at = kh_rule__key(anns, key);
    if (!at)
        return out;
    const char *value = kh_pss__str(kh_node_get(anns, key));
    out.type = seccomp_type_for_annotation(value);
    if (!out.type)
        return out;
    out.at = at;
    out.path = kh_arena_printf(ctx->arena, "%s.annotations[%s]",
                               meta_path(ctx, obj, &pod->ps), key);
    out.synced_from = kh_arena_printf(ctx->arena, "; a v1.%d API server sets it from "
                                      "annotation %s=\"%s\"", ctx->kube_minor, key, value);
    return out;
}

static void seccomp_bad_annotation(kh_rule_ctx *ctx, const kh_object *obj, const kh_node *at,
                                   const char *path, const char *key, const char *value,
                                   const char *why)
{
    kh_rule__report(ctx, obj, at, path, "seccompProfile (forbidden annotation %s=\"%s\"%s)",
                    key, value, why);
}

/* The annotation a v1.19-v1.24 API server adds for a profile set only as
 * a field (podutil.SeccompAnnotationForField). Only Unconfined becomes a
 * forbidden one: RuntimeDefault is runtime/default, a Localhost profile
 * localhost/<name>, anything else adds nothing. */
static void seccomp_synced_annotation(kh_rule_ctx *ctx, const kh_object *obj,
                                      const kh_pss_pod *pod, const kh_node *sc,
                                      const kh_container *c)
{
    const kh_node *profile = kh_node_get(sc, "seccompProfile");
    const char *key = seccomp_key(ctx, c);
    if (!kh_pss__present(profile) ||
        kh_rule__key(kh_node_get(pod->ps.meta, "annotations"), key) ||
        strcmp(kh_pss__str(kh_node_get(profile, "type")), "Unconfined") != 0)
        return;
    seccomp_bad_annotation(ctx, obj, kh_pss__deepest_key(sc, "seccompProfile.type", NULL),
                           sc_path(ctx, pod, c, "securityContext.seccompProfile.type"), key,
                           "unconfined",
                           kh_arena_printf(ctx->arena, "; a v1.%d API server sets it from "
                                           "securityContext.seccompProfile.type",
                                           ctx->kube_minor));
}

/* Before v1.19: the pod annotation and the annotation of each container
 * the pod has; a key that is present with an empty value is forbidden. */
static void seccomp_annotations(kh_rule_ctx *ctx, const kh_object *obj,
                                const kh_pss_pod *pod)
{
    const kh_node *anns = kh_node_get(pod->ps.meta, "annotations");
    for (size_t i = 0; kh_node_is_map(anns) && i < anns->len; i++) {
        const char *key = kh_node_str(anns->u.pairs[i].key);
        const char *value = kh_pss__str(anns->u.pairs[i].value);
        if (!key)
            continue;
        bool pod_key = strcmp(key, SECCOMP_POD_KEY) == 0;
        if (!pod_key && !(starts_with(key, SECCOMP_CONTAINER_PREFIX) &&
                          has_container(pod, key + strlen(SECCOMP_CONTAINER_PREFIX))))
            continue;
        if (strcmp(value, "runtime/default") == 0 || strcmp(value, "docker/default") == 0 ||
            starts_with(value, "localhost/"))
            continue;
        seccomp_bad_annotation(ctx, obj, anns->u.pairs[i].key,
                               kh_arena_printf(ctx->arena, "%s.annotations[%s]",
                                               meta_path(ctx, obj, &pod->ps), key),
                               key, value, "");
    }
    if (!syncs_field_to_annotation(ctx, obj))
        return;
    seccomp_synced_annotation(ctx, obj, pod, pod->psc, NULL);
    for (size_t i = 0; i < pod->n; i++)
        seccomp_synced_annotation(ctx, obj, pod, pod->sc[i], &pod->c[i]);
}

static void seccomp_field(kh_rule_ctx *ctx, const kh_object *obj, const kh_pss_pod *pod,
                          const kh_node *sc, const kh_container *c)
{
    kh_pss_seccomp sp = kh_pss__seccomp(ctx, obj, pod, sc, c);
    if (!sp.type || kh_pss__seccomp_type_ok(sp.type))
        return;
    kh_rule__report(ctx, obj, sp.at, sp.path,
                    "seccompProfile (%s must not set securityContext.seccompProfile.type "
                    "to \"%s\"%s)", kh_pss__who(ctx, c), sp.type,
                    sp.synced_from ? sp.synced_from : "");
}

void kh_pss__seccomp_baseline(kh_rule_ctx *ctx, const kh_object *obj)
{
    const kh_pss_pod *pod = kh_pss__pod(ctx, obj);
    if (!pod)
        return;
    if (ctx->pss_minor < 19) {
        seccomp_annotations(ctx, obj, pod);
        return;
    }
    seccomp_field(ctx, obj, pod, pod->psc, NULL);
    for (size_t i = 0; i < pod->n; i++)
        seccomp_field(ctx, obj, pod, pod->sc[i], &pod->c[i]);
}

/* ------------------------------------------------------------------------
 * Sysctls (check_sysctls: the safe list grows in v1.27, v1.29, v1.32 and
 * v1.37)
 * ---------------------------------------------------------------------- */

static const struct {
    const char *name;
    int since;                   /* first policy version that allows it */
} safe_sysctls[] = {
    {"kernel.shm_rmid_forced", 0},
    {"net.ipv4.ip_local_port_range", 0},
    {"net.ipv4.tcp_syncookies", 0},
    {"net.ipv4.ping_group_range", 0},
    {"net.ipv4.ip_unprivileged_port_start", 0},
    {"net.ipv4.ip_local_reserved_ports", 27},
    {"net.ipv4.tcp_keepalive_time", 29},
    {"net.ipv4.tcp_fin_timeout", 29},
    {"net.ipv4.tcp_keepalive_intvl", 29},
    {"net.ipv4.tcp_keepalive_probes", 29},
    {"net.ipv4.tcp_rmem", 32},
    {"net.ipv4.tcp_wmem", 32},
    {"net.ipv4.tcp_slow_start_after_idle", 37},
    {"net.ipv4.tcp_notsent_lowat", 37},
};

static bool sysctl_safe(const char *name, int minor)
{
    for (size_t i = 0; i < sizeof(safe_sysctls) / sizeof(safe_sysctls[0]); i++)
        if (minor >= safe_sysctls[i].since && strcmp(name, safe_sysctls[i].name) == 0)
            return true;
    return false;
}

void kh_pss__sysctls(kh_rule_ctx *ctx, const kh_object *obj)
{
    const kh_pss_pod *pod = kh_pss__pod(ctx, obj);
    const kh_node *sysctls = pod ? kh_node_get(pod->psc, "sysctls") : NULL;
    for (size_t i = 0; kh_node_is_seq(sysctls) && i < sysctls->len; i++) {
        const kh_node *item = kh_node_at(sysctls, i);
        const char *name = kh_pss__str(kh_node_get(item, "name"));
        if (sysctl_safe(name, ctx->pss_minor))
            continue;
        const kh_node *at = kh_rule__key(item, "name");
        kh_rule__report(ctx, obj, at ? at : item,
                        kh_arena_printf(ctx->arena, "%s.securityContext.sysctls[%zu].name",
                                        pod->ps.path, i),
                        "forbidden sysctls (%s)", name);
    }
}

/* ------------------------------------------------------------------------
 * Windows HostProcess (check_windowsHostProcess: v1.0)
 * ---------------------------------------------------------------------- */

static void host_process_one(kh_rule_ctx *ctx, const kh_object *obj, const kh_pss_pod *pod,
                             const kh_node *sc, const kh_container *c)
{
    const kh_node *wo = kh_node_get(sc, "windowsOptions");
    if (!kh_node_is_true(kh_node_get(wo, "hostProcess")))
        return;
    kh_rule__report(ctx, obj, kh_rule__key(wo, "hostProcess"),
                    sc_path(ctx, pod, c, "securityContext.windowsOptions.hostProcess"),
                    "hostProcess (%s must not set "
                    "securityContext.windowsOptions.hostProcess=true)", kh_pss__who(ctx, c));
}

void kh_pss__windows_host_process(kh_rule_ctx *ctx, const kh_object *obj)
{
    const kh_pss_pod *pod = kh_pss__pod(ctx, obj);
    if (!pod)
        return;
    host_process_one(ctx, obj, pod, pod->psc, NULL);
    for (size_t i = 0; i < pod->n; i++)
        host_process_one(ctx, obj, pod, pod->sc[i], &pod->c[i]);
}

/* ------------------------------------------------------------------------
 * Probe and lifecycle hosts (check_hostProbesAndhostLifecycle: v1.34)
 * ---------------------------------------------------------------------- */

static void handler_hosts(kh_rule_ctx *ctx, const kh_object *obj, const kh_pss_pod *pod,
                          const kh_container *c, const kh_node *handler, const char *name)
{
    static const char *const actions[] = {"httpGet", "tcpSocket"};
    for (size_t i = 0; i < sizeof(actions) / sizeof(actions[0]); i++) {
        const kh_node *action = kh_node_get(handler, actions[i]);
        const char *host = kh_pss__str(kh_node_get(action, "host"));
        if (!*host)
            continue;
        char suffix[64];
        snprintf(suffix, sizeof(suffix), "%s.%s.host", name, actions[i]);
        kh_rule__report(ctx, obj, kh_rule__key(action, "host"),
                        kh_rule__container_path(ctx, &pod->ps, c, suffix),
                        "probe or lifecycle host (container \"%s\" uses probe or lifecycle "
                        "host \"%s\")", c->name, host);
    }
}

void kh_pss__host_probes(kh_rule_ctx *ctx, const kh_object *obj)
{
    static const char *const probes[] = {"livenessProbe", "readinessProbe", "startupProbe"};
    const kh_pss_pod *pod = ctx->pss_minor >= 34 ? kh_pss__pod(ctx, obj) : NULL;
    for (size_t i = 0; pod && i < pod->n; i++) {
        const kh_container *c = &pod->c[i];
        for (size_t k = 0; k < sizeof(probes) / sizeof(probes[0]); k++)
            handler_hosts(ctx, obj, pod, c, kh_node_get(c->node, probes[k]), probes[k]);
        const kh_node *lifecycle = kh_node_get(c->node, "lifecycle");
        if (!lifecycle)
            continue;
        handler_hosts(ctx, obj, pod, c, kh_node_get(lifecycle, "postStart"),
                      "lifecycle.postStart");
        handler_hosts(ctx, obj, pod, c, kh_node_get(lifecycle, "preStop"), "lifecycle.preStop");
    }
}
