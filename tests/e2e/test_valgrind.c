/*
 * The daemons' shutdown path under valgrind: each release program (bin/,
 * not the sanitizer build, which valgrind cannot run) is started under
 * memcheck, does real work over HTTP, is stopped with SIGTERM, and must
 * exit 0 with no memory errors and nothing definitely or indirectly lost.
 * Skipped (and passing) when valgrind is not installed.
 */
#include "e2e.h"

#include "../unit/pgtest.h"

#include "json.h"
#include "mem.h"

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

__attribute__((constructor)) static void pg_fixture(void)
{
    test_register_fixture("valgrind.syncd_on_postgres", pgtest_setup, pgtest_teardown);
}

static int have_valgrind(void)
{
    return system("valgrind --version >/dev/null 2>&1") == 0;
}

/* The release program next to the sanitizer build's: bin/NAME. */
static void release_path(const char *name, char *buf, size_t n)
{
    const char *rel = getenv("SURGE_RELEASE_BIN");
    snprintf(buf, n, "%s/%s", rel && *rel ? rel : "bin", name);
    if (access(buf, X_OK) != 0)
        test_fail(__FILE__, __LINE__, "%s is missing (make builds it)", buf);
}

/* Starts NAME under valgrind with extra args; returns its port. */
static uint16_t start_under_valgrind(const char *name, const char *const *extra, proc **p,
                                     char *log, size_t log_n)
{
    char bin[512];
    release_path(name, bin, sizeof bin);
    snprintf(log, log_n, "%s/%s.valgrind.log", test_tmp_dir(), name);
    const char *argv[32] = {"/usr/bin/valgrind", "--leak-check=full",
                            "--errors-for-leak-kinds=definite,indirect", "--error-exitcode=99",
                            "--quiet", bin, "--port", "0"};
    int n = 8;
    for (int i = 0; extra && extra[i] && n < 31; i++)
        argv[n++] = extra[i];
    argv[n] = NULL;
    uint16_t port = 0;
    char err[600];
    if (proc_start((char *const *)argv, log, 1, 60000, p, &port, err, sizeof err) != 0)
        test_fail(__FILE__, __LINE__, "cannot start %s under valgrind: %s", name, err);
    return port;
}

/* SIGTERM, then the exit status must be 0 (99 means valgrind found errors). */
static void stop_clean(proc *p, const char *log)
{
    int status = proc_stop(p, 60000);
    if (status == -1)
        test_fail(__FILE__, __LINE__, "did not stop on SIGTERM within 60 s (log %s)", log);
    if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
        char cmd[700];
        snprintf(cmd, sizeof cmd, "tail -n 40 %s >&2", log);
        if (system(cmd) != 0)
            fprintf(stderr, "(could not show %s)\n", log);
        test_fail(__FILE__, __LINE__, "exit status %d under valgrind (99: memory errors or leaks)",
                  WIFEXITED(status) ? WEXITSTATUS(status) : -WTERMSIG(status));
    }
}

static httpc_resp call(uint16_t port, const char *method, const char *path, const char *body,
                       const char *const *headers)
{
    e2e_server s = {.port = port};
    return e2e_call(&s, method, path, headers, body);
}

TEST_T(valgrind, mocks_shut_down_clean, 300)
{
    if (!have_valgrind()) {
        printf("skipped: valgrind not installed\n");
        return;
    }
    static const char *const names[] = {"mock-cin7", "mock-shopify"};
    for (int i = 0; i < 2; i++) {
        proc *p;
        char log[512];
        uint16_t port = start_under_valgrind(names[i], NULL, &p, log, sizeof log);
        /* Real work: API reads, a write, a fault plan, the control API. */
        httpc_resp r;
        if (i == 0) {
            const char *h[] = {"api-auth-accountid: demo", "api-auth-applicationkey: demo-key", NULL};
            r = call(port, "GET", "/ExternalApi/v2/ref/productavailability", NULL, h);
            EXPECT_EQ_INT(r.status, 200);
            httpc_resp_free(&r);
            r = call(port, "POST", "/ExternalApi/v2/sale",
                     "{\"Customer\":\"Shopify demo.myshopify.com\",\"Location\":\"Main Warehouse\","
                     "\"CustomerReference\":\"1\",\"SkipQuote\":true}",
                     h);
            EXPECT_EQ_INT(r.status, 200);
            json_err e;
            cJSON *sale = json_parse(r.body, r.body_len, &e);
            const cJSON *id = cJSON_GetObjectItemCaseSensitive(sale, "ID");
            char *order = xasprintf("{\"SaleID\":\"%s\",\"Status\":\"AUTHORISED\",\"Memo\":\"\","
                                    "\"Lines\":[{\"SKU\":\"DEMO-001\",\"Name\":\"Demo product 1\","
                                    "\"Quantity\":2,\"Price\":12.5,\"Tax\":0,\"TaxRule\":\"Tax Exempt\","
                                    "\"Total\":25}]}",
                                    cJSON_IsString(id) ? id->valuestring : "");
            cJSON_Delete(sale);
            httpc_resp_free(&r);
            r = call(port, "POST", "/ExternalApi/v2/sale/order", order, h);
            free(order);
            EXPECT_EQ_INT(r.status, 200);
            httpc_resp_free(&r);
        } else {
            const char *h[] = {"X-Shopify-Access-Token: shpat_demo", NULL};
            r = call(port, "GET", "/admin/api/2026-10/products.json", NULL, h);
            EXPECT_EQ_INT(r.status, 200);
            httpc_resp_free(&r);
            r = call(port, "POST", "/_mock/checkout",
                     "{\"shop\":\"demo.myshopify.com\",\"lines\":[{\"sku\":\"DEMO-001\",\"qty\":1}]}", NULL);
            EXPECT_EQ_INT(r.status, 200);
            httpc_resp_free(&r);
        }
        r = call(port, "PUT", "/_mock/faults", "[{\"kind\":\"latency\",\"ms\":1,\"probability\":0.5}]", NULL);
        EXPECT_EQ_INT(r.status, 200);
        httpc_resp_free(&r);
        r = call(port, "GET", "/_mock/journal?limit=5", NULL, NULL);
        EXPECT_EQ_INT(r.status, 200);
        httpc_resp_free(&r);
        stop_clean(p, log);
    }
}

