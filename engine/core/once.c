/* The exactly-once write rule (once.h). */
#include "once.h"

once_step once_begin(int fresh, once_state state)
{
    if (fresh)
        return ONCE_WRITE;
    switch (state) {
    case ONCE_DONE: return ONCE_ALREADY;
    /* A refusal vouches for its own try only: the resend is open until
     * its answer, or a sender killed on the way would leave "failed"
     * behind a write that landed, and the next try would send it again. */
    case ONCE_FAILED: return ONCE_REOPEN;
    case ONCE_INTENT:
    case ONCE_UNKNOWN: break;
    }
    return ONCE_LOOK_UP;
}

once_state once_after(policy_action action)
{
    switch (action) {
    case POLICY_DONE: return ONCE_DONE;
    case POLICY_LOOKUP: return ONCE_UNKNOWN;
    case POLICY_RETRY:
    case POLICY_GIVE_UP:
    case POLICY_PERMANENT: break;
    }
    return ONCE_FAILED;
}
