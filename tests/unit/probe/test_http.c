/*
 * test_http.c -- the probe's readers of network input (src/probe/http.c):
 * status lines, where a body starts, when an answer is complete, and the
 * shallow JSON string lookup, each with the corner case it holds.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "probe/internal.h"

#define S(lit) lit, sizeof(lit) - 1

static void status_lines(void **state)
{
    (void)state;
    kh_pr_http h;
    assert_int_equal(kh_probe__http_parse(S("HTTP/1.1 200 OK\r\nA: b\r\n\r\nbody"), &h), 0);
    assert_int_equal(h.status, 200);
    assert_int_equal(h.line_len, 15);
    assert_memory_equal(h.line, "HTTP/1.1 200 OK", 15);
    assert_non_null(h.body);
    assert_int_equal(h.body_len, 4);
    assert_memory_equal(h.body, "body", 4);
    /* Go's answer to a plain request on a TLS port: HTTP/1.0, LF only in places */
    assert_int_equal(kh_probe__http_parse(S("HTTP/1.0 400 Bad Request\r\n\r\nClient sent an HTTP request to an HTTPS server.\n"), &h), 0);
    assert_int_equal(h.status, 400);
    assert_int_equal(h.body_len, 48);
    /* no reason phrase; LF line ends */
    assert_int_equal(kh_probe__http_parse(S("HTTP/1.1 404\n\nx"), &h), 0);
    assert_int_equal(h.status, 404);
    assert_int_equal(h.body_len, 1);
    /* the head not complete yet: a status, no body */
    assert_int_equal(kh_probe__http_parse(S("HTTP/1.1 200 OK\r\nContent-Le"), &h), 0);
    assert_null(h.body);
    /* not HTTP: TLS alert bytes, HTTP/2 preface, a status glued to text, no line end */
    assert_int_equal(kh_probe__http_parse(S("\x15\x03\x01\x00\x02\x02\x28"), &h), -1);
    assert_int_equal(kh_probe__http_parse(S("HTTP/2 200\r\n"), &h), -1);
    assert_int_equal(kh_probe__http_parse(S("HTTP/1.1 200OK\r\n"), &h), -1);
    assert_int_equal(kh_probe__http_parse(S("HTTP/1.1 200 OK"), &h), -1);
    assert_int_equal(kh_probe__http_parse(S("HTTP/1.1 099 Low\r\n"), &h), -1);
    assert_int_equal(kh_probe__http_parse(S("HTTP/1.1 2x0 OK\r\n"), &h), -1);
}

static void completeness(void **state)
{
    (void)state;
    assert_true(kh_probe__http_complete(S("HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok")));
    assert_false(kh_probe__http_complete(S("HTTP/1.1 200 OK\r\nContent-Length: 3\r\n\r\nok")));
    /* header names are case-insensitive */
    assert_true(kh_probe__http_complete(S("HTTP/1.1 200 OK\r\ncontent-length: 0\r\n\r\n")));
    assert_true(kh_probe__http_complete(S("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nok\r\n0\r\n\r\n")));
    assert_false(kh_probe__http_complete(S("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nok\r\n")));
    /* no length: complete only when the server closes */
    assert_false(kh_probe__http_complete(S("HTTP/1.0 200 OK\r\n\r\nok")));
    /* 204 and 304 have no body */
    assert_true(kh_probe__http_complete(S("HTTP/1.1 204 No Content\r\n\r\n")));
    /* a header that only starts like Content-Length is not it */
    assert_false(kh_probe__http_complete(S("HTTP/1.1 200 OK\r\nContent-Lengthy: 0\r\n\r\n")));
    assert_false(kh_probe__http_complete(S("HTTP/1.1 200 OK\r\nContent-Length: 1x\r\n\r\nok")));
    /* the head is not complete */
    assert_false(kh_probe__http_complete(S("HTTP/1.1 200 OK\r\nContent-Length: 0\r\n")));
}

static void json_strings(void **state)
{
    (void)state;
    char v[16];
    assert_int_equal(kh_probe__json_string(S("{\"major\":\"1\",\"gitVersion\" : \"v1.30.2\"}"), "gitVersion", v, sizeof(v)), 0);
    assert_string_equal(v, "v1.30.2");
    /* nested: etcd's count after its header object */
    assert_int_equal(kh_probe__json_string(S("{\"header\":{\"revision\":\"3\"},\"count\":\"2\"}"), "count", v, sizeof(v)), 0);
    assert_string_equal(v, "2");
    /* the key inside a string value is not a member name */
    assert_int_equal(kh_probe__json_string(S("{\"a\":\"count\",\"b\":1}"), "count", v, sizeof(v)), -1);
    assert_int_equal(kh_probe__json_string(S("{\"a\":\"\\\"count\\\":\\\"9\\\"\"}"), "count", v, sizeof(v)), -1);
    /* a member whose value is not a string: not found, later ones are */
    assert_int_equal(kh_probe__json_string(S("{\"count\":2,\"x\":{\"count\":\"7\"}}"), "count", v, sizeof(v)), 0);
    assert_string_equal(v, "7");
    /* cut to the buffer; an unterminated value is not found */
    assert_int_equal(kh_probe__json_string(S("{\"k\":\"0123456789abcdefXYZ\"}"), "k", v, sizeof(v)), 0);
    assert_string_equal(v, "0123456789abcde");
    assert_int_equal(kh_probe__json_string(S("{\"k\":\"abc"), "k", v, sizeof(v)), -1);
    assert_int_equal(kh_probe__json_string(S("{\"k"), "k", v, sizeof(v)), -1);
    assert_int_equal(kh_probe__json_string(S(""), "k", v, sizeof(v)), -1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(status_lines),
        cmocka_unit_test(completeness),
        cmocka_unit_test(json_strings),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
