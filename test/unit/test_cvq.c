/* SPDX-License-Identifier: BSD-3-Clause */

/*
 * CVQ parser, device state model, state JSON and replay planner. The
 * central property: replaying the plan of any reachable state onto a fresh
 * device yields that same state.
 */

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <linux/virtio_net.h>

#include <CUnit/CUnit.h>
#include <rte_random.h>

#include "svq_cvq.h"
#include "svq_net_state.h"
#include "svq_replay.h"
#include "svq_state_json.h"
#include "unit.h"

#define F(bit) (UINT64_C(1) << (bit))
#define ALL_FEATURES (F(VIRTIO_F_VERSION_1) | F(VIRTIO_NET_F_CTRL_VQ) | \
	F(VIRTIO_NET_F_CTRL_RX) | F(VIRTIO_NET_F_CTRL_RX_EXTRA) | \
	F(VIRTIO_NET_F_CTRL_VLAN) | F(VIRTIO_NET_F_CTRL_MAC_ADDR) | \
	F(VIRTIO_NET_F_GUEST_ANNOUNCE) | F(VIRTIO_NET_F_MQ) | \
	F(VIRTIO_NET_F_RSS) | F(VIRTIO_NET_F_HASH_REPORT) | \
	F(VIRTIO_NET_F_CTRL_GUEST_OFFLOADS) | F(VIRTIO_NET_F_GUEST_CSUM) | \
	F(VIRTIO_NET_F_GUEST_TSO4) | F(VIRTIO_NET_F_GUEST_TSO6))
#define HASH_TYPES 0x3f

static const struct rte_ether_addr dev_mac = {
	.addr_bytes = { 0x52, 0x54, 0x00, 0x12, 0x34, 0x56 } };

static struct svq_cvq_limits
limits(uint64_t features)
{
	return (struct svq_cvq_limits){
		.features = features, .max_pairs = 8, .rss_max_key = 40,
		.rss_max_table = 128, .hash_types = HASH_TYPES,
		.guest_offloads = svq_net_guest_offloads(features) };
}

/* Parse hex-free byte lists: expect the given result for these bytes. */
static int
parse_bytes(const uint8_t *b, size_t len, uint64_t features,
		struct svq_cvq_cmd *c)
{
	struct svq_cvq_limits lim = limits(features);
	const char *why;

	return svq_cvq_parse(b, len, &lim, c, &why);
}

static struct svq_cvq_cmd cmd, cmd2;

static void
test_parse_each_class(void)
{
	static const uint8_t promisc[] = { 0, 0, 1 };
	static const uint8_t nobcast[] = { 0, 5, 1 };
	static const uint8_t addr[] = { 1, 1, 2, 0, 0, 0, 0, 9 };
	static const uint8_t table[] = { 1, 0, 1, 0, 0, 0, 2, 0, 0, 0, 0, 1,
		2, 0, 0, 0, 1, 0, 0x5e, 0, 0, 1, 1, 0, 0x5e, 0, 0, 2 };
	static const uint8_t vlan[] = { 2, 0, 0xff, 0x0f };
	static const uint8_t announce[] = { 3, 0 };
	static const uint8_t pairs[] = { 4, 0, 4, 0 };
	static const uint8_t offloads[] = { 5, 0, 2, 0, 0, 0, 0, 0, 0, 0 };

	CU_ASSERT_EQUAL(parse_bytes(promisc, sizeof(promisc), ALL_FEATURES, &cmd), 0);
	CU_ASSERT_TRUE(cmd.u.on);
	CU_ASSERT_EQUAL(parse_bytes(nobcast, sizeof(nobcast), ALL_FEATURES, &cmd), 0);
	CU_ASSERT_EQUAL(parse_bytes(addr, sizeof(addr), ALL_FEATURES, &cmd), 0);
	CU_ASSERT_EQUAL(cmd.u.mac.addr_bytes[5], 9);
	CU_ASSERT_EQUAL(parse_bytes(table, sizeof(table), ALL_FEATURES, &cmd), 0);
	CU_ASSERT_EQUAL(cmd.u.table.n_uc, 1);
	CU_ASSERT_EQUAL(cmd.u.table.n_mc, 2);
	CU_ASSERT_EQUAL(cmd.u.table.mc[RTE_ETHER_ADDR_LEN + 5], 2);
	CU_ASSERT_EQUAL(parse_bytes(vlan, sizeof(vlan), ALL_FEATURES, &cmd), 0);
	CU_ASSERT_EQUAL(cmd.u.vid, 4095);
	CU_ASSERT_EQUAL(parse_bytes(announce, sizeof(announce), ALL_FEATURES, &cmd), 0);
	CU_ASSERT_EQUAL(parse_bytes(pairs, sizeof(pairs), ALL_FEATURES, &cmd), 0);
	CU_ASSERT_EQUAL(cmd.u.pairs, 4);
	CU_ASSERT_EQUAL(parse_bytes(offloads, sizeof(offloads), ALL_FEATURES, &cmd), 0);
	CU_ASSERT_EQUAL(cmd.u.offloads, F(VIRTIO_NET_F_GUEST_CSUM));
}

