/* SPDX-License-Identifier: BSD-3-Clause */

/*
 * The software device's packet processing. Runs on the lcore that owns the
 * vring (svq_device_ops.poll). Rings are read with the same discipline as
 * hardware: acquire the avail index, bound every index and chain by the
 * ring size, touch buffers only through the DMA map, release the used
 * index once per burst.
 *
 * Threat model: rings and buffers are written by the driver (the guest,
 * through the relay); frames come from the guest (loopback) or the wire
 * (port). What to do with a frame is decided in sim_filter.c.
 */

#include <string.h>

#include <rte_cycles.h>
#include <rte_ethdev.h>
#include <rte_ether.h>
#include <rte_ip.h>
#include <rte_udp.h>

#include "sim_net.h"

/* Gather a TX chain into @p m, dropping the virtio-net header. */
static int
sim_tx_gather(const struct sim_net *sim, const struct sim_chain *c,
		struct rte_mbuf *m)
{
	uint32_t skip = sim->hdr_len;
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

/*
 * Loopback: hand each frame to the RX FIFO of the pair the receive side
 * chose (several TX vrings may feed one FIFO: it is multi-producer).
 * Frames with no RX pair to go to, or that find their FIFO full, are
 * dropped here.
 */
static void
sim_tx_loopback(struct sim_net *sim, struct sim_vq *vq, uint16_t pair,
		struct rte_mbuf **pkts, uint16_t n)
{
	uint16_t dst[SIM_BURST];
	uint16_t i = 0, run, sent;

	sim_steer_burst(sim, pair, pkts, n, dst);
	while (i < n) {
		for (run = 1; i + run < n && dst[i + run] == dst[i]; run++)
			;
		if (dst[i] == SIM_NO_PAIR) {
			vq->stats.unrouted += run;
			sent = 0;
		} else {
			sent = rte_ring_enqueue_burst(sim->vqs[2 * dst[i]].fifo,
					(void **)&pkts[i], run, NULL);
			vq->stats.drops += run - sent;
		}
		if (sent < run)
			rte_pktmbuf_free_bulk(&pkts[i + sent], run - sent);
		i += run;
	}
}

static void
sim_tx_deliver(struct sim_net *sim, struct sim_vq *vq, uint16_t pair,
		struct rte_mbuf **pkts, uint16_t n)
{
	uint16_t sent;

	/* Null mode drops its frames before they become mbufs. */
	if (sim->mode == SIM_MODE_LOOPBACK) {
		sim_tx_loopback(sim, vq, pair, pkts, n);
		return;
	}
	sent = rte_eth_tx_burst(sim->eth_port, pair, pkts, n);
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
	if (sim->mode == SIM_MODE_NULL) {
		/* Dropped unread, as DPDK's net_null drops: only the chain
		 * is checked, as for any frame. */
		for (i = 0; i < pending; i++) {
			uint16_t head = vq->avail->ring[vq->last_avail & (vq->num - 1)];
			uint32_t len = 0;
			uint16_t b;

			if (sim_chain_resolve(sim, vq, head, SIM_CHAIN_READ, &chain) < 0)
				break;
			for (b = 0; b < chain.nbufs; b++)
				len += chain.bufs[b].len;
			vq->stats.packets++;
			vq->stats.bytes += len - RTE_MIN(len, (uint32_t)sim->hdr_len);
			sim_used_fill(vq, vq->used_idx++, head, 0);
			vq->last_avail++;
		}
		if (i != 0)
			sim_used_publish(vq);
		return;
	}
	if (rte_pktmbuf_alloc_bulk(sim->pool, pkts, pending) != 0)
		return;		/* retry on the next poll */

