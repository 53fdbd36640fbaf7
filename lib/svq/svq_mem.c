/* SPDX-License-Identifier: BSD-3-Clause */

/*
 * Threat model: every address and length passed in here was written by the
 * guest. Nothing is assumed about them; all arithmetic is done on offsets
 * so that no sum can wrap.
 */

#include <errno.h>

#include "svq_mem.h"

static const struct svq_mem_region *
svq_mem_find(const struct svq_mem_map *map, uint64_t gpa)
{
	uint32_t i;

	for (i = 0; i < map->nregions; i++) {
		const struct svq_mem_region *r = &map->regions[i];

		if (gpa >= r->gpa && gpa - r->gpa < r->size)
			return r;
	}
	return NULL;
}

void *
svq_mem_gpa_to_hva(const struct svq_mem_map *map, uint64_t gpa,
		uint64_t *len)
{
	const struct svq_mem_region *r = svq_mem_find(map, gpa);
	uint64_t off;

	if (r == NULL) {
		*len = 0;
		return NULL;
	}
	off = gpa - r->gpa;
	*len = RTE_MIN(*len, r->size - off);
	return (void *)(uintptr_t)(r->hva + off);
}

int
svq_mem_hva_to_gpa(const struct svq_mem_map *map, const void *hva,
		uint64_t len, uint64_t *gpa)
{
	uint64_t addr = (uintptr_t)hva;
	uint32_t i;

	for (i = 0; i < map->nregions; i++) {
		const struct svq_mem_region *r = &map->regions[i];

		if (addr >= r->hva && addr - r->hva < r->size &&
				len <= r->size - (addr - r->hva)) {
			*gpa = r->gpa + (addr - r->hva);
			return 0;
		}
	}
	return -EFAULT;
}

uint32_t
svq_mem_region_index(const struct svq_mem_map *map, uint64_t gpa,
		uint32_t fallback)
{
	const struct svq_mem_region *r = svq_mem_find(map, gpa);

	return r == NULL ? fallback : (uint32_t)(r - map->regions);
}

bool
svq_mem_gpa_range_valid(const struct svq_mem_map *map, uint64_t gpa,
		uint64_t len)
{
	/* A buffer may straddle regions that are adjacent in guest-physical
	 * space; the device translates each piece itself. At most one step
	 * per region, so the walk is bounded. */
	uint32_t i, steps;

	if (len == 0) {
		/* The end of a region counts as inside. */
		for (i = 0; i < map->nregions; i++) {
			const struct svq_mem_region *r = &map->regions[i];

			if (gpa >= r->gpa && gpa - r->gpa <= r->size)
				return true;
		}
		return false;
	}
	for (steps = 0; steps < map->nregions; steps++) {
		uint64_t chunk = len;

		if (svq_mem_gpa_to_hva(map, gpa, &chunk) == NULL)
			return false;
		len -= chunk;
		if (len == 0)
			return true;
		/* A region may end at 2^64: a buffer does not wrap to 0. */
		if (gpa + chunk == 0)
			return false;
		gpa += chunk;
	}
	return false;
}
