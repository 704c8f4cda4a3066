/* The harness's HTTP calls; see hcall.h. */
#include "hcall.h"

#include "httpc.h"
#include "json.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static void nap_real_ms(int ms)
{
    struct timespec ts = {ms / 1000, (long)(ms % 1000) * 1000000L};
    nanosleep(&ts, NULL);
}

int hcall_get_json(const char *url, const char *auth, cJSON **body)
{
    char hdr[160];
    const char *headers[] = {hdr, NULL};
    if (auth)
        snprintf(hdr, sizeof hdr, "Authorization: Bearer %s", auth);
    httpc_req req = {.url = url, .headers = auth ? headers : NULL, .timeout_ms = 10000};
    httpc_resp r;
    httpc_do(&req, &r);
    if (body)
        *body = r.result == HTTPC_OK ? json_parse(r.body, r.body_len, NULL) : NULL;
    int status = r.result == HTTPC_OK ? r.status : 0;
    httpc_resp_free(&r);
    return status;
}

int hcall_send_json(const char *method, const char *url, const cJSON *v, char *answer, size_t n)
{
    char *text = json_print(v);
    const char *headers[] = {"Content-Type: application/json", NULL};
    httpc_req req = {.method = method, .url = url, .headers = headers, .body = text,
                     .body_len = strlen(text), .timeout_ms = 10000, .idempotent = 1};
    httpc_resp r;
    httpc_do(&req, &r);
    snprintf(answer, n, "%.300s", r.result == HTTPC_OK ? r.body : r.error);
    int status = r.result == HTTPC_OK ? r.status : 0;
    httpc_resp_free(&r);
    free(text);
    return status;
}

int hcall_wait_healthy(const char *url, int timeout_ms, proc *p, const volatile sig_atomic_t *interrupted)
{
    for (int waited = 0; waited < timeout_ms && !(interrupted && *interrupted); waited += 50) {
        if (hcall_get_json(url, NULL, NULL) == 200)
            return 0;
        if (p && proc_wait(p, 0, NULL))
            return -1; /* it exited */
        nap_real_ms(50);
    }
    return -1;
}

