/* SPDX-License-Identifier: BSD-3-Clause */

#ifndef FE_FLOOD_H
#define FE_FLOOD_H

/*
 * Throughput mode: keep the rings of every queue pair full for a while
 * and count what moves, at as little cost per frame as the driver model
 * allows, so that the backend rather than this tool sets the rate.
 *
 * TX posts the same pre-built frame from every slot (written once per
 * slot, no per-frame checksum or copy) and reposts a slot as soon as its
 * chain completes; RX reposts a buffer as soon as it comes back, payload
 * unread. What the backend writes is still checked as everywhere in the
 * tool: used ids, lengths and indices by fe_vring, the RX header's
 * num_buffers here. Avail indices are published once per pass over a
 * vring, kicks honour the device's suppression, and the device is asked
 * not to call: the tool polls.
 */

#include <stdint.h>

#include "fe_net.h"

#define FE_FLOOD_RX	1u
#define FE_FLOOD_TX	2u

struct fe_flood_result {
	uint64_t tx_frames;	/* TX chains the backend completed */
	uint64_t tx_bytes;	/* their frame bytes, header excluded */
	uint64_t rx_frames;	/* RX frames whose first buffer came back */
	uint64_t rx_bytes;	/* used bytes, headers excluded */
	uint64_t rx_bad;	/* short or bad num_buffers: skipped */
	uint64_t bad_used;	/* used ids, lengths, indices refused */
	uint64_t polls;		/* passes over the vrings */
	uint64_t busy_polls;	/* passes that found completions */
	uint64_t completions;	/* used entries read, TX and RX */
	uint64_t ns;		/* the whole flood */
	uint64_t busy_ns;	/* spent in passes that found completions */
	uint64_t cpu_ns;	/* CPU time the tool had meanwhile */
};

/*
 * Whether this tool or the backend sets the rate shows in busy_ns / ns:
 * the share of time the loop had work. Near 100 %, the backend always had
 * completions waiting and the tool is the bottleneck; low, the tool spun
 * on empty rings and waited for the backend. cpu_ns / ns below 100 % means
the tool was not even running all the time: the cpu is shared.
 *
 * Flood for ms milliseconds in the directions dir (FE_FLOOD_RX and/or
 * FE_FLOOD_TX) on every queue pair, TX frames of len bytes (14 up to
 * fe_net_tx_room). Chains still in flight at the end stay posted.
 * Returns 0 (check r) or -errno: -EINVAL, -EPERM (a raw vring),
 * -EPROTO (the backend broke a ring), -ECONNRESET, -ESHUTDOWN.
 */
int fe_flood(struct fe_net *net, unsigned int dir, uint64_t ms, uint32_t len,
		struct fe_flood_result *r);

#endif /* FE_FLOOD_H */
