/*
 * Cin7 conformance judged by a tool we did not write: Stoplight Prism
 * (pinned in tests/tools, installed by scripts/deps.sh --test) in proxy
 * validation mode against our copy of Cin7 Core's reference
 * (tests/reference/). Prism sits between a client and mock-cin7, checks
 * every request against the reference (path, method, parameters, body
 * shape) and every answer (status, body shape), and logs each finding.
 *
 * The negative controls prove Prism flags what it should before anything
 * is trusted to it: a reference schema that does not compile is silently
 * not validated, so every schema is checked to compile, and known-bad
 * requests and answers must each produce a finding.
 */
#include "e2e.h"
#include "test_mock_cin7.h"

#include "mem.h"
#include "port.h"
#include "sbuf.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#define REFERENCE "tests/reference/cin7-core-openapi.normalized.yaml"
/* Real ms Prism may take to read the 2 MB reference and listen. */
#define PRISM_START_MS 120000

static const char *const auth[] = {"api-auth-accountid: demo", "api-auth-applicationkey: demo-key",
                                   "Content-Type: application/json", NULL};

typedef struct {
    proc *p;
    uint16_t port;
    char log[512];
} prism;

/* Starts scripts/prism-cin7.sh in front of upstream (an API base URL). */
static void prism_start(prism *pr, const char *upstream)
{
    if (access("scripts/prism-cin7.sh", X_OK) != 0)
        test_fail(__FILE__, __LINE__, "scripts/prism-cin7.sh not found (run from the repository root)");
    pr->port = port_free();
    if (pr->port == 0)
        test_fail(__FILE__, __LINE__, "no free port on 127.0.0.1");
    char port_s[8], err[600];
    snprintf(port_s, sizeof port_s, "%u", (unsigned)pr->port);
    snprintf(pr->log, sizeof pr->log, "%s/prism-%u.log", test_tmp_dir(), (unsigned)pr->port);
    char *argv[] = {(char *)"scripts/prism-cin7.sh", (char *)upstream, port_s, NULL};
    if (proc_start(argv, pr->log, 0, 0, &pr->p, NULL, err, sizeof err) != 0)
        test_fail(__FILE__, __LINE__, "cannot start Prism: %s", err);
    for (int waited = 0; waited < PRISM_START_MS; waited += 100) {
        if (port_open(pr->port))
            return;
        if (proc_wait(pr->p, 0, NULL)) {
            char *text = test_read_file(pr->log);
            test_fail(__FILE__, __LINE__, "Prism exited before it listened (is scripts/deps.sh --test "
                                          "done?); its log:\n%.2000s", text ? text : "");
        }
        e2e_sleep_ms(100);
    }
    test_fail(__FILE__, __LINE__, "Prism did not listen on port %u within %d s (log: %s)",
              (unsigned)pr->port, PRISM_START_MS / 1000, pr->log);
}

static httpc_resp prism_call(const prism *pr, const char *method, const char *path,
                             const char *body)
{
    e2e_server s = {.port = pr->port};
    return e2e_call(&s, method, path, auth, body);
}

/* What Prism found in its log: every `Violation:` and every request it
 * refused, but for "Unable to match the returned status code" on answers
 * that are not 2xx (the reference documents only its success answers;
 * Cin7's errors are prose), and every 2xx answer other than the 200 the
 * reference documents. One line per finding goes to list. */
static int prism_findings(const char *log, sbuf *list)
{
    int n = 0;
    for (const char *line = log; line && *line;) {
        const char *end = strchr(line, '\n');
        size_t len = end ? (size_t)(end - line) : strlen(line);
        char *l = xstrndup(line, len);
        const char *ret = strstr(l, " has returned ");
        int finding = (strstr(l, "Violation:") &&
                       !strstr(l, "Unable to match the returned status code")) ||
                      strstr(l, "Request terminated with error") ||
                      (ret && ret[14] == '2' && strncmp(ret + 14, "200", 3) != 0);
        if (finding) {
            n++;
            sbuf_printf(list, "%s\n", l);
        }
        free(l);
        line = end ? end + 1 : NULL;
    }
    return n;
}

