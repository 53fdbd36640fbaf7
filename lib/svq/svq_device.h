/* SPDX-License-Identifier: BSD-3-Clause */

#ifndef SVQ_DEVICE_H
#define SVQ_DEVICE_H

/**
 * @file
 * Device backend interface, modelled on the vhost-vdpa uAPI: the relay
 * drives a virtio-net device through this ops table only, whatever the
 * device is (software simulator, external vhost-user backend, vhost-vdpa).
 *
 * Addresses given to a device are IOVAs in the device's address space,
 * populated with dma_map(): guest memory sits at IOVA == guest-physical
 * address, the relay's shadow rings above SVQ_SHADOW_IOVA_BASE.
 *
 * Calling context: every op is called from control threads, serialised by
 * the relay, except poll() and kick(), which run on the worker lcore that
 * owns the vring, or on the control thread while no worker runs it (the
 * control vring during a replay or a stop). The relay never calls an op on
 * a vring while that vring's poll() may be running on a worker: it pauses
 * the vring first.
 */

#include <stdbool.h>
#include <stdint.h>
#include <sys/queue.h>

#include <rte_common.h>

/** Shadow rings start here in the device's IOVA space, above any x86
 * guest-physical address (52 bits). */
#define SVQ_SHADOW_IOVA_BASE (UINT64_C(1) << 52)

struct svq_device;
struct svq_net_state;

struct svq_device_ops {
	/** Features the device offers (VIRTIO_F_*, VIRTIO_NET_F_*). */
	uint64_t (*get_features)(struct svq_device *dev);
	/** Features the driver (the relay) accepted. */
	int (*set_features)(struct svq_device *dev, uint64_t features);
	/** Device status byte (VIRTIO_CONFIG_S_*). Writing 0 resets. */
	uint8_t (*get_status)(struct svq_device *dev);
	int (*set_status)(struct svq_device *dev, uint8_t status);
	/** Read the device config space (struct virtio_net_config). */
	int (*get_config)(struct svq_device *dev, void *buf, uint32_t offset,
			uint32_t len);
	/** Largest ring the device accepts. */
	uint16_t (*get_vq_num_max)(struct svq_device *dev);

	int (*set_vring_num)(struct svq_device *dev, uint16_t qid, uint16_t num);
	int (*set_vring_addr)(struct svq_device *dev, uint16_t qid,
			uint64_t desc_iova, uint64_t avail_iova,
			uint64_t used_iova);
	/** Next avail entry the device takes (split ring). */
	int (*set_vring_base)(struct svq_device *dev, uint16_t qid,
			uint16_t base);
	int (*get_vring_base)(struct svq_device *dev, uint16_t qid,
			uint16_t *base);
	/** Start or stop processing a vring. Once disabled, the device has
	 * finished with every buffer it took (suspend semantics). */
	int (*set_vring_enable)(struct svq_device *dev, uint16_t qid,
			bool enable);
	/** Notify the device of new avail entries. */
	void (*kick)(struct svq_device *dev, uint16_t qid);
	/** Optional, for devices with an execution context of their own:
	 * signal eventfd @p fd (-1: none) when completing buffers on vring
	 * @p qid and the driver's ring does not suppress it. Set before the
	 * vring is enabled. */
	int (*set_vring_call)(struct svq_device *dev, uint16_t qid, int fd);

	/** Make [iova, iova + size) of the device's address space the
	 * memory at @p hva in this process, which is also @p fd from
	 * @p fd_offset (-1: no file) for a device in another process. The
	 * device dups what it keeps of @p fd. */
	int (*dma_map)(struct svq_device *dev, uint64_t iova, uint64_t size,
			void *hva, int fd, uint64_t fd_offset);
	int (*dma_unmap)(struct svq_device *dev, uint64_t iova, uint64_t size);

	/** Optional, for devices without an execution context of their own
	 * (the software device): do the device's work for vring @p qid.
	 * Called on the lcore that owns the vring, between relay bursts. */
	void (*poll)(struct svq_device *dev, uint16_t qid);

	/** Optional, for devices that can tell: the state the driver set
	 * through the control virtqueue, for tests and diagnostics. */
	int (*get_net_state)(struct svq_device *dev, struct svq_net_state *state);

	void (*destroy)(struct svq_device *dev);
};

/** What a device reports of itself, from a thread of its own. */
enum svq_device_event {
	/** It stopped working (a backend process died): its vrings are
	 * gone, ops on it fail until it is back. */
	SVQ_DEVICE_EVENT_LOST,
	/** It can be started again, from reset. */
	SVQ_DEVICE_EVENT_BACK,
};

typedef void (*svq_device_event_cb)(struct svq_device *dev,
		enum svq_device_event event, void *arg);

/** What every device embeds first. */
struct svq_device {
	const struct svq_device_ops *ops;
	const struct svq_driver *driver;
	char name[64];
	/* Set by the device's owner, read by the device's threads. */
	svq_device_event_cb event_cb;
	void *event_arg;
};

/** Called by a device driver from its own thread. */
static inline void
svq_device_notify(struct svq_device *dev, enum svq_device_event event)
{
	svq_device_event_cb cb = __atomic_load_n(&dev->event_cb,
			__ATOMIC_ACQUIRE);

	if (cb != NULL)
		cb(dev, event, dev->event_arg);
}

/** A device driver: how to make devices of one kind from a spec string. */
struct svq_driver {
	TAILQ_ENTRY(svq_driver) next;
	const char *name;	/**< the word before the first comma */
	const char *usage;	/**< its key=value arguments, for help */
	/** Make a device from the arguments after "name,"; on failure return
	 * NULL after logging one line that says why. */
	struct svq_device *(*create)(const char *args);
};

void svq_driver_register(struct svq_driver *drv);

/* rte_kvargs_process() handlers for drivers' arguments: an unsigned long
 * (decimal, 0x hex or 0 octal, no sign), a MAC address. @return 0 or -1. */
int svq_kvarg_ulong(const char *key, const char *value, void *opaque);
int svq_kvarg_mac(const char *key, const char *value, void *opaque);

#define SVQ_DRIVER_REGISTER(drv) \
	RTE_INIT(svq_driver_register_ ## drv) \
	{ \
		svq_driver_register(&drv); \
	}

#endif /* SVQ_DEVICE_H */
