/* SPDX-License-Identifier: BSD-3-Clause */

#ifndef SVQ_MIGRATION_H
#define SVQ_MIGRATION_H

/**
 * @file
 * What a migration source's relay hands the destination's: the device
 * state, the vring indices the frontend was told when it stopped the
 * vrings, the port's size and the features the guest negotiated (schema
 * "svq-relay/migration", doc/state-schema.md).
 */

#include <stdbool.h>
#include <stdint.h>

#include "svq_net_state.h"

/** Most queue pairs and vrings of a port (SVQ_MAX_QUEUE_PAIRS). */
#define SVQ_MIGRATION_MAX_PAIRS 64
#define SVQ_MIGRATION_MAX_VRINGS (2 * SVQ_MIGRATION_MAX_PAIRS + 1)

enum svq_migration_vring_state {
	/** Stopped by the frontend: last_avail is what GET_VRING_BASE answered. */
	SVQ_MIGRATION_VRING_STOPPED,
	/** Running, through a shadow ring: indices of one moment. */
	SVQ_MIGRATION_VRING_RUNNING,
	/** Running on the guest ring: the device holds the avail index, so
	 * last_avail is the used index. */
	SVQ_MIGRATION_VRING_PASSTHROUGH,
};

struct svq_migration_vring {
	uint16_t index;
	uint16_t last_avail;	/**< next avail entry: the vring base */
	uint16_t used;		/**< the used index written to the guest */
	enum svq_migration_vring_state state;
};

struct svq_migration_state {
	/** The port was stopped (every vring after GET_VRING_BASE); else
	 * its vrings ran and their indices are a snapshot. */
	bool stopped;
	uint16_t queue_pairs;
	uint64_t guest_features;	/**< negotiated with the frontend */
	uint16_t nb_vrings;		/**< entries in vrings[], by index */
	struct svq_migration_vring vrings[SVQ_MIGRATION_MAX_VRINGS];
	bool has_device;		/**< the device was started: device is set */
	struct svq_net_state device;
};

#endif /* SVQ_MIGRATION_H */
