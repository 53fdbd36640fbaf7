/* SPDX-License-Identifier: BSD-3-Clause */

/*
 * CVQ command layouts (virtio spec 5.1.6.5): a {u8 class, u8 command}
 * header, the command data below, then a device-written u8 ack.
 *
 *   RX (0)        PROMISC..NOBCAST (0..5): u8 on
 *   MAC (1)       TABLE_SET (0): le32 n, u8 mac[n][6] (unicast), then the
 *                 same for multicast; ADDR_SET (1): u8 mac[6]
 *   VLAN (2)      ADD (0), DEL (1): le16 id
 *   ANNOUNCE (3)  ACK (0): no data
 *   MQ (4)        VQ_PAIRS_SET (0): le16 pairs;
 *                 RSS_CONFIG (1): le32 hash_types, le16 table_mask,
 *                 le16 unclassified_queue, le16 table[mask + 1],
 *                 le16 max_tx_vq, u8 key_len, u8 key[key_len];
 *                 HASH_CONFIG (2): le32 hash_types, le16 reserved[4],
 *                 u8 key_len, u8 key[key_len]
 *   GUEST_OFFLOADS (5) SET (0): le64 offloads
 */

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "fe_cvq.h"
#include "fe_util.h"
#include "fe_virtio.h"

static const char *const fe_rx_modes[] = {
	[FE_CTRL_RX_PROMISC] = "promisc",
	[FE_CTRL_RX_ALLMULTI] = "allmulti",
	[FE_CTRL_RX_ALLUNI] = "alluni",
	[FE_CTRL_RX_NOMULTI] = "nomulti",
	[FE_CTRL_RX_NOUNI] = "nouni",
	[FE_CTRL_RX_NOBCAST] = "nobcast",
};

static const char *const fe_cvq_commands[] = {
	"cvq", "rx", "mac", "vlan", "announce", "mq", "rss", "hash",
	"offloads",
};

bool
fe_cvq_is_command(const char *name)
{
	unsigned int i;

	for (i = 0; i < sizeof(fe_cvq_commands) / sizeof(fe_cvq_commands[0]);
			i++)
		if (strcmp(name, fe_cvq_commands[i]) == 0)
			return true;
	return false;
}

/* Appenders: each checks room first, so a long list cannot overflow. */
static int
fe_put(struct fe_cvq_cmd *c, const void *p, uint32_t n)
{
	if (n > FE_CVQ_DATA_MAX - c->len)
		return -E2BIG;
	memcpy(c->data + c->len, p, n);
	c->len += n;
	return 0;
}

static int
fe_put_u8(struct fe_cvq_cmd *c, uint8_t v)
{
	return fe_put(c, &v, 1);
}

static int
fe_put_le16(struct fe_cvq_cmd *c, uint16_t v)
{
	uint8_t b[2] = { (uint8_t)v, (uint8_t)(v >> 8) };

	return fe_put(c, b, 2);
}

static int
fe_put_le32(struct fe_cvq_cmd *c, uint32_t v)
{
	uint8_t b[4];
	unsigned int i;

	for (i = 0; i < 4; i++)
		b[i] = (uint8_t)(v >> (8 * i));
	return fe_put(c, b, 4);
}

static int
fe_put_le64(struct fe_cvq_cmd *c, uint64_t v)
{
	uint8_t b[8];
	unsigned int i;

	for (i = 0; i < 8; i++)
		b[i] = (uint8_t)(v >> (8 * i));
	return fe_put(c, b, 8);
}

static void
fe_cvq_start(struct fe_cvq_cmd *c, uint8_t cls, uint8_t cmd)
{
	c->cls = cls;
	c->cmd = cmd;
	c->len = 0;
	c->kind = NULL;
}

/* "-" or a comma list of MACs: le32 count, then the MACs. */
static int
fe_put_mac_list(struct fe_cvq_cmd *c, const char *list)
{
	char buf[32];
	uint32_t count_at = c->len, n = 0;
	uint8_t mac[6];
	const char *p = list, *comma;
	size_t l;

	if (fe_put_le32(c, 0) < 0)
		return -E2BIG;
	if (strcmp(list, "-") == 0)
		return 0;
	for (;;) {
		comma = strchr(p, ',');
		l = comma != NULL ? (size_t)(comma - p) : strlen(p);
		if (l >= sizeof(buf))
			return -EINVAL;
		memcpy(buf, p, l);
		buf[l] = '\0';
		if (fe_parse_mac(buf, mac) < 0)
			return -EINVAL;
		if (fe_put(c, mac, 6) < 0)
			return -E2BIG;
		n++;
		if (comma == NULL)
			break;
		p = comma + 1;
	}
	c->data[count_at] = (uint8_t)n;
	c->data[count_at + 1] = (uint8_t)(n >> 8);
	c->data[count_at + 2] = (uint8_t)(n >> 16);
	c->data[count_at + 3] = (uint8_t)(n >> 24);
	return 0;
}

