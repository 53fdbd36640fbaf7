/* SPDX-License-Identifier: BSD-3-Clause */

/*
 * Threat model: a state file or migration document comes from another
 * host or an operator and may be truncated, of another version, or
 * hand-edited. Every member is
 * type- and range-checked, unknown members are refused (a typo must not
 * silently reset a setting), and the result is checked for consistency
 * with its own features before it replaces anything.
 */

#include <errno.h>
#include <inttypes.h>
#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <linux/virtio_net.h>

#include "svq_shadow.h"
#include "svq_state_json.h"

static const char *const svq_rx_mode_names[SVQ_RX_MODES] = {
	"promisc", "allmulti", "alluni", "nomulti", "nouni", "nobcast",
};

static const char *const svq_rss_mode_names[] = {
	[SVQ_RSS_OFF] = "off",
	[SVQ_RSS_STEER] = "rss",
	[SVQ_RSS_HASH_ONLY] = "hash",
};

static json_t *
svq_json_hex64(uint64_t v)
{
	char buf[24];

	snprintf(buf, sizeof(buf), "0x%" PRIx64, v);
	return json_string(buf);
}

static json_t *
svq_json_mac(const struct rte_ether_addr *mac)
{
	char buf[RTE_ETHER_ADDR_FMT_SIZE];

	rte_ether_format_addr(buf, sizeof(buf), mac);
	return json_string(buf);
}

static json_t *
svq_json_mac_list(const struct rte_ether_addr *macs, uint32_t n)
{
	json_t *a = json_array();
	uint32_t i;

	for (i = 0; i < n; i++)
		json_array_append_new(a, svq_json_mac(&macs[i]));
	return a;
}

static json_t *
svq_json_hex_bytes(const uint8_t *p, size_t n)
{
	char buf[2 * SVQ_RSS_KEY_MAX + 1];
	size_t i;

	for (i = 0; i < n; i++)
		snprintf(buf + 2 * i, 3, "%02x", p[i]);
	buf[2 * n] = '\0';
	return json_string(buf);
}

json_t *
svq_state_to_json(const struct svq_net_state *s)
{
	json_t *rx = json_object(), *vlans = json_array(), *table, *rss;
	unsigned int i;

	for (i = 0; i < SVQ_RX_MODES; i++)
		json_object_set_new(rx, svq_rx_mode_names[i],
			json_boolean(s->rx_mode[i]));
	for (i = 0; i < SVQ_VLAN_MAX; i++)
		if (svq_net_state_vlan(s, i))
			json_array_append_new(vlans, json_integer(i));

	rss = json_pack("{s:s}", "mode", svq_rss_mode_names[s->rss_mode]);
	if (s->rss_mode != SVQ_RSS_OFF) {
		json_object_set_new(rss, "hash_types", svq_json_hex64(s->rss.hash_types));
		json_object_set_new(rss, "key",
			svq_json_hex_bytes(s->rss.key, s->rss.key_len));
	}
	if (s->rss_mode == SVQ_RSS_STEER) {
		table = json_array();
		for (i = 0; i < s->rss.table_len; i++)
			json_array_append_new(table, json_integer(s->rss.table[i]));
		json_object_set_new(rss, "indirection_table", table);
		json_object_set_new(rss, "unclassified_queue",
			json_integer(s->rss.unclassified));
		json_object_set_new(rss, "max_tx_vq", json_integer(s->rss.max_tx_vq));
	}

	return json_pack("{s:s, s:i, s:o, s:i, s:o, s:o, s:{s:o, s:o, s:b, s:b}, s:o, s:o, s:i, s:o}",
		"schema", SVQ_STATE_SCHEMA,
		"version", SVQ_STATE_VERSION,
		"features", svq_json_hex64(s->features),
		"max_queue_pairs", (int)s->max_pairs,
		"mac", svq_json_mac(&s->mac),
		"rx_mode", rx,
		"mac_table",
			"unicast", svq_json_mac_list(s->uc, s->n_uc),
			"multicast", svq_json_mac_list(s->mc, s->n_mc),
			"unicast_overflow", s->uc_overflow,
			"multicast_overflow", s->mc_overflow,
		"vlans", vlans,
		"guest_offloads", svq_json_hex64(s->guest_offloads),
		"queue_pairs", (int)s->curr_pairs,
		"rss", rss);
}

