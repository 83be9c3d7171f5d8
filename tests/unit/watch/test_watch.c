/*
 * test_watch.c -- the audit-event engine: which stage of a request is
 * judged, EventList batches, malformed lines (file:line:col, reading goes
 * on), dedup and its counts, exceptions, severities and thresholds from the
 * watch: section (and its errors), stable alert ids, the alert JSON, and
 * that scan never runs an audit rule.
 */
#define _GNU_SOURCE /* asprintf */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "core/arena.h"
#include "doc/node.h"
#include "kubeharden.h"
#include "kubeharden/watch.h"

typedef struct seen {
    char lines[64][512];
    size_t n;
    char ids[64][17];
    char json[4096];
} seen;

static int on_alert(const kh_alert *a, void *ud)
{
    seen *s = ud;
    if (s->n < 64) {
        snprintf(s->lines[s->n], sizeof(s->lines[0]), "%u %s %s count=%lu %s", a->line,
                 a->rule_id, kh_severity_name(a->severity), a->count, a->subject);
        snprintf(s->ids[s->n], sizeof(s->ids[0]), "%s", a->id);
        char *j = kh_alert_json(a);
        snprintf(s->json, sizeof(s->json), "%s", j);
        free(j);
    }
    s->n++;
    return 0;
}

static int on_error(const kh_finding *f, void *ud)
{
    seen *s = ud;
    if (s->n < 64)
        snprintf(s->lines[s->n], sizeof(s->lines[0]), "error %u:%u %s", f->line, f->col,
                 f->message);
    s->n++;
    return 0;
}

/* An exec by @p user into shop/web at time @p when, at @p stage. */
static char *exec_event_at(const char *id, const char *user, const char *when,
                           const char *stage, int code)
{
    char *s = NULL;
    assert_true(asprintf(&s,
                         "{\"kind\":\"Event\",\"apiVersion\":\"audit.k8s.io/v1\",\"auditID\":\"%s\","
                         "\"stage\":\"%s\",\"verb\":\"create\",\"requestURI\":\"/x\","
                         "\"user\":{\"username\":\"%s\",\"groups\":[\"dev\"]},"
                         "\"sourceIPs\":[\"10.0.0.1\"],\"userAgent\":\"kubectl/v1.31\","
                         "\"objectRef\":{\"resource\":\"pods\",\"namespace\":\"shop\","
                         "\"name\":\"web\",\"subresource\":\"exec\"},"
                         "\"responseStatus\":{\"code\":%d},"
                         "\"stageTimestamp\":\"%s\"}",
                         id, stage, user, code, when) > 0);
    return s;
}

/* The same at second @p sec of 10:00 on 2026-11-30. */
static char *exec_event(const char *id, const char *user, int sec, const char *stage, int code)
{
    char when[40];
    snprintf(when, sizeof(when), "2026-11-30T10:%02d:%02d.000000Z", sec / 60, sec % 60);
    return exec_event_at(id, user, when, stage, code);
}

static kh_watch *watcher(const char *config_text, seen *s, kh_config **cfg)
{
    kh_error err = {0};
    *cfg = NULL;
    if (config_text) {
        char path[] = "/tmp/kh-watch-cfg-XXXXXX";
        int fd = mkstemp(path);
        assert_true(fd >= 0);
        assert_int_equal(write(fd, config_text, strlen(config_text)), (ssize_t)strlen(config_text));
        close(fd);
        int rc = kh_config_load(cfg, path, &err);
        unlink(path);
        if (rc)
            fail_msg("config: %u:%u %s", err.line, err.col, err.message);
    }
    kh_watch *w = NULL;
    assert_int_equal(kh_watch_new(&w, *cfg, on_alert, s, on_error, s, &err), KH_OK);
    return w;
}

static void feed(kh_watch *w, const char *line, unsigned n)
{
    kh_error err;
    kh_watch_line(w, line, strlen(line), "audit.log", n, &err);
}

static void feed_exec(kh_watch *w, const char *user, int sec, unsigned n)
{
    char id[32];
    snprintf(id, sizeof(id), "id-%u", n);
    char *e = exec_event(id, user, sec, "ResponseComplete", 101);
    feed(w, e, n);
    free(e);
}

