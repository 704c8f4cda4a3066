/*
 * The roles of one syncd instance among several sharing a store; see
 * roles.h. One thread claims every role each claim_ttl / 3: a role held is
 * renewed (same epoch), a free one taken, one another instance holds left
 * alone. What it holds is kept here with the end of its last renewal, so
 * a role counts as held only while that end is ahead: when the store
 * cannot be reached the role lapses here when it lapses in the store, and
 * the work it guards stops before another instance can take it over
 * (give or take the clocks of the two instances, which share an origin).
 */
#include "roles.h"

#include "log.h"
#include "mem.h"
#include "syncd.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct roles {
    syncd *sd;
    const char *names[N_ROLES];
    pthread_mutex_t lock; /* guards everything below */
    pthread_cond_t cv;      /* the renewals' timer */
    pthread_cond_t changed; /* roles_wait */
    int64_t epoch[N_ROLES]; /* of the claim held; 0: not held */
    int64_t until[N_ROLES]; /* end of its last renewal (sim ms) */
    int stop;
    pthread_t thread;
    int started;
};

static void count(syncd *sd, const char *what, const char *claim, int64_t n)
{
    char name[160];
    snprintf(name, sizeof name, "syncd_claims_%s_total{claim=\"%s\"}", what, claim);
    metrics_inc(sd->m, name, n);
}

static void set_held(syncd *sd, const char *claim, int held)
{
    char name[160];
    snprintf(name, sizeof name, "syncd_claim_held{claim=\"%s\"}", claim);
    metrics_set(sd->m, name, held);
}

/* One round: every role claimed in one statement; what changed is said
 * in the log and the metrics. */
static void round_of_claims(roles *r)
{
    syncd *sd = r->sd;
    int64_t now = clock_now_ms(&sd->clk);
    store_claim_state st[N_ROLES];
    int any = 0;
    int rc = store_claim_each(sd->st, r->names, N_ROLES, sd->cfg.instance, now,
                              sd->cfg.claim_ttl_ms, st);
    if (rc < 0) {
        metrics_inc(sd->m, "syncd_store_errors_total", 1);
        log_warn("claims: cannot renew the roles (store error); each lapses at its end");
        return;
    }
    pthread_mutex_lock(&r->lock);
    for (int i = 0; i < N_ROLES; i++) {
        int64_t was = r->epoch[i] && r->until[i] > now ? r->epoch[i] : 0;
        int64_t is = st[i].held ? st[i].epoch : 0;
        if (was && was != is) {
            count(sd, "lost", r->names[i], 1);
            log_warn("claims: role %s lost (epoch %lld)", r->names[i], (long long)was);
        }
        if (is && is != was) {
            count(sd, "taken", r->names[i], 1);
            log_info("claims: role %s taken by %s (epoch %lld, for %lld ms at a time)",
                     r->names[i], sd->cfg.instance, (long long)is,
                     (long long)sd->cfg.claim_ttl_ms);
        }
        any |= is != r->epoch[i];
        r->epoch[i] = is;
        r->until[i] = is ? st[i].until : 0;
        set_held(sd, r->names[i], is != 0);
    }
    if (any)
        pthread_cond_broadcast(&r->changed);
    pthread_mutex_unlock(&r->lock);
}

static void *roles_main(void *arg)
{
    roles *r = arg;
    syncd *sd = r->sd;
    int64_t every = sd->cfg.claim_ttl_ms / 3 > 0 ? sd->cfg.claim_ttl_ms / 3 : 1;
    pthread_mutex_lock(&r->lock);
    while (!r->stop) {
        struct timespec ts;
        clock_deadline(&sd->clk, every, &ts);
        pthread_cond_timedwait(&r->cv, &r->lock, &ts);
        if (r->stop)
            break;
        pthread_mutex_unlock(&r->lock);
        round_of_claims(r);
        pthread_mutex_lock(&r->lock);
    }
    pthread_mutex_unlock(&r->lock);
    return NULL;
}

