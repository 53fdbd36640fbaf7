/* SPDX-License-Identifier: BSD-3-Clause */

/*
 * Console commands: the token tables DPDK's cmdline library parses and
 * completes, and the text each command prints. Every action is a call
 * into relay_cmd.c, which the control socket and telemetry use too.
 *
 * Threat model: the console is the operator at the relay's terminal or a
 * file the operator names; it is trusted, but every argument is still
 * checked (by the token parsers, then by the action) and an error is one
 * line starting "error: ", never a change to what runs.
 */

#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmdline.h>
#include <cmdline_parse.h>
#include <cmdline_parse_num.h>
#include <cmdline_parse_string.h>
#include <cmdline_rdline.h>
#include <cmdline_socket.h>
#include <rte_common.h>
#include <rte_ether.h>

#include "relay_cmd.h"
#include "relay_console.h"
#include "svq_state_json.h"

#define RELAY_PROMPT "svq> "

static volatile sig_atomic_t *relay_console_quit;
static struct cmdline *relay_console_cl;	/* the stdin console */
static unsigned int relay_console_errors;	/* answers that were errors */

static void __rte_format_printf(1, 2)
out(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
}

/* One line for an error the action reported. */
static void
fail(const char *err)
{
	printf("error: %s\n", err);
	fflush(stdout);
	relay_console_errors++;
}

static void
done(void)
{
	fflush(stdout);
}

/* ---- help ----------------------------------------------------------- */

static const char relay_help_text[] =
"commands (<port> is a port id from 'show port info all'):\n"
"  help                                       this list\n"
"  show port info|stats|xstats all|<port>     ports, their counters, every counter\n"
"  show queue stats <port> <vring>            one vring's counters\n"
"  clear port stats all|<port>                counters shown from now on start at 0\n"
"  show device <port>                         device status, features, config\n"
"  show cvq state <port>                      device state the guest set (CVQ)\n"
"  show cvq json <port>                       the same, as state JSON\n"
"  set mode <port> always|on-migration        shadow always, or only while migrating\n"
"  set lcore-map <port> <vring> <lcore>       move a vring to another worker, live\n"
"  state save <port> <file>                   write the device state (JSON)\n"
"  state load <port> <file>                   replay a state when the device next starts\n"
"  show migration <port>                      device state and vring indices, as migration JSON\n"
"  migration save <port> <file>               write them to a file\n"
"  migration load <port> <file>               replay its state, check its vring bases\n"
"  port add <vhost-spec> [<device-spec>]      new port, e.g. port add /tmp/v1.sock,queues=2 sim,queues=2\n"
"  port del <port>                            disconnect the guest, remove the port\n"
"  quit                                       stop the relay\n"
"vrings: 2q is RX and 2q+1 TX of queue pair q; the control vring is last.\n";

struct cmd_help_result {
	cmdline_fixed_string_t help;
};

static void
cmd_help_parsed(void *res, struct cmdline *cl, void *data)
{
	RTE_SET_USED(res);
	RTE_SET_USED(cl);
	RTE_SET_USED(data);
	out("%s", relay_help_text);
	done();
}

static cmdline_parse_token_string_t cmd_help_help =
	TOKEN_STRING_INITIALIZER(struct cmd_help_result, help, "help");

static cmdline_parse_inst_t cmd_help = {
	.f = cmd_help_parsed,
	.help_str = "help: list the commands",
	.tokens = { (void *)&cmd_help_help, NULL },
};

/* ---- show port info|stats|xstats ------------------------------------ */

static void
print_port_info(unsigned int id)
{
	char err[RELAY_ERR_LEN], names[1024];
	struct relay_port_entry e;
	struct svq_port_info info;

	if (relay_port_get(id, &e, &info, err, sizeof(err)) < 0) {
		fail(err);
		return;
	}
	out("port %u (%s)\n", id, e.name);
	out("  vhost-user socket: %s (%s), %s\n", e.path,
		info.client ? "client" : "server",
		info.connected ? "connected" : "waiting for a frontend");
	out("  device: %s, driver %s, spec '%s', %s\n", info.device,
		info.driver, e.device_spec,
		info.device_started ? "started" : "stopped");
	out("  queue pairs: %u, vrings: %u", info.nb_queue_pairs,
		info.nb_vrings);
	out(" (control vring %u)", info.nb_vrings - 1);
	out(", largest ring: %u\n", info.max_ring_size);
	out("  mode: %s, notify: %s, %u vrings in passthrough, %" PRIu64 " switches",
		svq_port_mode_name(info.mode), svq_port_notify_name(info.notify),
		info.nb_passthrough, info.mode_switches);
	if (info.mode_switches != 0)
		out(", the last in %.1f us", info.last_switch_us);
	out("\n");
	relay_features_str(info.guest_features, names, sizeof(names));
	out("  guest features: 0x%" PRIx64 "%s%s\n", info.guest_features,
		names[0] ? " " : "", names);
	out("  restore pending: %s\n", info.restore_pending ? "yes" : "no");
	out("  device stops: %" PRIu64 "%s", info.device_stops,
		info.stopped ? " (stopped now)" : "");
	if (info.device_stops != 0)
		out(", the last in %.1f us", info.last_stop_us);
	out("; starts: %" PRIu64, info.device_starts);
	if (info.device_starts != 0)
		out(", the last in %.1f us (replay: %u commands, %.1f us)",
			info.last_start_us, info.last_replay_commands,
			info.last_replay_us);
	out("\n");
	if (info.migration_vrings != 0)
		out("  migration state: %u of %u vring bases checked, %u differed from the frontend's\n",
			info.migration_checked, info.migration_vrings,
			info.migration_mismatches);
}

