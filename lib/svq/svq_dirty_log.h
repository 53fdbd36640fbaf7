/* SPDX-License-Identifier: BSD-3-Clause */

#ifndef SVQ_DIRTY_LOG_H
#define SVQ_DIRTY_LOG_H

/*
 * Dirty page logging for live migration: the vhost-user log shared by the
 * frontend (SET_LOG_BASE), one bit per 4 KiB guest-physical page, read
 * by the frontend as little-endian 64-bit words. Several lcores set bits in
 * it at once, so every update is an atomic OR; an accumulator coalesces the
 * bits of one word so a burst costs one atomic per word it touches, not
 * one per page. Private to lib/svq.
 */

#include <stdbool.h>
#include <stdint.h>

#include <rte_branch_prediction.h>
#include <rte_common.h>

#define SVQ_LOG_PAGE_SHIFT 12	/* VHOST_LOG_PAGE: 4 KiB */

struct svq_dirty_log {
	uint64_t *bitmap;	/* NULL: not logging */
	uint64_t nr_pages;	/* pages the bitmap covers */
	uint64_t used_gpa;	/* guest used ring, 0: not logged (no VHOST_VRING_F_LOG) */
};

/* Take @p src as the log to write, or none: NULL, no bitmap or no pages
 * all mean "not logging". */
static inline void
svq_dirty_log_set(struct svq_dirty_log *dst, const struct svq_dirty_log *src)
{
	if (src == NULL || src->bitmap == NULL || src->nr_pages == 0)
		*dst = (struct svq_dirty_log){ .bitmap = NULL };
	else
		*dst = *src;
}

/* Bits for one bitmap word, gathered before the atomic OR. */
struct svq_log_acc {
	uint64_t word;
	uint64_t mask;
};

static inline void
svq_log_flush(const struct svq_dirty_log *log, struct svq_log_acc *acc)
{
	uint64_t first_page = acc->word * 64, mask = acc->mask;

	if (mask == 0)
		return;
	acc->mask = 0;
	/* Pages past the bitmap (a log sized for less memory than the guest
	 * has) are dropped here, once per word, not page by page. */
	if (unlikely(first_page + 64 > log->nr_pages)) {
		if (first_page >= log->nr_pages)
			return;
		mask &= (UINT64_C(1) << (log->nr_pages - first_page)) - 1;
	}
	/* Relaxed: ordering against the used index is given by the release
	 * store that follows (data pages), or does not matter because the
	 * write being logged already happened (used ring pages). */
	__atomic_fetch_or(&log->bitmap[acc->word], mask, __ATOMIC_RELAXED);
}

/* Set @p mask in bitmap word @p word: gathered while the burst stays in
 * that word, ORed into the bitmap when it moves to another. */
static __rte_always_inline void
svq_log_bits(const struct svq_dirty_log *log, struct svq_log_acc *acc,
		uint64_t word, uint64_t mask)
{
	if (acc->word != word) {
		svq_log_flush(log, acc);
		acc->word = word;
	}
	acc->mask |= mask;
}

/* The pages of [gpa, gpa + len) when there are several: a word at a
 * time, the pages from @p page to the end of its word or to the last. The
 * accumulator goes in and out by value, so the caller's can stay in
 * registers. */
static __rte_noinline struct svq_log_acc
svq_log_pages(const struct svq_dirty_log *log, struct svq_log_acc acc,
		uint64_t gpa, uint64_t len)
{
	uint64_t page = gpa >> SVQ_LOG_PAGE_SHIFT;
	uint64_t last = RTE_MIN((gpa + len - 1) >> SVQ_LOG_PAGE_SHIFT,
			log->nr_pages - 1);

	while (page <= last) {
		unsigned int n = RTE_MIN(last - page, 63 - page % 64) + 1;
		uint64_t bits = n == 64 ? UINT64_MAX : (UINT64_C(1) << n) - 1;

		svq_log_bits(log, &acc, page / 64, bits << (page % 64));
		page += n;
	}
	return acc;
}

/* Mark [gpa, gpa + len) dirty, @p len not 0. The range was validated
 * against guest memory, so it cannot wrap. */
static __rte_always_inline void
svq_log_range_nonempty(const struct svq_dirty_log *log,
		struct svq_log_acc *acc, uint64_t gpa, uint64_t len)
{
	uint64_t page = gpa >> SVQ_LOG_PAGE_SHIFT;

	if (likely(page == (gpa + len - 1) >> SVQ_LOG_PAGE_SHIFT))
		svq_log_bits(log, acc, page / 64, UINT64_C(1) << (page % 64));
	else
		*acc = svq_log_pages(log, *acc, gpa, len);
}

/* Mark [gpa, gpa + len) dirty. */
static __rte_always_inline void
svq_log_range(const struct svq_dirty_log *log, struct svq_log_acc *acc,
		uint64_t gpa, uint64_t len)
{
	if (len != 0)
		svq_log_range_nonempty(log, acc, gpa, len);
}

/* Mark the used ring entries [from, to) of a ring of @p size entries. */
static inline void
svq_log_used(const struct svq_dirty_log *log, struct svq_log_acc *acc,
		uint16_t size, uint16_t from, uint16_t to)
{
	/* struct vring_used: u16 flags, u16 idx, then 8-byte elements */
	uint16_t first = from & (size - 1), n = to - from;

	if (log->used_gpa == 0 || n == 0)
		return;
	if (first + n > size) {
		svq_log_range(log, acc, log->used_gpa + 4 + 8 * (uint64_t)first,
			8 * (uint64_t)(size - first));
		n -= size - first;
		first = 0;
	}
	svq_log_range(log, acc, log->used_gpa + 4 + 8 * (uint64_t)first,
		8 * (uint64_t)n);
}

static inline void
svq_log_used_idx(const struct svq_dirty_log *log, struct svq_log_acc *acc)
{
	if (log->used_gpa != 0)
		svq_log_range(log, acc, log->used_gpa + 2, 2);
}

#endif /* SVQ_DIRTY_LOG_H */
