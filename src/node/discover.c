/*
 * discover.c -- which Kubernetes components run on the node, and how.
 *
 * Processes come from ROOT/proc/<pid>/cmdline (NUL-separated argv; a
 * component is known by the base name of argv[0], or argv[1] after
 * "hyperkube"). Static pod manifests come from the kubelet's
 * staticPodPath (default /etc/kubernetes/manifests): each container whose
 * command names a component gives its command + args with line:col, and
 * its hostPath mounts, so a path the component names can be found on the
 * node. A running process and the manifest of the same component are one
 * instance; a manifest with no process is an instance of its own (an
 * offline node image).
 */
#include <dirent.h>
#include <stdlib.h>
#include <string.h>

#include "core/array.h"
#include "node/audit.h"

static const char *const comp_names[KH_ND_NCOMP] = {
    "kube-apiserver", "kube-controller-manager", "kube-scheduler", "etcd",
    "kubelet", "kube-proxy", "containerd", "crio"
};

const char *kh_nd__comp_name(int kind)
{
    return kind >= 0 && kind < KH_ND_NCOMP ? comp_names[kind] : "node";
}

static int kind_of(const char *word)
{
    const char *base = strrchr(word, '/');
    base = base ? base + 1 : word;
    for (int k = 0; k < KH_ND_NCOMP; k++)
        if (strcmp(base, comp_names[k]) == 0)
            return k;
    return -1;
}

static kh_nd_comp *add(kh_nd_ctx *c, int kind)
{
    kh_nd_comp *k = kh_array__push(c->arena, &c->comps, &c->ncomps, sizeof(*k));
    if (k) {
        k->kind = kind;
        k->name = comp_names[kind];
        k->uid = -1;
    }
    return k;
}

/* Split a NUL-separated buffer into words. */
static size_t split(kh_nd_ctx *c, const char *buf, size_t len, const char *file,
                    kh_nd_word **out)
{
    size_t n = 0;
    for (size_t i = 0; i < len;) {
        size_t l = strnlen(buf + i, len - i);
        kh_nd_word *w = kh_array__push(c->arena, out, &n, sizeof(*w));
        if (!w)
            break;
        w->text = buf + i;
        w->file = file;
        i += l + 1;
    }
    return n;
}

static int by_pid(const void *a, const void *b)
{
    long x = strtol(*(char *const *)a, NULL, 10), y = strtol(*(char *const *)b, NULL, 10);
    return (x > y) - (x < y);
}

static void read_process(kh_nd_ctx *c, const char *pid)
{
    char path[64];
    snprintf(path, sizeof(path), "/proc/%s/cmdline", pid);
    size_t len;
    char *buf = kh_nd__read(c, path, 1 << 20, &len);
    if (!buf || len == 0)
        return;
    int kind = kind_of(buf);
    if (kind < 0 && strcmp(strrchr(buf, '/') ? strrchr(buf, '/') + 1 : buf, "hyperkube") == 0 &&
        strlen(buf) + 1 < len) {
        const char *sub = buf + strlen(buf) + 1;
        kind = kind_of(sub);
        if (kind < 0 && strncmp(sub, "kube-", 5) != 0) {
            char name[64];
            snprintf(name, sizeof(name), "kube-%s", sub);
            kind = kind_of(name);
        }
        if (kind >= 0) {        /* "hyperkube kubelet ...": argv[1] is the program */
            len -= strlen(buf) + 1;
            buf += strlen(buf) + 1;
        }
    }
    if (kind < 0)
        return;
    kh_nd_comp *k = add(c, kind);
    if (!k)
        return;
    k->pid = atoi(pid);
    k->cmdline = kh_arena_strdup(c->arena, path);
    k->argc = split(c, buf, len, k->cmdline, &k->argv);
    snprintf(path, sizeof(path), "/proc/%s/status", pid);
    const char *status = kh_nd__read(c, path, 1 << 16, NULL);
    const char *uid = status ? strstr(status, "\nUid:") : NULL;
    if (uid)
        k->uid = atoi(uid + 5);
    if (kind == KH_ND_ETCD) {
        snprintf(path, sizeof(path), "/proc/%s/environ", pid);
        const char *env = kh_nd__read(c, path, 1 << 20, &len);
        if (env) {
            kh_nd_word *words = NULL;
            size_t n = split(c, env, len, NULL, &words);
            k->env = kh_arena_calloc(c->arena, n ? n : 1, sizeof(char *));
            for (size_t i = 0; k->env && i < n; i++)
                k->env[k->nenv++] = words[i].text;
            k->environ_file = kh_arena_strdup(c->arena, path);
        }
    }
}

