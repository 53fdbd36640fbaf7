/* SPDX-License-Identifier: BSD-3-Clause */

/*
 * svq-frontend: a vhost-user frontend with a small virtio-net driver
 * model, for testing vhost-user backends (the relay above all) where QEMU
 * and net_virtio_user cannot: they keep the control virtqueue to
 * themselves, this tool hands it to the backend like any other vring.
 *
 * It connects, negotiates, sets up guest memory, queue pairs and the CVQ,
 * then runs a script (one command per line, results as key=value lines on
 * stdout). Exit status: 0 every command succeeded, 1 a command or the
 * setup failed, 2 bad usage.
 */

#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fe_net.h"
#include "fe_script.h"
#include "fe_selftest.h"
#include "fe_util.h"
#include "fe_virtio.h"

#define FE_EXIT_OK	0
#define FE_EXIT_FAIL	1
#define FE_EXIT_USAGE	2

static void
fe_usage(FILE *f)
{
	fprintf(f,
"usage: svq-frontend --socket PATH [options]   drive a vhost-user backend\n"
"       svq-frontend --dump-cvq [options]      encode CVQ commands, no backend\n"
"       svq-frontend --selftest                offline checks\n"
"options:\n"
"  --socket PATH          the backend's vhost-user socket (it listens)\n"
"  --server               listen on PATH instead; the backend connects\n"
"  --queues N             queue pairs, 1..%u (default 1); the CVQ is vring 2N\n"
"  --features SPEC        0xHEX, NAME,... or +NAME,-NAME,... on the defaults\n"
"  --ring-size N          entries per data vring, power of two (default 256)\n"
"  --cvq-size N           entries in the CVQ, power of two (default 64)\n"
"  --rx-buf N             bytes per RX buffer (default 2048)\n"
"  --tx-buf N             bytes per TX slot, header included (default 4096)\n"
"  --tx-single            header and frame in one TX descriptor (default two)\n"
"  --mem SIZE             guest memory, K/M/G suffixes (default 64M)\n"
"  --mem-base GPA         guest-physical address of that memory (default 0)\n"
"  --script FILE          read commands from FILE (default: stdin)\n"
"  --timeout MS           wait for a vhost-user reply / TX room (default 5000)\n"
"  --cvq-timeout MS       wait for a CVQ completion (default 1000)\n"
"  --probe-timeout MS     wait for a probe frame (default 200)\n"
"  --connect-timeout MS   keep retrying the socket (default 10000)\n"
"  --mq-start             with MQ and CTRL_VQ, send VQ_PAIRS_SET(N) once set\n"
"                         up, as Linux does at probe (the device starts with\n"
"                         one active pair, spec 5.1.6.5.5)\n"
"  --keep-going           run every line even after a failure (once the\n"
"                         backend is gone, only reconnect can succeed)\n"
"  --echo                 print each command as \"> LINE\" before its result\n"
"  --verbose              log every vhost-user message on stderr\n"
"default features: VERSION_1 MRG_RXBUF MQ CTRL_VQ CTRL_RX CTRL_VLAN\n"
"  CTRL_RX_EXTRA CTRL_MAC_ADDR GUEST_ANNOUNCE CTRL_GUEST_OFFLOADS RSS\n"
"  HASH_REPORT RING_EVENT_IDX, intersected with what the backend offers\n"
"  (LOG_ALL never: only 'log start' turns it on)\n"
"script commands: doc/frontend.md; for live migration:\n"
"  log start              SET_LOG_BASE (memfd bitmap, 1 bit per 4K page from\n"
"                         GPA 0), SET_FEATURES +LOG_ALL, SET_VRING_ADDR with\n"
"                         VHOST_VRING_F_LOG on every vring, as QEMU does\n"
"  log snapshot           take and zero the bits, copy guest memory\n"
"  log check [WAIT_MS]    every page the device changed since the snapshot\n"
"                         must be logged (fails on a miss); compared: only\n"
"                         what the device may write: used rings, RX buffers,\n"
"                         CVQ ack bytes, scratch (the driver's own writes to\n"
"                         descriptors, avail rings, TX buffers are not the\n"
"                         device's to log)\n"
"  log bits | log stop    count the bits | SET_FEATURES -LOG_ALL, no log flag\n"
"  stream begin PAIR|all [LEN|MIN-MAX] | stream send COUNT | stream end [MS]\n"
"                         a numbered stream that survives stop + reconnect\n"
"  stop; reconnect SOCKPATH [mq]\n"
"                         move the guest to another backend at the bases of\n"
"                         the stop (mq: replay VQ_PAIRS_SET first)\n",
		FE_MAX_PAIRS);
}

