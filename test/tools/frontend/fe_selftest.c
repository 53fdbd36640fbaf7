/* SPDX-License-Identifier: BSD-3-Clause */

/*
 * svq-frontend --selftest: checks, without any backend,
 *  - every named CVQ command against bytes written by hand from the
 *    virtio spec layouts (not produced by the encoder under test);
 *  - that text the encoders cannot turn into bytes is refused;
 *  - the number, hex, MAC and --features parsers;
 *  - rand-cvq: deterministic per seed, every generator kind shows up, and
 *    the commands it calls valid really have the spec layout;
 *  - the split ring driver against a tiny in-process device: chains,
 *    completions, and the detection of bad used ids and indices;
 *  - the dirty log check on synthetic memory and bitmaps: changed, logged,
 *    missed, extra and outside pages, the bit layout of the spec, the
 *    atomic take;
 *  - SET_LOG_BASE and SET_VRING_ADDR on the wire (a socketpair standing in
 *    for the backend): payload, fd, NEED_REPLY, and every reply form
 *    backends use (empty, u64 ack, echo) or must not (bad size, refusal,
 *    wrong request, none).
 * One line per check, then "selftest done passed=N failed=M".
 */

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <unistd.h>

#include "fe_cvq.h"
#include "fe_log.h"
#include "fe_mem.h"
#include "fe_net.h"
#include "fe_selftest.h"
#include "fe_util.h"
#include "fe_vhost.h"
#include "fe_virtio.h"
#include "fe_vring.h"

static unsigned int fe_st_passed, fe_st_failed;

static void __attribute__((format(printf, 3, 4)))
fe_check(bool ok, const char *name, const char *fmt, ...)
{
	char detail[512] = "";
	va_list ap;

	if (ok) {
		fe_st_passed++;
		printf("selftest %s ok\n", name);
		return;
	}
	va_start(ap, fmt);
	vsnprintf(detail, sizeof(detail), fmt, ap);
	va_end(ap);
	fe_st_failed++;
	printf("selftest %s FAIL %s\n", name, detail);
}

struct fe_enc_case {
	const char *line;
	uint8_t cls;
	uint8_t cmd;
	const char *hex;	/* expected data, "" when empty */
};

/* Expected bytes worked out by hand from spec 5.1.6.5; spaces separate
 * the fields. */
static const struct fe_enc_case fe_enc_cases[] = {
	{ "rx promisc on", 0, 0, "01" },
	{ "rx promisc off", 0, 0, "00" },
	{ "rx allmulti on", 0, 1, "01" },
	{ "rx alluni on", 0, 2, "01" },
	{ "rx nomulti on", 0, 3, "01" },
	{ "rx nouni off", 0, 4, "00" },
	{ "rx nobcast on", 0, 5, "01" },
	{ "rx promisc 2", 0, 0, "02" },
	{ "mac set 52:54:00:12:34:56", 1, 1, "525400123456" },
	{ "mac table 52:54:00:00:00:01,52:54:00:00:00:02 01:00:5e:00:00:01",
		1, 0, "02000000 525400000001 525400000002 "
		"01000000 01005e000001" },
	{ "mac table - -", 1, 0, "00000000 00000000" },
	{ "mac table - 33:33:00:00:00:01", 1, 0,
		"00000000 01000000 333300000001" },
	{ "mac table 02:00:00:00:00:aa -", 1, 0,
		"01000000 0200000000aa 00000000" },
	{ "vlan add 100", 2, 0, "6400" },
	{ "vlan del 4095", 2, 1, "ff0f" },
	{ "vlan add 0x1234", 2, 0, "3412" },
	{ "vlan add 5000", 2, 0, "8813" },	/* encoded, not judged */
	{ "announce ack", 3, 0, "" },
	{ "mq pairs 4", 4, 0, "0400" },
	{ "mq pairs 32768", 4, 0, "0080" },
	{ "mq pairs 0", 4, 0, "0000" },
	/* hash_types, mask, unclassified, table[4], max_tx_vq, key_len, key */
	{ "rss 3f 1 4 000102030405060708090a0b0c0d0e0f10111213"
		"1415161718191a1b1c1d1e1f2021222324252627 0,1,2,3", 4, 1,
		"3f000000 0300 0100 0000 0100 0200 0300 0400 28 "
		"000102030405060708090a0b0c0d0e0f10111213"
		"1415161718191a1b1c1d1e1f2021222324252627" },
	{ "rss 0x1ff 0 1 - 0", 4, 1, "ff010000 0000 0000 0000 0100 00" },
	{ "rss 12 7 2 aa:bb 1,0,1", 4, 1,	/* 3 entries: mask 2 */
		"12000000 0200 0700 0100 0000 0100 0200 02 aabb" },
	{ "hash 1ff 0102", 4, 2, "ff010000 0000 0000 0000 0000 02 0102" },
	{ "hash 0 -", 4, 2, "00000000 0000 0000 0000 0000 00" },
	{ "offloads 0x86", 5, 0, "8600000000000000" },
	{ "offloads 0xc0000000000386", 5, 0, "860300000000c000" },
	{ "cvq 7 9 ab:cd", 7, 9, "abcd" },
	{ "cvq 0 0", 0, 0, "" },
	{ "cvq 255 255 -", 255, 255, "" },
};

