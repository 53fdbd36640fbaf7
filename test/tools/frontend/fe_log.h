/* SPDX-License-Identifier: BSD-3-Clause */

#ifndef FE_LOG_H
#define FE_LOG_H

/*
 * The dirty log of a migrating guest, as the vhost-user frontend owns it:
 * a memfd-backed bitmap handed to the backend with SET_LOG_BASE, one bit
 * per 4 KiB guest-physical page from GPA 0 up to the end of guest memory
 * (vhost-user spec, "Migration": page = addr / 4096, byte page / 8, bit
 * page % 8 -- the same bits as little-endian u64 words, word page / 64,
 * bit page % 64), and a snapshot of guest memory to check the log against.
 *
 * What is compared: only bytes the device may write (virtio 1.2, 2.7:
 * the used rings, and buffers the driver made device-writable: RX
 * buffers, control queue ack bytes, the scratch area of the raw
 * commands). The rest of guest memory -- descriptor tables, avail rings,
 * TX buffers, control commands -- is written by the driver (this tool),
 * the guest's own writes, which the device must not log and which a real
 * migration copies through the guest's own dirty tracking. A device that
 * writes outside its areas is wrong in another way, which the traffic
 * checks catch. One byte is written by both: the driver pre-sets each
 * control command's ack byte to 0xff before the device writes its ack;
 * that write goes into the snapshot too, so "changed" means changed by
 * the device.
 *
 * The comparison itself is a pure function over plain memory so the
 * self-test can feed it synthetic data.
 */

#include <stdbool.h>
#include <stdint.h>

#define FE_LOG_PAGE_SHIFT	12
#define FE_LOG_PAGE		(1u << FE_LOG_PAGE_SHIFT)

/* What a compared range holds, for reports. */
enum fe_log_kind {
	FE_LOG_USED,		/* a vring's used ring */
	FE_LOG_RX,		/* an RX vring's buffers */
	FE_LOG_CVQ_ACK,		/* one control command's ack byte */
	FE_LOG_SCRATCH,		/* what raw descriptors point at */
};

/* [off, off + len) of guest memory, offsets from its first byte. */
struct fe_log_range {
	uint64_t off;
	uint64_t len;
	enum fe_log_kind kind;
	uint16_t vring;
};

struct fe_log {
	int fd;			/* memfd, -1 before fe_log_create */
	uint64_t *bitmap;	/* shared with the backend, which sets bits */
	uint64_t size;		/* bytes: a multiple of 8 */
	uint64_t nr_pages;	/* bits: size * 8 */
	uint8_t *snap;		/* guest memory at the last snapshot */
	bool has_snap;
	bool active;		/* VHOST_F_LOG_ALL sent */
	uint32_t reply_size;	/* SET_LOG_BASE reply payload size */
};

#define FE_LOG_MISS_MAX	16

struct fe_log_result {
	uint64_t changed;	/* compared pages that differ from snap */
	uint64_t logged;	/* bits set for pages of guest memory */
	uint64_t missed;	/* changed, bit clear: a logging bug */
	uint64_t extra;		/* logged, not changed: allowed */
	uint64_t outside;	/* bits set for pages outside guest memory */
	uint64_t nmiss;		/* entries filled in miss[] */
	uint64_t miss[FE_LOG_MISS_MAX];	/* the first missed pages */
};

/* Bytes of log for guest memory ending at GPA end (exclusive): whole u64
 * words, as QEMU sizes it (vhost_get_log_size). */
uint64_t fe_log_size_for(uint64_t end);

/* Create the memfd bitmap for guest memory ending at end, zeroed, and
 * mapped shared. Returns 0 or -errno. */
int fe_log_create(struct fe_log *log, uint64_t end);
void fe_log_destroy(struct fe_log *log);

/*
 * QEMU's sync: exchange every word with zero (atomically: the backend
 * sets bits concurrently). Returns the number of bits that were set.
 */
uint64_t fe_log_take(struct fe_log *log);

/* Page i's bit (atomic load: the backend may be writing). */
static inline bool
fe_log_bit(const uint64_t *bits, uint64_t page)
{
	return (__atomic_load_n(&bits[page / 64], __ATOMIC_RELAXED) >>
		(page % 64)) & 1;
}

/*
 * Compare guest memory (mem, mem_size bytes at GPA gpa_base) with snap
 * over the ranges, page by page, against the bitmap bits (nr_pages bits
 * from GPA 0). A page counts as changed when any byte of a range in it
 * differs. ranges must lie inside guest memory (checked: others are
 * ignored). Returns 0, or -ENOMEM.
 */
int fe_log_compare(const uint8_t *mem, const uint8_t *snap,
		uint64_t mem_size, uint64_t gpa_base, const uint64_t *bits,
		uint64_t nr_pages, const struct fe_log_range *ranges,
		unsigned int nranges, struct fe_log_result *res);

/* The first range of ranges that covers page (a GPA page number), or
 * NULL; for naming missed pages. */
const struct fe_log_range *fe_log_range_of(const struct fe_log_range *ranges,
		unsigned int nranges, uint64_t gpa_base, uint64_t page);

const char *fe_log_kind_name(enum fe_log_kind kind);

#endif /* FE_LOG_H */
