/* Order sections of requests; see lines.h. */
#include "lines.h"

#include "mem.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

int c7lines_text(const cJSON *o, const char *path, const char *key, int required, size_t max,
                const char **out, json_err *e)
{
    *out = NULL;
    if (json_get_str(o, path, key, required, out, e))
        return -1;
    char p[256];
    json_path_key(p, sizeof p, path, key);
    if (*out && required && !**out)
        return json_fail(e, p, "must not be empty");
    if (*out && strlen(*out) > max)
        return json_fail(e, p, "longer than %zu characters (Cin7's limit)", max);
    if (*out && !**out)
        *out = NULL;
    return 0;
}

int c7lines_decimal(const cJSON *o, const char *path, const char *key, int required, int places,
                   qty4 min, qty4 max, qty4 *out, json_err *e)
{
    char p[256];
    json_path_key(p, sizeof p, path, key);
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);
    if (!v || cJSON_IsNull(v)) {
        if (required)
            return json_fail(e, p, "required field is missing");
        return 0;
    }
    sbuf lo = SBUF_INIT, hi = SBUF_INIT;
    qty4_print(&lo, min);
    qty4_print(&hi, max);
    int rc = qty4_from_json(v, places, min, max, out);
    if (rc == -1)
        json_fail(e, p, "expected a number, got %s", json_type_name(v));
    else if (rc == -2)
        json_fail(e, p, "at most %d decimal places, got %.10g", places, v->valuedouble);
    else if (rc == -3)
        json_fail(e, p, "expected a value from %s to %s, got %.10g", sbuf_str(&lo), sbuf_str(&hi),
                  v->valuedouble);
    sbuf_free(&lo);
    sbuf_free(&hi);
    return rc ? -1 : 0;
}

qty4 c7lines_total(qty4 quantity, qty4 price, qty4 discount)
{
    /* quantity x price x (100 - discount) / 100, each factor in
     * ten-thousandths: the product is in 10^-12 and comes back to 10^-4. */
    __extension__ typedef __int128 wide;
    wide p = (wide)quantity * (wide)price * (wide)(qty4_units(100) - discount);
    const wide scale = (wide)QTY4_ONE * (wide)qty4_units(100);
    wide half = scale / 2;
    return (qty4)(p >= 0 ? (p + half) / scale : -((-p + half) / scale));
}

static int read_line(const cJSON *it, const char *p, c7line_in *ln, json_err *e)
{
    char fp[256];
    if (!cJSON_IsObject(it))
        return json_fail(e, p, "expected a line object, got %s", json_type_name(it));
    /* Quantities and prices up to 10^9 keep Quantity x Price exact. */
    const qty4 big = qty4_units(1000000000);
    if (c7lines_text(it, p, "SKU", JSON_OPTIONAL, 50, &ln->sku, e) ||
        c7lines_text(it, p, "ProductID", JSON_OPTIONAL, 64, &ln->product_id, e) ||
        c7lines_text(it, p, "Name", JSON_REQUIRED, 1024, &ln->name, e) ||
        c7lines_decimal(it, p, "Quantity", JSON_REQUIRED, 4, QTY4_ONE, big, &ln->quantity, e) ||
        c7lines_decimal(it, p, "Price", JSON_REQUIRED, 4, 0, big, &ln->price, e) ||
        c7lines_decimal(it, p, "Discount", JSON_OPTIONAL, 2, 0, qty4_units(100), &ln->discount, e) ||
        c7lines_decimal(it, p, "Tax", JSON_REQUIRED, 4, 0, big, &ln->tax, e) ||
        c7lines_text(it, p, "TaxRule", JSON_REQUIRED, 50, &ln->tax_rule, e) ||
        c7lines_decimal(it, p, "Total", JSON_REQUIRED, 4, -big, big, &ln->total, e) ||
        c7lines_text(it, p, "Comment", JSON_OPTIONAL, 256, &ln->comment, e))
        return -1;
    if (!ln->sku && !ln->product_id) {
        json_path_key(fp, sizeof fp, p, "SKU");
        return json_fail(e, fp, "required field is missing (or ProductID)");
    }
    qty4 want = c7lines_total(ln->quantity, ln->price, ln->discount);
    qty4 off = ln->total - want;
    if (off > C7LINES_TOTAL_TOLERANCE || off < -C7LINES_TOTAL_TOLERANCE) {
        sbuf got = SBUF_INIT, exp = SBUF_INIT;
        qty4_print(&got, ln->total);
        qty4_print(&exp, want);
        json_path_key(fp, sizeof fp, p, "Total");
        json_fail(e, fp,
                  "%s does not match Quantity x Price x (1 - Discount/100) = %s (tolerance 0.01)",
                  sbuf_str(&got), sbuf_str(&exp));
        sbuf_free(&got);
        sbuf_free(&exp);
        return -1;
    }
    return 0;
}

