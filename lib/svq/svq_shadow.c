/* SPDX-License-Identifier: BSD-3-Clause */

/*
 * Threat model: the guest writes its descriptor table, avail ring and the
 * notification fields at any time, concurrently with us. Every value is
 * read once into a local before it is checked and used, every index is
 * bounded by the ring size before it is used, and a chain is accepted only
 * if each buffer lies inside guest memory. The device is trusted no more:
 * a used id it returns must be a head we made available.
 *
 * A violation stops this queue only (vq->fault); the caller reports it and
 * asks for a device reset. Nothing is read or written outside the guest's
 * memory regions and the relay's own.
 */

#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/eventfd.h>

#include <rte_atomic.h>
#include <rte_common.h>
#include <rte_malloc.h>

#include "svq_log.h"
#include "svq_shadow.h"

size_t
svq_shadow_avail_offset(uint16_t size)
{
	return sizeof(struct vring_desc) * size;
}

size_t
svq_shadow_used_offset(uint16_t size)
{
	/* avail: flags, idx, ring[size], used_event. The used ring is written
	 * by the device and the avail ring by us: keep them on separate cache
	 * lines. */
	return RTE_ALIGN_CEIL(svq_shadow_avail_offset(size) +
			sizeof(uint16_t) * (3 + size), RTE_CACHE_LINE_SIZE);
}

size_t
svq_shadow_ring_bytes(uint16_t size)
{
	/* used: flags, idx, ring[size], avail_event */
	return svq_shadow_used_offset(size) + sizeof(uint16_t) * 3 +
		sizeof(struct vring_used_elem) * size;
}

/* One byte per descriptor rather than a bit: a plain load or store on the
 * fast path instead of a read-modify-write. */
static size_t
svq_busy_bytes(uint16_t size)
{
	return size;
}

static void __rte_cold __rte_format_printf(3, 4)
svq_shadow_set_fault(struct svq_shadow_vq *vq, enum svq_shadow_fault fault,
		const char *fmt, ...)
{
	char what[160];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(what, sizeof(what), fmt, ap);
	va_end(ap);

	vq->fault = fault;
	if (fault == SVQ_FAULT_GUEST)
		vq->stats.guest_errors++;
	else
		vq->stats.device_errors++;
	SVQ_LOG(vring, ERR, "%s: %s %s; queue stopped until the device is reset",
		vq->name, fault == SVQ_FAULT_GUEST ? "guest" : "device", what);
}

void
svq_shadow_init(struct svq_shadow_vq *vq, const char *name)
{
	memset(vq, 0, sizeof(*vq));
	vq->guest_callfd = -1;
	vq->name = name;
}

void
svq_shadow_free(struct svq_shadow_vq *vq)
{
	rte_free(vq->priv_desc);
	rte_free(vq->inflight);
	rte_free(vq->busy);
	vq->priv_desc = NULL;
	vq->inflight = NULL;
	vq->busy = NULL;
	vq->capacity = 0;
}

static int
svq_shadow_reserve(struct svq_shadow_vq *vq, uint16_t size)
{
	if (size <= vq->capacity)
		return 0;
	svq_shadow_free(vq);
	vq->priv_desc = rte_zmalloc("svq_priv_desc",
			sizeof(*vq->priv_desc) * size, RTE_CACHE_LINE_SIZE);
	vq->inflight = rte_zmalloc("svq_inflight",
			sizeof(*vq->inflight) * size, RTE_CACHE_LINE_SIZE);
	vq->busy = rte_zmalloc("svq_busy", svq_busy_bytes(size),
			RTE_CACHE_LINE_SIZE);
	if (vq->priv_desc == NULL || vq->inflight == NULL || vq->busy == NULL) {
		svq_shadow_free(vq);
		return -ENOMEM;
	}
	vq->capacity = size;
	return 0;
}

static void
svq_shadow_forget_inflight(struct svq_shadow_vq *vq)
{
	memset(vq->inflight, 0, sizeof(*vq->inflight) * vq->size);
	memset(vq->busy, 0, svq_busy_bytes(vq->size));
	vq->nb_inflight = 0;
}

