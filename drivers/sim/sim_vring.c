/* SPDX-License-Identifier: BSD-3-Clause */

/*
 * Device-side access to split rings. The driver (the relay, and behind it
 * the guest) is not trusted: ring addresses and buffer addresses are
 * translated only through the DMA map and must lie inside it entirely.
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
