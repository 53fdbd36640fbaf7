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
#include "svq_shadow_priv.h"
#include "svq_shadow_sse.h"

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
	rte_free(vq->priv);
	vq->priv = NULL;
	vq->capacity = 0;
}

static int
svq_shadow_reserve(struct svq_shadow_vq *vq, uint16_t size)
{
	if (size <= vq->capacity)
		return 0;
	svq_shadow_free(vq);
	vq->priv = rte_zmalloc("svq_desc_priv", sizeof(*vq->priv) * size,
			RTE_CACHE_LINE_SIZE);
	if (vq->priv == NULL)
		return -ENOMEM;
	vq->capacity = size;
	return 0;
}

static void
svq_shadow_forget_inflight(struct svq_shadow_vq *vq)
{
	memset(vq->priv, 0, sizeof(*vq->priv) * vq->size);
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
	/* virtio 1.2, 2.7: the alignment the ring's fields are read with */
	if ((uintptr_t)guest->desc % 16 != 0 ||
			(uintptr_t)guest->avail % 2 != 0 ||
			(uintptr_t)guest->used % 4 != 0)
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
	vq->mem_hint = 0;
	vq->fault = SVQ_FAULT_NONE;
	svq_shadow_forget_inflight(vq);
	return 0;
}

/* Whether a descriptor is the head of a chain in flight. */
static __rte_always_inline bool
svq_desc_is_head(uint16_t ndescs)
{
	/* 0 (free) and SVQ_DESC_LINKED both wrap to the top two values. */
	return (uint16_t)(ndescs - 1) < SVQ_DESC_LINKED - 1;
}

/* The queue as the forwarding paths see it for a burst, checking buffers
 * against window @p w. */
static __rte_always_inline struct svq_fast
svq_fast_of(const struct svq_shadow_vq *vq, struct svq_window w)
{
	return (struct svq_fast){
		.gdesc = (const volatile union svq_desc_words *)vq->guest.desc,
		.sdesc = (union svq_desc_words *)vq->shadow.desc,
		.priv = vq->priv,
		.w = w,
	};
}

/* Write a validated descriptor, as words, to its private copy @p p and
 * to the shadow table at the same index. */
static __rte_always_inline void
svq_desc_mirror(const struct svq_fast *f, struct svq_desc_priv *p,
		uint32_t idx, uint64_t addr, uint64_t word)
{
	p->copy.word[0] = addr;
	p->copy.word[1] = word;
	f->sdesc[idx].word[0] = addr;
	f->sdesc[idx].word[1] = word;
}

/* What the general path adds to a burst's counts. */
struct svq_burst_acc {
	uint64_t links;		/* descriptors after each chain's head */
	uint64_t bytes;
};

/*
 * The general path: validate the chain starting at @p head and copy it
 * into the shadow descriptor table at the same indices. A descriptor
 * already in flight, including one seen earlier in this chain, is refused:
 * that rejects loops and overlapping chains, and bounds the walk by the
 * ring size. A buffer outside the window is looked for in the whole map.
 */
static __rte_always_inline bool
svq_forward_chain(struct svq_shadow_vq *vq, const struct svq_fast *f,
		uint32_t mask, uint32_t head, uint16_t pos,
		struct svq_burst_acc *acc)
{
	uint64_t writable = 0, bytes = 0;
	bool seen_writable = false;
	uint32_t idx = head;
	uint16_t ndescs = 0;

