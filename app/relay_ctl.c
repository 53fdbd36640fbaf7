/* SPDX-License-Identifier: BSD-3-Clause */

/*
 * The control socket: one JSON request per line,
 *   {"id": ID, "method": "NAME", "params": {...}}
 * and one response line per request, in order,
 *   {"id": ID, "result": ...}  or  {"id": ID, "error": {"code": N, "message": "..."}}
 * Every method is a call into relay_cmd.c.
 *
 * Threat model: a client is any process the socket's permissions admit
 * (owner only, 0600, unless the operator grants more). It may send
 * anything: bytes that are not JSON, JSON of the wrong shape or types,
 * huge or endless lines, requests faster than it reads the answers, or
 * nothing at all. None of it may crash the relay, block another client or
 * grow memory without bound:
 *   - every connection has its own input buffer of RELAY_CTL_MAX_LINE
 *     bytes; a longer line is answered with an error and skipped;
 *   - answers wait in a per-connection output buffer; while it holds more
 *     than RELAY_CTL_OUT_HIGH bytes the connection's input is not read, so
 *     a client that does not read cannot make it grow further;
 *   - sockets are non-blocking and one poll() serves them all;
 *   - at most RELAY_CTL_MAX_CLIENTS connections; more are told so and
 *     closed;
 *   - each request is checked member by member: unknown members, wrong
 *     types and out-of-range numbers are refused before any action runs.
 */

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <poll.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <jansson.h>
#include <rte_common.h>
#include <rte_ether.h>
#include <rte_lcore.h>
#include <rte_string_fns.h>

#include "relay_cmd.h"
#include "relay_ctl.h"
#include "svq_state_json.h"

#define RELAY_CTL_MAX_CLIENTS 16
/* Longest request line: a state JSON with full tables is ~40 KiB. */
#define RELAY_CTL_MAX_LINE (256 * 1024)
/* Stop reading a connection's requests while this much is unsent. */
#define RELAY_CTL_OUT_HIGH (256 * 1024)

/* JSON-RPC 2.0's codes for protocol errors; action errors carry the
 * errno (positive) of relay_cmd.h, e.g. 19 ENODEV for no such port. */
#define RELAY_CTL_PARSE_ERROR		-32700
#define RELAY_CTL_INVALID_REQUEST	-32600
#define RELAY_CTL_METHOD_NOT_FOUND	-32601
#define RELAY_CTL_INVALID_PARAMS	-32602
#define RELAY_CTL_INTERNAL_ERROR	-32603

struct relay_ctl_conn {
	int fd;			/* -1: free */
	char *in;		/* RELAY_CTL_MAX_LINE bytes */
	size_t in_len;
	bool discarding;	/* skipping the rest of an overlong line */
	bool eof;		/* the client will send nothing more */
	char *out;
	size_t out_len, out_off, out_cap;
};

static struct {
	int listen_fd;
	int wake_fd;
	bool running;
	pthread_t thread;
	char path[sizeof(((struct sockaddr_un *)0)->sun_path)];
	struct relay_ctl_conn conns[RELAY_CTL_MAX_CLIENTS];
} relay_ctl = { .listen_fd = -1, .wake_fd = -1 };

/* ---- request checking ----------------------------------------------- */

/* What a method answers: a result, or an error code and message. */
struct relay_ctl_reply {
	json_t *result;
	int code;
	char msg[RELAY_ERR_LEN];
};

static int __rte_format_printf(3, 4)
reply_error(struct relay_ctl_reply *r, int code, const char *fmt, ...)
{
	va_list ap;

	r->code = code;
	va_start(ap, fmt);
	vsnprintf(r->msg, sizeof(r->msg), fmt, ap);
	va_end(ap);
	return -1;
}

/* An action failed: its errno is the code, its line the message. */
static int
reply_action_error(struct relay_ctl_reply *r, int ret)
{
	r->code = -ret;
	return -1;
}

static int
check_members(const json_t *params, const char *const *allowed,
		struct relay_ctl_reply *r)
{
	const char *key;
	json_t *v;

	json_object_foreach((json_t *)params, key, v) {
		const char *const *a;

		RTE_SET_USED(v);
		for (a = allowed; *a != NULL; a++)
			if (strcmp(*a, key) == 0)
				break;
		if (*a == NULL)
			return reply_error(r, RELAY_CTL_INVALID_PARAMS,
				"params: unknown member '%s'", key);
	}
	return 0;
}

static int
get_uint(const json_t *params, const char *key, uint64_t max, uint64_t *out,
		struct relay_ctl_reply *r)
{
	const json_t *v = json_object_get(params, key);

	if (v == NULL)
		return reply_error(r, RELAY_CTL_INVALID_PARAMS,
			"params.%s: missing", key);
	if (!json_is_integer(v) || json_integer_value(v) < 0 ||
			(uint64_t)json_integer_value(v) > max)
		return reply_error(r, RELAY_CTL_INVALID_PARAMS,
			"params.%s: expected an integer 0..%" PRIu64, key, max);
	*out = (uint64_t)json_integer_value(v);
	return 0;
}

