/* Latency histogram: percentiles against exact nearest-rank answers from
 * sorted samples, exact count/min/max/mean, merging, clamping, iteration and
 * constant memory. */
#include "../runner.h"

#include "hist.h"
#include "rng.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>

#ifdef __SANITIZE_ADDRESS__
/* From the sanitizer runtime's public interface (allocator_interface.h,
 * which this compiler does not ship). */
size_t __sanitizer_get_current_allocated_bytes(void);
static size_t heap_bytes(void)
{
    return __sanitizer_get_current_allocated_bytes();
}
#else
#include <malloc.h>
static size_t heap_bytes(void)
{
    return mallinfo2().uordblks;
}
#endif

static int cmp_i64(const void *a, const void *b)
{
    int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
    return (x > y) - (x < y);
}

/* The exact nearest-rank percentile of sorted v for p = permille / 10, in
 * integers so the reference has no rounding of its own. */
static int64_t exact_pct(const int64_t *v, size_t n, int permille)
{
    size_t rank = ((size_t)permille * n + 999) / 1000;
    if (rank < 1)
        rank = 1;
    return v[rank - 1];
}

/* Checks every percentile in steps of 0.1 (p50, p90, p99, p99.9, p100
 * among them) against the sorted samples; returns the worst relative
 * error seen. Sorts v. */
static double check_all_pcts(const hist *h, int64_t *v, size_t n, const char *what)
{
    qsort(v, n, sizeof *v, cmp_i64);
    double worst = 0.0;
    for (int pm = 0; pm <= 1000; pm++) {
        int64_t want = exact_pct(v, n, pm);
        int64_t got = hist_percentile(h, pm / 10.0);
        double err = want == 0 ? (got == 0 ? 0.0 : 1.0)
                               : fabs((double)got - (double)want) / (double)want;
        if (err > 0.01)
            test_fail(__FILE__, __LINE__, "%s: p%.1f = %lld, exact %lld (error %.4f%%)",
                      what, pm / 10.0, (long long)got, (long long)want, err * 100);
        if (err > worst)
            worst = err;
    }
    EXPECT_EQ_INT(hist_percentile(h, 0), v[0]);
    EXPECT_EQ_INT(hist_percentile(h, 100), v[n - 1]);
    return worst;
}

static void record_all(hist *h, const int64_t *v, size_t n)
{
    for (size_t i = 0; i < n; i++)
        hist_record(h, v[i]);
}

enum { NSAMPLES = 200000 };

static int64_t clamp_sample(double x)
{
    if (x < 1.0)
        return 1;
    if (x > (double)HIST_VALUE_MAX)
        return HIST_VALUE_MAX;
    return (int64_t)llround(x);
}

/* Fills v with n samples of distribution kind from seed. */
static void draw(int kind, uint64_t seed, int64_t *v, size_t n)
{
    rng r;
    rng_seed(&r, seed);
    for (size_t i = 0; i < n; i++) {
        switch (kind) {
        case 0: /* uniform over 1..1e6 */
            v[i] = 1 + (int64_t)rng_below(&r, 1000000);
            break;
        case 1: /* lognormal, median 50 ms and p99 20 s: a very wide spread */
            v[i] = clamp_sample(rng_lognormal(&r, 50000.0, 20e6));
            break;
        case 2: /* log-uniform over the whole range, 1 .. 8.64e10 */
            v[i] = clamp_sample(exp(rng_range(&r, 0.0, log((double)HIST_VALUE_MAX))));
            break;
        case 3: /* a constant */
            v[i] = 123456789;
            break;
        default: /* small values, all in exact buckets */
            v[i] = (int64_t)rng_below(&r, 256);
            break;
        }
    }
}

/* Records NSAMPLES of distribution kind drawn from seed and checks every
 * percentile (check_all_pcts): the worst relative error. range (may be
 * NULL) gets the smallest and largest sample. */
static double check_distribution(int kind, uint64_t seed, const char *what, int64_t range[2])
{
    int64_t *v = malloc(NSAMPLES * sizeof *v);
    draw(kind, seed, v, NSAMPLES);
    hist *h = hist_new();
    record_all(h, v, NSAMPLES);
    double worst = check_all_pcts(h, v, NSAMPLES, what); /* sorts v */
    if (range) {
        range[0] = v[0];
        range[1] = v[NSAMPLES - 1];
    }
    hist_free(h);
    free(v);
    return worst;
}

TEST(hist, percentiles_uniform)
{
    check_distribution(0, 1, "uniform", NULL);
}

TEST(hist, percentiles_lognormal)
{
    check_distribution(1, 2, "lognormal", NULL);
}

