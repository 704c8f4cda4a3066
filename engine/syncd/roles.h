/*
 * The work only one syncd instance may do at a time, when several share
 * one store (PostgreSQL behind a load balancer), held through claims in
 * the store (store.h, "claims"): a role is a claim this instance keeps
 * for as long as it runs (registering the webhook subscriptions, the
 * reconciliation or poll schedule, the replenishment sweep), renewed by
 * a thread of this module every claim_ttl / 3 and taken over by another
 * instance once its holder stops renewing it for claim_ttl (a crash, a
 * kill -9, a partition from the database). Work done per item (a
 * supplier's draft, a SKU's level write in a window) claims the item
 * around the work with roles_claim_each.
 *
 * The claims are used on every store: on SQLite, whose file has one
 * process as its user, every claim of the one process succeeds (one
 * statement in the next group commit). Times are the scaled clock's, as
 * for event leases: instances sharing a store share clock_origin and
 * time_scale.
 */
#ifndef SURGE_SYNCD_ROLES_H
#define SURGE_SYNCD_ROLES_H

#include <stddef.h>
#include <stdint.h>

#include "store.h"

struct syncd;

typedef enum {
    ROLE_WEBHOOKS,     /* "webhooks": checks and makes the subscriptions */
    ROLE_SCHEDULE,     /* "reconcile" (event mode) or "poll" (poll mode) */
    ROLE_REPLEN_SWEEP, /* "replen-sweep": the scheduled check of every SKU */
    N_ROLES
} role_id;

typedef struct roles roles;

/* Takes the roles that are free at once (one claim round, so the threads
 * started next know what they hold), then starts the thread that keeps
 * them. */
roles *roles_start(struct syncd *sd);
/* Stops the thread and releases the roles held, so another instance
 * takes them at once rather than after claim_ttl. Accepts NULL. */
void roles_stop(roles *r);
/* 1 when this instance holds role id now (its last renewal runs past
 * now), with *epoch (if given) the claim's epoch; 0 when not (r NULL:
 * not). A new epoch means the role was lost and taken again meanwhile. */
int roles_held(roles *r, role_id id, int64_t *epoch);
/* Waits until role id's epoch here is no longer epoch (taken, lost or
 * taken again; 0 stands for not held, a renewal run out included),
 * max_ms (sim) pass, or roles_interrupt. */
void roles_wait(roles *r, role_id id, int64_t epoch, int64_t max_ms);
/* Ends the renewals and wakes every roles_wait, as syncd stops (the
 * roles stay held until their ends; roles_stop releases them). */
void roles_interrupt(roles *r);
/* The claim's name of role id ("webhooks", "reconcile", ...). */
const char *roles_name(const roles *r, role_id id);

/* Claims names, items of kind ("stock", "podraft": a metrics label) for
 * ttl_ms in one statement: out[i] as store_claim_each. Items another
 * instance holds count as deferred (syncd_claims_deferred_total). Returns
 * how many are held, or -1 on a store error (counted; then none is). */
int roles_claim_each(struct syncd *sd, const char *kind, const char *const *names, size_t n,
                     int64_t ttl_ms, store_claim_state *out);

#endif
