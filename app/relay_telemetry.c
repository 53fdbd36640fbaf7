/* SPDX-License-Identifier: BSD-3-Clause */

/*
 * Telemetry endpoints, read-only: every callback reads through
 * relay_cmd.c, on the telemetry library's per-client threads. The
 * workers' counters are read without locks (relay_cmd.h); nothing here
 * can change what runs.
 *
 * Threat model: the parameter string comes from any telemetry client
 * (the socket's permissions decide who). It must be exactly the decimal
 * ids the endpoint takes; anything else is refused with -EINVAL, which
 * the library reports as a null answer.
 *
 * Telemetry bounds what one answer holds (512 array entries, 256 dict
 * entries, a 16 KiB reply): long lists are cut with a "*_truncated" flag,
 * and the control socket has the complete data.
 */

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <rte_common.h>
#include <rte_ether.h>
#include <rte_telemetry.h>

#include "relay_cmd.h"
#include "relay_telemetry.h"

/* Telemetry's own limit on array entries. */
#define RELAY_TEL_MAX_ARRAY 512

/* Parse 1..@p max decimal numbers "A[,B]"; @return how many, or -EINVAL. */
static int
relay_tel_ids_upto(const char *params, unsigned int *ids, int max)
{
	const char *p = params;
	int n = 0;

	if (p == NULL || *p == '\0')
		return -EINVAL;
	while (n < max) {
		unsigned long v = 0;
		const char *start = p;

		while (*p >= '0' && *p <= '9' && p - start < 6)
			v = v * 10 + (*p++ - '0');
		if (p == start || (*p != ',' && *p != '\0'))
			return -EINVAL;
		ids[n++] = v;
		if (*p == '\0')
			break;
		p++;
	}
	return *p == '\0' ? n : -EINVAL;
}

/* Exactly @p want numbers. */
static int
relay_tel_ids(const char *params, unsigned int *ids, int want)
{
	return relay_tel_ids_upto(params, ids, want) == want ? want : -EINVAL;
}

static void
relay_tel_hex(struct rte_tel_data *d, const char *name, uint64_t v)
{
	char buf[24];

	snprintf(buf, sizeof(buf), "0x%" PRIx64, v);
	rte_tel_data_add_dict_string(d, name, buf);
}

/* /svq/ports: the port ids, as /ethdev/list gives ethdev ports. */
static int
relay_tel_ports(const char *cmd, const char *params, struct rte_tel_data *d)
{
	struct relay_port_entry ports[RELAY_MAX_PORTS];
	unsigned int i, n;

	RTE_SET_USED(cmd);
	RTE_SET_USED(params);
	n = relay_port_list(ports, RELAY_MAX_PORTS);
	rte_tel_data_start_array(d, RTE_TEL_INT_VAL);
	for (i = 0; i < n; i++)
		rte_tel_data_add_array_int(d, ports[i].id);
	return 0;
}

static int
relay_tel_port_info(const char *cmd, const char *params,
		struct rte_tel_data *d)
{
	char err[RELAY_ERR_LEN], buf[RTE_ETHER_ADDR_FMT_SIZE];
	struct relay_port_entry e;
	struct svq_port_info info;
	unsigned int id;

