/*
 * scanner.c -- the engine: inputs in, ordered findings out.
 *
 * Streaming by construction: one document at a time is loaded into a
 * per-document arena, unwrapped (List kinds) into objects, run through every
 * enabled rule, and its findings are sorted and delivered before the arena
 * is reset for the next document. Memory stays flat for any input size.
 * Inputs are delivered in the order given; directories are walked in byte
 * order of entry names so that output is the same on every machine.
 */
#include <dirent.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <stdint.h>
#include <sys/stat.h>
#include <unistd.h>

#include "doc/node.h"
#include "k8s/k8s.h"
#include "rules/rules.h"
#include "scan/config.h"
#include "scan/pipeline.h"
#include "scan/scanner.h"

#define SUPPRESS_PREFIX "ignore.kubeharden.io/"

typedef struct pending {
    const kh_rule_def *rule;
    const kh_object *obj;
    unsigned line, col;
    const char *path;
    const char *message;
    const char *suppressed;
    kh_severity severity;
} pending;

struct kh_scanner {
    const kh_config *cfg;
    kh_config *own_cfg;          /* the default config when none was given */
    kh_finding_cb cb;
    void *ud;
    kh_arena arena;              /* per document, when not pipelined */
    kh_arena *cur;               /* the arena of the document being checked */
    int threads;                 /* 2: load and check on two threads (pipeline.c) */
    kh_pipeline *pipe;           /* started on first use */
    pending *found;              /* findings of the current document */
    size_t nfound, capfound;
    _Atomic int stopped;         /* the callback asked to stop */
    kh_scan_stats stats;
};

int kh_scanner_new(kh_scanner **out, const kh_config *cfg, kh_finding_cb cb,
                   void *ud, kh_error *err)
{
    kh_scanner *s = calloc(1, sizeof(*s));
    if (!s)
        return kh_error_set(err, KH_ENOMEM, NULL, 0, 0, "out of memory");
    if (!cfg) {
        int rc = kh_config_new(&s->own_cfg, err);
        if (rc) {
            free(s);
            return rc;
        }
        cfg = s->own_cfg;
    }
    s->cfg = cfg;
    s->cb = cb;
    s->ud = ud;
    kh_arena_init(&s->arena, 256 * 1024);
    s->cur = &s->arena;
    s->threads = sysconf(_SC_NPROCESSORS_ONLN) > 1 ? 2 : 1;
    *out = s;
    return KH_OK;
}

void kh_scanner_free(kh_scanner *s)
{
    if (!s)
        return;
    kh_pipeline__free(s->pipe);
    kh_arena_free(&s->arena);
    kh_config_free(s->own_cfg);
    free(s->found);
    free(s);
}

int kh_scanner_set_threads(kh_scanner *s, int threads)
{
    if (threads != 1 && threads != 2)
        return KH_EUSAGE;
    s->threads = threads;
    return KH_OK;
}

void kh_scanner_stats(const kh_scanner *s, kh_scan_stats *out)
{
    *out = s->stats;
}

int kh_scanner_finish(kh_scanner *s, kh_error *err)
{
    (void)err;
    (void)s;
    /* Cluster-wide analyses (RBAC, NetworkPolicy, HA) will run here over
     * the object set; per-object findings have all been delivered. */
    return KH_OK;
}

/* ------------------------------------------------------------ delivery */

static void deliver(kh_scanner *s, const kh_finding *f)
{
    if (s->stopped)
        return;
    if (f->is_error)
        s->stats.errors++;
    else if (f->suppressed)
        s->stats.suppressed++;
    else {
        s->stats.findings++;
        s->stats.by_severity[f->severity]++;
    }
    if (s->cb && s->cb(f, s->ud) != 0)
        s->stopped = 1;
}

void kh_scanner__error(kh_scanner *s, const char *file, unsigned line, unsigned col,
                       const char *message)
{
    kh_finding f = {
        .rule_id = "error",
        .severity = KH_SEVERITY_HIGH,
        .is_error = 1,
        .file = file,
        .line = line,
        .col = col,
        .namespace_ = "",
        .name = "",
        .path = "",
        .message = message,
    };
    deliver(s, &f);
}

static int pending_cmp(const void *pa, const void *pb)
{
    const pending *a = pa, *b = pb;
    if (a->line != b->line)
        return a->line < b->line ? -1 : 1;
    if (a->col != b->col)
        return a->col < b->col ? -1 : 1;
    int c = strcmp(a->rule->info.id, b->rule->info.id);
    if (c)
        return c;
    c = strcmp(a->path, b->path);
    return c ? c : strcmp(a->message, b->message);
}

