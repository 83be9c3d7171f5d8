/*
 * test_cases.c -- runs the data-driven cases in tests/cases/.
 *
 * tests/cases/<rule-id>/NNN-<slug>.yaml is scanned with only that rule
 * enabled (tests/cases/_all/ with every rule), through the public API, and
 * the findings, one per line
 *     <line>:<col> <rule-id> <severity> <kind>/<namespace>/<name> <path> -- <message>
 * (" suppressed: <reason>" before " -- " when suppressed; input errors as
 * "error <line>:<col> <message>"), each followed by its related locations as
 *       related <line>:<col> <kind>/<namespace>/<name> <path> -- <message>
 * (indented two spaces; "-" for no kind), must equal NNN-<slug>.expect exactly.
 * A case may have a sibling NNN-<slug>.config.yaml: it is loaded with
 * kh_config_load (its evidence paths are relative to it) before the rule
 * filter is applied, for rules that need trusted registries, signers or
 * vulnerability reports.
 * A line "# options: --pss-level LEVEL --pss-version VERSION" in the case
 * (either option or both) applies those scan options via kh_config_set_pss;
 * "--kube-version VERSION" and "--rule ID" (run that rule too) may follow.
 * Webhook cases live in tests/cases/_admission/: NNN-<slug>.review.json is
 * an AdmissionReview given to kh_admission_review (route from a sibling
 * NNN-<slug>.route, default /validate/restricted; configuration from
 * NNN-<slug>.config.yaml), and NNN-<slug>.expect holds "allowed true|false",
 * then "status <code> <message>" when denied, one "warning <text>" per
 * warning and one "annotation <key> <value>" per audit annotation (but
 * kubeharden-violations, whose rules the unit tests cover), or a single
 * "error <line>:<col> <message>" for a body that is not a review.
 * One run covers one directory ("test_cases <rule-id>", registered as the
 * CTest "case/<rule-id>"); "test_cases --coverage" checks that every
 * registered rule has a firing and a silent case.
 */
#define _GNU_SOURCE /* asprintf */
#include <dirent.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <cmocka.h>

#include "doc/node.h"
#include "kubeharden.h"
#include "kubeharden/watch.h"

static char cases_dir[4096];

typedef struct buf {
    char *data;
    size_t len;
    FILE *f;
} buf;

/* A NULL text field prints as "" (kinds as "-"), so a case can hold it. */
static const char *or_empty(const char *s)
{
    return s ? s : "";
}

static int collect_line(const kh_finding *f, void *ud)
{
    FILE *out = ud;
    if (f->is_error) {
        fprintf(out, "error %u:%u %s\n", f->line, f->col, or_empty(f->message));
        return 0;
    }
    fprintf(out, "%u:%u %s %s %s/%s/%s %s", f->line, f->col, f->rule_id,
            kh_severity_name(f->severity), f->kind ? f->kind : "-", or_empty(f->namespace_),
            or_empty(f->name), or_empty(f->path));
    if (f->suppressed)
        fprintf(out, " suppressed: %s", f->suppressed);
    fprintf(out, " -- %s\n", or_empty(f->message));
    for (size_t i = 0; i < f->nrelated; i++) {
        const kh_location *r = &f->related[i];
        fprintf(out, "  related %u:%u %s/%s/%s %s -- %s\n", r->line, r->col,
                r->kind ? r->kind : "-", or_empty(r->namespace_), or_empty(r->name),
                or_empty(r->path), or_empty(r->message));
    }
    return 0;
}

static char *read_all(const char *path)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return NULL;
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fseek(f, 0, SEEK_SET);
    char *s = malloc((size_t)n + 1);
    size_t got = fread(s, 1, (size_t)n, f);
    s[got] = '\0';
    fclose(f);
    return s;
}

