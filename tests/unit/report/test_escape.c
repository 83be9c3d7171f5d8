/*
 * test_escape.c -- the escapers every writer relies on: strict UTF-8
 * decoding, JSON strings, XML text and attributes, percent-encoded URIs,
 * and text that cannot drive a terminal.
 */
#include "report_fixture.h"

#include "report/report.h"

typedef void (*escaper)(FILE *out, const char *s);

/* Run @p fn on @p in and compare with @p want. */
static void check(escaper fn, const char *in, const char *want)
{
    char *buf = NULL;
    size_t len = 0;
    FILE *out = open_memstream(&buf, &len);
    assert_non_null(out);
    fn(out, in);
    fclose(out);
    assert_string_equal(buf, want);
    free(buf);
}

static void decodes(const char *s, long cp, size_t n)
{
    size_t got = 0;
    assert_int_equal(kh_report__utf8((const unsigned char *)s, &got), cp);
    assert_int_equal(got, n);
}

static void test_report_escape__utf8_accepts_shortest_forms(void **state)
{
    (void)state;
    decodes("A", 'A', 1);
    decodes("\xc3\xa9", 0xE9, 2);
    decodes("\xe2\x80\xae", 0x202E, 3);
    decodes("\xf0\x9f\x98\x80", 0x1F600, 4);
    decodes("\xf4\x8f\xbf\xbf", 0x10FFFF, 4);
}

static void test_report_escape__utf8_rejects_invalid_sequences(void **state)
{
    (void)state;
    decodes("\xc0\xaf", -1, 1);           /* overlong '/' */
    decodes("\xe0\x80\xaf", -1, 1);       /* overlong, 3 bytes */
    decodes("\xed\xa0\x80", -1, 1);       /* surrogate */
    decodes("\xf4\x90\x80\x80", -1, 1);   /* above U+10FFFF */
    decodes("\xe2\x82", -1, 1);           /* cut short by the NUL */
    decodes("\x80", -1, 1);               /* lone continuation */
    decodes("\xff", -1, 1);
}

static void test_report_escape__json(void **state)
{
    (void)state;
    check(kh_report__json_str, "plain", "\"plain\"");
    check(kh_report__json_str, NULL, "null");
    check(kh_report__json_str, "q\"b\\s/", "\"q\\\"b\\\\s/\"");
    check(kh_report__json_str, "\b\f\n\r\t\x01\x1f", "\"\\b\\f\\n\\r\\t\\u0001\\u001f\"");
    check(kh_report__json_str, "caf\xc3\xa9 \xf0\x9f\x98\x80", "\"caf\xc3\xa9 \xf0\x9f\x98\x80\"");
    check(kh_report__json_str, "a\xff" "b\xed\xa0\x80", "\"a\xef\xbf\xbd" "b\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd\"");
}

static void test_report_escape__xml_attribute(void **state)
{
    (void)state;
    check(kh_report__xml_attr, "<a href=\"x\">&'</a>",
          "&lt;a href=&quot;x&quot;&gt;&amp;&apos;&lt;/a&gt;");
    check(kh_report__xml_attr, "t\tn\nr\r", "t&#9;n&#10;r&#13;");
    check(kh_report__xml_attr, "\x01\x1b\xef\xbf\xbf\xff", "\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd");
    check(kh_report__xml_attr, NULL, "");
}

static void test_report_escape__xml_text_keeps_layout(void **state)
{
    (void)state;
    check(kh_report__xml_text, "a \"b\" 'c'\n\td\r", "a \"b\" 'c'\n\td&#13;");
    check(kh_report__xml_text, "]]>", "]]&gt;");
}

static void test_report_escape__uri(void **state)
{
    (void)state;
    check(kh_report__uri, "deploy/my app.yaml", "deploy/my%20app.yaml");
    check(kh_report__uri, "a:b/c?d#e%f", "a%3Ab/c%3Fd%23e%25f");
    check(kh_report__uri, "~x-y_z.1", "~x-y_z.1");
    check(kh_report__uri, "\xc3\xbc\xff\x01", "%C3%BC%FF%01");
    check(kh_report__uri, "<stdin>", "%3Cstdin%3E");
}

static void test_report_escape__text_neutralises_terminal_controls(void **state)
{
    (void)state;
    check(kh_report__text_str, "a\nb\tc\rd", "a\\nb\\tc\\rd");
    check(kh_report__text_str, "\x1b[2J\x7f", "\\x1b[2J\\x7f");
    check(kh_report__text_str, "\xc2\x9b" "31m", "\\u009b31m");          /* C1 CSI */
    check(kh_report__text_str, "\xe2\x80\xae" "evil", "\\u202eevil");     /* RLO */
    check(kh_report__text_str, "caf\xc3\xa9 \xff", "caf\xc3\xa9 \\xff");
    check(kh_report__text_str, "\"quotes\" stay", "\"quotes\" stay");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_report_escape__utf8_accepts_shortest_forms),
        cmocka_unit_test(test_report_escape__utf8_rejects_invalid_sequences),
        cmocka_unit_test(test_report_escape__json),
        cmocka_unit_test(test_report_escape__xml_attribute),
        cmocka_unit_test(test_report_escape__xml_text_keeps_layout),
        cmocka_unit_test(test_report_escape__uri),
        cmocka_unit_test(test_report_escape__text_neutralises_terminal_controls),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
