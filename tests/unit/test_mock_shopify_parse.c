/* mock-shopify's pure parsers: GraphQL documents (gql.c), configs, seeds,
 * versions and the retry schedule (spec.c), search queries (search.c). */
#include "../runner.h"

#include "../../mocks/shopify/catalog.h"
#include "../../mocks/shopify/gql.h"
#include "../../mocks/shopify/search.h"
#include "../../mocks/shopify/spec.h"
#include "json.h"
#include "mem.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static gql_doc *parse_ok(const char *text)
{
    gql_doc *d;
    gql_error e;
    if (gql_parse(text, strlen(text), &d, &e) != 0)
        test_fail(__FILE__, __LINE__, "parse failed: %s", e.msg);
    return d;
}

static gql_error parse_bad(const char *text)
{
    gql_doc *d;
    gql_error e;
    if (gql_parse(text, strlen(text), &d, &e) == 0)
        test_fail(__FILE__, __LINE__, "expected a parse error for: %s", text);
    EXPECT_TRUE(d == NULL);
    return e;
}

TEST(mock_shopify, gql_parses_operations_fields_and_values)
{
    gql_doc *d = parse_ok("mutation Set($input: InventorySetQuantitiesInput!, $n: [Int!] = [1, 2]) {\n"
                          "  res: inventorySetQuantities(input: $input) @idempotent(key: \"k\") {\n"
                          "    userErrors { field code }\n"
                          "  }\n"
                          "}");
    EXPECT_EQ_INT(d->n_ops, 1);
    const gql_operation *op = &d->ops[0];
    EXPECT_EQ_INT(op->kind, GQL_MUTATION);
    EXPECT_EQ_STR(op->name, "Set");
    EXPECT_EQ_INT(op->n_vars, 2);
    EXPECT_EQ_STR(op->vars[0].type, "InventorySetQuantitiesInput!");
    EXPECT_TRUE(op->vars[0].non_null);
    EXPECT_EQ_STR(op->vars[1].type, "[Int!]");
    EXPECT_FALSE(op->vars[1].non_null);
    const gql_selection *f = &op->sel.items[0];
    EXPECT_EQ_STR(f->alias, "res");
    EXPECT_EQ_STR(f->name, "inventorySetQuantities");
    EXPECT_EQ_INT(f->line, 2);
    EXPECT_EQ_INT(f->col, 3);
    const gql_directive *idem = gql_directive_find(f->dirs, f->n_dirs, "idempotent");
    EXPECT_TRUE(idem != NULL);
    cJSON *key = gql_value_json(gql_arg_find(idem->args, idem->n_args, "key")->value, NULL);
    EXPECT_EQ_STR(key->valuestring, "k");
    cJSON_Delete(key);
    cJSON *vars = cJSON_Parse("{\"input\":{\"name\":\"available\"}}");
    cJSON *input = gql_value_json(gql_arg_find(f->args, f->n_args, "input")->value, vars);
    EXPECT_EQ_STR(cJSON_GetObjectItem(input, "name")->valuestring, "available");
    cJSON_Delete(input);
    cJSON_Delete(vars);
    cJSON *def = gql_value_json(op->vars[1].def, NULL);
    EXPECT_EQ_INT(cJSON_GetArraySize(def), 2);
    cJSON_Delete(def);
    gql_doc_free(d);

    d = parse_ok("{ a(x: -12, y: 1.5e2, s: \"\\u00e9\\n\", b: true, n: null, e: DENY, o: {k: [1 {z: 2}]}) }");
    const gql_selection *a = &d->ops[0].sel.items[0];
    EXPECT_EQ_INT(d->ops[0].kind, GQL_QUERY);
    cJSON *x = gql_value_json(gql_arg_find(a->args, a->n_args, "x")->value, NULL);
    EXPECT_EQ_INT(x->valuedouble, -12);
    cJSON_Delete(x);
    x = gql_value_json(gql_arg_find(a->args, a->n_args, "y")->value, NULL);
    EXPECT_NEAR(x->valuedouble, 150, 1e-9);
    cJSON_Delete(x);
    x = gql_value_json(gql_arg_find(a->args, a->n_args, "s")->value, NULL);
    EXPECT_EQ_STR(x->valuestring, "\xc3\xa9\n");
    cJSON_Delete(x);
    x = gql_value_json(gql_arg_find(a->args, a->n_args, "o")->value, NULL);
    char *t = cJSON_PrintUnformatted(x);
    EXPECT_EQ_STR(t, "{\"k\":[1,{\"z\":2}]}");
    cJSON_free(t);
    cJSON_Delete(x);
    EXPECT_EQ_INT(gql_arg_find(a->args, a->n_args, "e")->value->kind, GQL_V_ENUM);
    gql_doc_free(d);
}

