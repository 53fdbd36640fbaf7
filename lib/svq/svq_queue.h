/* SPDX-License-Identifier: BSD-3-Clause */

#ifndef SVQ_QUEUE_H
#define SVQ_QUEUE_H

/*
 * One relayed vring: the shadow virtqueue, the device it feeds and the
 * state the control path and the owning worker share. Private to lib/svq.
 */

#include <stdbool.h>
#include <stdint.h>

#include "svq_ctrl.h"
#include "svq_device.h"
#include "svq_shadow.h"

struct svq_port;

struct svq_queue {
	/* Hot: read by the owning worker every iteration. */
	struct svq_shadow_vq vq;
	struct svq_device *dev;
	struct svq_ctrl *ctrl;	/* the control vring; NULL for data vrings */
	uint16_t qid;
	/* The device runs on the guest ring itself (mode on-migration, not
	 * migrating). Changed only while the queue is not running. */
	bool passthrough;
	/* Set by the control path with a release store once the queue is
	 * configured, cleared before it is torn down; the worker reads it
	 * with an acquire load before each burst. */
	uint32_t running;
	/* Notification mode: the worker may sleep once every queue it owns
	 * has been idle this long (TSC cycles); UINT64_MAX: never (poll). */
	uint64_t idle_cycles;
	bool device_calls;	/* the device interrupts on device_callfd */

	/* Control path only (vhost-user thread, under the port lock). */
	struct svq_port *port;
	unsigned int lcore;	/* owning worker */
	bool ready;		/* librte_vhost reports the vring ready */
	bool started;		/* shadow ring and device vring configured */
	bool device_enabled;	/* the device's vring is enabled */
	/* Watched by the worker's epoll while it sleeps: the guest's kick and
	 * the device's call eventfds, -1 for none. */
	int watch_fds[2];
	int device_callfd;	/* the relay's eventfd for the device's calls */
	char name[32];
};

/* One relay burst on one queue; called on the owning worker lcore.
 * @return true if anything moved. */
static inline bool
svq_queue_poll(struct svq_queue *q)
{
	struct svq_shadow_vq *vq = &q->vq;
	struct svq_device *dev = q->dev;
	uint16_t moved;

	if (unlikely(q->ctrl != NULL))
		return svq_ctrl_poll(q->ctrl);
	if (q->passthrough) {
		dev->ops->poll(dev, q->qid);
		return svq_shadow_passthrough_used(vq) != 0;
	}
	moved = svq_shadow_forward_avail(vq);
	if (moved != 0 && svq_shadow_device_wants_kick(vq)) {
		dev->ops->kick(dev, q->qid);
		vq->stats.device_kicks++;
	}
	if (dev->ops->poll != NULL)
		dev->ops->poll(dev, q->qid);
	return (moved | svq_shadow_forward_used(vq)) != 0;
}

/* Before the worker sleeps. @return true if work arrived (stay awake). */
static inline bool
svq_queue_notify_arm(struct svq_queue *q)
{
	/* The device polls the guest ring itself: keep polling. */
	if (q->passthrough)
		return true;
	if (q->ctrl != NULL)
		return svq_ctrl_notify_arm(q->ctrl);
	return svq_shadow_notify_arm(&q->vq, q->device_calls);
}

static inline void
svq_queue_notify_disarm(struct svq_queue *q)
{
	if (q->passthrough)
		return;
	if (q->ctrl != NULL)
		svq_ctrl_notify_disarm(q->ctrl);
	else
		svq_shadow_notify_disarm(&q->vq);
}

#endif /* SVQ_QUEUE_H */
