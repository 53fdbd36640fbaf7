/* SPDX-License-Identifier: BSD-3-Clause */

/*
 * A virtio-net device played by an external vhost-user backend, e.g.
 * dpdk-testpmd --vdev net_vhost0,iface=SOCK: the relay is the backend's
 * frontend, as QEMU would be.
 *
 * One address space for the backend: the device IOVA space the relay
 * defines (guest memory at IOVA == guest-physical address, the shadow rings
 * from SVQ_SHADOW_IOVA_BASE). SET_MEM_TABLE gives each dma_map()ed range as
 * a region whose guest-physical and frontend ("user") addresses are both
 * its IOVA, with the file it lives in, so the backend maps the guest's
 * memory and the shadow rings itself (zero copy) and every address it is
 * given -- ring addresses in SET_VRING_ADDR, buffer addresses in
 * descriptors -- is an IOVA.
 *
 * vhost-user has no device status and no config space for net backends:
 * the status is kept here, the config space (MAC, link up, queue pairs) is
 * made up from the arguments and GET_QUEUE_NUM, and a reset stops every
 * vring. Nor has a vhost-user net backend a control virtqueue (QEMU keeps
 * it), so CTRL_VQ is never offered: the relay answers the guest's.
 *
 * A backend that dies is noticed by a monitor thread (hang-up on the
 * socket), reported to the device's owner (SVQ_DEVICE_EVENT_LOST), and
 * reconnected; once the handshake succeeds again the owner hears
 * SVQ_DEVICE_EVENT_BACK and starts the device from reset.
 */

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>
#include <linux/virtio_config.h>
#include <linux/virtio_net.h>

#include <rte_common.h>
#include <rte_ether.h>
#include <rte_kvargs.h>
#include <rte_log.h>
#include <rte_malloc.h>
#include <rte_string_fns.h>
#include <rte_thread.h>

#include "svq_device.h"
#include "vu_msg.h"

RTE_LOG_REGISTER(vu_logtype, svq.vhost_user, INFO);

