/* SPDX-License-Identifier: BSD-3-Clause */

#ifndef TEST_GUEST_RING_H
#define TEST_GUEST_RING_H

/*
 * A synthetic guest for unit tests: a block of "guest memory" at a fixed
 * guest-physical address holding a split ring and data buffers, written the
 * way a virtio driver would (or, for negative tests, the way it must not).
 */

#include <stdbool.h>
#include <stdint.h>
#include <linux/virtio_ring.h>

#include "svq_mem.h"
#include "svq_shadow.h"

#define TG_GPA_BASE	UINT64_C(0x40000000)
#define TG_MEM_SIZE	(4u << 20)
#define TG_RING_SIZE	256
/* Data buffers start after the ring. */
#define TG_DATA_OFF	(64u << 10)

struct test_guest {
	uint8_t *mem;			/* TG_MEM_SIZE bytes at gpa_base */
	uint64_t gpa_base;
	struct svq_mem_map map;
	struct svq_ring ring;
	uint16_t size;
	uint16_t avail_idx;		/* driver's next avail idx */
	uint16_t last_used;		/* driver's next used entry */
	uint32_t next_data;		/* bump allocator for buffers */
};

void tg_init(struct test_guest *g, uint16_t size);
/* As tg_init(), with guest memory at @p gpa_base. */
void tg_init_at(struct test_guest *g, uint16_t size, uint64_t gpa_base);
void tg_fini(struct test_guest *g);
uint64_t tg_gpa(const struct test_guest *g, const void *p);
void *tg_hva(const struct test_guest *g, uint64_t gpa);
/* Allocate @p len bytes of guest memory for a buffer; return its GPA. */
uint64_t tg_alloc(struct test_guest *g, uint32_t len);
void tg_set_desc(struct test_guest *g, uint16_t idx, uint64_t addr,
		uint32_t len, uint16_t flags, uint16_t next);
/* Put @p head in the next avail slot and publish the index. */
void tg_publish(struct test_guest *g, uint16_t head);
/* Pop one used element; false when none. */
bool tg_pop_used(struct test_guest *g, uint32_t *id, uint32_t *len);

#endif /* TEST_GUEST_RING_H */
