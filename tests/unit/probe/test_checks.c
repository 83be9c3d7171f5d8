/*
 * test_checks.c -- the probe's judgement of one port (src/probe/checks.c)
 * on answers set by hand: which answers are findings and which are not,
 * each test naming the corner case it holds.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "probe/internal.h"

static kh_pr_port port(int tls)
{
    kh_pr_port p;
    memset(&p, 0, sizeof(p));
    p.host = "node";
    snprintf(p.target, sizeof(p.target), "127.0.0.1:10250");
    p.port = 10250;
    p.service = KH_SV_KUBELET;
    p.open = 1;
    p.tls = tls;
    for (int v = 0; v < KH_TV_N; v++)
        p.versions[v] = -1;
    return p;
}

static void answer(kh_pr_port *p, int rq, int status, int marked)
{
    p->ans[rq].asked = 1;
    p->ans[rq].status = status;
    p->ans[rq].marked = marked;
    snprintf(p->ans[rq].line, sizeof(p->ans[rq].line), "HTTP/1.1 %d X", status);
}

/* The ids judged, space-separated, in the table's order. */
static void judge(const kh_pr_port *p, time_t now, char *out, size_t size)
{
    kh_arena arena;
    kh_probe_result *items = NULL;
    size_t n = 0;
    kh_arena_init(&arena, 0);
    assert_int_equal(kh_probe__judge(p, &arena, &items, &n, now), 0);
    out[0] = '\0';
    for (size_t i = 0; i < n; i++)
        snprintf(out + strlen(out), size - strlen(out), "%s%s", i ? " " : "", items[i].id);
    kh_arena_free(&arena);
}

static void closed_port_is_nothing(void **state)
{
    (void)state;
    char ids[512];
    kh_pr_port p = port(1);
    p.open = 0;
    judge(&p, 0, ids, sizeof(ids));
    assert_string_equal(ids, "");
}

static void catch_all_200_is_not_a_kubelet(void **state)
{
    (void)state;
    char ids[512];
    kh_pr_port p = port(1);
    /* a server that says 200 to everything, with nothing a kubelet serves */
    for (int rq = 0; rq < KH_RQ_ETCD_RANGE; rq++)
        answer(&p, rq, 200, 0);
    judge(&p, 0, ids, sizeof(ids));
    assert_string_equal(ids, "probe.open-port");
}

static void exec_answers(void **state)
{
    (void)state;
    char ids[512];
    kh_pr_port p = port(1);
    /* 401, 403, 405, 404: the exec handler was not reached */
    static const int refused[] = {401, 403, 405, 404};
    for (size_t i = 0; i < 4; i++) {
        answer(&p, KH_RQ_EXEC, refused[i], 0);
        judge(&p, 0, ids, sizeof(ids));
        assert_string_equal(ids, "probe.open-port");
    }
    /* a 400 without the streams message is some other server's */
    answer(&p, KH_RQ_EXEC, 400, 0);
    judge(&p, 0, ids, sizeof(ids));
    assert_string_equal(ids, "probe.open-port");
    answer(&p, KH_RQ_EXEC, 400, 1);
    judge(&p, 0, ids, sizeof(ids));
    assert_string_equal(ids, "probe.open-port probe.kubelet-exec");
}

static void pods_over_tls_or_plain(void **state)
{
    (void)state;
    char ids[512];
    kh_pr_port p = port(1);
    answer(&p, KH_RQ_RUNNINGPODS, 200, 1);
    judge(&p, 0, ids, sizeof(ids));
    assert_string_equal(ids, "probe.open-port probe.anonymous-kubelet");
    p = port(0);
    answer(&p, KH_RQ_PODS, 200, 1);
    judge(&p, 0, ids, sizeof(ids));
    assert_string_equal(ids, "probe.open-port probe.plain-http probe.kubelet-readonly-port");
    /* kube-proxy's plain ports are plain by design: low, not high */
    p = port(0);
    p.service = KH_SV_PROXY;
    kh_arena arena;
    kh_probe_result *items = NULL;
    size_t n = 0;
    kh_arena_init(&arena, 0);
    assert_int_equal(kh_probe__judge(&p, &arena, &items, &n, 0), 0);
    assert_int_equal(n, 2);
    assert_string_equal(items[1].id, "probe.plain-http");
    assert_int_equal(items[1].severity, KH_SEVERITY_LOW);
    kh_arena_free(&arena);
}

static void tls_versions_and_certificates(void **state)
{
    (void)state;
    char ids[512];
    kh_pr_port p = port(1);
    p.versions[KH_TV_12] = p.versions[KH_TV_13] = 1;
    p.versions[KH_TV_10] = p.versions[KH_TV_11] = 0;
    p.cert.present = 1;
    p.cert.not_before = 1000;
    p.cert.not_after = 2000;
    /* inside the validity, both ends included */
    judge(&p, 1000, ids, sizeof(ids));
    assert_string_equal(ids, "probe.open-port");
    judge(&p, 2000, ids, sizeof(ids));
    assert_string_equal(ids, "probe.open-port");
    /* after, and before (not yet valid) */
    judge(&p, 2001, ids, sizeof(ids));
    assert_string_equal(ids, "probe.open-port probe.cert-expired");
    judge(&p, 999, ids, sizeof(ids));
    assert_string_equal(ids, "probe.open-port probe.cert-expired");
    p.versions[KH_TV_11] = 1;
    p.cert.kubelet_self = 1;
    judge(&p, 1500, ids, sizeof(ids));
    assert_string_equal(ids, "probe.open-port probe.tls-old-version probe.cert-self-signed");
}

static void etcd_and_api(void **state)
{
    (void)state;
    char ids[512];
    kh_pr_port p = port(1);
    p.service = KH_SV_API;
    answer(&p, KH_RQ_VERSION, 200, 1);
    answer(&p, KH_RQ_API, 403, 0);
    answer(&p, KH_RQ_APIS, 200, 1);
    answer(&p, KH_RQ_NAMESPACES, 403, 0);
    judge(&p, 0, ids, sizeof(ids));
    assert_string_equal(ids, "probe.open-port probe.anonymous-discovery probe.version-exposed");
    p = port(1);
    p.service = KH_SV_ETCD;
    answer(&p, KH_RQ_ETCD_RANGE, 200, 1);
    judge(&p, 0, ids, sizeof(ids));
    assert_string_equal(ids, "probe.open-port probe.etcd-no-client-cert");
    /* a refused read (etcd with client-cert auth answers no HTTP at all) */
    p = port(1);
    p.client_cert_required = 1;
    judge(&p, 0, ids, sizeof(ids));
    assert_string_equal(ids, "probe.open-port");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(closed_port_is_nothing),
        cmocka_unit_test(catch_all_200_is_not_a_kubelet),
        cmocka_unit_test(exec_answers),
        cmocka_unit_test(pods_over_tls_or_plain),
        cmocka_unit_test(tls_versions_and_certificates),
        cmocka_unit_test(etcd_and_api),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
