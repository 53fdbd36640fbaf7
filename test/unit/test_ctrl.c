/* SPDX-License-Identifier: BSD-3-Clause */

/*
 * The relay's shadow control queue against the software device: a full
 * state replayed through the relay's ring must leave the device holding
 * exactly that state, and guest commands must reach the device only when
 * they are valid, the relay's model changing only on the device's OK.
 */

#include <stdlib.h>
#include <string.h>
#include <linux/virtio_config.h>
#include <linux/virtio_net.h>

#include <CUnit/CUnit.h>

#include "guest_ring.h"
#include "svq_ctrl.h"
#include "svq_device.h"
#include "svq_port.h"
#include "unit.h"

#define F(bit) (UINT64_C(1) << (bit))
#define FEATURES (F(VIRTIO_F_VERSION_1) | F(VIRTIO_NET_F_MAC) | \
	F(VIRTIO_NET_F_CTRL_VQ) | F(VIRTIO_NET_F_CTRL_RX) | \
	F(VIRTIO_NET_F_CTRL_RX_EXTRA) | F(VIRTIO_NET_F_CTRL_VLAN) | \
	F(VIRTIO_NET_F_CTRL_MAC_ADDR) | F(VIRTIO_NET_F_MQ) | \
	F(VIRTIO_NET_F_RSS) | F(VIRTIO_NET_F_CTRL_GUEST_OFFLOADS) | \
	F(VIRTIO_NET_F_GUEST_CSUM))
#define PAIRS 2
#define AREA_IOVA (SVQ_SHADOW_IOVA_BASE + 0x100000)

static struct svq_device *dev;
static struct svq_ctrl *ctrl;
static uint8_t *area;
static struct svq_net_state model;
static rte_spinlock_t model_lock = RTE_SPINLOCK_INITIALIZER;
static struct svq_queue_stats stats;
static struct test_guest g;

static void
setup(void)
{
	uint8_t status = VIRTIO_CONFIG_S_ACKNOWLEDGE | VIRTIO_CONFIG_S_DRIVER;
	struct virtio_net_config config;
	struct svq_cvq_limits limits;

	dev = svq_device_create("sim,mode=loopback,queues=2");
	CU_ASSERT_PTR_NOT_NULL_FATAL(dev);
	dev->ops->set_status(dev, 0);
	dev->ops->set_status(dev, status);
	CU_ASSERT_EQUAL_FATAL(dev->ops->set_features(dev, FEATURES), 0);
	dev->ops->set_status(dev, status | VIRTIO_CONFIG_S_FEATURES_OK);
	tg_init(&g, 64);
	area = aligned_alloc(4096, RTE_ALIGN_CEIL(svq_ctrl_area_bytes(), 4096));
	CU_ASSERT_EQUAL(dev->ops->dma_map(dev, TG_GPA_BASE, TG_MEM_SIZE, g.mem, -1, 0), 0);
	CU_ASSERT_EQUAL(dev->ops->dma_map(dev, AREA_IOVA,
		RTE_ALIGN_CEIL(svq_ctrl_area_bytes(), 4096), area, -1, 0), 0);

	ctrl = calloc(1, sizeof(*ctrl));
	memset(&stats, 0, sizeof(stats));
	svq_ctrl_init(ctrl, "test cvq", &stats, &model, &model_lock, area,
		AREA_IOVA);
	dev->ops->get_config(dev, &config, 0, sizeof(config));
	limits = (struct svq_cvq_limits){
		.features = FEATURES, .max_pairs = PAIRS,
		.rss_max_key = config.rss_max_key_size,
		.rss_max_table = config.rss_max_indirection_table_length,
		.hash_types = config.supported_hash_types,
		.guest_offloads = svq_net_guest_offloads(FEATURES),
	};
	svq_net_state_init(&model, FEATURES,
		(const struct rte_ether_addr *)config.mac, PAIRS);
	/* With MQ the device's control vring follows its own pairs. */
	CU_ASSERT_EQUAL_FATAL(svq_ctrl_device_start(ctrl, dev,
		2 * config.max_virtqueue_pairs, &limits), 0);
	dev->ops->set_status(dev, status | VIRTIO_CONFIG_S_FEATURES_OK |
		VIRTIO_CONFIG_S_DRIVER_OK);
}