static void
print_stats_row(uint16_t qid, const char *kind, const struct relay_queue_view *v)
{
	out("  %-5u %-4s %-5d %-8s %14" PRIu64 " %16" PRIu64 " %14" PRIu64
		" %16" PRIu64 " %10" PRIu64 " %10" PRIu64 " %7" PRIu64 "\n",
		qid, kind, v->lcore == UINT_MAX ? -1 : (int)v->lcore,
		relay_queue_state_name(v->state), v->stats.avail_chains,
		v->stats.avail_bytes, v->stats.used_chains, v->stats.used_bytes,
		v->stats.device_kicks, v->stats.guest_calls,
		v->stats.guest_errors + v->stats.device_errors);
}

static void
print_port_stats(unsigned int id)
{
	static struct relay_port_stats st;	/* main lcore only */
	char err[RELAY_ERR_LEN];
	uint16_t qid;

	if (relay_port_stats(id, &st, err, sizeof(err)) < 0) {
		fail(err);
		return;
	}
	out("  ######################## port %u statistics ########################\n", id);
	out("  RX-frames: %-14" PRIu64 " RX-bytes: %-16" PRIu64 " (device -> guest)\n",
		st.rx_frames, st.rx_bytes);
	out("  TX-frames: %-14" PRIu64 " TX-bytes: %-16" PRIu64 " (guest -> device)\n",
		st.tx_frames, st.tx_bytes);
	out("  CTRL-commands: %-10" PRIu64 " kicks: %-10" PRIu64 " calls: %-10" PRIu64
		" guest-errors: %" PRIu64 " device-errors: %" PRIu64 "\n",
		st.ctrl_commands, st.device_kicks, st.guest_calls,
		st.guest_errors, st.device_errors);
	out("  %-5s %-4s %-5s %-8s %14s %16s %14s %16s %10s %10s %7s\n",
		"vring", "kind", "lcore", "state", "avail-chains", "avail-bytes",
		"used-chains", "used-bytes", "kicks", "calls", "errors");
	for (qid = 0; qid < st.nb_vrings; qid++)
		print_stats_row(qid, relay_vring_kind(qid, st.nb_vrings), &st.q[qid]);
	out("  ####################################################################\n");
}

static void
print_port_xstats(unsigned int id)
{
	static struct relay_port_stats st;
	char err[RELAY_ERR_LEN];
	uint16_t qid;

	if (relay_port_stats(id, &st, err, sizeof(err)) < 0) {
		fail(err);
		return;
	}
	out("###### extended statistics for port %u\n", id);
	for (qid = 0; qid < st.nb_vrings; qid++) {
		const struct svq_queue_stats *s = &st.q[qid].stats;
		const char *k = relay_vring_kind(qid, st.nb_vrings);

#define XSTAT(field) out("q%u_%s_" #field ": %" PRIu64 "\n", qid, k, s->field)
		XSTAT(avail_chains);
		XSTAT(avail_descs);
		XSTAT(avail_bytes);
		XSTAT(used_chains);
		XSTAT(used_bytes);
		XSTAT(device_kicks);
		XSTAT(guest_calls);
		XSTAT(guest_errors);
		XSTAT(device_errors);
#undef XSTAT
	}
}

static void
for_port_or_all(bool all, unsigned int id, void (*fn)(unsigned int))
{
	struct relay_port_entry ports[RELAY_MAX_PORTS];
	unsigned int i, n;

	if (!all) {
		fn(id);
		return;
	}
	n = relay_port_list(ports, RELAY_MAX_PORTS);
	if (n == 0)
		out("no ports\n");
	for (i = 0; i < n; i++)
		fn(ports[i].id);
}

struct cmd_show_port_result {
	cmdline_fixed_string_t show;
	cmdline_fixed_string_t port;
	cmdline_fixed_string_t what;
	cmdline_fixed_string_t all;
	uint16_t port_id;
};

static void
cmd_show_port_parsed(void *res, struct cmdline *cl, void *data)
{
	struct cmd_show_port_result *r = res;
	bool all = data != NULL;
	void (*fn)(unsigned int);

	RTE_SET_USED(cl);
	if (strcmp(r->what, "info") == 0)
		fn = print_port_info;
	else if (strcmp(r->what, "stats") == 0)
		fn = print_port_stats;
	else
		fn = print_port_xstats;
	for_port_or_all(all, r->port_id, fn);
	done();
}

static cmdline_parse_token_string_t cmd_show_port_show =
	TOKEN_STRING_INITIALIZER(struct cmd_show_port_result, show, "show");
static cmdline_parse_token_string_t cmd_show_port_port =
	TOKEN_STRING_INITIALIZER(struct cmd_show_port_result, port, "port");
