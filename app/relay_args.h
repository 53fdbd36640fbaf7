/* SPDX-License-Identifier: BSD-3-Clause */

#ifndef RELAY_ARGS_H
#define RELAY_ARGS_H

#include <limits.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "svq_port.h"

#define RELAY_MAX_PORTS 16
#define RELAY_MAX_LCORE_MAP 256

struct relay_port_args {
	char path[PATH_MAX];
	uint16_t queues;
	bool client;
	enum svq_port_mode mode;
	enum svq_port_notify notify;
	char device[256];	/* device spec, e.g. "sim,mode=loopback" */
	char state_in[PATH_MAX];	/* restore this device state */
	char state_out[PATH_MAX];	/* save the device state at exit */
};

struct relay_lcore_map {
	uint16_t port;
	uint16_t first_vring;
	uint16_t last_vring;
	unsigned int lcore;
};

struct relay_args {
	struct relay_port_args ports[RELAY_MAX_PORTS];
	unsigned int nb_ports;
	struct relay_lcore_map lcore_map[RELAY_MAX_LCORE_MAP];
	unsigned int nb_lcore_map;
	unsigned int stats_period;	/* seconds, 0: only at exit */
	unsigned int duration;		/* seconds, 0: until a signal */
	bool interactive;		/* -i: console on stdin */
	char cmdline_file[PATH_MAX];	/* console commands to run at start */
	char control[PATH_MAX];		/* control socket path, "" for none */
};

/*
 * Parse the application arguments (after EAL's). On error print one line
 * saying what is wrong and return -1; the caller prints the usage.
 */
int relay_parse_args(int argc, char **argv, struct relay_args *args);
void relay_usage(const char *prog);

/*
 * Parse a --vhost argument, PATH[,queues=N][,client][,state-in=F]
 * [,state-out=F], into @p p, with the default device. On error write one
 * line saying what is wrong to @p err and return -1.
 */
int relay_parse_port_spec(const char *arg, struct relay_port_args *p,
		char *err, size_t err_len);

/* The device a --vhost gets without --device. */
#define RELAY_DEFAULT_DEVICE "sim,mode=loopback"

#endif /* RELAY_ARGS_H */
