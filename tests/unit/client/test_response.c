/*
 * test_response.c -- what the client reads from the server and plugins:
 * the items of a list page (byte ranges, strings with braces inside, the
 * `items` key only at the top level), ExecCredential parsing (v1 and
 * v1beta1, token or certificate pair, expiration, the errors client-go
 * gives) and Status messages in errors.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "client/internal.h"

static void test_client_response__items_ranges_of_a_page(void **state)
{
    (void)state;
    const char *page =
        "{\"kind\":\"PodList\",\"apiVersion\":\"v1\",\"metadata\":{\"items\":[1],"
        "\"continue\":\"x}]\"},\"items\":[{\"metadata\":{\"name\":\"a\\\"}\"}},"
        " {\"metadata\":{\"name\":\"b\"},\"spec\":{\"x\":[{}]}}]}";
    kh_item_range *items = NULL;
    size_t n = 0, open = 0, close = 0;
    assert_int_equal(kh_list__items(page, strlen(page), &items, &n, &open, &close), 0);
    assert_int_equal(n, 2);
    assert_memory_equal(page + items[0].start, "{\"metadata\":{\"name\":\"a\\\"}\"}}",
                        items[0].end - items[0].start);
    assert_memory_equal(page + items[1].start, "{\"metadata\":{\"name\":\"b\"},\"spec\":{\"x\":[{}]}}",
                        items[1].end - items[1].start);
    assert_int_equal(page[open], '[');
    assert_int_equal(page[close], ']');
    assert_string_equal(page + close, "]}");
    free(items);
}

static void test_client_response__a_page_without_items_is_not_a_list(void **state)
{
    (void)state;
    const char *status = "{\"kind\":\"Status\",\"details\":{\"items\":[]}}";
    kh_item_range *items = NULL;
    size_t n = 0, open = 0, close = 0;
    assert_int_equal(kh_list__items(status, strlen(status), &items, &n, &open, &close), -1);
    assert_null(items);
    const char *empty = "{\"kind\":\"PodList\",\"items\":[]}";
    assert_int_equal(kh_list__items(empty, strlen(empty), &items, &n, &open, &close), 0);
    assert_int_equal(n, 0);
    free(items);
}

/* A quote after an even run of backslashes closes its string, after an
 * odd run it is part of it (item ranges are found with memchr over the
 * strings, counting the run back from each quote). */
static void test_client_response__items_with_escaped_backslashes_and_quotes(void **state)
{
    (void)state;
    const char *page = "{\"kind\":\"PodList\",\"items\":[{\"n\":\"a\\\\\"},"
                       "{\"n\":\"b\\\\\\\"}]\"},{\"n\":\"\\\\\\\\\"}]}";
    kh_item_range *items = NULL;
    size_t n = 0, open = 0, close = 0;
    assert_int_equal(kh_list__items(page, strlen(page), &items, &n, &open, &close), 0);
    assert_int_equal(n, 3);
    assert_memory_equal(page + items[0].start, "{\"n\":\"a\\\\\"}", items[0].end - items[0].start);
    assert_int_equal(items[0].end - items[0].start, strlen("{\"n\":\"a\\\\\"}"));
    assert_int_equal(items[1].end - items[1].start, strlen("{\"n\":\"b\\\\\\\"}]\"}"));
    assert_int_equal(items[2].end - items[2].start, strlen("{\"n\":\"\\\\\\\\\"}"));
    assert_string_equal(page + close, "]}");
    free(items);
    /* A string the page never closes: not a list. */
    const char *open_string = "{\"kind\":\"PodList\",\"items\":[{\"n\":\"a\\\"}]}";
    assert_int_equal(kh_list__items(open_string, strlen(open_string), &items, &n, &open, &close),
                     -1);
    assert_null(items);
}

#define V1 "client.authentication.k8s.io/v1"

static void test_client_response__exec_credential_token_and_expiry(void **state)
{
    (void)state;
    const char *out = "{\"kind\":\"ExecCredential\",\"apiVersion\":\"" V1 "\","
                      "\"status\":{\"token\":\"t0k\",\"expirationTimestamp\":"
                      "\"2026-11-30T16:00:00+01:00\"}}";
    kh_exec_cred c;
    kh_error err = {0};
    assert_int_equal(kh_exec__parse(V1, out, strlen(out), &c, &err), 0);
    assert_string_equal(c.token, "t0k");
    assert_int_equal((long long)c.expires, 1796050800LL);   /* 15:00Z */
    kh_exec_cred__free(&c);
}