/* ---- loading -------------------------------------------------------- */

struct svq_json_ctx {
	char *err;
	size_t err_len;
};

static int __rte_format_printf(2, 3)
svq_json_error(struct svq_json_ctx *ctx, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(ctx->err, ctx->err_len, fmt, ap);
	va_end(ap);
	return -EINVAL;
}

static int
svq_json_get_hex64(struct svq_json_ctx *ctx, const json_t *v, const char *what,
		uint64_t *out)
{
	const char *str = json_string_value(v);
	char *end;

	if (str == NULL || strncmp(str, "0x", 2) != 0 || str[2] == '\0')
		return svq_json_error(ctx, "%s: expected a hex string \"0x...\"", what);
	errno = 0;
	*out = strtoull(str + 2, &end, 16);
	if (errno != 0 || *end != '\0')
		return svq_json_error(ctx, "%s: bad hex number '%s'", what, str);
	return 0;
}

static int
svq_json_get_uint(struct svq_json_ctx *ctx, const json_t *v, const char *what,
		json_int_t min, json_int_t max, uint32_t *out)
{
	json_int_t i;

	if (!json_is_integer(v))
		return svq_json_error(ctx, "%s: expected an integer", what);
	i = json_integer_value(v);
	if (i < min || i > max)
		return svq_json_error(ctx, "%s: %lld out of range %lld..%lld",
			what, (long long)i, (long long)min, (long long)max);
	*out = (uint32_t)i;
	return 0;
}

static int
svq_json_get_mac(struct svq_json_ctx *ctx, const json_t *v, const char *what,
		struct rte_ether_addr *mac)
{
	const char *str = json_string_value(v);

	if (str == NULL || strlen(str) != 17 ||
			rte_ether_unformat_addr(str, mac) != 0)
		return svq_json_error(ctx, "%s: expected a MAC address XX:XX:XX:XX:XX:XX",
			what);
	return 0;
}

static int
svq_json_get_mac_list(struct svq_json_ctx *ctx, const json_t *a,
		const char *what, struct rte_ether_addr *macs, uint32_t *n)
{
	size_t i;
	json_t *v;

	if (!json_is_array(a))
		return svq_json_error(ctx, "mac_table.%s: expected an array", what);
	if (json_array_size(a) > SVQ_MAC_TABLE_MAX)
		return svq_json_error(ctx, "mac_table.%s: more than %u entries (use overflow)",
			what, SVQ_MAC_TABLE_MAX);
	json_array_foreach(a, i, v)
		if (svq_json_get_mac(ctx, v, what, &macs[i]) < 0)
			return -EINVAL;
	*n = json_array_size(a);
	return 0;
}

static int
svq_json_get_key(struct svq_json_ctx *ctx, const json_t *v, struct svq_cvq_rss *rss)
{
	const char *str = json_string_value(v);
	size_t len, i;

	if (str == NULL)
		return svq_json_error(ctx, "rss.key: expected a hex string");
	len = strlen(str);
	if (len % 2 != 0 || len / 2 > SVQ_RSS_KEY_MAX)
		return svq_json_error(ctx, "rss.key: expected up to %u bytes in hex",
			SVQ_RSS_KEY_MAX);
	for (i = 0; i < len / 2; i++) {
		unsigned int b;

		if (sscanf(str + 2 * i, "%2x", &b) != 1 ||
				!isxdigit((unsigned char)str[2 * i]) ||
				!isxdigit((unsigned char)str[2 * i + 1]))
			return svq_json_error(ctx, "rss.key: not hex");
		rss->key[i] = b;
	}
	rss->key_len = len / 2;
	return 0;
}