TEST(hist, percentiles_whole_range)
{
    int64_t range[2];
    check_distribution(2, 3, "log-uniform", range);
    /* The samples must really reach both ends for the test to mean much. */
    EXPECT_LT_INT(range[0], 10);
    EXPECT_GT_INT(range[1], HIST_VALUE_MAX / 2);
}

TEST(hist, percentiles_constant_and_small_are_exact)
{
    EXPECT_NEAR(check_distribution(3, 4, "constant", NULL), 0.0, 0.0);
    /* Below 256 every value has a bucket of its own. */
    EXPECT_NEAR(check_distribution(4, 5, "small", NULL), 0.0, 0.0);
}

TEST(hist, percentile_rank_is_nearest_rank)
{
    /* 1..100 once each: small values are exact, so the answers are the
     * ranks themselves. */
    hist *h = hist_new();
    for (int64_t i = 1; i <= 100; i++)
        hist_record(h, i);
    EXPECT_EQ_INT(hist_percentile(h, 50), 50);
    EXPECT_EQ_INT(hist_percentile(h, 50.5), 51);
    EXPECT_EQ_INT(hist_percentile(h, 99), 99);
    EXPECT_EQ_INT(hist_percentile(h, 99.1), 100);
    EXPECT_EQ_INT(hist_percentile(h, 0.5), 1);
    EXPECT_EQ_INT(hist_percentile(h, 1), 1);
    EXPECT_EQ_INT(hist_percentile(h, 1.01), 2);
    /* 16.1 * 1000 / 100 comes out as 161.00000000000003 in binary; the
     * rank is still 161, not 162. */
    hist_reset(h);
    hist_record_n(h, 10, 161);
    hist_record_n(h, 20, 839);
    EXPECT_EQ_INT(hist_percentile(h, 16.1), 10);
    EXPECT_EQ_INT(hist_percentile(h, 16.11), 20);
    hist_reset(h);
    hist_record_n(h, 10, 322);
    hist_record_n(h, 20, 678);
    EXPECT_EQ_INT(hist_percentile(h, 32.2), 10);
    /* p99.9 of 1000 values is rank 999, not the max. */
    hist_reset(h);
    for (int64_t i = 1; i <= 1000; i++)
        hist_record(h, i * 1000);
    int64_t p999 = hist_percentile(h, 99.9);
    EXPECT_NEAR(p999, 999000, 999000 * 0.01);
    EXPECT_LT_INT(p999, 1000000); /* not the max */
    /* p outside [0, 100] is clamped; NaN counts as 0. */
    EXPECT_EQ_INT(hist_percentile(h, -5), 1000);
    EXPECT_EQ_INT(hist_percentile(h, 150), 1000000);
    EXPECT_EQ_INT(hist_percentile(h, NAN), 1000);
    hist_free(h);
}

/* The relative error of the median of {lo, v, the largest value} recorded
 * into h (reset first); fails the test beyond 1%. */
static double median_error(hist *h, int64_t lo, int64_t v)
{
    hist_reset(h);
    hist_record(h, lo);
    hist_record(h, v);
    hist_record(h, HIST_VALUE_MAX);
    int64_t got = hist_percentile(h, 50);
    double err = fabs((double)got - (double)v) / (double)v;
    if (err > 0.01)
        test_fail(__FILE__, __LINE__, "median of {%lld, %lld, max} = %lld", (long long)lo,
                  (long long)v, (long long)got);
    return err;
}

TEST(hist, every_bucket_edge_within_error)
{
    /* One value between two extremes: the median is answered from its
     * bucket alone, so this measures the error at bucket edges, where it is
     * largest. The design promises 1/256; the contract 1%. */
    hist *h = hist_new();
    double worst = 0.0;
    for (int e = 1; e <= 36; e++) {
        int64_t p = (int64_t)1 << e;
        int64_t cases[] = {p - 1, p, p + 1, p + p / 2 - 1, p + p / 2};
        for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
            if (cases[i] <= HIST_VALUE_MAX)
                worst = fmax(worst, median_error(h, 1, cases[i]));
        }
    }
    rng r;
    rng_seed(&r, 6);
    for (int i = 0; i < 100000; i++) {
        int64_t v = clamp_sample(exp(rng_range(&r, 0.0, log((double)HIST_VALUE_MAX))));
        worst = fmax(worst, median_error(h, 0, v));
    }
    EXPECT_TRUE(worst <= 1.0 / 256 + 1e-12);
    hist_free(h);
}

