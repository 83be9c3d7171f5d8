/*
 * image.c -- container image supply-chain rules.
 *
 * An image reference is [registry[:port]/]path[:tag][@digest]. The tag is
 * the part after the last ':' of the last path component, so a registry
 * port ("registry:5000/app") is never mistaken for a tag.
 */
#include <string.h>

#include "rules/rules.h"

/* The tag of @p ref (pointer into it, length in *len), or NULL when absent;
 * *digest is set when the reference carries an @digest. */
static const char *image_tag(const char *ref, size_t *len, int *digest)
{
    const char *at = strchr(ref, '@');
    size_t end = at ? (size_t)(at - ref) : strlen(ref);
    *digest = at != NULL;
    const char *last = ref;
    for (size_t i = 0; i < end; i++)
        if (ref[i] == '/')
            last = ref + i + 1;
    const char *colon = memchr(last, ':', (size_t)(ref + end - last));
    if (!colon)
        return NULL;
    *len = (size_t)(ref + end - colon - 1);
    return colon + 1;
}

void kh_image__tag_not_pinned(kh_rule_ctx *ctx, const kh_object *obj)
{
    kh_podspec ps;
    if (!kh_object_podspec(obj, &ps))
        return;
    kh_container_iter it;
    kh_container c;
    kh_container_iter_init(&it, &ps);
    while (kh_container_next(&it, &c)) {
        const kh_node *img = kh_node_get(c.node, "image");
        const char *ref = kh_node_is_scalar(img) ? kh_node_str(img) : NULL;
        if (!ref || !*ref)
            continue;
        size_t len = 0;
        int digest = 0;
        const char *tag = image_tag(ref, &len, &digest);
        if (digest)
            continue;
        const char *path = kh_rule__container_path(ctx, &ps, &c, "image");
        const kh_node *at = kh_rule__key(c.node, "image");
        if (!tag)
            kh_rule__report(ctx, obj, at, path,
                            "container \"%s\" image '%s' has no tag, so it runs :latest",
                            c.name, ref);
        else if (len == 6 && memcmp(tag, "latest", 6) == 0)
            kh_rule__report(ctx, obj, at, path,
                            "container \"%s\" image '%s' uses the mutable tag 'latest'",
                            c.name, ref);
    }
}
