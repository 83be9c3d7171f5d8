/*
 * audit.h -- internals of the node audit (src/node), shared by its files.
 *
 * root.c     paths under --root (symbolic links confined to it), file reads,
 *            lstat, user and group names from ROOT/etc/passwd and group
 * flags.c    a command line as the component's flag library parses it
 * discover.c components from ROOT/proc and static pod manifests
 * systemd.c  the kubelet's command line from its unit, when it is not running
 * kubelet.c  the kubelet's effective settings: flags over its config file
 * checks.c   the CIS table and its evaluation
 * extras.c   listening sockets, OS, reboot marker, user namespaces
 * audit.c    the public API: runs the rest, keeps and sorts the results
 */
#ifndef KH_NODE_AUDIT_H
#define KH_NODE_AUDIT_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/stat.h>

#include "core/arena.h"
#include "doc/node.h"
#include "kubeharden.h"
#include "kubeharden/node.h"

/* Components, in the order results and the component list use. */
enum {
    KH_ND_APISERVER, KH_ND_CONTROLLER_MANAGER, KH_ND_SCHEDULER, KH_ND_ETCD,
    KH_ND_KUBELET, KH_ND_PROXY, KH_ND_CONTAINERD, KH_ND_CRIO, KH_ND_NCOMP
};

/* One command-line word, with where it was read. */
typedef struct kh_nd_word {
    const char *text;
    const char *file;       /* node path */
    unsigned line, col;     /* 0 for /proc */
} kh_nd_word;

/* A flag's effective value, as the component's flag parser leaves it. */
typedef struct kh_nd_flag {
    bool set;               /* given (on the command line or, etcd, in the environment) */
    const char *value;      /* last value ("true" for a bare boolean); lists joined by ',' */
    const char *file;       /* where: manifest, /proc/<pid>/cmdline or /proc/<pid>/environ */
    unsigned line, col;
} kh_nd_flag;

/* A volume mount of a static pod's container: container path -> host path. */
typedef struct kh_nd_mount {
    const char *mount_path, *host_path;
} kh_nd_mount;

/* The kubelet's effective settings (kubelet.c). */
typedef struct kh_nd_kubelet kh_nd_kubelet;

/* One instance of a component: a process (with its manifest when one
 * describes the same component), or a manifest alone. */
typedef struct kh_nd_comp {
    int kind;               /* KH_ND_APISERVER, ... */
    const char *name;
    int pid;                /* 0 when not running */
    int uid;                /* of the process (real uid), -1 when unknown */
    const char *cmdline;    /* "/proc/<pid>/cmdline" */
    kh_nd_word *argv;       /* what runs: the process, else the manifest */
    size_t argc;
    const char *manifest;   /* node path of the static pod manifest, or NULL */
    kh_nd_word *margv;      /* the manifest's command + args */
    size_t margc;
    kh_nd_mount *mounts;
    size_t nmounts;
    const char **env;       /* environment (etcd reads ETCD_* from it) */
    size_t nenv;
    const char *environ_file;
    const kh_node *etcd_config;     /* etcd --config-file: it replaces flags and environment */
    const char *etcd_config_file;
    kh_nd_kubelet *kubelet; /* KH_ND_KUBELET only */
} kh_nd_comp;

typedef struct kh_nd_ctx {
    kh_arena *arena;
    const char *root;       /* without a trailing '/', "" for "/" */
    kh_nd_comp *comps;      /* by kind, then pid (manifest-only last) */
    size_t ncomps;
    kh_node_component *pub; /* the same, for kh_node_audit_component */
    kh_node_result *results;
    size_t nresults;
    kh_error *errors;
    size_t nerrors;
    const char *passwd, *group;     /* ROOT/etc/passwd and group, read once */
    bool passwd_read, group_read;
} kh_nd_ctx;

/* ------------------------------------------------------------- root.c */

/* The host path of node path @p path (absolute), symbolic links resolved
 * inside the root; the last component is not followed when @p nofollow.
 * NULL when a link loops or the path is too long. Arena memory. */
const char *kh_nd__path(kh_nd_ctx *c, const char *path, bool nofollow);
/* lstat (or stat) of a node path; 0 or -1 with errno. */
int kh_nd__stat(kh_nd_ctx *c, const char *path, struct stat *st, bool nofollow);
/* Read a node path whole (at most @p max bytes) into the arena, NUL-terminated;
 * NULL when it cannot be read. */
char *kh_nd__read(kh_nd_ctx *c, const char *path, size_t max, size_t *len);
/* User or group name of an id from ROOT/etc/passwd or ROOT/etc/group; the
 * number as text when not listed. */
const char *kh_nd__user(kh_nd_ctx *c, unsigned uid);
const char *kh_nd__group(kh_nd_ctx *c, unsigned gid);
/* Note an input error. */
void kh_nd__error(kh_nd_ctx *c, const kh_error *e);

/* ------------------------------------------------------------ flags.c */

/* The flag @p name (without dashes) of a component, as its parser reads
 * the command line: pflag for Kubernetes components, Go's flag package and
 * ETCD_* variables for etcd. */
kh_nd_flag kh_nd__flag(kh_nd_ctx *c, const kh_nd_comp *k, const char *name);
/* etcd: read its --config-file, when it has one, into k->etcd_config. */
void kh_nd__etcd_config(kh_nd_ctx *c, kh_nd_comp *k);
/* Go's strconv.ParseBool: 1 true, 0 false, -1 invalid. */
int kh_nd__parse_bool(const char *s);
/* Whether the comma-separated @p list holds @p item. */
bool kh_nd__list_has(const char *list, const char *item);
/* A feature gate's value in "A=true,B=false" (1, 0, or -1 when absent). */
int kh_nd__gate(const char *gates, const char *name);

/* --------------------------------------------------------- discover.c */

void kh_nd__discover(kh_nd_ctx *c);
/* systemd.c: a kubelet instance (pid 0) from its systemd unit, when none runs. */
void kh_nd__kubelet_from_systemd(kh_nd_ctx *c);
/* The host (node) path of a path a component names: mapped through its
 * static pod's hostPath mounts when it has a manifest. */
const char *kh_nd__comp_path(kh_nd_ctx *c, const kh_nd_comp *k, const char *path);
const char *kh_nd__comp_name(int kind);

/* ---------------------------------------------------------- kubelet.c */

/* A kubelet setting's effective value: the flag, else the config file
 * (drop-ins first), else the default for how the kubelet was started. */
typedef struct kh_nd_setting {
    const char *value;      /* NULL when unset with no default */
    const char *source;     /* "flag", "config", "default" */
    const char *file;
    unsigned line, col;
    const char *path;       /* "--anonymous-auth" or "authentication.anonymous.enabled" */
} kh_nd_setting;

/* Read the instance's --config (and --config-dir drop-ins). */
void kh_nd__kubelet_load(kh_nd_ctx *c, kh_nd_comp *k);
/* The setting a kubelet flag names (e.g. "anonymous-auth"). */
kh_nd_setting kh_nd__kubelet(kh_nd_ctx *c, const kh_nd_comp *k, const char *flag);
/* The kubelet's --config file (node path) or NULL. */
const char *kh_nd__kubelet_config(const kh_nd_comp *k);

/* ----------------------------------------------------------- checks.c */

void kh_nd__checks(kh_nd_ctx *c);

/* ----------------------------------------------------------- extras.c */

void kh_nd__extras(kh_nd_ctx *c);

/* ------------------------------------------------------------ audit.c */

/* Add a result; strings are copied into the arena. NULL on no memory. */
kh_node_result *kh_nd__result(kh_nd_ctx *c, const kh_node_result *r);

#endif
