/* SPDX-License-Identifier: BSD-3-Clause */

/*
 * The operator's actions, shared by the console, the control socket and
 * telemetry. See relay_cmd.h for the calling context and conventions.
 *
 * Threat model: arguments come from the console, from control socket
 * clients (anyone the socket's permissions admit) and from telemetry
 * clients; every id, vring and lcore is checked here, whatever the caller
 * already checked. File paths are used as given, with the relay's
 * privileges: whoever may use the control socket may write files as the
 * relay's user (doc/control-socket.md).
 */

#include <errno.h>
#include <limits.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <linux/vhost_types.h>
#include <linux/virtio_config.h>
#include <linux/virtio_net.h>
#include <linux/virtio_ring.h>

#include <rte_common.h>
#include <rte_lcore.h>
#include <rte_string_fns.h>
#include <rte_vhost.h>

#include "relay_cmd.h"
#include "svq_state_json.h"

struct relay_port {
	struct svq_port *port;		/* NULL: free slot */
	uint64_t serial;
	struct relay_port_args args;
	/* Counters at the last clear; shown values are the difference.
	 * The counters themselves stay monotonic. */
	struct svq_queue_stats base[RELAY_MAX_VRINGS];
};

/* Serialises every action: the table, the baselines, the placement. */
static pthread_mutex_t relay_lock = PTHREAD_MUTEX_INITIALIZER;
static struct relay_port relay_ports[RELAY_MAX_PORTS];
static uint64_t relay_next_serial = 1;
static unsigned int relay_next_worker;

#define relay_err(err, len, ...) snprintf(err, len, __VA_ARGS__)

int
relay_cmd_init(void)
{
	memset(relay_ports, 0, sizeof(relay_ports));
	return 0;
}

/* The port with id @p id, under relay_lock; else NULL and a message. */
static struct relay_port *
relay_port_lookup(unsigned int id, char *err, size_t err_len)
{
	if (id >= RELAY_MAX_PORTS || relay_ports[id].port == NULL) {
		if (err != NULL)
			relay_err(err, err_len, "port %u: no such port", id);
		return NULL;
	}
	return &relay_ports[id];
}

static void
relay_stats_sub(struct svq_queue_stats *d, const struct svq_queue_stats *a,
		const struct svq_queue_stats *b)
{
	d->avail_chains = a->avail_chains - b->avail_chains;
	d->avail_descs = a->avail_descs - b->avail_descs;
	d->avail_bytes = a->avail_bytes - b->avail_bytes;
	d->used_chains = a->used_chains - b->used_chains;
	d->used_bytes = a->used_bytes - b->used_bytes;
	d->device_kicks = a->device_kicks - b->device_kicks;
	d->guest_calls = a->guest_calls - b->guest_calls;
	d->guest_errors = a->guest_errors - b->guest_errors;
	d->device_errors = a->device_errors - b->device_errors;
}

/* ---- the port table ------------------------------------------------- */

static int
relay_load_state_locked(struct relay_port *rp, const char *path,
		char *err, size_t err_len)
{
	struct svq_net_state state;
	char why[256];

	if (svq_state_load(path, &state, why, sizeof(why)) < 0) {
		relay_err(err, err_len, "state-in: %s", why);
		return -EINVAL;
	}
	if (svq_port_set_restore_state(rp->port, &state) < 0) {
		relay_err(err, err_len,
			"state-in %s does not fit port %s (queue pairs or features differ, see log above)",
			path, svq_port_name(rp->port));
		return -EINVAL;
	}
	return 0;
}

static int
relay_save_state_locked(struct relay_port *rp, unsigned int id,
		const char *path, char *err, size_t err_len)
{
	struct svq_net_state state;
	char why[256];
	int ret;

	if (svq_port_get_net_state(rp->port, &state) < 0) {
		relay_err(err, err_len,
			"port %u: no device state to save (the device never started)",
			id);
		return -ENODATA;
	}
	ret = svq_state_save(&state, path, why, sizeof(why));
	if (ret < 0) {
		relay_err(err, err_len, "port %u: %s", id, why);
		return ret;
	}
	return 0;
}

static void
relay_port_free_locked(struct relay_port *rp)
{
	svq_port_destroy(rp->port);
	memset(rp, 0, sizeof(*rp));
}

