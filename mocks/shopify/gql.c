/* The GraphQL document parser; see gql.h. A hand-written lexer hands tokens
 * to a recursive-descent parser that follows the executable definitions of
 * the GraphQL grammar. Every recursion passes a depth, so hostile nesting
 * ends in an error rather than a stack overflow. */
#include "gql.h"

#include "mem.h"
#include "sbuf.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef enum {
    T_EOF,
    T_PUNCT,  /* one of ! $ & ( ) : = @ [ ] { | } */
    T_SPREAD, /* ... */
    T_NAME,
    T_INT,
    T_FLOAT,
    T_STRING, /* decoded into tok.str */
} tkind;

typedef struct {
    tkind kind;
    const char *start; /* in the source */
    size_t len;
    char *str;         /* T_STRING: decoded, malloc'd */
    int line, col;
} token;

typedef struct {
    const char *p, *end;
    int line;
    const char *line_start;
    token tok;
    gql_error *err;
    int failed;
} parser;

static int fail_at(parser *ps, int line, int col, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

static int fail_at(parser *ps, int line, int col, const char *fmt, ...)
{
    if (ps->failed)
        return -1;
    ps->failed = 1;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(ps->err->msg, sizeof ps->err->msg, fmt, ap);
    va_end(ap);
    ps->err->line = line;
    ps->err->col = col;
    return -1;
}

/* fail_at with the message after "Parse error at [line, col]: ". */
static int parse_error(parser *ps, int line, int col, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

static int parse_error(parser *ps, int line, int col, const char *fmt, ...)
{
    char msg[sizeof ps->err->msg];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    return fail_at(ps, line, col, "Parse error at [%d, %d]: %s", line, col, msg);
}

/* What the current token looks like in a message. */
static void describe(const token *t, char *buf, size_t n)
{
    switch (t->kind) {
    case T_EOF: snprintf(buf, n, "end of document"); break;
    case T_STRING: snprintf(buf, n, "a string"); break;
    default: {
        int len = t->len > 32 ? 32 : (int)t->len;
        snprintf(buf, n, "\"%.*s\"", len, t->start);
    }
    }
}

static int unexpected(parser *ps, const char *wanted)
{
    char what[64];
    describe(&ps->tok, what, sizeof what);
    return fail_at(ps, ps->tok.line, ps->tok.col, "Parse error on %s at [%d, %d]: expected %s", what,
                   ps->tok.line, ps->tok.col, wanted);
}

/* ---- lexer --------------------------------------------------------------- */

static int is_name_start(int c)
{
    return c == '_' || (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z');
}

static int is_digit(int c)
{
    return c >= '0' && c <= '9';
}

static void newline(parser *ps, const char *after)
{
    ps->line++;
    ps->line_start = after;
}

/* Skips blanks, commas, line ends, the BOM and comments. */
static void skip_ignored(parser *ps)
{
    while (ps->p < ps->end) {
        unsigned char c = (unsigned char)*ps->p;
        if (c == ' ' || c == '\t' || c == ',') {
            ps->p++;
        } else if (c == '\n') {
            ps->p++;
            newline(ps, ps->p);
        } else if (c == '\r') {
            ps->p++;
            if (ps->p < ps->end && *ps->p == '\n')
                ps->p++;
            newline(ps, ps->p);
        } else if (c == 0xEF && ps->end - ps->p >= 3 && (unsigned char)ps->p[1] == 0xBB &&
                   (unsigned char)ps->p[2] == 0xBF) {
            ps->p += 3;
        } else if (c == '#') {
            while (ps->p < ps->end && *ps->p != '\n' && *ps->p != '\r')
                ps->p++;
        } else {
            break;
        }
    }
}

static void put_utf8(sbuf *b, unsigned long cp)
{
    char out[4];
    if (cp < 0x80) {
        sbuf_putc(b, (char)cp);
    } else if (cp < 0x800) {
        out[0] = (char)(0xC0 | (cp >> 6));
        out[1] = (char)(0x80 | (cp & 0x3F));
        sbuf_append(b, out, 2);
    } else if (cp < 0x10000) {
        out[0] = (char)(0xE0 | (cp >> 12));
        out[1] = (char)(0x80 | ((cp >> 6) & 0x3F));
        out[2] = (char)(0x80 | (cp & 0x3F));
        sbuf_append(b, out, 3);
    } else {
        out[0] = (char)(0xF0 | (cp >> 18));
        out[1] = (char)(0x80 | ((cp >> 12) & 0x3F));
        out[2] = (char)(0x80 | ((cp >> 6) & 0x3F));
        out[3] = (char)(0x80 | (cp & 0x3F));
        sbuf_append(b, out, 4);
    }
}

static int hex4(const char *s, unsigned long *out)
{
    unsigned long v = 0;
    for (int i = 0; i < 4; i++) {
        char c = s[i];
        v <<= 4;
        if (c >= '0' && c <= '9')
            v |= (unsigned long)(c - '0');
        else if (c >= 'a' && c <= 'f')
            v |= (unsigned long)(c - 'a' + 10);
        else if (c >= 'A' && c <= 'F')
            v |= (unsigned long)(c - 'A' + 10);
        else
            return -1;
    }
    *out = v;
    return 0;
}

/* A "..." string; ps->p is past the opening quote. */
static int lex_string(parser *ps, int line, int col)
{
    sbuf b = SBUF_INIT;
    while (ps->p < ps->end) {
        char c = *ps->p;
        if (c == '"') {
            ps->p++;
            ps->tok.str = sbuf_take(&b);
            return 0;
        }
        if (c == '\n' || c == '\r')
            break;
        if (c != '\\') {
            sbuf_putc(&b, c);
            ps->p++;
            continue;
        }
        if (ps->end - ps->p < 2)
            break;
        char e = ps->p[1];
        ps->p += 2;
        switch (e) {
        case '"': sbuf_putc(&b, '"'); break;
        case '\\': sbuf_putc(&b, '\\'); break;
        case '/': sbuf_putc(&b, '/'); break;
        case 'b': sbuf_putc(&b, '\b'); break;
        case 'f': sbuf_putc(&b, '\f'); break;
        case 'n': sbuf_putc(&b, '\n'); break;
        case 'r': sbuf_putc(&b, '\r'); break;
        case 't': sbuf_putc(&b, '\t'); break;
        case 'u': {
            unsigned long cp;
            if (ps->end - ps->p < 4 || hex4(ps->p, &cp) != 0) {
                sbuf_free(&b);
                return parse_error(ps, line, col, "bad \\u escape in a string");
            }
            ps->p += 4;
            /* A surrogate pair spells one code point; a lone half becomes U+FFFD. */
            if (cp >= 0xD800 && cp <= 0xDBFF && ps->end - ps->p >= 6 && ps->p[0] == '\\' &&
                ps->p[1] == 'u') {
                unsigned long lo;
                if (hex4(ps->p + 2, &lo) == 0 && lo >= 0xDC00 && lo <= 0xDFFF) {
                    cp = 0x10000 + ((cp - 0xD800) << 10) + (lo - 0xDC00);
                    ps->p += 6;
                }
            }
            if (cp >= 0xD800 && cp <= 0xDFFF)
                cp = 0xFFFD;
            put_utf8(&b, cp);
            break;
        }
        default:
            sbuf_free(&b);
            return parse_error(ps, line, col, "bad escape \\%c in a string",
                               e >= ' ' && e < 127 ? e : '?');
        }
    }
    sbuf_free(&b);
    return parse_error(ps, line, col, "unterminated string");
}

/* The blanks (spaces and tabs) a line of len bytes starts with; len when
 * the line is blank. */
static size_t indent_of(const char *line, size_t len)
{
    size_t k = 0;
    while (k < len && (line[k] == ' ' || line[k] == '\t'))
        k++;
    return k;
}

/* A """block string"""; ps->p is past the opening quotes. The common
 * indentation and the blank first and last lines go, as the spec says. */
static int lex_block_string(parser *ps, int line, int col)
{
    sbuf raw = SBUF_INIT;
    for (;;) {
        if (ps->p >= ps->end) {
            sbuf_free(&raw);
            return parse_error(ps, line, col, "unterminated block string");
        }
        if (ps->end - ps->p >= 3 && memcmp(ps->p, "\"\"\"", 3) == 0) {
            ps->p += 3;
            break;
        }
        if (ps->end - ps->p >= 4 && memcmp(ps->p, "\\\"\"\"", 4) == 0) {
            sbuf_puts(&raw, "\"\"\"");
            ps->p += 4;
            continue;
        }
        char c = *ps->p++;
        if (c == '\r') {
            if (ps->p < ps->end && *ps->p == '\n')
                ps->p++;
            c = '\n';
        }
        if (c == '\n')
            newline(ps, ps->p);
        sbuf_putc(&raw, c);
    }
    /* Split into lines, find the common indent of all but the first. */
    const char *s = sbuf_str(&raw);
    size_t n_lines = 1;
    for (const char *q = s; *q; q++)
        n_lines += *q == '\n';
    const char **starts = xcalloc(n_lines, sizeof *starts);
    size_t *lens = xcalloc(n_lines, sizeof *lens);
    size_t li = 0;
    starts[0] = s;
    for (const char *q = s;; q++) {
        if (*q == '\n' || *q == '\0') {
            lens[li] = (size_t)(q - starts[li]);
            if (*q == '\0')
                break;
            starts[++li] = q + 1;
        }
    }
    size_t common = (size_t)-1;
    for (size_t i = 1; i < n_lines; i++) {
        size_t ind = indent_of(starts[i], lens[i]);
        if (ind < lens[i] && ind < common)
            common = ind;
    }
    size_t first = 0, last = n_lines; /* [first, last) kept */
    for (size_t i = 0; i < n_lines; i++) {
        size_t off = i > 0 && common != (size_t)-1 ? (common < lens[i] ? common : lens[i]) : 0;
        starts[i] += off;
        lens[i] -= off;
    }
    while (first < last && indent_of(starts[first], lens[first]) == lens[first])
        first++;
    while (last > first && indent_of(starts[last - 1], lens[last - 1]) == lens[last - 1])
        last--;
    sbuf out = SBUF_INIT;
    for (size_t i = first; i < last; i++) {
        if (i > first)
            sbuf_putc(&out, '\n');
        sbuf_append(&out, starts[i], lens[i]);
    }
    free(starts);
    free(lens);
    sbuf_free(&raw);
    ps->tok.str = sbuf_take(&out);
    return 0;
}

/* Moves to the next token. */
static int next(parser *ps)
{
    free(ps->tok.str);
    ps->tok.str = NULL;
    skip_ignored(ps);
    token *t = &ps->tok;
    t->start = ps->p;
    t->line = ps->line;
    t->col = (int)(ps->p - ps->line_start) + 1;
    if (ps->p >= ps->end) {
        t->kind = T_EOF;
        t->len = 0;
        return 0;
    }
    unsigned char c = (unsigned char)*ps->p;
    if (strchr("!$&():=@[]{|}", c) && c != '\0') {
        t->kind = T_PUNCT;
        t->len = 1;
        ps->p++;
        return 0;
    }
    if (c == '.') {
        if (ps->end - ps->p >= 3 && ps->p[1] == '.' && ps->p[2] == '.') {
            t->kind = T_SPREAD;
            t->len = 3;
            ps->p += 3;
            return 0;
        }
        return fail_at(ps, t->line, t->col, "Parse error on \".\" at [%d, %d]: expected \"...\"",
                       t->line, t->col);
    }
    if (is_name_start(c)) {
        while (ps->p < ps->end && (is_name_start((unsigned char)*ps->p) || is_digit(*ps->p)))
            ps->p++;
        t->kind = T_NAME;
        t->len = (size_t)(ps->p - t->start);
        return 0;
    }
    if (c == '-' || is_digit(c)) {
        const char *q = ps->p;
        if (*q == '-')
            q++;
        if (q >= ps->end || !is_digit(*q))
            goto bad_number;
        if (*q == '0' && q + 1 < ps->end && is_digit(q[1]))
            goto bad_number; /* no leading zeros */
        while (q < ps->end && is_digit(*q))
            q++;
        int is_float = 0;
        if (q < ps->end && *q == '.') {
            is_float = 1;
            q++;
            if (q >= ps->end || !is_digit(*q))
                goto bad_number;
            while (q < ps->end && is_digit(*q))
                q++;
        }
        if (q < ps->end && (*q == 'e' || *q == 'E')) {
            is_float = 1;
            q++;
            if (q < ps->end && (*q == '+' || *q == '-'))
                q++;
            if (q >= ps->end || !is_digit(*q))
                goto bad_number;
            while (q < ps->end && is_digit(*q))
                q++;
        }
        if (q < ps->end && (is_name_start((unsigned char)*q) || *q == '.'))
            goto bad_number;
        t->kind = is_float ? T_FLOAT : T_INT;
        t->len = (size_t)(q - t->start);
        ps->p = q;
        return 0;
    bad_number:
        return parse_error(ps, t->line, t->col, "malformed number");
    }
    if (c == '"') {
        t->kind = T_STRING;
        if (ps->end - ps->p >= 3 && ps->p[1] == '"' && ps->p[2] == '"') {
            ps->p += 3;
            if (lex_block_string(ps, t->line, t->col) != 0)
                return -1;
        } else {
            ps->p++;
            if (lex_string(ps, t->line, t->col) != 0)
                return -1;
        }
        t->len = (size_t)(ps->p - t->start);
        return 0;
    }
    if (c < 0x20 && c != '\t')
        return parse_error(ps, t->line, t->col, "unexpected control character");
    return fail_at(ps, t->line, t->col, "Parse error on \"%c\" at [%d, %d]: unexpected character",
                   c < 0x80 ? c : '?', t->line, t->col);
}

static int is_punct(const parser *ps, char c)
{
    return ps->tok.kind == T_PUNCT && *ps->tok.start == c;
}

static int is_name(const parser *ps, const char *name)
{
    return ps->tok.kind == T_NAME && ps->tok.len == strlen(name) &&
           memcmp(ps->tok.start, name, ps->tok.len) == 0;
}

static int expect_punct(parser *ps, char c)
{
    if (!is_punct(ps, c)) {
        char want[8] = {'"', c, '"', '\0'};
        return unexpected(ps, want);
    }
    return next(ps);
}

/* Takes a name token into a malloc'd string; on failure *out is NULL. */
static int take_name(parser *ps, char **out, const char *wanted)
{
    *out = NULL;
    if (ps->tok.kind != T_NAME)
        return unexpected(ps, wanted);
    char *name = xstrndup(ps->tok.start, ps->tok.len);
    if (next(ps) != 0) {
        free(name);
        return -1;
    }
    *out = name;
    return 0;
}

/* ---- the tree ------------------------------------------------------------ */

static void value_free(gql_value *v)
{
    if (!v)
        return;
    for (size_t i = 0; i < v->n; i++) {
        value_free(v->items[i]);
        if (v->keys)
            free(v->keys[i]);
    }
    free(v->items);
    free(v->keys);
    free(v->text);
    free(v);
}

static void args_free(gql_arg *a, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        free(a[i].name);
        value_free(a[i].value);
    }
    free(a);
}

static void dirs_free(gql_directive *d, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        free(d[i].name);
        args_free(d[i].args, d[i].n_args);
    }
    free(d);
}

static void selset_free(gql_selset *s)
{
    for (size_t i = 0; i < s->n; i++) {
        gql_selection *x = &s->items[i];
        free(x->alias);
        free(x->name);
        args_free(x->args, x->n_args);
        dirs_free(x->dirs, x->n_dirs);
        selset_free(&x->sel);
    }
    free(s->items);
    s->items = NULL;
    s->n = 0;
}

void gql_doc_free(gql_doc *d)
{
    if (!d)
        return;
    for (size_t i = 0; i < d->n_ops; i++) {
        gql_operation *o = &d->ops[i];
        free(o->name);
        for (size_t k = 0; k < o->n_vars; k++) {
            free(o->vars[k].name);
            free(o->vars[k].type);
            value_free(o->vars[k].def);
        }
        free(o->vars);
        dirs_free(o->dirs, o->n_dirs);
        selset_free(&o->sel);
    }
    free(d->ops);
    for (size_t i = 0; i < d->n_frags; i++) {
        gql_fragment *f = &d->frags[i];
        free(f->name);
        free(f->type_cond);
        dirs_free(f->dirs, f->n_dirs);
        selset_free(&f->sel);
    }
    free(d->frags);
    free(d);
}

/* ---- parser -------------------------------------------------------------- */

static int parse_value(parser *ps, int is_const, int depth, gql_value **out);

static gql_value *new_value(parser *ps, gql_vkind k)
{
    gql_value *v = xcalloc(1, sizeof *v);
    v->kind = k;
    v->line = ps->tok.line;
    v->col = ps->tok.col;
    return v;
}

static int parse_value(parser *ps, int is_const, int depth, gql_value **out)
{
    *out = NULL;
    if (depth > GQL_MAX_DEPTH)
        return parse_error(ps, ps->tok.line, ps->tok.col, "values nested too deep");
    gql_value *v = NULL;
    switch (ps->tok.kind) {
    case T_INT:
    case T_FLOAT:
        v = new_value(ps, ps->tok.kind == T_INT ? GQL_V_INT : GQL_V_FLOAT);
        v->text = xstrndup(ps->tok.start, ps->tok.len);
        *out = v;
        return next(ps);
    case T_STRING:
        v = new_value(ps, GQL_V_STRING);
        v->text = ps->tok.str;
        ps->tok.str = NULL;
        *out = v;
        return next(ps);
    case T_NAME:
        if (is_name(ps, "true") || is_name(ps, "false")) {
            v = new_value(ps, GQL_V_BOOL);
            v->boolean = is_name(ps, "true");
        } else if (is_name(ps, "null")) {
            v = new_value(ps, GQL_V_NULL);
        } else {
            v = new_value(ps, GQL_V_ENUM);
            v->text = xstrndup(ps->tok.start, ps->tok.len);
        }
        *out = v;
        return next(ps);
    case T_PUNCT:
        break;
    default:
        return unexpected(ps, "a value");
    }
    if (is_punct(ps, '$')) {
        if (is_const)
            return parse_error(ps, ps->tok.line, ps->tok.col,
                               "variables are not allowed in default values");
        v = new_value(ps, GQL_V_VAR);
        *out = v;
        if (next(ps) != 0)
            return -1;
        return take_name(ps, &v->text, "a variable name");
    }
    if (is_punct(ps, '[')) {
        v = new_value(ps, GQL_V_LIST);
        *out = v;
        if (next(ps) != 0)
            return -1;
        size_t cap = 0;
        while (!is_punct(ps, ']')) {
            if (ps->tok.kind == T_EOF)
                return unexpected(ps, "\"]\"");
            gql_value *item;
            int rc = parse_value(ps, is_const, depth + 1, &item);
            if (item) {
                XGROW(v->items, v->n, cap, 8);
                v->items[v->n++] = item;
            }
            if (rc != 0)
                return -1;
        }
        return next(ps);
    }
    if (is_punct(ps, '{')) {
        v = new_value(ps, GQL_V_OBJECT);
        *out = v;
        if (next(ps) != 0)
            return -1;
        size_t cap_items = 0, cap_keys = 0;
        while (!is_punct(ps, '}')) {
            char *key = NULL;
            int kline = ps->tok.line, kcol = ps->tok.col;
            if (take_name(ps, &key, "a field name or \"}\"") != 0)
                return -1;
            for (size_t i = 0; i < v->n; i++)
                if (strcmp(v->keys[i], key) == 0) {
                    parse_error(ps, kline, kcol, "field \"%s\" given twice", key);
                    free(key);
                    return -1;
                }
            XGROW(v->items, v->n, cap_items, 8);
            XGROW(v->keys, v->n, cap_keys, 8);
            v->keys[v->n] = key;
            v->items[v->n] = NULL;
            v->n++;
            if (expect_punct(ps, ':') != 0)
                return -1;
            if (parse_value(ps, is_const, depth + 1, &v->items[v->n - 1]) != 0)
                return -1;
        }
        return next(ps);
    }
    return unexpected(ps, "a value");
}

static int parse_args(parser *ps, int is_const, gql_arg **out, size_t *n_out)
{
    *out = NULL;
    *n_out = 0;
    if (!is_punct(ps, '('))
        return 0;
    if (next(ps) != 0)
        return -1;
    size_t cap = 0;
    do {
        XGROW(*out, *n_out, cap, 8);
        gql_arg *a = &(*out)[*n_out];
        memset(a, 0, sizeof *a);
        a->line = ps->tok.line;
        a->col = ps->tok.col;
        if (take_name(ps, &a->name, "an argument name") != 0)
            return -1;
        (*n_out)++;
        for (size_t i = 0; i + 1 < *n_out; i++)
            if (strcmp((*out)[i].name, a->name) == 0)
                return parse_error(ps, a->line, a->col, "argument \"%s\" given twice", a->name);
        if (expect_punct(ps, ':') != 0)
            return -1;
        if (parse_value(ps, is_const, 1, &a->value) != 0)
            return -1;
    } while (!is_punct(ps, ')'));
    return next(ps);
}

static int parse_directives(parser *ps, int is_const, gql_directive **out, size_t *n_out)
{
    *out = NULL;
    *n_out = 0;
    size_t cap = 0;
    while (is_punct(ps, '@')) {
        XGROW(*out, *n_out, cap, 8);
        gql_directive *d = &(*out)[*n_out];
        memset(d, 0, sizeof *d);
        d->line = ps->tok.line;
        d->col = ps->tok.col;
        (*n_out)++;
        if (next(ps) != 0)
            return -1;
        if (take_name(ps, &d->name, "a directive name") != 0)
            return -1;
        if (parse_args(ps, is_const, &d->args, &d->n_args) != 0)
            return -1;
    }
    return 0;
}

static int parse_selset(parser *ps, int depth, gql_selset *out);

static gql_selection *add_selection(gql_selset *s, size_t *cap)
{
    XGROW(s->items, s->n, *cap, 8);
    gql_selection *x = &s->items[s->n++];
    memset(x, 0, sizeof *x);
    return x;
}

static int parse_selset(parser *ps, int depth, gql_selset *out)
{
    memset(out, 0, sizeof *out);
    if (depth > GQL_MAX_DEPTH)
        return parse_error(ps, ps->tok.line, ps->tok.col, "selections nested too deep");
    if (expect_punct(ps, '{') != 0)
        return -1;
    size_t cap = 0;
    do {
        gql_selection *x = add_selection(out, &cap);
        x->line = ps->tok.line;
        x->col = ps->tok.col;
        if (ps->tok.kind == T_SPREAD) {
            if (next(ps) != 0)
                return -1;
            if (is_name(ps, "on") || is_punct(ps, '{') || is_punct(ps, '@')) {
                x->kind = GQL_SEL_INLINE;
                if (is_name(ps, "on")) {
                    if (next(ps) != 0 || take_name(ps, &x->name, "a type name") != 0)
                        return -1;
                }
                if (parse_directives(ps, 0, &x->dirs, &x->n_dirs) != 0)
                    return -1;
                x->has_sel = 1;
                if (parse_selset(ps, depth + 1, &x->sel) != 0)
                    return -1;
            } else {
                x->kind = GQL_SEL_SPREAD;
                if (take_name(ps, &x->name, "a fragment name") != 0)
                    return -1;
                if (parse_directives(ps, 0, &x->dirs, &x->n_dirs) != 0)
                    return -1;
            }
            continue;
        }
        x->kind = GQL_SEL_FIELD;
        if (take_name(ps, &x->name, "a field name") != 0)
            return -1;
        if (is_punct(ps, ':')) {
            x->alias = x->name;
            x->name = NULL;
            if (next(ps) != 0 || take_name(ps, &x->name, "a field name") != 0)
                return -1;
        }
        if (parse_args(ps, 0, &x->args, &x->n_args) != 0)
            return -1;
        if (parse_directives(ps, 0, &x->dirs, &x->n_dirs) != 0)
            return -1;
        if (is_punct(ps, '{')) {
            x->has_sel = 1;
            if (parse_selset(ps, depth + 1, &x->sel) != 0)
                return -1;
        }
    } while (!is_punct(ps, '}') && !ps->failed);
    return next(ps);
}

/* A type reference such as "[ID!]!", printed back into text. */
static int parse_type(parser *ps, sbuf *b, int depth)
{
    if (depth > 8)
        return parse_error(ps, ps->tok.line, ps->tok.col, "type nested too deep");
    if (is_punct(ps, '[')) {
        sbuf_putc(b, '[');
        if (next(ps) != 0 || parse_type(ps, b, depth + 1) != 0)
            return -1;
        if (expect_punct(ps, ']') != 0)
            return -1;
        sbuf_putc(b, ']');
    } else {
        if (ps->tok.kind != T_NAME)
            return unexpected(ps, "a type");
        sbuf_append(b, ps->tok.start, ps->tok.len);
        if (next(ps) != 0)
            return -1;
    }
    if (is_punct(ps, '!')) {
        sbuf_putc(b, '!');
        return next(ps);
    }
    return 0;
}

static int parse_vardefs(parser *ps, gql_operation *op)
{
    if (!is_punct(ps, '('))
        return 0;
    if (next(ps) != 0)
        return -1;
    size_t cap = 0;
    do {
        XGROW(op->vars, op->n_vars, cap, 8);
        gql_vardef *v = &op->vars[op->n_vars];
        memset(v, 0, sizeof *v);
        v->line = ps->tok.line;
        v->col = ps->tok.col;
        op->n_vars++;
        if (expect_punct(ps, '$') != 0 || take_name(ps, &v->name, "a variable name") != 0)
            return -1;
        for (size_t i = 0; i + 1 < op->n_vars; i++)
            if (strcmp(op->vars[i].name, v->name) == 0)
                return parse_error(ps, v->line, v->col, "variable $%s declared twice", v->name);
        if (expect_punct(ps, ':') != 0)
            return -1;
        sbuf t = SBUF_INIT;
        int rc = parse_type(ps, &t, 0);
        v->type = sbuf_take(&t);
        if (rc != 0)
            return -1;
        v->non_null = v->type[0] && v->type[strlen(v->type) - 1] == '!';
        if (is_punct(ps, '=')) {
            if (next(ps) != 0 || parse_value(ps, 1, 1, &v->def) != 0)
                return -1;
        }
        gql_directive *d;
        size_t nd;
        rc = parse_directives(ps, 1, &d, &nd);
        dirs_free(d, nd); /* variable directives mean nothing here */
        if (rc != 0)
            return -1;
    } while (!is_punct(ps, ')'));
    return next(ps);
}

static int parse_definition(parser *ps, gql_doc *d, size_t *op_cap, size_t *frag_cap)
{
    if (is_punct(ps, '{') || is_name(ps, "query") || is_name(ps, "mutation") ||
        is_name(ps, "subscription")) {
        XGROW(d->ops, d->n_ops, *op_cap, 8);
        gql_operation *op = &d->ops[d->n_ops++];
        memset(op, 0, sizeof *op);
        op->line = ps->tok.line;
        op->col = ps->tok.col;
        if (!is_punct(ps, '{')) {
            op->kind = is_name(ps, "query") ? GQL_QUERY
                       : is_name(ps, "mutation") ? GQL_MUTATION
                                                 : GQL_SUBSCRIPTION;
            if (next(ps) != 0)
                return -1;
            if (ps->tok.kind == T_NAME && take_name(ps, &op->name, "a name") != 0)
                return -1;
            if (parse_vardefs(ps, op) != 0)
                return -1;
            if (parse_directives(ps, 0, &op->dirs, &op->n_dirs) != 0)
                return -1;
        }
        return parse_selset(ps, 1, &op->sel);
    }
    if (is_name(ps, "fragment")) {
        XGROW(d->frags, d->n_frags, *frag_cap, 8);
        gql_fragment *f = &d->frags[d->n_frags++];
        memset(f, 0, sizeof *f);
        f->line = ps->tok.line;
        f->col = ps->tok.col;
        if (next(ps) != 0)
            return -1;
        if (is_name(ps, "on"))
            return unexpected(ps, "a fragment name (not \"on\")");
        if (take_name(ps, &f->name, "a fragment name") != 0)
            return -1;
        if (!is_name(ps, "on"))
            return unexpected(ps, "\"on\"");
        if (next(ps) != 0 || take_name(ps, &f->type_cond, "a type name") != 0)
            return -1;
        if (parse_directives(ps, 0, &f->dirs, &f->n_dirs) != 0)
            return -1;
        return parse_selset(ps, 1, &f->sel);
    }
    return unexpected(ps, "an operation (query, mutation, subscription or \"{\") or a fragment");
}

int gql_parse(const char *text, size_t len, gql_doc **out, gql_error *err)
{
    *out = NULL;
    memset(err, 0, sizeof *err);
    parser ps = {.p = text, .end = text + len, .line = 1, .line_start = text, .err = err};
    gql_doc *d = xcalloc(1, sizeof *d);
    size_t op_cap = 0, frag_cap = 0;
    if (next(&ps) != 0)
        goto fail;
    if (ps.tok.kind == T_EOF) {
        parse_error(&ps, 1, 1, "the document is empty");
        goto fail;
    }
    while (ps.tok.kind != T_EOF)
        if (parse_definition(&ps, d, &op_cap, &frag_cap) != 0)
            goto fail;
    for (size_t i = 0; i < d->n_ops; i++) {
        if (!d->ops[i].name && d->n_ops > 1) {
            fail_at(&ps, d->ops[i].line, d->ops[i].col,
                    "An anonymous operation must be the only operation in the document");
            goto fail;
        }
        for (size_t k = 0; k < i; k++)
            if (d->ops[i].name && d->ops[k].name && strcmp(d->ops[i].name, d->ops[k].name) == 0) {
                fail_at(&ps, d->ops[i].line, d->ops[i].col,
                        "Operation name \"%s\" must be unique", d->ops[i].name);
                goto fail;
            }
    }
    for (size_t i = 0; i < d->n_frags; i++)
        for (size_t k = 0; k < i; k++)
            if (strcmp(d->frags[i].name, d->frags[k].name) == 0) {
                fail_at(&ps, d->frags[i].line, d->frags[i].col,
                        "Fragment name \"%s\" must be unique", d->frags[i].name);
                goto fail;
            }
    free(ps.tok.str);
    *out = d;
    return 0;
fail:
    free(ps.tok.str);
    gql_doc_free(d);
    return -1;
}

/* ---- lookups -------------------------------------------------------------- */

const gql_operation *gql_operation_pick(const gql_doc *d, const char *name, gql_error *err)
{
    memset(err, 0, sizeof *err);
    if (name && *name) {
        for (size_t i = 0; i < d->n_ops; i++)
            if (d->ops[i].name && strcmp(d->ops[i].name, name) == 0)
                return &d->ops[i];
        snprintf(err->msg, sizeof err->msg, "No operation named \"%.100s\"", name);
        return NULL;
    }
    if (d->n_ops == 1)
        return &d->ops[0];
    snprintf(err->msg, sizeof err->msg,
             d->n_ops ? "An operation name is required when the document has several operations"
                      : "The document has no operation to run (only fragments)");
    return NULL;
}

const gql_fragment *gql_fragment_find(const gql_doc *d, const char *name)
{
    for (size_t i = 0; i < d->n_frags; i++)
        if (strcmp(d->frags[i].name, name) == 0)
            return &d->frags[i];
    return NULL;
}

const gql_arg *gql_arg_find(const gql_arg *args, size_t n, const char *name)
{
    for (size_t i = 0; i < n; i++)
        if (strcmp(args[i].name, name) == 0)
            return &args[i];
    return NULL;
}

const gql_directive *gql_directive_find(const gql_directive *dirs, size_t n, const char *name)
{
    for (size_t i = 0; i < n; i++)
        if (strcmp(dirs[i].name, name) == 0)
            return &dirs[i];
    return NULL;
}

cJSON *gql_value_json(const gql_value *v, const cJSON *vars)
{
    if (!v)
        return cJSON_CreateNull();
    switch (v->kind) {
    case GQL_V_NULL: return cJSON_CreateNull();
    case GQL_V_INT:
    case GQL_V_FLOAT: return cJSON_CreateNumber(strtod(v->text, NULL));
    case GQL_V_STRING:
    case GQL_V_ENUM: return cJSON_CreateString(v->text);
    case GQL_V_BOOL: return cJSON_CreateBool(v->boolean);
    case GQL_V_VAR: {
        const cJSON *x = vars ? cJSON_GetObjectItemCaseSensitive(vars, v->text) : NULL;
        return x ? cJSON_Duplicate(x, 1) : cJSON_CreateNull();
    }
    case GQL_V_LIST: {
        cJSON *a = cJSON_CreateArray();
        for (size_t i = 0; i < v->n; i++)
            cJSON_AddItemToArray(a, gql_value_json(v->items[i], vars));
        return a;
    }
    case GQL_V_OBJECT: {
        cJSON *o = cJSON_CreateObject();
        for (size_t i = 0; i < v->n; i++)
            cJSON_AddItemToObject(o, v->keys[i], gql_value_json(v->items[i], vars));
        return o;
    }
    }
    return cJSON_CreateNull();
}
