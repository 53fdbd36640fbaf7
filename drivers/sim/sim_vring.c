/* SPDX-License-Identifier: BSD-3-Clause */

/*
 * Device-side access to split rings. The driver (the relay, and behind it
 * the guest) is not trusted: ring addresses and buffer addresses are
 * translated only through the DMA map and must lie inside it entirely,
 * and every descriptor index is bounded by the ring size.
 */

#include <errno.h>

#include "sim_net.h"

void *
sim_iova_to_hva(const struct sim_net *sim, uint64_t iova, uint64_t *len)
{
	uint32_t i;

	for (i = 0; i < sim->nb_maps; i++) {
		const struct sim_dma_map *m = &sim->maps[i];
		uint64_t off;

		if (iova < m->iova || iova - m->iova >= m->size)
			continue;
		off = iova - m->iova;
		*len = RTE_MIN(*len, m->size - off);
		return m->hva + off;
	}
	*len = 0;
	return NULL;
}

static void *
sim_map_ring_part(struct sim_net *sim, uint64_t iova, uint64_t len)
{
	uint64_t got = len;
	void *hva = sim_iova_to_hva(sim, iova, &got);

	return (hva != NULL && got == len) ? hva : NULL;
}

int
sim_vring_map(struct sim_net *sim, struct sim_vq *vq)
{
	uint64_t num = vq->num;

	vq->desc = sim_map_ring_part(sim, vq->desc_iova,
			sizeof(struct vring_desc) * num);
	vq->avail = sim_map_ring_part(sim, vq->avail_iova,
			sizeof(uint16_t) * (3 + num));
	vq->used = sim_map_ring_part(sim, vq->used_iova,
			sizeof(uint16_t) * 3 + sizeof(struct vring_used_elem) * num);
	if (vq->desc == NULL || vq->avail == NULL || vq->used == NULL)
		return -EFAULT;
	return 0;
}

void
sim_vq_set_broken(struct sim_net *sim, struct sim_vq *vq, const char *why,
		unsigned int value)
{
	vq->broken = true;
	vq->stats.errors++;
	sim->status |= VIRTIO_CONFIG_S_NEEDS_RESET;
	SIM_LOG(ERR, sim, "vring %ld: %s (%u); device needs reset",
		(long)(vq - sim->vqs), why, value);
}

/*
 * Resolve the chain at @p head into host buffers. Every buffer must lie in
 * the DMA map and be of the direction @p dir allows: for a control chain,
 * readable descriptors first, then writable ones (virtio 1.2, 2.7.4.2). A
 * chain longer than the ring is a loop. Buffers that straddle two mappings
 * are split. Any violation breaks the vring.
 */
int
sim_chain_resolve(struct sim_net *sim, struct sim_vq *vq, uint16_t head,
		enum sim_chain_dir dir, struct sim_chain *c)
{
	uint16_t idx = head, visited = 0;
	bool seen_writable = false;

	c->head = head;
	c->nbufs = 0;
	c->nb_readable = 0;
	for (;;) {
		struct vring_desc d;
		uint64_t iova, left;
		bool writable, ok;

		if (idx >= vq->num || visited++ == vq->num) {
			sim_vq_set_broken(sim, vq, "bad descriptor index or loop",
				idx);
			return -1;
		}
		d = vq->desc[idx];
		writable = d.flags & VRING_DESC_F_WRITE;
		switch (dir) {
		case SIM_CHAIN_READ:
			ok = !writable;
			break;
		case SIM_CHAIN_WRITE:
			ok = writable;
			break;
		default:
			ok = writable || !seen_writable;
			break;
		}
		if (!ok) {
			sim_vq_set_broken(sim, vq, "descriptor of the wrong direction",
				idx);
			return -1;
		}
		seen_writable |= writable;
		for (iova = d.addr, left = d.len; left != 0; ) {
			uint64_t chunk = left;
			uint8_t *hva = sim_iova_to_hva(sim, iova, &chunk);

			if (hva == NULL || c->nbufs == RTE_DIM(c->bufs)) {
				sim_vq_set_broken(sim, vq, "buffer outside DMA map",
					idx);
				return -1;
			}
			c->bufs[c->nbufs].hva = hva;
			c->bufs[c->nbufs].len = chunk;
			c->nbufs++;
			if (!writable)
				c->nb_readable++;
			iova += chunk;
			left -= chunk;
		}
		if (!(d.flags & VRING_DESC_F_NEXT))
			return 0;
		idx = d.next;
	}
}
