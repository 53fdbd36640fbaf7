/* SPDX-License-Identifier: BSD-3-Clause */

/*
 * migcheck: the guest side of the svq-relay live migration test.
 *
 * Built static (gcc -static -O2) like streamer.c; one thread, one poll()
 * loop, so the TCG guest's single vCPU is never fought over.
 *
 *   migcheck run PEER RX_PORT TX_PORT CTL_PORT [KEY=VALUE...]
 *	keys: rate (datagrams/s to the host, 1000), size (datagram bytes,
 *	512), mem_mb (memory block, 64), churn_kbps (KiB/s of the block
 *	rewritten, 2048), seed (1), report_s (progress line period, 2)
 *
 * What it does, in this order:
 *   1. fills a block of its memory with a pattern that depends on each
 *	page's index and a per-page generation number;
 *   2. listens for the host's stream on RX_PORT and for commands on
 *	CTL_PORT and prints "SVQ-RESULT migcheck ready";
 *   3. on START (from the host), sends its own stream to PEER:TX_PORT at
 *	`rate` and keeps rewriting pages of the block (a page's generation
 *	goes up by one, its whole content changes with it);
 *   4. on STOP sent=N, stops sending, drains what is still arriving,
 *	checks every page of the block against its generation, answers
 *	DONE with every count and prints the same as SVQ-RESULT lines.
 *
 * Two memory checks, because pages are lost in two different ways:
 *   - the block: every page is rewritten in turn (a new generation and
 *     content), so a page whose last version did not reach the
 *     destination no longer matches the generation recorded for it;
 *   - the hot pages: MC_HOT_PAGES pages whose first word is set to the
 *     same round number on every turn of the main loop, so they never
 *     leave the vCPU's TLB. At the destination the rounds must form a
 *     staircase (the vCPU may stop halfway through a round: the first
 *     pages one round ahead of the rest, never more). A write that dirty
 *     tracking missed leaves a page at the round it had when it was sent,
 *     out of step with the others. This is what catches QEMU's TCG bug of
 *     stores through a TLB entry that a bitmap sync did not reset (fixed
 *     upstream in 9.0 by 03bfc2188f), which the block, refilled through
 *     TLB misses, cannot see.
 * STATUS is answered at any time with the counters so far.
 *
 * The datagram format is shared with test/e2e/mig_traffic.py (both
 * directions), all little-endian:
 *	u32 magic 'SVQM', u32 stream (1 host->guest, 2 guest->host),
 *	u64 seq, u64 send_ns (the sender's clock), u32 len (the datagram's
 *	length), u32 crc (CRC-32 of the whole datagram with this field 0),
 *	then len - 32 payload bytes derived from (stream, seq), see
 *	payload_of().
 * A datagram is *corrupt* if its length, magic, stream, CRC or payload is
 * wrong; a *duplicate* if its sequence number arrived before; the ones that
 * never arrived are *lost*. A buffer the device wrote whose page did not
 * reach the destination shows up as one of these: stale bytes under a
 * used entry are a corrupt datagram, or an old one again (a duplicate).
 *
 * Threat model: the test's own host tool is the only sender, but every
 * datagram is still checked before its sequence number indexes anything.
 */

#define _GNU_SOURCE	/* recvmmsg */

#include <arpa/inet.h>
#include <errno.h>
#include <inttypes.h>
#include <netinet/in.h>
#include <poll.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define MC_MAGIC	0x4d515653u	/* "SVQM" little-endian */
#define MC_STREAM_H2G	1u
#define MC_STREAM_G2H	2u
#define MC_HDR_LEN	32u
#define MC_MAX_LEN	1472u		/* one Ethernet frame, no fragments */
#define MC_MAX_SEQ	(UINT64_C(1) << 24)	/* 16 M datagrams: 2 MiB bitmap */
#define MC_RX_BATCH	64
#define MC_TX_BURST	64		/* at most this many per wake-up */
#define MC_CATCHUP_NS	200000000LL	/* behind more than this: no burst */
#define MC_PAGE		4096u
#define MC_MAX_RANGES	48		/* lost ranges listed in DONE */
#define MC_DRAIN_QUIET_NS 1000000000LL	/* STOP: drained after 1 s quiet */
#define MC_DRAIN_MAX_NS	5000000000LL	/* ... or 5 s at most */
#define MC_LINGER_NS	10000000000LL	/* answer repeated STOPs this long */
#define MC_HOT_PAGES	64

