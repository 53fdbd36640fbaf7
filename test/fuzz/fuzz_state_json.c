/* SPDX-License-Identifier: BSD-3-Clause */

/*
 * Fuzz target: the state file loader (svq_state_json.c), fed any bytes as
 * a state file is (svq_state_load parses with the same jansson flags;
 * the control socket hands svq_state_from_json a parsed object).
 *
 * Properties:
 *  - a refused state leaves the output untouched and says why, within
 *    the error buffer;
 *  - a loaded state, saved as svq_state_save writes it and loaded again,
 *    is equal;
 *  - the integers the file gave are the ones loaded (no silent
 *    truncation of out-of-range values).
 */

#include <errno.h>
#include <linux/virtio_net.h>

#include <rte_common.h>

#include "fuzz_input.h"
#include "svq_state_json.h"

/* What svq_state_load and svq_state_save use. */
#define FZ_LOAD_FLAGS JSON_REJECT_DUPLICATES
#define FZ_SAVE_FLAGS (JSON_INDENT(2) | JSON_COMPACT)
#define FZ_ERR_LEN 96

static void
fz_check_int(const json_t *root, const char *key, long long loaded)
{
	json_t *v = json_object_get(root, key);

	FZ_CHECK(json_is_integer(v) && json_integer_value(v) == loaded,
		"%s: the file says %lld, %lld was loaded", key,
		(long long)json_integer_value(v), loaded);
}

static void
fz_check_round_trip(const json_t *root, const struct svq_net_state *s)
{
	struct svq_net_state again;
	char err[FZ_ERR_LEN];
	json_error_t jerr;
	json_t *saved, *reread;
	char *text;

	fz_check_int(root, "version", SVQ_STATE_VERSION);
	fz_check_int(root, "max_queue_pairs", s->max_pairs);
	fz_check_int(root, "queue_pairs", s->curr_pairs);

	saved = svq_state_to_json(s);
	FZ_CHECK(saved != NULL, "a loaded state does not convert to JSON");
	text = json_dumps(saved, FZ_SAVE_FLAGS);
	FZ_CHECK(text != NULL, "a loaded state does not print");
	reread = json_loads(text, FZ_LOAD_FLAGS, &jerr);
	FZ_CHECK(reread != NULL, "a saved state does not parse: %s", jerr.text);
	if (svq_state_from_json(reread, &again, err, sizeof(err)) != 0)
		fz_fail("a saved state does not load: %s\n%s", err, text);
	FZ_CHECK(svq_net_state_equal(s, &again),
		"a saved state loads back different:\n%s", text);
	json_decref(reread);
	free(text);
	json_decref(saved);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct svq_net_state s, before;
	json_error_t jerr;
	json_t *root;
	char *err;

	root = json_loadb((const char *)data, size, FZ_LOAD_FLAGS, &jerr);
	if (root == NULL)
		return 0;
	memset(&s, 0xa5, sizeof(s));
	before = s;
	/* Exact size: a write past the reason is an ASan report. */
	err = malloc(FZ_ERR_LEN);
	if (svq_state_from_json(root, &s, err, FZ_ERR_LEN) != 0) {
		FZ_CHECK(memcmp(&s, &before, sizeof(s)) == 0,
			"a refused state changed the output");
		FZ_CHECK(memchr(err, '\0', FZ_ERR_LEN) != NULL && err[0] != '\0',
			"a refusal without a reason");
	} else {
		fz_check_round_trip(root, &s);
	}
	free(err);
	json_decref(root);
	return 0;
}

/* ---- seeds ---------------------------------------------------------- */

#define FZ_BIT(b) (UINT64_C(1) << (b))

static void
fz_seed_state(const char *dir, const char *name, const struct svq_net_state *s)
{
	json_t *j = svq_state_to_json(s);
	char *text = json_dumps(j, FZ_SAVE_FLAGS);

	fz_seed_write(dir, name, text, strlen(text));
	free(text);
	json_decref(j);
}

static void
fz_make_json_seeds(const char *dir)
{
	const struct rte_ether_addr mac = {{ 0x52, 0x54, 0x00, 0x53, 0x56, 0x51 }};
	const uint64_t f = FZ_BIT(VIRTIO_NET_F_GUEST_CSUM) |
		FZ_BIT(VIRTIO_NET_F_CTRL_VQ) | FZ_BIT(VIRTIO_NET_F_CTRL_RX) |
		FZ_BIT(VIRTIO_NET_F_CTRL_VLAN) | FZ_BIT(VIRTIO_NET_F_CTRL_RX_EXTRA) |
		FZ_BIT(VIRTIO_NET_F_MQ) | FZ_BIT(VIRTIO_NET_F_CTRL_MAC_ADDR) |
		FZ_BIT(VIRTIO_NET_F_CTRL_GUEST_OFFLOADS) |
		FZ_BIT(VIRTIO_NET_F_HASH_REPORT) | FZ_BIT(VIRTIO_NET_F_RSS);
	struct svq_net_state s;
	unsigned int i;

	svq_net_state_init(&s, f, &mac, 4);
	fz_seed_state(dir, "fresh", &s);

	s.rx_mode[SVQ_RX_PROMISC] = false;
	s.rx_mode[SVQ_RX_ALLMULTI] = true;
	s.n_uc = 2;
	s.uc[0] = (struct rte_ether_addr){{ 0x02, 0, 0, 0, 0, 1 }};
	s.uc[1] = (struct rte_ether_addr){{ 0x02, 0, 0, 0, 0, 2 }};
	s.mc_overflow = true;
	s.vlans[0] = UINT64_C(1) << 5;
	s.vlans[1] = UINT64_C(1) << (100 - 64);
	s.guest_offloads = 0;
	s.curr_pairs = 2;
	s.rss_mode = SVQ_RSS_STEER;
	s.rss.hash_types = 0x3f;
	s.rss.key_len = SVQ_RSS_KEY_MAX;
	for (i = 0; i < s.rss.key_len; i++)
		s.rss.key[i] = 0x6d + i;
	s.rss.table_len = 4;
	s.rss.table[1] = s.rss.table[3] = 1;
	s.rss.max_tx_vq = 2;
	fz_seed_state(dir, "rss", &s);

	s.rss_mode = SVQ_RSS_HASH_ONLY;
	s.rss.table_len = 0;
	s.rss.table[1] = s.rss.table[3] = 0;
	s.rss.max_tx_vq = 0;
	s.rss.key_len = 4;
	fz_seed_state(dir, "hash", &s);

	svq_net_state_init(&s, FZ_BIT(VIRTIO_NET_F_CTRL_VQ), &mac, 1);
	/* Refused: without CTRL_VLAN every VLAN must pass. */
	memset(s.vlans, 0, sizeof(s.vlans));
	fz_seed_state(dir, "no-ctrl-vlan-refused", &s);
}

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	fz_make_seeds(argc, argv, fz_make_json_seeds);
	return 0;
}
