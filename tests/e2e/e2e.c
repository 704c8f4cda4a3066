/* End-to-end test helpers; see e2e.h. */
#include "e2e.h"

#include "clock.h"
#include "json.h"
#include "mem.h"
#include "measure.h"
#include "sbuf.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

void e2e_start(e2e_server *s, const char *prog, const char *const *args)
{
    e2e_start_as(s, prog, prog, args);
}

void e2e_start_as(e2e_server *s, const char *prog, const char *name, const char *const *args)
{
    memset(s, 0, sizeof *s);
    char path[512];
    snprintf(path, sizeof path, "%s/%s", test_bin_dir(), prog);
    snprintf(s->log, sizeof s->log, "%s/%s.log", test_tmp_dir(), name);
    const char *argv[64] = {path, "--port", "0"};
    int n = 3;
    for (int i = 0; args && args[i] && n < 63; i++)
        argv[n++] = args[i];
    argv[n] = NULL;
    char err[512];
    if (proc_start((char *const *)argv, s->log, 1, 10000, &s->p, &s->port, err, sizeof err))
        test_fail(__FILE__, __LINE__, "cannot start %s: %s", prog, err);
}

/* Writes config to a file of its own in the scratch directory; the path
 * goes to path. */
static void write_config(const char *prog, const char *config, char *path, size_t n)
{
    static int seq;
    snprintf(path, n, "%s/%s-%d.json", test_tmp_dir(), prog, seq++);
    test_write_file(path, config);
}

void e2e_start_config(e2e_server *s, const char *prog, const char *config,
                      const char *const *args)
{
    if (!config) {
        e2e_start(s, prog, args);
        return;
    }
    char path[512];
    write_config(prog, config, path, sizeof path);
    const char *argv[48] = {"--config", path};
    int n = 2;
    for (int i = 0; args && args[i] && n < 47; i++)
        argv[n++] = args[i];
    argv[n] = NULL;
    e2e_start(s, prog, argv);
}

void e2e_expect_refused(const char *prog, const char *config, const char *want)
{
    char path[512];
    write_config(prog, config, path, sizeof path);
    char *cmd = xasprintf("%s/%s --port 0 --config %s 2>&1", test_bin_dir(), prog, path);
    FILE *p = popen(cmd, "r");
    if (!p)
        test_fail(__FILE__, __LINE__, "cannot run %s", cmd);
    sbuf out = SBUF_INIT;
    EXPECT_EQ_INT(sbuf_read_stream(&out, p, 1 << 20), 0);
    int status = pclose(p);
    free(cmd);
    EXPECT_EQ_INT(WIFEXITED(status) ? WEXITSTATUS(status) : -1, 2);
    EXPECT_CONTAINS(sbuf_str(&out), want);
    sbuf_free(&out);
}

void e2e_stop(e2e_server *s)
{
    if (!s->p)
        return;
    int status = proc_stop(s->p, 10000);
    s->p = NULL;
    if (status == -1)
        test_fail(__FILE__, __LINE__, "server did not stop on SIGTERM within 10 s (log %s)", s->log);
    if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
        /* The log goes with the test's directory: show its end now. */
        char *text = test_read_file(s->log);
        size_t n = text ? strlen(text) : 0;
        test_fail(__FILE__, __LINE__, "server exited with status %d (log %s):\n%s",
                  WIFEXITED(status) ? WEXITSTATUS(status) : -WTERMSIG(status), s->log,
                  text ? text + (n > 3000 ? n - 3000 : 0) : "");
    }
}

httpc_resp e2e_call(const e2e_server *s, const char *method, const char *path,
                    const char *const *headers, const char *body)
{
    char url[2048];
    snprintf(url, sizeof url, "http://127.0.0.1:%u%s", s->port, path);
    httpc_req req = {.method = method, .url = url, .headers = headers, .body = body,
                     .body_len = body ? strlen(body) : 0, .timeout_ms = 20000};
    httpc_resp r;
    httpc_do(&req, &r);
    return r;
}

cJSON *e2e_json(const httpc_resp *r)
{
    json_err e;
    cJSON *v = json_parse(r->body, r->body_len, &e);
    if (!v)
        test_fail(__FILE__, __LINE__, "answer (status %d) is not JSON: %s: %.300s", r->status,
                  e.msg, r->body);
    return v;
}