/* u8 key_len, then the key: at most 255 bytes by the layout. */
static int
fe_put_key(struct fe_cvq_cmd *c, const char *hex)
{
	uint8_t key[255];
	int n = fe_parse_hex(hex, key, sizeof(key));

	if (n < 0)
		return -EINVAL;
	if (fe_put_u8(c, (uint8_t)n) < 0 || fe_put(c, key, (uint32_t)n) < 0)
		return -E2BIG;
	return 0;
}

static int
fe_encode_rss(char **argv, struct fe_cvq_cmd *c, const char **err)
{
	uint64_t types, unclassified, max_tx, v;
	const char *p = argv[5];
	uint32_t mask_at, n = 0;
	char *end;

	if (fe_parse_hex_u64(argv[1], UINT32_MAX, &types) < 0) {
		*err = "bad-hash-types";
		return -EINVAL;
	}
	if (fe_parse_u64(argv[2], UINT16_MAX, &unclassified) < 0 ||
			fe_parse_u64(argv[3], UINT16_MAX, &max_tx) < 0) {
		*err = "bad-queue-number";
		return -EINVAL;
	}
	fe_cvq_start(c, FE_CTRL_MQ, FE_CTRL_MQ_RSS_CONFIG);
	fe_put_le32(c, (uint32_t)types);
	mask_at = c->len;
	fe_put_le16(c, 0);	/* the mask, once the table is counted */
	fe_put_le16(c, (uint16_t)unclassified);
	for (;;) {
		if (*p < '0' || *p > '9') {
			*err = "bad-table";
			return -EINVAL;
		}
		v = strtoull(p, &end, 10);
		if (v > UINT16_MAX || (*end != ',' && *end != '\0')) {
			*err = "bad-table";
			return -EINVAL;
		}
		if (fe_put_le16(c, (uint16_t)v) < 0) {
			*err = "too-long";
			return -EINVAL;
		}
		n++;
		if (*end == '\0')
			break;
		p = end + 1;
	}
	if (n > 0x10000) {
		*err = "bad-table";
		return -EINVAL;
	}
	/* The mask is derived, not given: a table whose length is not a
	 * power of two gives a mask the device must refuse. */
	c->data[mask_at] = (uint8_t)(n - 1);
	c->data[mask_at + 1] = (uint8_t)((n - 1) >> 8);
	if (fe_put_le16(c, (uint16_t)max_tx) < 0) {
		*err = "too-long";
		return -EINVAL;
	}
	if (fe_put_key(c, argv[4]) < 0) {
		*err = "bad-key";
		return -EINVAL;
	}
	return 0;
}