TEST(hist, count_min_max_mean_exact)
{
    hist *h = hist_new();
    int64_t vals[] = {1000, 3, 77777, 250, 256, 86399999999, 42};
    long double sum = 0;
    for (size_t i = 0; i < sizeof vals / sizeof vals[0]; i++) {
        hist_record(h, vals[i]);
        sum += vals[i];
    }
    EXPECT_EQ_INT(hist_count(h), 7);
    EXPECT_EQ_INT(hist_min(h), 3);
    EXPECT_EQ_INT(hist_max(h), 86399999999);
    EXPECT_NEAR(hist_mean(h), (double)(sum / 7), 1e-6);

    /* record_n counts n times; a sum past 2^64 keeps the mean exact. */
    hist_reset(h);
    hist_record_n(h, HIST_VALUE_MAX, (uint64_t)1 << 40);
    hist_record_n(h, 2, (uint64_t)1 << 40);
    hist_record_n(h, 5, 0); /* nothing */
    EXPECT_EQ_U64(hist_count(h), (uint64_t)1 << 41);
    EXPECT_EQ_INT(hist_min(h), 2);
    EXPECT_EQ_INT(hist_max(h), HIST_VALUE_MAX);
    EXPECT_NEAR(hist_mean(h), (HIST_VALUE_MAX + 2) / 2.0, 1e-3);

    /* Mean of 1..1e6 recorded once each. */
    hist_reset(h);
    for (int64_t i = 1; i <= 1000000; i++)
        hist_record(h, i);
    EXPECT_NEAR(hist_mean(h), 500000.5, 1e-9);
    hist_free(h);
}

TEST(hist, empty_answers_zero)
{
    hist *h = hist_new();
    EXPECT_EQ_INT(hist_count(h), 0);
    EXPECT_EQ_INT(hist_min(h), 0);
    EXPECT_EQ_INT(hist_max(h), 0);
    EXPECT_NEAR(hist_mean(h), 0.0, 0.0);
    EXPECT_EQ_INT(hist_percentile(h, 0), 0);
    EXPECT_EQ_INT(hist_percentile(h, 50), 0);
    EXPECT_EQ_INT(hist_percentile(h, 100), 0);
    /* Reset brings a used histogram back to the same answers. */
    hist_record(h, 12345);
    hist_record_n(h, 99, 10);
    hist_reset(h);
    EXPECT_EQ_INT(hist_count(h), 0);
    EXPECT_EQ_INT(hist_min(h), 0);
    EXPECT_EQ_INT(hist_max(h), 0);
    EXPECT_NEAR(hist_mean(h), 0.0, 0.0);
    EXPECT_EQ_INT(hist_percentile(h, 99), 0);
    hist_record(h, 7);
    EXPECT_EQ_INT(hist_min(h), 7);
    EXPECT_EQ_INT(hist_max(h), 7);
    hist_free(h);
    hist_free(NULL);
}

TEST(hist, clamps_out_of_range_values)
{
    hist *h = hist_new();
    hist_record(h, -5);
    hist_record(h, INT64_MIN);
    hist_record(h, 0);
    hist_record(h, HIST_VALUE_MAX + 1);
    hist_record(h, INT64_MAX);
    hist_record_n(h, HIST_VALUE_MAX * 3, 3);
    EXPECT_EQ_INT(hist_count(h), 8);
    EXPECT_EQ_INT(hist_min(h), 0);
    EXPECT_EQ_INT(hist_max(h), HIST_VALUE_MAX);
    EXPECT_NEAR(hist_mean(h), HIST_VALUE_MAX * 5.0 / 8.0, 1e-3);
    EXPECT_EQ_INT(hist_percentile(h, 0), 0);
    EXPECT_EQ_INT(hist_percentile(h, 37.5), 0);
    /* Rank 4 is answered from the top bucket, within its error. */
    EXPECT_NEAR(hist_percentile(h, 37.6), HIST_VALUE_MAX, HIST_VALUE_MAX / 256.0);
    EXPECT_NEAR(hist_percentile(h, 50), HIST_VALUE_MAX, HIST_VALUE_MAX / 256.0);
    EXPECT_EQ_INT(hist_percentile(h, 100), HIST_VALUE_MAX);
    hist_free(h);
}

/* ---- iteration ---------------------------------------------------------- */

typedef struct {
    int64_t lo, hi;
    uint64_t count;
} seen_bucket;

typedef struct {
    seen_bucket b[8192];
    size_t n;
    size_t stop_after; /* 0: never */
} seen;

static int collect(int64_t lo, int64_t hi, uint64_t count, void *ud)
{
    seen *s = ud;
    if (s->n == sizeof s->b / sizeof s->b[0])
        return -1;
    s->b[s->n++] = (seen_bucket){lo, hi, count};
    return s->stop_after && s->n == s->stop_after ? 7 : 0;
}