	for (;;) {
		struct svq_desc_priv *p;
		uint64_t addr, word;
		uint32_t len;
		uint16_t flags;

		if (unlikely(idx > mask)) {
			svq_shadow_set_fault(vq, SVQ_FAULT_GUEST,
				"descriptor index %u out of range (ring size %u)",
				idx, mask + 1);
			return false;
		}
		p = &f->priv[idx];
		if (unlikely(p->state.ndescs != 0)) {
			svq_shadow_set_fault(vq, SVQ_FAULT_GUEST,
				"descriptor %u reused while in flight or chain loops",
				idx);
			return false;
		}
		/* Each word read once: the guest may rewrite them meanwhile. */
		addr = f->gdesc[idx].word[0];
		word = f->gdesc[idx].word[1];
		len = (uint32_t)word;
		flags = word >> 32;
		if (unlikely(flags & VRING_DESC_F_INDIRECT)) {
			svq_shadow_set_fault(vq, SVQ_FAULT_GUEST,
				"indirect descriptor %u, feature not negotiated",
				idx);
			return false;
		}
		if (flags & VRING_DESC_F_WRITE) {
			seen_writable = true;
			writable += len;
		} else if (unlikely(seen_writable)) {
			/* virtio 1.2, 2.7.4.2: readable before writable */
			svq_shadow_set_fault(vq, SVQ_FAULT_GUEST,
				"readable descriptor %u after a writable one", idx);
			return false;
		}
		if (!svq_window_holds(f->w, addr, len) &&
				unlikely(!svq_mem_gpa_range_valid(vq->mem, addr,
						len))) {
			svq_shadow_set_fault(vq, SVQ_FAULT_GUEST,
				"descriptor %u buffer 0x%" PRIx64 "+%u outside guest memory",
				idx, addr, len);
			return false;
		}
		/* Only the flags the device is meant to see. */
		svq_desc_mirror(f, p, idx, addr, word & (SVQ_DESC_WORD_KEEP |
				SVQ_DESC_WORD_FLAGS(VRING_DESC_F_NEXT)));
		/* The head too, until the chain is whole: a loop back to it
		 * is refused like any other. */
		p->state.ndescs = SVQ_DESC_LINKED;
		bytes += len;
		ndescs++;
		if (!(flags & VRING_DESC_F_NEXT))
			break;
		idx = word >> 48;
	}

	f->priv[head].state = (struct svq_desc_state){
		.ndescs = ndescs,
		.avail_pos = pos,
		.writable_len = RTE_MIN(writable, (uint64_t)UINT32_MAX),
	};
	/* Counted once the chain is whole: a refused one adds nothing. */
	acc->links += ndescs - 1;
	acc->bytes += bytes;
	return true;
}

/*
 * Forward chains the general way, taking guest avail entries from @p gidx
 * and posting them at shadow avail entries from @p sidx, until @p n are
 * forwarded, one is refused (the queue faults), or the next looks like a
 * single descriptor, which the fast path may take. A valid single buffer
 * outside window @p w moves the window to its region: the buffers after
 * it are likely there too.
 * @return the number forwarded.
 */
static __rte_noinline uint32_t
svq_forward_chains(struct svq_shadow_vq *vq, struct svq_window *w,
		uint32_t gidx, uint32_t sidx, uint32_t n, struct svq_burst_acc *acc)
{
	/* Counted in a local, which can live in registers. */
	struct svq_burst_acc sum = { 0, 0 };
	const uint32_t mask = vq->size - 1;
	const volatile uint16_t *gavail = vq->guest.avail->ring;
	uint16_t *savail = vq->shadow.avail->ring;
	struct svq_fast f = svq_fast_of(vq, *w);
	uint32_t i;

	for (i = 0; i < n; i++) {
		const uint16_t head = gavail[(gidx + i) & mask];

		if (i != 0 && head <= mask && !(f.gdesc[head].desc.flags &
				(VRING_DESC_F_NEXT | VRING_DESC_F_INDIRECT)))
			break;
		if (unlikely(!svq_forward_chain(vq, &f, mask, head, sidx + i,
				&sum)))
			break;
		savail[(sidx + i) & mask] = head;
		if (f.priv[head].state.ndescs == 1) {
			vq->mem_hint = svq_mem_region_index(vq->mem,
					f.priv[head].copy.word[0],
					vq->mem_hint);
			f.w = svq_window_of(vq->mem, vq->mem_hint);
		}
	}
	*w = f.w;
	acc->links += sum.links;
	acc->bytes += sum.bytes;
	return i;
}

/*
 * Forward the chain at @p head, posted at shadow avail entry @p pos, if
 * it is a single descriptor whose buffer lies in the window; else refuse
 * it and write nothing.
 */