static int name_cmp(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

static size_t list_sorted(const char *dir, char ***out)
{
    DIR *d = opendir(dir);
    char **names = NULL;
    size_t n = 0;
    struct dirent *e;
    while (d && (e = readdir(d)) != NULL) {
        if (e->d_name[0] == '.')
            continue;
        names = realloc(names, (n + 1) * sizeof(char *));
        names[n++] = strdup(e->d_name);
    }
    if (d)
        closedir(d);
    if (n > 1) /* names is NULL for a missing or empty directory */
        qsort(names, n, sizeof(char *), name_cmp);
    *out = names;
    return n;
}

static void free_list(char **names, size_t n)
{
    for (size_t i = 0; i < n; i++)
        free(names[i]);
    free(names);
}

static int is_input(const char *name)
{
    size_t n = strlen(name);
    if (n > 12 && strcmp(name + n - 12, ".config.yaml") == 0)
        return 0; /* a case's configuration, not a case */
    return (n > 5 && strcmp(name + n - 5, ".yaml") == 0) ||
           (n > 5 && strcmp(name + n - 5, ".json") == 0);
}

/* The case's configuration: NNN-<slug>.config.yaml when present, else the
 * defaults. Returns 0 and prints why on a bad configuration. */
static int case_config(kh_config **cfg, const char *dir, const char *name)
{
    char *path = NULL;
    kh_error err = {0};
    assert_true(asprintf(&path, "%s/%.*s.config.yaml", dir, (int)(strlen(name) - 5), name) > 0);
    FILE *f = fopen(path, "rb");
    int rc;
    if (f) {
        fclose(f);
        rc = kh_config_load(cfg, path, &err);
    } else {
        rc = kh_config_new(cfg, &err);
    }
    if (rc != KH_OK)
        print_error("case %s/%s: %s:%u:%u: %s\n", dir, name, path, err.line, err.col,
                    err.message);
    free(path);
    return rc == KH_OK;
}

/* Apply the case's "# options:" line (--pss-level, --pss-version,
 * --kube-version, and --rule for another rule to run besides the
 * directory's, as a rule that overrides it), if any.
 * Returns 0 and prints why on an unknown option or a bad value. */
static int case_options(kh_config *cfg, const char *input)
{
    char *text = read_all(input);
    const char *line = text ? strstr(text, "# options:") : NULL;
    int ok = 1;
    if (line) {
        char opts[256];
        snprintf(opts, sizeof(opts), "%.*s", (int)strcspn(line + 10, "\n"), line + 10);
        char *save = NULL;
        for (char *opt = strtok_r(opts, " \t", &save); opt && ok;
             opt = strtok_r(NULL, " \t", &save)) {
            char *value = strtok_r(NULL, " \t", &save);
            int level = strcmp(opt, "--pss-level") == 0;
            int version = strcmp(opt, "--pss-version") == 0;
            kh_error err = {0};
            int rc = -1;
            if (value && (level || version))
                rc = kh_config_set_pss(cfg, level ? value : NULL, level ? NULL : value, &err);
            else if (value && strcmp(opt, "--kube-version") == 0)
                rc = kh_config_set_kube_version(cfg, value, &err);
            else if (value && strcmp(opt, "--rule") == 0)
                rc = kh_config_only_rule(cfg, value, &err);
            if (rc != KH_OK) {
                print_error("case %s: bad options '%s %s' %s\n", input, opt,
                            value ? value : "", err.message);
                ok = 0;
            }
        }
    }
    free(text);
    return ok;
}

/* Audit-event rules (area audit) run in the watcher, not in a scan: the
 * case is a file of audit events, one per line, read with kh_watch_path,
 * and each alert is a line
 *     <line>:<col> <rule-id> <severity> <resource>/<namespace>/<name> count=<n> -- <message>
 * (held storm counts are flushed at the end, as `kubeharden watch` does). */
static int collect_alert(const kh_alert *a, void *ud)
{
    fprintf(ud, "%u:%u %s %s %s/%s/%s count=%lu -- %s\n", a->line, a->col, a->rule_id,
            kh_severity_name(a->severity), or_empty(a->resource), or_empty(a->namespace_),
            or_empty(a->name), a->count, or_empty(a->message));
    return 0;
}

static void run_event_case(kh_config *cfg, const char *input, const char *name, FILE *out)
{
    kh_watch *w = NULL;
    kh_error err = {0};
    assert_int_equal(kh_watch_new(&w, cfg, collect_alert, out, collect_line, out, &err), KH_OK);
    assert_int_equal(kh_watch_path(w, input, 0, 0, NULL, &err), KH_OK);
    kh_watch_flush(w);
    kh_watch_free(w);
    (void)name;
}

/* Run one case; returns 1 when it passes, printing a diff-like report if not. */
static int run_case(const char *rule, const char *dir, const char *name, int *fires)
{
    char *input = NULL, *expect_path = NULL;
    assert_true(asprintf(&input, "%s/%s", dir, name) > 0);
    assert_true(asprintf(&expect_path, "%s/%.*s.expect", dir, (int)(strlen(name) - 5),
                         name) > 0);
    char *expect = read_all(expect_path);
    if (!expect) {
        print_error("case %s: missing %s\n", input, expect_path);
        free(input);
        free(expect_path);
        return 0;
    }
    kh_config *cfg = NULL;
    kh_error err = {0};
    if (!case_config(&cfg, dir, name)) {
        free(expect);
        free(input);
        free(expect_path);
        return 0;
    }
    if (!case_options(cfg, input) ||
        (strcmp(rule, "_all") != 0 && kh_config_only_rule(cfg, rule, &err) != KH_OK)) {
        print_error("case %s: %s\n", input, err.message);
        kh_config_free(cfg);
        free(expect);
        free(input);
        free(expect_path);
        return 0;
    }
    char *got = NULL;
    size_t got_len = 0;
    FILE *out = open_memstream(&got, &got_len);
    const kh_rule_info *info = kh_rule_find(rule);
    if (info && info->area == KH_AREA_AUDIT) {
        run_event_case(cfg, input, name, out);
    } else {
        kh_scanner *s = NULL;
        assert_int_equal(kh_scanner_new(&s, cfg, collect_line, out, &err), KH_OK);
        /* Label findings with the bare case name so expectations do not
         * depend on where the tree is checked out. */
        FILE *in = fopen(input, "rb");
        assert_non_null(in);
        kh_scan_stream(s, in, name, &err);
        fclose(in);
        kh_scanner_finish(s, &err);
        kh_scanner_free(s);
    }
    kh_config_free(cfg);
    fclose(out);
    int ok = strcmp(got, expect) == 0;
    if (!ok)
        print_error("case %s/%s\n--- expected\n%s--- got\n%s", rule, name, expect, got);
    *fires = expect[0] != '\0';
    free(got);
    free(expect);
    free(input);
    free(expect_path);
    return ok;
}

/* ------------------------------------------------------ webhook cases */

static const char *node_text(const kh_node *n)
{
    const char *s = kh_node_str(n);
    return s ? s : "";
}

/* The response as the .expect lines; the response must be valid JSON. */
static void describe_response(FILE *out, const char *json)
{
    kh_arena arena;
    kh_arena_init(&arena, 4096);
    const kh_node *root = NULL;
    kh_error err = {0};
    if (kh_doc_load_buffer(&root, &arena, json, strlen(json), "<response>", &err) != KH_OK) {
        fprintf(out, "bad response %s: %s\n", err.message, json);
        kh_arena_free(&arena);
        return;
    }
    const kh_node *resp = kh_node_get(root, "response");
    fprintf(out, "allowed %s\n", kh_node_is_true(kh_node_get(resp, "allowed")) ? "true" : "false");
    const kh_node *status = kh_node_get(resp, "status");
    if (status)
        fprintf(out, "status %s %s\n", node_text(kh_node_get(status, "code")),
                node_text(kh_node_get(status, "message")));
    const kh_node *w = kh_node_get(resp, "warnings");
    for (size_t i = 0; kh_node_is_seq(w) && i < w->len; i++)
        fprintf(out, "warning %s\n", node_text(kh_node_at(w, i)));
    const kh_node *a = kh_node_get(resp, "auditAnnotations");
    for (size_t i = 0; kh_node_is_map(a) && i < a->len; i++) {
        const char *key = node_text(a->u.pairs[i].key);
        if (strcmp(key, "kubeharden-violations") != 0)
            fprintf(out, "annotation %s %s\n", key, node_text(a->u.pairs[i].value));
    }
    kh_arena_free(&arena);
}

static int is_review(const char *name)
{
    size_t n = strlen(name);
    return n > 12 && strcmp(name + n - 12, ".review.json") == 0;
}

/* Run one webhook case; returns 1 when it passes. */
static int run_review_case(const char *dir, const char *name)
{
    int stem = (int)(strlen(name) - 12);
    char *input = NULL, *expect_path = NULL, *route_path = NULL, *config_path = NULL;
    assert_true(asprintf(&input, "%s/%s", dir, name) > 0);
    assert_true(asprintf(&expect_path, "%s/%.*s.expect", dir, stem, name) > 0);
    assert_true(asprintf(&route_path, "%s/%.*s.route", dir, stem, name) > 0);
    assert_true(asprintf(&config_path, "%s/%.*s.config.yaml", dir, stem, name) > 0);
    char *expect = read_all(expect_path), *body = read_all(input);
    char *route_text = read_all(route_path);
    char path[256] = "/validate/restricted", *query = NULL;
    if (route_text) {
        snprintf(path, sizeof(path), "%.*s", (int)strcspn(route_text, "\n"), route_text);
        if ((query = strchr(path, '?')))
            *query++ = '\0';
    }
    kh_config *cfg = NULL;
    kh_error err = {0};
    kh_route route;
    int ok = 0;
    FILE *probe = fopen(config_path, "rb");
    if (probe)
        fclose(probe);
    if (!expect || !body) {
        print_error("case %s: missing %s\n", input, expect_path);
    } else if ((probe ? kh_config_load(&cfg, config_path, &err)
                      : kh_config_new(&cfg, &err)) != KH_OK) {
        print_error("case %s: %s:%u:%u: %s\n", input, config_path, err.line, err.col,
                    err.message);
    } else if (kh_route_parse(&route, path, query, &err) != KH_OK) {
        print_error("case %s: bad route '%s': %s\n", input, path, err.message);
    } else {
        char *got = NULL, *json = NULL;
        size_t got_len = 0;
        FILE *out = open_memstream(&got, &got_len);
        int rc = kh_admission_review(cfg, &route, body, strlen(body), NULL, NULL, &json, NULL,
                                     NULL, &err);
        if (rc == KH_OK)
            describe_response(out, json);
        else
            fprintf(out, "error %u:%u %s\n", err.line, err.col, err.message);
        fclose(out);
        ok = strcmp(got, expect) == 0;
        if (!ok)
            print_error("case _admission/%s\n--- expected\n%s--- got\n%s", name, expect, got);
        free(got);
        free(json);
    }
    kh_config_free(cfg);
    free(expect);
    free(body);
    free(route_text);
    free(input);
    free(expect_path);
    free(route_path);
    free(config_path);
    return ok;
}

/* The cases of one directory (its name is the test's state). */
static void test_cases__directory_cases_give_their_expected_findings(void **state)
{
    const char *rule = *state;
    char dir[8192];
    snprintf(dir, sizeof(dir), "%.4000s/%.4000s", cases_dir, rule);
    int webhook = strcmp(rule, "_admission") == 0;
    if (strcmp(rule, "_all") != 0 && !webhook && !kh_rule_find(rule))
        fail_msg("tests/cases/%s: no rule has this id", rule);
    char **names;
    size_t n = list_sorted(dir, &names);
    int failed = 0, total = 0;
    for (size_t i = 0; i < n; i++) {
        int fires;
        if (webhook ? !is_review(names[i]) : !is_input(names[i]))
            continue;
        total++;
        if (!(webhook ? run_review_case(dir, names[i]) : run_case(rule, dir, names[i], &fires)))
            failed++;
    }
    free_list(names, n);
    print_message("%s: %d cases, %d failed\n", rule, total, failed);
    if (total == 0)
        fail_msg("tests/cases/%s: no cases", rule);
    assert_int_equal(failed, 0);
}

static void test_cases__every_rule_has_a_firing_and_a_silent_case(void **state)
{
    (void)state;
    int missing = 0;
    for (size_t i = 0; i < kh_rule_count(); i++) {
        const char *id = kh_rule_at(i)->id;
        char dir[8192];
        snprintf(dir, sizeof(dir), "%.4000s/%.4000s", cases_dir, id);
        char **names;
        size_t n = list_sorted(dir, &names);
        int firing = 0, silent = 0;
        for (size_t k = 0; k < n; k++) {
            size_t len = strlen(names[k]);
            if (len < 7 || strcmp(names[k] + len - 7, ".expect") != 0)
                continue;
            char path[16384];
            snprintf(path, sizeof(path), "%.8000s/%.4000s", dir, names[k]);
            struct stat st;
            if (stat(path, &st) == 0 && st.st_size > 0)
                firing++;
            else if (stat(path, &st) == 0)
                silent++;
        }
        free_list(names, n);
        if (!firing || !silent) {
            print_error("rule %s needs a firing and a silent case (has %d and %d)\n", id,
                        firing, silent);
            missing++;
        }
    }
    assert_int_equal(missing, 0);
}

/* "test_cases DIR" runs the cases in tests/cases/DIR (one CTest each);
 * "test_cases --coverage" checks that every rule has its cases. */
int main(int argc, char **argv)
{
    const char *src = getenv("KH_SOURCE_DIR");
    snprintf(cases_dir, sizeof(cases_dir), "%s/tests/cases", src ? src : ".");
    if (argc == 2 && strcmp(argv[1], "--coverage") == 0) {
        const struct CMUnitTest tests[] = {
            cmocka_unit_test(test_cases__every_rule_has_a_firing_and_a_silent_case),
        };
        return cmocka_run_group_tests_name("cases/coverage", tests, NULL, NULL);
    }
    if (argc != 2 || argv[1][0] == '-' || strchr(argv[1], '/')) {
        fprintf(stderr, "usage: %s RULE-ID|_all|--coverage\n", argv[0]);
        return 2;
    }
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_prestate(test_cases__directory_cases_give_their_expected_findings,
                                  argv[1]),
    };
    return cmocka_run_group_tests_name(argv[1], tests, NULL, NULL);
}
