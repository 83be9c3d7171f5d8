/*
 * fuzz_probe.c -- libFuzzer target for what `kubeharden probe` reads from
 * the network (src/probe/http.c): the status line and body of an answer,
 * whether it is complete, and JSON string members in it. A probed server
 * is untrusted, so every byte string must be read without going out of
 * bounds, and what is returned must lie inside the input.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "probe/internal.h"

static void check(int ok)
{
    if (!ok)
        abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *s = (const char *)data;
    kh_pr_http h;
    if (kh_probe__http_parse(s, size, &h) == 0) {
        check(h.status >= 100 && h.status <= 999);
        check(h.line == s && h.line_len <= size);
        if (h.body)
            check(h.body >= s && h.body + h.body_len == s + size);
    }
    (void)kh_probe__http_complete(s, size);
    static const char *const keys[] = {"gitVersion", "etcdserver", "count", ""};
    for (size_t i = 0; i < sizeof(keys) / sizeof(keys[0]); i++) {
        char out[32];
        if (kh_probe__json_string(s, size, keys[i], out, sizeof(out)) == 0)
            check(strlen(out) < sizeof(out));
    }
    return 0;
}
