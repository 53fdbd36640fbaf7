/* SPDX-License-Identifier: BSD-3-Clause */

#include <string.h>
#include <linux/virtio_net.h>

#include "svq_replay.h"

enum {
	SVQ_REPLAY_MAC,
	SVQ_REPLAY_MAC_TABLE,
	SVQ_REPLAY_MQ,
	SVQ_REPLAY_RSS_PAIRS,
	SVQ_REPLAY_RSS,
	SVQ_REPLAY_OFFLOADS,
	SVQ_REPLAY_RX_MODES,
	SVQ_REPLAY_VLANS,
	SVQ_REPLAY_DONE,
};

/* An overflowed table keeps no entries, so any table one entry too long
 * recreates it: locally administered 02:53:56:51:00:NN. */
static uint8_t svq_overflow_table[(SVQ_MAC_TABLE_MAX + 1) * RTE_ETHER_ADDR_LEN];

RTE_INIT(svq_replay_init_overflow_table)
{
	unsigned int i;

	for (i = 0; i <= SVQ_MAC_TABLE_MAX; i++) {
		uint8_t *m = &svq_overflow_table[i * RTE_ETHER_ADDR_LEN];

		m[0] = 0x02;
		m[1] = 0x53;
		m[2] = 0x56;
		m[3] = 0x51;
		m[5] = i;
	}
}

static bool
svq_has(const struct svq_net_state *s, unsigned int bit)
{
	return s->features & (UINT64_C(1) << bit);
}

void
svq_replay_init(struct svq_replay *r, const struct svq_net_state *target)
{
	r->target = target;
	r->step = SVQ_REPLAY_MAC;
	r->index = 0;
}

static void
svq_replay_table(const struct svq_net_state *s, struct svq_cvq_cmd *c)
{
	c->class = VIRTIO_NET_CTRL_MAC;
	c->cmd = VIRTIO_NET_CTRL_MAC_TABLE_SET;
	c->u.table.n_uc = s->uc_overflow ? SVQ_MAC_TABLE_MAX + 1 : s->n_uc;
	c->u.table.uc = s->uc_overflow ? svq_overflow_table :
		(const uint8_t *)s->uc;
	c->u.table.n_mc = s->mc_overflow ? SVQ_MAC_TABLE_MAX + 1 : s->n_mc;
	/* Multicast bit set in the synthetic entries is not needed: the
	 * device files them by the table they arrive in. */
	c->u.table.mc = s->mc_overflow ? svq_overflow_table :
		(const uint8_t *)s->mc;
}

bool
svq_replay_next(struct svq_replay *r, struct svq_cvq_cmd *c)
{
	const struct svq_net_state *s = r->target;

	for (;;) {
		switch (r->step++) {
		case SVQ_REPLAY_MAC:
			if (!svq_has(s, VIRTIO_NET_F_CTRL_MAC_ADDR))
				continue;
			c->class = VIRTIO_NET_CTRL_MAC;
			c->cmd = VIRTIO_NET_CTRL_MAC_ADDR_SET;
			c->u.mac = s->mac;
			return true;
		case SVQ_REPLAY_MAC_TABLE:
			if (!svq_has(s, VIRTIO_NET_F_CTRL_RX) ||
					!(s->n_uc || s->n_mc || s->uc_overflow ||
					  s->mc_overflow))
				continue;
			svq_replay_table(s, c);
			return true;
		case SVQ_REPLAY_MQ:
			if (!svq_has(s, VIRTIO_NET_F_MQ))
				continue;
			c->class = VIRTIO_NET_CTRL_MQ;
			c->cmd = VIRTIO_NET_CTRL_MQ_VQ_PAIRS_SET;
			c->u.pairs = s->curr_pairs;
			return true;
		case SVQ_REPLAY_RSS_PAIRS:
			/* With RSS but not MQ only RSS_CONFIG sets the queue
			 * pairs: one that hashes nothing, unless the state's
			 * own RSS_CONFIG follows. */
			if (svq_has(s, VIRTIO_NET_F_MQ) ||
					!svq_has(s, VIRTIO_NET_F_RSS) ||
					s->curr_pairs == 1 ||
					s->rss_mode == SVQ_RSS_STEER)
				continue;
			c->class = VIRTIO_NET_CTRL_MQ;
			c->cmd = VIRTIO_NET_CTRL_MQ_RSS_CONFIG;
			memset(&c->u.rss, 0, sizeof(c->u.rss));
			c->u.rss.table_len = 1;
			c->u.rss.max_tx_vq = s->curr_pairs;
			return true;
		case SVQ_REPLAY_RSS:
			if (s->rss_mode == SVQ_RSS_OFF)
				continue;
			c->class = VIRTIO_NET_CTRL_MQ;
			c->cmd = s->rss_mode == SVQ_RSS_STEER ?
				VIRTIO_NET_CTRL_MQ_RSS_CONFIG :
				VIRTIO_NET_CTRL_MQ_HASH_CONFIG;
			c->u.rss = s->rss;
			return true;
		case SVQ_REPLAY_OFFLOADS:
			if (!svq_has(s, VIRTIO_NET_F_CTRL_GUEST_OFFLOADS) ||
					s->guest_offloads ==
					svq_net_guest_offloads(s->features))
				continue;
			c->class = VIRTIO_NET_CTRL_GUEST_OFFLOADS;
			c->cmd = VIRTIO_NET_CTRL_GUEST_OFFLOADS_SET;
			c->u.offloads = s->guest_offloads;
			return true;
		case SVQ_REPLAY_RX_MODES:
			while (r->index < SVQ_RX_MODES) {
				unsigned int mode = r->index++;

				if (s->rx_mode[mode] == (mode == SVQ_RX_PROMISC))
					continue;
				c->class = VIRTIO_NET_CTRL_RX;
				c->cmd = mode;
				c->u.on = s->rx_mode[mode];
				r->step--;	/* more modes may follow */
				return true;
			}
			r->index = 0;
			continue;
		case SVQ_REPLAY_VLANS:
			if (!svq_has(s, VIRTIO_NET_F_CTRL_VLAN))
				continue;
			while (r->index < SVQ_VLAN_MAX) {
				uint16_t vid = r->index++;

				if (!svq_net_state_vlan(s, vid))
					continue;
				c->class = VIRTIO_NET_CTRL_VLAN;
				c->cmd = VIRTIO_NET_CTRL_VLAN_ADD;
				c->u.vid = vid;
				r->step--;
				return true;
			}
			continue;
		default:
			r->step = SVQ_REPLAY_DONE;
			return false;
		}
	}
}