static int
svq_json_get_rss(struct svq_json_ctx *ctx, const json_t *o, struct svq_net_state *s)
{
	json_t *mode = NULL, *types = NULL, *key = NULL, *table = NULL;
	json_t *uncl = NULL, *max_tx = NULL, *v;
	json_error_t jerr;
	uint64_t hash_types;
	uint32_t u;
	size_t i;

	if (json_unpack_ex((json_t *)o, &jerr, JSON_STRICT,
			"{s:o, s?o, s?o, s?o, s?o, s?o}", "mode", &mode,
			"hash_types", &types, "key", &key,
			"indirection_table", &table, "unclassified_queue", &uncl,
			"max_tx_vq", &max_tx) < 0)
		return svq_json_error(ctx, "rss: %s", jerr.text);
	for (i = 0; i < RTE_DIM(svq_rss_mode_names); i++)
		if (json_is_string(mode) &&
				strcmp(json_string_value(mode), svq_rss_mode_names[i]) == 0)
			break;
	if (i == RTE_DIM(svq_rss_mode_names))
		return svq_json_error(ctx, "rss.mode: expected off, rss or hash");
	s->rss_mode = i;
	memset(&s->rss, 0, sizeof(s->rss));
	if (s->rss_mode == SVQ_RSS_OFF) {
		if (types || key || table || uncl || max_tx)
			return svq_json_error(ctx, "rss: mode off takes no other members");
		return 0;
	}
	if (types == NULL || key == NULL)
		return svq_json_error(ctx, "rss: hash_types and key are required");
	if (svq_json_get_hex64(ctx, types, "rss.hash_types", &hash_types) < 0)
		return -EINVAL;
	if (hash_types == 0 || hash_types > UINT32_MAX)
		return svq_json_error(ctx, "rss.hash_types: must be a non-zero 32-bit mask");
	s->rss.hash_types = hash_types;
	if (svq_json_get_key(ctx, key, &s->rss) < 0)
		return -EINVAL;
	if (s->rss_mode == SVQ_RSS_HASH_ONLY) {
		if (table || uncl || max_tx)
			return svq_json_error(ctx, "rss: mode hash takes no steering members");
		return 0;
	}
	if (table == NULL || uncl == NULL || max_tx == NULL)
		return svq_json_error(ctx, "rss: mode rss needs indirection_table, unclassified_queue and max_tx_vq");
	if (!json_is_array(table) || json_array_size(table) == 0 ||
			json_array_size(table) > SVQ_RSS_TABLE_MAX ||
			!rte_is_power_of_2(json_array_size(table)))
		return svq_json_error(ctx, "rss.indirection_table: expected 2^n entries, at most %u",
			SVQ_RSS_TABLE_MAX);
	json_array_foreach(table, i, v) {
		if (svq_json_get_uint(ctx, v, "rss.indirection_table[]", 0,
				s->max_pairs - 1, &u) < 0)
			return -EINVAL;
		s->rss.table[i] = u;
	}
	s->rss.table_len = json_array_size(table);
	if (svq_json_get_uint(ctx, uncl, "rss.unclassified_queue", 0,
			s->max_pairs - 1, &u) < 0)
		return -EINVAL;
	s->rss.unclassified = u;
	if (svq_json_get_uint(ctx, max_tx, "rss.max_tx_vq", 1, s->max_pairs, &u) < 0)
		return -EINVAL;
	s->rss.max_tx_vq = u;
	return 0;
}

