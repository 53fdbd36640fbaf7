/* SPDX-License-Identifier: BSD-3-Clause */

/*
 * The frontend's dirty log: bitmap, snapshot and the page-exact check.
 *
 * Threat model: the bitmap is written by the backend under test, at any
 * time and with any bits; it is only ever read here (with atomic loads or
 * exchanges, as the backend sets bits concurrently), and a bit for a page
 * outside guest memory is counted, not trusted. Guest memory is compared
 * with plain reads: the check is meant to run with the rings quiet, and a
 * write racing with it at worst shows as a change whose bit is not there
 * yet, which the caller re-reads before calling it a miss.
 */

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "fe_log.h"

uint64_t
fe_log_size_for(uint64_t end)
{
	uint64_t pages = (end + FE_LOG_PAGE - 1) >> FE_LOG_PAGE_SHIFT;

	return (pages + 63) / 64 * sizeof(uint64_t);
}

int
fe_log_create(struct fe_log *log, uint64_t end)
{
	uint64_t size = fe_log_size_for(end);
	int err;

	memset(log, 0, sizeof(*log));
	log->fd = -1;
	if (size == 0)
		return -EINVAL;
	log->fd = memfd_create("svq-frontend-log", MFD_CLOEXEC);
	if (log->fd < 0)
		return -errno;
	if (ftruncate(log->fd, (off_t)size) < 0)
		goto fail;
	log->bitmap = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED,
		log->fd, 0);
	if (log->bitmap == MAP_FAILED) {
		log->bitmap = NULL;
		goto fail;
	}
	log->size = size;
	log->nr_pages = size * 8;
	return 0;
fail:
	err = errno;
	close(log->fd);
	log->fd = -1;
	return -err;
}

void
fe_log_destroy(struct fe_log *log)
{
	if (log->bitmap != NULL)
		munmap(log->bitmap, log->size);
	if (log->fd >= 0)
		close(log->fd);
	free(log->snap);
	memset(log, 0, sizeof(*log));
	log->fd = -1;
}

uint64_t
fe_log_take(struct fe_log *log)
{
	uint64_t i, n = 0, w;

	for (i = 0; log->bitmap != NULL && i < log->size / 8; i++) {
		/* Exchange, not load + store: a bit the backend sets in
		 * between must end up either taken here or still set. */
		w = __atomic_exchange_n(&log->bitmap[i], 0, __ATOMIC_ACQ_REL);
		n += (uint64_t)__builtin_popcountll(w);
	}
	return n;
}

const char *
fe_log_kind_name(enum fe_log_kind kind)
{
	switch (kind) {
	case FE_LOG_USED: return "used";
	case FE_LOG_RX: return "rx";
	case FE_LOG_CVQ_ACK: return "cvq-ack";
	case FE_LOG_SCRATCH: return "scratch";
	default: return "?";
	}
}

const struct fe_log_range *
fe_log_range_of(const struct fe_log_range *ranges, unsigned int nranges,
		uint64_t gpa_base, uint64_t page)
{
	uint64_t start, end;
	unsigned int i;

	if ((page << FE_LOG_PAGE_SHIFT) < gpa_base)
		return NULL;
	start = (page << FE_LOG_PAGE_SHIFT) - gpa_base;
	end = start + FE_LOG_PAGE;
	for (i = 0; i < nranges; i++)
		if (ranges[i].len != 0 && ranges[i].off < end &&
				ranges[i].off + ranges[i].len > start)
			return &ranges[i];
	return NULL;
}

/* Bits set for pages [lo, hi), a word at a time. */
static uint64_t
fe_log_count(const uint64_t *bits, uint64_t lo, uint64_t hi)
{
	uint64_t n = 0, w, mask;

	while (lo < hi) {
		w = __atomic_load_n(&bits[lo / 64], __ATOMIC_RELAXED);
		mask = ~UINT64_C(0) << (lo % 64);
		if (hi - (lo - lo % 64) < 64)
			mask &= ~(~UINT64_C(0) << (hi % 64));
		n += (uint64_t)__builtin_popcountll(w & mask);
		lo = lo - lo % 64 + 64;
	}
	return n;
}

/* Mark in changed[] (one bit per page of guest memory, by offset) the
 * pages where [off, off + len) differs between mem and snap. */
static void
fe_log_diff_range(const uint8_t *mem, const uint8_t *snap, uint64_t off,
		uint64_t len, uint64_t *changed)
{
	uint64_t end = off + len, a, b, p;

	for (a = off; a < end; a = b) {
		p = a >> FE_LOG_PAGE_SHIFT;
		b = (p + 1) << FE_LOG_PAGE_SHIFT;
		if (b > end)
			b = end;
		if (changed[p / 64] & (UINT64_C(1) << (p % 64)))
			continue;
		if (memcmp(mem + a, snap + a, b - a) != 0)
			changed[p / 64] |= UINT64_C(1) << (p % 64);
	}
}

int
fe_log_compare(const uint8_t *mem, const uint8_t *snap, uint64_t mem_size,
		uint64_t gpa_base, const uint64_t *bits, uint64_t nr_pages,
		const struct fe_log_range *ranges, unsigned int nranges,
		struct fe_log_result *res)
{
	uint64_t mem_pages, first, p, gpa_page, i;
	uint64_t *changed;
	bool ch, bit;

	memset(res, 0, sizeof(*res));
	/* Pages of guest memory are GPA pages only if it is page-aligned
	 * (fe_mem_create insists on it). */
	if (gpa_base % FE_LOG_PAGE != 0 || mem_size % FE_LOG_PAGE != 0)
		return -EINVAL;
	mem_pages = mem_size >> FE_LOG_PAGE_SHIFT;
	first = gpa_base >> FE_LOG_PAGE_SHIFT;
	changed = calloc((mem_pages + 63) / 64 ? (mem_pages + 63) / 64 : 1,
		sizeof(*changed));
	if (changed == NULL)
		return -ENOMEM;
	for (i = 0; i < nranges; i++) {
		const struct fe_log_range *r = &ranges[i];

		if (r->off > mem_size || r->len > mem_size - r->off)
			continue;
		fe_log_diff_range(mem, snap, r->off, r->len, changed);
	}
	for (p = 0; p < mem_pages; p++) {
		gpa_page = first + p;
		ch = (changed[p / 64] >> (p % 64)) & 1;
		/* A page past the end of the log cannot be logged at all. */
		bit = gpa_page < nr_pages && fe_log_bit(bits, gpa_page);
		res->changed += ch;
		res->logged += bit;
		if (ch && !bit) {
			if (res->nmiss < FE_LOG_MISS_MAX)
				res->miss[res->nmiss++] = gpa_page;
			res->missed++;
		}
		if (bit && !ch)
			res->extra++;
	}
	/* Bits for pages below or above guest memory (the log starts at
	 * GPA 0, so with a high --mem-base most of it is below). */
	res->outside = fe_log_count(bits, 0, first < nr_pages ? first :
		nr_pages) + (first + mem_pages < nr_pages ?
		fe_log_count(bits, first + mem_pages, nr_pages) : 0);
	free(changed);
	return 0;
}
