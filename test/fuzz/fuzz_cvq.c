/* SPDX-License-Identifier: BSD-3-Clause */

/*
 * Fuzz target: the control-queue command parser and encoder (svq_cvq.c)
 * and the device state model (svq_net_state.c).
 *
 * Input: the device's limits, the MAC of its config space, then commands,
 * each a le16 length and that many bytes (header and data, as copied out
 * of guest memory). Properties:
 *  - a refusal is -EINVAL or -ENOTSUP and says why;
 *  - an accepted command encodes to exactly its length (no more room
 *    than that is needed, one byte less is -ENOSPC) and parses again to
 *    the same command;
 *  - applying it keeps the state model's invariants (svq_net_state.h);
 *  - the state the commands built is one the state file loader accepts,
 *    and it loads back equal: every state the relay tracks can migrate.
 * Every buffer is allocated at its exact size, so AddressSanitizer
 * catches any read or write past it.
 */

#include <errno.h>
#include <linux/virtio_net.h>

#include <rte_common.h>

#include "fuzz_input.h"
#include "svq_cvq.h"
#include "svq_net_state.h"
#include "svq_replay.h"
#include "svq_state_json.h"

#define FZ_BIT(b) (UINT64_C(1) << (b))

static bool
fz_cmd_equal(const struct svq_cvq_cmd *a, const struct svq_cvq_cmd *b)
{
	const struct svq_cvq_rss *ra = &a->u.rss, *rb = &b->u.rss;

	if (a->class != b->class || a->cmd != b->cmd)
		return false;
	switch (a->class) {
	case VIRTIO_NET_CTRL_RX:
		return a->u.on == b->u.on;
	case VIRTIO_NET_CTRL_MAC:
		if (a->cmd == VIRTIO_NET_CTRL_MAC_ADDR_SET)
			return rte_is_same_ether_addr(&a->u.mac, &b->u.mac);
		return a->u.table.n_uc == b->u.table.n_uc &&
			a->u.table.n_mc == b->u.table.n_mc &&
			memcmp(a->u.table.uc, b->u.table.uc,
				(size_t)a->u.table.n_uc * RTE_ETHER_ADDR_LEN) == 0 &&
			memcmp(a->u.table.mc, b->u.table.mc,
				(size_t)a->u.table.n_mc * RTE_ETHER_ADDR_LEN) == 0;
	case VIRTIO_NET_CTRL_VLAN:
		return a->u.vid == b->u.vid;
	case VIRTIO_NET_CTRL_MQ:
		if (a->cmd == VIRTIO_NET_CTRL_MQ_VQ_PAIRS_SET)
			return a->u.pairs == b->u.pairs;
		if (ra->hash_types != rb->hash_types || ra->key_len != rb->key_len ||
				memcmp(ra->key, rb->key, ra->key_len) != 0)
			return false;
		if (a->cmd == VIRTIO_NET_CTRL_MQ_HASH_CONFIG)
			return true;
		return ra->table_len == rb->table_len &&
			ra->unclassified == rb->unclassified &&
			ra->max_tx_vq == rb->max_tx_vq &&
			memcmp(ra->table, rb->table,
				sizeof(ra->table[0]) * ra->table_len) == 0;
	case VIRTIO_NET_CTRL_GUEST_OFFLOADS:
		return a->u.offloads == b->u.offloads;
	default:
		return true;
	}
}

