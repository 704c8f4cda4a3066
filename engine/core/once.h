/*
 * The exactly-once write rule, as pure functions. A write that is not safe
 * to repeat (a Cin7 sale or purchase POST, a Shopify fulfillmentCreate) is
 * recorded as an intent in a durable ledger before it is sent, and its
 * outcome after. When the ledger already holds the intent, what it says
 * decides the next step:
 *
 *   ledger says                      step
 *   nothing (a fresh intent)         write
 *   done                             nothing: the write landed before
 *   failed (surely not applied)      write, the ledger back at "intent"
 *                                    while it is on its way (a refusal
 *                                    says nothing of a later try)
 *   intent, or unknown               look it up at the remote end; write
 *                                    only when it is absent
 *
 * "intent" with no outcome is a crash between the record and the answer;
 * "unknown" a timeout, reset or 5xx after which the write may have landed.
 * A write's outcome then leaves the ledger: done on success, unknown when
 * the answer was lost (the policy asks for a look-up), failed otherwise
 * (refused, or never sent).
 */
#ifndef SURGE_ONCE_H
#define SURGE_ONCE_H

#include "policy.h"

/* Ledger states (the store keeps these numbers). */
typedef enum {
    ONCE_INTENT = 0,
    ONCE_DONE = 1,
    ONCE_FAILED = 2,
    ONCE_UNKNOWN = 3,
} once_state;

typedef enum {
    ONCE_WRITE,     /* send it */
    ONCE_REOPEN,    /* put the ledger back at intent, then send it */
    ONCE_LOOK_UP,   /* look for it first; send only when absent */
    ONCE_ALREADY,   /* it landed before: nothing to send */
} once_step;

/* The step for an intent: fresh when the ledger had none, else its state. */
once_step once_begin(int fresh, once_state state);
/* The ledger state a write's outcome leaves (action other than DONE: the
 * write did not succeed). */
once_state once_after(policy_action action);

#endif
