/* SPDX-License-Identifier: BSD-3-Clause */

/* Guest memory map: translation and range validation. */

#include <errno.h>

#include <CUnit/CUnit.h>

#include "svq_mem.h"
#include "unit.h"

static uint8_t backing[3][4096];

static struct svq_mem_map
two_adjacent_and_one_apart(void)
{
	/* [0x1000,0x2000) [0x2000,0x3000) adjacent; [0x10000,0x11000) apart */
	struct svq_mem_map m = { .nregions = 3 };

	m.regions[0] = (struct svq_mem_region){ .gpa = 0x1000, .size = 0x1000,
		.hva = (uintptr_t)backing[0], .fd = -1 };
	m.regions[1] = (struct svq_mem_region){ .gpa = 0x2000, .size = 0x1000,
		.hva = (uintptr_t)backing[1], .fd = -1 };
	m.regions[2] = (struct svq_mem_region){ .gpa = 0x10000, .size = 0x1000,
		.hva = (uintptr_t)backing[2], .fd = -1 };
	return m;
}

static void
test_translate_shortens_to_region(void)
{
	struct svq_mem_map m = two_adjacent_and_one_apart();
	uint64_t len = 0x800;
	void *p = svq_mem_gpa_to_hva(&m, 0x1c00, &len);

	CU_ASSERT_PTR_EQUAL(p, backing[0] + 0xc00);
	CU_ASSERT_EQUAL(len, 0x400);

	len = 16;
	CU_ASSERT_PTR_EQUAL(svq_mem_gpa_to_hva(&m, 0x10ff0, &len),
		backing[2] + 0xff0);
	CU_ASSERT_EQUAL(len, 16);

	len = 16;
	CU_ASSERT_PTR_NULL(svq_mem_gpa_to_hva(&m, 0x3000, &len));
	CU_ASSERT_EQUAL(len, 0);
}

static void
test_range_valid(void)
{
	struct svq_mem_map m = two_adjacent_and_one_apart();

	CU_ASSERT_TRUE(svq_mem_gpa_range_valid(&m, 0x1000, 0x1000));
	/* spans the two adjacent regions */
	CU_ASSERT_TRUE(svq_mem_gpa_range_valid(&m, 0x1800, 0x1000));
	CU_ASSERT_TRUE(svq_mem_gpa_range_valid(&m, 0x1000, 0x2000));
	/* one byte past the adjacent pair */
	CU_ASSERT_FALSE(svq_mem_gpa_range_valid(&m, 0x1000, 0x2001));
	/* in the hole */
	CU_ASSERT_FALSE(svq_mem_gpa_range_valid(&m, 0x4000, 1));
	CU_ASSERT_FALSE(svq_mem_gpa_range_valid(&m, 0x0fff, 2));
	/* last byte of the lone region, and one beyond */
	CU_ASSERT_TRUE(svq_mem_gpa_range_valid(&m, 0x10fff, 1));
	CU_ASSERT_FALSE(svq_mem_gpa_range_valid(&m, 0x10fff, 2));
}

static void
test_range_wrap_and_huge(void)
{
	struct svq_mem_map m = two_adjacent_and_one_apart();

	/* gpa + len wraps around zero: must not be taken as inside */
	CU_ASSERT_FALSE(svq_mem_gpa_range_valid(&m, 0x1000, UINT64_MAX));
	CU_ASSERT_FALSE(svq_mem_gpa_range_valid(&m, UINT64_MAX, 2));
	CU_ASSERT_FALSE(svq_mem_gpa_range_valid(&m, UINT64_MAX - 0x10, 0x2000));
	CU_ASSERT_FALSE(svq_mem_gpa_range_valid(&m, 0x10000, UINT32_MAX));
}

/* Found by fuzz-shadow: a region ending at 2^64 and one at 0 are not
 * adjacent. */
static void
test_range_wrap_at_top(void)
{
	struct svq_mem_map m = two_adjacent_and_one_apart();

	m.regions[1].gpa = 0;
	m.regions[2].gpa = 0 - m.regions[2].size;
	CU_ASSERT_TRUE(svq_mem_gpa_range_valid(&m, UINT64_MAX - 0xf, 0x10));
	CU_ASSERT_FALSE(svq_mem_gpa_range_valid(&m, UINT64_MAX - 0xf, 0x20));
}

static void
test_hva_to_gpa(void)
{
	struct svq_mem_map m = two_adjacent_and_one_apart();
	uint64_t gpa = 0;

	CU_ASSERT_EQUAL(svq_mem_hva_to_gpa(&m, &backing[2][16], 64, &gpa), 0);
	CU_ASSERT_EQUAL(gpa, 0x10010);
	CU_ASSERT_EQUAL(svq_mem_hva_to_gpa(&m, &backing[1][0], 4096, &gpa), 0);
	CU_ASSERT_EQUAL(gpa, 0x2000);
	/* one byte past the region, or before it */
	CU_ASSERT_EQUAL(svq_mem_hva_to_gpa(&m, &backing[2][16], 4096 - 15, &gpa),
		-EFAULT);
	CU_ASSERT_EQUAL(svq_mem_hva_to_gpa(&m, &gpa, 1, &gpa), -EFAULT);
}

static void
test_zero_length(void)
{
	struct svq_mem_map m = two_adjacent_and_one_apart();
	struct svq_mem_map empty = { .nregions = 0 };

	CU_ASSERT_TRUE(svq_mem_gpa_range_valid(&m, 0x1000, 0));
	CU_ASSERT_FALSE(svq_mem_gpa_range_valid(&m, 0x5000, 0));
	/* at the end of any region, not only the first (found by fuzz-shadow) */
	CU_ASSERT_TRUE(svq_mem_gpa_range_valid(&m, 0x11000, 0));
	CU_ASSERT_FALSE(svq_mem_gpa_range_valid(&m, 0x11001, 0));
	CU_ASSERT_FALSE(svq_mem_gpa_range_valid(&empty, 0, 0));
	CU_ASSERT_FALSE(svq_mem_gpa_range_valid(&empty, 0x1000, 1));
}

static CU_TestInfo mem_tests[] = {
	{ "translate shortens to region", test_translate_shortens_to_region },
	{ "range validation across regions", test_range_valid },
	{ "ranges that wrap or overflow", test_range_wrap_and_huge },
	{ "no range across 2^64", test_range_wrap_at_top },
	{ "zero-length and empty map", test_zero_length },
	{ "host address back to guest-physical", test_hva_to_gpa },
	CU_TEST_INFO_NULL,
};

CU_SuiteInfo unit_suite_mem = {
	"guest memory map", NULL, NULL, NULL, NULL, mem_tests
};
