/* engine/core/kit: a kit's level from its components' units, what one kit
 * takes with wastage, and which kits a component moves, on hand-made
 * figures. */
#include "../runner.h"

#include "c7qty.h"
#include "kit.h"

#include <math.h>

TEST(kit, one_kit_takes_its_quantity_and_wastage_rounded_up)
{
    EXPECT_EQ_INT(kit_need(2, 0, 0), 20000);
    EXPECT_EQ_INT(kit_need(0.5, 0, 0), 5000);
    /* 10% of 3 units is 0.3; a quantity of wastage adds to it. */
    EXPECT_EQ_INT(kit_need(3, 10, 0), 33000);
    EXPECT_EQ_INT(kit_need(3, 10, 1), 43000);
    /* A share below a ten-thousandth still takes one. */
    EXPECT_EQ_INT(kit_need(0.0001, 1, 0), 2);
    /* Nothing taken, or a figure no record can hold: no part. */
    EXPECT_EQ_INT(kit_need(0, 0, 0), 0);
    EXPECT_EQ_INT(kit_need(-1, 0, 0), 0);
    EXPECT_EQ_INT(kit_need(1, -5, 0), 0);
    EXPECT_EQ_INT(kit_need(1, 0, -1), 0);
    EXPECT_EQ_INT(kit_need(NAN, 0, 0), 0);
    EXPECT_EQ_INT(kit_need(1, INFINITY, 0), 0);
    EXPECT_EQ_INT(kit_need(1e300, 0, 0), C7QTY_MAX);
}

TEST(kit, the_level_is_the_fewest_kits_any_component_makes)
{
    /* A gift box: 2 mugs and 1 tin of tea. */
    const kit_part box[] = {{"MUG", 20000}, {"TEA", 10000}};
    const int64_t plenty[] = {10, 9};
    EXPECT_EQ_INT(kit_level(box, 2, plenty), 5); /* the mugs make 5 */
    const int64_t few_tins[] = {10, 3};
    EXPECT_EQ_INT(kit_level(box, 2, few_tins), 3);
    const int64_t odd_mug[] = {7, 9};
    EXPECT_EQ_INT(kit_level(box, 2, odd_mug), 3); /* half a box is no box */
    const int64_t no_tea[] = {10, 0};
    EXPECT_EQ_INT(kit_level(box, 2, no_tea), 0);
    /* Sellable units below 0 (more pending than Cin7 shows) make none. */
    const int64_t short_mugs[] = {-4, 9};
    EXPECT_EQ_INT(kit_level(box, 2, short_mugs), 0);
    /* Half a unit per kit: a unit makes two. */
    const kit_part halves[] = {{"RIBBON", 5000}};
    const int64_t three[] = {3};
    EXPECT_EQ_INT(kit_level(halves, 1, three), 6);
    /* Wastage: 10% on 3 units a kit, 33 units make 10 kits, 32 make 9. */
    const kit_part wasted[] = {{"BEAD", kit_need(3, 10, 0)}};
    const int64_t u33[] = {33}, u32[] = {32};
    EXPECT_EQ_INT(kit_level(wasted, 1, u33), 10);
    EXPECT_EQ_INT(kit_level(wasted, 1, u32), 9);
    /* Huge figures do not overflow. */
    const int64_t huge[] = {INT64_MAX, INT64_MAX};
    EXPECT_EQ_INT(kit_level(box, 2, huge), C7QTY_MAX / 20000);
}

TEST(kit, no_parts_or_a_part_that_takes_nothing_is_no_kit)
{
    const int64_t units[] = {5, 5};
    EXPECT_EQ_INT(kit_level(NULL, 0, units), -1);
    const kit_part bad[] = {{"A", 10000}, {"B", 0}};
    EXPECT_EQ_INT(kit_level(bad, 2, units), -1);
    const kit_part negative[] = {{"A", -10000}};
    EXPECT_EQ_INT(kit_level(negative, 1, units), -1);
}

TEST(kit, a_component_moves_every_kit_that_uses_it)
{
    const kit_part box[] = {{"MUG", 20000}, {"TEA", 10000}};
    const kit_part pair[] = {{"MUG", 20000}};
    const kit_part sampler[] = {{"TEA", 30000}, {"BISCUIT", 10000}};
    const kit kits[] = {{"BOX", box, 2}, {"PAIR", pair, 1}, {"SAMPLER", sampler, 2}};
    size_t out[3];
    EXPECT_EQ_INT(kit_using(kits, 3, "MUG", out), 2);
    EXPECT_EQ_INT(out[0], 0);
    EXPECT_EQ_INT(out[1], 1);
    EXPECT_EQ_INT(kit_using(kits, 3, "TEA", out), 2);
    EXPECT_EQ_INT(out[0], 0);
    EXPECT_EQ_INT(out[1], 2);
    EXPECT_EQ_INT(kit_using(kits, 3, "BISCUIT", out), 1);
    EXPECT_EQ_INT(out[0], 2);
    EXPECT_EQ_INT(kit_using(kits, 3, "BOX", out), 0); /* a kit is not its own part */
    EXPECT_EQ_INT(kit_using(kits, 0, "MUG", out), 0);
}

