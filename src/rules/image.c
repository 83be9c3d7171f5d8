/*
 * image.c -- container image supply-chain rules: pinning by tag and digest,
 * pull policy, valid references, trusted registries, signature evidence and
 * the vulnerability gate.
 *
 * Every image is parsed once per object, in the pod view, with the exact
 * reference parser (k8s/imageref.c), so "registry:5000/app" is never read
 * as tag 5000 and "nginx" is docker.io/library/nginx:latest. An invalid reference is
 * reported once, by image.invalid-reference; the pinning rules skip it,
 * while the allow-list and signature rules fail closed and report it too.
 */
#include <stdlib.h>
#include <string.h>

#include "k8s/imageref.h"
#include "rules/policy.h"
#include "rules/rules.h"

/* One container image, parsed (ref NULL and why set when invalid). */
typedef struct image {
    const kh_podspec *ps;
    const kh_container *c;
    const char *text;            /* the image as written */
    const kh_imageref *ref;
    const char *why;
    const kh_node *at;           /* the "image" key */
} image;

/* Field path of the image, built only when a finding needs it. */
static const char *image_path(kh_rule_ctx *ctx, const image *img)
{
    return kh_rule__container_path(ctx, img->ps, img->c, "image");
}

typedef void (*image_fn)(kh_rule_ctx *ctx, const kh_object *obj, const image *img);

/* Call @p fn for the image of every container (init, regular, ephemeral:
 * all of them run code) that names one. The pod view parses each image
 * once for all seven rules. */
static void each_image(kh_rule_ctx *ctx, const kh_object *obj, image_fn fn)
{
    const kh_podview *pod = kh_rule__pod_images(ctx, obj);
    for (size_t i = 0; pod && i < pod->n; i++) {
        const kh_podimage *pi = &pod->image[i];
        if (!pi->text || (!pi->ref && !pi->why))
            continue; /* no image, or out of memory */
        image img = {&pod->ps, &pod->c[i], pi->text, pi->ref, pi->why, pi->key};
        fn(ctx, obj, &img);
    }
}

/* "sha256:6af79ae5de40" for messages. */
static const char *short_digest(kh_rule_ctx *ctx, const char *digest)
{
    const char *colon = strchr(digest, ':');
    int keep = colon ? (int)(colon - digest) + 13 : 19;
    return kh_arena_printf(ctx->arena, "%.*s", keep, digest);
}

/* ============================================================ pinning */

static void tag_not_pinned(kh_rule_ctx *ctx, const kh_object *obj, const image *img)
{
    if (!img->ref || img->ref->digest)
        return;
    if (!img->ref->tag)
        kh_rule__report(ctx, obj, img->at, image_path(ctx, img),
                        "container \"%s\" image '%s' has no tag, so it runs :latest",
                        img->c->name, img->text);
    else if (strcmp(img->ref->tag, "latest") == 0)
        kh_rule__report(ctx, obj, img->at, image_path(ctx, img),
                        "container \"%s\" image '%s' uses the mutable tag 'latest'",
                        img->c->name, img->text);
}

void kh_image__tag_not_pinned(kh_rule_ctx *ctx, const kh_object *obj)
{
    each_image(ctx, obj, tag_not_pinned);
}

static void digest_not_pinned(kh_rule_ctx *ctx, const kh_object *obj, const image *img)
{
    if (!img->ref || img->ref->digest)
        return;
    kh_rule__report(ctx, obj, img->at, image_path(ctx, img),
                    "container \"%s\" image '%s' is not pinned by digest (@sha256:...)",
                    img->c->name, img->text);
}

void kh_image__digest_not_pinned(kh_rule_ctx *ctx, const kh_object *obj)
{
    each_image(ctx, obj, digest_not_pinned);
}

static void invalid_reference(kh_rule_ctx *ctx, const kh_object *obj, const image *img)
{
    if (img->ref)
        return;
    kh_rule__report(ctx, obj, img->at, image_path(ctx, img),
                    "container \"%s\" image '%s' is not a valid image reference: %s",
                    img->c->name, img->text, img->why);
}