static __rte_always_inline bool
svq_forward_single(const struct svq_fast *f, uint32_t mask, uint32_t head,
		uint16_t pos, uint64_t *bytes)
{
	struct svq_desc_priv *p;
	uint64_t addr, word;
	uint32_t len;

	if (unlikely(head > mask))
		return false;
	p = &f->priv[head];
	if (unlikely(p->state.ndescs != 0))
		return false;
	/* Each word read once: the guest may rewrite them meanwhile. */
	addr = f->gdesc[head].word[0];
	word = f->gdesc[head].word[1];
	len = (uint32_t)word;
	if (unlikely((word >> 32) & (VRING_DESC_F_NEXT | VRING_DESC_F_INDIRECT)))
		return false;
	if (unlikely(!svq_window_holds(f->w, addr, len)))
		return false;
	svq_desc_mirror(f, p, head, addr, word & SVQ_DESC_WORD_KEEP);
	p->state = (struct svq_desc_state){
		.ndescs = 1,
		.avail_pos = pos,
		.writable_len = (word >> 32) & VRING_DESC_F_WRITE ? len : 0,
	};
	*bytes += len;
	return true;
}

/*
 * The fast path: forward chains of one descriptor whose buffer lies in
 * window @p w, taking guest avail entries from @p gidx and posting them at
 * shadow avail entries from @p sidx, until @p n are forwarded or a chain
 * needs the general path. Nothing of a chain it refuses is written. Four
 * at a time up to where either ring wraps or a chain needs a closer look,
 * then one at a time.
 * @return the number forwarded; their bytes are added to @p bytes.
 */
static __rte_always_inline uint32_t
svq_forward_singles(struct svq_shadow_vq *vq, struct svq_window w,
		uint32_t gidx, uint32_t sidx, uint32_t n, uint64_t *bytes)
{
	const uint32_t size = vq->size, mask = size - 1;
	const volatile uint16_t *gavail = vq->guest.avail->ring;
	uint16_t *savail = vq->shadow.avail->ring;
	const struct svq_fast f = svq_fast_of(vq, w);
	uint32_t done = 0;
	uint64_t sum = 0;
#ifdef SVQ_SHADOW_SSE
	if (n >= 4) {
		const uint32_t gi = gidx & mask, si = sidx & mask;
		const uint32_t groups = RTE_MIN(n, RTE_MIN(size - gi,
					size - si)) / 4;

		done = svq_forward_fours(&f, mask, &gavail[gi], &savail[si],
				sidx, groups, &sum);
	}
#endif
	for (; done != n; done++) {
		const uint16_t head = gavail[(gidx + done) & mask];

		if (unlikely(!svq_forward_single(&f, mask, head, sidx + done,
				&sum)))
			break;
		savail[(sidx + done) & mask] = head;
	}
	*bytes += sum;
	return done;
}

uint16_t
svq_shadow_forward_avail(struct svq_shadow_vq *vq)
{
	const struct svq_mem_map *mem = vq->mem;
	struct svq_burst_acc acc = { 0, 0 };
	uint16_t avail_idx, pending, i, last_avail, shadow_avail;
	struct svq_window w;

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

	shadow_avail = vq->shadow_avail;
	pending = RTE_MIN(pending, (uint16_t)SVQ_BURST);
	/* Buffers are checked against the region that held the last one
	 * before the whole map is searched. */
	w = svq_window_of(mem, vq->mem_hint);
	for (i = 0; ; ) {
		i += svq_forward_singles(vq, w, last_avail + i,
				shadow_avail + i, pending - i, &acc.bytes);
		if (i == pending)
			break;
		i += svq_forward_chains(vq, &w, last_avail + i,
				shadow_avail + i, pending - i, &acc);
		if (unlikely(vq->fault != SVQ_FAULT_NONE) || i == pending)
			break;
	}
	if (i == 0)
		return 0;
	vq->guest_last_avail = last_avail + i;
	vq->shadow_avail = shadow_avail + i;
	vq->nb_inflight += i;

	/* Release: shadow descriptors and avail entries are visible to the
	 * device before the new index; pairs with the device's acquire load
	 * of avail->idx. */
	__atomic_store_n(&vq->shadow.avail->idx, shadow_avail + i,
			__ATOMIC_RELEASE);
	vq->stats.avail_chains += i;
	vq->stats.avail_descs += i + acc.links;
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
		const struct svq_desc_priv *priv, uint16_t idx, uint16_t ndescs,
		uint32_t written, struct svq_log_acc acc)
{
	while (ndescs-- > 0 && written != 0) {
		const struct vring_desc *d = &priv[idx].copy.desc;

		if (d->flags & VRING_DESC_F_WRITE) {
			uint32_t n = RTE_MIN(written, d->len);

			svq_log_range(log, &acc, d->addr, n);
			written -= n;
		}
		idx = d->next;
	}
	return acc;
}