TEST(mock_shopify, gql_block_strings_fragments_and_operation_choice)
{
    gql_doc *d = parse_ok("query A { x(q: \"\"\"\n    sku:A\n      OR sku:B\n  \"\"\") { ...F ... on T { y } } }\n"
                          "query B { z }\n"
                          "fragment F on T { w }");
    cJSON *q = gql_value_json(d->ops[0].sel.items[0].args[0].value, NULL);
    EXPECT_EQ_STR(q->valuestring, "sku:A\n  OR sku:B");
    cJSON_Delete(q);
    EXPECT_EQ_INT(d->ops[0].sel.items[0].sel.items[0].kind, GQL_SEL_SPREAD);
    EXPECT_EQ_INT(d->ops[0].sel.items[0].sel.items[1].kind, GQL_SEL_INLINE);
    EXPECT_EQ_STR(d->ops[0].sel.items[0].sel.items[1].name, "T");
    EXPECT_TRUE(gql_fragment_find(d, "F") != NULL);
    gql_error e;
    EXPECT_TRUE(gql_operation_pick(d, NULL, &e) == NULL);
    EXPECT_CONTAINS(e.msg, "operation name is required");
    EXPECT_EQ_STR(gql_operation_pick(d, "B", &e)->name, "B");
    EXPECT_TRUE(gql_operation_pick(d, "C", &e) == NULL);
    gql_doc_free(d);
}

TEST(mock_shopify, gql_errors_say_where)
{
    static const struct {
        const char *text, *want;
    } cases[] = {
        {"{ shop { name }", "Parse error on end of document"},
        {"{ a(s: \"open) }", "unterminated string"},
        {"{ a(n: 012) }", "malformed number"},
        {"{ a } { b }", "anonymous operation"},
        {"query X { a } query X { b }", "must be unique"},
        {"{ a(x: 1, x: 2) }", "given twice"},
        {"", "empty"},
        {"{ }", "expected a field name"},
        {"query ($v: Int = $w) { a }", "variables are not allowed"},
    };
    gql_error e;
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        e = parse_bad(cases[i].text);
        EXPECT_CONTAINS(e.msg, cases[i].want);
    }
    e = parse_bad("query {\n  shop(x: ) { name } }");
    EXPECT_EQ_INT(e.line, 2);
    EXPECT_EQ_INT(e.col, 11);
    EXPECT_CONTAINS(e.msg, "expected a value");
    /* Hostile nesting is refused, not a stack overflow. */
    size_t depth = 100000;
    char *deep = xmalloc(depth * 4 + 16);
    size_t k = 0;
    for (size_t i = 0; i < depth; i++) {
        memcpy(deep + k, "{ a ", 4);
        k += 4;
    }
    deep[k] = '\0';
    e = parse_bad(deep);
    EXPECT_CONTAINS(e.msg, "nested too deep");
    k = 0;
    memcpy(deep, "{ a(x: ", 7);
    k = 7;
    for (size_t i = 0; i < depth; i++)
        deep[k++] = '[';
    deep[k] = '\0';
    e = parse_bad(deep);
    EXPECT_CONTAINS(e.msg, "nested too deep");
    free(deep);
}

