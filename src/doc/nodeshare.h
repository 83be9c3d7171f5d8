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
    uint64_t *hashes;
    size_t cap, used;
    kh_strset strings;           /* every scalar's text, once */
    bool root_positions;         /* a root keeps its line and column (what orders a
                                  * scan's findings); else it has none either */
} kh_nodeshare;

/* An empty table whose roots keep their positions. */
void kh_nodeshare_init(kh_nodeshare *ns);
void kh_nodeshare_free(kh_nodeshare *ns);

/*
 * A copy of the tree @p n in @p keep in which every subtree below the root
 * is the one shared copy of its content (type, scalar text, quoting, keys
 * and children in order) and has line and column 0. The root is a copy of
 * its own and keeps its position when @p ns->root_positions is set; its
 * metadata and metadata.name, which hold the object's name, are copies of
 * their own too (with line and column 0).
 * Content, not position, is what rules may read from such a tree. @p scratch
 * holds temporaries. NULL when out of memory or nested too deep.
 */
const kh_node *kh_nodeshare_tree(kh_nodeshare *ns, const kh_node *n, kh_arena *keep,
                                 kh_arena *scratch);

/* The one kept copy of a string (interned in the same set). */
const char *kh_nodeshare_string(kh_nodeshare *ns, const char *s, kh_arena *keep);

#endif
