/*
 * How fast syncd may call an API that tells its limit only by refusing:
 * Cin7 sends no rate-limit headers, only a 503 (or a 429) once a minute's
 * calls are spent, and the limit it enforces may be lower than the one
 * configured (an account on another plan, another app sharing the key, a
 * limit lowered for a while). The configured calls per minute is only a
 * ceiling; the pace learns the real limit from the answers, the way TCP
 * learns a path's capacity (AIMD: additive increase, multiplicative
 * decrease), as a pure function over a plain struct. Time comes in as
 * arguments (simulated ms); nothing here reads a clock. Not thread-safe:
 * the owner (syncd's Cin7 gate) serialises calls.
 *
 * A limit answer cuts the rate to cut x rate (0.5: below any limit within
 * a factor of two of the rate in one step, so a ceiling far off, 55 against
 * Cin7's 30, costs one window of refused calls, not several), never below
 * the floor. At most one cut per window: the calls already in the window
 * when the first refusal comes back are refused too, and they carry no
 * news; cutting for each would take the rate to the floor in one burst.
 * After a whole window of clean answers since the last limit answer (or
 * the last rise) the rate rises by step calls per window (2 by default):
 * slowly, so a rate just under the limit stays there for many windows and
 * the probe that finds the limit again costs only the few calls over it,
 * never above the ceiling. Under a steady lower limit L the rate saws
 * between L/2 and L, a cut every (L/2)/step windows; once the limit is
 * lifted it climbs back to the ceiling in (ceiling - rate)/step windows
 * (from 27.5 to 55 at step 2: 14 minutes).
 *
 * An outage is not a lower limit: every call is refused (Cin7 answers 503
 * when it is down too) and a slower pace would not let one through. A
 * limit lets some calls through in every window; so a limit answer when
 * no answer of the last window was clean is taken for an outage: the
 * rate does not move, and a cut made since the last clean answer (the
 * outage's first refusals looked like a limit) is undone. When the outage
 * ends syncd drains its backlog at the pace it had before, and a limit
 * that came with the recovery is found by the next refusal as usual.
 */
#ifndef SURGE_PACE_H
#define SURGE_PACE_H

#include <stdint.h>

/* The defaults syncd uses (see above for why). */
#define PACE_CUT 0.5
#define PACE_STEP 2.0
#define PACE_FLOOR 1.0

typedef struct {
    double ceiling;    /* the configured rate: the start, never exceeded (> 0) */
    double floor;      /* never below (> 0, <= ceiling) */
    double step;       /* added after a window of clean answers (> 0) */
    double cut;        /* a limit answer multiplies the rate by this (0 < cut < 1) */
    int64_t window_ms; /* the remote limit's window: Cin7's minute */
} pace_config;

typedef enum {
    PACE_CLEAN,   /* answered: 2xx, or a 4xx other than 429 */
    PACE_LIMITED, /* refused for the rate: 503 (Cin7's documented answer) or 429 */
    PACE_NONE     /* says nothing about the rate: another 5xx (the server
                     failed), or no answer at all (never passed here) */
} pace_answer;

/* What an answer did to the rate. */
typedef enum {
    PACE_KEPT,     /* a clean answer; the rate did not move */
    PACE_RAISED,   /* a window of clean answers: rate + step */
    PACE_CEILING,  /* the same, and the rate is back at the ceiling */
    PACE_CUT_DOWN, /* a limit answer: rate x cut */
    PACE_HELD,     /* a limit answer within a window of the last cut, or at the floor */
    PACE_OUTAGE,   /* a limit answer with no clean answer for a window: the rate holds */
    PACE_RESTORED  /* the same, and the cut made since the last clean answer
                      (the outage's first refusals) is undone */
} pace_event;

typedef struct {
    pace_config cfg;
    double rate;           /* calls per window now */
    double before_cut;     /* the rate the last cut started from */
    int64_t last_cut_ms;   /* INT64_MIN: never cut */
    int64_t last_clean_ms; /* the last clean answer (the start counts as one) */
    int64_t calm_since_ms; /* the last limit answer or rise: a window after it, the rate rises */
    uint64_t cuts;         /* cuts made (an outage's, undone later, included) */
} pace;

/* Starts at the ceiling at now_ms, as if Cin7 had just answered cleanly.
 * Values of c out of range are brought into it (floor to [tiny, ceiling],
 * cut into (0, 1), step and window to at least their smallest). */
void pace_init(pace *p, const pace_config *c, int64_t now_ms);
/* What an answer of this HTTP status tells the pace. */
pace_answer pace_answer_of(int status);
/* One answer that arrived at now_ms; returns what it did (the rate is
 * p->rate). PACE_NONE changes nothing. */
pace_event pace_on_answer(pace *p, pace_answer a, int64_t now_ms);
/* The rate as a whole number of calls per window for a limiter: rounded
 * down, at least 1. */
int pace_calls(const pace *p);
/* Several instances sharing one limit (syncd on a shared store) each
 * feed their own answers to their own pace but keep one rate: each
 * stores its cuts and rises, and adopts the others'. Adopts rate (brought
 * into [floor, ceiling]) at now_ms. A lower rate counts as this pace's own
 * cut made at now_ms: no cut of its own for a window after (its refusals
 * then are of the same overrun the other instance saw), and an outage
 * found later undoes it like its own; cuts is not counted (it counts this
 * pace's own). A higher rate counts as a rise at now_ms: the next rise a
 * window of clean answers later, so instances do not each add a step for
 * the same clean window. Returns PACE_CUT_DOWN, PACE_RAISED (PACE_CEILING
 * when at the ceiling), or PACE_KEPT when rate is the current rate (within
 * 1e-9) or not a rate (not > 0). */
pace_event pace_adopt(pace *p, double rate, int64_t now_ms);
/* "kept", "raised", ... for logs. */
const char *pace_event_name(pace_event e);

#endif
