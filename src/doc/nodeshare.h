/*
 * nodeshare.h -- hash-consing of kept trees whose positions mean nothing
 * (objects read from the API server: a finding names the object's API path,
 * not a line). Equal subtrees are stored once, so 100,000 pods of a few
 * templates share their specs, labels and field names.
 */
#ifndef KH_DOC_NODESHARE_H
#define KH_DOC_NODESHARE_H

#include "core/strset.h"
#include "doc/node.h"

typedef struct kh_nodeshare {
    const kh_node **slots;       /* cap slots, NULL when empty; cap a power of two */
    uint32_t *hashes;            /* each slot's hash, folded to 32 bits (a table
                                  * slot per distinct node of 100,000 objects) */
    size_t cap, used;
    kh_strset strings;           /* every scalar's text, once */
} kh_nodeshare;

void kh_nodeshare_init(kh_nodeshare *ns);
void kh_nodeshare_free(kh_nodeshare *ns);

/*
 * A copy of the object @p n in @p keep in which every subtree, the root
 * included, is the one shared copy of its content (type, scalar text,
 * quoting, keys and children in order) and has line and column 0. The
 * copy has no metadata.name: the one field unique to each object, kept by
 * the caller (kh_object.name), so that objects equal in all else (the
 * pods of one template) share one tree.
 * Content, not position, is what rules may read from such a tree. @p scratch
 * holds temporaries. NULL when out of memory or nested too deep.
 */
const kh_node *kh_nodeshare_tree(kh_nodeshare *ns, const kh_node *n, kh_arena *keep,
                                 kh_arena *scratch);

/* The one kept copy of a string (interned in the same set). */
const char *kh_nodeshare_string(kh_nodeshare *ns, const char *s, kh_arena *keep);

#endif
