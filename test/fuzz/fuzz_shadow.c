/* SPDX-License-Identifier: BSD-3-Clause */

/*
 * Fuzz target: the shadow split virtqueue (svq_shadow.c) and guest memory
 * translation (svq_mem.c), between a hostile guest and a hostile device.
 *
 * Input: a memory map (up to five buffer regions of odd sizes anywhere in
 * the 64-bit guest-physical space, the three guest rings as regions of
 * their own), the ring size, the vring base, the dirty log, then
 * operations: the guest writes descriptors and avail entries (valid
 * chains or anything), the device takes shadow avail entries and
 * completes them (honestly, with any length, or with any id and index),
 * the relay forwards either way, stops at any device base and restarts,
 * switches to passthrough and back; translations are asked directly.
 *
 * Memory: every region, ring and the dirty bitmap sits against a
 * PROT_NONE guard page; the buffer regions are PROT_NONE altogether, as
 * the relay never touches a guest buffer (zero copy). Any access outside
 * what the relay was given faults. The relay-private arrays come from
 * rte_zmalloc, redirected to malloc (-Wl,--wrap) so AddressSanitizer
 * bounds them: no EAL is needed.
 *
 * Properties, besides no fault and no sanitizer report:
 *  - a chain the relay forwards is valid (indices in range, no loop, no
 *    descriptor already in flight, no indirect, readable before writable,
 *    every buffer in guest memory by an independent check) and mirrored
 *    exactly; a chain it refuses is invalid by the same check;
 *  - a used id the relay returns is a head it took and did not return
 *    yet, with the device's length clamped to the chain's writable bytes;
 *  - with logging, the bitmap holds exactly the pages written and the
 *    used ring entries;
 *  - nb_inflight <= ring size, and avail taken - used returned equals
 *    the chains in flight plus the chains lost at earlier stops;
 *  - svq_shadow_stop gives back exactly the chains the device did not
 *    take, none it completed; passthrough stops likewise.
 */

#include <errno.h>
#include <sys/eventfd.h>
#include <sys/mman.h>
#include <unistd.h>

#include <rte_common.h>
#include <rte_log.h>

#include "fuzz_input.h"
#include "svq_mem.h"
#include "svq_shadow.h"

#define FZ_PAGE 4096u
#define FZ_SIZE_MAX 1024	/* largest ring tried: the walks stay fast */
#define FZ_BUF_REGIONS_MAX 5
#define FZ_REGION_MAX (16u << 20)
#define FZ_LOG_PAGES_MAX 65536
#define FZ_ARENA (FZ_BUF_REGIONS_MAX * (FZ_REGION_MAX + 2 * FZ_PAGE) + (4u << 20))

enum { FZ_DESC, FZ_AVAIL, FZ_USED, FZ_RINGS };

/* Header flags. */
#define FZ_F_RINGS_FIRST 0x01
#define FZ_F_EVENT_IDX	0x02
#define FZ_F_CALLFD	0x04
#define FZ_F_LOG	0x08
#define FZ_F_LOG_USED	0x10

enum fz_op {
	FZ_OP_DESC,		/* the guest writes any descriptor */
	FZ_OP_CHAIN,		/* the guest writes a valid chain and posts it */
	FZ_OP_POST,		/* the guest posts any head */
	FZ_OP_SCRIBBLE,		/* the guest writes any avail field */
	FZ_OP_AVAIL,		/* the relay forwards avail chains */
	FZ_OP_TAKE,		/* the device takes shadow avail entries */
	FZ_OP_COMPLETE,		/* the device completes one it took */
	FZ_OP_HOSTILE,		/* the device writes any used entry or index */
	FZ_OP_USED,		/* the relay forwards completions */
	FZ_OP_STOP,		/* stop at a device base and restart */
	FZ_OP_SWITCH,		/* stop and restart in the other mode */
	FZ_OP_LOG,		/* logging on or off */
	FZ_OP_GPA,		/* translate a guest-physical range */
	FZ_OP_HVA,		/* translate a host range back */
	FZ_OP_KICK,		/* the device sets NO_NOTIFY or not */
	FZ_OP_MAX
};

struct fz_head {
	bool taken;		/* forwarded by the relay, not returned */
	uint16_t pos;		/* the shadow avail entry it was posted in */
	uint16_t ndescs;
	uint64_t writable;
};

struct fz {
	struct fz_in in;
	uint8_t *arena, *next;	/* carved from the low end up */
	struct svq_mem_map map;
	uint32_t nbuf;
	struct svq_ring guest;
	uint16_t size, mask;
	void *shadow_mem;
	struct svq_dirty_log log;
	uint64_t *expect;	/* the bitmap the relay should write */
	bool logging;
	bool event_idx;
	int callfd;
	struct svq_shadow_vq vq;
	bool passthrough;

	uint16_t avail_idx;	/* guest: next avail entry it posts */
	/* model of what the relay holds */
	struct fz_head head[FZ_SIZE_MAX];
	bool busy[FZ_SIZE_MAX];
	struct vring_desc snap[FZ_SIZE_MAX];	/* descriptors as taken */
	uint16_t pos_head[FZ_SIZE_MAX];		/* shadow avail position -> head */
	uint16_t shadow_pos;	/* chains forwarded since start */
	uint16_t inflight;
	uint16_t lost;		/* taken, never returned: earlier stops */
	/* device */
	uint16_t dev_avail, dev_used;
	uint16_t dev_q[FZ_SIZE_MAX];	/* heads it took, not completed */
	uint16_t dev_n;
};

