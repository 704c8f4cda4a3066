/*
 * The test runner: runs every registered test (or those named on the command
 * line) in a child process with a timeout and prints one line per test and a
 * last line "N passed, N failed". A name on the command line selects the test
 * with that full name ("suite.name") or every test whose name starts with it.
 *
 *   run-tests [--list] [--timeout-scale F] [NAME ...]
 */
#include "runner.h"

#include "sbuf.h"

#include <errno.h>
#include <ftw.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

typedef struct {
    const char *suite;
    const char *name;
    test_fn fn;
    int timeout_s;
    char full[160];
} test_case;

static test_case *tests;
static size_t n_tests, cap_tests;
static char tmp_dir[256];

typedef struct {
    const char *prefix;
    int (*setup)(char *err, size_t errlen);
    void (*teardown)(void);
    int state; /* 0: not set up, 1: up, -1: setup failed (err says why) */
    char err[512];
} fixture;

static fixture fixtures[8];
static size_t n_fixtures;

void test_register_fixture(const char *prefix, int (*setup)(char *err, size_t errlen),
                           void (*teardown)(void))
{
    if (n_fixtures == sizeof fixtures / sizeof fixtures[0]) {
        fputs("runner: too many fixtures\n", stderr);
        abort();
    }
    fixtures[n_fixtures++] = (fixture){prefix, setup, teardown, 0, ""};
}

/* Sets up the fixture t needs, the first time: 0 when t may run (no
 * fixture, or it is up), -1 when its setup failed (said once). */
static int fixture_for(const test_case *t)
{
    for (size_t i = 0; i < n_fixtures; i++) {
        fixture *f = &fixtures[i];
        if (strncmp(t->full, f->prefix, strlen(f->prefix)) != 0)
            continue;
        if (f->state == 0) {
            fflush(stdout);
            f->state = f->setup(f->err, sizeof f->err) == 0 ? 1 : -1;
        }
        if (f->state < 0)
            printf("FAIL %s: shared setup of %s failed: %s\n", t->full, f->prefix, f->err);
        return f->state < 0 ? -1 : 0;
    }
    return 0;
}

static void fixtures_down(void)
{
    for (size_t i = 0; i < n_fixtures; i++)
        if (fixtures[i].state == 1)
            fixtures[i].teardown();
}

void test_register(const char *suite, const char *name, test_fn fn, int timeout_s)
{
    if (n_tests == cap_tests) {
        cap_tests = cap_tests ? cap_tests * 2 : 64;
        tests = realloc(tests, cap_tests * sizeof *tests);
        if (!tests) {
            fputs("runner: out of memory\n", stderr);
            abort();
        }
    }
    test_case *t = &tests[n_tests++];
    t->suite = suite;
    t->name = name;
    t->fn = fn;
    t->timeout_s = timeout_s;
    snprintf(t->full, sizeof t->full, "%s.%s", suite, name);
}

void test_fail(const char *file, int line, const char *fmt, ...)
{
    va_list ap;
    fflush(stdout);
    fprintf(stderr, "%s:%d: ", file, line);
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputc('\n', stderr);
    /* _exit: a failed test may hold resources; skip leak reports about them. */
    _exit(1);
}

const char *test_bin_dir(void)
{
    const char *d = getenv("SURGE_BIN");
    return d && *d ? d : "build/asan/bin";
}

const char *test_tmp_dir(void)
{
    return tmp_dir;
}

void test_count(const char *what, long n)
{
    printf("count: %s: %ld\n", what, n);
    fflush(stdout);
}

void test_write_file(const char *path, const char *text)
{
    FILE *f = fopen(path, "w");
    if (!f || fputs(text, f) < 0 || fclose(f) != 0)
        test_fail(__FILE__, __LINE__, "cannot write %s: %s", path, strerror(errno));
}

char *test_read_file(const char *path)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return NULL;
    sbuf b = SBUF_INIT;
    int rc = sbuf_read_stream(&b, f, (size_t)1 << 30);
    fclose(f);
    if (rc != 0) {
        sbuf_free(&b);
        return NULL;
    }
    return sbuf_take(&b);
}

static int cmp_tests(const void *a, const void *b)
{
    const test_case *x = a, *y = b;
    return strcmp(x->full, y->full);
}

static int selected(const test_case *t, int argc, char **argv, int first)
{
    if (first >= argc)
        return 1;
    for (int i = first; i < argc; i++) {
        size_t n = strlen(argv[i]);
        if (strncmp(t->full, argv[i], n) == 0)
            return 1;
    }
    return 0;
}

static int64_t mono_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static int rm_entry(const char *path, const struct stat *sb, int flag, struct FTW *ftw)
{
    (void)sb;
    (void)flag;
    (void)ftw;
    return remove(path);
}