static int
relay_port_create_locked(const struct relay_port_args *pa, unsigned int *id,
		char *err, size_t err_len)
{
	struct svq_port_params params = {
		.path = pa->path,
		.nb_queue_pairs = pa->queues,
		.client = pa->client,
		.mode = pa->mode,
		.notify = pa->notify,
	};
	struct relay_port *rp = NULL;
	char name[16];
	unsigned int i;
	int ret;

	for (i = 0; i < RELAY_MAX_PORTS; i++) {
		if (relay_ports[i].port == NULL) {
			if (rp == NULL) {
				rp = &relay_ports[i];
				*id = i;
			}
		} else if (strcmp(relay_ports[i].args.path, pa->path) == 0) {
			relay_err(err, err_len, "%s is already port %u",
				pa->path, i);
			return -EEXIST;
		}
	}
	if (rp == NULL) {
		relay_err(err, err_len, "at most %u ports", RELAY_MAX_PORTS);
		return -ENOSPC;
	}
	params.dev = svq_device_create(pa->device);
	if (params.dev == NULL) {
		relay_err(err, err_len,
			"--device %s: cannot create the device (see log above)",
			pa->device);
		return -EINVAL;
	}
	rp->port = svq_port_create(&params);	/* owns the device now */
	if (rp->port == NULL) {
		relay_err(err, err_len,
			"--vhost %s: cannot create the port (see log above)",
			pa->path);
		return -EIO;
	}
	rp->args = *pa;
	rp->serial = relay_next_serial++;
	/* Logs then say "port<id>", the name operators type. */
	snprintf(name, sizeof(name), "port%u", *id);
	svq_port_set_name(rp->port, name);
	if (pa->state_in[0] != '\0') {
		ret = relay_load_state_locked(rp, pa->state_in, err, err_len);
		if (ret < 0) {
			relay_port_free_locked(rp);
			return ret;
		}
	}
	return 0;
}

int
relay_port_create(const struct relay_port_args *pa, unsigned int *id,
		char *err, size_t err_len)
{
	int ret;

	pthread_mutex_lock(&relay_lock);
	ret = relay_port_create_locked(pa, id, err, err_len);
	pthread_mutex_unlock(&relay_lock);
	return ret;
}

int
relay_port_set_lcore(unsigned int id, uint16_t qid, unsigned int lcore)
{
	struct relay_port *rp;
	int ret = -EINVAL;

	pthread_mutex_lock(&relay_lock);
	rp = relay_port_lookup(id, NULL, 0);
	if (rp != NULL && qid < svq_port_nb_vrings(rp->port))
		ret = svq_port_set_lcore(rp->port, qid, lcore);
	pthread_mutex_unlock(&relay_lock);
	return ret;
}

static int
relay_port_spread_locked(struct relay_port *rp, char *err, size_t err_len)
{
	unsigned int workers[RTE_MAX_LCORE];
	unsigned int nb_workers = 0, lcore;
	uint16_t qid, nb = svq_port_nb_vrings(rp->port);

	RTE_LCORE_FOREACH_WORKER(lcore)
		workers[nb_workers++] = lcore;
	if (nb_workers == 0) {
		relay_err(err, err_len, "no worker lcore");
		return -EINVAL;
	}
	/* Both vrings of a pair on one lcore, so a loopback device's TX
	 * and RX stay together; the control vring alone counts as a pair. */
	for (qid = 0; qid < nb; qid += 2) {
		bool used = false;
		int ret;

		lcore = workers[relay_next_worker % nb_workers];
		ret = svq_port_set_lcore(rp->port, qid, lcore);
		if (ret == 0)
			used = true;
		else if (ret != -EBUSY)	/* -EBUSY: placed already */
			goto full;
		if (qid + 1 < nb) {
			ret = svq_port_set_lcore(rp->port, qid + 1, lcore);
			if (ret == 0)
				used = true;
			else if (ret != -EBUSY)
				goto full;
		}
		if (used)
			relay_next_worker++;
		continue;
full:
		relay_err(err, err_len, "%s: lcore %u polls too many vrings",
			svq_port_name(rp->port), lcore);
		return -ENOSPC;
	}
	return 0;
}

int
relay_port_spread(unsigned int id, char *err, size_t err_len)
{
	struct relay_port *rp;
	int ret = -ENODEV;

	pthread_mutex_lock(&relay_lock);
	rp = relay_port_lookup(id, err, err_len);
	if (rp != NULL)
		ret = relay_port_spread_locked(rp, err, err_len);
	pthread_mutex_unlock(&relay_lock);
	return ret;
}

