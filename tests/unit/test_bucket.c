/* Rate limiters in simulated time: the Cin7 rolling window and the Shopify
 * leaky bucket, with exact waits, limit changes, time going backwards, a
 * randomized comparison with a brute-force model, and threads racing. */
#include "../runner.h"

#include "bucket.h"
#include "rng.h"

#include <math.h>
#include <pthread.h>
#include <stdlib.h>

/* ---- window limiter ----------------------------------------------------- */

TEST(bucket, window_burst_then_exact_wait)
{
    window_limiter *w = window_new(60, 60000);
    int64_t wait = -7;
    for (int i = 0; i < 60; i++)
        EXPECT_EQ_INT(window_take(w, 0, &wait), 1);
    EXPECT_EQ_INT(wait, -7); /* untouched on success */
    EXPECT_EQ_INT(window_used(w, 0), 60);
    EXPECT_EQ_INT(window_take(w, 0, &wait), 0);
    EXPECT_EQ_INT(wait, 60000);
    EXPECT_EQ_INT(window_used(w, 0), 60); /* a refusal is not a call */
    EXPECT_EQ_INT(window_take(w, 59999, &wait), 0);
    EXPECT_EQ_INT(wait, 1);
    EXPECT_EQ_INT(window_wait(w, 59999), 1);
    EXPECT_EQ_INT(window_used(w, 59999), 60);
    /* At 60000 the calls at 0 are out of (0, 60000]: a whole new window. */
    EXPECT_EQ_INT(window_wait(w, 60000), 0);
    EXPECT_EQ_INT(window_used(w, 60000), 0);
    for (int i = 0; i < 60; i++)
        EXPECT_EQ_INT(window_take(w, 60000, NULL), 1);
    EXPECT_EQ_INT(window_take(w, 60000, &wait), 0);
    EXPECT_EQ_INT(wait, 60000);
    window_free(w);
    window_free(NULL);
}

/* Calls taken together: all or none, and only when that many fit. */
TEST(bucket, window_takes_several_calls_together)
{
    window_limiter *w = window_new(3, 1000);
    int64_t wait = -7;
    EXPECT_EQ_INT(window_take(w, 100, NULL), 1);
    EXPECT_EQ_INT(window_take_n(w, 2, 200, &wait), 1);
    EXPECT_EQ_INT(window_used(w, 200), 3);
    /* Full: two more fit once both calls of 200 left, not when the one of
     * 100 did. */
    EXPECT_EQ_INT(window_take_n(w, 2, 300, &wait), 0);
    EXPECT_EQ_INT(wait, 900);
    EXPECT_EQ_INT(window_take_n(w, 2, 1100, &wait), 0);
    EXPECT_EQ_INT(wait, 100);
    EXPECT_EQ_INT(window_used(w, 1100), 2); /* a refusal takes nothing */
    EXPECT_EQ_INT(window_take(w, 1100, NULL), 1);
    EXPECT_EQ_INT(window_take_n(w, 2, 1200, &wait), 1);
    EXPECT_EQ_INT(window_used(w, 1200), 3);
    /* More than the limit never fits; below 1 counts as 1. */
    EXPECT_EQ_INT(window_take_n(w, 4, 90000, &wait), 0);
    EXPECT_EQ_INT(wait, BUCKET_NEVER);
    EXPECT_EQ_INT(window_take_n(w, 0, 90000, NULL), 1);
    EXPECT_EQ_INT(window_used(w, 90000), 1);
    window_free(w);
}

