/* Log-linear latency histogram; see hist.h. */
#include "hist.h"

#include "mem.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

/* Values below EXACT get a bucket each. From there on every power of two
 * [2^e, 2^(e+1)) is cut into SUB equal buckets of width 2^(e - SUB_BITS), so
 * a bucket is at most 1/128 of its lower bound wide and its midpoint is
 * within 1/256 of anything in it. EXACT = 2 * SUB makes the first split
 * octave (256..511) start with width 2, continuing the exact run smoothly. */
#define SUB_BITS 7
#define SUB (1 << SUB_BITS)
#define EXACT (2 * SUB)
#define FIRST_EXP 8 /* log2(EXACT) */
#define LAST_EXP 36 /* floor(log2(HIST_VALUE_MAX)) */
#define HIST_BUCKETS (EXACT + (LAST_EXP - FIRST_EXP + 1) * SUB)

_Static_assert(((int64_t)1 << LAST_EXP) <= HIST_VALUE_MAX &&
                   HIST_VALUE_MAX < ((int64_t)1 << (LAST_EXP + 1)),
               "LAST_EXP must be the top octave of HIST_VALUE_MAX");

/* The running sum needs more than 64 bits: hist_record_n can add 2^36 times
 * a count near 2^64. Two words keep the mean exact without a compiler
 * extension. */
typedef struct {
    uint64_t lo, hi;
} u128;

struct hist {
    uint64_t total;
    int64_t min, max; /* meaningful only when total > 0 */
    u128 sum;
    uint64_t counts[HIST_BUCKETS];
};

static int64_t clamp_value(int64_t v)
{
    if (v < 0)
        return 0;
    return v > HIST_VALUE_MAX ? HIST_VALUE_MAX : v;
}

/* v must already be clamped. */
static int bucket_of(int64_t v)
{
    if (v < EXACT)
        return (int)v;
    int e = 63 - __builtin_clzll((unsigned long long)v);
    int sub = (int)(v >> (e - SUB_BITS)) - SUB;
    return EXACT + (e - FIRST_EXP) * SUB + sub;
}

static void bucket_bounds(int i, int64_t *lo, int64_t *hi)
{
    if (i < EXACT) {
        *lo = *hi = i;
        return;
    }
    int j = i - EXACT;
    int shift = FIRST_EXP + j / SUB - SUB_BITS;
    *lo = (int64_t)(SUB + j % SUB) << shift;
    *hi = *lo + ((int64_t)1 << shift) - 1;
}

static void u128_add(u128 *s, uint64_t lo, uint64_t hi)
{
    s->lo += lo;
    s->hi += hi + (s->lo < lo);
}

/* s += a * b, by 32-bit halves. */
static void u128_add_mul(u128 *s, uint64_t a, uint64_t b)
{
    const uint64_t m = 0xffffffffu;
    uint64_t p0 = (a & m) * (b & m), p1 = (a & m) * (b >> 32);
    uint64_t p2 = (a >> 32) * (b & m), p3 = (a >> 32) * (b >> 32);
    uint64_t mid = (p0 >> 32) + (p1 & m) + (p2 & m);
    u128_add(s, (p0 & m) | (mid << 32), p3 + (p1 >> 32) + (p2 >> 32) + (mid >> 32));
}

hist *hist_new(void)
{
    return xcalloc(1, sizeof(hist));
}

void hist_free(hist *h)
{
    free(h);
}

void hist_record(hist *h, int64_t v)
{
    hist_record_n(h, v, 1);
}

void hist_record_n(hist *h, int64_t v, uint64_t n)
{
    if (n == 0)
        return;
    v = clamp_value(v);
    h->counts[bucket_of(v)] += n;
    if (h->total == 0 || v < h->min)
        h->min = v;
    if (h->total == 0 || v > h->max)
        h->max = v;
    h->total += n;
    u128_add_mul(&h->sum, (uint64_t)v, n);
}

void hist_merge(hist *dst, const hist *src)
{
    if (src->total == 0)
        return;
    for (int i = 0; i < HIST_BUCKETS; i++)
        dst->counts[i] += src->counts[i];
    if (dst->total == 0 || src->min < dst->min)
        dst->min = src->min;
    if (dst->total == 0 || src->max > dst->max)
        dst->max = src->max;
    dst->total += src->total;
    u128_add(&dst->sum, src->sum.lo, src->sum.hi);
}

void hist_reset(hist *h)
{
    memset(h, 0, sizeof *h);
}

uint64_t hist_count(const hist *h)
{
    return h->total;
}

int64_t hist_min(const hist *h)
{
    return h->total ? h->min : 0;
}

int64_t hist_max(const hist *h)
{
    return h->total ? h->max : 0;
}

double hist_mean(const hist *h)
{
    if (h->total == 0)
        return 0.0;
    return ((double)h->sum.hi * 18446744073709551616.0 + (double)h->sum.lo) /
           (double)h->total;
}

/* ceil(p / 100 * total), at least 1 and at most total. p is usually a decimal
 * such as 99.9 that binary cannot hold, so p * total / 100 may come out a
 * hair above a whole number it should equal; such a hair is dropped rather
 * than pushing the rank up by one. */
static uint64_t rank_of(double p, uint64_t total)
{
    if (!(p > 0.0)) /* also NaN */
        p = 0.0;
    if (p > 100.0)
        p = 100.0;
    double x = p * (double)total / 100.0;
    double whole = floor(x);
    double r = x - whole <= x * 1e-12 ? whole : ceil(x);
    if (r < 1.0)
        return 1;
    if (r >= (double)total)
        return total;
    return (uint64_t)r;
}

int64_t hist_percentile(const hist *h, double p)
{
    if (h->total == 0)
        return 0;
    uint64_t rank = rank_of(p, h->total);
    /* The extremes are known exactly; no need to approximate them. */
    if (rank == 1)
        return h->min;
    if (rank == h->total)
        return h->max;
    uint64_t seen = 0;
    for (int i = 0; i < HIST_BUCKETS; i++) {
        seen += h->counts[i];
        if (seen < rank)
            continue;
        int64_t lo, hi;
        bucket_bounds(i, &lo, &hi);
        int64_t mid = lo + (hi - lo + 1) / 2;
        if (mid < h->min)
            return h->min;
        return mid > h->max ? h->max : mid;
    }
    return h->max; /* not reached: the counts sum to total */
}

int hist_iter(const hist *h, int (*fn)(int64_t lo, int64_t hi, uint64_t count, void *ud),
              void *ud)
{
    for (int i = 0; i < HIST_BUCKETS; i++) {
        if (h->counts[i] == 0)
            continue;
        int64_t lo, hi;
        bucket_bounds(i, &lo, &hi);
        int rc = fn(lo, hi, h->counts[i], ud);
        if (rc != 0)
            return rc;
    }
    return 0;
}