static void test_watch__only_the_final_stage_of_a_request_is_judged(void **state)
{
    (void)state;
    seen s = {0};
    kh_config *cfg;
    kh_watch *w = watcher(NULL, &s, &cfg);
    const char *stages[] = {"RequestReceived", "ResponseStarted", "ResponseComplete"};
    for (unsigned i = 0; i < 3; i++) {
        char *e = exec_event("same", "alice", 0, stages[i], 101);
        feed(w, e, i + 1);
        free(e);
    }
    assert_int_equal(s.n, 1);
    assert_string_equal(s.lines[0], "3 audit.pod-exec medium count=1 user alice");
    kh_watch_free(w);
    kh_config_free(cfg);
}

static void test_watch__a_storm_gives_one_alert_then_one_with_its_count(void **state)
{
    (void)state;
    seen s = {0};
    kh_config *cfg;
    kh_watch *w = watcher(NULL, &s, &cfg);
    for (unsigned i = 0; i < 100; i++)
        feed_exec(w, "alice", (int)(i / 10), i + 1); /* 100 execs in 10 s */
    assert_int_equal(s.n, 1);
    feed_exec(w, "bob", 5, 101);                     /* another subject: its own alert */
    assert_int_equal(s.n, 2);
    feed_exec(w, "alice", 70, 102);                  /* a new window: carries the 99 */
    assert_int_equal(s.n, 3);
    assert_string_equal(s.lines[2], "102 audit.pod-exec medium count=100 user alice");
    feed_exec(w, "alice", 71, 103);
    feed_exec(w, "alice", 72, 104);
    assert_int_equal(s.n, 3);
    kh_watch_flush(w);                               /* the held ones come out at the end */
    assert_int_equal(s.n, 4);
    assert_string_equal(s.lines[3], "104 audit.pod-exec medium count=2 user alice");
    kh_watch_stats st;
    kh_watch_get_stats(w, &st);
    assert_int_equal(st.events, 104);
    assert_int_equal(st.alerts, 4);
    kh_watch_free(w);
    kh_config_free(cfg);
}

/* An exec by alice at @p when. */
static void feed_exec_at(kh_watch *w, const char *when, unsigned n)
{
    char id[32];
    snprintf(id, sizeof(id), "id-%u", n);
    char *e = exec_event_at(id, "alice", when, "ResponseComplete", 101);
    feed(w, e, n);
    free(e);
}

static void test_watch__windows_use_the_events_times_with_offsets(void **state)
{
    (void)state;
    seen s = {0};
    kh_config *cfg;
    kh_watch *w = watcher(NULL, &s, &cfg);
    feed_exec_at(w, "2026-11-30T10:00:00Z", 1);
    feed_exec_at(w, "2026-11-30T11:00:59.999999+01:00", 2); /* 10:00:59.999999Z: folded */
    assert_int_equal(s.n, 1);
    feed_exec_at(w, "2026-11-30T09:31:00-00:30", 3);        /* 10:01:00Z: a new window */
    assert_int_equal(s.n, 2);
    assert_string_equal(s.lines[1], "3 audit.pod-exec medium count=2 user alice");
    feed_exec_at(w, "2026-12-31T23:59:60Z", 4);             /* a leap second: read */
    feed_exec_at(w, "2027-01-01T00:00:59Z", 5);             /* within 60 s of it */
    assert_int_equal(s.n, 3);
    kh_watch_free(w);
    kh_config_free(cfg);
}

static void test_watch__dedup_burst_and_window_zero(void **state)
{
    (void)state;
    seen s = {0};
    kh_config *cfg;
    kh_watch *w = watcher("watch:\n  dedup: {window: 30, burst: 3}\n", &s, &cfg);
    for (unsigned i = 0; i < 10; i++)
        feed_exec(w, "alice", (int)i, i + 1);
    assert_int_equal(s.n, 3);
    feed_exec(w, "alice", 31, 11); /* 30 s after the window opened */
    assert_string_equal(s.lines[3], "11 audit.pod-exec medium count=8 user alice");
    kh_watch_free(w);
    kh_config_free(cfg);
    memset(&s, 0, sizeof(s));
    w = watcher("watch:\n  dedup: {window: 0}\n", &s, &cfg);
    for (unsigned i = 0; i < 10; i++)
        feed_exec(w, "alice", 0, i + 1);
    assert_int_equal(s.n, 10);
    kh_watch_free(w);
    kh_config_free(cfg);
}