/* The findings so far; the test fails with them when there are not want. */
static void expect_findings(const prism *pr, int want, const char *must_contain)
{
    e2e_sleep_ms(300); /* Prism logs after it answers */
    char *text = test_read_file(pr->log);
    if (!text)
        test_fail(__FILE__, __LINE__, "cannot read %s", pr->log);
    sbuf list = SBUF_INIT;
    int n = prism_findings(text, &list);
    if (n != want)
        test_fail(__FILE__, __LINE__, "Prism found %d problems, expected %d:\n%.4000s", n, want,
                  sbuf_str(&list));
    if (must_contain)
        EXPECT_CONTAINS(sbuf_str(&list), must_contain);
    sbuf_free(&list);
    free(text);
}

/* Runs a command from the repository root; its exit code and output. */
static int run_cmd(const char *cmd, sbuf *out)
{
    FILE *p = popen(cmd, "r");
    if (!p)
        test_fail(__FILE__, __LINE__, "cannot run: %s", cmd);
    EXPECT_EQ_INT(sbuf_read_stream(out, p, 1 << 20), 0);
    int st = pclose(p);
    return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

TEST_T(prism, every_reference_schema_compiles, 120)
{
    /* Prism skips, without a word, any schema its compiler refuses: count
     * the schemas that let a value of the wrong type through. */
    sbuf out = SBUF_INIT;
    int code = run_cmd("node tests/tools/check-schemas.cjs " REFERENCE " 2>&1", &out);
    printf("%s", sbuf_str(&out));
    EXPECT_EQ_INT(code, 0);
    EXPECT_CONTAINS(sbuf_str(&out), ", silent 0\n");
    const char *f = strstr(sbuf_str(&out), "flagged ");
    EXPECT_TRUE(f && atoi(f + 8) >= 300);
    sbuf_free(&out);
}

TEST_T(prism, flags_known_bad_requests_and_passes_good_ones, 300)
{
    e2e_server mock;
    e2e_start(&mock, "mock-cin7", NULL);
    char upstream[96];
    snprintf(upstream, sizeof upstream, "http://127.0.0.1:%u/ExternalApi/v2", (unsigned)mock.port);
    prism pr;
    prism_start(&pr, upstream);

    /* A call the reference has, answered as the reference says: forwarded,
     * no finding. */
    httpc_resp r = prism_call(&pr, "GET", "/ref/productavailability?Sku=DEMO-001&Page=1&Limit=100",
                              NULL);
    EXPECT_EQ_INT(r.status, 200);
    EXPECT_CONTAINS(r.body, "\"SKU\":\"DEMO-001\"");
    httpc_resp_free(&r);
    expect_findings(&pr, 0, NULL);

    /* Known-bad calls, one finding each, in order; the last answer is
     * broken by a fault of the mock. */
    static const struct {
        const char *method, *path, *body, *finding;
    } bad[] = {
        {"GET", "/salez?ID=1", NULL, "Selected route not found"}, /* no such path */
        {"PATCH", "/sale", "{}", "Selected route not found"},     /* no such method */
        {"GET", "/saleList?Page=abc", NULL, "request.query.page"}, /* parameter type */
        {"POST", "/sale/order", "{\"SaleID\":\"x\",\"Lines\":\"nope\"}", "request.body.Lines"},
        {"GET", "/supplier", NULL, "invalid json response body"}, /* answer not JSON */
    };
    e2e_faults(&mock, "[{\"kind\":\"malformed\",\"target\":\"GET /ExternalApi/v2/supplier\"}]");
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        r = prism_call(&pr, bad[i].method, bad[i].path, bad[i].body);
        httpc_resp_free(&r);
        expect_findings(&pr, (int)i + 1, bad[i].finding);
    }

    /* Every call but the route Prism did not know reached the mock. */
    cJSON *j = e2e_journal(&mock);
    int requests = 0;
    const cJSON *e;
    cJSON_ArrayForEach(e, j)
    {
        const cJSON *k = cJSON_GetObjectItemCaseSensitive(e, "kind");
        requests += cJSON_IsString(k) && strcmp(k->valuestring, "request") == 0;
    }
    EXPECT_EQ_INT(requests, 6);
    cJSON_Delete(j);
    proc_stop(pr.p, 5000);
    e2e_stop(&mock);
}

