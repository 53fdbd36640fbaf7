/* SPDX-License-Identifier: BSD-3-Clause */

/*
 * The sim device's control virtqueue and the behaviour it controls.
 * Commands go through a synthetic guest control ring and a shadow
 * virtqueue (or, for rings a relay would refuse, straight onto the
 * device's vring); the test checks the ack, the device state
 * (get_net_state) and what the loopback data path then does: RX
 * filtering, RSS steering and the hash report in the RX header.
 *
 * Commands are encoded here byte by byte, not with svq_cvq_encode(), and
 * RSS hashes are computed by a bitwise Toeplitz below, checked against
 * Microsoft's published verification vectors: neither side of a check
 * comes from the code under test.
 */

#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <netinet/in.h>
#include <linux/virtio_config.h>
#include <linux/virtio_net.h>

#include <CUnit/CUnit.h>
#include <rte_dev.h>
#include <rte_ethdev.h>

#include "guest_ring.h"
#include "svq_device.h"
#include "svq_net_state.h"
#include "svq_port.h"
#include "svq_shadow.h"
#include "unit.h"

#define F(bit)		(UINT64_C(1) << (bit))
#define F_BASE		(F(VIRTIO_F_VERSION_1) | F(VIRTIO_NET_F_MAC) | \
			 F(VIRTIO_NET_F_CTRL_VQ))
#define F_RXCTL		(F_BASE | F(VIRTIO_NET_F_CTRL_RX) | \
			 F(VIRTIO_NET_F_CTRL_RX_EXTRA) | \
			 F(VIRTIO_NET_F_CTRL_VLAN) | F(VIRTIO_NET_F_CTRL_MAC_ADDR))
#define F_MQ		(F_BASE | F(VIRTIO_NET_F_MQ))
#define F_RSS		(F_MQ | F(VIRTIO_NET_F_RSS))
#define F_HASH		(F(VIRTIO_NET_F_HASH_REPORT))
#define F_OFFLOADS	(F(VIRTIO_NET_F_CTRL_GUEST_OFFLOADS) | \
			 F(VIRTIO_NET_F_GUEST_CSUM) | F(VIRTIO_NET_F_GUEST_TSO4))
#define F_ALL		(F_RXCTL | F_RSS | F_HASH | F_OFFLOADS | \
			 F(VIRTIO_NET_F_GUEST_ANNOUNCE))

#define MAX_PAIRS	4
#define NB_GUESTS	(2 * MAX_PAIRS + 1)
#define RING		64
#define GPA_STRIDE	UINT64_C(0x01000000)
#define RX_BUFS		32
#define RX_BUF_LEN	2048
#define HDR12		sizeof(struct virtio_net_hdr_mrg_rxbuf)
#define HDR20		sizeof(struct virtio_net_hdr_v1_hash)
#define NO_FRAME	0xffff

#define DEV_MAC_STR	"02:53:56:51:00:01"
static const uint8_t dev_mac[6] = { 0x02, 0x53, 0x56, 0x51, 0x00, 0x01 };
static const uint8_t peer_mac[6] = { 0x02, 0x00, 0x00, 0x00, 0x00, 0x99 };
static const uint8_t uc_listed[6] = { 0x02, 0x00, 0x00, 0x00, 0x00, 0x10 };
static const uint8_t stranger[6] = { 0x02, 0x00, 0x00, 0x00, 0x00, 0x77 };
static const uint8_t mc_listed[6] = { 0x01, 0x00, 0x5e, 0x00, 0x00, 0x01 };
static const uint8_t mc_other[6] = { 0x01, 0x00, 0x5e, 0x00, 0x00, 0x02 };
static const uint8_t bcast[6] = { 0xff, 0xff, 0xff, 0xff, 0xff, 0xff };

/* The default Toeplitz key of Microsoft's RSS specification. */
static const uint8_t ms_key[40] = {
	0x6d, 0x5a, 0x56, 0xda, 0x25, 0x5b, 0x0e, 0xc2,
	0x41, 0x67, 0x25, 0x3d, 0x43, 0xa3, 0x8f, 0xb0,
	0xd0, 0xca, 0x2b, 0xcb, 0xae, 0x7b, 0x30, 0xb4,
	0x77, 0xcb, 0x2d, 0xa3, 0x80, 0x30, 0xf2, 0x0c,
	0x6a, 0x42, 0xb7, 0x3b, 0xbe, 0xac, 0x01, 0xfa,
};

/* ---- the rig: device, guest rings, shadow virtqueues --------------- */

static struct {
	struct svq_device *dev;
	uint64_t features;
	uint16_t pairs;		/* the device's queue pairs */
	uint16_t data_pairs;	/* pairs with vrings set up */
	uint16_t hdr_len;
	uint16_t cvq_qid;	/* the device's control vring */
	bool has_cvq;
	bool cvq_direct;	/* control ring handed to the device as is */
	struct test_guest g[NB_GUESTS];	/* data vrings, then control */
	struct svq_shadow_vq vq[NB_GUESTS];
	uint8_t *shadow_mem;
	size_t slot;
	uint8_t next_id;
} r;

#define CTL (2 * MAX_PAIRS)	/* index of the control ring in r.g/r.vq */

static void
rig_vring(unsigned int i, uint16_t qid, bool direct)
{
	struct test_guest *g = &r.g[i];
	struct svq_device *dev = r.dev;

	CU_ASSERT_EQUAL(dev->ops->set_vring_num(dev, qid, g->size), 0);
	if (direct) {
		CU_ASSERT_EQUAL(dev->ops->set_vring_addr(dev, qid,
				tg_gpa(g, g->ring.desc), tg_gpa(g, g->ring.avail),
				tg_gpa(g, g->ring.used)), 0);
	} else {
		uint64_t iova = SVQ_SHADOW_IOVA_BASE + i * r.slot;

		svq_shadow_init(&r.vq[i], "sim cvq test");
		CU_ASSERT_EQUAL_FATAL(svq_shadow_start(&r.vq[i], &g->ring,
				g->size, r.shadow_mem + i * r.slot, &g->map, 0, 0,
				false, -1), 0);
		CU_ASSERT_EQUAL(dev->ops->set_vring_addr(dev, qid, iova,
				iova + svq_shadow_avail_offset(g->size),
				iova + svq_shadow_used_offset(g->size)), 0);
	}
	CU_ASSERT_EQUAL(dev->ops->set_vring_base(dev, qid, 0), 0);
	CU_ASSERT_EQUAL(dev->ops->set_vring_enable(dev, qid, true), 0);
}

/* Start a device made from @p spec (its mac and queues are added). */
static void
rig_start_spec(const char *mode, uint16_t pairs, uint64_t features,
		bool cvq_direct)
{
	uint8_t status = VIRTIO_CONFIG_S_ACKNOWLEDGE | VIRTIO_CONFIG_S_DRIVER;
	char spec[128];
	unsigned int i, b;

	memset(&r, 0, sizeof(r));
	snprintf(spec, sizeof(spec), "sim,%s,queues=%u,mac=%s",
		mode, pairs, DEV_MAC_STR);
	r.dev = svq_device_create(spec);
	CU_ASSERT_PTR_NOT_NULL_FATAL(r.dev);
	r.features = features;
	r.pairs = pairs;
	r.has_cvq = features & F(VIRTIO_NET_F_CTRL_VQ);
	r.cvq_direct = cvq_direct;
	/* virtio 1.2, 5.1.2: with MQ or RSS the control vring follows all
	 * max_virtqueue_pairs pairs, else it is vring 2. */
	r.data_pairs = features & (F(VIRTIO_NET_F_MQ) | F(VIRTIO_NET_F_RSS)) ?
		pairs : 1;
	r.cvq_qid = 2 * r.data_pairs;
	r.hdr_len = features & F_HASH ? HDR20 : HDR12;
	r.slot = RTE_ALIGN_CEIL(svq_shadow_ring_bytes(RING), 4096);
	r.shadow_mem = aligned_alloc(4096, NB_GUESTS * r.slot);
	memset(r.shadow_mem, 0, NB_GUESTS * r.slot);
	for (i = 0; i < NB_GUESTS; i++)
		tg_init_at(&r.g[i], RING, TG_GPA_BASE + i * GPA_STRIDE);

	r.dev->ops->set_status(r.dev, 0);
	r.dev->ops->set_status(r.dev, status);
	CU_ASSERT_EQUAL_FATAL(r.dev->ops->set_features(r.dev, features), 0);
	status |= VIRTIO_CONFIG_S_FEATURES_OK;
	r.dev->ops->set_status(r.dev, status);
	CU_ASSERT_TRUE_FATAL(r.dev->ops->get_status(r.dev) &
		VIRTIO_CONFIG_S_FEATURES_OK);
	for (i = 0; i < NB_GUESTS; i++)
		CU_ASSERT_EQUAL(r.dev->ops->dma_map(r.dev, r.g[i].gpa_base,
				TG_MEM_SIZE, r.g[i].mem, -1, 0), 0);
	CU_ASSERT_EQUAL(r.dev->ops->dma_map(r.dev, SVQ_SHADOW_IOVA_BASE,
			NB_GUESTS * r.slot, r.shadow_mem, -1, 0), 0);
	for (i = 0; i < 2u * r.data_pairs; i++)
		rig_vring(i, i, false);
	if (r.has_cvq)
		rig_vring(CTL, r.cvq_qid, cvq_direct);
	r.dev->ops->set_status(r.dev, status | VIRTIO_CONFIG_S_DRIVER_OK);

	/* RX buffers, reposted as they are consumed */
	for (i = 0; i < r.data_pairs; i++) {
		struct test_guest *g = &r.g[2 * i];

		for (b = 0; b < RX_BUFS; b++) {
			tg_set_desc(g, b, tg_alloc(g, RX_BUF_LEN), RX_BUF_LEN,
				VRING_DESC_F_WRITE, 0);
			tg_publish(g, b);
		}
	}
}