static void
fz_check_state(const struct svq_net_state *s, const struct svq_cvq_limits *lim)
{
	static const struct svq_cvq_rss zero_rss;
	const struct svq_cvq_rss *rss = &s->rss;
	unsigned int i;

	FZ_CHECK(s->features == lim->features && s->max_pairs == lim->max_pairs,
		"features or max_pairs changed");
	FZ_CHECK(s->n_uc <= SVQ_MAC_TABLE_MAX && s->n_mc <= SVQ_MAC_TABLE_MAX,
		"MAC table of %u/%u entries", s->n_uc, s->n_mc);
	FZ_CHECK(!(s->uc_overflow && s->n_uc) && !(s->mc_overflow && s->n_mc),
		"an overflowed MAC table keeps entries");
	FZ_CHECK(s->curr_pairs >= 1 && s->curr_pairs <= s->max_pairs,
		"queue pairs %u of %u", s->curr_pairs, s->max_pairs);
	FZ_CHECK((s->guest_offloads & ~svq_net_guest_offloads(s->features)) == 0,
		"guest offloads 0x%" PRIx64 " not negotiated", s->guest_offloads);
	switch (s->rss_mode) {
	case SVQ_RSS_OFF:
		FZ_CHECK(memcmp(rss, &zero_rss, sizeof(*rss)) == 0,
			"RSS off keeps a configuration");
		return;
	case SVQ_RSS_STEER:
		FZ_CHECK(rte_is_power_of_2(rss->table_len) &&
			rss->table_len <= SVQ_RSS_TABLE_MAX &&
			rss->table_len <= lim->rss_max_table,
			"indirection table of %u entries", rss->table_len);
		for (i = 0; i < rss->table_len; i++)
			FZ_CHECK(rss->table[i] < s->max_pairs,
				"indirection table names queue %u", rss->table[i]);
		FZ_CHECK(rss->unclassified < s->max_pairs &&
			rss->max_tx_vq == s->curr_pairs,
			"RSS queues out of range");
		break;
	case SVQ_RSS_HASH_ONLY:
		FZ_CHECK(rss->table_len == 0 && rss->unclassified == 0 &&
			rss->max_tx_vq == 0, "hash-only mode keeps steering");
		break;
	default:
		fz_fail("RSS mode %d", s->rss_mode);
	}
	FZ_CHECK(rss->hash_types != 0 && (rss->hash_types & ~lim->hash_types) == 0,
		"hash types 0x%x", rss->hash_types);
	FZ_CHECK(rss->key_len <= RTE_MIN(lim->rss_max_key, SVQ_RSS_KEY_MAX),
		"key of %u bytes", rss->key_len);
}

/* Every state the relay tracks can be saved and loaded. */
static void
fz_check_state_saves(const struct svq_net_state *s)
{
	struct svq_net_state back;
	char err[256];
	json_t *j = svq_state_to_json(s);

	FZ_CHECK(j != NULL, "state does not convert to JSON");
	if (svq_state_from_json(j, &back, err, sizeof(err)) != 0)
		fz_fail("the state the commands built does not load: %s", err);
	FZ_CHECK(svq_net_state_equal(s, &back), "state loads back different");
	json_decref(j);
}

/* The state must survive the trip through the state file, and the
 * replay planner's commands must rebuild it on a fresh device. */
static void
fz_check_state_migrates(const struct svq_net_state *s,
		const struct svq_cvq_limits *lim)
{
	struct svq_net_state fresh;
	struct svq_replay r;
	struct svq_cvq_cmd cmd, again;
	uint8_t buf[4096];
	const char *why;
	int n;

	svq_net_state_init(&fresh, s->features, &s->mac, s->max_pairs);
	svq_replay_init(&r, s);
	while (svq_replay_next(&r, &cmd)) {
		/* as sent: encoded, and checked by the device's parser */
		n = svq_cvq_encode(&cmd, buf, sizeof(buf));
		FZ_CHECK(n > 0, "replay command does not encode");
		if (svq_cvq_parse(buf, n, lim, &again, &why) != 0)
			fz_fail("replay command %s refused: %s",
				svq_cvq_cmd_name(cmd.class, cmd.cmd), why);
		svq_net_state_apply(&fresh, &again);
	}
	FZ_CHECK(svq_net_state_equal(s, &fresh), "replay does not rebuild the state");
	fz_check_state_saves(s);
}

