/*
 * Intake throughput of syncd's store: several threads call store_enqueue
 * at once, as webhook intake threads do, and the figure printed is events
 * durably stored per second together with the transactions it took (group
 * commit makes them far fewer than the events). The database lives in a
 * fresh directory under /tmp (or --dir) that is removed afterwards; with
 * --postgres it is a database of a throwaway PostgreSQL cluster
 * (lib/pgcluster) started for the run and removed afterwards. The figure
 * depends on the disk's fsync latency; it is printed, never asserted.
 *
 *   bench-store [--events N] [--threads N] [--dir DIR | --postgres]
 */
#include "benchopt.h"
#include "store.h"

#include "clock.h"
#include "pgcluster.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

typedef struct {
    long events, threads;
    const char *dir; /* borrowed from argv; NULL: a fresh one under /tmp */
    int postgres;    /* the store on a throwaway PostgreSQL cluster instead */
} opts;

static const benchopt options[] = {
    {{"events", required_argument, NULL, 'e'}, "N", "events in all (default 50000)"},
    {{"threads", required_argument, NULL, 't'}, "N", "enqueueing threads (default 8)"},
    {{"dir", required_argument, NULL, 'd'}, "DIR", "directory for the database (default: mkdtemp in /tmp)"},
    {{"postgres", no_argument, NULL, 'p'}, NULL, "the store on a throwaway PostgreSQL cluster"},
};
static const benchopt_cli cli = {"store_enqueue throughput from several threads", options,
                                 sizeof options / sizeof options[0], 16};

static void set(void *ud, int val, const char *arg, const char *prog)
{
    opts *o = ud;
    switch (val) {
    case 'e': o->events = benchopt_positive(prog, "events", arg, 100000000); break;
    case 't': o->threads = benchopt_positive(prog, "threads", arg, 100000000); break;
    case 'd': o->dir = arg; break;
    case 'p': o->postgres = 1; break;
    }
}

typedef struct {
    store *s;
    long t, from, to; /* events [from, to) */
    long failed;
} worker;

static void *enqueue_range(void *arg)
{
    worker *w = arg;
    char key[48], body[128];
    for (long i = w->from; i < w->to; i++) {
        snprintf(key, sizeof key, "wh:bench:%ld", i);
        int n = snprintf(body, sizeof body, "{\"id\":%ld,\"line_items\":[{\"sku\":\"SKU-%ld\",\"quantity\":1}]}",
                         i, i % 97);
        store_event_in e = {.source = "shopify", .topic = "orders/paid", .shop = "bench.myshopify.com",
                            .body = body, .body_len = (size_t)n, .now = i, .dedup = {key}};
        if (store_enqueue(w->s, &e, NULL) != STORE_NEW)
            w->failed++;
    }
    return NULL;
}

int main(int argc, char **argv)
{
    opts o = {50000, 8, NULL, 0};
    benchopt_parse(argc, argv, &cli, set, &o);
    char dir[256], path[512], err[1024];
    pgcluster *pg = NULL;
    if (o.postgres && o.dir) {
        fprintf(stderr, "%s: --postgres and --dir exclude each other\n", argv[0]);
        return 2;
    }
    if (o.postgres) {
        if (pgcluster_start(NULL, &pg, err, sizeof err) != 0) {
            fprintf(stderr, "%s: --postgres: %s\n", argv[0], err);
            return 1;
        }
        snprintf(path, sizeof path, "%s", pgcluster_conninfo(pg));
    } else if (o.dir) {
        snprintf(dir, sizeof dir, "%s", o.dir);
    } else {
        snprintf(dir, sizeof dir, "/tmp/surge-store-bench-XXXXXX");
        if (!mkdtemp(dir)) {
            perror("mkdtemp");
            return 1;
        }
    }
    if (!pg)
        snprintf(path, sizeof path, "%s/bench.db", dir);
    store *s;
    if (store_open(path, NULL, &s, err, sizeof err) != 0) {
        fprintf(stderr, "%s: %s\n", argv[0], err);
        pgcluster_stop(pg, 10000, NULL, 0);
        return 1;
    }
    worker *w = calloc((size_t)o.threads, sizeof *w);
    pthread_t *th = calloc((size_t)o.threads, sizeof *th);
    if (!w || !th) {
        fprintf(stderr, "%s: out of memory\n", argv[0]);
        return 1;
    }
    int64_t commits0 = store_commits(s);
    int64_t t0 = clock_mono_us();
    for (long t = 0; t < o.threads; t++) {
        w[t] = (worker){s, t, o.events * t / o.threads, o.events * (t + 1) / o.threads, 0};
        pthread_create(&th[t], NULL, enqueue_range, &w[t]);
    }
    long failed = 0;
    for (long t = 0; t < o.threads; t++) {
        pthread_join(th[t], NULL);
        failed += w[t].failed;
    }
    double secs = (double)(clock_mono_us() - t0) / 1e6;
    int64_t commits = store_commits(s) - commits0;
    store_close(s);
    printf("store_enqueue (%s): %ld events from %ld threads in %.2f s: %.0f events/s, "
           "%lld commits (%.1f events per commit)%s\n",
           pg ? "postgres" : "sqlite", o.events, o.threads, secs, (double)o.events / secs, (long long)commits,
           commits ? (double)o.events / (double)commits : 0.0, failed ? ", FAILURES" : "");
    if (failed)
        fprintf(stderr, "%s: %ld enqueues failed\n", argv[0], failed);
    free(w);
    free(th);
    if (pg) {
        if (pgcluster_stop(pg, 10000, err, sizeof err) != 0)
            fprintf(stderr, "%s: stopping the cluster: %s\n", argv[0], err);
    } else if (!o.dir) {
        static const char *const suffix[] = {"", "-wal", "-shm"};
        for (size_t i = 0; i < 3; i++) {
            snprintf(path, sizeof path, "%s/bench.db%s", dir, suffix[i]);
            unlink(path);
        }
        rmdir(dir);
    }
    return failed ? 1 : 0;
}