static void
test_rss_round_trip(void)
{
	uint8_t buf[4096];
	int len, i;

	memset(&cmd, 0, sizeof(cmd));
	cmd.class = VIRTIO_NET_CTRL_MQ;
	cmd.cmd = VIRTIO_NET_CTRL_MQ_RSS_CONFIG;
	cmd.u.rss.hash_types = 0x7;
	cmd.u.rss.table_len = 128;
	cmd.u.rss.unclassified = 3;
	cmd.u.rss.max_tx_vq = 8;
	cmd.u.rss.key_len = 40;
	for (i = 0; i < 128; i++)
		cmd.u.rss.table[i] = i % 8;
	for (i = 0; i < 40; i++)
		cmd.u.rss.key[i] = i * 3;
	len = svq_cvq_encode(&cmd, buf, sizeof(buf));
	CU_ASSERT_EQUAL(len, 2 + 4 + 4 + 256 + 2 + 1 + 40);
	CU_ASSERT_EQUAL(parse_bytes(buf, len, ALL_FEATURES, &cmd2), 0);
	CU_ASSERT_EQUAL(memcmp(&cmd.u.rss, &cmd2.u.rss, sizeof(cmd.u.rss)), 0);
	/* one byte short or long is refused */
	CU_ASSERT_NOT_EQUAL(parse_bytes(buf, len - 1, ALL_FEATURES, &cmd2), 0);
	buf[len] = 0;
	CU_ASSERT_NOT_EQUAL(parse_bytes(buf, len + 1, ALL_FEATURES, &cmd2), 0);

	cmd.cmd = VIRTIO_NET_CTRL_MQ_HASH_CONFIG;
	len = svq_cvq_encode(&cmd, buf, sizeof(buf));
	CU_ASSERT_EQUAL(len, 2 + 4 + 8 + 1 + 40);
	CU_ASSERT_EQUAL(parse_bytes(buf, len, ALL_FEATURES, &cmd2), 0);
	CU_ASSERT_EQUAL(cmd2.u.rss.key_len, 40);
	CU_ASSERT_EQUAL(svq_cvq_encode(&cmd, buf, 10), -ENOSPC);
}

/* Encode an RSS command with one field broken by @p breaker. */
static int
parse_broken_rss(void (*breaker)(struct svq_cvq_rss *), bool raw_mask,
		uint16_t mask)
{
	uint8_t buf[4096];
	int len, i;

	memset(&cmd, 0, sizeof(cmd));
	cmd.class = VIRTIO_NET_CTRL_MQ;
	cmd.cmd = VIRTIO_NET_CTRL_MQ_RSS_CONFIG;
	cmd.u.rss.hash_types = 0x3;
	cmd.u.rss.table_len = 8;
	cmd.u.rss.max_tx_vq = 2;
	cmd.u.rss.key_len = 40;
	for (i = 0; i < 8; i++)
		cmd.u.rss.table[i] = i % 2;
	if (breaker != NULL)
		breaker(&cmd.u.rss);
	len = svq_cvq_encode(&cmd, buf, sizeof(buf));
	if (raw_mask) {
		buf[6] = mask;
		buf[7] = mask >> 8;
	}
	return parse_bytes(buf, len, ALL_FEATURES, &cmd2);
}

static void break_hash_types(struct svq_cvq_rss *r) { r->hash_types = 1u << 20; }
static void break_entry(struct svq_cvq_rss *r) { r->table[5] = 8; }
static void break_unclassified(struct svq_cvq_rss *r) { r->unclassified = 9; }
static void break_max_tx(struct svq_cvq_rss *r) { r->max_tx_vq = 0; }
static void break_max_tx_high(struct svq_cvq_rss *r) { r->max_tx_vq = 9; }
static void break_key(struct svq_cvq_rss *r) { r->key_len = 41; }
static void break_table_size(struct svq_cvq_rss *r)
{
	int i;

	r->table_len = 256;	/* device maximum is 128 */
	for (i = 0; i < 256; i++)
		r->table[i] = 0;
}

