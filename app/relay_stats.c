/* SPDX-License-Identifier: BSD-3-Clause */

/* Per-queue statistics table, read without locks from the workers'
 * counters. */

#include <inttypes.h>
#include <string.h>

#include <rte_cycles.h>

#include "relay_args.h"
#include "relay_stats.h"
#include "svq_port.h"

#define RELAY_STATS_MAX_VRINGS (2 * SVQ_MAX_QUEUE_PAIRS)

static struct svq_queue_stats relay_prev[RELAY_MAX_PORTS][RELAY_STATS_MAX_VRINGS];
static uint64_t relay_prev_tsc;

static const char *
relay_state_name(enum svq_queue_state state)
{
	switch (state) {
	case SVQ_QUEUE_RUNNING:
		return "running";
	case SVQ_QUEUE_BROKEN:
		return "BROKEN";
	default:
		return "idle";
	}
}

void
relay_stats_print(FILE *f, struct svq_port *const *ports,
		unsigned int nb_ports)
{
	uint64_t now = rte_get_tsc_cycles();
	double secs = relay_prev_tsc ?
		(double)(now - relay_prev_tsc) / rte_get_tsc_hz() : 0;
	unsigned int p;

	for (p = 0; p < nb_ports && p < RELAY_MAX_PORTS; p++) {
		uint16_t qid;

		fprintf(f, "%s %s %s\n", svq_port_name(ports[p]),
			svq_port_path(ports[p]),
			svq_port_connected(ports[p]) ? "connected" : "waiting");
		fprintf(f, "  %-5s %-5s %-8s %12s %14s %12s %14s %8s %8s %6s %10s\n",
			"vring", "lcore", "state", "avail-chains", "avail-bytes",
			"used-chains", "used-bytes", "kicks", "calls", "errors",
			"Mchains/s");
		for (qid = 0; qid < svq_port_nb_vrings(ports[p]) &&
				qid < RELAY_STATS_MAX_VRINGS; qid++) {
			struct svq_queue_stats s, *prev = &relay_prev[p][qid];
			enum svq_queue_state state;
			unsigned int lcore;
			double rate;

			svq_port_queue_stats(ports[p], qid, &s, &state, &lcore);
			rate = secs > 0 ? (s.used_chains - prev->used_chains) /
				secs / 1e6 : 0;
			fprintf(f, "  %-5u %-5u %-8s %12" PRIu64 " %14" PRIu64
				" %12" PRIu64 " %14" PRIu64 " %8" PRIu64 " %8" PRIu64
				" %6" PRIu64 " %10.3f\n",
				qid, lcore, relay_state_name(state),
				s.avail_chains, s.avail_bytes, s.used_chains,
				s.used_bytes, s.device_kicks, s.guest_calls,
				s.guest_errors + s.device_errors, rate);
			*prev = s;
		}
	}
	fflush(f);
	relay_prev_tsc = now;
}