static int
get_port(const json_t *params, unsigned int *id, struct relay_ctl_reply *r)
{
	uint64_t v;

	/* The action says "no such port" for ids in range. */
	if (get_uint(params, "port", UINT16_MAX, &v, r) < 0)
		return -1;
	*id = (unsigned int)v;
	return 0;
}

static int
get_string(const json_t *params, const char *key, bool required,
		const char **out, struct relay_ctl_reply *r)
{
	const json_t *v = json_object_get(params, key);

	*out = NULL;
	if (v == NULL) {
		if (!required)
			return 0;
		return reply_error(r, RELAY_CTL_INVALID_PARAMS,
			"params.%s: missing", key);
	}
	if (!json_is_string(v) || json_string_length(v) == 0 ||
			json_string_length(v) >= PATH_MAX ||
			strlen(json_string_value(v)) != json_string_length(v))
		return reply_error(r, RELAY_CTL_INVALID_PARAMS,
			"params.%s: expected a non-empty string", key);
	*out = json_string_value(v);
	return 0;
}

static json_t *
json_hex64(uint64_t v)
{
	char buf[24];

	snprintf(buf, sizeof(buf), "0x%" PRIx64, v);
	return json_string(buf);
}

/* ---- methods -------------------------------------------------------- */

static json_t *
port_entry_json(const struct relay_port_entry *e)
{
	return json_pack("{s:i, s:s, s:s, s:b, s:i, s:i, s:s}",
		"port", (int)e->id, "name", e->name, "path", e->path,
		"connected", e->connected, "queue_pairs", (int)e->nb_queue_pairs,
		"vrings", (int)e->nb_vrings, "device", e->device_spec);
}

static int
m_ports_list(const json_t *params, struct relay_ctl_reply *r)
{
	static const char *const allowed[] = { NULL };
	struct relay_port_entry ports[RELAY_MAX_PORTS];
	unsigned int i, n;

	if (check_members(params, allowed, r) < 0)
		return -1;
	n = relay_port_list(ports, RELAY_MAX_PORTS);
	r->result = json_array();
	for (i = 0; i < n; i++)
		json_array_append_new(r->result, port_entry_json(&ports[i]));
	return 0;
}

static json_t *
features_json(uint64_t features)
{
	char names[1024];
	json_t *a = json_array();
	char *tok, *save = NULL;

	relay_features_str(features, names, sizeof(names));
	for (tok = strtok_r(names, " ", &save); tok != NULL;
			tok = strtok_r(NULL, " ", &save))
		json_array_append_new(a, json_string(tok));
	return json_pack("{s:o, s:o}", "value", json_hex64(features),
		"names", a);
}

static int
m_port_info(const json_t *params, struct relay_ctl_reply *r)
{
	static const char *const allowed[] = { "port", NULL };
	char status[128], mac[RTE_ETHER_ADDR_FMT_SIZE];
	char *tok, *save = NULL;
	struct relay_port_entry e;
	struct svq_port_info info;
	json_t *status_names;
	unsigned int id;
	int ret;

	if (check_members(params, allowed, r) < 0 ||
			get_port(params, &id, r) < 0)
		return -1;
	ret = relay_port_get(id, &e, &info, r->msg, sizeof(r->msg));
	if (ret < 0)
		return reply_action_error(r, ret);
	relay_status_str(info.device_status, status, sizeof(status));
	status_names = json_array();
	for (tok = strtok_r(status, " ", &save); tok != NULL;
			tok = strtok_r(NULL, " ", &save))
		json_array_append_new(status_names, json_string(tok));
	rte_ether_format_addr(mac, sizeof(mac),
		(const struct rte_ether_addr *)info.mac);
	r->result = json_pack("{s:i, s:s, s:s, s:b, s:b, s:s, s:s, s:i, s:I, s:f, s:i, s:i, s:o, s:i, s:b,"
		" s:{s:s, s:s, s:s, s:b, s:i, s:o},"
		" s:{s:o, s:o, s:o, s:o},"
		" s:{s:s, s:b, s:i, s:i, s:i, s:i, s:o}}",
		"port", (int)id, "name", e.name, "path", e.path,
		"client", info.client, "connected", info.connected,
		"mode", svq_port_mode_name(info.mode),
		"notify", svq_port_notify_name(info.notify),
		"passthrough_vrings", (int)info.nb_passthrough,
		"mode_switches", (json_int_t)info.mode_switches,
		"last_switch_us", info.last_switch_us,
		"queue_pairs", (int)info.nb_queue_pairs,
		"vrings", (int)info.nb_vrings,
		"control_vring", json_integer(info.nb_vrings - 1),
		"max_ring_size", (int)info.max_ring_size,
		"restore_pending", info.restore_pending,
		"device",
			"name", info.device, "driver", info.driver,
			"spec", e.device_spec, "started", info.device_started,
			"status", (int)info.device_status,
			"status_names", status_names,
		"features",
			"device", features_json(info.device_features),
			"offered", features_json(info.offered_features),
			"guest", features_json(info.guest_features),
			"accepted", features_json(info.driver_features),
		"config",
			"mac", mac, "link_up", (info.link_status & 1) != 0,
			"max_virtqueue_pairs", (int)info.max_virtqueue_pairs,
			"mtu", (int)info.mtu,
			"rss_max_key_size", (int)info.rss_max_key_size,
			"rss_max_indirection_table_length",
				(int)info.rss_max_indirection_table_length,
			"supported_hash_types",
				json_hex64(info.supported_hash_types));
	json_object_set_new(r->result, "migration", json_pack(
		"{s:b, s:I, s:f, s:I, s:f, s:f, s:i, s:i, s:i, s:i}",
		"stopped", info.stopped,
		"device_stops", (json_int_t)info.device_stops,
		"last_stop_us", info.last_stop_us,
		"device_starts", (json_int_t)info.device_starts,
		"last_start_us", info.last_start_us,
		"last_replay_us", info.last_replay_us,
		"last_replay_commands", (int)info.last_replay_commands,
		"vrings_to_check", (int)info.migration_vrings,
		"vrings_checked", (int)info.migration_checked,
		"base_mismatches", (int)info.migration_mismatches));
	return 0;
}