struct mc_hdr {
	uint32_t magic;
	uint32_t stream;
	uint64_t seq;
	uint64_t send_ns;
	uint32_t len;
	uint32_t crc;
};

struct mc_rx {
	uint8_t *seen;		/* bitmap, MC_MAX_SEQ bits */
	uint64_t unique, dup, corrupt, ooo, highest;
	int any;
};

struct mc_hot {
	uint64_t *pages;	/* MC_HOT_PAGES pages; word 0 is the round */
	uint64_t round;		/* the last round written */
};

struct mc_mem {
	uint8_t *block;
	uint32_t *gen;		/* generation of each page */
	size_t pages;
	size_t cursor;		/* next page to rewrite */
	uint64_t writes;	/* page rewrites since the fill */
};

static uint32_t crc_table[256];

static void
crc32_init(void)
{
	uint32_t c;
	int n, k;

	for (n = 0; n < 256; n++) {
		c = (uint32_t)n;
		for (k = 0; k < 8; k++)
			c = (c & 1) ? 0xedb88320u ^ (c >> 1) : c >> 1;
		crc_table[n] = c;
	}
}

/* zlib's crc32(), so the host checks with zlib.crc32 */
static uint32_t
crc32_buf(const uint8_t *p, size_t len)
{
	uint32_t c = 0xffffffffu;

	while (len-- > 0)
		c = crc_table[(c ^ *p++) & 0xff] ^ (c >> 8);
	return c ^ 0xffffffffu;
}

static uint64_t
splitmix64(uint64_t x)
{
	x += 0x9e3779b97f4a7c15ULL;
	x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
	x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
	return x ^ (x >> 31);
}

static int64_t
now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

static void
put_le32(uint8_t *p, uint32_t v)
{
	int i;

	for (i = 0; i < 4; i++)
		p[i] = (uint8_t)(v >> (8 * i));
}

static void
put_le64(uint8_t *p, uint64_t v)
{
	int i;

	for (i = 0; i < 8; i++)
		p[i] = (uint8_t)(v >> (8 * i));
}

static uint32_t
get_le32(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 |
		(uint32_t)p[3] << 24;
}

static uint64_t
get_le64(const uint8_t *p)
{
	return (uint64_t)get_le32(p) | (uint64_t)get_le32(p + 4) << 32;
}

/*
 * Payload of datagram (stream, seq): a slice of the stream's pattern block
 * (splitmix64 words of stream << 24 | i) starting at word seq % 509, so
 * consecutive datagrams differ and both sides produce it cheaply.
 */
#define MC_PAT_OFFSETS	509u
#define MC_PAT_LEN	(MC_PAT_OFFSETS * 8 + MC_MAX_LEN)	/* multiple of 8 */

static uint8_t pattern[3][MC_PAT_LEN];

static void
pattern_init(void)
{
	uint32_t stream;
	size_t i;

	for (stream = MC_STREAM_H2G; stream <= MC_STREAM_G2H; stream++)
		for (i = 0; i < MC_PAT_LEN / 8; i++)
			put_le64(&pattern[stream][i * 8],
				 splitmix64(((uint64_t)stream << 24) | i));
}

static const uint8_t *
payload_of(uint32_t stream, uint64_t seq)
{
	return &pattern[stream][(seq % MC_PAT_OFFSETS) * 8];
}

static size_t
dgram_build(uint8_t *buf, size_t len, uint32_t stream, uint64_t seq)
{
	put_le32(buf, MC_MAGIC);
	put_le32(buf + 4, stream);
	put_le64(buf + 8, seq);
	put_le64(buf + 16, (uint64_t)now_ns());
	put_le32(buf + 24, (uint32_t)len);
	put_le32(buf + 28, 0);
	memcpy(buf + MC_HDR_LEN, payload_of(stream, seq), len - MC_HDR_LEN);
	put_le32(buf + 28, crc32_buf(buf, len));
	return len;
}

/* @return 0 and the sequence number, or -1 for a corrupt datagram. */
static int
dgram_check(uint8_t *buf, size_t n, uint32_t stream, uint64_t *seq)
{
	uint32_t crc;

	if (n < MC_HDR_LEN || n > MC_MAX_LEN ||
	    get_le32(buf) != MC_MAGIC || get_le32(buf + 4) != stream ||
	    get_le32(buf + 24) != n)
		return -1;
	crc = get_le32(buf + 28);
	put_le32(buf + 28, 0);
	if (crc32_buf(buf, n) != crc)
		return -1;
	*seq = get_le64(buf + 8);
	if (*seq >= MC_MAX_SEQ)
		return -1;
	if (memcmp(payload_of(stream, *seq), buf + MC_HDR_LEN,
		   n - MC_HDR_LEN) != 0)
		return -1;
	return 0;
}