static const char *const fe_enc_bad[] = {
	"rx promisc maybe",
	"rx bogus on",
	"rx promisc 256",
	"rx promisc",
	"mac set 52:54:00:12:34",
	"mac set 52:54:00:12:34:5g",
	"mac set 52-54-00-12-34-56",
	"mac table 52:54:00:00:00:01",
	"mac table x -",
	"mac table 52:54:00:00:00:01, -",
	"mac flush",
	"vlan add 70000",
	"vlan add -1",
	"vlan put 1",
	"announce",
	"announce nope",
	"mq pairs x",
	"mq pairs 65536",
	"mq vq 1",
	"rss 3f 0 4 00",
	"rss zz 0 4 00 0",
	"rss 3f 0 4 0g 0",
	"rss 3f 0 4 00 0,,1",
	"rss 3f 0 4 00 0,65536",
	"rss 3f 70000 4 00 0",
	"hash zz 00",
	"hash 1 0",
	"offloads 0x1ffffffffffffffff",
	"offloads",
	"cvq 256 0 -",
	"cvq 0 0 abc",
	"cvq -1 0",
	"cvq 010x 0",
	"bogus 1",
};

static int
fe_tokenise(char *line, char **argv, int max)
{
	int argc = 0;
	char *p, *save;

	for (p = strtok_r(line, " ", &save); p != NULL && argc < max;
			p = strtok_r(NULL, " ", &save))
		argv[argc++] = p;
	return argc;
}

static void
fe_selftest_encoders(void)
{
	static struct fe_cvq_cmd c;
	uint8_t want[512];
	char line[512], name[64], got[1100];
	char *argv[16];
	const char *err;
	unsigned int i;
	int argc, n, ret;

	for (i = 0; i < sizeof(fe_enc_cases) / sizeof(fe_enc_cases[0]); i++) {
		const struct fe_enc_case *t = &fe_enc_cases[i];
		char hex[512];
		size_t j, k = 0;

		/* The expected text has spaces between fields for the
		 * reader; the hex parser takes none. */
		for (j = 0; t->hex[j] != '\0'; j++)
			if (t->hex[j] != ' ')
				hex[k++] = t->hex[j];
		hex[k] = '\0';
		n = k == 0 ? 0 : fe_parse_hex(hex, want, sizeof(want));
		snprintf(name, sizeof(name), "encode-%u", i);
		snprintf(line, sizeof(line), "%s", t->line);
		argc = fe_tokenise(line, argv, 16);
		ret = fe_cvq_encode(argc, argv, &c, &err);
		if (ret < 0) {
			fe_check(false, name, "'%s' refused: %s", t->line, err);
			continue;
		}
		fe_hex(c.data, c.len < 500 ? c.len : 500, got);
		fe_check(n >= 0 && c.cls == t->cls && c.cmd == t->cmd &&
			c.len == (uint32_t)n && memcmp(c.data, want, n) == 0,
			name, "'%s': got class=%u cmd=%u data=%s, want "
			"class=%u cmd=%u data=%s", t->line, c.cls, c.cmd, got,
			t->cls, t->cmd, hex);
	}
	for (i = 0; i < sizeof(fe_enc_bad) / sizeof(fe_enc_bad[0]); i++) {
		snprintf(name, sizeof(name), "refuse-%u", i);
		snprintf(line, sizeof(line), "%s", fe_enc_bad[i]);
		argc = fe_tokenise(line, argv, 16);
		ret = fe_cvq_encode(argc, argv, &c, &err);
		fe_check(ret < 0, name, "'%s' was accepted", fe_enc_bad[i]);
	}
}

