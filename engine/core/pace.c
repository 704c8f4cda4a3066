/* AIMD pacing from an API's answers; see pace.h. */
#include "pace.h"

void pace_init(pace *p, const pace_config *c, int64_t now_ms)
{
    pace_config k = *c;
    if (!(k.ceiling > 0))
        k.ceiling = 1;
    if (!(k.floor > 0))
        k.floor = 1e-3;
    if (k.floor > k.ceiling)
        k.floor = k.ceiling;
    if (!(k.step > 0))
        k.step = 1e-3;
    if (!(k.cut > 0 && k.cut < 1))
        k.cut = PACE_CUT;
    if (k.window_ms < 1)
        k.window_ms = 1;
    *p = (pace){k, k.ceiling, k.ceiling, INT64_MIN, now_ms, now_ms, 0};
}

/* A refusal: a cut, unless one was made within the window (the refusals of
 * calls already sent then carry no news) or no answer of the last window
 * was clean (an outage: see pace.h). */
static pace_event on_limited(pace *p, int64_t now_ms)
{
    p->calm_since_ms = now_ms;
    if (now_ms - p->last_clean_ms >= p->cfg.window_ms) {
        if (p->last_cut_ms == INT64_MIN || p->last_cut_ms < p->last_clean_ms)
            return PACE_OUTAGE;
        p->rate = p->before_cut;
        p->last_cut_ms = INT64_MIN;
        return PACE_RESTORED;
    }
    if (p->last_cut_ms != INT64_MIN && now_ms - p->last_cut_ms < p->cfg.window_ms)
        return PACE_HELD;
    if (p->rate <= p->cfg.floor)
        return PACE_HELD;
    p->before_cut = p->rate;
    p->rate *= p->cfg.cut;
    if (p->rate < p->cfg.floor)
        p->rate = p->cfg.floor;
    p->last_cut_ms = now_ms;
    p->cuts++;
    return PACE_CUT_DOWN;
}

/* An answer: a window of them since the last refusal or rise raises the
 * rate by a step. */
static pace_event on_clean(pace *p, int64_t now_ms)
{
    p->last_clean_ms = now_ms;
    if (p->rate >= p->cfg.ceiling || now_ms - p->calm_since_ms < p->cfg.window_ms)
        return PACE_KEPT;
    p->calm_since_ms = now_ms;
    p->rate += p->cfg.step;
    if (p->rate < p->cfg.ceiling)
        return PACE_RAISED;
    p->rate = p->cfg.ceiling;
    return PACE_CEILING;
}

pace_answer pace_answer_of(int status)
{
    if (status == 503 || status == 429)
        return PACE_LIMITED;
    return status >= 500 ? PACE_NONE : PACE_CLEAN;
}

pace_event pace_on_answer(pace *p, pace_answer a, int64_t now_ms)
{
    if (a == PACE_NONE)
        return PACE_KEPT;
    return a == PACE_LIMITED ? on_limited(p, now_ms) : on_clean(p, now_ms);
}

pace_event pace_adopt(pace *p, double rate, int64_t now_ms)
{
    if (!(rate > 0))
        return PACE_KEPT;
    if (rate > p->cfg.ceiling)
        rate = p->cfg.ceiling;
    if (rate < p->cfg.floor)
        rate = p->cfg.floor;
    if (rate > p->rate - 1e-9 && rate < p->rate + 1e-9)
        return PACE_KEPT;
    p->calm_since_ms = now_ms;
    if (rate < p->rate) {
        p->before_cut = p->rate;
        p->rate = rate;
        p->last_cut_ms = now_ms;
        return PACE_CUT_DOWN;
    }
    p->rate = rate;
    return rate >= p->cfg.ceiling ? PACE_CEILING : PACE_RAISED;
}

int pace_calls(const pace *p)
{
    return p->rate >= 2 ? (int)p->rate : 1;
}

const char *pace_event_name(pace_event e)
{
    switch (e) {
    case PACE_KEPT: return "kept";
    case PACE_RAISED: return "raised";
    case PACE_CEILING: return "ceiling";
    case PACE_CUT_DOWN: return "cut";
    case PACE_HELD: return "held";
    case PACE_OUTAGE: return "outage";
    case PACE_RESTORED: return "restored";
    }
    return "?";
}
