/*
 * object.c -- Kubernetes objects over the document tree: identity
 * (apiVersion split into group/version, kind, namespace, name), List
 * detection, where each workload kind keeps its pod spec, and container
 * iteration in the order the kubelet starts them.
 *
 * Nothing is copied but the group string: every field points into the
 * document, so an object lives as long as its document's arena. Workload
 * kinds are matched by kind alone, whatever the apiVersion, because
 * extensions/v1beta1 and apps/v1beta2 manifests are still common; custom
 * resources with pod templates (Argo Rollouts, Knative...) by group and
 * kind, from a built-in table and from the configuration's.
 */
#include "k8s/k8s.h"

#include <string.h>

#include "doc/nodeshare.h"
#include "k8s/internal.h"

/* ---------------------------------------------------------------- objects */

static const char *meta_string(const kh_node *meta, const char *key)
{
    const char *s = kh_node_str(kh_node_get(meta, key));
    return s ? s : "";
}

static const kh_node *map_or_null(const kh_node *n)
{
    return kh_node_is_map(n) ? n : NULL;
}

/* The string value of a required type field (apiVersion, kind), or the
 * envelope's default when the key is absent. */
static int type_field(const char **out, const kh_node *root, const char *key,
                      const char *fallback, const char *file, kh_error *err)
{
    const kh_node *v = kh_node_get(root, key);
    if (!v && fallback) {
        *out = fallback;
        return 0;
    }
    if (!v || v->type == KH_NODE_NULL ||
        (v->type == KH_NODE_STRING && v->u.text && !v->u.text[0]))
        return kh_error_set(err, KH_EINVALID, file, root->line, root->col,
                            "document is not a Kubernetes object: missing '%s'",
                            key);
    if (v->type != KH_NODE_STRING || !v->u.text)
        return kh_error_set(err, KH_EINVALID, file, v->line, v->col,
                            "'%s' must be a string", key);
    *out = v->u.text;
    return 0;
}

/* The group of "apps/v1" is "apps", of "v1" "", as schema.ParseGroupVersion
 * splits them; more than one '/' is invalid. (No rule reads the version.) */
static int split_api_version(kh_object *obj, const kh_node *root,
                             kh_arena *arena, kh_error *err)
{
    const char *av = obj->api_version;
    const char *slash = strchr(av, '/');
    if (!slash) {
        obj->group = "";
        return 0;
    }
    const kh_node *v = kh_node_get(root, "apiVersion");
    if (!v)
        v = root; /* the envelope's apiVersion */
    if (strchr(slash + 1, '/'))
        return kh_error_set(err, KH_EINVALID, obj->file, v->line, v->col,
                            "invalid apiVersion '%s'", av);
    obj->group = kh_arena_strndup(arena, av, (size_t)(slash - av));
    if (!obj->group)
        return kh_error_set(err, KH_ENOMEM, obj->file, 0, 0, "out of memory");
    return 0;
}

int kh_object_from_node(kh_object *obj, const kh_node *root, const char *file,
                        const char *path_prefix, kh_arena *arena, kh_error *err)
{
    return kh_object_from_item(obj, root, file, path_prefix, NULL, NULL, arena, err);
}

int kh_object_from_item(kh_object *obj, const kh_node *root, const char *file,
                        const char *path_prefix, const char *default_api_version,
                        const char *default_kind, kh_arena *arena, kh_error *err)
{
    memset(obj, 0, sizeof(*obj));
    obj->root = root;
    obj->file = file;
    obj->path_prefix = path_prefix ? path_prefix : "";
    if (!kh_node_is_map(root))
        return kh_error_set(err, KH_EINVALID, file, root ? root->line : 0,
                            root ? root->col : 0,
                            "document is not a Kubernetes object: not a mapping");
    int rc = type_field(&obj->kind, root, "kind", default_kind, file, err);
    if (rc == 0)
        rc = type_field(&obj->api_version, root, "apiVersion", default_api_version, file, err);
    if (rc == 0)
        rc = split_api_version(obj, root, arena, err);
    if (rc != 0) {
        obj->kind = obj->api_version = NULL;
        return rc;
    }
    obj->metadata = map_or_null(kh_node_get(root, "metadata"));
    obj->namespace_ = meta_string(obj->metadata, "namespace");
    obj->name = meta_string(obj->metadata, "name");
    if (!obj->name[0])
        obj->name = meta_string(obj->metadata, "generateName");
    obj->labels = map_or_null(kh_node_get(obj->metadata, "labels"));
    obj->annotations = map_or_null(kh_node_get(obj->metadata, "annotations"));
    return 0;
}

