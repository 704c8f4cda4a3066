/* The journal ring and its file; see journal.h. */
#include "journal.h"

#include "json.h"
#include "mem.h"
#include "sbuf.h"

#include <errno.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define MAX_QUERY 10000

struct journal {
    pthread_mutex_t lock;
    const sclock *clk;
    FILE *file;
    char **ring; /* entry texts, seq s at ring[(s - 1) % keep] */
    size_t keep;
    uint64_t last; /* seq of the newest entry, 0 when empty */
};

int journal_open(const char *path, size_t keep, const sclock *clk, journal **out, char *err,
                 size_t errlen)
{
    journal *j = xcalloc(1, sizeof *j);
    pthread_mutex_init(&j->lock, NULL);
    j->clk = clk;
    j->keep = keep ? keep : 100000;
    j->ring = xcalloc(j->keep, sizeof *j->ring);
    if (path) {
        j->file = fopen(path, "w");
        if (!j->file) {
            snprintf(err, errlen, "journal %s: %s", path, strerror(errno));
            journal_close(j);
            return -1;
        }
    }
    *out = j;
    return 0;
}

void journal_close(journal *j)
{
    if (!j)
        return;
    if (j->file)
        fclose(j->file);
    for (size_t i = 0; i < j->keep; i++)
        free(j->ring[i]);
    free(j->ring);
    pthread_mutex_destroy(&j->lock);
    free(j);
}

/* Stores one entry; members is the text after "kind" (may be empty). */
static uint64_t append(journal *j, const char *kind, const char *members)
{
    sbuf b = SBUF_INIT;
    int64_t t = clock_now_ms(j->clk);
    pthread_mutex_lock(&j->lock);
    uint64_t seq = ++j->last;
    sbuf_printf(&b, "{\"seq\":%llu,\"t\":%lld,\"kind\":", (unsigned long long)seq, (long long)t);
    sbuf_json_str(&b, kind);
    if (members && *members) {
        sbuf_putc(&b, ',');
        sbuf_puts(&b, members);
    }
    sbuf_putc(&b, '}');
    if (j->file) {
        fwrite(b.data, 1, b.len, j->file);
        fputc('\n', j->file);
        fflush(j->file);
    }
    size_t at = (size_t)((seq - 1) % j->keep);
    free(j->ring[at]);
    j->ring[at] = sbuf_take(&b);
    pthread_mutex_unlock(&j->lock);
    return seq;
}

uint64_t journal_add(journal *j, const char *kind, cJSON *fields)
{
    char *members = NULL;
    if (fields && fields->child) {
        char *text = json_print(fields);
        size_t n = strlen(text);
        /* Strip the braces: the members go after "kind". */
        members = xstrndup(text + 1, n >= 2 ? n - 2 : 0);
        free(text);
    }
    cJSON_Delete(fields);
    uint64_t seq = append(j, kind, members);
    free(members);
    return seq;
}

uint64_t journal_addf(journal *j, const char *kind, const char *fmt, ...)
{
    sbuf m = SBUF_INIT;
    va_list ap;
    va_start(ap, fmt);
    sbuf_vprintf(&m, fmt, ap);
    va_end(ap);
    uint64_t seq = append(j, kind, sbuf_str(&m));
    sbuf_free(&m);
    return seq;
}

char *journal_query(journal *j, uint64_t since, size_t limit)
{
    if (limit == 0 || limit > MAX_QUERY)
        limit = MAX_QUERY;
    sbuf b = SBUF_INIT;
    sbuf_puts(&b, "{\"entries\":[");
    pthread_mutex_lock(&j->lock);
    uint64_t oldest = j->last > j->keep ? j->last - j->keep + 1 : 1;
    /* since < oldest rather than since + 1 <= ...: since may be 2^64-1. */
    int truncated = since < oldest - 1 && j->last >= oldest;
    uint64_t from = since >= oldest ? (since < j->last ? since + 1 : j->last + 1) : oldest;
    uint64_t seq = from;
    size_t n = 0;
    for (; seq <= j->last && n < limit; seq++, n++) {
        if (n)
            sbuf_putc(&b, ',');
        sbuf_puts(&b, j->ring[(seq - 1) % j->keep]);
    }
    uint64_t next = seq - 1 > since ? seq - 1 : since;
    sbuf_printf(&b, "],\"next\":%llu,\"oldest\":%llu,\"truncated\":%s}", (unsigned long long)next,
                (unsigned long long)oldest, truncated ? "true" : "false");
    pthread_mutex_unlock(&j->lock);
    return sbuf_take(&b);
}

uint64_t journal_last_seq(journal *j)
{
    pthread_mutex_lock(&j->lock);
    uint64_t s = j->last;
    pthread_mutex_unlock(&j->lock);
    return s;
}

void journal_reset(journal *j)
{
    pthread_mutex_lock(&j->lock);
    for (size_t i = 0; i < j->keep; i++) {
        free(j->ring[i]);
        j->ring[i] = NULL;
    }
    j->last = 0;
    if (j->file) {
        fflush(j->file);
        if (ftruncate(fileno(j->file), 0) == 0)
            rewind(j->file);
    }
    pthread_mutex_unlock(&j->lock);
}