static void
rig_start_opts(uint16_t pairs, uint64_t features, bool cvq_direct)
{
	rig_start_spec("mode=loopback", pairs, features, cvq_direct);
}

static void
rig_start(uint16_t pairs, uint64_t features)
{
	rig_start_opts(pairs, features, false);
}

static void
rig_stop(void)
{
	unsigned int i;

	svq_device_destroy(r.dev);
	for (i = 0; i < NB_GUESTS; i++) {
		svq_shadow_free(&r.vq[i]);
		tg_fini(&r.g[i]);
	}
	free(r.shadow_mem);
}

/* What workers do: TX vrings, then RX vrings, a few times. */
static void
relay_data(void)
{
	unsigned int round, i;

	for (round = 0; round < 3; round++) {
		for (i = 1; i < 2u * r.data_pairs; i += 2) {
			svq_shadow_forward_avail(&r.vq[i]);
			r.dev->ops->poll(r.dev, i);
			svq_shadow_forward_used(&r.vq[i]);
		}
		for (i = 0; i < 2u * r.data_pairs; i += 2) {
			svq_shadow_forward_avail(&r.vq[i]);
			r.dev->ops->poll(r.dev, i);
			svq_shadow_forward_used(&r.vq[i]);
		}
	}
}

static void
relay_ctl(void)
{
	if (r.cvq_direct) {
		r.dev->ops->poll(r.dev, r.cvq_qid);
		return;
	}
	svq_shadow_forward_avail(&r.vq[CTL]);
	r.dev->ops->poll(r.dev, r.cvq_qid);
	svq_shadow_forward_used(&r.vq[CTL]);
}

/* Guest memory for a buffer that is done with once its chain completes. */
static uint64_t
galloc(struct test_guest *g, uint32_t len)
{
	if (g->next_data + RTE_ALIGN_CEIL(len, 64) > TG_MEM_SIZE)
		g->next_data = TG_DATA_OFF;
	return tg_alloc(g, len);
}

static struct svq_net_state
net_state(void)
{
	struct svq_net_state s;

	CU_ASSERT_EQUAL(r.dev->ops->get_net_state(r.dev, &s), 0);
	return s;
}

/* ---- control commands, encoded by hand ------------------------------ */

struct cmd {
	uint8_t b[70000];
	size_t len;
};

static void
put8(struct cmd *c, uint8_t v)
{
	c->b[c->len++] = v;
}

static void
put16(struct cmd *c, uint16_t v)
{
	put8(c, v);
	put8(c, v >> 8);
}

static void
put32(struct cmd *c, uint32_t v)
{
	put16(c, v);
	put16(c, v >> 16);
}

static void
putn(struct cmd *c, const void *p, size_t n)
{
	memcpy(c->b + c->len, p, n);
	c->len += n;
}

static struct cmd *
cmd_new(uint8_t class, uint8_t cmd)
{
	static struct cmd c;

	c.len = 0;
	put8(&c, class);
	put8(&c, cmd);
	return &c;
}

/*
 * Send one command as a readable chain split at @p split (0: one
 * descriptor for header and data) followed by @p ack_room writable bytes.
 * @return the ack byte, or -1 if the command did not complete.
 */
static int
ctl_send_split(const struct cmd *c, size_t split, uint32_t ack_room)
{
	struct test_guest *g = &r.g[CTL];
	uint16_t head = (g->avail_idx * 4) & (g->size - 1);
	uint16_t d = head;
	uint64_t out, in;
	uint32_t id, len;
	uint8_t *ack;

	out = galloc(g, c->len);
	memcpy(tg_hva(g, out), c->b, c->len);
	if (split != 0 && split < c->len) {
		tg_set_desc(g, d, out, split, VRING_DESC_F_NEXT, d + 1);
		d++;
		tg_set_desc(g, d, out + split, c->len - split,
			VRING_DESC_F_NEXT, d + 1);
	} else {
		tg_set_desc(g, d, out, c->len, VRING_DESC_F_NEXT, d + 1);
	}
	d++;
	in = galloc(g, ack_room);
	ack = tg_hva(g, in);
	memset(ack, 0xa5, ack_room);
	tg_set_desc(g, d, in, ack_room, VRING_DESC_F_WRITE, 0);
	tg_publish(g, head);
	relay_ctl();
	if (!tg_pop_used(g, &id, &len))
		return -1;
	CU_ASSERT_EQUAL(id, head);
	CU_ASSERT_EQUAL(len, 1);
	if (ack_room > 1)
		CU_ASSERT_EQUAL(ack[1], 0xa5);	/* only the first byte */
	return ack[0];
}

static int
ctl_send(const struct cmd *c)
{
	return ctl_send_split(c, 0, 1);
}

static int
cmd_rx(uint8_t which, bool on)
{
	struct cmd *c = cmd_new(VIRTIO_NET_CTRL_RX, which);

	put8(c, on);
	return ctl_send(c);
}

static int
cmd_mac_addr(const uint8_t mac[6])
{
	struct cmd *c = cmd_new(VIRTIO_NET_CTRL_MAC,
			VIRTIO_NET_CTRL_MAC_ADDR_SET);

	putn(c, mac, 6);
	return ctl_send(c);
}

/* A MAC table: @p n_uc unicast addresses (the first @p uc, then made
 * up), @p n_mc multicast ones likewise. */
static struct cmd *
cmd_mac_table(const uint8_t *uc, uint32_t n_uc, const uint8_t *mc,
		uint32_t n_mc)
{
	struct cmd *c = cmd_new(VIRTIO_NET_CTRL_MAC,
			VIRTIO_NET_CTRL_MAC_TABLE_SET);
	uint8_t mac[6];
	uint32_t i;

	put32(c, n_uc);
	for (i = 0; i < n_uc; i++) {
		uint8_t made_up[6] = { 0x02, 0xaa, 0, 0, i >> 8, i };

		memcpy(mac, uc != NULL && i == 0 ? uc : made_up, 6);
		putn(c, mac, 6);
	}
	put32(c, n_mc);
	for (i = 0; i < n_mc; i++) {
		uint8_t made_up[6] = { 0x01, 0xaa, 0, 0, i >> 8, i };

		memcpy(mac, mc != NULL && i == 0 ? mc : made_up, 6);
		putn(c, mac, 6);
	}
	return c;
}

static int
cmd_vlan(uint8_t which, uint16_t vid)
{
	struct cmd *c = cmd_new(VIRTIO_NET_CTRL_VLAN, which);

	put16(c, vid);
	return ctl_send(c);
}

static int
cmd_pairs(uint16_t pairs)
{
	struct cmd *c = cmd_new(VIRTIO_NET_CTRL_MQ,
			VIRTIO_NET_CTRL_MQ_VQ_PAIRS_SET);

	put16(c, pairs);
	return ctl_send(c);
}

static struct cmd *
cmd_rss_table(uint32_t types, const uint16_t *table, uint16_t table_len,
		uint16_t unclassified, uint16_t max_tx_vq, const uint8_t *key,
		uint8_t key_len)
{
	struct cmd *c = cmd_new(VIRTIO_NET_CTRL_MQ,
			VIRTIO_NET_CTRL_MQ_RSS_CONFIG);
	uint16_t i;

	put32(c, types);
	put16(c, table_len - 1);
	put16(c, unclassified);
	for (i = 0; i < table_len; i++)
		put16(c, table[i]);
	put16(c, max_tx_vq);
	put8(c, key_len);
	putn(c, key, key_len);
	return c;
}

static struct cmd *
cmd_hash(uint32_t types, const uint8_t *key, uint8_t key_len)
{
	struct cmd *c = cmd_new(VIRTIO_NET_CTRL_MQ,
			VIRTIO_NET_CTRL_MQ_HASH_CONFIG);
	int i;

	put32(c, types);
	for (i = 0; i < 4; i++)
		put16(c, 0);
	put8(c, key_len);
	putn(c, key, key_len);
	return c;
}

static int
cmd_offloads(uint64_t offloads)
{
	struct cmd *c = cmd_new(VIRTIO_NET_CTRL_GUEST_OFFLOADS,
			VIRTIO_NET_CTRL_GUEST_OFFLOADS_SET);

	put32(c, offloads);
	put32(c, offloads >> 32);
	return ctl_send(c);
}

/* ---- frames ---------------------------------------------------------- */

struct frame {
	uint8_t b[256];
	uint32_t len;
	uint8_t id;	/* last byte: which frame this is */
};

static uint8_t *
eth(struct frame *f, const uint8_t dst[6], int vid, uint16_t type)
{
	uint8_t *p = f->b;

	memset(f, 0, sizeof(*f));
	memcpy(p, dst, 6);
	memcpy(p + 6, peer_mac, 6);
	p += 12;
	if (vid >= 0) {
		p[0] = 0x81;
		p[1] = 0x00;
		p[2] = vid >> 8;
		p[3] = vid;
		p += 4;
	}
	p[0] = type >> 8;
	p[1] = type;
	return p + 2;
}

static void
frame_end(struct frame *f, uint32_t len)
{
	f->len = RTE_MAX(len + 1, 60u);
	f->id = ++r.next_id;
	f->b[f->len - 1] = f->id;
}

/* A frame of a local experimental ethertype, for the filter. */
static void
frame_l2(struct frame *f, const uint8_t dst[6], int vid)
{
	uint8_t *p = eth(f, dst, vid, 0x88b5);

	frame_end(f, p - f->b + 32);
}

