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
void kh_pss__proc_mount(kh_rule_ctx *ctx, const kh_object *obj, const kh_podspec *ps)
{
    kh_container_iter it;
    kh_container c;
    kh_container_iter_init(&it, ps);
    while (kh_container_next(&it, &c)) {
        const kh_node *sc = kh_node_get(c.node, "securityContext");
        const kh_node *pm = kh_node_get(sc, "procMount");
        if (!kh_pss__present(pm) || strcmp(kh_pss__str(pm), "Default") == 0)
            continue;
        kh_rule__report(ctx, obj, kh_rule__key(sc, "procMount"),
                        kh_rule__container_path(ctx, ps, &c, "securityContext.procMount"),
                        "procMount (container \"%s\" must not set securityContext.procMount "
                        "to \"%s\")", c.name, kh_pss__str(pm));
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

/* ------------------------------------------------------------------------
 * Host namespaces, privileged, hostPath, host ports (check_hostNamespaces,
 * check_privileged, check_hostPathVolumes, check_hostPorts: v1.0)
 * ---------------------------------------------------------------------- */

void kh_pss__privileged(kh_rule_ctx *ctx, const kh_object *obj)
{
    kh_podspec ps;
    if (!kh_object_podspec(obj, &ps))
        return;
    kh_container_iter it;
    kh_container c;
    kh_container_iter_init(&it, &ps);
    while (kh_container_next(&it, &c)) {
        const kh_node *sc = kh_node_get(c.node, "securityContext");
        if (!kh_node_is_true(kh_node_get(sc, "privileged")))
            continue;
        kh_rule__report(ctx, obj, kh_rule__key(sc, "privileged"),
                        kh_rule__container_path(ctx, &ps, &c, "securityContext.privileged"),
                        "privileged (container \"%s\" must not set "
                        "securityContext.privileged=true)", c.name);
    }
}

void kh_pss__host_namespaces(kh_rule_ctx *ctx, const kh_object *obj)
{
    static const char *const fields[] = {"hostNetwork", "hostPID", "hostIPC"};
    kh_podspec ps;
    if (!kh_object_podspec(obj, &ps))
        return;
    for (size_t i = 0; i < sizeof(fields) / sizeof(fields[0]); i++) {
        if (!kh_node_is_true(kh_node_get(ps.spec, fields[i])))
            continue;
        kh_rule__report(ctx, obj, kh_rule__key(ps.spec, fields[i]),
                        kh_pss__pod_path(ctx, &ps, fields[i]),
                        "host namespaces (%s=true)", fields[i]);
    }
}

void kh_pss__host_path_volumes(kh_rule_ctx *ctx, const kh_object *obj)
{
    kh_podspec ps;
    if (!kh_object_podspec(obj, &ps))
        return;
    const kh_node *volumes = kh_node_get(ps.spec, "volumes");
    if (!kh_node_is_seq(volumes))
        return;
    for (size_t i = 0; i < volumes->len; i++) {
        const kh_node *vol = kh_node_at(volumes, i);
        /* `hostPath: null` is no volume source at all; anything else,
         * even an empty mapping, is a hostPath volume to the API server. */
        if (!kh_pss__present(kh_node_get(vol, "hostPath")))
            continue;
        kh_rule__report(ctx, obj, kh_rule__key(vol, "hostPath"),
                        kh_arena_printf(ctx->arena, "%s.volumes[%zu].hostPath", ps.path, i),
                        "hostPath volumes (volume \"%s\")",
                        kh_pss__str(kh_node_get(vol, "name")));
    }
}

void kh_pss__host_ports(kh_rule_ctx *ctx, const kh_object *obj)
{
    kh_podspec ps;
    if (!kh_object_podspec(obj, &ps))
        return;
    kh_container_iter it;
    kh_container c;
    kh_container_iter_init(&it, &ps);
    while (kh_container_next(&it, &c)) {
        const kh_node *ports = kh_node_get(c.node, "ports");
        for (size_t i = 0; kh_node_is_seq(ports) && i < ports->len; i++) {
            const kh_node *port = kh_node_at(ports, i);
            int64_t hp;
            if (!kh_pss__int(kh_node_get(port, "hostPort"), &hp) || hp == 0)
                continue;
            char suffix[64];
            snprintf(suffix, sizeof(suffix), "ports[%zu].hostPort", i);
            kh_rule__report(ctx, obj, kh_rule__key(port, "hostPort"),
                            kh_rule__container_path(ctx, &ps, &c, suffix),
                            "hostPort (container \"%s\" uses hostPort %" PRId64 ")",
                            c.name, hp);
        }
    }
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
    kh_podspec ps;
    if (!kh_object_podspec(obj, &ps))
        return;
    kh_container_iter it;
    kh_container c;
    kh_container_iter_init(&it, &ps);
    while (kh_container_next(&it, &c)) {
        const kh_node *add = kh_node_path(c.node, "securityContext.capabilities.add");
        for (size_t i = 0; kh_node_is_seq(add) && i < add->len; i++) {
            const kh_node *cap = kh_node_at(add, i);
            if (IN_LIST(kh_pss__str(cap), baseline_capabilities))
                continue;
            char suffix[64];
            snprintf(suffix, sizeof(suffix), "securityContext.capabilities.add[%zu]", i);
            kh_rule__report(ctx, obj, cap, kh_rule__container_path(ctx, &ps, &c, suffix),
                            "non-default capabilities (container \"%s\" must not include "
                            "\"%s\" in securityContext.capabilities.add)",
                            c.name, kh_pss__str(cap));
        }
    }
}

/* ------------------------------------------------------------------------
 * AppArmor (check_appArmorProfile: v1.0; the field check was added to the
 * v1.0 function in Kubernetes 1.30, so it applies at every version)
 * ---------------------------------------------------------------------- */

#define APPARMOR_PREFIX "container.apparmor.security.beta.kubernetes.io/"

static void apparmor_field(kh_rule_ctx *ctx, const kh_object *obj, const kh_podspec *ps,
                           const kh_node *sc, const kh_container *c)
{
    const kh_node *profile = kh_node_get(sc, "appArmorProfile");
    if (!kh_pss__present(profile))
        return;
    const char *type = kh_pss__str(kh_node_get(profile, "type"));
    if (strcmp(type, "RuntimeDefault") == 0 || strcmp(type, "Localhost") == 0)
        return;
    const char *suffix = "securityContext.appArmorProfile.type";
    kh_rule__report(ctx, obj, kh_pss__deepest_key(sc, "appArmorProfile.type", NULL),
                    c ? kh_rule__container_path(ctx, ps, c, suffix)
                      : kh_pss__pod_path(ctx, ps, suffix),
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
    kh_podspec ps;
    if (!kh_object_podspec(obj, &ps))
        return;
    apparmor_field(ctx, obj, &ps, kh_node_get(ps.spec, "securityContext"), NULL);
    kh_container_iter it;
    kh_container c;
    kh_container_iter_init(&it, &ps);
    while (kh_container_next(&it, &c))
        apparmor_field(ctx, obj, &ps, kh_node_get(c.node, "securityContext"), &c);
    apparmor_annotations(ctx, obj, &ps);
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

static void selinux_one(kh_rule_ctx *ctx, const kh_object *obj, const kh_podspec *ps,
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
        const char *suffix = kh_arena_printf(ctx->arena, "securityContext.seLinuxOptions.%s",
                                             fields[i]);
        const kh_node *at = kh_rule__key(opts, fields[i]);
        kh_rule__report(ctx, obj, at ? at : kh_rule__key(sc, "seLinuxOptions"),
                        c ? kh_rule__container_path(ctx, ps, c, suffix)
                          : kh_pss__pod_path(ctx, ps, suffix),
                        "seLinuxOptions (%s set forbidden securityContext.seLinuxOptions: %s)",
                        kh_pss__who(ctx, c), detail);
    }
}

void kh_pss__selinux(kh_rule_ctx *ctx, const kh_object *obj)
{
    kh_podspec ps;
    if (!kh_object_podspec(obj, &ps))
        return;
    selinux_one(ctx, obj, &ps, kh_node_get(ps.spec, "securityContext"), NULL);
    kh_container_iter it;
    kh_container c;
    kh_container_iter_init(&it, &ps);
    while (kh_container_next(&it, &c))
        selinux_one(ctx, obj, &ps, kh_node_get(c.node, "securityContext"), &c);
}

/* ------------------------------------------------------------------------
 * /proc mount (check_procMount_baseline: v1.0; v1.35 exempts pods with
 * hostUsers: false)
 * ---------------------------------------------------------------------- */

void kh_pss__proc_mount_baseline(kh_rule_ctx *ctx, const kh_object *obj)
{
    kh_podspec ps;
    if (!kh_object_podspec(obj, &ps))
        return;
    if (ctx->pss_minor >= 35 && kh_pss__user_namespace(&ps))
        return;
    kh_pss__proc_mount(ctx, obj, &ps);
}

/* ------------------------------------------------------------------------
 * Seccomp (check_seccompProfile_baseline: v1.0 reads the alpha
 * annotations, v1.19 the seccompProfile fields)
 * ---------------------------------------------------------------------- */

#define SECCOMP_POD_KEY "seccomp.security.alpha.kubernetes.io/pod"
#define SECCOMP_CONTAINER_PREFIX "container.seccomp.security.alpha.kubernetes.io/"

static bool has_container(const kh_podspec *ps, const char *name)
{
    kh_container_iter it;
    kh_container c;
    kh_container_iter_init(&it, ps);
    while (kh_container_next(&it, &c))
        if (strcmp(c.name, name) == 0)
            return true;
    return false;
}

/* Before v1.19: the pod annotation and the annotation of each container
 * the pod has; a key that is present with an empty value is forbidden. */
static void seccomp_annotations(kh_rule_ctx *ctx, const kh_object *obj,
                                const kh_podspec *ps)
{
    const kh_node *anns = kh_node_get(ps->meta, "annotations");
    for (size_t i = 0; kh_node_is_map(anns) && i < anns->len; i++) {
        const char *key = kh_node_str(anns->u.pairs[i].key);
        const char *value = kh_pss__str(anns->u.pairs[i].value);
        if (!key)
            continue;
        bool pod = strcmp(key, SECCOMP_POD_KEY) == 0;
        if (!pod && !(starts_with(key, SECCOMP_CONTAINER_PREFIX) &&
                      has_container(ps, key + strlen(SECCOMP_CONTAINER_PREFIX))))
            continue;
        if (strcmp(value, "runtime/default") == 0 || strcmp(value, "docker/default") == 0 ||
            starts_with(value, "localhost/"))
            continue;
        kh_rule__report(ctx, obj, anns->u.pairs[i].key,
                        kh_arena_printf(ctx->arena, "%s.annotations[%s]",
                                        meta_path(ctx, obj, ps), key),
                        "seccompProfile (forbidden annotation %s=\"%s\")", key, value);
    }
}

static void seccomp_field(kh_rule_ctx *ctx, const kh_object *obj, const kh_podspec *ps,
                          const kh_node *sc, const kh_container *c)
{
    const kh_node *profile = kh_node_get(sc, "seccompProfile");
    if (!kh_pss__present(profile))
        return;
    const char *type = kh_pss__str(kh_node_get(profile, "type"));
    if (kh_pss__seccomp_type_ok(type))
        return;
    const char *suffix = "securityContext.seccompProfile.type";
    kh_rule__report(ctx, obj, kh_pss__deepest_key(sc, "seccompProfile.type", NULL),
                    c ? kh_rule__container_path(ctx, ps, c, suffix)
                      : kh_pss__pod_path(ctx, ps, suffix),
                    "seccompProfile (%s must not set securityContext.seccompProfile.type "
                    "to \"%s\")", kh_pss__who(ctx, c), type);
}

void kh_pss__seccomp_baseline(kh_rule_ctx *ctx, const kh_object *obj)
{
    kh_podspec ps;
    if (!kh_object_podspec(obj, &ps))
        return;
    if (ctx->pss_minor < 19) {
        seccomp_annotations(ctx, obj, &ps);
        return;
    }
    seccomp_field(ctx, obj, &ps, kh_node_get(ps.spec, "securityContext"), NULL);
    kh_container_iter it;
    kh_container c;
    kh_container_iter_init(&it, &ps);
    while (kh_container_next(&it, &c))
        seccomp_field(ctx, obj, &ps, kh_node_get(c.node, "securityContext"), &c);
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
    kh_podspec ps;
    if (!kh_object_podspec(obj, &ps))
        return;
    const kh_node *sysctls = kh_node_path(ps.spec, "securityContext.sysctls");
    for (size_t i = 0; kh_node_is_seq(sysctls) && i < sysctls->len; i++) {
        const kh_node *item = kh_node_at(sysctls, i);
        const char *name = kh_pss__str(kh_node_get(item, "name"));
        if (sysctl_safe(name, ctx->pss_minor))
            continue;
        const kh_node *at = kh_rule__key(item, "name");
        kh_rule__report(ctx, obj, at ? at : item,
                        kh_arena_printf(ctx->arena, "%s.securityContext.sysctls[%zu].name",
                                        ps.path, i),
                        "forbidden sysctls (%s)", name);
    }
}

/* ------------------------------------------------------------------------
 * Windows HostProcess (check_windowsHostProcess: v1.0)
 * ---------------------------------------------------------------------- */

static void host_process_one(kh_rule_ctx *ctx, const kh_object *obj, const kh_podspec *ps,
                             const kh_node *sc, const kh_container *c)
{
    const kh_node *wo = kh_node_get(sc, "windowsOptions");
    if (!kh_node_is_true(kh_node_get(wo, "hostProcess")))
        return;
    const char *suffix = "securityContext.windowsOptions.hostProcess";
    kh_rule__report(ctx, obj, kh_rule__key(wo, "hostProcess"),
                    c ? kh_rule__container_path(ctx, ps, c, suffix)
                      : kh_pss__pod_path(ctx, ps, suffix),
                    "hostProcess (%s must not set "
                    "securityContext.windowsOptions.hostProcess=true)", kh_pss__who(ctx, c));
}

void kh_pss__windows_host_process(kh_rule_ctx *ctx, const kh_object *obj)
{
    kh_podspec ps;
    if (!kh_object_podspec(obj, &ps))
        return;
    host_process_one(ctx, obj, &ps, kh_node_get(ps.spec, "securityContext"), NULL);
    kh_container_iter it;
    kh_container c;
    kh_container_iter_init(&it, &ps);
    while (kh_container_next(&it, &c))
        host_process_one(ctx, obj, &ps, kh_node_get(c.node, "securityContext"), &c);
}

/* ------------------------------------------------------------------------
 * Probe and lifecycle hosts (check_hostProbesAndhostLifecycle: v1.34)
 * ---------------------------------------------------------------------- */

static void probe_hosts(kh_rule_ctx *ctx, const kh_object *obj, const kh_podspec *ps,
                        const kh_container *c, const char *handler_path)
{
    static const char *const actions[] = {"httpGet", "tcpSocket"};
    const kh_node *handler = kh_node_path(c->node, handler_path);
    for (size_t i = 0; i < sizeof(actions) / sizeof(actions[0]); i++) {
        const kh_node *action = kh_node_get(handler, actions[i]);
        const char *host = kh_pss__str(kh_node_get(action, "host"));
        if (!*host)
            continue;
        kh_rule__report(ctx, obj, kh_rule__key(action, "host"),
                        kh_rule__container_path(
                            ctx, ps, c,
                            kh_arena_printf(ctx->arena, "%s.%s.host", handler_path,
                                            actions[i])),
                        "probe or lifecycle host (container \"%s\" uses probe or lifecycle "
                        "host \"%s\")", c->name, host);
    }
}

void kh_pss__host_probes(kh_rule_ctx *ctx, const kh_object *obj)
{
    static const char *const handlers[] = {"livenessProbe", "readinessProbe",
                                           "startupProbe", "lifecycle.postStart",
                                           "lifecycle.preStop"};
    kh_podspec ps;
    if (ctx->pss_minor < 34 || !kh_object_podspec(obj, &ps))
        return;
    kh_container_iter it;
    kh_container c;
    kh_container_iter_init(&it, &ps);
    while (kh_container_next(&it, &c))
        for (size_t i = 0; i < sizeof(handlers) / sizeof(handlers[0]); i++)
            probe_hosts(ctx, obj, &ps, &c, handlers[i]);
}