static cmdline_parse_token_string_t cmd_show_port_what =
	TOKEN_STRING_INITIALIZER(struct cmd_show_port_result, what,
		"info#stats#xstats");
static cmdline_parse_token_string_t cmd_show_port_all =
	TOKEN_STRING_INITIALIZER(struct cmd_show_port_result, all, "all");
static cmdline_parse_token_num_t cmd_show_port_id =
	TOKEN_NUM_INITIALIZER(struct cmd_show_port_result, port_id, RTE_UINT16);

static cmdline_parse_inst_t cmd_show_port_all_inst = {
	.f = cmd_show_port_parsed,
	.data = (void *)1,
	.help_str = "show port info|stats|xstats all",
	.tokens = { (void *)&cmd_show_port_show, (void *)&cmd_show_port_port,
		(void *)&cmd_show_port_what, (void *)&cmd_show_port_all, NULL },
};

static cmdline_parse_inst_t cmd_show_port_id_inst = {
	.f = cmd_show_port_parsed,
	.data = NULL,
	.help_str = "show port info|stats|xstats <port>",
	.tokens = { (void *)&cmd_show_port_show, (void *)&cmd_show_port_port,
		(void *)&cmd_show_port_what, (void *)&cmd_show_port_id, NULL },
};

/* ---- show queue stats ----------------------------------------------- */

struct cmd_show_queue_result {
	cmdline_fixed_string_t show;
	cmdline_fixed_string_t queue;
	cmdline_fixed_string_t stats;
	uint16_t port_id;
	uint16_t qid;
};

static void
cmd_show_queue_parsed(void *res, struct cmdline *cl, void *data)
{
	struct cmd_show_queue_result *r = res;
	char err[RELAY_ERR_LEN];
	struct relay_port_entry e;
	struct svq_port_info info;
	struct relay_queue_view v;
	const struct svq_queue_stats *s = &v.stats;

	RTE_SET_USED(cl);
	RTE_SET_USED(data);
	if (relay_port_get(r->port_id, &e, &info, err, sizeof(err)) < 0 ||
			relay_queue_stats(r->port_id, r->qid, &v, err,
				sizeof(err)) < 0) {
		fail(err);
		return;
	}
	out("port %u vring %u (%s): lcore %d, %s\n", r->port_id, r->qid,
		relay_vring_kind(r->qid, info.nb_vrings),
		v.lcore == UINT_MAX ? -1 : (int)v.lcore,
		relay_queue_state_name(v.state));
	out("  avail-chains: %" PRIu64 "\n  avail-descs: %" PRIu64
		"\n  avail-bytes: %" PRIu64 "\n  used-chains: %" PRIu64
		"\n  used-bytes: %" PRIu64 "\n  device-kicks: %" PRIu64
		"\n  guest-calls: %" PRIu64 "\n  guest-errors: %" PRIu64
		"\n  device-errors: %" PRIu64 "\n",
		s->avail_chains, s->avail_descs, s->avail_bytes,
		s->used_chains, s->used_bytes, s->device_kicks,
		s->guest_calls, s->guest_errors, s->device_errors);
	done();
}

static cmdline_parse_token_string_t cmd_show_queue_show =
	TOKEN_STRING_INITIALIZER(struct cmd_show_queue_result, show, "show");
static cmdline_parse_token_string_t cmd_show_queue_queue =
	TOKEN_STRING_INITIALIZER(struct cmd_show_queue_result, queue, "queue");
static cmdline_parse_token_string_t cmd_show_queue_stats =
	TOKEN_STRING_INITIALIZER(struct cmd_show_queue_result, stats, "stats");
static cmdline_parse_token_num_t cmd_show_queue_port =
	TOKEN_NUM_INITIALIZER(struct cmd_show_queue_result, port_id, RTE_UINT16);
static cmdline_parse_token_num_t cmd_show_queue_qid =
	TOKEN_NUM_INITIALIZER(struct cmd_show_queue_result, qid, RTE_UINT16);

static cmdline_parse_inst_t cmd_show_queue = {
	.f = cmd_show_queue_parsed,
	.help_str = "show queue stats <port> <vring>",
	.tokens = { (void *)&cmd_show_queue_show, (void *)&cmd_show_queue_queue,
		(void *)&cmd_show_queue_stats, (void *)&cmd_show_queue_port,
		(void *)&cmd_show_queue_qid, NULL },
};

/* ---- clear port stats ----------------------------------------------- */

struct cmd_clear_result {
	cmdline_fixed_string_t clear;
	cmdline_fixed_string_t port;
	cmdline_fixed_string_t stats;
	cmdline_fixed_string_t all;
	uint16_t port_id;
};

static void
cmd_clear_parsed(void *res, struct cmdline *cl, void *data)
{
	struct cmd_clear_result *r = res;
	char err[RELAY_ERR_LEN];
	unsigned int id = data != NULL ? RELAY_PORT_ALL : r->port_id;

	RTE_SET_USED(cl);
	if (relay_stats_clear(id, err, sizeof(err)) < 0) {
		fail(err);
		return;
	}
	if (id == RELAY_PORT_ALL)
		out("statistics cleared for all ports\n");
	else
		out("port %u: statistics cleared\n", id);
	done();
}

