/* SPDX-License-Identifier: BSD-3-Clause */

/*
 * The software device's receive-side decisions: which frames the RX
 * filter lets through (QEMU virtio-net receive_filter, the reference
 * guest drivers are tested against), the Toeplitz hash of a frame for the
 * hash types the driver enabled (virtio 1.2, 5.1.6.4.3), and which RX
 * pair a loopback frame goes to (RSS indirection table, unclassified
 * queue, or the pair it was sent from).
 *
 * Threat model: frames come from the guest (loopback) or the wire (port)
 * and may be short or malformed: every header read is bounded by the
 * frame length. The state was set by the driver through the control vring
 * and may be read torn while the control lcore changes it (the read
 * section is then retried): every table index is bounded by the table's
 * size, never only by a length read from the state.
 *
 * Calling context: data lcores, lock-free (see struct sim_ctrl).
 */

#include <string.h>

#include <rte_byteorder.h>
#include <rte_ether.h>
#include <rte_ip.h>
#include <rte_thash.h>

#include "sim_net.h"

#define SIM_ETH_TYPE_VLAN	0x8100
#define SIM_ETH_TYPE_QINQ	0x88a8
#define SIM_VLAN_HDR_LEN	4
#define SIM_IPV4_MF		0x2000
#define SIM_IPV4_OFFSET_MASK	0x1fff
#define SIM_IPV6_HDR_LEN	40
/* Extension headers walked looking for TCP/UDP before giving up. */
#define SIM_IPV6_EXT_MAX	8

static inline uint16_t
sim_be16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

static inline uint32_t
sim_be32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 |
		(uint32_t)p[2] << 8 | p[3];
}

static bool
sim_mac_listed(const struct rte_ether_addr *table, uint32_t n,
		const uint8_t *mac)
{
	uint32_t i;

	n = RTE_MIN(n, (uint32_t)SVQ_MAC_TABLE_MAX);
	for (i = 0; i < n; i++)
		if (memcmp(table[i].addr_bytes, mac, RTE_ETHER_ADDR_LEN) == 0)
			return true;
	return false;
}

/*
 * QEMU receive_filter: promiscuous takes everything; otherwise a tagged
 * frame needs its VLAN set, broadcast passes unless NOBCAST, other
 * multicast needs ALLMULTI, a full multicast table or a listed address
 * (and no NOMULTI), unicast needs ALLUNI, a full unicast table, the
 * device's MAC or a listed address (and no NOUNI).
 */
bool
sim_rx_accept(const struct svq_net_state *s, const uint8_t *frame,
		uint32_t len)
{
	const uint8_t *dst = frame;

	if (s->rx_mode[SVQ_RX_PROMISC])
		return true;
	if (len < RTE_ETHER_HDR_LEN)
		return false;
	if (sim_be16(frame + 2 * RTE_ETHER_ADDR_LEN) == SIM_ETH_TYPE_VLAN) {
		if (len < RTE_ETHER_HDR_LEN + SIM_VLAN_HDR_LEN ||
				!svq_net_state_vlan(s, sim_be16(frame +
					RTE_ETHER_HDR_LEN) & RTE_VLAN_ID_MASK))
			return false;
	}
	if (rte_is_multicast_ether_addr((const void *)dst)) {
		if (rte_is_broadcast_ether_addr((const void *)dst))
			return !s->rx_mode[SVQ_RX_NOBCAST];
		if (s->rx_mode[SVQ_RX_NOMULTI])
			return false;
		if (s->rx_mode[SVQ_RX_ALLMULTI] || s->mc_overflow)
			return true;
		return sim_mac_listed(s->mc, s->n_mc, dst);
	}
	if (s->rx_mode[SVQ_RX_NOUNI])
		return false;
	if (s->rx_mode[SVQ_RX_ALLUNI] || s->uc_overflow)
		return true;
	if (memcmp(s->mac.addr_bytes, dst, RTE_ETHER_ADDR_LEN) == 0)
		return true;
	return sim_mac_listed(s->uc, s->n_uc, dst);
}

/* Where the L3 header starts and its ethertype, past up to two tags. */
static bool
sim_l3(const uint8_t *frame, uint32_t len, uint32_t *off, uint16_t *type)
{
	unsigned int tags;

	*off = RTE_ETHER_HDR_LEN;
	if (len < *off)
		return false;
	*type = sim_be16(frame + 2 * RTE_ETHER_ADDR_LEN);
	for (tags = 0; tags < 2 && (*type == SIM_ETH_TYPE_VLAN ||
			*type == SIM_ETH_TYPE_QINQ); tags++) {
		if (len < *off + SIM_VLAN_HDR_LEN)
			return false;
		*type = sim_be16(frame + *off + 2);
		*off += SIM_VLAN_HDR_LEN;
	}
	return true;
}

/* The upper-layer protocol of an IPv6 packet past its extension headers,
 * or 0 when it cannot be known (fragment, too many or cut headers). */
