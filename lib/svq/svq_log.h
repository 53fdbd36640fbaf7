/* SPDX-License-Identifier: BSD-3-Clause */

#ifndef SVQ_LOG_H
#define SVQ_LOG_H

/**
 * @file
 * The relay's dynamic log types, one per area, settable with the standard
 * EAL option, e.g. --log-level=svq.vring:debug.
 */

#include <rte_log.h>

extern int svq_logtype_port;	/* svq.port: vhost-user side, port life cycle */
extern int svq_logtype_vring;	/* svq.vring: shadow virtqueue data path */
extern int svq_logtype_dev;	/* svq.dev: device backends and their registry */
extern int svq_logtype_worker;	/* svq.worker: lcore workers */
extern int svq_logtype_cvq;	/* svq.cvq: control queue, device state, replay */
extern int svq_logtype_migrate;	/* svq.migrate: dirty logging, device stop, restore */

#define SVQ_LOG(area, level, fmt, ...) \
	rte_log(RTE_LOG_ ## level, svq_logtype_ ## area, \
		"svq.%s: " fmt "\n", #area, ##__VA_ARGS__)

/* Data-path debug messages vanish at build time above RTE_LOG_DP_LEVEL. */
#define SVQ_DP_LOG(area, level, fmt, ...) \
	RTE_LOG_DP(level, USER1, "svq.%s: " fmt "\n", #area, ##__VA_ARGS__)

#endif /* SVQ_LOG_H */
