/* syncd's durable store on SQLite (engine/syncd/store_sqlite.c) in what
 * only that backend promises: which locations open it, migrations of its
 * file, reopening (a sole user releases the leases it finds), kill -9
 * durability and group commit under concurrent callers. What every backend
 * promises (the queue's lifecycle, de-duplication, the dead-letter queue,
 * the ledgers, fencing) is the conformance suite, test_store_conf.c. Each
 * test works on a file of its own in the test's scratch directory. */
#include "storetest.h"
#include "log.h"

#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static store *open_db(const char *name)
{
    return open_at(name, NULL);
}

TEST(store, open_refuses_memory_and_bad_paths)
{
    store *s = (store *)1;
    char err[256] = "";
    EXPECT_EQ_INT(store_open(":memory:", NULL, &s, err, sizeof err), -1);
    EXPECT_TRUE(s == NULL);
    EXPECT_CONTAINS(err, ":memory:");
    char path[512];
    snprintf(path, sizeof path, "%s/no/such/dir/x.db", test_tmp_dir());
    EXPECT_EQ_INT(store_open(path, NULL, &s, err, sizeof err), -1);
    EXPECT_CONTAINS(err, "no/such/dir");
    store_options o = {.schema_version = STORE_SCHEMA_VERSION + 1};
    db_path(path, sizeof path, "future");
    EXPECT_EQ_INT(store_open(path, &o, &s, err, sizeof err), -1);
    store_close(NULL);
}

/* PostgreSQL locations go to the PostgreSQL backend: with no server there
 * it fails to connect, saying so, and never quotes the location (it may
 * carry a password); a file whose name merely contains such a word is
 * still a SQLite file. */
TEST(store, postgres_locations_go_to_postgres)
{
    const char *pg[] = {"postgres://syncd:s3cret@127.0.0.1:1/brand", "postgresql://127.0.0.1:1/brand",
                        "host=/nonexistent-surge dbname=brand password=s3cret",
                        "  user=syncd hostaddr=127.0.0.1 port=1 password=s3cret"};
    for (size_t i = 0; i < sizeof pg / sizeof pg[0]; i++) {
        store *s = (store *)1;
        char err[512] = "";
        EXPECT_EQ_INT(store_open(pg[i], NULL, &s, err, sizeof err), -1);
        EXPECT_TRUE(s == NULL);
        EXPECT_CONTAINS(err, "PostgreSQL store: cannot connect");
        EXPECT_TRUE(strstr(err, "s3cret") == NULL);
    }
    store *s = open_db("hostdbname=x");
    EXPECT_EQ_INT(store_schema_version(s), STORE_SCHEMA_VERSION);
    store_close(s);
}