/* syncd under valgrind on store (a SQLite file or a PostgreSQL location):
 * ready, one order pushed to Cin7, then SIGTERM. */
static void syncd_after_work(const char *store)
{
    /* The mocks run normally (from the sanitizer build); syncd under valgrind. */
    char origin[32];
    snprintf(origin, sizeof origin, "%lld", (long long)clock_wall_ms());
    const char *margs[] = {"--clock-origin", origin, NULL};
    e2e_server cin7, shop;
    e2e_start(&cin7, "mock-cin7", margs);
    e2e_start(&shop, "mock-shopify", margs);
    char cin7_url[128], shop_url[128];
    snprintf(cin7_url, sizeof cin7_url, "http://127.0.0.1:%u/ExternalApi/v2/", cin7.port);
    snprintf(shop_url, sizeof shop_url, "http://127.0.0.1:%u", shop.port);
    char *set1 = xasprintf("store=\"%s\"", store), set2[200];
    snprintf(set2, sizeof set2, "clock_origin=%s", origin);
    const char *sargs[] = {"--cin7-url", cin7_url, "--shopify-url", shop_url, "--set", set1,
                           "--set", set2, NULL};
    proc *p;
    char log[512];
    uint16_t port = start_under_valgrind("syncd", sargs, &p, log, sizeof log);
    /* Ready means the catalogs loaded and webhooks registered (slow under valgrind). */
    int ready = 0;
    for (int i = 0; i < 600 && !ready; i++) {
        httpc_resp r = call(port, "GET", "/healthz", NULL, NULL);
        ready = r.status == 200;
        httpc_resp_free(&r);
        if (!ready)
            usleep(100 * 1000);
    }
    EXPECT_TRUE(ready);
    httpc_resp r = call(shop.port, "POST", "/_mock/checkout",
                        "{\"shop\":\"demo.myshopify.com\",\"lines\":[{\"sku\":\"DEMO-003\",\"qty\":2}],"
                        "\"shipping_address\":{\"address1\":\"1 A St\",\"country_code\":\"AU\",\"zip\":\"2000\"}}",
                        NULL);
    EXPECT_EQ_INT(r.status, 200);
    httpc_resp_free(&r);
    /* The sale reaches Cin7: syncd did real work before it is stopped. */
    int sales = 0;
    for (int i = 0; i < 600 && !sales; i++) {
        cJSON *st = e2e_expect(&cin7, "GET", "/_mock/state", NULL, NULL, 200, 1);
        sales = cJSON_GetArraySize(cJSON_GetObjectItem(st, "sales"));
        cJSON_Delete(st);
        if (!sales)
            usleep(100 * 1000);
    }
    EXPECT_EQ_INT(sales, 1);
    r = call(port, "GET", "/metrics", NULL, NULL);
    EXPECT_EQ_INT(r.status, 200);
    httpc_resp_free(&r);
    stop_clean(p, log);
    e2e_stop(&shop);
    e2e_stop(&cin7);
    free(set1);
}

TEST_T(valgrind, syncd_shuts_down_clean_after_work, 300)
{
    if (!have_valgrind()) {
        printf("skipped: valgrind not installed\n");
        return;
    }
    char store[512];
    snprintf(store, sizeof store, "%s/syncd.db", test_tmp_dir());
    syncd_after_work(store);
}

/* The same on PostgreSQL: libpq's connections, the pool and the claims and
 * shared limits of several instances are in the shutdown path too. */
TEST_T(valgrind, syncd_on_postgres_shuts_down_clean_after_work, 300)
{
    if (!have_valgrind()) {
        printf("skipped: valgrind not installed\n");
        return;
    }
    pgtest_create_db("valgrind");
    char where[512];
    pgtest_where("valgrind", where, sizeof where);
    syncd_after_work(where);
}