static cmdline_parse_token_string_t cmd_clear_clear =
	TOKEN_STRING_INITIALIZER(struct cmd_clear_result, clear, "clear");
static cmdline_parse_token_string_t cmd_clear_port =
	TOKEN_STRING_INITIALIZER(struct cmd_clear_result, port, "port");
static cmdline_parse_token_string_t cmd_clear_stats =
	TOKEN_STRING_INITIALIZER(struct cmd_clear_result, stats, "stats");
static cmdline_parse_token_string_t cmd_clear_all =
	TOKEN_STRING_INITIALIZER(struct cmd_clear_result, all, "all");
static cmdline_parse_token_num_t cmd_clear_id =
	TOKEN_NUM_INITIALIZER(struct cmd_clear_result, port_id, RTE_UINT16);

static cmdline_parse_inst_t cmd_clear_all_inst = {
	.f = cmd_clear_parsed,
	.data = (void *)1,
	.help_str = "clear port stats all",
	.tokens = { (void *)&cmd_clear_clear, (void *)&cmd_clear_port,
		(void *)&cmd_clear_stats, (void *)&cmd_clear_all, NULL },
};

static cmdline_parse_inst_t cmd_clear_id_inst = {
	.f = cmd_clear_parsed,
	.data = NULL,
	.help_str = "clear port stats <port>",
	.tokens = { (void *)&cmd_clear_clear, (void *)&cmd_clear_port,
		(void *)&cmd_clear_stats, (void *)&cmd_clear_id, NULL },
};

/* ---- show device ---------------------------------------------------- */

struct cmd_show_device_result {
	cmdline_fixed_string_t show;
	cmdline_fixed_string_t device;
	uint16_t port_id;
};

static void
print_features(const char *what, uint64_t features)
{
	char names[1024];

	relay_features_str(features, names, sizeof(names));
	out("  %-24s 0x%016" PRIx64 "%s%s\n", what, features,
		names[0] ? " " : "", names);
}

static void
cmd_show_device_parsed(void *res, struct cmdline *cl, void *data)
{
	struct cmd_show_device_result *r = res;
	char err[RELAY_ERR_LEN], status[128];
	struct svq_port_info info;

	RTE_SET_USED(cl);
	RTE_SET_USED(data);
	if (relay_port_get(r->port_id, NULL, &info, err, sizeof(err)) < 0) {
		fail(err);
		return;
	}
	relay_status_str(info.device_status, status, sizeof(status));
	out("port %u device %s (driver %s)\n", r->port_id, info.device,
		info.driver);
	out("  %-24s 0x%02x %s\n", "status:", info.device_status, status);
	print_features("device offers:", info.device_features);
	print_features("relay offers the guest:", info.offered_features);
	print_features("guest negotiated:", info.guest_features);
	print_features("device accepted:", info.driver_features);
	out("  config: mac " RTE_ETHER_ADDR_PRT_FMT ", link %s, max_virtqueue_pairs %u, mtu %u\n",
		info.mac[0], info.mac[1], info.mac[2], info.mac[3],
		info.mac[4], info.mac[5],
		info.link_status & 1 ? "up" : "down",
		info.max_virtqueue_pairs, info.mtu);
	out("  config: rss_max_key_size %u, rss_max_indirection_table_length %u, supported_hash_types 0x%x\n",
		info.rss_max_key_size, info.rss_max_indirection_table_length,
		info.supported_hash_types);
	done();
}

static cmdline_parse_token_string_t cmd_show_device_show =
	TOKEN_STRING_INITIALIZER(struct cmd_show_device_result, show, "show");
static cmdline_parse_token_string_t cmd_show_device_device =
	TOKEN_STRING_INITIALIZER(struct cmd_show_device_result, device, "device");
static cmdline_parse_token_num_t cmd_show_device_id =
	TOKEN_NUM_INITIALIZER(struct cmd_show_device_result, port_id, RTE_UINT16);

static cmdline_parse_inst_t cmd_show_device = {
	.f = cmd_show_device_parsed,
	.help_str = "show device <port>: status, features, config",
	.tokens = { (void *)&cmd_show_device_show,
		(void *)&cmd_show_device_device, (void *)&cmd_show_device_id,
		NULL },
};

/* ---- show cvq state|json -------------------------------------------- */

struct cmd_show_cvq_result {
	cmdline_fixed_string_t show;
	cmdline_fixed_string_t cvq;
	cmdline_fixed_string_t what;
	uint16_t port_id;
};

static void
print_macs(const char *what, const struct rte_ether_addr *macs, uint32_t n,
		bool overflow)
{
	uint32_t i;

	out("  %s (%u)%s:", what, n, overflow ? " overflow: all accepted" : "");
	for (i = 0; i < n; i++)
		out(" " RTE_ETHER_ADDR_PRT_FMT, RTE_ETHER_ADDR_BYTES(&macs[i]));
	out("\n");
}

