/* SPDX-License-Identifier: BSD-3-Clause */

/*
 * The software device's packet processing. Runs on the lcore that owns the
 * vring (svq_device_ops.poll). Rings are read with the same discipline as
 * hardware: acquire the avail index, bound every index and chain by the
 * ring size, touch buffers only through the DMA map, release the used
 * index once per burst.
 */

#include <string.h>

#include <rte_cycles.h>
#include <rte_ethdev.h>
#include <rte_ether.h>
#include <rte_ip.h>
#include <rte_udp.h>

#include "sim_net.h"

/* A chain as the device sees it: where its buffers are and how big. */
struct sim_chain {
	uint16_t head;
	uint16_t nbufs;
	struct {
		uint8_t *hva;
		uint32_t len;
	} bufs[SIM_VQ_NUM_MAX];
};

/*
 * Resolve the chain at @p head into host buffers. Every buffer must be of
 * the expected direction and lie in the DMA map; a chain longer than the
 * ring is a loop. Buffers that straddle two mappings are split.
 */
static int
sim_chain_resolve(struct sim_net *sim, struct sim_vq *vq, uint16_t head,
		bool writable, struct sim_chain *c)
{
	uint16_t idx = head, visited = 0;

	c->head = head;
	c->nbufs = 0;
	for (;;) {
		struct vring_desc d;
		uint64_t iova, left;

		if (idx >= vq->num || visited++ == vq->num) {
			sim_vq_set_broken(sim, vq, "bad descriptor index or loop",
				idx);
			return -1;
		}
		d = vq->desc[idx];
		if (!!(d.flags & VRING_DESC_F_WRITE) != writable) {
			sim_vq_set_broken(sim, vq, "descriptor of the wrong direction",
				idx);
			return -1;
		}
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
			iova += chunk;
			left -= chunk;
		}
		if (!(d.flags & VRING_DESC_F_NEXT))
			return 0;
		idx = d.next;
	}
}

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

/* Gather a TX chain into @p m, dropping the virtio-net header. */
static int
sim_tx_gather(const struct sim_chain *c, struct rte_mbuf *m)
{
	uint32_t skip = SIM_NET_HDR_LEN;
	uint16_t i;

	for (i = 0; i < c->nbufs; i++) {
		const uint8_t *src = c->bufs[i].hva;
		uint32_t len = c->bufs[i].len;
		char *dst;

		if (skip != 0) {
			uint32_t s = RTE_MIN(skip, len);

			skip -= s;
			src += s;
			len -= s;
		}
		if (len == 0)
			continue;
		dst = rte_pktmbuf_append(m, len);
		if (dst == NULL)
			return -1;	/* larger than an mbuf: dropped */
		memcpy(dst, src, len);
	}
	return skip == 0 && m->pkt_len != 0 ? 0 : -1;
}

static void
sim_tx_deliver(struct sim_net *sim, struct sim_vq *vq, uint16_t pair,
		struct rte_mbuf **pkts, uint16_t n)
{
	uint16_t sent = 0;

	switch (sim->mode) {
	case SIM_MODE_LOOPBACK:
		sent = rte_ring_enqueue_burst(sim->vqs[2 * pair].fifo,
				(void **)pkts, n, NULL);
		break;
	case SIM_MODE_PORT:
		sent = rte_eth_tx_burst(sim->eth_port, pair, pkts, n);
		break;
	case SIM_MODE_NULL:
		break;
	}
	if (sent < n) {
		vq->stats.drops += n - sent;
		rte_pktmbuf_free_bulk(&pkts[sent], n - sent);
	}
}

