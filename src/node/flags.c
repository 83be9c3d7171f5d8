/*
 * flags.c -- a component's command line read as its own flag parser reads it.
 *
 * Kubernetes components use spf13/pflag with cliflag.WordSepNormalizeFunc:
 * `--name=value`, `--name value` (the next word, whatever it is), a bare
 * boolean is true (`--anonymous-auth false` leaves the flag true and
 * "false" a stray argument), '_' in a name is '-', words that are not flags
 * are skipped, "--" ends the flags, the last occurrence wins except for
 * list flags (StringSlice, MapStringBool), which accumulate.
 * etcd uses Go's flag package: `-name` equals `--name`, parsing stops at
 * the first word that is not a flag, and a flag not given takes
 * ETCD_<NAME> from the environment (etcd's flags.SetFlagsFromEnv; an empty
 * variable counts as unset). With --config-file, etcd reads only that file
 * and ignores the other flags and the environment (etcdmain config.go:
 * configFromFile); TLS settings sit under client-transport-security and
 * peer-transport-security there.
 */
#include <ctype.h>
#include <string.h>
#include <strings.h>

#include "node/audit.h"

/* Boolean flags of the components (their value needs '='). */
static const char *const bool_flags[] = {
    "allow-privileged", "alsologtostderr", "anonymous-auth", "authentication-token-webhook",
    "auto-tls", "cgroups-per-qos", "client-cert-auth", "debug", "enable-aggregator-routing",
    "enable-bootstrap-token-auth", "enable-debugging-handlers", "enable-garbage-collector",
    "enable-pprof", "enable-server", "enable-v2", "experimental-initial-corrupt-check",
    "fail-swap-on", "force-new-cluster", "help", "leader-elect", "logtostderr",
    "make-iptables-util-chains", "peer-auto-tls", "peer-client-cert-auth", "profiling",
    "protect-kernel-defaults", "register-node", "rotate-certificates",
    "rotate-server-certificates", "seccomp-default", "service-account-extend-token-expiration",
    "service-account-lookup", "strict-reconfig-check", "use-service-account-credentials",
    "version", NULL
};

/* pflag list flags: every occurrence adds to the value. */
static const char *const list_flags[] = {
    "authorization-mode", "disable-admission-plugins", "enable-admission-plugins",
    "feature-gates", "tls-cipher-suites", NULL
};

static bool in(const char *const *set, const char *name, size_t len)
{
    for (size_t i = 0; set[i]; i++)
        if (strlen(set[i]) == len && memcmp(set[i], name, len) == 0)
            return true;
    return false;
}

int kh_nd__parse_bool(const char *s)
{
    static const char *const yes[] = {"1", "t", "T", "TRUE", "true", "True", NULL};
    static const char *const no[] = {"0", "f", "F", "FALSE", "false", "False", NULL};
    if (!s)
        return -1;
    for (size_t i = 0; yes[i]; i++)
        if (strcmp(s, yes[i]) == 0)
            return 1;
    for (size_t i = 0; no[i]; i++)
        if (strcmp(s, no[i]) == 0)
            return 0;
    return -1;
}

bool kh_nd__list_has(const char *list, const char *item)
{
    size_t n = strlen(item);
    for (const char *p = list; p && *p;) {
        while (*p == ' ')
            p++;
        const char *end = strchr(p, ',');
        size_t len = end ? (size_t)(end - p) : strlen(p);
        while (len && p[len - 1] == ' ')
            len--;
        if (len == n && memcmp(p, item, n) == 0)
            return true;
        p = end ? end + 1 : NULL;
    }
    return false;
}

int kh_nd__gate(const char *gates, const char *name)
{
    /* MapStringBool: "A=true,B=false", spaces trimmed, last one wins. */
    int found = -1;
    size_t n = strlen(name);
    for (const char *p = gates; p && *p;) {
        while (*p == ' ')
            p++;
        const char *end = strchr(p, ',');
        size_t len = end ? (size_t)(end - p) : strlen(p);
        const char *eq = memchr(p, '=', len);
        if (eq) {
            size_t klen = (size_t)(eq - p);
            while (klen && p[klen - 1] == ' ')
                klen--;
            if (klen == n && memcmp(p, name, n) == 0) {
                char v[16] = "";
                size_t vlen = len - (size_t)(eq + 1 - p);
                const char *vs = eq + 1;
                while (vlen && *vs == ' ')
                    vs++, vlen--;
                while (vlen && vs[vlen - 1] == ' ')
                    vlen--;
                if (vlen < sizeof(v)) {
                    memcpy(v, vs, vlen);
                    v[vlen] = '\0';
                }
                int b = kh_nd__parse_bool(v);
                if (b >= 0)
                    found = b;
            }
        }
        p = end ? end + 1 : NULL;
    }
    return found;
}

/* Does word @p w name flag @p name (already normalised)? Sets *value to the
 * text after '=' or NULL. */
static bool names(const char *w, const char *name, bool go, const char **value)
{
    const char *p;
    if (w[0] != '-' || w[1] == '\0')
        return false;
    if (w[1] == '-')
        p = w + 2;
    else if (go)
        p = w + 1;
    else
        return false;       /* a pflag shorthand: no component's flag of interest */
    const char *eq = strchr(p, '=');
    size_t len = eq ? (size_t)(eq - p) : strlen(p);
    if (len != strlen(name))
        return false;
    for (size_t i = 0; i < len; i++) {
        char ch = p[i];
        if (!go && ch == '_')
            ch = '-';       /* WordSepNormalizeFunc */
        if (ch != name[i])
            return false;
    }
    *value = eq ? eq + 1 : NULL;
    return true;
}

