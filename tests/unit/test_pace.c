/* The pace of calls learnt from an API's refusals (engine/core/pace.h) and
 * the shares of a gate's permits by priority (engine/core/share.h), on
 * hand-made sequences of answers and waiting classes. */
#include "../runner.h"

#include "bucket.h"
#include "pace.h"
#include "share.h"

#define MIN 60000 /* Cin7's window, sim ms */

static pace started(double ceiling, int64_t now)
{
    pace_config c = {ceiling, PACE_FLOOR, PACE_STEP, PACE_CUT, MIN};
    pace p;
    pace_init(&p, &c, now);
    return p;
}

TEST(pace, answers_by_status)
{
    EXPECT_EQ_INT(pace_answer_of(503), PACE_LIMITED); /* Cin7's documented answer */
    EXPECT_EQ_INT(pace_answer_of(429), PACE_LIMITED);
    EXPECT_EQ_INT(pace_answer_of(200), PACE_CLEAN);
    EXPECT_EQ_INT(pace_answer_of(404), PACE_CLEAN);
    EXPECT_EQ_INT(pace_answer_of(400), PACE_CLEAN);
    EXPECT_EQ_INT(pace_answer_of(500), PACE_NONE);
    EXPECT_EQ_INT(pace_answer_of(502), PACE_NONE);
    /* A 429 and a 503 cut alike. */
    pace a = started(55, 0), b = started(55, 0);
    EXPECT_EQ_INT(pace_on_answer(&a, pace_answer_of(429), 1000), PACE_CUT_DOWN);
    EXPECT_EQ_INT(pace_on_answer(&b, pace_answer_of(503), 1000), PACE_CUT_DOWN);
    EXPECT_NEAR(a.rate, 27.5, 1e-9);
    EXPECT_NEAR(b.rate, 27.5, 1e-9);
    /* A 500 says nothing: no cut, and it does not count as clean. */
    pace c = started(55, 0);
    EXPECT_EQ_INT(pace_on_answer(&c, pace_answer_of(500), 1000), PACE_KEPT);
    EXPECT_NEAR(c.rate, 55, 1e-9);
    EXPECT_EQ_INT(c.last_clean_ms, 0);
}

TEST(pace, one_cut_per_window)
{
    pace p = started(55, 0);
    EXPECT_EQ_INT(pace_calls(&p), 55);
    pace_on_answer(&p, PACE_CLEAN, 5000);
    EXPECT_EQ_INT(pace_on_answer(&p, PACE_LIMITED, 10000), PACE_CUT_DOWN);
    EXPECT_NEAR(p.rate, 27.5, 1e-9);
    EXPECT_EQ_INT(pace_calls(&p), 27);
    /* The refusals of calls already sent: a burst of them changes nothing. */
    for (int64_t t = 10001; t < 10000 + MIN; t += 997) {
        EXPECT_EQ_INT(pace_on_answer(&p, PACE_LIMITED, t), PACE_HELD);
        pace_on_answer(&p, PACE_CLEAN, t + 1);
    }
    EXPECT_NEAR(p.rate, 27.5, 1e-9);
    EXPECT_EQ_INT(p.cuts, 1);
    /* A window after the cut, a refusal is news again. */
    EXPECT_EQ_INT(pace_on_answer(&p, PACE_LIMITED, 10000 + MIN), PACE_CUT_DOWN);
    EXPECT_NEAR(p.rate, 13.75, 1e-9);
    EXPECT_EQ_INT(p.cuts, 2);
}

TEST(pace, never_below_the_floor)
{
    pace_config c = {55, 5, PACE_STEP, PACE_CUT, MIN};
    pace p;
    pace_init(&p, &c, 0);
    /* A refusal every window, with clean answers between (a limit, not an
     * outage): 27.5, 13.75, 6.875, then the floor, then held there. */
    double want[] = {27.5, 13.75, 6.875, 5, 5, 5};
    for (int i = 0; i < 6; i++) {
        int64_t t = (int64_t)i * MIN + 1000;
        pace_on_answer(&p, PACE_CLEAN, t - 500);
        pace_event ev = pace_on_answer(&p, PACE_LIMITED, t);
        EXPECT_EQ_INT(ev, i < 4 ? PACE_CUT_DOWN : PACE_HELD);
        EXPECT_NEAR(p.rate, want[i], 1e-9);
    }
    EXPECT_EQ_INT(p.cuts, 4);
    EXPECT_EQ_INT(pace_calls(&p), 5);
    /* A floor below one call still lets one call a window through. */
    pace_config low = {3, 0.1, PACE_STEP, PACE_CUT, MIN};
    pace_init(&p, &low, 0);
    for (int i = 0; i < 8; i++) {
        pace_on_answer(&p, PACE_CLEAN, (int64_t)i * MIN + 500);
        pace_on_answer(&p, PACE_LIMITED, (int64_t)i * MIN + 1000);
    }
    EXPECT_NEAR(p.rate, 0.1, 1e-9);
    EXPECT_EQ_INT(pace_calls(&p), 1);
}

