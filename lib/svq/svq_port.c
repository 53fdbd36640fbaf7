/* SPDX-License-Identifier: BSD-3-Clause */

/*
 * The guest side of a port: a librte_vhost backend with raw vring access.
 *
 * Threat model: the frontend's messages are parsed by librte_vhost; the
 * relay sees each one before and after the library handles it and trusts
 * none of its fields: a vring index beyond the port's vrings is refused.
 * Guest ring contents are validated by the shadow virtqueue.
 *
 * Life cycle of a vring. librte_vhost with the builtin net datapath off
 * calls new_device only when *every* vring is ready, which a guest that
 * leaves queue pairs disabled never reaches, so the relay starts and stops
 * each vring on vring_state_changed instead. Messages that change what a
 * running vring depends on (memory table, ring addresses, fds, base,
 * features) stop the affected vrings in the pre-message hook, before the
 * library unmaps or closes anything; they restart afterwards if the vring is
 * still ready. Stopping drains the device and rewinds chains it never took,
 * and hands the resulting base to the library, which is what GET_VRING_BASE
 * then reports to the frontend.
 *
 * The pre/post hooks and vring_state_changed run with the library's
 * per-vring access locks held, so nothing here may call a librte_vhost
 * function that takes them (rte_vhost_vring_call,
 * rte_vhost_enable_guest_notification, ...): the relay writes the call
 * eventfd and the used flags itself.
 */

#include <errno.h>
#include <limits.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>
#include <linux/virtio_config.h>
#include <linux/virtio_net.h>

#include <rte_alarm.h>
#include <rte_common.h>
#include <rte_malloc.h>
#include <rte_string_fns.h>
#include <rte_vhost.h>

#include "svq_ctrl.h"
#include "svq_device.h"
#include "svq_log.h"
#include "svq_migration.h"
#include "svq_port.h"
#include "svq_queue.h"
#include "svq_vhost_msg.h"
#include "svq_worker.h"

/* Device-class features the relay passes through: it forwards buffers
 * without looking inside them, so it needs no part in these. */
#define SVQ_PASSTHROUGH_FEATURES \
	((UINT64_C(1) << VIRTIO_F_VERSION_1) | \
	 (UINT64_C(1) << VIRTIO_NET_F_MAC) | \
	 (UINT64_C(1) << VIRTIO_NET_F_MRG_RXBUF) | \
	 (UINT64_C(1) << VIRTIO_NET_F_MQ) | \
	 (UINT64_C(1) << VIRTIO_NET_F_GUEST_CSUM) | \
	 (UINT64_C(1) << VIRTIO_NET_F_GUEST_TSO4) | \
	 (UINT64_C(1) << VIRTIO_NET_F_GUEST_TSO6) | \
	 (UINT64_C(1) << VIRTIO_NET_F_GUEST_ECN) | \
	 (UINT64_C(1) << VIRTIO_NET_F_GUEST_UFO) | \
	 SVQ_CTRL_FEATURES)

/* The control virtqueue and what it controls: the relay shadows the
 * control vring, validates every command and tracks the state. */
#define SVQ_CTRL_FEATURES \
	((UINT64_C(1) << VIRTIO_NET_F_CTRL_VQ) | \
	 (UINT64_C(1) << VIRTIO_NET_F_CTRL_RX) | \
	 (UINT64_C(1) << VIRTIO_NET_F_CTRL_RX_EXTRA) | \
	 (UINT64_C(1) << VIRTIO_NET_F_CTRL_VLAN) | \
	 (UINT64_C(1) << VIRTIO_NET_F_CTRL_MAC_ADDR) | \
	 (UINT64_C(1) << VIRTIO_NET_F_GUEST_ANNOUNCE) | \
	 (UINT64_C(1) << VIRTIO_NET_F_CTRL_GUEST_OFFLOADS) | \
	 (UINT64_C(1) << VIRTIO_NET_F_RSS) | \
	 (UINT64_C(1) << VIRTIO_NET_F_HASH_REPORT))

/* What the relay offers when it answers the control queue itself, for a
 * device without one: commands it can track and ack as QEMU does for a
 * vhost-user backend. Not RSS and hash reports (the device must compute
 * them) nor GUEST_ANNOUNCE (the relay cannot raise a config interrupt). */
#define SVQ_EMULATED_CTRL_FEATURES \
	((UINT64_C(1) << VIRTIO_NET_F_CTRL_VQ) | \
	 (UINT64_C(1) << VIRTIO_NET_F_CTRL_RX) | \
	 (UINT64_C(1) << VIRTIO_NET_F_CTRL_RX_EXTRA) | \
	 (UINT64_C(1) << VIRTIO_NET_F_CTRL_VLAN) | \
	 (UINT64_C(1) << VIRTIO_NET_F_CTRL_MAC_ADDR) | \
	 (UINT64_C(1) << VIRTIO_NET_F_CTRL_GUEST_OFFLOADS))

/* Ring features the relay implements itself toward the guest. */
#define SVQ_GUEST_RING_FEATURES (UINT64_C(1) << VIRTIO_RING_F_EVENT_IDX)

#define SVQ_PROTOCOL_FEATURES \
	((UINT64_C(1) << VHOST_USER_PROTOCOL_F_MQ) | \
	 (UINT64_C(1) << VHOST_USER_PROTOCOL_F_LOG_SHMFD) | \
	 (UINT64_C(1) << VHOST_USER_PROTOCOL_F_REPLY_ACK))

#define SVQ_LCORE_UNSET UINT_MAX
/* Adaptive notification: idle this long before a worker sleeps. */
#define SVQ_ADAPTIVE_IDLE_US 200
/* Passes of a stop's drain: each moves a burst per vring. */
#define SVQ_DRAIN_PASSES 1024

struct svq_port {
	TAILQ_ENTRY(svq_port) next;
	char path[PATH_MAX];
	char name[16];
	uint16_t nb_queue_pairs;
	uint16_t nb_vrings;	/* data vrings, then the control vring */
	bool emulated_ctrl;	/* answered by the relay: the device has none */
	bool client;
	struct svq_device *dev;
	uint64_t offered_features;
	enum svq_port_mode mode;
	enum svq_port_notify notify;

	/* Serialises the vhost-user thread and the operator's commands. */
	pthread_mutex_t lock;
	int vid;			/* -1 while no frontend is connected */
	uint64_t guest_features;	/* negotiated with the frontend */
	bool device_started;		/* DRIVER_OK and DMA map done */
	struct svq_mem_map mem;		/* guest memory, as mapped in the device */

	/* The device state the guest configured, updated by the control
	 * queue's worker and read by operators: under net_lock. */
	rte_spinlock_t net_lock;
	struct svq_net_state net;
	bool net_valid;			/* the device was started once */
	bool restore_pending;
	bool restore_failed;		/* refused: device stays off until reset */
	bool closing;			/* being destroyed: start nothing */
	bool device_lost;		/* the device went away: start nothing until it is back */
	bool suspended;			/* stopped by GET_VRING_BASE until a vring is set up again */
	struct svq_net_state restore;	/* replayed at the next device start */
	struct svq_ctrl *ctrl;

	/* Mode on-migration: switches between shadow rings and passthrough,
	 * timed from the first vring stopped to the last one restarted. */
	uint64_t switch_start;		/* TSC; 0: no switch under way */
	uint64_t mode_switches;
	double last_switch_us;

	/* Every vring's shadow ring lives in one memfd, one slot per vring,
	 * mapped at SVQ_SHADOW_IOVA_BASE in the device: a single region that
	 * an external device process can map too. The control queue's area
	 * follows the data vrings' slots. */
	int shadow_fd;
	uint8_t *shadow_base;
	size_t shadow_slot;
	size_t shadow_ctrl_off;
	size_t shadow_len;
	uint16_t max_ring_size;

	struct svq_queue *queues;

	/* Migration (issue P4): the last device stop and start, timed; what
	 * the frontend was answered to each GET_VRING_BASE of the current
	 * stop; the bases a loaded migration state expects it to set. */
	uint64_t device_stops;
	uint64_t device_starts;
	double last_stop_us;
	double last_start_us;
	double last_replay_us;
	uint32_t last_replay_commands;
	struct svq_port_mig_base {
		bool valid;
		uint16_t last_avail;
		uint16_t used;
	} mig_out[SVQ_MIGRATION_MAX_VRINGS], mig_in[SVQ_MIGRATION_MAX_VRINGS];
	uint16_t mig_expected;
	uint16_t mig_checked;
	uint32_t mig_mismatches;
};

_Static_assert(SVQ_MIGRATION_MAX_PAIRS == SVQ_MAX_QUEUE_PAIRS,
	"a migration state holds every vring of a port");

static TAILQ_HEAD(, svq_port) svq_ports = TAILQ_HEAD_INITIALIZER(svq_ports);
static pthread_mutex_t svq_ports_lock = PTHREAD_MUTEX_INITIALIZER;
static unsigned int svq_port_next_id;

