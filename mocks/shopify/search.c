/* Shopify's search syntax split into terms; see search.h. */
#include "search.h"

#include <stdio.h>
#include <string.h>

void search_parse(const char *q, search_query *out)
{
    memset(out, 0, sizeof *out);
    int pending_or = 0;
    const char *p = q;
    while (p && *p && out->n < SEARCH_MAX) {
        while (*p == ' ' || *p == '\t')
            p++;
        if (!*p)
            break;
        const char *w = p;
        while (*w && *w != ':' && *w != ' ' && *w != '\t')
            w++;
        if (*w != ':') {
            /* A bare word: OR joins alternatives; AND and free text
             * add nothing the mock filters on. */
            if (w - p == 2 && strncmp(p, "OR", 2) == 0)
                pending_or = 1;
            p = w;
            continue;
        }
        search_term *t = &out->terms[out->n];
        snprintf(t->field, sizeof t->field, "%.*s", (int)(w - p), p);
        const char *v = w + 1;
        if (*v == '>' || *v == '<') {
            t->op[0] = *v++;
            if (*v == '=')
                t->op[1] = *v++;
        } else {
            t->op[0] = ':';
        }
        char quote = (*v == '\'' || *v == '"') ? *v++ : 0;
        const char *e = v;
        while (*e && (quote ? *e != quote : *e != ' ' && *e != '\t'))
            e++;
        snprintf(t->value, sizeof t->value, "%.*s", (int)(e - v), v);
        t->or_before = pending_or && out->n > 0;
        pending_or = 0;
        out->n++;
        p = *e && quote ? e + 1 : e;
    }
}

int search_match(const search_query *q, search_term_fn fn, const void *obj)
{
    if (q->n == 0)
        return 1;
    int group = 1; /* the current AND group holds so far */
    for (size_t i = 0; i < q->n; i++) {
        if (q->terms[i].or_before) {
            if (group)
                return 1;
            group = 1;
        }
        if (group && !fn(&q->terms[i], obj))
            group = 0;
    }
    return group;
}

int search_compare(const char *op, int64_t have, int64_t want)
{
    if (strcmp(op, ">") == 0)
        return have > want;
    if (strcmp(op, ">=") == 0)
        return have >= want;
    if (strcmp(op, "<") == 0)
        return have < want;
    if (strcmp(op, "<=") == 0)
        return have <= want;
    return have == want;
}