static void scan_proc(kh_nd_ctx *c)
{
    const char *dir = kh_nd__path(c, "/proc", false);
    DIR *d = dir ? opendir(dir) : NULL;
    if (!d)
        return;
    char **pids = NULL;
    size_t n = 0;
    struct dirent *e;
    while ((e = readdir(d))) {
        if (!e->d_name[0] || strspn(e->d_name, "0123456789") != strlen(e->d_name))
            continue;
        char **slot = kh_array__push(c->arena, &pids, &n, sizeof(*slot));
        if (slot)
            *slot = kh_arena_strdup(c->arena, e->d_name);
    }
    closedir(d);
    if (n)
        qsort(pids, n, sizeof(*pids), by_pid);
    for (size_t i = 0; i < n; i++)
        read_process(c, pids[i]);
}

/* ----------------------------------------------------------- manifests */

static void words_of(kh_nd_ctx *c, const kh_node *seq, const char *file, kh_nd_word **out,
                     size_t *n)
{
    for (size_t i = 0; kh_node_is_seq(seq) && i < seq->len; i++) {
        const kh_node *item = kh_node_at(seq, i);
        const char *text = kh_node_str(item);
        kh_nd_word *w = text ? kh_array__push(c->arena, out, n, sizeof(*w)) : NULL;
        if (!w)
            continue;
        w->text = text;
        w->file = file;
        w->line = item->line;
        w->col = item->col;
    }
}

static void mounts_of(kh_nd_ctx *c, kh_nd_comp *k, const kh_node *spec, const kh_node *ctr)
{
    const kh_node *vms = kh_node_get(ctr, "volumeMounts");
    const kh_node *vols = kh_node_get(spec, "volumes");
    for (size_t i = 0; kh_node_is_seq(vms) && i < vms->len; i++) {
        const kh_node *vm = kh_node_at(vms, i);
        const char *name = kh_node_str(kh_node_get(vm, "name"));
        const char *mp = kh_node_str(kh_node_get(vm, "mountPath"));
        const char *sub = kh_node_str(kh_node_get(vm, "subPath"));
        if (!name || !mp)
            continue;
        for (size_t j = 0; kh_node_is_seq(vols) && j < vols->len; j++) {
            const kh_node *v = kh_node_at(vols, j);
            const char *vn = kh_node_str(kh_node_get(v, "name"));
            const char *hp = kh_node_str(kh_node_path(v, "hostPath.path"));
            if (!vn || !hp || strcmp(vn, name) != 0)
                continue;
            kh_nd_mount *m = kh_array__push(c->arena, &k->mounts, &k->nmounts, sizeof(*m));
            if (m) {
                m->mount_path = mp;
                m->host_path = sub && *sub ? kh_arena_printf(c->arena, "%s/%s", hp, sub) : hp;
            }
        }
    }
}

static void take_pod(kh_nd_ctx *c, const kh_node *root, const char *file)
{
    const char *kind = kh_node_str(kh_node_get(root, "kind"));
    if (!kind || strcmp(kind, "Pod") != 0)
        return;
    const kh_node *spec = kh_node_get(root, "spec");
    const kh_node *ctrs = kh_node_get(spec, "containers");
    for (size_t i = 0; kh_node_is_seq(ctrs) && i < ctrs->len; i++) {
        const kh_node *ctr = kh_node_at(ctrs, i);
        kh_nd_word *w = NULL;
        size_t n = 0;
        words_of(c, kh_node_get(ctr, "command"), file, &w, &n);
        words_of(c, kh_node_get(ctr, "args"), file, &w, &n);
        int which = n ? kind_of(w[0].text) : -1;
        if (which < 0)
            continue;
        /* Attach to the running instances of the component, else stand alone. */
        bool attached = false;
        for (size_t j = 0; j < c->ncomps; j++) {
            kh_nd_comp *k = &c->comps[j];
            if (k->kind != which || !k->pid || k->manifest)
                continue;
            k->manifest = file;
            k->margv = w;
            k->margc = n;
            mounts_of(c, k, spec, ctr);
            attached = true;
        }
        if (attached)
            continue;
        kh_nd_comp *k = add(c, which);
        if (!k)
            return;
        k->manifest = file;
        k->margv = k->argv = w;
        k->margc = k->argc = n;
        mounts_of(c, k, spec, ctr);
    }
}