TEST(pace, clean_windows_climb_to_the_ceiling_and_stop)
{
    pace p = started(55, 0);
    pace_on_answer(&p, PACE_CLEAN, 500);
    pace_on_answer(&p, PACE_LIMITED, 1000); /* 27.5 */
    /* A clean answer every second from then on: one step a window, the
     * first a window after the refusal. */
    int64_t reached = -1;
    int raised = 0, ceilings = 0;
    for (int64_t t = 2000; t <= 1000 + 20 * MIN; t += 1000) {
        double before = p.rate;
        pace_event ev = pace_on_answer(&p, PACE_CLEAN, t);
        EXPECT_LE_INT(p.rate * 1000, 55 * 1000);
        if (ev == PACE_RAISED) {
            raised++;
            EXPECT_NEAR(p.rate - before, PACE_STEP, 1e-9);
        }
        if (ev == PACE_CEILING) {
            ceilings++;
            reached = t;
        }
        if (t < 1000 + MIN)
            EXPECT_EQ_INT(ev, PACE_KEPT);
    }
    /* 27.5 + 13 steps of 2 is 53.5; the 14th reaches 55 (the ceiling). */
    EXPECT_EQ_INT(raised, 13);
    EXPECT_EQ_INT(ceilings, 1);
    EXPECT_EQ_INT(reached, 1000 + 14 * MIN);
    EXPECT_NEAR(p.rate, 55, 1e-9);
}

TEST(pace, a_refusal_restarts_the_clean_window)
{
    pace p = started(55, 0);
    pace_on_answer(&p, PACE_CLEAN, 500);
    pace_on_answer(&p, PACE_LIMITED, 1000); /* 27.5 */
    pace_on_answer(&p, PACE_CLEAN, 30000);
    /* A held refusal (within the cut's window) still says the limit is
     * near: no rise until a window after it. */
    EXPECT_EQ_INT(pace_on_answer(&p, PACE_LIMITED, 40000), PACE_HELD);
    EXPECT_EQ_INT(pace_on_answer(&p, PACE_CLEAN, 1000 + MIN), PACE_KEPT);
    EXPECT_EQ_INT(pace_on_answer(&p, PACE_CLEAN, 40000 + MIN - 1), PACE_KEPT);
    EXPECT_EQ_INT(pace_on_answer(&p, PACE_CLEAN, 40000 + MIN), PACE_RAISED);
    EXPECT_NEAR(p.rate, 29.5, 1e-9);
}