roles *roles_start(syncd *sd)
{
    roles *r = xcalloc(1, sizeof *r);
    r->sd = sd;
    r->names[ROLE_WEBHOOKS] = "webhooks";
    r->names[ROLE_SCHEDULE] = strcmp(sd->cfg.mode, "poll") == 0 ? "poll" : "reconcile";
    r->names[ROLE_REPLEN_SWEEP] = "replen-sweep";
    pthread_mutex_init(&r->lock, NULL);
    clock_cond_init(&r->cv);
    clock_cond_init(&r->changed);
    round_of_claims(r);
    if (pthread_create(&r->thread, NULL, roles_main, r) != 0) {
        fprintf(stderr, "fatal: cannot start the claims thread\n");
        abort();
    }
    r->started = 1;
    return r;
}

void roles_interrupt(roles *r)
{
    if (!r)
        return;
    pthread_mutex_lock(&r->lock);
    r->stop = 1;
    pthread_cond_broadcast(&r->cv);
    pthread_cond_broadcast(&r->changed);
    pthread_mutex_unlock(&r->lock);
}

void roles_wait(roles *r, role_id id, int64_t epoch, int64_t max_ms)
{
    if (!r || id < 0 || id >= N_ROLES)
        return;
    struct timespec ts;
    clock_deadline(&r->sd->clk, max_ms > 0 ? max_ms : 1, &ts);
    int64_t now = clock_now_ms(&r->sd->clk);
    pthread_mutex_lock(&r->lock);
    /* A role whose renewal ran out counts as not held (0), as for
     * roles_held, so a caller waiting on 0 sleeps rather than spins. */
    int64_t is = r->epoch[id] && r->until[id] > now ? r->epoch[id] : 0;
    if (!r->stop && is == epoch)
        pthread_cond_timedwait(&r->changed, &r->lock, &ts);
    pthread_mutex_unlock(&r->lock);
}

void roles_stop(roles *r)
{
    if (!r)
        return;
    roles_interrupt(r);
    if (r->started)
        pthread_join(r->thread, NULL);
    for (int i = 0; i < N_ROLES; i++)
        if (r->epoch[i] && store_release(r->sd->st, r->names[i], r->sd->cfg.instance) < 0)
            log_warn("claims: cannot release role %s; another instance takes it at its end",
                     r->names[i]);
    pthread_mutex_destroy(&r->lock);
    pthread_cond_destroy(&r->cv);
    pthread_cond_destroy(&r->changed);
    free(r);
}

int roles_held(roles *r, role_id id, int64_t *epoch)
{
    if (!r || id < 0 || id >= N_ROLES)
        return 0;
    int64_t now = clock_now_ms(&r->sd->clk);
    pthread_mutex_lock(&r->lock);
    int held = r->epoch[id] && r->until[id] > now;
    if (held && epoch)
        *epoch = r->epoch[id];
    pthread_mutex_unlock(&r->lock);
    return held;
}

const char *roles_name(const roles *r, role_id id)
{
    return r && id >= 0 && id < N_ROLES ? r->names[id] : "";
}

int roles_claim_each(syncd *sd, const char *kind, const char *const *names, size_t n,
                     int64_t ttl_ms, store_claim_state *out)
{
    if (!n)
        return 0;
    int rc = store_claim_each(sd->st, names, n, sd->cfg.instance, clock_now_ms(&sd->clk), ttl_ms,
                              out);
    if (rc < 0) {
        metrics_inc(sd->m, "syncd_store_errors_total", 1);
        for (size_t i = 0; i < n; i++)
            out[i] = (store_claim_state){0, 0, 0};
        return -1;
    }
    count(sd, "taken", kind, rc);
    if ((size_t)rc < n)
        count(sd, "deferred", kind, (int64_t)n - rc);
    return rc;
}
