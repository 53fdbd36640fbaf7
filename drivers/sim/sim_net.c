/* SPDX-License-Identifier: BSD-3-Clause */

/*
 * Software virtio-net device: the control side (features, status, config
 * space, vring setup, DMA map) behind the svq device ops table, and its
 * creation from "sim,key=value,..." arguments.
 *
 * Threat model: the driver's requests (vring numbers, sizes, addresses,
 * features) are checked here as a device would check them; bad ones are
 * refused.
 */

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <rte_ethdev.h>
#include <rte_ether.h>
#include <rte_kvargs.h>
#include <rte_malloc.h>

#include "sim_net.h"

RTE_LOG_REGISTER(sim_logtype, svq.sim, INFO);

#define SIM_BIT(f) (UINT64_C(1) << (f))

/* The guest offloads cost nothing: the device never produces a frame
 * that needs them. */
#define SIM_FEATURES \
	(SIM_BIT(VIRTIO_F_VERSION_1) | \
	 SIM_BIT(VIRTIO_NET_F_MAC) | \
	 SIM_BIT(VIRTIO_NET_F_MRG_RXBUF) | \
	 SIM_BIT(VIRTIO_NET_F_STATUS) | \
	 SIM_BIT(VIRTIO_NET_F_MQ) | \
	 SIM_BIT(VIRTIO_NET_F_CTRL_VQ) | \
	 SIM_BIT(VIRTIO_NET_F_CTRL_RX) | \
	 SIM_BIT(VIRTIO_NET_F_CTRL_RX_EXTRA) | \
	 SIM_BIT(VIRTIO_NET_F_CTRL_VLAN) | \
	 SIM_BIT(VIRTIO_NET_F_CTRL_MAC_ADDR) | \
	 SIM_BIT(VIRTIO_NET_F_GUEST_ANNOUNCE) | \
	 SIM_BIT(VIRTIO_NET_F_CTRL_GUEST_OFFLOADS) | \
	 SIM_BIT(VIRTIO_NET_F_GUEST_CSUM) | \
	 SIM_BIT(VIRTIO_NET_F_GUEST_TSO4) | \
	 SIM_BIT(VIRTIO_NET_F_GUEST_TSO6) | \
	 SIM_BIT(VIRTIO_NET_F_GUEST_ECN) | \
	 SIM_BIT(VIRTIO_NET_F_GUEST_UFO) | \
	 SIM_BIT(VIRTIO_NET_F_RSS) | \
	 SIM_BIT(VIRTIO_NET_F_HASH_REPORT))

#define SIM_RSS_MAX_KEY 40
#define SIM_RSS_MAX_TABLE 128
#define SIM_HASH_TYPES \
	(VIRTIO_NET_RSS_HASH_TYPE_IPv4 | VIRTIO_NET_RSS_HASH_TYPE_TCPv4 | \
	 VIRTIO_NET_RSS_HASH_TYPE_UDPv4 | VIRTIO_NET_RSS_HASH_TYPE_IPv6 | \
	 VIRTIO_NET_RSS_HASH_TYPE_TCPv6 | VIRTIO_NET_RSS_HASH_TYPE_UDPv6)

#define SIM_ETH_DESCS 1024
#define SIM_QUEUES_UNSET ULONG_MAX

static unsigned int sim_next_id;

/* Data vrings are 0..nb_vqs-1; the control vring, once negotiated, is
 * where the spec puts it (which is vring 2 without MQ and RSS). */
static struct sim_vq *
sim_vq_get(struct sim_net *sim, uint16_t qid)
{
	if (sim_negotiated(sim, VIRTIO_NET_F_CTRL_VQ) && qid == sim_cvq_qid(sim))
		return &sim->cvq;
	return qid < sim->nb_vqs ? &sim->vqs[qid] : NULL;
}

static uint64_t
sim_get_features(struct svq_device *dev)
{
	return sim_from_dev(dev)->features;
}

