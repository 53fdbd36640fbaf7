/* SPDX-License-Identifier: BSD-3-Clause */

/*
 * Driver side of a split virtqueue.
 *
 * Threat model: the used ring and the avail_event field are written by the
 * backend under test. The used index is bounded by the ring size, every
 * used id must be the head of a chain in flight, and a used length is
 * checked against what the chain offered; violations are counted and the
 * entry is dropped, never trusted.
 */

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include "fe_util.h"
#include "fe_vring.h"

_Static_assert(__BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__,
	"the driver model writes virtio's little-endian fields natively");
_Static_assert(sizeof(struct fe_vring_desc) == 16, "descriptor layout");

#define FE_AVAIL_FLAGS	0
#define FE_AVAIL_IDX	1
#define FE_AVAIL_RING	2

static inline uint16_t *
fe_used_idx_ptr(const struct fe_vring *vr)
{
	return (uint16_t *)(vr->used + 2);
}

static inline uint16_t *
fe_used_flags_ptr(const struct fe_vring *vr)
{
	return (uint16_t *)vr->used;
}

static inline uint16_t *
fe_avail_event_ptr(const struct fe_vring *vr)
{
	return (uint16_t *)(vr->used + 4 + 8u * vr->size);
}

static inline uint16_t *
fe_used_event_ptr(const struct fe_vring *vr)
{
	return &vr->avail[FE_AVAIL_RING + vr->size];
}

int
fe_vring_init(struct fe_vring *vr, struct fe_mem *mem, uint16_t index,
		uint16_t size, uint32_t slot_size, bool event_idx)
{
	uint16_t i;

	memset(vr, 0, sizeof(*vr));
	vr->kickfd = -1;
	vr->callfd = -1;
	if (size == 0 || (size & (size - 1)) != 0)
		return -EINVAL;
	vr->index = index;
	vr->size = size;
	vr->mem = mem;
	vr->event_idx = event_idx;
	vr->slot_size = slot_size;
	/* Page-aligned parts, as a legacy-minded backend may expect. */
	vr->desc_off = fe_mem_alloc(mem, FE_VRING_DESC_SIZE(size), 4096);
	vr->avail_off = fe_mem_alloc(mem, FE_VRING_AVAIL_SIZE(size), 4096);
	vr->used_off = fe_mem_alloc(mem, FE_VRING_USED_SIZE(size), 4096);
	vr->slot_off = fe_mem_alloc(mem, (uint64_t)slot_size * size, 4096);
	if (vr->desc_off == UINT64_MAX || vr->avail_off == UINT64_MAX ||
			vr->used_off == UINT64_MAX || vr->slot_off == UINT64_MAX)
		return -ENOMEM;
	vr->desc = fe_mem_off_to_va(mem, vr->desc_off);
	vr->avail = fe_mem_off_to_va(mem, vr->avail_off);
	vr->used = fe_mem_off_to_va(mem, vr->used_off);

	vr->next = calloc(size, sizeof(*vr->next));
	vr->chain_len = calloc(size, sizeof(*vr->chain_len));
	vr->chain_wlen = calloc(size, sizeof(*vr->chain_wlen));
	vr->busy = calloc(size, sizeof(*vr->busy));
	if (vr->next == NULL || vr->chain_len == NULL ||
			vr->chain_wlen == NULL || vr->busy == NULL)
		goto nomem;
	for (i = 0; i < size; i++)
		vr->next[i] = (uint16_t)(i + 1);
	vr->free_head = 0;
	vr->num_free = size;

	vr->kickfd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	vr->callfd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	if (vr->kickfd < 0 || vr->callfd < 0) {
		int err = errno;

		fe_vring_fini(vr);
		return -err;
	}
	return 0;
nomem:
	fe_vring_fini(vr);
	return -ENOMEM;
}

void
fe_vring_fini(struct fe_vring *vr)
{
	free(vr->next);
	free(vr->chain_len);
	free(vr->chain_wlen);
	free(vr->busy);
	vr->next = NULL;
	vr->chain_len = NULL;
	vr->chain_wlen = NULL;
	vr->busy = NULL;
	if (vr->kickfd >= 0)
		close(vr->kickfd);
	if (vr->callfd >= 0)
		close(vr->callfd);
	vr->kickfd = -1;
	vr->callfd = -1;
}