struct flow {
	bool v6;
	uint8_t proto;		/* IPPROTO_TCP, IPPROTO_UDP */
	uint8_t src[16], dst[16];
	uint16_t sport, dport;
	bool fragment;		/* more fragments follow (IPv4 flag, IPv6
				 * fragment header) */
	bool hop_by_hop;	/* IPv6: an 8-byte hop-by-hop header first */
};

static void
frame_ip(struct frame *f, const struct flow *fl)
{
	uint8_t *p = eth(f, dev_mac, -1, fl->v6 ? 0x86dd : 0x0800);
	uint8_t *l4;

	if (fl->v6) {
		uint8_t *next = &p[6];

		p[0] = 0x60;
		p[4] = 0;
		p[5] = 44;
		p[7] = 64;
		memcpy(p + 8, fl->src, 16);
		memcpy(p + 24, fl->dst, 16);
		l4 = p + 40;
		if (fl->hop_by_hop) {
			*next = IPPROTO_HOPOPTS;
			next = l4;
			l4[2] = 1;	/* PadN, 4 bytes of padding */
			l4[3] = 4;
			l4 += 8;
		}
		if (fl->fragment) {
			*next = IPPROTO_FRAGMENT;
			next = l4;
			l4[3] = 1;	/* offset 0, more fragments */
			l4 += 8;
		}
		*next = fl->proto;
	} else {
		p[0] = 0x45;
		p[3] = 48;
		p[6] = fl->fragment ? 0x20 : 0;
		p[8] = 64;
		p[9] = fl->proto;
		memcpy(p + 12, fl->src, 4);
		memcpy(p + 16, fl->dst, 4);
		l4 = p + 20;
	}
	l4[0] = fl->sport >> 8;
	l4[1] = fl->sport;
	l4[2] = fl->dport >> 8;
	l4[3] = fl->dport;
	if (fl->proto == IPPROTO_TCP)
		l4[12] = 5 << 4;
	frame_end(f, l4 - f->b + 20);
}

static void
frame_arp(struct frame *f)
{
	uint8_t *p = eth(f, bcast, -1, 0x0806);

	p[1] = 1;	/* Ethernet */
	p[2] = 0x08;	/* IPv4 */
	p[4] = 6;
	p[5] = 4;
	p[7] = 1;	/* request */
	frame_end(f, p - f->b + 28);
}

static void
send_frame(uint16_t pair, const struct frame *f)
{
	struct test_guest *g = &r.g[2 * pair + 1];
	uint16_t head = (g->avail_idx * 2) & (g->size - 1);
	uint64_t hdr = galloc(g, r.hdr_len), data = galloc(g, f->len);

	memset(tg_hva(g, hdr), 0, r.hdr_len);
	memcpy(tg_hva(g, data), f->b, f->len);
	tg_set_desc(g, head, hdr, r.hdr_len, VRING_DESC_F_NEXT, head + 1);
	tg_set_desc(g, head + 1, data, f->len, 0, 0);
	tg_publish(g, head);
}

struct rx_frame {
	uint16_t pair;
	uint32_t len;
	uint8_t id;
	struct virtio_net_hdr_v1_hash hdr;
	uint8_t b[RX_BUF_LEN];
};

/* Take one received frame from any pair (lowest first), repost its
 * buffer. @return false when none. */
static bool
rx_take(struct rx_frame *out)
{
	uint16_t pair;

	for (pair = 0; pair < r.data_pairs; pair++) {
		struct test_guest *g = &r.g[2 * pair];
		uint32_t id, len;
		uint8_t *buf;

		if (!tg_pop_used(g, &id, &len))
			continue;
		buf = tg_hva(g, g->ring.desc[id].addr);
		memset(&out->hdr, 0, sizeof(out->hdr));
		memcpy(&out->hdr, buf, r.hdr_len);
		out->pair = pair;
		out->len = len - r.hdr_len;
		memcpy(out->b, buf + r.hdr_len, out->len);
		out->id = out->b[out->len - 1];
		tg_publish(g, id);
		return true;
	}
	return false;
}

static void
tx_drain(void)
{
	uint32_t id, len;
	uint16_t pair;

	for (pair = 0; pair < r.data_pairs; pair++)
		while (tg_pop_used(&r.g[2 * pair + 1], &id, &len))
			;
}

/* Send @p f on @p pair; @return the pair it came back on, or NO_FRAME.
 * Whatever else arrived is a failure. */
static uint16_t
loop_frame(uint16_t pair, const struct frame *f, struct rx_frame *got)
{
	static struct rx_frame scratch;
	uint16_t where = NO_FRAME;

	if (got == NULL)
		got = &scratch;
	send_frame(pair, f);
	relay_data();
	tx_drain();
	if (rx_take(got)) {
		CU_ASSERT_EQUAL(got->id, f->id);
		CU_ASSERT_EQUAL(got->len, f->len);
		CU_ASSERT_EQUAL(memcmp(got->b, f->b, f->len), 0);
		where = got->pair;
		CU_ASSERT_FALSE(rx_take(&scratch));
	}
	return where;
}

/* Does a frame to @p dst (tagged with @p vid unless negative) pass? */
static bool
passes(const uint8_t dst[6], int vid)
{
	struct frame f;

	frame_l2(&f, dst, vid);
	return loop_frame(0, &f, NULL) == 0;
}

/* ---- Toeplitz, independently --------------------------------------- */

static uint32_t
toeplitz(const uint8_t *key, size_t key_len, const uint8_t *in, size_t len)
{
	uint32_t hash = 0, window = 0;
	size_t i, kbit = 0;
	int b;

	for (; kbit < 32; kbit++)
		window = window << 1 | ((key[kbit / 8] >> (7 - kbit % 8)) & 1);
	for (i = 0; i < len; i++) {
		for (b = 7; b >= 0; b--, kbit++) {
			uint32_t next = kbit < key_len * 8 ?
				(key[kbit / 8] >> (7 - kbit % 8)) & 1 : 0;

			if ((in[i] >> b) & 1)
				hash ^= window;
			window = window << 1 | next;
		}
	}
	return hash;
}

static uint32_t
flow_hash(const struct flow *fl, bool ports)
{
	uint8_t in[36];
	size_t a = fl->v6 ? 16 : 4, n = 2 * a;

	memcpy(in, fl->src, a);
	memcpy(in + a, fl->dst, a);
	if (ports) {
		in[n++] = fl->sport >> 8;
		in[n++] = fl->sport;
		in[n++] = fl->dport >> 8;
		in[n++] = fl->dport;
	}
	return toeplitz(ms_key, sizeof(ms_key), in, n);
}

static struct flow
flow4(uint8_t proto, const uint8_t src[4], uint16_t sport,
		const uint8_t dst[4], uint16_t dport)
{
	struct flow fl = { .proto = proto, .sport = sport, .dport = dport };

	memcpy(fl.src, src, 4);
	memcpy(fl.dst, dst, 4);
	return fl;
}

static struct flow
flow6(uint8_t proto, const uint8_t src[16], uint16_t sport,
		const uint8_t dst[16], uint16_t dport)
{
	struct flow fl = { .v6 = true, .proto = proto, .sport = sport,
		.dport = dport };

	memcpy(fl.src, src, 16);
	memcpy(fl.dst, dst, 16);
	return fl;
}

/* Microsoft's verification vectors (RSS, "Verifying the RSS Hash
 * Calculation"): source, destination, TCP hash, IPv4/6-only hash. */
static const struct {
	uint8_t src[4], dst[4];
	uint16_t sport, dport;
	uint32_t l4, l3;
} ms_v4[] = {
	{ { 66, 9, 149, 187 }, { 161, 142, 100, 80 }, 2794, 1766,
	  0x51ccc178, 0x323e8fc2 },
	{ { 199, 92, 111, 2 }, { 65, 69, 140, 83 }, 14230, 4739,
	  0xc626b0ea, 0xd718262a },
	{ { 24, 19, 198, 95 }, { 12, 22, 207, 184 }, 12898, 38024,
	  0x5c2b394a, 0xd2d0a5de },
	{ { 38, 27, 205, 30 }, { 209, 142, 163, 6 }, 48228, 2217,
	  0xafc7327f, 0x82989176 },
	{ { 153, 39, 163, 191 }, { 202, 188, 127, 2 }, 44251, 1303,
	  0x10e828a2, 0x5d1809c5 },
};

static const struct {
	uint8_t src[16], dst[16];
	uint16_t sport, dport;
	uint32_t l4, l3;
} ms_v6[] = {
	/* 3ffe:2501:200:1fff::7 -> 3ffe:2501:200:3::1 */
	{ { 0x3f, 0xfe, 0x25, 0x01, 0x02, 0x00, 0x1f, 0xff,
	    0, 0, 0, 0, 0, 0, 0, 0x07 },
	  { 0x3f, 0xfe, 0x25, 0x01, 0x02, 0x00, 0x00, 0x03,
	    0, 0, 0, 0, 0, 0, 0, 0x01 },
	  2794, 1766, 0x40207d3d, 0x2cc18cd5 },
	/* 3ffe:501:8::260:97ff:fe40:efab -> ff02::1 */
	{ { 0x3f, 0xfe, 0x05, 0x01, 0x00, 0x08, 0, 0,
	    0x02, 0x60, 0x97, 0xff, 0xfe, 0x40, 0xef, 0xab },
	  { 0xff, 0x02, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x01 },
	  14230, 4739, 0xdde51bbf, 0x0f0c461c },
	/* 3ffe:1900:4545:3:200:f8ff:fe21:67cf -> fe80::200:f8ff:fe21:67cf */
	{ { 0x3f, 0xfe, 0x19, 0x00, 0x45, 0x45, 0x00, 0x03,
	    0x02, 0x00, 0xf8, 0xff, 0xfe, 0x21, 0x67, 0xcf },
	  { 0xfe, 0x80, 0, 0, 0, 0, 0, 0,
	    0x02, 0x00, 0xf8, 0xff, 0xfe, 0x21, 0x67, 0xcf },
	  44251, 38024, 0x02d1feef, 0x4b61e985 },
};

