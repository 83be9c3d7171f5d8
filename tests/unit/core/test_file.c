/*
 * test_file.c -- kh_file__read: whole files into memory, never more than
 * the limit, whatever the file is (regular, device, pipe), and errors that
 * name the file and the limit.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "core/file.h"

static char *write_temp(const char *text, size_t len)
{
    char *path = strdup("/tmp/kh-file-XXXXXX");
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    assert_int_equal(write(fd, text, len), (ssize_t)len);
    close(fd);
    return path;
}

static void test_core_file__reads_a_regular_file_whole_and_nul_terminated(void **state)
{
    (void)state;
    char *path = write_temp("a: 1\nb: 2\n", 10);
    char *buf = NULL;
    size_t len = 0;
    assert_int_equal(kh_file__read(path, "config", 1024, &buf, &len, NULL), KH_OK);
    assert_int_equal(len, 10);
    assert_memory_equal(buf, "a: 1\nb: 2\n", 11); /* with the NUL */
    free(buf);
    unlink(path);
    free(path);
}

static void test_core_file__empty_file_is_empty_not_an_error(void **state)
{
    (void)state;
    char *path = write_temp("", 0);
    char *buf = NULL;
    size_t len = 99;
    assert_int_equal(kh_file__read(path, "config", 1024, &buf, &len, NULL), KH_OK);
    assert_int_equal(len, 0);
    assert_string_equal(buf, "");
    free(buf);
    unlink(path);
    free(path);
}

static void test_core_file__exactly_the_limit_is_accepted_one_more_byte_is_not(void **state)
{
    (void)state;
    char *path = write_temp("0123456789", 10);
    char *buf = NULL;
    size_t len = 0;
    kh_error err = {0};
    assert_int_equal(kh_file__read(path, "config", 10, &buf, &len, &err), KH_OK);
    assert_int_equal(len, 10);
    free(buf);
    buf = NULL;
    assert_int_equal(kh_file__read(path, "config", 9, &buf, &len, &err), KH_ELIMIT);
    assert_null(buf);
    assert_string_equal(err.file, path);
    char want[128];
    snprintf(want, sizeof(want), "config '%s' is larger than 9 bytes", path);
    assert_string_equal(err.message, want);
    unlink(path);
    free(path);
}

static void test_core_file__dev_zero_stops_at_the_limit(void **state)
{
    (void)state;
    char *buf = NULL;
    size_t len = 0;
    kh_error err = {0};
    /* A device has no size: the read itself must stop. */
    assert_int_equal(kh_file__read("/dev/zero", "signature file", (size_t)1 << 20, &buf, &len,
                                   &err),
                     KH_ELIMIT);
    assert_null(buf);
    assert_string_equal(err.message, "signature file '/dev/zero' is larger than 1 MiB");
}

static void test_core_file__a_pipe_is_read_to_its_end(void **state)
{
    (void)state;
    int fds[2];
    assert_int_equal(pipe(fds), 0);
    /* Over the 64 KiB first buffer of a sizeless file: it must grow. */
    static char data[200000];
    memset(data, 'x', sizeof(data));
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        close(fds[0]);
        size_t off = 0;
        while (off < sizeof(data)) {
            ssize_t n = write(fds[1], data + off, sizeof(data) - off);
            if (n <= 0)
                _exit(1);
            off += (size_t)n;
        }
        _exit(0);
    }
    close(fds[1]);
    char path[64];
    snprintf(path, sizeof(path), "/dev/fd/%d", fds[0]);
    char *buf = NULL;
    size_t len = 0;
    assert_int_equal(kh_file__read(path, "config", KH_FILE_MAX_BYTES, &buf, &len, NULL), KH_OK);
    assert_int_equal(len, sizeof(data));
    assert_memory_equal(buf, data, sizeof(data));
    free(buf);
    close(fds[0]);
}

static void test_core_file__missing_file_and_directory_are_named(void **state)
{
    (void)state;
    char *buf = NULL;
    size_t len = 0;
    kh_error err = {0};
    assert_int_equal(kh_file__read("/nonexistent/x.json", "vulnerability report", 1024, &buf,
                                   &len, &err),
                     KH_EIO);
    assert_string_equal(err.file, "/nonexistent/x.json");
    assert_string_equal(err.message,
                        "cannot open vulnerability report: No such file or directory");
    assert_int_equal(kh_file__read("/tmp", "config", 1024, &buf, &len, &err), KH_EIO);
    assert_string_equal(err.message, "cannot read config '/tmp': it is a directory");
    assert_null(buf);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_core_file__reads_a_regular_file_whole_and_nul_terminated),
        cmocka_unit_test(test_core_file__empty_file_is_empty_not_an_error),
        cmocka_unit_test(test_core_file__exactly_the_limit_is_accepted_one_more_byte_is_not),
        cmocka_unit_test(test_core_file__dev_zero_stops_at_the_limit),
        cmocka_unit_test(test_core_file__a_pipe_is_read_to_its_end),
        cmocka_unit_test(test_core_file__missing_file_and_directory_are_named),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