static int fz_callfd = -1;

/* ---- relay-private memory: malloc, so ASan bounds it ---------------- */

void *__wrap_rte_zmalloc(const char *type, size_t size, unsigned int align);
void __wrap_rte_free(void *p);

void *
__wrap_rte_zmalloc(const char *type, size_t size, unsigned int align)
{
	void *p;

	RTE_SET_USED(type);
	if (posix_memalign(&p, RTE_MAX(align, (unsigned int)sizeof(void *)),
			size) != 0)
		return NULL;
	return memset(p, 0, size);
}

void
__wrap_rte_free(void *p)
{
	free(p);
}

/* ---- memory ---------------------------------------------------------- */

/*
 * @p len bytes aligned to @p align with their end against a guard page
 * (up to align - 1 bytes of slack), a guard page before them too.
 */
static void *
fz_carve(struct fz *f, size_t len, size_t align, bool rw)
{
	size_t span = RTE_ALIGN_CEIL(len, FZ_PAGE);
	uint8_t *start = f->next + FZ_PAGE;

	f->next = start + span;
	if (rw && span != 0 && mprotect(start, span, PROT_READ | PROT_WRITE) != 0)
		abort();
	return start + span - RTE_ALIGN_CEIL(len, align);
}

static uint64_t
fz_region_gpa(struct fz *f, uint64_t size)
{
	const struct svq_mem_region *prev = f->map.nregions ?
		&f->map.regions[f->map.nregions - 1] : NULL;

	switch (fz_u8(&f->in) % 4) {
	case 0:	/* right after the previous one: buffers may straddle */
		return prev != NULL ? prev->gpa + prev->size : 0;
	case 1:	/* low: under the dirty bitmap */
		return fz_u32(&f->in) % (FZ_LOG_PAGES_MAX * (uint64_t)FZ_PAGE);
	case 2:
		return fz_u64(&f->in);
	default: /* against the top of the address space */
		return 0 - size - fz_u16(&f->in);
	}
}

static void
fz_add_region(struct fz *f, void *hva, uint64_t size)
{
	struct svq_mem_region *r = &f->map.regions[f->map.nregions];

	r->gpa = fz_region_gpa(f, size);
	/* The port refuses a region that wraps past 2^64; one may end there. */
	if (r->gpa > 0 - size)
		r->gpa = 0 - size;
	r->size = size;
	r->hva = (uintptr_t)hva;
	r->fd = -1;
	f->map.nregions++;
}

static void
fz_add_buffers(struct fz *f)
{
	uint32_t i;

	for (i = 0; i < f->nbuf; i++) {
		uint32_t size = 1 + fz_u32(&f->in) % FZ_REGION_MAX;

		fz_add_region(f, fz_carve(f, size, 1, false), size);
	}
}

static void
fz_add_rings(struct fz *f)
{
	uint16_t n = f->size;

	/* avail: flags, idx, ring, used_event; used: flags, idx, ring,
	 * avail_event */
	f->guest.desc = fz_carve(f, sizeof(struct vring_desc) * n, 16, true);
	fz_add_region(f, f->guest.desc, sizeof(struct vring_desc) * n);
	f->guest.avail = fz_carve(f, 2 * (3 + n), 2, true);
	fz_add_region(f, f->guest.avail, 2 * (3 + n));
	f->guest.used = fz_carve(f, 6 + 8 * n, 4, true);
	fz_add_region(f, f->guest.used, 6 + 8 * n);
}

/* Whether every byte of [gpa, gpa + len) is guest memory; written apart
 * from svq_mem.c: follow, from each address, the region that reaches
 * furthest. A zero-length buffer may sit at the end of a region. */
static bool
fz_covered(const struct svq_mem_map *m, uint64_t gpa, uint64_t len)
{
	uint32_t i;

	for (;;) {
		uint64_t reach = 0;

		for (i = 0; i < m->nregions; i++) {
			const struct svq_mem_region *r = &m->regions[i];

			if (gpa < r->gpa || gpa - r->gpa > r->size)
				continue;
			if (len == 0)
				return true;
			reach = RTE_MAX(reach, r->size - (gpa - r->gpa));
		}
		if (reach == 0)
			return false;
		if (reach >= len)
			return true;
		/* A buffer does not wrap around the address space. */
		if (gpa + reach < gpa || gpa + reach == 0)
			return false;
		gpa += reach;
		len -= reach;
	}
}

static void
fz_dump_map(const struct svq_mem_map *m)
{
	uint32_t i;

	for (i = 0; i < m->nregions; i++)
		fprintf(stderr, "region %u: gpa 0x%" PRIx64 " size 0x%" PRIx64 "\n",
			i, m->regions[i].gpa, m->regions[i].size);
}

static uint64_t
fz_addr(struct fz *f)
{
	const struct svq_mem_region *r =
		&f->map.regions[fz_u8(&f->in) % f->map.nregions];

	switch (fz_u8(&f->in) % 4) {
	case 0:
		return fz_u64(&f->in);
	case 1:
		return r->gpa + fz_u32(&f->in) % (r->size + 1);
	case 2:
		return r->gpa + r->size - fz_u8(&f->in) % 16;
	default:
		return r->gpa - 1 - fz_u8(&f->in) % 8;
	}
}

