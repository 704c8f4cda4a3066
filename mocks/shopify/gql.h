/*
 * A GraphQL document parser for mock-shopify's Admin GraphQL endpoint: the
 * executable part of the GraphQL grammar (operations with variables and
 * directives, selection sets with aliases and arguments, fragments and
 * inline fragments, every literal including block strings) turned into a
 * tree that the executor walks. It knows no schema: admin_gql decides what
 * the fields mean, what they cost and which are refused.
 *
 * Input comes from outside, so everything is bounded: nesting deeper than
 * GQL_MAX_DEPTH is refused (no stack overflow), and errors carry the line
 * and column of the offending token so a client can find it.
 *
 * Nothing here is shared: a gql_doc belongs to the thread that parsed it.
 * It depends on lib/ only, so the tests and the fuzz target link it alone.
 */
#ifndef SURGE_SHOPIFY_GQL_H
#define SURGE_SHOPIFY_GQL_H

#include <cJSON.h>
#include <stddef.h>

/* Selection sets, lists and input objects nested deeper than this fail. */
#define GQL_MAX_DEPTH 48

typedef struct {
    char msg[256];
    int line, col; /* 1-based; 0 when the error has no place */
} gql_error;

typedef enum {
    GQL_V_NULL,
    GQL_V_INT,
    GQL_V_FLOAT,
    GQL_V_STRING,
    GQL_V_BOOL,
    GQL_V_ENUM,
    GQL_V_LIST,
    GQL_V_OBJECT,
    GQL_V_VAR
} gql_vkind;

typedef struct gql_value gql_value;
struct gql_value {
    gql_vkind kind;
    char *text;         /* INT, FLOAT: the literal; STRING: decoded UTF-8; ENUM, VAR: the name */
    int boolean;        /* BOOL */
    gql_value **items;  /* LIST elements, OBJECT field values */
    char **keys;        /* OBJECT field names */
    size_t n;
    int line, col;
};

typedef struct {
    char *name;
    gql_value *value;
    int line, col;
} gql_arg;

typedef struct {
    char *name;
    gql_arg *args;
    size_t n_args;
    int line, col;
} gql_directive;

typedef struct gql_selection gql_selection;

typedef struct {
    gql_selection *items;
    size_t n;
} gql_selset;

typedef enum { GQL_SEL_FIELD, GQL_SEL_INLINE, GQL_SEL_SPREAD } gql_selkind;

struct gql_selection {
    gql_selkind kind;
    char *alias;          /* FIELD: NULL when none */
    char *name;           /* FIELD: field; SPREAD: fragment; INLINE: type condition or NULL */
    gql_arg *args;        /* FIELD */
    size_t n_args;
    gql_directive *dirs;
    size_t n_dirs;
    int has_sel;          /* FIELD: a selection set follows (INLINE always has one) */
    gql_selset sel;
    int line, col;
};

typedef struct {
    char *name;
    char *type;           /* as written, e.g. "[ID!]!" */
    int non_null;         /* the outer type ends in '!' */
    gql_value *def;       /* default value or NULL */
    int line, col;
} gql_vardef;

typedef enum { GQL_QUERY, GQL_MUTATION, GQL_SUBSCRIPTION } gql_opkind;

typedef struct {
    gql_opkind kind;
    char *name;           /* NULL for an anonymous operation */
    gql_vardef *vars;
    size_t n_vars;
    gql_directive *dirs;
    size_t n_dirs;
    gql_selset sel;
    int line, col;
} gql_operation;

typedef struct {
    char *name;
    char *type_cond;
    gql_directive *dirs;
    size_t n_dirs;
    gql_selset sel;
    int line, col;
} gql_fragment;

typedef struct {
    gql_operation *ops;
    size_t n_ops;
    gql_fragment *frags;
    size_t n_frags;
} gql_doc;

/* Parses len bytes (need not be NUL-terminated). Returns 0 with *out set
 * (caller frees with gql_doc_free), or -1 with *out NULL and err filled. */
int gql_parse(const char *text, size_t len, gql_doc **out, gql_error *err);
void gql_doc_free(gql_doc *d); /* accepts NULL */

/* The operation to run: the one named name, or the only one when name is
 * NULL or empty. NULL with err filled otherwise. Borrowed from d. */
const gql_operation *gql_operation_pick(const gql_doc *d, const char *name, gql_error *err);
const gql_fragment *gql_fragment_find(const gql_doc *d, const char *name);
const gql_arg *gql_arg_find(const gql_arg *args, size_t n, const char *name);
const gql_directive *gql_directive_find(const gql_directive *dirs, size_t n, const char *name);

/* The value as JSON with variables substituted from vars (an object, may be
 * NULL); a variable vars lacks becomes null. Numbers keep their text's value.
 * Caller frees with cJSON_Delete. */
cJSON *gql_value_json(const gql_value *v, const cJSON *vars);

#endif