/* An upstream whose answer has the wrong shape: a list that is a string. */
static void wrong_shape(httpd_req *r, void *ud)
{
    (void)ud;
    httpd_reply_json_text(r, 200, "{\"ProductAvailabilityList\":\"oops\",\"Total\":1,\"Page\":1}");
}

TEST_T(prism, flags_an_answer_of_the_wrong_shape, 300)
{
    httpd *h = e2e_listen("GET", "/ref/productavailability", wrong_shape, NULL, 0);
    char upstream[64];
    snprintf(upstream, sizeof upstream, "http://127.0.0.1:%u", (unsigned)httpd_port(h));
    prism pr;
    prism_start(&pr, upstream);
    httpc_resp r = prism_call(&pr, "GET", "/ref/productavailability", NULL);
    EXPECT_EQ_INT(r.status, 200);
    httpc_resp_free(&r);
    expect_findings(&pr, 1, "response.body.ProductAvailabilityList");
    proc_stop(pr.p, 5000);
    httpd_free(h);
}

/* The Cin7 operations a Prism log's requests used ("GET /saleList", ...),
 * one per line, sorted, each once, appended to ops; returns how many
 * requests Prism forwarded upstream. */
static int prism_operations(const char *log, sbuf *ops)
{
    char seen[64][64];
    int n = 0, forwarded = 0;
    for (const char *p = strstr(log, "[HTTP SERVER] "); p; p = strstr(p + 1, "[HTTP SERVER] ")) {
        char method[16], path[48];
        if (sscanf(p + 14, "%15s %47s", method, path) != 2 || path[0] != '/')
            continue;
        for (char *m = method; *m; m++)
            *m = (char)toupper((unsigned char)*m);
        char op[64];
        snprintf(op, sizeof op, "%s %s", method, path);
        int known = 0;
        for (int i = 0; i < n && !known; i++)
            known = strcmp(seen[i], op) == 0;
        if (!known && n < 64)
            snprintf(seen[n++], sizeof seen[0], "%s", op);
    }
    for (const char *p = strstr(log, "> Forwarding "); p; p = strstr(p + 1, "> Forwarding "))
        forwarded++;
    qsort(seen, (size_t)n, sizeof seen[0], (int (*)(const void *, const void *))strcmp);
    for (int i = 0; i < n; i++)
        sbuf_printf(ops, "%s\n", seen[i]);
    return forwarded;
}

/* API requests in a mock's journal file (JSON lines). */
static int journal_requests(const char *path)
{
    char *text = test_read_file(path);
    if (!text)
        test_fail(__FILE__, __LINE__, "cannot read %s", path);
    int n = 0;
    for (const char *p = strstr(text, "\"kind\":\"request\""); p; p = strstr(p + 1, "\"kind\":\"request\""))
        n++;
    free(text);
    return n;
}