static uint8_t
sim_ipv6_l4(const uint8_t *frame, uint32_t len, uint32_t *off)
{
	uint8_t next = frame[*off + 6];
	unsigned int n;

	*off += SIM_IPV6_HDR_LEN;
	for (n = 0; n < SIM_IPV6_EXT_MAX; n++) {
		uint32_t ext_len;

		switch (next) {
		case IPPROTO_HOPOPTS:
		case IPPROTO_ROUTING:
		case IPPROTO_DSTOPTS:
			if (len < *off + 2)
				return 0;
			ext_len = ((uint32_t)frame[*off + 1] + 1) * 8;
			break;
		case IPPROTO_AH:
			if (len < *off + 2)
				return 0;
			ext_len = ((uint32_t)frame[*off + 1] + 2) * 4;
			break;
		case IPPROTO_FRAGMENT:
			/* Offset or more-fragments set: no whole L4 header. */
			if (len < *off + 8 ||
					(sim_be16(frame + *off + 2) & 0xfff9) != 0)
				return 0;
			ext_len = 8;
			break;
		default:
			return next;
		}
		if (len < *off + ext_len)
			return 0;
		next = frame[*off];
		*off += ext_len;
	}
	return 0;
}

/*
 * The Toeplitz hash of @p frame over the fields the enabled hash types
 * select (virtio 1.2, 5.1.6.4.3.1/.2, without the _EX types the device
 * does not offer): TCP ports and addresses if TCPv4/6 is enabled and there
 * is a TCP header, else UDP likewise, else the addresses if IPv4/6 is
 * enabled, else no hash. Fragments have no ports.
 *
 * @return the VIRTIO_NET_HASH_REPORT_* type, NONE when hashing is off or
 *   the frame cannot be hashed with the enabled types.
 */
uint16_t
sim_rss_hash(const struct sim_ctrl *ctrl, const uint8_t *frame, uint32_t len,
		uint32_t *hash)
{
	const uint32_t types = ctrl->state.rss_mode == SVQ_RSS_OFF ? 0 :
		ctrl->state.rss.hash_types;
	union rte_thash_tuple tuple;
	uint32_t off, tuple_len;
	uint16_t type, report;
	uint8_t l4 = 0;

	*hash = 0;
	if (types == 0 || !sim_l3(frame, len, &off, &type))
		return VIRTIO_NET_HASH_REPORT_NONE;
	if (type == RTE_ETHER_TYPE_IPV4) {
		uint32_t ihl;

		if (len < off + sizeof(struct rte_ipv4_hdr) ||
				(frame[off] >> 4) != 4)
			return VIRTIO_NET_HASH_REPORT_NONE;
		ihl = (frame[off] & 0xf) * 4u;
		if (ihl < sizeof(struct rte_ipv4_hdr) || len < off + ihl)
			return VIRTIO_NET_HASH_REPORT_NONE;
		tuple.v4.src_addr = sim_be32(frame + off + 12);
		tuple.v4.dst_addr = sim_be32(frame + off + 16);
		if (!(sim_be16(frame + off + 6) &
				(SIM_IPV4_MF | SIM_IPV4_OFFSET_MASK)))
			l4 = frame[off + 9];
		off += ihl;
		if (l4 == IPPROTO_TCP && (types & VIRTIO_NET_RSS_HASH_TYPE_TCPv4) &&
				len >= off + 4) {
			report = VIRTIO_NET_HASH_REPORT_TCPv4;
		} else if (l4 == IPPROTO_UDP &&
				(types & VIRTIO_NET_RSS_HASH_TYPE_UDPv4) &&
				len >= off + 4) {
			report = VIRTIO_NET_HASH_REPORT_UDPv4;
		} else if (types & VIRTIO_NET_RSS_HASH_TYPE_IPv4) {
			*hash = rte_softrss((uint32_t *)&tuple, RTE_THASH_V4_L3_LEN,
					ctrl->rss_key);
			return VIRTIO_NET_HASH_REPORT_IPv4;
		} else {
			return VIRTIO_NET_HASH_REPORT_NONE;
		}
		tuple.v4.sport = sim_be16(frame + off);
		tuple.v4.dport = sim_be16(frame + off + 2);
		tuple_len = RTE_THASH_V4_L4_LEN;
	} else if (type == RTE_ETHER_TYPE_IPV6) {
		if (len < off + SIM_IPV6_HDR_LEN || (frame[off] >> 4) != 6)
			return VIRTIO_NET_HASH_REPORT_NONE;
		rte_thash_load_v6_addrs((const void *)(frame + off), &tuple);
		l4 = sim_ipv6_l4(frame, len, &off);
		if (l4 == IPPROTO_TCP && (types & VIRTIO_NET_RSS_HASH_TYPE_TCPv6) &&
				len >= off + 4) {
			report = VIRTIO_NET_HASH_REPORT_TCPv6;
		} else if (l4 == IPPROTO_UDP &&
				(types & VIRTIO_NET_RSS_HASH_TYPE_UDPv6) &&
				len >= off + 4) {
			report = VIRTIO_NET_HASH_REPORT_UDPv6;
		} else if (types & VIRTIO_NET_RSS_HASH_TYPE_IPv6) {
			*hash = rte_softrss((uint32_t *)&tuple, RTE_THASH_V6_L3_LEN,
					ctrl->rss_key);
			return VIRTIO_NET_HASH_REPORT_IPv6;
		} else {
			return VIRTIO_NET_HASH_REPORT_NONE;
		}
		tuple.v6.sport = sim_be16(frame + off);
		tuple.v6.dport = sim_be16(frame + off + 2);
		tuple_len = RTE_THASH_V6_L4_LEN;
	} else {
		return VIRTIO_NET_HASH_REPORT_NONE;
	}
	*hash = rte_softrss((uint32_t *)&tuple, tuple_len, ctrl->rss_key);
	return report;
}