static void
teardown(void)
{
	svq_device_destroy(dev);
	free(ctrl);
	free(area);
	tg_fini(&g);
}

static void
full_state(struct svq_net_state *s)
{
	static const struct rte_ether_addr mac = {
		.addr_bytes = { 0x02, 0x11, 0x22, 0x33, 0x44, 0x55 } };
	unsigned int i;

	svq_net_state_init(s, FEATURES, &mac, PAIRS);
	memset(s->vlans, 0xff, sizeof(s->vlans));
	s->n_uc = s->n_mc = SVQ_MAC_TABLE_MAX;
	for (i = 0; i < SVQ_MAC_TABLE_MAX; i++) {
		s->uc[i].addr_bytes[0] = 0x02;
		s->uc[i].addr_bytes[5] = i;
		s->mc[i].addr_bytes[0] = 0x01;
		s->mc[i].addr_bytes[5] = i;
	}
	for (i = 0; i < SVQ_RX_MODES; i++)
		s->rx_mode[i] = i != SVQ_RX_PROMISC;
	s->guest_offloads = 0;
	s->rss_mode = SVQ_RSS_STEER;
	s->rss.hash_types = VIRTIO_NET_RSS_HASH_TYPE_TCPv4 |
		VIRTIO_NET_RSS_HASH_TYPE_IPv4;
	s->rss.table_len = 128;
	for (i = 0; i < 128; i++)
		s->rss.table[i] = i % PAIRS;
	s->rss.unclassified = 1;
	s->rss.max_tx_vq = s->curr_pairs = PAIRS;
	s->rss.key_len = 40;
	for (i = 0; i < 40; i++)
		s->rss.key[i] = i * 7 + 1;
}

static void
test_replay_full_state_onto_device(void)
{
	static struct svq_net_state target, on_device;
	const char *failed = "";

	setup();
	full_state(&target);
	/* 1 MAC + 1 table + 1 MQ + 1 RSS + 1 offloads + 6 RX + 4096 VLANs */
	CU_ASSERT_EQUAL(svq_ctrl_replay(ctrl, &target, &failed), 4107);
	CU_ASSERT_EQUAL_FATAL(dev->ops->get_net_state(dev, &on_device), 0);
	CU_ASSERT_TRUE(svq_net_state_equal(&target, &on_device));
	/* the relay's model now is the target too */
	CU_ASSERT_TRUE(svq_net_state_equal(&target, &model));
	teardown();
}

static void
test_replay_refused_names_the_command(void)
{
	static struct svq_net_state target, before, on_device;
	const char *failed = "";

	setup();
	full_state(&target);
	/* more than the device's 128 entries: it must answer ERR */
	target.rss.table_len = 256;
	memcpy(&before, &model, sizeof(before));
	CU_ASSERT_EQUAL(svq_ctrl_replay(ctrl, &target, &failed), -EIO);
	CU_ASSERT_STRING_EQUAL(failed, "MQ_RSS_CONFIG");
	/* the model is not claimed to be the target */
	CU_ASSERT_EQUAL(memcmp(&before, &model, sizeof(model)), 0);
	CU_ASSERT_EQUAL(dev->ops->get_net_state(dev, &on_device), 0);
	CU_ASSERT_FALSE(svq_net_state_equal(&target, &on_device));
	teardown();
}

