/* Product data ownership (own.h). */
#include "own.h"

#include <ctype.h>
#include <math.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

static const char *const field_names[OWN_N_FIELDS] = {
    "price", "compare_at_price", "title", "cost", "barcode", "weight", "status",
};

const char *own_field_name(own_field f)
{
    return (unsigned)f < OWN_N_FIELDS ? field_names[f] : "unknown";
}

int own_field_of(const char *name)
{
    for (int f = 0; name && f < OWN_N_FIELDS; f++)
        if (strcmp(field_names[f], name) == 0)
            return f;
    return -1;
}

const char *own_side_name(own_side s)
{
    return s == OWN_CIN7 ? "cin7" : "shopify";
}

int own_side_of(const char *name)
{
    if (name && strcmp(name, "cin7") == 0)
        return OWN_CIN7;
    if (name && strcmp(name, "shopify") == 0)
        return OWN_SHOPIFY;
    return -1;
}

/* A plain decimal ("12", "12.5", ".5"; blanks around it allowed) into whole
 * units and the first `places` digits of its fraction, plus the digit after
 * them for rounding. Returns 0, or -1 when text is no such decimal or its
 * whole part has more than 12 digits. */
static int decimal(const char *text, int places, int64_t *whole, int64_t *frac, int *next)
{
    const char *p = text;
    while (isspace((unsigned char)*p))
        p++;
    int64_t w = 0, f = 0;
    int digits = 0, fd = 0, nx = 0;
    for (; isdigit((unsigned char)*p); p++, digits++) {
        if (digits >= 12)
            return -1;
        w = w * 10 + (*p - '0');
    }
    if (*p == '.') {
        p++;
        for (; isdigit((unsigned char)*p); p++, fd++) {
            if (fd < places)
                f = f * 10 + (*p - '0');
            else if (fd == places)
                nx = *p - '0';
        }
        if (!digits && !fd)
            return -1;
    } else if (!digits) {
        return -1;
    }
    for (; fd < places; fd++)
        f *= 10;
    while (isspace((unsigned char)*p))
        p++;
    if (*p)
        return -1;
    *whole = w;
    *frac = f;
    *next = nx;
    return 0;
}

/* Money to whole cents, half away from zero (amounts are never negative). */
static int cents(const char *text, int64_t *out)
{
    int64_t w, f;
    int nx;
    if (!text || decimal(text, 2, &w, &f, &nx) != 0)
        return -1;
    *out = w * 100 + f + (nx >= 5);
    return 0;
}

/* Milligrams in one unit of each weight unit either API names. */
static const struct {
    const char *unit;
    long double mg;
} units[] = {
    {"mg", 1.0L},          {"g", 1000.0L},           {"kg", 1000000.0L},
    {"oz", 28349.523125L}, {"lb", 453592.37L},       {"GRAMS", 1000.0L},
    {"KILOGRAMS", 1000000.0L}, {"OUNCES", 28349.523125L}, {"POUNDS", 453592.37L},
};

static int milligrams(const char *text, const char *unit, int64_t *out)
{
    long double per = 0;
    for (size_t i = 0; unit && i < sizeof units / sizeof units[0]; i++)
        if (strcmp(units[i].unit, unit) == 0)
            per = units[i].mg;
    int64_t w, f;
    int nx;
    if (per == 0 || !text || decimal(text, 6, &w, &f, &nx) != 0)
        return -1;
    long double mg = ((long double)w + (long double)f / 1000000.0L) * per;
    if (mg > 1e15L)
        return -1;
    *out = (int64_t)llroundl(mg);
    return 0;
}

/* "active" or "inactive" for a status either API spells (any case). */
static const char *status_class(const char *s)
{
    static const char *const active[] = {"Active", "ACTIVE", "UNLISTED"};
    static const char *const inactive[] = {"Deprecated", "DRAFT", "ARCHIVED", "Setup required"};
    for (size_t i = 0; s && i < sizeof active / sizeof active[0]; i++)
        if (strcasecmp(s, active[i]) == 0)
            return "active";
    for (size_t i = 0; s && i < sizeof inactive / sizeof inactive[0]; i++)
        if (strcasecmp(s, inactive[i]) == 0)
            return "inactive";
    return NULL;
}