static int
sim_set_features(struct svq_device *dev, uint64_t features)
{
	struct sim_net *sim = sim_from_dev(dev);

	if (features & ~sim->features)
		return -EINVAL;
	/* Features are fixed once accepted, until a reset. */
	if (sim->status & VIRTIO_CONFIG_S_FEATURES_OK)
		return -EBUSY;
	sim->driver_features = features;
	return 0;
}

static uint8_t
sim_get_status(struct svq_device *dev)
{
	return sim_from_dev(dev)->status;
}

static void
sim_reset(struct sim_net *sim)
{
	uint16_t qid;

	for (qid = 0; qid <= sim->nb_vqs; qid++) {
		struct sim_vq *vq = qid < sim->nb_vqs ? &sim->vqs[qid] : &sim->cvq;
		struct rte_mbuf *m;

		while (vq->pending_pos < vq->nb_pending)
			rte_pktmbuf_free(vq->pending[vq->pending_pos++]);
		vq->nb_pending = vq->pending_pos = 0;
		if (vq->fifo != NULL)
			while (rte_ring_dequeue(vq->fifo, (void **)&m) == 0)
				rte_pktmbuf_free(m);
		vq->enabled = false;
		vq->broken = false;
		vq->last_avail = vq->used_idx = 0;
		vq->desc = NULL;
		vq->avail = NULL;
		vq->used = NULL;
	}
	sim->driver_features = 0;
	sim->status = 0;
	sim->hdr_len = SIM_NET_HDR_LEN;
	sim_ctrl_init(sim);
}

/*
 * Whether the device can work with the driver's features. MQ and MRG_RXBUF
 * need VERSION_1 here, as we offer no legacy. Control features without
 * CTRL_VQ (which a driver must not accept, virtio 1.2, 5.1.3.1) are not
 * refused: vhost-user frontends keep the control queue to themselves and
 * pass such sets on; without a control vring they simply change nothing.
 */
static bool
sim_features_ok(uint64_t f)
{
	return f & SIM_BIT(VIRTIO_F_VERSION_1);
}

static int
sim_set_status(struct svq_device *dev, uint8_t status)
{
	struct sim_net *sim = sim_from_dev(dev);

	if (status == 0) {
		sim_reset(sim);
		return 0;
	}
	/* FEATURES_OK sticks only if the accepted features are consistent.
	 * Setting it fixes the header layout and starts the device state
	 * afresh for these features. */
	if ((status & VIRTIO_CONFIG_S_FEATURES_OK) &&
			!(sim->status & VIRTIO_CONFIG_S_FEATURES_OK)) {
		if (sim_features_ok(sim->driver_features)) {
			sim->hdr_len = sim_negotiated(sim, VIRTIO_NET_F_HASH_REPORT) ?
				SIM_NET_HDR_HASH_LEN : SIM_NET_HDR_LEN;
			sim_ctrl_init(sim);
		} else {
			status &= ~VIRTIO_CONFIG_S_FEATURES_OK;
		}
	}
	sim->status = status | (sim->status & VIRTIO_CONFIG_S_NEEDS_RESET);
	return 0;
}

static int
sim_get_config(struct svq_device *dev, void *buf, uint32_t offset,
		uint32_t len)
{
	struct sim_net *sim = sim_from_dev(dev);

	if (offset > sizeof(sim->config) || len > sizeof(sim->config) - offset)
		return -EINVAL;
	sim_ctrl_get_config(sim, buf, offset, len);
	return 0;
}

static int
sim_get_net_state(struct svq_device *dev, struct svq_net_state *state)
{
	sim_ctrl_get_state(sim_from_dev(dev), state);
	return 0;
}

static uint16_t
sim_get_vq_num_max(struct svq_device *dev)
{
	RTE_SET_USED(dev);
	return SIM_VQ_NUM_MAX;
}

static int
sim_set_vring_num(struct svq_device *dev, uint16_t qid, uint16_t num)
{
	struct sim_vq *vq = sim_vq_get(sim_from_dev(dev), qid);

	if (vq == NULL || vq->enabled || num == 0 || num > SIM_VQ_NUM_MAX ||
			!rte_is_power_of_2(num))
		return -EINVAL;
	vq->num = num;
	return 0;
}