static uint32_t
fz_len(struct fz *f)
{
	switch (fz_u8(&f->in) % 3) {
	case 0:
		return fz_u8(&f->in);
	case 1:
		return fz_u16(&f->in);
	default:
		return fz_u32(&f->in);
	}
}

/* ---- the model ------------------------------------------------------- */

static void
fz_invariants(struct fz *f)
{
	const struct svq_shadow_vq *vq = &f->vq;

	FZ_CHECK(vq->nb_inflight <= vq->size, "%u chains in flight, ring size %u",
		vq->nb_inflight, vq->size);
	if (f->passthrough) {
		FZ_CHECK(vq->nb_inflight == 0, "chains in flight in passthrough");
		return;
	}
	FZ_CHECK(vq->nb_inflight == f->inflight, "relay counts %u in flight, %u forwarded",
		vq->nb_inflight, f->inflight);
	FZ_CHECK((uint16_t)(vq->guest_last_avail - vq->guest_used) ==
		(uint16_t)(f->lost + f->inflight),
		"avail %u - used %u is not %u in flight + %u lost",
		vq->guest_last_avail, vq->guest_used, f->inflight, f->lost);
}

/* Whether the chain at @p head is one a driver may post, by the rules
 * the relay enforces; nothing is marked. */
static bool
fz_chain_valid(struct fz *f, uint16_t head)
{
	static bool seen[FZ_SIZE_MAX];
	bool ok = false, writable = false;
	uint16_t idx = head, n;

	memset(seen, 0, f->size);
	for (n = 0; n <= f->size && idx < f->size; n++) {
		const struct vring_desc *d = &f->guest.desc[idx];

		if (f->busy[idx] || seen[idx] ||
				(d->flags & VRING_DESC_F_INDIRECT) ||
				(writable && !(d->flags & VRING_DESC_F_WRITE)) ||
				!fz_covered(&f->map, d->addr, d->len))
			break;
		seen[idx] = true;
		writable = d->flags & VRING_DESC_F_WRITE;
		if (!(d->flags & VRING_DESC_F_NEXT)) {
			ok = true;
			break;
		}
		idx = d->next;
	}
	return ok;
}

/* The relay took the chain at @p head: check the mirror, record it. */
static void
fz_took(struct fz *f, uint16_t head)
{
	struct fz_head *h = &f->head[head];
	uint16_t idx = head;

	FZ_CHECK(head < f->size, "forwarded head %u, ring size %u", head, f->size);
	FZ_CHECK(!h->taken, "head %u forwarded twice", head);
	FZ_CHECK(fz_chain_valid(f, head), "forwarded an invalid chain at %u", head);
	FZ_CHECK(f->vq.shadow.avail->ring[f->shadow_pos & f->mask] == head,
		"shadow avail %u is not head %u", f->shadow_pos, head);
	h->taken = true;
	h->pos = f->shadow_pos;
	h->ndescs = 0;
	h->writable = 0;
	for (;;) {
		const struct vring_desc *g = &f->guest.desc[idx];
		const struct vring_desc *s = &f->vq.shadow.desc[idx];

		FZ_CHECK(s->addr == g->addr && s->len == g->len &&
			s->next == g->next &&
			s->flags == (g->flags & (VRING_DESC_F_NEXT | VRING_DESC_F_WRITE)),
			"shadow descriptor %u is not the guest's", idx);
		f->snap[idx] = *s;
		f->busy[idx] = true;
		h->ndescs++;
		if (s->flags & VRING_DESC_F_WRITE)
			h->writable += s->len;
		if (!(s->flags & VRING_DESC_F_NEXT))
			break;
		idx = s->next;
	}
	h->writable = RTE_MIN(h->writable, (uint64_t)UINT32_MAX);
	f->pos_head[f->shadow_pos & f->mask] = head;
	f->shadow_pos++;
	f->inflight++;
}

static void
fz_forward_avail(struct fz *f)
{
	uint16_t last = f->vq.guest_last_avail;
	uint16_t avail_idx = f->guest.avail->idx;
	uint16_t pending = RTE_MIN((uint16_t)(avail_idx - last), (uint16_t)SVQ_BURST);
	bool jumped = (uint16_t)(avail_idx - f->vq.guest_used) > f->size;
	bool faulted = f->vq.fault != SVQ_FAULT_NONE;
	uint16_t n = svq_shadow_forward_avail(&f->vq), i;

	FZ_CHECK(f->vq.guest_last_avail == (uint16_t)(last + n),
		"forwarded %u but avail moved by %u", n,
		(uint16_t)(f->vq.guest_last_avail - last));
	for (i = 0; i < n; i++)
		fz_took(f, f->guest.avail->ring[(uint16_t)(last + i) & f->mask]);
	FZ_CHECK(f->vq.shadow.avail->idx == f->shadow_pos,
		"shadow avail idx %u, %u forwarded", f->vq.shadow.avail->idx,
		f->shadow_pos);
	if (faulted || pending == 0 || n == pending)
		return;
	/* Stopped short: the guest must be at fault, with this chain or
	 * with its index. */
	FZ_CHECK(f->vq.fault == SVQ_FAULT_GUEST, "forwarded %u of %u, no fault",
		n, pending);
	if (n == 0 && jumped)
		return;
	FZ_CHECK(!fz_chain_valid(f,
		f->guest.avail->ring[(uint16_t)(last + n) & f->mask]),
		"refused a valid chain at avail %u", (uint16_t)(last + n));
}

