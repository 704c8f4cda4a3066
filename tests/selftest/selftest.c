/*
 * Tests that fail on purpose, linked with the runner into a binary of their
 * own (runner-selftest). tests/unit/test_runner.c runs that binary and
 * checks what the runner reports about each.
 */
#include "../runner.h"

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

/* Both write a file in their folder and print where: the runner removes
 * a passing test's folder and keeps a failing one's. */
static void leave_a_file(const char *who)
{
    char path[512];
    snprintf(path, sizeof path, "%s/left.txt", test_tmp_dir());
    test_write_file(path, who);
    printf("%s wrote %s\n", who, path);
}

TEST(selftest, passes)
{
    EXPECT_EQ_INT(2, 2);
    EXPECT_EQ_STR("same", "same");
    leave_a_file("passes");
}

TEST(selftest, fails_keeping_its_folder)
{
    leave_a_file("fails_keeping_its_folder");
    EXPECT_EQ_INT(1, 2);
}

TEST(selftest, fails_int)
{
    int two = 2;
    EXPECT_EQ_INT(two + 1, 4);
}

TEST(selftest, fails_str)
{
    EXPECT_EQ_STR("abc", "abd");
}

TEST_T(selftest, times_out, 1)
{
    sleep(30);
}

TEST(selftest, crashes)
{
    abort(); /* ASan turns SIGSEGV into an exit; SIGABRT stays a signal */
}

TEST(selftest, exits_nonzero)
{
    exit(3);
}

/* Shared fixtures: one that the tests of "shared." use (set up once, torn
 * down at the end, reaching the tests through their fork), one whose
 * setup fails, so its test is failed unrun. */
static int shared_value;

static int shared_setup(char *err, size_t errlen)
{
    (void)err;
    (void)errlen;
    puts("shared setup ran");
    shared_value = 42;
    return 0;
}

static void shared_teardown(void)
{
    puts("shared teardown ran");
}

static int broken_setup(char *err, size_t errlen)
{
    snprintf(err, errlen, "no server here");
    return -1;
}

static void broken_teardown(void)
{
    puts("broken teardown ran");
}

__attribute__((constructor)) static void fixtures(void)
{
    test_register_fixture("shared.", shared_setup, shared_teardown);
    test_register_fixture("broken.", broken_setup, broken_teardown);
}

TEST(shared, one)
{
    EXPECT_EQ_INT(shared_value, 42);
}

TEST(shared, two)
{
    EXPECT_EQ_INT(shared_value, 42);
}

TEST(broken, never_runs)
{
    abort();
}
