/* SPDX-License-Identifier: BSD-3-Clause */

/* Command line of svq-relay: everything after EAL's "--". */

#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <rte_string_fns.h>

#include "relay_args.h"
#include "svq_port.h"

enum {
	OPT_VHOST = 256,
	OPT_DEVICE,
	OPT_LCORE_MAP,
	OPT_STATS,
	OPT_DURATION,
	OPT_HELP,
	OPT_CMDLINE_FILE,
	OPT_CONTROL,
};

static const struct option relay_options[] = {
	{ "vhost", required_argument, NULL, OPT_VHOST },
	{ "device", required_argument, NULL, OPT_DEVICE },
	{ "lcore-map", required_argument, NULL, OPT_LCORE_MAP },
	{ "stats", required_argument, NULL, OPT_STATS },
	{ "duration", required_argument, NULL, OPT_DURATION },
	{ "help", no_argument, NULL, OPT_HELP },
	{ "interactive", no_argument, NULL, 'i' },
	{ "cmdline-file", required_argument, NULL, OPT_CMDLINE_FILE },
	{ "control", required_argument, NULL, OPT_CONTROL },
	{ NULL, 0, NULL, 0 },
};

void
relay_usage(const char *prog)
{
	fprintf(stderr,
		"usage: %s [EAL options] -- --vhost PATH[,queues=N][,client][,mode=M][,notify=N][,state-in=F][,state-out=F]\n"
		"        [--device SPEC]\n"
		"        [--vhost ... --device ...] [--lcore-map P:Q[-Q]@LCORE[,...]]\n"
		"        [--stats SECONDS] [--duration SECONDS]\n"
		"        [-i] [--cmdline-file FILE] [--control PATH]\n"
		"  --vhost PATH,...   a port: vhost-user socket (server unless 'client'),\n"
		"                     queues=N queue pairs (1..%u, default 1),\n"
		"                     mode=always|on-migration shadow the data vrings always (default)\n"
		"                     or only while a migration logs dirty pages,\n"
		"                     notify=poll|interrupt|adaptive busy-poll (default), sleep when idle,\n"
		"                     or poll under load and sleep after 200 us idle,\n"
		"                     state-in=FILE replay this device state (JSON) when the device starts,\n"
		"                     state-out=FILE save the device state the guest set at exit (or port del)\n"
		"  --device SPEC      device behind the last --vhost (default %s):\n",
		prog, SVQ_MAX_QUEUE_PAIRS, RELAY_DEFAULT_DEVICE);
	svq_device_drivers_usage(stderr);
	fprintf(stderr,
		"  --lcore-map MAP    put vrings Q of port P on worker LCORE, e.g. 0:0-1@1,0:2-3@2;\n"
		"                     default: queue pairs spread over the worker lcores\n"
		"  --stats SECONDS    print per-queue statistics every SECONDS\n"
		"  --duration SECONDS stop after SECONDS (default: on SIGINT/SIGTERM)\n"
		"  -i, --interactive  operator console on stdin (prompt 'svq> ', 'help')\n"
		"  --cmdline-file FILE run the console commands in FILE once started\n"
		"  --control PATH     JSON control socket (UNIX stream, mode 0600)\n");
}

static int
relay_parse_uint(const char *s, unsigned long max, unsigned long *out)
{
	char *end;

	if (s[0] < '0' || s[0] > '9')
		return -1;
	errno = 0;
	*out = strtoul(s, &end, 10);
	if (errno != 0 || *end != '\0' || *out > max)
		return -1;
	return 0;
}

int
relay_parse_port_spec(const char *arg, struct relay_port_args *p,
		char *err, size_t err_len)
{
	char buf[PATH_MAX + 64];
	char *opt, *save = NULL;

	memset(p, 0, sizeof(*p));
	p->queues = 1;
	if (rte_strscpy(buf, arg, sizeof(buf)) < 0) {
		snprintf(err, err_len, "--vhost argument too long");
		return -1;
	}
	opt = strtok_r(buf, ",", &save);
	if (opt == NULL || rte_strscpy(p->path, opt, sizeof(p->path)) < 0) {
		snprintf(err, err_len, "--vhost needs a socket path");
		return -1;
	}
	while ((opt = strtok_r(NULL, ",", &save)) != NULL) {
		unsigned long v;

		if (strncmp(opt, "queues=", 7) == 0) {
			if (relay_parse_uint(opt + 7, SVQ_MAX_QUEUE_PAIRS, &v) < 0 ||
					v == 0) {
				snprintf(err, err_len, "--vhost %s: queues must be 1..%u",
					p->path, SVQ_MAX_QUEUE_PAIRS);
				return -1;
			}
			p->queues = v;
		} else if (strcmp(opt, "client") == 0) {
			p->client = true;
		} else if (strncmp(opt, "notify=", 7) == 0) {
			if (svq_port_notify_parse(opt + 7, &p->notify) < 0) {
				snprintf(err, err_len, "--vhost %s: unknown notify '%s' (poll, interrupt or adaptive)",
					p->path, opt + 7);
				return -1;
			}
		} else if (strncmp(opt, "mode=", 5) == 0) {
			if (svq_port_mode_parse(opt + 5, &p->mode) < 0) {
				snprintf(err, err_len, "--vhost %s: unknown mode '%s' (always or on-migration)",
					p->path, opt + 5);
				return -1;
			}
		} else if (strncmp(opt, "state-in=", 9) == 0 && opt[9] != '\0') {
			if (rte_strscpy(p->state_in, opt + 9, sizeof(p->state_in)) < 0) {
				snprintf(err, err_len, "--vhost %s: state-in path too long",
					p->path);
				return -1;
			}
		} else if (strncmp(opt, "state-out=", 10) == 0 && opt[10] != '\0') {
			if (rte_strscpy(p->state_out, opt + 10, sizeof(p->state_out)) < 0) {
				snprintf(err, err_len, "--vhost %s: state-out path too long",
					p->path);
				return -1;
			}
		} else {
			snprintf(err, err_len, "--vhost %s: unknown option '%s'",
				p->path, opt);
			return -1;
		}
	}
	rte_strscpy(p->device, RELAY_DEFAULT_DEVICE, sizeof(p->device));
	return 0;
}

