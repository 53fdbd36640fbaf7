/* SPDX-License-Identifier: BSD-3-Clause */

#ifndef FE_TRAFFIC_H
#define FE_TRAFFIC_H

/*
 * Loopback traffic check: stream numbered frames on one or every queue
 * pair and check that each comes back exactly once, intact, in order, on
 * the RX queue of the pair it was sent on (what a loopback device without
 * RSS must do).
 */

#include <stdint.h>

#include "fe_net.h"

struct fe_loop_result {
	uint64_t sent;
	uint64_t received;	/* valid frames of ours, duplicates included */
	uint64_t lost;		/* sent, never received intact */
	uint64_t dup;
	uint64_t corrupt;	/* our EtherType, bad content or length */
	uint64_t misqueued;	/* intact but on another pair's RX queue */
	uint64_t reordered;	/* intact but not the next one expected */
	uint64_t foreign;	/* not ours */
	uint64_t ms;
};

/* EtherType of the test frames (IEEE local experimental). */
#define FE_LOOP_ETHERTYPE 0x88b5

/*
 * Send count frames on pair (or, with pair < 0, round-robin over every
 * pair) with sizes in [min_len, max_len], at most window per pair in
 * flight, while receiving. Stops when every frame is back or nothing has
 * arrived for idle_ms. Returns 0 (check r) or -errno.
 */
int fe_traffic_loop(struct fe_net *net, int pair, uint64_t count,
		uint32_t min_len, uint32_t max_len, uint32_t window,
		int idle_ms, struct fe_loop_result *r);

#endif /* FE_TRAFFIC_H */