	RTE_SET_USED(cmd);
	if (relay_tel_ids(params, &id, 1) < 0 ||
			relay_port_get(id, &e, &info, err, sizeof(err)) < 0)
		return -EINVAL;
	rte_tel_data_start_dict(d);
	rte_tel_data_add_dict_int(d, "port", id);
	rte_tel_data_add_dict_string(d, "name", e.name);
	rte_tel_data_add_dict_string(d, "path", e.path);
	rte_tel_data_add_dict_int(d, "client", info.client);
	rte_tel_data_add_dict_int(d, "connected", info.connected);
	rte_tel_data_add_dict_string(d, "mode", svq_port_mode_name(info.mode));
	rte_tel_data_add_dict_string(d, "notify",
		svq_port_notify_name(info.notify));
	rte_tel_data_add_dict_int(d, "passthrough_vrings", info.nb_passthrough);
	rte_tel_data_add_dict_u64(d, "mode_switches", info.mode_switches);
	rte_tel_data_add_dict_int(d, "last_switch_us", (int)info.last_switch_us);
	rte_tel_data_add_dict_int(d, "queue_pairs", info.nb_queue_pairs);
	rte_tel_data_add_dict_int(d, "vrings", info.nb_vrings);
	rte_tel_data_add_dict_int(d, "control_vring",
		info.nb_vrings - 1);
	rte_tel_data_add_dict_int(d, "max_ring_size", info.max_ring_size);
	rte_tel_data_add_dict_string(d, "device", info.device);
	rte_tel_data_add_dict_string(d, "driver", info.driver);
	rte_tel_data_add_dict_string(d, "device_spec", e.device_spec);
	rte_tel_data_add_dict_int(d, "device_started", info.device_started);
	rte_tel_data_add_dict_int(d, "device_status", info.device_status);
	relay_tel_hex(d, "device_features", info.device_features);
	relay_tel_hex(d, "offered_features", info.offered_features);
	relay_tel_hex(d, "guest_features", info.guest_features);
	relay_tel_hex(d, "accepted_features", info.driver_features);
	rte_ether_format_addr(buf, sizeof(buf),
		(const struct rte_ether_addr *)info.mac);
	rte_tel_data_add_dict_string(d, "mac", buf);
	rte_tel_data_add_dict_int(d, "link_up", info.link_status & 1);
	rte_tel_data_add_dict_int(d, "max_virtqueue_pairs",
		info.max_virtqueue_pairs);
	rte_tel_data_add_dict_int(d, "mtu", info.mtu);
	rte_tel_data_add_dict_int(d, "restore_pending", info.restore_pending);
	rte_tel_data_add_dict_int(d, "stopped", info.stopped);
	rte_tel_data_add_dict_u64(d, "device_stops", info.device_stops);
	rte_tel_data_add_dict_int(d, "last_stop_us", (int)info.last_stop_us);
	rte_tel_data_add_dict_u64(d, "device_starts", info.device_starts);
	rte_tel_data_add_dict_int(d, "last_start_us", (int)info.last_start_us);
	rte_tel_data_add_dict_int(d, "last_replay_us", (int)info.last_replay_us);
	rte_tel_data_add_dict_int(d, "last_replay_commands",
		info.last_replay_commands);
	rte_tel_data_add_dict_int(d, "migration_vrings", info.migration_vrings);
	rte_tel_data_add_dict_int(d, "migration_checked", info.migration_checked);
	rte_tel_data_add_dict_int(d, "migration_mismatches",
		info.migration_mismatches);
	return 0;
}

static int
relay_tel_port_stats(const char *cmd, const char *params,
		struct rte_tel_data *d)
{
	char err[RELAY_ERR_LEN];
	struct relay_port_stats *st;
	unsigned int id;

	RTE_SET_USED(cmd);
	if (relay_tel_ids(params, &id, 1) < 0)
		return -EINVAL;
	st = malloc(sizeof(*st));	/* one per telemetry client thread */
	if (st == NULL)
		return -ENOMEM;
	if (relay_port_stats(id, st, err, sizeof(err)) < 0) {
		free(st);
		return -EINVAL;
	}
	rte_tel_data_start_dict(d);
	rte_tel_data_add_dict_u64(d, "rx_frames", st->rx_frames);
	rte_tel_data_add_dict_u64(d, "rx_bytes", st->rx_bytes);
	rte_tel_data_add_dict_u64(d, "tx_frames", st->tx_frames);
	rte_tel_data_add_dict_u64(d, "tx_bytes", st->tx_bytes);
	rte_tel_data_add_dict_u64(d, "ctrl_commands", st->ctrl_commands);
	rte_tel_data_add_dict_u64(d, "device_kicks", st->device_kicks);
	rte_tel_data_add_dict_u64(d, "guest_calls", st->guest_calls);
	rte_tel_data_add_dict_u64(d, "guest_errors", st->guest_errors);
	rte_tel_data_add_dict_u64(d, "device_errors", st->device_errors);
	free(st);
	return 0;
}