static void flush_document(kh_scanner *s, const char *file)
{
    if (s->nfound > 1)
        qsort(s->found, s->nfound, sizeof(pending), pending_cmp);
    for (size_t i = 0; i < s->nfound; i++) {
        const pending *p = &s->found[i];
        kh_finding f = {
            .rule_id = p->rule->info.id,
            .severity = p->severity,
            .file = file,
            .line = p->line,
            .col = p->col,
            .api_version = p->obj->api_version,
            .kind = p->obj->kind,
            .namespace_ = p->obj->namespace_,
            .name = p->obj->name,
            .path = p->path,
            .message = p->message,
            .suppressed = p->suppressed,
        };
        deliver(s, &f);
    }
    s->nfound = 0;
}

/* -------------------------------------------------------- rule running */

/* The reason given in an `ignore.kubeharden.io/<rule-id>` annotation, "" when
 * the annotation is there without a reason, NULL when absent. */
static const char *suppression_reason(const kh_object *obj, const char *rule_id)
{
    if (!obj->annotations)
        return NULL;
    /* Built with memcpy: this runs for every finding of an annotated object. */
    char key[160];
    size_t plen = sizeof(SUPPRESS_PREFIX) - 1, ilen = strlen(rule_id);
    if (plen + ilen >= sizeof(key))
        return NULL;
    memcpy(key, SUPPRESS_PREFIX, plen);
    memcpy(key + plen, rule_id, ilen + 1);
    const kh_node *v = kh_node_get(obj->annotations, key);
    if (!v)
        return NULL;
    const char *reason = kh_node_str(v);
    if (!reason)
        return "";
    while (*reason == ' ' || *reason == '\t' || *reason == '\n')
        reason++;
    return reason;
}

static void collect(void *ud, const kh_rule_def *rule, const kh_object *obj,
                    const kh_node *at, const char *path, const char *message,
                    int severity)
{
    kh_scanner *s = ud;
    if (s->nfound == s->capfound) {
        size_t cap = s->capfound ? s->capfound * 2 : 64;
        pending *bigger = realloc(s->found, cap * sizeof(pending));
        if (!bigger)
            return; /* out of memory: the finding is lost, nothing else is */
        s->found = bigger;
        s->capfound = cap;
    }
    size_t nrules;
    size_t index = (size_t)(rule - kh_rules__table(&nrules));
    pending *p = &s->found[s->nfound++];
    p->rule = rule;
    p->obj = obj;
    p->line = at->line;
    p->col = at->col;
    p->path = *obj->path_prefix
                  ? kh_arena_printf(s->cur, "%s%s", obj->path_prefix, path)
                  : path;
    p->message = message;
    p->severity = severity >= 0 && !kh_config__severity_overridden(s->cfg, index)
                      ? (kh_severity)severity
                      : kh_config__severity(s->cfg, index);
    p->suppressed = suppression_reason(obj, rule->info.id);
    if (p->suppressed && !*p->suppressed) {
        p->suppressed = NULL;
        p->message = kh_arena_printf(s->cur,
                                     "%s (suppression ignored: annotation '" SUPPRESS_PREFIX
                                     "%s' must give a reason)",
                                     message, rule->info.id);
    }
    if (!p->path)
        p->path = path;
    if (!p->message)
        p->message = message;
}

static kh_rule_ctx rule_context(kh_scanner *s)
{
    kh_rule_ctx ctx = {.arena = s->cur, .sink = collect, .sink_ud = s,
                       .pss_minor = s->cfg->pss_minor, .policy = &s->cfg->policy};
    return ctx;
}

static void check_object(kh_scanner *s, const kh_object *obj)
{
    s->stats.objects++;
    if (kh_config__excluded(s->cfg, obj))
        return;
    size_t n;
    const kh_rule_def *table = kh_rules__table(&n);
    kh_rule_ctx ctx = rule_context(s);
    for (size_t i = 0; i < n; i++) {
        if (!kh_config__enabled(s->cfg, i))
            continue;
        if (!s->cfg->pss_restricted && strncmp(table[i].info.id, "pss.restricted.", 15) == 0)
            continue;
        ctx.rule = &table[i];
        table[i].check(&ctx, obj);
    }
}

/* Turn a node into an object and check it; a node that is not an object
 * is an input error. */
static void scan_node(kh_scanner *s, const kh_doc *doc, const kh_node *node,
                      const char *prefix)
{
    const char *file = doc->file;
    kh_object *obj = kh_arena_alloc(s->cur, sizeof(*obj));
    kh_error err = {0};
    if (!obj) {
        kh_scanner__error(s, file, node->line, node->col, "out of memory");
        return;
    }
    if (kh_object_from_node(obj, node, file, prefix, s->cur, &err) != KH_OK) {
        kh_scanner__error(s, file, err.line, err.col, err.message);
        return;
    }
    /* CRD pod templates from the configuration, for every rule. */
    obj->pod_templates = s->cfg->policy.templates;
    obj->npod_templates = s->cfg->policy.ntemplates;
    obj->duplicate_keys = doc->duplicate_keys;
    obj->nduplicate_keys = doc->nduplicate_keys;
    kh_object_cache_podspec(obj, s->cur);
    check_object(s, obj);
}