/* -------------------------------------------------------------- pod specs */

/* Where each kind keeps its pod template. Sorted by kind. */
static const struct podspec_loc {
    const char *kind;
    const char *spec;            /* dotted path of the PodSpec */
    const char *meta;            /* dotted path of its metadata, NULL = object's */
} podspec_locs[] = {
    {"CronJob", "spec.jobTemplate.spec.template.spec",
     "spec.jobTemplate.spec.template.metadata"},
    {"DaemonSet", "spec.template.spec", "spec.template.metadata"},
    {"Deployment", "spec.template.spec", "spec.template.metadata"},
    {"Job", "spec.template.spec", "spec.template.metadata"},
    {"Pod", "spec", NULL},
    {"PodTemplate", "template.spec", "template.metadata"},
    {"ReplicaSet", "spec.template.spec", "spec.template.metadata"},
    {"ReplicationController", "spec.template.spec", "spec.template.metadata"},
    {"StatefulSet", "spec.template.spec", "spec.template.metadata"},
};

/* Custom resources with a pod template, matched by API group and kind
 * (a CRD's kind alone is ambiguous: Knative's Service is not a Service). */
static const kh_pod_template_loc crd_locs[] = {
    {"apps.kruise.io", "CloneSet", "spec.template.spec", "spec.template.metadata"},
    {"argoproj.io", "Rollout", "spec.template.spec", "spec.template.metadata"},
    {"serving.knative.dev", "Configuration", "spec.template.spec", "spec.template.metadata"},
    {"serving.knative.dev", "Service", "spec.template.spec", "spec.template.metadata"},
};

static bool fill_podspec(const kh_object *obj, const char *spec_path,
                         const char *meta_path, kh_podspec *out)
{
    const kh_node *spec = kh_node_path(obj->root, spec_path);
    if (!kh_node_is_map(spec))
        return false;
    out->spec = spec;
    out->meta = meta_path ? map_or_null(kh_node_path(obj->root, meta_path))
                          : obj->metadata;
    out->path = spec_path;
    return true;
}

/* The first entry of @p locs for the object's group and kind, or NULL. */
static const kh_pod_template_loc *find_loc(const kh_object *obj,
                                           const kh_pod_template_loc *locs, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (strcmp(obj->kind, locs[i].kind) == 0 &&
            strcmp(obj->group ? obj->group : "", locs[i].group) == 0)
            return &locs[i];
    return NULL;
}

/* Where the object's kind keeps its pod spec and the pod's metadata
 * (*meta NULL: the object's own); false when it has no pod template. */
static bool template_paths(const kh_object *obj, const kh_pod_template_loc *extra,
                           size_t nextra, const char **spec, const char **meta)
{
    if (!obj || !obj->kind)
        return false;
    const kh_pod_template_loc *loc = find_loc(obj, extra, nextra);
    if (!loc)
        for (size_t i = 0; i < sizeof(podspec_locs) / sizeof(podspec_locs[0]); i++)
            if (strcmp(obj->kind, podspec_locs[i].kind) == 0) {
                *spec = podspec_locs[i].spec;
                *meta = podspec_locs[i].meta;
                return true;
            }
    if (!loc)
        loc = find_loc(obj, crd_locs, sizeof(crd_locs) / sizeof(crd_locs[0]));
    if (!loc)
        return false;
    *spec = loc->spec;
    *meta = loc->meta;
    return true;
}

bool kh_object_podspec_ext(const kh_object *obj, const kh_pod_template_loc *extra,
                           size_t nextra, kh_podspec *out)
{
    const char *spec, *meta;
    return template_paths(obj, extra, nextra, &spec, &meta) &&
           fill_podspec(obj, spec, meta, out);
}

const kh_node *kh_object_pod_metadata(const kh_object *obj, const char **path)
{
    const char *spec, *meta;
    if (!template_paths(obj, obj->pod_templates, obj->npod_templates, &spec, &meta))
        return NULL;
    *path = meta ? meta : "metadata";
    return map_or_null(meta ? kh_node_path(obj->root, meta) : obj->metadata);
}

bool kh_object_podspec(const kh_object *obj, kh_podspec *out)
{
    if (obj && obj->podspec_cached) {
        if (obj->has_podspec)
            *out = obj->podspec;
        return obj->has_podspec;
    }
    return obj && kh_object_podspec_ext(obj, obj->pod_templates, obj->npod_templates, out);
}

