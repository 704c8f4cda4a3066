/* lib/evheap: the timetable mock-cin7 and the simulator run on. */
#include "../runner.h"

#include "evheap.h"
#include "rng.h"

TEST(evheap, earliest_first_and_ties_in_the_order_added)
{
    evheap h = EVHEAP_INIT;
    EXPECT_TRUE(evheap_peek(&h) == NULL);
    evheap_push(&h, (evheap_ev){.due_ms = 50, .kind = 1, .ref = 10});
    evheap_push(&h, (evheap_ev){.due_ms = 20, .kind = 2, .ref = 11});
    evheap_push(&h, (evheap_ev){.due_ms = 50, .kind = 3, .ref = 12, .arg = -7});
    evheap_push(&h, (evheap_ev){.due_ms = 20, .kind = 4, .ref = 13});
    long want[] = {11, 13, 10, 12};
    for (int i = 0; i < 4; i++) {
        EXPECT_TRUE(evheap_peek(&h) != NULL);
        evheap_ev ev = evheap_pop(&h);
        EXPECT_EQ_INT(ev.ref, want[i]);
        if (ev.ref == 12)
            EXPECT_EQ_INT(ev.arg, -7);
    }
    EXPECT_TRUE(evheap_peek(&h) == NULL);
    evheap_push(&h, (evheap_ev){.due_ms = 1});
    evheap_clear(&h);
    EXPECT_TRUE(evheap_peek(&h) == NULL);
    evheap_free(&h);
}

TEST(evheap, thousands_of_random_events_come_out_sorted)
{
    evheap h = EVHEAP_INIT;
    rng r;
    rng_seed(&r, 42);
    enum { N = 5000 };
    for (int i = 0; i < N; i++)
        evheap_push(&h, (evheap_ev){.due_ms = (int64_t)rng_below(&r, 100), .ref = i});
    int64_t last_due = -1;
    long last_ref = -1;
    for (int i = 0; i < N; i++) {
        evheap_ev ev = evheap_pop(&h);
        EXPECT_TRUE(ev.due_ms >= last_due);
        if (ev.due_ms == last_due)
            EXPECT_TRUE(ev.ref > last_ref); /* added later, fired later */
        last_due = ev.due_ms;
        last_ref = ev.ref;
    }
    EXPECT_EQ_INT(h.n, 0);
    evheap_free(&h);
}