static void
fz_expect_range(struct fz *f, uint64_t gpa, uint64_t len)
{
	uint64_t page;

	if (len == 0)
		return;
	for (page = gpa / FZ_PAGE; page <= (gpa + len - 1) / FZ_PAGE &&
			page < f->log.nr_pages; page++)
		f->expect[page / 64] |= UINT64_C(1) << (page % 64);
}

/* The guest used entries [from, to) the relay wrote: check, release. */
static void
fz_returned(struct fz *f, uint16_t from, uint16_t to, uint16_t dev_from)
{
	uint16_t pos;

	for (pos = from; pos != to; pos++, dev_from++) {
		const struct vring_used_elem *e = &f->guest.used->ring[pos & f->mask];
		const struct vring_used_elem *d =
			&f->vq.shadow.used->ring[dev_from & f->mask];
		struct fz_head *h;
		uint64_t written;
		uint16_t idx, n;

		FZ_CHECK(e->id < f->size && f->head[e->id].taken,
			"returned id %u that was not made available", e->id);
		h = &f->head[e->id];
		FZ_CHECK(e->id == d->id && e->len == RTE_MIN(d->len, h->writable),
			"returned {%u, %u} for the device's {%u, %u}, %" PRIu64 " writable",
			e->id, e->len, d->id, d->len, h->writable);
		written = e->len;
		for (idx = e->id, n = 0; n < h->ndescs; n++) {
			const struct vring_desc *s = &f->snap[idx];

			if (s->flags & VRING_DESC_F_WRITE) {
				fz_expect_range(f, s->addr, RTE_MIN(written, (uint64_t)s->len));
				written -= RTE_MIN(written, (uint64_t)s->len);
			}
			f->busy[idx] = false;
			idx = s->next;
		}
		if (f->log.used_gpa != 0)
			fz_expect_range(f, f->log.used_gpa + 4 + 8 * (uint64_t)(pos & f->mask), 8);
		h->taken = false;
		f->inflight--;
	}
	if (from != to && f->log.used_gpa != 0)
		fz_expect_range(f, f->log.used_gpa + 2, 2);
}

static void
fz_log_clear(struct fz *f)
{
	size_t bytes = sizeof(uint64_t) * ((f->log.nr_pages + 63) / 64);

	if (f->logging) {
		memset(f->log.bitmap, 0, bytes);
		memset(f->expect, 0, bytes);
	}
}

static void
fz_log_check(struct fz *f)
{
	size_t bytes = sizeof(uint64_t) * ((f->log.nr_pages + 63) / 64);

	FZ_CHECK(!f->logging || memcmp(f->log.bitmap, f->expect, bytes) == 0,
		"dirty bitmap is not the pages written");
}

static void
fz_forward_used(struct fz *f)
{
	uint16_t from = f->vq.guest_used, dev_from = f->vq.shadow_last_used, n;

	fz_log_clear(f);
	n = svq_shadow_forward_used(&f->vq);
	FZ_CHECK(f->guest.used->idx == (uint16_t)(from + n) &&
		f->vq.guest_used == (uint16_t)(from + n),
		"returned %u, used idx moved by %u", n,
		(uint16_t)(f->guest.used->idx - from));
	fz_returned(f, from, f->vq.guest_used, dev_from);
	fz_log_check(f);
}

static void
fz_start_shadow(struct fz *f, uint16_t last_avail, uint16_t last_used)
{
	if (svq_shadow_start(&f->vq, &f->guest, f->size, f->shadow_mem, &f->map,
			last_avail, last_used, f->event_idx, f->callfd) != 0)
		abort();
	svq_shadow_set_log(&f->vq, f->logging ? &f->log : NULL);
	f->passthrough = false;
	memset(f->head, 0, sizeof(f->head[0]) * f->size);
	memset(f->busy, 0, sizeof(f->busy[0]) * f->size);
	f->shadow_pos = 0;
	f->inflight = 0;
	f->lost = last_avail - last_used;
	f->dev_avail = f->dev_used = 0;
	f->dev_n = 0;
}