static int
relay_port_start_locked(struct relay_port *rp, char *err, size_t err_len)
{
	int ret = svq_port_start(rp->port);

	if (ret == -EADDRINUSE)
		relay_err(err, err_len, "%s: a process listens on it already (another relay?)",
			svq_port_path(rp->port));
	else if (ret == -EEXIST)
		relay_err(err, err_len, "%s: a file is in the way (a stale socket? remove it)",
			svq_port_path(rp->port));
	else if (ret < 0)
		relay_err(err, err_len, "%s: cannot start %s (see log above)",
			svq_port_name(rp->port), svq_port_path(rp->port));
	return ret < 0 ? -EIO : 0;
}

int
relay_port_start(unsigned int id, char *err, size_t err_len)
{
	struct relay_port *rp;
	int ret = -ENODEV;

	pthread_mutex_lock(&relay_lock);
	rp = relay_port_lookup(id, err, err_len);
	if (rp != NULL)
		ret = relay_port_start_locked(rp, err, err_len);
	pthread_mutex_unlock(&relay_lock);
	return ret;
}

int
relay_port_add(const char *vhost_spec, const char *device_spec,
		unsigned int *id, char *err, size_t err_len)
{
	struct relay_port_args pa;
	struct relay_port *rp;
	int ret;

	if (relay_parse_port_spec(vhost_spec, &pa, err, err_len) < 0)
		return -EINVAL;
	if (device_spec != NULL && device_spec[0] != '\0' &&
			rte_strscpy(pa.device, device_spec, sizeof(pa.device)) < 0) {
		relay_err(err, err_len, "device spec too long");
		return -EINVAL;
	}
	pthread_mutex_lock(&relay_lock);
	ret = relay_port_create_locked(&pa, id, err, err_len);
	if (ret < 0)
		goto out;
	rp = &relay_ports[*id];
	ret = relay_port_spread_locked(rp, err, err_len);
	if (ret == 0)
		ret = relay_port_start_locked(rp, err, err_len);
	if (ret < 0)
		relay_port_free_locked(rp);
out:
	pthread_mutex_unlock(&relay_lock);
	return ret;
}

int
relay_port_del(unsigned int id, char *err, size_t err_len)
{
	struct relay_port *rp;
	int ret = -ENODEV;

	pthread_mutex_lock(&relay_lock);
	rp = relay_port_lookup(id, err, err_len);
	if (rp != NULL) {
		ret = 0;
		if (rp->args.state_out[0] != '\0')
			ret = relay_save_state_locked(rp, id,
				rp->args.state_out, err, err_len);
		/* Deleted even when its state could not be saved: the
		 * message says so. */
		relay_port_free_locked(rp);
	}
	pthread_mutex_unlock(&relay_lock);
	return ret;
}

unsigned int
relay_cmd_fini(bool save_state)
{
	char err[RELAY_ERR_LEN];
	unsigned int id, failed = 0;

	pthread_mutex_lock(&relay_lock);
	for (id = 0; id < RELAY_MAX_PORTS; id++) {
		struct relay_port *rp = &relay_ports[id];

		if (rp->port == NULL)
			continue;
		if (save_state && rp->args.state_out[0] != '\0') {
			if (relay_save_state_locked(rp, id, rp->args.state_out,
					err, sizeof(err)) < 0) {
				fprintf(stderr, "svq-relay: %s\n", err);
				failed++;
			} else {
				printf("svq-relay: %s: device state saved to %s\n",
					svq_port_name(rp->port),
					rp->args.state_out);
			}
		}
		relay_port_free_locked(rp);
	}
	pthread_mutex_unlock(&relay_lock);
	return failed;
}

static void
relay_entry_fill(const struct relay_port *rp, unsigned int id,
		struct relay_port_entry *e)
{
	e->id = id;
	e->serial = rp->serial;
	rte_strscpy(e->name, svq_port_name(rp->port), sizeof(e->name));
	rte_strscpy(e->path, svq_port_path(rp->port), sizeof(e->path));
	rte_strscpy(e->device_spec, rp->args.device, sizeof(e->device_spec));
	e->connected = svq_port_connected(rp->port);
	e->nb_queue_pairs = rp->args.queues;
	e->nb_vrings = svq_port_nb_vrings(rp->port);
}