TEST(bucket, window_spread_calls_roll_out_one_by_one)
{
    window_limiter *w = window_new(3, 1000);
    int64_t wait = 0;
    EXPECT_EQ_INT(window_take(w, 0, &wait), 1);
    EXPECT_EQ_INT(window_take(w, 100, &wait), 1);
    EXPECT_EQ_INT(window_take(w, 200, &wait), 1);
    EXPECT_EQ_INT(window_take(w, 300, &wait), 0);
    EXPECT_EQ_INT(wait, 700);
    EXPECT_EQ_INT(window_take(w, 999, &wait), 0);
    EXPECT_EQ_INT(wait, 1);
    EXPECT_EQ_INT(window_used(w, 999), 3);
    EXPECT_EQ_INT(window_take(w, 1000, &wait), 1); /* the call at 0 left */
    EXPECT_EQ_INT(window_take(w, 1050, &wait), 0);
    EXPECT_EQ_INT(wait, 50); /* the call at 100 leaves at 1100 */
    EXPECT_EQ_INT(window_used(w, 1050), 3);
    EXPECT_EQ_INT(window_used(w, 1100), 2);
    EXPECT_EQ_INT(window_used(w, 1200), 1);
    EXPECT_EQ_INT(window_used(w, 2000), 0);
    window_free(w);

    /* Calls paced at exactly the allowed rate are never refused. */
    w = window_new(60, 60000);
    for (int64_t t = 0; t < 3600000; t += 1000)
        EXPECT_EQ_INT(window_take(w, t, NULL), 1);
    EXPECT_EQ_INT(window_used(w, 3599000), 60);
    window_free(w);
}

TEST(bucket, window_lower_limit_applies_at_once)
{
    window_limiter *w = window_new(10, 1000);
    int64_t wait = 0;
    for (int i = 0; i < 8; i++)
        EXPECT_EQ_INT(window_take(w, 0, NULL), 1);
    window_set_limit(w, 5);
    EXPECT_EQ_INT(window_take(w, 10, &wait), 0);
    EXPECT_EQ_INT(wait, 990);
    EXPECT_EQ_INT(window_used(w, 10), 8); /* over the lowered limit */
    /* Raising it back counts the same history: two more, not ten. */
    window_set_limit(w, 10);
    EXPECT_EQ_INT(window_take(w, 500, NULL), 1);
    EXPECT_EQ_INT(window_take(w, 500, NULL), 1);
    EXPECT_EQ_INT(window_take(w, 500, &wait), 0);
    EXPECT_EQ_INT(wait, 500);
    /* Lowered again at 1000: the calls at 0 have left, the two at 500
     * remain, so a limit of 3 allows one. */
    window_set_limit(w, 3);
    EXPECT_EQ_INT(window_take(w, 1000, NULL), 1);
    EXPECT_EQ_INT(window_take(w, 1000, &wait), 0);
    EXPECT_EQ_INT(wait, 500);
    window_free(w);
}

TEST(bucket, window_raise_beyond_first_limit_keeps_order)
{
    /* Wrap the ring first, then grow it: the unrolled history must stay in
     * order for the waits to come out right. */
    window_limiter *w = window_new(3, 100);
    int64_t wait = 0;
    EXPECT_EQ_INT(window_take(w, 0, NULL), 1);
    EXPECT_EQ_INT(window_take(w, 1, NULL), 1);
    EXPECT_EQ_INT(window_take(w, 2, NULL), 1);
    EXPECT_EQ_INT(window_take(w, 100, NULL), 1);
    EXPECT_EQ_INT(window_take(w, 101, NULL), 1);
    EXPECT_EQ_INT(window_take(w, 101, &wait), 0);
    EXPECT_EQ_INT(wait, 1);
    window_set_limit(w, 6);
    EXPECT_EQ_INT(window_used(w, 150), 2); /* 100 and 101; 2 has left */
    for (int i = 0; i < 4; i++)
        EXPECT_EQ_INT(window_take(w, 150, NULL), 1);
    EXPECT_EQ_INT(window_take(w, 150, &wait), 0);
    EXPECT_EQ_INT(wait, 50); /* the 6th newest is the call at 100 */
    EXPECT_EQ_INT(window_wait(w, 199), 1);
    EXPECT_EQ_INT(window_take(w, 200, NULL), 1);
    EXPECT_EQ_INT(window_take(w, 200, &wait), 0);
    EXPECT_EQ_INT(wait, 1); /* then the one at 101 */
    EXPECT_EQ_INT(window_used(w, 200), 6);
    window_free(w);
}

