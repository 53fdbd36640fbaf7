/* SPDX-License-Identifier: BSD-3-Clause */

#ifndef RELAY_CMD_H
#define RELAY_CMD_H

/*
 * The operator's actions: plain functions that the console, the control
 * socket and telemetry all call (as testpmd's cmdline.c calls config.c).
 * They own the table of ports, addressed by a small id that is reused once
 * a port is deleted, and the statistics baselines that "clear" sets.
 *
 * Calling context: any control thread (main lcore, control socket thread,
 * telemetry threads). One mutex serialises every action; worker lcores
 * never take it, and counters are read without locks.
 *
 * Every action returns 0 or a negative errno; on error it writes one line
 * (no newline) to err saying what is wrong, prefixed with what it concerns
 * ("port 3: ..."). Common codes: -ENODEV no such port, -EINVAL bad
 * argument, -ENOTSUP not supported yet, -ENODATA nothing to report yet,
 * -EIO the operation failed, -ENOSPC no room.
 */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "relay_args.h"
#include "svq_migration.h"
#include "svq_port.h"

#define RELAY_ERR_LEN 512
#define RELAY_MAX_VRINGS (2 * SVQ_MAX_QUEUE_PAIRS + 1)
/* "all ports", for relay_stats_clear() */
#define RELAY_PORT_ALL UINT32_MAX

struct relay_port_entry {
	unsigned int id;
	uint64_t serial;	/* differs for every port ever created */
	char name[16];
	char path[PATH_MAX];
	char device_spec[256];
	bool connected;
	uint16_t nb_queue_pairs;
	uint16_t nb_vrings;
};

/* One vring, counters since the last clear. */
struct relay_queue_view {
	struct svq_queue_stats stats;
	enum svq_queue_state state;
	unsigned int lcore;	/* UINT_MAX: none */
};

/* A port's vrings and totals, since the last clear. RX and TX are the
 * guest's: rx counts what the device delivered into guest RX buffers
 * (used chains of RX vrings), tx what the guest sent (used chains of TX
 * vrings); bytes are buffer bytes, virtio-net header included. */
struct relay_port_stats {
	uint16_t nb_vrings;
	uint64_t rx_frames, rx_bytes;
	uint64_t tx_frames, tx_bytes;
	uint64_t ctrl_commands;
	uint64_t device_kicks, guest_calls;
	uint64_t guest_errors, device_errors;
	struct relay_queue_view q[RELAY_MAX_VRINGS];
};

int relay_cmd_init(void);

/*
 * Destroy every port (exit), with @p save_state first saving the state
 * of those that have a state-out file. @return the number of state files
 * not saved.
 */
unsigned int relay_cmd_fini(bool save_state);

/* ---- the port table ---- */

/*
 * Create a port (not started, no lcore yet), restoring its state-in file
 * if it has one. -EINVAL: bad device spec or state file.
 */
int relay_port_create(const struct relay_port_args *pa, unsigned int *id,
		char *err, size_t err_len);
/* Give vring @p qid of port @p id to @p lcore (start-up placement).
 * -EBUSY: already placed; -EINVAL: no such vring or not a worker. */
int relay_port_set_lcore(unsigned int id, uint16_t qid, unsigned int lcore);
/* Give every vring not placed yet to a worker, pairs together, round robin. */
int relay_port_spread(unsigned int id, char *err, size_t err_len);
int relay_port_start(unsigned int id, char *err, size_t err_len);
/* All three at run time: "port add". */
int relay_port_add(const char *vhost_spec, const char *device_spec,
		unsigned int *id, char *err, size_t err_len);
/* Destroy a port, saving its state-out file first if it has one. */
int relay_port_del(unsigned int id, char *err, size_t err_len);

/* Fill @p out with up to @p max ports in id order; @return how many. */
unsigned int relay_port_list(struct relay_port_entry *out, unsigned int max);
int relay_port_get(unsigned int id, struct relay_port_entry *e,
		struct svq_port_info *info, char *err, size_t err_len);

/* ---- statistics ---- */

int relay_port_stats(unsigned int id, struct relay_port_stats *st,
		char *err, size_t err_len);
int relay_queue_stats(unsigned int id, uint16_t qid,
		struct relay_queue_view *v, char *err, size_t err_len);
/* @p id or RELAY_PORT_ALL */
int relay_stats_clear(unsigned int id, char *err, size_t err_len);

/* ---- device state (CVQ) ---- */

int relay_cvq_state(unsigned int id, struct svq_net_state *s,
		char *err, size_t err_len);
int relay_state_save(unsigned int id, const char *path,
		char *err, size_t err_len);
/* The state is replayed when the device next starts; @p pending tells
 * whether the device is running now (so the replay waits for a reset). */
int relay_state_load(unsigned int id, const char *path, bool *device_running,
		char *err, size_t err_len);
int relay_state_load_json(unsigned int id, const json_t *state,
		bool *device_running, char *err, size_t err_len);

/* ---- migration state (device state, vring indices, port) ---- */

/* From a port stopped by the frontend (GET_VRING_BASE), or a snapshot of
 * running vrings. -ENODATA: no frontend, no vring started or stopped. */
int relay_migration_state(unsigned int id, struct svq_migration_state *m,
		char *err, size_t err_len);
int relay_migration_save(unsigned int id, const char *path,
		char *err, size_t err_len);
/* The device state is replayed as by relay_state_load(); the vring bases
 * are checked against those the frontend sets. */
int relay_migration_load(unsigned int id, const char *path,
		bool *device_running, char *err, size_t err_len);
int relay_migration_load_json(unsigned int id, const json_t *json,
		bool *device_running, char *err, size_t err_len);

/* ---- placement and mode ---- */

int relay_lcore_move(unsigned int id, uint16_t qid, unsigned int lcore,
		char *err, size_t err_len);
/* "always" or "on-migration" */
int relay_mode_set(unsigned int id, const char *mode, char *err,
		size_t err_len);

/* ---- names for output ---- */

const char *relay_queue_state_name(enum svq_queue_state state);
/* "rx", "tx" or "ctrl" */
const char *relay_vring_kind(uint16_t qid, uint16_t nb_vrings);
/* Space-separated names of the bits set, unknown ones as "bit<N>". */
void relay_features_str(uint64_t features, char *buf, size_t len);
void relay_status_str(uint8_t status, char *buf, size_t len);
/* Name of feature bit @p bit, or NULL. */
const char *relay_feature_name(unsigned int bit);

#endif /* RELAY_CMD_H */
