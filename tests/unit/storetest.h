/*
 * Helpers of the store's tests (test_store.c, SQLite-specific, and
 * test_store_conf.c, the conformance suite every backend passes): SQLite
 * files in the running test's scratch directory, events to enqueue, and
 * reading back what the store answers. static inline so each test file
 * takes only what it uses.
 */
#ifndef SURGE_TESTS_STORETEST_H
#define SURGE_TESTS_STORETEST_H

#include "../runner.h"

#include "../../engine/syncd/store.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The SQLite file called name in the running test's scratch directory. */
static inline void db_path(char *buf, size_t n, const char *name)
{
    snprintf(buf, n, "%s/%s.db", test_tmp_dir(), name);
}

/* Opens (creating) the SQLite store called name; fails the test when it
 * cannot. */
static inline store *open_at(const char *name, const store_options *o)
{
    char path[512], err[256] = "";
    db_path(path, sizeof path, name);
    store *s = NULL;
    if (store_open(path, o, &s, err, sizeof err) != 0)
        test_fail(__FILE__, __LINE__, "store_open %s: %s", path, err);
    return s;
}

/* An event with a body, a priority and up to two dedup keys. */
static inline store_event_in event(const char *topic, const char *body, int priority, int64_t now,
                            const char *key1, const char *key2)
{
    store_event_in e = {0};
    e.source = "shopify";
    e.topic = topic;
    e.shop = "demo.myshopify.com";
    e.body = body;
    e.body_len = strlen(body);
    e.priority = priority;
    e.now = now;
    e.dedup[0] = key1;
    e.dedup[1] = key2;
    return e;
}

static inline int64_t put(store *s, const char *body, int priority, int64_t now, const char *key)
{
    store_event_in e = event("orders/paid", body, priority, now, key, NULL);
    int64_t id = 0;
    EXPECT_EQ_INT(store_enqueue(s, &e, &id), STORE_NEW);
    EXPECT_GT_INT(id, 0);
    return id;
}

static inline void free_all(store_event **ev, int n)
{
    for (int i = 0; i < n; i++)
        store_event_free(ev[i]);
}

static inline store_counts counts(store *s, int64_t now)
{
    store_counts c;
    EXPECT_EQ_INT(store_count(s, now, &c), 0);
    return c;
}

static inline cJSON *dlq_item(cJSON *arr, int i)
{
    cJSON *o = cJSON_GetArrayItem(arr, i);
    EXPECT_TRUE(o != NULL);
    return o;
}

static inline double num(cJSON *o, const char *k)
{
    cJSON *v = cJSON_GetObjectItem(o, k);
    if (!cJSON_IsNumber(v))
        test_fail(__FILE__, __LINE__, "%s is not a number", k);
    return v->valuedouble;
}

static inline const char *str(cJSON *o, const char *k)
{
    cJSON *v = cJSON_GetObjectItem(o, k);
    return cJSON_IsString(v) ? v->valuestring : NULL;
}

#endif
