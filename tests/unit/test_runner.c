/* The test runner itself: run the self-test binary (tests that fail on
 * purpose) and check what it reports. */
#include "../runner.h"

#include "sbuf.h"

#include <stdio.h>
#include <stdlib.h>
#include <sys/wait.h>

static int run(const char *args, sbuf *out)
{
    const char *bin = getenv("SURGE_RUNNER_SELFTEST");
    if (!bin || !*bin)
        bin = "build/asan/tests/runner-selftest";
    char cmd[1024];
    snprintf(cmd, sizeof cmd, "%s %s 2>&1", bin, args);
    FILE *p = popen(cmd, "r");
    if (!p)
        test_fail(__FILE__, __LINE__, "cannot run %s", cmd);
    char buf[4096];
    size_t n;
    while ((n = fread(buf, 1, sizeof buf, p)) > 0)
        sbuf_append(out, buf, n);
    int st = pclose(p);
    return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

static const char *last_line(sbuf *b)
{
    while (b->len && b->data[b->len - 1] == '\n')
        b->data[--b->len] = '\0';
    const char *nl = strrchr(sbuf_str(b), '\n');
    return nl ? nl + 1 : sbuf_str(b);
}

TEST_T(runner, reports_failures_with_both_operands, 30)
{
    sbuf out = SBUF_INIT;
    EXPECT_EQ_INT(run("", &out), 1);
    const char *o = sbuf_str(&out);
    EXPECT_CONTAINS(o, "ok   selftest.passes");
    EXPECT_CONTAINS(o, "selftest.c:");
    EXPECT_CONTAINS(o, "expected two + 1 == 4: 3 vs 4");
    EXPECT_CONTAINS(o, "expected \"abc\" == \"abd\": \"abc\" vs \"abd\"");
    EXPECT_CONTAINS(o, "FAIL selftest.fails_int");
    EXPECT_CONTAINS(o, "FAIL selftest.times_out: timed out after 1 s");
    EXPECT_CONTAINS(o, "FAIL selftest.crashes: killed by signal 6");
    EXPECT_CONTAINS(o, "FAIL selftest.exits_nonzero");
    EXPECT_EQ_STR(last_line(&out), "3 passed, 6 failed");
    sbuf_free(&out);
}

/* Shared fixtures (test_register_fixture): set up once, before the first
 * test that needs one, seen by every such test, torn down at the end; a
 * setup that fails fails its tests unrun with its message; a fixture no
 * selected test needs is never set up. */
TEST_T(runner, sets_up_a_shared_fixture_once, 30)
{
    sbuf out = SBUF_INIT;
    EXPECT_EQ_INT(run("shared. broken.", &out), 1);
    const char *o = sbuf_str(&out);
    const char *first = strstr(o, "shared setup ran");
    EXPECT_TRUE(first != NULL);
    EXPECT_TRUE(strstr(first + 1, "shared setup ran") == NULL);
    EXPECT_CONTAINS(o, "ok   shared.one");
    EXPECT_CONTAINS(o, "ok   shared.two");
    EXPECT_CONTAINS(o, "FAIL broken.never_runs: shared setup of broken. failed: no server here");
    EXPECT_CONTAINS(o, "shared teardown ran");
    EXPECT_TRUE(strstr(o, "broken teardown ran") == NULL);
    EXPECT_TRUE(strstr(o, "killed by signal") == NULL);
    EXPECT_EQ_STR(last_line(&out), "2 passed, 1 failed");
    sbuf_reset(&out);
    EXPECT_EQ_INT(run("selftest.passes", &out), 0);
    EXPECT_TRUE(strstr(sbuf_str(&out), "setup ran") == NULL);
    sbuf_free(&out);
}

TEST(runner, runs_one_test_by_name_or_prefix)
{
    sbuf out = SBUF_INIT;
    EXPECT_EQ_INT(run("selftest.passes", &out), 0);
    EXPECT_EQ_STR(last_line(&out), "1 passed, 0 failed");
    sbuf_reset(&out);
    EXPECT_EQ_INT(run("selftest.fails", &out), 1);
    EXPECT_EQ_STR(last_line(&out), "0 passed, 2 failed");
    sbuf_reset(&out);
    EXPECT_EQ_INT(run("--list selftest.c", &out), 0);
    EXPECT_CONTAINS(sbuf_str(&out), "selftest.crashes");
    EXPECT_TRUE(strstr(sbuf_str(&out), "selftest.passes") == NULL);
    sbuf_reset(&out);
    EXPECT_EQ_INT(run("no.such.test", &out), 2);
    EXPECT_CONTAINS(sbuf_str(&out), "no test is named \"no.such.test\"");
    sbuf_free(&out);
}