static void
print_cvq_state(unsigned int id, const struct svq_net_state *s)
{
	static const char *const rx_names[SVQ_RX_MODES] = {
		"promisc", "allmulti", "alluni", "nomulti", "nouni", "nobcast",
	};
	unsigned int i, nb_vlans = 0;

	out("port %u device state (what the guest set through the control queue)\n", id);
	print_features("features:", s->features);
	out("  mac: " RTE_ETHER_ADDR_PRT_FMT "\n", RTE_ETHER_ADDR_BYTES(&s->mac));
	out("  rx mode:");
	for (i = 0; i < SVQ_RX_MODES; i++)
		out(" %s %s", rx_names[i], s->rx_mode[i] ? "on" : "off");
	out("\n");
	print_macs("unicast MACs", s->uc, s->n_uc, s->uc_overflow);
	print_macs("multicast MACs", s->mc, s->n_mc, s->mc_overflow);
	for (i = 0; i < SVQ_VLAN_MAX; i++)
		nb_vlans += svq_net_state_vlan(s, i);
	out("  VLANs (%u):", nb_vlans);
	for (i = 0; i < SVQ_VLAN_MAX; i++)
		if (svq_net_state_vlan(s, i))
			out(" %u", i);
	out("\n");
	out("  guest offloads: 0x%" PRIx64 "\n", s->guest_offloads);
	out("  queue pairs: %u of %u\n", s->curr_pairs, s->max_pairs);
	switch (s->rss_mode) {
	case SVQ_RSS_OFF:
		out("  rss: off\n");
		break;
	case SVQ_RSS_HASH_ONLY:
	case SVQ_RSS_STEER:
		out("  rss: %s, hash types 0x%x, key ",
			s->rss_mode == SVQ_RSS_STEER ? "steering" :
			"hash reports only", s->rss.hash_types);
		for (i = 0; i < s->rss.key_len; i++)
			out("%02x", s->rss.key[i]);
		out("\n");
		if (s->rss_mode == SVQ_RSS_HASH_ONLY)
			break;
		out("  rss: unclassified queue %u, max_tx_vq %u, indirection table (%u):",
			s->rss.unclassified, s->rss.max_tx_vq,
			s->rss.table_len);
		for (i = 0; i < s->rss.table_len; i++)
			out(" %u", s->rss.table[i]);
		out("\n");
		break;
	}
}

/* Print @p j (owned) indented; @return false (after saying so) if it
 * could not be. */
static bool
print_json(json_t *j)
{
	char *text = j != NULL ? json_dumps(j, JSON_INDENT(2) |
			JSON_PRESERVE_ORDER) : NULL;

	json_decref(j);
	if (text == NULL) {
		fail("out of memory");
		return false;
	}
	out("%s\n", text);
	free(text);
	return true;
}

static void
cmd_show_cvq_parsed(void *res, struct cmdline *cl, void *data)
{
	struct cmd_show_cvq_result *r = res;
	char err[RELAY_ERR_LEN];
	struct svq_net_state s;

	RTE_SET_USED(cl);
	RTE_SET_USED(data);
	if (relay_cvq_state(r->port_id, &s, err, sizeof(err)) < 0) {
		fail(err);
		return;
	}
	if (strcmp(r->what, "json") == 0) {
		if (!print_json(svq_state_to_json(&s)))
			return;
	} else {
		print_cvq_state(r->port_id, &s);
	}
	done();
}

static cmdline_parse_token_string_t cmd_show_cvq_show =
	TOKEN_STRING_INITIALIZER(struct cmd_show_cvq_result, show, "show");
static cmdline_parse_token_string_t cmd_show_cvq_cvq =
	TOKEN_STRING_INITIALIZER(struct cmd_show_cvq_result, cvq, "cvq");
static cmdline_parse_token_string_t cmd_show_cvq_what =
	TOKEN_STRING_INITIALIZER(struct cmd_show_cvq_result, what, "state#json");
static cmdline_parse_token_num_t cmd_show_cvq_id =
	TOKEN_NUM_INITIALIZER(struct cmd_show_cvq_result, port_id, RTE_UINT16);

static cmdline_parse_inst_t cmd_show_cvq = {
	.f = cmd_show_cvq_parsed,
	.help_str = "show cvq state|json <port>: device state from the control queue",
	.tokens = { (void *)&cmd_show_cvq_show, (void *)&cmd_show_cvq_cvq,
		(void *)&cmd_show_cvq_what, (void *)&cmd_show_cvq_id, NULL },
};

/* ---- show migration ------------------------------------------------- */

struct cmd_show_migration_result {
	cmdline_fixed_string_t show;
	cmdline_fixed_string_t migration;
	uint16_t port_id;
};

static void
cmd_show_migration_parsed(void *res, struct cmdline *cl, void *data)
{
	struct cmd_show_migration_result *r = res;
	struct svq_migration_state m;
	char err[RELAY_ERR_LEN];

	RTE_SET_USED(cl);
	RTE_SET_USED(data);
	if (relay_migration_state(r->port_id, &m, err, sizeof(err)) < 0) {
		fail(err);
		return;
	}
	if (print_json(svq_migration_to_json(&m)))
		done();
}

static cmdline_parse_token_string_t cmd_show_migration_show =
	TOKEN_STRING_INITIALIZER(struct cmd_show_migration_result, show, "show");
static cmdline_parse_token_string_t cmd_show_migration_migration =
	TOKEN_STRING_INITIALIZER(struct cmd_show_migration_result, migration,
		"migration");