static void test_watch__malformed_lines_are_errors_and_reading_goes_on(void **state)
{
    (void)state;
    seen s = {0};
    kh_config *cfg;
    kh_watch *w = watcher(NULL, &s, &cfg);
    kh_error err = {0};
    const char *bad = "{\"kind\":\"Event\",\"apiVersion\":\"audit.k8s.io/v1\",";
    assert_int_equal(kh_watch_line(w, bad, strlen(bad), "audit.log", 7, &err), KH_EPARSE);
    assert_int_equal(err.line, 7);
    assert_string_equal(s.lines[0], "error 7:48 unexpected end of JSON input");
    const char *pod = "{\"kind\":\"Pod\",\"apiVersion\":\"v1\"}";
    assert_int_equal(kh_watch_line(w, pod, strlen(pod), "audit.log", 8, &err), KH_EINVALID);
    assert_string_equal(s.lines[1],
                        "error 8:1 not an audit.k8s.io Event or EventList (kind 'Pod')");
    feed(w, "   ", 9); /* blank: nothing */
    feed_exec(w, "alice", 0, 10);
    assert_int_equal(s.n, 3);
    kh_watch_stats st;
    kh_watch_get_stats(w, &st);
    assert_int_equal(st.errors, 2);
    kh_watch_free(w);
    kh_config_free(cfg);
}

static void test_watch__an_event_list_is_judged_item_by_item(void **state)
{
    (void)state;
    seen s = {0};
    kh_config *cfg;
    kh_watch *w = watcher(NULL, &s, &cfg);
    char *a = exec_event("a", "alice", 0, "ResponseComplete", 101);
    char *b = exec_event("b", "bob", 0, "ResponseComplete", 101);
    char *list = NULL;
    assert_true(asprintf(&list, "{\"kind\":\"EventList\",\"apiVersion\":\"audit.k8s.io/v1\","
                                "\"items\":[%s,%s]}", a, b) > 0);
    feed(w, list, 1);
    assert_int_equal(s.n, 2);
    assert_string_equal(s.lines[1], "1 audit.pod-exec medium count=1 user bob");
    free(a);
    free(b);
    free(list);
    kh_watch_free(w);
    kh_config_free(cfg);
}

static void test_watch__exceptions_severities_and_disabled_rules(void **state)
{
    (void)state;
    seen s = {0};
    kh_config *cfg;
    kh_watch *w = watcher("watch:\n"
                          "  exceptions: {users: ['system:serviceaccount:ci:*']}\n"
                          "  rules:\n"
                          "    audit.pod-exec:\n"
                          "      severity: critical\n",
                          &s, &cfg);
    feed_exec(w, "system:serviceaccount:ci:runner", 0, 1);
    assert_int_equal(s.n, 0);
    char *e = exec_event("x", "carol", 0, "ResponseComplete", 101);
    feed(w, e, 2);
    assert_int_equal(s.n, 1);
    assert_string_equal(s.lines[0], "2 audit.pod-exec critical count=1 user carol");
    kh_watch_free(w);
    kh_config_free(cfg);
    free(e);

    memset(&s, 0, sizeof(s));
    w = watcher("rules:\n  disable: [audit.pod-exec]\n", &s, &cfg);
    feed_exec(w, "alice", 0, 1);
    assert_int_equal(s.n, 0);
    kh_watch_free(w);
    kh_config_free(cfg);
}

static void test_watch__group_and_user_agent_exceptions_match_globs(void **state)
{
    (void)state;
    seen s = {0};
    kh_config *cfg;
    kh_watch *w = watcher("watch:\n  rules:\n    audit.pod-exec:\n"
                          "      exceptions: {groups: ['de?'], userAgents: ['k9s/*']}\n",
                          &s, &cfg);
    feed_exec(w, "alice", 0, 1); /* groups: [dev] */
    assert_int_equal(s.n, 0);
    kh_watch_free(w);
    kh_config_free(cfg);
    w = watcher("watch:\n  rules:\n    audit.pod-exec:\n"
                "      exceptions: {userAgents: ['kubectl/*'], namespaces: [prod]}\n",
                &s, &cfg);
    feed_exec(w, "alice", 0, 1);
    assert_int_equal(s.n, 0);
    kh_watch_free(w);
    kh_config_free(cfg);
}