static void
test_parse_malformed(void)
{
	static const uint8_t short_hdr[] = { 0 };
	static const uint8_t rx_two[] = { 0, 0, 1, 1 };
	static const uint8_t rx_none[] = { 0, 1 };
	static const uint8_t rx_bad_cmd[] = { 0, 6, 1 };
	static const uint8_t addr_short[] = { 1, 1, 2, 0, 0, 0, 0 };
	static const uint8_t table_uc_beyond[] = { 1, 0, 3, 0, 0, 0, 1, 2, 3, 4, 5, 6 };
	static const uint8_t table_uc_huge[] = { 1, 0, 0xff, 0xff, 0xff, 0xff, 0, 0, 0, 0 };
	static const uint8_t table_no_mc[] = { 1, 0, 0, 0, 0, 0 };
	static const uint8_t table_trailing[] = { 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 7 };
	static const uint8_t vlan_4096[] = { 2, 0, 0x00, 0x10 };
	static const uint8_t vlan_bad_cmd[] = { 2, 2, 1, 0 };
	static const uint8_t announce_data[] = { 3, 0, 1 };
	static const uint8_t pairs_zero[] = { 4, 0, 0, 0 };
	static const uint8_t pairs_high[] = { 4, 0, 9, 0 };
	static const uint8_t mq_bad_cmd[] = { 4, 3 };
	static const uint8_t offloads_short[] = { 5, 0, 2, 0, 0, 0 };
	static const uint8_t offloads_extra[] = { 5, 0, 0, 4, 0, 0, 0, 0, 0, 0 };
	static const uint8_t unknown_class[] = { 9, 0 };
	static const uint8_t notf_coal[] = { 6, 0, 0, 0, 0, 0, 0, 0, 0, 0 };
	const uint64_t f = ALL_FEATURES;

	CU_ASSERT_EQUAL(parse_bytes(short_hdr, 0, f, &cmd), -EINVAL);
	CU_ASSERT_EQUAL(parse_bytes(short_hdr, 1, f, &cmd), -EINVAL);
	CU_ASSERT_EQUAL(parse_bytes(rx_two, sizeof(rx_two), f, &cmd), -EINVAL);
	CU_ASSERT_EQUAL(parse_bytes(rx_none, sizeof(rx_none), f, &cmd), -EINVAL);
	CU_ASSERT_EQUAL(parse_bytes(rx_bad_cmd, sizeof(rx_bad_cmd), f, &cmd), -ENOTSUP);
	CU_ASSERT_EQUAL(parse_bytes(addr_short, sizeof(addr_short), f, &cmd), -EINVAL);
	CU_ASSERT_EQUAL(parse_bytes(table_uc_beyond, sizeof(table_uc_beyond), f, &cmd), -EINVAL);
	CU_ASSERT_EQUAL(parse_bytes(table_uc_huge, sizeof(table_uc_huge), f, &cmd), -EINVAL);
	CU_ASSERT_EQUAL(parse_bytes(table_no_mc, sizeof(table_no_mc), f, &cmd), -EINVAL);
	CU_ASSERT_EQUAL(parse_bytes(table_trailing, sizeof(table_trailing), f, &cmd), -EINVAL);
	CU_ASSERT_EQUAL(parse_bytes(vlan_4096, sizeof(vlan_4096), f, &cmd), -EINVAL);
	CU_ASSERT_EQUAL(parse_bytes(vlan_bad_cmd, sizeof(vlan_bad_cmd), f, &cmd), -ENOTSUP);
	CU_ASSERT_EQUAL(parse_bytes(announce_data, sizeof(announce_data), f, &cmd), -EINVAL);
	CU_ASSERT_EQUAL(parse_bytes(pairs_zero, sizeof(pairs_zero), f, &cmd), -EINVAL);
	CU_ASSERT_EQUAL(parse_bytes(pairs_high, sizeof(pairs_high), f, &cmd), -EINVAL);
	CU_ASSERT_EQUAL(parse_bytes(mq_bad_cmd, sizeof(mq_bad_cmd), f, &cmd), -ENOTSUP);
	CU_ASSERT_EQUAL(parse_bytes(offloads_short, sizeof(offloads_short), f, &cmd), -EINVAL);
	CU_ASSERT_EQUAL(parse_bytes(offloads_extra, sizeof(offloads_extra), f, &cmd), -EINVAL);
	CU_ASSERT_EQUAL(parse_bytes(unknown_class, sizeof(unknown_class), f, &cmd), -ENOTSUP);
	CU_ASSERT_EQUAL(parse_bytes(notf_coal, sizeof(notf_coal), f, &cmd), -ENOTSUP);

	CU_ASSERT_EQUAL(parse_broken_rss(NULL, false, 0), 0);
	CU_ASSERT_EQUAL(parse_broken_rss(NULL, true, 6), -EINVAL);	/* not 2^n-1 */
	CU_ASSERT_EQUAL(parse_broken_rss(break_hash_types, false, 0), -EINVAL);
	CU_ASSERT_EQUAL(parse_broken_rss(break_entry, false, 0), -EINVAL);
	CU_ASSERT_EQUAL(parse_broken_rss(break_unclassified, false, 0), -EINVAL);
	CU_ASSERT_EQUAL(parse_broken_rss(break_max_tx, false, 0), -EINVAL);
	CU_ASSERT_EQUAL(parse_broken_rss(break_max_tx_high, false, 0), -EINVAL);
	CU_ASSERT_EQUAL(parse_broken_rss(break_key, false, 0), -EINVAL);
	CU_ASSERT_EQUAL(parse_broken_rss(break_table_size, false, 0), -EINVAL);
}