static void
fe_selftest_parsers(void)
{
	uint8_t buf[16], mac[6];
	uint64_t v = 0;

	fe_check(fe_parse_u64("010", 100, &v) == 0 && v == 10,
		"parse-decimal-not-octal", "got %llu", (unsigned long long)v);
	fe_check(fe_parse_u64("0x10", 100, &v) == 0 && v == 16,
		"parse-hex-prefix", "got %llu", (unsigned long long)v);
	fe_check(fe_parse_u64("101", 100, &v) < 0, "parse-max", "accepted");
	fe_check(fe_parse_u64("1a", 100, &v) < 0 &&
		fe_parse_u64(" 1", 100, &v) < 0 &&
		fe_parse_u64("+1", 100, &v) < 0 &&
		fe_parse_u64("", 100, &v) < 0, "parse-junk", "accepted");
	fe_check(fe_parse_hex_u64("1ff", UINT32_MAX, &v) == 0 && v == 0x1ff,
		"parse-hex-u64", "got %llx", (unsigned long long)v);
	fe_check(fe_parse_size("64M", &v) == 0 && v == 64u << 20 &&
		fe_parse_size("4096", &v) == 0 && v == 4096 &&
		fe_parse_size("1x", &v) < 0, "parse-size", "wrong");
	fe_check(fe_parse_hex("de:ad-be.ef", buf, sizeof(buf)) == 4 &&
		memcmp(buf, "\xde\xad\xbe\xef", 4) == 0, "parse-hex-separators",
		"wrong");
	fe_check(fe_parse_hex("abc", buf, sizeof(buf)) < 0 &&
		fe_parse_hex("zz", buf, sizeof(buf)) < 0 &&
		fe_parse_hex("00112233", buf, 3) == -E2BIG, "parse-hex-bad",
		"accepted");
	fe_check(fe_parse_hex("-", buf, sizeof(buf)) == 0, "parse-hex-empty",
		"not empty");
	fe_check(fe_parse_mac("01:23:45:67:89:ab", mac) == 0 &&
		memcmp(mac, "\x01\x23\x45\x67\x89\xab", 6) == 0 &&
		fe_parse_mac("01:23:45:67:89:ab:cd", mac) < 0 &&
		fe_parse_mac("1:23:45:67:89:ab", mac) < 0, "parse-mac", "wrong");

	fe_check(fe_features_parse("+MAC,-RSS", FE_DEFAULT_FEATURES, &v) == 0 &&
		v == ((FE_DEFAULT_FEATURES | FE_BIT(FE_F_MAC)) &
			~FE_BIT(FE_F_RSS)), "features-relative", "got 0x%llx",
		(unsigned long long)v);
	fe_check(fe_features_parse("VERSION_1,mq,17", FE_DEFAULT_FEATURES,
		&v) == 0 && v == (FE_BIT(FE_F_VERSION_1) | FE_BIT(FE_F_MQ) |
		FE_BIT(FE_F_CTRL_VQ)), "features-absolute", "got 0x%llx",
		(unsigned long long)v);
	fe_check(fe_features_parse("0x100008000", 0, &v) == 0 &&
		v == (FE_BIT(FE_F_VERSION_1) | FE_BIT(FE_F_MRG_RXBUF)),
		"features-hex", "got 0x%llx", (unsigned long long)v);
	fe_check(fe_features_parse("MQ,+MAC", 0, &v) < 0 &&
		fe_features_parse("NOPE", 0, &v) < 0 &&
		fe_features_parse("64", 0, &v) < 0 &&
		fe_features_parse("MQ,", 0, &v) < 0, "features-bad", "accepted");
	/* The default set named in the brief, bit by bit. */
	fe_check(FE_DEFAULT_FEATURES == (FE_BIT(32) | FE_BIT(15) | FE_BIT(22) |
		FE_BIT(17) | FE_BIT(18) | FE_BIT(19) | FE_BIT(20) |
		FE_BIT(23) | FE_BIT(21) | FE_BIT(2) | FE_BIT(60) |
		FE_BIT(57) | FE_BIT(29)), "features-default", "0x%llx",
		(unsigned long long)FE_DEFAULT_FEATURES);
}

static uint32_t
fe_le16(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8;
}

static uint32_t
fe_le32(const uint8_t *p)
{
	return fe_le16(p) | fe_le16(p + 2) << 16;
}

/* Does a command rand-cvq calls valid have the spec layout? Returns NULL
 * or what is wrong. */
static const char *
fe_rand_valid_layout(const struct fe_cvq_cmd *c, uint16_t pairs)
{
	const uint8_t *d = c->data;
	uint32_t n, m, i, mask;

	if (strcmp(c->kind, "rx") == 0)
		return c->cls == 0 && c->cmd <= 5 && c->len == 1 ? NULL : "rx";
	if (strcmp(c->kind, "mac-addr") == 0)
		return c->len == 6 && !(d[0] & 1) ? NULL : "mac-addr";
	if (strcmp(c->kind, "mac-table") == 0 ||
			strcmp(c->kind, "mac-table-big") == 0) {
		if (c->len < 8)
			return "mac-table short";
		n = fe_le32(d);
		if (c->len < 8 + 6 * n)
			return "mac-table uc";
		m = fe_le32(d + 4 + 6 * n);
		return c->len == 8 + 6 * (n + m) ? NULL : "mac-table len";
	}
	if (strcmp(c->kind, "vlan") == 0)
		return c->len == 2 && fe_le16(d) < 4096 && c->cmd <= 1 ?
			NULL : "vlan";
	if (strcmp(c->kind, "announce") == 0)
		return c->len == 0 && c->cmd == 0 ? NULL : "announce";
	if (strcmp(c->kind, "mq-pairs") == 0)
		return c->len == 2 && fe_le16(d) >= 1 && fe_le16(d) <= pairs ?
			NULL : "mq-pairs";
	if (strcmp(c->kind, "rss") == 0) {
		if (c->len < 8)
			return "rss short";
		mask = fe_le16(d + 4);
		if ((mask & (mask + 1)) != 0 || fe_le16(d + 6) >= pairs ||
				(fe_le32(d) & ~FE_HASH_TYPES_ALL) != 0)
			return "rss header";
		n = mask + 1;
		if (c->len < 8 + 2 * n + 3)
			return "rss table";
		for (i = 0; i < n; i++)
			if (fe_le16(d + 8 + 2 * i) >= pairs)
				return "rss queue";
		i = fe_le16(d + 8 + 2 * n);
		if (i < 1 || i > pairs)
			return "rss max_tx_vq";
		m = d[8 + 2 * n + 2];
		return m == FE_RSS_KEY_LEN && c->len == 8 + 2 * n + 3 + m ?
			NULL : "rss key";
	}
	if (strcmp(c->kind, "hash") == 0)
		return c->len == 4 + 8 + 1 + FE_RSS_KEY_LEN &&
			d[12] == FE_RSS_KEY_LEN ? NULL : "hash";
	if (strcmp(c->kind, "offloads") == 0)
		return c->len == 8 ? NULL : "offloads";
	return NULL;	/* a malformed kind: nothing to hold it to */
}