static void test_watch__config_errors_name_the_value_and_position(void **state)
{
    (void)state;
    static const struct {
        const char *text, *message;
        unsigned line, col;
    } bad[] = {
        {"watch:\n  dedupe: 1\n",
         "unknown key 'watch.dedupe' (expected allowedSourceCIDRs, dedup, exceptions, response, "
         "rules or sensitiveNamespaces)",
         2, 3},
        {"watch:\n  rules:\n    audit.forbidden-burst: {threshold: 0}\n",
         "watch.rules.audit.forbidden-burst.threshold must be a whole number from 1 to 604800, "
         "not '0'", 3, 40},
        {"watch:\n  rules:\n    pss.baseline.privileged: {}\n",
         "unknown audit rule 'pss.baseline.privileged' in watch.rules", 3, 5},
        {"watch:\n  rules:\n    audit.pod-exec: {severity: severe}\n",
         "unknown severity 'severe' in watch.rules.audit.pod-exec.severity (use info, low, "
         "medium, high or critical)", 3, 32},
        {"watch:\n  exceptions: {people: [a]}\n",
         "unknown key 'watch.exceptions.people' (expected users, groups, namespaces or "
         "userAgents)", 2, 16},
        {"watch: []\n", "watch must be a mapping (docs/watch.md)", 1, 8},
        {"watch:\n  allowedSourceCIDRs: [10.0.0.0/33]\n",
         "bad CIDR '10.0.0.0/33' in watch.allowedSourceCIDRs (use 10.0.0.0/8 or 2001:db8::/32)",
         2, 24},
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        char path[] = "/tmp/kh-watch-cfg-XXXXXX";
        int fd = mkstemp(path);
        assert_int_equal(write(fd, bad[i].text, strlen(bad[i].text)), (ssize_t)strlen(bad[i].text));
        close(fd);
        kh_config *cfg = NULL;
        kh_error err = {0};
        assert_int_equal(kh_config_load(&cfg, path, &err), KH_ECONFIG);
        unlink(path);
        assert_string_equal(err.message, bad[i].message);
        assert_int_equal(err.line, bad[i].line);
        assert_int_equal(err.col, bad[i].col);
    }
}

static void test_watch__ids_are_stable_and_the_json_is_valid(void **state)
{
    (void)state;
    seen s1 = {0}, s2 = {0};
    kh_config *cfg;
    kh_watch *w1 = watcher(NULL, &s1, &cfg);
    kh_watch *w2 = watcher(NULL, &s2, &cfg);
    feed_exec(w1, "al\\\"ice", 0, 1);
    feed_exec(w2, "al\\\"ice", 0, 1);
    assert_int_equal(s1.n, 1);
    assert_string_equal(s1.ids[0], s2.ids[0]);
    assert_int_equal(strlen(s1.ids[0]), 16);
    kh_arena arena;
    kh_arena_init(&arena, 0);
    const kh_node *root = NULL;
    kh_error err = {0};
    assert_int_equal(kh_doc_load_buffer(&root, &arena, s1.json, strlen(s1.json), "json", &err),
                     KH_OK);
    assert_string_equal(kh_node_str(kh_node_get(root, "user")), "al\"ice");
    assert_string_equal(kh_node_str(kh_node_get(root, "auditID")), "id-1");
    assert_string_equal(kh_node_str(kh_node_path(root, "objectRef.subresource")), "exec");
    assert_string_equal(kh_node_str(kh_node_at(kh_node_get(root, "sourceIPs"), 0)), "10.0.0.1");
    assert_string_equal(kh_node_str(kh_node_get(root, "rule")), "audit.pod-exec");
    assert_non_null(kh_node_get(root, "why"));
    assert_non_null(kh_node_get(root, "fix"));
    kh_arena_free(&arena);
    kh_watch_free(w1);
    kh_watch_free(w2);
}