TEST(bucket, window_limit_zero_and_bad_arguments)
{
    EXPECT_TRUE(window_new(-1, 1000) == NULL);
    EXPECT_TRUE(window_new(5, 0) == NULL);
    window_limiter *w = window_new(0, 1000);
    int64_t wait = 0;
    EXPECT_EQ_INT(window_take(w, 0, &wait), 0);
    EXPECT_EQ_INT(wait, BUCKET_NEVER);
    EXPECT_EQ_INT(window_wait(w, 0), BUCKET_NEVER);
    window_set_limit(w, 2); /* grows from the placeholder ring */
    EXPECT_EQ_INT(window_take(w, 0, NULL), 1);
    EXPECT_EQ_INT(window_take(w, 0, NULL), 1);
    EXPECT_EQ_INT(window_take(w, 0, &wait), 0);
    EXPECT_EQ_INT(wait, 1000);
    window_set_limit(w, -3); /* counts as 0 */
    EXPECT_EQ_INT(window_wait(w, 5000), BUCKET_NEVER);
    EXPECT_EQ_INT(window_used(w, 500), 0); /* 5000 was seen already */
    window_free(w);
}

TEST(bucket, window_time_going_backwards)
{
    window_limiter *w = window_new(2, 1000);
    int64_t wait = 0;
    EXPECT_EQ_INT(window_take(w, 1000, NULL), 1);
    EXPECT_EQ_INT(window_take(w, 1500, NULL), 1);
    EXPECT_EQ_INT(window_take(w, 500, &wait), 0); /* taken as 1500 */
    EXPECT_EQ_INT(wait, 500);
    EXPECT_EQ_INT(window_used(w, 0), 2);
    EXPECT_EQ_INT(window_wait(w, -1000000), 500);
    EXPECT_EQ_INT(window_take(w, 2000, NULL), 1);
    window_free(w);

    /* A permit granted with a stale time is recorded at the latest time
     * seen, so it stays in the window for a whole window from then. */
    w = window_new(3, 1000);
    EXPECT_EQ_INT(window_take(w, 1000, NULL), 1);
    EXPECT_EQ_INT(window_take(w, 400, NULL), 1);
    EXPECT_EQ_INT(window_used(w, 1999), 2);
    EXPECT_EQ_INT(window_used(w, 2000), 0);
    window_free(w);
}

/* The brute-force model: every permit ever granted, scanned each time. */
typedef struct {
    int64_t *ts;
    size_t n;
    int limit;
    int64_t window, last;
} window_model;

static int model_in_window(const window_model *m, int64_t now, int64_t *oldest_needed)
{
    int c = 0;
    for (size_t i = m->n; i-- > 0;) {
        if (m->ts[i] <= now - m->window)
            break;
        c++;
        if (c == m->limit && oldest_needed)
            *oldest_needed = m->ts[i];
    }
    return c;
}

static int64_t model_wait(const window_model *m, int64_t now)
{
    if (m->limit == 0)
        return BUCKET_NEVER;
    int64_t t = 0;
    int c = model_in_window(m, now, &t);
    return c < m->limit ? 0 : t + m->window - now;
}