static void
fe_selftest_rand(void)
{
	static const char *const kinds[] = {
		"rx", "rx-short", "rx-badcmd", "mac-addr", "mac-addr-mcast",
		"mac-addr-short", "mac-table", "mac-table-big",
		"mac-table-overrun", "mac-table-nomc", "mac-table-trailing",
		"vlan", "vlan-badid", "vlan-short", "announce",
		"announce-badcmd", "mq-pairs", "mq-pairs-bad", "mq-pairs-over",
		"rss", "rss-bad-mask", "rss-bad-queue", "rss-bad-key",
		"rss-bad-types", "rss-truncated", "hash", "hash-truncated",
		"offloads", "offloads-bad", "offloads-short", "unknown-class",
		"unknown-cmd",
	};
	static struct fe_cvq_cmd a, b;
	bool seen[sizeof(kinds) / sizeof(kinds[0])] = { false };
	uint64_t s1 = 42, s2 = 42;
	unsigned int i, k, same = 0, bad_layout = 0, unknown_kind = 0;
	const char *why = NULL, *first_why = "";
	uint16_t pairs;

	for (i = 0; i < 20000; i++) {
		pairs = (uint16_t)(1 + i % 8);
		fe_cvq_rand(&s1, pairs, &a);
		fe_cvq_rand(&s2, pairs, &b);
		if (a.cls == b.cls && a.cmd == b.cmd && a.len == b.len &&
				memcmp(a.data, b.data, a.len) == 0 &&
				strcmp(a.kind, b.kind) == 0)
			same++;
		for (k = 0; k < sizeof(kinds) / sizeof(kinds[0]); k++)
			if (strcmp(a.kind, kinds[k]) == 0)
				break;
		if (k == sizeof(kinds) / sizeof(kinds[0]))
			unknown_kind++;
		else
			seen[k] = true;
		why = fe_rand_valid_layout(&a, pairs);
		if (why != NULL) {
			if (bad_layout++ == 0)
				first_why = why;
		}
	}
	fe_check(same == 20000, "rand-deterministic", "%u of 20000 equal",
		same);
	fe_check(unknown_kind == 0, "rand-kinds-known", "%u unknown",
		unknown_kind);
	for (k = 0; k < sizeof(kinds) / sizeof(kinds[0]); k++)
		if (!seen[k])
			break;
	fe_check(k == sizeof(kinds) / sizeof(kinds[0]), "rand-all-kinds",
		"kind %s never generated",
		k < sizeof(kinds) / sizeof(kinds[0]) ? kinds[k] : "");
	fe_check(bad_layout == 0, "rand-valid-layouts",
		"%u valid-kind commands with a bad layout (first: %s)",
		bad_layout, first_why);
	s1 = 1;
	s2 = 2;
	fe_cvq_rand(&s1, 4, &a);
	fe_cvq_rand(&s2, 4, &b);
	for (i = 0; i < 8 && a.cls == b.cls && a.len == b.len &&
			memcmp(a.data, b.data, a.len) == 0; i++) {
		fe_cvq_rand(&s1, 4, &a);
		fe_cvq_rand(&s2, 4, &b);
	}
	fe_check(i < 8, "rand-seed-matters", "seeds 1 and 2 agree");
}

/* The device half of a split ring, as little as the test needs: take the
 * next avail head and complete it with len. */
static uint16_t fe_dev_last_avail;

static int
fe_dev_complete(struct fe_vring *vr, uint32_t len, int32_t id_override)
{
	uint16_t avail_idx = __atomic_load_n(&vr->avail[1], __ATOMIC_ACQUIRE);
	uint16_t used_idx = fe_vring_used_idx(vr);
	struct fe_vring_used_elem *e;
	uint16_t head;

	if (avail_idx == fe_dev_last_avail)
		return -1;
	head = vr->avail[2 + (fe_dev_last_avail & (vr->size - 1))];
	fe_dev_last_avail++;
	e = (struct fe_vring_used_elem *)(vr->used + 4) +
		(used_idx & (vr->size - 1));
	e->id = id_override >= 0 ? (uint32_t)id_override : head;
	e->len = len;
	__atomic_store_n((uint16_t *)(vr->used + 2), (uint16_t)(used_idx + 1),
		__ATOMIC_RELEASE);
	return head;
}

