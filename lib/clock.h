/*
 * The scaled clock of DESIGN §2. Every process runs on simulated time:
 * sim_ms = (real_ms - origin) * K, so at K=60 a simulated minute passes in a
 * real second and rate limits, delays and lead times all shrink together.
 * A clock may also be virtual (the simulator's): then time moves only when
 * the owner sets it, and a sleep just advances it.
 *
 * Also here: the duration syntax used by every config and scenario
 * ("250ms", "30s", "5m", "2h", "7d", "1h30m", or bare milliseconds) and
 * ISO-8601 timestamps for the APIs' date fields.
 */
#ifndef SURGE_CLOCK_H
#define SURGE_CLOCK_H

#include <pthread.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

typedef struct sclock {
    int64_t origin_ms;  /* unix epoch ms of simulated t = 0 */
    double scale;       /* K: simulated ms per real ms */
    int is_virtual;
    int64_t virt_now_us; /* virtual clocks only */
    int64_t base_mono_us; /* CLOCK_MONOTONIC at init ... */
    int64_t base_real_us; /* ... and CLOCK_REALTIME at the same moment */
} sclock;

/* Real-time clock with scale K (> 0) and origin in unix epoch ms; an origin
 * below 0 means "now". Reading it later is immune to wall-clock steps. */
void clock_init(sclock *c, double scale, int64_t origin_ms);
/* Virtual clock at simulated t = 0; origin only dates timestamps. */
void clock_init_virtual(sclock *c, int64_t origin_ms);
/* Virtual clocks only: moves time to t (never backwards). */
void clock_set_virtual_us(sclock *c, int64_t t_us);

int64_t clock_now_us(const sclock *c); /* simulated µs since origin */
int64_t clock_now_ms(const sclock *c); /* simulated ms since origin */
/* The unix epoch ms a simulated instant stands for: origin + sim_ms. */
int64_t clock_epoch_ms(const sclock *c, int64_t sim_ms);
/* Real milliseconds that a simulated duration takes at this scale. */
double clock_real_ms(const sclock *c, int64_t sim_ms);
/* Sleeps for a simulated duration (virtual clocks advance instead). */
void clock_sleep_ms(sclock *c, int64_t sim_ms);
/* An absolute CLOCK_MONOTONIC deadline sim_ms of simulated time from now,
 * for pthread_cond_timedwait on a condvar made by clock_cond_init. */
void clock_deadline(const sclock *c, int64_t sim_ms, struct timespec *abs);
int clock_cond_init(pthread_cond_t *cv);

/* Real wall clock, unix epoch milliseconds. */
int64_t clock_wall_ms(void);
/* Real monotonic clock in microseconds (for measuring, not for dates). */
int64_t clock_mono_us(void);

/* Parses a duration into milliseconds. Accepts a bare non-negative number
 * (milliseconds, fractions allowed) or one or more number+unit parts, units
 * ms, s, m, h, d ("1h30m", "1.5s"). Returns 0, or -1 with a message in err
 * naming the text and what was wrong. */
int clock_parse_duration(const char *s, int64_t *out_ms, char *err, size_t errlen);
/* Writes ms in the shortest exact form the parser reads back ("1h30m",
 * "250ms", "0ms"). */
void clock_format_duration(int64_t ms, char *buf, size_t n);

/* "2026-11-23T22:10:29.123Z" (millis = 1) or "2026-11-23T22:10:29Z". */
void clock_format_iso(int64_t epoch_ms, int millis, char *buf, size_t n);
/* Parses "YYYY-MM-DD", "YYYY-MM-DDTHH:MM:SS[.fff][Z|±HH:MM]" (no zone means
 * UTC) into unix epoch ms. Returns 0 or -1. */
int clock_parse_iso(const char *s, int64_t *epoch_ms);

#endif
