/* SPDX-License-Identifier: BSD-3-Clause */

#ifndef SVQ_STATS_H
#define SVQ_STATS_H

/**
 * @file
 * Per-queue counters. Each queue's counters are written only by the lcore
 * that owns the queue and read by anyone, without locks: a reader may see
 * a slightly stale value, never a torn one (aligned 64-bit stores).
 */

#include <stdint.h>

struct svq_queue_stats {
	uint64_t avail_chains;	/**< chains forwarded guest -> device */
	uint64_t avail_descs;	/**< descriptors in those chains */
	uint64_t avail_bytes;	/**< buffer bytes offered to the device */
	uint64_t used_chains;	/**< chains completed device -> guest */
	uint64_t used_bytes;	/**< bytes the device reported written */
	uint64_t device_kicks;	/**< notifications sent to the device */
	uint64_t guest_calls;	/**< interrupts sent to the guest */
	uint64_t guest_errors;	/**< malformed guest input seen */
	uint64_t device_errors;	/**< malformed device completions seen */
};

#endif /* SVQ_STATS_H */