static void
svq_shadow_set_guest(struct svq_shadow_vq *vq, const struct svq_ring *guest,
		uint16_t last_avail, uint16_t last_used, bool event_idx,
		int guest_callfd)
{
	vq->guest = *guest;
	vq->guest_last_avail = last_avail;
	vq->guest_used = last_used;
	vq->guest_callfd = guest_callfd;
	vq->event_idx = event_idx;
}

int
svq_shadow_start(struct svq_shadow_vq *vq, const struct svq_ring *guest,
		uint16_t size, void *shadow_mem, const struct svq_mem_map *mem,
		uint16_t last_avail, uint16_t last_used, bool event_idx,
		int guest_callfd)
{
	uint8_t *base = shadow_mem;
	int ret;

	if (size == 0 || size > SVQ_RING_SIZE_MAX || !rte_is_power_of_2(size))
		return -EINVAL;
	ret = svq_shadow_reserve(vq, size);
	if (ret < 0)
		return ret;

	svq_shadow_set_guest(vq, guest, last_avail, last_used, event_idx,
		guest_callfd);

	memset(shadow_mem, 0, svq_shadow_ring_bytes(size));
	vq->shadow.desc = (struct vring_desc *)base;
	vq->shadow.avail = (struct vring_avail *)(base +
			svq_shadow_avail_offset(size));
	vq->shadow.used = (struct vring_used *)(base +
			svq_shadow_used_offset(size));
	/* The relay polls the shadow used ring: the device need not interrupt. */
	vq->shadow.avail->flags = VRING_AVAIL_F_NO_INTERRUPT;
	vq->shadow_avail = 0;
	vq->shadow_last_used = 0;

	vq->size = size;
	vq->mem = mem;
	vq->fault = SVQ_FAULT_NONE;
	svq_shadow_forget_inflight(vq);
	return 0;
}

/* What a burst accumulates before writing it to the queue once. */
struct svq_burst_acc {
	uint64_t descs;
	uint64_t bytes;
};

/*
 * Validate the chain starting at @p head and copy it into the shadow
 * descriptor table at the same indices. A descriptor already in flight,
 * including one seen earlier in this chain, is refused: that rejects loops
 * and overlapping chains, and bounds the walk by the ring size.
 */
static __rte_always_inline bool
svq_forward_chain(struct svq_shadow_vq *vq, uint16_t head, uint16_t pos,
		struct svq_burst_acc *acc)
{
	const volatile struct vring_desc *gdesc = vq->guest.desc;
	struct vring_desc *priv = vq->priv_desc, *sdesc = vq->shadow.desc;
	const uint16_t size = vq->size;
	uint8_t *busy = vq->busy;
	uint64_t writable = 0;
	bool seen_writable = false;
	uint16_t idx = head, ndescs = 0;

	for (;;) {
		struct vring_desc d;

		if (unlikely(idx >= size)) {
			svq_shadow_set_fault(vq, SVQ_FAULT_GUEST,
				"descriptor index %u out of range (ring size %u)",
				idx, size);
			return false;
		}
		if (unlikely(busy[idx])) {
			svq_shadow_set_fault(vq, SVQ_FAULT_GUEST,
				"descriptor %u reused while in flight or chain loops",
				idx);
			return false;
		}
		/* One read of each field: the guest may rewrite the entry
		 * while we look at it. */
		d.addr = gdesc[idx].addr;
		d.len = gdesc[idx].len;
		d.flags = gdesc[idx].flags;
		d.next = gdesc[idx].next;

		if (unlikely(d.flags & VRING_DESC_F_INDIRECT)) {
			svq_shadow_set_fault(vq, SVQ_FAULT_GUEST,
				"indirect descriptor %u, feature not negotiated",
				idx);
			return false;
		}
		if (d.flags & VRING_DESC_F_WRITE) {
			seen_writable = true;
			writable += d.len;
		} else if (unlikely(seen_writable)) {
			/* virtio 1.2, 2.7.4.2: readable before writable */
			svq_shadow_set_fault(vq, SVQ_FAULT_GUEST,
				"readable descriptor %u after a writable one", idx);
			return false;
		}
		if (unlikely(!svq_mem_gpa_range_valid(vq->mem, d.addr, d.len))) {
			svq_shadow_set_fault(vq, SVQ_FAULT_GUEST,
				"descriptor %u buffer 0x%" PRIx64 "+%u outside guest memory",
				idx, (uint64_t)d.addr, d.len);
			return false;
		}
		/* Only the flags the device is meant to see. */
		d.flags &= VRING_DESC_F_NEXT | VRING_DESC_F_WRITE;
		priv[idx] = d;
		sdesc[idx] = d;
		busy[idx] = 1;
		acc->bytes += d.len;
		ndescs++;
		if (!(d.flags & VRING_DESC_F_NEXT))
			break;
		idx = d.next;
	}