static json_t *
queue_json(unsigned int id, uint16_t qid, const char *kind,
		const struct relay_queue_view *v)
{
	const struct svq_queue_stats *s = &v->stats;

	return json_pack("{s:i, s:i, s:s, s:o, s:s, s:I, s:I, s:I, s:I, s:I,"
		" s:I, s:I, s:I, s:I}",
		"port", (int)id, "queue", (int)qid, "kind", kind,
		"lcore", v->lcore == UINT_MAX ? json_null() :
			json_integer(v->lcore),
		"state", relay_queue_state_name(v->state),
		"avail_chains", (json_int_t)s->avail_chains,
		"avail_descs", (json_int_t)s->avail_descs,
		"avail_bytes", (json_int_t)s->avail_bytes,
		"used_chains", (json_int_t)s->used_chains,
		"used_bytes", (json_int_t)s->used_bytes,
		"device_kicks", (json_int_t)s->device_kicks,
		"guest_calls", (json_int_t)s->guest_calls,
		"guest_errors", (json_int_t)s->guest_errors,
		"device_errors", (json_int_t)s->device_errors);
}

static int
m_port_stats(const json_t *params, struct relay_ctl_reply *r)
{
	static const char *const allowed[] = { "port", NULL };
	static struct relay_port_stats st;	/* control thread only */
	json_t *queues;
	unsigned int id;
	uint16_t qid;
	int ret;

	if (check_members(params, allowed, r) < 0 ||
			get_port(params, &id, r) < 0)
		return -1;
	ret = relay_port_stats(id, &st, r->msg, sizeof(r->msg));
	if (ret < 0)
		return reply_action_error(r, ret);
	queues = json_array();
	for (qid = 0; qid < st.nb_vrings; qid++)
		json_array_append_new(queues, queue_json(id, qid,
			relay_vring_kind(qid, st.nb_vrings),
			&st.q[qid]));
	r->result = json_pack("{s:i, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I,"
		" s:I, s:o}",
		"port", (int)id,
		"rx_frames", (json_int_t)st.rx_frames,
		"rx_bytes", (json_int_t)st.rx_bytes,
		"tx_frames", (json_int_t)st.tx_frames,
		"tx_bytes", (json_int_t)st.tx_bytes,
		"ctrl_commands", (json_int_t)st.ctrl_commands,
		"device_kicks", (json_int_t)st.device_kicks,
		"guest_calls", (json_int_t)st.guest_calls,
		"guest_errors", (json_int_t)st.guest_errors,
		"device_errors", (json_int_t)st.device_errors,
		"queues", queues);
	return 0;
}

static int
m_queue_stats(const json_t *params, struct relay_ctl_reply *r)
{
	static const char *const allowed[] = { "port", "queue", NULL };
	struct relay_queue_view v;
	struct svq_port_info info;
	unsigned int id;
	uint64_t qid;
	int ret;

	if (check_members(params, allowed, r) < 0 ||
			get_port(params, &id, r) < 0 ||
			get_uint(params, "queue", UINT16_MAX, &qid, r) < 0)
		return -1;
	ret = relay_port_get(id, NULL, &info, r->msg, sizeof(r->msg));
	if (ret == 0)
		ret = relay_queue_stats(id, qid, &v, r->msg, sizeof(r->msg));
	if (ret < 0)
		return reply_action_error(r, ret);
	r->result = queue_json(id, qid, relay_vring_kind(qid, info.nb_vrings), &v);
	return 0;
}