static cmdline_parse_token_num_t cmd_show_migration_id =
	TOKEN_NUM_INITIALIZER(struct cmd_show_migration_result, port_id,
		RTE_UINT16);

static cmdline_parse_inst_t cmd_show_migration = {
	.f = cmd_show_migration_parsed,
	.help_str = "show migration <port>: the migration state as JSON",
	.tokens = { (void *)&cmd_show_migration_show,
		(void *)&cmd_show_migration_migration,
		(void *)&cmd_show_migration_id, NULL },
};

/* ---- set mode ------------------------------------------------------- */

struct cmd_set_mode_result {
	cmdline_fixed_string_t set;
	cmdline_fixed_string_t mode;
	uint16_t port_id;
	cmdline_fixed_string_t value;
};

static void
cmd_set_mode_parsed(void *res, struct cmdline *cl, void *data)
{
	struct cmd_set_mode_result *r = res;
	char err[RELAY_ERR_LEN];

	RTE_SET_USED(cl);
	RTE_SET_USED(data);
	if (relay_mode_set(r->port_id, r->value, err, sizeof(err)) < 0) {
		fail(err);
		return;
	}
	out("port %u: mode %s\n", r->port_id, r->value);
	done();
}

static cmdline_parse_token_string_t cmd_set_mode_set =
	TOKEN_STRING_INITIALIZER(struct cmd_set_mode_result, set, "set");
static cmdline_parse_token_string_t cmd_set_mode_mode =
	TOKEN_STRING_INITIALIZER(struct cmd_set_mode_result, mode, "mode");
static cmdline_parse_token_num_t cmd_set_mode_id =
	TOKEN_NUM_INITIALIZER(struct cmd_set_mode_result, port_id, RTE_UINT16);
static cmdline_parse_token_string_t cmd_set_mode_value =
	TOKEN_STRING_INITIALIZER(struct cmd_set_mode_result, value,
		"always#on-migration");

static cmdline_parse_inst_t cmd_set_mode = {
	.f = cmd_set_mode_parsed,
	.help_str = "set mode <port> always|on-migration",
	.tokens = { (void *)&cmd_set_mode_set, (void *)&cmd_set_mode_mode,
		(void *)&cmd_set_mode_id, (void *)&cmd_set_mode_value, NULL },
};

/* ---- set lcore-map -------------------------------------------------- */

struct cmd_lcore_map_result {
	cmdline_fixed_string_t set;
	cmdline_fixed_string_t lcore_map;
	uint16_t port_id;
	uint16_t qid;
	uint32_t lcore;
};

static void
cmd_lcore_map_parsed(void *res, struct cmdline *cl, void *data)
{
	struct cmd_lcore_map_result *r = res;
	char err[RELAY_ERR_LEN];

	RTE_SET_USED(cl);
	RTE_SET_USED(data);
	if (relay_lcore_move(r->port_id, r->qid, r->lcore, err,
			sizeof(err)) < 0) {
		fail(err);
		return;
	}
	out("port %u vring %u: on lcore %u\n", r->port_id, r->qid, r->lcore);
	done();
}

static cmdline_parse_token_string_t cmd_lcore_map_set =
	TOKEN_STRING_INITIALIZER(struct cmd_lcore_map_result, set, "set");
static cmdline_parse_token_string_t cmd_lcore_map_kw =
	TOKEN_STRING_INITIALIZER(struct cmd_lcore_map_result, lcore_map,
		"lcore-map");
static cmdline_parse_token_num_t cmd_lcore_map_port =
	TOKEN_NUM_INITIALIZER(struct cmd_lcore_map_result, port_id, RTE_UINT16);
static cmdline_parse_token_num_t cmd_lcore_map_qid =
	TOKEN_NUM_INITIALIZER(struct cmd_lcore_map_result, qid, RTE_UINT16);
static cmdline_parse_token_num_t cmd_lcore_map_lcore =
	TOKEN_NUM_INITIALIZER(struct cmd_lcore_map_result, lcore, RTE_UINT32);

static cmdline_parse_inst_t cmd_lcore_map = {
	.f = cmd_lcore_map_parsed,
	.help_str = "set lcore-map <port> <vring> <lcore>: move a vring, live",
	.tokens = { (void *)&cmd_lcore_map_set, (void *)&cmd_lcore_map_kw,
		(void *)&cmd_lcore_map_port, (void *)&cmd_lcore_map_qid,
		(void *)&cmd_lcore_map_lcore, NULL },
};

/* ---- state|migration save|load -------------------------------------- */

struct cmd_state_result {
	cmdline_fixed_string_t state;
	cmdline_fixed_string_t op;
	uint16_t port_id;
	cmdline_multi_string_t file;
};