void
sim_tx_poll(struct sim_net *sim, struct sim_vq *vq, uint16_t pair)
{
	static __thread struct sim_chain chain;
	struct rte_mbuf *pkts[SIM_BURST];
	uint16_t pending, i, nb_pkts = 0;

	pending = RTE_MIN(sim_avail_pending(sim, vq), (uint16_t)SIM_BURST);
	if (pending == 0)
		return;
	if (rte_pktmbuf_alloc_bulk(sim->pool, pkts, pending) != 0)
		return;		/* retry on the next poll */

	for (i = 0; i < pending; i++) {
		uint16_t head = vq->avail->ring[vq->last_avail & (vq->num - 1)];
		struct rte_mbuf *m = pkts[nb_pkts];

		if (sim_chain_resolve(sim, vq, head, false, &chain) < 0)
			break;
		if (sim_tx_gather(&chain, m) == 0) {
			vq->stats.packets++;
			vq->stats.bytes += m->pkt_len;
			nb_pkts++;
		} else {
			rte_pktmbuf_reset(m);
			vq->stats.drops++;
		}
		sim_used_fill(vq, vq->used_idx++, head, 0);
		vq->last_avail++;
	}
	if (i != 0)
		sim_used_publish(vq);
	if (nb_pkts < pending)
		rte_pktmbuf_free_bulk(&pkts[nb_pkts], pending - nb_pkts);
	sim_tx_deliver(sim, vq, pair, pkts, nb_pkts);
}

/*
 * Write one frame into the next guest RX buffers: the virtio-net header,
 * then the frame, over as many chains as MRG_RXBUF allows (one without it).
 * Nothing is committed until the whole frame fits.
 *
 * @return 0, -ENOBUFS when the driver has not posted enough buffers yet
 *   (retry later), or -EMSGSIZE / -EFAULT when the frame must be dropped.
 */
static int
sim_rx_write(struct sim_net *sim, struct sim_vq *vq, uint16_t avail,
		const uint8_t *frame, uint32_t frame_len)
{
	static __thread struct sim_chain chain;
	const bool mrg = sim->driver_features &
		(UINT64_C(1) << VIRTIO_NET_F_MRG_RXBUF);
	struct virtio_net_hdr_mrg_rxbuf hdr = { .num_buffers = 0 };
	struct virtio_net_hdr_mrg_rxbuf *hdr_dst = NULL;
	uint32_t copied = 0;	/* of header + frame */
	const uint32_t total = SIM_NET_HDR_LEN + frame_len;
	uint16_t nbufs = 0;

	while (copied < total) {
		uint16_t slot = vq->last_avail + nbufs;
		uint32_t in_chain = 0;
		uint16_t i;

		if (nbufs == avail)
			return -ENOBUFS;
		if (nbufs == 1 && !mrg)
			return -EMSGSIZE;
		if (sim_chain_resolve(sim, vq, vq->avail->ring[slot & (vq->num - 1)],
				true, &chain) < 0)
			return -EFAULT;
		if (nbufs == 0) {
			/* Linux and DPDK drivers always give the header a
			 * contiguous buffer; we require it. */
			if (chain.nbufs == 0 || chain.bufs[0].len < SIM_NET_HDR_LEN) {
				sim_vq_set_broken(sim, vq, "RX buffer shorter than the header",
					chain.head);
				return -EFAULT;
			}
			hdr_dst = (void *)chain.bufs[0].hva;
		}
		for (i = 0; i < chain.nbufs && copied < total; i++) {
			uint8_t *dst = chain.bufs[i].hva;
			uint32_t room = chain.bufs[i].len;

			while (room != 0 && copied < total) {
				uint32_t n;
				const uint8_t *src;

				if (copied < SIM_NET_HDR_LEN) {
					src = (const uint8_t *)&hdr + copied;
					n = SIM_NET_HDR_LEN - copied;
				} else {
					src = frame + (copied - SIM_NET_HDR_LEN);
					n = total - copied;
				}
				n = RTE_MIN(n, room);
				memcpy(dst, src, n);
				dst += n;
				room -= n;
				copied += n;
				in_chain += n;
			}
		}
		sim_used_fill(vq, vq->used_idx + nbufs, chain.head, in_chain);
		nbufs++;
	}
	hdr_dst->num_buffers = nbufs;
	vq->last_avail += nbufs;
	vq->used_idx += nbufs;
	vq->stats.packets++;
	vq->stats.bytes += frame_len;
	return nbufs;
}