uint64_t
fe_vring_desc_gpa(const struct fe_vring *vr)
{
	return fe_mem_off_to_gpa(vr->mem, vr->desc_off);
}

int
fe_vring_peek_head(const struct fe_vring *vr)
{
	return vr->num_free == 0 ? -1 : vr->free_head;
}

int
fe_vring_add(struct fe_vring *vr, const struct fe_seg *segs, unsigned int n)
{
	uint16_t head, idx;
	uint32_t wlen = 0;
	unsigned int i;

	if (vr->tainted)
		return -EPERM;
	if (n == 0 || n > vr->size)
		return -EINVAL;
	if (n > vr->num_free)
		return -ENOSPC;
	head = vr->free_head;
	idx = head;
	for (i = 0; i < n; i++) {
		struct fe_vring_desc *d = &vr->desc[idx];

		d->addr = segs[i].gpa;
		d->len = segs[i].len;
		d->flags = segs[i].write ? FE_VRING_DESC_F_WRITE : 0;
		if (segs[i].write)
			wlen += segs[i].len;
		idx = vr->next[idx];
		if (i + 1 < n) {
			d->flags |= FE_VRING_DESC_F_NEXT;
			d->next = idx;
		} else {
			d->next = 0;
		}
	}
	vr->free_head = idx;
	vr->num_free -= (uint16_t)n;
	vr->busy[head] = true;
	vr->chain_len[head] = (uint16_t)n;
	vr->chain_wlen[head] = wlen;
	vr->avail[FE_AVAIL_RING + (vr->avail_idx & (vr->size - 1))] = head;
	vr->avail_idx++;
	vr->st.added++;
	return head;
}

void
fe_vring_publish(struct fe_vring *vr)
{
	/* Release: descriptors and the avail entry are visible before the
	 * index that hands them over; pairs with the device's acquire load
	 * of avail->idx. */
	__atomic_store_n(&vr->avail[FE_AVAIL_IDX], vr->avail_idx,
		__ATOMIC_RELEASE);
}

void
fe_vring_kick(struct fe_vring *vr, bool force)
{
	uint16_t new_idx = vr->avail_idx;
	uint16_t old_idx = vr->kicked_idx;
	uint64_t one = 1;
	bool need;

	/* Full barrier: our avail->idx store must be visible before we read
	 * the device's suppression state, or we and a device going to sleep
	 * could each miss the other's update (spec 2.7.13). */
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
	if (vr->event_idx) {
		uint16_t event = __atomic_load_n(fe_avail_event_ptr(vr),
			__ATOMIC_RELAXED);

		/* Kick if avail_event lies in (old_idx, new_idx]. */
		need = (uint16_t)(new_idx - event - 1) <
			(uint16_t)(new_idx - old_idx);
	} else {
		need = !(__atomic_load_n(fe_used_flags_ptr(vr),
			__ATOMIC_RELAXED) & FE_VRING_USED_F_NO_NOTIFY);
	}
	vr->kicked_idx = new_idx;
	if (!need && !force && !vr->kick_always) {
		vr->st.kicks_suppressed++;
		return;
	}
	if (write(vr->kickfd, &one, sizeof(one)) == sizeof(one))
		vr->st.kicks++;
}

uint16_t
fe_vring_used_idx(const struct fe_vring *vr)
{
	/* Acquire: the used entries before this index are read after it;
	 * pairs with the device's release store of used->idx. */
	return __atomic_load_n(fe_used_idx_ptr(vr), __ATOMIC_ACQUIRE);
}

uint16_t
fe_vring_pending(const struct fe_vring *vr)
{
	uint16_t n = (uint16_t)(fe_vring_used_idx(vr) - vr->last_used);

	return n > vr->size ? 0 : n;
}

static void
fe_vring_free_chain(struct fe_vring *vr, uint16_t head)
{
	uint16_t idx = head, n = vr->chain_len[head], i;

	/* Walk our private links, not desc->next, which the device could
	 * have scribbled on. */
	for (i = 1; i < n; i++)
		idx = vr->next[idx];
	vr->next[idx] = vr->free_head;
	vr->free_head = head;
	vr->num_free += n;
	vr->busy[head] = false;
}