unsigned int
relay_port_list(struct relay_port_entry *out, unsigned int max)
{
	unsigned int id, n = 0;

	pthread_mutex_lock(&relay_lock);
	for (id = 0; id < RELAY_MAX_PORTS && n < max; id++)
		if (relay_ports[id].port != NULL)
			relay_entry_fill(&relay_ports[id], id, &out[n++]);
	pthread_mutex_unlock(&relay_lock);
	return n;
}

int
relay_port_get(unsigned int id, struct relay_port_entry *e,
		struct svq_port_info *info, char *err, size_t err_len)
{
	struct relay_port *rp;
	int ret = -ENODEV;

	pthread_mutex_lock(&relay_lock);
	rp = relay_port_lookup(id, err, err_len);
	if (rp != NULL) {
		if (e != NULL)
			relay_entry_fill(rp, id, e);
		if (info != NULL)
			svq_port_get_info(rp->port, info);
		ret = 0;
	}
	pthread_mutex_unlock(&relay_lock);
	return ret;
}

/* ---- statistics ----------------------------------------------------- */

static void
relay_queue_read(const struct relay_port *rp, uint16_t qid,
		struct relay_queue_view *v)
{
	struct svq_queue_stats now;

	/* Lock-free: each counter is written by the vring's worker only. */
	svq_port_queue_stats(rp->port, qid, &now, &v->state, &v->lcore);
	relay_stats_sub(&v->stats, &now, &rp->base[qid]);
}

int
relay_port_stats(unsigned int id, struct relay_port_stats *st,
		char *err, size_t err_len)
{
	struct svq_port_info info;
	struct relay_port *rp;
	uint16_t qid;

	memset(st, 0, sizeof(*st));
	pthread_mutex_lock(&relay_lock);
	rp = relay_port_lookup(id, err, err_len);
	if (rp == NULL) {
		pthread_mutex_unlock(&relay_lock);
		return -ENODEV;
	}
	svq_port_get_info(rp->port, &info);
	st->nb_vrings = RTE_MIN(info.nb_vrings, (uint16_t)RELAY_MAX_VRINGS);
	for (qid = 0; qid < st->nb_vrings; qid++) {
		struct relay_queue_view *v = &st->q[qid];
		const char *kind = relay_vring_kind(qid, st->nb_vrings);

		relay_queue_read(rp, qid, v);
		if (kind[0] == 'r') {
			st->rx_frames += v->stats.used_chains;
			st->rx_bytes += v->stats.used_bytes;
		} else if (kind[0] == 't') {
			st->tx_frames += v->stats.used_chains;
			st->tx_bytes += v->stats.avail_bytes;
		} else {
			st->ctrl_commands += v->stats.used_chains;
		}
		st->device_kicks += v->stats.device_kicks;
		st->guest_calls += v->stats.guest_calls;
		st->guest_errors += v->stats.guest_errors;
		st->device_errors += v->stats.device_errors;
	}
	pthread_mutex_unlock(&relay_lock);
	return 0;
}

int
relay_queue_stats(unsigned int id, uint16_t qid, struct relay_queue_view *v,
		char *err, size_t err_len)
{
	struct relay_port *rp;
	int ret = -ENODEV;

	pthread_mutex_lock(&relay_lock);
	rp = relay_port_lookup(id, err, err_len);
	if (rp != NULL) {
		if (qid >= svq_port_nb_vrings(rp->port)) {
			relay_err(err, err_len, "port %u: no vring %u (it has 0..%u)",
				id, qid, svq_port_nb_vrings(rp->port) - 1);
			ret = -EINVAL;
		} else {
			relay_queue_read(rp, qid, v);
			ret = 0;
		}
	}
	pthread_mutex_unlock(&relay_lock);
	return ret;
}

static void
relay_stats_clear_locked(struct relay_port *rp)
{
	enum svq_queue_state state;
	unsigned int lcore;
	uint16_t qid;

	for (qid = 0; qid < svq_port_nb_vrings(rp->port) &&
			qid < RELAY_MAX_VRINGS; qid++)
		svq_port_queue_stats(rp->port, qid, &rp->base[qid], &state,
			&lcore);
}

int
relay_stats_clear(unsigned int id, char *err, size_t err_len)
{
	struct relay_port *rp;
	int ret = 0;

	pthread_mutex_lock(&relay_lock);
	if (id == RELAY_PORT_ALL) {
		for (id = 0; id < RELAY_MAX_PORTS; id++)
			if (relay_ports[id].port != NULL)
				relay_stats_clear_locked(&relay_ports[id]);
	} else {
		rp = relay_port_lookup(id, err, err_len);
		if (rp != NULL)
			relay_stats_clear_locked(rp);
		else
			ret = -ENODEV;
	}
	pthread_mutex_unlock(&relay_lock);
	return ret;
}

