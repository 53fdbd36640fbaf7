/* SPDX-License-Identifier: BSD-3-Clause */

#ifndef SVQ_CTRL_H
#define SVQ_CTRL_H

/*
 * The shadow control virtqueue. Unlike a data vring it is not mirrored:
 * each guest command is copied into relay memory, parsed and validated;
 * a malformed one is answered VIRTIO_NET_ERR by the relay, a valid one is
 * sent to the device on a ring the relay owns, and the relay's state model
 * changes only when the device answers VIRTIO_NET_OK. The same ring carries
 * the replay of a saved state onto a fresh device.
 *
 * A device without a control virtqueue (a vhost-user backend) has the relay
 * answer for it: valid commands are acked VIRTIO_NET_OK and change the
 * model, as QEMU does for such backends, and a change of queue pairs is
 * handed to the port, which enables or disables the device's vrings.
 * Private to lib/svq.
 */

#include <stdbool.h>
#include <stdint.h>

#include <rte_spinlock.h>

#include "svq_cvq.h"
#include "svq_device.h"
#include "svq_dirty_log.h"
#include "svq_net_state.h"
#include "svq_shadow.h"

/* Entries of the relay's ring to the device's control vring. */
#define SVQ_CTRL_RING_SIZE 256
/* Longest guest command accepted (a MAC table of ~10000 entries). */
#define SVQ_CTRL_CMD_MAX (64 * 1024)
/* Replay commands in flight at once: two descriptors each. */
#define SVQ_CTRL_SLOTS (SVQ_CTRL_RING_SIZE / 2)
/* Room for the largest planned command (an RSS table of 1024 entries). */
#define SVQ_CTRL_SLOT_BYTES 4096

struct svq_ctrl {
	/* Guest side: the guest's control ring, read like any vring. */
	struct svq_ring guest;
	uint16_t guest_size;
	uint16_t guest_last_avail;
	uint16_t guest_used;
	int guest_callfd;
	bool event_idx;
	bool guest_running;
	const struct svq_mem_map *mem;
	struct svq_dirty_log log;	/* migration: the acks and used ring */
	enum svq_shadow_fault fault;

	/* Device side: relay memory the device has in its DMA map. NULL
	 * dev: the relay answers (svq_ctrl_emulate_start()). */
	struct svq_device *dev;
	void (*pairs_changed)(void *arg);	/* emulated: on VQ_PAIRS_SET */
	void *pairs_arg;
	uint16_t dev_qid;
	uint8_t *area;
	uint64_t area_iova;
	struct svq_ring shadow;
	uint16_t shadow_avail;
	uint16_t shadow_last_used;

	/* The guest command at the device, if any: one at a time, as every
	 * driver waits for the ack anyway. */
	bool pending;
	uint16_t pending_head;
	uint8_t *pending_ack;		/* the guest's ack byte */
	uint64_t pending_ack_gpa;
	struct svq_cvq_cmd pending_cmd;	/* points into cmd_copy */
	uint32_t pending_len;
	uint8_t cmd_copy[SVQ_CTRL_CMD_MAX];

	struct svq_cvq_limits limits;
	struct svq_net_state *state;	/* the port's model */
	rte_spinlock_t *state_lock;
	struct svq_queue_stats *stats;
	const char *name;
};

/** Bytes of device-visible memory the control queue needs. */
size_t svq_ctrl_area_bytes(void);

void svq_ctrl_init(struct svq_ctrl *c, const char *name,
		struct svq_queue_stats *stats, struct svq_net_state *state,
		rte_spinlock_t *state_lock, uint8_t *area, uint64_t area_iova);

/**
 * Set up the relay's ring on the device's control vring @p qid and enable
 * it. Control path, device features accepted.
 */
int svq_ctrl_device_start(struct svq_ctrl *c, struct svq_device *dev,
		uint16_t qid, const struct svq_cvq_limits *limits);

/**
 * Answer the guest's commands in the relay, for a device without a
 * control vring. @p pairs_changed is called on the worker lcore after
 * each accepted VQ_PAIRS_SET, to have the port apply it from a control
 * thread. Control path.
 */
void svq_ctrl_emulate_start(struct svq_ctrl *c,
		const struct svq_cvq_limits *limits,
		void (*pairs_changed)(void *arg), void *arg);

/**
 * Replay @p target on the device: the planner's commands in batches, every
 * ack checked. Control path, before any data vring runs.
 *
 * @param failed
 *   On -EIO, the name of the command the device refused.
 * @return the number of commands sent, -EIO if one was refused, -ETIMEDOUT
 *   if the device stopped answering. Emulated: 0, the model takes @p target.
 */
int svq_ctrl_replay(struct svq_ctrl *c, const struct svq_net_state *target,
		const char **failed);

/** Start serving the guest's control ring. */
void svq_ctrl_guest_start(struct svq_ctrl *c, const struct svq_ring *guest,
		uint16_t size, const struct svq_mem_map *mem, uint16_t last_avail,
		uint16_t last_used, bool event_idx, int callfd);

/** As svq_shadow_set_log(), for the guest's control ring. */
void svq_ctrl_set_log(struct svq_ctrl *c, const struct svq_dirty_log *log);

/** Serve the guest's control ring; on the worker lcore that owns it.
 * @return true if it did or still has something to do. */
bool svq_ctrl_poll(struct svq_ctrl *c);

/** As svq_shadow_notify_arm() and _disarm(), for the guest's control ring. */
bool svq_ctrl_notify_arm(struct svq_ctrl *c);
void svq_ctrl_notify_disarm(struct svq_ctrl *c);

/**
 * Stop serving the guest: the command at the device, if any, is finished
 * (polling a software device directly) or given back. Control path, after
 * the worker has let go of the queue.
 */
void svq_ctrl_guest_stop(struct svq_ctrl *c);

#endif /* SVQ_CTRL_H */
