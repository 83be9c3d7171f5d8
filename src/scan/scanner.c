/*
 * scanner.c -- the engine: inputs in, ordered findings out.
 *
 * Streaming by construction: one document at a time is loaded into a
 * per-document arena, its envelope unwrapped (k8s/envelope.c) into objects,
 * each object run through the plan's per-object rules (plan.c), and its
 * findings sorted and delivered before the arena is reset for the next
 * document. Objects of the kinds an enabled set rule needs are copied into
 * a scan-lifetime arena and object set; kh_scanner_finish runs the set
 * rules over them. Nothing else outlives its document, so memory stays
 * flat when no set rule keeps anything. kh_evaluate judges one in-memory
 * object with the same code, on the caller's thread.
 */
#include <errno.h>
#ifdef __GLIBC__
#include <malloc.h>
#endif
#include <stdlib.h>
#include <string.h>
#include <stdint.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/strset.h"
#include "doc/node.h"
#include "doc/nodeshare.h"
#include "k8s/k8s.h"
#include "rules/rules.h"
#include "scan/config.h"
#include "scan/pipeline.h"
#include "scan/plan.h"
#include "scan/scanner.h"

#define SUPPRESS_PREFIX "ignore.kubeharden.io/"

/* One finding waiting to be sorted: 48 bytes, since a set rule's may wait
 * by the 100,000. Its suppression is looked up again when delivered. */
typedef struct pending {
    const kh_object *obj;
    const char *path;            /* the finding's path is the object's path_prefix
                                  * then this: joined only when delivered */
    const char *message;
    const kh_location *related;
    unsigned line, col;
    uint32_t nrelated;
    uint16_t rule;               /* index in the rule table */
    uint8_t severity;            /* kh_severity */
} pending;

static const kh_rule_def *rule_of(const pending *p)
{
    size_t n;
    return &kh_rules__table(&n)[p->rule];
}

static const char *prefix_of(const pending *p)
{
    return p->obj->path_prefix ? p->obj->path_prefix : "";
}

struct kh_scanner {
    const kh_config *cfg;
    kh_config *own_cfg;          /* the default config when none was given */
    kh_finding_cb cb;
    void *ud;
    kh_rule_plan plan;
    kh_arena arena;              /* per document, when not pipelined */
    kh_arena *cur;               /* the arena of the document being checked */
    int threads;                 /* 2: load and check on two threads (pipeline.c) */
    kh_pipeline *pipe;           /* started on first use */
    pending *found;              /* findings of the current document */
    size_t nfound, capfound;
    char *pathbuf;               /* a delivered finding's whole path */
    size_t pathcap;
    _Atomic int stopped;         /* the callback asked to stop */
    kh_scan_stats stats;
    /* Set rules: the objects they need, kept for the whole scan. */
    kh_arena keep;
    kh_objset *set;              /* NULL when no enabled set rule keeps anything */
    kh_nodeshare *share;         /* kh_scanner__share_kept: kept trees share equal
                                  * subtrees (positions mean nothing); else NULL */
    unsigned input;              /* number of the current input */
    const char *kept_label;      /* the current input's label, copied into keep */
    unsigned kept_label_input;
    /* kh_evaluate: Pod Security findings that decide the verdict, and the
     * first input error, which is also returned. */
    size_t violations;
    kh_error *first_error;
};

static void scanner_init_defaults(kh_scanner *s, const kh_config *cfg, kh_finding_cb cb,
                                  void *ud, size_t arena_block)
{
    s->cfg = cfg;
    s->cb = cb;
    s->ud = ud;
    kh_arena_init(&s->arena, arena_block);
    kh_arena_init(&s->keep, 256 * 1024);
    s->cur = &s->arena;
    s->threads = 1;
}