TEST_T(prism, ci_smoke_makes_only_calls_the_reference_has, 600)
{
    /* The release gate's scenario with every Cin7 call syncd makes passing
     * through Prism: the run must pass its gates, and Prism must find
     * nothing in any request or answer. */
    char *dir = xasprintf("%s/ci-smoke", test_tmp_dir());
    const char *args[] = {"run", "scenarios/ci-smoke.json", "--out", dir, "--quiet",
                          "--cin7-proxy", "scripts/prism-cin7.sh {upstream} {port}", NULL};
    e2e_surge_result r = e2e_surge(args);
    if (r.code != 0)
        test_fail(__FILE__, __LINE__, "surge exited %d; stderr:\n%.3000s", r.code, r.err);
    e2e_surge_free(&r);
    char *log_path = xasprintf("%s/cin7-proxy.log", dir);
    char *log = test_read_file(log_path);
    if (!log)
        test_fail(__FILE__, __LINE__, "cannot read %s", log_path);
    sbuf list = SBUF_INIT, ops = SBUF_INIT;
    int n = prism_findings(log, &list);
    int forwarded = prism_operations(log, &ops);
    printf("Cin7 operations syncd used:\n%s", sbuf_str(&ops));
    if (n != 0)
        test_fail(__FILE__, __LINE__, "Prism found %d problems:\n%.6000s", n, sbuf_str(&list));
    /* Every call went through Prism: as many requests reached the mock as
     * Prism forwarded, and the order flow of the reference was used. */
    char *journal = xasprintf("%s/mock-cin7.journal.jsonl", dir);
    EXPECT_GT_INT(forwarded, 0);
    EXPECT_EQ_INT(journal_requests(journal), forwarded);
    EXPECT_CONTAINS(sbuf_str(&ops), "POST /sale\n");
    EXPECT_CONTAINS(sbuf_str(&ops), "POST /sale/order\n");
    EXPECT_CONTAINS(sbuf_str(&ops), "GET /ref/productavailability\n");
    free(journal);
    sbuf_free(&list);
    sbuf_free(&ops);
    free(log);
    free(log_path);
    free(dir);
}

/* ---- every route of mock-cin7 through Prism ------------------------------------ */

/* One call of the sweep. path and body may name values taken from earlier
 * answers as {name}; take, when set, is the dotted path ("Webhooks.0.ID")
 * of a value of this answer kept under the name as. */
typedef struct {
    const char *method, *path, *body, *take, *as;
} sweep_step;

typedef struct {
    char name[16][16];
    char value[16][64];
    int n;
} sweep_vars;

/* tmpl with every {name} replaced by its value (malloc'd). */
static char *sweep_fill(const sweep_vars *v, const char *tmpl)
{
    sbuf b = SBUF_INIT;
    for (const char *p = tmpl; *p; p++) {
        const char *end = *p == '{' ? strchr(p, '}') : NULL;
        int k = -1;
        for (int i = 0; end && i < v->n && k < 0; i++)
            if (strlen(v->name[i]) == (size_t)(end - p - 1) &&
                strncmp(v->name[i], p + 1, (size_t)(end - p - 1)) == 0)
                k = i;
        if (k < 0) {
            sbuf_putc(&b, *p);
            continue;
        }
        sbuf_puts(&b, v->value[k]);
        p = end;
    }
    return sbuf_take(&b);
}

/* The value kept under name (the test fails when there is none). */
static const char *sweep_get(const sweep_vars *v, const char *name)
{
    for (int i = 0; i < v->n; i++)
        if (strcmp(v->name[i], name) == 0)
            return v->value[i];
    test_fail(__FILE__, __LINE__, "no value %s taken", name);
    return NULL;
}

/* The string at a dotted path of v ("Products.0.ID"), or NULL. */
static const char *sweep_at(const cJSON *v, const char *path)
{
    char *copy = xstrdup(path), *save = NULL;
    for (char *k = strtok_r(copy, ".", &save); k && v; k = strtok_r(NULL, ".", &save))
        v = isdigit((unsigned char)k[0]) ? cJSON_GetArrayItem(v, atoi(k))
                                          : cJSON_GetObjectItemCaseSensitive(v, k);
    free(copy);
    return cJSON_IsString(v) ? v->valuestring : NULL;
}

static const char *const acme[] = {"api-auth-accountid: acme", "api-auth-applicationkey: k1",
                                   "Content-Type: application/json", NULL};