void kh_image__invalid_reference(kh_rule_ctx *ctx, const kh_object *obj)
{
    each_image(ctx, obj, invalid_reference);
}

/*
 * A tag can be moved to other content. With IfNotPresent (the default for
 * any tag but :latest) a node keeps what it pulled first, so nodes can run
 * different images under one tag; Never runs whatever the node has. Always
 * resolves the tag at every start. A digest makes the policy irrelevant.
 */
static void pull_policy_drift(kh_rule_ctx *ctx, const kh_object *obj, const image *img)
{
    if (!img->ref || img->ref->digest)
        return;
    const kh_node *policy = kh_node_get(img->c->node, "imagePullPolicy");
    const char *explicit = policy && policy->type == KH_NODE_STRING ? policy->u.text : NULL;
    const char *tag = kh_imageref_tag_or_latest(img->ref);
    const char *effective = explicit ? explicit
                                     : strcmp(tag, "latest") == 0 ? "Always" : "IfNotPresent";
    if (strcmp(effective, "IfNotPresent") != 0 && strcmp(effective, "Never") != 0)
        return;
    const kh_node *at = kh_rule__key(img->c->node, "imagePullPolicy");
    kh_rule__report(ctx, obj, at ? at : img->at,
                    kh_rule__container_path(ctx, img->ps, img->c, "imagePullPolicy"),
                    "container \"%s\" image '%s' is pulled by the mutable tag '%s' with "
                    "%simagePullPolicy %s, so nodes can run different images under it",
                    img->c->name, img->text, tag, explicit ? "" : "the default ",
                    effective);
}

void kh_image__pull_policy_drift(kh_rule_ctx *ctx, const kh_object *obj)
{
    each_image(ctx, obj, pull_policy_drift);
}

/* ============================================== registries, signatures */

static void untrusted_registry(kh_rule_ctx *ctx, const kh_object *obj, const image *img)
{
    if (!img->ref) {
        kh_rule__report(ctx, obj, img->at, image_path(ctx, img),
                        "container \"%s\" image '%s' cannot be parsed, so its registry "
                        "cannot be trusted",
                        img->c->name, img->text);
        return;
    }
    if (kh_policy__trusted_registry(ctx->policy, img->ref->name))
        return;
    kh_rule__report(ctx, obj, img->at, image_path(ctx, img),
                    "container \"%s\" image '%s' (%s) is not from a trusted registry",
                    img->c->name, img->text, img->ref->name);
}

void kh_image__untrusted_registry(kh_rule_ctx *ctx, const kh_object *obj)
{
    if (ctx->policy && ctx->policy->registries_set)
        each_image(ctx, obj, untrusted_registry);
}

static void signature_missing(kh_rule_ctx *ctx, const kh_object *obj, const image *img)
{
    const char *who = NULL, *name = img->c->name;
    kh_signature_status st = img->ref ? kh_policy__signature(ctx->policy, img->ref, &who)
                                      : KH_SIGNATURE_NO_DIGEST;
    if (st == KH_SIGNED)
        return;
    if (!img->ref)
        kh_rule__report(ctx, obj, img->at, image_path(ctx, img),
                        "container \"%s\" image '%s' cannot be parsed, so it cannot be "
                        "shown to be signed",
                        name, img->text);
    else if (st == KH_SIGNATURE_NO_DIGEST)
        kh_rule__report(ctx, obj, img->at, image_path(ctx, img),
                        "container \"%s\" image '%s' is not pinned by digest, so no "
                        "signature can be tied to it",
                        name, img->text);
    else if (st == KH_SIGNATURE_NONE)
        kh_rule__report(ctx, obj, img->at, image_path(ctx, img),
                        "container \"%s\" image '%s' has no signature evidence for %s",
                        name, img->text, short_digest(ctx, img->ref->digest));
    else
        kh_rule__report(ctx, obj, img->at, image_path(ctx, img),
                        "container \"%s\" image '%s' is signed only by '%s', not by a "
                        "trusted signer",
                        name, img->text, who);
}

