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

	/* Control path only (vhost-user thread, under the port lock). */
	struct svq_port *port;
	unsigned int lcore;	/* owning worker */
	bool ready;		/* librte_vhost reports the vring ready */
	bool started;		/* shadow ring and device vring configured */
	bool device_enabled;	/* the device's vring is enabled */
	char name[32];
};

/* One relay burst on one queue; called on the owning worker lcore. */
static inline void
svq_queue_poll(struct svq_queue *q)
{
	struct svq_shadow_vq *vq = &q->vq;
	struct svq_device *dev = q->dev;

	if (unlikely(q->ctrl != NULL)) {
		svq_ctrl_poll(q->ctrl);
		return;
	}
	if (q->passthrough) {
		dev->ops->poll(dev, q->qid);
		svq_shadow_passthrough_used(vq);
		return;
	}
	if (svq_shadow_forward_avail(vq) != 0 &&
			svq_shadow_device_wants_kick(vq)) {
		dev->ops->kick(dev, q->qid);
		vq->stats.device_kicks++;
	}
	if (dev->ops->poll != NULL)
		dev->ops->poll(dev, q->qid);
	svq_shadow_forward_used(vq);
}

#endif /* SVQ_QUEUE_H */