void kh_object_cache_podspec(kh_object *obj)
{
    obj->podspec_cached = 0;
    obj->has_podspec = kh_object_podspec(obj, &obj->podspec);
    obj->podspec_cached = 1;
}

/* ------------------------------------------------------------- containers */

static const char *const container_lists[] = {
    "initContainers", "containers", "ephemeralContainers"
};

void kh_container_iter_init(kh_container_iter *it, const kh_podspec *ps)
{
    it->ps = ps;
    it->list = 0;
    it->index = 0;
}

bool kh_container_next(kh_container_iter *it, kh_container *out)
{
    while (it->ps && it->list < 3) {
        const kh_node *seq = kh_node_get(it->ps->spec, container_lists[it->list]);
        if (!kh_node_is_seq(seq) || it->index >= seq->len) {
            it->list++;
            it->index = 0;
            continue;
        }
        size_t i = it->index++;
        const kh_node *c = seq->u.items[i];
        if (!kh_node_is_map(c))
            continue;
        const char *name = kh_node_str(kh_node_get(c, "name"));
        out->node = c;
        out->name = name ? name : "";
        out->kind = (kh_container_kind)it->list;
        out->list = container_lists[it->list];
        out->index = i;
        return true;
    }
    return false;
}

char *kh_container_path(const kh_object *obj, const kh_podspec *ps,
                        const kh_container *c, kh_arena *arena)
{
    return kh_arena_printf(arena, "%s%s.%s[%zu]",
                           obj && obj->path_prefix ? obj->path_prefix : "",
                           ps->path, c->list, c->index);
}

/* ------------------------------------------------------------ keeping */

/* Copy a subtree into @p arena. An alias's shared subtree is copied once
 * per reference: the loader already capped what aliases expand to. */
/* Keys and values that nearly every kept object repeats: a copy points at
 * the one static string instead of taking 8-24 bytes of the scan-lifetime
 * arena for each (a 100,000-pod dump repeats them millions of times). */
static const char *const common_strings[] = {
    "", "True", "False", "v1", "apps/v1", "Pod", "Node", "Deployment", "ReplicaSet",
    "StatefulSet", "DaemonSet", "Service", "apiVersion", "kind", "metadata", "name",
    "namespace", "labels", "annotations", "spec", "status", "containers", "image",
    "command", "args", "ports", "containerPort", "protocol", "TCP", "UDP", "selector",
    "matchLabels", "template", "replicas", "nodeName", "conditions", "type", "Ready",
    "phase", "Running", "ownerReferences", "controller", "uid", "app",
    "app.kubernetes.io/name", "app.kubernetes.io/instance", "app.kubernetes.io/component",
    "pod-template-hash", "rules", "verbs", "apiGroups", "resources", "subjects", "roleRef",
    "kube-system", "default", "serviceAccountName", "readinessProbe", "topology.kubernetes.io/zone",
    "kubernetes.io/hostname", "rbac.authorization.k8s.io", "ServiceAccount", "ClusterRole",
    "Role", "get", "list", "watch", "create", "update", "patch", "delete", "*",
};

static const char *common_string(const char *text, size_t len)
{
    for (size_t i = 0; i < sizeof(common_strings) / sizeof(common_strings[0]); i++)
        if (common_strings[i][0] == (len ? text[0] : '\0') &&
            strlen(common_strings[i]) == len && memcmp(common_strings[i], text, len) == 0)
            return common_strings[i];
    return NULL;
}

static const char *keep_string(kh_arena *arena, const char *text, size_t len)
{
    const char *s = common_string(text, len);
    return s ? s : kh_arena_strndup(arena, text, len);
}

static const kh_node *clone_node(const kh_node *n, kh_arena *arena, unsigned depth)
{
    if (!n || depth > KH_DOC_MAX_DEPTH + 1)
        return NULL;
    kh_node *c = kh_arena_alloc(arena, sizeof(*c));
    if (!c)
        return NULL;
    *c = *n;
    if (n->type == KH_NODE_MAP) {
        kh_pair *pairs = kh_arena_alloc(arena, (n->len ? n->len : 1) * sizeof(*pairs));
        if (!pairs)
            return NULL;
        for (size_t i = 0; i < n->len; i++) {
            pairs[i].key = clone_node(n->u.pairs[i].key, arena, depth + 1);
            pairs[i].value = clone_node(n->u.pairs[i].value, arena, depth + 1);
            if (!pairs[i].key || !pairs[i].value)
                return NULL;
        }
        c->u.pairs = pairs;
    } else if (n->type == KH_NODE_SEQ) {
        const kh_node **items = kh_arena_alloc(arena, (n->len ? n->len : 1) * sizeof(*items));
        if (!items)
            return NULL;
        for (size_t i = 0; i < n->len; i++)
            if (!(items[i] = clone_node(n->u.items[i], arena, depth + 1)))
                return NULL;
        c->u.items = items;
    } else if (n->u.text) {
        if (!(c->u.text = keep_string(arena, n->u.text, n->len)))
            return NULL;
    }
    return c;
}