static int
relay_parse_vhost(const char *arg, struct relay_args *args)
{
	char err[PATH_MAX + 128];

	if (args->nb_ports == RELAY_MAX_PORTS) {
		fprintf(stderr, "error: at most %u --vhost ports\n",
			RELAY_MAX_PORTS);
		return -1;
	}
	if (relay_parse_port_spec(arg, &args->ports[args->nb_ports], err,
			sizeof(err)) < 0) {
		fprintf(stderr, "error: %s\n", err);
		return -1;
	}
	args->nb_ports++;
	return 0;
}

/* P:Q@L or P:Q1-Q2@L, comma separated. */
static int
relay_parse_lcore_map(const char *arg, struct relay_args *args)
{
	char buf[4096];
	char *item, *save = NULL;

	if (rte_strscpy(buf, arg, sizeof(buf)) < 0)
		goto bad;
	for (item = strtok_r(buf, ",", &save); item != NULL;
			item = strtok_r(NULL, ",", &save)) {
		struct relay_lcore_map *m;
		unsigned int port, q1, q2, lcore;
		char tail;

		if (args->nb_lcore_map == RELAY_MAX_LCORE_MAP)
			goto bad;
		m = &args->lcore_map[args->nb_lcore_map];
		if (sscanf(item, "%u:%u-%u@%u%c", &port, &q1, &q2, &lcore, &tail) == 4) {
			/* range */
		} else if (sscanf(item, "%u:%u@%u%c", &port, &q1, &lcore, &tail) == 3) {
			q2 = q1;
		} else {
			goto bad;
		}
		if (q2 < q1 || q2 >= 2 * SVQ_MAX_QUEUE_PAIRS || port >= RELAY_MAX_PORTS)
			goto bad;
		m->port = port;
		m->first_vring = q1;
		m->last_vring = q2;
		m->lcore = lcore;
		args->nb_lcore_map++;
	}
	return 0;
bad:
	fprintf(stderr, "error: bad --lcore-map '%s' (expected P:Q[-Q]@LCORE,...)\n",
		arg);
	return -1;
}

int
relay_parse_args(int argc, char **argv, struct relay_args *args)
{
	unsigned long v;
	int opt;

	memset(args, 0, sizeof(*args));
	optind = 1;
	opterr = 0;
	while ((opt = getopt_long(argc, argv, "i", relay_options, NULL)) != -1) {
		switch (opt) {
		case OPT_VHOST:
			if (relay_parse_vhost(optarg, args) < 0)
				return -1;
			break;
		case OPT_DEVICE:
			if (args->nb_ports == 0) {
				fprintf(stderr, "error: --device must follow a --vhost\n");
				return -1;
			}
			if (rte_strscpy(args->ports[args->nb_ports - 1].device,
					optarg, sizeof(args->ports[0].device)) < 0) {
				fprintf(stderr, "error: --device argument too long\n");
				return -1;
			}
			break;
		case OPT_LCORE_MAP:
			if (relay_parse_lcore_map(optarg, args) < 0)
				return -1;
			break;
		case OPT_STATS:
			if (relay_parse_uint(optarg, 3600, &v) < 0) {
				fprintf(stderr, "error: --stats takes 0..3600 seconds\n");
				return -1;
			}
			args->stats_period = v;
			break;
		case OPT_DURATION:
			if (relay_parse_uint(optarg, 86400 * 365, &v) < 0) {
				fprintf(stderr, "error: --duration takes a number of seconds\n");
				return -1;
			}
			args->duration = v;
			break;
		case 'i':
			args->interactive = true;
			break;
		case OPT_CMDLINE_FILE:
			if (rte_strscpy(args->cmdline_file, optarg,
					sizeof(args->cmdline_file)) < 0) {
				fprintf(stderr, "error: --cmdline-file path too long\n");
				return -1;
			}
			break;
		case OPT_CONTROL:
			/* sun_path is 108 bytes with the terminating NUL. */
			if (optarg[0] == '\0' || strlen(optarg) >= 108) {
				fprintf(stderr, "error: --control needs a socket path of 1..107 bytes\n");
				return -1;
			}
			rte_strscpy(args->control, optarg, sizeof(args->control));
			break;
		case OPT_HELP:
			return -1;
		default:
			fprintf(stderr, "error: unknown or incomplete option '%s'\n",
				argv[optind - 1]);
			return -1;
		}
	}
	if (optind < argc) {
		fprintf(stderr, "error: unexpected argument '%s'\n", argv[optind]);
		return -1;
	}
	if (args->nb_ports == 0) {
		fprintf(stderr, "error: no port: give at least one --vhost PATH\n");
		return -1;
	}
	return 0;
}