/* Stop at @p base; the vring base is then the relay's. */
static void
fz_stop(struct fz *f, uint16_t base)
{
	struct svq_shadow_vq *vq = &f->vq;
	uint16_t last = vq->guest_last_avail, from = vq->guest_used;
	uint16_t dev_from = vq->shadow_last_used, untouched, k;
	int ret;

	if (f->passthrough) {
		ret = svq_shadow_passthrough_stop(vq, base);
		if ((uint16_t)(base - vq->guest_used) > f->size)
			FZ_CHECK(ret == -EIO && vq->guest_last_avail == vq->guest_used,
				"passthrough stop at an impossible base %u: %d", base, ret);
		else
			FZ_CHECK(ret == (uint16_t)(base - vq->guest_used) &&
				vq->guest_last_avail == base,
				"passthrough stop at %u: %d, avail %u used %u", base,
				ret, vq->guest_last_avail, vq->guest_used);
		return;
	}
	fz_log_clear(f);
	ret = svq_shadow_stop(vq, base);
	fz_returned(f, from, vq->guest_used, dev_from);
	fz_log_check(f);
	untouched = f->shadow_pos - base;
	for (k = 1; k <= untouched && k <= f->size; k++) {
		uint16_t pos = f->shadow_pos - k;
		const struct fz_head *h = &f->head[f->pos_head[pos & f->mask]];

		if (!h->taken || h->pos != pos)
			break;
	}
	/* What is given back is offered again: a base that would give back
	 * a chain the device completed is impossible. */
	if (untouched > f->inflight || k <= untouched) {
		FZ_CHECK(ret == -EIO && vq->guest_last_avail == last,
			"stop at an impossible base %u: %d, avail %u -> %u", base,
			ret, last, vq->guest_last_avail);
		return;
	}
	FZ_CHECK(ret == f->inflight - untouched &&
		vq->guest_last_avail == (uint16_t)(last - untouched),
		"stop at %u: %d lost, avail %u -> %u, %u in flight", base, ret,
		last, vq->guest_last_avail, f->inflight);
}

static void
fz_restart(struct fz *f, bool passthrough)
{
	struct svq_shadow_vq *vq = &f->vq;

	/* As the port does: passthrough only from a ring with nothing lost. */
	if (passthrough && vq->guest_last_avail == vq->guest_used) {
		svq_shadow_passthrough_start(vq, &f->guest, f->size, vq->guest_used,
			f->event_idx, f->callfd);
		f->passthrough = true;
		f->inflight = 0;
		return;
	}
	fz_start_shadow(f, vq->guest_last_avail, vq->guest_used);
}

/* ---- the device ------------------------------------------------------ */

static void
fz_dev_take(struct fz *f, uint8_t want)
{
	const struct vring_avail *a = f->vq.shadow.avail;

	while (want-- > 0 && f->dev_avail != a->idx && f->dev_n < f->size) {
		uint16_t head = a->ring[f->dev_avail & f->mask];

		FZ_CHECK(head < f->size, "shadow avail names head %u", head);
		f->dev_q[f->dev_n++] = head;
		f->dev_avail++;
	}
}

static void
fz_dev_used(struct fz *f, uint32_t id, uint32_t len)
{
	struct vring_used *u = f->vq.shadow.used;

	u->ring[f->dev_used & f->mask].id = id;
	u->ring[f->dev_used & f->mask].len = len;
	f->dev_used++;
	__atomic_store_n(&u->idx, f->dev_used, __ATOMIC_RELEASE);
}

static void
fz_dev_complete(struct fz *f)
{
	uint8_t pick = fz_u8(&f->in), how = fz_u8(&f->in);
	uint16_t head;
	uint32_t len;

	if (f->dev_n == 0)
		return;
	pick %= f->dev_n;
	head = f->dev_q[pick];
	f->dev_q[pick] = f->dev_q[--f->dev_n];
	len = f->head[head].writable;
	if (how & 1)
		len += fz_u8(&f->in);	/* beyond: clamped */
	else if (how & 2)
		len = fz_u32(&f->in);
	else if (how & 4)
		len /= 2;
	fz_dev_used(f, head, len);
}

static void
fz_dev_hostile(struct fz *f)
{
	switch (fz_u8(&f->in) % 3) {
	case 0:
		fz_dev_used(f, fz_u32(&f->in), fz_u32(&f->in));
		break;
	case 1:
		f->dev_used = fz_u16(&f->in);
		__atomic_store_n(&f->vq.shadow.used->idx, f->dev_used,
			__ATOMIC_RELEASE);
		break;
	default:	/* a head the device never took */
		fz_dev_used(f, fz_u16(&f->in) % f->size, fz_u16(&f->in));
		break;
	}
}

/* ---- the guest ------------------------------------------------------- */

static void
fz_post(struct fz *f, uint16_t head)
{
	f->guest.avail->ring[f->avail_idx & f->mask] = head;
	f->avail_idx++;
	__atomic_store_n(&f->guest.avail->idx, f->avail_idx, __ATOMIC_RELEASE);
}

static void
fz_guest_desc(struct fz *f)
{
	struct vring_desc *d = &f->guest.desc[fz_u16(&f->in) % f->size];

	d->addr = fz_addr(f);
	d->len = fz_len(f);
	d->flags = fz_u16(&f->in);
	d->next = fz_u16(&f->in);
}

static void
fz_guest_chain(struct fz *f)
{
	uint16_t head = fz_u16(&f->in) % f->size, idx = head;
	uint8_t n = 1 + fz_u8(&f->in) % 4, readable = fz_u8(&f->in), i;

	for (i = 0; i < n; i++) {
		const struct svq_mem_region *r =
			&f->map.regions[fz_u8(&f->in) % f->map.nregions];
		struct vring_desc *d = &f->guest.desc[idx];
		uint64_t off = fz_u32(&f->in) % r->size;

		d->addr = r->gpa + off;
		d->len = RTE_MIN(r->size - off, (uint64_t)fz_u16(&f->in));
		d->flags = (i + 1 < n ? VRING_DESC_F_NEXT : 0) |
			(i >= readable % (n + 1) ? VRING_DESC_F_WRITE : 0);
		d->next = (idx + 1) & f->mask;
		idx = d->next;
	}
	fz_post(f, head);
}

