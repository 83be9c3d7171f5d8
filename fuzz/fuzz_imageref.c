/*
 * fuzz_imageref.c -- libFuzzer target for the image reference parser
 * (src/k8s/imageref.c), which reads attacker-controlled manifest text.
 *
 * Each input is parsed as a reference. When it parses, the normalised
 * parts must satisfy what the rules rely on: name is domain "/" path, a
 * digest passes the digest check, the normalised form parses back to the
 * same parts, and a name always falls under its own allow-list prefix.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kubeharden.h"
#include "k8s/imageref.h"

static void check(int ok)
{
    if (!ok)
        abort();
}

static int same(const char *a, const char *b)
{
    return (!a && !b) || (a && b && strcmp(a, b) == 0);
}

static void check_parsed(const kh_imageref *r, kh_arena *arena)
{
    check(r->domain && r->path && r->name);
    const char *name = kh_arena_printf(arena, "%s/%s", r->domain, r->path);
    check(name && strcmp(name, r->name) == 0);
    check(!r->digest || kh_imageref_digest_valid(r->digest));
    check(kh_imageref_name_has_prefix(r->name, r->name));
    /* The normalised reference parses back to itself. */
    const char *again = kh_arena_printf(arena, "%s%s%s%s%s", r->name, r->tag ? ":" : "",
                                        r->tag ? r->tag : "", r->digest ? "@" : "",
                                        r->digest ? r->digest : "");
    kh_imageref back;
    const char *why;
    check(again && kh_imageref_parse(&back, again, arena, &why) == KH_OK);
    check(same(back.name, r->name) && same(back.tag, r->tag) && same(back.digest, r->digest));
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size > 4096)
        return 0;
    char *ref = malloc(size + 1);
    if (!ref)
        return 0;
    memcpy(ref, data, size);
    ref[size] = '\0';
    kh_arena arena;
    kh_arena_init(&arena, 0);
    kh_imageref r;
    const char *why = NULL;
    int rc = kh_imageref_parse(&r, ref, &arena, &why);
    if (rc == KH_OK)
        check_parsed(&r, &arena);
    else
        check(rc == KH_ENOMEM || (rc == KH_EINVALID && why && *why));
    (void)kh_imageref_prefix_valid(ref);
    kh_arena_free(&arena);
    free(ref);
    return 0;
}
