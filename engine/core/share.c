/* Weighted shares of a rate gate's permits; see share.h. */
#include "share.h"

void share_init(share *s)
{
    *s = (share){{0}, {0}};
    s->weight[SHARE_BULK] = 1;
    s->weight[SHARE_NORMAL] = 3;
    s->weight[SHARE_URGENT] = 6;
    s->weight[SHARE_CRITICAL] = 24;
}

int share_next(const share *s, const int waiting[SHARE_CLASSES])
{
    int best = -1;
    for (int c = SHARE_CLASSES - 1; c >= 0; c--) {
        if (!waiting[c])
            continue;
        if (best < 0 || s->credit[c] + s->weight[c] > s->credit[best] + s->weight[best])
            best = c;
    }
    return best;
}

void share_took(share *s, int c, const int waiting[SHARE_CLASSES])
{
    int64_t total = 0;
    for (int k = 0; k < SHARE_CLASSES; k++) {
        if (waiting[k]) {
            s->credit[k] += s->weight[k];
            total += s->weight[k];
        } else {
            s->credit[k] = 0;
        }
    }
    if (c >= 0 && c < SHARE_CLASSES)
        s->credit[c] -= total;
}