/* ---- the memory block ------------------------------------------------ */

static void
page_fill(struct mc_mem *m, uint64_t seed, size_t page)
{
	uint64_t *w = (uint64_t *)(m->block + page * MC_PAGE);
	uint64_t base = splitmix64(seed ^ ((uint64_t)page << 24) ^
			((uint64_t)m->gen[page] << 48));
	size_t i;

	for (i = 0; i < MC_PAGE / 8; i++)
		w[i] = base ^ splitmix64(base + i);
}

static int
page_ok(const struct mc_mem *m, uint64_t seed, size_t page)
{
	const uint64_t *w = (const uint64_t *)(m->block + page * MC_PAGE);
	uint64_t base = splitmix64(seed ^ ((uint64_t)page << 24) ^
			((uint64_t)m->gen[page] << 48));
	size_t i;

	for (i = 0; i < MC_PAGE / 8; i++)
		if (w[i] != (base ^ splitmix64(base + i)))
			return 0;
	return 1;
}

static int
mem_init(struct mc_mem *m, size_t mb, uint64_t seed)
{
	size_t p;

	m->pages = mb * 1024 * 1024 / MC_PAGE;
	m->block = mmap(NULL, m->pages * MC_PAGE, PROT_READ | PROT_WRITE,
			MAP_PRIVATE | MAP_ANONYMOUS | MAP_POPULATE, -1, 0);
	m->gen = calloc(m->pages, sizeof(*m->gen));
	if (m->block == MAP_FAILED || m->gen == NULL)
		return -1;
	for (p = 0; p < m->pages; p++)
		page_fill(m, seed, p);
	m->cursor = 0;
	m->writes = 0;
	return 0;
}

static void
mem_churn(struct mc_mem *m, uint64_t seed, uint64_t npages)
{
	while (npages-- > 0) {
		size_t p = m->cursor;

		m->gen[p]++;
		page_fill(m, seed, p);
		m->writes++;
		m->cursor = (p + 1) % m->pages;
	}
}

/* Every page against its generation; the generations against the count
 * of rewrites (a lost page of gen[] itself shows up there). */
static void
mem_check(const struct mc_mem *m, uint64_t seed, uint64_t *bad,
	  uint64_t *first_bad, uint64_t *digest, int *gen_ok)
{
	uint64_t sum = 0, h = 0xcbf29ce484222325ULL;
	size_t p, i;

	*bad = 0;
	*first_bad = UINT64_MAX;
	for (p = 0; p < m->pages; p++) {
		const uint64_t *w = (const uint64_t *)(m->block + p * MC_PAGE);

		if (!page_ok(m, seed, p)) {
			if (*bad == 0)
				*first_bad = p;
			(*bad)++;
		}
		sum += m->gen[p];
		/* a digest of the whole block, only to be printed */
		for (i = 0; i < MC_PAGE / 8; i += 64)
			h = (h ^ w[i]) * 0x100000001b3ULL;
	}
	*digest = h;
	*gen_ok = sum == m->writes;
}

static uint64_t
hot_word(size_t page, size_t i)
{
	return splitmix64(((uint64_t)page << 32) | i | (UINT64_C(1) << 63));
}

static int
hot_init(struct mc_hot *h)
{
	size_t p, i;

	h->pages = mmap(NULL, MC_HOT_PAGES * MC_PAGE, PROT_READ | PROT_WRITE,
			MAP_PRIVATE | MAP_ANONYMOUS | MAP_POPULATE, -1, 0);
	if (h->pages == MAP_FAILED)
		return -1;
	for (p = 0; p < MC_HOT_PAGES; p++)
		for (i = 1; i < MC_PAGE / 8; i++)
			h->pages[p * (MC_PAGE / 8) + i] = hot_word(p, i);
	h->round = 0;
	return 0;
}

static void
hot_touch(struct mc_hot *h)
{
	volatile uint64_t *w = h->pages;
	size_t p;

	h->round++;
	for (p = 0; p < MC_HOT_PAGES; p++)
		w[p * (MC_PAGE / 8)] = h->round;
}

/*
 * @return 1 if the rounds form a staircase (non-increasing, at most one
 * apart) and the content beyond word 0 is intact; the lowest and highest
 * round and the first page out of step are returned too.
 */