#define VU_LOG(level, vu, fmt, ...) \
	rte_log(RTE_LOG_ ## level, vu_logtype, "svq.vhost_user: %s (%s): " fmt "\n", \
		(vu)->dev.name, (vu)->path, ##__VA_ARGS__)

#define VU_BIT(f) (UINT64_C(1) << (f))
#define VU_MAX_QUEUE_PAIRS 64
#define VU_VQ_NUM_MAX 4096
#define VU_RECONNECT_MS 200
#define VU_MONITOR_MS 100

/* What a vhost-user net backend may do for the relay. Ring layout
 * features are the relay's own business on its shadow rings, control
 * features do not exist over vhost-user, and bits 26 (LOG_ALL) and 30
 * (PROTOCOL_FEATURES) are vhost's, not the device's. */
#define VU_DEVICE_FEATURES \
	(VU_BIT(VIRTIO_F_VERSION_1) | \
	 VU_BIT(VIRTIO_NET_F_MRG_RXBUF) | \
	 VU_BIT(VIRTIO_NET_F_MQ) | \
	 VU_BIT(VIRTIO_NET_F_CSUM) | \
	 VU_BIT(VIRTIO_NET_F_GUEST_CSUM) | \
	 VU_BIT(VIRTIO_NET_F_GUEST_TSO4) | \
	 VU_BIT(VIRTIO_NET_F_GUEST_TSO6) | \
	 VU_BIT(VIRTIO_NET_F_GUEST_ECN) | \
	 VU_BIT(VIRTIO_NET_F_GUEST_UFO))
/* Made up here: the config space is ours. */
#define VU_CONFIG_FEATURES \
	(VU_BIT(VIRTIO_NET_F_MAC) | VU_BIT(VIRTIO_NET_F_STATUS))

struct vu_vq {
	uint16_t num;
	uint16_t base;		/* where it starts; after a stop, where it stopped */
	uint64_t desc, avail, used;
	int kickfd;		/* the relay kicks the backend */
	int callfd;		/* the backend's calls, never waited on: the
				 * relay polls and asks for no interrupts */
	int relay_callfd;	/* the relay's instead (set_vring_call), -1: none */
	bool configured;	/* the backend has the ring (NUM ... CALL sent,
				 * no GET_VRING_BASE since) */
	bool enabled;
};

struct vu_map {
	uint64_t iova;
	uint64_t size;
	int fd;			/* dup()ed */
	uint64_t fd_offset;
};

struct vu_net {
	struct svq_device dev;	/* first: svq_device is the handle */
	char path[sizeof(((struct sockaddr_un *)0)->sun_path)];
	int timeout_ms;
	uint16_t max_pairs_arg;

	/* Serialises the socket between the control path and the monitor. */
	pthread_mutex_t lock;
	int sock;		/* -1 while the backend is gone */
	bool lost;		/* reported lost, not back yet */
	bool quit;
	pthread_t monitor;
	bool monitor_started;

	uint64_t backend_features;	/* GET_FEATURES */
	uint64_t protocol_features;	/* negotiated */
	uint64_t features;		/* offered to the relay */
	uint64_t driver_features;	/* accepted by the relay */
	uint8_t status;
	struct virtio_net_config config;
	uint16_t nb_vqs;

	struct vu_map maps[VU_MAX_REGIONS];
	unsigned int nb_maps;
	bool mem_sent;		/* the backend has the current map */

	struct vu_vq vqs[2 * VU_MAX_QUEUE_PAIRS];
};

static unsigned int vu_next_id;

static struct vu_net *
vu_from_dev(struct svq_device *dev)
{
	return (struct vu_net *)dev;
}

static bool
vu_has_protocol(const struct vu_net *vu, unsigned int feature)
{
	return (vu->protocol_features >> feature) & 1;
}

/* ---- requests, with vu->lock held ---------------------------------- */

static int
vu_fail(struct vu_net *vu, const struct vu_msg *msg, int ret)
{
	VU_LOG(ERR, vu, "%s failed: %s", vu_request_name(msg->request),
		strerror(-ret));
	return ret;
}

/*
 * A reply that did not come in time, or not as the request's reply: the
 * replies cannot be matched to the requests any more (a late one would be
 * taken as the next request's), so drop the connection. The monitor sees
 * the hang-up, reports the backend lost and reconnects, as after a crash.
 */
static int
vu_reply_failed(struct vu_net *vu, const struct vu_msg *msg, int ret)
{
	shutdown(vu->sock, SHUT_RDWR);
	return vu_fail(vu, msg, ret);
}

/* Send a request that expects no answer but an ack (REPLY_ACK). */
static int
vu_set(struct vu_net *vu, struct vu_msg *msg, const int *fds,
		unsigned int nfds)
{
	bool ack = vu_has_protocol(vu, VU_PROTOCOL_F_REPLY_ACK);
	struct vu_msg reply;
	int ret;

	if (vu->sock < 0)
		return -ENOTCONN;
	msg->flags = VU_VERSION | (ack ? VU_FLAG_NEED_REPLY : 0);
	ret = vu_msg_send(vu->sock, msg, fds, nfds);
	if (ret < 0)
		return vu_fail(vu, msg, ret);
	if (!ack)
		return 0;
	ret = vu_msg_recv(vu->sock, &reply, vu->timeout_ms);
	if (ret == 0)
		ret = vu_reply_check(&reply, msg->request, sizeof(uint64_t));
	if (ret < 0)
		return vu_reply_failed(vu, msg, ret);
	/* a refusal: the backend is still in step */
	return reply.payload.u64 != 0 ? vu_fail(vu, msg, -EIO) : 0;
}

/* Send a request that the backend answers with @p size payload bytes,
 * which land in msg->payload. */
static int
vu_get(struct vu_net *vu, struct vu_msg *msg, uint32_t size)
{
	uint32_t request = msg->request;
	int ret;

	if (vu->sock < 0)
		return -ENOTCONN;
	msg->flags = VU_VERSION;
	ret = vu_msg_send(vu->sock, msg, NULL, 0);
	if (ret < 0)
		return vu_fail(vu, msg, ret);
	ret = vu_msg_recv(vu->sock, msg, vu->timeout_ms);
	if (ret == 0)
		ret = vu_reply_check(msg, request, size);
	msg->request = request;
	return ret < 0 ? vu_reply_failed(vu, msg, ret) : 0;
}

static int
vu_set_u64(struct vu_net *vu, uint32_t request, uint64_t value)
{
	struct vu_msg msg = { .request = request, .size = sizeof(uint64_t) };

	msg.payload.u64 = value;
	return vu_set(vu, &msg, NULL, 0);
}

static int
vu_get_u64(struct vu_net *vu, uint32_t request, uint64_t *value)
{
	struct vu_msg msg = { .request = request };
	int ret = vu_get(vu, &msg, sizeof(uint64_t));

	if (ret == 0)
		*value = msg.payload.u64;
	return ret;
}

static int
vu_set_state(struct vu_net *vu, uint32_t request, uint32_t index,
		uint32_t num)
{
	struct vu_msg msg = { .request = request,
		.size = sizeof(struct vu_vring_state) };

	msg.payload.state.index = index;
	msg.payload.state.num = num;
	return vu_set(vu, &msg, NULL, 0);
}

static int
vu_set_vring_fd(struct vu_net *vu, uint32_t request, uint32_t index, int fd)
{
	struct vu_msg msg = { .request = request, .size = sizeof(uint64_t) };

	msg.payload.u64 = index;
	return vu_set(vu, &msg, &fd, 1);
}

static int
vu_send_mem_table(struct vu_net *vu)
{
	struct vu_msg msg = { .request = VU_SET_MEM_TABLE };
	int fds[VU_MAX_REGIONS];
	unsigned int i;
	int ret;

	if (vu->mem_sent)
		return 0;
	msg.payload.mem.nregions = vu->nb_maps;
	for (i = 0; i < vu->nb_maps; i++) {
		msg.payload.mem.regions[i] = (struct vu_mem_region){
			.guest_phys_addr = vu->maps[i].iova,
			.size = vu->maps[i].size,
			.user_addr = vu->maps[i].iova,
			.mmap_offset = vu->maps[i].fd_offset,
		};
		fds[i] = vu->maps[i].fd;
	}
	msg.size = offsetof(struct vu_mem_table, regions) +
		sizeof(struct vu_mem_region) * vu->nb_maps;
	ret = vu_set(vu, &msg, fds, vu->nb_maps);
	if (ret == 0)
		vu->mem_sent = true;
	return ret;
}

static bool
vu_can_disable(const struct vu_net *vu)
{
	/* Rings can be disabled and enabled again only with protocol
	 * features (vhost-user spec, "Ring states"); with REPLY_ACK the ack
	 * says the backend is out of the ring. */
	return (vu->backend_features & VU_BIT(VU_F_PROTOCOL_FEATURES)) &&
		vu_has_protocol(vu, VU_PROTOCOL_F_REPLY_ACK);
}

/* Stop vring @p qid in the backend and learn where it stopped. */
static int
vu_vq_stop(struct vu_net *vu, uint16_t qid)
{
	struct vu_vq *vq = &vu->vqs[qid];
	struct vu_msg msg = { .request = VU_GET_VRING_BASE,
		.size = sizeof(struct vu_vring_state) };
	int ret = 0;

	if (!vq->configured)
		return 0;
	vq->configured = false;
	if (vq->enabled && (vu->backend_features & VU_BIT(VU_F_PROTOCOL_FEATURES)))
		ret = vu_set_state(vu, VU_SET_VRING_ENABLE, qid, 0);
	vq->enabled = false;
	/* GET_VRING_BASE stops the vring: the backend has finished with
	 * every buffer it took once it answers. */
	msg.payload.state.index = qid;
	if (ret == 0)
		ret = vu_get(vu, &msg, sizeof(struct vu_vring_state));
	if (ret == 0 && msg.payload.state.index != qid)
		ret = vu_fail(vu, &msg, -EPROTO);
	if (ret < 0)
		return ret;
	vq->base = msg.payload.state.num;
	return 0;
}

/* ---- connection ----------------------------------------------------- */

/* Negotiate, on the connected vu->sock, what does not depend on the
 * driver. test/fuzz/fuzz_vhost_user.c calls it on a socketpair. */
static int
vu_negotiate(struct vu_net *vu)
{
	uint64_t protocol = 0, pairs = 1;
	int ret;

	vu->protocol_features = 0;
	ret = vu_get_u64(vu, VU_GET_FEATURES, &vu->backend_features);
	if (ret < 0)
		return ret;
	if (!(vu->backend_features & VU_BIT(VIRTIO_F_VERSION_1))) {
		VU_LOG(ERR, vu, "backend does not offer VIRTIO_F_VERSION_1 (features 0x%" PRIx64 ")",
			vu->backend_features);
		return -ENOTSUP;
	}
	if (vu->backend_features & VU_BIT(VU_F_PROTOCOL_FEATURES)) {
		ret = vu_get_u64(vu, VU_GET_PROTOCOL_FEATURES, &protocol);
		if (ret < 0)
			return ret;
		protocol &= VU_BIT(VU_PROTOCOL_F_MQ) |
			VU_BIT(VU_PROTOCOL_F_REPLY_ACK);
		ret = vu_set_u64(vu, VU_SET_PROTOCOL_FEATURES, protocol);
		if (ret < 0)
			return ret;
		vu->protocol_features = protocol;
	}
	if (vu_has_protocol(vu, VU_PROTOCOL_F_MQ)) {
		ret = vu_get_u64(vu, VU_GET_QUEUE_NUM, &pairs);
		if (ret < 0)
			return ret;
	}
	ret = vu_set_u64(vu, VU_SET_OWNER, 0);
	if (ret < 0)
		return ret;

	pairs = RTE_MIN(RTE_MAX(pairs, UINT64_C(1)), (uint64_t)vu->max_pairs_arg);
	if (!(vu->backend_features & VU_BIT(VIRTIO_NET_F_MQ)))
		pairs = 1;
	vu->features = (vu->backend_features & VU_DEVICE_FEATURES) |
		VU_CONFIG_FEATURES;
	if (pairs == 1)
		vu->features &= ~VU_BIT(VIRTIO_NET_F_MQ);
	vu->config.max_virtqueue_pairs = pairs;
	vu->nb_vqs = 2 * pairs;
	vu->mem_sent = false;
	return 0;
}

/* Connect and negotiate. */
static int
vu_handshake(struct vu_net *vu)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	int ret;

	vu->sock = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (vu->sock < 0)
		return -errno;
	rte_strscpy(sa.sun_path, vu->path, sizeof(sa.sun_path));
	if (connect(vu->sock, (struct sockaddr *)&sa, sizeof(sa)) < 0)
		ret = -errno;
	else
		ret = vu_negotiate(vu);
	if (ret < 0) {
		close(vu->sock);
		vu->sock = -1;
	}
	return ret;
}