int
fe_cvq_encode(int argc, char **argv, struct fe_cvq_cmd *c, const char **err)
{
	const char *name = argv[0];
	uint64_t v, w;
	uint8_t mac[6];
	int n, ret;
	unsigned int i;

	*err = "usage";
	if (strcmp(name, "cvq") == 0) {
		if (argc < 3 || argc > 4)
			return -EINVAL;
		if (fe_parse_u64(argv[1], UINT8_MAX, &v) < 0 ||
				fe_parse_u64(argv[2], UINT8_MAX, &w) < 0) {
			*err = "bad-class-or-command";
			return -EINVAL;
		}
		fe_cvq_start(c, (uint8_t)v, (uint8_t)w);
		if (argc == 4) {
			n = fe_parse_hex(argv[3], c->data, FE_CVQ_DATA_MAX);
			if (n < 0) {
				*err = n == -E2BIG ? "too-long" : "bad-hex";
				return -EINVAL;
			}
			c->len = (uint32_t)n;
		}
		return 0;
	}
	if (strcmp(name, "rx") == 0) {
		if (argc != 3)
			return -EINVAL;
		for (i = 0; i < sizeof(fe_rx_modes) / sizeof(fe_rx_modes[0]);
				i++)
			if (strcmp(argv[1], fe_rx_modes[i]) == 0)
				break;
		if (i == sizeof(fe_rx_modes) / sizeof(fe_rx_modes[0])) {
			*err = "bad-rx-mode";
			return -EINVAL;
		}
		/* on/off, or a raw byte to see what a device makes of 2. */
		if (strcmp(argv[2], "on") == 0)
			v = 1;
		else if (strcmp(argv[2], "off") == 0)
			v = 0;
		else if (fe_parse_u64(argv[2], UINT8_MAX, &v) < 0) {
			*err = "bad-on-off";
			return -EINVAL;
		}
		fe_cvq_start(c, FE_CTRL_RX, (uint8_t)i);
		fe_put_u8(c, (uint8_t)v);
		return 0;
	}
	if (strcmp(name, "mac") == 0) {
		if (argc == 3 && strcmp(argv[1], "set") == 0) {
			if (fe_parse_mac(argv[2], mac) < 0) {
				*err = "bad-mac";
				return -EINVAL;
			}
			fe_cvq_start(c, FE_CTRL_MAC, FE_CTRL_MAC_ADDR_SET);
			fe_put(c, mac, 6);
			return 0;
		}
		if (argc == 4 && strcmp(argv[1], "table") == 0) {
			fe_cvq_start(c, FE_CTRL_MAC, FE_CTRL_MAC_TABLE_SET);
			ret = fe_put_mac_list(c, argv[2]);
			if (ret == 0)
				ret = fe_put_mac_list(c, argv[3]);
			if (ret < 0) {
				*err = ret == -E2BIG ? "too-long" : "bad-mac";
				return -EINVAL;
			}
			return 0;
		}
		return -EINVAL;
	}
	if (strcmp(name, "vlan") == 0) {
		if (argc != 3 || (strcmp(argv[1], "add") != 0 &&
				strcmp(argv[1], "del") != 0))
			return -EINVAL;
		if (fe_parse_u64(argv[2], UINT16_MAX, &v) < 0) {
			*err = "bad-vlan-id";
			return -EINVAL;
		}
		fe_cvq_start(c, FE_CTRL_VLAN, strcmp(argv[1], "add") == 0 ?
			FE_CTRL_VLAN_ADD : FE_CTRL_VLAN_DEL);
		fe_put_le16(c, (uint16_t)v);
		return 0;
	}
	if (strcmp(name, "announce") == 0) {
		if (argc != 2 || strcmp(argv[1], "ack") != 0)
			return -EINVAL;
		fe_cvq_start(c, FE_CTRL_ANNOUNCE, FE_CTRL_ANNOUNCE_ACK);
		return 0;
	}
	if (strcmp(name, "mq") == 0) {
		if (argc != 3 || strcmp(argv[1], "pairs") != 0)
			return -EINVAL;
		if (fe_parse_u64(argv[2], UINT16_MAX, &v) < 0) {
			*err = "bad-pairs";
			return -EINVAL;
		}
		fe_cvq_start(c, FE_CTRL_MQ, FE_CTRL_MQ_VQ_PAIRS_SET);
		fe_put_le16(c, (uint16_t)v);
		return 0;
	}
	if (strcmp(name, "rss") == 0) {
		if (argc != 6)
			return -EINVAL;
		return fe_encode_rss(argv, c, err);
	}
	if (strcmp(name, "hash") == 0) {
		if (argc != 3)
			return -EINVAL;
		if (fe_parse_hex_u64(argv[1], UINT32_MAX, &v) < 0) {
			*err = "bad-hash-types";
			return -EINVAL;
		}
		fe_cvq_start(c, FE_CTRL_MQ, FE_CTRL_MQ_HASH_CONFIG);
		fe_put_le32(c, (uint32_t)v);
		for (i = 0; i < 4; i++)
			fe_put_le16(c, 0);	/* reserved[4] */
		if (fe_put_key(c, argv[2]) < 0) {
			*err = "bad-key";
			return -EINVAL;
		}
		return 0;
	}
	if (strcmp(name, "offloads") == 0) {
		if (argc != 2)
			return -EINVAL;
		if (fe_parse_hex_u64(argv[1], UINT64_MAX, &v) < 0) {
			*err = "bad-offloads";
			return -EINVAL;
		}
		fe_cvq_start(c, FE_CTRL_GUEST_OFFLOADS,
			FE_CTRL_GUEST_OFFLOADS_SET);
		fe_put_le64(c, v);
		return 0;
	}
	*err = "unknown-command";
	return -EINVAL;
}

