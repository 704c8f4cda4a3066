/*
 * Corpus replay for the fuzz targets in the test build: every file of
 * tests/fuzz/corpus/NAME/, then seeded mutations of them (bit flips, byte
 * replacements with JSON-significant characters, truncations, splices), the
 * same on every run.
 */
#include "fuzz.h"

#include "mem.h"
#include "rng.h"

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct {
    uint8_t *data;
    size_t size;
} blob;

static int cmp_names(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

static size_t load_corpus(const char *name, blob **out)
{
    char dir[512];
    const char *root = getenv("SURGE_FUZZ_CORPUS");
    snprintf(dir, sizeof dir, "%s/%s", root && *root ? root : "tests/fuzz/corpus", name);
    DIR *d = opendir(dir);
    if (!d)
        test_fail(__FILE__, __LINE__, "no corpus at %s", dir);
    char **names = NULL;
    size_t n = 0;
    struct dirent *e;
    while ((e = readdir(d))) {
        if (e->d_name[0] == '.')
            continue;
        names = xrealloc(names, (n + 1) * sizeof *names);
        names[n++] = xasprintf("%s/%s", dir, e->d_name);
    }
    closedir(d);
    if (n)
        qsort(names, n, sizeof *names, cmp_names); /* same order, same mutations */
    blob *blobs = xcalloc(n ? n : 1, sizeof *blobs);
    for (size_t i = 0; i < n; i++) {
        FILE *f = fopen(names[i], "rb");
        if (!f)
            test_fail(__FILE__, __LINE__, "cannot read %s", names[i]);
        fseek(f, 0, SEEK_END);
        long len = ftell(f);
        fseek(f, 0, SEEK_SET);
        blobs[i].data = xmalloc((size_t)len + 1);
        blobs[i].size = fread(blobs[i].data, 1, (size_t)len, f);
        fclose(f);
        free(names[i]);
    }
    free(names);
    if (n == 0)
        test_fail(__FILE__, __LINE__, "corpus %s is empty", dir);
    *out = blobs;
    return n;
}

static const char interesting[] = "{}[]\",:0-.e\\ntfu\x00\xff";

static size_t mutate(rng *r, const blob *src, const blob *other, uint8_t *buf, size_t cap)
{
    size_t n = src->size < cap ? src->size : cap;
    memcpy(buf, src->data, n);
    int edits = 1 + (int)rng_below(r, 4);
    for (int k = 0; k < edits; k++) {
        switch (rng_below(r, 5)) {
        case 0: /* flip a bit */
            if (n)
                buf[rng_below(r, n)] ^= (uint8_t)(1u << rng_below(r, 8));
            break;
        case 1: /* replace a byte with a structural one */
            if (n)
                buf[rng_below(r, n)] = (uint8_t)interesting[rng_below(r, sizeof interesting - 1)];
            break;
        case 2: /* truncate */
            if (n)
                n = (size_t)rng_below(r, n + 1);
            break;
        case 3: /* splice in a slice of another input */
            if (other->size && n < cap) {
                size_t at = (size_t)rng_below(r, n + 1);
                size_t from = (size_t)rng_below(r, other->size);
                size_t len = 1 + (size_t)rng_below(r, other->size - from);
                if (len > cap - n)
                    len = cap - n;
                memmove(buf + at + len, buf + at, n - at);
                memcpy(buf + at, other->data + from, len);
                n += len;
            }
            break;
        default: /* duplicate a run */
            if (n && n < cap) {
                size_t at = (size_t)rng_below(r, n);
                size_t len = 1 + (size_t)rng_below(r, n - at);
                if (len > cap - n)
                    len = cap - n;
                memmove(buf + at + len, buf + at, n - at);
                n += len;
            }
        }
    }
    return n;
}

void fuzz_replay(const char *name, fuzz_fn fn, int mutations)
{
    blob *corpus;
    size_t n = load_corpus(name, &corpus);
    size_t cap = 0;
    for (size_t i = 0; i < n; i++) {
        /* Each input in a buffer of its exact size, so ASan sees overreads. */
        uint8_t *exact = xmalloc(corpus[i].size ? corpus[i].size : 1);
        memcpy(exact, corpus[i].data, corpus[i].size);
        fn(exact, corpus[i].size);
        free(exact);
        if (corpus[i].size > cap)
            cap = corpus[i].size;
    }
    cap = cap * 2 + 64;
    uint8_t *buf = xmalloc(cap);
    rng r;
    rng_seed(&r, 0x5eed);
    for (int m = 0; m < mutations; m++) {
        const blob *src = &corpus[rng_below(&r, n)];
        const blob *other = &corpus[rng_below(&r, n)];
        size_t len = mutate(&r, src, other, buf, cap);
        uint8_t *exact = xmalloc(len ? len : 1);
        memcpy(exact, buf, len);
        fn(exact, len);
        free(exact);
    }
    free(buf);
    for (size_t i = 0; i < n; i++)
        free(corpus[i].data);
    free(corpus);
}
