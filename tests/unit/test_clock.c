/* Scaled clock, durations and ISO dates. */
#include "../runner.h"

#include "clock.h"

#include <stdio.h>

static int64_t dur(const char *s)
{
    int64_t ms = -1;
    char err[256];
    if (clock_parse_duration(s, &ms, err, sizeof err) != 0)
        test_fail(__FILE__, __LINE__, "\"%s\" rejected: %s", s, err);
    return ms;
}

TEST(clock, parse_duration_units)
{
    EXPECT_EQ_INT(dur("250ms"), 250);
    EXPECT_EQ_INT(dur("30s"), 30000);
    EXPECT_EQ_INT(dur("5m"), 300000);
    EXPECT_EQ_INT(dur("2h"), 7200000);
    EXPECT_EQ_INT(dur("7d"), 7LL * 86400000);
    EXPECT_EQ_INT(dur("1500"), 1500);
    EXPECT_EQ_INT(dur("0"), 0);
    EXPECT_EQ_INT(dur("1.5s"), 1500);
    EXPECT_EQ_INT(dur("1h30m"), 5400000);
    EXPECT_EQ_INT(dur("2m500ms"), 120500);
}

TEST(clock, parse_duration_rejects_junk)
{
    const char *bad[] = {"", "ms", "5x", "-5s", "5 s", " 5s", "5s ", "abc", "5m3",
                         "1e400h", "..s", "3sm", NULL};
    for (int i = 0; bad[i]; i++) {
        int64_t ms = 77;
        char err[256] = "";
        int rc = clock_parse_duration(bad[i], &ms, err, sizeof err);
        if (rc == 0)
            test_fail(__FILE__, __LINE__, "\"%s\" accepted as %lld", bad[i], (long long)ms);
        EXPECT_EQ_INT(ms, 77);
        EXPECT_TRUE(err[0] != '\0');
    }
    char err[256];
    int64_t ms;
    EXPECT_EQ_INT(clock_parse_duration("5x", &ms, err, sizeof err), -1);
    EXPECT_CONTAINS(err, "unknown unit \"x\"");
    EXPECT_EQ_INT(clock_parse_duration("5m3", &ms, err, sizeof err), -1);
    EXPECT_CONTAINS(err, "a unit");
}

TEST(clock, format_duration_round_trips)
{
    int64_t cases[] = {0, 1, 250, 999, 1000, 1500, 30000, 61500, 300000, 5400000,
                       86400000, 90061001, 7LL * 86400000};
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char buf[64];
        clock_format_duration(cases[i], buf, sizeof buf);
        EXPECT_EQ_INT(dur(buf), cases[i]);
    }
    char buf[64];
    clock_format_duration(5400000, buf, sizeof buf);
    EXPECT_EQ_STR(buf, "1h30m");
    clock_format_duration(250, buf, sizeof buf);
    EXPECT_EQ_STR(buf, "250ms");
}

TEST(clock, scaled_time_runs_k_times_faster)
{
    sclock c;
    clock_init(&c, 100.0, -1);
    int64_t t0 = clock_now_ms(&c);
    int64_t r0 = clock_mono_us();
    clock_sleep_ms(&c, 5000); /* 5 simulated seconds = 50 real ms */
    int64_t real_ms = (clock_mono_us() - r0) / 1000;
    int64_t sim = clock_now_ms(&c) - t0;
    EXPECT_GE_INT(real_ms, 50);
    EXPECT_GE_INT(sim, 5000);
    /* The simulated span is the real span times K (within the read jitter). */
    EXPECT_NEAR((double)sim, (double)real_ms * 100.0, 1000.0);
}

TEST(clock, origin_sets_simulated_zero)
{
    sclock c;
    int64_t now = clock_wall_ms();
    clock_init(&c, 60.0, now - 1000); /* origin one real second ago */
    int64_t t = clock_now_ms(&c);
    EXPECT_GE_INT(t, 60000);
    EXPECT_LT_INT(t, 60000 + 60 * 500);
    EXPECT_EQ_INT(clock_epoch_ms(&c, 5000), now - 1000 + 5000);
    EXPECT_NEAR(clock_real_ms(&c, 60000), 1000.0, 1e-9);
}

TEST(clock, virtual_time_moves_only_when_told)
{
    sclock c;
    clock_init_virtual(&c, 0);
    EXPECT_EQ_INT(clock_now_ms(&c), 0);
    clock_set_virtual_us(&c, 2500000);
    EXPECT_EQ_INT(clock_now_ms(&c), 2500);
    clock_set_virtual_us(&c, 1000); /* never backwards */
    EXPECT_EQ_INT(clock_now_ms(&c), 2500);
    clock_sleep_ms(&c, 500);
    EXPECT_EQ_INT(clock_now_ms(&c), 3000);
}

TEST(clock, iso_dates)
{
    char buf[64];
    clock_format_iso(0, 1, buf, sizeof buf);
    EXPECT_EQ_STR(buf, "1970-01-01T00:00:00.000Z");
    clock_format_iso(1795471829123LL, 1, buf, sizeof buf);
    EXPECT_EQ_STR(buf, "2026-11-23T22:10:29.123Z");
    clock_format_iso(1795471829123LL, 0, buf, sizeof buf);
    EXPECT_EQ_STR(buf, "2026-11-23T22:10:29Z");

    int64_t ms;
    EXPECT_EQ_INT(clock_parse_iso("2026-11-23T22:10:29.123Z", &ms), 0);
    EXPECT_EQ_INT(ms, 1795471829123LL);
    EXPECT_EQ_INT(clock_parse_iso("2026-11-23T23:10:29.123+01:00", &ms), 0);
    EXPECT_EQ_INT(ms, 1795471829123LL);
    EXPECT_EQ_INT(clock_parse_iso("2026-11-23T17:10:29-05:00", &ms), 0);
    EXPECT_EQ_INT(ms, 1795471829000LL);
    EXPECT_EQ_INT(clock_parse_iso("2024-02-29", &ms), 0);
    EXPECT_EQ_INT(ms, 1709164800000LL);
    EXPECT_EQ_INT(clock_parse_iso("2026-13-01", &ms), -1);
    EXPECT_EQ_INT(clock_parse_iso("2026-11-23T22:10:29Zjunk", &ms), -1);
    EXPECT_EQ_INT(clock_parse_iso("yesterday", &ms), -1);
}