static void
fz_guest_scribble(struct fz *f)
{
	struct vring_avail *a = f->guest.avail;

	switch (fz_u8(&f->in) % 4) {
	case 0:
		f->avail_idx = fz_u16(&f->in);
		__atomic_store_n(&a->idx, f->avail_idx, __ATOMIC_RELEASE);
		break;
	case 1:
		a->flags = fz_u16(&f->in);
		break;
	case 2:
		a->ring[f->size] = fz_u16(&f->in);	/* used_event */
		break;
	default:
		a->ring[fz_u16(&f->in) % f->size] = fz_u16(&f->in);
		break;
	}
}

/* ---- translation ----------------------------------------------------- */

static const struct svq_mem_region *
fz_region_of_hva(const struct fz *f, uint64_t hva)
{
	uint32_t i;

	for (i = 0; i < f->map.nregions; i++) {
		const struct svq_mem_region *r = &f->map.regions[i];

		if (hva >= r->hva && hva - r->hva < r->size)
			return r;
	}
	return NULL;
}

static void
fz_gpa(struct fz *f)
{
	uint64_t gpa = fz_addr(f), len = fz_len(f), got = len;
	const struct svq_mem_region *r;
	uint8_t *p;

	if (svq_mem_gpa_range_valid(&f->map, gpa, len) !=
			fz_covered(&f->map, gpa, len)) {
		fz_dump_map(&f->map);
		fz_fail("0x%" PRIx64 "+%" PRIu64 " valid says %d", gpa, len,
			svq_mem_gpa_range_valid(&f->map, gpa, len));
	}
	p = svq_mem_gpa_to_hva(&f->map, gpa, &got);
	if (p == NULL) {
		FZ_CHECK(got == 0 && (len == 0 || !fz_covered(&f->map, gpa, 1)),
			"0x%" PRIx64 " not translated", gpa);
		return;
	}
	r = fz_region_of_hva(f, (uintptr_t)p);
	FZ_CHECK(r != NULL && (uintptr_t)p - r->hva == gpa - r->gpa &&
		got <= len && (got != 0 || len == 0) &&
		got <= r->size - ((uintptr_t)p - r->hva),
		"0x%" PRIx64 "+%" PRIu64 " translated outside its region", gpa, len);
}

static void
fz_hva(struct fz *f)
{
	const struct svq_mem_region *r =
		&f->map.regions[fz_u8(&f->in) % f->map.nregions], *in;
	uint64_t hva = r->hva + fz_u32(&f->in) % (r->size + 16) - 8;
	uint64_t len = fz_len(f), gpa = 0;
	int ret = svq_mem_hva_to_gpa(&f->map, (void *)(uintptr_t)hva, len, &gpa);

	in = fz_region_of_hva(f, hva);
	if (in == NULL || len > in->size - (hva - in->hva)) {
		FZ_CHECK(ret == -EFAULT, "host range outside guest memory translated");
		return;
	}
	FZ_CHECK(ret == 0 && gpa == in->gpa + (hva - in->hva),
		"host range translated to 0x%" PRIx64 ": %d", gpa, ret);
}

/* ---- driver ---------------------------------------------------------- */