/* Does dotted path @p path start with key @p key (as a whole segment)?
 * Then *rest is what follows ("" for the key itself). */
static bool path_starts(const char *path, const char *key, size_t klen, const char **rest)
{
    /* The first byte first: every key of every kept object is tried
     * against every path, and most differ there. */
    if ((klen && path[0] != key[0]) || strncmp(path, key, klen) != 0 ||
        (path[klen] && path[klen] != '.'))
        return false;
    *rest = path[klen] ? path + klen + 1 : "";
    return true;
}

/* More paths than a projection is ever given (KH_PLAN_MAX_FIELDS, identity,
 * and the pods' labels and annotations); a longer list keeps the object whole. */
#define MAX_PROJECTED 72

static const kh_node *clone_projected(const kh_node *n, const char *const *paths,
                                      size_t npaths, kh_arena *arena, unsigned depth);

/* A path through a sequence applies to each of its items: the containers'
 * "spec.containers.ports" keeps every container's ports and nothing else
 * of them (each container's mapping stays, with its position). */
static const kh_node *clone_items(const kh_node *n, const char *const *paths, size_t npaths,
                                  kh_arena *arena, unsigned depth)
{
    kh_node *c = kh_arena_alloc(arena, sizeof(*c));
    const kh_node **items = kh_arena_alloc(arena, (n->len ? n->len : 1) * sizeof(*items));
    if (!c || !items)
        return NULL;
    *c = *n;
    for (size_t i = 0; i < n->len; i++)
        if (!(items[i] = clone_projected(n->u.items[i], paths, npaths, arena, depth + 1)))
            return NULL;
    c->u.items = items;
    return c;
}

/* Copy only the parts of a mapping on @p paths (dotted, relative to it);
 * a path that ends at a key takes that key's whole value. What is kept
 * stays in the arena for the whole scan, so the copy takes exactly what it
 * keeps: pairs counted first, the paths handed down from the stack. */
static const kh_node *clone_projected(const kh_node *n, const char *const *paths,
                                      size_t npaths, kh_arena *arena, unsigned depth)
{
    if (kh_node_is_seq(n) && depth <= KH_DOC_MAX_DEPTH)
        return clone_items(n, paths, npaths, arena, depth);
    if (!kh_node_is_map(n) || depth > KH_DOC_MAX_DEPTH || npaths > MAX_PROJECTED)
        return clone_node(n, arena, depth);
    size_t kept = 0;
    for (size_t i = 0; i < n->len; i++) {
        const char *name = kh_node_str(n->u.pairs[i].key), *rest;
        bool on_path = false;
        for (size_t p = 0; name && p < npaths && !on_path; p++)
            on_path = path_starts(paths[p], name, strlen(name), &rest);
        kept += on_path;
    }
    kh_node *c = kh_arena_alloc(arena, sizeof(*c));
    kh_pair *pairs = kh_arena_alloc(arena, (kept ? kept : 1) * sizeof(*pairs));
    if (!c || !pairs)
        return NULL;
    *c = *n;
    c->len = 0;
    for (size_t i = 0; i < n->len; i++) {
        const kh_node *key = n->u.pairs[i].key;
        const char *name = kh_node_str(key);
        if (!name)
            continue;
        const char *rest[MAX_PROJECTED];
        size_t nrest = 0, klen = strlen(name);
        bool whole = false;
        for (size_t p = 0; p < npaths && !whole; p++)
            if (path_starts(paths[p], name, klen, &rest[nrest]))
                whole = !*rest[nrest++];
        if (!nrest)
            continue;
        const kh_node *value = n->u.pairs[i].value;
        pairs[c->len].key = clone_node(key, arena, depth + 1);
        pairs[c->len].value = whole ? clone_node(value, arena, depth + 1)
                                    : clone_projected(value, rest, nrest, arena, depth + 1);
        if (!pairs[c->len].key || !pairs[c->len].value)
            return NULL;
        c->len++;
    }
    c->u.pairs = pairs;
    return c;
}