TEST(pace, an_outage_is_not_a_lower_limit)
{
    /* Running at 31.5 under a limit, clean answers up to t = -1 s. */
    pace p = started(55, -10 * MIN);
    pace_on_answer(&p, PACE_CLEAN, -3 * MIN - 1000);
    pace_on_answer(&p, PACE_LIMITED, -3 * MIN); /* 27.5 */
    pace_on_answer(&p, PACE_CLEAN, -2 * MIN);   /* 29.5 */
    pace_on_answer(&p, PACE_CLEAN, -MIN);       /* 31.5 */
    EXPECT_EQ_INT(pace_on_answer(&p, PACE_CLEAN, -1000), PACE_KEPT);
    EXPECT_NEAR(p.rate, 31.5, 1e-9);
    /* Then every call refused for five minutes, one a second. The first
     * refusal looks like a limit and cuts; once a whole window has passed
     * without one clean answer it is an outage: the cut is undone and the
     * rate holds. */
    int restored = 0;
    for (int64_t t = 1000; t <= 5 * MIN; t += 1000) {
        pace_event ev = pace_on_answer(&p, PACE_LIMITED, t);
        if (t == 1000)
            EXPECT_EQ_INT(ev, PACE_CUT_DOWN);
        else if (t < MIN - 1000)
            EXPECT_EQ_INT(ev, PACE_HELD);
        else if (t == MIN - 1000) /* a window after the last clean answer */
            restored += ev == PACE_RESTORED;
        else
            EXPECT_EQ_INT(ev, PACE_OUTAGE);
    }
    EXPECT_EQ_INT(restored, 1);
    EXPECT_NEAR(p.rate, 31.5, 1e-9);
    EXPECT_EQ_INT(p.cuts, 2); /* the earlier limit's and the outage's */
    /* Answers come back: the backlog goes at the old pace, and the probe
     * resumes a window after the last refusal. */
    EXPECT_EQ_INT(pace_on_answer(&p, PACE_CLEAN, 5 * MIN + 1000), PACE_KEPT);
    EXPECT_NEAR(p.rate, 31.5, 1e-9);
    EXPECT_EQ_INT(pace_on_answer(&p, PACE_CLEAN, 6 * MIN), PACE_RAISED);
    EXPECT_NEAR(p.rate, 33.5, 1e-9);
    /* A limit that came with the recovery is found as any other. */
    EXPECT_EQ_INT(pace_on_answer(&p, PACE_LIMITED, 6 * MIN + 500), PACE_CUT_DOWN);
    EXPECT_NEAR(p.rate, 16.75, 1e-9);
}

TEST(pace, an_outage_from_the_start_holds_the_ceiling)
{
    /* The start counts as a clean answer: a refusal in the first window
     * cuts, and a window of nothing but refusals undoes it. */
    pace p = started(55, 0);
    EXPECT_EQ_INT(pace_on_answer(&p, PACE_LIMITED, 100), PACE_CUT_DOWN);
    EXPECT_EQ_INT(pace_on_answer(&p, PACE_LIMITED, MIN), PACE_RESTORED);
    EXPECT_NEAR(p.rate, 55, 1e-9);
    EXPECT_EQ_INT(pace_on_answer(&p, PACE_LIMITED, 3 * MIN), PACE_OUTAGE);
    EXPECT_NEAR(p.rate, 55, 1e-9);
}

/* ---- a client against a server with a rolling-window limit -------------- */

typedef struct {
    int sent, refused;
} tally;

/* One simulated second: the client sends what its pace's window allows
 * (the whole backlog wants more), the server (limit per rolling minute,
 * counting only the calls it serves, as Cin7 does) answers each. */
static void second(pace *p, window_limiter *client, window_limiter *server, int server_limit,
                   int64_t t, tally *n)
{
    window_set_limit(server, server_limit);
    window_set_limit(client, pace_calls(p));
    for (int k = 0; k < 100 && window_take(client, t, NULL); k++) {
        n->sent++;
        int ok = window_take(server, t, NULL);
        n->refused += !ok;
        pace_on_answer(p, ok ? PACE_CLEAN : PACE_LIMITED, t + 100);
        window_set_limit(client, pace_calls(p));
    }
}

TEST(pace, finds_a_lower_limit_then_recovers_when_it_is_lifted)
{
    /* syncd configured for 55 a minute; Cin7 allows 30 for 20 minutes,
     * then 60. */
    pace p = started(55, 0);
    window_limiter *client = window_new(55, MIN), *server = window_new(60, MIN);
    tally early = {0, 0}, late = {0, 0}, lifted = {0, 0};
    double lowest = 55;
    for (int64_t t = 0; t < 20 * MIN; t += 1000) {
        second(&p, client, server, 30, t, t < 5 * MIN ? &early : &late);
        if (p.rate < lowest)
            lowest = p.rate;
    }
    /* The first minute's burst is refused past 30; after that the pace
     * saws under the limit: few refusals, most of the limit used. */
    EXPECT_GE_INT(early.refused, 1);
    EXPECT_GE_INT(lowest * 10, 150); /* never below half the limit */
    EXPECT_LE_INT(late.refused, 15); /* 15 minutes: a probe every ~7 */
    EXPECT_GE_INT(late.sent - late.refused, 15 * 20);
    EXPECT_LE_INT(p.rate * 10, 325);
    /* Lifted: back at the ceiling within (55 - 15) / 2 windows and more. */
    int64_t back = -1;
    for (int64_t t = 20 * MIN; t < 45 * MIN; t += 1000) {
        second(&p, client, server, 60, t, &lifted);
        if (back < 0 && p.rate >= 55)
            back = t;
    }
    EXPECT_GE_INT(back, 0);
    EXPECT_LE_INT(back - 20 * MIN, 21 * MIN);
    EXPECT_EQ_INT(lifted.refused, 0);
    window_free(client);
    window_free(server);
}