/* A List's own keys are not an object's, but a key repeated there (say a
 * second `items:`) must still be reported: run the duplicate-key rule on
 * the wrapper, which skips the items. */
static void check_list_wrapper(kh_scanner *s, const kh_doc *doc)
{
    size_t n;
    const kh_rule_def *rule = kh_rules__find("manifest.duplicate-key");
    kh_object *wrapper = kh_arena_alloc(s->cur, sizeof(*wrapper));
    if (!rule || !wrapper || !kh_config__enabled(s->cfg, (size_t)(rule - kh_rules__table(&n))) ||
        kh_object_from_node(wrapper, doc->root, doc->file, "", s->cur, NULL) != KH_OK)
        return;
    wrapper->duplicate_keys = doc->duplicate_keys;
    wrapper->nduplicate_keys = doc->nduplicate_keys;
    kh_rule_ctx ctx = rule_context(s);
    ctx.rule = rule;
    rule->check(&ctx, wrapper);
}

static void scan_document(kh_scanner *s, const kh_doc *doc)
{
    const kh_node *root = doc->root;
    s->stats.documents++;
    if (kh_node_is_map(root) && kh_object_is_list(root)) {
        const kh_node *items = kh_node_get(root, "items");
        size_t n = kh_node_is_seq(items) ? items->len : 0;
        for (size_t i = 0; i < n; i++) {
            const char *prefix = kh_arena_printf(s->cur, "items[%zu].", i);
            scan_node(s, doc, kh_node_at(items, i), prefix ? prefix : "");
        }
        if (doc->nduplicate_keys)
            check_list_wrapper(s, doc);
    } else {
        scan_node(s, doc, root, "");
    }
    flush_document(s, doc->file);
}

/* Check one loaded document (or report its load error) and deliver its
 * findings: the second stage, run inline or on the pipeline's thread. */
static void check_loaded(void *ud, kh_arena *arena, const kh_doc *doc, const kh_error *err)
{
    kh_scanner *s = ud;
    if (s->stopped)
        return;
    if (err) {
        kh_scanner__error(s, err->file, err->line, err->col, err->message);
        return;
    }
    s->cur = arena;
    scan_document(s, doc);
}

/* Inputs smaller than this are checked inline: handing documents to
 * another thread only pays off when there are many of them. */
#define PIPELINE_MIN_BYTES (4u << 20)

static int scan_reader(kh_scanner *s, kh_doc_reader *r, const char *name, size_t size)
{
    s->stats.files++;
    if (s->threads > 1 && size >= PIPELINE_MIN_BYTES && !s->pipe &&
        kh_pipeline__new(&s->pipe, check_loaded, s) != KH_OK)
        s->threads = 1; /* no thread: check inline */
    kh_pipeline *pipe = s->threads > 1 && size >= PIPELINE_MIN_BYTES ? s->pipe : NULL;
    for (;;) {
        if (s->stopped)
            break;
        int rc = pipe ? kh_pipeline__load(pipe, r, name) : KH_OK;
        if (pipe && rc <= 0)
            break;
        if (pipe)
            continue;
        kh_arena_reset(&s->arena);
        kh_doc doc;
        kh_error err = {0};
        rc = kh_doc_reader_next(r, &s->arena, &doc, &err);
        if (rc == 0)
            break;
        err.file = name;
        check_loaded(s, &s->arena, &doc, rc < 0 ? &err : NULL);
    }
    /* Every finding of this input is delivered before we return. */
    if (pipe)
        kh_pipeline__drain(pipe);
    s->stats.bytes += kh_doc_reader_offset(r);
    kh_arena_reset(&s->arena);
    s->cur = &s->arena;
    return KH_OK;
}

int kh_scan_stream(kh_scanner *s, FILE *in, const char *name, kh_error *err)
{
    kh_doc_reader *r = NULL;
    int rc = kh_doc_reader_new_stream(&r, in, name, err);
    if (rc)
        return rc;
    struct stat st;
    size_t size = fstat(fileno(in), &st) == 0 && S_ISREG(st.st_mode) ? (size_t)st.st_size
                                                                     : SIZE_MAX;
    rc = scan_reader(s, r, name, size);
    kh_doc_reader_free(r);
    return rc;
}

int kh_scan_buffer(kh_scanner *s, const char *buf, size_t len, const char *name,
                   kh_error *err)
{
    kh_doc_reader *r = NULL;
    int rc = kh_doc_reader_new_buffer(&r, buf, len, name, err);
    if (rc)
        return rc;
    rc = scan_reader(s, r, name, len);
    kh_doc_reader_free(r);
    return rc;
}

int kh_scanner__stopped(const kh_scanner *s)
{
    return s->stopped;
}
