/*
 * kubeconfig.c -- kubeconfig files read and merged as kubectl reads them.
 *
 * client-go's ClientConfigLoadingRules.Load: an explicit --kubeconfig is
 * read alone and must exist; else every file of KUBECONFIG (deduplicated,
 * missing and empty entries skipped), else ~/.kube/config. For the named
 * maps (clusters, users, contexts) the first file to define a name wins
 * whole; for plain values (current-context) the first file that sets a
 * non-empty one wins. Relative paths resolve against the directory of the
 * file that named them. The chosen context is then resolved into one
 * kh_rest_config; without any kubeconfig the pod's service account is used.
 */
#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "client/internal.h"
#include "core/file.h"

#define SA_DIR "/var/run/secrets/kubernetes.io/serviceaccount"

/* ------------------------------------------------------------------ paths */

/* Go's filepath.Clean for absolute paths: no ".", no "..", no "//". */
static char *clean_path(kh_arena *a, const char *p)
{
    size_t n = strlen(p);
    char *out = kh_arena_alloc(a, n + 2);
    if (!out)
        return NULL;
    size_t o = 0;
    bool rooted = p[0] == '/';
    if (rooted)
        out[o++] = '/';
    size_t i = 0;
    while (i < n) {
        while (i < n && p[i] == '/')
            i++;
        size_t s = i;
        while (i < n && p[i] != '/')
            i++;
        size_t len = i - s;
        if (len == 0 || (len == 1 && p[s] == '.'))
            continue;
        if (len == 2 && p[s] == '.' && p[s + 1] == '.') {
            /* Drop the last element, never above the root. */
            while (o > (rooted ? 1u : 0u) && out[o - 1] != '/')
                o--;
            if (o > (rooted ? 1u : 0u))
                o--;
            continue;
        }
        if (o > (rooted ? 1u : 0u))
            out[o++] = '/';
        memcpy(out + o, p + s, len);
        o += len;
    }
    if (o == 0)
        out[o++] = '.';
    out[o] = '\0';
    return out;
}

/* filepath.Abs(filepath.Dir(file)). */
static const char *origin_dir(kh_arena *a, const char *file)
{
    const char *full = file;
    if (file[0] != '/') {
        char cwd[PATH_MAX];
        if (!getcwd(cwd, sizeof(cwd)))
            return NULL;
        full = kh_arena_printf(a, "%s/%s", cwd, file);
        if (!full)
            return NULL;
    }
    const char *slash = strrchr(full, '/');
    char *dir = kh_arena_strndup(a, full, slash == full ? 1 : (size_t)(slash - full));
    return dir ? clean_path(a, dir) : NULL;
}

/* ResolvePaths: empty and absolute paths stay, others join the origin. */
static const char *resolve(kh_arena *a, const char *origin, const char *ref)
{
    if (!ref || !*ref)
        return NULL;
    if (ref[0] == '/' || !origin)
        return kh_arena_strdup(a, ref);
    char *joined = kh_arena_printf(a, "%s/%s", origin, ref);
    return joined ? clean_path(a, joined) : NULL;
}

/* ------------------------------------------------------------------ loading */

const kh_kc_entry *kh_kubeconfig__find(const kh_kc_list *l, const char *name)
{
    for (size_t i = 0; name && i < l->n; i++)
        if (strcmp(l->items[i].name, name) == 0)
            return &l->items[i];
    return NULL;
}

static int list_add(kh_kc_list *l, const char *name, const kh_node *value, const char *origin)
{
    if (l->n == l->cap) {
        size_t cap = l->cap ? l->cap * 2 : 8;
        kh_kc_entry *bigger = realloc(l->items, cap * sizeof(*bigger));
        if (!bigger)
            return KH_ENOMEM;
        l->items = bigger;
        l->cap = cap;
    }
    l->items[l->n++] = (kh_kc_entry){name, value, origin};
    return 0;
}

