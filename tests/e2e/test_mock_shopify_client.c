/* Shopify's own JavaScript client against mock-shopify: runs
 * tests/clients/shopify_client.mjs (which installs @shopify/admin-api-client
 * from npm into a cache folder once) against a started mock and checks what
 * it reports and what the mock saw. Without node the test says it skipped
 * and passes; a failed npm install fails it with npm's reason. */
#include "mock_shopify_test.h"

#include "mem.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#define SCRIPT "tests/clients/shopify_client.mjs"

TEST_T(mock_shopify, real_client_admin_api_client, 300)
{
    if (system("command -v node >/dev/null 2>&1") != 0) {
        printf("skipped: node not found\n");
        return;
    }
    if (access(SCRIPT, R_OK) != 0)
        test_fail(__FILE__, __LINE__, "%s not found (run the tests from the repository root)", SCRIPT);
    char dir[512];
    const char *cache = getenv("SURGE_CLIENT_CACHE");
    const char *tmp = getenv("TMPDIR");
    if (cache && *cache)
        snprintf(dir, sizeof dir, "%s", cache);
    else
        snprintf(dir, sizeof dir, "%s/surge-shopify-client", tmp && *tmp ? tmp : "/tmp");

    e2e_server s;
    const char *args[] = {"--time-scale", "20", NULL};
    e2e_start(&s, "mock-shopify", args);
    char cmd[1400];
    snprintf(cmd, sizeof cmd,
             "node " SCRIPT " --url http://127.0.0.1:%u --token " MS_TOKEN
             " --version 2026-10 --time-scale 20 --install-dir '%s' 2>&1",
             s.port, dir);
    FILE *p = popen(cmd, "r");
    if (!p)
        test_fail(__FILE__, __LINE__, "cannot run: %s", cmd);
    size_t cap = 1 << 16, len = 0;
    char *out = xmalloc(cap);
    size_t n;
    while (len + 1 < cap && (n = fread(out + len, 1, cap - 1 - len, p)) > 0)
        len += n;
    out[len] = '\0';
    int st = pclose(p);
    int code = WIFEXITED(st) ? WEXITSTATUS(st) : -1;
    printf("%s", out);
    if (code == 3)
        test_fail(__FILE__, __LINE__, "the client could not be installed from npm: %s", out);
    EXPECT_EQ_INT(code, 0);
    EXPECT_CONTAINS(out, "rest products: 5 (next page linked)");
    EXPECT_CONTAINS(out, "graphql write: available=57 userErrors=0");
    EXPECT_CONTAINS(out, "graphql stale: CHANGE_FROM_QUANTITY_STALE");
    EXPECT_CONTAINS(out, "rest set: available=42");
    EXPECT_CONTAINS(out, "recovered");
    EXPECT_CONTAINS(out, "\nok\n");
    free(out);
    /* What the client did is what the mock recorded. */
    cJSON *j = e2e_journal(&s);
    EXPECT_EQ_INT(ms_journal_count(j, "inventory", "by", "graphql_set"), 1);
    EXPECT_EQ_INT(ms_journal_count(j, "inventory", "by", "set"), 1);
    EXPECT_GE_INT(ms_journal_count(j, "request", "status", "429"), 1);
    cJSON_Delete(j);
    cJSON *state = e2e_expect(&s, "GET", "/_mock/state", NULL, NULL, 200, 1);
    EXPECT_EQ_INT(jnumber(state, "shops[0].levels[0].available"), 42);
    cJSON_Delete(state);
    e2e_stop(&s);
}