/* The visited bucket holding v, or NULL. */
static const seen_bucket *find_bucket(const seen *s, int64_t v)
{
    size_t a = 0, b = s->n;
    while (a < b) {
        size_t m = a + (b - a) / 2;
        if (s->b[m].hi < v)
            a = m + 1;
        else
            b = m;
    }
    return a < s->n && s->b[a].lo <= v ? &s->b[a] : NULL;
}

static void check_buckets_sane(const seen *s, uint64_t total)
{
    uint64_t sum = 0;
    for (size_t i = 0; i < s->n; i++) {
        const seen_bucket *b = &s->b[i];
        EXPECT_LE_INT(b->lo, b->hi);
        EXPECT_GT_INT(b->count, 0);
        if (i > 0)
            EXPECT_GT_INT(b->lo, s->b[i - 1].hi);
        /* Never wider than 1/128 of where it starts (exact below 256). */
        if (b->lo < 256)
            EXPECT_EQ_INT(b->lo, b->hi);
        else
            EXPECT_LE_INT((b->hi - b->lo + 1) * 128, b->lo);
        sum += b->count;
    }
    EXPECT_EQ_U64(sum, total);
}

TEST(hist, iter_buckets_cover_recorded_values)
{
    int64_t *v = malloc(NSAMPLES * sizeof *v);
    draw(2, 7, v, NSAMPLES);
    /* Every power of two and its neighbours, up to the top of the range. */
    size_t n = 1000;
    for (int e = 0; e <= 36; e++) {
        v[n++] = ((int64_t)1 << e) - 1;
        v[n++] = (int64_t)1 << e;
        v[n++] = ((int64_t)1 << e) + 1;
    }
    v[n++] = HIST_VALUE_MAX;
    v[n++] = HIST_VALUE_MAX - 1;
    hist *h = hist_new();
    record_all(h, v, n);
    seen *s = calloc(1, sizeof *s);
    EXPECT_EQ_INT(hist_iter(h, collect, s), 0);
    check_buckets_sane(s, n);
    /* Each recorded value lies in a visited bucket, and each bucket's count
     * is the number of recorded values it holds. */
    uint64_t *held = calloc(s->n, sizeof *held);
    for (size_t i = 0; i < n; i++) {
        const seen_bucket *b = find_bucket(s, v[i]);
        if (!b)
            test_fail(__FILE__, __LINE__, "%lld is in no visited bucket", (long long)v[i]);
        held[b - s->b]++;
    }
    for (size_t i = 0; i < s->n; i++)
        EXPECT_EQ_U64(held[i], s->b[i].count);
    free(held);
    free(s);
    hist_free(h);
    free(v);
}

TEST(hist, iter_buckets_tile_the_range)
{
    /* Every value 0 .. 2^17 once: the visited buckets must be contiguous and
     * each hold exactly as many values as it is wide. */
    hist *h = hist_new();
    const int64_t top = (int64_t)1 << 17;
    for (int64_t i = 0; i < top; i++)
        hist_record(h, i);
    seen *s = calloc(1, sizeof *s);
    EXPECT_EQ_INT(hist_iter(h, collect, s), 0);
    check_buckets_sane(s, (uint64_t)top);
    EXPECT_EQ_INT(s->b[0].lo, 0);
    EXPECT_EQ_INT(s->b[s->n - 1].hi, top - 1);
    for (size_t i = 0; i < s->n; i++) {
        if (i > 0)
            EXPECT_EQ_INT(s->b[i].lo, s->b[i - 1].hi + 1);
        EXPECT_EQ_INT(s->b[i].count, s->b[i].hi - s->b[i].lo + 1);
    }
    /* 256 exact buckets, then 128 per power of two from 2^8 to 2^16. */
    EXPECT_EQ_INT(s->n, 256 + 9 * 128);
    free(s);
    hist_free(h);
}

TEST(hist, iter_stops_early_and_skips_empty)
{
    hist *h = hist_new();
    seen *s = calloc(1, sizeof *s);
    EXPECT_EQ_INT(hist_iter(h, collect, s), 0);
    EXPECT_EQ_INT(s->n, 0);
    for (int64_t i = 1; i <= 10; i++)
        hist_record(h, i * 1000);
    s->stop_after = 3;
    EXPECT_EQ_INT(hist_iter(h, collect, s), 7);
    EXPECT_EQ_INT(s->n, 3);
    EXPECT_TRUE(s->b[0].lo <= 1000 && 1000 <= s->b[0].hi);
    EXPECT_TRUE(s->b[2].lo <= 3000 && 3000 <= s->b[2].hi);
    free(s);
    hist_free(h);
}

