/*
 * extras.c -- kubeharden's own node checks, beyond CIS.
 *
 * Listening sockets: ROOT/proc/net/{tcp,tcp6,udp,udp6} (TCP in state LISTEN,
 * UDP bound and unconnected) mapped to their processes through the
 * "socket:[inode]" links in ROOT/proc/<pid>/fd. The dangerous ones are
 * flagged: the kubelet's unauthenticated read-only port 10255, the API
 * server's insecure port, an etcd client port on a non-loopback address
 * without --client-cert-auth; a listener of no known component is noted.
 * The OS (/etc/os-release: container-optimised or general-purpose), a
 * pending reboot (/run/reboot-required), the kernel's build date, and the
 * container runtime's user namespace support (the kubelet's
 * UserNamespacesSupport gate, the runtime running rootless or as root).
 */
#include <dirent.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "core/array.h"
#include "node/audit.h"

typedef struct listener {
    const char *proto;      /* "tcp", "tcp6", "udp", "udp6" */
    char addr[48];
    unsigned port;
    unsigned long inode;
    int pid;                /* 0 when unknown */
    const char *comm;
    const char *file;       /* /proc/net/... */
    unsigned line;
} listener;

typedef struct sockref {
    unsigned long inode;
    int pid;
} sockref;

static void add(kh_nd_ctx *c, const char *id, const char *title, const char *component,
                int status, kh_severity sev, const char *evidence, const char *expected,
                const char *fix, const char *file, unsigned line, const char *path)
{
    kh_node_result r = {
        .id = id, .section = "node", .title = title, .component = component,
        .status = status, .severity = status == KH_NODE_FAIL ? sev : KH_SEVERITY_INFO,
        .automated = 1, .evidence = evidence, .expected = expected, .fix = fix,
        .file = file ? file : "", .line = line, .path = path ? path : "",
    };
    kh_nd__result(c, &r);
}

/* ------------------------------------------------------------ sockets */

static int hexval(char ch)
{
    if (ch >= '0' && ch <= '9')
        return ch - '0';
    if (ch >= 'a' && ch <= 'f')
        return ch - 'a' + 10;
    if (ch >= 'A' && ch <= 'F')
        return ch - 'A' + 10;
    return -1;
}