static const char *str_of(const kh_node *map, const char *key)
{
    const kh_node *v = kh_node_get(map, key);
    return v && v->type != KH_NODE_MAP && v->type != KH_NODE_SEQ ? kh_node_str(v) : NULL;
}

/* Merge one file's `clusters:` (or users, contexts) list into @p l: names
 * already defined by an earlier file keep their first definition whole. A
 * name twice in one file is an error, as client-go's conversion from the
 * v1 list to its map refuses duplicates. */
static int merge_list(kh_kc_list *l, const kh_node *root, const char *key, const char *inner,
                      const char *file, const char *origin, kh_error *err)
{
    const kh_node *seq = kh_node_get(root, key);
    if (kh_node_is_null(seq))
        return 0;
    if (!kh_node_is_seq(seq))
        return kh_error_set(err, KH_ECONFIG, file, seq->line, seq->col,
                            "'%s' must be a list", key);
    size_t first_of_file = l->n;
    for (size_t i = 0; i < seq->len; i++) {
        const kh_node *item = seq->u.items[i];
        const char *name = str_of(item, "name");
        if (!kh_node_is_map(item) || !name)
            return kh_error_set(err, KH_ECONFIG, file, item->line, item->col,
                                "each entry of '%s' needs a 'name'", key);
        const kh_node *value = kh_node_get(item, inner);
        if (value && !kh_node_is_map(value) && !kh_node_is_null(value))
            return kh_error_set(err, KH_ECONFIG, file, value->line, value->col,
                                "'%s' of %s '%s' must be a mapping", inner, key, name);
        for (size_t j = first_of_file; j < l->n; j++)
            if (strcmp(l->items[j].name, name) == 0)
                return kh_error_set(err, KH_ECONFIG, file, item->line, item->col,
                                    "duplicate name '%s' in '%s'", name, key);
        bool earlier = false;
        for (size_t j = 0; j < first_of_file; j++)
            earlier |= strcmp(l->items[j].name, name) == 0;
        if (!earlier && list_add(l, name, value, origin))
            return kh_error_set(err, KH_ENOMEM, file, 0, 0, "out of memory");
    }
    return 0;
}

static bool blank(const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (s[i] != ' ' && s[i] != '\t' && s[i] != '\n' && s[i] != '\r')
            return false;
    return true;
}

static int load_file(kh_kubeconfig *kc, const char *path, kh_error *err)
{
    char *buf = NULL;
    size_t len = 0;
    const char *file = kh_arena_strdup(&kc->arena, path);
    if (!file)
        return kh_error_set(err, KH_ENOMEM, path, 0, 0, "out of memory");
    int rc = kh_file__read(file, "kubeconfig", KH_FILE_MAX_BYTES, &buf, &len, err);
    if (rc)
        return rc;
    kc->files++;
    const kh_node *root = NULL;
    if (!blank(buf, len))
        rc = kh_doc_load_buffer(&root, &kc->arena, buf, len, file, err);
    free(buf);
    if (rc == KH_ENOMEM)
        return rc;
    if (rc) {
        /* A kubeconfig that does not parse is a configuration error; err
         * keeps the loader's message and position. */
        if (err)
            err->code = KH_ECONFIG;
        return KH_ECONFIG;
    }
    if (!root || kh_node_is_null(root))
        return 0;
    if (!kh_node_is_map(root))
        return kh_error_set(err, KH_ECONFIG, file, root->line, root->col,
                            "a kubeconfig must be a mapping");
    const char *origin = origin_dir(&kc->arena, file);
    if (!origin)
        return kh_error_set(err, KH_EIO, file, 0, 0, "cannot tell the file's directory");
    if ((rc = merge_list(&kc->clusters, root, "clusters", "cluster", file, origin, err)) ||
        (rc = merge_list(&kc->users, root, "users", "user", file, origin, err)) ||
        (rc = merge_list(&kc->contexts, root, "contexts", "context", file, origin, err)))
        return rc;
    const char *cur = str_of(root, "current-context");
    if (cur && *cur && !*kc->current_context)
        kc->current_context = cur;
    return 0;
}

