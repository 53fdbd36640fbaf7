/* SPDX-License-Identifier: BSD-3-Clause */

#ifndef SVQ_MEM_H
#define SVQ_MEM_H

/**
 * @file
 * Guest memory map: the regions the frontend shared with us, keyed by
 * guest-physical address. The relay places guest memory at IOVA == GPA in
 * the device's address space, so validating a guest buffer is all the
 * translation the data path needs; host virtual addresses are kept for
 * the device DMA map.
 */

#include <stdbool.h>
#include <stdint.h>

#include <rte_common.h>

struct svq_mem_region {
	uint64_t gpa;		/**< first guest-physical address */
	uint64_t size;		/**< bytes */
	uint64_t hva;		/**< where the region is mapped in this process */
	int fd;			/**< the file it is mapped from, -1: none */
	uint64_t fd_offset;	/**< where in that file the region starts */
};

/* vhost-user allows 8 regions without CONFIGURE_MEM_SLOTS, which the
 * relay does not offer. */
#define SVQ_MEM_MAX_REGIONS 8

/* No region wraps past 2^64 (svq_port refuses such a table); one may end
 * exactly there. */
struct svq_mem_map {
	uint32_t nregions;
	struct svq_mem_region regions[SVQ_MEM_MAX_REGIONS];
};

/**
 * Translate a guest-physical range to a host virtual address.
 *
 * @param len
 *   In: bytes wanted. Out: bytes contiguous in one region from @p gpa,
 *   possibly fewer; the caller compares with what it asked for.
 * @return
 *   The host address of @p gpa, or NULL when @p gpa is in no region.
 */
void *svq_mem_gpa_to_hva(const struct svq_mem_map *map, uint64_t gpa,
		uint64_t *len);

/**
 * Translate a host virtual range back to guest-physical: where the guest
 * put a ring that librte_vhost mapped for us.
 *
 * @return 0 and the address in @p gpa when all of [hva, hva + len) lies in
 *   one region, -EFAULT otherwise.
 */
int svq_mem_hva_to_gpa(const struct svq_mem_map *map, const void *hva,
		uint64_t len, uint64_t *gpa);

/**
 * The index of the region that holds @p gpa, or @p fallback when none
 * does: where a caller that checks buffers against one region at a time
 * should look next.
 */
uint32_t svq_mem_region_index(const struct svq_mem_map *map, uint64_t gpa,
		uint32_t fallback);

/**
 * Check that every byte of [gpa, gpa + len) lies in guest memory, in one
 * region or in several that are adjacent in guest-physical space. The
 * device touches nothing of a zero-length buffer; it is accepted when its
 * address is inside (or at the end of) a region.
 */
bool svq_mem_gpa_range_valid(const struct svq_mem_map *map, uint64_t gpa,
		uint64_t len);

#endif /* SVQ_MEM_H */
