/* Fuzz targets for the harness's readers of files it did not write: replay
 * CSVs (written by people or exported from a shop) and the ground truth it
 * measures, the mocks' journals (JSON lines, a torn last line after a
 * kill -9) and final states, read by measure_run; and the summary.json
 * of a results folder that `surge compare` reads. */
#include "fuzz.h"

#include "compare.h"
#include "json.h"
#include "measure.h"
#include "demand.h"
#include "mem.h"
#include "replay.h"
#include "scenario.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

/* The first byte picks the layout, the rest is the file: byte % 3 is
 * surge's (0), Shopify's export (1) or a csv mapped as t,order,sku,n (2),
 * whose times are ISO 8601 or, when (byte / 3) is odd, epoch seconds; bit
 * 0x40 adds a window (from 1 s to 1 h after the first order). The seeds
 * start with '0' (surge), '1', 'p' (Shopify, windowed), '2' (csv, ISO) or
 * '5' (csv, epoch). */
FUZZ_TARGET(replay_csv)
{
    if (size == 0)
        return;
    replay_opts o;
    static const replay_format fmts[] = {REPLAY_SURGE, REPLAY_SHOPIFY, REPLAY_CSV};
    replay_opts_default(fmts[data[0] % 3], &o);
    if (o.format == REPLAY_CSV) {
        o.col[REPLAY_COL_TIME] = "t";
        o.col[REPLAY_COL_ORDER] = "order";
        o.col[REPLAY_COL_SKU] = "sku";
        o.col[REPLAY_COL_QTY] = "n";
        o.required = 0xF;
        o.time = (data[0] / 3) % 2 ? REPLAY_TIME_EPOCH : REPLAY_TIME_ISO;
    }
    if (data[0] & 0x40) { /* a window: from 1 s after the first order, for 1 h */
        o.has_from = o.has_to = o.from_offset = o.to_offset = 1;
        o.from = 1000;
        o.to = 3600000;
    }
    FILE *f = fmemopen((void *)(data + 1), size - 1, "r");
    if (!f)
        return; /* an empty buffer, for some libc versions */
    sc_stream st;
    memset(&st, 0, sizeof st);
    st.channel = (char *)"shopify";
    json_err e;
    int rc = replay_read(f, "fuzz.csv", "$.demand[0].replay.file", &o, NULL, &st, &e);
    fclose(f);
    if (rc != 0 && strncmp(e.msg, "$.demand[0].replay.file: fuzz.csv", 33) != 0)
        abort(); /* a refusal names the JSON path and the file */
    for (size_t i = 0; rc == 0 && i < st.n_replay; i++) {
        const sc_replay_order *r = &st.replay[i];
        if (r->t < 0 || (i && r->t < st.replay[i - 1].t) || r->n_lines < 1 ||
            r->n_lines > DEMAND_MAX_LINES)
            abort(); /* orders in time order, from 0, with 1 to 8 lines */
        for (size_t l = 0; l < r->n_lines; l++)
            if (!r->lines[l].sku || !*r->lines[l].sku || r->lines[l].qty <= 0)
                abort(); /* each line a SKU and units */
    }
    if (rc == 0 && st.n_replay == 0)
        abort();
    scenario_replay_free(&st);
}

/* A scenario with two SKUs (B is "b-web" in Shopify), two warehouses, one
 * shop and a wholesale stream: every kind of entry has something to match. */
static const char scenario_text[] =
    "{\"name\":\"fuzz\",\"duration\":\"10s\",\"drain\":\"2s\","
    "\"suppliers\":[{\"name\":\"Acme\"}],"
    "\"catalog\":{\"skus\":[{\"sku\":\"A\",\"supplier\":\"Acme\"},"
    "{\"sku\":\"B\",\"shopify_sku\":\"b-web\",\"supplier\":\"Acme\"}]},"
    "\"warehouses\":[{\"name\":\"W1\"},{\"name\":\"W2\"}],"
    "\"shops\":[{\"domain\":\"s.myshopify.com\"}],"
    "\"stock\":[{\"on_hand\":10}],"
    "\"demand\":[{\"name\":\"shoppers\",\"rate\":1},"
    "{\"name\":\"wholesale\",\"channel\":\"wholesale\",\"rate\":0.5,\"warehouse\":\"W1\"}],"
    "\"ownership\":{\"fields\":{\"price\":\"cin7\",\"compare_at_price\":\"shopify\","
    "\"title\":\"shopify\",\"cost\":\"cin7\",\"barcode\":\"cin7\",\"weight\":\"cin7\","
    "\"status\":\"shopify\"}}}";