/* Runs one test in a child; returns 1 when it passed. */
static int run_one(const test_case *t, double timeout_scale)
{
    snprintf(tmp_dir, sizeof tmp_dir, "/tmp/surge-test-%d-XXXXXX", (int)getpid());
    if (!mkdtemp(tmp_dir)) {
        fprintf(stderr, "runner: mkdtemp: %s\n", strerror(errno));
        return 0;
    }
    fflush(stdout);
    fflush(stderr);
    int64_t start = mono_ms();
    pid_t pid = fork();
    if (pid < 0) {
        fprintf(stderr, "runner: fork: %s\n", strerror(errno));
        return 0;
    }
    if (pid == 0) {
        setpgid(0, 0);
        t->fn();
        fflush(stdout);
        exit(0);
    }
    setpgid(pid, pid);
    int64_t limit_ms = (int64_t)(t->timeout_s * 1000.0 * timeout_scale);
    int status = 0, timed_out = 0;
    for (;;) {
        pid_t r = waitpid(pid, &status, WNOHANG);
        if (r == pid)
            break;
        if (r < 0 && errno != EINTR) {
            fprintf(stderr, "runner: waitpid: %s\n", strerror(errno));
            break;
        }
        if (mono_ms() - start > limit_ms) {
            timed_out = 1;
            kill(-pid, SIGKILL);
            waitpid(pid, &status, 0);
            break;
        }
        struct timespec nap = {0, 2 * 1000 * 1000};
        nanosleep(&nap, NULL);
    }
    /* Whatever the test started (servers, clients) ends with it. */
    kill(-pid, SIGKILL);
    int64_t took = mono_ms() - start;
    int ok = !timed_out && WIFEXITED(status) && WEXITSTATUS(status) == 0;
    /* A failed test's folder (its runs' results, journals, logs) stays for
     * a look afterwards: a failure seen once in a long run cannot always
     * be made again. */
    if (ok)
        nftw(tmp_dir, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
    if (ok)
        printf("ok   %s (%lld ms)\n", t->full, (long long)took);
    else if (timed_out)
        printf("FAIL %s: timed out after %d s\n", t->full,
               (int)(limit_ms / 1000));
    else if (WIFSIGNALED(status))
        printf("FAIL %s: killed by signal %d (%s)\n", t->full, WTERMSIG(status),
               strsignal(WTERMSIG(status)));
    else
        printf("FAIL %s (%lld ms)\n", t->full, (long long)took);
    if (!ok)
        printf("     its folder is kept: %s\n", tmp_dir);
    fflush(stdout);
    return ok;
}

int main(int argc, char **argv)
{
    int first = 1, list = 0;
    double timeout_scale = 1.0;
    while (first < argc && argv[first][0] == '-') {
        if (strcmp(argv[first], "--list") == 0) {
            list = 1;
            first++;
        } else if (strcmp(argv[first], "--timeout-scale") == 0 && first + 1 < argc) {
            char *end;
            timeout_scale = strtod(argv[first + 1], &end);
            if (*end || timeout_scale <= 0) {
                fprintf(stderr, "run-tests: --timeout-scale: expected a positive number, got \"%s\"\n",
                        argv[first + 1]);
                return 2;
            }
            first += 2;
        } else {
            fprintf(stderr, "usage: run-tests [--list] [--timeout-scale F] [NAME ...]\n"
                            "  NAME selects a test by full name (suite.name) or by prefix\n");
            return 2;
        }
    }
    if (n_tests)
        qsort(tests, n_tests, sizeof *tests, cmp_tests);
    for (int i = first; i < argc; i++) {
        int any = 0;
        for (size_t k = 0; k < n_tests && !any; k++)
            any = strncmp(tests[k].full, argv[i], strlen(argv[i])) == 0;
        if (!any) {
            fprintf(stderr, "run-tests: no test is named \"%s\" or starts with it (see --list)\n", argv[i]);
            return 2;
        }
    }
    if (list) {
        for (size_t k = 0; k < n_tests; k++)
            if (selected(&tests[k], argc, argv, first))
                printf("%s\n", tests[k].full);
        return 0;
    }
    /* A broken pipe to a server a test talks to must fail that call, not the runner. */
    signal(SIGPIPE, SIG_IGN);
    int passed = 0, failed = 0;
    for (size_t k = 0; k < n_tests; k++) {
        if (!selected(&tests[k], argc, argv, first))
            continue;
        if (fixture_for(&tests[k]) == 0 && run_one(&tests[k], timeout_scale))
            passed++;
        else
            failed++;
    }
    fixtures_down();
    printf("%d passed, %d failed\n", passed, failed);
    return failed ? 1 : 0;
}