/* ---- device state (CVQ) --------------------------------------------- */

int
relay_cvq_state(unsigned int id, struct svq_net_state *s, char *err,
		size_t err_len)
{
	struct relay_port *rp;
	int ret = -ENODEV;

	pthread_mutex_lock(&relay_lock);
	rp = relay_port_lookup(id, err, err_len);
	if (rp != NULL) {
		ret = svq_port_get_net_state(rp->port, s);
		if (ret < 0)
			relay_err(err, err_len,
				"port %u: no device state yet (the device never started)",
				id);
	}
	pthread_mutex_unlock(&relay_lock);
	return ret;
}

int
relay_state_save(unsigned int id, const char *path, char *err,
		size_t err_len)
{
	struct relay_port *rp;
	int ret = -ENODEV;

	if (path == NULL || path[0] == '\0') {
		relay_err(err, err_len, "state save: no file name");
		return -EINVAL;
	}
	pthread_mutex_lock(&relay_lock);
	rp = relay_port_lookup(id, err, err_len);
	if (rp != NULL)
		ret = relay_save_state_locked(rp, id, path, err, err_len);
	pthread_mutex_unlock(&relay_lock);
	return ret;
}

/* Read a device state or a migration document from @p path or @p json,
 * check all of it, then hand it to the port: nothing changes on error. */
static int
relay_load(unsigned int id, bool migration, const char *path,
		const json_t *json, bool *device_running, char *err,
		size_t err_len)
{
	struct svq_migration_state m;
	struct svq_port_info info;
	struct relay_port *rp;
	char why[256];
	int ret;

	if (json == NULL && (path == NULL || path[0] == '\0')) {
		relay_err(err, err_len, "%s load: no file name",
			migration ? "migration" : "state");
		return -EINVAL;
	}
	if (migration)
		ret = json != NULL ?
			svq_migration_from_json(json, &m, why, sizeof(why)) :
			svq_migration_load(path, &m, why, sizeof(why));
	else
		ret = json != NULL ?
			svq_state_from_json(json, &m.device, why, sizeof(why)) :
			svq_state_load(path, &m.device, why, sizeof(why));
	if (ret < 0) {
		relay_err(err, err_len, "port %u: %s", id, why);
		return -EINVAL;
	}
	pthread_mutex_lock(&relay_lock);
	rp = relay_port_lookup(id, err, err_len);
	if (rp == NULL) {
		ret = -ENODEV;
	} else if ((migration ? svq_port_set_migration_state(rp->port, &m) :
			svq_port_set_restore_state(rp->port, &m.device)) < 0) {
		relay_err(err, err_len,
			"port %u: the %s does not fit this port (queue pairs%s or features differ, see log)",
			id, migration ? "migration state" : "state",
			migration ? ", vrings" : "");
		ret = -EINVAL;
	} else {
		svq_port_get_info(rp->port, &info);
		if (device_running != NULL)
			*device_running = info.device_started;
	}
	pthread_mutex_unlock(&relay_lock);
	return ret;
}

int
relay_state_load(unsigned int id, const char *path, bool *device_running,
		char *err, size_t err_len)
{
	return relay_load(id, false, path, NULL, device_running, err, err_len);
}

int
relay_state_load_json(unsigned int id, const json_t *json,
		bool *device_running, char *err, size_t err_len)
{
	return relay_load(id, false, NULL, json, device_running, err, err_len);
}

/* ---- migration state ------------------------------------------------ */

int
relay_migration_state(unsigned int id, struct svq_migration_state *m,
		char *err, size_t err_len)
{
	struct relay_port *rp;
	int ret = -ENODEV;

	pthread_mutex_lock(&relay_lock);
	rp = relay_port_lookup(id, err, err_len);
	if (rp != NULL) {
		ret = svq_port_get_migration_state(rp->port, m);
		if (ret < 0)
			relay_err(err, err_len,
				"port %u: no migration state (no frontend connected, or no vring started or stopped)",
				id);
	}
	pthread_mutex_unlock(&relay_lock);
	return ret;
}