static void scanner_release(kh_scanner *s)
{
    kh_pipeline__free(s->pipe);
    kh_arena_free(&s->arena);
    kh_arena_free(&s->keep);
    kh_objset_free(s->set);
    if (s->share)
        kh_nodeshare_free(s->share);
    free(s->share);
    kh_plan__free(&s->plan);
    free(s->found);
    free(s->pathbuf);
}

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
    scanner_init_defaults(s, cfg, cb, ud, 256 * 1024);
    s->threads = sysconf(_SC_NPROCESSORS_ONLN) > 1 ? 2 : 1;
    kh_pss_level level = cfg->pss_restricted ? KH_PSS_RESTRICTED : KH_PSS_BASELINE;
    int rc = kh_plan__build(&s->plan, cfg, level, cfg->pss_minor);
    if (rc == KH_OK && s->plan.nkinds)
        rc = kh_objset_new(&s->set, err);
    if (rc) {
        kh_scanner_free(s);
        return kh_error_set(err, KH_ENOMEM, NULL, 0, 0, "out of memory");
    }
    *out = s;
    return KH_OK;
}

int kh_scanner__keep_only(kh_scanner *s, const char *const *kinds)
{
    if (kh_plan__keep_only(&s->plan, kinds) != KH_OK)
        return KH_ENOMEM;
    if (!s->set && kh_objset_new(&s->set, NULL) != KH_OK)
        return KH_ENOMEM;
    return KH_OK;
}

void kh_scanner__run_no_rule(kh_scanner *s)
{
    s->plan.nobject = s->plan.nenvelope = s->plan.nset = 0;
}

const kh_objset *kh_scanner__objects(const kh_scanner *s)
{
    return s->set;
}

int kh_scanner__share_kept(kh_scanner *s)
{
    if (s->share)
        kh_nodeshare_free(s->share);
    else if (!(s->share = malloc(sizeof(*s->share))))
        return KH_ENOMEM;
    kh_nodeshare_init(s->share);
    return KH_OK;
}

void kh_scanner_free(kh_scanner *s)
{
    if (!s)
        return;
    scanner_release(s);
    kh_config_free(s->own_cfg);
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
    if (s->first_error && !s->first_error->code)
        kh_error_set(s->first_error, KH_EPARSE, file, line, col, "%s", message);
    deliver(s, &f);
}

/* strcmp of a1 a2 (joined) with b1 b2. */
static int joined_cmp(const char *a1, const char *a2, const char *b1, const char *b2)
{
    if (a1 == b1 || strcmp(a1, b1) == 0)
        return strcmp(a2, b2);
    for (;;) {
        if (!*a1)
            a1 = a2, a2 = "";
        if (!*b1)
            b1 = b2, b2 = "";
        unsigned char ca = (unsigned char)*a1, cb = (unsigned char)*b1;
        if (ca != cb || !ca)
            return ca < cb ? -1 : ca > cb;
        a1++, b1++;
    }
}

static int path_cmp(const pending *a, const pending *b)
{
    return joined_cmp(prefix_of(a), a->path, prefix_of(b), b->path);
}

/* Within a document: position, then rule id, path and message. */
static int pending_cmp(const void *pa, const void *pb)
{
    const pending *a = pa, *b = pb;
    if (a->line != b->line)
        return a->line < b->line ? -1 : 1;
    if (a->col != b->col)
        return a->col < b->col ? -1 : 1;
    int c = a->rule == b->rule ? 0 : strcmp(rule_of(a)->info.id, rule_of(b)->info.id);
    if (c)
        return c;
    c = path_cmp(a, b);
    return c ? c : strcmp(a->message, b->message);
}

/* Set-rule findings: by rule id, then the object's input, position, path
 * and message (docs/output.md promises this order). */
static int set_pending_cmp(const void *pa, const void *pb)
{
    const pending *a = pa, *b = pb;
    int c = a->rule == b->rule ? 0 : strcmp(rule_of(a)->info.id, rule_of(b)->info.id);
    if (c)
        return c;
    if (a->obj->input != b->obj->input)
        return a->obj->input < b->obj->input ? -1 : 1;
    /* The object's position first: the same order as the finding's own
     * (objects do not overlap). Then the order objects were read in, which
     * is their order where the kept nodes have no position
     * (kh_scanner__share_kept). */
    const kh_node *ra = a->obj->root, *rb = b->obj->root;
    if (ra->line != rb->line)
        return ra->line < rb->line ? -1 : 1;
    if (ra->col != rb->col)
        return ra->col < rb->col ? -1 : 1;
    if (a->obj->seq != b->obj->seq)
        return a->obj->seq < b->obj->seq ? -1 : 1;
    if (a->line != b->line)
        return a->line < b->line ? -1 : 1;
    if (a->col != b->col)
        return a->col < b->col ? -1 : 1;
    c = path_cmp(a, b);
    return c ? c : strcmp(a->message, b->message);
}

