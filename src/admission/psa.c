/*
 * psa.c -- a denial in the words of the API server's Pod Security admission.
 *
 * kubeharden's Pod Security rules report one finding per container or
 * field, each worded "reason (detail for that one)". Upstream runs each
 * check once per pod and words one result per check, merging containers
 * ("containers \"a\", \"b\" must set ...") and values (sorted, as its
 * sets.List does); AggregateCheckResults then joins the checks in its
 * registry order (baseline check ids sorted, then restricted ones). This
 * file rebuilds that text from the findings: a finding's detail is split
 * into its subject (pod, container "x", volume "x", or free text), the
 * rest, and at most one value slot; findings whose rest differs only in
 * the slot merge. Where upstream returns an explicit violation instead of
 * an implicit one ("must not set ... =false" over "pod or container ...
 * must set"), the implicit part is dropped. docs/admission.md lists the
 * few messages whose merged form differs from upstream's.
 */
#include <stdlib.h>
#include <string.h>

#include "admission/admission.h"
#include "core/array.h"

/* Rule ids in upstream's check order (policy/registry.go sorts check ids,
 * baseline first), with the upstream check each one mirrors. */
static const char *const check_order[] = {
    "pss.baseline.apparmor",              /* appArmorProfile */
    "pss.baseline.capabilities",          /* capabilities_baseline */
    "pss.baseline.host-namespaces",       /* hostNamespaces */
    "pss.baseline.host-path-volumes",     /* hostPathVolumes */
    "pss.baseline.host-ports",            /* hostPorts */
    "pss.baseline.host-probes",           /* hostProbesAndHostLifecycle */
    "pss.baseline.privileged",            /* privileged */
    "pss.baseline.proc-mount",            /* procMount */
    "pss.baseline.selinux",               /* seLinuxOptions */
    "pss.baseline.seccomp",               /* seccompProfile_baseline */
    "pss.baseline.sysctls",               /* sysctls */
    "pss.baseline.windows-host-process",  /* windowsHostProcess */
    "pss.restricted.privilege-escalation",/* allowPrivilegeEscalation */
    "pss.restricted.capabilities",        /* capabilities_restricted */
    "pss.restricted.proc-mount",          /* procMount_restricted */
    "pss.restricted.volume-types",        /* restrictedVolumes */
    "pss.restricted.run-as-non-root",     /* runAsNonRoot */
    "pss.restricted.run-as-user",         /* runAsUser */
    "pss.restricted.seccomp",             /* seccompProfile_restricted */
};
#define NCHECKS (sizeof(check_order) / sizeof(check_order[0]))

static size_t order_of(const char *rule_id)
{
    for (size_t i = 0; i < NCHECKS; i++)
        if (strcmp(check_order[i], rule_id) == 0)
            return i;
    return NCHECKS; /* a rule upstream does not have: after the others */
}

typedef struct ordered {
    size_t order, index;
    const kh_psa_hit *hit;
} ordered;

static int ordered_cmp(const void *pa, const void *pb)
{
    const ordered *a = pa, *b = pb;
    if (a->order != b->order)
        return a->order < b->order ? -1 : 1;
    int c = strcmp(a->hit->rule_id, b->hit->rule_id);
    if (c)
        return c;
    return a->index < b->index ? -1 : a->index > b->index;
}

/* ---------------------------------------------------------- one detail */

enum subject { S_OTHER, S_SETTER, S_IMPLICIT, S_VOLUME };

typedef struct part {
    enum subject cls;
    const char *name;       /* container or volume; NULL for the pod */
    int pod;
    const char *pre;        /* the rest up to the slot (or all of it) */
    const char *slot;       /* the value, NULL when none */
    const char *post;
    int quoted;
} part;

/* The "(...)" after the reason, matching parentheses outside quotes; the
 * text after it (a suppression note) is not upstream's and is dropped. */
static const char *split_message(kh_arena *a, const char *msg, const char **reason)
{
    const char *open = strstr(msg, " (");
    if (!open) {
        *reason = msg;
        return "";
    }
    *reason = kh_arena_strndup(a, msg, (size_t)(open - msg));
    const char *s = open + 2;
    int depth = 1, quoted = 0;
    const char *p = s;
    for (; *p; p++) {
        if (*p == '"')
            quoted = !quoted;
        else if (!quoted && *p == '(')
            depth++;
        else if (!quoted && *p == ')' && --depth == 0)
            break;
    }
    return kh_arena_strndup(a, s, (size_t)(p - s));
}

static int starts(const char *s, const char *prefix)
{
    return strncmp(s, prefix, strlen(prefix)) == 0;
}

