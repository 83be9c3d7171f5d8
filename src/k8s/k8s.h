/*
 * k8s.h -- the Kubernetes model over the document tree: objects (group,
 * version, kind, namespace, name), List unwrapping, pod-spec extraction for
 * every workload kind, container iteration, label selectors, resource
 * quantities, and the indexed object set used by cluster-wide analyses.
 *
 * Nothing here copies the tree: objects point into the document's nodes
 * and strings, so an object lives exactly as long as its document's arena.
 */
#ifndef KH_K8S_H
#define KH_K8S_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/arena.h"
#include "doc/node.h"

/* ------------------------------------------------------------- objects */

/*
 * Where a custom resource keeps its pod template: objects of API group
 * @p group and kind @p kind carry a PodSpec at dotted path @p spec and the
 * pod's metadata at @p meta (NULL: the object's own metadata). Built-in
 * entries cover well-known CRDs; the configuration adds more
 * (workloads.podTemplates).
 */
typedef struct kh_pod_template_loc {
    const char *group;
    const char *kind;
    const char *spec;
    const char *meta;
} kh_pod_template_loc;

/* Where an object keeps its pods' spec (kh_object_podspec). */
typedef struct kh_podspec {
    const kh_node *spec;         /* the PodSpec mapping */
    const kh_node *meta;         /* the pod's metadata: template.metadata, or the Pod's own */
    const char *path;            /* field path of spec, e.g. "spec.template.spec";
                                  * static, WITHOUT obj->path_prefix: print
                                  * obj->path_prefix then path */
} kh_podspec;

typedef struct kh_object {
    const kh_node *root;         /* the object's mapping */
    const char *file;            /* input label */
    const char *api_version;     /* "apps/v1"; NULL if absent */
    const char *group;           /* "apps", "" for the core group */
    const char *kind;            /* NULL if absent */
    const char *namespace_;      /* "" when unset */
    const char *name;            /* "" when unset (generateName objects) */
    const kh_node *metadata;
    const kh_node *labels;       /* metadata.labels map or NULL */
    const kh_node *annotations;  /* metadata.annotations map or NULL */
    const char *path_prefix;     /* "" for a top-level object, "items[3]." inside a List */
    unsigned input;              /* 0-based number of the input it came from (kept
                                  * objects are ordered by input, line, column) */
    uint32_t seq;                /* a kept object's place in the order objects were
                                  * read: what orders objects whose trees have no
                                  * positions (kh_object_clone_shared) */
    /* The pod spec, found once by kh_object_cache_podspec so that the
     * many rules asking for it do not each search the tree again. */
    uint8_t podspec_cached;      /* 0: not cached, 1: cached */
    uint8_t has_podspec;
    /* Extra pod-template locations (the configuration's), consulted by
     * kh_object_podspec before the built-in ones; set by the scanner after
     * kh_object_from_node (which leaves them empty). Borrowed. */
    uint32_t npod_templates;
    const kh_pod_template_loc *pod_templates;
    kh_podspec podspec;          /* the cached value when has_podspec (in the
                                  * object: 100,000 kept pods each have one) */
} kh_object;

/*
 * Fill @p obj from a mapping node. The group is split from apiVersion
 * into @p arena ("apps/v1" is apps, "v1" is ""). name falls back
 * to metadata.generateName. @return 0, or KH_EINVALID with err set
 * (position of the node) when the node is not a mapping, lacks a string
 * kind or apiVersion ("document is not a Kubernetes object: missing
 * 'kind'"), or apiVersion has more than one '/'; KH_ENOMEM.
 */
int kh_object_from_node(kh_object *obj, const kh_node *root, const char *file,
                        const char *path_prefix, kh_arena *arena, kh_error *err);

/* The same for an item whose envelope supplies a default apiVersion and
 * kind (API list items carry neither): a default is used only when the
 * item has no such key at all. */
int kh_object_from_item(kh_object *obj, const kh_node *root, const char *file,
                        const char *path_prefix, const char *default_api_version,
                        const char *default_kind, kh_arena *arena, kh_error *err);

/* In a field list of kh_object_clone: the pods' labels and annotations,
 * wherever the object's kind keeps its pods' metadata (a Pod's own, a
 * template's). */