TEST(bucket, window_matches_brute_force_model)
{
    enum { OPS = 200000 };
    rng r;
    rng_seed(&r, 42);
    window_model m = {calloc(OPS, sizeof(int64_t)), 0, 7, 500, INT64_MIN};
    window_limiter *w = window_new(m.limit, m.window);
    int64_t now = 0;
    for (int op = 0; op < OPS; op++) {
        /* Mostly forward in small steps, sometimes a jump, sometimes back. */
        uint64_t k = rng_below(&r, 100);
        int64_t t = now;
        if (k < 80)
            t = now + (int64_t)rng_below(&r, 40);
        else if (k < 85)
            t = now + (int64_t)rng_below(&r, 2000);
        else if (k < 90)
            t = now - (int64_t)rng_below(&r, 300);
        now = t > now ? t : now;
        /* What the limiter will take t as; set_limit passes no time. */
        int64_t eff = t > m.last ? t : m.last;

        k = rng_below(&r, 100);
        if (k < 97)
            m.last = eff;
        if (k < 70) {
            int64_t wait = -9, want = model_wait(&m, eff);
            int got = window_take(w, t, &wait);
            EXPECT_EQ_INT(got, want == 0);
            if (got)
                m.ts[m.n++] = eff;
            else
                EXPECT_EQ_INT(wait, want);
        } else if (k < 85) {
            EXPECT_EQ_INT(window_used(w, t), model_in_window(&m, eff, NULL));
        } else if (k < 97) {
            EXPECT_EQ_INT(window_wait(w, t), model_wait(&m, eff));
        } else {
            m.limit = (int)rng_below(&r, 30);
            window_set_limit(w, m.limit);
        }
    }
    EXPECT_GT_INT(m.n, 1000); /* the run really exercised permits */
    window_free(w);
    free(m.ts);
}

/* ---- leaky bucket ------------------------------------------------------- */

TEST(bucket, leaky_shopify_standard_plan)
{
    leaky_bucket *b = leaky_new(40, 2);
    int64_t wait = -7;
    for (int i = 0; i < 40; i++)
        EXPECT_EQ_INT(leaky_take(b, 0, 1, &wait), 1);
    EXPECT_EQ_INT(wait, -7); /* untouched on success */
    EXPECT_NEAR(leaky_level(b, 0), 40, 0);
    EXPECT_NEAR(leaky_size(b), 40, 0);
    EXPECT_EQ_INT(leaky_take(b, 0, 1, &wait), 0);
    EXPECT_EQ_INT(wait, 500);
    EXPECT_EQ_INT(leaky_wait(b, 0, 1), 500);
    EXPECT_EQ_INT(leaky_wait(b, 0, 4), 2000);
    EXPECT_EQ_INT(leaky_take(b, 499, 1, &wait), 0);
    EXPECT_EQ_INT(wait, 1);
    EXPECT_EQ_INT(leaky_take(b, 500, 1, &wait), 1);
    EXPECT_EQ_INT(leaky_take(b, 500, 1, &wait), 0);
    EXPECT_EQ_INT(wait, 500);
    EXPECT_NEAR(leaky_level(b, 500), 40, 1e-9);
    leaky_free(b);
    leaky_free(NULL);
}

TEST(bucket, leaky_level_leaks_and_never_goes_below_zero)
{
    leaky_bucket *b = leaky_new(40, 2);
    EXPECT_NEAR(leaky_level(b, 0), 0, 0);
    for (int i = 0; i < 40; i++)
        leaky_take(b, 1000, 1, NULL);
    EXPECT_NEAR(leaky_level(b, 1000), 40, 0);
    EXPECT_NEAR(leaky_level(b, 6000), 30, 1e-9);
    EXPECT_NEAR(leaky_available(b, 6000), 10, 1e-9);
    EXPECT_NEAR(leaky_level(b, 6250), 29.5, 1e-9);
    EXPECT_NEAR(leaky_level(b, 21000), 0, 1e-9);
    EXPECT_NEAR(leaky_level(b, 100000), 0, 0);
    EXPECT_NEAR(leaky_available(b, 100000), 40, 0);
    /* The idle time does not bank credit: the bucket starts from empty. */
    for (int i = 0; i < 40; i++)
        EXPECT_EQ_INT(leaky_take(b, 100000, 1, NULL), 1);
    EXPECT_EQ_INT(leaky_take(b, 100000, 1, NULL), 0);
    /* Zero and negative costs always fit a bucket that is not over-full. */
    EXPECT_EQ_INT(leaky_take(b, 100000, 0, NULL), 1);
    EXPECT_EQ_INT(leaky_take(b, 100000, -5, NULL), 1);
    EXPECT_EQ_INT(leaky_wait(b, 100000, 0), 0);
    EXPECT_NEAR(leaky_level(b, 100000), 40, 0);
    leaky_free(b);
}

