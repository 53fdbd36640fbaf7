/* SPDX-License-Identifier: BSD-3-Clause */

/*
 * svq-pktcheck: a DPDK guest that checks a loopback data path exactly.
 *
 * It drives one ethdev port (normally net_virtio_user connected to the
 * vhost-user backend under test), sends N frames spread over all TX queues
 * and expects the device to loop TX queue q back to RX queue q. Every frame
 * carries a header with a magic, its sequence number, the TX queue it was
 * sent on, its length and a CRC32C over the whole frame; sizes and payload
 * are derived from the sequence number, so the receiver can recompute what
 * each frame must look like without keeping a copy of it.
 *
 * Sending is paced: at most --window frames per queue are in flight, and
 * a burst the PMD refuses (ring full) is kept and retried, so the checker
 * itself never drops a frame.
 *
 * At the end one machine-readable line is printed on stdout:
 *   PKTCHECK sent=N received=N lost=0 dup=0 corrupt=0 misqueued=0 foreign=0 mpps=X.XX
 *   sent       frames handed to the PMD (N when the run completes)
 *   received   valid frames of ours received, duplicates included
 *   lost       sent frames never received intact (a corrupt one is lost too)
 *   dup        extra copies of frames already received
 *   corrupt    frames with our EtherType that fail the length/CRC/field checks
 *   misqueued  valid frames received on another queue than they were sent on
 *   foreign    frames that are not ours (other EtherType, runts)
 *   mpps       received frames per second from the first to the last one back
 * and the exit status is 0 only if every frame came back exactly once,
 * intact, on the RX queue of its pair, and nothing foreign arrived (unless
 * --allow-foreign). Bad arguments exit with 2.
 *
 * --inject makes the sender damage selected frames on purpose (drop, dup,
 * corrupt, misqueue, foreign), to show that the checker catches each kind.
 *
 * --pingpong N measures round-trip latency instead of rate: on queue 0,
 * one frame at a time, it sends a frame and busy-polls RX until that very
 * frame is back (checked like any other), N times after --warmup W round
 * trips that are not counted, and prints one more line before PKTCHECK:
 *   LATENCY n=N median_us=X p99_us=X max_us=X min_us=X mean_us=X
 * Each round trip is timed with the TSC from just before rte_eth_tx_burst
 * to the rte_eth_rx_burst that returns the frame; building and checking
 * the frame are outside the interval. A frame that does not come back
 * within --stall ms ends the run (status 1).
 *
 * Threat model: whatever arrives on RX is produced by the device under test
 * and may be truncated, corrupted, duplicated or not ours at all; nothing in
 * a received frame is trusted before its length and CRC have been checked.
 */

#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <rte_byteorder.h>
#include <rte_common.h>
#include <rte_cycles.h>
#include <rte_eal.h>
#include <rte_errno.h>
#include <rte_ethdev.h>
#include <rte_ether.h>
#include <rte_hash_crc.h>
#include <rte_lcore.h>
#include <rte_log.h>
#include <rte_mbuf.h>
#include <rte_mempool.h>