int
fe_vring_get_used(struct fe_vring *vr, uint16_t *head, uint32_t *len)
{
	const struct fe_vring_used_elem *e;
	uint16_t used_idx = fe_vring_used_idx(vr);
	uint16_t n = (uint16_t)(used_idx - vr->last_used);
	uint32_t id, l;

	if (n == 0 || vr->broken)
		return 0;
	if (n > vr->size) {
		/* The device claims more completions than the ring holds:
		 * nothing in it can be believed any more. */
		vr->st.bad_idx++;
		vr->broken = true;
		FE_LOG("vring %u: used idx %u is %u ahead of %u (size %u)",
			vr->index, used_idx, n, vr->last_used, vr->size);
		return -EPROTO;
	}
	e = (const struct fe_vring_used_elem *)(vr->used + 4) +
		(vr->last_used & (vr->size - 1));
	id = e->id;
	l = e->len;
	vr->last_used++;
	/* Ask for a call when the device publishes the next entry (not
	 * while polling: see fe_vring_set_calls). */
	if (vr->event_idx && !vr->no_calls)
		__atomic_store_n(fe_used_event_ptr(vr), vr->last_used,
			__ATOMIC_RELAXED);
	if (vr->tainted) {
		vr->st.raw_used++;
		*head = (uint16_t)id;
		*len = l;
		return 1;
	}
	if (id >= vr->size || !vr->busy[id]) {
		vr->st.bad_id++;
		FE_LOG("vring %u: used id %u was not in flight", vr->index, id);
		return -EPROTO;
	}
	if (l > vr->chain_wlen[id]) {
		vr->st.bad_len++;
		FE_LOG("vring %u: used len %u > %u writable (id %u)",
			vr->index, l, vr->chain_wlen[id], id);
		l = vr->chain_wlen[id];
	}
	fe_vring_free_chain(vr, (uint16_t)id);
	vr->st.used++;
	*head = (uint16_t)id;
	*len = l;
	return 1;
}

void
fe_vring_set_calls(struct fe_vring *vr, bool on)
{
	uint16_t flags = on ? 0 : FE_VRING_AVAIL_F_NO_INTERRUPT;

	vr->no_calls = !on;
	/* With EVENT_IDX the flags must stay 0 (spec 2.7.7): the event
	 * index alone says, and the device calls when its used index moves
	 * past it. last_used - 1 lies behind every index the device can
	 * publish from now on; left there (as Linux does while polling) it
	 * comes round again only after 65536 entries, one call at most.
	 * Relaxed stores, as for every suppression field: the device reads
	 * them racily by design. */
	if (vr->event_idx) {
		flags = 0;
		__atomic_store_n(fe_used_event_ptr(vr),
			(uint16_t)(vr->last_used - vr->no_calls),
			__ATOMIC_RELAXED);
	}
	__atomic_store_n(&vr->avail[FE_AVAIL_FLAGS], flags, __ATOMIC_RELAXED);
}

uint64_t
fe_vring_clear_call(struct fe_vring *vr)
{
	uint64_t v = 0;

	if (read(vr->callfd, &v, sizeof(v)) != sizeof(v))
		return 0;
	vr->st.calls += v;
	return v;
}

int
fe_vring_raw_desc(struct fe_vring *vr, uint16_t idx, uint64_t addr,
		uint32_t len, uint16_t flags, uint16_t next)
{
	struct fe_vring_desc *d;

	if (idx >= vr->size)
		return -EINVAL;
	vr->tainted = true;
	d = &vr->desc[idx];
	d->addr = addr;
	d->len = len;
	d->flags = flags;
	d->next = next;
	return 0;
}

void
fe_vring_raw_avail(struct fe_vring *vr, uint16_t head)
{
	vr->tainted = true;
	vr->avail[FE_AVAIL_RING + (vr->avail_idx & (vr->size - 1))] = head;
	vr->avail_idx++;
	fe_vring_publish(vr);
}

void
fe_vring_raw_avail_idx(struct fe_vring *vr, uint16_t idx)
{
	vr->tainted = true;
	vr->avail_idx = idx;
	fe_vring_publish(vr);
}
