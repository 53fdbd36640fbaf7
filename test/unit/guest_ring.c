/* SPDX-License-Identifier: BSD-3-Clause */

#include <stdlib.h>
#include <string.h>

#include "guest_ring.h"

void
tg_init(struct test_guest *g, uint16_t size)
{
	tg_init_at(g, size, TG_GPA_BASE);
}

void
tg_init_at(struct test_guest *g, uint16_t size, uint64_t gpa_base)
{
	uint8_t *p;

	memset(g, 0, sizeof(*g));
	g->mem = aligned_alloc(4096, TG_MEM_SIZE);
	memset(g->mem, 0, TG_MEM_SIZE);
	g->map.nregions = 1;
	g->gpa_base = gpa_base;
	g->map.regions[0].gpa = gpa_base;
	g->map.regions[0].size = TG_MEM_SIZE;
	g->map.regions[0].hva = (uintptr_t)g->mem;
	g->size = size;
	p = g->mem;
	g->ring.desc = (struct vring_desc *)p;
	g->ring.avail = (struct vring_avail *)(p + 16 * size);
	g->ring.used = (struct vring_used *)(p + RTE_ALIGN_CEIL(16 * size +
			2 * (3 + size), 4096));
	g->next_data = TG_DATA_OFF;
}

void
tg_fini(struct test_guest *g)
{
	free(g->mem);
	g->mem = NULL;
}

uint64_t
tg_gpa(const struct test_guest *g, const void *p)
{
	return g->gpa_base + ((const uint8_t *)p - g->mem);
}

void *
tg_hva(const struct test_guest *g, uint64_t gpa)
{
	return g->mem + (gpa - g->gpa_base);
}

uint64_t
tg_alloc(struct test_guest *g, uint32_t len)
{
	uint64_t gpa = g->gpa_base + g->next_data;

	g->next_data += RTE_ALIGN_CEIL(len, 64);
	return gpa;
}

void
tg_set_desc(struct test_guest *g, uint16_t idx, uint64_t addr, uint32_t len,
		uint16_t flags, uint16_t next)
{
	struct vring_desc *d = &g->ring.desc[idx];

	d->addr = addr;
	d->len = len;
	d->flags = flags;
	d->next = next;
}

void
tg_publish(struct test_guest *g, uint16_t head)
{
	g->ring.avail->ring[g->avail_idx & (g->size - 1)] = head;
	g->avail_idx++;
	__atomic_store_n(&g->ring.avail->idx, g->avail_idx, __ATOMIC_RELEASE);
}

bool
tg_pop_used(struct test_guest *g, uint32_t *id, uint32_t *len)
{
	uint16_t used = __atomic_load_n(&g->ring.used->idx, __ATOMIC_ACQUIRE);
	struct vring_used_elem *e;

	if (used == g->last_used)
		return false;
	e = &g->ring.used->ring[g->last_used & (g->size - 1)];
	*id = e->id;
	*len = e->len;
	g->last_used++;
	return true;
}
