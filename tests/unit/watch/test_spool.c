/*
 * test_spool.c -- the sinks' on-disk spool (src/watch/spool.c): records
 * come back in order after a reopen (a killed watcher), from the read
 * position and not before; a record cut short by a crash is cut off and
 * the ones before it kept; the byte bound drops the oldest, counted; a
 * second opener is refused; segments read to their end are deleted; an
 * empty spool leaves nothing behind.
 */
#include <dirent.h>
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include "watch/spool.h"

static char dir[64];

static int setup(void **state)
{
    (void)state;
    char tmpl[] = "/tmp/kh-spool-XXXXXX";
    assert_non_null(mkdtemp(tmpl));
    snprintf(dir, sizeof(dir), "%s/s", tmpl);
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    char cmd[128];
    snprintf(cmd, sizeof(cmd), "rm -rf '%.*s'", (int)(strrchr(dir, '/') - dir), dir);
    return system(cmd) == 0 ? 0 : -1;
}

static kh_spool *open_spool(uint64_t max)
{
    kh_spool *sp = NULL;
    kh_error err = {0};
    assert_int_equal(kh_spool__open(&sp, dir, max, 0, "test", &err), 0);
    return sp;
}

static void append(kh_spool *sp, const char *msg)
{
    kh_error err = {0};
    assert_int_equal(kh_spool__append(sp, msg, strlen(msg), &err), 0);
}

static void expect_next(kh_spool *sp, const char *want)
{
    const char *msg;
    size_t len;
    kh_error err = {0};
    assert_int_equal(kh_spool__peek(sp, &msg, &len, &err), 0);
    assert_int_equal(len, strlen(want));
    assert_memory_equal(msg, want, len);
    kh_spool__pop(sp, len);
}

static int segments(void)
{
    int n = 0;
    DIR *d = opendir(dir);
    for (struct dirent *e; d && (e = readdir(d));)
        n += strstr(e->d_name, ".seg") != NULL;
    if (d)
        closedir(d);
    return n;
}

/* A reopen (the next run after a kill) resumes at the read position. */
static void test_reopen_resumes(void **state)
{
    (void)state;
    kh_spool *sp = open_spool(0);
    append(sp, "one");
    append(sp, "two");
    append(sp, "three");
    expect_next(sp, "one");
    kh_spool__sync(sp, 1); /* the read position is written at the sync pace */
    assert_int_equal(kh_spool__records(sp), 2);
    kh_spool__close(sp);
    sp = open_spool(0);
    assert_int_equal(kh_spool__records(sp), 2);
    assert_int_equal(kh_spool__bytes(sp), 8 + 3 + 8 + 5);
    expect_next(sp, "two");
    expect_next(sp, "three");
    const char *msg;
    size_t len;
    kh_error err = {0};
    assert_int_equal(kh_spool__peek(sp, &msg, &len, &err), 1);
    kh_spool__close(sp);
    struct stat st;
    assert_int_not_equal(stat(dir, &st), 0); /* empty: removed */
}

/* Killed between two syncs of the read position: the delivered record
 * comes again (the receiver drops it by id), none is lost. */
static void test_kill_resends(void **state)
{
    (void)state;
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        kh_spool *sp = NULL;
        kh_error err = {0};
        if (kh_spool__open(&sp, dir, 0, 60000, "test", &err) != 0 ||
            kh_spool__append(sp, "a", 1, &err) != 0 || kh_spool__append(sp, "b", 1, &err) != 0)
            _exit(1);
        const char *msg;
        size_t len;
        if (kh_spool__peek(sp, &msg, &len, &err) != 0)
            _exit(1);
        kh_spool__pop(sp, len);
        _exit(0); /* as SIGKILL: nothing closed, nothing synced */
    }
    int status;
    assert_int_equal(waitpid(pid, &status, 0), pid);
    assert_int_equal(status, 0);
    kh_spool *sp = open_spool(0);
    assert_int_equal(kh_spool__records(sp), 2);
    /* and the lock: a second watcher on the same spool is refused */
    kh_spool *again = NULL;
    kh_error err = {0};
    assert_int_equal(kh_spool__open(&again, dir, 0, 0, "test", &err), KH_EIO);
    assert_non_null(strstr(err.message, "in use by another watcher"));
    expect_next(sp, "a");
    expect_next(sp, "b");
    kh_spool__close(sp);
}

/* A record cut short (the watcher died in the middle of its write) is cut
 * off at the next start; the whole ones before it stay. */
static void test_torn_record_cut(void **state)
{
    (void)state;
    kh_spool *sp = open_spool(0);
    append(sp, "whole");
    kh_spool__close(sp);
    char seg[512];
    DIR *d = opendir(dir);
    for (struct dirent *e; (e = readdir(d));)
        if (strstr(e->d_name, ".seg"))
            snprintf(seg, sizeof(seg), "%s/%s", dir, e->d_name);
    closedir(d);
    int fd = open(seg, O_WRONLY | O_APPEND);
    assert_true(fd >= 0);
    /* a header announcing 100 bytes, then only 4 of them */
    static const unsigned char part[] = {100, 0, 0, 0, 1, 2, 3, 4, 'h', 'a', 'l', 'f'};
    assert_int_equal(write(fd, part, sizeof(part)), (ssize_t)sizeof(part));
    close(fd);
    sp = open_spool(0);
    assert_int_equal(kh_spool__records(sp), 1);
    expect_next(sp, "whole");
    append(sp, "after");
    expect_next(sp, "after");
    kh_spool__close(sp);
}

/* Past the bound the oldest go, counted; what stays is the newest. */
static void test_bound_drops_oldest(void **state)
{
    (void)state;
    kh_spool *sp = open_spool(64); /* three records of 8 + 10 bytes fit */
    const char *msgs[] = {"message-01", "message-02", "message-03", "message-04", "message-05"};
    for (int i = 0; i < 5; i++)
        append(sp, msgs[i]);
    assert_int_equal(kh_spool__records(sp), 3);
    assert_int_equal(kh_spool__dropped(sp), 2);
    assert_true(kh_spool__bytes(sp) <= 64);
    kh_spool__close(sp);
    sp = open_spool(64);
    assert_int_equal(kh_spool__records(sp), 3);
    expect_next(sp, "message-03");
    expect_next(sp, "message-04");
    expect_next(sp, "message-05");
    kh_error err = {0};
    char big[100];
    memset(big, 'x', sizeof(big));
    assert_int_equal(kh_spool__append(sp, big, sizeof(big), &err), KH_EIO);
    assert_int_equal(kh_spool__dropped(sp), 1); /* larger than the bound: dropped, counted */
    kh_spool__close(sp);
}

/* Segments read to their end are deleted as the read position passes. */
static void test_segments_deleted(void **state)
{
    (void)state;
    kh_spool *sp = open_spool(32768); /* segments of 4096 bytes */
    char msg[1000];
    memset(msg, 'm', sizeof(msg) - 1);
    msg[sizeof(msg) - 1] = '\0';
    for (int i = 0; i < 20; i++)
        append(sp, msg);
    assert_true(segments() >= 4);
    for (int i = 0; i < 19; i++)
        expect_next(sp, msg);
    assert_int_equal(segments(), 1);
    expect_next(sp, msg);
    kh_spool__close(sp);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_reopen_resumes, setup, teardown),
        cmocka_unit_test_setup_teardown(test_kill_resends, setup, teardown),
        cmocka_unit_test_setup_teardown(test_torn_record_cut, setup, teardown),
        cmocka_unit_test_setup_teardown(test_bound_drops_oldest, setup, teardown),
        cmocka_unit_test_setup_teardown(test_segments_deleted, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
