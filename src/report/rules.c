/*
 * rules.c -- `kubeharden rules -o json`: the registry as a JSON array.
 *
 * It lives with the reports for their JSON escaper, which keeps any rule
 * text valid JSON. One object per rule, on one line, in id order, read
 * through the public kh_rule_* API like any other caller.
 */
#include "report/report.h"

int kh_rules_write_json(FILE *dst, kh_error *err)
{
    static const char *const keys[] = {"id", "area", "severity", "title",
                                       "why", "fix", "refs", "since"};
    size_t n = kh_rule_count();
    fputs("[\n", dst);
    for (size_t i = 0; i < n; i++) {
        const kh_rule_info *r = kh_rule_at(i);
        const char *vals[] = {r->id,    kh_area_name(r->area), kh_severity_name(r->severity),
                              r->title, r->why, r->fix, r->refs, r->since};
        fputs("  {", dst);
        for (size_t k = 0; k < 8; k++) {
            fprintf(dst, "%s\"%s\": ", k ? ", " : "", keys[k]);
            kh_report__json_str(dst, vals[k]);
        }
        fprintf(dst, "}%s\n", i + 1 < n ? "," : "");
    }
    fputs("]\n", dst);
    if (ferror(dst))
        return kh_error_set(err, KH_EIO, NULL, 0, 0, "cannot write the rule list");
    return KH_OK;
}