static void
test_parse_needs_features(void)
{
	static const uint8_t alluni[] = { 0, 2, 1 };
	static const uint8_t promisc[] = { 0, 0, 1 };
	static const uint8_t addr[] = { 1, 1, 2, 0, 0, 0, 0, 9 };
	static const uint8_t vlan[] = { 2, 0, 5, 0 };
	static const uint8_t pairs[] = { 4, 0, 2, 0 };
	const uint64_t base = F(VIRTIO_F_VERSION_1) | F(VIRTIO_NET_F_CTRL_VQ);

	CU_ASSERT_EQUAL(parse_bytes(alluni, 3, base | F(VIRTIO_NET_F_CTRL_RX), &cmd), -ENOTSUP);
	CU_ASSERT_EQUAL(parse_bytes(promisc, 3, base, &cmd), -ENOTSUP);
	CU_ASSERT_EQUAL(parse_bytes(addr, sizeof(addr), base, &cmd), -ENOTSUP);
	CU_ASSERT_EQUAL(parse_bytes(vlan, sizeof(vlan), base, &cmd), -ENOTSUP);
	CU_ASSERT_EQUAL(parse_bytes(pairs, sizeof(pairs), base, &cmd), -ENOTSUP);
}

static struct svq_net_state st, st2;

static void
test_state_defaults_and_apply(void)
{
	static const uint8_t pairs[] = { 4, 0, 4, 0 };
	uint8_t big[2 + 4 + 65 * 6 + 4];

	svq_net_state_init(&st, ALL_FEATURES, &dev_mac, 8);
	CU_ASSERT_TRUE(st.rx_mode[SVQ_RX_PROMISC]);
	CU_ASSERT_FALSE(st.rx_mode[SVQ_RX_ALLMULTI]);
	CU_ASSERT_FALSE(svq_net_state_vlan(&st, 1));	/* CTRL_VLAN: empty */
	CU_ASSERT_EQUAL(st.curr_pairs, 1);
	CU_ASSERT_EQUAL(st.guest_offloads, F(VIRTIO_NET_F_GUEST_CSUM) |
		F(VIRTIO_NET_F_GUEST_TSO4) | F(VIRTIO_NET_F_GUEST_TSO6));
	svq_net_state_init(&st2, F(VIRTIO_F_VERSION_1), &dev_mac, 1);
	CU_ASSERT_TRUE(svq_net_state_vlan(&st2, 1));	/* no CTRL_VLAN: all pass */
	CU_ASSERT_TRUE(svq_net_state_vlan(&st2, 4095));

	/* a MAC table longer than the device keeps is an overflow */
	memset(big, 0, sizeof(big));
	big[0] = VIRTIO_NET_CTRL_MAC;
	big[2] = 65;
	CU_ASSERT_EQUAL_FATAL(parse_bytes(big, sizeof(big), ALL_FEATURES, &cmd), 0);
	svq_net_state_apply(&st, &cmd);
	CU_ASSERT_TRUE(st.uc_overflow);
	CU_ASSERT_EQUAL(st.n_uc, 0);
	CU_ASSERT_FALSE(st.mc_overflow);

	/* RSS sets the queue pairs; a later VQ_PAIRS_SET ends steering */
	CU_ASSERT_EQUAL_FATAL(parse_broken_rss(NULL, false, 0), 0);
	svq_net_state_apply(&st, &cmd2);
	CU_ASSERT_EQUAL(st.rss_mode, SVQ_RSS_STEER);
	CU_ASSERT_EQUAL(st.curr_pairs, 2);
	CU_ASSERT_EQUAL_FATAL(parse_bytes(pairs, sizeof(pairs), ALL_FEATURES, &cmd), 0);
	svq_net_state_apply(&st, &cmd);
	CU_ASSERT_EQUAL(st.rss_mode, SVQ_RSS_OFF);
	CU_ASSERT_EQUAL(st.curr_pairs, 4);
}