static int
sim_set_vring_addr(struct svq_device *dev, uint16_t qid, uint64_t desc_iova,
		uint64_t avail_iova, uint64_t used_iova)
{
	struct sim_vq *vq = sim_vq_get(sim_from_dev(dev), qid);

	if (vq == NULL || vq->enabled)
		return -EINVAL;
	vq->desc_iova = desc_iova;
	vq->avail_iova = avail_iova;
	vq->used_iova = used_iova;
	return 0;
}

static int
sim_set_vring_base(struct svq_device *dev, uint16_t qid, uint16_t base)
{
	struct sim_vq *vq = sim_vq_get(sim_from_dev(dev), qid);

	if (vq == NULL || vq->enabled)
		return -EINVAL;
	vq->last_avail = base;
	vq->used_idx = base;
	return 0;
}

static int
sim_get_vring_base(struct svq_device *dev, uint16_t qid, uint16_t *base)
{
	struct sim_vq *vq = sim_vq_get(sim_from_dev(dev), qid);

	if (vq == NULL)
		return -EINVAL;
	*base = vq->last_avail;
	return 0;
}

static int
sim_set_vring_enable(struct svq_device *dev, uint16_t qid, bool enable)
{
	struct sim_net *sim = sim_from_dev(dev);
	struct sim_vq *vq = sim_vq_get(sim, qid);

	if (vq == NULL)
		return -EINVAL;
	if (!enable) {
		/* poll() completes everything it takes before returning, so
		 * a disabled vring has nothing in progress. */
		vq->enabled = false;
		return 0;
	}
	if (vq->num == 0 || sim_vring_map(sim, vq) < 0) {
		SIM_LOG(ERR, sim, "vring %u: ring not in the DMA map", qid);
		return -EFAULT;
	}
	/* The device polls: the driver need not kick. */
	vq->used->flags = VRING_USED_F_NO_NOTIFY;
	vq->broken = false;
	vq->enabled = true;
	return 0;
}

static void
sim_kick(struct svq_device *dev, uint16_t qid)
{
	/* Nothing to wake: poll() runs on the vring's lcore. */
	RTE_SET_USED(dev);
	RTE_SET_USED(qid);
}

static int
sim_dma_map(struct svq_device *dev, uint64_t iova, uint64_t size, void *hva,
		int fd, uint64_t fd_offset)
{
	struct sim_net *sim = sim_from_dev(dev);
	uint32_t i;

	/* The device lives in this process: the mapping is all it needs. */
	RTE_SET_USED(fd);
	RTE_SET_USED(fd_offset);

	if (size == 0 || iova + size < iova)
		return -EINVAL;
	for (i = 0; i < sim->nb_maps; i++) {
		const struct sim_dma_map *m = &sim->maps[i];

		if (iova < m->iova + m->size && m->iova < iova + size)
			return -EEXIST;
	}
	if (sim->nb_maps == SIM_MAX_DMA_MAPS)
		return -ENOSPC;
	sim->maps[sim->nb_maps++] = (struct sim_dma_map){
		.iova = iova, .size = size, .hva = hva };
	return 0;
}

static int
sim_dma_unmap(struct svq_device *dev, uint64_t iova, uint64_t size)
{
	struct sim_net *sim = sim_from_dev(dev);
	uint32_t i;

	for (i = 0; i < sim->nb_maps; i++) {
		if (sim->maps[i].iova != iova || sim->maps[i].size != size)
			continue;
		sim->maps[i] = sim->maps[--sim->nb_maps];
		return 0;
	}
	return -ENOENT;
}