/* ---- shares --------------------------------------------------------------- */

static int grant(share *s, const int waiting[SHARE_CLASSES])
{
    int c = share_next(s, waiting);
    if (c >= 0)
        share_took(s, c, waiting);
    return c;
}

/* ---- a rate shared by several instances (pace_adopt) ---------------------- */

TEST(pace, an_adopted_cut_counts_as_this_instance_cut)
{
    pace p = started(55, 0);
    pace_on_answer(&p, PACE_CLEAN, 500);
    /* Another instance cut to 27.5 at 1000. */
    EXPECT_EQ_INT(pace_adopt(&p, 27.5, 1000), PACE_CUT_DOWN);
    EXPECT_NEAR(p.rate, 27.5, 1e-9);
    EXPECT_EQ_INT(pace_calls(&p), 27);
    EXPECT_EQ_INT(p.cuts, 0); /* not this pace's own */
    /* The refusals this instance sees within the window are of the same
     * overrun: held, not a second cut. */
    pace_on_answer(&p, PACE_CLEAN, 2000);
    EXPECT_EQ_INT(pace_on_answer(&p, PACE_LIMITED, 3000), PACE_HELD);
    EXPECT_EQ_INT(pace_on_answer(&p, PACE_LIMITED, 1000 + MIN - 1), PACE_HELD);
    EXPECT_NEAR(p.rate, 27.5, 1e-9);
    /* A window after the adopted cut, a refusal is news again. */
    EXPECT_EQ_INT(pace_on_answer(&p, PACE_LIMITED, 1000 + MIN), PACE_CUT_DOWN);
    EXPECT_NEAR(p.rate, 13.75, 1e-9);
    EXPECT_EQ_INT(p.cuts, 1);
}

TEST(pace, an_adopted_rise_restarts_the_clean_window)
{
    pace p = started(55, 0);
    pace_on_answer(&p, PACE_CLEAN, 500);
    pace_on_answer(&p, PACE_LIMITED, 1000); /* 27.5 */
    /* Another instance rose to 29.5 just before this one would have. */
    EXPECT_EQ_INT(pace_adopt(&p, 29.5, 1000 + MIN - 10), PACE_RAISED);
    EXPECT_NEAR(p.rate, 29.5, 1e-9);
    /* Its own rise waits a window of clean answers from the adopted one. */
    EXPECT_EQ_INT(pace_on_answer(&p, PACE_CLEAN, 1000 + MIN), PACE_KEPT);
    EXPECT_EQ_INT(pace_on_answer(&p, PACE_CLEAN, 1000 + 2 * MIN - 11), PACE_KEPT);
    EXPECT_NEAR(p.rate, 29.5, 1e-9);
    EXPECT_EQ_INT(pace_on_answer(&p, PACE_CLEAN, 1000 + 2 * MIN - 10), PACE_RAISED);
    EXPECT_NEAR(p.rate, 31.5, 1e-9);
    /* Adopting the ceiling (or above it) stops at the ceiling. */
    EXPECT_EQ_INT(pace_adopt(&p, 80, 1000 + 2 * MIN), PACE_CEILING);
    EXPECT_NEAR(p.rate, 55, 1e-9);
}

TEST(pace, adopting_the_same_rate_or_no_rate_changes_nothing)
{
    pace p = started(55, 0);
    pace_on_answer(&p, PACE_CLEAN, 500);
    pace_on_answer(&p, PACE_LIMITED, 1000); /* 27.5, this pace's own cut */
    pace before = p;
    EXPECT_EQ_INT(pace_adopt(&p, 27.5, 5000), PACE_KEPT);
    EXPECT_EQ_INT(pace_adopt(&p, 0, 5000), PACE_KEPT);
    EXPECT_EQ_INT(pace_adopt(&p, -4, 5000), PACE_KEPT);
    EXPECT_NEAR(p.rate, before.rate, 0);
    EXPECT_EQ_INT(p.last_cut_ms, before.last_cut_ms);
    EXPECT_EQ_INT(p.calm_since_ms, before.calm_since_ms);
    /* Below the floor: the floor. */
    EXPECT_EQ_INT(pace_adopt(&p, 0.01, 6000), PACE_CUT_DOWN);
    EXPECT_NEAR(p.rate, PACE_FLOOR, 1e-9);
}