/* @p a followed by @p b in @p buf, or @p whole when that does not fit. */
static const char *join_path(char *buf, size_t cap, const char *a, const char *b,
                             const char *whole)
{
    size_t la = strlen(a), lb = strlen(b);
    if (la + lb >= cap)
        return whole;
    memcpy(buf, a, la);
    memcpy(buf + la, b, lb + 1);
    return buf;
}

/* Does a path list already keep every annotation? */
static bool keeps_annotations(const char *const *paths, size_t n)
{
    const char *rest;
    for (size_t i = 0; i < n; i++)
        if (path_starts(paths[i], "metadata", 8, &rest) &&
            (!*rest || (path_starts(rest, "annotations", 11, &rest) && !*rest)))
            return true;
    return false;
}

/* A projected copy keeps the annotations that suppress findings
 * (ignore.kubeharden.io/<rule>), so that a cluster-wide finding on it can
 * be suppressed like any other, and no other annotation: in a `kubectl get
 * -o yaml` dump, last-applied-configuration alone is as big as the object.
 * @p root is the copy's (writable) root; 0 or -1 when out of memory. */
static int add_suppressions(const kh_node *root, const kh_node *annotations, kh_arena *arena)
{
    static const char prefix[] = "ignore.kubeharden.io/";
    size_t keep = 0;
    for (size_t i = 0; kh_node_is_map(annotations) && i < annotations->len; i++) {
        const char *key = kh_node_str(annotations->u.pairs[i].key);
        keep += key && strncmp(key, prefix, sizeof(prefix) - 1) == 0;
    }
    if (!keep)
        return 0;
    kh_node *meta = NULL;
    for (size_t i = 0; i < root->len && !meta; i++)
        if (strcmp(kh_node_str(root->u.pairs[i].key), "metadata") == 0)
            meta = (kh_node *)root->u.pairs[i].value;
    if (!meta)
        return 0; /* no name, namespace or labels: nothing to report on */
    kh_node *copy = kh_arena_alloc(arena, sizeof(*copy));
    kh_pair *pairs = kh_arena_alloc(arena, keep * sizeof(*pairs));
    kh_pair *mpairs = kh_arena_alloc(arena, (meta->len + 1) * sizeof(*mpairs));
    if (!copy || !pairs || !mpairs)
        return -1;
    *copy = *annotations;
    copy->len = 0;
    for (size_t i = 0; i < annotations->len; i++) {
        const kh_pair *p = &annotations->u.pairs[i];
        const char *key = kh_node_str(p->key);
        if (!key || strncmp(key, prefix, sizeof(prefix) - 1) != 0)
            continue;
        pairs[copy->len].key = clone_node(p->key, arena, 2);
        pairs[copy->len].value = clone_node(p->value, arena, 2);
        if (!pairs[copy->len].key || !pairs[copy->len].value)
            return -1;
        copy->len++;
    }
    copy->u.pairs = pairs;
    for (size_t i = 0; i < meta->len; i++)
        mpairs[i] = meta->u.pairs[i];
    kh_node *akey = kh_arena_alloc(arena, sizeof(*akey));
    if (!akey)
        return -1;
    *akey = (kh_node){.type = KH_NODE_STRING, .line = annotations->line,
                                 .col = annotations->col, .len = 11,
                                 .u.text = "annotations"};
    mpairs[meta->len] = (kh_pair){.key = akey, .value = copy};
    meta->u.pairs = mpairs;
    meta->len++;
    return 0;
}

