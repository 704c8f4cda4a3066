/* Fuzz targets for mock-shopify's parsers of outside input: GraphQL
 * documents (mocks/shopify/gql.c), configs and seeds (mocks/shopify/spec.c)
 * and search queries (mocks/shopify/search.c). */
#include "fuzz.h"

#include "../../mocks/shopify/gql.h"
#include "../../mocks/shopify/search.h"
#include "../../mocks/shopify/spec.h"
#include "json.h"

#include <stdlib.h>
#include <string.h>

/* Touches every part of a parsed selection set, as the executor does. */
static void walk(const gql_doc *d, const gql_selset *s, const cJSON *vars, int depth)
{
    if (depth > GQL_MAX_DEPTH + 2)
        abort(); /* the parser promised to bound nesting */
    for (size_t i = 0; i < s->n; i++) {
        const gql_selection *x = &s->items[i];
        for (size_t k = 0; k < x->n_args; k++)
            cJSON_Delete(gql_value_json(x->args[k].value, vars));
        for (size_t k = 0; k < x->n_dirs; k++)
            for (size_t a = 0; a < x->dirs[k].n_args; a++)
                cJSON_Delete(gql_value_json(x->dirs[k].args[a].value, vars));
        if (x->kind == GQL_SEL_SPREAD)
            gql_fragment_find(d, x->name);
        walk(d, &x->sel, vars, depth + 1);
    }
}

FUZZ_TARGET(mock_shopify_gql)
{
    gql_doc *d = NULL;
    gql_error e;
    if (gql_parse((const char *)data, size, &d, &e) != 0) {
        if (d || !e.msg[0])
            abort(); /* a failure leaves nothing behind and says why */
        return;
    }
    cJSON *vars = cJSON_Parse("{\"item\":\"gid://shopify/InventoryItem/1\",\"n\":3}");
    for (size_t i = 0; i < d->n_ops; i++) {
        gql_operation *op = &d->ops[i];
        for (size_t k = 0; k < op->n_vars; k++)
            cJSON_Delete(gql_value_json(op->vars[k].def, NULL));
        walk(d, &op->sel, vars, 1);
        gql_operation_pick(d, op->name, &e);
    }
    for (size_t i = 0; i < d->n_frags; i++)
        walk(d, &d->frags[i].sel, vars, 1);
    gql_operation_pick(d, NULL, &e);
    cJSON_Delete(vars);
    gql_doc_free(d);
}

FUZZ_TARGET(mock_shopify_config)
{
    json_err e;
    cJSON *v = json_parse((const char *)data, size, &e);
    if (!v)
        return;
    spec_world w;
    memset(&e, 0, sizeof e);
    if (spec_parse_config(v, &w, &e) == 0) {
        /* A parsed config is whole: every shop has what the world needs. */
        for (size_t i = 0; i < w.n_shops; i++)
            if (!w.shops[i].domain || !w.shops[i].secret || w.shops[i].n_tokens == 0 ||
                w.shops[i].n_locations == 0)
                abort();
    } else if (!e.msg[0]) {
        abort();
    }
    spec_world_free(&w);
    spec_seed sd;
    spec_parse_seed(v, &sd, &e);
    spec_seed_free(&sd);
    cJSON_Delete(v);
}

/* Answers every term of a field by its comparator, to walk the matcher. */
static int any_term(const search_term *t, const void *obj)
{
    (void)obj;
    return t->field[0] && (t->op[0] == ':' || t->op[0] == '>' || t->op[0] == '<') &&
           strlen(t->value) < sizeof t->value;
}

FUZZ_TARGET(mock_shopify_search)
{
    char *q = malloc(size + 1);
    if (!q)
        abort();
    memcpy(q, data, size);
    q[size] = '\0';
    search_query sq;
    search_parse(q, &sq);
    if (sq.n > SEARCH_MAX || (sq.n && sq.terms[0].or_before))
        abort(); /* bounded, and no OR before the first term */
    search_match(&sq, any_term, NULL);
    free(q);
}