uint64_t
fe_rand_next(uint64_t *state)
{
	uint64_t z = (*state += UINT64_C(0x9e3779b97f4a7c15));

	z = (z ^ (z >> 30)) * UINT64_C(0xbf58476d1ce4e5b9);
	z = (z ^ (z >> 27)) * UINT64_C(0x94d049bb133111eb);
	return z ^ (z >> 31);
}

/* Uniform-enough value in [0, n) for the small n used here. */
static uint32_t
fe_rand_below(uint64_t *st, uint32_t n)
{
	return n == 0 ? 0 : (uint32_t)(fe_rand_next(st) % n);
}

static void
fe_rand_mac(uint64_t *st, uint8_t mac[6], bool multicast)
{
	uint64_t r = fe_rand_next(st);
	unsigned int i;

	for (i = 0; i < 6; i++)
		mac[i] = (uint8_t)(r >> (8 * i));
	/* Locally administered unicast, or a multicast group. */
	mac[0] = multicast ? (uint8_t)(mac[0] | 0x01) :
		(uint8_t)((mac[0] & 0xfe) | 0x02);
}

static void
fe_rand_mac_list(uint64_t *st, struct fe_cvq_cmd *c, uint32_t n,
		uint32_t claimed, bool multicast)
{
	uint8_t mac[6];
	uint32_t i;

	fe_put_le32(c, claimed);
	for (i = 0; i < n; i++) {
		fe_rand_mac(st, mac, multicast);
		fe_put(c, mac, 6);
	}
}

static void
fe_rand_key(uint64_t *st, struct fe_cvq_cmd *c, uint32_t n)
{
	uint32_t i;

	fe_put_u8(c, (uint8_t)n);
	for (i = 0; i < n; i++)
		fe_put_u8(c, (uint8_t)fe_rand_next(st));
}

static void
fe_gen_rx(uint64_t *st, uint16_t pairs, struct fe_cvq_cmd *c)
{
	uint32_t v = fe_rand_below(st, 8);

	(void)pairs;
	fe_cvq_start(c, FE_CTRL_RX, (uint8_t)fe_rand_below(st, 6));
	if (v == 0) {
		c->kind = "rx-short";
		return;
	}
	if (v == 1) {
		c->kind = "rx-badcmd";
		c->cmd = (uint8_t)(6 + fe_rand_below(st, 250));
	} else {
		c->kind = "rx";
	}
	fe_put_u8(c, (uint8_t)(v & 1));
}

static void
fe_gen_mac_addr(uint64_t *st, uint16_t pairs, struct fe_cvq_cmd *c)
{
	uint8_t mac[6];
	uint32_t v = fe_rand_below(st, 6);

	(void)pairs;
	fe_cvq_start(c, FE_CTRL_MAC, FE_CTRL_MAC_ADDR_SET);
	fe_rand_mac(st, mac, v == 0);
	if (v == 1) {
		c->kind = "mac-addr-short";
		fe_put(c, mac, 5);
		return;
	}
	c->kind = v == 0 ? "mac-addr-mcast" : "mac-addr";
	fe_put(c, mac, 6);
}

static void
fe_gen_mac_table(uint64_t *st, uint16_t pairs, struct fe_cvq_cmd *c)
{
	uint32_t v = fe_rand_below(st, 10);
	uint32_t uc = fe_rand_below(st, 5), mc = fe_rand_below(st, 5);

	(void)pairs;
	fe_cvq_start(c, FE_CTRL_MAC, FE_CTRL_MAC_TABLE_SET);
	switch (v) {
	case 0:
		/* More entries than a device table usually holds (QEMU: 64),
		 * which must turn into overflow, not an error. */
		c->kind = "mac-table-big";
		uc = 40 + fe_rand_below(st, 40);
		mc = 40 + fe_rand_below(st, 40);
		fe_rand_mac_list(st, c, uc, uc, false);
		fe_rand_mac_list(st, c, mc, mc, true);
		break;
	case 1:
		c->kind = "mac-table-overrun";	/* count beyond the data */
		fe_rand_mac_list(st, c, uc, uc + 1 + fe_rand_below(st, 1000),
			false);
		fe_rand_mac_list(st, c, mc, mc, true);
		break;
	case 2:
		c->kind = "mac-table-nomc";	/* multicast part missing */
		fe_rand_mac_list(st, c, uc, uc, false);
		break;
	case 3:
		c->kind = "mac-table-trailing";	/* bytes after the tables */
		fe_rand_mac_list(st, c, uc, uc, false);
		fe_rand_mac_list(st, c, mc, mc, true);
		fe_put_u8(c, 0xee);
		break;
	default:
		c->kind = "mac-table";
		fe_rand_mac_list(st, c, uc, uc, false);
		fe_rand_mac_list(st, c, mc, mc, true);
		break;
	}
}

