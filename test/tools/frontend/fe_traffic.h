/* SPDX-License-Identifier: BSD-3-Clause */

#ifndef FE_TRAFFIC_H
#define FE_TRAFFIC_H

/*
 * Loopback traffic check: stream numbered frames on one or every queue
 * pair and check that each comes back exactly once, intact, in order, on
 * the RX queue of the pair it was sent on (what a loopback device without
 * RSS must do).
 *
 * loop does it in one go. A stream does the same in steps that keep their
 * state in between (sequence numbers, frames in flight, what came back),
 * so a script can stop the device with frames in flight, move the guest
 * to another backend and check afterwards that nothing was lost or
 * duplicated across the switch. The two use different magic numbers: a
 * frame of one counts as foreign to the other.
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
#define FE_LOOP_MAGIC	0x53565146u	/* "SVQF": loop */
#define FE_STREAM_MAGIC	0x5356514du	/* "SVQM": stream */

struct fe_stream {
	int pair;		/* < 0: round robin over every pair */
	uint16_t pairs;
	uint32_t min_len, max_len;
	uint32_t magic;
	uint64_t seq;		/* frames sent = next sequence number */
	uint64_t unique;	/* distinct frames back */
	uint64_t *expect;	/* by pair: next sequence number due */
	uint64_t *inflight;	/* by pair: sent, not yet back */
	uint8_t *seen;		/* by sequence number */
	uint64_t seen_cap;
	uint64_t start_ms;
	struct fe_loop_result r;	/* totals (lost, ms: at finish) */
};

/* Set up a stream of frames with sizes in [min_len, max_len] on pair (or
 * every pair with pair < 0). Returns 0 or -EINVAL / -ENOMEM. */
int fe_stream_init(struct fe_stream *s, uint16_t pairs, int pair,
		uint32_t min_len, uint32_t max_len, uint32_t magic);
void fe_stream_fini(struct fe_stream *s);

/*
 * Send count more frames, at most window per pair in flight, receiving
 * and checking whatever comes back meanwhile; returns as soon as the last
 * one is queued (up to a window per pair is then in flight), or early
 * when the window stays full and nothing arrives for idle_ms. Returns 0
 * (s->seq tells how far it got) or -errno.
 */
int fe_stream_send(struct fe_stream *s, struct fe_net *net, uint64_t count,
		uint32_t window, int idle_ms);

/* Receive until every frame sent is back or nothing has arrived for
 * idle_ms; r gets the totals, lost = sent and never back. */
int fe_stream_finish(struct fe_stream *s, struct fe_net *net, int idle_ms,
		struct fe_loop_result *r);

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