/* A sink's URL can carry its secret: a NATS user and password, or a Slack
 * webhook's path. Messages and /metrics name the sink without them. */
static void test_watch__sinks_are_shown_without_credentials(void **state)
{
    (void)state;
    static const char *const cases[][2] = {
        {"http://127.0.0.1:9", "http://127.0.0.1:9"},
        {"nats://alice:pw@127.0.0.1:1/alerts", "nats://127.0.0.1:1/alerts"},
        {"nats://tok@127.0.0.1:1/alerts?ca=ca.pem", "nats://127.0.0.1:1/alerts?ca=ca.pem"},
        {"syslog+udp://127.0.0.1:514", "syslog+udp://127.0.0.1:514"},
        {"-", "-"},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        kh_sink *s = NULL;
        kh_error err = {0};
        assert_int_equal(kh_sink_open(&s, cases[i][0], &err), 0);
        assert_string_equal(kh_sink_spec(s), cases[i][1]);
        kh_sink_close(s);
    }
    /* A path goes; a fingerprint of the whole URL keeps two hooks on one
     * host apart (one /metrics series each). */
    static const char *const hooks[] = {"slack+https://hooks.slack.com/services/T0/B0/secret",
                                        "slack+https://hooks.slack.com/services/T0/B0/other",
                                        "https://user:pw@siem.example:8443/ingest?token=x"};
    static const char *const shown[] = {"slack+https://hooks.slack.com/...#",
                                        "slack+https://hooks.slack.com/...#",
                                        "https://siem.example:8443/...#"};
    char names[3][128];
    for (size_t i = 0; i < 3; i++) {
        kh_sink *s = NULL;
        kh_error err = {0};
        assert_int_equal(kh_sink_open(&s, hooks[i], &err), 0);
        snprintf(names[i], sizeof(names[i]), "%s", kh_sink_spec(s));
        kh_sink_close(s);
        assert_memory_equal(names[i], shown[i], strlen(shown[i]));
        assert_null(strstr(names[i], "secret"));
        assert_null(strstr(names[i], "pw"));
        assert_null(strstr(names[i], "token"));
    }
    assert_string_not_equal(names[0], names[1]);
}

static void test_watch__scan_never_runs_an_audit_rule(void **state)
{
    (void)state;
    kh_config *cfg = NULL;
    kh_error err = {0};
    assert_int_equal(kh_config_new(&cfg, &err), KH_OK);
    assert_int_equal(kh_config_only_rule(cfg, "audit.pod-exec", &err), KH_OK);
    seen s = {0};
    kh_scanner *sc = NULL;
    assert_int_equal(kh_scanner_new(&sc, cfg, on_error, &s, &err), KH_OK);
    char *e = exec_event("a", "alice", 0, "ResponseComplete", 101);
    assert_int_equal(kh_scan_buffer(sc, e, strlen(e), "audit.log", &err), KH_OK);
    assert_int_equal(kh_scanner_finish(sc, &err), KH_OK);
    assert_int_equal(s.n, 0);
    free(e);
    kh_scanner_free(sc);
    kh_config_free(cfg);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_watch__only_the_final_stage_of_a_request_is_judged),
        cmocka_unit_test(test_watch__a_storm_gives_one_alert_then_one_with_its_count),
        cmocka_unit_test(test_watch__windows_use_the_events_times_with_offsets),
        cmocka_unit_test(test_watch__dedup_burst_and_window_zero),
        cmocka_unit_test(test_watch__malformed_lines_are_errors_and_reading_goes_on),
        cmocka_unit_test(test_watch__an_event_list_is_judged_item_by_item),
        cmocka_unit_test(test_watch__exceptions_severities_and_disabled_rules),
        cmocka_unit_test(test_watch__group_and_user_agent_exceptions_match_globs),
        cmocka_unit_test(test_watch__config_errors_name_the_value_and_position),
        cmocka_unit_test(test_watch__ids_are_stable_and_the_json_is_valid),
        cmocka_unit_test(test_watch__scan_never_runs_an_audit_rule),
        cmocka_unit_test(test_watch__sinks_are_shown_without_credentials),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
