/*
 * objset.c -- every object of a scan, indexed for cluster-wide analyses.
 *
 * Objects are copied into chunks of OBJSET_CHUNK that never move, so a
 * kh_object pointer stays valid for the life of the set. Three indexes
 * (index.c) map kind, namespace and label "key\0value" to the ascending
 * indexes of the objects that have them. kh_objset_select walks the
 * shortest candidate list it can prove complete: the smallest posting list
 * among the selector's equality requirements, else the kind or namespace
 * list, else everything; each candidate is then checked against the whole
 * selector. So a select costs O(candidates), never O(objects^2).
 */
#include "k8s/k8s.h"

#include <stdlib.h>
#include <string.h>

#include "k8s/internal.h"

#define OBJSET_CHUNK 256

struct kh_objset {
    kh_object **chunks;          /* each OBJSET_CHUNK objects */
    size_t nchunks, chunks_cap;
    size_t count;
    kh_index kinds, namespaces, labels;
    char *keybuf;                /* scratch for "key\0value" */
    size_t keybuf_cap;
};

int kh_objset_new(kh_objset **out, kh_error *err)
{
    kh_objset *set = calloc(1, sizeof(*set));
    *out = set;
    if (!set)
        return kh_error_set(err, KH_ENOMEM, NULL, 0, 0, "out of memory");
    kh_index__init(&set->kinds, true);
    kh_index__init(&set->namespaces, false);
    kh_index__init(&set->labels, false);
    return 0;
}

void kh_objset_free(kh_objset *set)
{
    if (!set)
        return;
    for (size_t i = 0; i < set->nchunks; i++)
        free(set->chunks[i]);
    free(set->chunks);
    kh_index__free(&set->kinds);
    kh_index__free(&set->namespaces);
    kh_index__free(&set->labels);
    free(set->keybuf);
    free(set);
}

size_t kh_objset_count(const kh_objset *set)
{
    return set ? set->count : 0;
}

const kh_object *kh_objset_at(const kh_objset *set, size_t i)
{
    if (!set || i >= set->count)
        return NULL;
    return &set->chunks[i / OBJSET_CHUNK][i % OBJSET_CHUNK];
}

/* ------------------------------------------------------------------ add */

/* Room for one more object in the chunks. */
static int chunk_room(kh_objset *set)
{
    if (set->count < set->nchunks * OBJSET_CHUNK)
        return 0;
    if (set->nchunks == set->chunks_cap) {
        size_t ncap = set->chunks_cap ? set->chunks_cap * 2 : 16;
        kh_object **c = realloc(set->chunks, ncap * sizeof(*c));
        if (!c)
            return KH_ENOMEM;
        set->chunks = c;
        set->chunks_cap = ncap;
    }
    kh_object *chunk = malloc(OBJSET_CHUNK * sizeof(*chunk));
    if (!chunk)
        return KH_ENOMEM;
    set->chunks[set->nchunks++] = chunk;
    return 0;
}

/* "key\0value" in the scratch buffer; @return its length or 0 on ENOMEM. */
static size_t label_key(kh_objset *set, const char *key, const char *value)
{
    size_t kl = strlen(key), vl = strlen(value), n = kl + 1 + vl;
    if (n + 1 > set->keybuf_cap) {
        size_t ncap = n + 1 < 64 ? 64 : (n + 1) * 2;
        char *b = realloc(set->keybuf, ncap);
        if (!b)
            return 0;
        set->keybuf = b;
        set->keybuf_cap = ncap;
    }
    memcpy(set->keybuf, key, kl);
    set->keybuf[kl] = '\0';
    memcpy(set->keybuf + kl + 1, value, vl + 1);
    return n;
}

/* Reserve (push == false) or push every label of @p obj. */
static int index_labels(kh_objset *set, const kh_object *obj, size_t idx,
                        const kh_object *stored, bool push)
{
    const kh_node *labels = obj->labels;
    if (!kh_node_is_map(labels))
        return 0;
    for (uint32_t i = 0; i < labels->len; i++) {
        const char *k = kh_k8s__label_text(labels->u.pairs[i].key);
        const char *v = kh_k8s__label_text(labels->u.pairs[i].value);
        if (!k || !v)
            continue;
        size_t n = label_key(set, k, v);
        if (n == 0)
            return KH_ENOMEM;
        if (!push && kh_index__reserve(&set->labels, set->keybuf, n) != 0)
            return KH_ENOMEM;
        if (push)
            kh_index__push(&set->labels, set->keybuf, n, idx, stored);
    }
    return 0;
}

static const char *ns_of(const kh_object *obj)
{
    return obj->namespace_ ? obj->namespace_ : "";
}