static void
fe_gen_vlan(uint64_t *st, uint16_t pairs, struct fe_cvq_cmd *c)
{
	uint32_t v = fe_rand_below(st, 8);

	(void)pairs;
	fe_cvq_start(c, FE_CTRL_VLAN, (uint8_t)fe_rand_below(st, 2));
	if (v == 0) {
		c->kind = "vlan-badid";
		fe_put_le16(c, (uint16_t)(4096 + fe_rand_below(st, 61440)));
	} else if (v == 1) {
		c->kind = "vlan-short";
		fe_put_u8(c, (uint8_t)fe_rand_next(st));
	} else {
		c->kind = "vlan";
		/* A small id range so adds and deletes meet. */
		fe_put_le16(c, (uint16_t)(v == 2 ? fe_rand_below(st, 4096) :
			fe_rand_below(st, 16)));
	}
}

static void
fe_gen_announce(uint64_t *st, uint16_t pairs, struct fe_cvq_cmd *c)
{
	(void)pairs;
	fe_cvq_start(c, FE_CTRL_ANNOUNCE, FE_CTRL_ANNOUNCE_ACK);
	if (fe_rand_below(st, 4) == 0) {
		c->kind = "announce-badcmd";
		c->cmd = (uint8_t)(1 + fe_rand_below(st, 255));
	} else {
		c->kind = "announce";
	}
}

static void
fe_gen_mq(uint64_t *st, uint16_t pairs, struct fe_cvq_cmd *c)
{
	static const uint16_t bad[] = { 0, 0x8001, 0xffff };
	uint32_t v = fe_rand_below(st, 6);

	fe_cvq_start(c, FE_CTRL_MQ, FE_CTRL_MQ_VQ_PAIRS_SET);
	if (v == 0) {
		c->kind = "mq-pairs-bad";
		fe_put_le16(c, bad[fe_rand_below(st, 3)]);
	} else if (v == 1) {
		c->kind = "mq-pairs-over";	/* valid per spec, beyond max */
		fe_put_le16(c, (uint16_t)(pairs + 1 + fe_rand_below(st, 8)));
	} else {
		c->kind = "mq-pairs";
		fe_put_le16(c, (uint16_t)(1 + fe_rand_below(st, pairs)));
	}
}

static void
fe_gen_rss(uint64_t *st, uint16_t pairs, struct fe_cvq_cmd *c)
{
	uint32_t v = fe_rand_below(st, 12);
	uint32_t n = 1u << fe_rand_below(st, 8);	/* 1..128 entries */
	uint32_t types = fe_rand_below(st, FE_HASH_TYPES_ALL + 1);
	uint32_t key_len = FE_RSS_KEY_LEN, i, q;

	fe_cvq_start(c, FE_CTRL_MQ, FE_CTRL_MQ_RSS_CONFIG);
	c->kind = "rss";
	switch (v) {
	case 0:
		c->kind = "rss-bad-mask";
		n = 3 + 2 * fe_rand_below(st, 60);	/* odd, not 2^k */
		break;
	case 1:
		c->kind = "rss-bad-queue";
		break;
	case 2:
		c->kind = "rss-bad-key";
		key_len = 41 + fe_rand_below(st, 215);
		break;
	case 3:
		c->kind = "rss-bad-types";
		types |= 1u << (9 + fe_rand_below(st, 23));
		break;
	default:
		break;
	}
	fe_put_le32(c, types);
	fe_put_le16(c, (uint16_t)(n - 1));
	fe_put_le16(c, (uint16_t)fe_rand_below(st, pairs));
	for (i = 0; i < n; i++) {
		q = fe_rand_below(st, pairs);
		if (v == 1 && i == n - 1)
			q = pairs + fe_rand_below(st, 100);
		fe_put_le16(c, (uint16_t)q);
	}
	fe_put_le16(c, (uint16_t)(1 + fe_rand_below(st, pairs)));
	fe_rand_key(st, c, key_len);
	if (v == 4) {
		/* Cut anywhere: the device must not read past the data. */
		c->kind = "rss-truncated";
		c->len = fe_rand_below(st, c->len);
	}
}