static int
fe_bad(const char *what, const char *arg)
{
	fprintf(stderr, "error: %s: '%s'\n", what, arg);
	fe_usage(stderr);
	return FE_EXIT_USAGE;
}

enum {
	OPT_SOCKET = 256, OPT_SERVER, OPT_QUEUES, OPT_FEATURES, OPT_RING,
	OPT_CVQ_SIZE, OPT_RX_BUF, OPT_TX_BUF, OPT_TX_SINGLE, OPT_MEM,
	OPT_MEM_BASE, OPT_SCRIPT, OPT_TIMEOUT, OPT_CVQ_TIMEOUT,
	OPT_PROBE_TIMEOUT, OPT_CONNECT_TIMEOUT, OPT_KEEP_GOING, OPT_ECHO,
	OPT_VERBOSE, OPT_DUMP, OPT_SELFTEST, OPT_HELP, OPT_MQ_START,
};

static const struct option fe_options[] = {
	{ "socket", required_argument, NULL, OPT_SOCKET },
	{ "server", no_argument, NULL, OPT_SERVER },
	{ "queues", required_argument, NULL, OPT_QUEUES },
	{ "features", required_argument, NULL, OPT_FEATURES },
	{ "ring-size", required_argument, NULL, OPT_RING },
	{ "cvq-size", required_argument, NULL, OPT_CVQ_SIZE },
	{ "rx-buf", required_argument, NULL, OPT_RX_BUF },
	{ "tx-buf", required_argument, NULL, OPT_TX_BUF },
	{ "tx-single", no_argument, NULL, OPT_TX_SINGLE },
	{ "mem", required_argument, NULL, OPT_MEM },
	{ "mem-base", required_argument, NULL, OPT_MEM_BASE },
	{ "script", required_argument, NULL, OPT_SCRIPT },
	{ "timeout", required_argument, NULL, OPT_TIMEOUT },
	{ "cvq-timeout", required_argument, NULL, OPT_CVQ_TIMEOUT },
	{ "probe-timeout", required_argument, NULL, OPT_PROBE_TIMEOUT },
	{ "connect-timeout", required_argument, NULL, OPT_CONNECT_TIMEOUT },
	{ "keep-going", no_argument, NULL, OPT_KEEP_GOING },
	{ "mq-start", no_argument, NULL, OPT_MQ_START },
	{ "echo", no_argument, NULL, OPT_ECHO },
	{ "verbose", no_argument, NULL, OPT_VERBOSE },
	{ "dump-cvq", no_argument, NULL, OPT_DUMP },
	{ "selftest", no_argument, NULL, OPT_SELFTEST },
	{ "help", no_argument, NULL, OPT_HELP },
	{ NULL, 0, NULL, 0 },
};

static bool
fe_pow2(uint64_t v)
{
	return v != 0 && (v & (v - 1)) == 0;
}

/*
 * With MQ and CTRL_VQ the device starts with one active queue pair until
 * the driver sends VQ_PAIRS_SET. Result in buf: the ack, "none" when the
 * device did not answer, "skipped" when MQ or CTRL_VQ is missing.
 */
