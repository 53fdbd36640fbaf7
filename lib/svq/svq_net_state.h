/* SPDX-License-Identifier: BSD-3-Clause */

#ifndef SVQ_NET_STATE_H
#define SVQ_NET_STATE_H

/**
 * @file
 * The virtio-net device state a driver sets through the control
 * virtqueue, modelled after what a device does with each command. The
 * relay keeps one per port, updated only for commands the device acked;
 * the software device keeps its own and acts on it.
 */

#include <stdbool.h>
#include <stdint.h>

#include <rte_ether.h>

#include "svq_cvq.h"

#define SVQ_VLAN_MAX 4096

enum svq_rx_mode {
	SVQ_RX_PROMISC,
	SVQ_RX_ALLMULTI,
	SVQ_RX_ALLUNI,
	SVQ_RX_NOMULTI,
	SVQ_RX_NOUNI,
	SVQ_RX_NOBCAST,
	SVQ_RX_MODES
};

enum svq_rss_mode {
	SVQ_RSS_OFF,		/**< no hashing */
	SVQ_RSS_STEER,		/**< RSS_CONFIG: hash and steer */
	SVQ_RSS_HASH_ONLY,	/**< HASH_CONFIG: hash for reports only */
};

struct svq_net_state {
	uint64_t features;		/**< negotiated features */
	uint16_t max_pairs;
	struct rte_ether_addr mac;
	bool rx_mode[SVQ_RX_MODES];
	uint32_t n_uc, n_mc;
	bool uc_overflow, mc_overflow;
	struct rte_ether_addr uc[SVQ_MAC_TABLE_MAX];
	struct rte_ether_addr mc[SVQ_MAC_TABLE_MAX];
	uint64_t vlans[SVQ_VLAN_MAX / 64];
	uint64_t guest_offloads;
	uint16_t curr_pairs;
	enum svq_rss_mode rss_mode;
	struct svq_cvq_rss rss;	/**< hash_types and key for both modes */
};

/**
 * The state of a freshly reset device: promiscuous on, other RX modes off,
 * empty MAC tables, VLAN table empty with CTRL_VLAN and all VLANs passing
 * without it, every negotiated guest offload on, one queue pair, no RSS.
 */
void svq_net_state_init(struct svq_net_state *s, uint64_t features,
		const struct rte_ether_addr *mac, uint16_t max_pairs);

/** Apply a command the device accepted. */
void svq_net_state_apply(struct svq_net_state *s,
		const struct svq_cvq_cmd *cmd);

static inline bool
svq_net_state_vlan(const struct svq_net_state *s, uint16_t vid)
{
	return vid < SVQ_VLAN_MAX && (s->vlans[vid / 64] >> (vid % 64)) & 1;
}

/** Guest offloads a device enables at reset: all the negotiated ones. */
uint64_t svq_net_guest_offloads(uint64_t features);

/** Field-by-field equality, for tests and replay checks. */
bool svq_net_state_equal(const struct svq_net_state *a,
		const struct svq_net_state *b);

#endif /* SVQ_NET_STATE_H */
