/* SPDX-License-Identifier: BSD-3-Clause */

#ifndef SVQ_REPLAY_H
#define SVQ_REPLAY_H

/**
 * @file
 * Replay planner: the CVQ commands that bring a freshly reset device to a
 * given state, in the order QEMU restores a vhost-vdpa net device: MAC
 * address; MAC table if not empty; queue pairs (always with MQ); RSS, else
 * hash config, if on; guest offloads if not the default; RX modes that
 * differ from their default; one VLAN_ADD per VLAN set. Commands a default
 * device already satisfies are skipped.
 */

#include <stdbool.h>

#include "svq_cvq.h"
#include "svq_net_state.h"

struct svq_replay {
	const struct svq_net_state *target;
	unsigned int step;
	unsigned int index;
};

void svq_replay_init(struct svq_replay *r, const struct svq_net_state *target);

/**
 * The next command of the plan. MAC table entries point into the target
 * state (or a static table for an overflowed one), so the target must
 * outlive @p cmd.
 * @return false once the plan is complete.
 */
bool svq_replay_next(struct svq_replay *r, struct svq_cvq_cmd *cmd);

#endif /* SVQ_REPLAY_H */