/* What only the negotiated features make possible. */
static int
svq_json_check_consistency(struct svq_json_ctx *ctx, const struct svq_net_state *s)
{
	uint64_t f = s->features;
	unsigned int i;

#define SVQ_HAS(bit) (f & (UINT64_C(1) << (bit)))
	for (i = 0; i < SVQ_RX_MODES; i++) {
		bool dflt = i == SVQ_RX_PROMISC;

		if (s->rx_mode[i] != dflt && !SVQ_HAS(i <= SVQ_RX_ALLMULTI ?
				VIRTIO_NET_F_CTRL_RX : VIRTIO_NET_F_CTRL_RX_EXTRA))
			return svq_json_error(ctx, "rx_mode.%s set without the feature to set it",
				svq_rx_mode_names[i]);
	}
	if ((s->n_uc || s->n_mc || s->uc_overflow || s->mc_overflow) &&
			!SVQ_HAS(VIRTIO_NET_F_CTRL_RX))
		return svq_json_error(ctx, "mac_table set without VIRTIO_NET_F_CTRL_RX");
	if ((s->uc_overflow && s->n_uc) || (s->mc_overflow && s->n_mc))
		return svq_json_error(ctx, "mac_table: an overflowed table keeps no entries");
	if (!SVQ_HAS(VIRTIO_NET_F_CTRL_VLAN)) {
		for (i = 0; i < SVQ_VLAN_MAX; i++)
			if (!svq_net_state_vlan(s, i))
				return svq_json_error(ctx, "vlans: without VIRTIO_NET_F_CTRL_VLAN every VLAN passes");
	}
	if (s->guest_offloads & ~svq_net_guest_offloads(f))
		return svq_json_error(ctx, "guest_offloads: offloads not negotiated");
	/* virtio 1.2, 5.1.6.5.7.1: with RSS, RSS_CONFIG sets them too */
	if (s->curr_pairs > 1 && !SVQ_HAS(VIRTIO_NET_F_MQ) &&
			!SVQ_HAS(VIRTIO_NET_F_RSS))
		return svq_json_error(ctx, "queue_pairs above 1 without VIRTIO_NET_F_MQ or VIRTIO_NET_F_RSS");
	if (s->rss_mode == SVQ_RSS_STEER && !SVQ_HAS(VIRTIO_NET_F_RSS))
		return svq_json_error(ctx, "rss.mode rss without VIRTIO_NET_F_RSS");
	if (s->rss_mode == SVQ_RSS_HASH_ONLY && !SVQ_HAS(VIRTIO_NET_F_HASH_REPORT))
		return svq_json_error(ctx, "rss.mode hash without VIRTIO_NET_F_HASH_REPORT");
	if (s->rss_mode == SVQ_RSS_STEER && s->rss.max_tx_vq != s->curr_pairs)
		return svq_json_error(ctx, "rss.max_tx_vq differs from queue_pairs");
#undef SVQ_HAS
	return 0;
}

int
svq_state_from_json(const json_t *root, struct svq_net_state *out, char *err,
		size_t err_len)
{
	struct svq_json_ctx ctx = { .err = err, .err_len = err_len };
	json_t *features, *mac, *rx, *uc, *mc, *vlans, *offloads, *rss, *v;
	const char *schema;
	/* json_int_t: an int would silently truncate 2^32 + 1 to 1 */
	json_int_t version, max_pairs, pairs;
	int uc_over, mc_over;
	struct svq_net_state *s;
	json_error_t jerr;
	uint32_t u;
	size_t i;
	int ret = -EINVAL;

	if (json_unpack_ex((json_t *)root, &jerr, JSON_STRICT,
			"{s:s, s:I, s:o, s:I, s:o, s:o, s:{s:o, s:o, s:b, s:b}, s:o, s:o, s:I, s:o}",
			"schema", &schema, "version", &version,
			"features", &features, "max_queue_pairs", &max_pairs,
			"mac", &mac, "rx_mode", &rx,
			"mac_table", "unicast", &uc, "multicast", &mc,
				"unicast_overflow", &uc_over,
				"multicast_overflow", &mc_over,
			"vlans", &vlans, "guest_offloads", &offloads,
			"queue_pairs", &pairs, "rss", &rss) < 0)
		return svq_json_error(&ctx, "%s", jerr.text);
	if (strcmp(schema, SVQ_STATE_SCHEMA) != 0)
		return svq_json_error(&ctx, "schema '%s' is not %s", schema,
			SVQ_STATE_SCHEMA);
	if (version != SVQ_STATE_VERSION)
		return svq_json_error(&ctx, "version %lld, this relay reads version %d",
			(long long)version, SVQ_STATE_VERSION);

	/* Build into a scratch copy; *out changes only on success. */
	s = calloc(1, sizeof(*s));
	if (s == NULL)
		return svq_json_error(&ctx, "out of memory");
	if (svq_json_get_hex64(&ctx, features, "features", &s->features) < 0)
		goto out;
	if (max_pairs < 1 || max_pairs > VIRTIO_NET_CTRL_MQ_VQ_PAIRS_MAX) {
		svq_json_error(&ctx, "max_queue_pairs: %lld out of range 1..%d",
			(long long)max_pairs, VIRTIO_NET_CTRL_MQ_VQ_PAIRS_MAX);
		goto out;
	}
	s->max_pairs = max_pairs;
	if (svq_json_get_mac(&ctx, mac, "mac", &s->mac) < 0)
		goto out;
	if (!json_is_object(rx) || json_object_size(rx) != SVQ_RX_MODES) {
		svq_json_error(&ctx, "rx_mode: expected the %d modes", SVQ_RX_MODES);
		goto out;
	}
	for (i = 0; i < SVQ_RX_MODES; i++) {
		v = json_object_get(rx, svq_rx_mode_names[i]);
		if (!json_is_boolean(v)) {
			svq_json_error(&ctx, "rx_mode.%s: expected true or false",
				svq_rx_mode_names[i]);
			goto out;
		}
		s->rx_mode[i] = json_is_true(v);
	}
	if (svq_json_get_mac_list(&ctx, uc, "unicast", s->uc, &s->n_uc) < 0 ||
			svq_json_get_mac_list(&ctx, mc, "multicast", s->mc, &s->n_mc) < 0)
		goto out;
	s->uc_overflow = uc_over;
	s->mc_overflow = mc_over;
	if (!json_is_array(vlans)) {
		svq_json_error(&ctx, "vlans: expected an array of VLAN ids");
		goto out;
	}
	json_array_foreach(vlans, i, v) {
		if (svq_json_get_uint(&ctx, v, "vlans[]", 0, SVQ_VLAN_MAX - 1, &u) < 0)
			goto out;
		if (svq_net_state_vlan(s, u)) {
			svq_json_error(&ctx, "vlans: %u listed twice", u);
			goto out;
		}
		s->vlans[u / 64] |= UINT64_C(1) << (u % 64);
	}
	if (svq_json_get_hex64(&ctx, offloads, "guest_offloads", &s->guest_offloads) < 0)
		goto out;
	if (pairs < 1 || pairs > max_pairs) {
		svq_json_error(&ctx, "queue_pairs: %lld out of range 1..%lld",
			(long long)pairs, (long long)max_pairs);
		goto out;
	}
	s->curr_pairs = pairs;
	if (!json_is_object(rss)) {
		svq_json_error(&ctx, "rss: expected an object");
		goto out;
	}
	if (svq_json_get_rss(&ctx, rss, s) < 0 ||
			svq_json_check_consistency(&ctx, s) < 0)
		goto out;
	*out = *s;
	ret = 0;
out:
	free(s);
	return ret;
}