static int
hot_check(const struct mc_hot *h, uint64_t *lo, uint64_t *hi, int *bad_page)
{
	uint64_t prev = UINT64_MAX;
	size_t p, i;
	int ok = 1;

	*lo = UINT64_MAX;
	*hi = 0;
	*bad_page = -1;
	for (p = 0; p < MC_HOT_PAGES; p++) {
		uint64_t r = h->pages[p * (MC_PAGE / 8)];

		if (r > prev && *bad_page < 0)
			*bad_page = (int)p;
		prev = r;
		if (r < *lo)
			*lo = r;
		if (r > *hi)
			*hi = r;
		for (i = 1; i < MC_PAGE / 8; i++)
			if (h->pages[p * (MC_PAGE / 8) + i] != hot_word(p, i)) {
				if (*bad_page < 0)
					*bad_page = (int)p;
				ok = 0;
				break;
			}
	}
	return ok && *bad_page < 0 && *hi - *lo <= 1;
}

/* ---- the guest's UDP counters ---------------------------------------- */

/* "Udp: InDatagrams NoPorts InErrors ... RcvbufErrors ... InCsumErrors" */
static void
udp_snmp(char *out, size_t len)
{
	char names[512], values[512];
	char *sn, *sv, *n, *v;
	FILE *f = fopen("/proc/net/snmp", "r");
	size_t used = 0;

	out[0] = '\0';
	if (f == NULL)
		return;
	while (fgets(names, sizeof(names), f) != NULL) {
		if (strncmp(names, "Udp: ", 5) != 0)
			continue;
		if (fgets(values, sizeof(values), f) == NULL)
			break;
		n = strtok_r(names + 5, " \n", &sn);
		v = strtok_r(values + 5, " \n", &sv);
		while (n != NULL && v != NULL) {
			if (strcmp(n, "InErrors") == 0 ||
			    strcmp(n, "RcvbufErrors") == 0 ||
			    strcmp(n, "InCsumErrors") == 0 ||
			    strcmp(n, "SndbufErrors") == 0) {
				int r = snprintf(out + used, len - used,
						 " udp_%s=%s", n, v);

				if (r > 0 && (size_t)r < len - used)
					used += (size_t)r;
			}
			n = strtok_r(NULL, " \n", &sn);
			v = strtok_r(NULL, " \n", &sv);
		}
		break;
	}
	fclose(f);
}

static uint64_t
sysfs_u64(const char *path)
{
	FILE *f = fopen(path, "r");
	unsigned long long v = 0;

	if (f != NULL) {
		if (fscanf(f, "%llu", &v) != 1)
			v = 0;
		fclose(f);
	}
	return v;
}

/* Interrupts taken by the virtio devices so far (every CPU, every line of
 * /proc/interrupts that names virtio): shows whether the guest is being
 * notified when a stream stalls. */
static uint64_t
virtio_irqs(void)
{
	char line[512];
	uint64_t sum = 0;
	FILE *f = fopen("/proc/interrupts", "r");

	if (f == NULL)
		return 0;
	while (fgets(line, sizeof(line), f) != NULL) {
		char *p, *end;

		if (strstr(line, "virtio") == NULL)
			continue;
		p = strchr(line, ':');
		if (p == NULL)
			continue;
		p++;
		for (;;) {
			unsigned long long v = strtoull(p, &end, 10);

			if (end == p)
				break;
			sum += v;
			p = end;
		}
	}
	fclose(f);
	return sum;
}

/* ---- main loop ------------------------------------------------------- */

struct mc_cfg {
	struct sockaddr_in peer;	/* host stream receiver */
	uint16_t rx_port, ctl_port;
	uint64_t rate, size, mem_mb, churn_kbps, seed, report_s;
};

struct mc_state {
	struct mc_cfg cfg;
	struct mc_rx rx;
	struct mc_mem mem;
	struct mc_hot hot;
	int rx_fd, tx_fd, ctl_fd;
	int started, stopping, stopped;
	uint64_t tx_seq;		/* datagrams sent so far */
	uint64_t tx_retry, tx_err;
	int tx_blocked;			/* the last send failed: wait a bit */
	int64_t t_start, next_tx, next_churn, next_report, last_rx;
	int64_t stop_at, drain_until, linger_until;
	uint64_t host_sent;		/* from STOP */
	uint64_t mem_bad, mem_first_bad, mem_digest;
	int mem_gen_ok;
	uint64_t hot_lo, hot_hi;
	int hot_ok, hot_bad_page;
	char done[1400];		/* the DONE answer, once computed */
};