static bool exists(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0;
}

int kh_kubeconfig__load(kh_kubeconfig *kc, const char *explicit_path, const char *env_list,
                        const char *home_file, kh_error *err)
{
    memset(kc, 0, sizeof(*kc));
    kh_arena_init(&kc->arena, 0);
    kc->current_context = "";
    if (explicit_path && *explicit_path) {
        if (!exists(explicit_path))
            return kh_error_set(err, KH_ECONFIG, explicit_path, 0, 0,
                                "kubeconfig '%s' does not exist", explicit_path);
        return load_file(kc, explicit_path, err);
    }
    if (env_list && *env_list) {
        char *copy = kh_arena_strdup(&kc->arena, env_list);
        if (!copy)
            return kh_error_set(err, KH_ENOMEM, NULL, 0, 0, "out of memory");
        const char *seen[256];
        size_t nseen = 0;
        for (char *save = NULL, *p = strtok_r(copy, ":", &save); p;
             p = strtok_r(NULL, ":", &save)) {
            bool dup = false;
            for (size_t i = 0; i < nseen; i++)
                dup |= strcmp(seen[i], p) == 0;
            if (dup)
                continue;
            if (nseen < sizeof(seen) / sizeof(seen[0]))
                seen[nseen++] = p;
            if (!exists(p))     /* missing files are skipped, as kubectl does */
                continue;
            int rc = load_file(kc, p, err);
            if (rc)
                return rc;
        }
        return 0;
    }
    if (home_file && exists(home_file))
        return load_file(kc, home_file, err);
    return 0;
}

void kh_kubeconfig__free(kh_kubeconfig *kc)
{
    free(kc->clusters.items);
    free(kc->users.items);
    free(kc->contexts.items);
    kh_arena_free(&kc->arena);
    memset(kc, 0, sizeof(*kc));
}

/* ---------------------------------------------------------------- resolving */

static const char *copy_str(kh_arena *a, const char *s)
{
    return s && *s ? kh_arena_strdup(a, s) : NULL;
}

static int data_field(kh_rest_config *rc, const kh_node *map, const char *key,
                      const char **out, size_t *len, kh_error *err)
{
    const char *text = str_of(map, key);
    if (!text || !*text)
        return 0;
    if (kh_base64__decode(&rc->arena, text, out, len)) {
        const kh_node *n = kh_node_get(map, key);
        return kh_error_set(err, KH_ECONFIG, NULL, n->line, n->col,
                            "'%s' is not valid base64", key);
    }
    return 0;
}

static bool truthy(const kh_node *n)
{
    if (kh_node_is_true(n))
        return true;
    const char *s = kh_node_str(n);
    return s && n->type == KH_NODE_STRING && strcmp(s, "true") == 0;
}