/* ---- merging ------------------------------------------------------------ */

static void expect_same(const hist *a, const hist *b)
{
    EXPECT_EQ_U64(hist_count(a), hist_count(b));
    EXPECT_EQ_INT(hist_min(a), hist_min(b));
    EXPECT_EQ_INT(hist_max(a), hist_max(b));
    EXPECT_NEAR(hist_mean(a), hist_mean(b), 1e-9 * hist_mean(b));
    for (int pm = 0; pm <= 1000; pm++)
        EXPECT_EQ_INT(hist_percentile(a, pm / 10.0), hist_percentile(b, pm / 10.0));
    seen *sa = calloc(1, sizeof *sa), *sb = calloc(1, sizeof *sb);
    hist_iter(a, collect, sa);
    hist_iter(b, collect, sb);
    EXPECT_EQ_INT(sa->n, sb->n);
    for (size_t i = 0; i < sa->n; i++) {
        EXPECT_EQ_INT(sa->b[i].lo, sb->b[i].lo);
        EXPECT_EQ_U64(sa->b[i].count, sb->b[i].count);
    }
    free(sa);
    free(sb);
}

TEST(hist, merge_equals_recording_into_one)
{
    enum { PARTS = 4 };
    int64_t *v = malloc(NSAMPLES * sizeof *v);
    hist *all = hist_new(), *parts[PARTS];
    for (int i = 0; i < PARTS; i++)
        parts[i] = hist_new();
    /* Each part gets a different distribution, as threads of different
     * streams would. */
    for (int k = 0; k < PARTS; k++) {
        draw(k, 100 + (uint64_t)k, v, NSAMPLES / PARTS);
        record_all(all, v, NSAMPLES / PARTS);
        record_all(parts[k], v, NSAMPLES / PARTS);
    }
    hist *merged = hist_new();
    hist *empty = hist_new();
    hist_merge(merged, empty); /* nothing into nothing */
    EXPECT_EQ_INT(hist_count(merged), 0);
    for (int i = 0; i < PARTS; i++)
        hist_merge(merged, parts[i]);
    hist_merge(merged, empty);
    expect_same(merged, all);
    /* The sources are left as they were. */
    EXPECT_EQ_INT(hist_count(parts[0]), NSAMPLES / PARTS);

    /* Merging into a non-empty histogram whose min and max are beyond the
     * source's keeps them. */
    hist *wide = hist_new(), *wide_all = hist_new();
    hist_record(wide, 0);
    hist_record(wide, HIST_VALUE_MAX);
    hist_merge(wide_all, all);
    hist_merge(wide_all, wide);
    hist_merge(wide, all);
    expect_same(wide, wide_all);
    EXPECT_EQ_INT(hist_min(wide), 0);
    EXPECT_EQ_INT(hist_max(wide), HIST_VALUE_MAX);

    hist_free(wide);
    hist_free(wide_all);
    hist_free(empty);
    hist_free(merged);
    for (int i = 0; i < PARTS; i++)
        hist_free(parts[i]);
    hist_free(all);
    free(v);
}

/* ---- memory ------------------------------------------------------------- */

TEST(hist, memory_is_constant)
{
    size_t before = heap_bytes();
    hist *h = hist_new();
    size_t footprint = heap_bytes() - before;
    /* One fixed array of a few thousand counters. */
    EXPECT_GT_INT(footprint, 0);
    EXPECT_LT_INT(footprint, 64 * 1024);

    size_t start = heap_bytes();
    rng r;
    rng_seed(&r, 8);
    for (int i = 0; i < 10000000; i++)
        hist_record(h, (int64_t)(rng_next(&r) % (uint64_t)HIST_VALUE_MAX));
    for (int64_t v = 1; v <= HIST_VALUE_MAX; v *= 3)
        hist_record_n(h, v, 10000000);
    EXPECT_EQ_INT(heap_bytes(), start);
    EXPECT_EQ_U64(hist_count(h), 10000000ULL + 23ULL * 10000000ULL);
    EXPECT_EQ_INT(hist_min(h), hist_percentile(h, 0));
    EXPECT_EQ_INT(hist_max(h), hist_percentile(h, 100));

    /* Merging and resetting do not allocate either. */
    hist *other = hist_new();
    start = heap_bytes();
    hist_merge(other, h);
    hist_reset(h);
    EXPECT_EQ_INT(heap_bytes(), start);
    hist_free(other);
    hist_free(h);
}