	vq->inflight[head].ndescs = ndescs;
	vq->inflight[head].avail_pos = pos;
	vq->inflight[head].writable_len = RTE_MIN(writable, (uint64_t)UINT32_MAX);
	acc->descs += ndescs;
	return true;
}

uint16_t
svq_shadow_forward_avail(struct svq_shadow_vq *vq)
{
	const uint16_t mask = vq->size - 1;
	struct svq_burst_acc acc = { 0, 0 };
	uint16_t avail_idx, pending, i, last_avail, shadow_avail;

	if (unlikely(vq->fault != SVQ_FAULT_NONE))
		return 0;

	/* Acquire: the descriptors and avail entries the driver wrote before
	 * moving idx are visible before we read them; pairs with the driver's
	 * write barrier before its avail->idx store. */
	avail_idx = __atomic_load_n(&vq->guest.avail->idx, __ATOMIC_ACQUIRE);
	last_avail = vq->guest_last_avail;
	pending = avail_idx - last_avail;
	if (pending == 0)
		return 0;
	/* A driver can never have more than the ring size outstanding. */
	if (unlikely((uint16_t)(avail_idx - vq->guest_used) > vq->size)) {
		svq_shadow_set_fault(vq, SVQ_FAULT_GUEST,
			"avail idx %u jumped past used idx %u by more than ring size %u",
			avail_idx, vq->guest_used, vq->size);
		return 0;
	}

	/* Indices live in locals for the burst: every store through a ring
	 * pointer could otherwise alias them and force a reload. */
	shadow_avail = vq->shadow_avail;
	pending = RTE_MIN(pending, (uint16_t)SVQ_BURST);
	for (i = 0; i < pending; i++) {
		uint16_t head = vq->guest.avail->ring[last_avail & mask];

		if (unlikely(!svq_forward_chain(vq, head, shadow_avail, &acc)))
			break;
		vq->shadow.avail->ring[shadow_avail & mask] = head;
		last_avail++;
		shadow_avail++;
	}
	if (i == 0)
		return 0;
	vq->guest_last_avail = last_avail;
	vq->shadow_avail = shadow_avail;
	vq->nb_inflight += i;

	/* Release: shadow descriptors and avail entries are visible to the
	 * device before the new index; pairs with the device's acquire load
	 * of avail->idx. */
	__atomic_store_n(&vq->shadow.avail->idx, shadow_avail, __ATOMIC_RELEASE);
	vq->stats.avail_chains += i;
	vq->stats.avail_descs += acc.descs;
	vq->stats.avail_bytes += acc.bytes;
	return i;
}

bool
svq_shadow_device_wants_kick(struct svq_shadow_vq *vq)
{
	return svq_ring_device_wants_kick(&vq->shadow);
}

void
svq_shadow_set_log(struct svq_shadow_vq *vq, const struct svq_dirty_log *log)
{
	svq_dirty_log_set(&vq->log, log);
}

/* Log the writable buffers of the chain at @p idx, in order, up to
 * @p written: a chain of several descriptors. The next fields were
 * validated when the chain was forwarded and are read from our private
 * copy, and ndescs bounds the walk. The accumulator goes in and out by
 * value, so the caller's stays in registers. */
static __rte_noinline struct svq_log_acc
svq_log_written_chain(const struct svq_dirty_log *log,
		const struct vring_desc *priv, uint16_t idx, uint16_t ndescs,
		uint32_t written, struct svq_log_acc acc)
{
	while (ndescs-- > 0 && written != 0) {
		const struct vring_desc *d = &priv[idx];

		if (d->flags & VRING_DESC_F_WRITE) {
			uint32_t n = RTE_MIN(written, d->len);

			svq_log_range(log, &acc, d->addr, n);
			written -= n;
		}
		idx = d->next;
	}
	return acc;
}

