/*
 * context.c -- what rule checks call to report: positions, field paths and
 * messages are formatted into the per-document arena and handed to the
 * scanner's sink, which adds suppression, severity overrides and ordering.
 * It also keeps the object's pod view for the checks that read containers,
 * and the models that the set rules of one area share (kh_rule__shared).
 */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "core/strset.h"
#include "rules/rules.h"

__attribute__((format(printf, 8, 0)))
static void report(kh_rule_ctx *ctx, int severity, const kh_object *obj,
                   const kh_node *at, const char *path, const kh_location *related,
                   size_t nrelated, const char *fmt, va_list ap)
{
    /* Format on the stack and keep exactly what was written: set rules'
     * findings wait in the arena until the end of the scan, so a fixed
     * 512-byte buffer each would cost more than the objects kept. The rare
     * longer message is cut at 512 bytes. */
    char buf[512];
    int n = vsnprintf(buf, sizeof(buf), fmt, ap);
    if (n < 0)
        n = 0;
    else if ((size_t)n >= sizeof(buf))
        n = (int)sizeof(buf) - 1;
    const char *msg = ctx->messages
                          ? kh_strset_intern(ctx->messages, ctx->arena, buf, (size_t)n)
                          : kh_arena_strndup(ctx->arena, buf, (size_t)n);
    kh_location *copy = NULL;
    if (nrelated && (copy = kh_arena_alloc(ctx->arena, nrelated * sizeof(*copy))))
        memcpy(copy, related, nrelated * sizeof(*copy));
    ctx->sink(ctx->sink_ud, ctx->rule, obj, at ? at : obj->root, path,
              msg ? msg : "out of memory", severity, copy, copy ? nrelated : 0);
}

void *kh_rule__shared(kh_rule_ctx *ctx, const void *key, kh_rule_build_fn build,
                      const kh_objset *set)
{
    size_t i = 0;
    for (; i < KH_RULE_MAX_SHARED && ctx->shared[i].key; i++)
        if (ctx->shared[i].key == key)
            return ctx->shared[i].model;
    if (i == KH_RULE_MAX_SHARED)
        return NULL;
    ctx->shared[i].key = key;
    ctx->shared[i].model = build(ctx->arena, set);
    return ctx->shared[i].model;
}

kh_location kh_rule__location(kh_rule_ctx *ctx, const kh_object *obj, const kh_node *at,
                              const char *path, const char *message)
{
    at = at ? at : obj->root;
    return (kh_location){.file = obj->file, .line = at->line, .col = at->col,
                         .kind = obj->kind, .namespace_ = obj->namespace_, .name = obj->name,
                         .path = kh_arena_printf(ctx->arena, "%s%s", obj->path_prefix, path),
                         .message = message};
}

void kh_rule__report(kh_rule_ctx *ctx, const kh_object *obj, const kh_node *at,
                     const char *path, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    report(ctx, -1, obj, at, path, NULL, 0, fmt, ap);
    va_end(ap);
}

void kh_rule__report_severity(kh_rule_ctx *ctx, kh_severity severity,
                              const kh_object *obj, const kh_node *at,
                              const char *path, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    report(ctx, (int)severity, obj, at, path, NULL, 0, fmt, ap);
    va_end(ap);
}

void kh_rule__report_related(kh_rule_ctx *ctx, const kh_object *obj, const kh_node *at,
                             const char *path, const kh_location *related,
                             size_t nrelated, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    report(ctx, -1, obj, at, path, related, nrelated, fmt, ap);
    va_end(ap);
}

const char *kh_rule__container_path(kh_rule_ctx *ctx, const kh_podspec *ps,
                                    const kh_container *c, const char *suffix)
{
    /* Built by hand: this runs for nearly every finding, and printf's
     * format parsing was a visible share of a scan. */
    char index[24];
    size_t ni = sizeof(index);
    size_t v = c->index;
    do {
        index[--ni] = (char)('0' + v % 10);
        v /= 10;
    } while (v);
    size_t lp = strlen(ps->path), ll = strlen(c->list), ls = suffix ? strlen(suffix) : 0;
    size_t nd = sizeof(index) - ni;
    char *out = kh_arena_alloc(ctx->arena, lp + ll + nd + ls + 5);
    if (!out)
        return "";
    char *p = out;
    memcpy(p, ps->path, lp), p += lp;
    *p++ = '.';
    memcpy(p, c->list, ll), p += ll;
    *p++ = '[';
    memcpy(p, index + ni, nd), p += nd;
    *p++ = ']';
    if (ls) {
        *p++ = '.';
        memcpy(p, suffix, ls), p += ls;
    }
    *p = '\0';
    return out;
}

/* The checks of one object run one after another on one context, so the
 * view of the last object asked for is the one kept; keying it by the
 * object also makes a context reused for another object safe. */
static kh_podview *pod_view(kh_rule_ctx *ctx, const kh_object *obj)
{
    kh_podview *pod = ctx->pod;
    if (pod && pod->obj == obj)
        return pod->ps.spec ? pod : NULL;
    if (!pod && !(pod = kh_arena_alloc(ctx->arena, sizeof(*pod))))
        return NULL;
    ctx->pod = pod;
    kh_podview_build(pod, obj, ctx->arena); /* out of memory leaves no pod spec */
    return pod->ps.spec ? pod : NULL;
}

const kh_podview *kh_rule__pod(kh_rule_ctx *ctx, const kh_object *obj)
{
    return pod_view(ctx, obj);
}

const kh_podview *kh_rule__pod_images(kh_rule_ctx *ctx, const kh_object *obj)
{
    kh_podview *pod = pod_view(ctx, obj);
    if (pod)
        kh_podview_images(pod, ctx->arena); /* out of memory leaves some unread */
    return pod;
}

const kh_node *kh_rule__key(const kh_node *map, const char *key)
{
    if (!kh_node_is_map(map))
        return NULL;
    size_t len = strlen(key);
    for (size_t i = 0; i < map->len; i++) {
        const kh_node *k = map->u.pairs[i].key;
        if (k->type != KH_NODE_MAP && k->type != KH_NODE_SEQ && k->len == len &&
            memcmp(k->u.text, key, len) == 0)
            return k;
    }
    return NULL;
}