static int read_exec(kh_rest_config *rc, const kh_node *node, const char *origin,
                     kh_error *err)
{
    kh_arena *a = &rc->arena;
    kh_exec_config *ec = kh_arena_calloc(a, 1, sizeof(*ec));
    if (!ec)
        return kh_error_set(err, KH_ENOMEM, NULL, 0, 0, "out of memory");
    ec->api_version = copy_str(a, str_of(node, "apiVersion"));
    const char *cmd = str_of(node, "command");
    if (!cmd || !*cmd)
        return kh_error_set(err, KH_ECONFIG, NULL, node->line, node->col,
                            "exec plugin: command is empty");
    /* A command with a slash is a path (resolved like the other files); a
     * bare name is looked up in PATH when it runs. */
    ec->command = strchr(cmd, '/') ? resolve(a, origin, cmd) : copy_str(a, cmd);
    ec->interactive_mode = copy_str(a, str_of(node, "interactiveMode"));
    ec->install_hint = copy_str(a, str_of(node, "installHint"));
    ec->provide_cluster_info = truthy(kh_node_get(node, "provideClusterInfo"));
    const kh_node *args = kh_node_get(node, "args");
    if (kh_node_is_seq(args) && args->len) {
        ec->args = kh_arena_calloc(a, args->len, sizeof(char *));
        if (!ec->args)
            return kh_error_set(err, KH_ENOMEM, NULL, 0, 0, "out of memory");
        for (size_t i = 0; i < args->len; i++) {
            const char *s = kh_node_str(args->u.items[i]);
            ec->args[ec->nargs++] = kh_arena_strdup(a, s ? s : "");
        }
    }
    const kh_node *env = kh_node_get(node, "env");
    if (kh_node_is_seq(env) && env->len) {
        ec->env = kh_arena_calloc(a, env->len * 2, sizeof(char *));
        if (!ec->env)
            return kh_error_set(err, KH_ENOMEM, NULL, 0, 0, "out of memory");
        for (size_t i = 0; i < env->len; i++) {
            const char *name = str_of(env->u.items[i], "name");
            const char *value = str_of(env->u.items[i], "value");
            if (!name || !*name)
                continue;
            ec->env[2 * ec->nenv] = kh_arena_strdup(a, name);
            ec->env[2 * ec->nenv + 1] = kh_arena_strdup(a, value ? value : "");
            ec->nenv++;
        }
    }
    rc->exec = ec;
    return 0;
}

/* "host" or "host:port" without a scheme gets https://, as client-go's
 * DefaultServerURL; a trailing slash goes. */
static const char *server_url(kh_arena *a, const char *server)
{
    const char *url = strstr(server, "://") ? server : kh_arena_printf(a, "https://%s", server);
    if (!url)
        return NULL;
    size_t n = strlen(url);
    while (n > 0 && url[n - 1] == '/')
        n--;
    return kh_arena_strndup(a, url, n);
}