/* text without the blanks around it, into out. */
static int trimmed(const char *text, char *out, size_t n)
{
    const char *a = text ? text : "";
    while (isspace((unsigned char)*a))
        a++;
    size_t len = strlen(a);
    while (len && isspace((unsigned char)a[len - 1]))
        len--;
    if (len >= n)
        return -1;
    memcpy(out, a, len);
    out[len] = '\0';
    return 0;
}

int own_canon(own_field f, const char *text, const char *unit, char *out, size_t n)
{
    int64_t v;
    const char *cls;
    switch (f) {
    case OWN_PRICE:
    case OWN_COST:
        if (cents(text, &v) != 0)
            return -1;
        break;
    case OWN_COMPARE_AT:
        if (!text || !*text) {
            v = 0;
        } else if (cents(text, &v) != 0) {
            return -1;
        }
        if (v == 0)
            return n ? (out[0] = '\0', 0) : -1;
        break;
    case OWN_WEIGHT:
        if (milligrams(text, unit, &v) != 0)
            return -1;
        break;
    case OWN_STATUS:
        cls = status_class(text);
        if (!cls || strlen(cls) >= n)
            return -1;
        snprintf(out, n, "%s", cls);
        return 0;
    case OWN_TITLE:
    case OWN_BARCODE:
        return trimmed(text, out, n);
    default:
        return -1;
    }
    int w = snprintf(out, n, "%lld", (long long)v);
    return w > 0 && (size_t)w < n ? 0 : -1;
}

own_action own_decide(own_side owner, const char *cin7, const char *shopify, const char *last)
{
    own_side other = owner == OWN_CIN7 ? OWN_SHOPIFY : OWN_CIN7;
    if (!cin7 || !shopify)
        return (own_action){OWN_UNKNOWN, other, "a side's value is not known: nothing done"};
    if (strcmp(cin7, shopify) == 0)
        return (own_action){OWN_IN_STEP, other, "the two agree"};
    const char *mine = owner == OWN_CIN7 ? cin7 : shopify;
    const char *theirs = owner == OWN_CIN7 ? shopify : cin7;
    if (!last)
        return (own_action){OWN_CARRY, other,
                            "first seen apart: the owner's value is written onto the other side"};
    int mine_moved = strcmp(mine, last) != 0, theirs_moved = strcmp(theirs, last) != 0;
    if (mine_moved && !theirs_moved)
        return (own_action){OWN_CARRY, other, "edited by its owner: carried over"};
    if (!mine_moved)
        return (own_action){OWN_REVERT, other,
                            "edited where it is not owned: reverted to the owner's value"};
    return (own_action){OWN_CONFLICT, other,
                        "edited on both sides: the owner's value wins, the other edit is reverted"};
}

int own_render(own_field f, own_side to, const char *canon, char *out, size_t n)
{
    if (!canon || n < 32)
        return -1;
    const char *p = canon;
    int64_t v = 0;
    if (f == OWN_PRICE || f == OWN_COST || f == OWN_COMPARE_AT || f == OWN_WEIGHT) {
        if (f == OWN_COMPARE_AT && !*canon) {
            out[0] = '\0';
            return 0;
        }
        if (!*p)
            return -1;
        for (; *p; p++) {
            if (!isdigit((unsigned char)*p) || v > INT64_MAX / 10 - 9)
                return -1;
            v = v * 10 + (*p - '0');
        }
    }
    switch (f) {
    case OWN_PRICE:
    case OWN_COST:
    case OWN_COMPARE_AT:
        snprintf(out, n, "%lld.%02lld", (long long)(v / 100), (long long)(v % 100));
        return 0;
    case OWN_WEIGHT: {
        int w = snprintf(out, n, "%lld.%03lld", (long long)(v / 1000), (long long)(v % 1000));
        size_t len = (size_t)w;
        while (out[len - 1] == '0')
            out[--len] = '\0';
        if (out[len - 1] == '.')
            out[--len] = '\0';
        return 0;
    }
    case OWN_STATUS:
        if (strcmp(canon, "active") == 0)
            snprintf(out, n, "%s", to == OWN_CIN7 ? "Active" : "ACTIVE");
        else if (strcmp(canon, "inactive") == 0)
            snprintf(out, n, "%s", to == OWN_CIN7 ? "Deprecated" : "ARCHIVED");
        else
            return -1;
        return 0;
    case OWN_TITLE:
    case OWN_BARCODE:
        return trimmed(canon, out, n);
    default:
        return -1;
    }
}