int kh_object_clone(kh_object *dst, const kh_object *src, const char *file,
                    const char *const *fields, size_t nfields, kh_arena *arena,
                    kh_error *err)
{
    const kh_node *root = NULL;
    if (!fields) {
        root = clone_node(src->root, arena, 0);
    } else {
        /* Identity always (apiVersion and kind are the copy's fields, not
         * nodes: nothing reads them from the tree); then the fields asked for, with
         * KH_FIELD_POD_METADATA and KH_FIELD_POD_SPEC standing for wherever
         * this kind keeps its pods' metadata and spec. */
        const char *paths[MAX_PROJECTED];
        char in_spec[MAX_PROJECTED][128]; /* "spec.template.spec" + ".field" */
        size_t n = 0;
        if (nfields + 7 > MAX_PROJECTED) {
            root = clone_node(src->root, arena, 0);
        } else {
            static const char *const identity[] = {
                "metadata.name", "metadata.generateName", "metadata.namespace",
                "metadata.labels",
            };
            for (size_t i = 0; i < sizeof(identity) / sizeof(identity[0]); i++)
                paths[n++] = identity[i];
            const size_t speclen = sizeof(KH_FIELD_POD_SPEC) - 1;
            kh_podspec ps;
            for (size_t i = 0; i < nfields; i++) {
                const char *meta = NULL;
                if (fields[i][0] != '@') {
                    paths[n++] = fields[i];
                } else if (strcmp(fields[i], KH_FIELD_POD_METADATA) == 0) {
                    /* The pods' labels and annotations: not a Pod's uid,
                     * managedFields or timestamps. */
                    if (!kh_object_pod_metadata(src, &meta) && !meta)
                        continue;
                    paths[n] = join_path(in_spec[n], sizeof(in_spec[n]), meta, ".labels", meta);
                    n++;
                    paths[n] = join_path(in_spec[n], sizeof(in_spec[n]), meta, ".annotations",
                                         meta);
                    n++;
                } else if (strncmp(fields[i], KH_FIELD_POD_SPEC, speclen) == 0 &&
                           (!fields[i][speclen] || fields[i][speclen] == '.')) {
                    if (!kh_object_podspec(src, &ps))
                        continue;
                    /* A path too long for the buffer keeps the whole spec. */
                    paths[n] = join_path(in_spec[n], sizeof(in_spec[n]), ps.path,
                                         fields[i] + speclen, ps.path);
                    n++;
                } else {
                    paths[n++] = fields[i];
                }
            }
            root = clone_projected(src->root, paths, n, arena, 0);
            if (root && !keeps_annotations(paths, n) &&
                add_suppressions(root, src->annotations, arena) != 0)
                root = NULL;
        }
    }
    const char *prefix = keep_string(arena, src->path_prefix, strlen(src->path_prefix));
    const char *kind = src->kind ? keep_string(arena, src->kind, strlen(src->kind)) : NULL;
    const char *av = src->api_version
                         ? keep_string(arena, src->api_version, strlen(src->api_version))
                         : NULL;
    if (!root || !prefix || (src->kind && !kind) || (src->api_version && !av))
        return kh_error_set(err, KH_ENOMEM, file, 0, 0, "out of memory");
    int rc = kh_object_from_item(dst, root, file, prefix, av, kind, arena, err);
    if (rc)
        return rc;
    dst->input = src->input;
    dst->pod_templates = src->pod_templates;
    dst->npod_templates = src->npod_templates;
    kh_object_cache_podspec(dst);
    return 0;
}

int kh_object_clone_shared(kh_object *dst, const kh_object *src, const char *file,
                           const char *const *fields, size_t nfields, kh_nodeshare *share,
                           kh_arena *keep, kh_arena *scratch, kh_error *err)
{
    kh_object tmp;
    int rc = kh_object_clone(&tmp, src, file, fields, nfields, scratch, err);
    if (rc)
        return rc;
    const kh_node *root = kh_nodeshare_tree(share, tmp.root, keep, scratch);
    const char *prefix = kh_nodeshare_string(share, tmp.path_prefix, keep);
    const char *kind = tmp.kind ? kh_nodeshare_string(share, tmp.kind, keep) : NULL;
    const char *av = tmp.api_version ? kh_nodeshare_string(share, tmp.api_version, keep) : NULL;
    if (!root || !prefix || (tmp.kind && !kind) || (tmp.api_version && !av))
        return kh_error_set(err, KH_ENOMEM, file, 0, 0, "out of memory");
    /* The group is split off into the scratch arena, then shared. */
    if ((rc = kh_object_from_item(dst, root, file, prefix, av, kind, scratch, err)))
        return rc;
    if (*dst->group && !(dst->group = kh_nodeshare_string(share, dst->group, keep)))
        return kh_error_set(err, KH_ENOMEM, file, 0, 0, "out of memory");
    /* The shared tree has no metadata.name (nothing would share it). */
    if (!(dst->name = kh_arena_strdup(keep, tmp.name)))
        return kh_error_set(err, KH_ENOMEM, file, 0, 0, "out of memory");
    dst->input = src->input;
    dst->pod_templates = src->pod_templates;
    dst->npod_templates = src->npod_templates;
    kh_object_cache_podspec(dst);
    return 0;
}