static void
fz_one_command(const uint8_t *data, size_t len,
		const struct svq_cvq_limits *lim, struct svq_net_state *s)
{
	struct svq_cvq_cmd cmd, again;
	uint8_t *copy, *enc;
	const char *why = NULL;
	int ret, n;

	/* Exact-size copies: a read past the command is an ASan report. */
	copy = malloc(len + (len == 0));
	memcpy(copy, data, len);
	ret = svq_cvq_parse(copy, len, lim, &cmd, &why);
	if (ret != 0) {
		FZ_CHECK(ret == -EINVAL || ret == -ENOTSUP, "parse returned %d", ret);
		FZ_CHECK(why != NULL && why[0] != '\0', "refusal without a reason");
		free(copy);
		return;
	}

	enc = malloc(len);
	n = svq_cvq_encode(&cmd, enc, len);
	FZ_CHECK(n == (int)len, "%s: %zu bytes parsed, %d encoded",
		svq_cvq_cmd_name(cmd.class, cmd.cmd), len, n);
	FZ_CHECK(svq_cvq_parse(enc, len, lim, &again, &why) == 0,
		"%s: encoding does not parse: %s",
		svq_cvq_cmd_name(cmd.class, cmd.cmd), why);
	FZ_CHECK(fz_cmd_equal(&cmd, &again), "%s: parses back different",
		svq_cvq_cmd_name(cmd.class, cmd.cmd));
	free(enc);
	enc = malloc(len - 1);
	FZ_CHECK(svq_cvq_encode(&cmd, enc, len - 1) == -ENOSPC,
		"%s: encoded into %zu bytes", svq_cvq_cmd_name(cmd.class, cmd.cmd),
		len - 1);
	free(enc);

	/* MAC tables point into the copy: apply before freeing it. */
	svq_net_state_apply(s, &cmd);
	fz_check_state(s, lim);
	free(copy);
}

static void
fz_read_limits(struct fz_in *in, struct svq_cvq_limits *lim,
		struct rte_ether_addr *mac)
{
	size_t got;

	lim->features = fz_u64(in);
	/* The port's pairs; the state file holds 1..0x8000. */
	lim->max_pairs = 1 + fz_u16(in) % VIRTIO_NET_CTRL_MQ_VQ_PAIRS_MAX;
	lim->rss_max_key = fz_u8(in);
	lim->rss_max_table = fz_u16(in);
	lim->hash_types = fz_u32(in);
	/* As the relay and the sim device derive it. */
	lim->guest_offloads = svq_net_guest_offloads(lim->features);
	memset(mac, 0, sizeof(*mac));
	memcpy(mac->addr_bytes, fz_bytes(in, RTE_ETHER_ADDR_LEN, &got), got);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fz_in in = { data, size };
	struct svq_cvq_limits lim;
	struct rte_ether_addr mac;
	struct svq_net_state s;

	fz_read_limits(&in, &lim, &mac);
	svq_net_state_init(&s, lim.features, &mac, lim.max_pairs);
	fz_check_state(&s, &lim);
	while (fz_more(&in)) {
		size_t want = fz_u16(&in), len;
		const uint8_t *cmd = fz_bytes(&in, want, &len);

		fz_one_command(cmd, len, &lim, &s);
	}
	fz_check_state_migrates(&s, &lim);
	return 0;
}

/* ---- seeds ---------------------------------------------------------- */

static void
fz_seed_limits(struct fz_seed *s, uint64_t features)
{
	static const uint8_t mac[RTE_ETHER_ADDR_LEN] = {
		0x52, 0x54, 0x00, 0x12, 0x34, 0x56 };

	s->len = 0;
	fz_put(s, features, 8);
	fz_put(s, 4 - 1, 2);	/* 4 pairs */
	fz_put(s, 40, 1);
	fz_put(s, 128, 2);
	fz_put(s, 0x1ff, 4);
	fz_put_bytes(s, mac, sizeof(mac));
}

static void
fz_seed_cmd(struct fz_seed *s, const struct svq_cvq_cmd *c)
{
	uint8_t buf[4096];
	int n = svq_cvq_encode(c, buf, sizeof(buf));

	if (n < 0)
		abort();
	fz_put(s, n, 2);
	fz_put_bytes(s, buf, n);
}