static int
udp_socket(uint16_t port, int rcvbuf)
{
	struct sockaddr_in sa = { .sin_family = AF_INET,
				  .sin_addr.s_addr = htonl(INADDR_ANY) };
	int fd = socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK, 0);

	if (fd < 0)
		return -1;
	if (rcvbuf > 0)
		setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &rcvbuf, sizeof(rcvbuf));
	sa.sin_port = htons(port);
	if (port != 0 && bind(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		close(fd);
		return -1;
	}
	return fd;
}

static void
rx_drain(struct mc_state *s)
{
	static uint8_t bufs[MC_RX_BATCH][MC_MAX_LEN + 64];
	struct mmsghdr msgs[MC_RX_BATCH];
	struct iovec iov[MC_RX_BATCH];
	int i, n;

	for (;;) {
		for (i = 0; i < MC_RX_BATCH; i++) {
			iov[i].iov_base = bufs[i];
			iov[i].iov_len = sizeof(bufs[i]);
			memset(&msgs[i], 0, sizeof(msgs[i]));
			msgs[i].msg_hdr.msg_iov = &iov[i];
			msgs[i].msg_hdr.msg_iovlen = 1;
		}
		n = recvmmsg(s->rx_fd, msgs, MC_RX_BATCH, MSG_DONTWAIT, NULL);
		if (n <= 0)
			return;
		s->last_rx = now_ns();
		for (i = 0; i < n; i++) {
			uint64_t seq;

			if (dgram_check(bufs[i], msgs[i].msg_len, MC_STREAM_H2G,
					&seq) < 0) {
				s->rx.corrupt++;
				continue;
			}
			if (s->rx.seen[seq >> 3] & (1u << (seq & 7))) {
				s->rx.dup++;
				continue;
			}
			s->rx.seen[seq >> 3] |= (uint8_t)(1u << (seq & 7));
			s->rx.unique++;
			if (s->rx.any && seq < s->rx.highest)
				s->rx.ooo++;
			if (!s->rx.any || seq > s->rx.highest)
				s->rx.highest = seq;
			s->rx.any = 1;
		}
	}
}

static void
tx_run(struct mc_state *s, int64_t now)
{
	static uint8_t buf[MC_MAX_LEN];
	int burst = 0;

	/* After a pause (the guest was stopped for the switchover) start
	 * again from now: pacing is about the rate, not about catching up. */
	if (now - s->next_tx > MC_CATCHUP_NS)
		s->next_tx = now;
	s->tx_blocked = 0;
	while (s->next_tx <= now && burst < MC_TX_BURST) {
		size_t len = dgram_build(buf, s->cfg.size, MC_STREAM_G2H,
					 s->tx_seq);
		ssize_t n = sendto(s->tx_fd, buf, len, 0,
				   (struct sockaddr *)&s->cfg.peer,
				   sizeof(s->cfg.peer));

		if (n < 0) {
			/* with IP_RECVERR a full qdisc says ENOBUFS instead
			 * of dropping silently: the same seq goes again */
			if (errno == EAGAIN || errno == ENOBUFS ||
			    errno == ECONNREFUSED || errno == EINTR)
				s->tx_retry++;
			else
				s->tx_err++;
			if (errno == ECONNREFUSED) {
				char eb[256];

				recv(s->tx_fd, eb, sizeof(eb), MSG_ERRQUEUE |
				     MSG_DONTWAIT);
			}
			s->tx_blocked = 1;
			return;
		}
		s->tx_seq++;
		s->next_tx += (int64_t)(1000000000ULL / s->cfg.rate);
		burst++;
	}
}

static void
status_line(struct mc_state *s, char *out, size_t len)
{
	snprintf(out, len,
		 "t=%.1f rx=%" PRIu64 " dup=%" PRIu64 " corrupt=%" PRIu64
		 " ooo=%" PRIu64 " highest=%" PRIu64 " tx=%" PRIu64
		 " tx_retry=%" PRIu64 " tx_err=%" PRIu64 " mem_writes=%" PRIu64
		 " hot_round=%" PRIu64 " virtio_irqs=%" PRIu64,
		 (double)(now_ns() - s->t_start) / 1e9, s->rx.unique, s->rx.dup,
		 s->rx.corrupt, s->rx.ooo, s->rx.any ? s->rx.highest : 0,
		 s->tx_seq, s->tx_retry, s->tx_err, s->mem.writes,
		 s->hot.round, virtio_irqs());
}

