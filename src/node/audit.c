/*
 * audit.c -- `kubeharden node`'s library entry point: run the audit, keep
 * the results.
 *
 * Discovery (processes, manifests, kubelet configuration), then the CIS
 * table, then the extra node checks; every result is copied into the
 * audit's arena and the list is sorted so output is the same on every run:
 * by section (1.1 < 1.2 < ... < 4.3 < node), by check number compared
 * part by part (1.2.9 < 1.2.10), then by file.
 */
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "core/array.h"
#include "node/audit.h"

struct kh_node_audit {
    kh_arena arena;
    kh_nd_ctx ctx;
};

const char *kh_node_status_name(kh_node_status s)
{
    switch (s) {
    case KH_NODE_PASS: return "PASS";
    case KH_NODE_FAIL: return "FAIL";
    case KH_NODE_WARN: return "WARN";
    case KH_NODE_INFO: return "INFO";
    }
    return "?";
}

static const char *dup(kh_arena *a, const char *s)
{
    return s ? kh_arena_strdup(a, s) : "";
}

kh_node_result *kh_nd__result(kh_nd_ctx *c, const kh_node_result *r)
{
    kh_node_result *slot = kh_array__push(c->arena, &c->results, &c->nresults, sizeof(*slot));
    if (!slot)
        return NULL;
    *slot = *r;
    slot->id = dup(c->arena, r->id);
    slot->section = dup(c->arena, r->section);
    slot->title = dup(c->arena, r->title);
    slot->component = dup(c->arena, r->component);
    slot->evidence = dup(c->arena, r->evidence);
    slot->expected = dup(c->arena, r->expected);
    slot->fix = dup(c->arena, r->fix);
    slot->file = dup(c->arena, r->file);
    slot->path = dup(c->arena, r->path);
    return slot;
}

/* "cis.1.2.10" vs "cis.1.2.9": numbers compare as numbers. */
static int cmp_id(const char *a, const char *b)
{
    while (*a && *b) {
        if (*a >= '0' && *a <= '9' && *b >= '0' && *b <= '9') {
            char *ea, *eb;
            unsigned long x = strtoul(a, &ea, 10), y = strtoul(b, &eb, 10);
            if (x != y)
                return x < y ? -1 : 1;
            a = ea;
            b = eb;
            continue;
        }
        if (*a != *b)
            return (unsigned char)*a < (unsigned char)*b ? -1 : 1;
        a++;
        b++;
    }
    return *a ? 1 : *b ? -1 : 0;
}

static int by_result(const void *pa, const void *pb)
{
    const kh_node_result *a = pa, *b = pb;
    bool na = strncmp(a->id, "cis.", 4) != 0, nb = strncmp(b->id, "cis.", 4) != 0;
    if (na != nb)
        return na ? 1 : -1;
    int d = cmp_id(a->id, b->id);
    if (d)
        return d;
    if ((d = strcmp(a->file, b->file)))
        return d;
    if (a->line != b->line)
        return a->line < b->line ? -1 : 1;
    return strcmp(a->evidence, b->evidence);
}

int kh_node_audit_run(kh_node_audit **out, const char *root, kh_error *err)
{
    *out = NULL;
    if (!root || !*root)
        root = "/";
    struct stat st;
    if (stat(root, &st) != 0 || !S_ISDIR(st.st_mode))
        return kh_error_set(err, KH_EIO, NULL, 0, 0, "root '%s' is not a directory", root);
    kh_node_audit *a = calloc(1, sizeof(*a));
    if (!a)
        return kh_error_set(err, KH_ENOMEM, NULL, 0, 0, "out of memory");
    kh_arena_init(&a->arena, 0);
    kh_nd_ctx *c = &a->ctx;
    c->arena = &a->arena;
    size_t n = strlen(root);
    while (n > 0 && root[n - 1] == '/')
        n--;
    c->root = kh_arena_strndup(c->arena, root, n);
    kh_nd__discover(c);
    kh_nd__checks(c);
    kh_nd__extras(c);
    if (c->nresults)
        qsort(c->results, c->nresults, sizeof(*c->results), by_result);
    c->pub = kh_arena_calloc(c->arena, c->ncomps ? c->ncomps : 1, sizeof(*c->pub));
    for (size_t i = 0; c->pub && i < c->ncomps; i++) {
        c->pub[i].name = c->comps[i].name;
        c->pub[i].pid = c->comps[i].pid;
        c->pub[i].manifest = c->comps[i].manifest;
        c->pub[i].source = c->comps[i].cmdline ? c->comps[i].cmdline : c->comps[i].manifest;
    }
    if (!c->root || !c->pub) {
        kh_node_audit_free(a);
        return kh_error_set(err, KH_ENOMEM, NULL, 0, 0, "out of memory");
    }
    *out = a;
    return KH_OK;
}

size_t kh_node_audit_count(const kh_node_audit *a)
{
    return a ? a->ctx.nresults : 0;
}

const kh_node_result *kh_node_audit_result(const kh_node_audit *a, size_t i)
{
    return a && i < a->ctx.nresults ? &a->ctx.results[i] : NULL;
}

size_t kh_node_audit_components(const kh_node_audit *a)
{
    return a ? a->ctx.ncomps : 0;
}

const kh_node_component *kh_node_audit_component(const kh_node_audit *a, size_t i)
{
    return a && i < a->ctx.ncomps ? &a->ctx.pub[i] : NULL;
}

size_t kh_node_audit_errors(const kh_node_audit *a)
{
    return a ? a->ctx.nerrors : 0;
}

const kh_error *kh_node_audit_error(const kh_node_audit *a, size_t i)
{
    return a && i < a->ctx.nerrors ? &a->ctx.errors[i] : NULL;
}

void kh_node_result_finding(const kh_node_result *r, kh_finding *f, char *buf, size_t size)
{
    /* buf: the message, then the object name after its NUL */
    int n = snprintf(buf, size, "%s: %s (expected %s)%s%s", kh_node_status_name(r->status),
                     r->evidence, r->expected, *r->fix ? "; fix: " : "", r->fix);
    size_t at = n < 0 ? 0 : (size_t)n + 1 < size ? (size_t)n + 1 : size - 1;
    if (at < size - 1)
        snprintf(buf + at, size - at, "%s %s", strcmp(r->section, "node") ? "CIS" : "node",
                 strcmp(r->section, "node") ? r->section : "checks");
    else
        buf[size - 1] = '\0';
    *f = (kh_finding){
        .rule_id = r->id,
        .severity = r->severity,
        .file = *r->file ? r->file : "<node>",
        .line = r->line,
        .col = r->col,
        .kind = r->component,
        .namespace_ = "",
        .name = buf + at,
        .path = r->path,
        .message = buf,
    };
}

void kh_node_audit_free(kh_node_audit *a)
{
    if (!a)
        return;
    kh_arena_free(&a->arena);
    free(a);
}
