/*
 * Physical bounds; see bounds.h. Each API is a server with the mocks' own
 * limiter (lib/bucket.h) that takes calls one after another: a call is made
 * at the later of when it is ready and when the previous call was made, or
 * as soon after as the limiter allows.
 */
#include "bounds.h"

#include "bucket.h"

#include <limits.h>

bounds_limits bounds_default_limits(void)
{
    return (bounds_limits){.cin7_calls = 60,
                           .cin7_window_ms = 60000,
                           .shopify_bucket = 2000,
                           .shopify_restore_per_s = 100};
}

/* One API serving calls in order: a limiter (either kind, or none when
 * unlimited) and when its last call was made. */
typedef struct {
    window_limiter *win;
    leaky_bucket *bucket;
    double cost;
    int64_t last;
} server;

static int server_open(server *s, const bounds_limits *lim, int shopify)
{
    *s = (server){.last = INT64_MIN, .cost = BOUNDS_WRITE_COST};
    if (!shopify && lim->cin7_calls > 0) {
        int calls = lim->cin7_calls > INT_MAX ? INT_MAX : (int)lim->cin7_calls;
        s->win = window_new(calls, lim->cin7_window_ms > 0 ? lim->cin7_window_ms : 1);
        return s->win ? 0 : -1;
    }
    if (shopify && lim->shopify_bucket > 0) {
        s->bucket = leaky_new(lim->shopify_bucket, lim->shopify_restore_per_s);
        return s->bucket ? 0 : -1;
    }
    return 0;
}

static void server_close(server *s)
{
    window_free(s->win);
    leaky_free(s->bucket);
}

/* The earliest moment at or after t (and after the last call) the limiter
 * takes a call, without making it; -1 when it never does. */
static int64_t server_next(server *s, int64_t t)
{
    int64_t now = t > s->last ? t : s->last;
    for (;;) {
        int64_t wait = s->win      ? window_wait(s->win, now)
                       : s->bucket ? leaky_wait(s->bucket, now, s->cost)
                                   : 0;
        if (wait == 0)
            return now;
        if (wait == BUCKET_NEVER || wait < 0)
            return -1;
        now += wait;
    }
}

/* Makes a call at now, a moment server_next gave. */
static void server_take(server *s, int64_t now)
{
    if (s->win)
        (void)window_take(s->win, now, NULL);
    else if (s->bucket)
        (void)leaky_take(s->bucket, now, s->cost, NULL);
    s->last = now;
}

/* Makes one call ready at t: returns when it is made, or -1 when the
 * limiter never takes it. */
static int64_t server_call(server *s, int64_t t)
{
    int64_t now = server_next(s, t);
    if (now >= 0)
        server_take(s, now);
    return now;
}

/* The pushes of the orders paid at paid[] through Cin7; sets done[i] to
 * when order i's last call was made. Returns 0 or -1 (never served). */
static int serve_push(server *c7, int64_t paid, int64_t *done)
{
    for (int c = 0; c < BOUNDS_PUSH_CALLS; c++)
        if ((*done = server_call(c7, paid)) < 0)
            return -1;
    return 0;
}

static void fill(int64_t *latency, size_t n, int64_t v)
{
    for (size_t i = 0; i < n; i++)
        latency[i] = v;
}

int bounds_push(const bounds_limits *lim, const int64_t *paid, size_t n, int64_t *latency)
{
    server c7;
    int rc = server_open(&c7, lim, 0);
    for (size_t i = 0; i < n && rc == 0; i++) {
        int64_t done = 0;
        rc = serve_push(&c7, paid[i], &done);
        latency[i] = done - paid[i];
    }
    server_close(&c7);
    if (rc != 0)
        fill(latency, n, -1);
    return rc;
}

int bounds_propagation(const bounds_limits *lim, const int64_t *paid, size_t n_paid,
                       const int64_t *changes, size_t n_changes, int64_t *latency)
{
    server c7, shop;
    int rc = server_open(&c7, lim, 0);
    if (rc == 0)
        rc = server_open(&shop, lim, 1);
    else
        shop = (server){0};
    /* Cin7 takes one call at a time: a read when one is waiting, else the
     * next call of the oldest push waiting; nothing when neither is. */
    size_t i = 0, j = 0;
    int calls_left = BOUNDS_PUSH_CALLS; /* of order i */
    while (rc == 0 && j < n_changes) {
        int64_t ready = i < n_paid && paid[i] < changes[j] ? paid[i] : changes[j];
        int64_t at = server_next(&c7, ready);
        if (at < 0) {
            rc = -1;
            break;
        }
        server_take(&c7, at);
        if (changes[j] <= at) {
            int64_t written = server_call(&shop, at);
            if (written < 0)
                rc = -1;
            latency[j] = written - changes[j];
            j++;
        } else if (--calls_left == 0) {
            i++;
            calls_left = BOUNDS_PUSH_CALLS;
        }
    }
    server_close(&c7);
    server_close(&shop);
    if (rc != 0)
        fill(latency, n_changes, -1);
    return rc;
}