static int
m_stats_clear(const json_t *params, struct relay_ctl_reply *r)
{
	static const char *const allowed[] = { "port", NULL };
	const json_t *p = json_object_get(params, "port");
	unsigned int id = RELAY_PORT_ALL;
	int ret;

	if (check_members(params, allowed, r) < 0)
		return -1;
	if (p != NULL && !(json_is_string(p) &&
			strcmp(json_string_value(p), "all") == 0) &&
			get_port(params, &id, r) < 0)
		return reply_error(r, RELAY_CTL_INVALID_PARAMS,
			"params.port: expected a port id or \"all\"");
	ret = relay_stats_clear(id, r->msg, sizeof(r->msg));
	if (ret < 0)
		return reply_action_error(r, ret);
	r->result = json_pack("{s:o}", "port", id == RELAY_PORT_ALL ?
		json_string("all") : json_integer(id));
	return 0;
}

static int
m_cvq_state(const json_t *params, struct relay_ctl_reply *r)
{
	static const char *const allowed[] = { "port", NULL };
	struct svq_net_state s;
	unsigned int id;
	int ret;

	if (check_members(params, allowed, r) < 0 ||
			get_port(params, &id, r) < 0)
		return -1;
	ret = relay_cvq_state(id, &s, r->msg, sizeof(r->msg));
	if (ret < 0)
		return reply_action_error(r, ret);
	r->result = svq_state_to_json(&s);
	return 0;
}

/* state.save and migration.save */
static int
save_file(const json_t *params, struct relay_ctl_reply *r, bool migration)
{
	static const char *const allowed[] = { "port", "file", NULL };
	const char *file;
	unsigned int id;
	int ret;

	if (check_members(params, allowed, r) < 0 ||
			get_port(params, &id, r) < 0 ||
			get_string(params, "file", true, &file, r) < 0)
		return -1;
	ret = migration ? relay_migration_save(id, file, r->msg, sizeof(r->msg)) :
		relay_state_save(id, file, r->msg, sizeof(r->msg));
	if (ret < 0)
		return reply_action_error(r, ret);
	r->result = json_pack("{s:i, s:s}", "port", (int)id, "file", file);
	return 0;
}

/* state.load and migration.load: a file, or the document inline */
static int
load(const json_t *params, struct relay_ctl_reply *r, bool migration)
{
	static const char *const allowed[] = { "port", "file", "state", NULL };
	const json_t *state = json_object_get(params, "state");
	const char *file;
	bool running = false;
	unsigned int id;
	int ret;

	if (check_members(params, allowed, r) < 0 ||
			get_port(params, &id, r) < 0 ||
			get_string(params, "file", false, &file, r) < 0)
		return -1;
	if ((file == NULL) == (state == NULL))
		return reply_error(r, RELAY_CTL_INVALID_PARAMS,
			"params: give either 'file' or 'state'");
	if (state != NULL && !json_is_object(state))
		return reply_error(r, RELAY_CTL_INVALID_PARAMS,
			"params.state: expected a %s object (doc/state-schema.md)",
			migration ? "migration state" : "state");
	if (migration)
		ret = file != NULL ?
			relay_migration_load(id, file, &running, r->msg, sizeof(r->msg)) :
			relay_migration_load_json(id, state, &running, r->msg, sizeof(r->msg));
	else
		ret = file != NULL ?
			relay_state_load(id, file, &running, r->msg, sizeof(r->msg)) :
			relay_state_load_json(id, state, &running, r->msg, sizeof(r->msg));
	if (ret < 0)
		return reply_action_error(r, ret);
	r->result = json_pack("{s:i, s:s, s:b}", "port", (int)id,
		"replay", running ? "next device restart" : "next device start",
		"device_running", running);
	return 0;
}

static int
m_state_save(const json_t *params, struct relay_ctl_reply *r)
{
	return save_file(params, r, false);
}

static int
m_state_load(const json_t *params, struct relay_ctl_reply *r)
{
	return load(params, r, false);
}

static int
m_migration_state(const json_t *params, struct relay_ctl_reply *r)
{
	static const char *const allowed[] = { "port", NULL };
	struct svq_migration_state m;
	unsigned int id;
	int ret;

	if (check_members(params, allowed, r) < 0 ||
			get_port(params, &id, r) < 0)
		return -1;
	ret = relay_migration_state(id, &m, r->msg, sizeof(r->msg));
	if (ret < 0)
		return reply_action_error(r, ret);
	r->result = svq_migration_to_json(&m);
	return 0;
}

static int
m_migration_save(const json_t *params, struct relay_ctl_reply *r)
{
	return save_file(params, r, true);
}

static int
m_migration_load(const json_t *params, struct relay_ctl_reply *r)
{
	return load(params, r, true);
}

static int
m_port_add(const json_t *params, struct relay_ctl_reply *r)
{
	static const char *const allowed[] = { "vhost", "device", NULL };
	struct relay_port_entry e;
	const char *vhost, *device;
	unsigned int id;
	int ret;

	if (check_members(params, allowed, r) < 0 ||
			get_string(params, "vhost", true, &vhost, r) < 0 ||
			get_string(params, "device", false, &device, r) < 0)
		return -1;
	ret = relay_port_add(vhost, device, &id, r->msg, sizeof(r->msg));
	if (ret < 0)
		return reply_action_error(r, ret);
	relay_port_get(id, &e, NULL, r->msg, sizeof(r->msg));
	r->result = port_entry_json(&e);
	return 0;
}