static void
relay_tel_queue(struct rte_tel_data *d, const char *kind,
		const struct relay_queue_view *v)
{
	const struct svq_queue_stats *s = &v->stats;

	rte_tel_data_add_dict_string(d, "kind", kind);
	rte_tel_data_add_dict_int(d, "lcore",
		v->lcore == UINT_MAX ? -1 : (int)v->lcore);
	rte_tel_data_add_dict_string(d, "state",
		relay_queue_state_name(v->state));
	rte_tel_data_add_dict_u64(d, "avail_chains", s->avail_chains);
	rte_tel_data_add_dict_u64(d, "avail_descs", s->avail_descs);
	rte_tel_data_add_dict_u64(d, "avail_bytes", s->avail_bytes);
	rte_tel_data_add_dict_u64(d, "used_chains", s->used_chains);
	rte_tel_data_add_dict_u64(d, "used_bytes", s->used_bytes);
	rte_tel_data_add_dict_u64(d, "device_kicks", s->device_kicks);
	rte_tel_data_add_dict_u64(d, "guest_calls", s->guest_calls);
	rte_tel_data_add_dict_u64(d, "guest_errors", s->guest_errors);
	rte_tel_data_add_dict_u64(d, "device_errors", s->device_errors);
}

/*
 * /svq/port/queues,<id>[,<first>]: {"nb_vrings": N, "first": F,
 * "next": F + RELAY_TEL_QUEUES or -1, "q<F>": {...}, ...}. A reply holds
 * RELAY_TEL_QUEUES vrings at most, so that it fits telemetry's 16 KiB
 * whatever the counters; "next" says where the following page starts.
 */
#define RELAY_TEL_QUEUES 40

static int
relay_tel_port_queues(const char *cmd, const char *params,
		struct rte_tel_data *d)
{
	char err[RELAY_ERR_LEN], name[16];
	struct relay_port_stats *st;
	unsigned int ids[2] = { 0, 0 }, id, first;
	uint16_t qid, end;

	RTE_SET_USED(cmd);
	if (relay_tel_ids_upto(params, ids, 2) < 0)
		return -EINVAL;
	id = ids[0];
	first = ids[1];
	st = malloc(sizeof(*st));
	if (st == NULL)
		return -ENOMEM;
	if (relay_port_stats(id, st, err, sizeof(err)) < 0) {
		free(st);
		return -EINVAL;
	}
	if (first >= st->nb_vrings) {
		free(st);
		return -EINVAL;
	}
	end = RTE_MIN(first + RELAY_TEL_QUEUES, (unsigned int)st->nb_vrings);
	rte_tel_data_start_dict(d);
	rte_tel_data_add_dict_int(d, "nb_vrings", st->nb_vrings);
	rte_tel_data_add_dict_int(d, "first", first);
	rte_tel_data_add_dict_int(d, "next", end < st->nb_vrings ? end : -1);
	for (qid = first; qid < end; qid++) {
		struct rte_tel_data *q = rte_tel_data_alloc();

		if (q == NULL)
			break;
		rte_tel_data_start_dict(q);
		relay_tel_queue(q, relay_vring_kind(qid, st->nb_vrings), &st->q[qid]);
		snprintf(name, sizeof(name), "q%u", qid);
		if (rte_tel_data_add_dict_container(d, name, q, 0) < 0)
			rte_tel_data_free(q);
	}
	free(st);
	return 0;
}

/* /svq/queue/stats,<id>,<vring>: one vring. */
static int
relay_tel_queue_stats(const char *cmd, const char *params,
		struct rte_tel_data *d)
{
	char err[RELAY_ERR_LEN];
	struct relay_port_entry e;
	struct svq_port_info info;
	struct relay_queue_view v;
	unsigned int ids[2];