/* A random command the device would accept, or with @p bad, one it would
 * not (the caller then leaves the state alone). */
static void
random_command(struct svq_cvq_cmd *c, uint8_t *macs)
{
	unsigned int i, n;

	memset(c, 0, sizeof(*c));
	switch (rte_rand_max(8)) {
	case 0:
		c->class = VIRTIO_NET_CTRL_RX;
		c->cmd = rte_rand_max(SVQ_RX_MODES);
		c->u.on = rte_rand_max(2);
		break;
	case 1:
		c->class = VIRTIO_NET_CTRL_MAC;
		c->cmd = VIRTIO_NET_CTRL_MAC_ADDR_SET;
		rte_eth_random_addr(c->u.mac.addr_bytes);
		break;
	case 2:
		c->class = VIRTIO_NET_CTRL_MAC;
		c->cmd = VIRTIO_NET_CTRL_MAC_TABLE_SET;
		c->u.table.n_uc = rte_rand_max(70);
		c->u.table.n_mc = rte_rand_max(70);
		for (i = 0; i < 140 * RTE_ETHER_ADDR_LEN; i++)
			macs[i] = rte_rand();
		c->u.table.uc = macs;
		c->u.table.mc = macs + 70 * RTE_ETHER_ADDR_LEN;
		break;
	case 3:
		c->class = VIRTIO_NET_CTRL_VLAN;
		c->cmd = rte_rand_max(4) ? VIRTIO_NET_CTRL_VLAN_ADD :
			VIRTIO_NET_CTRL_VLAN_DEL;
		c->u.vid = rte_rand_max(4096);
		break;
	case 4:
		c->class = VIRTIO_NET_CTRL_MQ;
		c->cmd = VIRTIO_NET_CTRL_MQ_VQ_PAIRS_SET;
		c->u.pairs = 1 + rte_rand_max(8);
		break;
	case 5:
	case 6:
		c->class = VIRTIO_NET_CTRL_MQ;
		c->cmd = rte_rand_max(2) ? VIRTIO_NET_CTRL_MQ_RSS_CONFIG :
			VIRTIO_NET_CTRL_MQ_HASH_CONFIG;
		c->u.rss.hash_types = rte_rand_max(HASH_TYPES + 1);
		c->u.rss.key_len = rte_rand_max(41);
		for (i = 0; i < c->u.rss.key_len; i++)
			c->u.rss.key[i] = rte_rand();
		if (c->cmd == VIRTIO_NET_CTRL_MQ_RSS_CONFIG) {
			n = 1u << rte_rand_max(8);	/* 1..128 */
			c->u.rss.table_len = n;
			for (i = 0; i < n; i++)
				c->u.rss.table[i] = rte_rand_max(8);
			c->u.rss.unclassified = rte_rand_max(8);
			c->u.rss.max_tx_vq = 1 + rte_rand_max(8);
		}
		break;
	default:
		c->class = VIRTIO_NET_CTRL_GUEST_OFFLOADS;
		c->cmd = VIRTIO_NET_CTRL_GUEST_OFFLOADS_SET;
		c->u.offloads = rte_rand() & svq_net_guest_offloads(ALL_FEATURES);
		break;
	}
}