TEST(bucket, leaky_graphql_cost)
{
    /* Shopify GraphQL: 2000 points, restored at 100 a second. */
    leaky_bucket *b = leaky_new(2000, 100);
    int64_t wait = 0;
    EXPECT_NEAR(leaky_available(b, 0), 2000, 0);
    EXPECT_EQ_INT(leaky_take(b, 0, 1000, &wait), 1);
    EXPECT_NEAR(leaky_available(b, 0), 1000, 0);
    EXPECT_EQ_INT(leaky_take(b, 0, 1000, &wait), 1);
    EXPECT_EQ_INT(leaky_take(b, 0, 1000, &wait), 0);
    EXPECT_EQ_INT(wait, 10000);
    EXPECT_NEAR(leaky_available(b, 2500), 250, 1e-9);
    EXPECT_EQ_INT(leaky_take(b, 2500, 500, &wait), 0);
    EXPECT_EQ_INT(wait, 2500);
    EXPECT_EQ_INT(leaky_wait(b, 2500, 250), 0);
    EXPECT_EQ_INT(leaky_wait(b, 2500, 251), 10);
    EXPECT_EQ_INT(leaky_wait(b, 2500, 250.05), 1); /* 0.5 ms, rounded up */
    EXPECT_EQ_INT(leaky_take(b, 5000, 500, &wait), 1);
    /* A cost above the whole bucket can never be served. */
    EXPECT_EQ_INT(leaky_take(b, 5000, 2001, &wait), 0);
    EXPECT_EQ_INT(wait, BUCKET_NEVER);
    EXPECT_EQ_INT(leaky_wait(b, 1000000, 2001), BUCKET_NEVER);
    EXPECT_EQ_INT(leaky_take(b, 1000000, 2000, &wait), 1);
    leaky_free(b);
}

TEST(bucket, leaky_refund_returns_unused_cost)
{
    leaky_bucket *b = leaky_new(1000, 50);
    /* Reserve the requested cost, then give back requested - actual. */
    EXPECT_EQ_INT(leaky_take(b, 0, 800, NULL), 1);
    EXPECT_EQ_INT(leaky_take(b, 0, 800, NULL), 0);
    leaky_refund(b, 800 - 150);
    EXPECT_NEAR(leaky_level(b, 0), 150, 1e-9);
    EXPECT_NEAR(leaky_available(b, 0), 850, 1e-9);
    EXPECT_EQ_INT(leaky_take(b, 0, 800, NULL), 1);
    leaky_refund(b, -100); /* ignored */
    EXPECT_NEAR(leaky_level(b, 0), 950, 1e-9);
    leaky_refund(b, 5000); /* not below 0 */
    EXPECT_NEAR(leaky_level(b, 0), 0, 0);
    EXPECT_NEAR(leaky_level(b, 1000), 0, 0);
    leaky_free(b);
}

