/*
 * test_recover.c -- bad input hides nothing and hangs nothing: a syntax
 * error, a NUL or a bad UTF-8 byte spoils only its own document, as
 * kubectl's reader cuts a stream at "---" lines; nesting past the limit
 * fails at once, however deep the input goes.
 *
 * Every input is read three ways (buffer, fmemopen stream, temporary file)
 * and each must give the same transcript: one line per result, with
 * positions in the whole file.
 */
#include <stdio.h>
#include <stdlib.h>

#include "doc_test.h"

enum { FROM_BUFFER, FROM_MEMSTREAM, FROM_FILE };

/* "doc <index> <line>:<col>" or "error <line>:<col> <message>" per result,
 * then "end <offset>". The caller frees it. */
static char *transcript_from(const char *text, size_t len, int how)
{
    kh_doc_reader *r;
    kh_error err;
    FILE *f = NULL;
    if (how == FROM_BUFFER) {
        assert_int_equal(kh_doc_reader_new_buffer(&r, text, len, "t.yaml", &err), 0);
    } else {
        f = how == FROM_FILE ? tmpfile() : fmemopen((void *)text, len, "r");
        assert_non_null(f);
        if (how == FROM_FILE) {
            assert_int_equal(fwrite(text, 1, len, f), len);
            rewind(f);
        }
        assert_int_equal(kh_doc_reader_new_stream(&r, f, "t.yaml", &err), 0);
    }
    size_t cap = 4096, n = 0;
    char *out = malloc(cap);
    assert_non_null(out);
    for (int i = 0; i < 100; i++) {
        kh_doc doc;
        memset(&err, 0, sizeof(err));
        int rc = kh_doc_reader_next(r, &test_arena, &doc, &err);
        if (cap - n < 512)
            assert_non_null(out = realloc(out, cap *= 2));
        if (rc == 1)
            n += (size_t)snprintf(out + n, cap - n, "doc %u %u:%u\n", doc.index, doc.line,
                                  doc.col);
        else if (rc < 0)
            n += (size_t)snprintf(out + n, cap - n, "error %u:%u %s\n", err.line, err.col,
                                  err.message);
        else
            break;
        kh_arena_reset(&test_arena);
    }
    snprintf(out + n, cap - n, "end %zu", kh_doc_reader_offset(r));
    kh_doc_reader_free(r);
    if (f)
        fclose(f);
    return out;
}

/* The transcript of @p text, which all three ways of reading must agree on. */
static void expect_transcript(const char *text, size_t len, const char *want)
{
    for (int how = FROM_BUFFER; how <= FROM_FILE; how++) {
        char *got = transcript_from(text, len, how);
        if (strcmp(got, want))
            print_error("read %d ways:\n%s\nwant:\n%s\n", how, got, want);
        assert_string_equal(got, want);
        free(got);
    }
}

static void expect(const char *text, const char *want)
{
    expect_transcript(text, strlen(text), want);
}

static void test_doc_recover__syntax_error_resumes_at_the_next_separator(void **state)
{
    (void)state;
    expect("a: 1\n---\nb: [1, 2\n---\nc: 3\n",
           "doc 0 1:1\n"
           "error 4:1 did not find expected ',' or ']' (while parsing a flow sequence "
           "at line 3, column 4)\n"
           "doc 2 4:1\n"
           "end 27");
    expect("a: b: c\n---\nok: 1\n",
           "error 1:5 mapping values are not allowed in this context\n"
           "doc 1 2:1\n"
           "end 18");
}

/* libyaml decodes bytes ahead of its parser: a bad byte used to end the
 * stream before the document in front of it was finished. */
static void test_doc_recover__a_document_before_a_bad_byte_is_still_read(void **state)
{
    (void)state;
    expect("a: 1\n---\nb: \xff\n---\nc: 3\n",
           "doc 0 1:1\n"
           "error 3:4 invalid leading UTF-8 octet (byte 0xff at offset 12)\n"
           "doc 2 4:1\n"
           "end 23");
}

static void test_doc_recover__nul_byte_spoils_one_document(void **state)
{
    (void)state;
    static const char text[] = "a: 1\n---\nb: x\0y\n---\nc: 3\n";
    expect_transcript(text, sizeof(text) - 1,
                      "doc 0 1:1\n"
                      "error 3:5 control characters are not allowed (byte 0x00 at offset 13)\n"
                      "doc 2 4:1\n"
                      "end 25");
}

/* Columns count code points, as libyaml's marks do (an unfinished
 * sequence counts as one); lines count every break libyaml counts (here a
 * lone CR). */
static void test_doc_recover__bad_byte_position_counts_code_points(void **state)
{
    (void)state;
    expect("a: 1\rb: 2\n---\nc: \"\xc3\xa9\xc3\xa9\xe2\x80\n",
           "doc 0 1:1\n"
           "error 4:8 invalid trailing UTF-8 octet (byte 0x0a at offset 24)\n"
           "end 25");
    expect("\xef\xbb\xbf" "a: \xfe\n",
           "error 1:4 invalid leading UTF-8 octet (byte 0xfe at offset 6)\n"
           "end 8");
}

/*
 * kubectl's YAMLReader: a line starting with "---" and then blanks or a
 * comment separates documents. "---#..." is its separator but not YAML's
 * document marker, so that line is dropped; "--- {...}" is YAML's marker
 * with content (kubectl refuses it), read as YAML reads it; "----" is no
 * separator at all.
 */