void kh_image__signature_missing(kh_rule_ctx *ctx, const kh_object *obj)
{
    if (ctx->policy && ctx->policy->signers_set)
        each_image(ctx, obj, signature_missing);
}

/* ===================================================== vulnerabilities */

#define MAX_REPORTS 16
#define MAX_LISTED 8

static int by_id(const void *pa, const void *pb)
{
    return strcmp(((const kh_vuln *)pa)->id, ((const kh_vuln *)pb)->id);
}

static int worst_first(const void *pa, const void *pb)
{
    const kh_vuln *a = pa, *b = pb;
    if (a->severity != b->severity)
        return a->severity > b->severity ? -1 : 1;
    return strcmp(a->id, b->id);
}

/* Vulnerabilities at or above the gate from every matching report, one
 * per id with its worst severity, worst first; *n gets the count. */
static kh_vuln *gated_vulns(kh_rule_ctx *ctx, const kh_vuln_image *const *imgs,
                            size_t nimgs, size_t *n)
{
    size_t total = 0, count = 0, out = 0;
    for (size_t i = 0; i < nimgs; i++)
        total += imgs[i]->nvulns;
    kh_vuln *all = total ? kh_arena_alloc(ctx->arena, total * sizeof(kh_vuln)) : NULL;
    for (size_t i = 0; all && i < nimgs; i++)
        for (size_t k = 0; k < imgs[i]->nvulns; k++)
            if (imgs[i]->vulns[k].severity >= ctx->policy->vuln_fail_on)
                all[count++] = imgs[i]->vulns[k];
    /* The same id from two reports counts once, with the worse severity. */
    if (count > 1)
        qsort(all, count, sizeof(kh_vuln), by_id);
    for (size_t i = 0; i < count; i++) {
        if (out && strcmp(all[out - 1].id, all[i].id) == 0) {
            if (all[i].severity > all[out - 1].severity)
                all[out - 1].severity = all[i].severity;
            continue;
        }
        all[out++] = all[i];
    }
    if (out > 1)
        qsort(all, out, sizeof(kh_vuln), worst_first);
    *n = out;
    return all;
}

/* "CVE-1 (critical), CVE-2 (high) and 3 more" into @p buf. */
static void list_vulns(char *buf, size_t size, const kh_vuln *v, size_t n)
{
    size_t len = 0;
    buf[0] = '\0';
    for (size_t i = 0; i < n && i < MAX_LISTED && len < size; i++)
        len += (size_t)snprintf(buf + len, size - len, "%s%s (%s)", i ? ", " : "", v[i].id,
                                kh_severity_name(v[i].severity));
    if (n > MAX_LISTED && len < size)
        snprintf(buf + len, size - len, " and %zu more", n - MAX_LISTED);
}

static void vulnerable(kh_rule_ctx *ctx, const kh_object *obj, const image *img)
{
    const kh_vuln_image *imgs[MAX_REPORTS];
    size_t nimgs = img->ref ? kh_policy__vuln_images(ctx->policy, img->ref, imgs,
                                                     MAX_REPORTS)
                            : 0;
    if (nimgs == 0) {
        if (ctx->policy->vuln_require_report)
            kh_rule__report(ctx, obj, img->at, image_path(ctx, img),
                            "container \"%s\" image '%s' is not covered by any "
                            "vulnerability report",
                            img->c->name, img->text);
        return;
    }
    size_t n = 0;
    kh_vuln *v = gated_vulns(ctx, imgs, nimgs, &n);
    if (n == 0)
        return;
    char list[300];
    list_vulns(list, sizeof(list), v, n);
    kh_rule__report_severity(ctx, v[0].severity, obj, img->at, image_path(ctx, img),
                             "container \"%s\" image '%s' has %zu %s at or above %s: %s",
                             img->c->name, img->text, n,
                             n == 1 ? "vulnerability" : "vulnerabilities",
                             kh_severity_name(ctx->policy->vuln_fail_on), list);
}

void kh_image__vulnerable(kh_rule_ctx *ctx, const kh_object *obj)
{
    if (ctx->policy && ctx->policy->vuln_reports_given)
        each_image(ctx, obj, vulnerable);
}