static int
fe_mq_start(struct fe_net *net, char *buf, size_t len)
{
	static struct fe_cvq_cmd c;
	char pairs[8], *argv[] = { "mq", "pairs", pairs, NULL };
	const char *err;
	uint32_t used_len;
	int ack, ret;

	if (net->cvq < 0 || !(net->features & FE_BIT(FE_F_MQ)))
		return 0;
	snprintf(pairs, sizeof(pairs), "%u", net->p.pairs);
	if (fe_cvq_encode(3, argv, &c, &err) < 0)
		return -EINVAL;
	ret = fe_net_cvq(net, &c, &ack, &used_len);
	if (ret == -ETIMEDOUT) {
		snprintf(buf, len, "none");
		return 0;
	}
	if (ret < 0)
		return ret;
	snprintf(buf, len, "%d", ack);
	return 0;
}

int
main(int argc, char **argv)
{
	static struct fe_net net;
	struct fe_net_params p = {
		.pairs = 1,
		.features = FE_DEFAULT_FEATURES,
		.ring_size = 256,
		.cvq_size = 64,
		.rx_buf = 2048,
		.tx_buf = 4096,
		.mem_size = 64u << 20,
		.timeout_ms = 5000,
		.connect_timeout_ms = 10000,
	};
	struct fe_script script;
	const char *script_path = NULL;
	int cvq_timeout = 1000, probe_timeout = 200;
	bool dump = false, selftest = false, keep_going = false, echo = false;
	bool mq_start = false;
	char start[64] = "skipped";
	unsigned int failed;
	uint64_t v;
	FILE *in = stdin;
	int opt, ret;

	/* Results are read line by line by whatever drives us. */
	setvbuf(stdout, NULL, _IOLBF, 0);
	while ((opt = getopt_long(argc, argv, "", fe_options, NULL)) != -1) {
		switch (opt) {
		case OPT_SOCKET:
			p.path = optarg;
			break;
		case OPT_SERVER:
			p.server = true;
			break;
		case OPT_QUEUES:
			if (fe_parse_u64(optarg, FE_MAX_PAIRS, &v) < 0 || v == 0)
				return fe_bad("--queues must be 1..64", optarg);
			p.pairs = (uint16_t)v;
			break;
		case OPT_FEATURES:
			if (fe_features_parse(optarg, FE_DEFAULT_FEATURES,
					&p.features) < 0)
				return fe_bad("bad --features", optarg);
			break;
		case OPT_RING:
			if (fe_parse_u64(optarg, 32768, &v) < 0 || !fe_pow2(v))
				return fe_bad("--ring-size must be a power of "
					"two up to 32768", optarg);
			p.ring_size = (uint16_t)v;
			break;
		case OPT_CVQ_SIZE:
			if (fe_parse_u64(optarg, 32768, &v) < 0 || !fe_pow2(v) ||
					v < 4)
				return fe_bad("--cvq-size must be a power of "
					"two, 4..32768", optarg);
			p.cvq_size = (uint16_t)v;
			break;
		case OPT_RX_BUF:
			if (fe_parse_u64(optarg, 65536, &v) < 0 || v < 64)
				return fe_bad("--rx-buf must be 64..65536",
					optarg);
			p.rx_buf = (uint32_t)v;
			break;
		case OPT_TX_BUF:
			if (fe_parse_u64(optarg, 65536 + 64, &v) < 0 || v < 128)
				return fe_bad("--tx-buf must be 128..65600",
					optarg);
			p.tx_buf = (uint32_t)v;
			break;
		case OPT_TX_SINGLE:
			p.tx_single = true;
			break;
		case OPT_MEM:
			if (fe_parse_size(optarg, &v) < 0 || v == 0 ||
					v % 4096 != 0)
				return fe_bad("--mem must be a multiple of 4K",
					optarg);
			p.mem_size = v;
			break;
		case OPT_MEM_BASE:
			if (fe_parse_u64(optarg, UINT64_MAX, &v) < 0 ||
					v % 4096 != 0)
				return fe_bad("--mem-base must be 4K-aligned",
					optarg);
			p.mem_base = v;
			break;
		case OPT_SCRIPT:
			script_path = optarg;
			break;
		case OPT_TIMEOUT:
		case OPT_CVQ_TIMEOUT:
		case OPT_PROBE_TIMEOUT:
		case OPT_CONNECT_TIMEOUT:
			if (fe_parse_u64(optarg, 3600 * 1000, &v) < 0)
				return fe_bad("timeouts are milliseconds",
					optarg);
			if (opt == OPT_TIMEOUT)
				p.timeout_ms = (int)v;
			else if (opt == OPT_CVQ_TIMEOUT)
				cvq_timeout = (int)v;
			else if (opt == OPT_PROBE_TIMEOUT)
				probe_timeout = (int)v;
			else
				p.connect_timeout_ms = (int)v;
			break;
		case OPT_KEEP_GOING:
			keep_going = true;
			break;
		case OPT_MQ_START:
			mq_start = true;
			break;
		case OPT_ECHO:
			echo = true;
			break;
		case OPT_VERBOSE:
			fe_verbose = true;
			break;
		case OPT_DUMP:
			dump = true;
			break;
		case OPT_SELFTEST:
			selftest = true;
			break;
		case OPT_HELP:
			fe_usage(stdout);
			return FE_EXIT_OK;
		default:
			fprintf(stderr, "error: bad option\n");
			fe_usage(stderr);
			return FE_EXIT_USAGE;
		}
	}
	if (optind < argc)
		return fe_bad("unexpected argument", argv[optind]);
	if (selftest)
		return fe_selftest();
	if (!dump && p.path == NULL) {
		fprintf(stderr, "error: --socket PATH (or --dump-cvq or "
			"--selftest) is required\n");
		fe_usage(stderr);
		return FE_EXIT_USAGE;
	}
	if (dump && p.path != NULL)
		return fe_bad("--dump-cvq takes no --socket", p.path);
	if ((uint64_t)p.mem_base + p.mem_size < p.mem_base)
		return fe_bad("--mem-base + --mem wraps", "");
	if (script_path != NULL) {
		in = fopen(script_path, "r");
		if (in == NULL) {
			fprintf(stderr, "error: cannot open --script: '%s': "
				"%s\n", script_path, strerror(errno));
			return FE_EXIT_USAGE;
		}
	}
	if (fe_script_init(&script) < 0)
		return FE_EXIT_FAIL;
	script.keep_going = keep_going;
	script.echo = echo;
	script.probe_timeout_ms = probe_timeout;
	script.pairs = p.pairs;
	if (!dump) {
		ret = fe_net_start(&net, &p);
		if (ret < 0) {
			printf("setup error=%s\n", strerror(-ret));
			fe_net_close(&net);
			return FE_EXIT_FAIL;
		}
		net.cvq_timeout_ms = cvq_timeout;
		script.net = &net;
		if (mq_start) {
			ret = fe_mq_start(&net, start, sizeof(start));
			if (ret < 0) {
				printf("setup error=%s\n", strerror(-ret));
				fe_net_close(&net);
				return FE_EXIT_FAIL;
			}
		}
		printf("ready features=0x%llx pairs=%u vrings=%u cvq=%d "
			"hdr_len=%u mq_start=%s\n",
			(unsigned long long)net.features, p.pairs,
			net.nb_vrings, net.cvq, net.hdr_len, start);
	}
	failed = fe_script_run(&script, in);
	if (in != stdin)
		fclose(in);
	if (!dump)
		fe_net_close(&net);
	fe_script_fini(&script);
	if (failed > 0)
		fprintf(stderr, "svq-frontend: %u command(s) failed\n", failed);
	return failed > 0 ? FE_EXIT_FAIL : FE_EXIT_OK;
}