/* The finding's whole path in the scanner's buffer (valid until the next
 * call), NULL when out of memory. */
static const char *joined_path(kh_scanner *s, const pending *p)
{
    const char *prefix = prefix_of(p);
    if (!*prefix)
        return p->path;
    size_t lp = strlen(prefix), lr = strlen(p->path);
    if (lp + lr + 1 > s->pathcap) {
        size_t cap = (lp + lr + 1) * 2;
        char *b = realloc(s->pathbuf, cap);
        if (!b)
            return NULL;
        s->pathbuf = b;
        s->pathcap = cap;
    }
    memcpy(s->pathbuf, prefix, lp);
    memcpy(s->pathbuf + lp, p->path, lr + 1);
    return s->pathbuf;
}

static const char *suppression_reason(const kh_object *obj, const char *rule_id);

static void flush(kh_scanner *s, int (*cmp)(const void *, const void *))
{
    if (s->nfound > 1)
        qsort(s->found, s->nfound, sizeof(pending), cmp);
    for (size_t i = 0; i < s->nfound; i++) {
        const pending *p = &s->found[i];
        const kh_rule_def *rule = rule_of(p);
        if (rule->pss_level != KH_PSS_PRIVILEGED)
            s->violations++;
        const char *path = joined_path(s, p);
        const char *suppressed = suppression_reason(p->obj, rule->info.id);
        kh_finding f = {
            .rule_id = rule->info.id,
            .severity = (kh_severity)p->severity,
            .file = p->obj->file,
            .line = p->line,
            .col = p->col,
            .api_version = p->obj->api_version,
            .kind = p->obj->kind,
            .namespace_ = p->obj->namespace_,
            .name = p->obj->name,
            .path = path ? path : p->path,
            .message = p->message,
            .suppressed = suppressed && *suppressed ? suppressed : NULL,
            .related = p->nrelated ? p->related : NULL,
            .nrelated = p->nrelated,
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
                    int severity, const kh_location *related, size_t nrelated)
{
    kh_scanner *s = ud;
    /* An excluded object is not checked, but a set rule may still see it
     * (a Role in an excluded namespace still grants); only its own
     * findings are dropped. */
    if (rule->check_set && kh_config__excluded(s->cfg, obj))
        return;
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
    p->rule = (uint16_t)index;
    p->obj = obj;
    p->line = at->line;
    p->col = at->col;
    p->path = path;
    p->message = message;
    p->related = related;
    p->nrelated = nrelated <= UINT32_MAX ? (uint32_t)nrelated : UINT32_MAX;
    p->severity = severity >= 0 && !kh_config__severity_overridden(s->cfg, index)
                      ? (kh_severity)severity
                      : kh_config__severity(s->cfg, index);
    const char *suppressed = suppression_reason(obj, rule->info.id);
    if (suppressed && !*suppressed) {
        p->message = kh_arena_printf(s->cur,
                                     "%s (suppression ignored: annotation '" SUPPRESS_PREFIX
                                     "%s' must give a reason)",
                                     message, rule->info.id);
    }
    if (!p->message)
        p->message = message;
}

static kh_rule_ctx rule_context(kh_scanner *s, const kh_doc *doc)
{
    kh_rule_ctx ctx = {.arena = s->cur, .sink = collect, .sink_ud = s,
                       .pss_minor = s->plan.minor, .kube_minor = s->cfg->kube_minor,
                       .policy = &s->cfg->policy,
                       .doc = doc};
    return ctx;
}

/* The label of the current input, copied once into the keep arena. */
static const char *kept_label(kh_scanner *s, const char *file)
{
    if (!s->kept_label || s->kept_label_input != s->input) {
        s->kept_label = kh_arena_strdup(&s->keep, file ? file : "");
        s->kept_label_input = s->input;
    }
    return s->kept_label;
}

/* Copy what the set rules need of an object out of its document. */
static void keep_object(kh_scanner *s, const kh_object *obj, const kh_keep_kind *what)
{
    kh_object copy;
    kh_error err = {0};
    const char *label = kept_label(s, obj->file);
    const char *const *fields = what->whole ? NULL : what->fields;
    int rc = !label ? KH_ENOMEM
             : s->share ? kh_object_clone_shared(&copy, obj, label, fields, what->nfields,
                                                 s->share, &s->keep, s->cur, &err)
                        : kh_object_clone(&copy, obj, label, fields, what->nfields, &s->keep,
                                          &err);
    copy.seq = (uint32_t)kh_objset_count(s->set);
    if (rc != KH_OK || kh_objset_add(s->set, &copy) != KH_OK)
        kh_scanner__error(s, obj->file, obj->root->line, obj->root->col,
                          "out of memory keeping this object for cluster-wide rules");
}

static void check_object(kh_scanner *s, const kh_doc *doc, kh_object *obj)
{
    s->stats.objects++;
    obj->input = s->input;
    /* CRD pod templates from the configuration, for every rule. */
    obj->pod_templates = s->cfg->policy.templates;
    obj->npod_templates = (uint32_t)s->cfg->policy.ntemplates;
    kh_object_cache_podspec(obj);
    const kh_keep_kind *keep = s->set ? kh_plan__keeps(&s->plan, obj->kind) : NULL;
    if (keep)
        keep_object(s, obj, keep);
    if (kh_config__excluded(s->cfg, obj))
        return;
    kh_rule_ctx ctx = rule_context(s, doc);
    for (size_t i = 0; i < s->plan.nobject; i++) {
        ctx.rule = s->plan.object_rules[i];
        ctx.rule->check(&ctx, obj);
    }
}

/* What unwrapping one document collects: the nodes of the objects it
 * carried (an envelope's own rules skip them). */
typedef struct doc_walk {
    kh_scanner *s;
    const kh_doc *doc;
    const kh_node **inner;
    size_t ninner, capinner;
} doc_walk;

static int on_item(const kh_envelope_item *item, void *ud)
{
    doc_walk *w = ud;
    kh_scanner *s = w->s;
    if (w->ninner == w->capinner) {
        size_t cap = w->capinner ? w->capinner * 2 : 16;
        const kh_node **bigger = kh_arena_alloc(s->cur, cap * sizeof(*bigger));
        if (bigger) {
            if (w->ninner)
                memcpy(bigger, w->inner, w->ninner * sizeof(*bigger));
            w->inner = bigger;
            w->capinner = cap;
        }
    }
    if (w->ninner < w->capinner)
        w->inner[w->ninner++] = item->node;
    if (item->role != KH_ENVELOPE_CURRENT)
        return 0; /* the previous state of an update is not what is admitted */
    const char *file = w->doc->file;
    kh_object *obj = kh_arena_alloc(s->cur, sizeof(*obj));
    kh_error err = {0};
    if (!obj) {
        kh_scanner__error(s, file, item->node->line, item->node->col, "out of memory");
        return 0;
    }
    if (kh_object_from_item(obj, item->node, file, item->path_prefix, item->api_version,
                            item->kind, s->cur, &err) != KH_OK) {
        kh_scanner__error(s, file, err.line, err.col, err.message);
        return 0;
    }
    check_object(s, w->doc, obj);
    return 0;
}

/* An envelope's own mapping is checked by the rules that ask for it (a key
 * repeated in a List's own keys, a second `items:`, is still reported). */
static void check_envelope(kh_scanner *s, const doc_walk *w)
{
    kh_object *wrapper = kh_arena_alloc(s->cur, sizeof(*wrapper));
    if (!wrapper || kh_object_from_node(wrapper, w->doc->root, w->doc->file, "", s->cur,
                                        NULL) != KH_OK)
        return;
    wrapper->input = s->input;
    kh_rule_ctx ctx = rule_context(s, w->doc);
    ctx.inner = w->inner;
    ctx.ninner = w->ninner;
    for (size_t i = 0; i < s->plan.nenvelope; i++) {
        ctx.rule = s->plan.envelope_rules[i];
        ctx.rule->check(&ctx, wrapper);
    }
}

static void scan_document(kh_scanner *s, const kh_doc *doc)
{
    s->stats.documents++;
    doc_walk w = {.s = s, .doc = doc};
    kh_error err = {0};
    if (kh_envelope_unwrap(doc->root, doc->file, s->cur, on_item, &w, &err) < 0)
        kh_scanner__error(s, doc->file, err.line, err.col, err.message);
    if (s->plan.nenvelope && kh_envelope_name(doc->root))
        check_envelope(s, &w);
    flush(s, pending_cmp);
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

/* ------------------------------------------------------------ set rules */

/* The area of a rule id: "ha" of "ha.single-replica". */
static size_t area_len(const char *id)
{
    return strcspn(id, ".");
}

/* Return freed heap memory to the system (glibc keeps it resident), so
 * that a model is not built beside what the last phase let go. */
static void give_back_freed(void)
{
#ifdef __GLIBC__
    malloc_trim(0);
#endif
}

int kh_scanner_finish(kh_scanner *s, kh_error *err)
{
    (void)err;
    if (s->pipe)
        kh_pipeline__drain(s->pipe);
    if (!s->set)
        return KH_OK;
    /* What only loading needs (the loader's thread and arenas, the table
     * of shared subtrees) goes before the models are built: they are the
     * scan's peak. */
    kh_pipeline__free(s->pipe);
    s->pipe = NULL;
    if (s->share)
        kh_nodeshare_free(s->share); /* empty again */
    /* The loading threads' malloc arenas keep what they freed. */
    give_back_freed();
    /*
     * Set rules run in registry order, which is rule-id order, and their
     * findings are sorted by rule id first: so each rule's findings can be
     * delivered as soon as it has run, in the same order as if all were
     * held to the end. The rules of one area share their model
     * (kh_rule__shared); it and the area's findings live in an arena of
     * their own, given back before the next area builds its model, so the
     * peak holds one model, not all of them.
     */
    kh_arena area;
    kh_arena_init(&area, 256 * 1024);
    kh_strset messages;
    kh_strset_init(&messages);
    s->cur = &area;
    kh_rule_ctx ctx = rule_context(s, NULL);
    ctx.messages = &messages;
    const char *prev = NULL;
    for (size_t i = 0; i < s->plan.nset && !s->stopped; i++) {
        ctx.rule = s->plan.set_rules[i];
        const char *id = ctx.rule->info.id;
        if (prev && (area_len(prev) != area_len(id) ||
                     strncmp(prev, id, area_len(id)) != 0)) {
            memset(ctx.shared, 0, sizeof(ctx.shared));
            kh_strset_reset(&messages);
            kh_arena_reset(&area);
        }
        prev = id;
        /* Room for a finding per object, reserved at once: a rule may say
         * something of every pod, and doubling 8 MB of findings would leave
         * the smaller copies as holes in the heap, resident beside the
         * model. Pages never written cost nothing. */
        size_t room = kh_objset_count(s->set) + 64;
        pending *found = realloc(s->found, room * sizeof(pending));
        if (found) {
            s->found = found;
            s->capfound = room;
        }
        ctx.rule->check_set(&ctx, s->set);
        bool many = s->nfound >= 16384;
        flush(s, set_pending_cmp);
        /* Given back before the next area builds its model (and to the
         * system when a rule said much: malloc would otherwise hand the
         * next rule's room back already resident). */
        free(s->found);
        s->found = NULL;
        s->capfound = 0;
        if (many)
            give_back_freed();
    }
    kh_arena_free(&area);
    kh_strset_free(&messages);
    s->cur = &s->arena;
    /* The next finish judges what is scanned after this one. */
    kh_objset_free(s->set);
    s->set = NULL;
    kh_arena_reset(&s->keep);
    s->kept_label = NULL;
    if (kh_objset_new(&s->set, err) != KH_OK)
        return KH_ENOMEM;
    return KH_OK;
}

/* Inputs smaller than this are checked inline: handing documents to
 * another thread only pays off when there are many of them. */
#define PIPELINE_MIN_BYTES (4u << 20)

static int scan_reader(kh_scanner *s, kh_doc_reader *r, const char *name, size_t size)
{
    s->stats.files++;
    s->input = (unsigned)s->stats.files - 1;
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

/* ------------------------------------------------------------ evaluation */

/* A scanner on the caller's stack: nothing shared, nothing kept, so many
 * threads may evaluate at once with the same (read-only) configuration. */
static int evaluate_begin(kh_scanner *s, const kh_config *cfg, kh_pss_level level,
                          const char *pss_version, kh_finding_cb cb, void *ud,
                          kh_verdict *out, kh_error *err)
{
    memset(s, 0, sizeof(*s));
    if (out)
        memset(out, 0, sizeof(*out));
    if (!cfg)
        return kh_error_set(err, KH_EUSAGE, NULL, 0, 0, "no configuration given");
    if (level > KH_PSS_RESTRICTED)
        return kh_error_set(err, KH_EUSAGE, NULL, 0, 0, "unknown Pod Security level %d",
                            (int)level);
    int minor = cfg->pss_minor;
    if (pss_version && (minor = kh_config__pss_minor(pss_version)) < 0)
        return kh_error_set(err, KH_EUSAGE, NULL, 0, 0,
                            "bad Pod Security version '%s' (use latest or v1.N, e.g. v1.30)",
                            pss_version);
    /* Objects under admission are small: start with a small arena. */
    scanner_init_defaults(s, cfg, cb, ud, 16 * 1024);
    if (kh_plan__build(&s->plan, cfg, level, minor) != KH_OK) {
        scanner_release(s);
        return kh_error_set(err, KH_ENOMEM, NULL, 0, 0, "out of memory");
    }
    if (err)
        err->code = KH_OK;
    s->first_error = err;
    return KH_OK;
}

static int evaluate_end(kh_scanner *s, kh_verdict *out)
{
    kh_verdict v = {
        .allowed = !s->violations && !s->stats.errors,
        .violations = s->violations,
        .findings = s->stats.findings + s->stats.suppressed,
        .errors = s->stats.errors,
        .objects = s->stats.objects,
    };
    int rc = s->first_error && s->first_error->code ? s->first_error->code
             : s->stats.errors                      ? KH_EPARSE
                                                    : KH_OK;
    scanner_release(s);
    if (out)
        *out = v;
    return rc;
}

int kh_evaluate(const kh_config *cfg, kh_pss_level level, const char *pss_version,
                const char *buf, size_t len, const char *name, kh_finding_cb cb,
                void *ud, kh_verdict *out, kh_error *err)
{
    kh_scanner s;
    int rc = evaluate_begin(&s, cfg, level, pss_version, cb, ud, out, err);
    if (rc)
        return rc;
    name = name ? name : "<request>";
    kh_doc_reader *r = NULL;
    rc = kh_doc_reader_new_buffer(&r, buf, len, name, err);
    if (rc) {
        scanner_release(&s);
        return rc;
    }
    scan_reader(&s, r, name, len); /* one thread: s.threads is 1 */
    kh_doc_reader_free(r);
    return evaluate_end(&s, out);
}

int kh_evaluate__node(const kh_config *cfg, kh_pss_level level, const char *pss_version,
                      const kh_node *root, const char *name, kh_finding_cb cb, void *ud,
                      kh_verdict *out, kh_error *err)
{
    kh_scanner s;
    int rc = evaluate_begin(&s, cfg, level, pss_version, cb, ud, out, err);
    if (rc)
        return rc;
    kh_doc doc = {.root = root, .file = name ? name : "<request>"};
    if (root)
        check_loaded(&s, &s.arena, &doc, NULL);
    return evaluate_end(&s, out);
}