/* ---- the migration document --------------------------------------- */

static const char *const svq_mig_vring_state_names[] = {
	[SVQ_MIGRATION_VRING_STOPPED] = "stopped",
	[SVQ_MIGRATION_VRING_RUNNING] = "running",
	[SVQ_MIGRATION_VRING_PASSTHROUGH] = "passthrough",
};

json_t *
svq_migration_to_json(const struct svq_migration_state *m)
{
	json_t *vrings = json_array();
	uint16_t i;

	for (i = 0; i < m->nb_vrings; i++) {
		const struct svq_migration_vring *v = &m->vrings[i];

		json_array_append_new(vrings, json_pack("{s:i, s:i, s:i, s:s}",
			"index", (int)v->index, "last_avail", (int)v->last_avail,
			"used", (int)v->used,
			"state", svq_mig_vring_state_names[v->state]));
	}
	return json_pack("{s:s, s:i, s:s, s:i, s:o, s:o, s:o}",
		"schema", SVQ_MIGRATION_SCHEMA,
		"version", SVQ_MIGRATION_VERSION,
		"port_state", m->stopped ? "stopped" : "running",
		"queue_pairs", (int)m->queue_pairs,
		"guest_features", svq_json_hex64(m->guest_features),
		"vrings", vrings,
		"device_state", m->has_device ? svq_state_to_json(&m->device) :
			json_null());
}