static void
fe_selftest_vring(void)
{
	struct fe_mem mem;
	struct fe_vring vr;
	struct fe_seg segs[3];
	uint16_t head = 0;
	uint32_t len = 0;
	int h, h2, ret, i;
	bool ok;

	if (fe_mem_create(&mem, 1 << 20, 0x100000) < 0 ||
			fe_vring_init(&vr, &mem, 3, 8, 256, true) < 0) {
		fe_check(false, "vring-init", "cannot set up");
		return;
	}
	fe_dev_last_avail = 0;
	segs[0] = (struct fe_seg){ fe_vring_slot_gpa(&vr, 0), 2, false };
	segs[1] = (struct fe_seg){ fe_vring_slot_gpa(&vr, 0) + 16, 10, false };
	segs[2] = (struct fe_seg){ fe_vring_slot_gpa(&vr, 0) + 100, 1, true };
	h = fe_vring_add(&vr, segs, 3);
	fe_vring_publish(&vr);
	ok = h == 0 && vr.num_free == 5 &&
		vr.desc[0].flags == FE_VRING_DESC_F_NEXT && vr.desc[0].next == 1 &&
		vr.desc[1].flags == FE_VRING_DESC_F_NEXT && vr.desc[1].next == 2 &&
		vr.desc[2].flags == FE_VRING_DESC_F_WRITE &&
		vr.desc[0].addr == 0x100000 + vr.slot_off && vr.avail[1] == 1 &&
		vr.avail[2] == 0;
	fe_check(ok, "vring-chain-layout", "head %d free %u", h, vr.num_free);
	fe_check(fe_vring_get_used(&vr, &head, &len) == 0, "vring-nothing-used",
		"got a completion from nowhere");
	fe_dev_complete(&vr, 1, -1);
	ret = fe_vring_get_used(&vr, &head, &len);
	fe_check(ret == 1 && head == 0 && len == 1 && vr.num_free == 8 &&
		vr.avail[2 + 8] == 1, "vring-complete",
		"ret %d head %u len %u free %u used_event %u", ret, head, len,
		vr.num_free, vr.avail[2 + 8]);

	/* Length beyond the writable bytes: clamped and counted. */
	h = fe_vring_add(&vr, segs, 3);
	fe_vring_publish(&vr);
	fe_dev_complete(&vr, 4096, -1);
	ret = fe_vring_get_used(&vr, &head, &len);
	fe_check(ret == 1 && len == 1 && vr.st.bad_len == 1, "vring-bad-len",
		"ret %d len %u bad_len %llu", ret, len,
		(unsigned long long)vr.st.bad_len);

	/* An id that is not in flight. */
	h = fe_vring_add(&vr, segs, 1);
	fe_vring_publish(&vr);
	fe_dev_complete(&vr, 0, (h + 1) % 8);
	ret = fe_vring_get_used(&vr, &head, &len);
	fe_check(ret == -EPROTO && vr.st.bad_id == 1, "vring-bad-id",
		"ret %d bad_id %llu", ret, (unsigned long long)vr.st.bad_id);
	fe_dev_complete(&vr, 0, 1000);	/* nothing avail: no entry */
	h2 = fe_vring_add(&vr, segs, 1);
	fe_vring_publish(&vr);
	fe_dev_complete(&vr, 0, 1000);	/* out of range */
	ret = fe_vring_get_used(&vr, &head, &len);
	fe_check(ret == -EPROTO && vr.st.bad_id == 2 && h2 >= 0,
		"vring-id-out-of-range", "ret %d", ret);

	/* Polling (flood): used_event left behind the used index, and
	 * without EVENT_IDX the NO_INTERRUPT flag; both undone after. */
	fe_vring_set_calls(&vr, false);
	ok = vr.avail[0] == 0 && vr.avail[2 + 8] == (uint16_t)(vr.last_used - 1);
	h = fe_vring_add(&vr, segs, 1);
	fe_vring_publish(&vr);
	fe_dev_complete(&vr, 0, -1);
	ret = fe_vring_get_used(&vr, &head, &len);
	ok = ok && ret == 1 && head == h &&
		vr.avail[2 + 8] == (uint16_t)(vr.last_used - 2);
	fe_vring_set_calls(&vr, true);
	ok = ok && vr.avail[2 + 8] == vr.last_used;
	vr.event_idx = false;
	fe_vring_set_calls(&vr, false);
	ok = ok && vr.avail[0] == FE_VRING_AVAIL_F_NO_INTERRUPT;
	fe_vring_set_calls(&vr, true);
	vr.event_idx = true;
	fe_check(ok && vr.avail[0] == 0, "vring-no-calls",
		"flags %u used_event %u last_used %u", vr.avail[0],
		vr.avail[2 + 8], vr.last_used);

	/* Event index: a kick only when avail_event is crossed. */
	*(uint16_t *)(vr.used + 4 + 8 * 8) = (uint16_t)(vr.avail_idx + 5);
	vr.kicked_idx = vr.avail_idx;
	for (i = 0; i < 3; i++) {
		vr.avail_idx++;
		fe_vring_kick(&vr, false);
	}
	ok = vr.st.kicks == 0 && vr.st.kicks_suppressed == 3;
	for (i = 0; i < 3; i++) {
		vr.avail_idx++;
		fe_vring_kick(&vr, false);
	}
	fe_check(ok && vr.st.kicks == 1 && vr.st.kicks_suppressed == 5,
		"vring-event-idx-kick", "kicks %llu suppressed %llu",
		(unsigned long long)vr.st.kicks,
		(unsigned long long)vr.st.kicks_suppressed);

	/* A used index that jumps past the ring size breaks the ring. */
	*(uint16_t *)(vr.used + 2) = (uint16_t)(vr.last_used + 9);
	ret = fe_vring_get_used(&vr, &head, &len);
	fe_check(ret == -EPROTO && vr.broken && vr.st.bad_idx == 1,
		"vring-bad-used-idx", "ret %d", ret);

	fe_check(fe_mem_gpa_to_va(&mem, 0x100000, 1 << 20) == mem.va &&
		fe_mem_gpa_to_va(&mem, 0xfffff, 1) == NULL &&
		fe_mem_gpa_to_va(&mem, 0x100000 + (1 << 20) - 1, 2) == NULL &&
		fe_mem_gpa_to_va(&mem, UINT64_MAX, 2) == NULL, "mem-gpa-to-va",
		"bounds");
	fe_vring_fini(&vr);
	fe_mem_destroy(&mem);
}