static int
m_port_del(const json_t *params, struct relay_ctl_reply *r)
{
	static const char *const allowed[] = { "port", NULL };
	unsigned int id;
	int ret;

	if (check_members(params, allowed, r) < 0 ||
			get_port(params, &id, r) < 0)
		return -1;
	ret = relay_port_del(id, r->msg, sizeof(r->msg));
	if (ret < 0)
		return reply_action_error(r, ret);
	r->result = json_pack("{s:i}", "port", (int)id);
	return 0;
}

static int
m_lcore_move(const json_t *params, struct relay_ctl_reply *r)
{
	static const char *const allowed[] = { "port", "queue", "lcore", NULL };
	uint64_t qid, lcore;
	unsigned int id;
	int ret;

	if (check_members(params, allowed, r) < 0 ||
			get_port(params, &id, r) < 0 ||
			get_uint(params, "queue", UINT16_MAX, &qid, r) < 0 ||
			get_uint(params, "lcore", UINT32_MAX, &lcore, r) < 0)
		return -1;
	ret = relay_lcore_move(id, qid, lcore, r->msg, sizeof(r->msg));
	if (ret < 0)
		return reply_action_error(r, ret);
	r->result = json_pack("{s:i, s:i, s:i}", "port", (int)id,
		"queue", (int)qid, "lcore", (int)lcore);
	return 0;
}

static int
m_mode_set(const json_t *params, struct relay_ctl_reply *r)
{
	static const char *const allowed[] = { "port", "mode", NULL };
	const char *mode;
	unsigned int id;
	int ret;

	if (check_members(params, allowed, r) < 0 ||
			get_port(params, &id, r) < 0 ||
			get_string(params, "mode", true, &mode, r) < 0)
		return -1;
	ret = relay_mode_set(id, mode, r->msg, sizeof(r->msg));
	if (ret < 0)
		return reply_action_error(r, ret);
	r->result = json_pack("{s:i, s:s}", "port", (int)id, "mode", mode);
	return 0;
}

static int m_methods(const json_t *params, struct relay_ctl_reply *r);

static const struct relay_ctl_method {
	const char *name;
	int (*fn)(const json_t *params, struct relay_ctl_reply *r);
	const char *params;
	const char *help;
} relay_ctl_methods[] = {
	{ "methods", m_methods, "", "this list" },
	{ "ports.list", m_ports_list, "", "every port" },
	{ "port.info", m_port_info, "port", "a port, its device's status, features and config" },
	{ "port.stats", m_port_stats, "port", "a port's totals and every vring's counters, since the last clear" },
	{ "queue.stats", m_queue_stats, "port queue", "one vring's counters" },
	{ "stats.clear", m_stats_clear, "[port]", "counters shown from now on start at 0 (a port or \"all\", the default)" },
	{ "cvq.state", m_cvq_state, "port", "the device state the guest set through the control queue (state JSON)" },
	{ "state.save", m_state_save, "port file", "write the device state to a file on the relay's host" },
	{ "state.load", m_state_load, "port file|state", "replay a state (file or inline JSON) when the device next starts" },
	{ "migration.state", m_migration_state, "port", "the migration state: device state, vring indices, port (migration JSON)" },
	{ "migration.save", m_migration_save, "port file", "write the migration state to a file on the relay's host" },
	{ "migration.load", m_migration_load, "port file|state", "take a migration state (file or inline JSON): replay its device state, check its vring bases" },
	{ "port.add", m_port_add, "vhost [device]", "add a port: vhost spec as --vhost, device spec as --device" },
	{ "port.del", m_port_del, "port", "disconnect the guest and remove the port" },
	{ "lcore.move", m_lcore_move, "port queue lcore", "move a vring to another worker lcore, live" },
	{ "mode.set", m_mode_set, "port mode", "always or on-migration" },
};

static int
m_methods(const json_t *params, struct relay_ctl_reply *r)
{
	static const char *const allowed[] = { NULL };
	unsigned int i;

	if (check_members(params, allowed, r) < 0)
		return -1;
	r->result = json_array();
	for (i = 0; i < RTE_DIM(relay_ctl_methods); i++)
		json_array_append_new(r->result, json_pack("{s:s, s:s, s:s}",
			"method", relay_ctl_methods[i].name,
			"params", relay_ctl_methods[i].params,
			"help", relay_ctl_methods[i].help));
	return 0;
}

/* ---- requests and responses ----------------------------------------- */