/* ---- tests: features, config, the control vring ---------------------- */

static void
test_features_and_config(void)
{
	struct virtio_net_config cfg;
	uint64_t f;

	rig_start(4, F_MQ);
	f = r.dev->ops->get_features(r.dev);
	CU_ASSERT_EQUAL(f & F_ALL, F_ALL);
	CU_ASSERT_TRUE(f & F(VIRTIO_NET_F_GUEST_TSO6));
	CU_ASSERT_TRUE(f & F(VIRTIO_NET_F_GUEST_ECN));
	CU_ASSERT_TRUE(f & F(VIRTIO_NET_F_GUEST_UFO));
	CU_ASSERT_EQUAL(r.dev->ops->get_config(r.dev, &cfg, 0, sizeof(cfg)), 0);
	CU_ASSERT_EQUAL(memcmp(cfg.mac, dev_mac, 6), 0);
	CU_ASSERT_EQUAL(cfg.max_virtqueue_pairs, 4);
	CU_ASSERT_EQUAL(cfg.rss_max_key_size, 40);
	CU_ASSERT_EQUAL(cfg.rss_max_indirection_table_length, 128);
	CU_ASSERT_EQUAL(cfg.supported_hash_types,
		VIRTIO_NET_RSS_HASH_TYPE_IPv4 | VIRTIO_NET_RSS_HASH_TYPE_TCPv4 |
		VIRTIO_NET_RSS_HASH_TYPE_UDPv4 | VIRTIO_NET_RSS_HASH_TYPE_IPv6 |
		VIRTIO_NET_RSS_HASH_TYPE_TCPv6 | VIRTIO_NET_RSS_HASH_TYPE_UDPv6);
	/* with MQ the control vring is vring 8; there is no vring 9 */
	CU_ASSERT_EQUAL(r.cvq_qid, 8);
	CU_ASSERT_EQUAL(cmd_pairs(4), VIRTIO_NET_OK);
	CU_ASSERT_NOT_EQUAL(r.dev->ops->set_vring_num(r.dev, 9, 64), 0);
	/* features are fixed once FEATURES_OK is set */
	CU_ASSERT_NOT_EQUAL(r.dev->ops->set_features(r.dev, F_BASE), 0);
	rig_stop();

	/* without MQ (and RSS) it is vring 2, whatever max_virtqueue_pairs */
	rig_start(4, F_RXCTL);
	CU_ASSERT_EQUAL(r.cvq_qid, 2);
	CU_ASSERT_EQUAL(cmd_rx(VIRTIO_NET_CTRL_RX_ALLUNI, true), VIRTIO_NET_OK);
	CU_ASSERT_TRUE(net_state().rx_mode[SVQ_RX_ALLUNI]);
	rig_stop();
}

static void
test_initial_state(void)
{
	struct svq_net_state s, want;
	struct rte_ether_addr mac;

	memcpy(mac.addr_bytes, dev_mac, 6);
	rig_start(4, F_ALL);
	s = net_state();
	svq_net_state_init(&want, F_ALL, &mac, 4);
	CU_ASSERT_TRUE(svq_net_state_equal(&s, &want));
	CU_ASSERT_TRUE(s.rx_mode[SVQ_RX_PROMISC]);
	CU_ASSERT_EQUAL(s.curr_pairs, 1);
	CU_ASSERT_FALSE(svq_net_state_vlan(&s, 0));	/* CTRL_VLAN: empty */
	CU_ASSERT_EQUAL(s.guest_offloads, F(VIRTIO_NET_F_GUEST_CSUM) |
		F(VIRTIO_NET_F_GUEST_TSO4));
	rig_stop();

	rig_start(1, F_BASE | F(VIRTIO_NET_F_CTRL_RX));
	s = net_state();
	CU_ASSERT_TRUE(svq_net_state_vlan(&s, 4095));	/* no CTRL_VLAN: all */
	rig_stop();
}

static void
test_cmd_rx_modes(void)
{
	uint8_t m;

	rig_start(1, F_RXCTL);
	for (m = VIRTIO_NET_CTRL_RX_PROMISC; m <= VIRTIO_NET_CTRL_RX_NOBCAST; m++) {
		CU_ASSERT_EQUAL(cmd_rx(m, true), VIRTIO_NET_OK);
		CU_ASSERT_TRUE(net_state().rx_mode[m]);
		CU_ASSERT_EQUAL(cmd_rx(m, false), VIRTIO_NET_OK);
		CU_ASSERT_FALSE(net_state().rx_mode[m]);
	}
	rig_stop();
}

static void
test_cmd_mac(void)
{
	static const uint8_t new_mac[6] = { 0x02, 0x11, 0x22, 0x33, 0x44, 0x55 };
	struct svq_net_state s;
	uint8_t cfg_mac[6];

	rig_start(1, F_RXCTL);
	CU_ASSERT_EQUAL(cmd_mac_addr(new_mac), VIRTIO_NET_OK);
	s = net_state();
	CU_ASSERT_EQUAL(memcmp(s.mac.addr_bytes, new_mac, 6), 0);
	/* MAC_ADDR_SET shows in the config space too */
	CU_ASSERT_EQUAL(r.dev->ops->get_config(r.dev, cfg_mac,
			offsetof(struct virtio_net_config, mac), 6), 0);
	CU_ASSERT_EQUAL(memcmp(cfg_mac, new_mac, 6), 0);

	CU_ASSERT_EQUAL(ctl_send(cmd_mac_table(uc_listed, 2, mc_listed, 3)),
		VIRTIO_NET_OK);
	s = net_state();
	CU_ASSERT_EQUAL(s.n_uc, 2);
	CU_ASSERT_EQUAL(s.n_mc, 3);
	CU_ASSERT_FALSE(s.uc_overflow || s.mc_overflow);
	CU_ASSERT_EQUAL(memcmp(s.uc[0].addr_bytes, uc_listed, 6), 0);
	CU_ASSERT_EQUAL(memcmp(s.mc[0].addr_bytes, mc_listed, 6), 0);

	/* a table larger than the device keeps: overflow, nothing listed */
	CU_ASSERT_EQUAL(ctl_send(cmd_mac_table(NULL, SVQ_MAC_TABLE_MAX + 1,
			NULL, 0)), VIRTIO_NET_OK);
	s = net_state();
	CU_ASSERT_TRUE(s.uc_overflow);
	CU_ASSERT_FALSE(s.mc_overflow);
	CU_ASSERT_EQUAL(s.n_uc, 0);
	CU_ASSERT_EQUAL(s.n_mc, 0);

	/* a reset undoes MAC_ADDR_SET, in the config space as in the state */
	r.dev->ops->set_status(r.dev, 0);
	CU_ASSERT_EQUAL(r.dev->ops->get_config(r.dev, cfg_mac, 0, 6), 0);
	CU_ASSERT_EQUAL(memcmp(cfg_mac, dev_mac, 6), 0);
	s = net_state();
	CU_ASSERT_EQUAL(memcmp(s.mac.addr_bytes, dev_mac, 6), 0);
	CU_ASSERT_FALSE(s.uc_overflow);
	rig_stop();
}

static void
test_cmd_vlan_announce_offloads(void)
{
	struct svq_net_state s, before;
	struct cmd *c;

	rig_start(1, F_ALL);
	CU_ASSERT_EQUAL(cmd_vlan(VIRTIO_NET_CTRL_VLAN_ADD, 100), VIRTIO_NET_OK);
	CU_ASSERT_EQUAL(cmd_vlan(VIRTIO_NET_CTRL_VLAN_ADD, 4095), VIRTIO_NET_OK);
	s = net_state();
	CU_ASSERT_TRUE(svq_net_state_vlan(&s, 100));
	CU_ASSERT_TRUE(svq_net_state_vlan(&s, 4095));
	CU_ASSERT_FALSE(svq_net_state_vlan(&s, 101));
	CU_ASSERT_EQUAL(cmd_vlan(VIRTIO_NET_CTRL_VLAN_DEL, 100), VIRTIO_NET_OK);
	s = net_state();
	CU_ASSERT_FALSE(svq_net_state_vlan(&s, 100));

	c = cmd_new(VIRTIO_NET_CTRL_ANNOUNCE, VIRTIO_NET_CTRL_ANNOUNCE_ACK);
	before = net_state();
	CU_ASSERT_EQUAL(ctl_send(c), VIRTIO_NET_OK);
	s = net_state();
	CU_ASSERT_TRUE(svq_net_state_equal(&before, &s));

	CU_ASSERT_EQUAL(cmd_offloads(F(VIRTIO_NET_F_GUEST_CSUM)), VIRTIO_NET_OK);
	CU_ASSERT_EQUAL(net_state().guest_offloads, F(VIRTIO_NET_F_GUEST_CSUM));
	CU_ASSERT_EQUAL(cmd_offloads(0), VIRTIO_NET_OK);
	CU_ASSERT_EQUAL(net_state().guest_offloads, 0);
	rig_stop();
}

