/* Retry policy; see policy.h. */
#include "policy.h"

static int retryable_status(int status)
{
    return status == 429 || status == 423 || status >= 500;
}

policy_action policy_decide(const policy *p, int attempt, const policy_outcome *o,
                            int idempotent, rng *r, int64_t *wait_ms)
{
    *wait_ms = 0;
    int unknown_outcome = 0;
    if (o->result == POLICY_NET_ANSWERED) {
        if (o->status >= 200 && o->status < 300)
            return POLICY_DONE;
        if (!retryable_status(o->status))
            return POLICY_PERMANENT;
        /* 429 and 503 refuse before doing anything; other 5xx might not. */
        unknown_outcome = o->status != 429 && o->status != 503 && o->status != 423;
    } else if (o->result == POLICY_NET_BROKEN) {
        return POLICY_PERMANENT;
    } else {
        unknown_outcome = o->result != POLICY_NET_UNSENT;
    }
    /* Out of tries, a write that may have landed still needs its look-up:
     * giving up would let a later send (a dead letter retried by hand)
     * repeat it blindly. The caller's own try limit ends the event. */
    if (attempt >= p->max_attempts && !(unknown_outcome && !idempotent))
        return POLICY_GIVE_UP;
    if (o->retry_after_ms >= 0) {
        *wait_ms = o->retry_after_ms;
    } else {
        retry_policy rp = {p->max_attempts, p->base_ms, p->cap_ms};
        *wait_ms = retry_backoff_ms(&rp, attempt, r);
    }
    if (*wait_ms > p->cap_ms)
        *wait_ms = p->cap_ms;
    return unknown_outcome && !idempotent ? POLICY_LOOKUP : POLICY_RETRY;
}

policy_action policy_event(const policy *p, int attempts, int handler_dead,
                           int64_t handler_wait_ms, rng *r, int64_t *wait_ms)
{
    *wait_ms = 0;
    if (handler_dead)
        return POLICY_PERMANENT;
    if (attempts >= p->max_attempts)
        return POLICY_GIVE_UP;
    retry_policy rp = {p->max_attempts, p->base_ms, p->cap_ms};
    *wait_ms = retry_backoff_ms(&rp, attempts, r);
    if (handler_wait_ms > *wait_ms)
        *wait_ms = handler_wait_ms;
    return POLICY_RETRY;
}

const char *policy_action_name(policy_action a)
{
    switch (a) {
    case POLICY_DONE: return "done";
    case POLICY_RETRY: return "retry";
    case POLICY_LOOKUP: return "lookup";
    case POLICY_GIVE_UP: return "give_up";
    case POLICY_PERMANENT: return "permanent";
    }
    return "?";
}