static void
fe_gen_hash(uint64_t *st, uint16_t pairs, struct fe_cvq_cmd *c)
{
	uint32_t v = fe_rand_below(st, 5), i;

	(void)pairs;
	fe_cvq_start(c, FE_CTRL_MQ, FE_CTRL_MQ_HASH_CONFIG);
	c->kind = "hash";
	fe_put_le32(c, v == 0 ? 0 : fe_rand_below(st, FE_HASH_TYPES_ALL + 1));
	for (i = 0; i < 4; i++)
		fe_put_le16(c, 0);
	fe_rand_key(st, c, FE_RSS_KEY_LEN);
	if (v == 1) {
		c->kind = "hash-truncated";
		c->len = fe_rand_below(st, c->len);
	}
}

static void
fe_gen_offloads(uint64_t *st, uint16_t pairs, struct fe_cvq_cmd *c)
{
	static const uint8_t bits[] = {
		FE_F_GUEST_CSUM, FE_F_GUEST_TSO4, FE_F_GUEST_TSO6,
		FE_F_GUEST_ECN, FE_F_GUEST_UFO, FE_F_GUEST_USO4,
		FE_F_GUEST_USO6,
	};
	uint64_t off = 0;
	uint32_t v = fe_rand_below(st, 6), i;

	(void)pairs;
	fe_cvq_start(c, FE_CTRL_GUEST_OFFLOADS, FE_CTRL_GUEST_OFFLOADS_SET);
	for (i = 0; i < sizeof(bits); i++)
		if (fe_rand_below(st, 2))
			off |= FE_BIT(bits[i]);
	if (v == 0) {
		c->kind = "offloads-bad";	/* not offload bits at all */
		fe_put_le64(c, fe_rand_next(st));
	} else if (v == 1) {
		c->kind = "offloads-short";
		fe_put_le32(c, (uint32_t)off);
	} else {
		c->kind = "offloads";
		fe_put_le64(c, off);
	}
}

static void
fe_gen_unknown(uint64_t *st, uint16_t pairs, struct fe_cvq_cmd *c)
{
	uint32_t n = fe_rand_below(st, 16), i;

	(void)pairs;
	if (fe_rand_below(st, 2)) {
		c->kind = "unknown-class";
		fe_cvq_start(c, (uint8_t)(6 + fe_rand_below(st, 250)),
			(uint8_t)fe_rand_next(st));
		c->kind = "unknown-class";
	} else {
		/* Commands past the last one each known class defines. */
		static const uint8_t first_bad[] = { 6, 2, 2, 1, 3, 1 };
		uint8_t cls = (uint8_t)fe_rand_below(st, 6);

		fe_cvq_start(c, cls, (uint8_t)(first_bad[cls] +
			fe_rand_below(st, 256u - first_bad[cls])));
		c->kind = "unknown-cmd";
	}
	for (i = 0; i < n; i++)
		fe_put_u8(c, (uint8_t)fe_rand_next(st));
}

struct fe_gen {
	void (*fn)(uint64_t *st, uint16_t pairs, struct fe_cvq_cmd *c);
	uint32_t weight;
};

/* Weighted toward the commands a guest sends often (RX modes, MAC
 * table, VLANs) with every class present. */
static const struct fe_gen fe_gens[] = {
	{ fe_gen_rx, 20 },
	{ fe_gen_mac_addr, 8 },
	{ fe_gen_mac_table, 12 },
	{ fe_gen_vlan, 20 },
	{ fe_gen_announce, 4 },
	{ fe_gen_mq, 8 },
	{ fe_gen_rss, 10 },
	{ fe_gen_hash, 5 },
	{ fe_gen_offloads, 8 },
	{ fe_gen_unknown, 5 },
};

void
fe_cvq_rand(uint64_t *state, uint16_t pairs, struct fe_cvq_cmd *out)
{
	uint32_t total = 0, r, i;

	if (pairs == 0)
		pairs = 1;
	for (i = 0; i < sizeof(fe_gens) / sizeof(fe_gens[0]); i++)
		total += fe_gens[i].weight;
	r = fe_rand_below(state, total);
	for (i = 0; r >= fe_gens[i].weight; i++)
		r -= fe_gens[i].weight;
	fe_gens[i].fn(state, pairs, out);
}
