/* SPDX-License-Identifier: BSD-3-Clause */

/* Per-queue statistics table, read without locks from the workers'
 * counters through the action layer. */

#include <inttypes.h>
#include <string.h>

#include <rte_cycles.h>

#include "relay_cmd.h"
#include "relay_stats.h"

/* What the previous call saw, to compute rates; a port is known by its
 * serial, as ids are reused. */
static struct {
	uint64_t serial;
	uint64_t used_chains[RELAY_MAX_VRINGS];
} relay_prev[RELAY_MAX_PORTS];
static uint64_t relay_prev_tsc;

void
relay_stats_print(FILE *f)
{
	static struct relay_port_stats st;	/* large: not on the stack */
	struct relay_port_entry ports[RELAY_MAX_PORTS];
	uint64_t now = rte_get_tsc_cycles();
	double secs = relay_prev_tsc ?
		(double)(now - relay_prev_tsc) / rte_get_tsc_hz() : 0;
	unsigned int i, n = relay_port_list(ports, RELAY_MAX_PORTS);

	for (i = 0; i < n; i++) {
		const struct relay_port_entry *e = &ports[i];
		bool known = relay_prev[e->id].serial == e->serial;
		char err[RELAY_ERR_LEN];
		uint16_t qid;

		if (relay_port_stats(e->id, &st, err, sizeof(err)) < 0)
			continue;	/* deleted meanwhile */
		fprintf(f, "%s %s %s\n", e->name, e->path,
			e->connected ? "connected" : "waiting");
		fprintf(f, "  %-5s %-5s %-8s %12s %14s %12s %14s %8s %8s %6s %10s\n",
			"vring", "lcore", "state", "avail-chains", "avail-bytes",
			"used-chains", "used-bytes", "kicks", "calls", "errors",
			"Mchains/s");
		for (qid = 0; qid < st.nb_vrings; qid++) {
			const struct relay_queue_view *v = &st.q[qid];
			uint64_t prev = relay_prev[e->id].used_chains[qid];
			double rate = 0;

			/* A clear makes counters go back: no rate then. */
			if (known && secs > 0 && v->stats.used_chains >= prev)
				rate = (v->stats.used_chains - prev) / secs / 1e6;
			fprintf(f, "  %-5u %-5d %-8s %12" PRIu64 " %14" PRIu64
				" %12" PRIu64 " %14" PRIu64 " %8" PRIu64 " %8" PRIu64
				" %6" PRIu64 " %10.3f\n",
				qid, v->lcore == UINT_MAX ? -1 : (int)v->lcore,
				v->state == SVQ_QUEUE_BROKEN ? "BROKEN" :
				relay_queue_state_name(v->state),
				v->stats.avail_chains, v->stats.avail_bytes,
				v->stats.used_chains, v->stats.used_bytes,
				v->stats.device_kicks, v->stats.guest_calls,
				v->stats.guest_errors + v->stats.device_errors,
				rate);
			relay_prev[e->id].used_chains[qid] = v->stats.used_chains;
		}
		relay_prev[e->id].serial = e->serial;
	}
	fflush(f);
	relay_prev_tsc = now;
}