static void
vu_disconnect(struct vu_net *vu)
{
	uint16_t qid;

	if (vu->sock >= 0)
		close(vu->sock);
	vu->sock = -1;
	for (qid = 0; qid < RTE_DIM(vu->vqs); qid++) {
		vu->vqs[qid].configured = false;
		vu->vqs[qid].enabled = false;
	}
	vu->status = 0;
	vu->driver_features = 0;
	vu->mem_sent = false;
}

/*
 * Watch the socket for a hang-up while connected (poll() for POLLRDHUP
 * consumes nothing, so replies stay for the control path), and reconnect
 * after one.
 */
static void *
vu_monitor(void *arg)
{
	struct vu_net *vu = arg;

	while (!__atomic_load_n(&vu->quit, __ATOMIC_RELAXED)) {
		struct pollfd pfd = { .events = POLLRDHUP };
		bool lost = false, back = false;
		int sock;

		pthread_mutex_lock(&vu->lock);
		sock = vu->sock;
		pthread_mutex_unlock(&vu->lock);
		if (sock >= 0) {
			pfd.fd = sock;
			if (poll(&pfd, 1, VU_MONITOR_MS) <= 0 ||
					!(pfd.revents & (POLLRDHUP | POLLHUP | POLLERR)))
				continue;
			pthread_mutex_lock(&vu->lock);
			if (vu->sock == sock) {
				VU_LOG(ERR, vu, "backend disconnected; reconnecting every %u ms",
					VU_RECONNECT_MS);
				vu_disconnect(vu);
				vu->lost = true;
				lost = true;
			}
			pthread_mutex_unlock(&vu->lock);
		} else {
			usleep(VU_RECONNECT_MS * 1000);
			pthread_mutex_lock(&vu->lock);
			if (vu->sock < 0 && vu_handshake(vu) == 0) {
				VU_LOG(INFO, vu, "backend back, features 0x%" PRIx64 ", protocol 0x%" PRIx64,
					vu->backend_features, vu->protocol_features);
				vu->lost = false;
				back = true;
			}
			pthread_mutex_unlock(&vu->lock);
		}
		/* Outside the lock: the owner calls back into the ops. */
		if (lost)
			svq_device_notify(&vu->dev, SVQ_DEVICE_EVENT_LOST);
		if (back)
			svq_device_notify(&vu->dev, SVQ_DEVICE_EVENT_BACK);
	}
	return NULL;
}

