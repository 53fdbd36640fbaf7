/* SPDX-License-Identifier: BSD-3-Clause */

/*
 * svq-relay: relays guest virtqueues, reached over vhost-user, to
 * virtio-net devices through shadow virtqueues on poll-mode lcores.
 *
 *   svq-relay [EAL options] -- --vhost PATH[,queues=N] --device SPEC ...
 *             [-i] [--cmdline-file FILE] [--control PATH]
 *
 * The main lcore runs the control path: start-up, the console and the
 * statistics; the control socket and telemetry have threads of their own.
 * All of them act through relay_cmd.c.
 */

#include <errno.h>
#include <poll.h>
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
#include "relay_cmd.h"
#include "relay_console.h"
#include "relay_ctl.h"
#include "relay_stats.h"
#include "relay_telemetry.h"
#include "svq_port.h"
#include "svq_worker.h"

static volatile sig_atomic_t relay_quit;

static void
relay_signal(int sig)
{
	RTE_SET_USED(sig);
	relay_quit = 1;
}

/*
 * Place the start-up ports' vrings: the --lcore-map entries first, then
 * queue pairs round-robin over the workers (relay_port_spread).
 */
static int
relay_assign_lcores(const struct relay_args *args)
{
	char err[RELAY_ERR_LEN];
	unsigned int i, p;
	int ret;

	for (i = 0; i < args->nb_lcore_map; i++) {
		const struct relay_lcore_map *m = &args->lcore_map[i];
		struct relay_port_entry e;
		uint16_t qid;

		if (m->port >= args->nb_ports ||
				relay_port_get(m->port, &e, NULL, err, sizeof(err)) < 0 ||
				m->last_vring >= e.nb_vrings) {
			fprintf(stderr, "error: --lcore-map %u:%u-%u: no such port or vring\n",
				m->port, m->first_vring, m->last_vring);
			return -1;
		}
		for (qid = m->first_vring; qid <= m->last_vring; qid++) {
			ret = relay_port_set_lcore(m->port, qid, m->lcore);
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
		if (relay_port_spread(p, err, sizeof(err)) < 0) {
			fprintf(stderr, "error: %s\n", err);
			return -1;
		}
	}
	return 0;
}

/* Until a signal, the --duration, or "quit"; serves the console. */
static void
relay_run(const struct relay_args *args)
{
	uint64_t hz = rte_get_tsc_hz();
	uint64_t start = rte_get_tsc_cycles();
	uint64_t next_stats = start + (uint64_t)args->stats_period * hz;

	while (!relay_quit) {
		uint64_t now = rte_get_tsc_cycles();
		struct pollfd pfd = { .fd = relay_console_fd(), .events = POLLIN };

		if (args->duration != 0 && now - start >= args->duration * hz)
			break;
		if (args->stats_period != 0 && now >= next_stats) {
			relay_stats_print(stdout);
			next_stats += (uint64_t)args->stats_period * hz;
		}
		if (pfd.fd < 0) {
			usleep(100 * 1000);
			continue;
		}
		/* The console on stdin: a line at a time as typed. */
		if (poll(&pfd, 1, 100) > 0 && relay_console_input() < 0)
			break;	/* end of input, or "quit" */
	}
}

int
main(int argc, char **argv)
{
	struct relay_args args;
	char err[RELAY_ERR_LEN];
	unsigned int p, id;
	int ret, exit_code = EXIT_FAILURE;

	ret = rte_eal_init(argc, argv);
	if (ret < 0) {
		if (rte_errno == ENOMEM)
			fprintf(stderr, "error: cannot initialise EAL: not enough free hugepage memory for its -m/--socket-mem (see HugePages_Free in /proc/meminfo; scripts/setup.sh reserves 1024 pages of 2 MiB)\n");
		else
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

	if (svq_workers_init() < 0 || relay_cmd_init() < 0) {
		fprintf(stderr, "error: cannot set up workers\n");
		goto out;
	}
	for (p = 0; p < args.nb_ports; p++) {
		ret = relay_port_create(&args.ports[p], &id, err, sizeof(err));
		if (ret < 0) {
			fprintf(stderr, "error: %s\n", err);
			if (ret == -EINVAL) {	/* bad device spec or state */
				relay_usage(argv[0]);
				exit_code = 2;
			}
			goto out;
		}
	}
	if (relay_assign_lcores(&args) < 0) {
		relay_usage(argv[0]);
		exit_code = 2;
		goto out;
	}
	if (svq_workers_launch() < 0)
		goto out;
	for (p = 0; p < args.nb_ports; p++) {
		struct relay_port_entry e;

		if (relay_port_start(p, err, sizeof(err)) < 0) {
			fprintf(stderr, "error: %s\n", err);
			goto out;
		}
		relay_port_get(p, &e, NULL, err, sizeof(err));
		printf("svq-relay: %s listening on %s\n", e.name, e.path);
	}
	fflush(stdout);

	if (relay_telemetry_init() < 0)
		fprintf(stderr, "svq-relay: telemetry endpoints not registered\n");
	if (args.control[0] != '\0' && relay_ctl_start(args.control, err,
			sizeof(err)) < 0) {
		fprintf(stderr, "error: --control %s\n", err);
		goto out;
	}
	relay_console_init(&relay_quit);
	if (args.cmdline_file[0] != '\0' &&
			relay_console_run_file(args.cmdline_file) < 0)
		goto out;
	if (args.interactive && !relay_quit)
		relay_console_start();

	relay_run(&args);
	relay_console_stop();
	relay_ctl_stop();
	printf("svq-relay: final statistics\n");
	relay_stats_print(stdout);
	exit_code = relay_cmd_fini(true) == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
out:
	relay_console_stop();
	relay_ctl_stop();
	relay_cmd_fini(false);	/* what is left after an error */
	svq_workers_stop();
	rte_eal_cleanup();
	return exit_code;
}