/* After the drain: count losses, check the memory, build DONE. */
static void
finish(struct mc_state *s)
{
	char ranges[700], snmp[256], st[512];
	uint64_t lost = 0, seq, start = 0, nranges = 0, limit;
	size_t used = 0;
	int in_gap = 0, r;

	ranges[0] = '\0';
	limit = s->host_sent < MC_MAX_SEQ ? s->host_sent : MC_MAX_SEQ;
	for (seq = 0; seq <= limit; seq++) {
		int have = seq < limit &&
			(s->rx.seen[seq >> 3] & (1u << (seq & 7)));

		if (seq < limit && !have) {
			lost++;
			if (!in_gap)
				start = seq;
			in_gap = 1;
			continue;
		}
		if (in_gap) {
			if (nranges < MC_MAX_RANGES) {
				r = snprintf(ranges + used, sizeof(ranges) - used,
					     "%s%" PRIu64 "-%" PRIu64,
					     nranges ? "," : "", start, seq - 1);
				if (r > 0 && (size_t)r < sizeof(ranges) - used)
					used += (size_t)r;
			}
			nranges++;
			in_gap = 0;
		}
	}
	mem_check(&s->mem, s->cfg.seed, &s->mem_bad, &s->mem_first_bad,
		  &s->mem_digest, &s->mem_gen_ok);
	s->hot_ok = hot_check(&s->hot, &s->hot_lo, &s->hot_hi,
			      &s->hot_bad_page);
	udp_snmp(snmp, sizeof(snmp));
	status_line(s, st, sizeof(st));

	printf("SVQ-RESULT migcheck_rx host_sent=%" PRIu64 " unique=%" PRIu64
	       " dup=%" PRIu64 " corrupt=%" PRIu64 " ooo=%" PRIu64
	       " lost=%" PRIu64 " lost_ranges=%" PRIu64 " [%s]%s"
	       " rx_dropped=%" PRIu64 "\n",
	       s->host_sent, s->rx.unique, s->rx.dup, s->rx.corrupt, s->rx.ooo,
	       lost, nranges, ranges, snmp,
	       sysfs_u64("/sys/class/net/eth0/statistics/rx_dropped"));
	printf("SVQ-RESULT migcheck_tx sent=%" PRIu64 " retry=%" PRIu64
	       " err=%" PRIu64 " tx_dropped=%" PRIu64 "\n",
	       s->tx_seq, s->tx_retry, s->tx_err,
	       sysfs_u64("/sys/class/net/eth0/statistics/tx_dropped"));
	printf("SVQ-RESULT memcheck pages=%zu writes=%" PRIu64 " bad=%" PRIu64
	       " first_bad=%" PRId64 " gen_sum_ok=%d digest=%016" PRIx64
	       " hot_pages=%d hot_rounds=%" PRIu64 "..%" PRIu64
	       " hot_last=%" PRIu64 " hot_bad_page=%d hot_ok=%d ok=%d\n",
	       s->mem.pages, s->mem.writes, s->mem_bad,
	       s->mem_bad ? (int64_t)s->mem_first_bad : -1, s->mem_gen_ok,
	       s->mem_digest, MC_HOT_PAGES, s->hot_lo, s->hot_hi,
	       s->hot.round, s->hot_bad_page, s->hot_ok,
	       s->mem_bad == 0 && s->mem_gen_ok && s->hot_ok);
	fflush(stdout);

	snprintf(s->done, sizeof(s->done),
		 "DONE rx_unique=%" PRIu64 " rx_dup=%" PRIu64
		 " rx_corrupt=%" PRIu64 " rx_ooo=%" PRIu64 " rx_lost=%" PRIu64
		 " host_sent=%" PRIu64 " tx_sent=%" PRIu64 " tx_retry=%" PRIu64
		 " tx_err=%" PRIu64 " mem_pages=%zu mem_writes=%" PRIu64
		 " mem_bad=%" PRIu64 " mem_gen_ok=%d hot_ok=%d"
		 " hot_spread=%" PRIu64 " hot_bad_page=%d mem_ok=%d%s"
		 " lost_nranges=%" PRIu64 " lost_ranges=%s",
		 s->rx.unique, s->rx.dup, s->rx.corrupt, s->rx.ooo, lost,
		 s->host_sent, s->tx_seq, s->tx_retry, s->tx_err,
		 s->mem.pages, s->mem.writes, s->mem_bad, s->mem_gen_ok,
		 s->hot_ok, s->hot_hi - s->hot_lo, s->hot_bad_page,
		 s->mem_bad == 0 && s->mem_gen_ok && s->hot_ok, snmp, nranges,
		 ranges[0] ? ranges : "-");
}