/* The flag in one argv. */
static kh_nd_flag parse(kh_nd_ctx *c, const kh_nd_word *argv, size_t argc, const char *name,
                        bool go)
{
    kh_nd_flag f = {0};
    bool is_bool = in(bool_flags, name, strlen(name));
    bool is_list = !go && in(list_flags, name, strlen(name));
    for (size_t i = 1; i < argc; i++) {
        const char *w = argv[i].text;
        if (strcmp(w, "--") == 0)
            break;
        if (w[0] != '-' || w[1] == '\0') {
            if (go)
                break;      /* Go's flag package stops at the first argument */
            continue;
        }
        const char *value = NULL;
        bool match = names(w, name, go, &value);
        /* A flag of another name that takes a value consumes the next word. */
        if (!match) {
            char other[128];
            const char *p = w + (w[1] == '-' ? 2 : 1);
            size_t n = 0;
            for (; p[n] && n + 1 < sizeof(other); n++)
                other[n] = !go && p[n] == '_' ? '-' : p[n];
            other[n] = '\0';
            if (!strchr(p, '=') && !in(bool_flags, other, n) &&
                (go || w[1] == '-' || strcmp(other, "v") == 0))
                i++;
            continue;
        }
        if (!value) {
            if (is_bool)
                value = "true";
            else if (i + 1 < argc)
                value = argv[++i].text;
            else
                value = "";
        }
        if (is_list && f.set && f.value && *f.value)
            f.value = kh_arena_printf(c->arena, "%s,%s", f.value, value);
        else
            f.value = value;
        f.set = true;
        f.file = argv[i].file;
        f.line = argv[i].line;
        f.col = argv[i].col;
    }
    return f;
}

void kh_nd__etcd_config(kh_nd_ctx *c, kh_nd_comp *k)
{
    kh_nd_flag f = parse(c, k->argv, k->argc, "config-file", true);
    /* etcdmain reads ETCD_CONFIG_FILE itself when the flag is not given */
    for (size_t i = 0; !f.set && i < k->nenv; i++)
        if (strncmp(k->env[i], "ETCD_CONFIG_FILE=", 17) == 0 && k->env[i][17])
            f = (kh_nd_flag){true, k->env[i] + 17, k->environ_file, 0, 0};
    if (!f.set || !f.value[0])
        return;
    const char *path = kh_nd__comp_path(c, k, f.value[0] == '/' ? f.value
                                       : kh_arena_printf(c->arena, "/%s", f.value));
    size_t len;
    char *buf = kh_nd__read(c, path, 1 << 22, &len);
    kh_error e = {0};
    const kh_node *root = NULL;
    if (!buf)
        kh_error_set(&e, KH_EIO, path, 0, 0, "cannot read etcd --config-file '%s'", path);
    else
        kh_doc_load_buffer(&root, c->arena, buf, len, path, &e);
    if (e.code) {
        kh_nd__error(c, &e);
        return;
    }
    k->etcd_config = root;
    k->etcd_config_file = path;
}

/* A flag's place in etcd's configuration file. */
static const kh_node *etcd_key(const kh_node *root, const char *name)
{
    static const char *const tls[] = {"cert-file", "key-file", "client-cert-auth",
                                      "trusted-ca-file", "auto-tls", "crl-file", NULL};
    const char *section = "client-transport-security";
    const char *key = name;
    if (strncmp(name, "peer-", 5) == 0 && in(tls, name + 5, strlen(name + 5))) {
        section = "peer-transport-security";
        key = name + 5;
    } else if (!in(tls, name, strlen(name))) {
        return kh_node_get(root, name);
    }
    return kh_node_get(kh_node_get(root, section), key);
}

kh_nd_flag kh_nd__flag(kh_nd_ctx *c, const kh_nd_comp *k, const char *name)
{
    bool go = k->kind == KH_ND_ETCD;
    if (go && k->etcd_config && strcmp(name, "config-file") != 0) {
        kh_nd_flag f = {0};
        const kh_node *n = etcd_key(k->etcd_config, name);
        if (n && kh_node_is_scalar(n) && !kh_node_is_null(n)) {
            f.set = true;
            f.value = n->type == KH_NODE_BOOL ? (n->boolean ? "true" : "false") : kh_node_str(n);
            f.file = k->etcd_config_file;
            f.line = n->line;
            f.col = n->col;
        } else if (kh_node_is_seq(n)) {
            char *out = "";
            for (size_t i = 0; i < n->len; i++) {
                const char *s = kh_node_str(kh_node_at(n, i));
                out = kh_arena_printf(c->arena, "%s%s%s", out, i ? "," : "", s ? s : "");
            }
            f = (kh_nd_flag){true, out, k->etcd_config_file, n->line, n->col};
        }
        return f;
    }
    kh_nd_flag f = parse(c, k->argv, k->argc, name, go);
    if (go && !f.set) {
        char key[128] = "ETCD_";
        size_t n = 5;
        for (const char *p = name; *p && n + 2 < sizeof(key); p++)
            key[n++] = *p == '-' ? '_' : (char)toupper((unsigned char)*p);
        key[n++] = '=';
        key[n] = '\0';
        for (size_t i = 0; i < k->nenv; i++)
            if (strncmp(k->env[i], key, n) == 0 && k->env[i][n]) {
                f.set = true;
                f.value = k->env[i] + n;
                f.file = k->environ_file;
            }
    }
    /* Running from a manifest: point at the manifest's line when it says the same. */
    if (f.set && k->pid && k->manifest && f.line == 0) {
        kh_nd_flag m = parse(c, k->margv, k->margc, name, go);
        if (m.set && strcmp(m.value, f.value) == 0)
            f = m;
    }
    return f;
}
