/* engine/syncd/xwrite: exactly-once writes over a real store's ledger,
 * with a remote end played by the test (what it holds, what it answers). */
#include "../runner.h"

#include "mem.h"
#include "xwrite.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* The remote end: how many writes it received and holds, and what the
 * next write's answer is. */
typedef struct {
    int writes;          /* write callbacks run */
    int look_ups;        /* look_up callbacks run */
    int held;            /* writes that landed at the remote end */
    policy_action next;  /* the next write's answer */
    int applied;         /* with a lost answer: the write landed anyway */
    int open;            /* the next write sends nothing (a hold) */
    int unreadable;      /* look-ups cannot tell */
    int vanish;          /* the next write lands and its sender dies before the answer */
} remote_end;

static int look_up(void *ud, char **remote, handled *h)
{
    remote_end *r = ud;
    r->look_ups++;
    if (r->unreadable) {
        *h = handled_retry(500, "remote unreadable");
        return -1;
    }
    if (r->held)
        *remote = xstrdup("R-1");
    return r->held > 0;
}

static int write_one(void *ud, char **remote, outcome *o, handled *h)
{
    remote_end *r = ud;
    r->writes++;
    if (r->open) {
        *h = handled_retry(600000, "on hold");
        return 0;
    }
    if (r->vanish) {
        /* kill -9 while the answer is on its way: nothing is recorded
         * after the send, so the ledger stays as it was when it left. */
        r->vanish = 0;
        r->held++;
        *h = handled_retry(1000, "killed");
        return 0;
    }
    o->action = r->next;
    snprintf(o->error, sizeof o->error, "answer %d", (int)r->next);
    if (r->next == POLICY_DONE || r->applied)
        r->held++;
    if (r->next != POLICY_DONE)
        return -1;
    *remote = xstrdup("R-1");
    return 1;
}

typedef struct {
    store *st;
    sclock clk;
    remote_end r;
    xwrite_op op;
} rig;

static void rig_open(rig *g, const char *name)
{
    char path[512], err[256] = "";
    snprintf(path, sizeof path, "%s/%s.db", test_tmp_dir(), name);
    if (store_open(path, NULL, &g->st, err, sizeof err) != 0)
        test_fail(__FILE__, __LINE__, "store_open %s: %s", path, err);
    clock_init_virtual(&g->clk, 0);
    memset(&g->r, 0, sizeof g->r);
    g->r.next = POLICY_DONE;
    g->op = (xwrite_op){"sale:X", "sale", "{}", look_up, write_one, &g->r};
}

/* Runs the write; returns the answer's kind, *how and the remote id. */
static int run(rig *g, xwrite_how *how, char *remote, size_t n)
{
    char *id = NULL;
    handled h = xwrite_run(g->st, &g->clk, &g->op, how, &id);
    snprintf(remote, n, "%s", id ? id : "");
    free(id);
    return h.kind;
}

TEST(xwrite, written_once_then_already)
{
    rig g;
    rig_open(&g, "once");
    xwrite_how how;
    char id[32];
    EXPECT_EQ_INT(run(&g, &how, id, sizeof id), H_DONE);
    EXPECT_EQ_INT(how, XWRITE_WRITTEN);
    EXPECT_EQ_STR(id, "R-1");
    EXPECT_EQ_INT(run(&g, &how, id, sizeof id), H_DONE);
    EXPECT_EQ_INT(how, XWRITE_ALREADY);
    EXPECT_EQ_STR(id, "R-1");
    EXPECT_EQ_INT(g.r.writes, 1);
    EXPECT_EQ_INT(g.r.look_ups, 0);
    EXPECT_EQ_INT(g.r.held, 1);
    store_close(g.st);
}

TEST(xwrite, a_lost_answer_is_looked_up_not_resent)
{
    rig g;
    rig_open(&g, "lost");
    xwrite_how how;
    char id[32];
    g.r.next = POLICY_LOOKUP; /* a timeout after the write landed */
    g.r.applied = 1;
    EXPECT_EQ_INT(run(&g, &how, id, sizeof id), H_RETRY);
    g.r.next = POLICY_DONE;
    EXPECT_EQ_INT(run(&g, &how, id, sizeof id), H_DONE);
    EXPECT_EQ_INT(how, XWRITE_FOUND);
    EXPECT_EQ_STR(id, "R-1");
    EXPECT_EQ_INT(g.r.writes, 1);
    EXPECT_EQ_INT(g.r.held, 1);
    /* Found is as good as written: the ledger has it done. */
    EXPECT_EQ_INT(run(&g, &how, id, sizeof id), H_DONE);
    EXPECT_EQ_INT(how, XWRITE_ALREADY);
    EXPECT_EQ_INT(g.r.look_ups, 1);
    store_close(g.st);
}