#define KH_FIELD_POD_METADATA "@pod-metadata"
/* The pods' spec (kh_object_podspec's path), or a field under it with
 * KH_FIELD_POD_SPEC ".serviceAccountName". */
#define KH_FIELD_POD_SPEC "@pod-spec"

/* Copy @p src into @p arena so that it outlives its document (the scanner
 * keeps the objects that set rules need). With @p fields NULL the whole
 * tree is copied; else only the identity (apiVersion and kind as the copy's
 * fields, not nodes; name, namespace and labels), the annotations that
 * suppress findings, and the @p nfields dotted paths (each with everything
 * under it; a path through a sequence applies to each item), so that a rule
 * that reads labels does not keep every container. @p file is the label the copy
 * carries, which must live as long as the arena. */
int kh_object_clone(kh_object *dst, const kh_object *src, const char *file,
                    const char *const *fields, size_t nfields, kh_arena *arena,
                    kh_error *err);

struct kh_nodeshare;
/* The same for an object whose positions mean nothing (read from the API
 * server): the copy is made in @p scratch, then kept in @p keep with its
 * tree and every string shared with the objects kept before it through
 * @p share (doc/nodeshare.h), so 100,000 pods of a few templates cost
 * little more than their names. Every node has line and column 0, and the
 * tree has no metadata.name: dst->name is the object's own copy. */
int kh_object_clone_shared(kh_object *dst, const kh_object *src, const char *file,
                           const char *const *fields, size_t nfields,
                           struct kh_nodeshare *share, kh_arena *keep, kh_arena *scratch,
                           kh_error *err);

/* The pods' metadata mapping: a Pod's own, a workload's template's (any
 * kind kh_object_podspec knows), even when the template's spec is absent;
 * *path is its dotted path. NULL when the kind has no pod template or the
 * metadata is not a mapping (*path is still set for a known kind). */
const kh_node *kh_object_pod_metadata(const kh_object *obj, const char **path);

/* ------------------------------------------------------------- envelopes */

/*
 * Envelopes (envelope.c): documents that carry objects instead of being
 * one. `kind: List` and every `*List` kind with an `items` key (an API list
 * response: items without kind take the list's kind minus "List" and its
 * apiVersion), admission.k8s.io AdmissionReview (request.object, and
 * request.oldObject as KH_ENVELOPE_OLD), audit.k8s.io Event and EventList
 * (requestObject and responseObject when they are objects).
 */
typedef enum kh_envelope_role {
    KH_ENVELOPE_CURRENT = 0,     /* an object to check */
    KH_ENVELOPE_OLD              /* the previous state (an update's oldObject) */
} kh_envelope_role;

typedef struct kh_envelope_item {
    const kh_node *node;         /* the object's mapping (or whatever the item is) */
    const char *path_prefix;     /* "items[3].", "request.object." */
    const char *api_version;     /* default when the item has none, or NULL */
    const char *kind;            /* default kind, or NULL */
    kh_envelope_role role;
} kh_envelope_item;

typedef int (*kh_envelope_fn)(const kh_envelope_item *item, void *ud);

/* The envelope @p root is ("List", "AdmissionReview", "audit Event",
 * "audit EventList"), or NULL when it is a plain object. */
const char *kh_envelope_name(const kh_node *root);

/* Call @p fn for every object @p root carries, in document order, nested
 * envelopes unwrapped; a plain object is its own single item (prefix "").
 * Stops when fn returns non-zero and returns that. @return 0, fn's value,
 * or KH_EINVALID / KH_ELIMIT with @p err at the malformed envelope (`items`
 * that is not a sequence); items before it have been delivered. */
int kh_envelope_unwrap(const kh_node *root, const char *file, kh_arena *arena,
                       kh_envelope_fn fn, void *ud, kh_error *err);

/* ------------------------------------------------------------ pod specs */


