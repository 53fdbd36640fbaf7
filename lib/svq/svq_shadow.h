/* SPDX-License-Identifier: BSD-3-Clause */

#ifndef SVQ_SHADOW_H
#define SVQ_SHADOW_H

/**
 * @file
 * Shadow split virtqueue.
 *
 * For one guest virtqueue the relay owns a second split ring of the same
 * size, the shadow ring, which is the only ring the device sees. Guest
 * descriptors are validated and copied into the shadow descriptor table at
 * the same index (a 1:1 mirror), so a used id from the device is the guest
 * head id and no id translation table is needed. Buffers are not copied:
 * shadow descriptors carry the guest-physical address, which is the IOVA
 * of guest memory in the device's address space.
 *
 * Which heads are in flight, how long each chain is and how many bytes the
 * device may write into it are kept in relay-private memory, never read
 * back from memory the device or the guest can write.
 *
 * Threading: one shadow virtqueue is driven by exactly one lcore at a time;
 * none of these functions take locks.
 */

#include <stdbool.h>
#include <stdint.h>
#include <linux/virtio_ring.h>

#include <rte_atomic.h>

#include "svq_dirty_log.h"
#include "svq_mem.h"
#include "svq_stats.h"

/** Largest split ring the spec allows. */
#define SVQ_RING_SIZE_MAX 32768
/** Chains moved per call in each direction. */
#define SVQ_BURST 32

/** A split ring's three parts, as mapped in this process. */
struct svq_ring {
	struct vring_desc *desc;
	struct vring_avail *avail;
	struct vring_used *used;
};

/**
 * A split ring descriptor, also as two 64-bit words: addr, then
 * len | flags << 32 | next << 48 (the ring is little-endian, as is every
 * host the relay builds for). The fast path reads and writes it so.
 */
union svq_desc_words {
	struct vring_desc desc;
	uint64_t word[2];
};

/* Whether a descriptor is free, the head of a chain in flight or linked
 * into one; eight bytes, which the fast paths write and clear whole. */
struct svq_desc_state {
	uint16_t ndescs;	/* head: chain length; SVQ_DESC_LINKED; 0: free */
	uint16_t avail_pos;	/* head: shadow avail entry it was posted in */
	uint32_t writable_len;	/* head: bound for the used length */
};

/*
 * Relay-private record of one descriptor: its validated copy and its
 * state. 32 bytes, twice a ring descriptor: found from a descriptor's
 * offset with one more shift.
 */
struct svq_desc_priv {
	union svq_desc_words copy;
	struct svq_desc_state state;
	uint64_t reserved;
};

/* svq_desc_state.ndescs of a descriptor in a chain in flight that is not
 * its head; above any chain length, as chains are at most a ring long. */
#define SVQ_DESC_LINKED UINT16_MAX

/** Why a queue stopped relaying. */
enum svq_shadow_fault {
	SVQ_FAULT_NONE = 0,
	SVQ_FAULT_GUEST,	/**< the guest wrote something invalid */
	SVQ_FAULT_DEVICE,	/**< the device completed something invalid */
};

struct svq_shadow_vq {
	/* Guest side: rings in guest memory, written by the guest. */
	struct svq_ring guest;
	uint16_t guest_last_avail;	/* next guest avail entry to take */
	uint16_t guest_used;		/* guest used idx we publish */
	int guest_callfd;		/* -1: the guest polls */
	bool event_idx;			/* VIRTIO_RING_F_EVENT_IDX with the guest */

	/* Device side: the shadow ring in relay memory. */
	struct svq_ring shadow;
	uint16_t shadow_avail;		/* shadow avail idx we publish */
	uint16_t shadow_last_used;	/* next shadow used entry to take */

	uint16_t size;
	uint16_t capacity;		/* ring size the bookkeeping was sized for */
	uint16_t nb_inflight;
	enum svq_shadow_fault fault;

	/* Relay-private bookkeeping, indexed by descriptor id. */
	struct svq_desc_priv *priv;