TEST(xwrite, a_lost_answer_that_did_not_land_is_sent_after_the_look_up)
{
    rig g;
    rig_open(&g, "absent");
    xwrite_how how;
    char id[32];
    g.r.next = POLICY_LOOKUP;
    EXPECT_EQ_INT(run(&g, &how, id, sizeof id), H_RETRY);
    g.r.next = POLICY_DONE;
    EXPECT_EQ_INT(run(&g, &how, id, sizeof id), H_DONE);
    EXPECT_EQ_INT(how, XWRITE_WRITTEN);
    EXPECT_EQ_INT(g.r.look_ups, 1);
    EXPECT_EQ_INT(g.r.writes, 2);
    EXPECT_EQ_INT(g.r.held, 1);
    store_close(g.st);
}

TEST(xwrite, a_refusal_is_sent_again_without_a_look_up)
{
    /* A 503 refuses before doing anything: failed, safe to send again. */
    rig g;
    rig_open(&g, "refused");
    xwrite_how how;
    char id[32];
    g.r.next = POLICY_RETRY;
    EXPECT_EQ_INT(run(&g, &how, id, sizeof id), H_RETRY);
    g.r.next = POLICY_DONE;
    EXPECT_EQ_INT(run(&g, &how, id, sizeof id), H_DONE);
    EXPECT_EQ_INT(how, XWRITE_WRITTEN);
    EXPECT_EQ_INT(g.r.look_ups, 0);
    EXPECT_EQ_INT(g.r.held, 1);
    store_close(g.st);
}

TEST(xwrite, a_resend_after_a_refusal_that_dies_in_flight_is_looked_up)
{
    /* Refused (503), then sent again, landed, and the sender was killed
     * before the answer. The refusal must not stand for the resend: the
     * next try looks up and finds it, never sends a second sale. */
    rig g;
    rig_open(&g, "refused-then-killed");
    xwrite_how how;
    char id[32];
    g.r.next = POLICY_RETRY;
    EXPECT_EQ_INT(run(&g, &how, id, sizeof id), H_RETRY);
    g.r.vanish = 1;
    EXPECT_EQ_INT(run(&g, &how, id, sizeof id), H_RETRY);
    EXPECT_EQ_INT(g.r.held, 1);
    g.r.next = POLICY_DONE;
    EXPECT_EQ_INT(run(&g, &how, id, sizeof id), H_DONE);
    EXPECT_EQ_INT(how, XWRITE_FOUND);
    EXPECT_EQ_INT(g.r.look_ups, 1);
    EXPECT_EQ_INT(g.r.writes, 2);
    EXPECT_EQ_INT(g.r.held, 1);
    store_close(g.st);
}

TEST(xwrite, permanent_is_dead_and_open_stays_open)
{
    rig g;
    rig_open(&g, "dead");
    xwrite_how how;
    char id[32];
    g.r.next = POLICY_PERMANENT;
    EXPECT_EQ_INT(run(&g, &how, id, sizeof id), H_DEAD);
    EXPECT_EQ_INT(g.r.held, 0);
    store_close(g.st);

    /* A write that sends nothing (a merchant's hold) leaves its intent
     * open: the next try looks first, and a look-up that cannot tell
     * sends nothing either. */
    rig_open(&g, "open");
    g.r.open = 1;
    EXPECT_EQ_INT(run(&g, &how, id, sizeof id), H_RETRY);
    g.r.unreadable = 1;
    EXPECT_EQ_INT(run(&g, &how, id, sizeof id), H_RETRY);
    EXPECT_EQ_INT(g.r.writes, 1);
    g.r.open = 0;
    g.r.unreadable = 0;
    EXPECT_EQ_INT(run(&g, &how, id, sizeof id), H_DONE);
    EXPECT_EQ_INT(how, XWRITE_WRITTEN);
    EXPECT_EQ_INT(g.r.look_ups, 2);
    EXPECT_EQ_INT(g.r.held, 1);
    store_close(g.st);
}

/* Two workers run one event's write at once (a lease ran out while the
 * first waited at a rate gate): the remote end gets it once. */
typedef struct {
    rig *g;
    int kind;
} racer;

static int slow_write(void *ud, char **remote, outcome *o, handled *h)
{
    struct timespec ts = {0, 100 * 1000000L};
    nanosleep(&ts, NULL); /* the call takes a while: the other runner arrives */
    return write_one(ud, remote, o, h);
}

static void *race(void *arg)
{
    racer *r = arg;
    xwrite_how how;
    char id[32];
    r->kind = run(r->g, &how, id, sizeof id);
    return NULL;
}

TEST(xwrite, two_runners_of_one_key_write_once)
{
    rig g;
    rig_open(&g, "race");
    g.op.write = slow_write;
    racer a = {&g, -1}, b = {&g, -1};
    pthread_t ta, tb;
    pthread_create(&ta, NULL, race, &a);
    struct timespec ts = {0, 20 * 1000000L};
    nanosleep(&ts, NULL);
    pthread_create(&tb, NULL, race, &b);
    pthread_join(ta, NULL);
    pthread_join(tb, NULL);
    EXPECT_EQ_INT(a.kind, H_DONE);
    EXPECT_EQ_INT(b.kind, H_DONE);
    EXPECT_EQ_INT(g.r.held, 1);
    EXPECT_EQ_INT(g.r.writes, 1);
    store_close(g.st);
}

