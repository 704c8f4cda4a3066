/* Outbound calls with gate, policy and metrics; see outbound.h. */
#include "outbound.h"

#include "log.h"
#include "rng.h"

#include <pthread.h>
#include <stdio.h>
#include <string.h>

/* Retry jitter: one stream per thread, all derived from the run's seed,
 * the n-th thread to draw taking stream n. */
static uint64_t jitter_seed;
static _Atomic uint64_t jitter_streams;
static _Thread_local rng jitter;
static _Thread_local int jitter_ready;

void outbound_seed(uint64_t seed)
{
    jitter_seed = seed;
}

rng *outbound_rng(void)
{
    if (!jitter_ready) {
        rng_derive(&jitter, jitter_seed, ++jitter_streams);
        jitter_ready = 1;
    }
    return &jitter;
}

static policy_net net_of(httpc_result r)
{
    switch (r) {
    case HTTPC_OK: return POLICY_NET_ANSWERED;
    case HTTPC_ERR_CONNECT: return POLICY_NET_UNSENT;
    case HTTPC_ERR_TIMEOUT: return POLICY_NET_TIMEOUT;
    case HTTPC_ERR_RESET: return POLICY_NET_RESET;
    case HTTPC_ERR_OTHER: break;
    }
    return POLICY_NET_BROKEN;
}

static void count(outbound *o, const char *what)
{
    char name[128];
    snprintf(name, sizeof name, "syncd_%s_total{system=\"%s\"}", what, o->system);
    metrics_inc(o->m, name, 1);
}

/* This thread's permits taken ahead (outbound_reserve): for calls
 * through the gate reserved_gate. */
static _Thread_local const gate *reserved_gate;
static _Thread_local int reserved;

int outbound_reserve(outbound *o, int prio, int calls)
{
    outbound_reserve_drop();
    if (!o->gate || calls < 2 || gate_acquire(o->gate, prio, calls) != 0)
        return -1;
    reserved_gate = o->gate;
    reserved = calls;
    return 0;
}

void outbound_reserve_drop(void)
{
    reserved_gate = NULL;
    reserved = 0;
}

/* A permit for a try through o: one reserved ahead on this thread for a
 * first try, else the gate's. 0, or -1 when the gate was stopped. */
static int permit(outbound *o, int prio, double cost, int attempt)
{
    if (!o->gate)
        return 0;
    if (attempt == 1 && reserved > 0 && reserved_gate == o->gate) {
        reserved--;
        return 0;
    }
    return gate_acquire(o->gate, prio, cost);
}

/* This thread's send guard (outbound_guard). */
static _Thread_local int (*guard_fn)(void *ud);
static _Thread_local void *guard_ud;

void outbound_guard(int (*fn)(void *ud), void *ud)
{
    guard_fn = fn;
    guard_ud = fn ? ud : NULL;
}

void outbound_call(outbound *o, const httpc_req *req, int prio, int idempotent, double cost,
                   outcome *out)
{
    memset(out, 0, sizeof *out);
    httpc_req r = *req;
    double real = clock_real_ms(o->clk, o->timeout_ms);
    r.timeout_ms = (long)(real > 50 ? real : 50);
    r.connect_timeout_ms = r.timeout_ms < 2000 ? r.timeout_ms : 2000;
    int max = o->inline_attempts > 0 ? o->inline_attempts : 1;
    for (int attempt = 1;; attempt++) {
        out->attempts = attempt;
        if (permit(o, prio, cost, attempt) != 0) {
            out->action = POLICY_GIVE_UP;
            snprintf(out->error, sizeof out->error, "%s: shutting down", o->system);
            return;
        }
        if (guard_fn && guard_fn(guard_ud) != 0) {
            out->action = POLICY_RETRY;
            snprintf(out->error, sizeof out->error, "%s: not sent: the write was taken over",
                     o->system);
            return;
        }
        out->sent_at = clock_now_ms(o->clk);
        int64_t t0 = clock_mono_us();
        httpc_do(&r, &out->resp);
        char lat[96];
        snprintf(lat, sizeof lat, "syncd_api_latency_ms{system=\"%s\"}", o->system);
        metrics_observe_ms(o->m, lat, (double)(clock_mono_us() - t0) / 1000.0);
        count(o, "api_calls");
        if (out->resp.result == HTTPC_OK && o->observe)
            o->observe(o->observe_ud, &out->resp);
        policy_outcome po = {net_of(out->resp.result), out->resp.status, retry_after_ms(&out->resp)};
        if (out->resp.status == 429)
            count(o, "http_429");
        if (out->resp.result == HTTPC_OK && (out->resp.status == 429 || out->resp.status == 503) &&
            o->gate)
            gate_pause(o->gate, po.retry_after_ms >= 0 ? po.retry_after_ms : 1000);
        int64_t wait = 0;
        policy_action a = policy_decide(&o->pol, attempt, &po, idempotent, outbound_rng(), &wait);
        if (a == POLICY_DONE) {
            out->action = a;
            return;
        }
        if (out->resp.result == HTTPC_OK)
            snprintf(out->error, sizeof out->error, "%s %s answered %d: %.200s", r.method ? r.method : "GET",
                     r.url, out->resp.status, out->resp.body);
        else
            snprintf(out->error, sizeof out->error, "%s", out->resp.error);
        if (a == POLICY_PERMANENT || a == POLICY_GIVE_UP || a == POLICY_LOOKUP ||
            attempt >= max || wait > o->inline_wait_cap) {
            out->action = a;
            out->wait_ms = wait;
            return;
        }
        count(o, "retries");
        log_debug("%s: retrying in %lld ms: %s", o->system, (long long)wait, out->error);
        httpc_resp_free(&out->resp);
        sclock c = *o->clk;
        clock_sleep_ms(&c, wait);
    }
}

void outbound_done(outcome *out)
{
    httpc_resp_free(&out->resp);
}