/* After an opening quote: the name up to the closing one, and the rest. */
static int quoted_name(kh_arena *a, const char *s, const char **name, const char **rest)
{
    const char *end = strchr(s, '"');
    if (!end)
        return 0;
    *name = kh_arena_strndup(a, s, (size_t)(end - s));
    *rest = end[1] == ' ' ? end + 2 : end + 1;
    return 1;
}

static void find_slot(kh_arena *a, part *pt, const char *rest)
{
    pt->pre = rest;
    const char *q1 = strchr(rest, '"');
    const char *q2 = q1 ? strchr(q1 + 1, '"') : NULL;
    if (q2 && !strchr(q2 + 1, '"')) {
        pt->pre = kh_arena_strndup(a, rest, (size_t)(q1 - rest));
        pt->slot = kh_arena_strndup(a, q1 + 1, (size_t)(q2 - q1 - 1));
        pt->post = q2 + 1;
        pt->quoted = 1;
        return;
    }
    /* "uses hostPort 8080": the one unquoted value upstream merges */
    const char *hp = q1 ? NULL : strstr(rest, "hostPort ");
    if (hp && hp[9] && strspn(hp + 9, "0123456789") == strlen(hp + 9)) {
        pt->pre = kh_arena_strndup(a, rest, (size_t)(hp + 9 - rest));
        pt->slot = hp + 9;
        pt->post = "";
    }
}

static void parse_part(kh_arena *a, part *pt, const char *d)
{
    const char *rest = d;
    memset(pt, 0, sizeof(*pt));
    pt->cls = S_OTHER;
    if (starts(d, "pod or container \"") &&
        quoted_name(a, d + strlen("pod or container \""), &pt->name, &rest))
        pt->cls = S_IMPLICIT;
    else if (starts(d, "container \"") &&
             quoted_name(a, d + strlen("container \""), &pt->name, &rest))
        pt->cls = S_SETTER;
    else if (starts(d, "volume \"") && quoted_name(a, d + strlen("volume \""), &pt->name, &rest))
        pt->cls = S_VOLUME;
    else if (starts(d, "pod ")) {
        pt->cls = S_SETTER;
        pt->pod = 1;
        rest = d + 4;
    }
    if (pt->cls == S_OTHER) {
        pt->pre = d;
        return;
    }
    find_slot(a, pt, rest);
}

/* -------------------------------------------------------------- groups */

typedef struct group {
    enum subject cls;
    const char *pre, *post;
    int has_slot, quoted, pod;
    const char **names;
    size_t nnames;
    const char **values;
    size_t nvalues;
} group;

static int same_shape(const group *g, const part *pt)
{
    if (g->cls != pt->cls)
        return 0;
    if (g->cls == S_OTHER)
        return 1;
    return g->has_slot == (pt->slot != NULL) && g->quoted == pt->quoted &&
           strcmp(g->pre, pt->pre) == 0 &&
           strcmp(g->post ? g->post : "", pt->post ? pt->post : "") == 0;
}

static int push_str(kh_arena *a, const char ***arr, size_t *n, const char *s, int unique_last)
{
    if (unique_last && *n && strcmp((*arr)[*n - 1], s) == 0)
        return 0;
    const char **slot = kh_array__push(a, arr, n, sizeof(char *));
    if (!slot)
        return -1;
    *slot = s;
    return 0;
}