int kh_kubeconfig__resolve(const kh_kubeconfig *kc, const char *context, kh_rest_config *rc,
                           kh_error *err)
{
    memset(rc, 0, sizeof(*rc));
    kh_arena_init(&rc->arena, 4096);
    kh_arena *a = &rc->arena;
    const char *name = context && *context ? context : kc->current_context;
    if (!name || !*name)
        return kh_error_set(err, KH_ECONFIG, NULL, 0, 0,
                            kc->files ? "no current-context is set and no --context was given"
                                      : "no configuration has been provided: no kubeconfig "
                                        "file was found and not running in a pod");
    const kh_kc_entry *ctx = kh_kubeconfig__find(&kc->contexts, name);
    if (!ctx)
        return kh_error_set(err, KH_ECONFIG, NULL, 0, 0,
                            "context '%s' was not found in the kubeconfig", name);
    rc->context = kh_arena_strdup(a, name);
    const char *cluster_name = str_of(ctx->value, "cluster");
    const char *user_name = str_of(ctx->value, "user");
    const char *ns = str_of(ctx->value, "namespace");
    rc->namespace_ = kh_arena_strdup(a, ns && *ns ? ns : "default");
    const kh_kc_entry *cl = kh_kubeconfig__find(&kc->clusters, cluster_name);
    if (!cl)
        return kh_error_set(err, KH_ECONFIG, NULL, 0, 0,
                            "cluster '%s' of context '%s' was not found in the kubeconfig",
                            cluster_name ? cluster_name : "", name);
    const char *server = str_of(cl->value, "server");
    if (!server || !*server)
        return kh_error_set(err, KH_ECONFIG, NULL, 0, 0, "cluster '%s' has no server defined",
                            cl->name);
    rc->server = server_url(a, server);
    rc->tls_server_name = copy_str(a, str_of(cl->value, "tls-server-name"));
    rc->proxy_url = copy_str(a, str_of(cl->value, "proxy-url"));
    rc->insecure = truthy(kh_node_get(cl->value, "insecure-skip-tls-verify"));
    rc->disable_compression = truthy(kh_node_get(cl->value, "disable-compression"));
    rc->ca_file = resolve(a, cl->origin, str_of(cl->value, "certificate-authority"));
    int r = data_field(rc, cl->value, "certificate-authority-data", &rc->ca_data,
                       &rc->ca_data_len, err);
    if (r)
        return r;
    /* As client-go's validation: verifying with a CA and skipping
     * verification contradict each other. */
    if (rc->insecure && (rc->ca_file || rc->ca_data))
        return kh_error_set(err, KH_ECONFIG, NULL, 0, 0,
                            "cluster '%s': specifying a root certificates file with the "
                            "insecure flag is not allowed", cl->name);
    if (user_name && *user_name) {
        const kh_kc_entry *u = kh_kubeconfig__find(&kc->users, user_name);
        if (!u)
            return kh_error_set(err, KH_ECONFIG, NULL, 0, 0,
                                "user '%s' was not found for context '%s'", user_name, name);
        const kh_node *uv = u->value;
        rc->cert_file = resolve(a, u->origin, str_of(uv, "client-certificate"));
        rc->key_file = resolve(a, u->origin, str_of(uv, "client-key"));
        rc->token_file = resolve(a, u->origin, str_of(uv, "tokenFile"));
        rc->token = copy_str(a, str_of(uv, "token"));
        rc->username = copy_str(a, str_of(uv, "username"));
        rc->password = copy_str(a, str_of(uv, "password"));
        if ((r = data_field(rc, uv, "client-certificate-data", &rc->cert_data,
                            &rc->cert_data_len, err)) ||
            (r = data_field(rc, uv, "client-key-data", &rc->key_data, &rc->key_data_len, err)))
            return r;
        const kh_node *exec = kh_node_get(uv, "exec");
        if (kh_node_is_map(exec) && (r = read_exec(rc, exec, u->origin, err)))
            return r;
        if (kh_node_get(uv, "auth-provider"))
            return kh_error_set(err, KH_ECONFIG, NULL, 0, 0,
                                "user '%s' uses an auth-provider, which kubectl no longer "
                                "supports: use an exec plugin", u->name);
        if ((rc->cert_file || rc->cert_data) != (rc->key_file || rc->key_data))
            return kh_error_set(err, KH_ECONFIG, NULL, 0, 0,
                                "user '%s' has a client certificate without a key or a key "
                                "without a certificate", u->name);
    }
    return rc->server ? 0 : kh_error_set(err, KH_ENOMEM, NULL, 0, 0, "out of memory");
}

/* -------------------------------------------------------------- in-cluster */

static int read_small(kh_arena *a, const char *path, const char **out, kh_error *err)
{
    char *buf = NULL;
    size_t len = 0;
    int rc = kh_file__read(path, "service account file", 1 << 20, &buf, &len, err);
    if (rc)
        return rc;
    while (len && (buf[len - 1] == '\n' || buf[len - 1] == ' ' || buf[len - 1] == '\r'))
        len--;
    *out = kh_arena_strndup(a, buf, len);
    free(buf);
    return *out ? 0 : KH_ENOMEM;
}

int kh_rest_config__in_cluster(kh_rest_config *rc, const char *dir, const char *host,
                               const char *port, kh_error *err)
{
    memset(rc, 0, sizeof(*rc));
    kh_arena_init(&rc->arena, 4096);
    kh_arena *a = &rc->arena;
    rc->in_cluster = true;
    rc->context = "";
    /* net.JoinHostPort: an IPv6 address goes in brackets. */
    rc->server = strchr(host, ':') ? kh_arena_printf(a, "https://[%s]:%s", host, port)
                                   : kh_arena_printf(a, "https://%s:%s", host, port);
    rc->token_file = kh_arena_printf(a, "%s/token", dir);
    rc->ca_file = kh_arena_printf(a, "%s/ca.crt", dir);
    if (!rc->server || !rc->token_file || !rc->ca_file)
        return kh_error_set(err, KH_ENOMEM, NULL, 0, 0, "out of memory");
    const char *token = NULL;
    int r = read_small(a, rc->token_file, &token, err);
    if (r)
        return r;
    const char *ns_file = kh_arena_printf(a, "%s/namespace", dir), *ns = NULL;
    if (ns_file && exists(ns_file) && read_small(a, ns_file, &ns, NULL) == 0 && *ns)
        rc->namespace_ = ns;
    else
        rc->namespace_ = "default";
    return 0;
}

