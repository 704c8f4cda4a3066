/*
 * A log-linear (HDR-style) histogram of non-negative int64 values, for the
 * latencies every run reports. The module is unit-agnostic; callers pick the
 * unit and it is typically microseconds, so the range 1 .. HIST_VALUE_MAX is
 * 1 µs to 24 h. Values below 256 land in exact buckets; above, every power
 * of two is split into 128 equal sub-buckets, so any percentile is answered
 * within 1% (in fact within 0.4%) of the exact nearest-rank value. Memory is
 * one fixed array: recording never allocates, however many values arrive.
 *
 * Not thread-safe, by design: each thread records into a histogram of its
 * own and the owner merges them at join (STYLE.md habit 7), so the hot path
 * takes no lock.
 */
#ifndef SURGE_HIST_H
#define SURGE_HIST_H

#include <stdint.h>

/* The largest value told apart: 24 h in microseconds. Larger values are
 * recorded as HIST_VALUE_MAX, zero and negatives as 0; both still count. */
#define HIST_VALUE_MAX INT64_C(86400000000)

typedef struct hist hist;

/* A new empty histogram; caller frees with hist_free (which accepts NULL).
 * Aborts on out of memory like xmalloc. */
hist *hist_new(void);
void hist_free(hist *h);

void hist_record(hist *h, int64_t v);
/* Records v n times at the cost of one record (n = 0 does nothing). */
void hist_record_n(hist *h, int64_t v, uint64_t n);
/* Adds everything src recorded into dst; src is unchanged. */
void hist_merge(hist *dst, const hist *src);
/* Back to empty. */
void hist_reset(hist *h);

/* Exact figures (after clamping to 0 .. HIST_VALUE_MAX); all 0 when empty. */
uint64_t hist_count(const hist *h);
int64_t hist_min(const hist *h);
int64_t hist_max(const hist *h);
double hist_mean(const hist *h);

/* The nearest-rank p-th percentile, p in [0, 100] (outside is clamped): the
 * value of rank ceil(p / 100 * count), at least 1. Answered as the midpoint
 * of the bucket holding that rank, clamped to [min, max], so it lies within
 * 1% of the exact value; p = 0 and p = 100 give the exact min and max.
 * 0 when empty. */
int64_t hist_percentile(const hist *h, double p);

/* Calls fn for each non-empty bucket in increasing order of value, with the
 * bucket's inclusive bounds (lo <= every value in it <= hi) and its count.
 * Stops early and returns fn's value when fn returns non-zero; returns 0
 * after the last bucket. */
int hist_iter(const hist *h, int (*fn)(int64_t lo, int64_t hi, uint64_t count, void *ud),
              void *ud);

#endif
