/* xoshiro256** with splitmix64 seeding, and distributions; see rng.h. */
#include "rng.h"

#include <math.h>

/* z such that P(Z <= z) = 0.99 for a standard normal Z. */
#define Z_P99 2.3263478740408408

uint64_t rng_mix64(uint64_t x)
{
    x += 0x9e3779b97f4a7c15ULL;
    x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
    x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
    return x ^ (x >> 31);
}

void rng_seed(rng *r, uint64_t seed)
{
    uint64_t x = seed;
    for (int i = 0; i < 4; i++) {
        r->s[i] = rng_mix64(x);
        x += 0x9e3779b97f4a7c15ULL;
    }
    /* xoshiro must not start from all zeros; splitmix never yields four. */
}

void rng_derive(rng *r, uint64_t seed, uint64_t stream)
{
    rng_seed(r, rng_mix64(seed) ^ rng_mix64(stream * 0xd1b54a32d192ed03ULL + 1));
}

static inline uint64_t rotl(uint64_t x, int k)
{
    return (x << k) | (x >> (64 - k));
}

uint64_t rng_next(rng *r)
{
    uint64_t *s = r->s;
    uint64_t result = rotl(s[1] * 5, 7) * 9;
    uint64_t t = s[1] << 17;
    s[2] ^= s[0];
    s[3] ^= s[1];
    s[1] ^= s[2];
    s[0] ^= s[3];
    s[2] ^= t;
    s[3] = rotl(s[3], 45);
    return result;
}

double rng_uniform(rng *r)
{
    return (double)(rng_next(r) >> 11) * 0x1.0p-53;
}

double rng_range(rng *r, double lo, double hi)
{
    return lo + (hi - lo) * rng_uniform(r);
}

uint64_t rng_below(rng *r, uint64_t n)
{
    if (n == 0)
        return 0;
    /* Rejection on the top of the range keeps every value equally likely. */
    uint64_t limit = UINT64_MAX - UINT64_MAX % n;
    uint64_t x;
    do {
        x = rng_next(r);
    } while (x >= limit);
    return x % n;
}

double rng_exponential(rng *r, double mean)
{
    /* 1 - u lies in (0, 1], so the log is finite. */
    return -mean * log(1.0 - rng_uniform(r));
}

double rng_normal(rng *r, double mean, double sd)
{
    /* Marsaglia's polar method; the second value is dropped so each draw
     * consumes the stream the same way whatever came before. */
    double u, v, s;
    do {
        u = 2.0 * rng_uniform(r) - 1.0;
        v = 2.0 * rng_uniform(r) - 1.0;
        s = u * u + v * v;
    } while (s >= 1.0 || s == 0.0);
    return mean + sd * u * sqrt(-2.0 * log(s) / s);
}

double rng_lognormal(rng *r, double median, double p99)
{
    if (median <= 0)
        return 0;
    if (p99 < median)
        p99 = median;
    double mu = log(median);
    double sigma = (log(p99) - mu) / Z_P99;
    return exp(rng_normal(r, mu, sigma));
}

/* log(k!) by Stirling's series, exact table below 10. */
static double log_factorial(uint64_t k)
{
    static const double table[10] = {
        0.0, 0.0, 0.69314718055994531, 1.79175946922805500, 3.17805383034794562,
        4.78749174278204599, 6.57925121201010100, 8.52516136106541430,
        10.60460290274525023, 12.80182748008146961,
    };
    if (k < 10)
        return table[k];
    double x = (double)k + 1.0;
    return (x - 0.5) * log(x) - x + 0.91893853320467274 + 1.0 / (12.0 * x) -
           1.0 / (360.0 * x * x * x);
}

uint64_t rng_poisson(rng *r, double lambda)
{
    if (!(lambda > 0))
        return 0;
    if (lambda < 30) {
        /* Knuth: multiply uniforms until the product drops below e^-lambda. */
        double limit = exp(-lambda), p = 1.0;
        uint64_t k = 0;
        for (;;) {
            p *= rng_uniform(r);
            if (p <= limit)
                return k;
            k++;
        }
    }
    /* Hörmann's PTRS (transformed rejection with squeeze) for large means. */
    double slam = sqrt(lambda), loglam = log(lambda);
    double b = 0.931 + 2.53 * slam;
    double a = -0.059 + 0.02483 * b;
    double inv_alpha = 1.1239 + 1.1328 / (b - 3.4);
    double vr = 0.9277 - 3.6224 / (b - 2);
    for (;;) {
        double u = rng_uniform(r) - 0.5;
        double v = rng_uniform(r);
        double us = 0.5 - fabs(u);
        double kf = floor((2 * a / us + b) * u + lambda + 0.43);
        if (kf < 0)
            continue;
        if (us >= 0.07 && v <= vr)
            return (uint64_t)kf;
        if (us < 0.013 && v > us)
            continue;
        double lhs = log(v * inv_alpha / (a / (us * us) + b));
        double rhs = -lambda + kf * loglam - log_factorial((uint64_t)kf);
        if (lhs <= rhs)
            return (uint64_t)kf;
    }
}