TEST(store, migrates_older_schema_keeping_data)
{
    /* Fill a database at version 1 (queue, dedup, DLQ, kv only). */
    store_options v1 = {.schema_version = 1};
    store *s = open_at("mig", &v1);
    EXPECT_EQ_INT(store_schema_version(s), 1);
    int64_t keep = put(s, "{\"keep\":1}", 1, 10, "wh:keep");
    int64_t gone = put(s, "{\"gone\":1}", 0, 11, NULL);
    int64_t dead = put(s, "{\"dead\":1}", 0, 12, NULL);
    EXPECT_EQ_INT(store_ack(s, gone, 0), 0);
    EXPECT_EQ_INT(store_dead(s, dead, 0, 20, "bad"), 0);
    EXPECT_EQ_INT(store_kv_set(s, "wm", "v1"), 0);
    /* Later tables do not exist yet: those calls fail, and say why. */
    FILE *log = tmpfile();
    EXPECT_TRUE(log != NULL);
    log_set_output(log);
    EXPECT_EQ_INT(store_reserve(s, "A", "o1", "SKU1", 1, 1), -1);
    EXPECT_EQ_INT(store_idem_claim(s, "k", "v", NULL), -1);
    EXPECT_EQ_INT(store_pending_units(s, "SKU1", 0), -1);
    /* A read that fails says so, not "not claimed". */
    char *none = NULL;
    EXPECT_EQ_INT(store_idem_read(s, "k", &none), -1);
    EXPECT_TRUE(store_idem_get(s, "k") == NULL);
    EXPECT_TRUE(none == NULL);
    log_set_output(NULL);
    char text[4096] = "";
    rewind(log);
    text[fread(text, 1, sizeof text - 1, log)] = '\0';
    fclose(log);
    EXPECT_CONTAINS(text, "no such table: reservations");
    EXPECT_CONTAINS(text, "no such table: idem");
    /* A failed call leaves the queue working. */
    EXPECT_EQ_INT(counts(s, 0).ready, 1);
    store_close(s);

    /* One step forward, then the rest. */
    store_options v2 = {.schema_version = 2};
    s = open_at("mig", &v2);
    EXPECT_EQ_INT(store_schema_version(s), 2);
    EXPECT_EQ_INT(store_idem_claim(s, "k", "from v2", NULL), 1);
    log = tmpfile();
    log_set_output(log);
    EXPECT_EQ_INT(store_reserve(s, "A", "o1", "SKU1", 1, 1), -1);
    log_set_output(NULL);
    fclose(log);
    store_close(s);

    s = open_db("mig");
    EXPECT_EQ_INT(store_schema_version(s), STORE_SCHEMA_VERSION);
    store_counts n = counts(s, 100);
    EXPECT_EQ_INT(n.ready, 1);
    EXPECT_EQ_INT(n.dead, 1);
    EXPECT_EQ_INT(n.done, 1);
    char *v = store_kv_get(s, "wm");
    EXPECT_EQ_STR(v, "v1");
    free(v);
    char *old = NULL;
    EXPECT_EQ_INT(store_idem_claim(s, "k", "again", &old), 0);
    EXPECT_EQ_STR(old, "from v2");
    free(old);
    store_event_in e = event("orders/paid", "{}", 0, 30, "wh:keep", NULL);
    int64_t id = 0;
    EXPECT_EQ_INT(store_enqueue(s, &e, &id), STORE_DUPLICATE);
    EXPECT_EQ_INT(id, keep);
    store_event *ev[4];
    EXPECT_EQ_INT(store_lease(s, 100, 10, ev, 4), 1);
    EXPECT_EQ_INT(ev[0]->id, keep);
    EXPECT_EQ_STR(ev[0]->body, "{\"keep\":1}");
    /* Rows from before version 7 hold epoch 0; the first lease is 1. */
    EXPECT_EQ_INT(ev[0]->epoch, 1);
    free_all(ev, 1);
    /* New ids continue after the old ones, even the acked one. */
    EXPECT_GT_INT(put(s, "{}", 0, 40, NULL), dead);
    cJSON *l = store_dlq_list(s, 5);
    EXPECT_EQ_INT(cJSON_GetArraySize(l), 1);
    EXPECT_EQ_INT(num(dlq_item(l, 0), "id"), dead);
    cJSON_Delete(l);
    EXPECT_EQ_INT(store_reserve(s, "A", "o1", "SKU1", 4, 1), 0);
    EXPECT_EQ_INT(store_pending_units(s, "SKU1", 0), 4);
    store_close(s);

    /* Asking for an older version never takes a database back. */
    s = open_at("mig", &v1);
    EXPECT_EQ_INT(store_schema_version(s), STORE_SCHEMA_VERSION);
    EXPECT_EQ_INT(store_pending_units(s, "SKU1", 0), 4);
    store_close(s);
}

TEST(store, reopen_keeps_everything_and_releases_leases)
{
    store *s = open_db("reopen");
    int64_t id[3];
    for (int i = 0; i < 3; i++)
        id[i] = put(s, "{}", 0, i, NULL);
    int64_t d = put(s, "{\"d\":1}", 0, 3, "wh:d");
    EXPECT_EQ_INT(store_dead(s, d, 0, 5, "r"), 0);
    store_event *ev[8];
    EXPECT_EQ_INT(store_lease(s, 10, 1000000000, ev, 2), 2);
    free_all(ev, 2);
    EXPECT_EQ_INT(store_kv_set(s, "k", "v"), 0);
    EXPECT_EQ_INT(store_idem_claim(s, "i", "iv", NULL), 1);
    EXPECT_EQ_INT(store_write_intent(s, "w", "sale", "{}", 1, NULL, NULL), 1);
    EXPECT_EQ_INT(store_write_outcome(s, "w", WRITE_DONE, "SO-9", 2), 0);
    EXPECT_EQ_INT(store_reserve(s, "A", "o", "S", 6, 1), 0);
    store_audit(s, id[0], 1, "seen", NULL);
    store_close(s);

    s = open_db("reopen");
    store_counts n = counts(s, 11);
    EXPECT_EQ_INT(n.leased, 0);
    EXPECT_EQ_INT(n.ready, 3);
    EXPECT_EQ_INT(n.dead, 1);
    /* The leases of the previous process (until 1e9) no longer hold. */
    EXPECT_EQ_INT(store_lease(s, 11, 100, ev, 8), 3);
    for (int i = 0; i < 3; i++)
        EXPECT_EQ_INT(ev[i]->id, id[i]);
    free_all(ev, 3);
    char *v = store_kv_get(s, "k");
    EXPECT_EQ_STR(v, "v");
    free(v);
    EXPECT_EQ_INT(store_idem_claim(s, "i", "x", &v), 0);
    EXPECT_EQ_STR(v, "iv");
    free(v);
    int state = -1;
    EXPECT_EQ_INT(store_write_intent(s, "w", "sale", "{}", 3, &state, &v), 0);
    EXPECT_EQ_INT(state, WRITE_DONE);
    EXPECT_EQ_STR(v, "SO-9");
    free(v);
    EXPECT_EQ_INT(store_pending_units(s, "S", 0), 6);
    cJSON *a = store_audit_of(s, id[0]);
    EXPECT_EQ_INT(cJSON_GetArraySize(a), 1);
    cJSON_Delete(a);
    store_event_in e = event("orders/paid", "{}", 0, 30, "wh:d", NULL);
    int64_t dup = 0;
    EXPECT_EQ_INT(store_enqueue(s, &e, &dup), STORE_DUPLICATE);
    EXPECT_EQ_INT(dup, d);
    store_close(s);
}