static void test_client_response__exec_credential_certificate_pair(void **state)
{
    (void)state;
    const char *out = "{\"kind\":\"ExecCredential\",\"apiVersion\":\"" V1 "\","
                      "\"status\":{\"clientCertificateData\":\"-----BEGIN CERTIFICATE-----\\n\","
                      "\"clientKeyData\":\"-----BEGIN PRIVATE KEY-----\\n\"}}";
    kh_exec_cred c;
    kh_error err = {0};
    assert_int_equal(kh_exec__parse(V1, out, strlen(out), &c, &err), 0);
    assert_null(c.token);
    assert_string_equal(c.cert_pem, "-----BEGIN CERTIFICATE-----\n");
    assert_int_equal(c.expires, 0);
    kh_exec_cred__free(&c);
}

static void test_client_response__exec_credential_errors_as_client_go(void **state)
{
    (void)state;
    kh_exec_cred c;
    kh_error err = {0};
    const char *wrong = "{\"kind\":\"ExecCredential\",\"apiVersion\":\"" V1 "beta1\","
                        "\"status\":{\"token\":\"x\"}}";
    assert_int_not_equal(kh_exec__parse(V1, wrong, strlen(wrong), &c, &err), 0);
    assert_string_equal(err.message, "exec plugin is configured to use API version '" V1
                                     "', plugin returned version '" V1 "beta1'");
    const char *nostatus = "{\"kind\":\"ExecCredential\",\"apiVersion\":\"" V1 "\"}";
    assert_int_not_equal(kh_exec__parse(V1, nostatus, strlen(nostatus), &c, &err), 0);
    assert_string_equal(err.message, "exec plugin didn't return a status field");
    const char *empty = "{\"kind\":\"ExecCredential\",\"apiVersion\":\"" V1 "\",\"status\":{}}";
    assert_int_not_equal(kh_exec__parse(V1, empty, strlen(empty), &c, &err), 0);
    assert_string_equal(err.message, "exec plugin didn't return a token or cert/key pair");
    const char *half = "{\"kind\":\"ExecCredential\",\"apiVersion\":\"" V1 "\","
                       "\"status\":{\"clientKeyData\":\"k\"}}";
    assert_int_not_equal(kh_exec__parse(V1, half, strlen(half), &c, &err), 0);
    const char *badtime = "{\"kind\":\"ExecCredential\",\"apiVersion\":\"" V1 "\","
                          "\"status\":{\"token\":\"x\",\"expirationTimestamp\":\"tomorrow\"}}";
    assert_int_not_equal(kh_exec__parse(V1, badtime, strlen(badtime), &c, &err), 0);
    assert_int_not_equal(kh_exec__parse(V1, "not json", 8, &c, &err), 0);
}

static void test_client_response__status_message_in_errors(void **state)
{
    (void)state;
    char body[] = "{\"kind\":\"Status\",\"apiVersion\":\"v1\",\"metadata\":{},\"status\":"
                  "\"Failure\",\"message\":\"pods is forbidden: User \\\"u\\\" cannot list "
                  "resource \\\"pods\\\" in API group \\\"\\\" at the cluster scope\","
                  "\"reason\":\"Forbidden\",\"details\":{\"kind\":\"pods\"},\"code\":403}";
    kh_http_resp resp = {403, body, sizeof(body) - 1};
    kh_error err = {0};
    kh_http__status_error("/api/v1/pods?limit=500", &resp, &err);
    assert_string_equal(err.message,
                        "GET /api/v1/pods?limit=500: 403 Forbidden: pods is forbidden: User "
                        "\"u\" cannot list resource \"pods\" in API group \"\" at the cluster "
                        "scope");
    char html[] = "<html>bad gateway</html>";
    kh_http_resp r2 = {502, html, sizeof(html) - 1};
    kh_http__status_error("/apis", &r2, &err);
    assert_string_equal(err.message, "GET /apis: 502 Bad Gateway: <html>bad gateway</html>");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_client_response__items_ranges_of_a_page),
        cmocka_unit_test(test_client_response__a_page_without_items_is_not_a_list),
        cmocka_unit_test(test_client_response__items_with_escaped_backslashes_and_quotes),
        cmocka_unit_test(test_client_response__exec_credential_token_and_expiry),
        cmocka_unit_test(test_client_response__exec_credential_certificate_pair),
        cmocka_unit_test(test_client_response__exec_credential_errors_as_client_go),
        cmocka_unit_test(test_client_response__status_message_in_errors),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