/* One request whose answer must have the given status; the caller frees it. */
static httpc_resp answer(const e2e_server *s, const char *method, const char *path,
                         const char *const *headers, const char *body, int status)
{
    httpc_resp r = e2e_call(s, method, path, headers, body);
    if (r.result != HTTPC_OK)
        test_fail(__FILE__, __LINE__, "%s %s: %s", method, path, r.error);
    if (r.status != status)
        test_fail(__FILE__, __LINE__, "%s %s: expected status %d, got %d: %.400s", method, path,
                  status, r.status, r.body);
    return r;
}

cJSON *e2e_expect(const e2e_server *s, const char *method, const char *path,
                  const char *const *headers, const char *body, int status, int expect_json)
{
    httpc_resp r = answer(s, method, path, headers, body, status);
    cJSON *v = expect_json ? e2e_json(&r) : NULL;
    httpc_resp_free(&r);
    return v;
}

void e2e_expect_text(const e2e_server *s, const char *method, const char *path,
                     const char *const *headers, const char *body, int status, const char *text)
{
    httpc_resp r = answer(s, method, path, headers, body, status);
    EXPECT_CONTAINS(r.body, text);
    httpc_resp_free(&r);
}

void e2e_faults(const e2e_server *s, const char *plan)
{
    cJSON_Delete(e2e_expect(s, "PUT", "/_mock/faults", NULL, plan, 200, 1));
}

cJSON *e2e_journal(const e2e_server *s)
{
    enum { PAGE = 10000 }; /* the most GET /_mock/journal gives at once */
    cJSON *all = cJSON_CreateArray();
    unsigned long long since = 0;
    for (int page = 0; page < 1000; page++) {
        char path[96];
        snprintf(path, sizeof path, "/_mock/journal?since=%llu&limit=%d", since, PAGE);
        cJSON *v = e2e_expect(s, "GET", path, NULL, NULL, 200, 1);
        cJSON *entries = cJSON_GetObjectItemCaseSensitive(v, "entries");
        const cJSON *next = cJSON_GetObjectItemCaseSensitive(v, "next");
        if (!cJSON_IsArray(entries) || !cJSON_IsNumber(next))
            test_fail(__FILE__, __LINE__, "GET %s: no entries or next", path);
        int n = cJSON_GetArraySize(entries);
        while (cJSON_GetArraySize(entries) > 0)
            cJSON_AddItemToArray(all, cJSON_DetachItemFromArray(entries, 0));
        since = (unsigned long long)next->valuedouble;
        cJSON_Delete(v);
        if (n < PAGE)
            break;
    }
    return all;
}

void e2e_sleep_ms(int ms)
{
    struct timespec ts = {ms / 1000, (long)(ms % 1000) * 1000000L};
    nanosleep(&ts, NULL);
}

int e2e_wait(int (*cond)(void *ud), void *ud, int timeout_ms)
{
    int64_t until = clock_mono_us() + (int64_t)timeout_ms * 1000;
    for (;;) {
        int v = cond(ud);
        if (v || clock_mono_us() >= until)
            return v;
        e2e_sleep_ms(20);
    }
}

httpd *e2e_listen(const char *method, const char *pattern, httpd_handler fn, void *ud,
                  unsigned threads)
{
    httpd *srv = httpd_new();
    httpd_route(srv, method, pattern, fn, ud);
    httpd_config cfg = {.port = 0, .threads = threads};
    char err[256];
    if (httpd_start(srv, &cfg, err, sizeof err) != 0)
        test_fail(__FILE__, __LINE__, "receiver on %s: %s", pattern, err);
    return srv;
}

void e2e_surge_free(e2e_surge_result *r)
{
    free(r->out);
    free(r->err);
}

char *e2e_read_in(const char *dir, const char *name)
{
    char *path = xasprintf("%s/%s", dir, name);
    char *text = test_read_file(path);
    if (!text)
        test_fail(__FILE__, __LINE__, "cannot read %s", path);
    free(path);
    return text;
}