static int by_name(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

static bool manifest_name(const char *name)
{
    static const char *const exts[] = {".yaml", ".yml", ".json", ".manifest", NULL};
    size_t n = strlen(name);
    if (name[0] == '.')
        return false;   /* the kubelet ignores hidden files in staticPodPath */
    for (size_t i = 0; exts[i]; i++) {
        size_t e = strlen(exts[i]);
        if (n > e && strcmp(name + n - e, exts[i]) == 0)
            return true;
    }
    return false;
}

static void read_manifest(kh_nd_ctx *c, const char *file)
{
    size_t len;
    char *buf = kh_nd__read(c, file, 1 << 24, &len);
    if (!buf)
        return;
    kh_doc_reader *r = NULL;
    kh_error err = {0};
    if (kh_doc_reader_new_buffer(&r, buf, len, file, &err) != KH_OK) {
        kh_nd__error(c, &err);
        return;
    }
    for (;;) {
        kh_doc doc;
        int rc = kh_doc_reader_next(r, c->arena, &doc, &err);
        if (rc == 0)
            break;
        if (rc < 0) {
            kh_nd__error(c, &err);
            if (rc == KH_EIO || rc == KH_ENOMEM)
                break;
            continue;
        }
        take_pod(c, doc.root, file);
    }
    kh_doc_reader_free(r);
}

static void scan_manifests(kh_nd_ctx *c, const char *dir)
{
    const char *host = kh_nd__path(c, dir, false);
    DIR *d = host ? opendir(host) : NULL;
    if (!d) {
        /* staticPodPath may name one file */
        struct stat st;
        if (kh_nd__stat(c, dir, &st, false) == 0 && S_ISREG(st.st_mode))
            read_manifest(c, dir);
        return;
    }
    char **names = NULL;
    size_t n = 0;
    struct dirent *e;
    while ((e = readdir(d))) {
        if (!manifest_name(e->d_name))
            continue;
        char **slot = kh_array__push(c->arena, &names, &n, sizeof(*slot));
        if (slot)
            *slot = kh_arena_printf(c->arena, "%s%s%s", dir,
                                    dir[strlen(dir) - 1] == '/' ? "" : "/", e->d_name);
    }
    closedir(d);
    if (n)
        qsort(names, n, sizeof(*names), by_name);
    for (size_t i = 0; i < n; i++)
        read_manifest(c, names[i]);
}

static int by_kind(const void *a, const void *b)
{
    const kh_nd_comp *x = a, *y = b;
    if (x->kind != y->kind)
        return x->kind - y->kind;
    if (!x->pid != !y->pid)
        return x->pid ? -1 : 1;
    return (x->pid > y->pid) - (x->pid < y->pid);
}

void kh_nd__discover(kh_nd_ctx *c)
{
    scan_proc(c);
    bool kubelet = false;
    for (size_t i = 0; i < c->ncomps; i++)
        kubelet |= c->comps[i].kind == KH_ND_KUBELET;
    if (!kubelet)
        kh_nd__kubelet_from_systemd(c);
    /* The kubelet's staticPodPath tells where manifests are. */
    const char *static_dir = NULL;
    for (size_t i = 0; i < c->ncomps; i++)
        if (c->comps[i].kind == KH_ND_KUBELET) {
            kh_nd__kubelet_load(c, &c->comps[i]);
            kh_nd_setting s = kh_nd__kubelet(c, &c->comps[i], "pod-manifest-path");
            if (!static_dir && s.value && s.value[0] == '/')
                static_dir = s.value;
        }
    scan_manifests(c, "/etc/kubernetes/manifests");
    if (static_dir && strcmp(static_dir, "/etc/kubernetes/manifests") != 0 &&
        strcmp(static_dir, "/etc/kubernetes/manifests/") != 0)
        scan_manifests(c, static_dir);
    if (c->ncomps)
        qsort(c->comps, c->ncomps, sizeof(*c->comps), by_kind);
    for (size_t i = 0; i < c->ncomps; i++)
        if (c->comps[i].kind == KH_ND_ETCD)
            kh_nd__etcd_config(c, &c->comps[i]);
}

const char *kh_nd__comp_path(kh_nd_ctx *c, const kh_nd_comp *k, const char *path)
{
    /* The longest mountPath that holds the path wins, as in the container. */
    const kh_nd_mount *best = NULL;
    size_t best_len = 0;
    for (size_t i = 0; i < k->nmounts; i++) {
        const char *mp = k->mounts[i].mount_path;
        size_t n = strlen(mp);
        while (n > 1 && mp[n - 1] == '/')
            n--;
        if (strncmp(path, mp, n) == 0 && (path[n] == '/' || path[n] == '\0') && n >= best_len) {
            best = &k->mounts[i];
            best_len = n;
        }
    }
    if (!best)
        return path;
    return kh_arena_printf(c->arena, "%s%s", best->host_path, path + best_len);
}