static void
test_cmd_mq_rss_hash(void)
{
	uint16_t table[8] = { 3, 2, 1, 0, 0, 1, 2, 3 };
	struct svq_net_state s;

	rig_start(4, F_ALL);
	CU_ASSERT_EQUAL(cmd_pairs(3), VIRTIO_NET_OK);
	CU_ASSERT_EQUAL(net_state().curr_pairs, 3);

	CU_ASSERT_EQUAL(ctl_send(cmd_rss_table(VIRTIO_NET_RSS_HASH_TYPE_TCPv4 |
			VIRTIO_NET_RSS_HASH_TYPE_IPv6, table, 8, 2, 4, ms_key, 40)),
		VIRTIO_NET_OK);
	s = net_state();
	CU_ASSERT_EQUAL(s.rss_mode, SVQ_RSS_STEER);
	CU_ASSERT_EQUAL(s.rss.hash_types, VIRTIO_NET_RSS_HASH_TYPE_TCPv4 |
		VIRTIO_NET_RSS_HASH_TYPE_IPv6);
	CU_ASSERT_EQUAL(s.rss.table_len, 8);
	CU_ASSERT_EQUAL(memcmp(s.rss.table, table, sizeof(table)), 0);
	CU_ASSERT_EQUAL(s.rss.unclassified, 2);
	CU_ASSERT_EQUAL(s.rss.max_tx_vq, 4);
	CU_ASSERT_EQUAL(s.curr_pairs, 4);	/* RSS_CONFIG sets the pairs */
	CU_ASSERT_EQUAL(s.rss.key_len, 40);
	CU_ASSERT_EQUAL(memcmp(s.rss.key, ms_key, 40), 0);

	CU_ASSERT_EQUAL(ctl_send(cmd_hash(VIRTIO_NET_RSS_HASH_TYPE_UDPv6,
			ms_key, 20)), VIRTIO_NET_OK);
	s = net_state();
	CU_ASSERT_EQUAL(s.rss_mode, SVQ_RSS_HASH_ONLY);
	CU_ASSERT_EQUAL(s.rss.hash_types, VIRTIO_NET_RSS_HASH_TYPE_UDPv6);
	CU_ASSERT_EQUAL(s.rss.key_len, 20);

	/* a plain pair change ends hashing */
	CU_ASSERT_EQUAL(cmd_pairs(2), VIRTIO_NET_OK);
	s = net_state();
	CU_ASSERT_EQUAL(s.rss_mode, SVQ_RSS_OFF);
	CU_ASSERT_EQUAL(s.curr_pairs, 2);
	rig_stop();
}

/* Commands split over several readable descriptors, acks with room to
 * spare: the device reads the chain, not one buffer. */
static void
test_cmd_chain_shapes(void)
{
	struct cmd *c;

	rig_start(1, F_RXCTL);
	c = cmd_new(VIRTIO_NET_CTRL_RX, VIRTIO_NET_CTRL_RX_PROMISC);
	put8(c, 0);
	CU_ASSERT_EQUAL(ctl_send_split(c, 2, 1), VIRTIO_NET_OK);
	CU_ASSERT_FALSE(net_state().rx_mode[SVQ_RX_PROMISC]);
	c = cmd_mac_table(uc_listed, 1, mc_listed, 1);
	CU_ASSERT_EQUAL(ctl_send_split(c, 7, 16), VIRTIO_NET_OK);
	CU_ASSERT_EQUAL(net_state().n_mc, 1);
	rig_stop();
}

static void
test_cmd_malformed_acks_err(void)
{
	static const uint8_t bad_key[41];
	uint16_t table[256] = { 0 };
	struct svq_net_state before, after;
	struct cmd *c;
	unsigned int i, n_refused = 0;

	rig_start(4, F_ALL);
	CU_ASSERT_EQUAL(cmd_rx(VIRTIO_NET_CTRL_RX_ALLMULTI, true), VIRTIO_NET_OK);
	CU_ASSERT_EQUAL(cmd_vlan(VIRTIO_NET_CTRL_VLAN_ADD, 7), VIRTIO_NET_OK);
	before = net_state();

	for (i = 0; ; i++) {
		const char *what = NULL;

		switch (i) {
		case 0:
			what = "header only one byte";
			c = cmd_new(VIRTIO_NET_CTRL_RX, 0);
			c->len = 1;
			break;
		case 1:
			what = "RX mode with two data bytes";
			c = cmd_new(VIRTIO_NET_CTRL_RX, VIRTIO_NET_CTRL_RX_PROMISC);
			put16(c, 0);
			break;
		case 2:
			what = "unknown RX command";
			c = cmd_new(VIRTIO_NET_CTRL_RX, 6);
			put8(c, 1);
			break;
		case 3:
			what = "unknown class";
			c = cmd_new(42, 0);
			break;
		case 4:
			what = "MAC address of 5 bytes";
			c = cmd_new(VIRTIO_NET_CTRL_MAC,
				VIRTIO_NET_CTRL_MAC_ADDR_SET);
			putn(c, dev_mac, 5);
			break;
		case 5:
			what = "MAC table counting past its end";
			c = cmd_mac_table(NULL, 2, NULL, 1);
			c->len -= 6;
			break;
		case 6:
			what = "MAC table with trailing bytes";
			c = cmd_mac_table(NULL, 1, NULL, 1);
			put8(c, 0);
			break;
		case 7:
			what = "VLAN 4096";
			c = cmd_new(VIRTIO_NET_CTRL_VLAN, VIRTIO_NET_CTRL_VLAN_ADD);
			put16(c, 4096);
			break;
		case 8:
			what = "zero queue pairs";
			c = cmd_new(VIRTIO_NET_CTRL_MQ,
				VIRTIO_NET_CTRL_MQ_VQ_PAIRS_SET);
			put16(c, 0);
			break;
		case 9:
			what = "more queue pairs than the device has";
			c = cmd_new(VIRTIO_NET_CTRL_MQ,
				VIRTIO_NET_CTRL_MQ_VQ_PAIRS_SET);
			put16(c, 5);
			break;
		case 10:
			what = "RSS table of 3 entries";
			c = cmd_rss_table(VIRTIO_NET_RSS_HASH_TYPE_IPv4, table, 3,
				0, 1, ms_key, 40);
			break;
		case 11:
			what = "RSS table longer than 128";
			c = cmd_rss_table(VIRTIO_NET_RSS_HASH_TYPE_IPv4, table, 256,
				0, 1, ms_key, 40);
			break;
		case 12:
			what = "RSS key of 41 bytes";
			c = cmd_rss_table(VIRTIO_NET_RSS_HASH_TYPE_IPv4, table, 4,
				0, 1, bad_key, 41);
			break;
		case 13:
			what = "RSS hash type the device does not offer";
			c = cmd_rss_table(VIRTIO_NET_RSS_HASH_TYPE_IP_EX, table, 4,
				0, 1, ms_key, 40);
			break;
		case 14:
			what = "RSS table naming pair 4 of 4";
			table[1] = 4;
			c = cmd_rss_table(VIRTIO_NET_RSS_HASH_TYPE_IPv4, table, 4,
				0, 1, ms_key, 40);
			table[1] = 0;
			break;
		case 15:
			what = "RSS unclassified queue 4 of 4";
			c = cmd_rss_table(VIRTIO_NET_RSS_HASH_TYPE_IPv4, table, 4,
				4, 1, ms_key, 40);
			break;
		case 16:
			what = "RSS max_tx_vq 0";
			c = cmd_rss_table(VIRTIO_NET_RSS_HASH_TYPE_IPv4, table, 4,
				0, 0, ms_key, 40);
			break;
		case 17:
			what = "RSS key length beyond the command";
			c = cmd_rss_table(VIRTIO_NET_RSS_HASH_TYPE_IPv4, table, 4,
				0, 1, ms_key, 40);
			c->len -= 1;
			break;
		case 18:
			what = "hash config with a short reserved field";
			c = cmd_hash(VIRTIO_NET_RSS_HASH_TYPE_IPv4, ms_key, 40);
			memmove(c->b + 8, c->b + 10, c->len - 10);
			c->len -= 2;
			break;
		case 19:
			what = "guest offload not negotiated";
			c = cmd_new(VIRTIO_NET_CTRL_GUEST_OFFLOADS,
				VIRTIO_NET_CTRL_GUEST_OFFLOADS_SET);
			put32(c, F(VIRTIO_NET_F_GUEST_TSO6));
			put32(c, 0);
			break;
		case 20:
			what = "announce ack with data";
			c = cmd_new(VIRTIO_NET_CTRL_ANNOUNCE,
				VIRTIO_NET_CTRL_ANNOUNCE_ACK);
			put8(c, 0);
			break;
		case 21:
			/* 11000 entries: 66,010 bytes, more than the 64 KiB the
			 * device reads; well formed otherwise. */
			what = "command longer than 64 KiB";
			c = cmd_mac_table(NULL, 11000, NULL, 0);
			break;
		default:
			break;
		}
		if (what == NULL)
			break;
		if (ctl_send(c) != VIRTIO_NET_ERR)
			fprintf(stderr, "\n    not refused: %s ", what);
		else
			n_refused++;
		after = net_state();
		CU_ASSERT_TRUE(svq_net_state_equal(&before, &after));
	}
	CU_ASSERT_EQUAL(n_refused, i);
	/* the vring still works */
	CU_ASSERT_EQUAL(cmd_rx(VIRTIO_NET_CTRL_RX_ALLMULTI, false), VIRTIO_NET_OK);
	CU_ASSERT_EQUAL(r.dev->ops->get_status(r.dev) &
		VIRTIO_CONFIG_S_NEEDS_RESET, 0);
	rig_stop();
}