static int
svq_json_get_mig_vring(struct svq_json_ctx *ctx, const json_t *o, size_t i,
		const struct svq_migration_state *m, struct svq_migration_vring *v)
{
	json_t *index, *last_avail, *used, *state;
	json_error_t jerr;
	char what[48];
	uint32_t u;
	size_t s;

	if (json_unpack_ex((json_t *)o, &jerr, JSON_STRICT, "{s:o, s:o, s:o, s:o}",
			"index", &index, "last_avail", &last_avail,
			"used", &used, "state", &state) < 0)
		return svq_json_error(ctx, "vrings[%zu]: %s", i, jerr.text);
	snprintf(what, sizeof(what), "vrings[%zu].index", i);
	if (svq_json_get_uint(ctx, index, what, 0, 2 * m->queue_pairs, &u) < 0)
		return -EINVAL;
	v->index = u;
	if (i > 0 && v->index <= m->vrings[i - 1].index)
		return svq_json_error(ctx, "vrings[%zu].index: %u after %u (ascending, each vring once)",
			i, v->index, m->vrings[i - 1].index);
	if (v->index == 2 * m->queue_pairs &&
			!(m->guest_features & (UINT64_C(1) << VIRTIO_NET_F_CTRL_VQ)))
		return svq_json_error(ctx, "vrings[%zu].index: control vring %u without VIRTIO_NET_F_CTRL_VQ",
			i, v->index);
	snprintf(what, sizeof(what), "vrings[%zu].last_avail", i);
	if (svq_json_get_uint(ctx, last_avail, what, 0, UINT16_MAX, &u) < 0)
		return -EINVAL;
	v->last_avail = u;
	snprintf(what, sizeof(what), "vrings[%zu].used", i);
	if (svq_json_get_uint(ctx, used, what, 0, UINT16_MAX, &u) < 0)
		return -EINVAL;
	v->used = u;
	/* The driver never has more chains out than its ring holds. */
	if ((uint16_t)(v->last_avail - v->used) > SVQ_RING_SIZE_MAX)
		return svq_json_error(ctx, "vrings[%zu]: last_avail %u is more than a ring (%u) ahead of used %u",
			i, v->last_avail, SVQ_RING_SIZE_MAX, v->used);
	for (s = 0; s < RTE_DIM(svq_mig_vring_state_names); s++)
		if (json_is_string(state) && strcmp(json_string_value(state),
				svq_mig_vring_state_names[s]) == 0)
			break;
	if (s == RTE_DIM(svq_mig_vring_state_names))
		return svq_json_error(ctx, "vrings[%zu].state: expected stopped, running or passthrough",
			i);
	v->state = s;
	if (m->stopped != (v->state == SVQ_MIGRATION_VRING_STOPPED))
		return svq_json_error(ctx, "vrings[%zu].state: %s in a port_state %s document",
			i, svq_mig_vring_state_names[s],
			m->stopped ? "stopped" : "running");
	if (v->state == SVQ_MIGRATION_VRING_PASSTHROUGH && v->last_avail != v->used)
		return svq_json_error(ctx, "vrings[%zu]: passthrough with last_avail %u, used %u (must be equal)",
			i, v->last_avail, v->used);
	return 0;
}