TEST(bucket, leaky_observe_adopts_server_figures)
{
    /* The client's own bucket is empty; the server says 39/40. */
    leaky_bucket *b = leaky_new(40, 2);
    int64_t wait = 0;
    leaky_observe(b, 1000, 39, 40);
    EXPECT_NEAR(leaky_level(b, 1000), 39, 0);
    EXPECT_EQ_INT(leaky_take(b, 1000, 1, NULL), 1);
    EXPECT_EQ_INT(leaky_take(b, 1000, 1, &wait), 0);
    EXPECT_EQ_INT(wait, 500);
    /* The time before the response is not leaked again from the adopted
     * level; only time after it. */
    leaky_observe(b, 2000, 10, 40);
    EXPECT_NEAR(leaky_level(b, 2000), 10, 0);
    EXPECT_NEAR(leaky_level(b, 3000), 8, 1e-9);
    /* A plan upgrade shows up as a bigger size. */
    leaky_observe(b, 3000, 41, 80);
    EXPECT_NEAR(leaky_size(b), 80, 0);
    EXPECT_EQ_INT(leaky_take(b, 3000, 39, NULL), 1);
    EXPECT_EQ_INT(leaky_take(b, 3000, 1, NULL), 0);
    /* No size in the header keeps ours; a negative used counts as 0. */
    leaky_observe(b, 3000, -4, 0);
    EXPECT_NEAR(leaky_size(b), 80, 0);
    EXPECT_NEAR(leaky_level(b, 3000), 0, 0);
    /* A stale response (time behind) still sets the level. */
    leaky_observe(b, 100, 30, 80);
    EXPECT_NEAR(leaky_level(b, 3000), 30, 0);
    EXPECT_NEAR(leaky_level(b, 4000), 28, 1e-9);
    leaky_free(b);
}

TEST(bucket, leaky_set_changes_size_and_rate)
{
    leaky_bucket *b = leaky_new(40, 2);
    int64_t wait = 0;
    for (int i = 0; i < 40; i++)
        leaky_take(b, 0, 1, NULL);
    /* A throttle fault halves the bucket: it is over-full and refuses until
     * it drains below the new size. */
    leaky_set(b, 20, 2);
    EXPECT_NEAR(leaky_size(b), 20, 0);
    EXPECT_NEAR(leaky_level(b, 0), 40, 0);
    EXPECT_NEAR(leaky_available(b, 0), 0, 0);
    EXPECT_EQ_INT(leaky_take(b, 0, 1, &wait), 0);
    EXPECT_EQ_INT(wait, 10500);
    EXPECT_EQ_INT(leaky_take(b, 0, 0, &wait), 0); /* even a free call */
    EXPECT_EQ_INT(wait, 10000);
    EXPECT_EQ_INT(leaky_take(b, 10500, 1, NULL), 1);
    /* Back to normal with a faster leak (Shopify Plus: 80, 4/s). */
    leaky_set(b, 80, 4);
    EXPECT_NEAR(leaky_level(b, 11500), 16, 1e-9);
    /* Values out of range leave that setting alone. */
    leaky_set(b, -1, -1);
    leaky_set(b, NAN, NAN);
    EXPECT_NEAR(leaky_size(b), 80, 0);
    EXPECT_NEAR(leaky_level(b, 12500), 12, 1e-9);
    leaky_set(b, 0, 0); /* size kept, leak stopped */
    EXPECT_NEAR(leaky_size(b), 80, 0);
    EXPECT_NEAR(leaky_level(b, 20000), 12, 1e-9);
    EXPECT_EQ_INT(leaky_take(b, 20000, 68, NULL), 1);
    EXPECT_EQ_INT(leaky_wait(b, 20000, 1), BUCKET_NEVER); /* no leak, full */
    leaky_free(b);
}

TEST(bucket, leaky_bad_arguments_and_backwards_time)
{
    EXPECT_TRUE(leaky_new(0, 2) == NULL);
    EXPECT_TRUE(leaky_new(-1, 2) == NULL);
    EXPECT_TRUE(leaky_new(40, -1) == NULL);
    EXPECT_TRUE(leaky_new(NAN, 2) == NULL);
    EXPECT_TRUE(leaky_new(INFINITY, 2) == NULL);
    leaky_bucket *b = leaky_new(40, 2);
    for (int i = 0; i < 40; i++)
        leaky_take(b, 1000, 1, NULL);
    EXPECT_NEAR(leaky_level(b, 500), 40, 0); /* taken as 1000 */
    EXPECT_EQ_INT(leaky_wait(b, -5000, 1), 500);
    EXPECT_NEAR(leaky_level(b, 1500), 39, 1e-9);
    EXPECT_EQ_INT(leaky_take(b, 1200, 1, NULL), 1); /* taken as 1500 */
    EXPECT_EQ_INT(leaky_take(b, 1200, 1, NULL), 0);
    leaky_free(b);
}

