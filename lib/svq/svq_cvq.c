/* SPDX-License-Identifier: BSD-3-Clause */

/*
 * Threat model: the bytes parsed here were written by the guest (copied
 * out of guest memory first, so they cannot change under us). Every
 * length, count and index is checked against the buffer and the device's
 * limits before use; a command is accepted only if its length is exactly
 * what its fields say.
 */

#include <errno.h>
#include <string.h>
#include <linux/virtio_net.h>

#include <rte_common.h>

#include "svq_cvq.h"

static uint16_t
svq_le16(const uint8_t *p)
{
	return (uint16_t)(p[0] | p[1] << 8);
}

static uint32_t
svq_le32(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 |
		(uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static void
svq_put_le16(uint8_t *p, uint16_t v)
{
	p[0] = v;
	p[1] = v >> 8;
}

static void
svq_put_le32(uint8_t *p, uint32_t v)
{
	svq_put_le16(p, v);
	svq_put_le16(p + 2, v >> 16);
}

static int
svq_cvq_fail(const char **why, int err, const char *what)
{
	*why = what;
	return err;
}

#define SVQ_CVQ_NEED(lim, feature, why) \
	do { \
		if (!((lim)->features & (UINT64_C(1) << (feature)))) \
			return svq_cvq_fail(why, -ENOTSUP, \
				#feature " not negotiated"); \
	} while (0)

static int
svq_cvq_parse_mac_table(const uint8_t *p, size_t len, struct svq_cvq_cmd *c,
		const char **why)
{
	size_t off;

	if (len < 4)
		return svq_cvq_fail(why, -EINVAL, "MAC table without unicast count");
	c->u.table.n_uc = svq_le32(p);
	if (c->u.table.n_uc > (len - 4) / RTE_ETHER_ADDR_LEN)
		return svq_cvq_fail(why, -EINVAL, "unicast entries beyond the buffer");
	c->u.table.uc = p + 4;
	off = 4 + (size_t)c->u.table.n_uc * RTE_ETHER_ADDR_LEN;
	if (len - off < 4)
		return svq_cvq_fail(why, -EINVAL, "MAC table without multicast count");
	c->u.table.n_mc = svq_le32(p + off);
	off += 4;
	if (c->u.table.n_mc > (len - off) / RTE_ETHER_ADDR_LEN)
		return svq_cvq_fail(why, -EINVAL, "multicast entries beyond the buffer");
	c->u.table.mc = p + off;
	if (len - off != (size_t)c->u.table.n_mc * RTE_ETHER_ADDR_LEN)
		return svq_cvq_fail(why, -EINVAL, "bytes after the MAC tables");
	return 0;
}

/* RSS_CONFIG and HASH_CONFIG share their head (hash_types) and tail
 * (key_len, key); RSS has the steering fields in between. */
static int
svq_cvq_parse_rss(const uint8_t *p, size_t len,
		const struct svq_cvq_limits *lim, bool steer,
		struct svq_cvq_rss *rss, const char **why)
{
	size_t off = 4;
	uint32_t i, table_len = 0;

	if (len < 4 + 8 + 1)
		return svq_cvq_fail(why, -EINVAL, "RSS/hash command too short");
	rss->hash_types = svq_le32(p);
	if (rss->hash_types & ~lim->hash_types)
		return svq_cvq_fail(why, -EINVAL, "unsupported hash types");
	if (steer) {
		uint16_t mask = svq_le16(p + off);

		table_len = (uint32_t)mask + 1;
		if (table_len & mask)
			return svq_cvq_fail(why, -EINVAL,
				"indirection table mask is not 2^n-1");
		if (table_len > RTE_MIN(lim->rss_max_table,
				(uint16_t)SVQ_RSS_TABLE_MAX))
			return svq_cvq_fail(why, -EINVAL,
				"indirection table larger than the device's");
		rss->table_len = table_len;
		rss->unclassified = svq_le16(p + off + 2);
		off += 4;
		if (len - off < 2 * (size_t)table_len + 3)
			return svq_cvq_fail(why, -EINVAL,
				"indirection table beyond the buffer");
		for (i = 0; i < table_len; i++) {
			rss->table[i] = svq_le16(p + off + 2 * i);
			if (rss->table[i] >= lim->max_pairs)
				return svq_cvq_fail(why, -EINVAL,
					"indirection table names a missing queue");
		}
		off += 2 * (size_t)table_len;
		rss->max_tx_vq = svq_le16(p + off);
		off += 2;
		if (rss->unclassified >= lim->max_pairs)
			return svq_cvq_fail(why, -EINVAL,
				"unclassified queue out of range");
		if (rss->max_tx_vq == 0 || rss->max_tx_vq > lim->max_pairs)
			return svq_cvq_fail(why, -EINVAL, "max_tx_vq out of range");
	} else {
		off += 8;	/* reserved */
	}
	rss->key_len = p[off++];
	if (rss->key_len > RTE_MIN(lim->rss_max_key, (uint8_t)SVQ_RSS_KEY_MAX))
		return svq_cvq_fail(why, -EINVAL, "hash key longer than the device's");
	if (len - off != rss->key_len)
		return svq_cvq_fail(why, -EINVAL, "hash key length does not match");
	memcpy(rss->key, p + off, rss->key_len);
	return 0;
}

int
svq_cvq_parse(const void *buf, size_t len, const struct svq_cvq_limits *lim,
		struct svq_cvq_cmd *c, const char **why)
{
	const uint8_t *p = buf;
	size_t dlen;

	*why = "";
	if (len < 2)
		return svq_cvq_fail(why, -EINVAL, "shorter than the command header");
	c->class = p[0];
	c->cmd = p[1];
	p += 2;
	dlen = len - 2;

	switch (c->class) {
	case VIRTIO_NET_CTRL_RX:
		if (c->cmd > VIRTIO_NET_CTRL_RX_NOBCAST)
			break;
		if (c->cmd <= VIRTIO_NET_CTRL_RX_ALLMULTI)
			SVQ_CVQ_NEED(lim, VIRTIO_NET_F_CTRL_RX, why);
		else
			SVQ_CVQ_NEED(lim, VIRTIO_NET_F_CTRL_RX_EXTRA, why);
		if (dlen != 1)
			return svq_cvq_fail(why, -EINVAL, "RX mode data is not one byte");
		c->u.on = p[0] != 0;
		return 0;
	case VIRTIO_NET_CTRL_MAC:
		if (c->cmd == VIRTIO_NET_CTRL_MAC_TABLE_SET) {
			SVQ_CVQ_NEED(lim, VIRTIO_NET_F_CTRL_RX, why);
			return svq_cvq_parse_mac_table(p, dlen, c, why);
		}
		if (c->cmd != VIRTIO_NET_CTRL_MAC_ADDR_SET)
			break;
		SVQ_CVQ_NEED(lim, VIRTIO_NET_F_CTRL_MAC_ADDR, why);
		if (dlen != RTE_ETHER_ADDR_LEN)
			return svq_cvq_fail(why, -EINVAL, "MAC address is not 6 bytes");
		memcpy(c->u.mac.addr_bytes, p, RTE_ETHER_ADDR_LEN);
		return 0;
	case VIRTIO_NET_CTRL_VLAN:
		if (c->cmd > VIRTIO_NET_CTRL_VLAN_DEL)
			break;
		SVQ_CVQ_NEED(lim, VIRTIO_NET_F_CTRL_VLAN, why);
		if (dlen != 2)
			return svq_cvq_fail(why, -EINVAL, "VLAN id is not 2 bytes");
		c->u.vid = svq_le16(p);
		if (c->u.vid >= 4096)
			return svq_cvq_fail(why, -EINVAL, "VLAN id above 4095");
		return 0;
	case VIRTIO_NET_CTRL_ANNOUNCE:
		if (c->cmd != VIRTIO_NET_CTRL_ANNOUNCE_ACK)
			break;
		SVQ_CVQ_NEED(lim, VIRTIO_NET_F_GUEST_ANNOUNCE, why);
		if (dlen != 0)
			return svq_cvq_fail(why, -EINVAL, "announce ack carries data");
		return 0;
	case VIRTIO_NET_CTRL_MQ:
		if (c->cmd == VIRTIO_NET_CTRL_MQ_VQ_PAIRS_SET) {
			SVQ_CVQ_NEED(lim, VIRTIO_NET_F_MQ, why);
			if (dlen != 2)
				return svq_cvq_fail(why, -EINVAL, "queue pairs is not 2 bytes");
			c->u.pairs = svq_le16(p);
			if (c->u.pairs < VIRTIO_NET_CTRL_MQ_VQ_PAIRS_MIN ||
					c->u.pairs > lim->max_pairs)
				return svq_cvq_fail(why, -EINVAL, "queue pairs out of range");
			return 0;
		}
		if (c->cmd == VIRTIO_NET_CTRL_MQ_RSS_CONFIG) {
			SVQ_CVQ_NEED(lim, VIRTIO_NET_F_RSS, why);
			return svq_cvq_parse_rss(p, dlen, lim, true, &c->u.rss, why);
		}
		if (c->cmd == VIRTIO_NET_CTRL_MQ_HASH_CONFIG) {
			SVQ_CVQ_NEED(lim, VIRTIO_NET_F_HASH_REPORT, why);
			return svq_cvq_parse_rss(p, dlen, lim, false, &c->u.rss, why);
		}
		break;
	case VIRTIO_NET_CTRL_GUEST_OFFLOADS:
		if (c->cmd != VIRTIO_NET_CTRL_GUEST_OFFLOADS_SET)
			break;
		SVQ_CVQ_NEED(lim, VIRTIO_NET_F_CTRL_GUEST_OFFLOADS, why);
		if (dlen != 8)
			return svq_cvq_fail(why, -EINVAL, "offloads are not 8 bytes");
		c->u.offloads = (uint64_t)svq_le32(p) | (uint64_t)svq_le32(p + 4) << 32;
		if (c->u.offloads & ~lim->guest_offloads)
			return svq_cvq_fail(why, -EINVAL, "offloads not negotiated");
		return 0;
	default:
		break;
	}
	return svq_cvq_fail(why, -ENOTSUP, "unknown class or command");
}

static int
svq_cvq_encode_rss(const struct svq_cvq_rss *rss, bool steer, uint8_t *p,
		size_t cap)
{
	size_t need = 4 + (steer ? 4 + 2 * (size_t)rss->table_len + 2 : 8) +
		1 + rss->key_len;
	size_t off = 4;
	uint16_t i;

	if (need > cap)
		return -ENOSPC;
	svq_put_le32(p, rss->hash_types);
	if (steer) {
		svq_put_le16(p + off, rss->table_len - 1);
		svq_put_le16(p + off + 2, rss->unclassified);
		off += 4;
		for (i = 0; i < rss->table_len; i++, off += 2)
			svq_put_le16(p + off, rss->table[i]);
		svq_put_le16(p + off, rss->max_tx_vq);
		off += 2;
	} else {
		memset(p + off, 0, 8);
		off += 8;
	}
	p[off++] = rss->key_len;
	memcpy(p + off, rss->key, rss->key_len);
	return need;
}

int
svq_cvq_encode(const struct svq_cvq_cmd *c, void *buf, size_t cap)
{
	uint8_t *p = buf;
	size_t n_uc, n_mc, need;
	int ret;

	if (cap < 2)
		return -ENOSPC;
	p[0] = c->class;
	p[1] = c->cmd;
	p += 2;
	cap -= 2;

	switch (c->class) {
	case VIRTIO_NET_CTRL_RX:
		if (cap < 1)
			return -ENOSPC;
		p[0] = c->u.on;
		return 3;
	case VIRTIO_NET_CTRL_MAC:
		if (c->cmd == VIRTIO_NET_CTRL_MAC_ADDR_SET) {
			if (cap < RTE_ETHER_ADDR_LEN)
				return -ENOSPC;
			memcpy(p, c->u.mac.addr_bytes, RTE_ETHER_ADDR_LEN);
			return 2 + RTE_ETHER_ADDR_LEN;
		}
		n_uc = c->u.table.n_uc;
		n_mc = c->u.table.n_mc;
		need = 8 + (n_uc + n_mc) * RTE_ETHER_ADDR_LEN;
		if (need > cap)
			return -ENOSPC;
		svq_put_le32(p, n_uc);
		memcpy(p + 4, c->u.table.uc, n_uc * RTE_ETHER_ADDR_LEN);
		p += 4 + n_uc * RTE_ETHER_ADDR_LEN;
		svq_put_le32(p, n_mc);
		memcpy(p + 4, c->u.table.mc, n_mc * RTE_ETHER_ADDR_LEN);
		return 2 + need;
	case VIRTIO_NET_CTRL_VLAN:
		if (cap < 2)
			return -ENOSPC;
		svq_put_le16(p, c->u.vid);
		return 4;
	case VIRTIO_NET_CTRL_ANNOUNCE:
		return 2;
	case VIRTIO_NET_CTRL_MQ:
		if (c->cmd == VIRTIO_NET_CTRL_MQ_VQ_PAIRS_SET) {
			if (cap < 2)
				return -ENOSPC;
			svq_put_le16(p, c->u.pairs);
			return 4;
		}
		ret = svq_cvq_encode_rss(&c->u.rss,
				c->cmd == VIRTIO_NET_CTRL_MQ_RSS_CONFIG, p, cap);
		return ret < 0 ? ret : ret + 2;
	case VIRTIO_NET_CTRL_GUEST_OFFLOADS:
		if (cap < 8)
			return -ENOSPC;
		svq_put_le32(p, c->u.offloads);
		svq_put_le32(p + 4, c->u.offloads >> 32);
		return 10;
	default:
		return -EINVAL;
	}
}

const char *
svq_cvq_cmd_name(uint8_t class, uint8_t cmd)
{
	static const char *const rx[] = {
		"RX_PROMISC", "RX_ALLMULTI", "RX_ALLUNI",
		"RX_NOMULTI", "RX_NOUNI", "RX_NOBCAST" };
	static const char *const mq[] = {
		"MQ_VQ_PAIRS_SET", "MQ_RSS_CONFIG", "MQ_HASH_CONFIG" };

	switch (class) {
	case VIRTIO_NET_CTRL_RX:
		return cmd < RTE_DIM(rx) ? rx[cmd] : "RX_UNKNOWN";
	case VIRTIO_NET_CTRL_MAC:
		return cmd == VIRTIO_NET_CTRL_MAC_TABLE_SET ? "MAC_TABLE_SET" :
			cmd == VIRTIO_NET_CTRL_MAC_ADDR_SET ? "MAC_ADDR_SET" :
			"MAC_UNKNOWN";
	case VIRTIO_NET_CTRL_VLAN:
		return cmd == VIRTIO_NET_CTRL_VLAN_ADD ? "VLAN_ADD" :
			cmd == VIRTIO_NET_CTRL_VLAN_DEL ? "VLAN_DEL" : "VLAN_UNKNOWN";
	case VIRTIO_NET_CTRL_ANNOUNCE:
		return "ANNOUNCE_ACK";
	case VIRTIO_NET_CTRL_MQ:
		return cmd < RTE_DIM(mq) ? mq[cmd] : "MQ_UNKNOWN";
	case VIRTIO_NET_CTRL_GUEST_OFFLOADS:
		return "GUEST_OFFLOADS_SET";
	default:
		return "UNKNOWN";
	}
}
