/* The test runner itself: run the self-test binary (tests that fail on
 * purpose) and check what it reports. */
#include "../runner.h"

#include "sbuf.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

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

/* The folders a run of the self-test binary kept (its failed tests'),
 * removed so that runs of this test leave nothing behind; returns how many. */
static int remove_kept(const char *out)
{
    static const char mark[] = "its folder is kept: ";
    int n = 0;
    for (const char *p = out; (p = strstr(p, mark)) != NULL; n++) {
        p += strlen(mark);
        size_t len = strcspn(p, "\n");
        char cmd[600];
        snprintf(cmd, sizeof cmd, "rm -rf '%.*s'", (int)len, p);
        if (len == 0 || len > 500 || strncmp(p, "/tmp/surge-test-", 16) != 0 || system(cmd) != 0)
            test_fail(__FILE__, __LINE__, "cannot remove the kept folder %.*s", (int)len, p);
    }
    return n;
}

/* The path a self-test printed after "<who> wrote ". */
static char *written_by(const char *out, const char *who)
{
    char mark[128];
    snprintf(mark, sizeof mark, "%s wrote ", who);
    const char *p = strstr(out, mark);
    if (!p)
        test_fail(__FILE__, __LINE__, "no \"%s\" in:\n%s", mark, out);
    p += strlen(mark);
    return strndup(p, strcspn(p, "\n"));
}

/* A failed test's folder stays, named after its FAIL line; a passing
 * test's is removed. */
TEST_T(runner, keeps_the_folder_of_a_failed_test, 30)
{
    sbuf out = SBUF_INIT;
    EXPECT_EQ_INT(run("selftest.passes selftest.fails_keeping", &out), 1);
    const char *o = sbuf_str(&out);
    char *gone = written_by(o, "passes");
    char *kept = written_by(o, "fails_keeping_its_folder");
    EXPECT_TRUE(access(gone, F_OK) != 0);
    char *text = test_read_file(kept);
    EXPECT_TRUE(text != NULL);
    EXPECT_EQ_STR(text, "fails_keeping_its_folder");
    /* The FAIL line is followed by the folder the file is in. */
    char *dir = strndup(kept, strlen(kept) - strlen("/left.txt"));
    const char *fail = strstr(o, "FAIL selftest.fails_keeping_its_folder (");
    EXPECT_TRUE(fail != NULL);
    const char *said = strstr(fail, "its folder is kept: ");
    EXPECT_TRUE(said != NULL);
    EXPECT_TRUE(strncmp(said + strlen("its folder is kept: "), dir, strlen(dir)) == 0);
    EXPECT_EQ_INT(remove_kept(o), 1);
    EXPECT_TRUE(access(kept, F_OK) != 0);
    free(dir);
    free(text);
    free(kept);
    free(gone);
    sbuf_free(&out);
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
    EXPECT_EQ_INT(remove_kept(o), 6);
    EXPECT_EQ_STR(last_line(&out), "3 passed, 7 failed");
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
    EXPECT_EQ_INT(remove_kept(sbuf_str(&out)), 3);
    EXPECT_EQ_STR(last_line(&out), "0 passed, 3 failed");
    sbuf_reset(&out);
    EXPECT_EQ_INT(run("--list selftest.c", &out), 0);
    EXPECT_CONTAINS(sbuf_str(&out), "selftest.crashes");
    EXPECT_TRUE(strstr(sbuf_str(&out), "selftest.passes") == NULL);
    sbuf_reset(&out);
    EXPECT_EQ_INT(run("no.such.test", &out), 2);
    EXPECT_CONTAINS(sbuf_str(&out), "no test is named \"no.such.test\"");
    sbuf_free(&out);
}