TEST(bucket, leaky_waits_are_exact_milliseconds)
{
    /* A leak of 3/s is not a whole number per millisecond. Costs in
     * thousandths make an integer model exact: level in milli-units leaks 3
     * per ms, so the wait is ceil(over / 3). Each reported wait must be the
     * least that works: refused one ms earlier, let in at the wait. */
    leaky_bucket *b = leaky_new(10, 3);
    int64_t size = 10000, level = 0, now = 0;
    rng r;
    rng_seed(&r, 9);
    int refused = 0;
    for (int i = 0; i < 20000; i++) {
        int64_t cost = 500 + (int64_t)rng_below(&r, 2501); /* 0.5 .. 3.0 */
        int64_t over = level + cost - size;
        int64_t want = over <= 0 ? 0 : (over + 2) / 3;
        int64_t wait = -1;
        int ok = leaky_take(b, now, (double)cost / 1000.0, &wait);
        EXPECT_EQ_INT(ok, want == 0);
        if (!ok) {
            refused++;
            EXPECT_EQ_INT(wait, want);
            if (want > 1)
                EXPECT_GT_INT(leaky_wait(b, now + want - 1, (double)cost / 1000.0), 0);
            now += want;
            level -= 3 * want;
            level = level < 0 ? 0 : level;
            EXPECT_EQ_INT(leaky_take(b, now, (double)cost / 1000.0, NULL), 1);
        }
        level += cost;
        /* Idle a little now and then, leaking in the model too. */
        int64_t idle = (int64_t)rng_below(&r, 4) == 0 ? (int64_t)rng_below(&r, 700) : 0;
        now += idle;
        level -= 3 * idle;
        level = level < 0 ? 0 : level;
        EXPECT_NEAR(leaky_level(b, now), level / 1000.0, 1e-6);
    }
    EXPECT_GT_INT(refused, 1000);
    leaky_free(b);
}

/* ---- threads ------------------------------------------------------------ */

enum { THREADS = 4, ATTEMPTS = 1000 };

typedef struct {
    pthread_barrier_t *start;
    window_limiter *w;
    leaky_bucket *b;
    int permitted;
} racer;

static void *race(void *arg)
{
    racer *r = arg;
    pthread_barrier_wait(r->start);
    for (int i = 0; i < ATTEMPTS; i++) {
        if (r->w)
            r->permitted += window_take(r->w, 0, NULL);
        else
            r->permitted += leaky_take(r->b, 0, 1, NULL);
    }
    return NULL;
}

/* Runs THREADS racers on one limiter; returns the permits granted. */
static int race_all(window_limiter *w, leaky_bucket *b)
{
    pthread_barrier_t start;
    pthread_barrier_init(&start, NULL, THREADS);
    pthread_t th[THREADS];
    racer rs[THREADS];
    for (int i = 0; i < THREADS; i++) {
        rs[i] = (racer){&start, w, b, 0};
        EXPECT_EQ_INT(pthread_create(&th[i], NULL, race, &rs[i]), 0);
    }
    int total = 0;
    for (int i = 0; i < THREADS; i++) {
        pthread_join(th[i], NULL);
        total += rs[i].permitted;
    }
    pthread_barrier_destroy(&start);
    return total;
}

TEST(bucket, threads_leaky_permit_exactly_size)
{
    leaky_bucket *b = leaky_new(1000, 2);
    EXPECT_EQ_INT(race_all(NULL, b), 1000);
    EXPECT_NEAR(leaky_level(b, 0), 1000, 0);
    leaky_free(b);
}

TEST(bucket, threads_window_permit_exactly_limit)
{
    window_limiter *w = window_new(1000, 60000);
    EXPECT_EQ_INT(race_all(w, NULL), 1000);
    EXPECT_EQ_INT(window_used(w, 0), 1000);
    window_free(w);
}