static void
sim_rx_refill(struct sim_net *sim, struct sim_vq *vq, uint16_t pair)
{
	vq->pending_pos = 0;
	switch (sim->mode) {
	case SIM_MODE_LOOPBACK:
		vq->nb_pending = rte_ring_dequeue_burst(vq->fifo,
				(void **)vq->pending, SIM_BURST, NULL);
		break;
	case SIM_MODE_PORT:
		vq->nb_pending = rte_eth_rx_burst(sim->eth_port, pair,
				vq->pending, SIM_BURST);
		break;
	case SIM_MODE_NULL:
		vq->nb_pending = 0;
		break;
	}
}

/* Null mode: how many frames the configured rate allows now. */
static uint16_t
sim_null_budget(struct sim_net *sim, struct sim_vq *vq)
{
	uint64_t now, period;
	uint16_t n = 0;

	if (sim->null_rate == 0)
		return SIM_BURST;
	now = rte_get_tsc_cycles();
	period = rte_get_tsc_hz() / sim->null_rate;
	if (vq->next_gen_tsc == 0 || (int64_t)(now - vq->next_gen_tsc) > (int64_t)rte_get_tsc_hz())
		vq->next_gen_tsc = now;	/* start, or a long pause: no burst */
	while (n < SIM_BURST && (int64_t)(now - vq->next_gen_tsc) >= 0) {
		vq->next_gen_tsc += period;
		n++;
	}
	return n;
}

void
sim_rx_poll(struct sim_net *sim, struct sim_vq *vq, uint16_t pair)
{
	uint16_t avail = sim_avail_pending(sim, vq);
	uint16_t published = vq->used_idx;
	int ret;

	if (sim->mode == SIM_MODE_NULL) {
		uint16_t budget = avail ? sim_null_budget(sim, vq) : 0;

		while (budget-- > 0 && avail != 0) {
			ret = sim_rx_write(sim, vq, avail, sim->null_frame,
					sim->null_size);
			if (ret < 0)
				break;
			avail -= ret;
		}
	} else {
		if (vq->pending_pos == vq->nb_pending)
			sim_rx_refill(sim, vq, pair);
		while (vq->pending_pos < vq->nb_pending) {
			struct rte_mbuf *m = vq->pending[vq->pending_pos];

			ret = rte_pktmbuf_is_contiguous(m) ?
				sim_rx_write(sim, vq, avail,
					rte_pktmbuf_mtod(m, const uint8_t *),
					m->data_len) : -EMSGSIZE;
			if (ret == -ENOBUFS || vq->broken)
				break;	/* keep it until the guest posts buffers */
			if (ret < 0)
				vq->stats.drops++;
			else
				avail -= ret;
			rte_pktmbuf_free(m);
			vq->pending_pos++;
		}
	}
	if (vq->used_idx != published)
		sim_used_publish(vq);
}

void
sim_null_frame_init(struct sim_net *sim)
{
	struct rte_ether_hdr *eth = (void *)sim->null_frame;
	struct rte_ipv4_hdr *ip = (void *)(eth + 1);
	struct rte_udp_hdr *udp = (void *)(ip + 1);
	uint16_t l3_len = sim->null_size - sizeof(*eth);

	memset(sim->null_frame, 0, sizeof(sim->null_frame));
	memcpy(&eth->dst_addr, sim->config.mac, RTE_ETHER_ADDR_LEN);
	eth->src_addr = (struct rte_ether_addr){
		.addr_bytes = { 0x02, 0x53, 0x56, 0x51, 0x00, 0x01 } };
	eth->ether_type = rte_cpu_to_be_16(RTE_ETHER_TYPE_IPV4);
	ip->version_ihl = RTE_IPV4_VHL_DEF;
	ip->time_to_live = 64;
	ip->next_proto_id = IPPROTO_UDP;
	ip->total_length = rte_cpu_to_be_16(l3_len);
	ip->src_addr = rte_cpu_to_be_32(RTE_IPV4(198, 18, 0, 1));
	ip->dst_addr = rte_cpu_to_be_32(RTE_IPV4(198, 18, 0, 2));
	ip->hdr_checksum = rte_ipv4_cksum(ip);
	udp->src_port = rte_cpu_to_be_16(9);
	udp->dst_port = rte_cpu_to_be_16(9);
	udp->dgram_len = rte_cpu_to_be_16(l3_len - sizeof(*ip));
}
