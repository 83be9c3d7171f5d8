/*
 * internal.h -- helpers shared by the files of src/k8s, not part of k8s.h.
 *
 * How a label value reads as text, the compiled form of a label selector
 * (objset.c reads its equality requirements to pick a posting list), and
 * the string-keyed index that the object set is built from (index.c).
 */
#ifndef KH_K8S_INTERNAL_H
#define KH_K8S_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <string.h>

#include "k8s/k8s.h"

/* ------------------------------------------------------------ tree access */

/*
 * A label value as a Go map[string]string would hold it: the source text of
 * any scalar (`version: 1` is "1"), "" for an explicit null, NULL for a map
 * or a sequence.
 */
static inline const char *kh_k8s__label_text(const kh_node *n)
{
    if (!kh_node_is_scalar(n))
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

/* ---------------------------------------------------------------- objset */

/* How many objects kh_objset_select would examine for this query (the
 * length of the candidate list it picks); for tests. */
size_t kh_objset__candidates(const kh_objset *set, const char *kind,
                             const char *ns, const kh_selector *sel);

/* ----------------------------------------------------------------- index */

/*
 * An open-addressing hash table from byte-string keys to ascending lists of
 * object indexes (and, when with_ptrs is set, the matching object
 * pointers, for kh_objset_by_kind). Appending is split into a
 * reserve step that may fail and a push step that cannot, so an object is
 * either fully indexed or not at all.
 */
typedef struct kh_index_entry {
    char *key;                   /* malloc'd copy, klen bytes + NUL */
    size_t klen;
    uint64_t hash;
    size_t len, cap;
    uint32_t *idx;               /* ascending object indexes (an object set holds
                                  * fewer than 2^32: kh_objset_add refuses more) */
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
