/* SPDX-License-Identifier: BSD-3-Clause */

/*
 * Shadow forwarding through the software device: a synthetic guest's TX
 * ring and RX ring, two shadow virtqueues, and the sim device in loopback
 * mode processing the shadow rings through its DMA map.
 */

#include <stdlib.h>
#include <string.h>
#include <linux/virtio_config.h>
#include <linux/virtio_net.h>

#include <CUnit/CUnit.h>

#include "guest_ring.h"
#include "svq_device.h"
#include "svq_port.h"
#include "svq_shadow.h"
#include "unit.h"

#define RX_GPA UINT64_C(0x40000000)
#define TX_GPA UINT64_C(0x80000000)
#define HDR_LEN sizeof(struct virtio_net_hdr_mrg_rxbuf)

static struct svq_device *dev;
static struct test_guest rx, tx;
static struct svq_shadow_vq rx_vq, tx_vq;
static uint8_t *shadow_mem;
static size_t slot;

static void
setup_vring(struct svq_shadow_vq *vq, struct test_guest *g, uint16_t qid)
{
	uint64_t iova = SVQ_SHADOW_IOVA_BASE + qid * slot;

	svq_shadow_init(vq, qid ? "sim tx" : "sim rx");
	CU_ASSERT_EQUAL_FATAL(svq_shadow_start(vq, &g->ring, g->size,
			shadow_mem + qid * slot, &g->map, 0, 0, false, -1), 0);
	CU_ASSERT_EQUAL(dev->ops->set_vring_num(dev, qid, g->size), 0);
	CU_ASSERT_EQUAL(dev->ops->set_vring_addr(dev, qid, iova,
			iova + svq_shadow_avail_offset(g->size),
			iova + svq_shadow_used_offset(g->size)), 0);
	CU_ASSERT_EQUAL(dev->ops->set_vring_base(dev, qid, 0), 0);
	CU_ASSERT_EQUAL(dev->ops->set_vring_enable(dev, qid, true), 0);
}

static void
sim_start(uint64_t features)
{
	uint8_t status = VIRTIO_CONFIG_S_ACKNOWLEDGE | VIRTIO_CONFIG_S_DRIVER;

	dev = svq_device_create("sim,mode=loopback,queues=1");
	CU_ASSERT_PTR_NOT_NULL_FATAL(dev);
	tg_init_at(&rx, 64, RX_GPA);
	tg_init_at(&tx, 64, TX_GPA);
	slot = RTE_ALIGN_CEIL(svq_shadow_ring_bytes(64), 4096);
	shadow_mem = aligned_alloc(4096, 2 * slot);

	dev->ops->set_status(dev, 0);
	dev->ops->set_status(dev, status);
	CU_ASSERT_EQUAL(dev->ops->set_features(dev, features), 0);
	status |= VIRTIO_CONFIG_S_FEATURES_OK;
	dev->ops->set_status(dev, status);
	CU_ASSERT_TRUE(dev->ops->get_status(dev) & VIRTIO_CONFIG_S_FEATURES_OK);
	CU_ASSERT_EQUAL(dev->ops->dma_map(dev, RX_GPA, TG_MEM_SIZE, rx.mem, -1, 0), 0);
	CU_ASSERT_EQUAL(dev->ops->dma_map(dev, TX_GPA, TG_MEM_SIZE, tx.mem, -1, 0), 0);
	CU_ASSERT_EQUAL(dev->ops->dma_map(dev, SVQ_SHADOW_IOVA_BASE, 2 * slot,
			shadow_mem, -1, 0), 0);
	setup_vring(&rx_vq, &rx, 0);
	setup_vring(&tx_vq, &tx, 1);
	dev->ops->set_status(dev, status | VIRTIO_CONFIG_S_DRIVER_OK);
}

static void
sim_stop(void)
{
	svq_device_destroy(dev);
	svq_shadow_free(&rx_vq);
	svq_shadow_free(&tx_vq);
	free(shadow_mem);
	tg_fini(&rx);
	tg_fini(&tx);
}

/* What a worker does for both vrings of the pair. */
static void
relay_rounds(unsigned int rounds)
{
	while (rounds-- > 0) {
		svq_shadow_forward_avail(&tx_vq);
		dev->ops->poll(dev, 1);
		svq_shadow_forward_used(&tx_vq);
		svq_shadow_forward_avail(&rx_vq);
		dev->ops->poll(dev, 0);
		svq_shadow_forward_used(&rx_vq);
	}
}

