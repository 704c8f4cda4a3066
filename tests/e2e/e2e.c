/* End-to-end test helpers; see e2e.h. */
#include "e2e.h"

#include "json.h"

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>

void e2e_start(e2e_server *s, const char *prog, const char *const *args)
{
    memset(s, 0, sizeof *s);
    char path[512];
    snprintf(path, sizeof path, "%s/%s", test_bin_dir(), prog);
    snprintf(s->log, sizeof s->log, "%s/%s.log", test_tmp_dir(), prog);
    const char *argv[64] = {path, "--port", "0"};
    int n = 3;
    for (int i = 0; args && args[i] && n < 63; i++)
        argv[n++] = args[i];
    argv[n] = NULL;
    char err[512];
    if (proc_start((char *const *)argv, s->log, 1, 10000, &s->p, &s->port, err, sizeof err))
        test_fail(__FILE__, __LINE__, "cannot start %s: %s", prog, err);
}

void e2e_stop(e2e_server *s)
{
    if (!s->p)
        return;
    int status = proc_stop(s->p, 10000);
    s->p = NULL;
    if (status == -1)
        test_fail(__FILE__, __LINE__, "server did not stop on SIGTERM within 10 s (log %s)", s->log);
    if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
        test_fail(__FILE__, __LINE__, "server exited with status %d (log %s)",
                  WIFEXITED(status) ? WEXITSTATUS(status) : -WTERMSIG(status), s->log);
}

httpc_resp e2e_call(const e2e_server *s, const char *method, const char *path,
                    const char *const *headers, const char *body)
{
    char url[1024];
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

cJSON *e2e_expect(const e2e_server *s, const char *method, const char *path,
                  const char *const *headers, const char *body, int status, int expect_json)
{
    httpc_resp r = e2e_call(s, method, path, headers, body);
    if (r.result != HTTPC_OK)
        test_fail(__FILE__, __LINE__, "%s %s: %s", method, path, r.error);
    if (r.status != status)
        test_fail(__FILE__, __LINE__, "%s %s: expected status %d, got %d: %.400s", method, path,
                  status, r.status, r.body);
    cJSON *v = expect_json ? e2e_json(&r) : NULL;
    httpc_resp_free(&r);
    return v;
}