	for (i = 0; i < pending; i++) {
		uint16_t head = vq->avail->ring[vq->last_avail & (vq->num - 1)];
		struct rte_mbuf *m = pkts[nb_pkts];

		if (sim_chain_resolve(sim, vq, head, SIM_CHAIN_READ, &chain) < 0)
			break;
		if (sim_tx_gather(sim, &chain, m) == 0) {
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
	if (nb_pkts != 0)
		sim_tx_deliver(sim, vq, pair, pkts, nb_pkts);
}

/*
 * Write one frame into the next guest RX buffers: the virtio-net header,
 * then the frame, over as many chains as MRG_RXBUF allows (one without it).
 * Nothing is committed until the whole frame fits. With HASH_REPORT the
 * header carries the hash from @p meta (NULL: no hash).
 *
 * @return 0, -ENOBUFS when the driver has not posted enough buffers yet
 *   (retry later), or -EMSGSIZE / -EFAULT when the frame must be dropped.
 */
static int
sim_rx_write(struct sim_net *sim, struct sim_vq *vq, uint16_t avail,
		const uint8_t *frame, uint32_t frame_len,
		const struct sim_mbuf_meta *meta)
{
	static __thread struct sim_chain chain;
	const bool mrg = sim_negotiated(sim, VIRTIO_NET_F_MRG_RXBUF);
	const uint32_t hdr_len = sim->hdr_len;
	struct virtio_net_hdr_v1_hash hdr = { .hash_value = 0 };
	struct virtio_net_hdr_v1 *hdr_dst = NULL;
	uint32_t copied = 0;	/* of header + frame */
	const uint32_t total = hdr_len + frame_len;
	uint16_t nbufs = 0;

	if (hdr_len == SIM_NET_HDR_HASH_LEN && meta != NULL &&
			meta->hash_report != VIRTIO_NET_HASH_REPORT_NONE) {
		hdr.hash_value = rte_cpu_to_le_32(meta->hash_value);
		hdr.hash_report = rte_cpu_to_le_16(meta->hash_report);
	}

	while (copied < total) {
		uint16_t slot = vq->last_avail + nbufs;
		uint32_t in_chain = 0;
		uint16_t i;

		if (nbufs == avail)
			return -ENOBUFS;
		if (nbufs == 1 && !mrg)
			return -EMSGSIZE;
		if (sim_chain_resolve(sim, vq, vq->avail->ring[slot & (vq->num - 1)],
				SIM_CHAIN_WRITE, &chain) < 0)
			return -EFAULT;
		if (nbufs == 0) {
			/* Linux and DPDK drivers always give the header a
			 * contiguous buffer; we require it. */
			if (chain.nbufs == 0 || chain.bufs[0].len < hdr_len) {
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

				if (copied < hdr_len) {
					src = (const uint8_t *)&hdr + copied;
					n = hdr_len - copied;
				} else {
					src = frame + (copied - hdr_len);
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
	hdr_dst->num_buffers = rte_cpu_to_le_16(nbufs);
	vq->last_avail += nbufs;
	vq->used_idx += nbufs;
	vq->stats.packets++;
	vq->stats.bytes += frame_len;
	return nbufs;
}

/*
 * Take the next burst of frames for this RX vring and pass them through
 * the RX filter. Loopback frames were classified (hashed) and steered on
 * TX; frames from the wire are classified here, as the device's receive
 * pipeline would.
 */
static void
sim_rx_refill(struct sim_net *sim, struct sim_vq *vq, uint16_t pair)
{
	uint16_t n = 0;

	vq->pending_pos = 0;
	switch (sim->mode) {
	case SIM_MODE_LOOPBACK:
		n = rte_ring_dequeue_burst(vq->fifo, (void **)vq->pending,
				SIM_BURST, NULL);
		break;
	case SIM_MODE_PORT:
		n = rte_eth_rx_burst(sim->eth_port, pair, vq->pending,
				SIM_BURST);
		break;
	case SIM_MODE_NULL:
		break;
	}
	if (n != 0)
		n = sim_rx_filter_burst(sim, vq, pair, vq->pending, n,
				sim->mode == SIM_MODE_PORT &&
				sim->hdr_len == SIM_NET_HDR_HASH_LEN);
	vq->nb_pending = n;
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
					sim->null_size, NULL);
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
					m->data_len, sim_mbuf_meta(m)) :
				-EMSGSIZE;
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
	/* 198.18.0.1 -> 198.18.0.2 (RTE_IPV4 shifts a signed int: UB) */
	ip->src_addr = rte_cpu_to_be_32(UINT32_C(0xc6120001));
	ip->dst_addr = rte_cpu_to_be_32(UINT32_C(0xc6120002));
	ip->hdr_checksum = rte_ipv4_cksum(ip);
	udp->src_port = rte_cpu_to_be_16(9);
	udp->dst_port = rte_cpu_to_be_16(9);
	udp->dgram_len = rte_cpu_to_be_16(l3_len - sizeof(*ip));
}