static void test_doc_recover__separator_lines_as_kubectl_cuts_them(void **state)
{
    (void)state;
    expect("a: 1\n--- # two\nb: 2\n---#three\nc: 3\n--- {d: 4}\n----\ne: 5\n---\t\nf: 6\n",
           "doc 0 1:1\n"
           "doc 1 2:1\n"
           "doc 2 5:1\n"
           "doc 3 6:1\n"
           "error 7:1 did not find expected <document start>\n"
           "doc 5 9:1\n"
           "end 66");
    /* a bad document right before a dropped separator line */
    expect("a: [\n---#x\nb: 1\n",
           "error 2:1 did not find expected node content (while parsing a flow node "
           "at line 2, column 1)\n"
           "doc 1 3:1\n"
           "end 16");
}

/* Directives belong to the document their "---" starts: no cut there. */
static void test_doc_recover__directive_stays_with_its_document(void **state)
{
    (void)state;
    expect("a: 1\n...\n%YAML 1.1\n---\nb: 2\n", "doc 0 1:1\ndoc 1 3:1\nend 28");
    expect("%YAML 1.1\n---\nb: 2\n", "doc 0 1:1\nend 19");
}

/* Semantic errors (unknown alias, bad tag) skip the rest of their chunk. */
static void test_doc_recover__semantic_error_skips_one_document(void **state)
{
    (void)state;
    expect("a: *nope\nb: [1, 2]\n---\nc: !!int x\n---\nd: 1\n",
           "error 1:4 unknown anchor 'nope' referenced\n"
           "error 4:4 cannot decode 'x' as !!int\n"
           "doc 2 5:1\n"
           "end 43");
}

static char *repeat(const char *head, char c, size_t n, const char *tail)
{
    size_t h = strlen(head), t = strlen(tail);
    char *s = malloc(h + n + t + 1);
    assert_non_null(s);
    memcpy(s, head, h);
    memset(s + h, c, n);
    memcpy(s + h + n, tail, t + 1);
    return s;
}

/*
 * `[[[...` 100,000 deep took minutes (libyaml's simple-key checks are
 * quadratic in depth) before the depth error; now reading stops at level
 * 257, and the rest of the document is skipped without parsing it. A
 * timing bound would be flaky: that this test finishes is the check.
 */
static void test_doc_recover__deep_nesting_fails_at_level_257_at_once(void **state)
{
    (void)state;
    char *deep = repeat("a: ", '[', 100000, "\n---\nb: 1\n");
    char want[128];
    snprintf(want, sizeof(want),
             "error 1:259 nesting depth exceeds limit of 256\ndoc 1 2:1\nend %zu",
             strlen(deep));
    expect(deep, want);
    free(deep);
    deep = repeat("", '{', 100000, "");
    expect(deep, "error 1:2 invalid character '{' looking for beginning of object key "
                 "string\nend 100000");
    free(deep);
    deep = repeat("- ", '[', 100000, "");
    expect(deep, "error 1:258 nesting depth exceeds limit of 256\nend 100002");
    free(deep);
}

/* A document larger than the window's soft limit: positions after it, and
 * of a bad byte at its end, are still exact. */
static void test_doc_recover__big_document_keeps_positions(void **state)
{
    (void)state;
    size_t lines = 200000; /* "k000000: v\n" x 200,000 = 2.2 MB, then a long line */
    size_t big = lines * 11 + 3 * 1000000;
    char *text = malloc(big + 64);
    assert_non_null(text);
    size_t n = 0;
    for (size_t i = 0; i < lines; i++)
        n += (size_t)sprintf(text + n, "k%06zu: v\n", i);
    n += (size_t)sprintf(text + n, "z: ");
    memset(text + n, 'x', 3 * 1000000 - 3);
    n += 3 * 1000000 - 3;
    n += (size_t)sprintf(text + n, "\xff\n---\nc: 3\n");
    char want[256];
    snprintf(want, sizeof(want),
             "error %zu:%d invalid leading UTF-8 octet (byte 0xff at offset %zu)\n"
             "doc 1 %zu:1\nend %zu",
             lines + 1, 3 * 1000000 + 1, n - 11, lines + 2, n);
    expect_transcript(text, n, want);
    free(text);
}

/* UTF-16 input (after a BOM) is read whole, as before: it cannot be cut
 * at byte level. */
static void test_doc_recover__utf16_is_read_whole(void **state)
{
    (void)state;
    static const char text[] = "\xff\xfe" "a\0:\0 \0" "1\0\n\0";
    expect_transcript(text, sizeof(text) - 1, "doc 0 1:1\nend 12");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_doc_recover__syntax_error_resumes_at_the_next_separator),
        cmocka_unit_test(test_doc_recover__a_document_before_a_bad_byte_is_still_read),
        cmocka_unit_test(test_doc_recover__nul_byte_spoils_one_document),
        cmocka_unit_test(test_doc_recover__bad_byte_position_counts_code_points),
        cmocka_unit_test(test_doc_recover__separator_lines_as_kubectl_cuts_them),
        cmocka_unit_test(test_doc_recover__directive_stays_with_its_document),
        cmocka_unit_test(test_doc_recover__semantic_error_skips_one_document),
        cmocka_unit_test(test_doc_recover__deep_nesting_fails_at_level_257_at_once),
        cmocka_unit_test(test_doc_recover__big_document_keeps_positions),
        cmocka_unit_test(test_doc_recover__utf16_is_read_whole),
    };
    return cmocka_run_group_tests(tests, arena_setup, arena_teardown);
}