/* ---- device ops ----------------------------------------------------- */

static uint64_t
vu_get_features(struct svq_device *dev)
{
	return vu_from_dev(dev)->features;
}

static int
vu_set_features(struct svq_device *dev, uint64_t features)
{
	struct vu_net *vu = vu_from_dev(dev);

	if (features & ~vu->features)
		return -EINVAL;
	if (vu->status & VIRTIO_CONFIG_S_FEATURES_OK)
		return -EBUSY;
	vu->driver_features = features;
	return 0;
}

static uint8_t
vu_get_status(struct svq_device *dev)
{
	return vu_from_dev(dev)->status;
}

static int
vu_set_status(struct svq_device *dev, uint8_t status)
{
	struct vu_net *vu = vu_from_dev(dev);
	uint64_t features;
	int ret = 0;
	uint16_t qid;

	pthread_mutex_lock(&vu->lock);
	if (status == 0) {
		for (qid = 0; qid < vu->nb_vqs; qid++)
			vu_vq_stop(vu, qid);
		vu->status = 0;
		vu->driver_features = 0;
		goto out;
	}
	if (vu->sock < 0) {
		ret = -ENOTCONN;
		goto out;
	}
	if ((status & VIRTIO_CONFIG_S_FEATURES_OK) &&
			!(vu->status & VIRTIO_CONFIG_S_FEATURES_OK)) {
		/* The config features are made up here, not the backend's. */
		features = vu->driver_features & ~VU_CONFIG_FEATURES;
		if (vu->backend_features & VU_BIT(VU_F_PROTOCOL_FEATURES))
			features |= VU_BIT(VU_F_PROTOCOL_FEATURES);
		if (vu_set_u64(vu, VU_SET_FEATURES, features) < 0)
			status &= ~VIRTIO_CONFIG_S_FEATURES_OK;
	}
	vu->status = status;
out:
	pthread_mutex_unlock(&vu->lock);
	return ret;
}