/* Guest memory of 16 pages at GPA 0x8000 (page 8), a 64-page log. */
#define FE_ST_PAGES	16u
#define FE_ST_FIRST	8u

static void
fe_selftest_log_compare(void)
{
	static uint8_t mem[FE_ST_PAGES * FE_LOG_PAGE];
	static uint8_t snap[FE_ST_PAGES * FE_LOG_PAGE];
	const uint64_t base = FE_ST_FIRST * FE_LOG_PAGE;
	const struct fe_log_range ranges[] = {
		/* GPA pages 8-9, 13, 18, 23 */
		{ 0, 2 * FE_LOG_PAGE, FE_LOG_RX, 0 },
		{ 5 * FE_LOG_PAGE + 100, 1, FE_LOG_CVQ_ACK, 4 },
		{ 10 * FE_LOG_PAGE, 2054, FE_LOG_USED, 2 },
		{ 15 * FE_LOG_PAGE, FE_LOG_PAGE, FE_LOG_SCRATCH, 0 },
	};
	const struct fe_log_range *where;
	struct fe_log_result res;
	uint64_t bits[1] = { 0 }, small[1] = { 0 };
	uint8_t *bytes = (uint8_t *)bits;
	unsigned int i;
	int ret;

	for (i = 0; i < sizeof(mem); i++)
		mem[i] = (uint8_t)(i * 7);
	memcpy(snap, mem, sizeof(mem));

	ret = fe_log_compare(mem, snap, sizeof(mem), base, bits, 64, ranges,
		4, &res);
	fe_check(ret == 0 && res.changed == 0 && res.logged == 0 &&
		res.missed == 0 && res.extra == 0 && res.outside == 0,
		"log-compare-unchanged", "ret %d changed %llu", ret,
		(unsigned long long)res.changed);

	mem[1 * FE_LOG_PAGE + 17] ^= 1;		/* RX, page 9: logged */
	mem[3 * FE_LOG_PAGE] ^= 1;		/* page 11: not compared */
	mem[5 * FE_LOG_PAGE + 100] ^= 0xff;	/* ack, page 13: logged */
	mem[5 * FE_LOG_PAGE + 99] ^= 1;		/* next to it: not compared */
	mem[10 * FE_LOG_PAGE + 2053] ^= 1;	/* used, page 18: missed */
	mem[10 * FE_LOG_PAGE + 2054] ^= 1;	/* past it: not compared */
	/* Bits through the spec's byte view: log[page / 8] |= 1 << page % 8
	 * must be the same bit as word page / 64, bit page % 64. */
	bytes[9 / 8] |= 1u << (9 % 8);
	bytes[13 / 8] |= 1u << (13 % 8);
	bytes[20 / 8] |= 1u << (20 % 8);	/* page 20: unchanged, extra */
	bytes[2 / 8] |= 1u << (2 % 8);		/* below guest memory */
	bytes[63 / 8] |= 1u << (63 % 8);	/* above it */
	fe_check(fe_log_bit(bits, 9) && fe_log_bit(bits, 13) &&
		!fe_log_bit(bits, 12) && bits[0] == (UINT64_C(1) << 9 |
		UINT64_C(1) << 13 | UINT64_C(1) << 20 | UINT64_C(1) << 2 |
		UINT64_C(1) << 63), "log-bit-layout", "word 0x%llx",
		(unsigned long long)bits[0]);
	ret = fe_log_compare(mem, snap, sizeof(mem), base, bits, 64, ranges,
		4, &res);
	fe_check(ret == 0 && res.changed == 3 && res.logged == 3 &&
		res.missed == 1 && res.extra == 1 && res.outside == 2 &&
		res.nmiss == 1 && res.miss[0] == 18, "log-compare-counts",
		"changed %llu logged %llu missed %llu extra %llu outside %llu "
		"miss[0] %llu", (unsigned long long)res.changed,
		(unsigned long long)res.logged, (unsigned long long)res.missed,
		(unsigned long long)res.extra, (unsigned long long)res.outside,
		(unsigned long long)res.miss[0]);
	where = fe_log_range_of(ranges, 4, base, 18);
	fe_check(where != NULL && where->kind == FE_LOG_USED &&
		where->vring == 2 && fe_log_range_of(ranges, 4, base, 11) ==
		NULL && fe_log_range_of(ranges, 4, base, 2) == NULL,
		"log-range-of", "wrong range");

	/* The missing bit shows up: no miss, no extra beyond page 20. */
	bits[0] |= UINT64_C(1) << 18;
	ret = fe_log_compare(mem, snap, sizeof(mem), base, bits, 64, ranges,
		4, &res);
	fe_check(ret == 0 && res.missed == 0 && res.logged == 4 &&
		res.extra == 1, "log-compare-late-bit", "missed %llu",
		(unsigned long long)res.missed);

	/* A log too small for guest memory: pages past it cannot be
	 * logged, a change there is a miss. */
	small[0] = ~UINT64_C(0);
	mem[15 * FE_LOG_PAGE] ^= 1;		/* page 23 */
	ret = fe_log_compare(mem, snap, sizeof(mem), base, small, 16, ranges,
		4, &res);
	fe_check(ret == 0 && res.missed == 2 && res.miss[0] == 18 &&
		res.miss[1] == 23 && res.outside == 8, "log-compare-short-log",
		"missed %llu outside %llu", (unsigned long long)res.missed,
		(unsigned long long)res.outside);

	fe_check(fe_log_compare(mem, snap, sizeof(mem), base + 1, bits, 64,
		ranges, 4, &res) == -EINVAL, "log-compare-unaligned",
		"accepted");
	/* Ranges outside guest memory are ignored, not read. */
	{
		const struct fe_log_range bad = { sizeof(mem) - 1, 2,
			FE_LOG_RX, 0 };

		ret = fe_log_compare(mem, snap, sizeof(mem), base, bits, 64,
			&bad, 1, &res);
		fe_check(ret == 0 && res.changed == 0, "log-compare-bad-range",
			"changed %llu", (unsigned long long)res.changed);
	}
	/* Guest memory across log words (pages 130-145 of 256): outside
	 * bits counted word by word on both sides, edges included. */
	{
		uint64_t big[4] = { 0 };
		const uint64_t set[] = { 0, 64, 129, 130, 145, 146, 255 };

		for (i = 0; i < sizeof(set) / sizeof(set[0]); i++)
			big[set[i] / 64] |= UINT64_C(1) << (set[i] % 64);
		ret = fe_log_compare(mem, snap, sizeof(mem), 130 * FE_LOG_PAGE,
			big, 256, NULL, 0, &res);
		fe_check(ret == 0 && res.logged == 2 && res.extra == 2 &&
			res.outside == 5, "log-compare-outside-words",
			"logged %llu outside %llu",
			(unsigned long long)res.logged,
			(unsigned long long)res.outside);
	}
	fe_check(fe_log_size_for(64u << 20) == 2048 &&
		fe_log_size_for(4097) == 8 && fe_log_size_for(4096 * 65) == 16,
		"log-size", "%llu %llu %llu",
		(unsigned long long)fe_log_size_for(64u << 20),
		(unsigned long long)fe_log_size_for(4097),
		(unsigned long long)fe_log_size_for(4096 * 65));
}