/* Replay @p target onto a fresh state, through the wire encoding. */
static unsigned int
replay_onto_fresh(const struct svq_net_state *target, struct svq_net_state *fresh)
{
	static uint8_t wire[8192];
	struct svq_replay r;
	unsigned int n = 0;
	int len;

	svq_net_state_init(fresh, target->features, &dev_mac, target->max_pairs);
	svq_replay_init(&r, target);
	while (svq_replay_next(&r, &cmd2)) {
		len = svq_cvq_encode(&cmd2, wire, sizeof(wire));
		CU_ASSERT_FATAL(len > 0);
		/* every planned command must be one the device accepts */
		CU_ASSERT_EQUAL_FATAL(parse_bytes(wire, len, target->features, &cmd2), 0);
		svq_net_state_apply(fresh, &cmd2);
		n++;
	}
	return n;
}

static void
test_replay_reproduces_random_states(void)
{
	static uint8_t macs[140 * RTE_ETHER_ADDR_LEN], wire[8192];
	unsigned int round, i, accepted = 0;

	rte_srand(12345);
	for (round = 0; round < 200; round++) {
		svq_net_state_init(&st, ALL_FEATURES, &dev_mac, 8);
		for (i = 0; i < 50; i++) {
			int len;

			random_command(&cmd, macs);
			len = svq_cvq_encode(&cmd, wire, sizeof(wire));
			CU_ASSERT_FATAL(len > 0);
			if (parse_bytes(wire, len, ALL_FEATURES, &cmd) == 0) {
				svq_net_state_apply(&st, &cmd);
				accepted++;
			}
		}
		replay_onto_fresh(&st, &st2);
		CU_ASSERT_TRUE(svq_net_state_equal(&st, &st2));
		if (!svq_net_state_equal(&st, &st2))
			break;
	}
	CU_ASSERT(accepted > 5000);
}

static void
test_replay_order_and_defaults(void)
{
	struct svq_replay r;
	unsigned int n = 0;

	/* a default state needs only the MAC and the queue pairs */
	svq_net_state_init(&st, ALL_FEATURES, &dev_mac, 8);
	svq_replay_init(&r, &st);
	CU_ASSERT_TRUE(svq_replay_next(&r, &cmd));
	CU_ASSERT_EQUAL(cmd.cmd, VIRTIO_NET_CTRL_MAC_ADDR_SET);
	CU_ASSERT_TRUE(svq_replay_next(&r, &cmd));
	CU_ASSERT_EQUAL(cmd.class, VIRTIO_NET_CTRL_MQ);
	CU_ASSERT_FALSE(svq_replay_next(&r, &cmd));

	/* promisc off, allmulti on, two VLANs: in QEMU's order */
	st.rx_mode[SVQ_RX_PROMISC] = false;
	st.rx_mode[SVQ_RX_ALLMULTI] = true;
	st.vlans[0] = 0x6;
	st.guest_offloads = 0;
	svq_replay_init(&r, &st);
	while (svq_replay_next(&r, &cmd)) {
		static const struct { uint8_t class, cmd; } want[] = {
			{ VIRTIO_NET_CTRL_MAC, VIRTIO_NET_CTRL_MAC_ADDR_SET },
			{ VIRTIO_NET_CTRL_MQ, VIRTIO_NET_CTRL_MQ_VQ_PAIRS_SET },
			{ VIRTIO_NET_CTRL_GUEST_OFFLOADS, 0 },
			{ VIRTIO_NET_CTRL_RX, VIRTIO_NET_CTRL_RX_PROMISC },
			{ VIRTIO_NET_CTRL_RX, VIRTIO_NET_CTRL_RX_ALLMULTI },
			{ VIRTIO_NET_CTRL_VLAN, VIRTIO_NET_CTRL_VLAN_ADD },
			{ VIRTIO_NET_CTRL_VLAN, VIRTIO_NET_CTRL_VLAN_ADD },
		};

		CU_ASSERT_FATAL(n < RTE_DIM(want));
		CU_ASSERT_EQUAL(cmd.class, want[n].class);
		CU_ASSERT_EQUAL(cmd.cmd, want[n].cmd);
		n++;
	}
	CU_ASSERT_EQUAL(n, 7);

	/* a full state: every VLAN, both tables full, RSS, every RX mode */
	svq_net_state_init(&st, ALL_FEATURES, &dev_mac, 8);
	memset(st.vlans, 0xff, sizeof(st.vlans));
	st.n_uc = st.n_mc = SVQ_MAC_TABLE_MAX;
	for (n = 0; n < SVQ_RX_MODES; n++)
		st.rx_mode[n] = n != SVQ_RX_PROMISC;
	st.rss_mode = SVQ_RSS_STEER;
	st.rss.hash_types = 0x3f;
	st.rss.table_len = 128;
	st.rss.max_tx_vq = st.curr_pairs = 8;
	st.rss.key_len = 40;
	/* 1 MAC + 1 table + 1 MQ + 1 RSS + 6 RX + 4096 VLANs */
	CU_ASSERT_EQUAL(replay_onto_fresh(&st, &st2), 4106);
	CU_ASSERT_TRUE(svq_net_state_equal(&st, &st2));
}