static void
fz_make_cvq_seeds(const char *dir)
{
	static const uint8_t macs[3][RTE_ETHER_ADDR_LEN] = {
		{ 0x02, 0, 0, 0, 0, 1 }, { 0x02, 0, 0, 0, 0, 2 },
		{ 0x01, 0, 0x5e, 0, 0, 1 } };
	const uint64_t all = FZ_BIT(VIRTIO_NET_F_GUEST_CSUM) |
		FZ_BIT(VIRTIO_NET_F_GUEST_TSO4) | FZ_BIT(VIRTIO_NET_F_CTRL_VQ) |
		FZ_BIT(VIRTIO_NET_F_CTRL_RX) | FZ_BIT(VIRTIO_NET_F_CTRL_VLAN) |
		FZ_BIT(VIRTIO_NET_F_CTRL_RX_EXTRA) |
		FZ_BIT(VIRTIO_NET_F_GUEST_ANNOUNCE) | FZ_BIT(VIRTIO_NET_F_MQ) |
		FZ_BIT(VIRTIO_NET_F_CTRL_MAC_ADDR) |
		FZ_BIT(VIRTIO_NET_F_CTRL_GUEST_OFFLOADS) |
		FZ_BIT(VIRTIO_NET_F_HASH_REPORT) | FZ_BIT(VIRTIO_NET_F_RSS);
	struct svq_cvq_cmd cmds[10] = {
		{ .class = VIRTIO_NET_CTRL_RX, .cmd = VIRTIO_NET_CTRL_RX_PROMISC },
		{ .class = VIRTIO_NET_CTRL_RX, .cmd = VIRTIO_NET_CTRL_RX_NOBCAST,
			.u.on = true },
		{ .class = VIRTIO_NET_CTRL_MAC, .cmd = VIRTIO_NET_CTRL_MAC_ADDR_SET,
			.u.mac.addr_bytes = { 0x02, 0x11, 0x22, 0x33, 0x44, 0x55 } },
		{ .class = VIRTIO_NET_CTRL_MAC, .cmd = VIRTIO_NET_CTRL_MAC_TABLE_SET,
			.u.table = { 2, 1, macs[0], macs[2] } },
		{ .class = VIRTIO_NET_CTRL_VLAN, .cmd = VIRTIO_NET_CTRL_VLAN_ADD,
			.u.vid = 100 },
		{ .class = VIRTIO_NET_CTRL_ANNOUNCE, .cmd = VIRTIO_NET_CTRL_ANNOUNCE_ACK },
		{ .class = VIRTIO_NET_CTRL_MQ, .cmd = VIRTIO_NET_CTRL_MQ_VQ_PAIRS_SET,
			.u.pairs = 2 },
		{ .class = VIRTIO_NET_CTRL_MQ, .cmd = VIRTIO_NET_CTRL_MQ_RSS_CONFIG,
			.u.rss = { .hash_types = 0x3, .table_len = 4, .max_tx_vq = 4,
				.key_len = 40, .table = { 0, 1, 2, 3 } } },
		{ .class = VIRTIO_NET_CTRL_MQ, .cmd = VIRTIO_NET_CTRL_MQ_HASH_CONFIG,
			.u.rss = { .hash_types = 0x12, .key_len = 4,
				.key = { 1, 2, 3, 4 } } },
		{ .class = VIRTIO_NET_CTRL_GUEST_OFFLOADS,
			.cmd = VIRTIO_NET_CTRL_GUEST_OFFLOADS_SET,
			.u.offloads = FZ_BIT(VIRTIO_NET_F_GUEST_CSUM) },
	};
	struct fz_seed s;
	char name[32];
	unsigned int i;

	/* One command each, then all in a row. */
	for (i = 0; i < RTE_DIM(cmds); i++) {
		fz_seed_limits(&s, all);
		fz_seed_cmd(&s, &cmds[i]);
		snprintf(name, sizeof(name), "cmd-%u-%u", cmds[i].class, cmds[i].cmd);
		fz_seed_write(dir, name, s.buf, s.len);
	}
	fz_seed_limits(&s, all);
	for (i = 0; i < RTE_DIM(cmds); i++)
		fz_seed_cmd(&s, &cmds[i]);
	fz_seed_write(dir, "all-commands", s.buf, s.len);
	/* Nothing negotiated: every command is refused. */
	fz_seed_limits(&s, 0);
	for (i = 0; i < RTE_DIM(cmds); i++)
		fz_seed_cmd(&s, &cmds[i]);
	fz_seed_write(dir, "no-features", s.buf, s.len);
}

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	fz_make_seeds(argc, argv, fz_make_cvq_seeds);
	return 0;
}