static void
sim_poll(struct svq_device *dev, uint16_t qid)
{
	struct sim_net *sim = sim_from_dev(dev);
	struct sim_vq *vq = sim_vq_get(sim, qid);

	if (unlikely(vq == NULL || !vq->enabled || vq->broken))
		return;
	if (unlikely(vq == &sim->cvq))
		sim_cvq_poll(sim, vq);
	else if (qid & 1)
		sim_tx_poll(sim, vq, qid / 2);
	else
		sim_rx_poll(sim, vq, qid / 2);
}

static void
sim_log_stats(struct sim_net *sim, const char *what,
		const struct sim_vq_stats *s)
{
	if (s->packets || s->drops || s->errors || s->filtered || s->unrouted)
		SIM_LOG(INFO, sim, "%s: %" PRIu64 " packets %" PRIu64
			" bytes %" PRIu64 " drops %" PRIu64 " errors %" PRIu64
			" filtered %" PRIu64 " unrouted",
			what, s->packets, s->bytes, s->drops, s->errors,
			s->filtered, s->unrouted);
}

static void
sim_destroy(struct svq_device *dev)
{
	struct sim_net *sim = sim_from_dev(dev);
	uint16_t qid;

	sim_reset(sim);
	for (qid = 0; qid < sim->nb_vqs; qid++) {
		char what[32];

		snprintf(what, sizeof(what), "vring %u", qid);
		sim_log_stats(sim, what, &sim->vqs[qid].stats);
		rte_ring_free(sim->vqs[qid].fifo);
	}
	/* packets: commands acked OK, drops: acked ERR */
	sim_log_stats(sim, "control vring", &sim->cvq.stats);
	rte_free(sim->cvq_scratch);
	if (sim->mode == SIM_MODE_PORT) {
		rte_eth_dev_stop(sim->eth_port);
		rte_eth_dev_close(sim->eth_port);
	}
	rte_mempool_free(sim->pool);
	rte_free(sim);
}

static const struct svq_device_ops sim_ops = {
	.get_features = sim_get_features,
	.set_features = sim_set_features,
	.get_status = sim_get_status,
	.set_status = sim_set_status,
	.get_config = sim_get_config,
	.get_vq_num_max = sim_get_vq_num_max,
	.set_vring_num = sim_set_vring_num,
	.set_vring_addr = sim_set_vring_addr,
	.set_vring_base = sim_set_vring_base,
	.get_vring_base = sim_get_vring_base,
	.set_vring_enable = sim_set_vring_enable,
	.kick = sim_kick,
	.dma_map = sim_dma_map,
	.dma_unmap = sim_dma_unmap,
	.poll = sim_poll,
	.get_net_state = sim_get_net_state,
	.destroy = sim_destroy,
};

/* ---- creation from arguments ---------------------------------------- */

struct sim_args {
	enum sim_mode mode;
	char port[RTE_ETH_NAME_MAX_LEN];
	struct rte_ether_addr mac;
	unsigned long queues;
	unsigned long rate;
	unsigned long size;
};

static int
sim_arg_mode(const char *key, const char *value, void *opaque)
{
	struct sim_args *a = opaque;

	RTE_SET_USED(key);
	if (strcmp(value, "loopback") == 0)
		a->mode = SIM_MODE_LOOPBACK;
	else if (strcmp(value, "null") == 0)
		a->mode = SIM_MODE_NULL;
	else if (strcmp(value, "port") == 0)
		a->mode = SIM_MODE_PORT;
	else
		return -1;
	return 0;
}

static int
sim_arg_string(const char *key, const char *value, void *opaque)
{
	RTE_SET_USED(key);
	return rte_strscpy(opaque, value, RTE_ETH_NAME_MAX_LEN) < 0 ? -1 : 0;
}

