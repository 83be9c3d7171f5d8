/*
 * fuzz_scan.c -- libFuzzer target for the whole scan: loader, model, every
 * rule and every report format, on arbitrary input.
 *
 * Rules read trees of any shape (a string where a map is expected, a
 * container list that is a scalar...), so this is where a missing type
 * check would crash. Each input is scanned once into each report format
 * written to /dev/null; the only assertion is that nothing crashes, leaks
 * or trips a sanitizer, and that the scanner's counts add up.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include "kubeharden.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static FILE *null;
    if (!null && !(null = fopen("/dev/null", "w")))
        abort();
    for (int fmt = KH_FORMAT_TEXT; fmt <= KH_FORMAT_JUNIT; fmt++) {
        kh_report *report = NULL;
        kh_scanner *scanner = NULL;
        if (kh_report_new(&report, (kh_format)fmt, null, NULL, NULL) ||
            kh_scanner_new(&scanner, NULL, kh_report_finding_cb, report, NULL))
            abort();
        kh_scan_buffer(scanner, (const char *)data, size, "fuzz.yaml", NULL);
        kh_scanner_finish(scanner, NULL);
        kh_scan_stats st;
        kh_scanner_stats(scanner, &st);
        size_t sum = 0;
        for (int s = 0; s < 5; s++)
            sum += st.by_severity[s];
        if (sum != st.findings)
            abort();
        kh_report_end(report, &st, NULL);
        kh_scanner_free(scanner);
        kh_report_free(report);
    }
    return 0;
}
