/*
 * The test runner's interface. Every test registers itself by name with
 * TEST(suite, name); the runner forks one child per test, in a process group
 * of its own so that servers a test starts die with it, kills the group when
 * the timeout passes, and ends with "N passed, N failed". An assertion that
 * fails prints both operands with file and line and ends the test at once.
 */
#ifndef SURGE_TESTS_RUNNER_H
#define SURGE_TESTS_RUNNER_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

typedef void (*test_fn)(void);

/* Registers a test; name and fn are borrowed for the life of the program. */
void test_register(const char *suite, const char *name, test_fn fn, int timeout_s);

/* Ends the running test as failed after printing the formatted reason. */
void test_fail(const char *file, int line, const char *fmt, ...)
    __attribute__((format(printf, 3, 4), noreturn));

/* The directory of the programs end-to-end tests start (SURGE_BIN, default
 * build/asan/bin), and a scratch directory unique to the running test that
 * the runner removes afterwards. Both borrowed. */
const char *test_bin_dir(void);
const char *test_tmp_dir(void);

/* Files a test writes and reads back (configs, scenarios, results): text
 * written to path, the test failing when it cannot be; and a whole file
 * read back, malloc'd (the caller frees), NULL when it cannot be opened. */
void test_write_file(const char *path, const char *text);
char *test_read_file(const char *path);

/* Reports n occurrences of what (e.g. "bad inputs tried", "kill -9
 * restarts") as a line "count: <what>: <n>" of the test's output, which
 * scripts/reliability.sh adds up over a run (for docs/RELIABILITY.md). */
void test_count(const char *what, long n);

/* A resource the tests of one suite share because it is costly to make
 * for each (a database server). setup runs in the runner itself, before
 * the first selected test whose full name starts with prefix, and
 * teardown once every test ran; what setup makes reaches the tests
 * through their fork. setup returns 0, or -1 with a message in err: those
 * tests then fail with it, unrun. Arguments borrowed for the life of the
 * program. */
void test_register_fixture(const char *prefix, int (*setup)(char *err, size_t errlen),
                           void (*teardown)(void));

#define TEST_DEFAULT_TIMEOUT_S 60

#define TEST_T(suite, name, timeout_s)                                        \
    static void test_##suite##_##name(void);                                  \
    __attribute__((constructor)) static void reg_##suite##_##name(void)       \
    {                                                                         \
        test_register(#suite, #name, test_##suite##_##name, timeout_s);       \
    }                                                                         \
    static void test_##suite##_##name(void)

#define TEST(suite, name) TEST_T(suite, name, TEST_DEFAULT_TIMEOUT_S)

#define EXPECT_TRUE(cond)                                                     \
    do {                                                                      \
        if (!(cond))                                                          \
            test_fail(__FILE__, __LINE__, "expected true: %s", #cond);        \
    } while (0)

#define EXPECT_FALSE(cond)                                                    \
    do {                                                                      \
        if (cond)                                                             \
            test_fail(__FILE__, __LINE__, "expected false: %s", #cond);       \
    } while (0)

#define EXPECT_CMP_INT(a, op, b)                                              \
    do {                                                                      \
        long long va_ = (long long)(a), vb_ = (long long)(b);                 \
        if (!(va_ op vb_))                                                    \
            test_fail(__FILE__, __LINE__, "expected %s %s %s: %lld vs %lld",  \
                      #a, #op, #b, va_, vb_);                                 \
    } while (0)

#define EXPECT_EQ_INT(a, b) EXPECT_CMP_INT(a, ==, b)
#define EXPECT_NE_INT(a, b) EXPECT_CMP_INT(a, !=, b)
#define EXPECT_LT_INT(a, b) EXPECT_CMP_INT(a, <, b)
#define EXPECT_LE_INT(a, b) EXPECT_CMP_INT(a, <=, b)
#define EXPECT_GT_INT(a, b) EXPECT_CMP_INT(a, >, b)
#define EXPECT_GE_INT(a, b) EXPECT_CMP_INT(a, >=, b)

#define EXPECT_EQ_U64(a, b)                                                   \
    do {                                                                      \
        unsigned long long va_ = (unsigned long long)(a);                     \
        unsigned long long vb_ = (unsigned long long)(b);                     \
        if (va_ != vb_)                                                       \
            test_fail(__FILE__, __LINE__,                                     \
                      "expected %s == %s: 0x%016llx vs 0x%016llx", #a, #b,    \
                      va_, vb_);                                              \
    } while (0)

#define EXPECT_NEAR(a, b, tol)                                                \
    do {                                                                      \
        double va_ = (double)(a), vb_ = (double)(b), vt_ = (double)(tol);     \
        if (!(va_ - vb_ <= vt_ && vb_ - va_ <= vt_))                          \
            test_fail(__FILE__, __LINE__,                                     \
                      "expected %s ~ %s within %g: %.9g vs %.9g", #a, #b,     \
                      vt_, va_, vb_);                                         \
    } while (0)

#define EXPECT_EQ_STR(a, b)                                                   \
    do {                                                                      \
        const char *va_ = (a), *vb_ = (b);                                    \
        if (va_ == NULL || vb_ == NULL ? va_ != vb_ : strcmp(va_, vb_) != 0)  \
            test_fail(__FILE__, __LINE__,                                     \
                      "expected %s == %s: \"%s\" vs \"%s\"", #a, #b,          \
                      va_ ? va_ : "(null)", vb_ ? vb_ : "(null)");            \
    } while (0)

/* a must contain b as a substring. */
#define EXPECT_CONTAINS(a, b)                                                 \
    do {                                                                      \
        const char *va_ = (a), *vb_ = (b);                                    \
        if (va_ == NULL || vb_ == NULL || strstr(va_, vb_) == NULL)           \
            test_fail(__FILE__, __LINE__,                                     \
                      "expected %s to contain %s: \"%s\" vs \"%s\"", #a, #b,  \
                      va_ ? va_ : "(null)", vb_ ? vb_ : "(null)");            \
    } while (0)

#endif
