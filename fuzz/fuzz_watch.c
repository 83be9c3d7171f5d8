/*
 * fuzz_watch.c -- libFuzzer target for the audit-event line path of
 * `kubeharden watch`: the input is cut at newlines and each line is judged
 * by a fresh watcher's kh_watch_line, as lines off a log or a webhook body.
 *
 * Besides crashes, leaks and sanitizer reports it checks the alert's
 * contract: every alert has a rule, a 16-hex-digit id, a message and a
 * count of at least 1, and its JSON (kh_alert_json) is one valid JSON
 * object; an error names a line of the input.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "core/arena.h"
#include "doc/node.h"
#include "kubeharden/watch.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int on_alert(const kh_alert *a, void *ud)
{
    (void)ud;
    if (!a->rule_id || !a->message || !a->id || strlen(a->id) != 16 || a->count < 1)
        abort();
    char *json = kh_alert_json(a);
    if (!json)
        abort();
    kh_arena arena;
    kh_arena_init(&arena, 0);
    const kh_node *root = NULL;
    kh_error err = {0};
    if (kh_doc_load_buffer(&root, &arena, json, strlen(json), "alert", &err) != KH_OK ||
        !kh_node_is_map(root))
        abort();
    kh_arena_free(&arena);
    free(json);
    return 0;
}

static int on_error(const kh_finding *f, void *ud)
{
    unsigned lines = *(unsigned *)ud;
    if (!f->is_error || !f->message || f->line < 1 || f->line > lines)
        abort();
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    unsigned lines = 1;
    for (size_t i = 0; i < size; i++)
        lines += data[i] == '\n';
    kh_watch *w = NULL;
    if (kh_watch_new(&w, NULL, on_alert, NULL, on_error, &lines, NULL) != KH_OK)
        abort();
    const char *p = (const char *)data, *end = p + size;
    for (unsigned line = 1; p < end; line++) {
        const char *nl = memchr(p, '\n', (size_t)(end - p));
        size_t len = nl ? (size_t)(nl - p) : (size_t)(end - p);
        kh_error err;
        kh_watch_line(w, p, len, "audit.log", line, &err);
        p += len + (nl != NULL);
    }
    kh_watch_flush(w);
    kh_watch_free(w);
    return 0;
}
