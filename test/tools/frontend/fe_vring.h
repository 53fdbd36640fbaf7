/* SPDX-License-Identifier: BSD-3-Clause */

#ifndef FE_VRING_H
#define FE_VRING_H

/*
 * The driver side of one split virtqueue in guest memory: descriptor
 * table, avail ring, used ring, kick and call eventfds, and one buffer
 * slot per descriptor (a chain's data lives in its head's slot).
 *
 * Bookkeeping (free list, chains in flight, how much of each chain the
 * device may write) is kept in private memory, never read back from guest
 * memory, so a misbehaving backend is detected rather than believed.
 */

#include <stdbool.h>
#include <stdint.h>

#include "fe_mem.h"
#include "fe_virtio.h"

struct fe_vring_stats {
	uint64_t added;		/* chains made available */
	uint64_t used;		/* chains completed */
	uint64_t kicks;		/* eventfd writes */
	uint64_t kicks_suppressed;
	uint64_t calls;		/* eventfd counts read */
	uint64_t bad_id;	/* used id not in flight or out of range */
	uint64_t bad_len;	/* used len beyond the chain's writable bytes */
	uint64_t bad_idx;	/* used idx moved by more than the ring size */
	uint64_t raw_used;	/* completions on a vring written raw */
};

struct fe_seg {
	uint64_t gpa;
	uint32_t len;
	bool write;		/* device-writable */
};

struct fe_vring {
	uint16_t index;		/* vhost-user vring index */
	uint16_t size;
	bool event_idx;
	bool kick_always;	/* ignore the device's notification suppression */
	bool no_calls;		/* polling: asked the device not to call */
	bool tainted;		/* raw writes: bookkeeping no longer holds */
	bool broken;		/* the device broke the ring protocol */
	bool enabled;

	struct fe_mem *mem;
	uint64_t desc_off, avail_off, used_off;	/* offsets in mem */
	struct fe_vring_desc *desc;
	uint16_t *avail;	/* [0] flags, [1] idx, [2..] ring, [2+size] used_event */
	uint8_t *used;		/* flags, idx, ring[size], avail_event */
	uint64_t slot_off;	/* buffer slot 0 */
	uint32_t slot_size;

	int kickfd;
	int callfd;

	uint16_t avail_idx;	/* next avail idx we publish */
	uint16_t kicked_idx;	/* avail idx at the last kick decision */
	uint16_t last_used;	/* next used entry we read */
	uint16_t free_head;
	uint16_t num_free;
	uint16_t *next;		/* private: free list and chain links */
	uint16_t *chain_len;	/* private, by head: descriptors in the chain */
	uint32_t *chain_wlen;	/* private, by head: device-writable bytes */
	bool *busy;		/* private, by head: in flight */

	struct fe_vring_stats st;
};

/* Allocate the rings and size slots of slot_size bytes in mem, and the
 * eventfds. Returns 0 or -errno. */
int fe_vring_init(struct fe_vring *vr, struct fe_mem *mem, uint16_t index,
		uint16_t size, uint32_t slot_size, bool event_idx);
void fe_vring_fini(struct fe_vring *vr);

uint64_t fe_vring_desc_gpa(const struct fe_vring *vr);

/* Head the next fe_vring_add will use (its slot takes the data), or -1
 * when no descriptor is free. */
int fe_vring_peek_head(const struct fe_vring *vr);

static inline uint64_t
fe_vring_slot_gpa(const struct fe_vring *vr, uint16_t head)
{
	return fe_mem_off_to_gpa(vr->mem,
		vr->slot_off + (uint64_t)head * vr->slot_size);
}

static inline uint8_t *
fe_vring_slot_va(const struct fe_vring *vr, uint16_t head)
{
	return fe_mem_off_to_va(vr->mem,
		vr->slot_off + (uint64_t)head * vr->slot_size);
}

/*
 * Write a chain of n segments (device-readable ones first) and put its
 * head in the avail ring; it becomes visible on fe_vring_publish().
 * Returns the head or -ENOSPC / -EPERM (tainted) / -EINVAL.
 */
int fe_vring_add(struct fe_vring *vr, const struct fe_seg *segs,
		unsigned int n);

/* Publish the avail index (release). */
void fe_vring_publish(struct fe_vring *vr);

/* Kick if the device asked for it (or always with force / kick_always). */
void fe_vring_kick(struct fe_vring *vr, bool force);

/*
 * Take the next completion: 1 with *head and *len (clamped to what the
 * chain could take), 0 when none is pending, -EPROTO when the device
 * broke the protocol (counted in st; the entry is skipped). On a tainted
 * vring completions are returned as they are and nothing is freed.
 */
int fe_vring_get_used(struct fe_vring *vr, uint16_t *head, uint32_t *len);

/* Used entries the device has published and we have not read, bounded. */
uint16_t fe_vring_pending(const struct fe_vring *vr);

/*
 * Ask the device for calls (on), or not to call at all, as a polling
 * driver does: NO_INTERRUPT in avail->flags, or under EVENT_IDX a
 * used_event the used index has already passed (spec 2.7.7).
 */
void fe_vring_set_calls(struct fe_vring *vr, bool on);

/* Read and count the call eventfd; returns the count read. */
uint64_t fe_vring_clear_call(struct fe_vring *vr);

/* Raw access for robustness tests: they taint the vring. */
int fe_vring_raw_desc(struct fe_vring *vr, uint16_t idx, uint64_t addr,
		uint32_t len, uint16_t flags, uint16_t next);
void fe_vring_raw_avail(struct fe_vring *vr, uint16_t head);
void fe_vring_raw_avail_idx(struct fe_vring *vr, uint16_t idx);
uint16_t fe_vring_used_idx(const struct fe_vring *vr);

#endif /* FE_VRING_H */
