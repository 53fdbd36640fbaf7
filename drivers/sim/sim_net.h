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
#include <rte_seqcount.h>

#include "svq_device.h"
#include "svq_net_state.h"

extern int sim_logtype;
#define SIM_LOG(level, sim, fmt, ...) \
	rte_log(RTE_LOG_ ## level, sim_logtype, "svq.sim: %s: " fmt "\n", \
		(sim)->dev.name, ##__VA_ARGS__)

#define SIM_BURST 32
#define SIM_MAX_QUEUE_PAIRS 64
#define SIM_MAX_DMA_MAPS 16
#define SIM_VQ_NUM_MAX 4096
#define SIM_FIFO_SIZE 1024
/* Largest control command (header + data) the device reads. */
#define SIM_CVQ_CMD_MAX (64u << 10)
/* A loopback frame with no active RX pair to go to. */
#define SIM_NO_PAIR UINT16_MAX

/* virtio 1.x header: struct virtio_net_hdr_mrg_rxbuf (VERSION_1 makes
 * num_buffers always present), struct virtio_net_hdr_v1_hash with
 * HASH_REPORT, on TX and RX alike. Set at FEATURES_OK. */
#define SIM_NET_HDR_LEN sizeof(struct virtio_net_hdr_mrg_rxbuf)
#define SIM_NET_HDR_HASH_LEN sizeof(struct virtio_net_hdr_v1_hash)

enum sim_mode {
	SIM_MODE_LOOPBACK,	/* TX comes back through the RX filter: on
				 * pair p, or where RSS steers it */
	SIM_MODE_NULL,		/* TX dropped, RX generated */
	SIM_MODE_PORT,		/* TX to and RX from a DPDK ethdev */
};

struct sim_dma_map {
	uint64_t iova;
	uint64_t size;
	uint8_t *hva;
};

/* Per-vring counters, written only by the lcore polling the vring. On the
 * control vring, packets counts commands acked OK and drops commands
 * acked ERR. */
struct sim_vq_stats {
	uint64_t packets;
	uint64_t bytes;
	uint64_t drops;		/* frames lost: fifo full, too big, no mbuf */
	uint64_t errors;	/* malformed rings from the driver */
	uint64_t filtered;	/* RX: refused by the RX filter */
	uint64_t unrouted;	/* TX, loopback: for an RX pair not in use */
};

/* What the device learnt about a frame when it classified it, carried
 * from TX to RX (loopback) in the mbuf's private area. */
struct sim_mbuf_meta {
	uint32_t hash_value;
	uint16_t hash_report;	/* VIRTIO_NET_HASH_REPORT_*; NONE: no hash */
	uint16_t reserved;
};

static inline struct sim_mbuf_meta *
sim_mbuf_meta(struct rte_mbuf *m)
{
	return rte_mbuf_to_priv(m);
}

/* A chain as the device sees it: where its buffers are and how big. The
 * first nb_readable buffers are device-readable, the rest writable. */
struct sim_chain {
	uint16_t head;
	uint16_t nbufs;
	uint16_t nb_readable;
	struct {
		uint8_t *hva;
		uint32_t len;
	} bufs[SIM_VQ_NUM_MAX];
};

enum sim_chain_dir {
	SIM_CHAIN_READ,		/* TX: readable buffers only */
	SIM_CHAIN_WRITE,	/* RX: writable buffers only */
	SIM_CHAIN_CONTROL,	/* CVQ: readable, then writable */
};

/* Device view of one vring. Touched by one thread at a time: the driver
 * calls poll() for it from one thread at a time (the owning worker, or the
 * control path while no worker runs it) and configures it only while
 * poll() cannot run. */
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

/*
 * The state the driver set through the control vring, as the data path
 * uses it. One writer, the lcore polling the control vring (or the
 * control path while every vring is stopped); readers on every data
 * lcore take no lock but retry their read section when the sequence
 * count moved (rte_seqcount), so a reader may see a torn state: every
 * index it reads from here must be bounded before use.
 */
struct sim_ctrl {
	rte_seqcount_t sc;
	struct svq_net_state state;
	/* The RSS key, zero-padded to the longest key, 4-byte aligned as
	 * rte_softrss() reads it. */
	uint8_t rss_key[SVQ_RSS_KEY_MAX] __rte_aligned(4);
	/* Pairs frames may be delivered to: curr_pairs with a control
	 * vring; all of them without one (the frontend enables pairs with
	 * SET_VRING_ENABLE then). */
	uint16_t rx_pairs;
};

/* Control vring scratch: only the lcore polling the control vring uses
 * it, so it lives with the device rather than in TLS. */
struct sim_cvq_scratch {
	struct sim_chain chain;
	uint8_t cmd[SIM_CVQ_CMD_MAX];
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
	struct virtio_net_config config;	/* mac: guarded by ctrl.sc */
	struct rte_ether_addr default_mac;	/* config.mac after a reset */
	uint16_t nb_vqs;			/* data vrings: 2 * max pairs */
	uint16_t hdr_len;			/* virtio-net header, per features */

	struct sim_dma_map maps[SIM_MAX_DMA_MAPS];
	uint32_t nb_maps;

	struct rte_mempool *pool;
	uint8_t null_frame[RTE_ETHER_MAX_LEN];
	struct sim_vq vqs[2 * SIM_MAX_QUEUE_PAIRS];
	struct sim_vq cvq;
	struct sim_cvq_scratch *cvq_scratch;
	struct svq_cvq_limits cvq_limits;	/* set at FEATURES_OK */

	struct sim_ctrl ctrl __rte_cache_aligned;
};

static inline struct sim_net *
sim_from_dev(struct svq_device *dev)
{
	return (struct sim_net *)dev;
}

static inline bool
sim_negotiated(const struct sim_net *sim, unsigned int feature)
{
	return (sim->driver_features >> feature) & 1;
}

/* virtio 1.2, 5.1.2: the control vring follows the last data vring, and
 * there are max_virtqueue_pairs of those only with MQ or RSS. */
static inline uint16_t
sim_cvq_qid(const struct sim_net *sim)
{
	return (sim_negotiated(sim, VIRTIO_NET_F_MQ) ||
		sim_negotiated(sim, VIRTIO_NET_F_RSS)) ? sim->nb_vqs : 2;
}

/* sim_vring.c: device-side ring access. */
int sim_vring_map(struct sim_net *sim, struct sim_vq *vq);
void *sim_iova_to_hva(const struct sim_net *sim, uint64_t iova,
		uint64_t *len);
void sim_vq_set_broken(struct sim_net *sim, struct sim_vq *vq,
		const char *why, unsigned int value);
int sim_chain_resolve(struct sim_net *sim, struct sim_vq *vq, uint16_t head,
		enum sim_chain_dir dir, struct sim_chain *c);

static inline void
sim_used_fill(struct sim_vq *vq, uint16_t slot, uint16_t id, uint32_t len)
{
	struct vring_used_elem *e = &vq->used->ring[slot & (vq->num - 1)];

	e->id = id;
	e->len = len;
}

static inline void
sim_used_publish(struct sim_vq *vq)
{
	/* Release: buffer data and used elements are visible to the driver
	 * before the new index; pairs with its acquire load of used->idx. */
	__atomic_store_n(&vq->used->idx, vq->used_idx, __ATOMIC_RELEASE);
}

/* Avail entries the driver published and the device has not taken. */
static inline uint16_t
sim_avail_pending(struct sim_net *sim, struct sim_vq *vq)
{
	/* Acquire: pairs with the driver's release store of avail->idx. */
	uint16_t pending = __atomic_load_n(&vq->avail->idx, __ATOMIC_ACQUIRE) -
		vq->last_avail;

	if (unlikely(pending > vq->num)) {
		sim_vq_set_broken(sim, vq, "avail index ran ahead", pending);
		return 0;
	}
	return pending;
}

/* sim_datapath.c: packet processing, on the lcore owning the vring. */
void sim_tx_poll(struct sim_net *sim, struct sim_vq *vq, uint16_t pair);
void sim_rx_poll(struct sim_net *sim, struct sim_vq *vq, uint16_t pair);
void sim_null_frame_init(struct sim_net *sim);

/* sim_cvq.c: the control vring and the state it sets. */
void sim_cvq_poll(struct sim_net *sim, struct sim_vq *vq);
void sim_ctrl_init(struct sim_net *sim);
void sim_ctrl_get_state(struct sim_net *sim, struct svq_net_state *state);
void sim_ctrl_get_config(struct sim_net *sim, void *buf, uint32_t offset,
		uint32_t len);

/* sim_filter.c: the receive side's decisions, on data lcores. */
void sim_steer_burst(struct sim_net *sim, uint16_t pair,
		struct rte_mbuf **pkts, uint16_t n, uint16_t *dst);
uint16_t sim_rx_filter_burst(struct sim_net *sim, struct sim_vq *vq,
		uint16_t pair, struct rte_mbuf **pkts, uint16_t n, bool classify);
bool sim_rx_accept(const struct svq_net_state *s, const uint8_t *frame,
		uint32_t len);
uint16_t sim_rss_hash(const struct sim_ctrl *ctrl, const uint8_t *frame,
		uint32_t len, uint32_t *hash);

#endif /* SIM_NET_H */