	const struct svq_mem_map *mem;
	uint32_t mem_hint;		/* region of the last buffer seen */
	struct svq_dirty_log log;	/* migration: pages the device wrote */
	const char *name;		/* for log lines, e.g. "port0 q1" */

	struct svq_queue_stats stats;
};

/**
 * Whether a driver-side ring's device asked to be kicked: call after
 * publishing avail->idx. Flag-based suppression (the relay does not
 * negotiate EVENT_IDX on its own rings).
 */
static inline bool
svq_ring_device_wants_kick(const struct svq_ring *r)
{
	/* Full barrier: the avail idx store is visible before we read the
	 * device's suppression flag, else we could miss a kick it is asking
	 * for; pairs with the device's barrier between clearing NO_NOTIFY and
	 * re-reading avail->idx. */
	rte_atomic_thread_fence(__ATOMIC_SEQ_CST);
	return !(__atomic_load_n(&r->used->flags, __ATOMIC_RELAXED) &
			VRING_USED_F_NO_NOTIFY);
}

/**
 * Whether the guest wants an interrupt after the used index of its ring of
 * @p size entries moved from @p old_used to @p new_used: its used_event
 * with EVENT_IDX, its NO_INTERRUPT flag without.
 */
static inline bool
svq_ring_guest_wants_call(const struct svq_ring *r, uint16_t size,
		bool event_idx, uint16_t old_used, uint16_t new_used)
{
	/* Full barrier: the used idx store is visible before we read the
	 * guest's suppression state, else we could skip an interrupt it just
	 * asked for; pairs with the driver's barrier after it updates
	 * used_event or clears NO_INTERRUPT. */
	rte_atomic_thread_fence(__ATOMIC_SEQ_CST);
	if (event_idx) {
		/* used_event sits right after the avail ring entries. */
		uint16_t used_event = __atomic_load_n(&r->avail->ring[size],
				__ATOMIC_RELAXED);

		return vring_need_event(used_event, new_used, old_used);
	}
	return !(__atomic_load_n(&r->avail->flags, __ATOMIC_RELAXED) &
			VRING_AVAIL_F_NO_INTERRUPT);
}

/** Bytes of shadow ring memory needed for a ring of @p size entries. */
size_t svq_shadow_ring_bytes(uint16_t size);

/** Offsets of the avail and used rings inside shadow ring memory. */
size_t svq_shadow_avail_offset(uint16_t size);
size_t svq_shadow_used_offset(uint16_t size);

/** Prepare an idle shadow virtqueue; @p name is kept for log lines. */
void svq_shadow_init(struct svq_shadow_vq *vq, const char *name);

/** Free the relay-private bookkeeping. */
void svq_shadow_free(struct svq_shadow_vq *vq);

/**
 * Start relaying a guest ring through a freshly zeroed shadow ring.
 *
 * @param guest
 *   The guest's rings as mapped in this process.
 * @param size
 *   Ring size: a power of two not above SVQ_RING_SIZE_MAX.
 * @param shadow_mem
 *   svq_shadow_ring_bytes(size) bytes of relay memory for the shadow ring.
 * @param last_avail, last_used
 *   Where the guest ring stands (the vring base).
 * @return 0, -EINVAL for a size the relay cannot shadow or rings not
 *   aligned as virtio requires (descriptors 16, avail 2, used 4 bytes),
 *   or -ENOMEM.
 */
int svq_shadow_start(struct svq_shadow_vq *vq, const struct svq_ring *guest,
		uint16_t size, void *shadow_mem, const struct svq_mem_map *mem,
		uint16_t last_avail, uint16_t last_used, bool event_idx,
		int guest_callfd);

/**
 * Log, from now on, every guest page the device writes through this
 * queue, and the used ring; or stop logging with a NULL bitmap. Control
 * path, while the queue is not running.
 */
void svq_shadow_set_log(struct svq_shadow_vq *vq,
		const struct svq_dirty_log *log);