/* Parse and run one request line; @return the response (owned). */
static json_t *
relay_ctl_handle(const char *line, size_t len)
{
	struct relay_ctl_reply r = { .result = NULL };
	json_t *req, *id = NULL, *params, *resp, *v;
	const json_t *method;
	json_error_t jerr;
	const char *key;
	unsigned int i;

	req = json_loadb(line, len, JSON_REJECT_DUPLICATES | JSON_DECODE_ANY,
		&jerr);
	if (req == NULL) {
		reply_error(&r, RELAY_CTL_PARSE_ERROR,
			"not JSON: %s (column %d)", jerr.text, jerr.column);
		goto error;
	}
	if (!json_is_object(req)) {
		reply_error(&r, RELAY_CTL_INVALID_REQUEST,
			"a request is a JSON object");
		goto error;
	}
	id = json_object_get(req, "id");
	if (id != NULL && !json_is_string(id) && !json_is_integer(id) &&
			!json_is_null(id)) {
		id = NULL;
		reply_error(&r, RELAY_CTL_INVALID_REQUEST,
			"id: expected a string, an integer or null");
		goto error;
	}
	json_incref(id);
	json_object_foreach(req, key, v) {
		RTE_SET_USED(v);
		if (strcmp(key, "id") != 0 && strcmp(key, "method") != 0 &&
				strcmp(key, "params") != 0 &&
				strcmp(key, "jsonrpc") != 0) {
			reply_error(&r, RELAY_CTL_INVALID_REQUEST,
				"unknown member '%.64s' (id, method, params)",
				key);
			goto error;
		}
	}
	method = json_object_get(req, "method");
	if (method == NULL || !json_is_string(method)) {
		reply_error(&r, RELAY_CTL_INVALID_REQUEST,
			"method: expected a string");
		goto error;
	}
	params = json_object_get(req, "params");
	if (params != NULL && !json_is_object(params)) {
		reply_error(&r, RELAY_CTL_INVALID_PARAMS,
			"params: expected an object");
		goto error;
	}
	if (params == NULL)
		params = json_object();
	else
		json_incref(params);
	for (i = 0; i < RTE_DIM(relay_ctl_methods); i++)
		if (strcmp(relay_ctl_methods[i].name,
				json_string_value(method)) == 0)
			break;
	if (i == RTE_DIM(relay_ctl_methods)) {
		json_decref(params);
		reply_error(&r, RELAY_CTL_METHOD_NOT_FOUND,
			"unknown method '%.64s' (\"methods\" lists them)",
			json_string_value(method));
		goto error;
	}
	if (relay_ctl_methods[i].fn(params, &r) == 0 && r.result == NULL)
		reply_error(&r, RELAY_CTL_INTERNAL_ERROR, "out of memory");
	json_decref(params);
	if (r.result == NULL)
		goto error;
	resp = json_pack("{s:o, s:o}", "id", id != NULL ? id : json_null(),
		"result", r.result);
	json_decref(req);
	return resp;

error:
	json_decref(r.result);
	resp = json_pack("{s:o, s:{s:i, s:s}}", "id",
		id != NULL ? id : json_null(), "error", "code", r.code,
		"message", r.msg);
	json_decref(req);
	return resp;
}

/* ---- connections ---------------------------------------------------- */

static void
conn_close(struct relay_ctl_conn *c)
{
	if (c->fd >= 0)	/* -2: closed already by conn_queue() */
		close(c->fd);
	free(c->in);
	free(c->out);
	memset(c, 0, sizeof(*c));
	c->fd = -1;
}

static void
conn_queue(struct relay_ctl_conn *c, const char *text, size_t len)
{
	if (c->out_off > 0 && c->out_off == c->out_len)
		c->out_off = c->out_len = 0;
	if (c->out_len + len > c->out_cap) {
		size_t cap = RTE_MAX(c->out_cap * 2, c->out_len + len);
		char *p = realloc(c->out, cap);

		if (p == NULL) {
			/* Cannot answer: the client would wait forever. */
			close(c->fd);
			c->fd = -2;	/* closed by the loop */
			return;
		}
		c->out = p;
		c->out_cap = cap;
	}
	memcpy(c->out + c->out_len, text, len);
	c->out_len += len;
}

static void
conn_respond(struct relay_ctl_conn *c, json_t *resp)
{
	char *text = resp != NULL ? json_dumps(resp, JSON_COMPACT) : NULL;

	if (text == NULL) {
		static const char oom[] = "{\"id\":null,\"error\":{\"code\":-32603,\"message\":\"out of memory\"}}\n";

		conn_queue(c, oom, sizeof(oom) - 1);
	} else {
		conn_queue(c, text, strlen(text));
		conn_queue(c, "\n", 1);
	}
	free(text);
	json_decref(resp);
}

static bool
line_blank(const char *p, size_t len)
{
	size_t i;

	for (i = 0; i < len; i++)
		if (p[i] != ' ' && p[i] != '\t' && p[i] != '\r')
			return false;
	return true;
}

/* Answer the complete lines in the input buffer, while the output has
 * room. */
