/*
 * envelope.c -- the wrappers objects arrive in, unwrapped in one table.
 *
 * Every door of kubeharden hands the engine a document; some documents are
 * not objects but envelopes around them: `kind: List` and the `*List` kinds
 * that `kubectl get -o yaml` prints, API-server list responses (whose items
 * carry no kind: it comes from the list's), an AdmissionReview (the object
 * under admission, and the old one for an update) and audit Events and
 * EventLists (the request and response objects). Each envelope is a row:
 * how to recognise it and where its objects are. Envelopes nest (a List of
 * EventLists), up to a small depth. The reader hands out the items of a
 * big JSON List one by one (doc/node.h): each is delivered as the List
 * would deliver it.
 */
#include <string.h>

#include "k8s/k8s.h"

#define MAX_NESTING 8

typedef struct unwrap_state {
    const char *file;
    kh_arena *arena;
    kh_envelope_fn fn;
    void *ud;
    kh_error *err;
    int depth;
} unwrap_state;

static const char *str_field(const kh_node *map, const char *key)
{
    const kh_node *v = kh_node_get(map, key);
    return v && v->type == KH_NODE_STRING ? v->u.text : NULL;
}

static bool has_prefix(const char *s, const char *prefix)
{
    return s && strncmp(s, prefix, strlen(prefix)) == 0;
}

static bool ends_with(const char *s, const char *suffix)
{
    size_t n = strlen(s), m = strlen(suffix);
    return n >= m && memcmp(s + n - m, suffix, m) == 0;
}

static int deliver(unwrap_state *st, const kh_node *node, const char *prefix,
                   const char *api_version, const char *kind, kh_envelope_role role);

/* ---------------------------------------------------------------- lists */

/* `kind: List`, or any `*List` kind that has an `items` key. A `*List` kind
 * without items is taken for an object of its own (a custom resource may be
 * called AllowList); an empty list prints `items: []`. */
static bool is_list(const kh_node *root, const char *kind)
{
    (void)root;
    if (strcmp(kind, "List") == 0)
        return true;
    return ends_with(kind, "List") && kh_node_get(root, "items") != NULL;
}

static int unwrap_list(unwrap_state *st, const kh_node *root, const char *prefix)
{
    const char *kind = str_field(root, "kind");
    const kh_node *items = kh_node_get(root, "items");
    if (kh_node_is_null(items))
        return 0;
    if (!kh_node_is_seq(items))
        return kh_error_set(st->err, KH_EINVALID, st->file, items->line, items->col,
                            "'items' of a %s must be a sequence", kind);
    /* An API-server list (PodList) omits each item's kind and apiVersion:
     * they are the list's kind without "List", and the list's apiVersion.
     * `kind: List` has no such default; its items must say what they are. */
    const char *item_kind = NULL, *item_api_version = NULL;
    if (strcmp(kind, "List") != 0) {
        item_kind = kh_arena_strndup(st->arena, kind, strlen(kind) - 4);
        item_api_version = str_field(root, "apiVersion");
    }
    for (size_t i = 0; i < items->len; i++) {
        const char *p = kh_arena_printf(st->arena, "%sitems[%zu].", prefix, i);
        int rc = deliver(st, items->u.items[i], p ? p : "", item_api_version, item_kind,
                         KH_ENVELOPE_CURRENT);
        if (rc)
            return rc;
    }
    return 0;
}

/* ------------------------------------------------------ admission review */

static bool is_admission_review(const kh_node *root, const char *kind)
{
    return strcmp(kind, "AdmissionReview") == 0 &&
           has_prefix(str_field(root, "apiVersion"), "admission.k8s.io/");
}

static int unwrap_admission_review(unwrap_state *st, const kh_node *root, const char *prefix)
{
    const kh_node *request = kh_node_get(root, "request");
    if (kh_node_is_null(request))
        return 0; /* a response: it carries no object */
    if (!kh_node_is_map(request))
        return kh_error_set(st->err, KH_EINVALID, st->file, request->line, request->col,
                            "'request' of an AdmissionReview must be a mapping");
    static const struct {
        const char *key;
        kh_envelope_role role;
    } parts[] = {{"object", KH_ENVELOPE_CURRENT}, {"oldObject", KH_ENVELOPE_OLD}};
    for (size_t i = 0; i < 2; i++) {
        const kh_node *obj = kh_node_get(request, parts[i].key);
        if (kh_node_is_null(obj))
            continue; /* DELETE has no object, CREATE no oldObject */
        const char *p = kh_arena_printf(st->arena, "%srequest.%s.", prefix, parts[i].key);
        int rc = deliver(st, obj, p ? p : "", NULL, NULL, parts[i].role);
        if (rc)
            return rc;
    }
    return 0;
}

/* ----------------------------------------------------------- audit events */