static void
fe_selftest_log_take(void)
{
	struct fe_log log;
	uint64_t n;

	if (fe_log_create(&log, 1u << 20) < 0) {
		fe_check(false, "log-create", "cannot create a memfd log");
		return;
	}
	fe_check(log.size == 32 && log.nr_pages == 256 && log.bitmap[0] == 0 &&
		log.bitmap[3] == 0, "log-create", "size %llu",
		(unsigned long long)log.size);
	log.bitmap[0] = 0x11;
	log.bitmap[3] = UINT64_C(1) << 63;
	n = fe_log_take(&log);
	fe_check(n == 3 && log.bitmap[0] == 0 && log.bitmap[3] == 0,
		"log-take", "took %llu", (unsigned long long)n);
	fe_log_destroy(&log);
}

/* One SET_LOG_BASE against a canned reply (NULL: none); returns what
 * fe_vhost_set_log_base returned, the request seen in *req and
 * whether it carried exactly one fd. */
struct fe_st_req {
	uint32_t request, flags, size;
	uint64_t payload[4];
	int nfds;
};

static int
fe_st_read_req(int fd, struct fe_st_req *r)
{
	char control[CMSG_SPACE(sizeof(int) * 4)];
	struct msghdr mh;
	struct iovec iov;
	struct cmsghdr *cmsg;
	uint8_t buf[12 + 40];
	ssize_t n;

	memset(r, 0, sizeof(*r));
	memset(&mh, 0, sizeof(mh));
	iov.iov_base = buf;
	iov.iov_len = sizeof(buf);
	mh.msg_iov = &iov;
	mh.msg_iovlen = 1;
	mh.msg_control = control;
	mh.msg_controllen = sizeof(control);
	n = recvmsg(fd, &mh, MSG_DONTWAIT);
	if (n < 12)
		return -1;
	for (cmsg = CMSG_FIRSTHDR(&mh); cmsg != NULL;
			cmsg = CMSG_NXTHDR(&mh, cmsg)) {
		int *fds = (int *)CMSG_DATA(cmsg);
		size_t i, k;

		if (cmsg->cmsg_level != SOL_SOCKET ||
				cmsg->cmsg_type != SCM_RIGHTS)
			continue;
		k = (cmsg->cmsg_len - CMSG_LEN(0)) / sizeof(int);
		for (i = 0; i < k; i++)
			close(fds[i]);
		r->nfds += (int)k;
	}
	memcpy(&r->request, buf, 4);
	memcpy(&r->flags, buf + 4, 4);
	memcpy(&r->size, buf + 8, 4);
	memcpy(r->payload, buf + 12, (size_t)n - 12);
	return 0;
}

static int
fe_st_log_base(const void *reply, size_t reply_len, bool reply_ack,
		struct fe_st_req *req, uint32_t *reply_size, bool *broken)
{
	struct fe_vhost vh;
	int sv[2], fd, ret;