/*
 * Loopback: classify each TX frame as the receive side would and choose
 * its RX pair. With RSS steering, the indirection table entry the hash
 * selects, or the unclassified queue when no enabled hash type applies;
 * otherwise the pair it was sent from. A pair the driver has not enabled
 * (at or above curr_pairs) gets nothing: virtio 1.2, 5.1.6.5.5 forbids
 * the device to queue frames there, so such a frame is dropped
 * (SIM_NO_PAIR) rather than quietly moved to another pair, which would
 * hide the driver's mistake (or a replay that forgot VQ_PAIRS_SET).
 * The hash goes into the frame's metadata for the RX header.
 */
void
sim_steer_burst(struct sim_net *sim, uint16_t pair, struct rte_mbuf **pkts,
		uint16_t n, uint16_t *dst)
{
	const struct sim_ctrl *c = &sim->ctrl;
	uint32_t sn;
	uint16_t i;

	do {
		const struct svq_net_state *s = &c->state;
		bool steer;
		uint32_t mask;
		uint16_t rx_pairs;

		sn = rte_seqcount_read_begin(&c->sc);
		steer = s->rss_mode == SVQ_RSS_STEER;
		/* Bounded twice: a torn table_len cannot index past the table. */
		mask = (s->rss.table_len - 1u) & (SVQ_RSS_TABLE_MAX - 1u);
		rx_pairs = c->rx_pairs;
		for (i = 0; i < n; i++) {
			struct sim_mbuf_meta *meta = sim_mbuf_meta(pkts[i]);
			uint16_t q = pair;

			meta->hash_report = sim_rss_hash(c,
				rte_pktmbuf_mtod(pkts[i], const uint8_t *),
				rte_pktmbuf_data_len(pkts[i]), &meta->hash_value);
			if (steer)
				q = meta->hash_report != VIRTIO_NET_HASH_REPORT_NONE ?
					s->rss.table[meta->hash_value & mask] :
					s->rss.unclassified;
			dst[i] = q < rx_pairs ? q : SIM_NO_PAIR;
		}
	} while (rte_seqcount_read_retry(&c->sc, sn));
}

/*
 * Pass a burst for RX pair @p pair through the RX filter; refused frames
 * are freed and counted on @p vq. A pair the driver no longer uses takes
 * nothing (frames queued before VQ_PAIRS_SET shrank the pairs, or that an
 * ethdev queue received). With @p classify, hash the accepted frames too
 * (frames from the wire, for the hash report).
 *
 * @return the frames kept, compacted at the front of @p pkts.
 */
uint16_t
sim_rx_filter_burst(struct sim_net *sim, struct sim_vq *vq, uint16_t pair,
		struct rte_mbuf **pkts, uint16_t n, bool classify)
{
	const struct sim_ctrl *c = &sim->ctrl;
	bool accept[SIM_BURST];
	uint16_t i, kept = 0;
	uint32_t sn;

	do {
		bool active;

		sn = rte_seqcount_read_begin(&c->sc);
		active = pair < c->rx_pairs;
		for (i = 0; i < n; i++) {
			const uint8_t *frame =
				rte_pktmbuf_mtod(pkts[i], const uint8_t *);
			uint32_t len = rte_pktmbuf_data_len(pkts[i]);

			accept[i] = active && sim_rx_accept(&c->state, frame, len);
			if (accept[i] && classify) {
				struct sim_mbuf_meta *meta = sim_mbuf_meta(pkts[i]);

				meta->hash_report = sim_rss_hash(c, frame, len,
						&meta->hash_value);
			}
		}
	} while (rte_seqcount_read_retry(&c->sc, sn));

	for (i = 0; i < n; i++) {
		if (accept[i]) {
			pkts[kept++] = pkts[i];
		} else {
			rte_pktmbuf_free(pkts[i]);
			vq->stats.filtered++;
		}
	}
	return kept;
}