/*
 * Release the chain at @p head, which the device completed with @p written
 * bytes, so its descriptors may be made available again; while migrating
 * (@p logging), log those bytes first: the chain's writable buffers, in
 * order, up to @p written. A one-descriptor chain with bytes written is a
 * writable buffer that holds them all, and needs no walk.
 */
static __rte_always_inline void
svq_release_chain(const struct svq_dirty_log *log, struct svq_log_acc *acc,
		uint8_t *busy, const struct vring_desc *priv, uint16_t head,
		uint16_t ndescs, uint32_t written, const bool logging)
{
	uint16_t idx = head;

	if (likely(ndescs == 1)) {
		if (logging && written != 0)
			svq_log_range_nonempty(log, acc, priv[head].addr, written);
		busy[head] = 0;
		return;
	}
	if (logging && written != 0)
		*acc = svq_log_written_chain(log, priv, head, ndescs, written,
				*acc);
	while (ndescs-- > 0) {
		busy[idx] = 0;
		idx = priv[idx].next;
	}
}

static __rte_always_inline void
svq_guest_call(struct svq_shadow_vq *vq, uint16_t old_used)
{
	if (vq->guest_callfd >= 0 && svq_ring_guest_wants_call(&vq->guest,
			vq->size, vq->event_idx, old_used, vq->guest_used)) {
		eventfd_write(vq->guest_callfd, 1);
		vq->stats.guest_calls++;
	}
}

/*
 * Return up to @p done completions from the shadow used ring to the guest
 * used ring, without publishing them. Compiled twice, with and without
 * logging, so the loop tests neither. The queue's fields are read into
 * locals first: a byte store to busy[] may alias any of them.
 * @return the number returned.
 */
static __rte_always_inline uint16_t
svq_return_used(struct svq_shadow_vq *vq, uint16_t done,
		struct svq_log_acc *acc, const bool logging)
{
	const uint16_t mask = vq->size - 1;
	struct vring_used_elem *gring = vq->guest.used->ring;
	const volatile struct vring_used_elem *sring = vq->shadow.used->ring;
	const struct vring_desc *priv = vq->priv_desc;
	struct svq_inflight *inflight = vq->inflight;
	uint8_t *busy = vq->busy;
	const struct svq_dirty_log log = vq->log;
	const uint16_t first = vq->shadow_last_used, end = first + done;
	uint16_t last_used = first, guest_used = vq->guest_used;
	uint64_t bytes = 0;

	for (; last_used != end; last_used++, guest_used++) {
		uint32_t id = sring[last_used & mask].id;
		uint32_t len = sring[last_used & mask].len;
		struct svq_inflight f;

		if (unlikely(id > mask || inflight[id].ndescs == 0)) {
			svq_shadow_set_fault(vq, SVQ_FAULT_DEVICE,
				"completed id %u that was not in flight", id);
			break;
		}
		f = inflight[id];
		if (unlikely(len > f.writable_len)) {
			/* The guest must not be told more bytes were written
			 * than its buffers hold. */
			vq->stats.device_errors++;
			len = f.writable_len;
		}
		svq_release_chain(&log, acc, busy, priv, id, f.ndescs, len,
			logging);
		inflight[id].ndescs = 0;

		gring[guest_used & mask].id = id;
		gring[guest_used & mask].len = len;
		bytes += len;
	}
	done = last_used - first;
	vq->guest_used = guest_used;
	vq->shadow_last_used = last_used;
	vq->nb_inflight -= done;
	vq->stats.used_bytes += bytes;
	return done;
}

