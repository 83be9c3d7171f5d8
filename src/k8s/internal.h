/*
 * internal.h -- helpers shared by the files of src/k8s, not part of k8s.h.
 *
 * Small inline readers over the document tree (they use the kh_node fields
 * directly, so this module depends on node.h's layout, not on the loader),
 * the compiled form of a label selector (objset.c reads its equality
 * requirements to pick a posting list) and the string-keyed index that the
 * object set is built from (index.c).
 */
#ifndef KH_K8S_INTERNAL_H
#define KH_K8S_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <string.h>

#include "k8s/k8s.h"

/* ------------------------------------------------------------ tree access */

/* Value for @p key in a mapping (first match, exact bytes), or NULL. */
static inline const kh_node *kh_k8s__get(const kh_node *map, const char *key)
{
    if (!map || map->type != KH_NODE_MAP)
        return NULL;
    for (uint32_t i = 0; i < map->len; i++) {
        const kh_node *k = map->u.pairs[i].key;
        if (k && k->type != KH_NODE_MAP && k->type != KH_NODE_SEQ &&
            k->u.text && strcmp(k->u.text, key) == 0)
            return map->u.pairs[i].value;
    }
    return NULL;
}

static inline bool kh_k8s__is_type(const kh_node *n, kh_node_type t)
{
    return n && n->type == (uint8_t)t;
}

static inline bool kh_k8s__is_scalar(const kh_node *n)
{
    return n && n->type != KH_NODE_MAP && n->type != KH_NODE_SEQ;
}

/* Source text of a non-null scalar, else NULL (like kh_node_str). */
static inline const char *kh_k8s__text(const kh_node *n)
{
    if (!kh_k8s__is_scalar(n) || n->type == KH_NODE_NULL)
        return NULL;
    return n->u.text ? n->u.text : "";
}

/*
 * A label value as a Go map[string]string would hold it: the source text of
 * any scalar (`version: 1` is "1"), "" for an explicit null, NULL for a map
 * or a sequence.
 */
static inline const char *kh_k8s__label_text(const kh_node *n)
{
    if (!kh_k8s__is_scalar(n))
        return NULL;
    if (n->type == KH_NODE_NULL)
        return "";
    return n->u.text ? n->u.text : "";
}

/* ------------------------------------------------------------- selectors */

typedef enum kh_selector_op {
    KH_SELECTOR_IN = 0,
    KH_SELECTOR_NOT_IN,
    KH_SELECTOR_EXISTS,
    KH_SELECTOR_DOES_NOT_EXIST
} kh_selector_op;

typedef struct kh_selector_req {
    const char *key;
    kh_selector_op op;
    size_t nvalues;
    const char *const *values;
} kh_selector_req;

typedef enum kh_selector_mode {
    KH_SELECTOR_NOTHING = 0,     /* nil selector: matches no object */
    KH_SELECTOR_REQS             /* AND of reqs; none = everything */
} kh_selector_mode;

struct kh_selector {
    kh_selector_mode mode;
    size_t nreqs;
    const kh_selector_req *reqs;
};

/* ----------------------------------------------------------------- index */

/*
 * An open-addressing hash table from byte-string keys to ascending lists of
 * object indexes (and, when with_ptrs is set, the matching object
 * pointers, for kh_objset_by_kind/by_namespace). Appending is split into a
 * reserve step that may fail and a push step that cannot, so an object is
 * either fully indexed or not at all.
 */
typedef struct kh_index_entry {
    char *key;                   /* malloc'd copy, klen bytes + NUL */
    size_t klen;
    uint64_t hash;
    size_t len, cap;
    size_t *idx;                 /* ascending object indexes */
    const kh_object **ptrs;      /* same order; only when with_ptrs */
} kh_index_entry;

typedef struct kh_index {
    kh_index_entry *slots;       /* cap slots, key == NULL when empty */
    size_t cap, used;
    bool with_ptrs;
} kh_index;

void kh_index__init(kh_index *ix, bool with_ptrs);
void kh_index__free(kh_index *ix);
/* The entry for a key, or NULL. */
const kh_index_entry *kh_index__find(const kh_index *ix, const char *key,
                                     size_t klen);
/* Find or create the entry for a key and make room for one more index.
 * @return 0, or KH_ENOMEM (the table stays valid). */
int kh_index__reserve(kh_index *ix, const char *key, size_t klen);
/* Append (idx, obj) to the entry of a key reserved since the last push to
 * it; a repeat of the entry's last idx is ignored. Cannot fail. */
void kh_index__push(kh_index *ix, const char *key, size_t klen, size_t idx,
                    const kh_object *obj);

#endif