/* ---- kill -9 ----------------------------------------------------------------- */

#define KILL_EVENTS 2000
#define KILL_AFTER 300 /* ids reported before the parent kills */

static void child_enqueue_loop(int fd)
{
    char path[512], err[256], key[32], body[64];
    db_path(path, sizeof path, "kill");
    store *s;
    if (store_open(path, NULL, &s, err, sizeof err) != 0)
        _exit(3);
    for (int i = 0; i < KILL_EVENTS; i++) {
        snprintf(key, sizeof key, "k:%d", i);
        snprintf(body, sizeof body, "{\"i\":%d}", i);
        store_event_in e = event("orders/paid", body, 0, i, key, NULL);
        int64_t id;
        if (store_enqueue(s, &e, &id) != STORE_NEW)
            _exit(4);
        /* Reported only now, after the commit, as syncd answers 200. An
         * 8-byte write to a pipe is atomic: all of it or nothing. */
        if (write(fd, &id, sizeof id) != (ssize_t)sizeof id)
            _exit(5);
    }
    _exit(0);
}

TEST_T(store, acknowledged_events_survive_kill_9, 120)
{
    int p[2];
    EXPECT_EQ_INT(pipe(p), 0);
    pid_t pid = fork();
    EXPECT_GE_INT(pid, 0);
    if (pid == 0) {
        close(p[0]);
        child_enqueue_loop(p[1]);
    }
    close(p[1]);
    static int64_t reported[KILL_EVENTS];
    size_t n = 0, got = 0;
    int killed = 0;
    char *buf = (char *)reported;
    for (;;) {
        ssize_t r = read(p[0], buf + got, sizeof reported - got);
        if (r < 0 && errno == EINTR)
            continue;
        if (r <= 0)
            break;
        got += (size_t)r;
        n = got / sizeof reported[0];
        if (!killed && n >= KILL_AFTER) {
            kill(pid, SIGKILL);
            killed = 1;
        }
    }
    close(p[0]);
    /* Whatever reached the pipe before the kill counts as acknowledged. */
    EXPECT_EQ_INT(got % sizeof reported[0], 0);
    int status;
    EXPECT_EQ_INT(waitpid(pid, &status, 0), pid);
    EXPECT_TRUE(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL);
    EXPECT_GE_INT(n, KILL_AFTER);
    EXPECT_LT_INT(n, KILL_EVENTS); /* killed mid-stream */

    store *s = open_db("kill");
    static store_event *ev[KILL_EVENTS + 1];
    int m = store_lease(s, KILL_EVENTS, 1000, ev, KILL_EVENTS + 1);
    EXPECT_GE_INT(m, (int)n);
    /* Each stored event is one loop iteration, stored once, in order. */
    static char seen[KILL_EVENTS];
    for (int i = 0; i < m; i++) {
        int k = -1;
        EXPECT_EQ_INT(sscanf(ev[i]->body, "{\"i\":%d}", &k), 1);
        EXPECT_TRUE(k >= 0 && k < KILL_EVENTS);
        EXPECT_FALSE(seen[k]);
        seen[k] = 1;
        EXPECT_EQ_INT(k, i);
    }
    /* Every reported id is there, with the body the child gave it. */
    for (size_t i = 0; i < n; i++) {
        EXPECT_LT_INT(i, (size_t)m);
        EXPECT_EQ_INT(ev[i]->id, reported[i]);
    }
    free_all(ev, m);
    /* The dedup keys survived too. */
    store_event_in e = event("orders/paid", "{}", 0, 0, "k:0", NULL);
    int64_t id = 0;
    EXPECT_EQ_INT(store_enqueue(s, &e, &id), STORE_DUPLICATE);
    EXPECT_EQ_INT(id, reported[0]);
    store_close(s);
}

/* ---- concurrency ------------------------------------------------------------- */

#define THREADS 4
#define PER_THREAD 2000
#define SHARED 100 /* keys every thread also tries */

