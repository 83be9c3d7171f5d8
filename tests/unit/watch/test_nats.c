/*
 * test_nats.c -- the NATS wire parser of src/watch/nats.c: each frame the
 * server sends (INFO, MSG, HMSG with headers and status lines, PING, PONG,
 * +OK, -ERR), frames cut anywhere (more bytes needed, never a frame), the
 * malformed ones it must refuse, header lookup, and the URLs and sink
 * specs (with ?ca=FILE) kh_nats__open takes or refuses.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "watch/nats.h"

static long parse(const char *s, kh_nats_frame *f)
{
    return kh_nats__parse(s, strlen(s), f);
}

static void test_simple_frames(void **state)
{
    (void)state;
    kh_nats_frame f;
    assert_int_equal(parse("PING\r\n", &f), 6);
    assert_int_equal(f.op, KH_NATS_PING);
    assert_int_equal(parse("pong\r\nPING\r\n", &f), 6); /* operation names: any case */
    assert_int_equal(f.op, KH_NATS_PONG);
    assert_int_equal(parse("+OK\r\n", &f), 5);
    assert_int_equal(f.op, KH_NATS_OK);
    const char *info = "INFO {\"server_id\":\"x\",\"headers\":true}\r\n";
    assert_int_equal(parse(info, &f), (long)strlen(info));
    assert_int_equal(f.op, KH_NATS_INFO);
    assert_int_equal(f.data_len, strlen("{\"server_id\":\"x\",\"headers\":true}"));
    assert_memory_equal(f.data, "{\"server_id\"", 12);
    assert_int_equal(parse("-ERR 'Authorization Violation'\r\n", &f), 32);
    assert_int_equal(f.op, KH_NATS_ERR);
    assert_int_equal(f.data_len, strlen("'Authorization Violation'"));
}

static void test_msg(void **state)
{
    (void)state;
    kh_nats_frame f;
    const char *m = "MSG _INBOX.a.1 1 $JS.ACK.S.C.1.7.7.1.0 5\r\nhello\r\nPING\r\n";
    assert_int_equal(parse(m, &f), (long)strlen(m) - 6);
    assert_int_equal(f.op, KH_NATS_MSG);
    assert_int_equal(f.subject_len, 10);
    assert_memory_equal(f.subject, "_INBOX.a.1", 10);
    assert_int_equal(f.sid, 1);
    assert_int_equal(f.reply_len, strlen("$JS.ACK.S.C.1.7.7.1.0"));
    assert_int_equal(f.data_len, 5);
    assert_memory_equal(f.data, "hello", 5);
    assert_null(f.hdr);
    /* no reply subject; tabs and runs of spaces between fields; empty payload */
    assert_int_equal(parse("MSG  foo\t42 0\r\n\r\n", &f), 17);
    assert_int_equal(f.sid, 42);
    assert_int_equal(f.reply_len, 0);
    assert_int_equal(f.data_len, 0);
    /* a payload may hold CR LF */
    assert_int_equal(parse("MSG a 1 4\r\n\r\n\r\n\r\n", &f), 17);
    assert_int_equal(f.data_len, 4);
}

static void test_hmsg_status(void **state)
{
    (void)state;
    kh_nats_frame f;
    /* no responders: a status line and nothing else */
    const char *nr = "HMSG _INBOX.a.2 1 16 16\r\nNATS/1.0 503\r\n\r\n\r\n";
    assert_int_equal(parse(nr, &f), (long)strlen(nr));
    assert_int_equal(f.status, 503);
    assert_int_equal(f.status_text_len, 0);
    assert_int_equal(f.data_len, 0);
    const char *to = "HMSG _INBOX.a.3 1 58 58\r\nNATS/1.0 408 Request Timeout\r\n"
                     "Nats-Pending-Messages: 3\r\n\r\n\r\n";
    assert_int_equal(parse(to, &f), (long)strlen(to));
    assert_int_equal(f.status, 408);
    assert_int_equal(f.status_text_len, strlen("Request Timeout"));
    const char *v;
    size_t vl;
    assert_int_equal(kh_nats__header(&f, "Nats-Pending-Messages", &v, &vl), 1);
    assert_int_equal(vl, 1);
    assert_int_equal(v[0], '3');
    assert_int_equal(kh_nats__header(&f, "nats-pending-messages", &v, &vl), 0); /* keys: exact */
    /* headers and a payload, with a reply subject */
    const char *hm = "HMSG alerts.kh 9 r.1 45 47\r\nNATS/1.0\r\nNats-Msg-Id:  0123456789abcdef \r\n"
                     "\r\n{}\r\n";
    assert_int_equal(parse(hm, &f), (long)strlen(hm));
    assert_int_equal(f.status, 0);
    assert_int_equal(f.hdr_len, 45);
    assert_int_equal(f.data_len, 2);
    assert_memory_equal(f.data, "{}", 2);
    assert_int_equal(kh_nats__header(&f, "Nats-Msg-Id", &v, &vl), 1);
    assert_int_equal(vl, 16); /* spaces around the value trimmed */
    assert_memory_equal(v, "0123456789abcdef", 16);
}

/* Every cut of a valid stream before a frame's end asks for more bytes. */
static void test_partial(void **state)
{
    (void)state;
    const char *frames[] = {
        "PING\r\n", "INFO {}\r\n", "MSG a 1 r 5\r\nhello\r\n",
        "HMSG a 1 16 16\r\nNATS/1.0 503\r\n\r\n\r\n",
    };
    for (size_t k = 0; k < sizeof(frames) / sizeof(frames[0]); k++) {
        size_t n = strlen(frames[k]);
        kh_nats_frame f;
        for (size_t cut = 0; cut < n; cut++)
            assert_int_equal(kh_nats__parse(frames[k], cut, &f), 0);
        assert_int_equal(kh_nats__parse(frames[k], n, &f), (long)n);
    }
}