static int
vu_get_config(struct svq_device *dev, void *buf, uint32_t offset, uint32_t len)
{
	struct vu_net *vu = vu_from_dev(dev);

	if (offset > sizeof(vu->config) || len > sizeof(vu->config) - offset)
		return -EINVAL;
	memcpy(buf, (uint8_t *)&vu->config + offset, len);
	return 0;
}

static uint16_t
vu_get_vq_num_max(struct svq_device *dev)
{
	RTE_SET_USED(dev);
	return VU_VQ_NUM_MAX;
}

/* A vring whose ring may be set: not in the backend's hands. */
static struct vu_vq *
vu_vq_get(struct vu_net *vu, uint16_t qid)
{
	return qid < vu->nb_vqs && !vu->vqs[qid].configured ?
		&vu->vqs[qid] : NULL;
}

static int
vu_set_vring_num(struct svq_device *dev, uint16_t qid, uint16_t num)
{
	struct vu_vq *vq = vu_vq_get(vu_from_dev(dev), qid);

	if (vq == NULL || num == 0 || num > VU_VQ_NUM_MAX ||
			!rte_is_power_of_2(num))
		return -EINVAL;
	vq->num = num;
	return 0;
}

static int
vu_set_vring_addr(struct svq_device *dev, uint16_t qid, uint64_t desc,
		uint64_t avail, uint64_t used)
{
	struct vu_vq *vq = vu_vq_get(vu_from_dev(dev), qid);

	if (vq == NULL)
		return -EINVAL;
	vq->desc = desc;
	vq->avail = avail;
	vq->used = used;
	return 0;
}