static void
conn_process(struct relay_ctl_conn *c)
{
	size_t start = 0;

	while (c->fd >= 0 && c->out_len - c->out_off < RELAY_CTL_OUT_HIGH) {
		char *nl = memchr(c->in + start, '\n', c->in_len - start);
		size_t len;

		if (nl == NULL) {
			/* A last line without newline before EOF counts. */
			if (!c->eof || start == c->in_len)
				break;
			nl = c->in + c->in_len;
		}
		len = nl - (c->in + start);
		if (!line_blank(c->in + start, len))
			conn_respond(c, relay_ctl_handle(c->in + start, len));
		start += len + (nl < c->in + c->in_len ? 1 : 0);
	}
	memmove(c->in, c->in + start, c->in_len - start);
	c->in_len -= start;
	if (c->in_len == RELAY_CTL_MAX_LINE && !c->discarding) {
		char msg[128];

		snprintf(msg, sizeof(msg),
			"{\"id\":null,\"error\":{\"code\":%d,\"message\":\"request longer than %u bytes: skipped\"}}\n",
			RELAY_CTL_INVALID_REQUEST, RELAY_CTL_MAX_LINE);
		conn_queue(c, msg, strlen(msg));
		c->discarding = true;
	}
	if (c->discarding)
		c->in_len = 0;	/* conn_read() looks for the line's end */
}

static void
conn_read(struct relay_ctl_conn *c)
{
	ssize_t n;

	n = read(c->fd, c->in + c->in_len, RELAY_CTL_MAX_LINE - c->in_len);
	if (n < 0) {
		if (errno != EAGAIN && errno != EINTR)
			conn_close(c);
		return;
	}
	if (n == 0)
		c->eof = true;
	else if (c->discarding) {
		char *nl = memchr(c->in, '\n', n);

		if (nl == NULL) {
			return;	/* still inside the overlong line */
		}
		/* Drop up to and including the newline. */
		c->discarding = false;
		memmove(c->in, nl + 1, n - (nl + 1 - c->in));
		c->in_len = n - (nl + 1 - c->in);
	} else {
		c->in_len += n;
	}
	conn_process(c);
}

static void
conn_write(struct relay_ctl_conn *c)
{
	ssize_t n;

	n = send(c->fd, c->out + c->out_off, c->out_len - c->out_off,
		MSG_NOSIGNAL);
	if (n < 0) {
		if (errno != EAGAIN && errno != EINTR)
			conn_close(c);
		return;
	}
	c->out_off += n;
	if (c->out_off == c->out_len)
		c->out_off = c->out_len = 0;
	/* Room again: answer what was waiting. */
	conn_process(c);
}

static void
relay_ctl_accept(void)
{
	static const char busy[] =
		"{\"id\":null,\"error\":{\"code\":-32603,\"message\":\"too many control connections\"}}\n";
	struct relay_ctl_conn *c = NULL;
	unsigned int i;
	int fd;

	fd = accept4(relay_ctl.listen_fd, NULL, NULL,
		SOCK_NONBLOCK | SOCK_CLOEXEC);
	if (fd < 0)
		return;
	for (i = 0; i < RELAY_CTL_MAX_CLIENTS; i++) {
		if (relay_ctl.conns[i].fd < 0) {
			c = &relay_ctl.conns[i];
			break;
		}
	}
	if (c != NULL) {
		c->in = malloc(RELAY_CTL_MAX_LINE);
		if (c->in != NULL) {
			c->fd = fd;
			return;
		}
	}
	if (send(fd, busy, sizeof(busy) - 1, MSG_NOSIGNAL | MSG_DONTWAIT) < 0) {
		/* Nothing more to tell it. */
	}
	close(fd);
}

static void *
relay_ctl_main(void *arg)
{
	struct pollfd pfd[2 + RELAY_CTL_MAX_CLIENTS];
	struct relay_ctl_conn *map[2 + RELAY_CTL_MAX_CLIENTS];

	RTE_SET_USED(arg);
	for (;;) {
		unsigned int i, n = 2;

		pfd[0] = (struct pollfd){ .fd = relay_ctl.wake_fd, .events = POLLIN };
		pfd[1] = (struct pollfd){ .fd = relay_ctl.listen_fd, .events = POLLIN };
		for (i = 0; i < RELAY_CTL_MAX_CLIENTS; i++) {
			struct relay_ctl_conn *c = &relay_ctl.conns[i];
			short events = 0;

			if (c->fd == -2) {	/* failed while queueing */
				conn_close(c);
				continue;
			}
			if (c->fd < 0)
				continue;
			if (c->out_len > c->out_off)
				events |= POLLOUT;
			/* Backpressure: no new requests while answers wait. */
			if (!c->eof && c->out_len - c->out_off < RELAY_CTL_OUT_HIGH)
				events |= POLLIN;
			if (events == 0) {
				/* Finished: it sent EOF and has every answer. */
				conn_close(c);
				continue;
			}
			pfd[n] = (struct pollfd){ .fd = c->fd, .events = events };
			map[n++] = c;
		}
		if (poll(pfd, n, -1) < 0) {
			if (errno == EINTR)
				continue;
			break;
		}
		if (pfd[0].revents & POLLIN)
			break;	/* relay_ctl_stop() */
		if (pfd[1].revents & POLLIN)
			relay_ctl_accept();
		for (i = 2; i < n; i++) {
			struct relay_ctl_conn *c = map[i];

			if (c->fd >= 0 && (pfd[i].revents & POLLOUT))
				conn_write(c);
			if (c->fd >= 0 && (pfd[i].revents & (POLLIN | POLLHUP)))
				conn_read(c);
			if (c->fd >= 0 && (pfd[i].revents & (POLLERR | POLLNVAL)))
				conn_close(c);
		}
	}
	return NULL;
}