static void
cmd_state_parsed(void *res, struct cmdline *cl, void *data)
{
	struct cmd_state_result *r = res;
	bool migration = strcmp(r->state, "migration") == 0;
	char err[RELAY_ERR_LEN];
	bool running = false;
	int ret;

	RTE_SET_USED(cl);
	RTE_SET_USED(data);
	if (strcmp(r->op, "save") == 0) {
		ret = migration ?
			relay_migration_save(r->port_id, r->file, err, sizeof(err)) :
			relay_state_save(r->port_id, r->file, err, sizeof(err));
		if (ret < 0) {
			fail(err);
			return;
		}
		out("port %u: %s saved to %s\n", r->port_id,
			migration ? "migration state" : "device state", r->file);
	} else {
		ret = migration ?
			relay_migration_load(r->port_id, r->file, &running, err,
				sizeof(err)) :
			relay_state_load(r->port_id, r->file, &running, err,
				sizeof(err));
		if (ret < 0) {
			fail(err);
			return;
		}
		out("port %u: %s from %s will be replayed when the device %sstarts\n",
			r->port_id, migration ? "migration state" : "state",
			r->file, running ? "next re" : "");
	}
	done();
}

static cmdline_parse_token_string_t cmd_state_state =
	TOKEN_STRING_INITIALIZER(struct cmd_state_result, state,
		"state#migration");
static cmdline_parse_token_string_t cmd_state_op =
	TOKEN_STRING_INITIALIZER(struct cmd_state_result, op, "save#load");
static cmdline_parse_token_num_t cmd_state_id =
	TOKEN_NUM_INITIALIZER(struct cmd_state_result, port_id, RTE_UINT16);
static cmdline_parse_token_string_t cmd_state_file =
	TOKEN_STRING_INITIALIZER(struct cmd_state_result, file,
		TOKEN_STRING_MULTI);

static cmdline_parse_inst_t cmd_state = {
	.f = cmd_state_parsed,
	.help_str = "state|migration save|load <port> <file>",
	.tokens = { (void *)&cmd_state_state, (void *)&cmd_state_op,
		(void *)&cmd_state_id, (void *)&cmd_state_file, NULL },
};

/* ---- port add|del --------------------------------------------------- */

struct cmd_port_add_result {
	cmdline_fixed_string_t port;
	cmdline_fixed_string_t add;
	cmdline_fixed_string_t vhost;
	cmdline_fixed_string_t device;
};

static void
cmd_port_add_parsed(void *res, struct cmdline *cl, void *data)
{
	struct cmd_port_add_result *r = res;
	char err[RELAY_ERR_LEN];
	struct relay_port_entry e;
	unsigned int id;

	RTE_SET_USED(cl);
	if (relay_port_add(r->vhost, data != NULL ? r->device : NULL, &id,
			err, sizeof(err)) < 0) {
		fail(err);
		return;
	}
	relay_port_get(id, &e, NULL, err, sizeof(err));
	out("port %u added: %s on %s, device '%s'\n", id, e.name, e.path,
		e.device_spec);
	done();
}

static cmdline_parse_token_string_t cmd_port_add_port =
	TOKEN_STRING_INITIALIZER(struct cmd_port_add_result, port, "port");
static cmdline_parse_token_string_t cmd_port_add_add =
	TOKEN_STRING_INITIALIZER(struct cmd_port_add_result, add, "add");
static cmdline_parse_token_string_t cmd_port_add_vhost =
	TOKEN_STRING_INITIALIZER(struct cmd_port_add_result, vhost, NULL);
static cmdline_parse_token_string_t cmd_port_add_device =
	TOKEN_STRING_INITIALIZER(struct cmd_port_add_result, device, NULL);

static cmdline_parse_inst_t cmd_port_add = {
	.f = cmd_port_add_parsed,
	.data = NULL,
	.help_str = "port add <vhost-spec>: PATH[,queues=N][,client][,state-in=F][,state-out=F]",
	.tokens = { (void *)&cmd_port_add_port, (void *)&cmd_port_add_add,
		(void *)&cmd_port_add_vhost, NULL },
};

static cmdline_parse_inst_t cmd_port_add_dev = {
	.f = cmd_port_add_parsed,
	.data = (void *)1,
	.help_str = "port add <vhost-spec> <device-spec>",
	.tokens = { (void *)&cmd_port_add_port, (void *)&cmd_port_add_add,
		(void *)&cmd_port_add_vhost, (void *)&cmd_port_add_device,
		NULL },
};

struct cmd_port_del_result {
	cmdline_fixed_string_t port;
	cmdline_fixed_string_t del;
	uint16_t port_id;
};

static void
cmd_port_del_parsed(void *res, struct cmdline *cl, void *data)
{
	struct cmd_port_del_result *r = res;
	char err[RELAY_ERR_LEN];
	struct relay_port_entry e;
	bool known;

	RTE_SET_USED(cl);
	RTE_SET_USED(data);
	known = relay_port_get(r->port_id, &e, NULL, err, sizeof(err)) == 0;
	if (relay_port_del(r->port_id, err, sizeof(err)) < 0) {
		fail(err);
		if (!known)
			return;
	}
	out("port %u deleted (%s)\n", r->port_id, e.path);
	done();
}

static cmdline_parse_token_string_t cmd_port_del_port =
	TOKEN_STRING_INITIALIZER(struct cmd_port_del_result, port, "port");
static cmdline_parse_token_string_t cmd_port_del_del =
	TOKEN_STRING_INITIALIZER(struct cmd_port_del_result, del, "del");