/* Runs steps through Prism as account acme; each answer must be a 200. */
static int sweep_run(const prism *pr, sweep_vars *vars, const sweep_step *steps, size_t n)
{
    e2e_server via = {.port = pr->port};
    for (size_t i = 0; i < n; i++) {
        char *path = sweep_fill(vars, steps[i].path);
        char *body = steps[i].body ? sweep_fill(vars, steps[i].body) : NULL;
        httpc_resp r = e2e_call(&via, steps[i].method, path, acme, body);
        if (r.result != HTTPC_OK || r.status != 200)
            test_fail(__FILE__, __LINE__, "%s %s: status %d, %.600s", steps[i].method, path,
                      r.status, r.body ? r.body : "");
        if (steps[i].take) {
            cJSON *v = cJSON_Parse(r.body);
            const char *got = sweep_at(v, steps[i].take);
            if (!got || vars->n == 16)
                test_fail(__FILE__, __LINE__, "%s %s: no %s in %.600s", steps[i].method, path,
                          steps[i].take, r.body);
            snprintf(vars->name[vars->n], sizeof vars->name[0], "%s", steps[i].as);
            snprintf(vars->value[vars->n++], sizeof vars->value[0], "%s", got);
            cJSON_Delete(v);
        }
        httpc_resp_free(&r);
        free(body);
        free(path);
    }
    return (int)n;
}

/* Lines as the reference's examples write them (its converted schema
 * requires every key of the example on a purchase order line). */
#define SWEEP_LINE(qty, total)                                                                     \
    "[{\"ProductID\":\"{product}\",\"SKU\":\"A-1\",\"Name\":\"A-1\",\"Quantity\":" qty             \
    ",\"Price\":2.5,\"Discount\":0,\"Tax\":0,\"TaxRule\":\"Tax Exempt\",\"Comment\":\"\","           \
    "\"SupplierSKU\":\"\",\"Total\":" total "}]"

/* Writes: a product edited, a sale through quote and order, one voided, advanced and
 * simple purchases (one of each voided), a webhook made, changed and
 * deleted: every route mock-cin7 serves but the reads below. */
static const sweep_step sweep_writes[] = {
    {"GET", "/product?IncludeSuppliers=true&IncludeReorderLevels=true", NULL, "Products.0.ID",
     "product"},
    /* A product edit as an integration makes it: the fields Cin7 requires
     * and the ones it changes, a supplier's Cost among them. */
    {"PUT", "/product",
     "{\"ID\":\"{product}\",\"SKU\":\"A-1\",\"Name\":\"Anvil\",\"Category\":\"General\","
     "\"CostingMethod\":\"FIFO\",\"UOM\":\"Item\",\"Status\":\"Active\",\"PriceTier1\":12.5,"
     "\"Barcode\":\"0123456789012\",\"Weight\":2.25,\"WeightUnits\":\"kg\","
     "\"Suppliers\":[{\"SupplierName\":\"Acme Supply\",\"Cost\":4.75}]}",
     NULL, NULL},
    {"POST", "/sale",
     "{\"Customer\":\"Web Shop\",\"Location\":\"Main Warehouse\",\"SkipQuote\":false,"
     "\"CustomerReference\":\"1001\",\"ExternalID\":\"shop/1001\",\"ShipBy\":\"2031-01-31\","
     "\"ShippingAddress\":{\"Line1\":\"1 Main St\",\"Line2\":\"\",\"City\":\"Austin\","
     "\"State\":\"TX\",\"Postcode\":\"78701\",\"Country\":\"US\"}}",
     "ID", "sale"},
    {"POST", "/sale/quote",
     "{\"SaleID\":\"{sale}\",\"Status\":\"AUTHORISED\",\"Memo\":\"\",\"Lines\":" SWEEP_LINE("2", "5")
     "}",
     NULL, NULL},
    {"POST", "/sale/order",
     "{\"SaleID\":\"{sale}\",\"Status\":\"AUTHORISED\",\"Memo\":\"\",\"Lines\":" SWEEP_LINE("2", "5")
     "}",
     NULL, NULL},
    {"POST", "/sale", "{\"Customer\":\"Web Shop\",\"Location\":\"Main Warehouse\",\"SkipQuote\":true}",
     "ID", "voided"},
    {"DELETE", "/sale?ID={voided}&Void=true", NULL, NULL, NULL},
    {"POST", "/advanced-purchase",
     "{\"Supplier\":\"Acme Supply\",\"Location\":\"Main Warehouse\",\"Approach\":\"STOCK\"}", "ID",
     "po"},
    {"POST", "/purchase/order",
     "{\"TaskID\":\"{po}\",\"Status\":\"AUTHORISED\",\"Memo\":\"\",\"Lines\":" SWEEP_LINE("4", "10")
     "}",
     NULL, NULL},
    /* PUT before any lines: the converted reference types the answer's
     * Order.Lines as strings (its example has none), so only an answer
     * without lines can be judged. */
    {"POST", "/advanced-purchase",
     "{\"Supplier\":\"Acme Supply\",\"Location\":\"Main Warehouse\",\"Approach\":\"INVOICE\"}", "ID",
     "po2"},
    {"PUT", "/advanced-purchase", "{\"ID\":\"{po2}\",\"Note\":\"changed\"}", NULL, NULL},
    {"DELETE", "/advanced-purchase?ID={po2}&Void=true", NULL, NULL, NULL},
    {"POST", "/purchase", "{\"Supplier\":\"Acme Supply\",\"Location\":\"Main Warehouse\"}", "ID",
     "simple"},
    {"PUT", "/purchase", "{\"ID\":\"{simple}\",\"Note\":\"changed\"}", NULL, NULL},
    {"POST", "/purchase", "{\"Supplier\":\"Acme Supply\",\"Location\":\"East\"}", "ID", "simple2"},
    {"DELETE", "/purchase?ID={simple2}&Void=true", NULL, NULL, NULL},
    {"POST", "/purchase/order",
     "{\"TaskID\":\"{simple}\",\"Status\":\"DRAFT\",\"Memo\":\"\",\"Lines\":" SWEEP_LINE("1", "2.5")
     "}",
     NULL, NULL},
    {"POST", "/webhooks",
     "{\"Type\":\"Sale/OrderAuthorised\",\"IsActive\":true,\"ExternalURL\":\"http://127.0.0.1:9/h\","
     "\"ExternalAuthorizationType\":\"noauth\"}",
     "Webhooks.0.ID", "hook"},
    {"PUT", "/webhooks",
     "{\"ID\":\"{hook}\",\"Type\":\"Sale/OrderAuthorised\",\"IsActive\":false,"
     "\"ExternalURL\":\"http://127.0.0.1:9/h2\",\"ExternalAuthorizationType\":\"noauth\"}",
     NULL, NULL},
    {"DELETE", "/webhooks?ID={hook}", NULL, NULL, NULL},
};

