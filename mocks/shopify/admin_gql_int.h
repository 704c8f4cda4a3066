/*
 * What the Admin GraphQL endpoint's modules share: the request context,
 * references into the world that the resolvers walk, and the helpers that
 * report errors, read arguments, charge the actual cost and build
 * connections. admin_gql.c owns the endpoint, the schema table and the
 * inventory slice; gql_orders.c the orders, fulfillment orders, webhook
 * subscriptions and bulk operations. Everything here runs with the world
 * lock held, on the thread of one request.
 */
#ifndef SURGE_SHOPIFY_ADMIN_GQL_INT_H
#define SURGE_SHOPIFY_ADMIN_GQL_INT_H

#include <cJSON.h>
#include <stddef.h>
#include <stdint.h>

#include "admin_gql.h"
#include "gql.h"
#include "search.h"
#include "world.h"

typedef struct {
    agql *g;
    world *w;
    ws_shop *s;
    const gql_doc *doc;
    cJSON *vars;         /* effective variables (owned) */
    cJSON *errors;       /* array (owned) */
    cJSON *garbage;      /* argument values, freed at the end */
    cJSON *path;         /* the response path being resolved */
    char version[32];
    const char *token;
    const char *host;    /* the request's Host (result URLs) */
    double actual;
    long visits;         /* selections expanded so far (the complexity budget) */
    int no_cost;         /* inside a mutation payload */
    int mutated;
    int bulk;            /* a bulk query: connections have no page size */
} ctx;

typedef struct mresult mresult;

/* A mutation's outcome as its payload type reads it (gql_orders.c). */
typedef struct {
    cJSON *user_errors;  /* [{field, message, code?}] (owned) */
    ws_order *o;         /* the order the named objects belong to */
    long fo;             /* a fulfillment order index, -1 none */
    long fulfillment;    /* a fulfillment index, -1 none */
    long hold;           /* a hold index of fo, -1 none */
    long sub;            /* a subscription index, -1 none */
    long bulk;           /* a bulk operation index, -1 none */
    char deleted[96];    /* a deleted object's id, "" none */
    int fresh;           /* a bulk operation just created: shown as CREATED */
    char job[96];        /* a job's id (orderCancel), "" none */
    ws_product *product; /* productUpdate, productVariantsBulkUpdate; NULL none */
    ws_variant **variants; /* the variants updated (malloc'd), NULL: none */
    size_t n_variants;
} ag_payload;

typedef struct {
    const char *type;
    ws_variant *v;
    int loc;
    ws_product *p;
    const char *qname;   /* InventoryQuantity */
    int64_t qty;
    const mresult *mr;   /* payloads, groups, changes */
    size_t idx;          /* change or user error index; order objects: see gql_orders.c */
    int has_next, has_prev;
    char start[96], end[96];
    ws_order *o;         /* order objects */
    size_t sub;          /* a second index (fulfillment order line, hold...) */
    const ag_payload *pl;
} ref;

typedef struct {
    ref *refs;
    int64_t *keys;
    size_t n;
} cands;

void ag_error(ctx *c, int line, int col, const char *code, const char *fmt, ...)
    __attribute__((format(printf, 5, 6)));
int ag_version_at_least(const char *v, const char *min);
/* An argument's value with variables substituted (borrowed until the end
 * of the request), or NULL when absent. */
const cJSON *ag_field_arg(ctx *c, const gql_selection *f, const char *name);
int ag_int_value(const cJSON *v, int64_t *out);
/* The number of "gid://shopify/<type>/<n>", -1 when s is not one. */
int64_t ag_gid_id(const char *s, const char *type);
cJSON *ag_gid_json(const char *type, int64_t id);
/* "id" and "legacyResourceId" of an object; NULL for other names. */
cJSON *ag_id_field(const char *name, const char *type, int64_t id);
cJSON *ag_iso_json(ctx *c, int64_t sim_ms);
cJSON *ag_str_or_null(const char *s);
void ag_charge(ctx *c, double points);
cJSON *ag_resolve_object(ctx *c, const ref *o, const gql_selset *sel);
cJSON *ag_resolve_uncharged(ctx *c, const ref *o, const gql_selset *sel);
/* A nullable object field: counts 1 when present. */
cJSON *ag_object_or_null(ctx *c, const ref *o, const gql_selection *f);
void ag_cands_init(cands *cl, size_t cap);
void ag_cands_add(cands *cl, ref r, int64_t key);
/* The connection over the candidates (keys ascending), which it frees. */
cJSON *ag_cands_resolve(ctx *c, const gql_selection *f, const char *node_type, cands *cl);
/* A date term of a search query (updated_at:>'2026-12-06T10:00:00Z')
 * against have_ms (simulated): compared to the second, as Shopify writes
 * dates; a value that is not an ISO-8601 date matches nothing. */
int ag_date_term(const ws_shop *s, const search_term *t, int64_t have_ms);
/* Runs a query document's operation against the shop as a bulk query
 * (admin_gql.c): the data object, or NULL with errors in c. */
cJSON *ag_run_bulk(ctx *c, const gql_doc *doc, const gql_operation *op);

/* gql_orders.c: resolves field f of o when o's type is one it owns.
 * Returns 1 with *out set, 0 when the type is not its own. */
int ag_orders_field(ctx *c, const ref *o, const gql_selection *f, cJSON **out);
/* gql_orders.c: runs mutation f when it is one of its own. Returns 1
 * with *out set, 0 otherwise. */
int ag_orders_mutation(ctx *c, const gql_selection *f, cJSON **out);
/* gql_orders.c: a list of objects (K_LIST fields), counted once, as the
 * cost pass did; a payload's user errors as a list of type. */
cJSON *ag_list_of(ctx *c, const ref *items, size_t n, const gql_selection *f);
cJSON *ag_user_errors(ctx *c, const ag_payload *pl, const char *type, const gql_selection *f);
/* gql_orders.c: a user error with its field path ("variants.0.price";
 * NULL: none) and, when code is not NULL, a code. */
void ag_user_error(ag_payload *pl, const char *code, const char *message, const char *path);
/* gql_orders.c: keys an input object may have; a GraphQL error naming the
 * first other. Returns 0 or -1. */
int ag_only_keys(ctx *c, const gql_selection *f, const cJSON *in, const char *type,
                 const char *const *allowed);

/* gql_products.c: fields of the product slice (payloads of its mutations,
 * a variant's compareAtPrice and barcode, an item's unitCost and
 * measurement, a product's status and variantsCount, Count). Returns 1 with *out set, 0 when the
 * field is not its own. */
int ag_products_field(ctx *c, const ref *o, const gql_selection *f, cJSON **out);
/* gql_products.c: productUpdate and productVariantsBulkUpdate (run by
 * gql_orders.c's mutation table). */
int ag_m_product_update(ctx *c, const gql_selection *f, ag_payload *pl);
int ag_m_variants_bulk_update(ctx *c, const gql_selection *f, ag_payload *pl);
/* gql_products.c: the products connection, filtered by its query. */
cJSON *ag_products_connection(ctx *c, const gql_selection *f);

/* gql_orders.c: GET /bulk-results/{shop}/{id}.jsonl (ud: the world). */
void ag_bulk_result(httpd_req *r, void *ud);

#endif