static void
test_cmd_not_negotiated(void)
{
	struct svq_net_state before, after;
	struct cmd *c;

	rig_start(1, F_BASE);
	before = net_state();
	CU_ASSERT_EQUAL(cmd_rx(VIRTIO_NET_CTRL_RX_PROMISC, false), VIRTIO_NET_ERR);
	CU_ASSERT_EQUAL(cmd_mac_addr(dev_mac), VIRTIO_NET_ERR);
	CU_ASSERT_EQUAL(cmd_vlan(VIRTIO_NET_CTRL_VLAN_ADD, 1), VIRTIO_NET_ERR);
	CU_ASSERT_EQUAL(cmd_pairs(1), VIRTIO_NET_ERR);
	CU_ASSERT_EQUAL(ctl_send(cmd_hash(VIRTIO_NET_RSS_HASH_TYPE_IPv4,
			ms_key, 40)), VIRTIO_NET_ERR);
	c = cmd_new(VIRTIO_NET_CTRL_ANNOUNCE, VIRTIO_NET_CTRL_ANNOUNCE_ACK);
	CU_ASSERT_EQUAL(ctl_send(c), VIRTIO_NET_ERR);
	CU_ASSERT_EQUAL(cmd_offloads(0), VIRTIO_NET_ERR);
	after = net_state();
	CU_ASSERT_TRUE(svq_net_state_equal(&before, &after));
	rig_stop();

	/* CTRL_RX without CTRL_RX_EXTRA: the extra modes are refused */
	rig_start(1, F_BASE | F(VIRTIO_NET_F_CTRL_RX));
	CU_ASSERT_EQUAL(cmd_rx(VIRTIO_NET_CTRL_RX_ALLMULTI, true), VIRTIO_NET_OK);
	CU_ASSERT_EQUAL(cmd_rx(VIRTIO_NET_CTRL_RX_NOUNI, true), VIRTIO_NET_ERR);
	CU_ASSERT_FALSE(net_state().rx_mode[SVQ_RX_NOUNI]);
	rig_stop();
}

/* Chains a relay would never forward, put straight on the device's
 * control vring: the device breaks the vring rather than guess. */
static void
test_cvq_malformed_chains_break_the_vring(void)
{
	struct test_guest *g;
	uint64_t out, in;
	uint32_t id, len;
	unsigned int which;

	for (which = 0; which < 3; which++) {
		rig_start_opts(1, F_RXCTL, true);
		g = &r.g[CTL];
		out = tg_alloc(g, 3);
		in = tg_alloc(g, 1);
		memcpy(tg_hva(g, out), "\x00\x00\x00", 3);	/* PROMISC off */
		switch (which) {
		case 0:	/* no writable byte for the ack */
			tg_set_desc(g, 0, out, 3, 0, 0);
			break;
		case 1:	/* readable after writable */
			tg_set_desc(g, 0, in, 1, VRING_DESC_F_WRITE |
				VRING_DESC_F_NEXT, 1);
			tg_set_desc(g, 1, out, 3, 0, 0);
			break;
		default: /* next beyond the ring */
			tg_set_desc(g, 0, out, 3, VRING_DESC_F_NEXT, RING + 5);
			break;
		}
		tg_publish(g, 0);
		relay_ctl();
		CU_ASSERT_FALSE(tg_pop_used(g, &id, &len));
		CU_ASSERT_TRUE(r.dev->ops->get_status(r.dev) &
			VIRTIO_CONFIG_S_NEEDS_RESET);
		CU_ASSERT_TRUE(net_state().rx_mode[SVQ_RX_PROMISC]);
		/* broken: a good command behind it is not taken */
		tg_set_desc(g, 2, out, 3, VRING_DESC_F_NEXT, 3);
		tg_set_desc(g, 3, in, 1, VRING_DESC_F_WRITE, 0);
		tg_publish(g, 2);
		relay_ctl();
		CU_ASSERT_FALSE(tg_pop_used(g, &id, &len));
		rig_stop();
	}

	/* the same device, well fed, straight on its vring: works */
	rig_start_opts(1, F_RXCTL, true);
	CU_ASSERT_EQUAL(cmd_rx(VIRTIO_NET_CTRL_RX_PROMISC, false), VIRTIO_NET_OK);
	CU_ASSERT_FALSE(net_state().rx_mode[SVQ_RX_PROMISC]);
	rig_stop();
}

/* ---- tests: RX filtering --------------------------------------------- */

static void
test_filter_default_promiscuous(void)
{
	rig_start(1, F_RXCTL);
	CU_ASSERT_TRUE(passes(dev_mac, -1));
	CU_ASSERT_TRUE(passes(stranger, -1));
	CU_ASSERT_TRUE(passes(mc_other, -1));
	CU_ASSERT_TRUE(passes(bcast, -1));
	CU_ASSERT_TRUE(passes(dev_mac, 300));	/* VLAN not set: still */
	rig_stop();
}

static void
test_filter_unicast_multicast_broadcast(void)
{
	rig_start(1, F_RXCTL);
	CU_ASSERT_EQUAL(cmd_rx(VIRTIO_NET_CTRL_RX_PROMISC, false), VIRTIO_NET_OK);
	CU_ASSERT_TRUE(passes(dev_mac, -1));
	CU_ASSERT_FALSE(passes(stranger, -1));
	CU_ASSERT_FALSE(passes(uc_listed, -1));
	CU_ASSERT_FALSE(passes(mc_listed, -1));
	CU_ASSERT_TRUE(passes(bcast, -1));

	CU_ASSERT_EQUAL(ctl_send(cmd_mac_table(uc_listed, 1, mc_listed, 1)),
		VIRTIO_NET_OK);
	CU_ASSERT_TRUE(passes(uc_listed, -1));
	CU_ASSERT_TRUE(passes(mc_listed, -1));
	CU_ASSERT_FALSE(passes(mc_other, -1));
	CU_ASSERT_FALSE(passes(stranger, -1));
	CU_ASSERT_TRUE(passes(dev_mac, -1));

	/* ALLUNI / ALLMULTI */
	CU_ASSERT_EQUAL(cmd_rx(VIRTIO_NET_CTRL_RX_ALLUNI, true), VIRTIO_NET_OK);
	CU_ASSERT_TRUE(passes(stranger, -1));
	CU_ASSERT_FALSE(passes(mc_other, -1));
	CU_ASSERT_EQUAL(cmd_rx(VIRTIO_NET_CTRL_RX_ALLUNI, false), VIRTIO_NET_OK);
	CU_ASSERT_EQUAL(cmd_rx(VIRTIO_NET_CTRL_RX_ALLMULTI, true), VIRTIO_NET_OK);
	CU_ASSERT_TRUE(passes(mc_other, -1));
	CU_ASSERT_FALSE(passes(stranger, -1));
	/* NOMULTI wins over ALLMULTI (QEMU checks it first); broadcast
	 * is not multicast for it */
	CU_ASSERT_EQUAL(cmd_rx(VIRTIO_NET_CTRL_RX_NOMULTI, true), VIRTIO_NET_OK);
	CU_ASSERT_FALSE(passes(mc_other, -1));
	CU_ASSERT_FALSE(passes(mc_listed, -1));
	CU_ASSERT_TRUE(passes(bcast, -1));
	CU_ASSERT_EQUAL(cmd_rx(VIRTIO_NET_CTRL_RX_NOMULTI, false), VIRTIO_NET_OK);
	CU_ASSERT_EQUAL(cmd_rx(VIRTIO_NET_CTRL_RX_ALLMULTI, false), VIRTIO_NET_OK);
	/* NOBCAST */
	CU_ASSERT_EQUAL(cmd_rx(VIRTIO_NET_CTRL_RX_NOBCAST, true), VIRTIO_NET_OK);
	CU_ASSERT_FALSE(passes(bcast, -1));
	CU_ASSERT_TRUE(passes(mc_listed, -1));
	/* NOUNI: not even the device's own address */
	CU_ASSERT_EQUAL(cmd_rx(VIRTIO_NET_CTRL_RX_NOUNI, true), VIRTIO_NET_OK);
	CU_ASSERT_FALSE(passes(dev_mac, -1));
	CU_ASSERT_FALSE(passes(uc_listed, -1));
	CU_ASSERT_TRUE(passes(mc_listed, -1));
	/* promiscuous overrides all of it */
	CU_ASSERT_EQUAL(cmd_rx(VIRTIO_NET_CTRL_RX_PROMISC, true), VIRTIO_NET_OK);
	CU_ASSERT_TRUE(passes(dev_mac, -1));
	CU_ASSERT_TRUE(passes(bcast, -1));
	rig_stop();
}

static void
test_filter_table_overflow(void)
{
	rig_start(1, F_RXCTL);
	CU_ASSERT_EQUAL(cmd_rx(VIRTIO_NET_CTRL_RX_PROMISC, false), VIRTIO_NET_OK);
	CU_ASSERT_EQUAL(ctl_send(cmd_mac_table(uc_listed, SVQ_MAC_TABLE_MAX + 1,
			mc_listed, 1)), VIRTIO_NET_OK);
	CU_ASSERT_TRUE(passes(stranger, -1));	/* unicast overflow */
	CU_ASSERT_FALSE(passes(mc_other, -1));
	CU_ASSERT_EQUAL(ctl_send(cmd_mac_table(uc_listed, 1, mc_listed,
			SVQ_MAC_TABLE_MAX + 1)), VIRTIO_NET_OK);
	CU_ASSERT_FALSE(passes(stranger, -1));
	CU_ASSERT_TRUE(passes(uc_listed, -1));
	CU_ASSERT_TRUE(passes(mc_other, -1));	/* multicast overflow */
	/* NOUNI / NOMULTI still win over an overflow */
	CU_ASSERT_EQUAL(cmd_rx(VIRTIO_NET_CTRL_RX_NOMULTI, true), VIRTIO_NET_OK);
	CU_ASSERT_FALSE(passes(mc_other, -1));
	rig_stop();
}