TEST(kit, kits_sold_take_their_components_units)
{
    const kit_part box[] = {{"MUG", 20000}, {"TEA", 10000}};
    const kit_part pair[] = {{"MUG", 20000}};
    const kit_part sampler[] = {{"TEA", 5000}, {"BISCUIT", 10000}};
    const kit kits[] = {{"BOX", box, 2}, {"PAIR", pair, 1}, {"SAMPLER", sampler, 2}};
    /* 3 boxes and 1 pair sold: 6 + 2 mugs; 3 teas and half a tea each for
     * 3 samplers (1.5, a whole 2 taken). */
    const int64_t sold[] = {3, 1, 3};
    EXPECT_EQ_INT(kit_charge(kits, 3, "MUG", sold), 8);
    EXPECT_EQ_INT(kit_charge(kits, 3, "TEA", sold), 5);
    EXPECT_EQ_INT(kit_charge(kits, 3, "BISCUIT", sold), 3);
    EXPECT_EQ_INT(kit_charge(kits, 3, "BOX", sold), 0);
    /* Kits with no units, or fewer than none, take nothing. */
    const int64_t none[] = {0, -2, 0};
    EXPECT_EQ_INT(kit_charge(kits, 3, "MUG", none), 0);
    /* Figures past any stock stop at the largest. */
    const int64_t huge[] = {INT64_MAX, INT64_MAX, 0};
    EXPECT_EQ_INT(kit_charge(kits, 3, "MUG", huge), C7QTY_MAX / 10000);
    const kit_part greedy[] = {{"MUG", C7QTY_MAX}};
    const kit big[] = {{"VAT", greedy, 1}};
    const int64_t one[] = {1};
    EXPECT_EQ_INT(kit_charge(big, 1, "MUG", one), C7QTY_MAX / 10000);
}

TEST(kit, a_components_last_units_are_split_between_its_listing_and_its_kits)
{
    const kit_part box[] = {{"MUG", 20000}, {"TEA", 10000}};
    const kit_part pair[] = {{"MUG", 20000}};
    const kit_part sampler[] = {{"TEA", 30000}};
    const kit kits[] = {{"BOX", box, 2}, {"PAIR", pair, 1}, {"SAMPLER", sampler, 1}};
    /* 7 mugs, split at 10 or fewer: the mug's listing, BOX and PAIR get
     * 3, 2 and 2 (the listing takes the odd unit first). */
    EXPECT_EQ_INT(kit_share(kits, 3, 3, "MUG", 1, 7, 10), 3);
    EXPECT_EQ_INT(kit_share(kits, 3, 0, "MUG", 1, 7, 10), 2);
    EXPECT_EQ_INT(kit_share(kits, 3, 1, "MUG", 1, 7, 10), 2);
    /* Shares never add up to more than the pool. */
    for (int64_t pool = 0; pool <= 12; pool++) {
        int64_t sum = kit_share(kits, 3, 3, "MUG", 1, pool, 10) +
                      kit_share(kits, 3, 0, "MUG", 1, pool, 10) +
                      kit_share(kits, 3, 1, "MUG", 1, pool, 10);
        EXPECT_EQ_INT(sum, pool <= 10 ? pool : 3 * pool);
    }
    /* A mug sold only in kits: BOX and PAIR get 4 and 3. */
    EXPECT_EQ_INT(kit_share(kits, 3, 0, "MUG", 0, 7, 10), 4);
    EXPECT_EQ_INT(kit_share(kits, 3, 1, "MUG", 0, 7, 10), 3);
    /* Above the threshold, or with the split off, each offers all. */
    EXPECT_EQ_INT(kit_share(kits, 3, 1, "MUG", 1, 11, 10), 11);
    EXPECT_EQ_INT(kit_share(kits, 3, 1, "MUG", 1, 7, -1), 7);
    /* Tea, in BOX and SAMPLER only: BOX comes first. A kit that does not
     * use a component is none of its sellers; one seller keeps it all. */
    EXPECT_EQ_INT(kit_share(kits, 3, 0, "TEA", 0, 5, 10), 3);
    EXPECT_EQ_INT(kit_share(kits, 3, 2, "TEA", 0, 5, 10), 2);
    EXPECT_EQ_INT(kit_share(kits + 2, 1, 0, "TEA", 0, 5, 10), 5);
    EXPECT_EQ_INT(kit_share(kits, 3, 2, "MUG", 1, 7, 10), 7);
    EXPECT_EQ_INT(kit_share(kits, 1, 1, "TEA", 1, 5, 10), 3);
    EXPECT_EQ_INT(kit_share(kits, 0, 0, "TEA", 1, 5, 10), 5);
}