static int
sim_parse_args(const char *args, struct sim_args *a)
{
	static const char *const keys[] = {
		"mode", "port", "mac", "queues", "rate", "size", NULL };
	struct rte_kvargs *kv = rte_kvargs_parse(args, keys);
	int ret = 0;

	if (kv == NULL) {
		RTE_LOG(ERR, USER1, "svq.sim: cannot parse '%s' (keys: mode, port, mac, queues, rate, size)\n",
			args);
		return -EINVAL;
	}
#define SIM_KV(key, fn, dst) \
	if (ret == 0 && rte_kvargs_process(kv, key, fn, dst) < 0) { \
		RTE_LOG(ERR, USER1, "svq.sim: bad value for %s\n", key); \
		ret = -EINVAL; \
	}
	SIM_KV("mode", sim_arg_mode, a);
	SIM_KV("port", sim_arg_string, a->port);
	SIM_KV("mac", svq_kvarg_mac, &a->mac);
	SIM_KV("queues", svq_kvarg_ulong, &a->queues);
	SIM_KV("rate", svq_kvarg_ulong, &a->rate);
	SIM_KV("size", svq_kvarg_ulong, &a->size);
#undef SIM_KV
	rte_kvargs_free(kv);
	/* An ethdev spreads received traffic over all its queues, and only
	 * the queues of pairs the driver enabled are polled: in port mode
	 * offer one pair unless told otherwise. */
	if (a->queues == SIM_QUEUES_UNSET)
		a->queues = a->mode == SIM_MODE_PORT ? 1 : 8;
	if (ret == 0 && (a->queues == 0 || a->queues > SIM_MAX_QUEUE_PAIRS)) {
		RTE_LOG(ERR, USER1, "svq.sim: queues must be 1..%u\n",
			SIM_MAX_QUEUE_PAIRS);
		ret = -EINVAL;
	}
	if (ret == 0 && (a->size < RTE_ETHER_MIN_LEN - RTE_ETHER_CRC_LEN ||
			a->size > RTE_ETHER_MAX_LEN - RTE_ETHER_CRC_LEN)) {
		RTE_LOG(ERR, USER1, "svq.sim: size must be %u..%u\n",
			RTE_ETHER_MIN_LEN - RTE_ETHER_CRC_LEN,
			RTE_ETHER_MAX_LEN - RTE_ETHER_CRC_LEN);
		ret = -EINVAL;
	}
	if (ret == 0 && a->mode == SIM_MODE_PORT && a->port[0] == '\0') {
		RTE_LOG(ERR, USER1, "svq.sim: mode=port needs port=<ethdev name>\n");
		ret = -EINVAL;
	}
	return ret;
}

static int
sim_port_setup(struct sim_net *sim, const char *name, uint16_t *pairs)
{
	struct rte_eth_conf conf = { 0 };
	struct rte_eth_dev_info info;
	uint16_t q;
	int ret;

	if (rte_eth_dev_get_port_by_name(name, &sim->eth_port) != 0) {
		SIM_LOG(ERR, sim, "no ethdev named %s (create it with --vdev)",
			name);
		return -ENODEV;
	}
	ret = rte_eth_dev_info_get(sim->eth_port, &info);
	if (ret != 0)
		return ret;
	*pairs = RTE_MIN(*pairs, RTE_MIN(info.max_rx_queues, info.max_tx_queues));
	ret = rte_eth_dev_configure(sim->eth_port, *pairs, *pairs, &conf);
	for (q = 0; ret == 0 && q < *pairs; q++) {
		ret = rte_eth_rx_queue_setup(sim->eth_port, q, SIM_ETH_DESCS,
				rte_eth_dev_socket_id(sim->eth_port), NULL,
				sim->pool);
		if (ret == 0)
			ret = rte_eth_tx_queue_setup(sim->eth_port, q,
					SIM_ETH_DESCS,
					rte_eth_dev_socket_id(sim->eth_port),
					NULL);
	}
	if (ret == 0)
		ret = rte_eth_dev_start(sim->eth_port);
	if (ret != 0) {
		SIM_LOG(ERR, sim, "cannot set up ethdev %s: %s", name,
			rte_strerror(-ret));
		return ret;
	}
	rte_eth_promiscuous_enable(sim->eth_port);
	return 0;
}