static int
vu_set_vring_base(struct svq_device *dev, uint16_t qid, uint16_t base)
{
	struct vu_vq *vq = vu_vq_get(vu_from_dev(dev), qid);

	if (vq == NULL)
		return -EINVAL;
	vq->base = base;
	return 0;
}

static int
vu_get_vring_base(struct svq_device *dev, uint16_t qid, uint16_t *base)
{
	struct vu_net *vu = vu_from_dev(dev);
	int ret = 0;

	if (qid >= vu->nb_vqs)
		return -EINVAL;
	pthread_mutex_lock(&vu->lock);
	if (vu->vqs[qid].configured)
		ret = vu_vq_stop(vu, qid);
	else if (vu->lost)
		ret = -ENOTCONN;	/* where it stopped died with it */
	*base = vu->vqs[qid].base;
	pthread_mutex_unlock(&vu->lock);
	return ret;
}

static int
vu_vq_start(struct vu_net *vu, uint16_t qid)
{
	struct vu_vq *vq = &vu->vqs[qid];
	struct vu_msg msg = { .request = VU_SET_VRING_ADDR,
		.size = sizeof(struct vu_vring_addr) };
	int ret;

	if (!(vu->status & VIRTIO_CONFIG_S_DRIVER_OK) || vq->num == 0)
		return -EINVAL;
	if (vq->configured) {
		/* disabled only: the backend still has the ring */
		ret = vu_set_state(vu, VU_SET_VRING_ENABLE, qid, 1);
		if (ret == 0)
			vq->enabled = true;
		return ret;
	}
	ret = vu_send_mem_table(vu);
	if (ret == 0)
		ret = vu_set_state(vu, VU_SET_VRING_NUM, qid, vq->num);
	if (ret == 0)
		ret = vu_set_state(vu, VU_SET_VRING_BASE, qid, vq->base);
	if (ret == 0) {
		msg.payload.addr = (struct vu_vring_addr){
			.index = qid,
			.desc = vq->desc,
			.used = vq->used,
			.avail = vq->avail,
		};
		ret = vu_set(vu, &msg, NULL, 0);
	}
	if (ret == 0)
		ret = vu_set_vring_fd(vu, VU_SET_VRING_KICK, qid, vq->kickfd);
	if (ret == 0)
		ret = vu_set_vring_fd(vu, VU_SET_VRING_CALL, qid,
			vq->relay_callfd >= 0 ? vq->relay_callfd : vq->callfd);
	/* With PROTOCOL_FEATURES a vring starts disabled (vhost-user spec,
	 * "Ring states"); without, it starts on its first kick. */
	if (ret == 0)
		vq->configured = true;
	if (ret == 0 && (vu->backend_features & VU_BIT(VU_F_PROTOCOL_FEATURES)))
		ret = vu_set_state(vu, VU_SET_VRING_ENABLE, qid, 1);
	if (ret == 0)
		vq->enabled = true;
	return ret;
}

/* Take vring @p qid away from the backend, which keeps the ring: a
 * disabled ring (vhost-user spec), or a stopped one where rings cannot
 * be disabled. */
static int
vu_vq_disable(struct vu_net *vu, uint16_t qid)
{
	struct vu_vq *vq = &vu->vqs[qid];
	int ret;

	if (!vu_can_disable(vu))
		return vu_vq_stop(vu, qid);
	ret = vu_set_state(vu, VU_SET_VRING_ENABLE, qid, 0);
	if (ret == 0)
		vq->enabled = false;
	return ret;
}

static int
vu_set_vring_enable(struct svq_device *dev, uint16_t qid, bool enable)
{
	struct vu_net *vu = vu_from_dev(dev);
	int ret;

	if (qid >= vu->nb_vqs)
		return -EINVAL;
	pthread_mutex_lock(&vu->lock);
	if (enable == vu->vqs[qid].enabled)
		ret = 0;
	else if (enable)
		ret = vu_vq_start(vu, qid);
	else
		ret = vu_vq_disable(vu, qid);
	pthread_mutex_unlock(&vu->lock);
	return ret;
}

static int
vu_set_vring_call(struct svq_device *dev, uint16_t qid, int fd)
{
	struct vu_vq *vq = vu_vq_get(vu_from_dev(dev), qid);

	if (vq == NULL)
		return -EINVAL;
	vq->relay_callfd = fd;
	return 0;
}