cJSON *e2e_load_in(const char *dir, const char *name)
{
    char *text = e2e_read_in(dir, name);
    json_err e;
    cJSON *v = json_parse(text, strlen(text), &e);
    if (!v)
        test_fail(__FILE__, __LINE__, "%s/%s: %s", dir, name, e.msg);
    free(text);
    return v;
}

e2e_surge_result e2e_surge(const char *const *args)
{
    return e2e_surge_in(test_bin_dir(), args);
}

e2e_surge_result e2e_surge_release(const char *const *args)
{
    const char *rel = getenv("SURGE_RELEASE_BIN");
    return e2e_surge_in(rel && *rel ? rel : "bin", args);
}

e2e_surge_result e2e_surge_in(const char *dir, const char *const *args)
{
    static int calls;
    char bin[512], out[512], err[512];
    snprintf(bin, sizeof bin, "%s/surge", dir);
    snprintf(out, sizeof out, "%s/surge-%d.out", test_tmp_dir(), calls);
    snprintf(err, sizeof err, "%s/surge-%d.err", test_tmp_dir(), calls);
    calls++;
    const char *argv[40] = {bin};
    int n = 1;
    for (int i = 0; args[i] && n < 39; i++)
        argv[n++] = args[i];
    argv[n] = NULL;
    pid_t pid = fork();
    if (pid < 0)
        test_fail(__FILE__, __LINE__, "fork: %s", strerror(errno));
    if (pid == 0) {
        int fo = open(out, O_WRONLY | O_CREAT | O_TRUNC, 0644);
        int fe = open(err, O_WRONLY | O_CREAT | O_TRUNC, 0644);
        if (fo < 0 || fe < 0)
            _exit(127);
        dup2(fo, STDOUT_FILENO);
        dup2(fe, STDERR_FILENO);
        execv(bin, (char *const *)argv);
        _exit(127);
    }
    int status = 0;
    for (int waited = 0;; waited += 50) {
        pid_t got = waitpid(pid, &status, WNOHANG);
        if (got == pid)
            break;
        if (waited >= E2E_SURGE_LIMIT_S * 1000) {
            kill(pid, SIGKILL);
            waitpid(pid, &status, 0);
            test_fail(__FILE__, __LINE__, "surge did not finish within %d s (stderr in %s)",
                      E2E_SURGE_LIMIT_S, err);
        }
        e2e_sleep_ms(50);
    }
    e2e_surge_result r = {WIFEXITED(status) ? WEXITSTATUS(status) : -1, test_read_file(out),
                          test_read_file(err)};
    if (!r.out || !r.err)
        test_fail(__FILE__, __LINE__, "cannot read surge's output");
    return r;
}

double e2e_metric(const cJSON *summary, const char *name)
{
    double v = 0;
    if (measure_lookup(cJSON_GetObjectItemCaseSensitive(summary, "metrics"), name, &v) != 1)
        test_fail(__FILE__, __LINE__, "summary.json: metric %s is not a number", name);
    return v;
}


char *e2e_node(const char *script, const char *args, int *code)
{
    if (system("command -v node >/dev/null 2>&1") != 0)
        test_fail(__FILE__, __LINE__, "node not found: run scripts/deps.sh --test (make test does)");
    if (access(script, R_OK) != 0)
        test_fail(__FILE__, __LINE__, "%s not found (run the tests from the repository root)", script);
    char cmd[1400];
    snprintf(cmd, sizeof cmd, "node %s %s 2>&1", script, args);
    FILE *p = popen(cmd, "r");
    if (!p)
        test_fail(__FILE__, __LINE__, "cannot run: %s", cmd);
    size_t cap = 1 << 16, len = 0;
    char *out = xmalloc(cap);
    size_t n;
    while (len + 1 < cap && (n = fread(out + len, 1, cap - 1 - len, p)) > 0)
        len += n;
    out[len] = '\0';
    int st = pclose(p);
    *code = WIFEXITED(st) ? WEXITSTATUS(st) : -1;
    printf("%s", out);
    if (*code == 3)
        test_fail(__FILE__, __LINE__, "the npm test tools are missing (scripts/deps.sh --test): %s", out);
    return out;
}