static void
ctl_handle(struct mc_state *s)
{
	char buf[256], reply[1400];
	struct sockaddr_in from;
	socklen_t fl;
	ssize_t n;

	for (;;) {
		fl = sizeof(from);
		n = recvfrom(s->ctl_fd, buf, sizeof(buf) - 1, MSG_DONTWAIT,
			     (struct sockaddr *)&from, &fl);
		if (n < 0)
			return;
		buf[n] = '\0';
		reply[0] = '\0';
		if (strncmp(buf, "START", 5) == 0) {
			if (!s->started) {
				int64_t now = now_ns();

				s->started = 1;
				s->next_tx = now;
				s->next_churn = now;
				printf("SVQ-RESULT migcheck started\n");
				fflush(stdout);
			}
			snprintf(reply, sizeof(reply), "STARTED");
		} else if (strncmp(buf, "STATUS", 6) == 0) {
			char st[512];

			status_line(s, st, sizeof(st));
			snprintf(reply, sizeof(reply), "STATUS %s%s", st,
				 s->stopped ? " stopped=1" : "");
		} else if (strncmp(buf, "STOP sent=", 10) == 0) {
			if (!s->stopping) {
				s->host_sent = strtoull(buf + 10, NULL, 10);
				s->stopping = 1;
				s->stop_at = now_ns();
				s->drain_until = s->stop_at + MC_DRAIN_MAX_NS;
			}
			if (s->stopped)
				snprintf(reply, sizeof(reply), "%s", s->done);
			else
				snprintf(reply, sizeof(reply), "STOPPING");
		} else {
			snprintf(reply, sizeof(reply), "ERROR unknown command");
		}
		sendto(s->ctl_fd, reply, strlen(reply), 0,
		       (struct sockaddr *)&from, fl);
	}
}

static int
parse_kv(struct mc_cfg *c, const char *arg)
{
	static const struct { const char *key; size_t off; } keys[] = {
		{ "rate", offsetof(struct mc_cfg, rate) },
		{ "size", offsetof(struct mc_cfg, size) },
		{ "mem_mb", offsetof(struct mc_cfg, mem_mb) },
		{ "churn_kbps", offsetof(struct mc_cfg, churn_kbps) },
		{ "seed", offsetof(struct mc_cfg, seed) },
		{ "report_s", offsetof(struct mc_cfg, report_s) },
	};
	const char *eq = strchr(arg, '=');
	size_t i;

	if (eq == NULL)
		return -1;
	for (i = 0; i < sizeof(keys) / sizeof(keys[0]); i++) {
		char *end;

		if (strlen(keys[i].key) != (size_t)(eq - arg) ||
		    strncmp(arg, keys[i].key, (size_t)(eq - arg)) != 0)
			continue;
		errno = 0;
		*(uint64_t *)((char *)c + keys[i].off) =
			strtoull(eq + 1, &end, 0);
		return errno == 0 && end != eq + 1 && *end == '\0' ? 0 : -1;
	}
	return -1;
}