uint16_t
svq_shadow_forward_used(struct svq_shadow_vq *vq)
{
	struct svq_log_acc acc = { .mask = 0 };
	uint16_t used_idx, done, i, old_used;

	if (unlikely(vq->fault != SVQ_FAULT_NONE))
		return 0;

	/* Acquire: the used elements, and the buffer data the device wrote
	 * before publishing them, are visible before we read them; pairs with
	 * the device's release store of used->idx. */
	used_idx = __atomic_load_n(&vq->shadow.used->idx, __ATOMIC_ACQUIRE);
	done = used_idx - vq->shadow_last_used;
	if (done == 0)
		return 0;
	if (unlikely(done > vq->nb_inflight)) {
		svq_shadow_set_fault(vq, SVQ_FAULT_DEVICE,
			"completed %u chains with only %u in flight",
			done, vq->nb_inflight);
		return 0;
	}

	done = RTE_MIN(done, (uint16_t)SVQ_BURST);
	old_used = vq->guest_used;
	if (likely(vq->log.bitmap == NULL)) {
		i = svq_return_used(vq, done, &acc, false);
		if (i == 0)
			return 0;
	} else {
		i = svq_return_used(vq, done, &acc, true);
		if (i == 0)
			return 0;
		/* Data pages are logged before the index exposes them. */
		svq_log_used(&vq->log, &acc, vq->size, old_used, vq->guest_used);
		svq_log_flush(&vq->log, &acc);
	}
	/* Release: the used elements (and the log bits above) are visible
	 * before the new index; pairs with the driver's read barrier after
	 * loading used->idx. */
	__atomic_store_n(&vq->guest.used->idx, vq->guest_used, __ATOMIC_RELEASE);
	if (unlikely(vq->log.bitmap != NULL)) {
		/* Logged after the write, so no sync can copy the page
		 * between the two and lose the change. */
		svq_log_used_idx(&vq->log, &acc);
		svq_log_flush(&vq->log, &acc);
	}
	vq->stats.used_chains += i;
	svq_guest_call(vq, old_used);
	return i;
}

/* Chains still in flight that were posted at shadow avail entries
 * @p from and later. */
static uint16_t
svq_shadow_inflight_since(const struct svq_shadow_vq *vq, uint16_t from)
{
	uint16_t span = vq->shadow_avail - from, n = 0;
	uint32_t id;

	for (id = 0; id < vq->size; id++)
		if (vq->inflight[id].ndescs != 0 &&
				(uint16_t)(vq->inflight[id].avail_pos - from) < span)
			n++;
	return n;
}

int
svq_shadow_stop(struct svq_shadow_vq *vq, uint16_t device_last_avail)
{
	uint16_t untouched;
	int lost;

	/* Each call either returns completions or nothing: bounded by the
	 * number in flight. */
	while (svq_shadow_forward_used(vq) != 0)
		;

	/* Every chain the device did not take must still be in flight: one
	 * it completed cannot be offered again. */
	untouched = vq->shadow_avail - device_last_avail;
	if (unlikely(untouched > vq->nb_inflight ||
			svq_shadow_inflight_since(vq, device_last_avail) !=
			untouched)) {
		SVQ_LOG(vring, ERR,
			"%s: device base %u does not match the %u chains in flight; nothing rewound",
			vq->name, device_last_avail, vq->nb_inflight);
		svq_shadow_forget_inflight(vq);
		return -EIO;
	}
	vq->guest_last_avail -= untouched;
	lost = vq->nb_inflight - untouched;
	if (lost != 0)
		SVQ_LOG(vring, WARNING,
			"%s: device stopped with %d chains taken but not completed",
			vq->name, lost);
	svq_shadow_forget_inflight(vq);
	return lost;
}

int
svq_shadow_stop_lost(struct svq_shadow_vq *vq)
{
	const uint16_t mask = vq->size - 1;
	uint16_t i;

	while (svq_shadow_forward_used(vq) != 0)
		;
	for (i = 1; i <= vq->nb_inflight; i++) {
		/* Shared with the device, which may have scribbled on it:
		 * bounded before use. */
		uint16_t head = vq->shadow.avail->ring[(vq->shadow_avail - i) & mask];

		if (head >= vq->size || vq->inflight[head].ndescs == 0) {
			/* completed out of order: which chains it still
			 * held is unknown */
			return svq_shadow_stop(vq, vq->shadow_avail);
		}
	}
	return svq_shadow_stop(vq, vq->shadow_avail - vq->nb_inflight);
}

