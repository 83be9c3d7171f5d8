/*
 * fuzz_apiresponse.c -- libFuzzer target for what comes back from an API
 * server or a credential plugin: a list page (its item ranges, each item's
 * bytes parsed alone, the envelope without its items, the page scanned
 * from any item on, as a restarted list does), a Status in an error
 * message, and an ExecCredential.
 *
 * The contract checked: item ranges lie inside the page, in order, each
 * starting with '{' and ending with '}'; nothing crashes or leaks.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "client/internal.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int ignore(const kh_finding *f, void *ud)
{
    (void)f;
    (void)ud;
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *buf = (const char *)data;
    kh_item_range *items = NULL;
    size_t n = 0, open = 0, close = 0;
    if (kh_list__items(buf, size, &items, &n, &open, &close) == 0) {
        if (open >= close || close >= size || buf[open] != '[' || buf[close] != ']')
            abort();
        size_t prev = open;
        for (size_t i = 0; i < n; i++) {
            if (items[i].start <= prev || items[i].end > close ||
                buf[items[i].start] != '{' || buf[items[i].end - 1] != '}')
                abort();
            prev = items[i].end - 1;
        }
        kh_arena a;
        kh_arena_init(&a, 0);
        for (size_t i = 0; i < n && i < 4; i++) {
            const kh_node *root = NULL;
            kh_doc_load_buffer(&root, &a, buf + items[i].start, items[i].end - items[i].start,
                               "<item>", NULL);
        }
        /* The page from its middle item on, as a restarted list scans it. */
        size_t total = 0;
        char *sub = kh_list__subpage(buf, size, items, n, n / 2, n, open, close, &total);
        if (!sub)
            abort();
        kh_scanner *s = NULL;
        if (kh_scanner_new(&s, NULL, ignore, NULL, NULL) == KH_OK) {
            kh_scanner_set_threads(s, 1);
            kh_scan_buffer(s, sub, total, "/api/v1/pods", NULL);
            kh_scanner_finish(s, NULL);
        }
        kh_scanner_free(s);
        free(sub);
        kh_arena_free(&a);
    }
    free(items);
    char *copy = malloc(size + 1);
    if (!copy)
        abort();
    memcpy(copy, buf, size);
    copy[size] = '\0';
    kh_http_resp resp = {403, copy, size};
    kh_error err = {0};
    kh_http__status_error("/api/v1/pods", &resp, &err);
    kh_exec_cred cred;
    if (kh_exec__parse("client.authentication.k8s.io/v1", copy, size, &cred, &err) == KH_OK)
        kh_exec_cred__free(&cred);
    free(copy);
    return 0;
}