static void
test_json_round_trip(void)
{
	char err[256], path[] = "/tmp/svq-unit-state-XXXXXX";
	json_t *j;
	int fd;

	svq_net_state_init(&st, ALL_FEATURES, &dev_mac, 8);
	st.rx_mode[SVQ_RX_NOBCAST] = true;
	st.n_uc = 2;
	st.uc[1].addr_bytes[5] = 7;
	st.mc_overflow = true;
	st.vlans[1] = 0x8001;
	st.rss_mode = SVQ_RSS_STEER;
	st.rss.hash_types = 0x12;
	st.rss.table_len = 4;
	st.rss.table[3] = 7;
	st.rss.max_tx_vq = st.curr_pairs = 3;
	st.rss.key_len = 3;
	st.rss.key[2] = 0xab;

	j = svq_state_to_json(&st);
	CU_ASSERT_PTR_NOT_NULL_FATAL(j);
	memset(&st2, 0, sizeof(st2));
	CU_ASSERT_EQUAL(svq_state_from_json(j, &st2, err, sizeof(err)), 0);
	CU_ASSERT_TRUE(svq_net_state_equal(&st, &st2));
	json_decref(j);

	fd = mkstemp(path);
	close(fd);
	CU_ASSERT_EQUAL(svq_state_save(&st, path, err, sizeof(err)), 0);
	memset(&st2, 0, sizeof(st2));
	CU_ASSERT_EQUAL(svq_state_load(path, &st2, err, sizeof(err)), 0);
	CU_ASSERT_TRUE(svq_net_state_equal(&st, &st2));
	unlink(path);
}

/* Found by fuzz-cvq: with RSS but not MQ, RSS_CONFIG sets the queue
 * pairs, which must save, load and replay whatever the RSS mode after. */
static void
test_rss_pairs_without_mq(void)
{
	static const enum svq_rss_mode modes[] = {
		SVQ_RSS_OFF, SVQ_RSS_STEER, SVQ_RSS_HASH_ONLY };
	struct svq_net_state fresh;
	char err[256];
	unsigned int i;
	json_t *j;

	for (i = 0; i < RTE_DIM(modes); i++) {
		svq_net_state_init(&st, ALL_FEATURES &
			~(UINT64_C(1) << VIRTIO_NET_F_MQ), &dev_mac, 8);
		st.curr_pairs = 3;
		st.rss_mode = modes[i];
		if (modes[i] != SVQ_RSS_OFF) {
			st.rss.hash_types = 0x12;
			st.rss.key_len = 4;
		}
		if (modes[i] == SVQ_RSS_STEER) {
			st.rss.table_len = 2;
			st.rss.table[1] = 2;
			st.rss.max_tx_vq = 3;
		}
		j = svq_state_to_json(&st);
		CU_ASSERT_EQUAL(svq_state_from_json(j, &st2, err, sizeof(err)), 0);
		CU_ASSERT_TRUE(svq_net_state_equal(&st, &st2));
		json_decref(j);
		replay_onto_fresh(&st, &fresh);
		CU_ASSERT_TRUE(svq_net_state_equal(&st, &fresh));
	}
}

/* Load @p text; it must be refused with an error naming @p want, and the
 * state must be unchanged. */
static void
expect_refused(const char *text, const char *want)
{
	char err[256] = "";
	json_error_t jerr;
	json_t *j = json_loads(text, 0, &jerr);

	memcpy(&st2, &st, sizeof(st));
	if (j == NULL) {
		CU_FAIL("test JSON does not parse");
		return;
	}
	CU_ASSERT_EQUAL(svq_state_from_json(j, &st2, err, sizeof(err)), -EINVAL);
	CU_ASSERT_PTR_NOT_NULL(strstr(err, want));
	if (strstr(err, want) == NULL)
		printf("\n    got '%s', want '%s'\n", err, want);
	CU_ASSERT_EQUAL(memcmp(&st, &st2, sizeof(st)), 0);
	json_decref(j);
}