/* Free the @p ndescs descriptors of the chain at @p head. */
static __rte_always_inline void
svq_release_links(struct svq_desc_priv *priv, uint16_t head, uint16_t ndescs)
{
	uint16_t idx = head;

	while (ndescs-- > 0) {
		priv[idx].state.ndescs = 0;
		idx = priv[idx].copy.desc.next;
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
 * logging, so the loop tests neither. While logging, the bytes the device
 * wrote are logged as each chain is released: its writable buffers, in
 * order, up to the used length; a one-descriptor chain with bytes written
 * is a writable buffer that holds them all, and needs no walk. Four at a
 * time where neither ring wraps.
 * @return the number returned.
 */
static __rte_always_inline uint16_t
svq_return_used(struct svq_shadow_vq *vq, uint16_t done,
		struct svq_log_acc *acc, const bool logging)
{
	/* The queue's fields in locals: a store to the guest used ring or
	 * to a private record may alias any of them. */
	const uint32_t mask = vq->size - 1;
	svq_u64_unaligned *gring = (svq_u64_unaligned *)vq->guest.used->ring;
	const volatile svq_u64_unaligned *sring =
		(const volatile svq_u64_unaligned *)vq->shadow.used->ring;
	struct svq_desc_priv *priv = vq->priv;
	const struct svq_dirty_log log = vq->log;
	const uint32_t first = vq->shadow_last_used, end = first + done;
	uint32_t last_used = first, guest_used = vq->guest_used;
	uint64_t bytes = 0;
#ifdef SVQ_SHADOW_SSE
	if (done >= 4) {
		/* four at a time up to where either ring wraps */
		const __m128i vmask = _mm_set1_epi32(mask);
		__m128i vbytes = _mm_setzero_si128();
		uint32_t groups = RTE_MIN((uint32_t)done, RTE_MIN(
				mask + 1 - (first & mask),
				mask + 1 - (guest_used & mask))) / 4;

		for (; groups != 0 && svq_return_four(priv, vmask,
				&sring[last_used & mask],
				&gring[guest_used & mask], &vbytes, &log, acc,
				logging); groups--) {
			last_used += 4;
			guest_used += 4;
		}
		bytes = svq_sum_epi64(vbytes);
	}
#endif

	for (; last_used != end; last_used++, guest_used++) {
		/* Read once: the device may rewrite it meanwhile. */
		uint64_t elem = sring[last_used & mask];
		const uint32_t id = (uint32_t)elem;
		uint32_t len = elem >> 32;
		struct svq_desc_priv *p;

		if (unlikely(id > mask ||
				!svq_desc_is_head((p = &priv[id])->state.ndescs))) {
			svq_shadow_set_fault(vq, SVQ_FAULT_DEVICE,
				"completed id %u that was not in flight", id);
			break;
		}
		if (unlikely(len > p->state.writable_len)) {
			/* The guest must not be told more bytes were written
			 * than its buffers hold. */
			vq->stats.device_errors++;
			len = p->state.writable_len;
			elem = id | (uint64_t)len << 32;
		}
		if (likely(p->state.ndescs == 1)) {
			if (logging && len != 0)
				svq_log_range_nonempty(&log, acc,
					p->copy.desc.addr, len);
			p->state = (struct svq_desc_state){ 0 };
		} else {
			if (logging && len != 0)
				*acc = svq_log_written_chain(&log, priv, id,
						p->state.ndescs, len, *acc);
			svq_release_links(priv, id, p->state.ndescs);
		}
		gring[guest_used & mask] = elem;
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
		if (svq_desc_is_head(vq->priv[id].state.ndescs) &&
				(uint16_t)(vq->priv[id].state.avail_pos - from) < span)
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

		if (head >= vq->size || !svq_desc_is_head(vq->priv[head].state.ndescs)) {
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
