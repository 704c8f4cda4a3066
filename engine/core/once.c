/* The exactly-once write rule (once.h). */
#include "once.h"

once_step once_begin(int fresh, once_state state)
{
    if (fresh)
        return ONCE_WRITE;
    switch (state) {
    case ONCE_DONE: return ONCE_ALREADY;
    case ONCE_FAILED: return ONCE_WRITE;
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