	RTE_SET_USED(cmd);
	if (relay_tel_ids(params, ids, 2) < 0 || ids[1] > UINT16_MAX ||
			relay_port_get(ids[0], &e, &info, err, sizeof(err)) < 0 ||
			relay_queue_stats(ids[0], ids[1], &v, err, sizeof(err)) < 0)
		return -EINVAL;
	rte_tel_data_start_dict(d);
	rte_tel_data_add_dict_int(d, "port", ids[0]);
	rte_tel_data_add_dict_int(d, "queue", ids[1]);
	relay_tel_queue(d, relay_vring_kind(ids[1], info.nb_vrings), &v);
	return 0;
}

/* An array of at most RELAY_TEL_MAX_ARRAY strings of MAC addresses. */
static struct rte_tel_data *
relay_tel_macs(const struct rte_ether_addr *macs, uint32_t n)
{
	struct rte_tel_data *a = rte_tel_data_alloc();
	char buf[RTE_ETHER_ADDR_FMT_SIZE];
	uint32_t i;

	if (a == NULL)
		return NULL;
	rte_tel_data_start_array(a, RTE_TEL_STRING_VAL);
	for (i = 0; i < n && i < RELAY_TEL_MAX_ARRAY; i++) {
		rte_ether_format_addr(buf, sizeof(buf), &macs[i]);
		rte_tel_data_add_array_string(a, buf);
	}
	return a;
}

static void
relay_tel_add(struct rte_tel_data *d, const char *name,
		struct rte_tel_data *c)
{
	if (c != NULL && rte_tel_data_add_dict_container(d, name, c, 0) < 0)
		rte_tel_data_free(c);
}

/* /svq/port/cvq,<id>: the device state the guest set, as in the state
 * JSON (doc/state-schema.md) with booleans as 0/1. */
static int
relay_tel_port_cvq(const char *cmd, const char *params,
		struct rte_tel_data *d)
{
	static const char *const rx_names[SVQ_RX_MODES] = {
		"promisc", "allmulti", "alluni", "nomulti", "nouni", "nobcast",
	};
	static const char *const rss_names[] = {
		[SVQ_RSS_OFF] = "off",
		[SVQ_RSS_STEER] = "rss",
		[SVQ_RSS_HASH_ONLY] = "hash",
	};
	char err[RELAY_ERR_LEN], buf[2 * SVQ_RSS_KEY_MAX + 1];
	struct rte_tel_data *rx, *vlans, *rss, *table;
	struct svq_net_state *s;
	unsigned int id, i, n;

	RTE_SET_USED(cmd);
	if (relay_tel_ids(params, &id, 1) < 0)
		return -EINVAL;
	s = malloc(sizeof(*s));
	if (s == NULL)
		return -ENOMEM;
	if (relay_cvq_state(id, s, err, sizeof(err)) < 0) {
		free(s);
		return -EINVAL;
	}
	rte_tel_data_start_dict(d);
	relay_tel_hex(d, "features", s->features);
	rte_tel_data_add_dict_int(d, "max_queue_pairs", s->max_pairs);
	rte_ether_format_addr(buf, sizeof(buf), &s->mac);
	rte_tel_data_add_dict_string(d, "mac", buf);

	rx = rte_tel_data_alloc();
	if (rx != NULL) {
		rte_tel_data_start_dict(rx);
		for (i = 0; i < SVQ_RX_MODES; i++)
			rte_tel_data_add_dict_int(rx, rx_names[i], s->rx_mode[i]);
		relay_tel_add(d, "rx_mode", rx);
	}
	relay_tel_add(d, "unicast", relay_tel_macs(s->uc, s->n_uc));
	relay_tel_add(d, "multicast", relay_tel_macs(s->mc, s->n_mc));
	rte_tel_data_add_dict_int(d, "unicast_overflow", s->uc_overflow);
	rte_tel_data_add_dict_int(d, "multicast_overflow", s->mc_overflow);