static void test_refused(void **state)
{
    (void)state;
    kh_nats_frame f;
    const char *bad[] = {
        "\r\n",                                  /* no operation */
        "HELLO\r\n",                             /* unknown operation */
        "PING x\r\n",                            /* arguments where none are */
        "INFO\r\n",                              /* INFO without its JSON */
        "MSG a 1\r\n",                           /* too few fields */
        "MSG a 1 r x 5\r\nhello\r\n",            /* too many */
        "MSG a x 5\r\nhello\r\n",                /* sid not a number */
        "MSG a 1 -5\r\nhello\r\n",               /* size not a number */
        "MSG a 1 99999999999\r\n",               /* more than 10 digits */
        "MSG a 1 67108865\r\n",                  /* over the 64 MiB limit */
        "MSG a 1 5\r\nhelloXY",                  /* payload not followed by CR LF */
        "HMSG a 1 17 16\r\nNATS/1.0 503\r\n\r\n\r\n", /* header larger than the total */
        "HMSG a 1 16 16\r\nNATS/2.0 503\r\n\r\n\r\n", /* not NATS/1.0 */
        "HMSG a 1 16 16\r\nNATS/1.0 5x3\r\n\r\n\r\n", /* status not three digits */
        "HMSG a 1 15 15\r\nNATS/1.0\r\nX\r\n\r\n\r\n", /* a header line without ':' */
        "HMSG a 1 10 10\r\nNATS/1.0\r\n\r\n",         /* the block does not end in a blank line */
        "MSG a\r1 5\r\nhello\r\n",               /* a bare CR in the control line */
    };
    for (size_t k = 0; k < sizeof(bad) / sizeof(bad[0]); k++) {
        long n = parse(bad[k], &f);
        if (n != -1)
            fail_msg("'%s' gave %ld, not -1", bad[k], n);
    }
    /* a control line that never ends: refused once it passes the limit */
    static char longline[KH_NATS_MAX_CONTROL + 10];
    memset(longline, 'x', sizeof(longline));
    memcpy(longline, "INFO ", 5);
    assert_int_equal(kh_nats__parse(longline, KH_NATS_MAX_CONTROL - 1, &f), 0);
    assert_int_equal(kh_nats__parse(longline, sizeof(longline), &f), -1);
}

static void test_open(void **state)
{
    (void)state;
    kh_nats *c = NULL;
    kh_error err = {0};
    const char *good_input[] = {"nats://127.0.0.1:4222", "nats://nats", "nats://u:p@h:1",
                                "nats://token@h:1", "nats://[::1]:4222",
                                "nats://h:1?ca=/etc/ca.pem"};
    for (size_t k = 0; k < sizeof(good_input) / sizeof(good_input[0]); k++) {
        assert_int_equal(kh_nats__open(&c, good_input[k], 0, &err), 0);
        kh_nats__close(c);
    }
    assert_int_equal(kh_nats__open(&c, "nats://h:4222/alerts.kh", 1, &err), 0);
    kh_nats__close(c);
    assert_int_equal(kh_nats__open(&c, "nats://h:4222/alerts.kh?ca=ca.pem", 1, &err), 0);
    kh_nats__close(c);
    const char *bad_input[] = {"http://h:1", "nats://", "nats://h:", "nats://h:12x",
                               "nats://h:123456", "nats://h:1/subject", "nats://[::1",
                               "nats://h:1?ca=", "nats://h:1?cert=x"};
    for (size_t k = 0; k < sizeof(bad_input) / sizeof(bad_input[0]); k++)
        if (kh_nats__open(&c, bad_input[k], 0, &err) != KH_EUSAGE)
            fail_msg("'%s' was taken", bad_input[k]);
    const char *bad_sink[] = {"nats://h:1", "nats://h:1/", "nats://h:1/a b", "nats://h:1/a\"b"};
    for (size_t k = 0; k < sizeof(bad_sink) / sizeof(bad_sink[0]); k++)
        if (kh_nats__open(&c, bad_sink[k], 1, &err) != KH_EUSAGE)
            fail_msg("sink '%s' was taken", bad_sink[k]);
    assert_non_null(strstr(err.message, "nats://HOST:PORT/SUBJECT"));
    /* A refused URL is quoted without its credentials (a password, a token). */
    assert_int_equal(kh_nats__open(&c, "nats://alice:s3cret@h:12x", 0, &err), KH_EUSAGE);
    assert_null(strstr(err.message, "s3cret"));
    assert_non_null(strstr(err.message, "'nats://***@h:12x'"));
    assert_int_equal(kh_nats__open(&c, "nats://tok@en@h:1", 1, &err), KH_EUSAGE);
    assert_null(strstr(err.message, "tok"));
    assert_non_null(strstr(err.message, "'nats://***@h:1'"));
    assert_int_equal(kh_nats__open(&c, "tls://u:pw@h:1", 0, &err), KH_EUSAGE);
    assert_null(strstr(err.message, "pw"));
    assert_int_equal(kh_nats__open(&c, "nats://h:1/x?ca=a@b", 0, &err), KH_EUSAGE);
    assert_non_null(strstr(err.message, "'nats://h:1/x?ca=a@b'")); /* no credentials there */
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_simple_frames), cmocka_unit_test(test_msg),
        cmocka_unit_test(test_hmsg_status),   cmocka_unit_test(test_partial),
        cmocka_unit_test(test_refused),       cmocka_unit_test(test_open),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
