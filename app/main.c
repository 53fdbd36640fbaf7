/* SPDX-License-Identifier: BSD-3-Clause */

/*
 * svq-relay: relays guest virtqueues, reached over vhost-user, to
 * virtio-net devices through shadow virtqueues on poll-mode lcores.
 *
 *   svq-relay [EAL options] -- --vhost PATH[,queues=N] --device SPEC ...
 */

#include <errno.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <rte_cycles.h>
#include <rte_eal.h>
#include <rte_errno.h>
#include <rte_lcore.h>

#include "relay_args.h"
#include "relay_stats.h"
#include "svq_port.h"
#include "svq_state_json.h"
#include "svq_worker.h"

static volatile sig_atomic_t relay_quit;

static void
relay_signal(int sig)
{
	RTE_SET_USED(sig);
	relay_quit = 1;
}

/* Worker lcores in EAL order, for the default spread. */
static unsigned int
relay_worker_lcores(unsigned int *lcores)
{
	unsigned int lcore, n = 0;

	RTE_LCORE_FOREACH_WORKER(lcore)
		lcores[n++] = lcore;
	return n;
}

/*
 * Give every vring a worker: the --lcore-map entries first, then queue
 * pairs round-robin over the workers, both vrings of a pair together so a
 * loopback device's TX and RX stay on one lcore.
 */
static int
relay_assign_lcores(const struct relay_args *args, struct svq_port **ports)
{
	unsigned int workers[RTE_MAX_LCORE];
	unsigned int nb_workers = relay_worker_lcores(workers);
	unsigned int next = 0, i, p;
	int ret;

	for (i = 0; i < args->nb_lcore_map; i++) {
		const struct relay_lcore_map *m = &args->lcore_map[i];
		uint16_t qid;

		if (m->port >= args->nb_ports ||
				m->last_vring >= svq_port_nb_vrings(ports[m->port])) {
			fprintf(stderr, "error: --lcore-map %u:%u-%u: no such port or vring\n",
				m->port, m->first_vring, m->last_vring);
			return -1;
		}
		for (qid = m->first_vring; qid <= m->last_vring; qid++) {
			ret = svq_port_set_lcore(ports[m->port], qid, m->lcore);
			if (ret < 0) {
				fprintf(stderr, "error: --lcore-map %u:%u@%u: %s\n",
					m->port, qid, m->lcore,
					ret == -EBUSY ? "vring mapped twice" :
					"not a worker lcore of this process (see -l)");
				return -1;
			}
		}
	}
	for (p = 0; p < args->nb_ports; p++) {
		uint16_t qid;

		for (qid = 0; qid < svq_port_nb_vrings(ports[p]); qid += 2) {
			unsigned int lcore = workers[next % nb_workers];
			bool used = false;

			/* -EBUSY: already placed by --lcore-map */
			if (svq_port_set_lcore(ports[p], qid, lcore) == 0)
				used = true;
			if (svq_port_set_lcore(ports[p], qid + 1, lcore) == 0)
				used = true;
			if (used)
				next++;
		}
	}
	return 0;
}

static int
relay_load_state(struct svq_port *port, const char *path)
{
	struct svq_net_state state;
	char err[256];

	if (svq_state_load(path, &state, err, sizeof(err)) < 0) {
		fprintf(stderr, "error: state-in: %s\n", err);
		return -1;
	}
	if (svq_port_set_restore_state(port, &state) < 0) {
		fprintf(stderr, "error: state-in %s does not fit port %s (see log above)\n",
			path, svq_port_name(port));
		return -1;
	}
	return 0;
}

static int
relay_save_state(struct svq_port *port, const char *path)
{
	struct svq_net_state state;
	char err[256];

	if (svq_port_get_net_state(port, &state) < 0) {
		fprintf(stderr, "svq-relay: %s: no device state to save (never started)\n",
			svq_port_name(port));
		return -1;
	}
	if (svq_state_save(&state, path, err, sizeof(err)) < 0) {
		fprintf(stderr, "svq-relay: %s: %s\n", svq_port_name(port), err);
		return -1;
	}
	printf("svq-relay: %s: device state saved to %s\n", svq_port_name(port), path);
	return 0;
}