/* The next part of data up to a line "---" (or the end). */
static size_t next_part(const uint8_t *data, size_t size, size_t *at, const uint8_t **part)
{
    *part = data + *at;
    size_t start = *at;
    for (size_t i = start; i < size; i++)
        if (data[i] == '\n' && size - i >= 5 && memcmp(data + i, "\n---\n", 5) == 0) {
            *at = i + 5;
            return i + 1 - start;
        }
    *at = size;
    return size - start;
}

/* A memory file holding text, named by a path fopen takes. */
static int memfile(const uint8_t *text, size_t n, char *path, size_t cap)
{
    int fd = memfd_create("journal", 0);
    if (fd < 0)
        abort();
    if (n && write(fd, text, n) != (ssize_t)n)
        abort();
    snprintf(path, cap, "/proc/self/fd/%d", fd);
    return fd;
}

/* Input: the Cin7 journal, the Shopify journal, Cin7's state, Shopify's
 * state and the dead letters, separated by lines "---". */
FUZZ_TARGET(measure_journal)
{
    static scenario sc;
    static int loaded;
    json_err e;
    if (!loaded) {
        if (scenario_load_text(scenario_text, sizeof scenario_text - 1, "fuzz", NULL, NULL, 0, &sc, &e) != 0)
            abort();
        loaded = 1;
    }
    const uint8_t *part[5];
    size_t len[5], at = 0;
    for (int i = 0; i < 5; i++)
        len[i] = next_part(data, size, &at, &part[i]);
    char cpath[64], spath[64];
    int cfd = memfile(part[0], len[0], cpath, sizeof cpath);
    int sfd = memfile(part[1], len[1], spath, sizeof spath);
    cJSON *cs = json_parse((const char *)part[2], len[2], NULL);
    cJSON *ss = json_parse((const char *)part[3], len[3], NULL);
    cJSON *dlq = json_parse((const char *)part[4], len[4], NULL);
    measure_input in = {&sc, 1000, 0, cpath, spath, cs, ss, dlq, NULL, 0, NULL, 0, NULL, -1, -1};
    measure_output out;
    char err[256];
    if (measure_run(&in, &out, err, sizeof err) != 0)
        abort(); /* both journals exist: whatever they hold is measured */
    if (!cJSON_IsObject(out.metrics) || !cJSON_IsArray(out.per_sku))
        abort();
    measure_output_free(&out);
    cJSON_Delete(cs);
    cJSON_Delete(ss);
    cJSON_Delete(dlq);
    close(cfd);
    close(sfd);
}

/* A results folder's summary.json as `surge compare` and `surge run
 * --baseline` read it (it may come from another version or a foreign
 * engine): checked, then compared with itself and with a fixed baseline
 * under a limit of each kind. */
FUZZ_TARGET(compare_summary)
{
    json_err e;
    cJSON *s = json_parse((const char *)data, size, &e);
    if (!s)
        return;
    char err[600];
    if (compare_check_summary(s, "fuzz.json", err, sizeof err) != 0) {
        if (strncmp(err, "fuzz.json: $", 12) != 0)
            abort(); /* a refusal names the file and the JSON path */
        cJSON_Delete(s);
        return;
    }
    static const char base_text[] =
        "{\"metrics\":{\"oversell_units\":2,\"orders_pushed\":10,"
        "\"order_push_latency_ms\":{\"p99\":1000}}}";
    cJSON *base = json_parse(base_text, sizeof base_text - 1, &e);
    compare_limit lim[2];
    if (!base || compare_parse_limit("--max-regress", "order_push_latency_ms.p99=10", 1, &lim[0],
                                     err, sizeof err) != 0 ||
        compare_parse_limit("--max-increase", "orders_pushed=1", 0, &lim[1], err, sizeof err) != 0)
        abort();
    int failed;
    cJSON *a = compare_summaries(base, s, "base", "new", lim, 2, &failed, err, sizeof err);
    cJSON *b = compare_summaries(s, s, "new", "new", lim + 1, 1, &failed, err, sizeof err);
    double pushed;
    int measured = measure_lookup(cJSON_GetObjectItemCaseSensitive(s, "metrics"), "orders_pushed",
                                  &pushed) == 1;
    if (!a || !b || failed != !measured)
        abort(); /* an absolute limit always applies; a run is no worse than itself, and a
                    limit on what it did not measure fails */
    FILE *devnull = fopen("/dev/null", "w");
    if (devnull) {
        compare_print(devnull, a);
        fclose(devnull);
    }
    cJSON_Delete(a);
    cJSON_Delete(b);
    cJSON_Delete(base);
    cJSON_Delete(s);
}