int kh_objset_add(kh_objset *set, const kh_object *obj)
{
    if (!set || !obj)
        return KH_EUSAGE;
    if (set->count >= UINT32_MAX)
        return KH_ENOMEM; /* the postings hold 32-bit indexes */
    const char *ns = ns_of(obj);
    if (chunk_room(set) != 0 ||
        (obj->kind &&
         kh_index__reserve(&set->kinds, obj->kind, strlen(obj->kind)) != 0) ||
        kh_index__reserve(&set->namespaces, ns, strlen(ns)) != 0 ||
        index_labels(set, obj, 0, NULL, false) != 0)
        return KH_ENOMEM;
    /* Nothing below can fail: the object goes in with all its postings. */
    size_t idx = set->count++;
    kh_object *stored = &set->chunks[idx / OBJSET_CHUNK][idx % OBJSET_CHUNK];
    *stored = *obj;
    if (obj->kind)
        kh_index__push(&set->kinds, obj->kind, strlen(obj->kind), idx, stored);
    kh_index__push(&set->namespaces, ns, strlen(ns), idx, stored);
    index_labels(set, obj, idx, stored, true);
    return 0;
}

/* --------------------------------------------------------------- lookup */

size_t kh_objset_by_kind(const kh_objset *set, const char *kind,
                         const kh_object *const **out)
{
    const kh_index_entry *e = kind ? kh_index__find(&set->kinds, kind, strlen(kind)) : NULL;
    *out = e && e->len ? (const kh_object *const *)e->ptrs : NULL;
    return e ? e->len : 0;
}

/* ---------------------------------------------------------------- select */

/* Candidate object indexes: list[0..len), or every index when all is set. */
typedef struct candidates {
    const uint32_t *list;
    size_t len;
    bool all;
} candidates;

static void consider(candidates *c, const kh_index_entry *e)
{
    size_t len = e ? e->len : 0;
    if (c->all || len < c->len) {
        c->list = e ? e->idx : NULL;
        c->len = len;
        c->all = false;
    }
}

/* The entry for label key=value; long keys get a temporary heap buffer. */
static const kh_index_entry *find_label(const kh_objset *set, const char *key,
                                        const char *value, bool *ok)
{
    char small[256];
    size_t kl = strlen(key), vl = strlen(value), n = kl + 1 + vl;
    char *buf = n < sizeof(small) ? small : malloc(n + 1);
    if (!buf) {
        *ok = false;
        return NULL;
    }
    memcpy(buf, key, kl);
    buf[kl] = '\0';
    memcpy(buf + kl + 1, value, vl + 1);
    const kh_index_entry *e = kh_index__find(&set->labels, buf, n);
    if (buf != small)
        free(buf);
    *ok = true;
    return e;
}

/*
 * The shortest complete candidate list: every object the query can return
 * is on each of the lists considered, so any of them will do. A missing
 * key yields an empty list.
 */
static candidates pick(const kh_objset *set, const char *kind, const char *ns,
                       const kh_selector *sel)
{
    candidates c = {NULL, set->count, true};
    for (size_t i = 0; i < sel->nreqs; i++) {
        const kh_selector_req *r = &sel->reqs[i];
        if (r->op != KH_SELECTOR_IN || r->nvalues != 1)
            continue;
        bool ok;
        const kh_index_entry *e = find_label(set, r->key, r->values[0], &ok);
        if (ok)                  /* out of memory: another list or a scan */
            consider(&c, e);
    }
    if (kind)
        consider(&c, kh_index__find(&set->kinds, kind, strlen(kind)));
    if (ns)
        consider(&c, kh_index__find(&set->namespaces, ns, strlen(ns)));
    return c;
}

static bool wanted(const kh_object *o, const char *kind, const char *ns,
                   const kh_selector *sel)
{
    if (kind && (!o->kind || strcmp(o->kind, kind) != 0))
        return false;
    if (ns && strcmp(ns_of(o), ns) != 0)
        return false;
    return kh_selector_matches(sel, o->labels);
}

int kh_objset_select(const kh_objset *set, const char *kind, const char *ns,
                     const kh_selector *sel, kh_objset_fn fn, void *ud)
{
    if (!set || kh_selector_matches_nothing(sel))
        return 0;
    candidates c = pick(set, kind, ns, sel);
    for (size_t i = 0; i < c.len; i++) {
        const kh_object *o = kh_objset_at(set, c.all ? i : c.list[i]);
        if (wanted(o, kind, ns, sel)) {
            int rc = fn(o, ud);
            if (rc != 0)
                return rc;
        }
    }
    return 0;
}

size_t kh_objset__candidates(const kh_objset *set, const char *kind,
                             const char *ns, const kh_selector *sel)
{
    if (!set || kh_selector_matches_nothing(sel))
        return 0;
    return pick(set, kind, ns, sel).len;
}