/* The kernel prints each 32-bit word of the address in host byte order. */
static bool decode_addr(const char *hex, size_t len, char *out, size_t size)
{
    unsigned char b[16];
    if (len != 8 && len != 32)
        return false;
    for (size_t w = 0; w < len / 8; w++) {
        uint32_t word = 0;
        for (size_t i = 0; i < 8; i++) {
            int v = hexval(hex[w * 8 + i]);
            if (v < 0)
                return false;
            word = word << 4 | (uint32_t)v;
        }
        memcpy(b + w * 4, &word, 4);    /* back to memory order */
    }
    if (len == 8) {
        snprintf(out, size, "%u.%u.%u.%u", b[0], b[1], b[2], b[3]);
        return true;
    }
    static const unsigned char mapped[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
    if (memcmp(b, mapped, 12) == 0) {
        snprintf(out, size, "::ffff:%u.%u.%u.%u", b[12], b[13], b[14], b[15]);
        return true;
    }
    /* Plain RFC 5952 shortening of the longest zero run. */
    unsigned short g[8];
    for (int i = 0; i < 8; i++)
        g[i] = (unsigned short)(b[2 * i] << 8 | b[2 * i + 1]);
    int best = -1, best_len = 0;
    for (int i = 0; i < 8;) {
        int j = i;
        while (j < 8 && g[j] == 0)
            j++;
        if (j - i > best_len && j - i > 1) {
            best = i;
            best_len = j - i;
        }
        i = j > i ? j : i + 1;
    }
    size_t n = 0;
    out[0] = '\0';
    for (int i = 0; i < 8 && n < size; i++) {
        if (i == best) {
            n += (size_t)snprintf(out + n, size - n, "::");
            i += best_len - 1;
            continue;
        }
        n += (size_t)snprintf(out + n, size - n, "%s%x",
                              n && out[n - 1] != ':' ? ":" : "", g[i]);
    }
    return true;
}

static void read_net(kh_nd_ctx *c, const char *proto, listener **out, size_t *n)
{
    char path[32];
    snprintf(path, sizeof(path), "/proc/net/%s", proto);
    char *text = kh_nd__read(c, path, 1 << 24, NULL);
    bool tcp = proto[0] == 't';
    unsigned line = 0;
    for (char *p = text; p && *p;) {
        char *nl = strchr(p, '\n');
        if (nl)
            *nl = '\0';
        line++;
        char local[64], remote[64], st[8];
        unsigned long inode;
        /* sl local rem st tx:rx tr:when retr uid timeout inode */
        if (line > 1 && sscanf(p, " %*s %63s %63s %7s %*s %*s %*s %*s %*s %lu", local, remote,
                               st, &inode) == 4) {
            bool listening = tcp ? strcmp(st, "0A") == 0 : strcmp(st, "07") == 0;
            char *colon = strchr(local, ':');
            char *rport = strchr(remote, ':');
            if (!tcp && rport && strtoul(rport + 1, NULL, 16) != 0)
                listening = false;  /* a connected UDP socket */
            char addr[48], *end = NULL;
            unsigned long port = colon ? strtoul(colon + 1, &end, 16) : 0;
            bool ok = colon && end != colon + 1 && !*end && port <= 65535 &&
                      decode_addr(local, (size_t)(colon - local), addr, sizeof(addr));
            listener *l = listening && ok ? kh_array__push(c->arena, out, n, sizeof(*l)) : NULL;
            if (l) {        /* a line the kernel would not write is skipped */
                l->proto = proto;
                l->port = (unsigned)port;
                l->inode = inode;
                l->file = kh_arena_strdup(c->arena, path);
                l->line = line;
                memcpy(l->addr, addr, sizeof(addr));
            }
        }
        p = nl ? nl + 1 : NULL;
    }
}

static int by_inode(const void *a, const void *b)
{
    const sockref *x = a, *y = b;
    return (x->inode > y->inode) - (x->inode < y->inode);
}

/* socket inode -> pid, from every ROOT/proc/<pid>/fd link. */
static sockref *socket_owners(kh_nd_ctx *c, size_t *n)
{
    sockref *refs = NULL;
    *n = 0;
    const char *proc = kh_nd__path(c, "/proc", false);
    DIR *d = proc ? opendir(proc) : NULL;
    struct dirent *e;
    while (d && (e = readdir(d))) {
        if (strspn(e->d_name, "0123456789") != strlen(e->d_name) || !e->d_name[0])
            continue;
        char fdnode[300];
        snprintf(fdnode, sizeof(fdnode), "/proc/%s/fd", e->d_name);
        const char *fdhost = kh_nd__path(c, fdnode, false);
        DIR *fd = fdhost ? opendir(fdhost) : NULL;
        struct dirent *f;
        while (fd && (f = readdir(fd))) {
            char link[4096], target[64];
            if (f->d_name[0] == '.' ||
                snprintf(link, sizeof(link), "%s/%s", fdhost, f->d_name) >= (int)sizeof(link))
                continue;
            ssize_t t = readlink(link, target, sizeof(target) - 1);
            if (t <= 0)
                continue;
            target[t] = '\0';
            unsigned long inode;
            if (sscanf(target, "socket:[%lu]", &inode) != 1)
                continue;
            sockref *r = kh_array__push(c->arena, &refs, n, sizeof(*r));
            if (r) {
                r->inode = inode;
                r->pid = atoi(e->d_name);
            }
        }
        if (fd)
            closedir(fd);
    }
    if (d)
        closedir(d);
    if (*n)
        qsort(refs, *n, sizeof(*refs), by_inode);
    return refs;
}

static const kh_nd_comp *comp_of_pid(kh_nd_ctx *c, int pid)
{
    for (size_t i = 0; pid && i < c->ncomps; i++)
        if (c->comps[i].pid == pid)
            return &c->comps[i];
    return NULL;
}

static bool loopback(const char *addr)
{
    return strncmp(addr, "127.", 4) == 0 || strcmp(addr, "::1") == 0 ||
           strncmp(addr, "::ffff:127.", 11) == 0;
}

/* Ports of etcd's --listen-client-urls (default http://localhost:2379). */
static bool etcd_client_port(kh_nd_ctx *c, const kh_nd_comp *k, unsigned port)
{
    kh_nd_flag f = kh_nd__flag(c, k, "listen-client-urls");
    const char *urls = f.set ? f.value : "http://localhost:2379";
    for (const char *p = urls; p && *p;) {
        const char *end = strchr(p, ',');
        size_t len = end ? (size_t)(end - p) : strlen(p);
        const char *colon = NULL;
        for (const char *q = p + len; q > p; q--)
            if (q[-1] == ':') {
                colon = q - 1;
                break;
            }
        if (colon && colon > p && colon[-1] != '/' && (unsigned)atoi(colon + 1) == port)
            return true;
        p = end ? end + 1 : NULL;
    }
    return false;
}

static void sockets(kh_nd_ctx *c)
{
    listener *ls = NULL;
    size_t n = 0;
    static const char *const protos[] = {"tcp", "tcp6", "udp", "udp6"};
    for (size_t i = 0; i < 4; i++)
        read_net(c, protos[i], &ls, &n);
    size_t nrefs;
    sockref *refs = socket_owners(c, &nrefs);
    for (size_t i = 0; i < n; i++) {
        sockref key = {.inode = ls[i].inode};
        sockref *r = nrefs ? bsearch(&key, refs, nrefs, sizeof(*refs), by_inode) : NULL;
        ls[i].pid = r ? r->pid : 0;
        if (ls[i].pid) {
            char comm[48];
            snprintf(comm, sizeof(comm), "/proc/%d/comm", ls[i].pid);
            char *name = kh_nd__read(c, comm, 256, NULL);
            if (name && strchr(name, '\n'))
                *strchr(name, '\n') = '\0';
            ls[i].comm = name;
        }
    }
    bool etcd_seen = false;
    for (size_t i = 0; i < n; i++) {
        listener *l = &ls[i];
        const kh_nd_comp *owner = comp_of_pid(c, l->pid);
        const char *who = owner ? kh_arena_printf(c->arena, "%s (pid %d)", owner->name, l->pid)
                          : l->pid ? kh_arena_printf(c->arena, "%s (pid %d)",
                                                     l->comm ? l->comm : "?", l->pid)
                                   : "an unknown process";
        const char *where = kh_arena_printf(c->arena, "%s %s%s%s:%u by %s", l->proto,
                                            strchr(l->addr, ':') ? "[" : "", l->addr,
                                            strchr(l->addr, ':') ? "]" : "", l->port, who);
        bool tcp = l->proto[0] == 't';
        if (tcp && l->port == 10255 && (!owner || owner->kind == KH_ND_KUBELET)) {
            add(c, "node.listener.kubelet-read-only", "The kubelet read-only port is not open",
                "kubelet", KH_NODE_FAIL, KH_SEVERITY_HIGH,
                kh_arena_printf(c->arena, "listening: %s", where), "nothing on port 10255",
                "set readOnlyPort: 0 in the kubelet configuration", l->file, l->line, "");
            continue;
        }
        if (owner && owner->kind == KH_ND_APISERVER && tcp) {
            kh_nd_flag ip = kh_nd__flag(c, owner, "insecure-port");
            unsigned insecure = ip.set ? (unsigned)atoi(ip.value) : 0;
            if ((insecure && l->port == insecure) || l->port == 8080)
                add(c, "node.listener.insecure-api-port",
                    "The API server has no insecure (plain HTTP) port", owner->name,
                    KH_NODE_FAIL, KH_SEVERITY_CRITICAL,
                    kh_arena_printf(c->arena, "listening: %s", where), "no insecure port",
                    "remove --insecure-port and --insecure-bind-address", l->file, l->line, "");
            continue;
        }
        if (owner && owner->kind == KH_ND_ETCD && tcp && etcd_client_port(c, owner, l->port)) {
            kh_nd_flag cca = kh_nd__flag(c, owner, "client-cert-auth");
            bool auth = cca.set && kh_nd__parse_bool(cca.value) == 1;
            bool local = loopback(l->addr);
            etcd_seen = true;
            add(c, "node.listener.etcd-client-exposed",
                "etcd's client port is on loopback or requires client certificates", owner->name,
                local || auth ? KH_NODE_PASS : KH_NODE_FAIL, KH_SEVERITY_CRITICAL,
                kh_arena_printf(c->arena, "listening: %s; --client-cert-auth %s", where,
                                auth ? "true" : cca.set ? cca.value : "not set"),
                "loopback only, or --client-cert-auth=true",
                "set --client-cert-auth=true with --trusted-ca-file, or listen on 127.0.0.1",
                owner->cmdline, 0, "--listen-client-urls");
            continue;
        }
        if (owner)
            continue;
        add(c, "node.listener.unknown", "Every listener belongs to a known component", "node",
            KH_NODE_INFO, KH_SEVERITY_INFO, kh_arena_printf(c->arena, "listening: %s", where),
            "only the node's Kubernetes components listen",
            "stop the service if the node does not need it", l->file, l->line, "");
    }
    (void)etcd_seen;
}

/* ------------------------------------------------------------------ OS */

/* The value of KEY= in os-release text, unquoted, in the arena. */
static const char *osr(kh_nd_ctx *c, const char *text, const char *key)
{
    size_t k = strlen(key);
    for (const char *p = text; p && *p;) {
        const char *nl = strchr(p, '\n');
        size_t len = nl ? (size_t)(nl - p) : strlen(p);
        if (len > k && strncmp(p, key, k) == 0 && p[k] == '=') {
            const char *v = p + k + 1;
            size_t vl = len - k - 1;
            if (vl >= 2 && (v[0] == '"' || v[0] == '\'') && v[vl - 1] == v[0]) {
                v++;
                vl -= 2;
            }
            return kh_arena_strndup(c->arena, v, vl);
        }
        p = nl ? nl + 1 : NULL;
    }
    return NULL;
}

static void os_release(kh_nd_ctx *c)
{
    const char *file = "/etc/os-release";
    const char *text = kh_nd__read(c, file, 1 << 16, NULL);
    if (!text) {
        file = "/usr/lib/os-release";   /* the fallback os-release(5) names */
        text = kh_nd__read(c, file, 1 << 16, NULL);
    }
    if (!text) {
        add(c, "node.os.container-optimized", "The node runs a container-optimised OS", "node",
            KH_NODE_WARN, KH_SEVERITY_INFO, "no /etc/os-release", "a container-optimised OS",
            "use Bottlerocket, Flatcar, Talos or COS for nodes", "", 0, "");
        return;
    }
    const char *id = osr(c, text, "ID"), *variant = osr(c, text, "VARIANT_ID");
    const char *pretty = osr(c, text, "PRETTY_NAME");
    static const char *const optimised[] = {"bottlerocket", "flatcar", "talos", "cos", "rhcos",
                                            "fedora-coreos", NULL};
    bool co = false;
    for (size_t i = 0; id && optimised[i]; i++)
        co |= strcmp(id, optimised[i]) == 0;
    co |= id && variant && strcmp(id, "fedora") == 0 && strcmp(variant, "coreos") == 0;
    add(c, "node.os.container-optimized", "The node runs a container-optimised OS", "node",
        co ? KH_NODE_PASS : KH_NODE_INFO, KH_SEVERITY_INFO,
        kh_arena_printf(c->arena, "%s OS: %s (ID=%s)", co ? "container-optimised" : "general-purpose",
                        pretty ? pretty : "?", id ? id : "?"),
        "a container-optimised OS (Bottlerocket, Flatcar, Talos, COS)",
        "use a minimal, container-optimised OS for nodes, or keep this one minimal and patched",
        file, 0, "");
}

static void reboot_required(kh_nd_ctx *c)
{
    static const char *const markers[] = {"/run/reboot-required", "/var/run/reboot-required",
                                          NULL};
    for (size_t i = 0; markers[i]; i++) {
        struct stat st;
        if (kh_nd__stat(c, markers[i], &st, false) != 0)
            continue;
        char pkgs[64];
        snprintf(pkgs, sizeof(pkgs), "%s.pkgs", markers[i]);
        char *list = kh_nd__read(c, pkgs, 1 << 16, NULL);
        for (char *p = list; p && *p; p++)
            if (*p == '\n' && p[1])
                *p = ' ';
        if (list && *list && list[strlen(list) - 1] == '\n')
            list[strlen(list) - 1] = '\0';
        add(c, "node.os.reboot-required", "No reboot is pending", "node", KH_NODE_WARN,
            KH_SEVERITY_INFO,
            list && *list ? kh_arena_printf(c->arena, "%s exists; for: %s", markers[i], list)
                          : kh_arena_printf(c->arena, "%s exists", markers[i]),
            "no reboot-required marker", "drain the node and reboot it to run the patched code",
            markers[i], 0, "");
        return;
    }
    add(c, "node.os.reboot-required", "No reboot is pending", "node", KH_NODE_PASS,
        KH_SEVERITY_INFO, "no reboot-required marker", "no reboot-required marker", "", "", 0, "");
}

/* The build date in /proc/version: "(2024-09-30)" (Debian) or a `date`
 * stamp "Mon Sep 30 10:00:00 UTC 2024". 0 when not found. */
static time_t build_date(const char *v)
{
    static const char months[] = "JanFebMarAprMayJunJulAugSepOctNovDec";
    struct tm tm = {0};
    for (const char *p = v; *p; p++) {
        int y, m, d;
        if (*p == '(' && sscanf(p, "(%4d-%2d-%2d)", &y, &m, &d) == 3) {
            tm.tm_year = y - 1900;
            tm.tm_mon = m - 1;
            tm.tm_mday = d;
            return timegm(&tm);
        }
    }
    for (const char *p = v; *p; p++) {
        char mon[4];
        int d, hh, mm, ss, y;
        if (p[0] != ' ' || sscanf(p, " %3s %d %d:%d:%d %*s %d", mon, &d, &hh, &mm, &ss, &y) != 6)
            continue;
        const char *at = strstr(months, mon);
        if (!at || strlen(mon) != 3 || (at - months) % 3)
            continue;
        tm.tm_year = y - 1900;
        tm.tm_mon = (int)((at - months) / 3);
        tm.tm_mday = d;
        return timegm(&tm);
    }
    return 0;
}

static void kernel(kh_nd_ctx *c)
{
    char *v = kh_nd__read(c, "/proc/version", 1 << 12, NULL);
    if (!v)
        return;
    if (strchr(v, '\n'))
        *strchr(v, '\n') = '\0';
    time_t built = build_date(v);
    long days = built ? (long)((time(NULL) - built) / 86400) : -1;
    if (built && days < 0)
        days = 0;   /* a clock behind the build date */
    char release[128] = "?";
    sscanf(v, "Linux version %127s", release);
    add(c, "node.os.kernel-age", "The kernel was built within the last year", "node",
        days > 365 ? KH_NODE_WARN : days >= 0 ? KH_NODE_PASS : KH_NODE_INFO, KH_SEVERITY_INFO,
        days >= 0 ? kh_arena_printf(c->arena, "kernel %s built %ld days ago", release, days)
                  : kh_arena_printf(c->arena, "kernel %s, build date unknown", release),
        "a kernel built within 365 days", "update the kernel and reboot", "/proc/version", 0, "");
}

/* ------------------------------------------------------- user namespaces */

static void user_namespaces(kh_nd_ctx *c)
{
    for (size_t i = 0; i < c->ncomps; i++) {
        const kh_nd_comp *k = &c->comps[i];
        if (k->kind == KH_ND_KUBELET) {
            /* CIS 1.6-1.24 4.2.6; later benchmarks dropped it, the risk stays. */
            kh_nd_setting p = kh_nd__kubelet(c, k, "protect-kernel-defaults");
            bool protect = p.value && kh_nd__parse_bool(p.value) == 1;
            add(c, "node.kubelet.protect-kernel-defaults",
                "The kubelet refuses to run with kernel settings other than it needs", k->name,
                protect ? KH_NODE_PASS : KH_NODE_FAIL, KH_SEVERITY_MEDIUM,
                kh_arena_printf(c->arena, "%s=%s (%s)", p.path, p.value ? p.value : "", p.source),
                kh_arena_printf(c->arena, "%s=true", p.path),
                "set protectKernelDefaults: true (and the kernel settings the kubelet expects)",
                p.file ? p.file : k->cmdline, p.line, p.path);
            kh_nd_setting s = kh_nd__kubelet(c, k, "gate:UserNamespacesSupport");
            bool on = s.value && strcmp(s.value, "true") == 0;
            const char *evidence = s.value
                ? kh_arena_printf(c->arena, "UserNamespacesSupport=%s (%s)", s.value, s.source)
                : "UserNamespacesSupport not set: on by default from Kubernetes 1.33 (beta), "
                  "off before";
            add(c, "node.runtime.user-namespaces", "Pods can run in user namespaces (hostUsers: false)",
                k->name, s.value && !on ? KH_NODE_WARN : KH_NODE_INFO, KH_SEVERITY_INFO, evidence,
                "UserNamespacesSupport enabled, with containerd 2.0+ or CRI-O 1.25+ on Linux 6.3+",
                "enable the UserNamespacesSupport feature gate and set hostUsers: false in pods",
                s.file ? s.file : k->cmdline, s.line, s.path);
        }
        if (k->kind == KH_ND_CONTAINERD || k->kind == KH_ND_CRIO) {
            if (!k->pid)
                continue;
            bool rootless = k->uid > 0;
            add(c, "node.runtime.rootless", "The container runtime runs rootless", k->name,
                KH_NODE_INFO, KH_SEVERITY_INFO,
                k->uid >= 0 ? kh_arena_printf(c->arena, "%s (pid %d) runs as uid %d%s", k->name,
                                              k->pid, k->uid, rootless ? " (rootless)" : "")
                            : "uid unknown",
                "a rootless runtime where the workloads allow it",
                "consider rootless mode (containerd, CRI-O) for nodes that need no root runtime",
                k->cmdline, 0, "");
        }
    }
}

void kh_nd__extras(kh_nd_ctx *c)
{
    sockets(c);
    os_release(c);
    reboot_required(c);
    kernel(c);
    user_namespaces(c);
}