/*
 * Find the pod spec of Pod, Deployment, ReplicaSet, StatefulSet, DaemonSet,
 * Job, CronJob, ReplicationController and PodTemplate objects (any apiVersion
 * that serves them, e.g. extensions/v1beta1 Deployments), of the objects
 * named by obj->pod_templates (checked first, so the configuration can
 * override), and of well-known custom resources matched by group and kind:
 * Argo Rollouts (argoproj.io Rollout), OpenKruise CloneSet (apps.kruise.io)
 * and Knative Service and Configuration (serving.knative.dev), all at
 * spec.template. @return false when the object carries no pod spec (or it
 * is not a mapping).
 */
bool kh_object_podspec(const kh_object *obj, kh_podspec *out);

/* Find the pod spec once (with the object's CRD template table) and keep
 * it in the object; kh_object_podspec then reads the cache. */
void kh_object_cache_podspec(kh_object *obj);

/* Same, with an explicit table of extra locations instead of
 * obj->pod_templates. */
bool kh_object_podspec_ext(const kh_object *obj, const kh_pod_template_loc *extra,
                           size_t nextra, kh_podspec *out);

typedef enum kh_container_kind {
    KH_CONTAINER_INIT = 0,       /* spec.initContainers */
    KH_CONTAINER_REGULAR,        /* spec.containers */
    KH_CONTAINER_EPHEMERAL       /* spec.ephemeralContainers */
} kh_container_kind;

typedef struct kh_container {
    const kh_node *node;         /* the container mapping */
    const char *name;            /* "" when unset */
    kh_container_kind kind;
    const char *list;            /* "initContainers", "containers", "ephemeralContainers" */
    size_t index;                /* index within that list */
} kh_container;

typedef struct kh_container_iter {
    const kh_podspec *ps;
    int list;
    size_t index;
} kh_container_iter;

/* Iterate initContainers, then containers, then ephemeralContainers,
 * skipping items that are not mappings. */
void kh_container_iter_init(kh_container_iter *it, const kh_podspec *ps);
bool kh_container_next(kh_container_iter *it, kh_container *out);

/* The container's full field path, prefix included, into @p arena:
 * "items[2].spec.template.spec.containers[0]". NULL when out of memory. */
char *kh_container_path(const kh_object *obj, const kh_podspec *ps,
                        const kh_container *c, kh_arena *arena);

/* --------------------------------------------------------- label selectors */

typedef struct kh_selector kh_selector;

/*
 * Compile a metav1.LabelSelector ({matchLabels, matchExpressions}) into
 * @p arena, validating it as the API server does (operators In, NotIn,
 * Exists, DoesNotExist; In/NotIn need values, Exists/DoesNotExist must not
 * have any). A NULL or null node compiles to the selector that matches
 * nothing; an empty mapping to the one that matches everything.
 * Label values are compared as YAML source text (`version: 1` is "1", a
 * null value is ""). *out is always set (to the match-nothing selector on
 * error). @return 0 or KH_EINVALID with err at the offending node (line
 * and col; err->file is left NULL for the caller to fill in).
 */
int kh_selector_compile(const kh_selector **out, const kh_node *sel,
                        kh_arena *arena, kh_error *err);
/* A plain map[string]string selector (Service.spec.selector, RC): equality on
 * every pair. NULL or empty matches nothing, as for Services. */
int kh_selector_from_map(const kh_selector **out, const kh_node *map,
                         kh_arena *arena, kh_error *err);
/* Does the selector match this labels mapping (NULL = no labels)? */
bool kh_selector_matches(const kh_selector *sel, const kh_node *labels);
bool kh_selector_matches_everything(const kh_selector *sel);
bool kh_selector_matches_nothing(const kh_selector *sel);

/* ------------------------------------------------------------- quantities */

/*
 * A resource.Quantity, held exactly as a signed integer count of
 * nano-units (10^-9). Parsing follows apimachinery's grammar: an optional
 * sign, digits with an optional fraction, then a binary suffix
 * (Ki Mi Gi Ti Pi Ei), a decimal suffix (n u m "" k M G T P E) or a
 * decimal exponent (e3, E-2). Values whose magnitude exceeds the range are
 * rejected rather than rounded.
 */
typedef struct kh_quantity {
    __int128 nano;
} kh_quantity;

/* @return 0 or KH_EINVALID (bad syntax or suffix, or |nano| > 2^127-1).
 * Finer than 1n rounds away from zero ("0.1n" is 1n), as upstream. */