static struct svq_device *
sim_create(const char *args)
{
	struct sim_args a = {
		.mode = SIM_MODE_LOOPBACK,
		.mac = { .addr_bytes = { 0x52, 0x54, 0x00, 0x53, 0x56, 0x51 } },
		.queues = SIM_QUEUES_UNSET,
		.size = 64,
	};
	char name[RTE_MEMPOOL_NAMESIZE];
	struct sim_net *sim;
	uint16_t pairs, qid;
	unsigned int id;

	if (sim_parse_args(args, &a) < 0)
		return NULL;
	sim = rte_zmalloc("sim_net", sizeof(*sim), RTE_CACHE_LINE_SIZE);
	if (sim == NULL)
		return NULL;
	sim->dev.ops = &sim_ops;
	id = sim_next_id++;
	snprintf(sim->dev.name, sizeof(sim->dev.name), "sim%u", id);
	sim->mode = a.mode;
	sim->null_rate = a.rate;
	sim->null_size = a.size;
	sim->features = SIM_FEATURES;
	pairs = a.queues;

	sim->cvq_scratch = rte_zmalloc("sim_cvq", sizeof(*sim->cvq_scratch), 0);
	if (sim->cvq_scratch == NULL)
		goto fail;
	snprintf(name, sizeof(name), "sim%u_pool", id);
	sim->pool = rte_pktmbuf_pool_create(name, 4096 * pairs - 1, 256,
			RTE_ALIGN_CEIL(sizeof(struct sim_mbuf_meta),
				RTE_MBUF_PRIV_ALIGN),
			RTE_MBUF_DEFAULT_BUF_SIZE, SOCKET_ID_ANY);
	if (sim->pool == NULL) {
		SIM_LOG(ERR, sim, "cannot create mbuf pool: %s (hugepages?)",
			rte_strerror(rte_errno));
		goto fail;
	}
	if (sim->mode == SIM_MODE_PORT && sim_port_setup(sim, a.port, &pairs) < 0)
		goto fail;

	sim->default_mac = a.mac;
	sim->config.status = VIRTIO_NET_S_LINK_UP;
	sim->config.max_virtqueue_pairs = pairs;
	sim->config.mtu = RTE_ETHER_MTU;
	sim->config.rss_max_key_size = SIM_RSS_MAX_KEY;
	sim->config.rss_max_indirection_table_length = SIM_RSS_MAX_TABLE;
	sim->config.supported_hash_types = SIM_HASH_TYPES;
	sim->nb_vqs = 2 * pairs;
	sim_reset(sim);		/* config.mac, header length, device state */
	for (qid = 0; qid < sim->nb_vqs; qid += 2) {
		snprintf(name, sizeof(name), "sim%u_rx%u", id, qid);
		/* Several TX vrings may feed one RX vring once RSS steers
		 * frames: multi-producer, single-consumer. */
		sim->vqs[qid].fifo = rte_ring_create(name, SIM_FIFO_SIZE,
				SOCKET_ID_ANY, RING_F_SC_DEQ);
		if (sim->vqs[qid].fifo == NULL)
			goto fail;
	}
	sim_null_frame_init(sim);
	SIM_LOG(INFO, sim, "mode %s, %u queue pairs, mac " RTE_ETHER_ADDR_PRT_FMT,
		a.mode == SIM_MODE_LOOPBACK ? "loopback" :
		a.mode == SIM_MODE_NULL ? "null" : "port", pairs,
		RTE_ETHER_ADDR_BYTES(&a.mac));
	return &sim->dev;

fail:
	for (qid = 0; qid < 2 * SIM_MAX_QUEUE_PAIRS; qid++)
		rte_ring_free(sim->vqs[qid].fifo);
	rte_mempool_free(sim->pool);
	rte_free(sim->cvq_scratch);
	rte_free(sim);
	return NULL;
}

static struct svq_driver sim_driver = {
	.name = "sim",
	.usage = "[,mode=loopback|null|port][,port=ETHDEV][,mac=XX:XX:XX:XX:XX:XX]"
		"[,queues=N][,rate=PPS][,size=BYTES]",
	.create = sim_create,
};

SVQ_DRIVER_REGISTER(sim_driver);