int
relay_migration_save(unsigned int id, const char *path, char *err,
		size_t err_len)
{
	struct svq_migration_state m;
	char why[256];
	int ret;

	if (path == NULL || path[0] == '\0') {
		relay_err(err, err_len, "migration save: no file name");
		return -EINVAL;
	}
	ret = relay_migration_state(id, &m, err, err_len);
	if (ret < 0)
		return ret;
	ret = svq_migration_save(&m, path, why, sizeof(why));
	if (ret < 0)
		relay_err(err, err_len, "port %u: %s", id, why);
	return ret;
}

int
relay_migration_load(unsigned int id, const char *path,
		bool *device_running, char *err, size_t err_len)
{
	return relay_load(id, true, path, NULL, device_running, err, err_len);
}

int
relay_migration_load_json(unsigned int id, const json_t *json,
		bool *device_running, char *err, size_t err_len)
{
	return relay_load(id, true, NULL, json, device_running, err, err_len);
}

/* ---- placement and mode --------------------------------------------- */

int
relay_lcore_move(unsigned int id, uint16_t qid, unsigned int lcore,
		char *err, size_t err_len)
{
	struct relay_port *rp;
	int ret = -ENODEV;

	pthread_mutex_lock(&relay_lock);
	rp = relay_port_lookup(id, err, err_len);
	if (rp == NULL)
		goto out;
	if (qid >= svq_port_nb_vrings(rp->port)) {
		relay_err(err, err_len, "port %u: no vring %u (it has 0..%u)",
			id, qid, svq_port_nb_vrings(rp->port) - 1);
		ret = -EINVAL;
		goto out;
	}
	ret = svq_port_move_queue(rp->port, qid, lcore);
	if (ret == -EINVAL)
		relay_err(err, err_len,
			"lcore %u: not a worker lcore of this process (see -l)",
			lcore);
	else if (ret < 0)
		relay_err(err, err_len, "lcore %u: polls too many vrings",
			lcore);
out:
	pthread_mutex_unlock(&relay_lock);
	return ret;
}

int
relay_mode_set(unsigned int id, const char *mode, char *err, size_t err_len)
{
	enum svq_port_mode m;
	struct relay_port *rp;
	int ret = -ENODEV;

	pthread_mutex_lock(&relay_lock);
	rp = relay_port_lookup(id, err, err_len);
	if (rp == NULL)
		goto out;
	if (svq_port_mode_parse(mode, &m) == 0) {
		ret = svq_port_set_mode(rp->port, m);
		if (ret == -ENOTSUP)
			relay_err(err, err_len,
				"port %u: its device cannot run on the guest's rings; the port stays in mode always",
				id);
	} else {
		relay_err(err, err_len,
			"port %u: unknown mode '%s' (always or on-migration)",
			id, mode);
		ret = -EINVAL;
	}
out:
	pthread_mutex_unlock(&relay_lock);
	return ret;
}

/* ---- names for output ----------------------------------------------- */

const char *
relay_queue_state_name(enum svq_queue_state state)
{
	switch (state) {
	case SVQ_QUEUE_RUNNING:
		return "running";
	case SVQ_QUEUE_PASSTHROUGH:
		return "passthrough";
	case SVQ_QUEUE_BROKEN:
		return "broken";
	default:
		return "idle";
	}
}

const char *
relay_vring_kind(uint16_t qid, uint16_t nb_vrings)
{
	if (qid == nb_vrings - 1)
		return "ctrl";
	return qid % 2 == 0 ? "rx" : "tx";
}

