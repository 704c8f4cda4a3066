/*
 * Tests that fail on purpose, linked with the runner into a binary of their
 * own (runner-selftest). tests/unit/test_runner.c runs that binary and
 * checks what the runner reports about each.
 */
#include "../runner.h"

#include <signal.h>
#include <stdlib.h>
#include <unistd.h>

TEST(selftest, passes)
{
    EXPECT_EQ_INT(2, 2);
    EXPECT_EQ_STR("same", "same");
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