typedef struct {
    store *s;
    int t;
    int news, dups, errors;
    int64_t shared_id[SHARED];
} worker;

static void *enqueue_worker(void *arg)
{
    worker *w = arg;
    char key[48], body[64];
    for (int i = 0; i < PER_THREAD; i++) {
        snprintf(key, sizeof key, "own:%d:%d", w->t, i);
        snprintf(body, sizeof body, "own:%d:%d", w->t, i);
        store_event_in e = event("orders/paid", body, 0, i, key, NULL);
        int64_t id;
        int rc = store_enqueue(w->s, &e, &id);
        w->news += rc == STORE_NEW;
        w->errors += rc != STORE_NEW;
        if (i % (PER_THREAD / SHARED) == 0) {
            int j = i / (PER_THREAD / SHARED);
            snprintf(key, sizeof key, "shared:%d", j);
            snprintf(body, sizeof body, "shared:%d", j);
            e = event("orders/paid", body, 0, i, key, NULL);
            rc = store_enqueue(w->s, &e, &w->shared_id[j]);
            w->news += rc == STORE_NEW;
            w->dups += rc == STORE_DUPLICATE;
            w->errors += rc < 0;
        }
    }
    return NULL;
}

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

TEST_T(store, concurrent_enqueue_is_exact_and_group_committed, 120)
{
    store *s = open_db("conc");
    static worker w[THREADS];
    pthread_t th[THREADS];
    for (int t = 0; t < THREADS; t++) {
        w[t].s = s;
        w[t].t = t;
        EXPECT_EQ_INT(pthread_create(&th[t], NULL, enqueue_worker, &w[t]), 0);
    }
    for (int t = 0; t < THREADS; t++)
        pthread_join(th[t], NULL);

    int news = 0, dups = 0;
    for (int t = 0; t < THREADS; t++) {
        EXPECT_EQ_INT(w[t].errors, 0);
        news += w[t].news;
        dups += w[t].dups;
    }
    const int distinct = THREADS * PER_THREAD + SHARED;
    const int calls = THREADS * (PER_THREAD + SHARED);
    EXPECT_EQ_INT(news, distinct);
    EXPECT_EQ_INT(dups, (THREADS - 1) * SHARED);
    /* Every thread saw the same id for a shared key, stored or refused. */
    for (int j = 0; j < SHARED; j++)
        for (int t = 1; t < THREADS; t++)
            EXPECT_EQ_INT(w[t].shared_id[j], w[0].shared_id[j]);
    store_counts n = counts(s, PER_THREAD);
    EXPECT_EQ_INT(n.ready, distinct);
    EXPECT_EQ_INT(n.duplicates, (THREADS - 1) * SHARED);

    /* Concurrent callers shared transactions. */
    int64_t commits = store_commits(s);
    EXPECT_GT_INT(commits, 0);
    EXPECT_LT_INT(commits, calls);

    /* Each distinct body exactly once. */
    static store_event *ev[THREADS * PER_THREAD + SHARED + 1];
    static char *bodies[THREADS * PER_THREAD + SHARED + 1];
    int m = store_lease(s, PER_THREAD, 10, ev, sizeof ev / sizeof ev[0]);
    EXPECT_EQ_INT(m, distinct);
    for (int i = 0; i < m; i++)
        bodies[i] = ev[i]->body;
    qsort(bodies, (size_t)m, sizeof bodies[0], cmp_str);
    for (int i = 1; i < m; i++)
        if (strcmp(bodies[i - 1], bodies[i]) == 0)
            test_fail(__FILE__, __LINE__, "stored twice: %s", bodies[i]);
    free_all(ev, m);
    store_close(s);
}

typedef struct {
    store *s;
    int n;
} small_worker;

static void *small_enqueue(void *arg)
{
    small_worker *w = arg;
    for (int i = 0; i < w->n; i++) {
        store_event_in e = event("orders/paid", "{}", 0, i, NULL, NULL);
        if (store_enqueue(w->s, &e, NULL) != STORE_NEW)
            return (void *)1;
    }
    return NULL;
}

TEST(store, group_commit_max_bounds_each_transaction)
{
    /* With one write per transaction, commits count the writes exactly. */
    store_options o = {.group_commit_max = 1};
    store *s = open_at("gmax", &o);
    small_worker w = {s, 150};
    pthread_t th[2];
    for (int t = 0; t < 2; t++)
        pthread_create(&th[t], NULL, small_enqueue, &w);
    for (int t = 0; t < 2; t++) {
        void *rc;
        pthread_join(th[t], &rc);
        EXPECT_TRUE(rc == NULL);
    }
    EXPECT_EQ_INT(store_commits(s), 300);
    EXPECT_EQ_INT(counts(s, 0).ready, 300);
    store_close(s);
}

