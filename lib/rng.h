/*
 * A seeded PRNG of our own: xoshiro256** seeded through splitmix64. The raw
 * sequence depends only on the seed (integer arithmetic), so a run replays
 * from its printed seed on any machine. Draws for the distributions that
 * demand, latency faults and the simulator need sit on top.
 *
 * An rng is a plain value owned by one thread; give each thread or stream
 * its own, derived with rng_derive so streams do not disturb each other.
 */
#ifndef SURGE_RNG_H
#define SURGE_RNG_H

#include <stdint.h>

typedef struct {
    uint64_t s[4];
} rng;

void rng_seed(rng *r, uint64_t seed);
/* An independent stream for (seed, stream): the same pair, the same stream. */
void rng_derive(rng *r, uint64_t seed, uint64_t stream);
uint64_t rng_next(rng *r);
/* One splitmix64 step: a well-mixed hash of x (stateless). */
uint64_t rng_mix64(uint64_t x);

double rng_uniform(rng *r);                 /* [0, 1) with 53 random bits */
double rng_range(rng *r, double lo, double hi); /* [lo, hi) */
uint64_t rng_below(rng *r, uint64_t n);     /* [0, n), unbiased; 0 when n = 0 */
double rng_exponential(rng *r, double mean);
double rng_normal(rng *r, double mean, double sd);
/* Lognormal with the given median and 99th percentile (p99 >= median > 0). */
double rng_lognormal(rng *r, double median, double p99);
/* Poisson count with mean lambda >= 0. */
uint64_t rng_poisson(rng *r, double lambda);

#endif