static void
vu_kick(struct svq_device *dev, uint16_t qid)
{
	eventfd_write(vu_from_dev(dev)->vqs[qid].kickfd, 1);
}

static int
vu_dma_map(struct svq_device *dev, uint64_t iova, uint64_t size, void *hva,
		int fd, uint64_t fd_offset)
{
	struct vu_net *vu = vu_from_dev(dev);
	int ret = 0;

	RTE_SET_USED(hva);
	if (fd < 0) {
		VU_LOG(ERR, vu, "memory at IOVA 0x%" PRIx64 " has no file: a backend cannot map it",
			iova);
		return -ENOTSUP;
	}
	pthread_mutex_lock(&vu->lock);
	if (vu->nb_maps == VU_MAX_REGIONS) {
		VU_LOG(ERR, vu, "more than %u memory regions", VU_MAX_REGIONS);
		ret = -ENOSPC;
	} else {
		int copy = fcntl(fd, F_DUPFD_CLOEXEC, 0);

		if (copy < 0) {
			ret = -errno;
		} else {
			vu->maps[vu->nb_maps++] = (struct vu_map){ .iova = iova,
				.size = size, .fd = copy, .fd_offset = fd_offset };
			vu->mem_sent = false;
		}
	}
	pthread_mutex_unlock(&vu->lock);
	return ret;
}

static int
vu_dma_unmap(struct svq_device *dev, uint64_t iova, uint64_t size)
{
	struct vu_net *vu = vu_from_dev(dev);
	unsigned int i;
	int ret = -ENOENT;

	pthread_mutex_lock(&vu->lock);
	for (i = 0; i < vu->nb_maps; i++) {
		if (vu->maps[i].iova != iova || vu->maps[i].size != size)
			continue;
		close(vu->maps[i].fd);
		vu->maps[i] = vu->maps[--vu->nb_maps];
		vu->mem_sent = false;
		ret = 0;
		break;
	}
	pthread_mutex_unlock(&vu->lock);
	return ret;
}

static void
vu_destroy(struct svq_device *dev)
{
	struct vu_net *vu = vu_from_dev(dev);
	unsigned int i;

	__atomic_store_n(&vu->quit, true, __ATOMIC_RELAXED);
	if (vu->monitor_started)
		pthread_join(vu->monitor, NULL);
	vu_disconnect(vu);
	for (i = 0; i < vu->nb_maps; i++)
		close(vu->maps[i].fd);
	for (i = 0; i < RTE_DIM(vu->vqs); i++) {
		if (vu->vqs[i].kickfd >= 0)
			close(vu->vqs[i].kickfd);
		if (vu->vqs[i].callfd >= 0)
			close(vu->vqs[i].callfd);
	}
	pthread_mutex_destroy(&vu->lock);
	rte_free(vu);
}

static const struct svq_device_ops vu_ops = {
	.get_features = vu_get_features,
	.set_features = vu_set_features,
	.get_status = vu_get_status,
	.set_status = vu_set_status,
	.get_config = vu_get_config,
	.get_vq_num_max = vu_get_vq_num_max,
	.set_vring_num = vu_set_vring_num,
	.set_vring_addr = vu_set_vring_addr,
	.set_vring_base = vu_set_vring_base,
	.get_vring_base = vu_get_vring_base,
	.set_vring_enable = vu_set_vring_enable,
	.kick = vu_kick,
	.set_vring_call = vu_set_vring_call,
	.dma_map = vu_dma_map,
	.dma_unmap = vu_dma_unmap,
	.destroy = vu_destroy,
};

/* ---- creation from arguments ---------------------------------------- */

struct vu_args {
	char path[sizeof(((struct sockaddr_un *)0)->sun_path)];
	struct rte_ether_addr mac;
	unsigned long queues;
	unsigned long timeout_ms;
};

static int
vu_arg_path(const char *key, const char *value, void *opaque)
{
	RTE_SET_USED(key);
	return rte_strscpy(opaque, value, sizeof(((struct vu_args *)0)->path)) < 0 ?
		-1 : 0;
}