int kh_rest_config__load(kh_rest_config *rc, const char *explicit_path, const char *context,
                         kh_error *err)
{
    const char *env = getenv("KUBECONFIG");
    const char *home = getenv("HOME");
    char home_file[PATH_MAX];
    snprintf(home_file, sizeof(home_file), "%s/.kube/config", home ? home : "");
    kh_kubeconfig kc;
    int r = kh_kubeconfig__load(&kc, explicit_path, env, home ? home_file : NULL, err);
    /* As client-go's deferred loader: with no kubeconfig at all (nothing
     * explicit, no file found) a pod uses its service account. */
    const char *host = getenv("KUBERNETES_SERVICE_HOST");
    const char *port = getenv("KUBERNETES_SERVICE_PORT");
    if (r == 0 && kc.files == 0 && !(context && *context) && host && *host && port && *port) {
        kh_kubeconfig__free(&kc);
        const char *dir = getenv("KUBEHARDEN_SERVICEACCOUNT_DIR");
        return kh_rest_config__in_cluster(rc, dir && *dir ? dir : SA_DIR, host, port, err);
    }
    if (r == 0)
        r = kh_kubeconfig__resolve(&kc, context, rc, err);
    else
        memset(rc, 0, sizeof(*rc));
    /* Error positions name a kubeconfig file that lives in kc's arena. */
    if (r && err && err->file) {
        static __thread char file[PATH_MAX];
        snprintf(file, sizeof(file), "%s", err->file);
        err->file = file;
    }
    kh_kubeconfig__free(&kc);
    return r;
}

void kh_rest_config__free(kh_rest_config *rc)
{
    if (!rc)
        return;
    kh_arena_free(&rc->arena);
    memset(rc, 0, sizeof(*rc));
}

/* ------------------------------------------------------------------ base64 */

static int b64_value(unsigned char c)
{
    if (c >= 'A' && c <= 'Z')
        return c - 'A';
    if (c >= 'a' && c <= 'z')
        return c - 'a' + 26;
    if (c >= '0' && c <= '9')
        return c - '0' + 52;
    if (c == '+')
        return 62;
    if (c == '/')
        return 63;
    return -1;
}

int kh_base64__decode(kh_arena *a, const char *in, const char **out, size_t *len)
{
    size_t n = strlen(in);
    char *buf = kh_arena_alloc(a, n / 4 * 3 + 4);
    if (!buf)
        return KH_ENOMEM;
    unsigned acc = 0;
    int bits = 0, pad = 0;
    size_t o = 0, sym = 0;
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)in[i];
        if (c == '\n' || c == '\r')     /* Go's StdEncoding skips newlines */
            continue;
        if (c == '=') {
            pad++;
            sym++;
            continue;
        }
        int v = b64_value(c);
        if (v < 0 || pad)
            return KH_EINVALID;
        acc = (acc << 6) | (unsigned)v;
        bits += 6;
        sym++;
        if (bits >= 8) {
            bits -= 8;
            buf[o++] = (char)((acc >> bits) & 0xff);
        }
    }
    if (sym % 4 != 0 || pad > 2 || (pad && bits == 0))
        return KH_EINVALID;
    buf[o] = '\0';
    *out = buf;
    *len = o;
    return 0;
}
