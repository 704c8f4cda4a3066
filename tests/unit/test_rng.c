/* The seeded PRNG and its distributions. */
#include "../runner.h"

#include "rng.h"

#include <math.h>
#include <stdlib.h>

/* Reference outputs of xoshiro256** seeded from splitmix64, computed with an
 * independent implementation: the same seed must give these on any machine. */
TEST(rng, known_sequence_for_a_seed)
{
    EXPECT_EQ_U64(rng_mix64(0), 0xe220a8397b1dcdafULL); /* splitmix64's first output */
    rng r;
    rng_seed(&r, 0);
    EXPECT_EQ_U64(rng_next(&r), 0x99ec5f36cb75f2b4ULL);
    EXPECT_EQ_U64(rng_next(&r), 0xbf6e1f784956452aULL);
    EXPECT_EQ_U64(rng_next(&r), 0x1a5f849d4933e6e0ULL);
    EXPECT_EQ_U64(rng_next(&r), 0x6aa594f1262d2d2cULL);
    rng_seed(&r, 42);
    EXPECT_EQ_U64(rng_next(&r), 0x15780b2e0c2ec716ULL);
    EXPECT_EQ_U64(rng_next(&r), 0x6104d9866d113a7eULL);
    rng_seed(&r, 0xdeadbeef);
    EXPECT_EQ_U64(rng_next(&r), 0xc5555444a74d7e83ULL);
}

TEST(rng, derived_streams_differ_and_repeat)
{
    rng a, b, c;
    rng_derive(&a, 7, 1);
    rng_derive(&b, 7, 2);
    rng_derive(&c, 7, 1);
    int same_ab = 0;
    for (int i = 0; i < 100; i++) {
        uint64_t x = rng_next(&a), y = rng_next(&b), z = rng_next(&c);
        same_ab += x == y;
        EXPECT_EQ_U64(x, z);
    }
    EXPECT_EQ_INT(same_ab, 0);
}

TEST(rng, uniform_and_below)
{
    rng r;
    rng_seed(&r, 1);
    double sum = 0;
    int buckets[10] = {0};
    const int n = 200000;
    for (int i = 0; i < n; i++) {
        double u = rng_uniform(&r);
        EXPECT_TRUE(u >= 0.0 && u < 1.0);
        sum += u;
        buckets[(int)(u * 10)]++;
    }
    EXPECT_NEAR(sum / n, 0.5, 0.005);
    for (int i = 0; i < 10; i++)
        EXPECT_NEAR(buckets[i], n / 10, n / 100);
    int counts[7] = {0};
    for (int i = 0; i < 70000; i++) {
        uint64_t k = rng_below(&r, 7);
        EXPECT_LT_INT(k, 7);
        counts[k]++;
    }
    for (int i = 0; i < 7; i++)
        EXPECT_NEAR(counts[i], 10000, 400);
    EXPECT_EQ_INT(rng_below(&r, 0), 0);
    for (int i = 0; i < 1000; i++) {
        double x = rng_range(&r, -3, 5);
        EXPECT_TRUE(x >= -3 && x < 5);
    }
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

TEST(rng, exponential_and_normal_moments)
{
    rng r;
    rng_seed(&r, 2);
    const int n = 200000;
    double s = 0, s2 = 0;
    for (int i = 0; i < n; i++) {
        double x = rng_exponential(&r, 250.0);
        EXPECT_TRUE(x >= 0);
        s += x;
    }
    EXPECT_NEAR(s / n, 250.0, 250.0 * 0.01);
    s = 0;
    for (int i = 0; i < n; i++) {
        double x = rng_normal(&r, 10.0, 3.0);
        s += x;
        s2 += x * x;
    }
    double mean = s / n, var = s2 / n - mean * mean;
    EXPECT_NEAR(mean, 10.0, 0.03);
    EXPECT_NEAR(sqrt(var), 3.0, 0.03);
}

TEST(rng, lognormal_hits_median_and_p99)
{
    rng r;
    rng_seed(&r, 3);
    const int n = 100000;
    double *xs = malloc(n * sizeof *xs);
    for (int i = 0; i < n; i++)
        xs[i] = rng_lognormal(&r, 120.0, 2000.0);
    qsort(xs, n, sizeof *xs, cmp_double);
    EXPECT_NEAR(xs[n / 2], 120.0, 120.0 * 0.03);
    EXPECT_NEAR(xs[(int)(n * 0.99)], 2000.0, 2000.0 * 0.06);
    free(xs);
    /* p99 == median degenerates to a constant. */
    EXPECT_NEAR(rng_lognormal(&r, 50, 50), 50.0, 1e-9);
}

TEST(rng, poisson_small_and_large_means)
{
    double lambdas[] = {0.5, 4.0, 29.0, 31.0, 250.0, 5000.0};
    for (size_t k = 0; k < sizeof lambdas / sizeof lambdas[0]; k++) {
        rng r;
        rng_seed(&r, 10 + k);
        const int n = 100000;
        double s = 0, s2 = 0;
        for (int i = 0; i < n; i++) {
            double x = (double)rng_poisson(&r, lambdas[k]);
            s += x;
            s2 += x * x;
        }
        double mean = s / n, var = s2 / n - mean * mean;
        double l = lambdas[k];
        /* Mean and variance of a Poisson are both lambda. */
        EXPECT_NEAR(mean, l, 5 * sqrt(l / n) + 1e-3);
        EXPECT_NEAR(var, l, l * 0.03 + 0.01);
    }
    rng r;
    rng_seed(&r, 9);
    EXPECT_EQ_INT(rng_poisson(&r, 0), 0);
    EXPECT_EQ_INT(rng_poisson(&r, -1), 0);
}

TEST(rng, same_seed_same_draws)
{
    rng a, b;
    rng_seed(&a, 99);
    rng_seed(&b, 99);
    for (int i = 0; i < 1000; i++) {
        EXPECT_EQ_INT(rng_poisson(&a, 40), rng_poisson(&b, 40));
        EXPECT_TRUE(rng_lognormal(&a, 10, 100) == rng_lognormal(&b, 10, 100));
    }
}