/* Post a guest control command: header + data readable, ack writable. */
static uint8_t *
guest_command(uint16_t head, const uint8_t *cmd, uint32_t len)
{
	uint64_t data = tg_alloc(&g, len), ack = tg_alloc(&g, 1);
	uint8_t *ack_byte = tg_hva(&g, ack);

	memcpy(tg_hva(&g, data), cmd, len);
	*ack_byte = 0x77;
	tg_set_desc(&g, head, data, len, VRING_DESC_F_NEXT, head + 1);
	tg_set_desc(&g, head + 1, ack, 1, VRING_DESC_F_WRITE, 0);
	tg_publish(&g, head);
	return ack_byte;
}

static void
run_guest(unsigned int rounds)
{
	while (rounds-- > 0)
		svq_ctrl_poll(ctrl);
}

static void
test_guest_commands_through_the_relay(void)
{
	static const uint8_t nobcast_on[] = { VIRTIO_NET_CTRL_RX,
		VIRTIO_NET_CTRL_RX_NOBCAST, 1 };
	static const uint8_t vlan_4096[] = { VIRTIO_NET_CTRL_VLAN,
		VIRTIO_NET_CTRL_VLAN_ADD, 0x00, 0x10 };
	static const uint8_t pairs_3[] = { VIRTIO_NET_CTRL_MQ,
		VIRTIO_NET_CTRL_MQ_VQ_PAIRS_SET, 3, 0 };
	static struct svq_net_state on_device, before;
	uint8_t *ack;
	uint32_t id, len;

	setup();
	svq_ctrl_guest_start(ctrl, &g.ring, g.size, &g.map, 0, 0, false, -1);

	/* valid: reaches the device, acked OK, model and device updated */
	ack = guest_command(0, nobcast_on, sizeof(nobcast_on));
	run_guest(4);
	CU_ASSERT_EQUAL(*ack, VIRTIO_NET_OK);
	CU_ASSERT_TRUE(tg_pop_used(&g, &id, &len));
	CU_ASSERT_EQUAL(id, 0);
	CU_ASSERT_EQUAL(len, 1);
	CU_ASSERT_TRUE(model.rx_mode[SVQ_RX_NOBCAST]);
	dev->ops->get_net_state(dev, &on_device);
	CU_ASSERT_TRUE(on_device.rx_mode[SVQ_RX_NOBCAST]);

	/* malformed: answered ERR by the relay, the device never sees it */
	memcpy(&before, &on_device, sizeof(before));
	ack = guest_command(2, vlan_4096, sizeof(vlan_4096));
	run_guest(4);
	CU_ASSERT_EQUAL(*ack, VIRTIO_NET_ERR);
	CU_ASSERT_EQUAL(stats.guest_errors, 1);
	/* more pairs than the port relays (the device has 2 too) */
	ack = guest_command(4, pairs_3, sizeof(pairs_3));
	run_guest(4);
	CU_ASSERT_EQUAL(*ack, VIRTIO_NET_ERR);
	CU_ASSERT_EQUAL(stats.guest_errors, 2);
	dev->ops->get_net_state(dev, &on_device);
	CU_ASSERT_TRUE(svq_net_state_equal(&before, &on_device));
	CU_ASSERT_EQUAL(model.curr_pairs, 1);
	CU_ASSERT_EQUAL(stats.used_chains, 3);

	/* a chain without a byte to ack into stops the control queue */
	tg_set_desc(&g, 6, tg_alloc(&g, 3), 3, 0, 0);
	tg_publish(&g, 6);
	run_guest(2);
	CU_ASSERT_EQUAL(ctrl->fault, SVQ_FAULT_GUEST);
	teardown();
}

static CU_TestInfo ctrl_tests[] = {
	{ "replay a full state onto the device", test_replay_full_state_onto_device },
	{ "refused replay names the command", test_replay_refused_names_the_command },
	{ "guest commands through the relay", test_guest_commands_through_the_relay },
	CU_TEST_INFO_NULL,
};

CU_SuiteInfo unit_suite_ctrl = {
	"relay control queue with the sim device", NULL, NULL, NULL, NULL,
	ctrl_tests
};