static void
post_rx_buffers(uint16_t n, uint32_t len)
{
	uint16_t i;

	for (i = 0; i < n; i++) {
		uint16_t id = rx.avail_idx & (rx.size - 1);

		tg_set_desc(&rx, id, tg_alloc(&rx, len), len,
			VRING_DESC_F_WRITE, 0);
		tg_publish(&rx, id);
	}
}

/* Send one frame as a header descriptor chained to a data descriptor. */
static void
send_frame(uint16_t head, const uint8_t *frame, uint32_t len)
{
	uint64_t hdr = tg_alloc(&tx, HDR_LEN);
	uint64_t data = tg_alloc(&tx, len);

	memset(tg_hva(&tx, hdr), 0, HDR_LEN);
	memcpy(tg_hva(&tx, data), frame, len);
	tg_set_desc(&tx, head, hdr, HDR_LEN, VRING_DESC_F_NEXT, head + 1);
	tg_set_desc(&tx, head + 1, data, len, 0, 0);
	tg_publish(&tx, head);
}

static void
fill_frame(uint8_t *frame, uint32_t len, uint8_t seed)
{
	uint32_t i;

	for (i = 0; i < len; i++)
		frame[i] = (uint8_t)(seed + i * 7);
}

static void
test_loopback_frame_intact(void)
{
	static uint8_t frame[1000];
	struct virtio_net_hdr_mrg_rxbuf *hdr;
	uint32_t id, len;
	uint8_t *buf;

	sim_start((UINT64_C(1) << VIRTIO_F_VERSION_1));
	post_rx_buffers(8, 2048);
	fill_frame(frame, sizeof(frame), 3);
	send_frame(0, frame, sizeof(frame));
	relay_rounds(4);

	CU_ASSERT_TRUE(tg_pop_used(&tx, &id, &len));
	CU_ASSERT_EQUAL(id, 0);
	CU_ASSERT_EQUAL(len, 0);
	CU_ASSERT_TRUE_FATAL(tg_pop_used(&rx, &id, &len));
	CU_ASSERT_EQUAL(len, HDR_LEN + sizeof(frame));
	buf = tg_hva(&rx, rx.ring.desc[id].addr);
	hdr = (void *)buf;
	CU_ASSERT_EQUAL(hdr->num_buffers, 1);
	CU_ASSERT_EQUAL(hdr->hdr.flags, 0);
	CU_ASSERT_EQUAL(memcmp(buf + HDR_LEN, frame, sizeof(frame)), 0);
	CU_ASSERT_FALSE(tg_pop_used(&rx, &id, &len));
	CU_ASSERT_EQUAL(tx_vq.stats.used_chains, 1);
	CU_ASSERT_EQUAL(rx_vq.stats.used_bytes, HDR_LEN + sizeof(frame));
	sim_stop();
}

static void
test_loopback_mergeable_spans_buffers(void)
{
	static uint8_t frame[1400], got[1400];
	uint32_t id, len, total = 0, off = 0;
	uint16_t nbufs = 0, first = 0;

	sim_start((UINT64_C(1) << VIRTIO_F_VERSION_1) |
		(UINT64_C(1) << VIRTIO_NET_F_MRG_RXBUF));
	post_rx_buffers(8, 512);
	fill_frame(frame, sizeof(frame), 9);
	send_frame(0, frame, sizeof(frame));
	relay_rounds(4);

	while (tg_pop_used(&rx, &id, &len)) {
		uint8_t *buf = tg_hva(&rx, rx.ring.desc[id].addr);
		uint32_t skip = nbufs == 0 ? HDR_LEN : 0;

		if (nbufs == 0)
			first = id;
		memcpy(got + off, buf + skip, len - skip);
		off += len - skip;
		total += len;
		nbufs++;
	}
	/* 12 + 1400 = 1412 bytes: 512 + 512 + 388 */
	CU_ASSERT_EQUAL(nbufs, 3);
	CU_ASSERT_EQUAL(total, HDR_LEN + sizeof(frame));
	CU_ASSERT_EQUAL(((struct virtio_net_hdr_mrg_rxbuf *)
		tg_hva(&rx, rx.ring.desc[first].addr))->num_buffers, 3);
	CU_ASSERT_EQUAL(memcmp(got, frame, sizeof(frame)), 0);
	sim_stop();
}

