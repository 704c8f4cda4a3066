/*
 * Fuzz targets for the parsers of outside input. A target is written once:
 *
 *   FUZZ_TARGET(json) { ...feed data/size to the parser... }
 *
 * In the test build each target is also a test (fuzz.NAME) that replays every
 * file of tests/fuzz/corpus/NAME/ through it and then a fixed number of
 * seeded mutations of those files, so the corpus guards against regressions
 * on every `make test`. With `make fuzz FUZZ=NAME` (clang) the same target
 * becomes a libFuzzer binary for open-ended runs, and `make fuzz-all
 * FUZZ_SECONDS=N` runs every target (one per corpus directory) for N
 * seconds; crashes they find belong in the corpus once fixed.
 *
 * A parser buried in a function that also calls out is taken out as a pure
 * function (cin7_availability_read, fulfil_sale_read ...) for its target.
 *
 * A target must not leak, must accept any bytes, and may only fail by
 * crashing (sanitizers turn bugs into crashes).
 */
#ifndef SURGE_TESTS_FUZZ_H
#define SURGE_TESTS_FUZZ_H

#include <stddef.h>
#include <stdint.h>

typedef void (*fuzz_fn)(const uint8_t *data, size_t size);

#ifdef SURGE_LIBFUZZER
/* One target per binary: the build defines SURGE_FUZZ_ONLY_<name>. */
#define FUZZ_TARGET(name)                                                     \
    static void fuzz_##name(const uint8_t *data, size_t size);                \
    int fuzz_entry_##name(const uint8_t *data, size_t size);                  \
    int fuzz_entry_##name(const uint8_t *data, size_t size)                   \
    {                                                                         \
        fuzz_##name(data, size);                                              \
        return 0;                                                             \
    }                                                                         \
    static void fuzz_##name(const uint8_t *data, size_t size)
#else
#include "../runner.h"
/* Replays the corpus of name through fn, then `mutations` seeded variants. */
void fuzz_replay(const char *name, fuzz_fn fn, int mutations);
#define FUZZ_TARGET(name)                                                     \
    static void fuzz_##name(const uint8_t *data, size_t size);                \
    TEST_T(fuzz, name, 120) { fuzz_replay(#name, fuzz_##name, 3000); }        \
    static void fuzz_##name(const uint8_t *data, size_t size)
#endif

#endif
