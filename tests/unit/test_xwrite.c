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
