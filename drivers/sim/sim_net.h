/* SPDX-License-Identifier: BSD-3-Clause */

#ifndef SIM_NET_H
#define SIM_NET_H

/*
 * Software virtio-net device: processes split rings the way hardware would,
 * only through the IOVAs it was given and its own DMA map. Private to
 * drivers/sim.
 */

#include <stdbool.h>
#include <stdint.h>
#include <linux/virtio_config.h>
#include <linux/virtio_net.h>
#include <linux/virtio_ring.h>

#include <rte_ether.h>
#include <rte_log.h>
#include <rte_mbuf.h>
#include <rte_ring.h>

#include "svq_device.h"

extern int sim_logtype;
#define SIM_LOG(level, sim, fmt, ...) \
	rte_log(RTE_LOG_ ## level, sim_logtype, "svq.sim: %s: " fmt "\n", \
		(sim)->dev.name, ##__VA_ARGS__)

#define SIM_BURST 32
#define SIM_MAX_QUEUE_PAIRS 64
#define SIM_MAX_DMA_MAPS 16
#define SIM_VQ_NUM_MAX 4096
#define SIM_FIFO_SIZE 1024
/* virtio 1.x header: struct virtio_net_hdr_mrg_rxbuf, whatever was
 * negotiated (VERSION_1 makes num_buffers always present). */
#define SIM_NET_HDR_LEN sizeof(struct virtio_net_hdr_mrg_rxbuf)

enum sim_mode {
	SIM_MODE_LOOPBACK,	/* TX of pair p comes back on RX of pair p */
	SIM_MODE_NULL,		/* TX dropped, RX generated */
	SIM_MODE_PORT,		/* TX to and RX from a DPDK ethdev */
};

struct sim_dma_map {
	uint64_t iova;
	uint64_t size;
	uint8_t *hva;
};

struct sim_vq_stats {
	uint64_t packets;
	uint64_t bytes;
	uint64_t drops;		/* frames lost: fifo full, too big, no mbuf */
	uint64_t errors;	/* malformed rings from the driver */
};

/* Device view of one vring. Touched by one lcore at a time: the owner of
 * the vring while enabled, the control path while disabled. */
struct sim_vq {
	struct vring_desc *desc;
	struct vring_avail *avail;
	struct vring_used *used;
	uint64_t desc_iova;
	uint64_t avail_iova;
	uint64_t used_iova;
	uint16_t num;
	uint16_t last_avail;	/* next avail entry to take */
	uint16_t used_idx;	/* next used entry to fill */
	bool enabled;
	bool broken;		/* driver error: needs a reset */

	/* RX vrings: frames waiting for guest buffers. */
	struct rte_ring *fifo;
	struct rte_mbuf *pending[SIM_BURST];
	uint16_t nb_pending;
	uint16_t pending_pos;
	uint64_t next_gen_tsc;	/* null mode pacing */

	struct sim_vq_stats stats;
};

struct sim_net {
	struct svq_device dev;	/* first: svq_device is the handle */
	enum sim_mode mode;
	uint16_t eth_port;	/* SIM_MODE_PORT */
	uint32_t null_rate;	/* frames/s per RX vring, 0: as fast as possible */
	uint32_t null_size;	/* frame bytes */

	uint64_t features;
	uint64_t driver_features;
	uint8_t status;
	struct virtio_net_config config;
	uint16_t nb_vqs;

	struct sim_dma_map maps[SIM_MAX_DMA_MAPS];
	uint32_t nb_maps;

	struct rte_mempool *pool;
	uint8_t null_frame[RTE_ETHER_MAX_LEN];
	struct sim_vq vqs[2 * SIM_MAX_QUEUE_PAIRS];
};

static inline struct sim_net *
sim_from_dev(struct svq_device *dev)
{
	return (struct sim_net *)dev;
}

/* sim_vring.c: device-side ring access. */
int sim_vring_map(struct sim_net *sim, struct sim_vq *vq);
void *sim_iova_to_hva(const struct sim_net *sim, uint64_t iova,
		uint64_t *len);
void sim_vq_set_broken(struct sim_net *sim, struct sim_vq *vq,
		const char *why, unsigned int value);

/* sim_datapath.c: packet processing, on the lcore owning the vring. */
void sim_tx_poll(struct sim_net *sim, struct sim_vq *vq, uint16_t pair);
void sim_rx_poll(struct sim_net *sim, struct sim_vq *vq, uint16_t pair);
void sim_null_frame_init(struct sim_net *sim);

#endif /* SIM_NET_H */