/* Reads of everything, once the sale is invoiced and the purchase
 * received and invoiced. */
static const sweep_step sweep_reads[] = {
    {"GET", "/me", NULL, NULL, NULL},
    {"GET", "/product?Sku=A-1&IncludeSuppliers=true", NULL, NULL, NULL},
    {"GET", "/product?Sku=KIT-1&IncludeBOM=true", NULL, NULL, NULL},
    {"GET", "/supplier", NULL, NULL, NULL},
    {"GET", "/ref/location", NULL, NULL, NULL},
    {"GET", "/ref/tax", NULL, NULL, NULL},
    {"GET", "/customer", NULL, NULL, NULL},
    {"GET", "/ref/productavailability?Page=1&Limit=100", NULL, NULL, NULL},
    {"GET", "/sale?ID={sale}", NULL, NULL, NULL},
    {"GET", "/sale?ID={voided}", NULL, NULL, NULL},
    {"GET", "/sale/quote?SaleID={sale}", NULL, NULL, NULL},
    {"GET", "/sale/order?SaleID={sale}", NULL, NULL, NULL},
    {"GET", "/saleList", NULL, NULL, NULL},
    {"GET", "/saleList?ExternalID=shop%2F1001", NULL, NULL, NULL},
    {"GET", "/advanced-purchase?ID={po}", NULL, NULL, NULL},
    {"GET", "/advanced-purchase?ID={po2}", NULL, NULL, NULL},
    {"GET", "/purchase/order?TaskID={po}", NULL, NULL, NULL},
    {"GET", "/advanced-purchase/stock?PurchaseID={po}", NULL, NULL, NULL},
    {"GET", "/purchase?ID={simple}", NULL, NULL, NULL},
    {"GET", "/purchase/stock?TaskID={simple}", NULL, NULL, NULL},
    {"GET", "/purchaseList", NULL, NULL, NULL},
    {"GET", "/webhooks", NULL, NULL, NULL},
};