static const char *const auto_modes[] = {"NOPICK", "AUTOPICK", "AUTOPICKPACK", "AUTOPICKPACKSHIP",
                                         NULL};

int c7lines_read(const cJSON *body, int kind, c7order_in *o, json_err *e)
{
    memset(o, 0, sizeof *o);
    const char *status = NULL, *mode = NULL;
    if (json_get_str(body, "$", "Status", JSON_REQUIRED, &status, e) ||
        json_get_str(body, "$", "Memo", JSON_REQUIRED, &o->memo, e))
        goto fail;
    if (strlen(o->memo) > 1024) {
        json_fail(e, "$.Memo", "longer than 1024 characters (Cin7's limit)");
        goto fail;
    }
    if (strcasecmp(status, "DRAFT") == 0) {
        o->status = "DRAFT";
    } else if (strcasecmp(status, "AUTHORISED") == 0) {
        o->status = "AUTHORISED";
    } else {
        json_fail(e, "$.Status", "expected DRAFT or AUTHORISED (what POST accepts), got '%s'", status);
        goto fail;
    }
    if (json_get_str(body, "$", "AutoPickPackShipMode", JSON_OPTIONAL, &mode, e))
        goto fail;
    if (mode && kind != C7LINES_SALE_ORDER) {
        json_fail(e, "$.AutoPickPackShipMode", "only POST sale/order takes it");
        goto fail;
    }
    if (mode) {
        size_t i = 0;
        while (auto_modes[i] && strcasecmp(auto_modes[i], mode) != 0)
            i++;
        if (!auto_modes[i]) {
            json_fail(e, "$.AutoPickPackShipMode",
                      "expected NOPICK, AUTOPICK, AUTOPICKPACK or AUTOPICKPACKSHIP, got '%s'", mode);
            goto fail;
        }
        o->auto_mode = (c7_auto_mode)i;
    }
    const cJSON *lines = NULL;
    if (json_get_arr(body, "$", "Lines", JSON_REQUIRED, &lines, e))
        goto fail;
    size_t n = (size_t)cJSON_GetArraySize(lines);
    if (n > C7LINES_MAX) {
        json_fail(e, "$.Lines", "more than %d lines", C7LINES_MAX);
        goto fail;
    }
    if (n == 0 && strcmp(o->status, "AUTHORISED") == 0) {
        json_fail(e, "$.Lines", "an order needs at least one line to be AUTHORISED");
        goto fail;
    }
    o->lines = xcalloc(n ? n : 1, sizeof *o->lines);
    const cJSON *it = NULL;
    cJSON_ArrayForEach(it, lines)
    {
        char p[64];
        json_path_index(p, sizeof p, "$.Lines", o->n_lines);
        c7line_in *ln = &o->lines[o->n_lines];
        snprintf(ln->path, sizeof ln->path, "%s", p + 2);
        if (read_line(it, p, ln, e))
            goto fail;
        o->n_lines++;
    }
    return 0;
fail:
    c7lines_free(o);
    return -1;
}

void c7lines_free(c7order_in *o)
{
    free(o->lines);
    o->lines = NULL;
    o->n_lines = 0;
}