TEST(pace, an_outage_undoes_an_adopted_cut)
{
    /* Clean answers until 0; another instance's cut, adopted at 1000,
     * then nothing but refusals for a window: an outage, and the cut its
     * first refusals caused is undone here as it would be for our own. */
    pace p = started(40, -MIN);
    pace_on_answer(&p, PACE_CLEAN, 0);
    EXPECT_EQ_INT(pace_adopt(&p, 20, 1000), PACE_CUT_DOWN);
    EXPECT_EQ_INT(pace_on_answer(&p, PACE_LIMITED, MIN), PACE_RESTORED);
    EXPECT_NEAR(p.rate, 40, 1e-9);
}

TEST(share, weights_spread_over_the_waiting_classes)
{
    share s;
    share_init(&s);
    const int all[SHARE_CLASSES] = {1, 1, 1};
    char seq[11] = {0};
    for (int i = 0; i < 10; i++)
        seq[i] = "BNU"[grant(&s, all)];
    EXPECT_EQ_STR(seq, "UNUUNUBUNU");
    int got[SHARE_CLASSES] = {0, 0, 0};
    for (int i = 0; i < 1000; i++)
        got[grant(&s, all)]++;
    EXPECT_EQ_INT(got[SHARE_URGENT], 600);
    EXPECT_EQ_INT(got[SHARE_NORMAL], 300);
    EXPECT_EQ_INT(got[SHARE_BULK], 100);
}

TEST(share, a_class_alone_takes_every_permit)
{
    share s;
    share_init(&s);
    const int none[SHARE_CLASSES] = {0, 0, 0}, bulk[SHARE_CLASSES] = {1, 0, 0};
    EXPECT_EQ_INT(share_next(&s, none), -1);
    for (int i = 0; i < 50; i++)
        EXPECT_EQ_INT(grant(&s, bulk), SHARE_BULK);
}

TEST(share, normal_work_is_served_while_urgent_backs_up)
{
    /* Orders (urgent) always waiting; a stock read (normal) arrives now
     * and then and leaves once served. It is served within four permits
     * of arriving (its share is 3 in 10), and bulk work, waiting
     * throughout, gets its tenth. */
    share s;
    share_init(&s);
    int waiting[SHARE_CLASSES] = {1, 0, 1};
    int got[SHARE_CLASSES] = {0, 0, 0}, since = 0, worst = 0, bulk_gap = 0, worst_bulk = 0;
    for (int i = 0; i < 3000; i++) {
        if (i % 20 == 0)
            waiting[SHARE_NORMAL] = 1;
        int c = grant(&s, waiting);
        got[c]++;
        bulk_gap = c == SHARE_BULK ? 0 : bulk_gap + 1;
        if (bulk_gap > worst_bulk)
            worst_bulk = bulk_gap;
        if (waiting[SHARE_NORMAL])
            since++;
        if (c == SHARE_NORMAL) {
            waiting[SHARE_NORMAL] = 0;
            if (since > worst)
                worst = since;
            since = 0;
        }
    }
    EXPECT_EQ_INT(got[SHARE_NORMAL], 150);
    EXPECT_LE_INT(worst, 4);
    EXPECT_GE_INT(got[SHARE_BULK], 3000 / 10 - 20);
    EXPECT_LE_INT(worst_bulk, 10);
    /* Credit stays bounded: no class runs up a debt the others pay later. */
    for (int c = 0; c < SHARE_CLASSES; c++) {
        EXPECT_LE_INT(s.credit[c], 20);
        EXPECT_GE_INT(s.credit[c], -20);
    }
}

TEST(share, an_idle_class_does_not_burst_when_it_returns)
{
    share s;
    share_init(&s);
    const int urgent[SHARE_CLASSES] = {0, 0, 1}, both[SHARE_CLASSES] = {0, 1, 1};
    for (int i = 0; i < 500; i++)
        grant(&s, urgent);
    /* Normal comes back after 500 permits it did not want: it gets its
     * third from now on, not the 500 it missed. */
    int normal = 0;
    for (int i = 0; i < 9; i++)
        normal += grant(&s, both) == SHARE_NORMAL;
    EXPECT_EQ_INT(normal, 3);
}