static void
relay_run(const struct relay_args *args, struct svq_port **ports)
{
	uint64_t hz = rte_get_tsc_hz();
	uint64_t start = rte_get_tsc_cycles();
	uint64_t next_stats = start + (uint64_t)args->stats_period * hz;

	while (!relay_quit) {
		uint64_t now = rte_get_tsc_cycles();

		if (args->duration != 0 && now - start >= args->duration * hz)
			break;
		if (args->stats_period != 0 && now >= next_stats) {
			relay_stats_print(stdout, ports, args->nb_ports);
			next_stats += (uint64_t)args->stats_period * hz;
		}
		usleep(100 * 1000);
	}
}

int
main(int argc, char **argv)
{
	struct svq_port *ports[RELAY_MAX_PORTS] = { NULL };
	struct relay_args args;
	unsigned int p;
	int ret, exit_code = EXIT_FAILURE;

	ret = rte_eal_init(argc, argv);
	if (ret < 0) {
		fprintf(stderr, "error: cannot initialise EAL: %s\n",
			rte_strerror(rte_errno));
		return EXIT_FAILURE;
	}
	argc -= ret;
	argv += ret;
	argv[0] = (char *)"svq-relay";

	if (relay_parse_args(argc, argv, &args) < 0) {
		relay_usage(argv[0]);
		rte_eal_cleanup();
		return 2;
	}
	if (rte_lcore_count() < 2) {
		fprintf(stderr, "error: no worker lcore: give EAL at least two, e.g. -l 0-1\n");
		rte_eal_cleanup();
		return 2;
	}
	signal(SIGINT, relay_signal);
	signal(SIGTERM, relay_signal);

	if (svq_workers_init() < 0) {
		fprintf(stderr, "error: cannot set up workers\n");
		goto out;
	}
	for (p = 0; p < args.nb_ports; p++) {
		struct svq_port_params params = {
			.path = args.ports[p].path,
			.nb_queue_pairs = args.ports[p].queues,
			.client = args.ports[p].client,
			.dev = svq_device_create(args.ports[p].device),
		};

		if (params.dev == NULL) {
			fprintf(stderr, "error: --device %s: cannot create the device (see log above)\n",
				args.ports[p].device);
			relay_usage(argv[0]);
			exit_code = 2;
			goto out;
		}
		ports[p] = svq_port_create(&params);
		if (ports[p] == NULL) {
			fprintf(stderr, "error: --vhost %s: cannot create the port (see log above)\n",
				args.ports[p].path);
			goto out;
		}
		if (args.ports[p].state_in[0] != '\0' &&
				relay_load_state(ports[p], args.ports[p].state_in) < 0) {
			relay_usage(argv[0]);
			exit_code = 2;
			goto out;
		}
	}
	if (relay_assign_lcores(&args, ports) < 0) {
		relay_usage(argv[0]);
		exit_code = 2;
		goto out;
	}
	if (svq_workers_launch() < 0)
		goto out;
	for (p = 0; p < args.nb_ports; p++) {
		if (svq_port_start(ports[p]) < 0)
			goto out;
		printf("svq-relay: %s listening on %s\n", svq_port_name(ports[p]),
			svq_port_path(ports[p]));
	}
	fflush(stdout);

	relay_run(&args, ports);
	printf("svq-relay: final statistics\n");
	relay_stats_print(stdout, ports, args.nb_ports);
	exit_code = EXIT_SUCCESS;
	for (p = 0; p < args.nb_ports; p++)
		if (args.ports[p].state_out[0] != '\0' &&
				relay_save_state(ports[p], args.ports[p].state_out) < 0)
			exit_code = EXIT_FAILURE;
out:
	for (p = 0; p < args.nb_ports; p++)
		svq_port_destroy(ports[p]);
	svq_workers_stop();
	rte_eal_cleanup();
	return exit_code;
}
