/* SPDX-License-Identifier: BSD-3-Clause */

#ifndef SVQ_SHADOW_PRIV_H
#define SVQ_SHADOW_PRIV_H

/*
 * What the shadow virtqueue's forwarding paths share: the one-at-a-time
 * ones in svq_shadow.c and the four-at-a-time ones in svq_shadow_sse.h.
 * Private to lib/svq.
 */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <rte_byteorder.h>
#include <rte_common.h>

#include "svq_mem.h"
#include "svq_shadow.h"

/* A 64-bit load or store at any alignment: four avail ring entries, or
 * a used element (id | len << 32), which is only 4-byte aligned. */
typedef uint64_t svq_u64_unaligned __rte_aligned(1) __rte_may_alias;

/* The fast paths read descriptors, used elements and private records as
 * little-endian words, and find a record with the shift of 32 bytes. */
#if RTE_BYTE_ORDER != RTE_LITTLE_ENDIAN
#error "lib/svq reads virtio rings as little-endian words"
#endif
_Static_assert(sizeof(struct svq_desc_priv) == 32, "priv record size");
_Static_assert(offsetof(struct svq_desc_priv, state) == 16, "state offset");
_Static_assert(offsetof(struct svq_desc_state, avail_pos) == 2 &&
		offsetof(struct svq_desc_state, writable_len) == 4,
		"state word layout");

#define SVQ_DESC_WORD_FLAGS(f) ((uint64_t)(f) << 32)
/* What of word 1 the device sees: len, next and the WRITE flag. */
#define SVQ_DESC_WORD_KEEP (UINT64_C(0xffff0000ffffffff) | \
		SVQ_DESC_WORD_FLAGS(VRING_DESC_F_WRITE))

/* Guest-physical [start, end) the fast path checks buffers against. */
struct svq_window {
	uint64_t start;
	uint64_t end;
};

/* Region @p hint of @p mem as a window; one that holds nothing when there
 * is no such region, or when it ends at 2^64 (its end would wrap to 0). */
static inline struct svq_window
svq_window_of(const struct svq_mem_map *mem, uint32_t hint)
{
	if (hint < mem->nregions) {
		const struct svq_mem_region *r = &mem->regions[hint];

		/* a region that wraps (svq_port refuses them) holds
		 * nothing here either */
		if (r->gpa + r->size > r->gpa)
			return (struct svq_window){ r->gpa, r->gpa + r->size };
	}
	return (struct svq_window){ .start = 1, .end = 0 };
}

/* Whether [addr, addr + len) lies in window @p w, which does not end at
 * 2^64: an end that wraps is outside it. */
static __rte_always_inline bool
svq_window_holds(struct svq_window w, uint64_t addr, uint32_t len)
{
	uint64_t end;

	return !__builtin_add_overflow(addr, len, &end) && addr >= w.start &&
		end <= w.end;
}

/* What forwarding needs of a queue, loaded once per burst. */
struct svq_fast {
	const volatile union svq_desc_words *gdesc;
	union svq_desc_words *sdesc;
	struct svq_desc_priv *priv;
	struct svq_window w;
};

#endif /* SVQ_SHADOW_PRIV_H */
