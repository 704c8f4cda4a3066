/* JSON-lines logging; see log.h. */
#include "log.h"

#include "sbuf.h"

#include <pthread.h>
#include <stdarg.h>
#include <string.h>

static pthread_mutex_t log_lock = PTHREAD_MUTEX_INITIALIZER;
static char component[64] = "surge";
static const sclock *log_clock;
static log_level min_level = LOG_INFO;
static FILE *log_out;

static const char *const level_names[] = {"debug", "info", "warn", "error"};

void log_init(const char *comp, const sclock *clk)
{
    pthread_mutex_lock(&log_lock);
    snprintf(component, sizeof component, "%s", comp ? comp : "surge");
    log_clock = clk;
    pthread_mutex_unlock(&log_lock);
}

void log_set_level(log_level min)
{
    min_level = min;
}

void log_set_output(FILE *out)
{
    pthread_mutex_lock(&log_lock);
    log_out = out;
    pthread_mutex_unlock(&log_lock);
}

int log_parse_level(const char *s, log_level *out)
{
    for (int i = 0; i < 4; i++)
        if (s && strcmp(s, level_names[i]) == 0) {
            *out = (log_level)i;
            return 0;
        }
    return -1;
}

void log_event(log_level lvl, const char *event_id, const char *fmt, ...)
{
    if (lvl < min_level)
        return;
    char ts[40];
    clock_format_iso(clock_wall_ms(), 1, ts, sizeof ts);

    sbuf msg = SBUF_INIT, line = SBUF_INIT;
    va_list ap;
    va_start(ap, fmt);
    sbuf_vprintf(&msg, fmt, ap);
    va_end(ap);

    sbuf_printf(&line, "{\"ts\":\"%s\"", ts);
    pthread_mutex_lock(&log_lock);
    if (log_clock)
        sbuf_printf(&line, ",\"t\":%lld", (long long)clock_now_ms(log_clock));
    sbuf_printf(&line, ",\"level\":\"%s\",\"component\":", level_names[lvl]);
    sbuf_json_str(&line, component);
    if (event_id) {
        sbuf_puts(&line, ",\"event\":");
        sbuf_json_str(&line, event_id);
    }
    sbuf_puts(&line, ",\"msg\":");
    sbuf_json_str(&line, sbuf_str(&msg));
    sbuf_puts(&line, "}\n");
    FILE *out = log_out ? log_out : stderr;
    fwrite(line.data, 1, line.len, out);
    fflush(out);
    pthread_mutex_unlock(&log_lock);
    sbuf_free(&msg);
    sbuf_free(&line);
}
