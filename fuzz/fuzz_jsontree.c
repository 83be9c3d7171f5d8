/*
 * fuzz_jsontree.c -- libFuzzer target for the one-pass JSON reader
 * (src/doc/jsontree.c), differential: every input is read by
 * kh_doc_load_json, by its reader alone (kh_doc__json_tree) and by the
 * event path (kh_doc_load_buffer), and the trees must be node for node the
 * same, or the errors the same in code, position and message
 * (tests/unit/doc/jsontree_diff.h). Any difference aborts with it printed.
 * Seeds: corpus JSON (fuzz/run.sh), audit events, AdmissionReviews and
 * corner cases in fuzz/regressions/jsontree-*.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include "../tests/unit/doc/jsontree_diff.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char why[512];
    int fast;
    const char *d = jsontree_diff((const char *)data, size, &fast, why, sizeof(why));
    if (d) {
        fprintf(stderr, "fuzz_jsontree: %s\n", d);
        abort();
    }
    return 0;
}