/**
 * Forward new guest avail chains into the shadow ring.
 * Called on the lcore that owns the queue.
 *
 * @return chains forwarded; on malformed guest input the queue faults
 *   (vq->fault) and nothing more is forwarded.
 */
uint16_t svq_shadow_forward_avail(struct svq_shadow_vq *vq);

/**
 * Before the worker sleeps: ask the guest to kick on new avail entries
 * (its NO_NOTIFY flag cleared, or avail_event at the next entry) and, if
 * @p device_calls, the device to interrupt on completions; then look
 * again. @return true if work arrived meanwhile (do not sleep).
 */
bool svq_shadow_notify_arm(struct svq_shadow_vq *vq, bool device_calls);

/** After the worker woke: back to polling, no kicks or calls asked for. */
void svq_shadow_notify_disarm(struct svq_shadow_vq *vq);

/** The guest side of svq_shadow_notify_arm(), for any relayed guest ring
 * (the control vring's too); logs what it writes while migrating. */
void svq_ring_notify_guest(const struct svq_ring *r, uint16_t size,
		bool event_idx, uint16_t next_avail, bool want,
		const struct svq_dirty_log *log);

/** True when the device asked to be notified of new avail entries. */
bool svq_shadow_device_wants_kick(struct svq_shadow_vq *vq);

/**
 * Return the device's completions to the guest used ring and interrupt the
 * guest if its notification suppression allows it.
 * Called on the lcore that owns the queue.
 *
 * @return chains completed.
 */
uint16_t svq_shadow_forward_used(struct svq_shadow_vq *vq);

/**
 * Stop relaying once the device has stopped processing the shadow ring.
 *
 * Completions still in the shadow used ring are returned to the guest.
 * Chains the device never took from the shadow avail ring are given back
 * by rewinding guest_last_avail, so a restart offers them again: avail
 * entries are consumed in order by every device, so those are exactly the
 * last ones forwarded.
 *
 * @param device_last_avail
 *   The device's vring base: the next shadow avail entry it would take.
 * @return the number of chains the device took but never completed
 *   (their buffers cannot be given back), or -EIO when device_last_avail is
 *   impossible.
 */
int svq_shadow_stop(struct svq_shadow_vq *vq, uint16_t device_last_avail);

/**
 * As svq_shadow_stop() for a device that vanished without saying where it
 * stopped (a backend process that died): every chain it did not complete
 * is given back. Right for a device that completes in order, which is
 * checked: the chains given back must be the last ones forwarded.
 *
 * @return the number of chains that could not be given back.
 */
int svq_shadow_stop_lost(struct svq_shadow_vq *vq);

/*
 * Passthrough: the device processes the guest ring itself, at IOVA ==
 * guest-physical address, and the relay keeps only the guest side of the
 * queue (mode on-migration while no migration runs). A device with poll()
 * runs on the relay's lcore and cannot interrupt the guest itself, so the
 * relay follows the guest used index after each poll and interrupts the
 * guest as its notification suppression asks.
 */

/** Enter passthrough on a guest ring standing at @p last_used. */
void svq_shadow_passthrough_start(struct svq_shadow_vq *vq,
		const struct svq_ring *guest, uint16_t size, uint16_t last_used,
		bool event_idx, int guest_callfd);

/**
 * After the device wrote the guest used ring: count its completions and
 * interrupt the guest if it asks. Called on the lcore that owns the queue.
 * @return chains the device completed since the last call.
 */
uint16_t svq_shadow_passthrough_used(struct svq_shadow_vq *vq);

/**
 * Leave passthrough once the device stopped: take its vring base as the
 * guest's next avail entry and the used index it published.
 * @return the number of chains the device took but never completed, or
 *   -EIO when its base is impossible (then nothing is rewound).
 */
int svq_shadow_passthrough_stop(struct svq_shadow_vq *vq,
		uint16_t device_last_avail);

#endif /* SVQ_SHADOW_H */