static void
test_json_refuses_bad_files(void)
{
	char err[256], *good, *bad;
	json_t *j;
	size_t i;
	static const struct { const char *from, *to, *want; } edits[] = {
		{ "\"version\": 1", "\"version\": 2", "version 2" },
		/* 2^32 + 1 is not 1 (found by fuzz-state_json) */
		{ "\"version\": 1", "\"version\": 4294967297", "version 4294967297" },
		{ "\"max_queue_pairs\": 8", "\"max_queue_pairs\": 4294967304",
			"max_queue_pairs" },
		{ "\"schema\": \"svq-relay/net-state\"", "\"schema\": \"other\"", "schema" },
		{ "\"queue_pairs\": 3", "\"queue_pairs\": 9", "queue_pairs" },
		{ "\"mac\": \"52:54:00:12:34:56\"", "\"mac\": \"52:54:00:12:34\"", "mac" },
		{ "\"vlans\": [", "\"vlans\": [4096, ", "vlans" },
		{ "\"vlans\": [", "\"vlans\": [64, ", "twice" },
		{ "\"nobcast\": true", "\"nobcast\": 1", "nobcast" },
		{ "\"features\": \"0x", "\"features\": \"0xzz", "features" },
		{ "\"max_tx_vq\": 3", "\"max_tx_vq\": 2", "max_tx_vq" },
		{ "\"unclassified_queue\": 0", "\"unclassified_queue\": 8", "unclassified" },
		{ "\"key\": \"0000ab\"", "\"key\": \"0000a\"", "key" },
		{ "\"indirection_table\": [0, 0, 0, 7]", "\"indirection_table\": [0, 0, 7]", "2^n" },
		{ "\"mode\": \"rss\"", "\"mode\": \"fast\"", "mode" },
		{ "\"guest_offloads\": \"0x", "\"bogus\": 1, \"guest_offloads\": \"0x", "bogus" },
	};

	svq_net_state_init(&st, ALL_FEATURES, &dev_mac, 8);
	st.rx_mode[SVQ_RX_NOBCAST] = true;
	st.vlans[1] = 1;	/* VLAN 64 */
	st.rss_mode = SVQ_RSS_STEER;
	st.rss.hash_types = 0x3;
	st.rss.table_len = 4;
	st.rss.table[3] = 7;
	st.rss.max_tx_vq = st.curr_pairs = 3;
	st.rss.key_len = 3;
	st.rss.key[2] = 0xab;
	j = svq_state_to_json(&st);
	good = json_dumps(j, JSON_COMPACT | JSON_SORT_KEYS);
	json_decref(j);
	/* json_dumps with JSON_COMPACT writes "k":v; the edits use "k": v */
	free(good);
	j = svq_state_to_json(&st);
	good = json_dumps(j, JSON_SORT_KEYS);	/* "k": v, one line */
	json_decref(j);

	for (i = 0; i < RTE_DIM(edits); i++) {
		bad = unit_text_edit(good, edits[i].from, edits[i].to);
		if (bad == NULL)
			continue;
		expect_refused(bad, edits[i].want);
		free(bad);
	}
	free(good);

	/* consistency: RSS without the feature */
	st.features &= ~F(VIRTIO_NET_F_RSS);
	j = svq_state_to_json(&st);
	CU_ASSERT_EQUAL(svq_state_from_json(j, &st2, err, sizeof(err)), -EINVAL);
	CU_ASSERT_PTR_NOT_NULL(strstr(err, "VIRTIO_NET_F_RSS"));
	json_decref(j);

	/* truncated file */
	CU_ASSERT_EQUAL(svq_state_load("/nonexistent/state.json", &st2, err,
		sizeof(err)), -EINVAL);
}

static CU_TestInfo cvq_tests[] = {
	{ "parse every class", test_parse_each_class },
	{ "RSS and hash config round trip", test_rss_round_trip },
	{ "parse refuses malformed commands", test_parse_malformed },
	{ "parse refuses commands not negotiated", test_parse_needs_features },
	{ "state defaults and apply", test_state_defaults_and_apply },
	{ "replay order and default skipping", test_replay_order_and_defaults },
	{ "replay reproduces random states", test_replay_reproduces_random_states },
	{ "state JSON round trip", test_json_round_trip },
	{ "queue pairs set by RSS without MQ", test_rss_pairs_without_mq },
	{ "state JSON refuses bad files", test_json_refuses_bad_files },
	CU_TEST_INFO_NULL,
};

CU_SuiteInfo unit_suite_cvq = {
	"CVQ parser, state model, JSON, replay planner", NULL, NULL, NULL, NULL,
	cvq_tests
};