int kh_quantity_parse(kh_quantity *out, const char *text);
/* A scalar node: quantities may be YAML ints/floats (cpu: 2, cpu: 0.5).
 * INT nodes use their integer value (kh_node_int: 0x10 is 16), FLOAT and
 * STRING nodes their text; anything else is KH_EINVALID. */
int kh_quantity_from_node(kh_quantity *out, const kh_node *n);
int kh_quantity_cmp(const kh_quantity *a, const kh_quantity *b);
bool kh_quantity_is_zero(const kh_quantity *q);

/* ------------------------------------------------------------ object set */

/*
 * The object set: every object of a scan, indexed by kind, by namespace
 * and by label (key=value), so that cluster-wide analyses never do nested
 * scans. Objects are copied by value (they are small) and their nodes must
 * outlive the set.
 */
typedef struct kh_objset kh_objset;

int kh_objset_new(kh_objset **out, kh_error *err);
/* Frees the set and its indexes (not the objects' documents); NULL is ok. */
void kh_objset_free(kh_objset *set);
/* Copy @p obj in. Pointers to stored objects stay valid until
 * kh_objset_free. @return 0 or KH_ENOMEM (then the set is unchanged). */
int kh_objset_add(kh_objset *set, const kh_object *obj);
size_t kh_objset_count(const kh_objset *set);
const kh_object *kh_objset_at(const kh_objset *set, size_t i);

/* Objects of one kind (case-sensitive kind, any group), in insertion order.
 * *out points at an internal array valid until the next add. */
size_t kh_objset_by_kind(const kh_objset *set, const char *kind,
                         const kh_object *const **out);

/* Call @p fn for every object of @p kind (NULL = any) in namespace @p ns
 * (NULL = any) whose metadata.labels match @p sel, in insertion order. Uses
 * the label index when the selector has an equality requirement. Stops
 * and returns fn's value when it returns non-zero. @p fn must not add to
 * the set. Selects on one set may run concurrently (nothing is written). */
typedef int (*kh_objset_fn)(const kh_object *obj, void *ud);
int kh_objset_select(const kh_objset *set, const char *kind, const char *ns,
                     const kh_selector *sel, kh_objset_fn fn, void *ud);

/* ------------------------------------------------------------- pod view */

/*
 * One walk over an object's pod (podview.c), for every rule that reads
 * containers: the pod spec, the pod's securityContext, and every container
 * (init, regular, ephemeral, in that order; items that are not mappings
 * skipped) with its securityContext and its image. The rule context builds
 * it once per object in the document's arena (kh_rule__pod). The fields
 * are the ones the Pod Security checks read (rules.h: kh_pss_pod).
 */
struct kh_imageref;

typedef struct kh_podimage {
    const char *text;            /* the image as written; NULL when the container
                                  * names none (absent, empty, not a scalar) */
    const kh_node *key;          /* the "image" key (findings point at it), or NULL */
    const struct kh_imageref *ref; /* parsed (k8s/imageref.h); NULL when text is
                                  * NULL or invalid, or before kh_podview_images */
    const char *why;             /* why text is not a valid reference (static), or NULL */
} kh_podimage;

typedef struct kh_podview {
    const kh_object *obj;        /* the object it was built for */
    kh_podspec ps;               /* ps.spec is NULL when the object has no pod spec */
    const kh_node *psc;          /* spec.securityContext, or NULL */
    size_t n;                    /* containers */
    kh_container *c;             /* init, regular, ephemeral */
    const kh_node **sc;          /* c[i]'s securityContext, or NULL */
    kh_podimage *image;          /* c[i]'s image */
    bool images_parsed;          /* kh_podview_images has run */
} kh_podview;

/* Build the view of @p obj into @p out, arrays in @p arena. An object
 * without a pod spec gets ps.spec NULL and no containers. @return 0 or
 * KH_ENOMEM (then ps.spec is NULL too). */
int kh_podview_build(kh_podview *out, const kh_object *obj, kh_arena *arena);

/* Parse every container's image (once; later calls do nothing). @return 0,
 * or KH_ENOMEM when some could not be parsed (their text is then NULL). */
int kh_podview_images(kh_podview *view, kh_arena *arena);

#endif