	vlans = rte_tel_data_alloc();
	n = 0;
	if (vlans != NULL) {
		rte_tel_data_start_array(vlans, RTE_TEL_INT_VAL);
		for (i = 0; i < SVQ_VLAN_MAX; i++) {
			if (!svq_net_state_vlan(s, i))
				continue;
			if (n++ < RELAY_TEL_MAX_ARRAY)
				rte_tel_data_add_array_int(vlans, i);
		}
		relay_tel_add(d, "vlans", vlans);
		rte_tel_data_add_dict_int(d, "vlan_count", n);
		rte_tel_data_add_dict_int(d, "vlans_truncated",
			n > RELAY_TEL_MAX_ARRAY);
	}
	relay_tel_hex(d, "guest_offloads", s->guest_offloads);
	rte_tel_data_add_dict_int(d, "queue_pairs", s->curr_pairs);

	rss = rte_tel_data_alloc();
	if (rss != NULL) {
		rte_tel_data_start_dict(rss);
		rte_tel_data_add_dict_string(rss, "mode", rss_names[s->rss_mode]);
		if (s->rss_mode != SVQ_RSS_OFF) {
			relay_tel_hex(rss, "hash_types", s->rss.hash_types);
			for (i = 0; i < s->rss.key_len && i < SVQ_RSS_KEY_MAX; i++)
				snprintf(buf + 2 * i, 3, "%02x", s->rss.key[i]);
			buf[2 * i] = '\0';
			rte_tel_data_add_dict_string(rss, "key", buf);
		}
		if (s->rss_mode == SVQ_RSS_STEER) {
			table = rte_tel_data_alloc();
			if (table != NULL) {
				rte_tel_data_start_array(table, RTE_TEL_INT_VAL);
				for (i = 0; i < s->rss.table_len &&
						i < RELAY_TEL_MAX_ARRAY; i++)
					rte_tel_data_add_array_int(table,
						s->rss.table[i]);
				relay_tel_add(rss, "indirection_table", table);
			}
			rte_tel_data_add_dict_int(rss, "indirection_table_len",
				s->rss.table_len);
			rte_tel_data_add_dict_int(rss, "indirection_table_truncated",
				s->rss.table_len > RELAY_TEL_MAX_ARRAY);
			rte_tel_data_add_dict_int(rss, "unclassified_queue",
				s->rss.unclassified);
			rte_tel_data_add_dict_int(rss, "max_tx_vq",
				s->rss.max_tx_vq);
		}
		relay_tel_add(d, "rss", rss);
	}
	free(s);
	return 0;
}

int
relay_telemetry_init(void)
{
	static const struct {
		const char *cmd;
		telemetry_cb fn;
		const char *help;
	} eps[] = {
		{ "/svq/ports", relay_tel_ports,
			"Port ids of svq-relay. Takes no parameters" },
		{ "/svq/port/info", relay_tel_port_info,
			"A port: socket, device, features. Parameters: int port_id" },
		{ "/svq/port/stats", relay_tel_port_stats,
			"A port's totals since the last clear. Parameters: int port_id" },
		{ "/svq/port/queues", relay_tel_port_queues,
			"Every vring's counters, 40 per reply. Parameters: int port_id[,int first_vring]" },
		{ "/svq/queue/stats", relay_tel_queue_stats,
			"One vring's counters. Parameters: int port_id,int vring" },
		{ "/svq/port/cvq", relay_tel_port_cvq,
			"Device state the guest set through the control queue. Parameters: int port_id" },
	};
	unsigned int i;
	int ret;

	for (i = 0; i < RTE_DIM(eps); i++) {
		ret = rte_telemetry_register_cmd(eps[i].cmd, eps[i].fn,
			eps[i].help);
		if (ret < 0)
			return ret;
	}
	return 0;
}