static const char *const relay_feature_names[64] = {
	[VIRTIO_NET_F_CSUM] = "CSUM",
	[VIRTIO_NET_F_GUEST_CSUM] = "GUEST_CSUM",
	[VIRTIO_NET_F_CTRL_GUEST_OFFLOADS] = "CTRL_GUEST_OFFLOADS",
	[VIRTIO_NET_F_MTU] = "MTU",
	[VIRTIO_NET_F_MAC] = "MAC",
	[VIRTIO_NET_F_GUEST_TSO4] = "GUEST_TSO4",
	[VIRTIO_NET_F_GUEST_TSO6] = "GUEST_TSO6",
	[VIRTIO_NET_F_GUEST_ECN] = "GUEST_ECN",
	[VIRTIO_NET_F_GUEST_UFO] = "GUEST_UFO",
	[VIRTIO_NET_F_HOST_TSO4] = "HOST_TSO4",
	[VIRTIO_NET_F_HOST_TSO6] = "HOST_TSO6",
	[VIRTIO_NET_F_HOST_ECN] = "HOST_ECN",
	[VIRTIO_NET_F_HOST_UFO] = "HOST_UFO",
	[VIRTIO_NET_F_MRG_RXBUF] = "MRG_RXBUF",
	[VIRTIO_NET_F_STATUS] = "STATUS",
	[VIRTIO_NET_F_CTRL_VQ] = "CTRL_VQ",
	[VIRTIO_NET_F_CTRL_RX] = "CTRL_RX",
	[VIRTIO_NET_F_CTRL_VLAN] = "CTRL_VLAN",
	[VIRTIO_NET_F_CTRL_RX_EXTRA] = "CTRL_RX_EXTRA",
	[VIRTIO_NET_F_GUEST_ANNOUNCE] = "GUEST_ANNOUNCE",
	[VIRTIO_NET_F_MQ] = "MQ",
	[VIRTIO_NET_F_CTRL_MAC_ADDR] = "CTRL_MAC_ADDR",
	[VIRTIO_F_NOTIFY_ON_EMPTY] = "NOTIFY_ON_EMPTY",
	[VIRTIO_F_ANY_LAYOUT] = "ANY_LAYOUT",
	[VIRTIO_RING_F_INDIRECT_DESC] = "RING_INDIRECT_DESC",
	[VIRTIO_RING_F_EVENT_IDX] = "RING_EVENT_IDX",
	[VHOST_F_LOG_ALL] = "LOG_ALL",
	[VHOST_USER_F_PROTOCOL_FEATURES] = "PROTOCOL_FEATURES",
	[VIRTIO_F_VERSION_1] = "VERSION_1",
	[VIRTIO_F_ACCESS_PLATFORM] = "ACCESS_PLATFORM",
	[VIRTIO_F_RING_PACKED] = "RING_PACKED",
	[VIRTIO_F_IN_ORDER] = "IN_ORDER",
	[VIRTIO_F_ORDER_PLATFORM] = "ORDER_PLATFORM",
	[VIRTIO_F_SR_IOV] = "SR_IOV",
	[VIRTIO_NET_F_HASH_REPORT] = "HASH_REPORT",
	[VIRTIO_NET_F_RSS] = "RSS",
	[VIRTIO_NET_F_RSC_EXT] = "RSC_EXT",
	[VIRTIO_NET_F_STANDBY] = "STANDBY",
	[VIRTIO_NET_F_SPEED_DUPLEX] = "SPEED_DUPLEX",
};

const char *
relay_feature_name(unsigned int bit)
{
	return bit < 64 ? relay_feature_names[bit] : NULL;
}

void
relay_features_str(uint64_t features, char *buf, size_t len)
{
	size_t off = 0;
	unsigned int bit;

	buf[0] = '\0';
	for (bit = 0; bit < 64 && off < len; bit++) {
		const char *name = relay_feature_names[bit];
		int n;

		if (!(features & (UINT64_C(1) << bit)))
			continue;
		if (name != NULL)
			n = snprintf(buf + off, len - off, "%s%s",
				off ? " " : "", name);
		else
			n = snprintf(buf + off, len - off, "%sbit%u",
				off ? " " : "", bit);
		if (n < 0)
			break;
		off += n;
	}
}

void
relay_status_str(uint8_t status, char *buf, size_t len)
{
	static const struct { uint8_t bit; const char *name; } bits[] = {
		{ VIRTIO_CONFIG_S_ACKNOWLEDGE, "ACKNOWLEDGE" },
		{ VIRTIO_CONFIG_S_DRIVER, "DRIVER" },
		{ VIRTIO_CONFIG_S_FEATURES_OK, "FEATURES_OK" },
		{ VIRTIO_CONFIG_S_DRIVER_OK, "DRIVER_OK" },
		{ VIRTIO_CONFIG_S_NEEDS_RESET, "NEEDS_RESET" },
		{ VIRTIO_CONFIG_S_FAILED, "FAILED" },
	};
	size_t off = 0;
	unsigned int i;

	snprintf(buf, len, "%s", status == 0 ? "reset" : "");
	for (i = 0; i < RTE_DIM(bits) && off < len; i++) {
		int n;

		if (!(status & bits[i].bit))
			continue;
		n = snprintf(buf + off, len - off, "%s%s", off ? " " : "",
			bits[i].name);
		if (n < 0)
			break;
		off += n;
	}
}