static bool
fz_setup(struct fz *f)
{
	uint8_t code = fz_u8(&f->in), flags = fz_u8(&f->in);
	uint32_t size;

	size = code & 0x80 ? fz_u16(&f->in) : 1u << (code % 11);
	f->nbuf = fz_u8(&f->in) % (FZ_BUF_REGIONS_MAX + 1);
	f->event_idx = flags & FZ_F_EVENT_IDX;
	f->callfd = flags & FZ_F_CALLFD ? fz_callfd : -1;
	f->arena = mmap(NULL, FZ_ARENA, PROT_NONE,
		MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	if (f->arena == MAP_FAILED)
		abort();
	f->next = f->arena;
	if (size == 0 || size > FZ_SIZE_MAX || !rte_is_power_of_2(size)) {
		/* The relay must refuse it, before touching anything. */
		f->size = size;
		FZ_CHECK((size != 0 && rte_is_power_of_2(size)) ||
			svq_shadow_start(&f->vq, &f->guest,
			size, NULL, &f->map, 0, 0, false, -1) == -EINVAL,
			"ring size %u accepted", size);
		return false;
	}
	f->size = size;
	f->mask = size - 1;
	if (flags & FZ_F_RINGS_FIRST) {
		fz_add_rings(f);
		fz_add_buffers(f);
	} else {
		fz_add_buffers(f);
		fz_add_rings(f);
	}
	f->shadow_mem = fz_carve(f, svq_shadow_ring_bytes(size), 8, true);
	f->log.nr_pages = 1 + fz_u32(&f->in) % FZ_LOG_PAGES_MAX;
	f->log.bitmap = fz_carve(f, sizeof(uint64_t) * ((f->log.nr_pages + 63) / 64),
		8, true);
	f->expect = calloc((f->log.nr_pages + 63) / 64, sizeof(uint64_t));
	if (flags & FZ_F_LOG_USED) {
		uint64_t gpa;

		if (svq_mem_hva_to_gpa(&f->map, f->guest.used, 6 + 8 * size, &gpa) != 0)
			abort();
		f->log.used_gpa = gpa;
	}
	f->logging = flags & FZ_F_LOG;
	f->avail_idx = fz_u16(&f->in);
	f->guest.avail->idx = f->avail_idx;
	f->guest.used->idx = fz_u16(&f->in);
	fz_start_shadow(f, f->avail_idx, f->guest.used->idx);
	return true;
}

static void
fz_op(struct fz *f, enum fz_op op)
{
	bool want_passthrough;
	uint16_t v;

	switch (op) {
	case FZ_OP_DESC:
		fz_guest_desc(f);
		break;
	case FZ_OP_CHAIN:
		fz_guest_chain(f);
		break;
	case FZ_OP_POST:
		v = fz_u16(&f->in);
		fz_post(f, v & 0x8000 ? v : v % f->size);
		break;
	case FZ_OP_SCRIBBLE:
		fz_guest_scribble(f);
		break;
	case FZ_OP_AVAIL:
		if (!f->passthrough)
			fz_forward_avail(f);
		break;
	case FZ_OP_TAKE:
		v = fz_u8(&f->in);
		if (!f->passthrough)
			fz_dev_take(f, v);
		break;
	case FZ_OP_COMPLETE:
		if (!f->passthrough) {
			fz_dev_complete(f);
			break;
		}
		/* the device writes the guest ring itself */
		f->guest.used->idx += fz_u8(&f->in) % 8;
		break;
	case FZ_OP_HOSTILE:
		if (!f->passthrough)
			fz_dev_hostile(f);
		else
			f->guest.used->idx = fz_u16(&f->in);
		break;
	case FZ_OP_USED:
		if (!f->passthrough) {
			fz_forward_used(f);
			break;
		}
		v = f->vq.guest_used;
		FZ_CHECK(svq_shadow_passthrough_used(&f->vq) ==
			(uint16_t)(f->guest.used->idx - v) &&
			f->vq.guest_used == f->guest.used->idx,
			"passthrough follows used idx %u from %u to %u",
			f->guest.used->idx, v, f->vq.guest_used);
		break;
	case FZ_OP_STOP:
	case FZ_OP_SWITCH:
		want_passthrough = op == FZ_OP_STOP ? f->passthrough :
			!f->passthrough;
		/* An honest base is what the device took. */
		v = fz_u8(&f->in);
		if (v & 1)
			v = fz_u16(&f->in);
		else if (f->passthrough)
			v = f->vq.guest_used + v / 2 % (f->size + 1);
		else
			v = f->dev_avail;
		fz_stop(f, v);
		fz_restart(f, want_passthrough);
		break;
	case FZ_OP_LOG:
		f->logging = !f->logging;
		svq_shadow_set_log(&f->vq, f->logging ? &f->log : NULL);
		break;
	case FZ_OP_GPA:
		fz_gpa(f);
		break;
	case FZ_OP_HVA:
		fz_hva(f);
		break;
	default:
		f->vq.shadow.used->flags = fz_u8(&f->in) & VRING_USED_F_NO_NOTIFY;
		FZ_CHECK(svq_shadow_device_wants_kick(&f->vq) ==
			!f->vq.shadow.used->flags, "kick against the device's wish");
		break;
	}
	fz_invariants(f);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct fz f;
	eventfd_t calls;

	memset(&f, 0, offsetof(struct fz, head));
	f.in = (struct fz_in){ data, size };
	svq_shadow_init(&f.vq, "fuzz");
	if (fz_setup(&f))
		while (fz_more(&f.in))
			fz_op(&f, fz_u8(&f.in) % FZ_OP_MAX);
	svq_shadow_free(&f.vq);
	free(f.expect);
	munmap(f.arena, FZ_ARENA);
	eventfd_read(fz_callfd, &calls);
	return 0;
}

/* ---- seeds ----------------------------------------------------------- */

static void
fz_seed_header(struct fz_seed *s, uint8_t size_log2, uint8_t flags,
		uint8_t nbuf)
{
	int pass, i;

	s->len = 0;
	fz_put(s, size_log2, 1);
	fz_put(s, flags, 1);
	fz_put(s, nbuf, 1);
	for (pass = 0; pass < 2; pass++) {
		if ((pass == 0) == !!(flags & FZ_F_RINGS_FIRST)) {
			/* the rings, low */
			for (i = 0; i < FZ_RINGS; i++) {
				fz_put(s, 1, 1);
				fz_put(s, 0x10000 * (i + 1), 4);
			}
			continue;
		}
		/* buffer regions of odd sizes: one low, the next ones after it */
		for (i = 0; i < nbuf; i++) {
			fz_put(s, 65536 + 4095 * i, 4);
			fz_put(s, i == 0 ? 1 : 0, 1);
			if (i == 0)
				fz_put(s, 0x100000, 4);
		}
	}
	fz_put(s, 4096, 4);	/* log pages */
	fz_put(s, 0, 2);	/* avail idx */
	fz_put(s, 0, 2);	/* used idx */
}

static void
fz_seed_chain(struct fz_seed *s, uint16_t head, uint8_t n, uint8_t readable,
		uint8_t region)
{
	uint8_t i;

	fz_put(s, FZ_OP_CHAIN, 1);
	fz_put(s, head, 2);
	fz_put(s, n - 1, 1);
	fz_put(s, readable, 1);
	for (i = 0; i < n; i++) {
		fz_put(s, region, 1);
		fz_put(s, 100 * i, 4);
		fz_put(s, 1500, 2);
	}
}

static void
fz_seed_op(struct fz_seed *s, enum fz_op op, uint64_t arg, unsigned int bytes)
{
	fz_put(s, op, 1);
	fz_put(s, arg, bytes);
}

static void
fz_make_shadow_seeds(const char *dir)
{
	struct fz_seed s;

	/* one chain there and back */
	fz_seed_header(&s, 3, 0, 1);
	fz_seed_chain(&s, 0, 2, 1, 0);
	fz_seed_op(&s, FZ_OP_AVAIL, 0, 0);
	fz_seed_op(&s, FZ_OP_TAKE, 1, 1);
	fz_seed_op(&s, FZ_OP_COMPLETE, 0, 2);
	fz_seed_op(&s, FZ_OP_USED, 0, 0);
	fz_seed_op(&s, FZ_OP_STOP, 0, 1);
	fz_seed_write(dir, "one-chain", s.buf, s.len);

	/* logging, event idx and calls, chains across adjacent regions,
	 * out-of-order completion, a stop with chains in the device and
	 * chains never taken */
	fz_seed_header(&s, 8, FZ_F_EVENT_IDX | FZ_F_CALLFD | FZ_F_LOG |
		FZ_F_LOG_USED, 3);
	fz_seed_chain(&s, 10, 4, 2, 1);
	fz_seed_chain(&s, 20, 3, 0, 2);
	fz_seed_chain(&s, 30, 1, 1, 0);
	fz_seed_chain(&s, 40, 2, 1, 1);
	fz_seed_op(&s, FZ_OP_AVAIL, 0, 0);
	fz_seed_op(&s, FZ_OP_TAKE, 3, 1);
	fz_seed_op(&s, FZ_OP_COMPLETE, 0x0401, 2);	/* half of the second */
	fz_seed_op(&s, FZ_OP_COMPLETE, 0x0000, 2);	/* all of the first */
	fz_seed_op(&s, FZ_OP_USED, 0, 0);
	fz_seed_op(&s, FZ_OP_STOP, 0, 1);
	fz_seed_op(&s, FZ_OP_AVAIL, 0, 0);
	fz_seed_write(dir, "log-event-idx", s.buf, s.len);

	/* the device completes an id never made available */
	fz_seed_header(&s, 4, 0, 1);
	fz_seed_chain(&s, 1, 1, 0, 0);
	fz_seed_op(&s, FZ_OP_AVAIL, 0, 0);
	fz_seed_op(&s, FZ_OP_HOSTILE, 2, 1);
	fz_put(&s, 5, 2);
	fz_put(&s, 100, 2);
	fz_seed_op(&s, FZ_OP_USED, 0, 0);
	fz_seed_op(&s, FZ_OP_STOP, 1, 1);
	fz_put(&s, 7, 2);
	fz_seed_write(dir, "device-bad-id", s.buf, s.len);

	/* passthrough and back, with completions the device wrote */
	fz_seed_header(&s, 6, FZ_F_CALLFD, 2);
	fz_seed_op(&s, FZ_OP_SWITCH, 0, 1);
	fz_seed_chain(&s, 0, 1, 1, 0);
	fz_seed_op(&s, FZ_OP_COMPLETE, 1, 1);
	fz_seed_op(&s, FZ_OP_USED, 0, 0);
	fz_seed_op(&s, FZ_OP_SWITCH, 2, 1);
	fz_seed_op(&s, FZ_OP_AVAIL, 0, 0);
	fz_seed_write(dir, "passthrough", s.buf, s.len);

	/* translations at region edges */
	fz_seed_header(&s, 2, FZ_F_RINGS_FIRST, 4);
	fz_seed_op(&s, FZ_OP_GPA, 0, 0);
	fz_put(&s, 4, 1);	/* region 4 (a buffer region)... */
	fz_put(&s, 2, 1);	/* ...its end */
	fz_put(&s, 3, 1);
	fz_put(&s, 1, 1);
	fz_put(&s, 64, 2);
	fz_seed_op(&s, FZ_OP_HVA, 0, 0);
	fz_put(&s, 3, 1);
	fz_put(&s, 8, 4);
	fz_put(&s, 0, 1);
	fz_put(&s, 16, 1);
	fz_seed_op(&s, FZ_OP_DESC, 0, 2);
	fz_put(&s, 0x0205, 2);	/* region 5, at its end */
	fz_put(&s, 0, 1);
	fz_put(&s, 0, 1);	/* a zero length */
	fz_put(&s, 0, 1);
	fz_put(&s, 0, 2);	/* flags */
	fz_put(&s, 0, 2);	/* next */
	fz_seed_op(&s, FZ_OP_POST, 0, 2);
	fz_seed_op(&s, FZ_OP_AVAIL, 0, 0);
	fz_seed_write(dir, "region-edges", s.buf, s.len);
}

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	fz_make_seeds(argc, argv, fz_make_shadow_seeds);
	/* Faults are the point: keep their log lines quiet. */
	rte_log_set_global_level(RTE_LOG_EMERG);
	fz_callfd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	return fz_callfd < 0 ? -1 : 0;
}
