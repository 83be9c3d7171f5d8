/*
 * podview.c -- one walk over an object's pod: the pod spec, the pod's
 * securityContext, and every container (init, regular, ephemeral, in the
 * order the kubelet starts them) with its securityContext and its image.
 *
 * The rules read this view instead of each walking the containers again.
 * Images are parsed only when a rule asks (kh_podview_images), so a scan
 * that runs no image rule never pays for the reference parser.
 */
#include "k8s/k8s.h"

#include <string.h>

#include "k8s/imageref.h"
#include "kubeharden.h"

/* A container's securityContext value and image key and value, in one
 * pass over its keys (first match, as kh_node_get). */
static void container_fields(const kh_node *c, const kh_node **sc,
                             const kh_node **image_key, const kh_node **image)
{
    *sc = *image_key = *image = NULL;
    for (size_t i = 0; i < c->len; i++) {
        const kh_node *k = c->u.pairs[i].key;
        if (k->type >= KH_NODE_MAP)
            continue;
        if (!*sc && k->len == 15 && memcmp(k->u.text, "securityContext", 15) == 0)
            *sc = c->u.pairs[i].value;
        else if (!*image_key && k->len == 5 && memcmp(k->u.text, "image", 5) == 0) {
            *image_key = k;
            *image = c->u.pairs[i].value;
        }
    }
}

int kh_podview_build(kh_podview *out, const kh_object *obj, kh_arena *arena)
{
    memset(out, 0, sizeof(*out));
    out->obj = obj;
    if (!kh_object_podspec(obj, &out->ps)) {
        out->ps.spec = NULL;
        return KH_OK;
    }
    out->psc = kh_node_get(out->ps.spec, "securityContext");
    /* Items that are not mappings are skipped, so this is an upper bound. */
    size_t max = 0;
    static const char *const lists[] = {"initContainers", "containers", "ephemeralContainers"};
    for (size_t i = 0; i < 3; i++) {
        const kh_node *seq = kh_node_get(out->ps.spec, lists[i]);
        max += kh_node_is_seq(seq) ? seq->len : 0;
    }
    size_t slots = max ? max : 1;
    out->c = kh_arena_alloc(arena, slots * sizeof(*out->c));
    out->sc = kh_arena_alloc(arena, slots * sizeof(*out->sc));
    out->image = kh_arena_alloc(arena, slots * sizeof(*out->image));
    if (!out->c || !out->sc || !out->image) {
        out->ps.spec = NULL;
        return KH_ENOMEM;
    }
    kh_container_iter it;
    kh_container_iter_init(&it, &out->ps);
    while (out->n < max && kh_container_next(&it, &out->c[out->n])) {
        kh_podimage *img = &out->image[out->n];
        const kh_node *node;
        container_fields(out->c[out->n].node, &out->sc[out->n], &img->key, &node);
        /* Only a non-empty scalar names an image (an int is its text). */
        const char *text = kh_node_is_scalar(node) ? kh_node_str(node) : NULL;
        img->text = text && *text ? text : NULL;
        img->ref = NULL;
        img->why = NULL;
        out->n++;
    }
    return KH_OK;
}

int kh_podview_images(kh_podview *view, kh_arena *arena)
{
    if (view->images_parsed)
        return KH_OK;
    int rc = KH_OK;
    for (size_t i = 0; i < view->n; i++) {
        kh_podimage *img = &view->image[i];
        if (!img->text)
            continue;
        kh_imageref *ref = kh_arena_alloc(arena, sizeof(*ref));
        int prc = ref ? kh_imageref_parse(ref, img->text, arena, &img->why) : KH_ENOMEM;
        if (prc == KH_OK) {
            img->ref = ref;
            img->why = NULL;
        } else if (prc != KH_EINVALID) {
            /* out of memory: this container's image is left unread */
            img->text = NULL;
            img->why = NULL;
            rc = KH_ENOMEM;
        }
    }
    view->images_parsed = true;
    return rc;
}