RTE_LOG_REGISTER(pc_logtype, svq.pktcheck, INFO);
#define PC_LOG(level, fmt, ...) \
	rte_log(RTE_LOG_ ## level, pc_logtype, "pktcheck: " fmt "\n", \
		##__VA_ARGS__)

#define PC_EXIT_OK	0
#define PC_EXIT_FAIL	1
#define PC_EXIT_USAGE	2

/* IEEE 802 "local experimental" EtherType: no real stack claims it. */
#define PC_ETHERTYPE	0x88b5
#define PC_MAGIC	0x53565143u	/* "SVQC" */

#define PC_BURST_MAX	64
/* Own frames fill at most PC_BURST_MAX; injected copies and frames pushed
 * over from a neighbour (--inject) need as much again.
 */
#define PC_PENDING_MAX	(2 * PC_BURST_MAX)
#define PC_OWNER_EXTRA	(-1)
#define PC_QUEUES_MAX	RTE_MAX_QUEUES_PER_PORT
/* Ethernet frame without FCS; larger frames would need chained mbufs. */
#define PC_FRAME_MAX	(RTE_ETHER_MAX_LEN - RTE_ETHER_CRC_LEN)
#define PC_FRAME_MIN	(RTE_ETHER_MIN_LEN - RTE_ETHER_CRC_LEN)
#define PC_WINDOW_MAX	4096
/* Ring size assumed when sizing the mbuf pool (virtio_user's queue_size
 * defaults to 256). A bigger ring only means RX refills or TX builds wait
 * for mbufs to come back, never a deadlock: frames in flight are bounded
 * by the window.
 */
#define PC_RING_SIZING	1024

struct pc_hdr {
	rte_be32_t magic;
	rte_be32_t seq;
	rte_be16_t txq;
	rte_be16_t len;		/* whole frame, Ethernet header included */
	rte_be32_t crc;		/* CRC32C of the frame with this field zero */
} __rte_packed;

#define PC_HDR_OFF	sizeof(struct rte_ether_hdr)
#define PC_CRC_OFF	(PC_HDR_OFF + offsetof(struct pc_hdr, crc))
#define PC_PAYLOAD_OFF	(PC_HDR_OFF + sizeof(struct pc_hdr))

/* Faults the sender can inject on purpose, so that a test can prove the
 * checker notices each kind of damage a broken data path can do.
 */
enum pc_inject {
	PC_INJECT_NONE,
	PC_INJECT_DROP,		/* count as sent, never send */
	PC_INJECT_DUP,		/* send an extra copy */
	PC_INJECT_CORRUPT,	/* flip a payload bit after the CRC */
	PC_INJECT_MISQUEUE,	/* send on the next queue */
	PC_INJECT_FOREIGN,	/* send an extra frame that is not ours */
};

static const char * const pc_inject_names[] = {
	[PC_INJECT_NONE] = "none",
	[PC_INJECT_DROP] = "drop",
	[PC_INJECT_DUP] = "dup",
	[PC_INJECT_CORRUPT] = "corrupt",
	[PC_INJECT_MISQUEUE] = "misqueue",
	[PC_INJECT_FOREIGN] = "foreign",
};

struct pc_config {
	uint64_t frames;
	uint16_t size_min;
	uint16_t size_max;
	uint16_t queues;	/* 0: every queue pair the port offers */
	unsigned int timeout_s;
	unsigned int stall_ms;
	unsigned int linger_ms;
	unsigned int window;
	unsigned int burst;
	bool dst_mac_set;
	bool allow_foreign;
	struct rte_ether_addr dst_mac;
	enum pc_inject inject;
	uint64_t inject_every;	/* fault on every seq with seq % every == every - 1 */
	uint64_t pingpong;	/* round trips timed; 0: rate mode */
	uint64_t warmup;	/* round trips before the timed ones */
};

/* All fields are touched by the main lcore only: the checker is single-threaded. */
struct pc_queue {
	uint64_t next_seq;	/* next sequence number this queue sends */
	uint64_t sent;		/* frames the PMD accepted */
	uint64_t returned;	/* first copies of this queue's frames seen back */
	uint64_t rx;		/* frames of ours received on this RX queue */
	uint16_t nb_pending;	/* built but not yet accepted by the PMD */
	struct rte_mbuf *pending[PC_PENDING_MAX];
	/* Queue whose window a pending frame belongs to, or PC_OWNER_EXTRA
	 * for an injected frame that is not one of the N.
	 */
	int16_t owner[PC_PENDING_MAX];
};

struct pc_stats {
	uint64_t sent;
	uint64_t received;	/* valid frames of ours, duplicates included */
	uint64_t unique;
	uint64_t dup;
	uint64_t corrupt;
	uint64_t misqueued;
	uint64_t foreign;
};

static volatile sig_atomic_t pc_quit;

static void
pc_signal(int signum)
{
	RTE_SET_USED(signum);
	pc_quit = 1;
}

static void
pc_usage(const char *prog)
{
	fprintf(stderr,
		"usage: %s [EAL options] -- --frames N --size S|MIN-MAX [options]\n"
		"  --frames N         frames to send (spread over all TX queues)\n"
		"  --size S|MIN-MAX   frame length in bytes without FCS (%u..%u);\n"
		"                     a range picks a deterministic size per frame\n"
		"  --timeout SEC      give up after SEC seconds (default 30)\n"
		"  --stall MS         give up after MS ms without progress (default 3000)\n"
		"  --linger MS        keep polling MS ms after the last frame to catch\n"
		"                     duplicates (default 100)\n"
		"  --queues Q         queue pairs to use (default: all of the port)\n"
		"  --window W         max frames in flight per queue (default 128;\n"
		"                     keep it below the ring size)\n"
		"  --burst B          TX burst size (1..%u, default 32)\n"
		"  --dst-mac MAC      destination MAC (default: the port's own MAC)\n"
		"  --allow-foreign    do not fail on frames that are not ours\n"
		"  --inject KIND:K    fault injection to test the checker itself, on\n"
		"                     every K-th frame; KIND: drop, dup, corrupt,\n"
		"                     misqueue, foreign\n"
		"  --pingpong N       latency instead of rate: N timed round trips of\n"
		"                     one frame on queue 0 (replaces --frames)\n"
		"  --warmup W         untimed round trips before them (default 1000)\n",
		prog, PC_FRAME_MIN, PC_FRAME_MAX, PC_BURST_MAX);
}

static int
pc_parse_u64(const char *s, uint64_t min, uint64_t max, uint64_t *out)
{
	char *end;
	unsigned long long v;

	if (s == NULL || *s == '\0' || *s == '-')
		return -EINVAL;
	errno = 0;
	v = strtoull(s, &end, 0);
	if (errno != 0 || *end != '\0' || v < min || v > max)
		return -EINVAL;
	*out = v;
	return 0;
}

static int
pc_parse_inject(const char *s, struct pc_config *cfg)
{
	const char *colon = strchr(s, ':');
	unsigned int i;

	if (colon == NULL)
		return -EINVAL;
	for (i = 1; i < RTE_DIM(pc_inject_names); i++) {
		if (strlen(pc_inject_names[i]) == (size_t)(colon - s) &&
		    strncmp(s, pc_inject_names[i], colon - s) == 0)
			break;
	}
	if (i == RTE_DIM(pc_inject_names))
		return -EINVAL;
	cfg->inject = i;
	return pc_parse_u64(colon + 1, 1, UINT32_MAX, &cfg->inject_every);
}

static int
pc_parse_size(const char *s, struct pc_config *cfg)
{
	char buf[64];
	char *dash;
	uint64_t lo, hi;

	if (strlen(s) >= sizeof(buf))
		return -EINVAL;
	strcpy(buf, s);
	dash = strchr(buf, '-');
	if (dash != NULL)
		*dash = '\0';
	if (pc_parse_u64(buf, PC_FRAME_MIN, PC_FRAME_MAX, &lo) < 0)
		return -EINVAL;
	hi = lo;
	if (dash != NULL &&
	    pc_parse_u64(dash + 1, PC_FRAME_MIN, PC_FRAME_MAX, &hi) < 0)
		return -EINVAL;
	if (hi < lo)
		return -EINVAL;
	cfg->size_min = lo;
	cfg->size_max = hi;
	return 0;
}

/* Returns 0, or -EINVAL after printing a one-line reason. */
static int
pc_parse_args(int argc, char **argv, struct pc_config *cfg)
{
	enum {
		OPT_FRAMES = 256, OPT_SIZE, OPT_TIMEOUT, OPT_STALL, OPT_LINGER,
		OPT_QUEUES, OPT_WINDOW, OPT_BURST, OPT_DST_MAC,
		OPT_ALLOW_FOREIGN, OPT_INJECT, OPT_PINGPONG, OPT_WARMUP,
		OPT_HELP,
	};
	static const struct option opts[] = {
		{ "frames", required_argument, NULL, OPT_FRAMES },
		{ "size", required_argument, NULL, OPT_SIZE },
		{ "timeout", required_argument, NULL, OPT_TIMEOUT },
		{ "stall", required_argument, NULL, OPT_STALL },
		{ "linger", required_argument, NULL, OPT_LINGER },
		{ "queues", required_argument, NULL, OPT_QUEUES },
		{ "window", required_argument, NULL, OPT_WINDOW },
		{ "burst", required_argument, NULL, OPT_BURST },
		{ "dst-mac", required_argument, NULL, OPT_DST_MAC },
		{ "allow-foreign", no_argument, NULL, OPT_ALLOW_FOREIGN },
		{ "inject", required_argument, NULL, OPT_INJECT },
		{ "pingpong", required_argument, NULL, OPT_PINGPONG },
		{ "warmup", required_argument, NULL, OPT_WARMUP },
		{ "help", no_argument, NULL, OPT_HELP },
		{ NULL, 0, NULL, 0 },
	};
	bool have_frames = false, have_size = false;
	uint64_t v;
	int opt, idx = 0;

	*cfg = (struct pc_config){
		.timeout_s = 30,
		.stall_ms = 3000,
		.linger_ms = 100,
		.window = 128,
		.burst = 32,
		.warmup = 1000,
	};

	/* argv[0] is the program name (rte_eal_init leaves it in place). */
	optind = 1;
	opterr = 0;
	while ((opt = getopt_long(argc, argv, "", opts, &idx)) != -1) {
		switch (opt) {
		case OPT_FRAMES:
			/* seq travels as 32 bits on the wire */
			if (pc_parse_u64(optarg, 1, UINT32_MAX, &cfg->frames) < 0)
				goto bad_value;
			have_frames = true;
			break;
		case OPT_SIZE:
			if (pc_parse_size(optarg, cfg) < 0)
				goto bad_value;
			have_size = true;
			break;
		case OPT_TIMEOUT:
			if (pc_parse_u64(optarg, 1, 86400, &v) < 0)
				goto bad_value;
			cfg->timeout_s = v;
			break;
		case OPT_STALL:
			if (pc_parse_u64(optarg, 1, 3600000, &v) < 0)
				goto bad_value;
			cfg->stall_ms = v;
			break;
		case OPT_LINGER:
			if (pc_parse_u64(optarg, 0, 60000, &v) < 0)
				goto bad_value;
			cfg->linger_ms = v;
			break;
		case OPT_QUEUES:
			if (pc_parse_u64(optarg, 1, PC_QUEUES_MAX, &v) < 0)
				goto bad_value;
			cfg->queues = v;
			break;
		case OPT_WINDOW:
			if (pc_parse_u64(optarg, 1, PC_WINDOW_MAX, &v) < 0)
				goto bad_value;
			cfg->window = v;
			break;
		case OPT_BURST:
			if (pc_parse_u64(optarg, 1, PC_BURST_MAX, &v) < 0)
				goto bad_value;
			cfg->burst = v;
			break;
		case OPT_DST_MAC:
			if (rte_ether_unformat_addr(optarg, &cfg->dst_mac) < 0)
				goto bad_value;
			cfg->dst_mac_set = true;
			break;
		case OPT_ALLOW_FOREIGN:
			cfg->allow_foreign = true;
			break;
		case OPT_INJECT:
			if (pc_parse_inject(optarg, cfg) < 0)
				goto bad_value;
			break;
		case OPT_PINGPONG:
			/* every round trip is a sequence number (32 bits) */
			if (pc_parse_u64(optarg, 1, UINT32_MAX / 2, &cfg->pingpong) < 0)
				goto bad_value;
			break;
		case OPT_WARMUP:
			if (pc_parse_u64(optarg, 0, UINT32_MAX / 2, &cfg->warmup) < 0)
				goto bad_value;
			break;
		case OPT_HELP:
			return -EINVAL;
		default:
			fprintf(stderr, "svq-pktcheck: unknown or incomplete option '%s'\n",
				argv[optind - 1]);
			return -EINVAL;
		}
	}
	if (optind < argc) {
		fprintf(stderr, "svq-pktcheck: unexpected argument '%s'\n",
			argv[optind]);
		return -EINVAL;
	}
	if (cfg->pingpong > 0) {
		if (have_frames || cfg->inject != PC_INJECT_NONE) {
			fprintf(stderr, "svq-pktcheck: --pingpong excludes --frames and --inject\n");
			return -EINVAL;
		}
		if (cfg->queues > 1) {
			fprintf(stderr, "svq-pktcheck: --pingpong uses one queue pair\n");
			return -EINVAL;
		}
		/* a frame's queue is its seq modulo the queues: one queue */
		cfg->queues = 1;
		/* the checker's bound on sequence numbers */
		cfg->frames = cfg->warmup + cfg->pingpong;
		have_frames = true;
	}
	if (!have_frames || !have_size) {
		fprintf(stderr, "svq-pktcheck: --frames (or --pingpong) and --size are required\n");
		return -EINVAL;
	}
	return 0;

bad_value:
	fprintf(stderr, "svq-pktcheck: invalid value '%s' for --%s\n",
		optarg, opts[idx].name);
	return -EINVAL;
}

/* splitmix64: cheap, well mixed, and the same on sender and receiver. */
static inline uint64_t
pc_mix(uint64_t x)
{
	x += 0x9e3779b97f4a7c15ull;
	x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ull;
	x = (x ^ (x >> 27)) * 0x94d049bb133111ebull;
	return x ^ (x >> 31);
}

static inline uint16_t
pc_frame_size(const struct pc_config *cfg, uint64_t seq)
{
	uint32_t span = cfg->size_max - cfg->size_min + 1;

	if (span == 1)
		return cfg->size_min;
	return cfg->size_min + pc_mix(seq) % span;
}

/* Payload bytes are a function of seq only, so a misdelivered frame's
 * payload cannot pass for another frame's. A Weyl sequence from a mixed
 * seed rather than a full PRNG: it costs one add per word and vectorises,
 * which keeps generation off the profile for 1500-byte frames (the CRC, not
 * the pattern, is what detects corruption).
 */
static void
pc_fill_payload(uint8_t *p, uint32_t len, uint64_t seq)
{
	uint64_t w = pc_mix(seq);
	uint32_t i, n = len / sizeof(w);

	for (i = 0; i < n; i++) {
		w += 0x9e3779b97f4a7c15ull;
		memcpy(p + i * sizeof(w), &w, sizeof(w));
	}
	w += 0x9e3779b97f4a7c15ull;
	memcpy(p + n * sizeof(w), &w, len % sizeof(w));
}

/* CRC32C over the frame, skipping the crc field itself (rte_hash_crc has no
 * final inversion, so it can be resumed from an intermediate value).
 */
static uint32_t
pc_frame_crc(const uint8_t *frame, uint32_t len)
{
	uint32_t crc;

	crc = rte_hash_crc(frame, PC_CRC_OFF, 0xffffffff);
	return rte_hash_crc(frame + PC_CRC_OFF + sizeof(uint32_t),
			    len - PC_CRC_OFF - sizeof(uint32_t), crc);
}

static int
pc_build_frame(struct rte_mbuf *m, const struct pc_config *cfg,
	       const struct rte_ether_addr *src, uint64_t seq, uint16_t q)
{
	uint16_t len = pc_frame_size(cfg, seq);
	struct rte_ether_hdr *eth;
	struct pc_hdr *hdr;
	uint8_t *frame;

	frame = (uint8_t *)rte_pktmbuf_append(m, len);
	if (frame == NULL)
		return -ENOSPC;
	eth = (struct rte_ether_hdr *)frame;
	rte_ether_addr_copy(&cfg->dst_mac, &eth->dst_addr);
	rte_ether_addr_copy(src, &eth->src_addr);
	eth->ether_type = rte_cpu_to_be_16(PC_ETHERTYPE);

	hdr = (struct pc_hdr *)(frame + PC_HDR_OFF);
	hdr->magic = rte_cpu_to_be_32(PC_MAGIC);
	hdr->seq = rte_cpu_to_be_32((uint32_t)seq);
	hdr->txq = rte_cpu_to_be_16(q);
	hdr->len = rte_cpu_to_be_16(len);
	hdr->crc = 0;
	pc_fill_payload(frame + PC_PAYLOAD_OFF, len - PC_PAYLOAD_OFF, seq);
	hdr->crc = rte_cpu_to_be_32(pc_frame_crc(frame, len));
	return 0;
}

struct pc_ctx {
	const struct pc_config *cfg;
	uint16_t port;
	uint16_t nb_queues;
	struct rte_ether_addr src_mac;
	struct rte_mempool *pool;
	struct pc_queue *queues;
	uint8_t *seen;		/* one byte per sequence number */
	struct pc_stats st;
	uint64_t now;		/* TSC read once per polling pass */
	uint64_t last_progress;	/* TSC of the last TX or RX of ours */
	uint64_t first_tx;
	uint64_t first_rx;
	uint64_t last_rx;
};

static inline bool
pc_enqueue(struct pc_queue *pq, struct rte_mbuf *m, int16_t owner)
{
	if (pq->nb_pending == PC_PENDING_MAX)
		return false;
	pq->owner[pq->nb_pending] = owner;
	pq->pending[pq->nb_pending++] = m;
	return true;
}

/* Queues frame m (one of the N, built for queue q) with the configured
 * fault applied. Called only for the frames selected by --inject.
 */
static void
pc_inject(struct pc_ctx *c, uint16_t q, struct rte_mbuf *m)
{
	struct pc_queue *pq = &c->queues[q];
	struct pc_queue *next = &c->queues[(q + 1) % c->nb_queues];
	struct rte_ether_hdr *eth;
	struct rte_mbuf *copy;

	switch (c->cfg->inject) {
	case PC_INJECT_DROP:
		rte_pktmbuf_free(m);
		pq->sent++;
		c->st.sent++;
		return;
	case PC_INJECT_CORRUPT:
		rte_pktmbuf_mtod(m, uint8_t *)[rte_pktmbuf_data_len(m) - 1] ^= 0x01;
		break;
	case PC_INJECT_MISQUEUE:
		/* owner stays q: the frame still belongs to q's window */
		if (c->nb_queues > 1 && pc_enqueue(next, m, q))
			return;
		break;
	case PC_INJECT_DUP:
	case PC_INJECT_FOREIGN:
		copy = rte_pktmbuf_copy(m, c->pool, 0, UINT32_MAX);
		if (copy == NULL)
			break;
		if (c->cfg->inject == PC_INJECT_FOREIGN) {
			eth = rte_pktmbuf_mtod(copy, struct rte_ether_hdr *);
			eth->ether_type = rte_cpu_to_be_16(PC_ETHERTYPE + 1);
		}
		pc_enqueue(pq, m, q);
		if (!pc_enqueue(pq, copy, PC_OWNER_EXTRA))
			rte_pktmbuf_free(copy);
		return;
	case PC_INJECT_NONE:
		break;
	}
	pc_enqueue(pq, m, q);
}

/* Builds new frames as far as the window allows, then pushes the pending
 * ones; frames the PMD refuses (ring full) stay pending and are retried on
 * the next pass, so nothing is ever dropped on our side.
 */
static void
pc_tx_queue(struct pc_ctx *c, uint16_t q)
{
	const struct pc_config *cfg = c->cfg;
	struct pc_queue *pq = &c->queues[q];
	struct rte_mbuf *m[PC_BURST_MAX];
	uint64_t in_flight = pq->sent - pq->returned + pq->nb_pending;
	unsigned int n = 0, i;
	uint64_t seq;
	uint16_t done;
	int16_t owner;

	while (pq->nb_pending + n < cfg->burst && in_flight + n < cfg->window &&
	       pq->next_seq + (uint64_t)n * c->nb_queues < cfg->frames)
		n++;
	if (n > 0 && rte_pktmbuf_alloc_bulk(c->pool, m, n) == 0) {
		for (i = 0; i < n; i++) {
			seq = pq->next_seq;
			pq->next_seq += c->nb_queues;
			/* cannot fail: sizes are bounded by PC_FRAME_MAX */
			pc_build_frame(m[i], cfg, &c->src_mac, seq, q);
			if (unlikely(cfg->inject != PC_INJECT_NONE &&
				     seq % cfg->inject_every ==
				     cfg->inject_every - 1))
				pc_inject(c, q, m[i]);
			else
				pc_enqueue(pq, m[i], q);
		}
	}
	if (pq->nb_pending == 0)
		return;

	done = rte_eth_tx_burst(c->port, q, pq->pending, pq->nb_pending);
	if (done == 0)
		return;
	if (c->first_tx == 0)
		c->first_tx = c->now;
	for (i = 0; i < done; i++) {
		owner = pq->owner[i];
		if (owner == PC_OWNER_EXTRA)
			continue;
		c->queues[owner].sent++;
		c->st.sent++;
	}
	pq->nb_pending -= done;
	memmove(pq->pending, pq->pending + done,
		pq->nb_pending * sizeof(pq->pending[0]));
	memmove(pq->owner, pq->owner + done,
		pq->nb_pending * sizeof(pq->owner[0]));
	c->last_progress = c->now;
}

static void
pc_check_frame(struct pc_ctx *c, struct rte_mbuf *m, uint16_t rxq)
{
	static uint8_t scratch[PC_FRAME_MAX];
	const struct pc_config *cfg = c->cfg;
	const struct rte_ether_hdr *eth;
	const struct pc_hdr *hdr;
	const uint8_t *frame;
	uint32_t len = rte_pktmbuf_pkt_len(m);
	uint64_t seq;
	uint16_t txq;

	if (len < sizeof(*eth)) {
		c->st.foreign++;
		return;
	}
	eth = rte_pktmbuf_read(m, 0, sizeof(*eth), scratch);
	if (eth == NULL || eth->ether_type != rte_cpu_to_be_16(PC_ETHERTYPE)) {
		c->st.foreign++;
		PC_LOG(DEBUG, "rxq %u: foreign frame, %u bytes", rxq, len);
		return;
	}
	/* Ours by EtherType: from here on every mismatch is corruption. */
	if (len < PC_PAYLOAD_OFF || len > PC_FRAME_MAX)
		goto corrupt;
	frame = rte_pktmbuf_read(m, 0, len, scratch);
	if (frame == NULL)
		goto corrupt;
	hdr = (const struct pc_hdr *)(frame + PC_HDR_OFF);
	if (hdr->magic != rte_cpu_to_be_32(PC_MAGIC) ||
	    rte_be_to_cpu_16(hdr->len) != len ||
	    rte_be_to_cpu_32(hdr->crc) != pc_frame_crc(frame, len))
		goto corrupt;
	seq = rte_be_to_cpu_32(hdr->seq);
	txq = rte_be_to_cpu_16(hdr->txq);
	/* A valid CRC with impossible fields means we built it wrong or a
	 * stale frame from another run came back: count it, do not index.
	 */
	if (seq >= cfg->frames || txq != seq % c->nb_queues ||
	    len != pc_frame_size(cfg, seq))
		goto corrupt;

	c->st.received++;
	c->queues[rxq].rx++;
	if (rxq != txq) {
		c->st.misqueued++;
		PC_LOG(DEBUG, "seq %" PRIu64 " sent on queue %u came back on %u",
		       seq, txq, rxq);
	}
	if (c->seen[seq]) {
		c->st.dup++;
		PC_LOG(DEBUG, "seq %" PRIu64 " received again", seq);
	} else {
		c->seen[seq] = 1;
		c->st.unique++;
		c->queues[txq].returned++;
	}
	c->last_rx = c->now;
	if (c->st.received == 1)
		c->first_rx = c->last_rx;
	c->last_progress = c->last_rx;
	return;

corrupt:
	c->st.corrupt++;
	PC_LOG(DEBUG, "rxq %u: corrupt frame, %u bytes", rxq, len);
	c->last_progress = c->now;
}

static void
pc_rx_queue(struct pc_ctx *c, uint16_t q)
{
	struct rte_mbuf *m[PC_BURST_MAX];
	uint16_t n, i;

	n = rte_eth_rx_burst(c->port, q, m, PC_BURST_MAX);
	for (i = 0; i < n; i++) {
		pc_check_frame(c, m[i], q);
		rte_pktmbuf_free(m[i]);
	}
}

/* Late duplicates would otherwise go unnoticed. */
static void
pc_linger(struct pc_ctx *c)
{
	uint64_t end = rte_get_timer_cycles() +
		c->cfg->linger_ms * rte_get_timer_hz() / 1000;
	uint16_t q;

	while (!pc_quit && (c->now = rte_get_timer_cycles()) < end)
		for (q = 0; q < c->nb_queues; q++)
			pc_rx_queue(c, q);
}

/* Returns a short reason if the run ended early, NULL if it completed. */
static const char *
pc_run(struct pc_ctx *c)
{
	const struct pc_config *cfg = c->cfg;
	uint64_t hz = rte_get_timer_hz();
	uint64_t start = rte_get_timer_cycles();
	uint64_t deadline = start + cfg->timeout_s * hz;
	uint64_t stall = cfg->stall_ms * hz / 1000;
	const char *why = NULL;
	uint64_t now;
	uint16_t q;

	c->last_progress = start;
	while (c->st.unique < cfg->frames) {
		/* One TSC read per pass, not per frame: rdtsc is not free,
		 * least of all in a VM, and the pass is short.
		 */
		now = rte_get_timer_cycles();
		c->now = now;
		for (q = 0; q < c->nb_queues; q++)
			pc_tx_queue(c, q);
		for (q = 0; q < c->nb_queues; q++)
			pc_rx_queue(c, q);
		if (pc_quit) {
			why = "interrupted";
			break;
		}
		if (now > deadline) {
			why = "timeout";
			break;
		}
		if (now - c->last_progress > stall) {
			why = "stalled";
			break;
		}
	}

	pc_linger(c);
	return why;
}

/* One frame at a time on queue 0, each timed from just before it is
 * handed to the PMD to the RX burst that brings it back. Returns NULL when
 * every round trip completed, else a short reason. The timed round trips'
 * latencies, in TSC cycles, go to @lat (cfg->pingpong entries).
 */
static const char *
pc_pingpong(struct pc_ctx *c, uint64_t *lat)
{
	const struct pc_config *cfg = c->cfg;
	uint64_t deadline = rte_get_timer_cycles() +
		cfg->timeout_s * rte_get_timer_hz();
	uint64_t stall = cfg->stall_ms * rte_get_tsc_hz() / 1000;
	struct rte_mbuf *rx[PC_BURST_MAX];
	struct rte_mbuf *m;
	uint64_t seq, t0, t1;
	uint16_t n, i;

	for (seq = 0; seq < cfg->frames; seq++) {
		m = rte_pktmbuf_alloc(c->pool);
		if (m == NULL)
			return "out of mbufs";
		/* cannot fail: sizes are bounded by PC_FRAME_MAX */
		pc_build_frame(m, cfg, &c->src_mac, seq, 0);
		/* precise: no earlier instruction is counted in the interval */
		t0 = rte_rdtsc_precise();
		while (rte_eth_tx_burst(c->port, 0, &m, 1) == 0) {
			if (pc_quit || rte_rdtsc() - t0 > stall) {
				rte_pktmbuf_free(m);
				return pc_quit ? "interrupted" : "stalled";
			}
		}
		c->now = rte_get_timer_cycles();
		if (c->first_tx == 0)
			c->first_tx = c->now;
		c->queues[0].sent++;
		c->st.sent++;
		for (;;) {
			n = rte_eth_rx_burst(c->port, 0, rx, PC_BURST_MAX);
			t1 = rte_rdtsc_precise();
			if (n > 0) {
				c->now = rte_get_timer_cycles();
				for (i = 0; i < n; i++) {
					pc_check_frame(c, rx[i], 0);
					rte_pktmbuf_free(rx[i]);
				}
				/* only a valid copy of this very frame sets it */
				if (c->seen[seq])
					break;
			}
			if (pc_quit)
				return "interrupted";
			if (t1 - t0 > stall)
				return "stalled";
		}
		if (seq >= cfg->warmup)
			lat[seq - cfg->warmup] = t1 - t0;
		if (c->now > deadline)
			return "timeout";
	}
	pc_linger(c);
	return NULL;
}

static int
pc_cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

/* Prints the LATENCY line; sorts @lat. Percentiles by nearest rank. */
static void
pc_print_latency(uint64_t *lat, uint64_t n)
{
	double us = 1e6 / rte_get_tsc_hz();
	double sum = 0;
	uint64_t i;

	if (n == 0) {
		printf("LATENCY n=0\n");
		return;
	}
	qsort(lat, n, sizeof(lat[0]), pc_cmp_u64);
	for (i = 0; i < n; i++)
		sum += lat[i];
	printf("LATENCY n=%" PRIu64 " median_us=%.3f p99_us=%.3f max_us=%.3f min_us=%.3f mean_us=%.3f\n",
	       n, lat[(n + 1) / 2 - 1] * us, lat[(n * 99 + 99) / 100 - 1] * us,
	       lat[n - 1] * us, lat[0] * us, sum / n * us);
}

static void
pc_free_pending(struct pc_ctx *c)
{
	uint16_t q;

	for (q = 0; q < c->nb_queues; q++) {
		rte_pktmbuf_free_bulk(c->queues[q].pending,
				      c->queues[q].nb_pending);
		c->queues[q].nb_pending = 0;
	}
}

static int
pc_port_init(struct pc_ctx *c)
{
	struct rte_eth_conf conf = { 0 };
	struct rte_eth_dev_info info;
	struct rte_eth_link link;
	uint64_t deadline;
	unsigned int nb_mbufs;
	uint16_t q;
	int ret;

	ret = rte_eth_dev_info_get(c->port, &info);
	if (ret < 0) {
		PC_LOG(ERR, "port %u: cannot get device info: %s", c->port,
		       rte_strerror(-ret));
		return ret;
	}
	c->nb_queues = c->cfg->queues;
	if (c->nb_queues == 0)
		c->nb_queues = RTE_MIN(info.max_rx_queues, info.max_tx_queues);
	if (c->nb_queues == 0 || c->nb_queues > info.max_rx_queues ||
	    c->nb_queues > info.max_tx_queues) {
		PC_LOG(ERR, "port %u: %u queue pairs requested, device has %u rx / %u tx",
		       c->port, c->nb_queues, info.max_rx_queues,
		       info.max_tx_queues);
		return -EINVAL;
	}

	/* Every ring full, every window outstanding, every pending array
	 * full, plus the per-lcore cache.
	 */
	nb_mbufs = c->nb_queues * (2 * PC_RING_SIZING + c->cfg->window +
				   PC_PENDING_MAX) + 1024;
	c->pool = rte_pktmbuf_pool_create("pktcheck_pool", nb_mbufs, 256, 0,
					  RTE_MBUF_DEFAULT_BUF_SIZE,
					  rte_eth_dev_socket_id(c->port));
	if (c->pool == NULL) {
		PC_LOG(ERR, "port %u: cannot create mbuf pool of %u: %s",
		       c->port, nb_mbufs, rte_strerror(rte_errno));
		return -rte_errno;
	}

	ret = rte_eth_dev_configure(c->port, c->nb_queues, c->nb_queues, &conf);
	if (ret < 0) {
		PC_LOG(ERR, "port %u: configure %u queue pairs: %s", c->port,
		       c->nb_queues, rte_strerror(-ret));
		return ret;
	}
	/* 0 descriptors: let the PMD use its ring size (virtio: queue_size). */
	for (q = 0; q < c->nb_queues; q++) {
		ret = rte_eth_rx_queue_setup(c->port, q, 0,
					     rte_eth_dev_socket_id(c->port),
					     NULL, c->pool);
		if (ret == 0)
			ret = rte_eth_tx_queue_setup(c->port, q, 0,
						     rte_eth_dev_socket_id(c->port),
						     NULL);
		if (ret < 0) {
			PC_LOG(ERR, "port %u: queue %u setup: %s", c->port, q,
			       rte_strerror(-ret));
			return ret;
		}
	}
	ret = rte_eth_dev_start(c->port);
	if (ret < 0) {
		PC_LOG(ERR, "port %u: start: %s", c->port, rte_strerror(-ret));
		return ret;
	}
	ret = rte_eth_macaddr_get(c->port, &c->src_mac);
	if (ret < 0) {
		PC_LOG(ERR, "port %u: cannot read MAC: %s", c->port,
		       rte_strerror(-ret));
		return ret;
	}

	/* Frames sent before the link is up may be dropped by the PMD; a
	 * device that never reports link is still tried (the stall timer
	 * will catch a dead path).
	 */
	deadline = rte_get_timer_cycles() + 5 * rte_get_timer_hz();
	do {
		memset(&link, 0, sizeof(link));
		rte_eth_link_get_nowait(c->port, &link);
		if (link.link_status == RTE_ETH_LINK_UP)
			break;
		rte_delay_ms(10);
	} while (!pc_quit && rte_get_timer_cycles() < deadline);
	if (link.link_status != RTE_ETH_LINK_UP)
		PC_LOG(WARNING, "port %u: link still down, sending anyway",
		       c->port);
	return 0;
}

int
main(int argc, char **argv)
{
	struct pc_config cfg;
	struct pc_ctx c = { .cfg = &cfg };
	char mac[RTE_ETHER_ADDR_FMT_SIZE];
	const char *why = NULL;
	bool have_port = false;
	uint64_t lost, cycles, *lat = NULL;
	double mpps = 0.0;
	int ret, status = PC_EXIT_FAIL;
	uint16_t q;
	int app_argc, i;

	/* Parse our own options before touching hugepages, so a typo is
	 * reported as a usage error without side effects.
	 */
	for (i = 1; i < argc && strcmp(argv[i], "--") != 0; i++)
		;
	app_argc = i < argc ? argc - i : 1;
	{
		char *app_argv[app_argc + 1];

		app_argv[0] = argv[0];
		for (i = 1; i < app_argc; i++)
			app_argv[i] = argv[argc - app_argc + i];
		app_argv[app_argc] = NULL;
		if (pc_parse_args(app_argc, app_argv, &cfg) < 0) {
			pc_usage(argv[0]);
			return PC_EXIT_USAGE;
		}
	}

	ret = rte_eal_init(argc, argv);
	if (ret < 0) {
		fprintf(stderr, "svq-pktcheck: EAL init failed: %s\n",
			rte_strerror(rte_errno));
		return rte_errno == EINVAL ? PC_EXIT_USAGE : PC_EXIT_FAIL;
	}
	signal(SIGINT, pc_signal);
	signal(SIGTERM, pc_signal);

	if (rte_eth_dev_count_avail() != 1) {
		PC_LOG(ERR, "need exactly one ethdev port, found %u (check --vdev and that the backend is listening)",
		       rte_eth_dev_count_avail());
		goto out;
	}
	RTE_ETH_FOREACH_DEV(q)
		c.port = q;

	c.seen = calloc(cfg.frames, 1);
	c.queues = calloc(PC_QUEUES_MAX, sizeof(*c.queues));
	if (c.seen == NULL || c.queues == NULL) {
		PC_LOG(ERR, "cannot allocate tracking for %" PRIu64 " frames",
		       cfg.frames);
		goto out;
	}
	have_port = true;
	ret = pc_port_init(&c);
	if (ret < 0)
		goto out;
	if (!cfg.dst_mac_set)
		rte_ether_addr_copy(&c.src_mac, &cfg.dst_mac);
	for (q = 0; q < c.nb_queues; q++)
		c.queues[q].next_seq = q;

	rte_ether_format_addr(mac, sizeof(mac), &cfg.dst_mac);
	PC_LOG(INFO, "port %u: %u queue pairs, %" PRIu64 " frames of %u-%u bytes to %s, window %u",
	       c.port, c.nb_queues, cfg.frames, cfg.size_min, cfg.size_max,
	       mac, cfg.window);

	if (cfg.pingpong > 0) {
		lat = calloc(cfg.pingpong, sizeof(*lat));
		if (lat == NULL) {
			PC_LOG(ERR, "cannot allocate %" PRIu64 " latencies",
			       cfg.pingpong);
			goto out;
		}
		why = pc_pingpong(&c, lat);
		pc_print_latency(lat, why == NULL ? cfg.pingpong : 0);
	} else {
		why = pc_run(&c);
	}
	pc_free_pending(&c);

	for (q = 0; q < c.nb_queues; q++)
		PC_LOG(INFO, "queue %u: sent %" PRIu64 " returned %" PRIu64 " received-here %" PRIu64,
		       q, c.queues[q].sent, c.queues[q].returned,
		       c.queues[q].rx);
	if (why != NULL)
		PC_LOG(ERR, "run ended early: %s", why);

	lost = c.st.sent - c.st.unique;
	/* The rate is measured from the first frame back, so that the
	 * backend's start-up latency (first kick, ring setup) does not
	 * dilute a short run; that latency is logged on its own.
	 */
	if (c.st.received > 0)
		PC_LOG(INFO, "first frame back %.1f ms after the first send",
		       (double)(c.first_rx - c.first_tx) * 1000 /
		       rte_get_timer_hz());
	cycles = c.last_rx - c.first_rx;
	if (c.st.received > 1 && cycles > 0)
		mpps = (double)(c.st.received - 1) * rte_get_timer_hz() /
			cycles / 1e6;
	printf("PKTCHECK sent=%" PRIu64 " received=%" PRIu64 " lost=%" PRIu64
	       " dup=%" PRIu64 " corrupt=%" PRIu64 " misqueued=%" PRIu64
	       " foreign=%" PRIu64 " mpps=%.2f\n",
	       c.st.sent, c.st.received, lost, c.st.dup, c.st.corrupt,
	       c.st.misqueued, c.st.foreign, mpps);
	fflush(stdout);

	if (why == NULL && c.st.sent == cfg.frames && lost == 0 &&
	    c.st.dup == 0 && c.st.corrupt == 0 && c.st.misqueued == 0 &&
	    (cfg.allow_foreign || c.st.foreign == 0))
		status = PC_EXIT_OK;

out:
	if (have_port) {
		/* stop fails harmlessly if the port never started */
		rte_eth_dev_stop(c.port);
		rte_eth_dev_close(c.port);
	}
	/* The pool must outlive the port: the PMD frees ring mbufs into it. */
	rte_mempool_free(c.pool);
	free(lat);
	free(c.queues);
	free(c.seen);
	rte_eal_cleanup();
	return status;
}