void
svq_shadow_passthrough_start(struct svq_shadow_vq *vq,
		const struct svq_ring *guest, uint16_t size, uint16_t last_used,
		bool event_idx, int guest_callfd)
{
	svq_shadow_set_guest(vq, guest, last_used, last_used, event_idx,
		guest_callfd);
	vq->size = size;
	vq->fault = SVQ_FAULT_NONE;
	/* No chain is in flight through the relay: each stop forgot them. */
	vq->nb_inflight = 0;
}

uint16_t
svq_shadow_passthrough_used(struct svq_shadow_vq *vq)
{
	uint16_t old_used = vq->guest_used, done;

	/* Written by the device on this lcore, in its poll(); the guest may
	 * scribble on it too, which costs it no more than an interrupt. */
	vq->guest_used = __atomic_load_n(&vq->guest.used->idx, __ATOMIC_RELAXED);
	done = vq->guest_used - old_used;
	if (done == 0)
		return 0;
	vq->stats.used_chains += done;
	svq_guest_call(vq, old_used);
	return done;
}

int
svq_shadow_passthrough_stop(struct svq_shadow_vq *vq,
		uint16_t device_last_avail)
{
	uint16_t in_device;

	svq_shadow_passthrough_used(vq);
	in_device = device_last_avail - vq->guest_used;
	if (unlikely(in_device > vq->size)) {
		SVQ_LOG(vring, ERR,
			"%s: device base %u is %u past used idx %u; ring size %u",
			vq->name, device_last_avail, in_device, vq->guest_used,
			vq->size);
		vq->guest_last_avail = vq->guest_used;
		return -EIO;
	}
	vq->guest_last_avail = device_last_avail;
	if (in_device != 0)
		SVQ_LOG(vring, WARNING,
			"%s: device stopped with %u chains taken but not completed",
			vq->name, in_device);
	return in_device;
}

void
svq_ring_notify_guest(const struct svq_ring *r, uint16_t size, bool event_idx,
		uint16_t next_avail, bool want, const struct svq_dirty_log *log)
{
	struct svq_log_acc acc = { .mask = 0 };
	uint16_t *avail_event = (uint16_t *)&r->used->ring[size];

	/* With EVENT_IDX the guest reads avail_event, which is left behind
	 * when polling: a guest then kicks about once per 64K buffers. */
	if (event_idx) {
		if (!want)
			return;
		__atomic_store_n(avail_event, next_avail, __ATOMIC_RELAXED);
	} else {
		__atomic_store_n(&r->used->flags, want ? 0 : VRING_USED_F_NO_NOTIFY,
				__ATOMIC_RELAXED);
	}
	if (log->bitmap != NULL && log->used_gpa != 0) {
		svq_log_range(log, &acc, log->used_gpa + (event_idx ?
			(uintptr_t)avail_event - (uintptr_t)r->used : 0), 2);
		svq_log_flush(log, &acc);
	}
}

bool
svq_shadow_notify_arm(struct svq_shadow_vq *vq, bool device_calls)
{
	svq_ring_notify_guest(&vq->guest, vq->size, vq->event_idx,
		vq->guest_last_avail, true, &vq->log);
	if (device_calls)
		__atomic_store_n(&vq->shadow.avail->flags, 0, __ATOMIC_RELAXED);
	/* Full barrier: the requests above are visible before we look
	 * again, else a buffer made available (or completed) in between
	 * would wait for the next wake-up; pairs with the guest's and the
	 * device's barrier between publishing and reading the flags. */
	rte_atomic_thread_fence(__ATOMIC_SEQ_CST);
	return __atomic_load_n(&vq->guest.avail->idx, __ATOMIC_RELAXED) !=
			vq->guest_last_avail ||
		__atomic_load_n(&vq->shadow.used->idx, __ATOMIC_RELAXED) !=
			vq->shadow_last_used;
}

void
svq_shadow_notify_disarm(struct svq_shadow_vq *vq)
{
	svq_ring_notify_guest(&vq->guest, vq->size, vq->event_idx,
		vq->guest_last_avail, false, &vq->log);
	__atomic_store_n(&vq->shadow.avail->flags, VRING_AVAIL_F_NO_INTERRUPT,
			__ATOMIC_RELAXED);
}
