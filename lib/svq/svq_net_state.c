/* SPDX-License-Identifier: BSD-3-Clause */

#include <string.h>
#include <linux/virtio_net.h>

#include <rte_common.h>

#include "svq_net_state.h"

#define SVQ_GUEST_OFFLOAD_FEATURES \
	((UINT64_C(1) << VIRTIO_NET_F_GUEST_CSUM) | \
	 (UINT64_C(1) << VIRTIO_NET_F_GUEST_TSO4) | \
	 (UINT64_C(1) << VIRTIO_NET_F_GUEST_TSO6) | \
	 (UINT64_C(1) << VIRTIO_NET_F_GUEST_ECN) | \
	 (UINT64_C(1) << VIRTIO_NET_F_GUEST_UFO))

uint64_t
svq_net_guest_offloads(uint64_t features)
{
	return features & SVQ_GUEST_OFFLOAD_FEATURES;
}

void
svq_net_state_init(struct svq_net_state *s, uint64_t features,
		const struct rte_ether_addr *mac, uint16_t max_pairs)
{
	memset(s, 0, sizeof(*s));
	s->features = features;
	s->max_pairs = max_pairs;
	s->mac = *mac;
	s->rx_mode[SVQ_RX_PROMISC] = true;
	/* virtio 1.2, 5.1.6.5.3: without CTRL_VLAN the device does not
	 * filter by VLAN; with it the table starts empty. */
	if (!(features & (UINT64_C(1) << VIRTIO_NET_F_CTRL_VLAN)))
		memset(s->vlans, 0xff, sizeof(s->vlans));
	s->guest_offloads = svq_net_guest_offloads(features);
	s->curr_pairs = 1;
	s->rss_mode = SVQ_RSS_OFF;
}

/* A table that does not fit is not stored: the device accepts every
 * address of that kind instead (overflow), as QEMU's device does. */
static void
svq_net_set_table(struct rte_ether_addr *dst, uint32_t *n, bool *overflow,
		const uint8_t *src, uint32_t count)
{
	uint32_t i;

	*overflow = count > SVQ_MAC_TABLE_MAX;
	*n = *overflow ? 0 : count;
	for (i = 0; i < *n; i++)
		memcpy(dst[i].addr_bytes, src + i * RTE_ETHER_ADDR_LEN,
			RTE_ETHER_ADDR_LEN);
}

void
svq_net_state_apply(struct svq_net_state *s, const struct svq_cvq_cmd *c)
{
	switch (c->class) {
	case VIRTIO_NET_CTRL_RX:
		s->rx_mode[c->cmd] = c->u.on;
		break;
	case VIRTIO_NET_CTRL_MAC:
		if (c->cmd == VIRTIO_NET_CTRL_MAC_ADDR_SET) {
			s->mac = c->u.mac;
			break;
		}
		svq_net_set_table(s->uc, &s->n_uc, &s->uc_overflow,
			c->u.table.uc, c->u.table.n_uc);
		svq_net_set_table(s->mc, &s->n_mc, &s->mc_overflow,
			c->u.table.mc, c->u.table.n_mc);
		break;
	case VIRTIO_NET_CTRL_VLAN:
		if (c->cmd == VIRTIO_NET_CTRL_VLAN_ADD)
			s->vlans[c->u.vid / 64] |= UINT64_C(1) << (c->u.vid % 64);
		else
			s->vlans[c->u.vid / 64] &= ~(UINT64_C(1) << (c->u.vid % 64));
		break;
	case VIRTIO_NET_CTRL_MQ:
		if (c->cmd == VIRTIO_NET_CTRL_MQ_VQ_PAIRS_SET) {
			/* A plain queue-pair change ends RSS steering, as
			 * in QEMU; the hash config goes with it. */
			s->curr_pairs = c->u.pairs;
			s->rss_mode = SVQ_RSS_OFF;
			memset(&s->rss, 0, sizeof(s->rss));
			break;
		}
		s->rss = c->u.rss;
		if (c->cmd == VIRTIO_NET_CTRL_MQ_RSS_CONFIG) {
			/* RSS_CONFIG does what VQ_PAIRS_SET does too. */
			s->curr_pairs = c->u.rss.max_tx_vq;
			s->rss_mode = c->u.rss.hash_types ? SVQ_RSS_STEER :
				SVQ_RSS_OFF;
		} else {
			s->rss.table_len = 0;
			s->rss.unclassified = 0;
			s->rss.max_tx_vq = 0;
			s->rss_mode = c->u.rss.hash_types ? SVQ_RSS_HASH_ONLY :
				SVQ_RSS_OFF;
		}
		if (s->rss_mode == SVQ_RSS_OFF)
			memset(&s->rss, 0, sizeof(s->rss));
		break;
	case VIRTIO_NET_CTRL_GUEST_OFFLOADS:
		s->guest_offloads = c->u.offloads;
		break;
	default:
		/* ANNOUNCE_ACK changes nothing the device keeps. */
		break;
	}
}

bool
svq_net_state_equal(const struct svq_net_state *a,
		const struct svq_net_state *b)
{
	if (a->features != b->features || a->max_pairs != b->max_pairs ||
			!rte_is_same_ether_addr(&a->mac, &b->mac) ||
			memcmp(a->rx_mode, b->rx_mode, sizeof(a->rx_mode)) ||
			a->n_uc != b->n_uc || a->n_mc != b->n_mc ||
			a->uc_overflow != b->uc_overflow ||
			a->mc_overflow != b->mc_overflow ||
			memcmp(a->uc, b->uc, sizeof(a->uc[0]) * a->n_uc) ||
			memcmp(a->mc, b->mc, sizeof(a->mc[0]) * a->n_mc) ||
			memcmp(a->vlans, b->vlans, sizeof(a->vlans)) ||
			a->guest_offloads != b->guest_offloads ||
			a->curr_pairs != b->curr_pairs ||
			a->rss_mode != b->rss_mode)
		return false;
	if (a->rss_mode == SVQ_RSS_OFF)
		return true;
	if (a->rss.hash_types != b->rss.hash_types ||
			a->rss.key_len != b->rss.key_len ||
			memcmp(a->rss.key, b->rss.key, a->rss.key_len))
		return false;
	if (a->rss_mode == SVQ_RSS_HASH_ONLY)
		return true;
	return a->rss.table_len == b->rss.table_len &&
		a->rss.unclassified == b->rss.unclassified &&
		a->rss.max_tx_vq == b->rss.max_tx_vq &&
		memcmp(a->rss.table, b->rss.table,
			sizeof(a->rss.table[0]) * a->rss.table_len) == 0;
}