#define SVQ_PORT_LOG(port, level, fmt, ...) \
	SVQ_LOG(port, level, "%s (%s): " fmt, (port)->name, (port)->path, \
		##__VA_ARGS__)

/* Port messages about migration: restores, dirty logging, device stops. */
#define SVQ_PORT_MIGRATE_LOG(port, level, fmt, ...) \
	SVQ_LOG(migrate, level, "%s (%s): " fmt, (port)->name, (port)->path, \
		##__VA_ARGS__)

static double
svq_tsc_us_since(uint64_t start)
{
	return (double)(rte_get_tsc_cycles() - start) * 1e6 / rte_get_tsc_hz();
}

/* Migration bookkeeping, at the end of the file. */
static void svq_port_suspend(struct svq_port *port);
static void svq_port_migration_note_base(struct svq_port *port, const void *msg);
static void svq_port_migration_check_base(struct svq_port *port, uint16_t qid,
		uint32_t base);
static void svq_port_migration_info(const struct svq_port *port,
		struct svq_port_info *info);

static struct svq_port *
svq_port_by_vid(int vid)
{
	char path[PATH_MAX];
	struct svq_port *port;

	if (rte_vhost_get_ifname(vid, path, sizeof(path)) < 0)
		return NULL;
	pthread_mutex_lock(&svq_ports_lock);
	TAILQ_FOREACH(port, &svq_ports, next)
		if (strcmp(port->path, path) == 0)
			break;
	pthread_mutex_unlock(&svq_ports_lock);
	return port;
}

/* ---- device side ---------------------------------------------------- */

static void
svq_port_dma_map_guest(struct svq_port *port, bool map)
{
	struct svq_device *dev = port->dev;
	uint32_t i;

	for (i = 0; i < port->mem.nregions; i++) {
		const struct svq_mem_region *r = &port->mem.regions[i];

		if (map)
			dev->ops->dma_map(dev, r->gpa, r->size,
					(void *)(uintptr_t)r->hva, r->fd,
					r->fd_offset);
		else
			dev->ops->dma_unmap(dev, r->gpa, r->size);
	}
}

/*
 * With the relay answering the control queue, a device's queue pairs are
 * its enabled vrings: those of the pairs the guest set with VQ_PAIRS_SET
 * (as QEMU does with SET_VRING_ENABLE for a vhost-user backend). Other
 * frontends turn pair changes into vring enables themselves.
 */
static bool
svq_port_device_vring_wanted(struct svq_port *port, uint16_t qid)
{
	uint16_t pairs;

	if (!port->emulated_ctrl ||
			!(port->guest_features & (UINT64_C(1) << VIRTIO_NET_F_CTRL_VQ)))
		return true;
	rte_spinlock_lock(&port->net_lock);
	pairs = port->net.curr_pairs;
	rte_spinlock_unlock(&port->net_lock);
	return qid / 2 < pairs;
}

/* Enable or disable the device's data vrings to match the queue pairs
 * the guest set. Under the port lock. */
static void
svq_port_apply_pairs(struct svq_port *port)
{
	struct svq_device *dev = port->dev;
	uint16_t qid;

	for (qid = 0; qid < 2 * port->nb_queue_pairs; qid++) {
		struct svq_queue *q = &port->queues[qid];
		bool want = svq_port_device_vring_wanted(port, qid);

		if (!q->started || q->device_enabled == want)
			continue;
		/* No op on a vring a worker may be in (svq_device.h). */
		__atomic_store_n(&q->running, 0, __ATOMIC_RELEASE);
		svq_workers_synchronize();
		if (dev->ops->set_vring_enable(dev, qid, want) == 0)
			q->device_enabled = want;
		__atomic_store_n(&q->running, 1, __ATOMIC_RELEASE);
		SVQ_PORT_LOG(port, INFO, "q%u: device vring %s (queue pairs set by the guest)",
			qid, q->device_enabled ? "enabled" : "disabled");
	}
}

static void
svq_port_pairs_alarm(void *arg)
{
	struct svq_port *port = arg;

	pthread_mutex_lock(&port->lock);
	if (port->device_started && !port->closing)
		svq_port_apply_pairs(port);
	pthread_mutex_unlock(&port->lock);
}

/* On the control queue's worker: leave the device ops to a control
 * thread (the EAL's alarm thread). */
static void
svq_port_pairs_changed(void *arg)
{
	rte_eal_alarm_set(1, svq_port_pairs_alarm, arg);
}

/*
 * Start the device's control vring on the relay's ring, reset the state
 * model to what a fresh device holds, and replay a pending restore with
 * only the control vring enabled: before any data vring starts.
 */
static int
svq_port_ctrl_start(struct svq_port *port, uint64_t features)
{
	struct svq_device *dev = port->dev;
	struct virtio_net_config config;
	struct svq_cvq_limits limits;
	const char *failed = "";
	uint64_t start;
	uint16_t qid;
	int ret;

	dev->ops->get_config(dev, &config, 0, sizeof(config));
	limits = (struct svq_cvq_limits){
		.features = features,
		.max_pairs = port->nb_queue_pairs,
		.rss_max_key = config.rss_max_key_size,
		.rss_max_table = config.rss_max_indirection_table_length,
		.hash_types = config.supported_hash_types,
		.guest_offloads = svq_net_guest_offloads(features),
	};
	if (port->emulated_ctrl) {
		svq_ctrl_emulate_start(port->ctrl, &limits,
			svq_port_pairs_changed, port);
	} else {
		/* virtio 1.2, 5.1.2: the device's control vring follows all
		 * of ITS queue pairs (max_virtqueue_pairs with MQ or RSS,
		 * else one), which may be more than the port relays. */
		qid = features & ((UINT64_C(1) << VIRTIO_NET_F_MQ) |
				(UINT64_C(1) << VIRTIO_NET_F_RSS)) ?
			2 * config.max_virtqueue_pairs : 2;
		ret = svq_ctrl_device_start(port->ctrl, dev, qid, &limits);
		if (ret < 0) {
			SVQ_PORT_LOG(port, ERR, "device refused its control vring");
			return ret;
		}
	}
	if (!port->restore_pending)
		return 0;

	if (port->restore.features != features) {
		SVQ_PORT_MIGRATE_LOG(port, ERR,
			"restore refused: state has features 0x%" PRIx64 ", guest negotiated 0x%" PRIx64 "; data vrings stay off",
			port->restore.features, features);
		port->restore_failed = true;
		return -EINVAL;
	}
	start = rte_get_tsc_cycles();
	ret = svq_ctrl_replay(port->ctrl, &port->restore, &failed);
	if (ret < 0) {
		SVQ_PORT_MIGRATE_LOG(port, ERR, "restore failed: %s",
			ret == -EIO ? "device answered VIRTIO_NET_ERR" :
			strerror(-ret));
		if (ret == -EIO && failed[0] != '\0')
			SVQ_PORT_MIGRATE_LOG(port, ERR, "restore failed at %s; data vrings stay off",
				failed);
		port->restore_failed = true;
		return ret;
	}
	port->restore_pending = false;
	port->last_replay_us = svq_tsc_us_since(start);
	port->last_replay_commands = ret;
	SVQ_PORT_MIGRATE_LOG(port, INFO, "restored device state: %d commands in %.1f us",
		ret, port->last_replay_us);
	return 0;
}

static int
svq_port_device_start(struct svq_port *port)
{
	struct svq_device *dev = port->dev;
	uint8_t status = VIRTIO_CONFIG_S_ACKNOWLEDGE | VIRTIO_CONFIG_S_DRIVER;
	struct virtio_net_config config;
	uint64_t features, model_features, start;
	int ret;

	if (port->device_started)
		return 0;
	/* Said once already; the guest must reconnect or reset. */
	if (port->restore_failed)
		return -EIO;
	if (port->mem.nregions == 0) {
		SVQ_PORT_LOG(port, ERR, "vring ready before any memory table");
		return -EINVAL;
	}
	start = rte_get_tsc_cycles();
	port->last_replay_us = 0;
	port->last_replay_commands = 0;
	/* The device sees the guest's device-class features; ring features
	 * are the relay's business on each side, and so are the control
	 * features when the relay answers the control queue. */
	model_features = port->guest_features & SVQ_PASSTHROUGH_FEATURES;
	features = model_features & dev->ops->get_features(dev);

	dev->ops->set_status(dev, 0);
	dev->ops->set_status(dev, status);
	ret = dev->ops->set_features(dev, features);
	if (ret == 0) {
		status |= VIRTIO_CONFIG_S_FEATURES_OK;
		dev->ops->set_status(dev, status);
		if (!(dev->ops->get_status(dev) & VIRTIO_CONFIG_S_FEATURES_OK))
			ret = -ENOTSUP;
	}
	if (ret < 0) {
		SVQ_PORT_LOG(port, ERR, "device refused features 0x%" PRIx64,
			features);
		dev->ops->set_status(dev, VIRTIO_CONFIG_S_FAILED);
		return ret;
	}
	svq_port_dma_map_guest(port, true);
	dev->ops->dma_map(dev, SVQ_SHADOW_IOVA_BASE, port->shadow_len,
			port->shadow_base, port->shadow_fd, 0);

	/* A freshly reset device holds the default state. */
	dev->ops->get_config(dev, &config, 0, sizeof(config));
	rte_spinlock_lock(&port->net_lock);
	svq_net_state_init(&port->net, model_features,
		(const struct rte_ether_addr *)config.mac, port->nb_queue_pairs);
	port->net_valid = true;
	rte_spinlock_unlock(&port->net_lock);

	/* A device may use no vring before DRIVER_OK: set it before the
	 * control vring carries a replay, with every data vring still off
	 * (the order QEMU restores a vhost-vdpa device in). */
	dev->ops->set_status(dev, status | VIRTIO_CONFIG_S_DRIVER_OK);
	if (model_features & (UINT64_C(1) << VIRTIO_NET_F_CTRL_VQ)) {
		ret = svq_port_ctrl_start(port, model_features);
		if (ret < 0) {
			svq_port_dma_map_guest(port, false);
			dev->ops->dma_unmap(dev, SVQ_SHADOW_IOVA_BASE,
					port->shadow_len);
			dev->ops->set_status(dev, VIRTIO_CONFIG_S_FAILED);
			return ret;
		}
	}
	port->device_started = true;
	port->device_starts++;
	port->last_start_us = svq_tsc_us_since(start);
	SVQ_PORT_LOG(port, INFO, "device %s started in %.1f us, features 0x%" PRIx64 "%s",
		dev->name, port->last_start_us, features, port->emulated_ctrl &&
		(model_features & (UINT64_C(1) << VIRTIO_NET_F_CTRL_VQ)) ?
		"; the relay answers the control queue" : "");
	return 0;
}

static void
svq_port_device_stop(struct svq_port *port)
{
	struct svq_device *dev = port->dev;

	if (!port->device_started)
		return;
	dev->ops->set_status(dev, 0);
	svq_port_dma_map_guest(port, false);
	dev->ops->dma_unmap(dev, SVQ_SHADOW_IOVA_BASE, port->shadow_len);
	port->device_started = false;
	SVQ_PORT_LOG(port, INFO, "device %s reset", dev->name);
}

/* Called after SET_MEM_TABLE, with every vring stopped. */
static int
svq_port_refresh_mem(struct svq_port *port)
{
	struct rte_vhost_memory *table = NULL;
	uint32_t i;

	if (rte_vhost_get_mem_table(port->vid, &table) != 0)
		return -EIO;
	if (table->nregions > SVQ_MEM_MAX_REGIONS) {
		SVQ_PORT_LOG(port, ERR, "%u memory regions, at most %u supported",
			table->nregions, SVQ_MEM_MAX_REGIONS);
		free(table);
		return -E2BIG;
	}
	for (i = 0; i < table->nregions; i++) {
		uint64_t gpa = table->regions[i].guest_phys_addr;

		/* Translation works on offsets into a region: it must not
		 * wrap past 2^64 (it may end there). */
		if (table->regions[i].size == 0 ||
				gpa > 0 - table->regions[i].size) {
			SVQ_PORT_LOG(port, ERR,
				"memory region 0x%" PRIx64 "+0x%" PRIx64 " wraps past 2^64",
				gpa, table->regions[i].size);
			free(table);
			return -EINVAL;
		}
	}
	if (port->device_started)
		svq_port_dma_map_guest(port, false);
	port->mem.nregions = table->nregions;
	for (i = 0; i < table->nregions; i++) {
		port->mem.regions[i].gpa = table->regions[i].guest_phys_addr;
		port->mem.regions[i].size = table->regions[i].size;
		port->mem.regions[i].hva = table->regions[i].host_user_addr;
		/* librte_vhost maps each region's file from offset 0 and
		 * skips the frontend's mmap_offset. */
		port->mem.regions[i].fd = table->regions[i].fd;
		port->mem.regions[i].fd_offset = table->regions[i].host_user_addr -
			(uint64_t)(uintptr_t)table->regions[i].mmap_addr;
	}
	if (port->device_started)
		svq_port_dma_map_guest(port, true);
	free(table);	/* a malloc()ed copy, see rte_vhost_get_mem_table() */
	return 0;
}

/* ---- vring start and stop ------------------------------------------- */

/* While the frontend migrates (LOG_ALL and a log area from SET_LOG_BASE),
 * the log a vring writes into; otherwise an empty one. */
static void
svq_port_dirty_log(struct svq_port *port, const struct rte_vhost_vring *vring,
		struct svq_dirty_log *log)
{
	uint64_t base = 0, size = 0;

	memset(log, 0, sizeof(*log));
	if (!(port->guest_features & (UINT64_C(1) << VHOST_F_LOG_ALL)) ||
			rte_vhost_get_log_base(port->vid, &base, &size) != 0 ||
			base == 0 || size < sizeof(uint64_t))
		return;
	if (base % sizeof(uint64_t) != 0) {
		SVQ_PORT_MIGRATE_LOG(port, ERR, "dirty log not 8-byte aligned; not logging");
		return;
	}
	log->bitmap = (uint64_t *)(uintptr_t)base;
	log->nr_pages = size / sizeof(uint64_t) * 64;
	log->used_gpa = vring->log_guest_addr;
}

/*
 * Mode on-migration keeps data vrings off the shadow rings until the
 * frontend logs dirty pages: only the relay can log what the device
 * writes. The device takes a single base for both indices, so a guest
 * ring with chains outstanding (a base that lost some) stays shadowed.
 */
static bool
svq_queue_passthrough_wanted(struct svq_port *port, const struct svq_queue *q,
		uint16_t last_avail, uint16_t last_used)
{
	if (port->mode != SVQ_PORT_MODE_ON_MIGRATION || q->ctrl != NULL ||
			(port->guest_features & (UINT64_C(1) << VHOST_F_LOG_ALL)))
		return false;
	if (last_avail != last_used) {
		SVQ_PORT_LOG(port, WARNING,
			"q%u: avail %u and used %u differ; shadowed, not passed through",
			q->qid, last_avail, last_used);
		return false;
	}
	return true;
}

/* Give the device the guest's own ring, at its guest-physical addresses:
 * guest memory is mapped in the device at IOVA == GPA. */
static int
svq_queue_start_passthrough(struct svq_port *port, struct svq_queue *q,
		const struct rte_vhost_vring *vring, uint16_t base, bool event_idx)
{
	struct svq_device *dev = port->dev;
	uint64_t desc, avail, used;
	struct svq_ring guest;
	int ret;

	/* avail: flags, idx, ring[size], used_event; used: flags, idx,
	 * ring[size], avail_event */
	if (svq_mem_hva_to_gpa(&port->mem, vring->desc,
				sizeof(struct vring_desc) * vring->size, &desc) < 0 ||
			svq_mem_hva_to_gpa(&port->mem, vring->avail,
				sizeof(uint16_t) * (3 + vring->size), &avail) < 0 ||
			svq_mem_hva_to_gpa(&port->mem, vring->used,
				sizeof(uint16_t) * 3 +
				sizeof(struct vring_used_elem) * vring->size,
				&used) < 0) {
		SVQ_PORT_LOG(port, WARNING,
			"q%u: ring not inside one guest memory region; shadowed",
			q->qid);
		return -EFAULT;
	}
	dev->ops->set_vring_num(dev, q->qid, vring->size);
	dev->ops->set_vring_addr(dev, q->qid, desc, avail, used);
	dev->ops->set_vring_base(dev, q->qid, base);
	ret = dev->ops->set_vring_enable(dev, q->qid, true);
	if (ret < 0) {
		SVQ_PORT_LOG(port, ERR, "q%u: device refused the guest ring",
			q->qid);
		return ret;
	}
	guest.desc = vring->desc;
	guest.avail = vring->avail;
	guest.used = vring->used;
	svq_shadow_passthrough_start(&q->vq, &guest, vring->size, base,
		event_idx, vring->callfd);
	q->passthrough = true;
	return 0;
}

/* How long the queue's worker polls it idle before sleeping, and what
 * wakes the worker then: the guest's kicks, the device's calls. A device
 * on the guest's ring in passthrough is polled: its worker never sleeps. */
static void
svq_queue_watch(struct svq_port *port, struct svq_queue *q, int kickfd)
{
	switch (q->passthrough ? SVQ_PORT_NOTIFY_POLL : port->notify) {
	case SVQ_PORT_NOTIFY_INTERRUPT:
		q->idle_cycles = 0;
		break;
	case SVQ_PORT_NOTIFY_ADAPTIVE:
		q->idle_cycles = rte_get_tsc_hz() / 1000000 * SVQ_ADAPTIVE_IDLE_US;
		break;
	default:
		q->idle_cycles = UINT64_MAX;
		return;
	}
	q->watch_fds[0] = kickfd;
	q->watch_fds[1] = q->device_calls ? q->device_callfd : -1;
	svq_worker_watch(q);
}

static void
svq_queue_unwatch(struct svq_queue *q)
{
	svq_worker_unwatch(q);
	q->watch_fds[0] = q->watch_fds[1] = -1;
}

static int
svq_queue_start(struct svq_port *port, struct svq_queue *q)
{
	struct svq_device *dev = port->dev;
	struct rte_vhost_vring vring;
	uint16_t last_avail, last_used;
	uint64_t iova;
	struct svq_dirty_log log;
	struct svq_ring guest;
	uint8_t *slot;
	bool event_idx;
	int ret;

	if (q->started || port->closing || port->device_lost)
		return 0;
	if (rte_vhost_get_vhost_vring(port->vid, q->qid, &vring) != 0 ||
			vring.desc == NULL || vring.avail == NULL ||
			vring.used == NULL)
		return 0;	/* not usable yet; a later message readies it */
	if (vring.size > port->max_ring_size) {
		SVQ_PORT_LOG(port, ERR, "q%u: ring size %u above the device's %u",
			q->qid, vring.size, port->max_ring_size);
		return -EINVAL;
	}
	ret = svq_port_device_start(port);
	if (ret < 0)
		return ret;
	rte_vhost_get_vring_base(port->vid, q->qid, &last_avail, &last_used);

	guest.desc = vring.desc;
	guest.avail = vring.avail;
	guest.used = vring.used;
	event_idx = port->guest_features & (UINT64_C(1) << VIRTIO_RING_F_EVENT_IDX);
	/* Workers poll the avail ring, so ask the guest not to kick. Under
	 * EVENT_IDX the guest reads avail_event instead, which we never
	 * advance: it then kicks about once per 64K buffers. */
	if (!event_idx)
		__atomic_store_n(&vring.used->flags, VRING_USED_F_NO_NOTIFY,
				__ATOMIC_RELAXED);

	if (q->ctrl != NULL) {
		if (!(port->guest_features & (UINT64_C(1) << VIRTIO_NET_F_CTRL_VQ))) {
			SVQ_PORT_LOG(port, ERR, "control vring set up without VIRTIO_NET_F_CTRL_VQ");
			return -EINVAL;
		}
		svq_ctrl_guest_start(q->ctrl, &guest, vring.size, &port->mem,
			last_avail, last_used, event_idx, vring.callfd);
		svq_port_dirty_log(port, &vring, &log);
		svq_ctrl_set_log(q->ctrl, &log);
		goto running;
	}

	if (svq_queue_passthrough_wanted(port, q, last_avail, last_used)) {
		ret = svq_queue_start_passthrough(port, q, &vring, last_used,
				event_idx);
		if (ret == 0) {
			memset(&log, 0, sizeof(log));
			goto running;
		}
		if (ret != -EFAULT)
			return ret;
		/* a ring the device cannot address: shadow it */
	}

	slot = port->shadow_base + (size_t)q->qid * port->shadow_slot;
	iova = SVQ_SHADOW_IOVA_BASE + (uint64_t)q->qid * port->shadow_slot;
	ret = svq_shadow_start(&q->vq, &guest, vring.size, slot, &port->mem,
			last_avail, last_used, event_idx, vring.callfd);
	if (ret < 0) {
		if (ret == -EINVAL)
			SVQ_PORT_LOG(port, ERR,
				"q%u: cannot shadow ring of size %u (a power of two up to %u, descriptors 16-, avail 2-, used 4-byte aligned)",
				q->qid, vring.size, SVQ_RING_SIZE_MAX);
		else
			SVQ_PORT_LOG(port, ERR, "q%u: cannot shadow ring of size %u: %s",
				q->qid, vring.size, strerror(-ret));
		return ret;
	}
	svq_port_dirty_log(port, &vring, &log);
	svq_shadow_set_log(&q->vq, &log);
	dev->ops->set_vring_num(dev, q->qid, vring.size);
	dev->ops->set_vring_addr(dev, q->qid, iova,
			iova + svq_shadow_avail_offset(vring.size),
			iova + svq_shadow_used_offset(vring.size));
	dev->ops->set_vring_base(dev, q->qid, 0);
	/* A device that runs by itself can wake a sleeping worker. */
	q->device_calls = port->notify != SVQ_PORT_NOTIFY_POLL &&
		dev->ops->set_vring_call != NULL && q->device_callfd >= 0 &&
		dev->ops->set_vring_call(dev, q->qid, q->device_callfd) == 0;
	q->device_enabled = svq_port_device_vring_wanted(port, q->qid);
	ret = q->device_enabled ?
		dev->ops->set_vring_enable(dev, q->qid, true) : 0;
	if (ret < 0) {
		SVQ_PORT_LOG(port, ERR, "q%u: device refused to enable the vring",
			q->qid);
		return ret;
	}
running:
	q->started = true;
	svq_queue_watch(port, q, vring.kickfd);
	/* Release: the configuration above is visible to the worker before
	 * it sees the queue running. */
	__atomic_store_n(&q->running, 1, __ATOMIC_RELEASE);
	svq_worker_wake(q->lcore);
	SVQ_PORT_LOG(port, INFO, "q%u: %s on lcore %u, size %u, avail %u used %u%s",
		q->qid, q->passthrough ? "passthrough (device on the guest ring)" :
		"relaying", q->lcore, vring.size, last_avail, last_used,
		log.bitmap != NULL ? ", logging dirty pages" : "");
	return 0;
}

/*
 * With every worker off vrings [first, first + count), let the device
 * finish what it holds: a software device delivers the frames it already
 * took into RX buffers it already has, so a frame in flight is not lost
 * with the device. Bounded: it stops at the first pass without progress.
 */
static void
svq_queues_drain(struct svq_port *port, uint16_t first, uint16_t count)
{
	struct svq_device *dev = port->dev;
	unsigned int pass;
	uint16_t qid;

	if (dev->ops->poll == NULL)
		return;
	for (pass = 0; pass < SVQ_DRAIN_PASSES; pass++) {
		bool progress = false;

		for (qid = first; qid < first + count; qid++) {
			struct svq_queue *q = &port->queues[qid];

			if (!q->started || q->ctrl != NULL)
				continue;
			dev->ops->poll(dev, qid);
			progress |= (q->passthrough ?
				svq_shadow_passthrough_used(&q->vq) :
				svq_shadow_forward_used(&q->vq)) != 0;
		}
		if (!progress)
			break;
	}
}

/* Stop vrings [first, first + count): no worker touches them afterwards,
 * the device has finished with them and the library holds their base. */
static void
svq_queues_stop(struct svq_port *port, uint16_t first, uint16_t count)
{
	struct svq_device *dev = port->dev;
	bool any = false;
	uint16_t qid;

	for (qid = first; qid < first + count; qid++) {
		if (!port->queues[qid].started)
			continue;
		__atomic_store_n(&port->queues[qid].running, 0,
				__ATOMIC_RELEASE);
		any = true;
	}
	if (!any)
		return;
	svq_workers_synchronize();
	svq_queues_drain(port, first, count);

	for (qid = first; qid < first + count; qid++) {
		struct svq_queue *q = &port->queues[qid];
		uint16_t device_base = q->passthrough ? q->vq.guest_used :
			q->vq.shadow_avail;
		int lost, ret;

		if (!q->started)
			continue;
		if (q->ctrl != NULL) {
			/* The device's control vring stays on the relay's
			 * ring until the device is reset. */
			svq_queue_unwatch(q);
			svq_ctrl_guest_stop(q->ctrl);
			if (port->vid >= 0)
				rte_vhost_set_vring_base(port->vid, qid,
					q->ctrl->guest_last_avail, q->ctrl->guest_used);
			q->started = false;
			continue;
		}
		svq_queue_unwatch(q);
		dev->ops->set_vring_enable(dev, qid, false);
		ret = dev->ops->get_vring_base(dev, qid, &device_base);
		if (q->passthrough) {
			lost = svq_shadow_passthrough_stop(&q->vq, device_base);
			q->passthrough = false;
		} else if (ret < 0) {
			/* a device that vanished: take back what it did not
			 * complete */
			lost = svq_shadow_stop_lost(&q->vq);
		} else {
			lost = svq_shadow_stop(&q->vq, device_base);
		}
		if (lost != 0)
			SVQ_PORT_MIGRATE_LOG(port, WARNING, "q%u: %d buffers not returned",
				qid, lost);
		if (port->vid >= 0)
			rte_vhost_set_vring_base(port->vid, qid,
					q->vq.guest_last_avail, q->vq.guest_used);
		q->started = false;
		SVQ_PORT_MIGRATE_LOG(port, INFO, "q%u: stopped at avail %u used %u",
			qid, q->vq.guest_last_avail, q->vq.guest_used);
	}
}

static void
svq_queues_restart_ready(struct svq_port *port)
{
	uint16_t qid;

	if (port->suspended)
		return;
	for (qid = 0; qid < port->nb_vrings; qid++)
		if (port->queues[qid].ready)
			svq_queue_start(port, &port->queues[qid]);
}

/* A switch between shadow rings and passthrough is complete: report it. */
static void
svq_port_switch_done(struct svq_port *port)
{
	uint16_t qid, passthrough = 0, started = 0;

	for (qid = 0; qid < port->nb_vrings; qid++) {
		passthrough += port->queues[qid].passthrough;
		started += port->queues[qid].started &&
			port->queues[qid].ctrl == NULL;
	}
	port->last_switch_us = svq_tsc_us_since(port->switch_start);
	port->switch_start = 0;
	port->mode_switches++;
	SVQ_PORT_MIGRATE_LOG(port, INFO,
		"%u data vrings %s in %.1f us",
		started, passthrough != 0 ? "back on the guest rings (passthrough)" :
		"on shadow rings", port->last_switch_us);
}

static void
svq_port_disconnect(struct svq_port *port)
{
	uint16_t qid;

	svq_queues_stop(port, 0, port->nb_vrings);
	for (qid = 0; qid < port->nb_vrings; qid++)
		port->queues[qid].ready = false;
	svq_port_device_stop(port);
	port->mem.nregions = 0;
	port->guest_features = 0;
	port->restore_failed = false;
	port->suspended = false;
}

/* ---- librte_vhost callbacks ----------------------------------------- */

static int
svq_vhost_vring_index(struct svq_port *port, const void *msg,
		uint32_t request, uint16_t *qid)
{
	uint32_t idx = svq_vhost_msg_u32(msg, 0);

	if (request == SVQ_VHOST_USER_SET_VRING_KICK ||
			request == SVQ_VHOST_USER_SET_VRING_CALL ||
			request == SVQ_VHOST_USER_SET_VRING_ERR)
		idx &= SVQ_VHOST_VRING_IDX_MASK;
	if (idx >= port->nb_vrings) {
		SVQ_PORT_LOG(port, ERR,
			"%s for vring %u, but the port has %u (queues=%u); refused",
			svq_vhost_request_name(request), idx, port->nb_vrings,
			port->nb_queue_pairs);
		return -EINVAL;
	}
	*qid = idx;
	return 0;
}

static enum rte_vhost_msg_result
svq_vhost_pre_msg(int vid, void *msg)
{
	struct svq_port *port = svq_port_by_vid(vid);
	uint32_t request = svq_vhost_msg_request(msg);
	enum rte_vhost_msg_result result = RTE_VHOST_MSG_RESULT_NOT_HANDLED;
	uint16_t qid;

	if (port == NULL)
		return RTE_VHOST_MSG_RESULT_ERR;
	pthread_mutex_lock(&port->lock);
	switch (request) {
	case SVQ_VHOST_USER_GET_QUEUE_NUM: {
		/* librte_vhost 22.11 cannot be told the port's size and
		 * would answer 128. */
		uint64_t nb = port->nb_queue_pairs;
		struct svq_vhost_msg_hdr *hdr = msg;

		memcpy((uint8_t *)msg + sizeof(*hdr), &nb, sizeof(nb));
		hdr->size = sizeof(nb);
		result = RTE_VHOST_MSG_RESULT_REPLY;
		break;
	}
	case SVQ_VHOST_USER_SET_VRING_NUM:
	case SVQ_VHOST_USER_SET_VRING_ADDR:
	case SVQ_VHOST_USER_SET_VRING_BASE:
	case SVQ_VHOST_USER_GET_VRING_BASE:
	case SVQ_VHOST_USER_SET_VRING_KICK:
	case SVQ_VHOST_USER_SET_VRING_CALL:
	case SVQ_VHOST_USER_SET_VRING_ERR:
	case SVQ_VHOST_USER_SET_VRING_ENABLE:
		if (svq_vhost_vring_index(port, msg, request, &qid) < 0) {
			result = RTE_VHOST_MSG_RESULT_ERR;
			break;
		}
		if (request == SVQ_VHOST_USER_SET_VRING_BASE)
			svq_port_migration_check_base(port, qid,
				svq_vhost_msg_u32(msg, 1));
		if (request == SVQ_VHOST_USER_GET_VRING_BASE) {
			/* The frontend is stopping the device (librte_vhost
			 * itself calls destroy_device here): stop all of it
			 * at once, or a vring still running would feed one
			 * already stopped, and keep it stopped until a vring
			 * is set up again. */
			svq_port_suspend(port);
		} else {
			svq_queues_stop(port, qid, 1);
		}
		/* These leave the vring unusable, but librte_vhost reports
		 * that only after the post-message hook. */
		if (request == SVQ_VHOST_USER_GET_VRING_BASE ||
				(request == SVQ_VHOST_USER_SET_VRING_ENABLE &&
				 svq_vhost_msg_u32(msg, 1) == 0))
			port->queues[qid].ready = false;
		break;
	case SVQ_VHOST_USER_RESET_OWNER:
		svq_port_disconnect(port);
		break;
	case SVQ_VHOST_USER_SET_FEATURES: {
		uint64_t log_all = UINT64_C(1) << VHOST_F_LOG_ALL;

		/* Migration starts or ends: in mode on-migration the data
		 * vrings change rings, here and in the post-message hook. */
		if (port->mode == SVQ_PORT_MODE_ON_MIGRATION &&
				(svq_vhost_msg_u32(msg, 0) ^ port->guest_features) &
				log_all)
			port->switch_start = rte_get_tsc_cycles();
		svq_queues_stop(port, 0, port->nb_vrings);
		break;
	}
	case SVQ_VHOST_USER_SET_MEM_TABLE:
	case SVQ_VHOST_USER_SET_LOG_BASE:
	case SVQ_VHOST_USER_SET_LOG_FD:
		svq_queues_stop(port, 0, port->nb_vrings);
		break;
	default:
		break;
	}
	pthread_mutex_unlock(&port->lock);
	SVQ_LOG(port, DEBUG, "%s: %s", port->name,
		svq_vhost_request_name(request));
	return result;
}

static enum rte_vhost_msg_result
svq_vhost_post_msg(int vid, void *msg)
{
	struct svq_port *port = svq_port_by_vid(vid);
	uint32_t request = svq_vhost_msg_request(msg);

	if (port == NULL)
		return RTE_VHOST_MSG_RESULT_ERR;
	pthread_mutex_lock(&port->lock);
	switch (request) {
	case SVQ_VHOST_USER_SET_MEM_TABLE:
		if (svq_port_refresh_mem(port) < 0)
			SVQ_PORT_LOG(port, ERR, "cannot read the memory table");
		break;
	case SVQ_VHOST_USER_SET_FEATURES: {
		uint64_t old = port->guest_features;

		rte_vhost_get_negotiated_features(vid, &port->guest_features);
		/* A guest that renegotiates without reconnecting (a reboot)
		 * gets a fresh device; LOG_ALL alone, as migration toggles
		 * it, changes nothing the device sees. Every vring was
		 * stopped before the message. */
		if (port->device_started &&
				((old ^ port->guest_features) & SVQ_PASSTHROUGH_FEATURES))
			svq_port_device_stop(port);
		break;
	}
	case SVQ_VHOST_USER_GET_VRING_BASE:
		svq_port_migration_note_base(port, msg);
		break;
	default:
		break;
	}
	svq_queues_restart_ready(port);
	if (port->switch_start != 0)
		svq_port_switch_done(port);
	pthread_mutex_unlock(&port->lock);
	return RTE_VHOST_MSG_RESULT_NOT_HANDLED;
}

static const struct rte_vhost_user_extern_ops svq_vhost_extern_ops = {
	.pre_msg_handle = svq_vhost_pre_msg,
	.post_msg_handle = svq_vhost_post_msg,
};

static int
svq_vhost_new_connection(int vid)
{
	struct svq_port *port = svq_port_by_vid(vid);

	if (port == NULL)
		return -1;
	pthread_mutex_lock(&port->lock);
	port->vid = vid;
	rte_vhost_extern_callback_register(vid, &svq_vhost_extern_ops, port);
	pthread_mutex_unlock(&port->lock);
	SVQ_PORT_LOG(port, INFO, "frontend connected");
	return 0;
}

static void
svq_vhost_destroy_connection(int vid)
{
	struct svq_port *port = svq_port_by_vid(vid);

	if (port == NULL)
		return;
	/* librte_vhost reports no vring state change on disconnect; the
	 * memory is still mapped here and unmapped right after. */
	pthread_mutex_lock(&port->lock);
	svq_port_disconnect(port);
	port->vid = -1;
	pthread_mutex_unlock(&port->lock);
	SVQ_PORT_LOG(port, INFO, "frontend disconnected");
}

/*
 * A frontend that keeps the control queue to itself (QEMU, net_virtio_user)
 * turns queue-pair changes into vring enables: follow them in the model.
 * Only while pair 0 runs: a running guest never turns pair 0 off, and a
 * frontend stopping the device (GET_VRING_BASE, disables) starts with
 * pair 0, so stopping must not erase the configuration being migrated.
 */
static void
svq_port_track_pairs(struct svq_port *port)
{
	uint16_t qid, pairs = 1;

	if ((port->guest_features & (UINT64_C(1) << VIRTIO_NET_F_CTRL_VQ)) ||
			!port->queues[0].ready)
		return;
	for (qid = 0; qid < 2 * port->nb_queue_pairs; qid++)
		if (port->queues[qid].ready)
			pairs = RTE_MAX(pairs, (uint16_t)(qid / 2 + 1));
	rte_spinlock_lock(&port->net_lock);
	port->net.curr_pairs = pairs;
	rte_spinlock_unlock(&port->net_lock);
}

static int
svq_vhost_vring_state_changed(int vid, uint16_t qid, int enable)
{
	struct svq_port *port = svq_port_by_vid(vid);
	struct svq_queue *q;

	if (port == NULL || qid >= port->nb_vrings)
		return 0;
	pthread_mutex_lock(&port->lock);
	q = &port->queues[qid];
	q->ready = enable;
	if (enable) {
		port->suspended = false;
		svq_queue_start(port, q);
	}
	else
		svq_queues_stop(port, qid, 1);
	svq_port_track_pairs(port);
	pthread_mutex_unlock(&port->lock);
	return 0;
}

static int
svq_vhost_new_device(int vid)
{
	struct svq_port *port = svq_port_by_vid(vid);

	if (port != NULL)
		SVQ_PORT_LOG(port, INFO, "all vrings ready");
	return 0;
}

static void
svq_vhost_destroy_device(int vid)
{
	/* Vrings are stopped one by one in the pre-message hook. */
	RTE_SET_USED(vid);
}

static const struct rte_vhost_device_ops svq_vhost_ops = {
	.new_device = svq_vhost_new_device,
	.destroy_device = svq_vhost_destroy_device,
	.vring_state_changed = svq_vhost_vring_state_changed,
	.new_connection = svq_vhost_new_connection,
	.destroy_connection = svq_vhost_destroy_connection,
};

/* ---- public API ----------------------------------------------------- */

static int
svq_port_alloc_shadow(struct svq_port *port)
{
	size_t page = (size_t)sysconf(_SC_PAGESIZE);

	port->shadow_slot = RTE_ALIGN_CEIL(
			svq_shadow_ring_bytes(port->max_ring_size), page);
	port->shadow_ctrl_off = port->shadow_slot * 2 * port->nb_queue_pairs;
	port->shadow_len = port->shadow_ctrl_off +
		RTE_ALIGN_CEIL(svq_ctrl_area_bytes(), page);
	port->shadow_fd = memfd_create("svq-shadow", MFD_CLOEXEC);
	if (port->shadow_fd < 0)
		return -errno;
	/* Pages are allocated on first touch: slots sized for the largest
	 * ring cost only what the guest's rings use. */
	if (ftruncate(port->shadow_fd, port->shadow_len) < 0)
		return -errno;
	port->shadow_base = mmap(NULL, port->shadow_len,
			PROT_READ | PROT_WRITE, MAP_SHARED, port->shadow_fd, 0);
	if (port->shadow_base == MAP_FAILED) {
		port->shadow_base = NULL;
		return -errno;
	}
	return 0;
}

static void
svq_port_free(struct svq_port *port)
{
	uint16_t qid;

	if (port->queues != NULL)
		for (qid = 0; qid < port->nb_vrings; qid++) {
			svq_shadow_free(&port->queues[qid].vq);
			if (port->queues[qid].device_callfd >= 0)
				close(port->queues[qid].device_callfd);
		}
	if (port->shadow_base != NULL)
		munmap(port->shadow_base, port->shadow_len);
	if (port->shadow_fd >= 0)
		close(port->shadow_fd);
	svq_device_destroy(port->dev);
	rte_free(port->ctrl);
	rte_free(port->queues);
	pthread_mutex_destroy(&port->lock);
	rte_free(port);
}

static int
svq_port_check_device(struct svq_port *port)
{
	struct svq_device *dev = port->dev;
	uint64_t features = dev->ops->get_features(dev);
	struct virtio_net_config config;

	if (!(features & (UINT64_C(1) << VIRTIO_F_VERSION_1))) {
		SVQ_PORT_LOG(port, ERR, "device %s does not offer VIRTIO_F_VERSION_1",
			dev->name);
		return -ENOTSUP;
	}
	if (port->nb_queue_pairs > 1) {
		if (!(features & (UINT64_C(1) << VIRTIO_NET_F_MQ)) ||
				dev->ops->get_config(dev, &config, 0,
					sizeof(config)) < 0 ||
				config.max_virtqueue_pairs < port->nb_queue_pairs) {
			SVQ_PORT_LOG(port, ERR, "device %s has fewer than %u queue pairs",
				dev->name, port->nb_queue_pairs);
			return -ENOTSUP;
		}
	}
	if (port->mode == SVQ_PORT_MODE_ON_MIGRATION && dev->ops->poll == NULL) {
		SVQ_PORT_LOG(port, ERR, "device %s cannot run on guest rings: mode on-migration needs a device the relay polls",
			dev->name);
		return -ENOTSUP;
	}
	port->max_ring_size = RTE_MIN(dev->ops->get_vq_num_max(dev),
			(uint16_t)SVQ_RING_SIZE_MAX);
	/* Every port has a control vring, the last: the device's own, or
	 * answered by the relay for a device without one. */
	port->emulated_ctrl = !(features & (UINT64_C(1) << VIRTIO_NET_F_CTRL_VQ));
	port->nb_vrings = 2 * port->nb_queue_pairs + 1;
	/* Every completion passes through the relay, so it can log the
	 * pages the device wrote whatever the device: LOG_ALL is ours. */
	port->offered_features = (features & SVQ_PASSTHROUGH_FEATURES) |
		(port->emulated_ctrl ? SVQ_EMULATED_CTRL_FEATURES : 0) |
		SVQ_GUEST_RING_FEATURES |
		(UINT64_C(1) << VHOST_F_LOG_ALL) |
		(UINT64_C(1) << VHOST_USER_F_PROTOCOL_FEATURES);
	if (port->nb_queue_pairs == 1)
		port->offered_features &= ~(UINT64_C(1) << VIRTIO_NET_F_MQ);
	return 0;
}

/*
 * A device that can fail on its own (a backend process) reports it from
 * its thread. Lost: stop every vring as for a device stop -- the guest's
 * rings stay valid, chains the device did not complete are given back --
 * and start nothing until it is back, from reset, at the guest's bases.
 */
static void
svq_port_device_event(struct svq_device *dev, enum svq_device_event event,
		void *arg)
{
	struct svq_port *port = arg;

	pthread_mutex_lock(&port->lock);
	if (event == SVQ_DEVICE_EVENT_LOST) {
		SVQ_PORT_LOG(port, ERR, "device %s lost; the guest's vrings wait for it",
			dev->name);
		svq_queues_stop(port, 0, port->nb_vrings);
		/* What the guest set is replayed on the device that comes
		 * back, unless a replay is already waiting. */
		if (port->device_started && !port->restore_pending &&
				(port->guest_features &
				 (UINT64_C(1) << VIRTIO_NET_F_CTRL_VQ))) {
			rte_spinlock_lock(&port->net_lock);
			port->restore = port->net;
			rte_spinlock_unlock(&port->net_lock);
			port->restore_pending = true;
		}
		svq_port_device_stop(port);
		port->device_lost = true;
	} else {
		port->device_lost = false;
		SVQ_PORT_LOG(port, INFO, "device %s back; restarting the ready vrings",
			dev->name);
		svq_queues_restart_ready(port);
	}
	pthread_mutex_unlock(&port->lock);
}

struct svq_port *
svq_port_create(const struct svq_port_params *params)
{
	struct svq_port *port;
	struct svq_queue *ctrl_q;
	uint16_t qid;
	int ret;

	if (params->dev == NULL)
		return NULL;
	if (params->path == NULL || params->path[0] == '\0' ||
			strlen(params->path) >= sizeof(port->path) ||
			params->nb_queue_pairs == 0 ||
			params->nb_queue_pairs > SVQ_MAX_QUEUE_PAIRS) {
		SVQ_LOG(port, ERR, "invalid port parameters (queues 1..%u)",
			SVQ_MAX_QUEUE_PAIRS);
		svq_device_destroy(params->dev);
		return NULL;
	}
	port = rte_zmalloc("svq_port", sizeof(*port), RTE_CACHE_LINE_SIZE);
	if (port == NULL) {
		svq_device_destroy(params->dev);
		return NULL;
	}
	pthread_mutex_init(&port->lock, NULL);
	port->shadow_fd = -1;
	port->vid = -1;
	port->dev = params->dev;
	port->client = params->client;
	port->mode = params->mode;
	port->notify = params->notify;
	port->nb_queue_pairs = params->nb_queue_pairs;
	rte_spinlock_init(&port->net_lock);
	rte_strscpy(port->path, params->path, sizeof(port->path));
	pthread_mutex_lock(&svq_ports_lock);
	snprintf(port->name, sizeof(port->name), "port%u", svq_port_next_id++);
	pthread_mutex_unlock(&svq_ports_lock);

	if (svq_port_check_device(port) < 0)
		goto fail;
	port->dev->event_arg = port;
	__atomic_store_n(&port->dev->event_cb, svq_port_device_event,
			__ATOMIC_RELEASE);
	port->queues = rte_zmalloc("svq_queues",
			sizeof(*port->queues) * port->nb_vrings,
			RTE_CACHE_LINE_SIZE);
	if (port->queues == NULL)
		goto fail;
	for (qid = 0; qid < port->nb_vrings; qid++) {
		struct svq_queue *q = &port->queues[qid];

		snprintf(q->name, sizeof(q->name), "%s q%u", port->name, qid);
		svq_shadow_init(&q->vq, q->name);
		q->dev = port->dev;
		q->qid = qid;
		q->port = port;
		q->lcore = SVQ_LCORE_UNSET;
		q->idle_cycles = UINT64_MAX;
		q->watch_fds[0] = q->watch_fds[1] = -1;
		q->device_callfd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	}
	ret = svq_port_alloc_shadow(port);
	if (ret < 0) {
		SVQ_PORT_LOG(port, ERR, "cannot allocate shadow rings: %s",
			strerror(-ret));
		goto fail;
	}
	port->ctrl = rte_zmalloc("svq_ctrl", sizeof(*port->ctrl),
			RTE_CACHE_LINE_SIZE);
	if (port->ctrl == NULL)
		goto fail;
	ctrl_q = &port->queues[port->nb_vrings - 1];
	svq_ctrl_init(port->ctrl, ctrl_q->name, &ctrl_q->vq.stats, &port->net,
		&port->net_lock, port->shadow_base + port->shadow_ctrl_off,
		SVQ_SHADOW_IOVA_BASE + port->shadow_ctrl_off);
	ctrl_q->ctrl = port->ctrl;

	if (rte_vhost_driver_register(port->path,
			port->client ? RTE_VHOST_USER_CLIENT : 0) != 0) {
		SVQ_PORT_LOG(port, ERR, "cannot register the vhost-user socket");
		goto fail;
	}
	if (rte_vhost_driver_set_features(port->path, port->offered_features) ||
			rte_vhost_driver_set_protocol_features(port->path,
				SVQ_PROTOCOL_FEATURES) ||
			rte_vhost_driver_callback_register(port->path,
				&svq_vhost_ops)) {
		SVQ_PORT_LOG(port, ERR, "cannot configure the vhost-user socket");
		rte_vhost_driver_unregister(port->path);
		goto fail;
	}
	pthread_mutex_lock(&svq_ports_lock);
	TAILQ_INSERT_TAIL(&svq_ports, port, next);
	pthread_mutex_unlock(&svq_ports_lock);
	SVQ_PORT_LOG(port, INFO, "%u queue pairs, device %s, features 0x%" PRIx64,
		port->nb_queue_pairs, port->dev->name, port->offered_features);
	return port;

fail:
	svq_port_free(port);
	return NULL;
}

int
svq_port_set_lcore(struct svq_port *port, uint16_t qid, unsigned int lcore)
{
	struct svq_queue *q;
	int ret;

	if (qid >= port->nb_vrings)
		return -EINVAL;
	q = &port->queues[qid];
	if (q->lcore != SVQ_LCORE_UNSET)
		return -EBUSY;
	ret = svq_worker_add_queue(lcore, q);
	return ret;
}

int
svq_port_start(struct svq_port *port)
{
	uint16_t qid;

	for (qid = 0; qid < port->nb_vrings; qid++) {
		if (port->queues[qid].lcore == SVQ_LCORE_UNSET) {
			SVQ_PORT_LOG(port, ERR, "q%u has no lcore", qid);
			return -EINVAL;
		}
	}
	/* librte_vhost would only say that bind() failed. */
	if (!port->client && access(port->path, F_OK) == 0) {
		struct sockaddr_un sa = { .sun_family = AF_UNIX };
		int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
		bool listening;

		rte_strscpy(sa.sun_path, port->path, sizeof(sa.sun_path));
		listening = fd >= 0 &&
			connect(fd, (struct sockaddr *)&sa, sizeof(sa)) == 0;
		if (fd >= 0)
			close(fd);
		return listening ? -EADDRINUSE : -EEXIST;
	}
	if (rte_vhost_driver_start(port->path) != 0) {
		SVQ_PORT_LOG(port, ERR, "cannot start the vhost-user socket");
		return -EIO;
	}
	return 0;
}

void
svq_port_destroy(struct svq_port *port)
{
	uint16_t qid;

	if (port == NULL)
		return;
	/* librte_vhost 22.11 unregisters a connected socket by unmapping the
	 * guest's memory without calling destroy_connection: stop every vring
	 * while the memory is still there, and keep them stopped through any
	 * message handled meanwhile. Unregistering may still call back into
	 * the port, so the lock is not held across it. */
	pthread_mutex_lock(&port->lock);
	port->closing = true;
	svq_port_disconnect(port);
	pthread_mutex_unlock(&port->lock);
	rte_vhost_driver_unregister(port->path);
	rte_eal_alarm_cancel(svq_port_pairs_alarm, port);

	pthread_mutex_lock(&svq_ports_lock);
	TAILQ_REMOVE(&svq_ports, port, next);
	pthread_mutex_unlock(&svq_ports_lock);
	for (qid = 0; qid < port->nb_vrings; qid++)
		if (port->queues[qid].lcore != SVQ_LCORE_UNSET)
			svq_worker_remove_queue(&port->queues[qid]);
	SVQ_PORT_LOG(port, INFO, "destroyed");
	svq_port_free(port);
}

const char *
svq_port_name(const struct svq_port *port)
{
	return port->name;
}

const char *
svq_port_path(const struct svq_port *port)
{
	return port->path;
}

uint16_t
svq_port_nb_vrings(const struct svq_port *port)
{
	return port->nb_vrings;
}

bool
svq_port_connected(const struct svq_port *port)
{
	return __atomic_load_n(&port->vid, __ATOMIC_RELAXED) >= 0;
}

int
svq_port_get_net_state(struct svq_port *port, struct svq_net_state *state)
{
	int ret = -ENODATA;

	rte_spinlock_lock(&port->net_lock);
	if (port->net_valid) {
		*state = port->net;
		ret = 0;
	}
	rte_spinlock_unlock(&port->net_lock);
	return ret;
}

int
svq_port_set_restore_state(struct svq_port *port,
		const struct svq_net_state *state)
{
	if (state->max_pairs != port->nb_queue_pairs ||
			(state->features & ~port->offered_features) ||
			((state->features & (UINT64_C(1) << VIRTIO_NET_F_CTRL_VQ)) == 0 &&
			 state->features != 0)) {
		SVQ_PORT_LOG(port, ERR,
			"state for %u queue pairs, features 0x%" PRIx64 " cannot be restored here (%u pairs, offered 0x%" PRIx64 ", control queue needed)",
			state->max_pairs, state->features, port->nb_queue_pairs,
			port->offered_features);
		return -EINVAL;
	}
	pthread_mutex_lock(&port->lock);
	port->restore = *state;
	port->restore_pending = true;
	port->restore_failed = false;
	pthread_mutex_unlock(&port->lock);
	return 0;
}

int
svq_port_queue_stats(const struct svq_port *port, uint16_t qid,
		struct svq_queue_stats *stats, enum svq_queue_state *state,
		unsigned int *lcore)
{
	const struct svq_queue *q;

	if (qid >= port->nb_vrings)
		return -EINVAL;
	q = &port->queues[qid];
	*stats = q->vq.stats;
	if (q->vq.fault != SVQ_FAULT_NONE ||
			(q->ctrl != NULL && q->ctrl->fault != SVQ_FAULT_NONE))
		*state = SVQ_QUEUE_BROKEN;
	else if (__atomic_load_n(&q->running, __ATOMIC_RELAXED))
		*state = __atomic_load_n(&q->passthrough, __ATOMIC_RELAXED) ?
			SVQ_QUEUE_PASSTHROUGH : SVQ_QUEUE_RUNNING;
	else
		*state = SVQ_QUEUE_IDLE;
	*lcore = q->lcore;
	return 0;
}

/* ---- operator interface --------------------------------------------- */

int
svq_port_get_info(struct svq_port *port, struct svq_port_info *info)
{
	struct svq_device *dev = port->dev;
	struct virtio_net_config config;
	uint16_t qid;

	memset(info, 0, sizeof(*info));
	memset(&config, 0, sizeof(config));
	pthread_mutex_lock(&port->lock);
	rte_strscpy(info->device, dev->name, sizeof(info->device));
	if (dev->driver != NULL)
		rte_strscpy(info->driver, dev->driver->name,
			sizeof(info->driver));
	info->nb_queue_pairs = port->nb_queue_pairs;
	info->nb_vrings = port->nb_vrings;
	info->max_ring_size = port->max_ring_size;
	info->client = port->client;
	info->connected = port->vid >= 0;
	info->device_started = port->device_started;
	info->restore_pending = port->restore_pending;
	info->mode = port->mode;
	info->notify = port->notify;
	for (qid = 0; qid < port->nb_vrings; qid++)
		info->nb_passthrough += port->queues[qid].passthrough;
	info->mode_switches = port->mode_switches;
	info->last_switch_us = port->last_switch_us;
	info->device_features = dev->ops->get_features(dev);
	info->offered_features = port->offered_features;
	info->guest_features = port->guest_features;
	if (port->device_started)
		info->driver_features = port->guest_features &
			SVQ_PASSTHROUGH_FEATURES & info->device_features;
	info->device_status = dev->ops->get_status(dev);
	dev->ops->get_config(dev, &config, 0, sizeof(config));
	svq_port_migration_info(port, info);
	pthread_mutex_unlock(&port->lock);

	memcpy(info->mac, config.mac, sizeof(info->mac));
	info->link_status = config.status;
	info->max_virtqueue_pairs = config.max_virtqueue_pairs;
	info->mtu = config.mtu;
	info->rss_max_key_size = config.rss_max_key_size;
	info->rss_max_indirection_table_length =
		config.rss_max_indirection_table_length;
	info->supported_hash_types = config.supported_hash_types;
	return 0;
}

int
svq_port_set_name(struct svq_port *port, const char *name)
{
	uint16_t qid;
	int ret = 0;

	if (name == NULL || name[0] == '\0' || strlen(name) >= sizeof(port->name))
		return -EINVAL;
	pthread_mutex_lock(&port->lock);
	/* Workers and the data path log with the queue names: only while
	 * no worker can see the port. */
	for (qid = 0; qid < port->nb_vrings; qid++)
		if (port->queues[qid].lcore != SVQ_LCORE_UNSET)
			ret = -EBUSY;
	if (ret == 0 && strcmp(port->name, name) != 0) {
		SVQ_PORT_LOG(port, INFO, "renamed %s", name);
		rte_strscpy(port->name, name, sizeof(port->name));
		for (qid = 0; qid < port->nb_vrings; qid++)
			snprintf(port->queues[qid].name,
				sizeof(port->queues[qid].name), "%s q%u",
				port->name, qid);
	}
	pthread_mutex_unlock(&port->lock);
	return ret;
}

int
svq_port_move_queue(struct svq_port *port, uint16_t qid, unsigned int lcore)
{
	struct svq_queue *q;
	unsigned int old;
	uint32_t running;
	int ret;

	if (qid >= port->nb_vrings || lcore >= RTE_MAX_LCORE ||
			!rte_lcore_is_enabled(lcore) ||
			lcore == rte_get_main_lcore())
		return -EINVAL;
	q = &port->queues[qid];
	/* The port lock keeps the vhost-user thread from starting or
	 * stopping the vring meanwhile: its running flag is ours. */
	pthread_mutex_lock(&port->lock);
	old = q->lcore;
	if (old == lcore) {
		pthread_mutex_unlock(&port->lock);
		return 0;
	}
	if (old == SVQ_LCORE_UNSET) {
		ret = svq_worker_add_queue(lcore, q);
		pthread_mutex_unlock(&port->lock);
		return ret;
	}
	running = __atomic_load_n(&q->running, __ATOMIC_RELAXED);
	/* Release: pairs with the worker's acquire load; no new burst
	 * starts on the vring from here. */
	__atomic_store_n(&q->running, 0, __ATOMIC_RELEASE);
	/* Removal waits (svq_workers_synchronize) until the old worker has
	 * finished any burst it was in: its writes to the shadow ring,
	 * the device vring and the counters are visible to us, hence to
	 * the new worker after the release below. */
	svq_worker_remove_queue(q);
	ret = svq_worker_add_queue(lcore, q);
	if (ret < 0)
		svq_worker_add_queue(old, q);	/* the slot it just left */
	/* Release: the hand-over is complete before the new worker (or the
	 * old one again) sees the vring running. */
	__atomic_store_n(&q->running, running, __ATOMIC_RELEASE);
	pthread_mutex_unlock(&port->lock);
	if (ret == 0)
		SVQ_PORT_LOG(port, INFO, "q%u: moved from lcore %u to lcore %u%s",
			qid, old, lcore, running ? " while running" : "");
	return ret;
}

static const char *const svq_port_notify_names[] = {
	[SVQ_PORT_NOTIFY_POLL] = "poll",
	[SVQ_PORT_NOTIFY_INTERRUPT] = "interrupt",
	[SVQ_PORT_NOTIFY_ADAPTIVE] = "adaptive",
};

static const char *const svq_port_mode_names[] = {
	[SVQ_PORT_MODE_ALWAYS] = "always",
	[SVQ_PORT_MODE_ON_MIGRATION] = "on-migration",
};

/* The index of @p name in @p names, or -EINVAL. */
static int
svq_port_name_index(const char *const *names, unsigned int nb,
		const char *name)
{
	unsigned int i;

	for (i = 0; i < nb; i++)
		if (strcmp(names[i], name) == 0)
			return i;
	return -EINVAL;
}

const char *
svq_port_notify_name(enum svq_port_notify notify)
{
	return notify < RTE_DIM(svq_port_notify_names) ?
		svq_port_notify_names[notify] : "?";
}

int
svq_port_notify_parse(const char *name, enum svq_port_notify *notify)
{
	int i = svq_port_name_index(svq_port_notify_names,
			RTE_DIM(svq_port_notify_names), name);

	if (i < 0)
		return i;
	*notify = i;
	return 0;
}

const char *
svq_port_mode_name(enum svq_port_mode mode)
{
	return mode < RTE_DIM(svq_port_mode_names) ?
		svq_port_mode_names[mode] : "?";
}

int
svq_port_mode_parse(const char *name, enum svq_port_mode *mode)
{
	int i = svq_port_name_index(svq_port_mode_names,
			RTE_DIM(svq_port_mode_names), name);

	if (i < 0)
		return i;
	*mode = i;
	return 0;
}

int
svq_port_set_mode(struct svq_port *port, enum svq_port_mode mode)
{
	if (mode == SVQ_PORT_MODE_ON_MIGRATION && port->dev->ops->poll == NULL)
		return -ENOTSUP;
	pthread_mutex_lock(&port->lock);
	if (mode != port->mode) {
		bool any = false;
		uint16_t qid;

		for (qid = 0; qid < port->nb_vrings; qid++)
			any |= port->queues[qid].started &&
				port->queues[qid].ctrl == NULL;
		if (any)
			port->switch_start = rte_get_tsc_cycles();
		/* Data vrings only: the control vring is always shadowed. */
		svq_queues_stop(port, 0, port->nb_vrings - 1);
		port->mode = mode;
		svq_queues_restart_ready(port);
		if (any)
			svq_port_switch_done(port);
		SVQ_PORT_LOG(port, INFO, "mode %s", svq_port_mode_name(mode));
	}
	pthread_mutex_unlock(&port->lock);
	return 0;
}

/* ---- migration ------------------------------------------------------ */

/*
 * GET_VRING_BASE: the frontend stops the device. The first one stops
 * every vring (drained, rewound, bases handed to the library) and is the
 * relay's share of the stop: timed. Called under the port lock.
 */
static void
svq_port_suspend(struct svq_port *port)
{
	uint64_t start = rte_get_tsc_cycles();
	bool first = !port->suspended;

	if (first)
		memset(port->mig_out, 0, sizeof(port->mig_out));
	svq_queues_stop(port, 0, port->nb_vrings);
	port->suspended = true;
	if (!first)
		return;
	port->device_stops++;
	port->last_stop_us = svq_tsc_us_since(start);
	SVQ_PORT_MIGRATE_LOG(port, INFO, "device stopped in %.1f us",
		port->last_stop_us);
}

/* After GET_VRING_BASE: what the frontend was answered is what it
 * migrates; keep it for the migration state. */
static void
svq_port_migration_note_base(struct svq_port *port, const void *msg)
{
	uint32_t qid = svq_vhost_msg_u32(msg, 0);
	uint16_t last_avail, used;

	if (qid >= port->nb_vrings || port->vid < 0 ||
			rte_vhost_get_vring_base(port->vid, qid, &last_avail,
				&used) != 0)
		return;
	port->mig_out[qid] = (struct svq_port_mig_base){ .valid = true,
		.last_avail = svq_vhost_msg_u32(msg, 1), .used = used };
}

/*
 * SET_VRING_BASE after a migration state was loaded: the frontend's base
 * is the one used (QEMU migrated it with the guest), but one that differs
 * from what the source's relay answered means the two relays' views of
 * the ring disagree, so it is said and counted. Once per vring and load.
 */
static void
svq_port_migration_check_base(struct svq_port *port, uint16_t qid,
		uint32_t base)
{
	struct svq_port_mig_base *want = &port->mig_in[qid];

	if (!want->valid)
		return;
	want->valid = false;
	port->mig_checked++;
	if (base != want->last_avail) {
		port->mig_mismatches++;
		SVQ_PORT_MIGRATE_LOG(port, WARNING,
			"q%u: the frontend sets base %u, the migration state says %u (used %u); the frontend's is used",
			qid, base, want->last_avail, want->used);
	}
	if (port->mig_checked == port->mig_expected)
		SVQ_PORT_MIGRATE_LOG(port, INFO,
			"migration state: %u vring bases checked, %u differed",
			port->mig_checked, port->mig_mismatches);
}

static void
svq_port_migration_info(const struct svq_port *port,
		struct svq_port_info *info)
{
	info->stopped = port->suspended;
	info->device_stops = port->device_stops;
	info->last_stop_us = port->last_stop_us;
	info->device_starts = port->device_starts;
	info->last_start_us = port->last_start_us;
	info->last_replay_us = port->last_replay_us;
	info->last_replay_commands = port->last_replay_commands;
	info->migration_vrings = port->mig_expected;
	info->migration_checked = port->mig_checked;
	info->migration_mismatches = port->mig_mismatches;
}

int
svq_port_get_migration_state(struct svq_port *port,
		struct svq_migration_state *m)
{
	uint16_t qid;
	int ret = 0;

	memset(m, 0, sizeof(*m));
	pthread_mutex_lock(&port->lock);
	m->stopped = port->suspended;
	m->queue_pairs = port->nb_queue_pairs;
	m->guest_features = port->guest_features;
	for (qid = 0; qid < port->nb_vrings; qid++) {
		const struct svq_queue *q = &port->queues[qid];
		struct svq_migration_vring *v = &m->vrings[m->nb_vrings];

		if (port->suspended) {
			if (!port->mig_out[qid].valid)
				continue;
			v->last_avail = port->mig_out[qid].last_avail;
			v->used = port->mig_out[qid].used;
			v->state = SVQ_MIGRATION_VRING_STOPPED;
		} else if (!q->started) {
			continue;
		} else if (q->ctrl != NULL) {
			/* The worker moves these meanwhile: a snapshot. */
			v->last_avail = __atomic_load_n(&q->ctrl->guest_last_avail,
				__ATOMIC_RELAXED);
			v->used = __atomic_load_n(&q->ctrl->guest_used,
				__ATOMIC_RELAXED);
			v->state = SVQ_MIGRATION_VRING_RUNNING;
		} else if (q->passthrough) {
			v->used = __atomic_load_n(&q->vq.guest_used,
				__ATOMIC_RELAXED);
			v->last_avail = v->used;
			v->state = SVQ_MIGRATION_VRING_PASSTHROUGH;
		} else {
			v->last_avail = __atomic_load_n(&q->vq.guest_last_avail,
				__ATOMIC_RELAXED);
			v->used = __atomic_load_n(&q->vq.guest_used,
				__ATOMIC_RELAXED);
			v->state = SVQ_MIGRATION_VRING_RUNNING;
		}
		v->index = qid;
		m->nb_vrings++;
	}
	if (port->vid < 0 || (!port->suspended && m->nb_vrings == 0))
		ret = -ENODATA;
	pthread_mutex_unlock(&port->lock);
	if (ret == 0)
		m->has_device = svq_port_get_net_state(port, &m->device) == 0;
	return ret;
}

int
svq_port_set_migration_state(struct svq_port *port,
		const struct svq_migration_state *m)
{
	uint16_t i;
	int ret;

	if (m->queue_pairs != port->nb_queue_pairs ||
			(m->guest_features & ~port->offered_features)) {
		SVQ_PORT_MIGRATE_LOG(port, ERR,
			"migration state for %u queue pairs, guest features 0x%" PRIx64 " cannot be taken here (%u pairs, offered 0x%" PRIx64 ")",
			m->queue_pairs, m->guest_features, port->nb_queue_pairs,
			port->offered_features);
		return -EINVAL;
	}
	for (i = 0; i < m->nb_vrings; i++) {
		if (m->vrings[i].index >= port->nb_vrings) {
			SVQ_PORT_MIGRATE_LOG(port, ERR,
				"migration state has vring %u, the port %u",
				m->vrings[i].index, port->nb_vrings);
			return -EINVAL;
		}
	}
	/* A frontend that keeps the control queue restores the device
	 * state itself. */
	if (m->has_device &&
			(m->device.features & (UINT64_C(1) << VIRTIO_NET_F_CTRL_VQ))) {
		ret = svq_port_set_restore_state(port, &m->device);
		if (ret < 0)
			return ret;
	}
	pthread_mutex_lock(&port->lock);
	memset(port->mig_in, 0, sizeof(port->mig_in));
	for (i = 0; i < m->nb_vrings; i++)
		port->mig_in[m->vrings[i].index] = (struct svq_port_mig_base){
			.valid = true, .last_avail = m->vrings[i].last_avail,
			.used = m->vrings[i].used };
	port->mig_expected = m->nb_vrings;
	port->mig_checked = 0;
	port->mig_mismatches = 0;
	pthread_mutex_unlock(&port->lock);
	SVQ_PORT_MIGRATE_LOG(port, INFO,
		"migration state from a %s port: %u vring bases to check, device state %s",
		m->stopped ? "stopped" : "running", m->nb_vrings,
		!m->has_device ? "none" :
		(m->device.features & (UINT64_C(1) << VIRTIO_NET_F_CTRL_VQ)) ?
		"replayed at the next device start" : "kept by the frontend");
	return 0;
}