TEST(mock_shopify, spec_demo_plans_and_retry_schedule)
{
    spec_world w;
    spec_demo(&w);
    EXPECT_EQ_INT(w.n_shops, 1);
    EXPECT_EQ_STR(w.shops[0].domain, "demo.myshopify.com");
    EXPECT_EQ_STR(w.shops[0].tokens[0], "shpat_demo");
    EXPECT_EQ_STR(w.shops[0].secret, "demo-secret");
    EXPECT_EQ_INT(w.shops[0].n_locations, 1);
    EXPECT_EQ_INT(w.shops[0].n_products, 10);
    EXPECT_EQ_STR(w.shops[0].products[9].variants[0].sku, "DEMO-010");
    EXPECT_EQ_INT(w.shops[0].products[9].variants[0].available, 100);
    EXPECT_EQ_INT(w.shops[0].limits.rest_bucket, 40);
    EXPECT_EQ_INT(w.shops[0].limits.rest_leak_per_s, 2);
    EXPECT_EQ_INT(w.shops[0].limits.gql_bucket, 2000);
    EXPECT_EQ_INT(w.webhooks.retries, 8);
    int64_t sum = 0;
    for (size_t i = 0; i < w.webhooks.retries; i++)
        sum += w.webhooks.retry_waits[i];
    EXPECT_EQ_INT(sum, 4 * 3600 * 1000LL);
    spec_world_free(&w);

    spec_limits l;
    EXPECT_EQ_INT(spec_plan_limits("advanced", &l), 0);
    EXPECT_EQ_INT(l.rest_bucket, 80);
    EXPECT_EQ_INT(l.rest_leak_per_s, 4);
    EXPECT_EQ_INT(l.gql_bucket, 4000);
    EXPECT_EQ_INT(spec_plan_limits("plus", &l), 0);
    EXPECT_EQ_INT(l.rest_bucket, 400);
    EXPECT_EQ_INT(l.gql_restore_per_s, 1000);
    EXPECT_EQ_INT(spec_plan_limits("enterprise", &l), 0);
    EXPECT_EQ_INT(l.rest_bucket, 800);
    EXPECT_EQ_INT(l.gql_bucket, 40000);
    EXPECT_EQ_INT(spec_plan_limits("basic", &l), -1);

    int64_t waits[3];
    spec_retry_schedule(3, 70000, waits);
    EXPECT_EQ_INT(waits[0], 10000);
    EXPECT_EQ_INT(waits[1], 20000);
    EXPECT_EQ_INT(waits[2], 40000);
}

static int config_error(const char *text, char *msg, size_t n)
{
    json_err e;
    cJSON *v = json_parse(text, strlen(text), &e);
    if (!v)
        test_fail(__FILE__, __LINE__, "bad JSON in the test: %s", e.msg);
    spec_world w;
    int rc = spec_parse_config(v, &w, &e);
    spec_world_free(&w);
    cJSON_Delete(v);
    snprintf(msg, n, "%s", rc ? e.msg : "");
    return rc;
}