	memset(&vh, 0, sizeof(vh));
	memset(req, 0, sizeof(*req));
	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) < 0)
		return -errno;
	fd = memfd_create("svq-frontend-selftest", MFD_CLOEXEC);
	if (reply_len > 0 && write(sv[1], reply, reply_len) !=
			(ssize_t)reply_len) {
		ret = -EIO;
		goto out;
	}
	vh.fd = sv[0];
	vh.timeout_ms = 50;
	vh.reply_ack = reply_ack;
	strcpy(vh.path, "selftest");
	*reply_size = 0xdead;
	ret = fe_vhost_set_log_base(&vh, fd, 2048, 0, reply_size);
	*broken = vh.broken;
	if (fe_st_read_req(sv[1], req) < 0)
		req->request = 0;
out:
	close(fd);
	close(sv[0]);
	close(sv[1]);
	return ret;
}

static void
fe_selftest_log_base(void)
{
	struct { uint32_t request, flags, size; uint64_t p[2]; }
		__attribute__((packed)) reply;
	struct fe_st_req req;
	uint32_t rs;
	bool broken;
	int ret;

	/* DPDK 22.11: an empty reply. */
	reply.request = FE_VHOST_USER_SET_LOG_BASE;
	reply.flags = 0x5;	/* version 1, reply */
	reply.size = 0;
	ret = fe_st_log_base(&reply, 12, false, &req, &rs, &broken);
	fe_check(ret == 0 && rs == 0 && req.request == 6 && req.flags == 1 &&
		req.size == 16 && req.payload[0] == 2048 &&
		req.payload[1] == 0 && req.nfds == 1, "log-base-request",
		"ret %d request %u flags 0x%x "
		"size %u payload %llu/%llu fds %d", ret, req.request, req.flags,
		req.size, (unsigned long long)req.payload[0],
		(unsigned long long)req.payload[1], req.nfds);
	/* With REPLY_ACK: NEED_REPLY set, a u64 ack of 0. */
	reply.size = 8;
	reply.p[0] = 0;
	ret = fe_st_log_base(&reply, 20, true, &req, &rs, &broken);
	fe_check(ret == 0 && rs == 8 && req.flags == (1 | 8),
		"log-base-ack", "ret %d flags 0x%x", ret, req.flags);
	reply.p[0] = 1;
	ret = fe_st_log_base(&reply, 20, true, &req, &rs, &broken);
	fe_check(ret == -EREMOTEIO && !broken, "log-base-refused", "ret %d",
		ret);
	/* rust-vmm: the payload echoed. */
	reply.size = 16;
	reply.p[0] = 2048;
	reply.p[1] = 0;
	ret = fe_st_log_base(&reply, 28, false, &req, &rs, &broken);
	fe_check(ret == 0 && rs == 16, "log-base-echo", "ret %d", ret);
	reply.size = 4;
	ret = fe_st_log_base(&reply, 16, false, &req, &rs, &broken);
	fe_check(ret == -EPROTO && broken, "log-base-bad-size", "ret %d", ret);
	reply.size = 0;
	reply.request = FE_VHOST_USER_SET_FEATURES;
	ret = fe_st_log_base(&reply, 12, false, &req, &rs, &broken);
	fe_check(ret == -EPROTO && broken, "log-base-wrong-request", "ret %d",
		ret);
	ret = fe_st_log_base(NULL, 0, false, &req, &rs, &broken);
	fe_check(ret == -ETIMEDOUT && broken && req.request == 6,
		"log-base-no-reply", "ret %d", ret);
}

static void
fe_selftest_vring_addr(void)
{
	struct fe_vhost vh;
	struct fe_st_req req;
	int sv[2], ret;

	memset(&vh, 0, sizeof(vh));
	memset(&req, 0, sizeof(req));
	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) < 0) {
		fe_check(false, "vring-addr-log", "no socketpair");
		return;
	}
	vh.fd = sv[0];
	vh.timeout_ms = 50;
	strcpy(vh.path, "selftest");
	ret = fe_vhost_set_vring_addr(&vh, 3, FE_BIT(FE_VHOST_VRING_F_LOG),
		0x1000, 0x3000, 0x2000, 0x43000);
	if (ret == 0)
		ret = fe_st_read_req(sv[1], &req);
	/* index, flags, then desc, used, avail, log. */
	fe_check(ret == 0 && req.request == 9 && req.size == 40 &&
		req.payload[0] == (UINT64_C(1) << 32 | 3) &&
		req.payload[1] == 0x1000 && req.payload[2] == 0x3000 &&
		req.payload[3] == 0x2000, "vring-addr-log",
		"ret %d size %u index/flags 0x%llx", ret, req.size,
		(unsigned long long)req.payload[0]);
	close(sv[0]);
	close(sv[1]);
}

int
fe_selftest(void)
{
	fe_selftest_encoders();
	fe_selftest_parsers();
	fe_selftest_rand();
	fe_selftest_vring();
	fe_selftest_log_compare();
	fe_selftest_log_take();
	fe_selftest_log_base();
	fe_selftest_vring_addr();
	printf("selftest done passed=%u failed=%u\n", fe_st_passed,
		fe_st_failed);
	return fe_st_failed == 0 ? 0 : 1;
}