static int str_cmp(const void *a, const void *b)
{
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

static void join_names(kh_jbuf *b, const char *singular, const char *const *names, size_t n)
{
    kh_jbuf__cstr(b, singular);
    if (n != 1)
        kh_jbuf__cstr(b, "s");
    for (size_t i = 0; i < n; i++) {
        kh_jbuf__cstr(b, i ? ", \"" : " \"");
        kh_jbuf__cstr(b, names[i]);
        kh_jbuf__cstr(b, "\"");
    }
}

static int ends_with(const char *s, const char *suffix)
{
    size_t n = strlen(s), m = strlen(suffix);
    return n >= m && strcmp(s + n - m, suffix) == 0;
}

static void write_group(kh_jbuf *b, group *g)
{
    if (g->cls == S_OTHER) {
        for (size_t i = 0; i < g->nnames; i++) {
            if (i)
                kh_jbuf__cstr(b, ", ");
            kh_jbuf__cstr(b, g->names[i]);
        }
        return;
    }
    if (g->cls == S_IMPLICIT)
        kh_jbuf__cstr(b, "pod or ");
    if (g->pod)
        kh_jbuf__cstr(b, g->nnames ? "pod and " : "pod");
    if (g->nnames)
        join_names(b, g->cls == S_VOLUME ? "volume" : "container", g->names, g->nnames);
    const char *pre = g->pre;
    if (!*pre && !g->has_slot)
        return;
    kh_jbuf__cstr(b, " ");
    /* upstream: pluralize("uses", "use", len(badContainers)) */
    if (g->nnames > 1 && starts(pre, "uses ")) {
        kh_jbuf__cstr(b, "use ");
        pre += 5;
    }
    if (g->nvalues > 1 && (ends_with(pre, "hostPort ") || ends_with(pre, " type ") ||
                           ends_with(pre, " host "))) {
        kh_jbuf__raw(b, pre, strlen(pre) - 1);
        kh_jbuf__cstr(b, "s ");
    } else {
        kh_jbuf__cstr(b, pre);
    }
    if (g->nvalues > 1)
        qsort(g->values, g->nvalues, sizeof(char *), str_cmp);
    for (size_t i = 0, w = 0; i < g->nvalues; i++) {
        if (i && strcmp(g->values[i], g->values[i - 1]) == 0)
            continue;
        kh_jbuf__cstr(b, w++ ? ", " : "");
        if (g->quoted)
            kh_jbuf__cstr(b, "\"");
        kh_jbuf__cstr(b, g->values[i]);
        if (g->quoted)
            kh_jbuf__cstr(b, "\"");
    }
    kh_jbuf__cstr(b, g->post ? g->post : "");
}

/* The detail of one check from its hits [from, to). */
static int write_check(kh_arena *a, kh_jbuf *b, const ordered *hits, size_t n)
{
    group *groups = NULL;
    size_t ngroups = 0;
    const char *reason = NULL;
    for (size_t i = 0; i < n; i++) {
        const char *r;
        const char *d = split_message(a, hits[i].hit->message, &r);
        if (!d || !r)
            return -1;
        if (!reason)
            reason = r;
        if (!*d)
            continue;
        part pt;
        parse_part(a, &pt, d);
        group *g = NULL;
        for (size_t k = 0; k < ngroups && !g; k++)
            if (same_shape(&groups[k], &pt))
                g = &groups[k];
        if (!g) {
            if (!(g = kh_array__push(a, &groups, &ngroups, sizeof(*g))))
                return -1;
            g->cls = pt.cls;
            g->pre = pt.pre;
            g->post = pt.post;
            g->has_slot = pt.slot != NULL;
            g->quoted = pt.quoted;
        }
        g->pod |= pt.pod;
        if (pt.cls == S_OTHER ? push_str(a, &g->names, &g->nnames, pt.pre, 1)
                              : pt.name && push_str(a, &g->names, &g->nnames, pt.name, 1))
            return -1;
        if (pt.slot && push_str(a, &g->values, &g->nvalues, pt.slot, 0))
            return -1;
    }
    kh_jbuf__cstr(b, reason ? reason : "unknown forbidden reason");
    int explicit = 0;
    for (size_t k = 0; k < ngroups; k++)
        explicit |= groups[k].cls != S_IMPLICIT;
    /* "must set" parts first (capabilities: drop before add), then the
     * rest in order of appearance; implicit parts only when alone. */
    int first = 1;
    for (int pass = 0; pass < 2; pass++)
        for (size_t k = 0; k < ngroups; k++) {
            group *g = &groups[k];
            if ((explicit && g->cls == S_IMPLICIT) ||
                (g->cls != S_OTHER && starts(g->pre, "must set ")) != (pass == 0))
                continue;
            kh_jbuf__cstr(b, first ? " (" : "; ");
            first = 0;
            write_group(b, g);
        }
    if (!first)
        kh_jbuf__cstr(b, ")");
    return 0;
}

const char *kh_psa__detail(kh_arena *arena, const kh_psa_hit *hits, size_t n)
{
    kh_jbuf b = {0};
    const char *out = NULL;
    ordered *o = n ? malloc(n * sizeof(*o)) : NULL;
    if (n && !o)
        return NULL;
    for (size_t i = 0; i < n; i++)
        o[i] = (ordered){order_of(hits[i].rule_id), i, &hits[i]};
    qsort(o, n, sizeof(*o), ordered_cmp);
    int rc = 0;
    for (size_t i = 0; i < n && !rc;) {
        size_t j = i + 1;
        while (j < n && strcmp(o[j].hit->rule_id, o[i].hit->rule_id) == 0)
            j++;
        if (i)
            kh_jbuf__cstr(&b, ", ");
        rc = write_check(arena, &b, o + i, j - i);
        i = j;
    }
    if (!rc && !b.oom)
        out = kh_arena_strdup(arena, b.len ? b.p : "");
    free(b.p);
    free(o);
    return out;
}