int
svq_migration_from_json(const json_t *root, struct svq_migration_state *out,
		char *err, size_t err_len)
{
	struct svq_json_ctx ctx = { .err = err, .err_len = err_len };
	json_t *schema, *version, *port_state, *pairs, *features, *vrings;
	json_t *device, *v;
	struct svq_migration_state *m;
	json_error_t jerr;
	char why[256];
	uint32_t u;
	size_t i;
	int ret = -EINVAL;

	/* The schema first: a device state alone is a likely mistake. */
	schema = json_object_get(root, "schema");
	if (json_is_string(schema) &&
			strcmp(json_string_value(schema), SVQ_MIGRATION_SCHEMA) != 0)
		return svq_json_error(&ctx, "schema: '%s', not %s%s",
			json_string_value(schema), SVQ_MIGRATION_SCHEMA,
			strcmp(json_string_value(schema), SVQ_STATE_SCHEMA) == 0 ?
			" (a device state alone is loaded as a state)" : "");
	/* Every member as "o" and checked below: jansson's own type errors
	 * do not name the member. */
	if (json_unpack_ex((json_t *)root, &jerr, JSON_STRICT,
			"{s:o, s:o, s:o, s:o, s:o, s:o, s:o}",
			"schema", &schema, "version", &version,
			"port_state", &port_state, "queue_pairs", &pairs,
			"guest_features", &features, "vrings", &vrings,
			"device_state", &device) < 0)
		return svq_json_error(&ctx, "%s", jerr.text);
	if (!json_is_string(schema) ||
			strcmp(json_string_value(schema), SVQ_MIGRATION_SCHEMA) != 0)
		return svq_json_error(&ctx, "schema: expected \"%s\"",
			SVQ_MIGRATION_SCHEMA);
	if (!json_is_integer(version) ||
			json_integer_value(version) != SVQ_MIGRATION_VERSION)
		return svq_json_error(&ctx, "version: this relay reads version %d only",
			SVQ_MIGRATION_VERSION);

	/* Build into a scratch copy; *out changes only on success. */
	m = calloc(1, sizeof(*m));
	if (m == NULL)
		return svq_json_error(&ctx, "out of memory");
	if (json_is_string(port_state) &&
			strcmp(json_string_value(port_state), "stopped") == 0) {
		m->stopped = true;
	} else if (!json_is_string(port_state) ||
			strcmp(json_string_value(port_state), "running") != 0) {
		svq_json_error(&ctx, "port_state: expected stopped or running");
		goto out;
	}
	if (svq_json_get_uint(&ctx, pairs, "queue_pairs", 1,
			SVQ_MIGRATION_MAX_PAIRS, &u) < 0)
		goto out;
	m->queue_pairs = u;
	if (svq_json_get_hex64(&ctx, features, "guest_features",
			&m->guest_features) < 0)
		goto out;
	if (!json_is_array(vrings) ||
			json_array_size(vrings) > 2 * m->queue_pairs + 1u) {
		svq_json_error(&ctx, "vrings: expected an array of at most %u vrings",
			2 * m->queue_pairs + 1u);
		goto out;
	}
	json_array_foreach(vrings, i, v)
		if (svq_json_get_mig_vring(&ctx, v, i, m, &m->vrings[i]) < 0)
			goto out;
	m->nb_vrings = json_array_size(vrings);
	if (!json_is_null(device)) {
		if (!json_is_object(device)) {
			svq_json_error(&ctx, "device_state: expected a state object or null");
			goto out;
		}
		if (svq_state_from_json(device, &m->device, why, sizeof(why)) < 0) {
			svq_json_error(&ctx, "device_state: %s", why);
			goto out;
		}
		if (m->device.max_pairs != m->queue_pairs) {
			svq_json_error(&ctx, "device_state.max_queue_pairs: %u, the port has %u",
				m->device.max_pairs, m->queue_pairs);
			goto out;
		}
		if (m->device.features & ~m->guest_features) {
			svq_json_error(&ctx, "device_state.features: not a subset of guest_features");
			goto out;
		}
		m->has_device = true;
	}
	*out = *m;
	ret = 0;
out:
	free(m);
	return ret;
}

/* ---- files ----------------------------------------------------------- */

static int
svq_json_save_file(json_t *root, const char *path, char *err, size_t err_len)
{
	int ret = 0;

	if (root == NULL || json_dump_file(root, path,
			JSON_INDENT(2) | JSON_COMPACT) != 0) {
		snprintf(err, err_len, "cannot write %s", path);
		ret = -EIO;
	}
	json_decref(root);
	return ret;
}

static json_t *
svq_json_load_file(const char *path, char *err, size_t err_len)
{
	json_error_t jerr;
	json_t *root = json_load_file(path, JSON_REJECT_DUPLICATES, &jerr);

	if (root == NULL)
		snprintf(err, err_len, "%s:%d: %s", path, jerr.line, jerr.text);
	return root;
}

int
svq_state_save(const struct svq_net_state *s, const char *path, char *err,
		size_t err_len)
{
	return svq_json_save_file(svq_state_to_json(s), path, err, err_len);
}

int
svq_state_load(const char *path, struct svq_net_state *s, char *err,
		size_t err_len)
{
	json_t *root = svq_json_load_file(path, err, err_len);
	int ret;

	if (root == NULL)
		return -EINVAL;
	ret = svq_state_from_json(root, s, err, err_len);
	json_decref(root);
	return ret;
}

int
svq_migration_save(const struct svq_migration_state *m, const char *path,
		char *err, size_t err_len)
{
	return svq_json_save_file(svq_migration_to_json(m), path, err, err_len);
}

int
svq_migration_load(const char *path, struct svq_migration_state *m,
		char *err, size_t err_len)
{
	json_t *root = svq_json_load_file(path, err, err_len);
	int ret;

	if (root == NULL)
		return -EINVAL;
	ret = svq_migration_from_json(root, m, err, err_len);
	json_decref(root);
	return ret;
}