TEST(mock_shopify, spec_config_defaults_and_errors)
{
    const char *ok = "{\"shops\":[{\"domain\":\"a.myshopify.com\",\"access_token\":\"t\",\"app_secret\":\"s\","
                     "\"limits\":{\"graphql_restore_per_s\":50},"
                     "\"catalog\":{\"count\":3,\"sku_prefix\":\"X-\"}}],"
                     "\"webhooks\":{\"retry_waits\":[\"1s\",2000]}}";
    json_err e;
    cJSON *v = json_parse(ok, strlen(ok), &e);
    spec_world w;
    EXPECT_EQ_INT(spec_parse_config(v, &w, &e), 0);
    EXPECT_EQ_STR(w.shops[0].plan, "standard");
    EXPECT_EQ_STR(w.shops[0].api_version, "2026-10");
    EXPECT_EQ_STR(w.shops[0].locations[0].name, "Main Warehouse");
    EXPECT_EQ_INT(w.shops[0].limits.gql_bucket, 1000); /* 20 x the restore rate */
    EXPECT_EQ_INT(w.shops[0].n_products, 3);
    EXPECT_EQ_STR(w.shops[0].products[2].variants[0].sku, "X-0003");
    EXPECT_EQ_INT(w.webhooks.retries, 2);
    EXPECT_EQ_INT(w.webhooks.retry_waits[0], 1000);
    EXPECT_EQ_INT(w.gql_throttled_status, 200);
    spec_world_free(&w);
    cJSON_Delete(v);

    static const struct {
        const char *config, *want;
    } cases[] = {
        {"{\"shops\":[{\"domain\":\"a\",\"app_secret\":\"s\"}]}", "$.shops[0].access_token"},
        {"{\"shops\":[{\"domain\":\"a\",\"access_token\":\"t\",\"app_secret\":\"s\","
         "\"products\":[{\"variants\":[{\"sku\":\"A\",\"stock\":{\"Nowhere\":1}}]}]}]}",
         "$.shops[0].products[0].variants[0].stock.Nowhere"},
        {"{\"shops\":[{\"domain\":\"a\",\"access_token\":\"t\",\"app_secret\":\"s\","
         "\"products\":[{\"variants\":[{\"sku\":\"A\"}]},{\"variants\":[{\"sku\":\"A\"}]}]}]}",
         "SKU \"A\" appears twice"},
        {"{\"shops\":[{\"domain\":\"a\",\"access_token\":\"t\",\"app_secret\":\"s\","
         "\"webhooks\":[{\"topic\":\"orders/paid\",\"address\":\"mailto:x\"}]}]}",
         "$.shops[0].webhooks[0].address"},
        {"{\"shops\":[{\"domain\":\"a\",\"access_token\":\"t\",\"app_secret\":\"s\"}],"
         "\"webhooks\":{\"extra_delay\":{\"ms\":5,\"min\":1,\"max\":2}}}",
         "$.webhooks.extra_delay: give exactly one form"},
        {"{\"shops\":[{\"domain\":\"a\",\"access_token\":\"t\",\"app_secret\":\"s\"}],"
         "\"graphql\":{\"throttled_status\":300}}",
         "$.graphql.throttled_status"},
        {"{\"shops\":[{\"domain\":\"a\",\"access_token\":\"t\",\"app_secret\":\"s\","
         "\"payment\":{\"mode\":\"later\"}}]}",
         "$.shops[0].payment.mode"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char msg[512];
        EXPECT_NE_INT(config_error(cases[i].config, msg, sizeof msg), 0);
        EXPECT_CONTAINS(msg, cases[i].want);
    }
}

static int term_is_true(const search_term *t, const void *obj)
{
    /* The object is a list of "field=value" facts, NULL-terminated. */
    for (const char *const *f = obj; *f; f++) {
        size_t n = strcspn(*f, "=");
        if (strlen(t->field) == n && strncmp(*f, t->field, n) == 0 && strcmp(*f + n + 1, t->value) == 0)
            return 1;
    }
    return 0;
}

TEST(mock_shopify, search_terms_comparators_and_or)
{
    search_query q;
    search_parse("financial_status:paid updated_at:>='2026-12-01T00:00:00Z' name:\"#10 01\"", &q);
    EXPECT_EQ_INT(q.n, 3);
    EXPECT_EQ_STR(q.terms[0].field, "financial_status");
    EXPECT_EQ_STR(q.terms[0].op, ":");
    EXPECT_EQ_STR(q.terms[0].value, "paid");
    EXPECT_EQ_STR(q.terms[1].op, ">=");
    EXPECT_EQ_STR(q.terms[1].value, "2026-12-01T00:00:00Z");
    EXPECT_EQ_STR(q.terms[2].value, "#10 01");
    EXPECT_FALSE(q.terms[1].or_before);
    search_parse("sku:A OR sku:'B C' AND free text id:gid://shopify/InventoryItem/12", &q);
    EXPECT_EQ_INT(q.n, 3);
    EXPECT_TRUE(q.terms[1].or_before);
    EXPECT_FALSE(q.terms[2].or_before);
    EXPECT_EQ_STR(q.terms[2].value, "gid://shopify/InventoryItem/12");
    /* (sku:A) OR (sku:'B C' AND id:…) */
    const char *a[] = {"sku=A", NULL};
    const char *bc[] = {"sku=B C", NULL};
    const char *both[] = {"sku=B C", "id=gid://shopify/InventoryItem/12", NULL};
    EXPECT_TRUE(search_match(&q, term_is_true, a));
    EXPECT_FALSE(search_match(&q, term_is_true, bc));
    EXPECT_TRUE(search_match(&q, term_is_true, both));
    search_parse(NULL, &q);
    EXPECT_EQ_INT(q.n, 0);
    EXPECT_TRUE(search_match(&q, term_is_true, a)); /* no terms: everything */
    EXPECT_TRUE(search_compare("<=", 5, 5));
    EXPECT_FALSE(search_compare("<", 5, 5));
    EXPECT_TRUE(search_compare(":", 7, 7));
}

TEST(mock_shopify, spec_versions_fall_forward)
{
    spec_world w;
    spec_demo(&w);
    char v[32];
    EXPECT_EQ_INT(spec_version_served(&w, "2026-07", v, sizeof v), 0);
    EXPECT_EQ_STR(v, "2026-07");
    EXPECT_EQ_INT(spec_version_served(&w, "2025-10", v, sizeof v), 0);
    EXPECT_EQ_STR(v, "2026-01");
    EXPECT_EQ_INT(spec_version_served(&w, "2099-01", v, sizeof v), 0);
    EXPECT_EQ_STR(v, "2026-01");
    EXPECT_EQ_INT(spec_version_served(&w, "unstable", v, sizeof v), 0);
    EXPECT_EQ_STR(v, "unstable");
    EXPECT_EQ_INT(spec_version_served(&w, "2026-13", v, sizeof v), -1);
    EXPECT_EQ_INT(spec_version_served(&w, "latest", v, sizeof v), -1);
    spec_world_free(&w);
    /* A configured list, in any order; bad entries name their path. */
    json_err e;
    cJSON *cfg = cJSON_Parse("{\"versions\":{\"supported\":[\"2026-04\",\"2025-07\"]},\"shops\":[{"
                             "\"domain\":\"a.myshopify.com\",\"access_token\":\"t\",\"app_secret\":\"s\"}]}");
    EXPECT_EQ_INT(spec_parse_config(cfg, &w, &e), 0);
    EXPECT_EQ_INT(spec_version_served(&w, "2020-01", v, sizeof v), 0);
    EXPECT_EQ_STR(v, "2025-07");
    spec_world_free(&w);
    cJSON_Delete(cfg);
    cfg = cJSON_Parse("{\"versions\":{\"supported\":[\"2026-04\",\"soon\"]},\"shops\":[{"
                      "\"domain\":\"a.myshopify.com\",\"access_token\":\"t\",\"app_secret\":\"s\"}]}");
    EXPECT_EQ_INT(spec_parse_config(cfg, &w, &e), -1);
    EXPECT_CONTAINS(e.msg, "$.versions.supported[1]");
    spec_world_free(&w);
    cJSON_Delete(cfg);
}

/* Money as mock-shopify keeps it: two decimals, never negative, never a
 * negative zero. */
TEST(mock_shopify, money_has_two_decimals_and_no_sign)
{
    static const struct {
        const char *json;
        int rc;
        const char *out;
    } cases[] = {
        {"\"12\"", 0, "12.00"},   {"9.5", 0, "9.50"},         {"\"-0\"", 0, "0.00"},
        {"\"-.0\"", 0, "0.00"},   {"-0.0", 0, "0.00"},        {"\"-0.01\"", -2, NULL},
        {"\"1e10\"", -3, NULL},   {"\"9.5$0\"", -1, NULL},  {"\"\"", -1, NULL},
        {"true", -1, NULL},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        cJSON *v = json_parse(cases[i].json, strlen(cases[i].json), NULL);
        char out[32] = "";
        EXPECT_TRUE(v != NULL);
        EXPECT_EQ_INT(catalog_money(v, out), cases[i].rc);
        if (cases[i].out)
            EXPECT_EQ_STR(out, cases[i].out);
        cJSON_Delete(v);
    }
}