typedef struct {
    const e2e_server *mock;
    const char *sale, *po;
} sweep_wait;

static int sale_invoiced_and_purchase_invoiced(void *ud)
{
    const sweep_wait *w = ud;
    const e2e_server *s = w->mock;
    cJSON *sale = c7t_sale_doc(s, w->sale);
    int done = strcmp(c7t_str(sale, "CombinedInvoiceStatus"), "INVOICED") == 0;
    cJSON_Delete(sale);
    char *path = xasprintf("/ExternalApi/v2/advanced-purchase?ID=%s", w->po);
    cJSON *p = c7t_call(s, c7t_auth, "GET", path, NULL, 200);
    done = done && strcmp(c7t_str(p, "CombinedReceivingStatus"), "FULLY RECEIVED") == 0 &&
           strcmp(c7t_str(p, "CombinedInvoiceStatus"), "INVOICED") == 0;
    cJSON_Delete(p);
    free(path);
    return done;
}

TEST_T(prism, every_route_of_mock_cin7_answers_as_the_reference_says, 300)
{
    /* A whole flow: sale shipped and invoiced, purchase received and
     * invoiced; at 36000x the mock's hours are a tenth of a second. */
    e2e_server mock;
    const char *const args[] = {"--time-scale", "36000", NULL};
    /* The sale is split: GET sale and saleList answer with two
     * fulfilments. */
    c7t_start_world(&mock,
                    "\"sales\":{\"pick_after\":\"1m\",\"pack_after\":\"1m\",\"ship_after\":\"1m\","
                    "\"invoice_after\":\"1m\",\"paid_after\":null,\"split_share\":1,"
                    "\"split_gap\":\"1m\"},"
                    "\"purchases\":{\"invoice_after\":\"1m\"}",
                    args);
    cJSON_Delete(e2e_expect(&mock, "POST", "/_mock/seed", NULL,
                            "{\"products\":[{\"sku\":\"KIT-1\",\"bom\":[{\"sku\":\"A-1\",\"qty\":2}],"
                            "\"auto_assembly\":true}],"
                            "\"stock\":[{\"sku\":\"A-2\",\"location\":\"Main Warehouse\",\"bin\":\"B1\","
                            "\"batch\":\"LOT-7\",\"expiry\":\"2031-06-30\",\"on_hand\":2.5}]}",
                            200, 1));
    char upstream[96];
    snprintf(upstream, sizeof upstream, "http://127.0.0.1:%u/ExternalApi/v2", (unsigned)mock.port);
    prism pr;
    prism_start(&pr, upstream);
    sweep_vars vars = {0};
    int calls = sweep_run(&pr, &vars, sweep_writes, sizeof sweep_writes / sizeof *sweep_writes);
    sweep_wait w = {&mock, sweep_get(&vars, "sale"), sweep_get(&vars, "po")};
    EXPECT_TRUE(e2e_wait(sale_invoiced_and_purchase_invoiced, &w, 20000));
    cJSON *split = c7t_sale_doc(&mock, w.sale);
    EXPECT_EQ_INT(cJSON_GetArraySize(cJSON_GetObjectItemCaseSensitive(split, "Fulfilments")), 2);
    cJSON_Delete(split);
    calls += sweep_run(&pr, &vars, sweep_reads, sizeof sweep_reads / sizeof *sweep_reads);
    expect_findings(&pr, 0, NULL);
    /* Prism forwarded every call the sweep made. */
    char *log = test_read_file(pr.log);
    sbuf ops = SBUF_INIT;
    EXPECT_EQ_INT(prism_operations(log, &ops), calls);
    sbuf_free(&ops);
    free(log);
    proc_stop(pr.p, 5000);
    e2e_stop(&mock);
}