/* ---- life cycle ----------------------------------------------------- */

/* A socket file left by a relay that died may be replaced; a live one or
 * any other file may not. */
static int
relay_ctl_clear_path(const char *path, char *err, size_t err_len)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	struct stat st;
	int fd, ret;

	if (lstat(path, &st) < 0)
		return errno == ENOENT ? 0 : -errno;
	if (!S_ISSOCK(st.st_mode)) {
		snprintf(err, err_len, "%s: exists and is not a socket", path);
		return -EEXIST;
	}
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	rte_strscpy(sa.sun_path, path, sizeof(sa.sun_path));
	ret = connect(fd, (struct sockaddr *)&sa, sizeof(sa));
	close(fd);
	if (ret == 0) {
		snprintf(err, err_len, "%s: another process is listening on it",
			path);
		return -EADDRINUSE;
	}
	if (unlink(path) < 0 && errno != ENOENT) {
		snprintf(err, err_len, "%s: cannot remove the stale socket: %s",
			path, strerror(errno));
		return -errno;
	}
	return 0;
}

int
relay_ctl_start(const char *path, char *err, size_t err_len)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	unsigned int i;
	int ret;

	if (relay_ctl.running)
		return -EBUSY;
	if (strlen(path) >= sizeof(sa.sun_path)) {
		snprintf(err, err_len, "%s: path too long for a UNIX socket", path);
		return -ENAMETOOLONG;
	}
	for (i = 0; i < RELAY_CTL_MAX_CLIENTS; i++)
		relay_ctl.conns[i].fd = -1;
	snprintf(err, err_len, "%s: cannot listen", path);
	ret = relay_ctl_clear_path(path, err, err_len);
	if (ret < 0)
		return ret;
	rte_strscpy(sa.sun_path, path, sizeof(sa.sun_path));
	relay_ctl.listen_fd = socket(AF_UNIX,
		SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (relay_ctl.listen_fd < 0)
		goto fail_errno;
	if (bind(relay_ctl.listen_fd, (struct sockaddr *)&sa, sizeof(sa)) < 0)
		goto fail_errno;
	rte_strscpy(relay_ctl.path, path, sizeof(relay_ctl.path));
	/* Owner only before anyone can connect: connections are refused
	 * until listen(), so the umask's window does not matter. */
	if (chmod(path, S_IRUSR | S_IWUSR) < 0 ||
			listen(relay_ctl.listen_fd, 8) < 0)
		goto fail_errno;
	relay_ctl.wake_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (relay_ctl.wake_fd < 0)
		goto fail_errno;
	ret = rte_ctrl_thread_create(&relay_ctl.thread, "svq-ctl", NULL,
		relay_ctl_main, NULL);
	if (ret != 0) {
		ret = -ret;
		snprintf(err, err_len, "%s: cannot start the control thread",
			path);
		goto fail;
	}
	relay_ctl.running = true;
	printf("svq-relay: control socket %s\n", path);
	fflush(stdout);
	return 0;

fail_errno:
	ret = -errno;
	snprintf(err, err_len, "%s: %s", path, strerror(errno));
fail:
	if (relay_ctl.wake_fd >= 0)
		close(relay_ctl.wake_fd);
	if (relay_ctl.listen_fd >= 0)
		close(relay_ctl.listen_fd);
	if (relay_ctl.path[0] != '\0')
		unlink(relay_ctl.path);
	relay_ctl.wake_fd = relay_ctl.listen_fd = -1;
	relay_ctl.path[0] = '\0';
	return ret;
}

void
relay_ctl_stop(void)
{
	uint64_t one = 1;
	unsigned int i;

	if (!relay_ctl.running)
		return;
	if (write(relay_ctl.wake_fd, &one, sizeof(one)) < 0) {
		/* An eventfd write fails only on overflow: already woken. */
	}
	pthread_join(relay_ctl.thread, NULL);
	for (i = 0; i < RELAY_CTL_MAX_CLIENTS; i++)
		if (relay_ctl.conns[i].fd != -1)
			conn_close(&relay_ctl.conns[i]);
	close(relay_ctl.wake_fd);
	close(relay_ctl.listen_fd);
	unlink(relay_ctl.path);
	relay_ctl.wake_fd = relay_ctl.listen_fd = -1;
	relay_ctl.path[0] = '\0';
	relay_ctl.running = false;
}