static void
test_filter_vlan(void)
{
	rig_start(1, F_RXCTL);
	CU_ASSERT_EQUAL(cmd_rx(VIRTIO_NET_CTRL_RX_PROMISC, false), VIRTIO_NET_OK);
	CU_ASSERT_FALSE(passes(dev_mac, 100));	/* CTRL_VLAN: table empty */
	CU_ASSERT_TRUE(passes(dev_mac, -1));
	CU_ASSERT_EQUAL(cmd_vlan(VIRTIO_NET_CTRL_VLAN_ADD, 100), VIRTIO_NET_OK);
	CU_ASSERT_TRUE(passes(dev_mac, 100));
	CU_ASSERT_TRUE(passes(bcast, 100));
	CU_ASSERT_FALSE(passes(dev_mac, 200));
	CU_ASSERT_FALSE(passes(stranger, 100));	/* VLAN set, MAC not */
	/* the priority bits of the tag do not matter */
	CU_ASSERT_TRUE(passes(dev_mac, 0xe000 | 100));
	CU_ASSERT_EQUAL(cmd_vlan(VIRTIO_NET_CTRL_VLAN_DEL, 100), VIRTIO_NET_OK);
	CU_ASSERT_FALSE(passes(dev_mac, 100));
	rig_stop();

	/* without CTRL_VLAN every VLAN passes the filter */
	rig_start(1, F_BASE | F(VIRTIO_NET_F_CTRL_RX));
	CU_ASSERT_EQUAL(cmd_rx(VIRTIO_NET_CTRL_RX_PROMISC, false), VIRTIO_NET_OK);
	CU_ASSERT_TRUE(passes(dev_mac, 100));
	CU_ASSERT_TRUE(passes(dev_mac, 4095));
	CU_ASSERT_FALSE(passes(stranger, 100));
	rig_stop();
}

static void
test_filter_follows_mac_addr_set(void)
{
	static const uint8_t new_mac[6] = { 0x02, 0x11, 0x22, 0x33, 0x44, 0x55 };

	rig_start(1, F_RXCTL);
	CU_ASSERT_EQUAL(cmd_rx(VIRTIO_NET_CTRL_RX_PROMISC, false), VIRTIO_NET_OK);
	CU_ASSERT_EQUAL(cmd_mac_addr(new_mac), VIRTIO_NET_OK);
	CU_ASSERT_TRUE(passes(new_mac, -1));
	CU_ASSERT_FALSE(passes(dev_mac, -1));
	rig_stop();
}

/* ---- tests: queue pairs, RSS, hash report ---------------------------- */

static void
test_reference_toeplitz(void)
{
	unsigned int i;

	for (i = 0; i < RTE_DIM(ms_v4); i++) {
		struct flow fl = flow4(IPPROTO_TCP, ms_v4[i].src, ms_v4[i].sport,
				ms_v4[i].dst, ms_v4[i].dport);

		CU_ASSERT_EQUAL(flow_hash(&fl, true), ms_v4[i].l4);
		CU_ASSERT_EQUAL(flow_hash(&fl, false), ms_v4[i].l3);
	}
	for (i = 0; i < RTE_DIM(ms_v6); i++) {
		struct flow fl = flow6(IPPROTO_TCP, ms_v6[i].src, ms_v6[i].sport,
				ms_v6[i].dst, ms_v6[i].dport);

		CU_ASSERT_EQUAL(flow_hash(&fl, true), ms_v6[i].l4);
		CU_ASSERT_EQUAL(flow_hash(&fl, false), ms_v6[i].l3);
	}
}

static void
test_pairs_without_rss(void)
{
	struct frame f;

	rig_start(4, F_MQ);
	/* one pair by default: TX on pair 2 has nowhere to return */
	frame_l2(&f, dev_mac, -1);
	CU_ASSERT_EQUAL(loop_frame(0, &f, NULL), 0);
	frame_l2(&f, dev_mac, -1);
	CU_ASSERT_EQUAL(loop_frame(2, &f, NULL), NO_FRAME);
	CU_ASSERT_EQUAL(cmd_pairs(4), VIRTIO_NET_OK);
	frame_l2(&f, dev_mac, -1);
	CU_ASSERT_EQUAL(loop_frame(3, &f, NULL), 3);
	frame_l2(&f, dev_mac, -1);
	CU_ASSERT_EQUAL(loop_frame(1, &f, NULL), 1);
	CU_ASSERT_EQUAL(cmd_pairs(2), VIRTIO_NET_OK);
	frame_l2(&f, dev_mac, -1);
	CU_ASSERT_EQUAL(loop_frame(3, &f, NULL), NO_FRAME);
	frame_l2(&f, dev_mac, -1);
	CU_ASSERT_EQUAL(loop_frame(1, &f, NULL), 1);
	rig_stop();

	/* MQ without a control vring (vhost-user frontends): every pair */
	rig_start(4, F(VIRTIO_F_VERSION_1) | F(VIRTIO_NET_F_MQ));
	frame_l2(&f, dev_mac, -1);
	CU_ASSERT_EQUAL(loop_frame(3, &f, NULL), 3);
	frame_l2(&f, dev_mac, -1);
	CU_ASSERT_EQUAL(loop_frame(2, &f, NULL), 2);
	rig_stop();
}

static void
steer_table(uint16_t *table, uint16_t len)
{
	uint16_t i;

	for (i = 0; i < len; i++)
		table[i] = 3 - i % 4;
}

/* Send @p fl from pair 0 and check where it lands and the header. */
static void
check_steered(const struct flow *fl, const uint16_t *table, uint32_t want_hash,
		uint16_t want_report)
{
	struct rx_frame got;
	struct frame f;
	uint16_t pair;

	frame_ip(&f, fl);
	pair = loop_frame(0, &f, &got);
	CU_ASSERT_EQUAL(pair, table[want_hash & 127]);
	if (pair == NO_FRAME)
		return;
	CU_ASSERT_EQUAL(got.hdr.hash_value, want_hash);
	CU_ASSERT_EQUAL(got.hdr.hash_report, want_report);
	CU_ASSERT_EQUAL(got.hdr.hdr.num_buffers, 1);
}

static void
test_rss_steering_and_hash_report(void)
{
	const uint32_t all = VIRTIO_NET_RSS_HASH_TYPE_IPv4 |
		VIRTIO_NET_RSS_HASH_TYPE_TCPv4 | VIRTIO_NET_RSS_HASH_TYPE_UDPv4 |
		VIRTIO_NET_RSS_HASH_TYPE_IPv6 | VIRTIO_NET_RSS_HASH_TYPE_TCPv6 |
		VIRTIO_NET_RSS_HASH_TYPE_UDPv6;
	uint16_t table[128];
	struct rx_frame got;
	struct frame f;
	unsigned int i;
	bool spread[4] = { false };

	steer_table(table, 128);
	rig_start(4, F_RSS | F_HASH);
	CU_ASSERT_EQUAL(r.hdr_len, 20);
	CU_ASSERT_EQUAL(ctl_send(cmd_rss_table(all, table, 128, 2, 4, ms_key,
			40)), VIRTIO_NET_OK);

	for (i = 0; i < RTE_DIM(ms_v4); i++) {
		struct flow tcp = flow4(IPPROTO_TCP, ms_v4[i].src,
				ms_v4[i].sport, ms_v4[i].dst, ms_v4[i].dport);
		struct flow udp = flow4(IPPROTO_UDP, ms_v4[i].src,
				ms_v4[i].sport, ms_v4[i].dst, ms_v4[i].dport);

		check_steered(&tcp, table, flow_hash(&tcp, true),
			VIRTIO_NET_HASH_REPORT_TCPv4);
		CU_ASSERT_EQUAL(flow_hash(&tcp, true), ms_v4[i].l4);
		check_steered(&udp, table, flow_hash(&udp, true),
			VIRTIO_NET_HASH_REPORT_UDPv4);
		spread[table[ms_v4[i].l4 & 127]] = true;
	}
	for (i = 0; i < RTE_DIM(ms_v6); i++) {
		struct flow tcp = flow6(IPPROTO_TCP, ms_v6[i].src,
				ms_v6[i].sport, ms_v6[i].dst, ms_v6[i].dport);
		struct flow udp = flow6(IPPROTO_UDP, ms_v6[i].src,
				ms_v6[i].sport, ms_v6[i].dst, ms_v6[i].dport);

		check_steered(&tcp, table, ms_v6[i].l4,
			VIRTIO_NET_HASH_REPORT_TCPv6);
		check_steered(&udp, table, ms_v6[i].l4,
			VIRTIO_NET_HASH_REPORT_UDPv6);
		spread[table[ms_v6[i].l4 & 127]] = true;
	}
	/* the vectors reach every pair: steering did something */
	CU_ASSERT_TRUE(spread[0] && spread[1] && spread[2] && spread[3]);

	/* an IPv4 fragment has no ports: IPv4 hash */
	{
		struct flow frag = flow4(IPPROTO_TCP, ms_v4[0].src,
				ms_v4[0].sport, ms_v4[0].dst, ms_v4[0].dport);

		frag.fragment = true;
		check_steered(&frag, table, ms_v4[0].l3,
			VIRTIO_NET_HASH_REPORT_IPv4);
	}

	/* IPv6 extension headers are skipped to find TCP; a fragment
	 * has no ports */
	{
		struct flow tcp = flow6(IPPROTO_TCP, ms_v6[2].src,
				ms_v6[2].sport, ms_v6[2].dst, ms_v6[2].dport);

		tcp.hop_by_hop = true;
		check_steered(&tcp, table, ms_v6[2].l4,
			VIRTIO_NET_HASH_REPORT_TCPv6);
		tcp.fragment = true;
		check_steered(&tcp, table, ms_v6[2].l3,
			VIRTIO_NET_HASH_REPORT_IPv6);
	}

	/* ARP cannot be hashed: the unclassified queue, no report */
	frame_arp(&f);
	CU_ASSERT_EQUAL(loop_frame(0, &f, &got), 2);
	CU_ASSERT_EQUAL(got.hdr.hash_report, VIRTIO_NET_HASH_REPORT_NONE);
	CU_ASSERT_EQUAL(got.hdr.hash_value, 0);
	rig_stop();
}