static int
cmd_run(int argc, char **argv)
{
	static struct mc_state s;
	struct pollfd pfd[2];
	int one = 1, i;

	s.cfg = (struct mc_cfg){ .peer = { .sin_family = AF_INET },
		.rate = 1000, .size = 512, .mem_mb = 64, .churn_kbps = 2048,
		.seed = 1, .report_s = 2 };
	if (argc < 6 || inet_pton(AF_INET, argv[2], &s.cfg.peer.sin_addr) != 1)
		goto usage;
	s.cfg.rx_port = (uint16_t)strtoul(argv[3], NULL, 10);
	s.cfg.peer.sin_port = htons((uint16_t)strtoul(argv[4], NULL, 10));
	s.cfg.ctl_port = (uint16_t)strtoul(argv[5], NULL, 10);
	for (i = 6; i < argc; i++)
		if (parse_kv(&s.cfg, argv[i]) < 0)
			goto usage;
	if (s.cfg.rx_port == 0 || s.cfg.ctl_port == 0 ||
	    s.cfg.peer.sin_port == 0 || s.cfg.rate == 0 ||
	    s.cfg.rate > 1000000 || s.cfg.size < MC_HDR_LEN ||
	    s.cfg.size > MC_MAX_LEN || s.cfg.mem_mb == 0 ||
	    s.cfg.mem_mb > 1024 || s.cfg.report_s == 0)
		goto usage;

	crc32_init();
	pattern_init();
	s.rx.seen = calloc(MC_MAX_SEQ / 8, 1);
	if (s.rx.seen == NULL || mem_init(&s.mem, s.cfg.mem_mb, s.cfg.seed) < 0 ||
	    hot_init(&s.hot) < 0) {
		printf("SVQ-RESULT migcheck error=no memory for %" PRIu64 " MiB\n",
		       s.cfg.mem_mb);
		return 1;
	}
	s.rx_fd = udp_socket(s.cfg.rx_port, 4 << 20);
	s.ctl_fd = udp_socket(s.cfg.ctl_port, 0);
	s.tx_fd = udp_socket(0, 0);
	if (s.rx_fd < 0 || s.ctl_fd < 0 || s.tx_fd < 0) {
		printf("SVQ-RESULT migcheck error=socket:%s\n", strerror(errno));
		return 1;
	}
	setsockopt(s.tx_fd, IPPROTO_IP, IP_RECVERR, &one, sizeof(one));

	s.t_start = now_ns();
	s.next_report = s.t_start;
	printf("SVQ-RESULT migcheck ready pages=%zu rate=%" PRIu64 " size=%" PRIu64
	       " churn_kbps=%" PRIu64 "\n", s.mem.pages, s.cfg.rate, s.cfg.size,
	       s.cfg.churn_kbps);
	fflush(stdout);

	pfd[0] = (struct pollfd){ .fd = s.rx_fd, .events = POLLIN };
	pfd[1] = (struct pollfd){ .fd = s.ctl_fd, .events = POLLIN };
	for (;;) {
		int64_t now = now_ns(), wait_ns = 100000000LL;

		rx_drain(&s);
		ctl_handle(&s);
		now = now_ns();
		if (s.started && !s.stopping) {
			hot_touch(&s.hot);
			tx_run(&s, now);
			if (s.cfg.churn_kbps > 0 && s.next_churn <= now) {
				/* a 10 ms slice of the churn rate, no catching up */
				uint64_t pages = s.cfg.churn_kbps * 1024 / MC_PAGE / 100;

				mem_churn(&s.mem, s.cfg.seed, pages ? pages : 1);
				s.next_churn += 10000000LL;
				if (now - s.next_churn > MC_CATCHUP_NS)
					s.next_churn = now;
			}
		}
		if (s.stopping && !s.stopped) {
			/* drained: quiet for a second, or the limit */
			if ((now - s.last_rx > MC_DRAIN_QUIET_NS &&
			     now - s.stop_at > MC_DRAIN_QUIET_NS) ||
			    now > s.drain_until) {
				finish(&s);
				s.stopped = 1;
				s.linger_until = now_ns() + MC_LINGER_NS;
			}
		}
		if (s.stopped && now_ns() > s.linger_until)
			break;
		if (now >= s.next_report) {
			char st[512];

			status_line(&s, st, sizeof(st));
			printf("SVQ-PROGRESS %s\n", st);
			fflush(stdout);
			s.next_report = now + (int64_t)s.cfg.report_s * 1000000000LL;
		}
		if (s.started && !s.stopping) {
			int64_t d = s.next_tx - now_ns();

			if (s.tx_blocked && d < 1000000LL)
				d = 1000000LL;
			if (d < wait_ns)
				wait_ns = d;
			if (s.cfg.churn_kbps > 0 && s.next_churn - now < wait_ns)
				wait_ns = s.next_churn - now;
		}
		if (wait_ns < 0)
			wait_ns = 0;
		poll(pfd, 2, (int)((wait_ns + 999999) / 1000000));
	}
	return s.mem_bad == 0 && s.mem_gen_ok && s.hot_ok ? 0 : 1;

usage:
	fprintf(stderr, "usage: migcheck run PEER RX_PORT TX_PORT CTL_PORT"
		" [rate=N] [size=N] [mem_mb=N] [churn_kbps=N] [seed=N]"
		" [report_s=N]\n");
	return 2;
}

int
main(int argc, char **argv)
{
	if (argc >= 2 && strcmp(argv[1], "run") == 0)
		return cmd_run(argc, argv);
	fprintf(stderr, "usage: migcheck run PEER RX_PORT TX_PORT CTL_PORT"
		" [KEY=VALUE...]\n");
	return 2;
}