static bool is_audit_event(const kh_node *root, const char *kind)
{
    return strcmp(kind, "Event") == 0 &&
           has_prefix(str_field(root, "apiVersion"), "audit.k8s.io/");
}

static bool is_audit_event_list(const kh_node *root, const char *kind)
{
    return strcmp(kind, "EventList") == 0 &&
           has_prefix(str_field(root, "apiVersion"), "audit.k8s.io/");
}

static int unwrap_audit_event(unwrap_state *st, const kh_node *root, const char *prefix)
{
    static const char *const parts[] = {"requestObject", "responseObject"};
    for (size_t i = 0; i < 2; i++) {
        const kh_node *obj = kh_node_get(root, parts[i]);
        /* Only what the audit policy logged at RequestResponse level, and
         * only objects: a patch body or a bare value has no kind and is no
         * object to check. */
        if (!kh_node_is_map(obj) || !str_field(obj, "kind"))
            continue;
        const char *p = kh_arena_printf(st->arena, "%s%s.", prefix, parts[i]);
        int rc = deliver(st, obj, p ? p : "", NULL, NULL, KH_ENVELOPE_CURRENT);
        if (rc)
            return rc;
    }
    return 0;
}

static int unwrap_audit_event_list(unwrap_state *st, const kh_node *root, const char *prefix)
{
    const kh_node *items = kh_node_get(root, "items");
    if (kh_node_is_null(items))
        return 0;
    if (!kh_node_is_seq(items))
        return kh_error_set(st->err, KH_EINVALID, st->file, items->line, items->col,
                            "'items' of an EventList must be a sequence");
    for (size_t i = 0; i < items->len; i++) {
        const kh_node *event = items->u.items[i];
        if (!kh_node_is_map(event))
            return kh_error_set(st->err, KH_EINVALID, st->file, event->line, event->col,
                                "an audit event must be a mapping");
        const char *p = kh_arena_printf(st->arena, "%sitems[%zu].", prefix, i);
        int rc = unwrap_audit_event(st, event, p ? p : "");
        if (rc)
            return rc;
    }
    return 0;
}

/* ------------------------------------------------------------- the table */

static const struct envelope {
    const char *name;
    bool (*match)(const kh_node *root, const char *kind);
    int (*unwrap)(unwrap_state *st, const kh_node *root, const char *prefix);
} envelopes[] = {
    {"AdmissionReview", is_admission_review, unwrap_admission_review},
    {"audit Event", is_audit_event, unwrap_audit_event},
    {"audit EventList", is_audit_event_list, unwrap_audit_event_list},
    {"List", is_list, unwrap_list}, /* last: EventList ends in "List" too */
};

static const struct envelope *find(const kh_node *root)
{
    const char *kind = kh_node_is_map(root) ? str_field(root, "kind") : NULL;
    if (!kind)
        return NULL;
    for (size_t i = 0; i < sizeof(envelopes) / sizeof(envelopes[0]); i++)
        if (envelopes[i].match(root, kind))
            return &envelopes[i];
    return NULL;
}

const char *kh_envelope_name(const kh_node *root)
{
    const struct envelope *e = find(root);
    return e ? e->name : NULL;
}

static int deliver(unwrap_state *st, const kh_node *node, const char *prefix,
                   const char *api_version, const char *kind, kh_envelope_role role)
{
    const struct envelope *e = kh_node_get(node, "kind") ? find(node) : NULL;
    if (!e) {
        kh_envelope_item item = {.node = node, .path_prefix = prefix,
                                 .api_version = api_version, .kind = kind, .role = role};
        return st->fn(&item, st->ud);
    }
    if (role != KH_ENVELOPE_CURRENT)
        return 0;
    if (st->depth >= MAX_NESTING)
        return kh_error_set(st->err, KH_ELIMIT, st->file, node->line, node->col,
                            "envelopes nested deeper than %d", MAX_NESTING);
    st->depth++;
    int rc = e->unwrap(st, node, prefix);
    st->depth--;
    return rc;
}

int kh_envelope_unwrap(const kh_node *root, const char *file, kh_arena *arena,
                       kh_envelope_fn fn, void *ud, kh_error *err)
{
    unwrap_state st = {.file = file, .arena = arena, .fn = fn, .ud = ud, .err = err};
    const kh_doc_list_item *item = kh_doc_list_item_of(root);
    if (item) {
        /* An item of a big List the reader handed out alone: as
         * unwrap_list would deliver it from the whole List. */
        const char *p = kh_arena_printf(arena, "items[%zu].", item->index);
        st.depth = 1;
        return deliver(&st, root, p ? p : "", item->api_version, item->kind,
                       KH_ENVELOPE_CURRENT);
    }
    return deliver(&st, root, "", NULL, NULL, KH_ENVELOPE_CURRENT);
}