static void
test_loopback_waits_for_rx_buffers(void)
{
	static uint8_t frame[200];
	uint32_t id, len;
	uint16_t i;

	sim_start((UINT64_C(1) << VIRTIO_F_VERSION_1));
	for (i = 0; i < 4; i++) {
		fill_frame(frame, sizeof(frame), i);
		send_frame(2 * i, frame, sizeof(frame));
	}
	relay_rounds(4);
	/* no RX buffers yet: nothing delivered, nothing lost */
	CU_ASSERT_FALSE(tg_pop_used(&rx, &id, &len));
	post_rx_buffers(4, 2048);
	relay_rounds(4);
	for (i = 0; i < 4; i++) {
		CU_ASSERT_TRUE_FATAL(tg_pop_used(&rx, &id, &len));
		fill_frame(frame, sizeof(frame), i);
		CU_ASSERT_EQUAL(memcmp((uint8_t *)tg_hva(&rx,
			rx.ring.desc[id].addr) + HDR_LEN, frame, sizeof(frame)), 0);
	}
	sim_stop();
}

static void
test_frame_too_big_without_mergeable_is_dropped(void)
{
	static uint8_t frame[1400];
	uint32_t id, len;

	sim_start((UINT64_C(1) << VIRTIO_F_VERSION_1));
	post_rx_buffers(4, 512);
	send_frame(0, frame, sizeof(frame));
	relay_rounds(4);
	CU_ASSERT_TRUE(tg_pop_used(&tx, &id, &len));	/* TX still completes */
	CU_ASSERT_FALSE(tg_pop_used(&rx, &id, &len));	/* but nothing arrives */
	/* a frame that fits goes through behind it */
	send_frame(2, frame, 400);
	relay_rounds(4);
	CU_ASSERT_TRUE(tg_pop_used(&rx, &id, &len));
	CU_ASSERT_EQUAL(len, HDR_LEN + 400);
	sim_stop();
}

static void
test_device_refuses_bad_setup(void)
{
	dev = svq_device_create("sim,mode=loopback,queues=1");
	CU_ASSERT_PTR_NOT_NULL_FATAL(dev);
	/* vring 2 does not exist with one queue pair */
	CU_ASSERT_NOT_EQUAL(dev->ops->set_vring_num(dev, 2, 64), 0);
	/* not a power of two */
	CU_ASSERT_NOT_EQUAL(dev->ops->set_vring_num(dev, 0, 100), 0);
	/* rings outside the DMA map */
	CU_ASSERT_EQUAL(dev->ops->set_vring_num(dev, 0, 64), 0);
	CU_ASSERT_EQUAL(dev->ops->set_vring_addr(dev, 0, 0x1000, 0x2000, 0x3000), 0);
	CU_ASSERT_NOT_EQUAL(dev->ops->set_vring_enable(dev, 0, true), 0);
	/* features it does not offer */
	CU_ASSERT_NOT_EQUAL(dev->ops->set_features(dev, UINT64_C(1) << 63), 0);
	/* overlapping DMA mappings */
	CU_ASSERT_EQUAL(dev->ops->dma_map(dev, 0x10000, 0x1000, &dev, -1, 0), 0);
	CU_ASSERT_NOT_EQUAL(dev->ops->dma_map(dev, 0x10800, 0x1000, &dev, -1, 0), 0);
	svq_device_destroy(dev);

	/* bad device specs are refused at creation */
	CU_ASSERT_PTR_NULL(svq_device_create("sim,mode=bogus"));
	CU_ASSERT_PTR_NULL(svq_device_create("sim,queues=0"));
	CU_ASSERT_PTR_NULL(svq_device_create("sim,queues=abc"));
	CU_ASSERT_PTR_NULL(svq_device_create("sim,mode=port"));
	CU_ASSERT_PTR_NULL(svq_device_create("sim,mode=port,port=nonexistent"));
	CU_ASSERT_PTR_NULL(svq_device_create("sim,size=5"));
	CU_ASSERT_PTR_NULL(svq_device_create("sim,unknown=1"));
	CU_ASSERT_PTR_NULL(svq_device_create("nosuchdriver"));
}

static CU_TestInfo sim_tests[] = {
	{ "loopback frame arrives intact", test_loopback_frame_intact },
	{ "mergeable RX spans buffers", test_loopback_mergeable_spans_buffers },
	{ "loopback waits for RX buffers", test_loopback_waits_for_rx_buffers },
	{ "oversized frame dropped without MRG_RXBUF", test_frame_too_big_without_mergeable_is_dropped },
	{ "device refuses bad setup and specs", test_device_refuses_bad_setup },
	CU_TEST_INFO_NULL,
};

CU_SuiteInfo unit_suite_sim = {
	"shadow forwarding with the sim device", NULL, NULL, NULL, NULL, sim_tests
};