static int
vu_parse_args(const char *args, struct vu_args *a)
{
	static const char *const keys[] = {
		"path", "mac", "queues", "timeout", NULL };
	struct rte_kvargs *kv = rte_kvargs_parse(args, keys);
	int ret = 0;

	if (kv == NULL) {
		RTE_LOG(ERR, USER1, "svq.vhost_user: cannot parse '%s' (keys: path, mac, queues, timeout)\n",
			args);
		return -EINVAL;
	}
	if (rte_kvargs_process(kv, "path", vu_arg_path, a->path) < 0 ||
			rte_kvargs_process(kv, "mac", svq_kvarg_mac, &a->mac) < 0 ||
			rte_kvargs_process(kv, "queues", svq_kvarg_ulong, &a->queues) < 0 ||
			rte_kvargs_process(kv, "timeout", svq_kvarg_ulong, &a->timeout_ms) < 0) {
		RTE_LOG(ERR, USER1, "svq.vhost_user: bad value in '%s'\n", args);
		ret = -EINVAL;
	}
	rte_kvargs_free(kv);
	if (ret == 0 && a->path[0] == '\0') {
		RTE_LOG(ERR, USER1, "svq.vhost_user: path=SOCKET is required\n");
		ret = -EINVAL;
	}
	if (ret == 0 && (a->queues == 0 || a->queues > VU_MAX_QUEUE_PAIRS)) {
		RTE_LOG(ERR, USER1, "svq.vhost_user: queues must be 1..%u\n",
			VU_MAX_QUEUE_PAIRS);
		ret = -EINVAL;
	}
	if (ret == 0 && (a->timeout_ms == 0 || a->timeout_ms > 60000)) {
		RTE_LOG(ERR, USER1, "svq.vhost_user: timeout must be 1..60000 ms\n");
		ret = -EINVAL;
	}
	return ret;
}

static struct svq_device *
vu_create(const char *args)
{
	struct vu_args a = {
		.mac = { .addr_bytes = { 0x52, 0x54, 0x00, 0x56, 0x55, 0x01 } },
		.queues = VU_MAX_QUEUE_PAIRS,
		.timeout_ms = 5000,
	};
	struct vu_net *vu;
	unsigned int i;
	int ret;

	if (vu_parse_args(args, &a) < 0)
		return NULL;
	vu = rte_zmalloc("vu_net", sizeof(*vu), RTE_CACHE_LINE_SIZE);
	if (vu == NULL)
		return NULL;
	vu->dev.ops = &vu_ops;
	snprintf(vu->dev.name, sizeof(vu->dev.name), "vhost-user%u",
		vu_next_id++);
	rte_strscpy(vu->path, a.path, sizeof(vu->path));
	vu->timeout_ms = a.timeout_ms;
	vu->max_pairs_arg = a.queues;
	vu->sock = -1;
	pthread_mutex_init(&vu->lock, NULL);
	memcpy(vu->config.mac, &a.mac, sizeof(vu->config.mac));
	vu->config.status = VIRTIO_NET_S_LINK_UP;
	for (i = 0; i < RTE_DIM(vu->vqs); i++)
		vu->vqs[i].kickfd = vu->vqs[i].callfd =
			vu->vqs[i].relay_callfd = -1;
	for (i = 0; i < RTE_DIM(vu->vqs); i++) {
		vu->vqs[i].kickfd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
		vu->vqs[i].callfd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
		if (vu->vqs[i].kickfd < 0 || vu->vqs[i].callfd < 0)
			goto fail;
	}

	ret = vu_handshake(vu);
	if (ret < 0) {
		VU_LOG(ERR, vu, "cannot set up the backend: %s", strerror(-ret));
		goto fail;
	}
	if (pthread_create(&vu->monitor, NULL, vu_monitor, vu) != 0)
		goto fail;
	vu->monitor_started = true;
	VU_LOG(INFO, vu, "backend features 0x%" PRIx64 ", protocol 0x%" PRIx64 ", %u queue pairs",
		vu->backend_features, vu->protocol_features,
		vu->config.max_virtqueue_pairs);
	return &vu->dev;

fail:
	vu_destroy(&vu->dev);
	return NULL;
}

static struct svq_driver vu_driver = {
	.name = "vhost-user",
	.usage = ",path=SOCKET[,queues=N][,mac=XX:XX:XX:XX:XX:XX][,timeout=MS]",
	.create = vu_create,
};

SVQ_DRIVER_REGISTER(vu_driver);