static cmdline_parse_token_num_t cmd_port_del_id =
	TOKEN_NUM_INITIALIZER(struct cmd_port_del_result, port_id, RTE_UINT16);

static cmdline_parse_inst_t cmd_port_del = {
	.f = cmd_port_del_parsed,
	.help_str = "port del <port>",
	.tokens = { (void *)&cmd_port_del_port, (void *)&cmd_port_del_del,
		(void *)&cmd_port_del_id, NULL },
};

/* ---- quit ----------------------------------------------------------- */

struct cmd_quit_result {
	cmdline_fixed_string_t quit;
};

static void
cmd_quit_parsed(void *res, struct cmdline *cl, void *data)
{
	RTE_SET_USED(res);
	RTE_SET_USED(data);
	if (relay_console_quit != NULL)
		*relay_console_quit = 1;
	cmdline_quit(cl);
}

static cmdline_parse_token_string_t cmd_quit_quit =
	TOKEN_STRING_INITIALIZER(struct cmd_quit_result, quit, "quit");

static cmdline_parse_inst_t cmd_quit = {
	.f = cmd_quit_parsed,
	.help_str = "quit: stop the relay",
	.tokens = { (void *)&cmd_quit_quit, NULL },
};

/* ---- the console ---------------------------------------------------- */

static cmdline_parse_ctx_t relay_ctx[] = {
	&cmd_help,
	&cmd_show_port_all_inst,
	&cmd_show_port_id_inst,
	&cmd_show_queue,
	&cmd_clear_all_inst,
	&cmd_clear_id_inst,
	&cmd_show_device,
	&cmd_show_cvq,
	&cmd_show_migration,
	&cmd_set_mode,
	&cmd_lcore_map,
	&cmd_state,
	&cmd_port_add,
	&cmd_port_add_dev,
	&cmd_port_del,
	&cmd_quit,
	NULL,
};

void
relay_console_init(volatile sig_atomic_t *quit)
{
	relay_console_quit = quit;
}

/*
 * cmdline_file_new() gives its cmdline no output, so the parser's own
 * answers ("Bad arguments") would vanish: parse each line ourselves, on a
 * cmdline whose output is stdout, and echo it so the transcript reads
 * like a session.
 */
int
relay_console_run_file(const char *path)
{
	char line[CMDLINE_PARSE_RESULT_BUFSIZE + 1];
	unsigned int nb = 0, failed = 0;
	struct cmdline *cl;
	FILE *f;

	f = fopen(path, "r");
	if (f == NULL) {
		int err = errno;

		fprintf(stderr, "error: --cmdline-file %s: %s\n", path,
			strerror(err));
		return -err;
	}
	/* No prompt: cmdline_new() prints it at once; we echo our own. */
	cl = cmdline_new(relay_ctx, "", -1, STDOUT_FILENO);
	if (cl == NULL) {
		fclose(f);
		return -ENOMEM;
	}
	while (fgets(line, sizeof(line) - 1, f) != NULL) {
		size_t len = strcspn(line, "\r\n");
		char *p = line;
		unsigned int errors = relay_console_errors;
		int ret;

		line[len] = '\0';
		while (*p == ' ' || *p == '\t')
			p++;
		if (*p == '\0' || *p == '#')
			continue;
		printf(RELAY_PROMPT "%s\n", p);
		fflush(stdout);
		nb++;
		/* cmdline_parse() wants the line's end. */
		line[len] = '\n';
		line[len + 1] = '\0';
		ret = cmdline_parse(cl, p);
		/* The interactive console's words for these (DPDK's), as an
		 * error line. */
		if (ret == CMDLINE_PARSE_AMBIGUOUS)
			fail("Ambiguous command");
		else if (ret == CMDLINE_PARSE_NOMATCH)
			fail("Command not found (see help)");
		else if (ret == CMDLINE_PARSE_BAD_ARGS)
			fail("Bad arguments (see help)");
		if (relay_console_errors != errors)
			failed++;
		if (relay_console_quit != NULL && *relay_console_quit)
			break;
	}
	fclose(f);
	cmdline_free(cl);
	printf("svq-relay: %s: %u commands, %u failed\n", path, nb, failed);
	fflush(stdout);
	return 0;
}

int
relay_console_start(void)
{
	relay_console_cl = cmdline_stdin_new(relay_ctx, RELAY_PROMPT);
	if (relay_console_cl == NULL)
		return -ENOMEM;
	return 0;
}

int
relay_console_fd(void)
{
	return relay_console_cl != NULL ? STDIN_FILENO : -1;
}

int
relay_console_input(void)
{
	char buf[256];
	ssize_t n;

	if (relay_console_cl == NULL)
		return -1;
	n = read(STDIN_FILENO, buf, sizeof(buf));
	if (n < 0 && (errno == EINTR || errno == EAGAIN))
		return 0;
	if (n <= 0)
		return -1;	/* end of input: as "quit" */
	if (cmdline_in(relay_console_cl, buf, (int)n) < 0)
		return -1;	/* "quit", or Ctrl-D on an empty line */
	return 0;
}

void
relay_console_stop(void)
{
	if (relay_console_cl == NULL)
		return;
	out("\n");
	done();
	cmdline_stdin_exit(relay_console_cl);
	relay_console_cl = NULL;
}
