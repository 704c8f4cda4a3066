/* The string builder, allocation helpers and JSON-lines logging. */
#include "../runner.h"

#include "json.h"
#include "log.h"
#include "mem.h"
#include "sbuf.h"

#include <stdio.h>
#include <stdlib.h>

TEST(sbuf, grows_and_formats)
{
    sbuf b = SBUF_INIT;
    EXPECT_EQ_STR(sbuf_str(&b), "");
    for (int i = 0; i < 1000; i++)
        sbuf_printf(&b, "%d,", i);
    EXPECT_EQ_INT(b.len, strlen(b.data));
    EXPECT_TRUE(strncmp(b.data, "0,1,2,", 6) == 0);
    EXPECT_CONTAINS(b.data, ",999,");
    sbuf_reset(&b);
    EXPECT_EQ_STR(sbuf_str(&b), "");
    char big[600];
    memset(big, 'y', sizeof big - 1);
    big[sizeof big - 1] = '\0';
    sbuf_printf(&b, "<%s>", big); /* longer than the small stack buffer */
    EXPECT_EQ_INT(b.len, 601);
    char *taken = sbuf_take(&b);
    EXPECT_EQ_INT(strlen(taken), 601);
    EXPECT_TRUE(b.data == NULL && b.len == 0);
    free(taken);
    taken = sbuf_take(&b);
    EXPECT_EQ_STR(taken, "");
    free(taken);
}

TEST(sbuf, json_strings_round_trip)
{
    const char *nasty = "quote\" back\\ nl\n tab\t ctl\x01 unicode é";
    sbuf b = SBUF_INIT;
    sbuf_puts(&b, "{\"k\":");
    sbuf_json_str(&b, nasty);
    sbuf_putc(&b, '}');
    json_err e;
    cJSON *v = json_parse(b.data, b.len, &e);
    EXPECT_TRUE(v != NULL);
    EXPECT_EQ_STR(cJSON_GetObjectItem(v, "k")->valuestring, nasty);
    cJSON_Delete(v);
    sbuf_free(&b);
}

TEST(sbuf, url_encoding)
{
    sbuf b = SBUF_INIT;
    sbuf_urlenc(&b, "SKU 1/a&b=c~d_e.f-g\xc3\xa9");
    EXPECT_EQ_STR(sbuf_str(&b), "SKU%201%2Fa%26b%3Dc~d_e.f-g%C3%A9");
    sbuf_free(&b);
}

TEST(mem, asprintf_and_strndup)
{
    char *s = xasprintf("%s-%03d", "PO", 7);
    EXPECT_EQ_STR(s, "PO-007");
    free(s);
    s = xstrndup("abcdef", 3);
    EXPECT_EQ_STR(s, "abc");
    free(s);
    s = xstrndup("ab", 10);
    EXPECT_EQ_STR(s, "ab");
    free(s);
}

TEST(log, writes_one_json_object_per_line)
{
    char path[512];
    snprintf(path, sizeof path, "%s/log.txt", test_tmp_dir());
    FILE *f = fopen(path, "w+");
    sclock c;
    clock_init_virtual(&c, 0);
    clock_set_virtual_us(&c, 42000);
    log_init("syncd", &c);
    log_set_output(f);
    log_set_level(LOG_INFO);
    log_debug("hidden %d", 1);
    log_info("pushed order %d", 1001);
    log_event(LOG_WARN, "evt-7", "retrying \"sale\"\nnow");
    log_set_output(NULL);
    rewind(f);
    char line[1024];
    int n = 0;
    while (fgets(line, sizeof line, f)) {
        json_err e;
        cJSON *v = json_parse(line, strlen(line), &e);
        if (!v)
            test_fail(__FILE__, __LINE__, "line %d is not JSON: %s", n, e.msg);
        EXPECT_EQ_STR(cJSON_GetObjectItem(v, "component")->valuestring, "syncd");
        EXPECT_EQ_INT(cJSON_GetObjectItem(v, "t")->valuedouble, 42);
        EXPECT_TRUE(cJSON_IsString(cJSON_GetObjectItem(v, "ts")));
        if (n == 0) {
            EXPECT_EQ_STR(cJSON_GetObjectItem(v, "level")->valuestring, "info");
            EXPECT_EQ_STR(cJSON_GetObjectItem(v, "msg")->valuestring, "pushed order 1001");
            EXPECT_TRUE(cJSON_GetObjectItem(v, "event") == NULL);
        } else {
            EXPECT_EQ_STR(cJSON_GetObjectItem(v, "level")->valuestring, "warn");
            EXPECT_EQ_STR(cJSON_GetObjectItem(v, "event")->valuestring, "evt-7");
            EXPECT_EQ_STR(cJSON_GetObjectItem(v, "msg")->valuestring, "retrying \"sale\"\nnow");
        }
        cJSON_Delete(v);
        n++;
    }
    EXPECT_EQ_INT(n, 2);
    fclose(f);
    log_level l;
    EXPECT_EQ_INT(log_parse_level("warn", &l), 0);
    EXPECT_EQ_INT(l, LOG_WARN);
    EXPECT_EQ_INT(log_parse_level("loud", &l), -1);
}