static void
test_rss_enabled_types_only(void)
{
	uint16_t table[128];
	struct rx_frame got;
	struct frame f;
	struct flow tcp4 = flow4(IPPROTO_TCP, ms_v4[0].src, ms_v4[0].sport,
			ms_v4[0].dst, ms_v4[0].dport);
	struct flow udp4 = flow4(IPPROTO_UDP, ms_v4[1].src, ms_v4[1].sport,
			ms_v4[1].dst, ms_v4[1].dport);
	struct flow tcp6 = flow6(IPPROTO_TCP, ms_v6[0].src, ms_v6[0].sport,
			ms_v6[0].dst, ms_v6[0].dport);

	steer_table(table, 128);
	rig_start(4, F_RSS | F_HASH);
	/* IPv4 only: TCP and UDP over IPv4 hash on addresses; IPv6 cannot
	 * be hashed at all */
	CU_ASSERT_EQUAL(ctl_send(cmd_rss_table(VIRTIO_NET_RSS_HASH_TYPE_IPv4,
			table, 128, 1, 4, ms_key, 40)), VIRTIO_NET_OK);
	check_steered(&tcp4, table, ms_v4[0].l3, VIRTIO_NET_HASH_REPORT_IPv4);
	check_steered(&udp4, table, ms_v4[1].l3, VIRTIO_NET_HASH_REPORT_IPv4);
	frame_ip(&f, &tcp6);
	CU_ASSERT_EQUAL(loop_frame(0, &f, &got), 1);
	CU_ASSERT_EQUAL(got.hdr.hash_report, VIRTIO_NET_HASH_REPORT_NONE);

	/* TCPv4 + IPv6: UDP over IPv4 is unclassified, TCP over IPv6 hashes
	 * on addresses only */
	CU_ASSERT_EQUAL(ctl_send(cmd_rss_table(VIRTIO_NET_RSS_HASH_TYPE_TCPv4 |
			VIRTIO_NET_RSS_HASH_TYPE_IPv6, table, 128, 3, 4, ms_key,
			40)), VIRTIO_NET_OK);
	check_steered(&tcp4, table, ms_v4[0].l4, VIRTIO_NET_HASH_REPORT_TCPv4);
	frame_ip(&f, &udp4);
	CU_ASSERT_EQUAL(loop_frame(0, &f, &got), 3);
	CU_ASSERT_EQUAL(got.hdr.hash_report, VIRTIO_NET_HASH_REPORT_NONE);
	check_steered(&tcp6, table, ms_v6[0].l3, VIRTIO_NET_HASH_REPORT_IPv6);
	rig_stop();
}

static void
test_rss_pairs_beyond_max_tx_vq(void)
{
	uint16_t table[4] = { 3, 3, 3, 3 };
	struct frame f;
	struct flow tcp4 = flow4(IPPROTO_TCP, ms_v4[0].src, ms_v4[0].sport,
			ms_v4[0].dst, ms_v4[0].dport);

	rig_start(4, F_RSS);
	/* the table names pair 3, but only 2 pairs are in use: dropped */
	CU_ASSERT_EQUAL(ctl_send(cmd_rss_table(VIRTIO_NET_RSS_HASH_TYPE_TCPv4,
			table, 4, 1, 2, ms_key, 40)), VIRTIO_NET_OK);
	frame_ip(&f, &tcp4);
	CU_ASSERT_EQUAL(loop_frame(0, &f, NULL), NO_FRAME);
	frame_arp(&f);
	CU_ASSERT_EQUAL(loop_frame(0, &f, NULL), 1);
	/* hash types 0: no steering, frames return where they were sent */
	CU_ASSERT_EQUAL(ctl_send(cmd_rss_table(0, table, 4, 0, 2, ms_key, 40)),
		VIRTIO_NET_OK);
	CU_ASSERT_EQUAL(net_state().rss_mode, SVQ_RSS_OFF);
	frame_ip(&f, &tcp4);
	CU_ASSERT_EQUAL(loop_frame(1, &f, NULL), 1);
	rig_stop();
}

static void
test_hash_report_without_steering(void)
{
	struct rx_frame got;
	struct frame f;
	struct flow tcp4 = flow4(IPPROTO_TCP, ms_v4[2].src, ms_v4[2].sport,
			ms_v4[2].dst, ms_v4[2].dport);
	struct flow udp6 = flow6(IPPROTO_UDP, ms_v6[1].src, ms_v6[1].sport,
			ms_v6[1].dst, ms_v6[1].dport);

	rig_start(4, F_MQ | F_HASH);
	CU_ASSERT_EQUAL(cmd_pairs(4), VIRTIO_NET_OK);
	/* HASH_REPORT negotiated, hashing off: 20-byte header, no hash */
	frame_ip(&f, &tcp4);
	CU_ASSERT_EQUAL(loop_frame(2, &f, &got), 2);
	CU_ASSERT_EQUAL(got.hdr.hash_report, VIRTIO_NET_HASH_REPORT_NONE);

	CU_ASSERT_EQUAL(ctl_send(cmd_hash(VIRTIO_NET_RSS_HASH_TYPE_TCPv4 |
			VIRTIO_NET_RSS_HASH_TYPE_UDPv6, ms_key, 40)),
		VIRTIO_NET_OK);
	frame_ip(&f, &tcp4);
	CU_ASSERT_EQUAL(loop_frame(2, &f, &got), 2);
	CU_ASSERT_EQUAL(got.hdr.hash_value, ms_v4[2].l4);
	CU_ASSERT_EQUAL(got.hdr.hash_report, VIRTIO_NET_HASH_REPORT_TCPv4);
	frame_ip(&f, &udp6);
	CU_ASSERT_EQUAL(loop_frame(3, &f, &got), 3);
	CU_ASSERT_EQUAL(got.hdr.hash_value, ms_v6[1].l4);
	CU_ASSERT_EQUAL(got.hdr.hash_report, VIRTIO_NET_HASH_REPORT_UDPv6);
	rig_stop();
}

/* Received frames on pair 0 after a few rounds, buffers reposted. */
static unsigned int
rx_count(void)
{
	static struct rx_frame got;
	unsigned int n = 0;

	relay_data();
	while (rx_take(&got))
		n++;
	return n;
}

/* Port mode filters what the ethdev receives: net_null in copy mode
 * produces zeroed 64-byte frames, unicast to 00:00:00:00:00:00. */
static void
test_port_mode_filter(void)
{
	uint16_t port;

	if (rte_eth_dev_get_port_by_name("net_null_simcvq", &port) != 0 &&
			rte_dev_probe("net_null_simcvq,copy=1,size=64") != 0) {
		fprintf(stderr, "\n    skipped: no net_null PMD ");
		return;
	}
	rig_start_spec("mode=port,port=net_null_simcvq", 1, F_RXCTL | F_HASH,
		false);
	CU_ASSERT_TRUE(rx_count() > 0);		/* promiscuous */
	CU_ASSERT_EQUAL(cmd_rx(VIRTIO_NET_CTRL_RX_PROMISC, false), VIRTIO_NET_OK);
	rx_count();				/* what was already accepted */
	CU_ASSERT_EQUAL(rx_count(), 0);
	CU_ASSERT_EQUAL(cmd_rx(VIRTIO_NET_CTRL_RX_ALLUNI, true), VIRTIO_NET_OK);
	CU_ASSERT_TRUE(rx_count() > 0);
	rig_stop();
}

static CU_TestInfo sim_cvq_tests[] = {
	{ "features, config space, control vring index", test_features_and_config },
	{ "state after FEATURES_OK", test_initial_state },
	{ "RX mode commands", test_cmd_rx_modes },
	{ "MAC address and table commands, reset", test_cmd_mac },
	{ "VLAN, announce and offload commands", test_cmd_vlan_announce_offloads },
	{ "queue pair, RSS and hash commands", test_cmd_mq_rss_hash },
	{ "commands over several descriptors", test_cmd_chain_shapes },
	{ "malformed commands ack ERR, state unchanged", test_cmd_malformed_acks_err },
	{ "commands not negotiated ack ERR", test_cmd_not_negotiated },
	{ "malformed control chains break the vring", test_cvq_malformed_chains_break_the_vring },
	{ "filter: promiscuous by default", test_filter_default_promiscuous },
	{ "filter: unicast, multicast, broadcast, RX modes", test_filter_unicast_multicast_broadcast },
	{ "filter: MAC table overflow", test_filter_table_overflow },
	{ "filter: VLANs", test_filter_vlan },
	{ "filter: follows MAC_ADDR_SET", test_filter_follows_mac_addr_set },
	{ "reference Toeplitz matches Microsoft's vectors", test_reference_toeplitz },
	{ "loopback pairs without RSS", test_pairs_without_rss },
	{ "RSS steering and hash report", test_rss_steering_and_hash_report },
	{ "RSS hashes only the enabled types", test_rss_enabled_types_only },
	{ "RSS to pairs not in use, RSS off", test_rss_pairs_beyond_max_tx_vq },
	{ "hash report without steering", test_hash_report_without_steering },
	{ "port mode: the filter applies to the wire", test_port_mode_filter },
	CU_TEST_INFO_NULL,
};

CU_SuiteInfo unit_suite_sim_cvq = {
	"sim device: control vring, RX filter, RSS", NULL, NULL, NULL, NULL,
	sim_cvq_tests
};