/* ---- runners in other instances (xwrite_share) -------------------------------- */

/* The other instance, played by the test on the same store: it takes the
 * key's claim once the run's claim has run out, while the run's write is
 * on its way, and the write's request then goes through outbound_call
 * (whose guard runs before anything leaves; nothing listens at the URL). */
typedef struct {
    rig *g;
    int steal;     /* take the claim over before the request leaves */
    int requests;  /* requests that left */
    int withheld;  /* requests the guard kept back */
} thief;

/* The look-up of a write the test's other instance never made. */
static int look_up_absent(void *ud, char **remote, handled *h)
{
    (void)ud;
    (void)remote;
    (void)h;
    return 0;
}

static int write_via_outbound(void *ud, char **remote, outcome *o, handled *h)
{
    thief *t = ud;
    (void)remote;
    (void)h;
    t->g->r.writes++;
    if (t->steal) {
        /* Past the run's claim (ttl 1 s), another instance claims the key. */
        clock_set_virtual_us(&t->g->clk, (clock_now_ms(&t->g->clk) + 2000) * 1000);
        int64_t epoch = 0;
        EXPECT_EQ_INT(store_claim(t->g->st, "xw:sale:X", "other", clock_now_ms(&t->g->clk), 60000,
                                  &epoch), 1);
    }
    metrics *m = metrics_new();
    outbound ob = {.system = "cin7", .m = m, .clk = &t->g->clk,
                   .pol = {1, 10, 10}, .inline_attempts = 1, .timeout_ms = 50};
    httpc_req req = {.method = "POST", .url = "http://127.0.0.1:9/ExternalApi/v2/sale",
                     .body = "{}"};
    outbound_call(&ob, &req, PRIO_NORMAL, 0, 1, o);
    if (strstr(o->error, "not sent"))
        t->withheld++;
    else
        t->requests++;
    metrics_free(m);
    return -1;
}

TEST(xwrite, a_key_another_instance_holds_is_retried_when_its_claim_ends)
{
    rig g;
    rig_open(&g, "shared-held");
    xwrite_share("me", 1000);
    int64_t epoch = 0;
    EXPECT_EQ_INT(store_claim(g.st, "xw:sale:X", "other", 0, 5000, &epoch), 1);
    char *id = NULL;
    xwrite_how how;
    handled h = xwrite_run(g.st, &g.clk, &g.op, &how, &id);
    EXPECT_EQ_INT(h.kind, H_RETRY);
    EXPECT_EQ_INT(h.wait_ms, 5000);
    EXPECT_CONTAINS(h.reason, "another instance");
    EXPECT_EQ_INT(g.r.writes, 0);
    /* Once the other's claim has ended, the key is this run's. */
    clock_set_virtual_us(&g.clk, 6000 * 1000);
    h = xwrite_run(g.st, &g.clk, &g.op, &how, &id);
    EXPECT_EQ_INT(h.kind, H_DONE);
    EXPECT_EQ_INT(how, XWRITE_WRITTEN);
    EXPECT_EQ_INT(g.r.writes, 1);
    free(id);
    /* The run gave its claim back: the other takes it at once. */
    EXPECT_EQ_INT(store_claim(g.st, "xw:sale:X", "other", 6000, 5000, &epoch), 1);
    xwrite_share(NULL, 0);
    store_close(g.st);
}

TEST(xwrite, a_write_taken_over_before_it_leaves_sends_and_records_nothing)
{
    rig g;
    rig_open(&g, "shared-stolen");
    xwrite_share("me", 1000);
    thief t = {&g, 1, 0, 0};
    g.op.write = write_via_outbound;
    g.op.look_up = look_up_absent;
    g.op.ud = &t;
    char *id = NULL;
    xwrite_how how;
    handled h = xwrite_run(g.st, &g.clk, &g.op, &how, &id);
    EXPECT_EQ_INT(h.kind, H_RETRY);
    EXPECT_CONTAINS(h.reason, "taken over");
    EXPECT_EQ_INT(t.withheld, 1);
    EXPECT_EQ_INT(t.requests, 0);
    /* Nothing recorded: the intent is as the run found it, open, for the
     * other instance to settle (no "failed" that would make it resend). */
    int state = -1;
    char *remote = NULL;
    EXPECT_EQ_INT(store_write_intent(g.st, "sale:X", "sale", "{}", 0, &state, &remote), 0);
    EXPECT_EQ_INT(state, WRITE_INTENT);
    free(remote);
    /* Without the takeover the same request leaves (and fails: nothing
     * listens), so the guard was what held it back. */
    xwrite_share(NULL, 0);
    t.steal = 0;
    h = xwrite_run(g.st, &g.clk, &g.op, &how, &id);
    EXPECT_EQ_INT(t.requests, 1);
    EXPECT_EQ_INT(t.withheld, 1);
    free(id);
    store_close(g.st);
}
