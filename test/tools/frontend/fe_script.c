/* SPDX-License-Identifier: BSD-3-Clause */

/*
 * Script commands: parsing here, actions in fe_net.c / fe_cvq.c.
 *
 * Threat model: script text is trusted (it is the test), but it is still
 * parsed strictly so a typo fails loudly instead of sending something
 * else; everything that comes back from the backend is handled by fe_net.
 */

#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "fe_cvq.h"
#include "fe_flood.h"
#include "fe_script.h"
#include "fe_traffic.h"
#include "fe_util.h"
#include "fe_virtio.h"

#define FE_MAX_ARGS	256
#define FE_HEX_CAP	(2 * FE_FRAME_MAX + 1)

/* What a command needs to run. */
#define FE_CMD_NET	1u	/* a live backend (not --dump-cvq) */
#define FE_CMD_CVQ	2u	/* CVQ: sent, or only encoded with --dump-cvq */

struct fe_cmd {
	const char *name;
	int min_args;		/* after the name */
	int max_args;		/* -1: unbounded */
	int (*fn)(struct fe_script *s, int argc, char **argv);
	unsigned int flags;
	const char *usage;
};

static char fe_hexbuf[FE_HEX_CAP];
static struct fe_frame fe_rx_frame;
static struct fe_cvq_cmd fe_cvq_buf;

/* Print a result line and remember it for expect. */
static void __attribute__((format(printf, 2, 3)))
fe_out(struct fe_script *s, const char *fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(s->last, s->last_cap, fmt, ap);
	va_end(ap);
	if (n < 0)
		s->last[0] = '\0';
	fputs(s->last, stdout);
	fputc('\n', stdout);
}

static int
fe_fail(struct fe_script *s, const char *reason, int err)
{
	s->reason = reason;
	return err;
}

static const char *
fe_errno_reason(int err)
{
	switch (err) {
	case -ECONNRESET: return "backend-gone";
	case -ESHUTDOWN: return "stopped";
	case -ENOTSUP: return "no-cvq";
	case -ENOSPC: return "cvq-ring-full";
	case -ENOBUFS: return "tx-ring-full";
	case -EMSGSIZE: return "too-long";
	case -EPERM: return "vring-raw";
	case -EPROTO: return "protocol-error";
	case -EINVAL: return "bad-argument";
	case -ETIMEDOUT: return "timeout";
	default: return "failed";
	}
}

static int
fe_arg_pair(struct fe_script *s, const char *arg, uint16_t *pair)
{
	uint64_t v;

	if (fe_parse_u64(arg, UINT16_MAX, &v) < 0 || v >= s->net->p.pairs)
		return fe_fail(s, "bad-pair", -EINVAL);
	*pair = (uint16_t)v;
	return 0;
}

static int
fe_arg_vring(struct fe_script *s, const char *arg, struct fe_vring **vr)
{
	uint64_t v;

	if (strcmp(arg, "cvq") == 0) {
		if (s->net->cvq < 0)
			return fe_fail(s, "no-cvq", -ENOTSUP);
		v = (uint64_t)s->net->cvq;
	} else if (fe_parse_u64(arg, UINT16_MAX, &v) < 0 ||
			v >= s->net->nb_vrings) {
		return fe_fail(s, "bad-vring", -EINVAL);
	}
	*vr = &s->net->vrings[v];
	return 0;
}

static int
fe_arg_ms(struct fe_script *s, const char *arg, int *ms)
{
	uint64_t v;

	if (fe_parse_u64(arg, 3600 * 1000, &v) < 0)
		return fe_fail(s, "bad-milliseconds", -EINVAL);
	*ms = (int)v;
	return 0;
}

/* ---- CVQ ---- */

/* Run or (dump mode) only show one encoded command. The result line is
 *   cvq class=C cmd=M len=L data=HEX ack=A used_len=U
 * with ack=none when no completion came in time. prefix replaces "cvq"
 * (rand-cvq adds its counter and the generator's kind). */
static int
fe_cvq_emit(struct fe_script *s, const struct fe_cvq_cmd *c,
		const char *prefix, int *ack_out)
{
	uint32_t used_len = 0;
	int ack = -1, ret;

	fe_hex(c->data, c->len, fe_hexbuf);
	if (c->len == 0)
		strcpy(fe_hexbuf, "-");
	*ack_out = -1;
	if (s->net == NULL) {
		fe_out(s, "%s class=%u cmd=%u len=%u data=%s", prefix, c->cls,
			c->cmd, c->len, fe_hexbuf);
		return 0;
	}
	ret = fe_net_cvq(s->net, c, &ack, &used_len);
	if (ret == -ETIMEDOUT || ret == -ENOSPC) {
		/* A result, not a failure: the device did not answer. */
		fe_out(s, "%s class=%u cmd=%u len=%u data=%s ack=none%s",
			prefix, c->cls, c->cmd, c->len, fe_hexbuf,
			ret == -ENOSPC ? " reason=cvq-ring-full" : "");
		return 0;
	}
	if (ret < 0)
		return fe_fail(s, fe_errno_reason(ret), ret);
	*ack_out = ack;
	fe_out(s, "%s class=%u cmd=%u len=%u data=%s ack=%d used_len=%u",
		prefix, c->cls, c->cmd, c->len, fe_hexbuf, ack, used_len);
	return 0;
}

static int
fe_cmd_cvq(struct fe_script *s, int argc, char **argv)
{
	const char *err;
	int ack;

	if (fe_cvq_encode(argc, argv, &fe_cvq_buf, &err) < 0)
		return fe_fail(s, err, -EINVAL);
	return fe_cvq_emit(s, &fe_cvq_buf, "cvq", &ack);
}

static int
fe_cmd_rand_cvq(struct fe_script *s, int argc, char **argv)
{
	uint64_t seed, count, i, ok = 0, err = 0, other = 0, none = 0;
	char prefix[96];
	int ack, ret;

	(void)argc;
	if (fe_parse_u64(argv[1], UINT64_MAX, &seed) < 0 ||
			fe_parse_u64(argv[2], 1000000, &count) < 0)
		return fe_fail(s, "usage", -EINVAL);
	if (s->net != NULL && s->net->cvq < 0)
		return fe_fail(s, "no-cvq", -ENOTSUP);
	for (i = 0; i < count; i++) {
		fe_cvq_rand(&seed, s->net != NULL ? s->net->p.pairs : s->pairs,
			&fe_cvq_buf);
		snprintf(prefix, sizeof(prefix), "rand n=%llu kind=%s",
			(unsigned long long)i, fe_cvq_buf.kind);
		ret = fe_cvq_emit(s, &fe_cvq_buf, prefix, &ack);
		if (ret < 0)
			return ret;
		if (ack == FE_CTRL_OK)
			ok++;
		else if (ack == FE_CTRL_ERR)
			err++;
		else if (ack < 0)
			none++;
		else
			other++;
	}
	if (s->net == NULL)
		fe_out(s, "rand-cvq done count=%llu", (unsigned long long)count);
	else
		fe_out(s, "rand-cvq done count=%llu ok=%llu err=%llu "
			"other=%llu none=%llu", (unsigned long long)count,
			(unsigned long long)ok, (unsigned long long)err,
			(unsigned long long)other, (unsigned long long)none);
	return 0;
}

/* ---- data path ---- */

static int
fe_parse_frame(struct fe_script *s, const char *hex, uint8_t *buf,
		uint32_t *len)
{
	int n = fe_parse_hex(hex, buf, FE_FRAME_MAX);

	if (n < 0)
		return fe_fail(s, n == -E2BIG ? "too-long" : "bad-hex", -EINVAL);
	if (n == 0)
		return fe_fail(s, "empty-frame", -EINVAL);
	*len = (uint32_t)n;
	return 0;
}

static uint8_t fe_tx_frame[FE_FRAME_MAX];

static int
fe_cmd_send(struct fe_script *s, int argc, char **argv)
{
	uint64_t count = 1, i;
	uint16_t pair;
	uint32_t len;
	int ret;

	if (fe_arg_pair(s, argv[1], &pair) < 0 ||
			fe_parse_frame(s, argv[2], fe_tx_frame, &len) < 0)
		return -EINVAL;
	if (argc == 4 && fe_parse_u64(argv[3], 1000000000, &count) < 0)
		return fe_fail(s, "bad-count", -EINVAL);
	for (i = 0; i < count; i++) {
		ret = fe_net_send(s->net, pair, fe_tx_frame, len);
		if (ret < 0)
			return fe_fail(s, fe_errno_reason(ret), ret);
	}
	fe_out(s, "send pair=%u queue=%u len=%u count=%llu", pair,
		2 * pair + 1, len, (unsigned long long)count);
	return 0;
}

static void
fe_print_rx(struct fe_script *s, const struct fe_frame *f)
{
	char hash[16] = "-", report[8] = "-";

	if (f->has_hash) {
		snprintf(hash, sizeof(hash), "0x%08x", f->hash);
		snprintf(report, sizeof(report), "%u", f->report);
	}
	fe_hex(f->data, f->len, fe_hexbuf);
	fe_out(s, "rx queue=%u len=%u hash=%s report=%s bufs=%u frame=%s",
		f->pair, f->len, hash, report, f->num_buffers,
		f->len ? fe_hexbuf : "-");
}

/* Wait until a frame is there or the deadline passes: 1 / 0 / -errno. */
static int
fe_next_frame(struct fe_script *s, uint64_t deadline, struct fe_frame *f)
{
	uint64_t now;
	int ret;

	for (;;) {
		if (fe_net_rx_frame(s->net, f) == 1)
			return 1;
		now = fe_now_ms();
		if (now >= deadline)
			return 0;
		ret = fe_net_wait(s->net, deadline - now < 5 ?
			(int)(deadline - now) : 5);
		if (ret < 0)
			return ret;
	}
}

static int
fe_cmd_recv(struct fe_script *s, int argc, char **argv)
{
	uint64_t max = 0, count = 0, deadline;
	int ms, ret;

	if (fe_arg_ms(s, argv[1], &ms) < 0)
		return -EINVAL;
	if (argc == 3 && fe_parse_u64(argv[2], UINT32_MAX, &max) < 0)
		return fe_fail(s, "bad-count", -EINVAL);
	if (!s->net->running)
		return fe_fail(s, fe_errno_reason(-ESHUTDOWN), -ESHUTDOWN);
	deadline = fe_now_ms() + (uint64_t)ms;
	while (max == 0 || count < max) {
		ret = fe_next_frame(s, deadline, &fe_rx_frame);
		if (ret < 0)
			return fe_fail(s, fe_errno_reason(ret), ret);
		if (ret == 0)
			break;
		fe_print_rx(s, &fe_rx_frame);
		count++;
	}
	fe_out(s, "recv done count=%llu", (unsigned long long)count);
	return 0;
}

static int
fe_cmd_drain(struct fe_script *s, int argc, char **argv)
{
	uint64_t count = 0, deadline;
	int ms = 0, ret;

	if (argc == 2 && fe_arg_ms(s, argv[1], &ms) < 0)
		return -EINVAL;
	deadline = fe_now_ms() + (uint64_t)ms;
	while ((ret = fe_next_frame(s, deadline, &fe_rx_frame)) == 1)
		count++;
	if (ret < 0)
		return fe_fail(s, fe_errno_reason(ret), ret);
	fe_out(s, "drain count=%llu", (unsigned long long)count);
	return 0;
}

/* LEN or MIN-MAX, frame lengths for loop and stream. */
static int
fe_arg_lens(struct fe_script *s, char *arg, uint32_t *min, uint32_t *max)
{
	uint64_t min_len, max_len = 0;
	char *dash = strchr(arg, '-');
	int ret = 0;

	if (dash != NULL)
		*dash = '\0';
	if (fe_parse_u64(arg, FE_FRAME_MAX, &min_len) < 0 ||
			(dash != NULL && fe_parse_u64(dash + 1, FE_FRAME_MAX,
				&max_len) < 0))
		ret = -EINVAL;
	if (dash != NULL)
		*dash = '-';
	else
		max_len = min_len;
	if (ret < 0 || min_len < 30 || max_len < min_len)
		return fe_fail(s, "bad-length", -EINVAL);
	*min = (uint32_t)min_len;
	*max = (uint32_t)max_len;
	return 0;
}

/* A quarter of the ring per pair in flight: room for two TX descriptors
 * per frame and for merged RX frames. */
static uint32_t
fe_loop_window(const struct fe_script *s)
{
	return s->net->p.ring_size / 4 ? s->net->p.ring_size / 4 : 1;
}

static int
fe_loop_idle_ms(const struct fe_script *s)
{
	return s->probe_timeout_ms > 1000 ? s->probe_timeout_ms : 1000;
}

/* loop PAIR|all COUNT [LEN|MIN-MAX]: see fe_traffic.h. */
static int
fe_cmd_loop(struct fe_script *s, int argc, char **argv)
{
	struct fe_loop_result r;
	uint32_t min_len = 60, max_len = 1514;
	uint64_t count;
	uint16_t pair = 0;
	int ret;

	if (strcmp(argv[1], "all") != 0 && fe_arg_pair(s, argv[1], &pair) < 0)
		return -EINVAL;
	if (fe_parse_u64(argv[2], UINT32_MAX, &count) < 0)
		return fe_fail(s, "bad-count", -EINVAL);
	if (argc == 4 && fe_arg_lens(s, argv[3], &min_len, &max_len) < 0)
		return -EINVAL;
	ret = fe_traffic_loop(s->net, strcmp(argv[1], "all") == 0 ? -1 : pair,
		count, min_len, max_len, fe_loop_window(s), fe_loop_idle_ms(s),
		&r);
	if (ret < 0)
		return fe_fail(s, fe_errno_reason(ret), ret);
	fe_out(s, "loop pair=%s count=%llu sent=%llu received=%llu lost=%llu "
		"dup=%llu corrupt=%llu misqueued=%llu reordered=%llu "
		"foreign=%llu ms=%llu", argv[1], (unsigned long long)count,
		(unsigned long long)r.sent, (unsigned long long)r.received,
		(unsigned long long)r.lost, (unsigned long long)r.dup,
		(unsigned long long)r.corrupt, (unsigned long long)r.misqueued,
		(unsigned long long)r.reordered, (unsigned long long)r.foreign,
		(unsigned long long)r.ms);
	return 0;
}

/* flood rx|tx|both SECONDS [LEN]: see fe_flood.h. */
static int
fe_cmd_flood(struct fe_script *s, int argc, char **argv)
{
	struct fe_flood_result r;
	unsigned int dir;
	uint64_t secs, len = 64;
	double us;
	int ret;

	if (strcmp(argv[1], "rx") == 0)
		dir = FE_FLOOD_RX;
	else if (strcmp(argv[1], "tx") == 0)
		dir = FE_FLOOD_TX;
	else if (strcmp(argv[1], "both") == 0)
		dir = FE_FLOOD_RX | FE_FLOOD_TX;
	else
		return fe_fail(s, "usage", -EINVAL);
	if (fe_parse_u64(argv[2], 3600, &secs) < 0 || secs == 0)
		return fe_fail(s, "bad-argument", -EINVAL);
	if (argc == 4 && (fe_parse_u64(argv[3], FE_FRAME_MAX, &len) < 0 ||
			len < 14 || len > fe_net_tx_room(s->net)))
		return fe_fail(s, "bad-length", -EINVAL);
	ret = fe_flood(s->net, dir, secs * 1000, (uint32_t)len, &r);
	if (ret < 0)
		return fe_fail(s, fe_errno_reason(ret), ret);
	us = r.ns ? (double)r.ns / 1000.0 : 1.0;
	fe_out(s, "flood dir=%s seconds=%llu tx_frames=%llu rx_frames=%llu "
		"tx_mpps=%.3f rx_mpps=%.3f len=%llu ms=%llu rx_bad=%llu "
		"bad_used=%llu busy_pct=%.1f batch=%.1f cpu_pct=%.1f", argv[1],
		(unsigned long long)secs, (unsigned long long)r.tx_frames,
		(unsigned long long)r.rx_frames, (double)r.tx_frames / us,
		(double)r.rx_frames / us, (unsigned long long)len,
		(unsigned long long)(r.ns / 1000000),
		(unsigned long long)r.rx_bad, (unsigned long long)r.bad_used,
		100.0 * (double)r.busy_ns / (us * 1000.0),
		r.busy_polls ? (double)r.completions /
			(double)r.busy_polls : 0.0,
		100.0 * (double)r.cpu_ns / (us * 1000.0));
	return 0;
}

struct fe_probe {
	uint16_t pair;
	uint64_t n, received, dropped, stray;
};

/* Send one frame and watch for it to come back intact on any RX queue. */
static int
fe_probe_one(struct fe_script *s, struct fe_probe *pr, const uint8_t *frame,
		uint32_t len)
{
	uint64_t deadline;
	int ret;

	ret = fe_net_send(s->net, pr->pair, frame, len);
	if (ret < 0)
		return fe_fail(s, fe_errno_reason(ret), ret);
	deadline = fe_now_ms() + (uint64_t)s->probe_timeout_ms;
	for (;;) {
		ret = fe_next_frame(s, deadline, &fe_rx_frame);
		if (ret < 0)
			return fe_fail(s, fe_errno_reason(ret), ret);
		if (ret == 0) {
			fe_out(s, "probe %llu dropped",
				(unsigned long long)pr->n);
			pr->dropped++;
			break;
		}
		if (fe_rx_frame.len == len &&
				memcmp(fe_rx_frame.data, frame, len) == 0) {
			fe_out(s, "probe %llu queue=%u",
				(unsigned long long)pr->n, fe_rx_frame.pair);
			pr->received++;
			break;
		}
		/* A late copy of an earlier probe, or anything else. */
		pr->stray++;
	}
	pr->n++;
	return 0;
}

static bool
fe_looks_hex(const char *arg)
{
	for (; *arg != '\0'; arg++)
		if (!((*arg >= '0' && *arg <= '9') ||
				(*arg >= 'a' && *arg <= 'f') ||
				(*arg >= 'A' && *arg <= 'F') || *arg == ':'))
			return false;
	return true;
}

static int
fe_probe_file(struct fe_script *s, struct fe_probe *pr, const char *path)
{
	char *line = NULL, *p, *end;
	size_t cap = 0;
	uint32_t len;
	FILE *f;
	int ret = 0;

	f = fopen(path, "r");
	if (f == NULL)
		return fe_fail(s, "cannot-open-file", -errno);
	while (getline(&line, &cap, f) >= 0) {
		p = strchr(line, '#');
		if (p != NULL)
			*p = '\0';
		p = line + strspn(line, " \t\r\n");
		end = p + strcspn(p, " \t\r\n");
		*end = '\0';
		if (*p == '\0')
			continue;
		ret = fe_parse_frame(s, p, fe_tx_frame, &len);
		if (ret == 0)
			ret = fe_probe_one(s, pr, fe_tx_frame, len);
		if (ret < 0)
			break;
	}
	free(line);
	fclose(f);
	return ret;
}

static int
fe_cmd_probe(struct fe_script *s, int argc, char **argv)
{
	struct fe_probe pr = { 0 };
	uint32_t len;
	int i, ret;

	if (fe_arg_pair(s, argv[1], &pr.pair) < 0)
		return -EINVAL;
	for (i = 2; i < argc; i++) {
		if (argv[i][0] == '@')
			ret = fe_probe_file(s, &pr, argv[i] + 1);
		else if (!fe_looks_hex(argv[i]))
			ret = fe_probe_file(s, &pr, argv[i]);
		else {
			ret = fe_parse_frame(s, argv[i], fe_tx_frame, &len);
			if (ret == 0)
				ret = fe_probe_one(s, &pr, fe_tx_frame, len);
		}
		if (ret < 0)
			return ret;
	}
	fe_out(s, "probe done sent=%llu received=%llu dropped=%llu stray=%llu",
		(unsigned long long)pr.n, (unsigned long long)pr.received,
		(unsigned long long)pr.dropped, (unsigned long long)pr.stray);
	return 0;
}

/* ---- control ---- */

static int
fe_cmd_info(struct fe_script *s, int argc, char **argv)
{
	static char names[1024];
	struct fe_net *net = s->net;

	(void)argc;
	(void)argv;
	fe_features_format(net->features, names, sizeof(names));
	fe_out(s, "info features=0x%llx offered=0x%llx protocol=0x%llx "
		"pairs=%u backend_queues=%llu vrings=%u cvq=%d hdr_len=%u "
		"ring_size=%u mem_base=0x%llx mem_size=%llu scratch=0x%llx "
		"scratch_len=%llu names=%s",
		(unsigned long long)net->features,
		(unsigned long long)net->offered,
		(unsigned long long)net->proto, net->p.pairs,
		(unsigned long long)net->backend_queues, net->nb_vrings,
		net->cvq, net->hdr_len, net->p.ring_size,
		(unsigned long long)net->p.mem_base,
		(unsigned long long)net->p.mem_size,
		(unsigned long long)net->scratch_gpa,
		(unsigned long long)net->scratch_len, names);
	return 0;
}

static const char *
fe_vring_kind(const struct fe_net *net, uint16_t i)
{
	if ((int)i == net->cvq)
		return "cvq";
	return i % 2 == 0 ? "rx" : "tx";
}

static int
fe_cmd_stats(struct fe_script *s, int argc, char **argv)
{
	struct fe_net *net = s->net;
	const struct fe_net_stats *st = &net->st;
	uint16_t i;

	(void)argc;
	(void)argv;
	fe_net_reclaim(net);
	for (i = 0; i < net->nb_vrings; i++) {
		const struct fe_vring *vr = &net->vrings[i];

		fe_out(s, "stats vring=%u kind=%s avail_idx=%u used_idx=%u "
			"last_used=%u free=%u added=%llu used=%llu kicks=%llu "
			"kicks_suppressed=%llu calls=%llu bad_id=%llu "
			"bad_len=%llu bad_idx=%llu raw_used=%llu%s",
			i, fe_vring_kind(net, i), vr->avail_idx,
			fe_vring_used_idx(vr), vr->last_used, vr->num_free,
			(unsigned long long)vr->st.added,
			(unsigned long long)vr->st.used,
			(unsigned long long)vr->st.kicks,
			(unsigned long long)vr->st.kicks_suppressed,
			(unsigned long long)vr->st.calls,
			(unsigned long long)vr->st.bad_id,
			(unsigned long long)vr->st.bad_len,
			(unsigned long long)vr->st.bad_idx,
			(unsigned long long)vr->st.raw_used,
			vr->tainted ? " raw=1" : "");
	}
	fe_out(s, "stats done tx_frames=%llu tx_bytes=%llu rx_frames=%llu "
		"rx_bytes=%llu rx_bad=%llu cvq_cmds=%llu cvq_ok=%llu "
		"cvq_err=%llu cvq_other=%llu cvq_none=%llu cvq_late=%llu",
		(unsigned long long)st->tx_frames,
		(unsigned long long)st->tx_bytes,
		(unsigned long long)st->rx_frames,
		(unsigned long long)st->rx_bytes,
		(unsigned long long)st->rx_bad,
		(unsigned long long)st->cvq_cmds,
		(unsigned long long)st->cvq_ok,
		(unsigned long long)st->cvq_err,
		(unsigned long long)st->cvq_other,
		(unsigned long long)st->cvq_none,
		(unsigned long long)st->cvq_late);
	return 0;
}

static int
fe_cmd_stop(struct fe_script *s, int argc, char **argv)
{
	uint32_t bases[2 * FE_MAX_PAIRS + 1];
	struct fe_net *net = s->net;
	uint16_t i;
	int ret;

	(void)argc;
	(void)argv;
	fe_net_reclaim(net);
	ret = fe_net_stop(net, bases);
	if (ret < 0)
		return fe_fail(s, fe_errno_reason(ret), ret);
	for (i = 0; i < net->nb_vrings; i++)
		fe_out(s, "stop vring=%u kind=%s base=%u avail_idx=%u "
			"used_idx=%u", i, fe_vring_kind(net, i), bases[i],
			net->vrings[i].avail_idx,
			fe_vring_used_idx(&net->vrings[i]));
	fe_out(s, "stop done vrings=%u", net->nb_vrings);
	return 0;
}

static int
fe_cmd_sleep(struct fe_script *s, int argc, char **argv)
{
	int ms;

	(void)argc;
	if (fe_arg_ms(s, argv[1], &ms) < 0)
		return -EINVAL;
	fe_sleep_ms((unsigned int)ms);
	fe_out(s, "sleep ms=%d", ms);
	return 0;
}

static int
fe_cmd_set(struct fe_script *s, int argc, char **argv)
{
	const char *key = argv[1], *val = argv[2];
	uint16_t i;
	int ms;

	(void)argc;
	if (strcmp(key, "kick") == 0) {
		bool always;

		if (strcmp(val, "always") == 0)
			always = true;
		else if (strcmp(val, "auto") == 0)
			always = false;
		else
			return fe_fail(s, "bad-value", -EINVAL);
		for (i = 0; s->net != NULL && i < s->net->nb_vrings; i++)
			s->net->vrings[i].kick_always = always;
		fe_out(s, "set %s=%s", key, val);
		return 0;
	}
	if (strcmp(key, "probe_timeout") != 0 &&
			strcmp(key, "cvq_timeout") != 0 &&
			strcmp(key, "timeout") != 0)
		return fe_fail(s, "bad-key", -EINVAL);
	if (fe_arg_ms(s, val, &ms) < 0)
		return -EINVAL;
	/* Without a backend only the probe timeout means anything; the
	 * others are accepted so a script runs unchanged in dump mode. */
	if (strcmp(key, "probe_timeout") == 0)
		s->probe_timeout_ms = ms;
	else if (s->net != NULL && strcmp(key, "cvq_timeout") == 0)
		s->net->cvq_timeout_ms = ms;
	else if (s->net != NULL)
		s->net->vh.timeout_ms = s->net->p.timeout_ms = ms;
	fe_out(s, "set %s=%d", key, ms);
	return 0;
}

static int
fe_cmd_echo(struct fe_script *s, int argc, char **argv)
{
	size_t used = 0, l;
	int i;

	/* Rebuilt into one line so markers show up verbatim in logs. */
	for (i = 1; i < argc && used + 1 < FE_HEX_CAP; i++) {
		l = strlen(argv[i]);
		if (used + l + 2 >= FE_HEX_CAP)
			break;
		if (used)
			fe_hexbuf[used++] = ' ';
		memcpy(fe_hexbuf + used, argv[i], l);
		used += l;
	}
	fe_hexbuf[used] = '\0';
	fe_out(s, "echo %s", fe_hexbuf);
	return 0;
}

/* expect KEY=VALUE...: every pair must be in the previous result line. */
static int
fe_cmd_expect(struct fe_script *s, int argc, char **argv)
{
	const char *tok, *eq;
	size_t klen, tlen;
	int i;
	bool found;

	for (i = 1; i < argc; i++) {
		eq = strchr(argv[i], '=');
		if (eq == NULL || eq == argv[i])
			return fe_fail(s, "usage", -EINVAL);
		klen = (size_t)(eq - argv[i]) + 1;	/* with '=' */
		found = false;
		for (tok = s->last; *tok != '\0'; tok += tlen) {
			tok += strspn(tok, " ");
			tlen = strcspn(tok, " ");
			if (tlen >= klen && strncmp(tok, argv[i], klen) == 0) {
				found = tlen == strlen(argv[i]) &&
					strncmp(tok, argv[i], tlen) == 0;
				break;
			}
		}
		if (!found) {
			/* Keep the line being checked; say what differed. */
			fprintf(stdout, "expect mismatch want=%s in: %s\n",
				argv[i], s->last);
			return fe_fail(s, "expect-mismatch", -EINVAL);
		}
	}
	/* Not through fe_out: several expects may check one result. */
	fputs("expect ok\n", stdout);
	return 0;
}

static int
fe_cmd_quit(struct fe_script *s, int argc, char **argv)
{
	(void)argc;
	(void)argv;
	s->quit = true;
	fe_out(s, "quit");
	return 0;
}

/* ---- raw ring access (robustness tests) ---- */

static int
fe_arg_addr(struct fe_script *s, const char *arg, uint64_t *addr)
{
	uint64_t off = 0;

	/* "scratch" or "scratch+N": free guest memory for test buffers. */
	if (strncmp(arg, "scratch", 7) == 0) {
		if (arg[7] == '+' && fe_parse_u64(arg + 8, UINT32_MAX, &off) < 0)
			return fe_fail(s, "bad-address", -EINVAL);
		if (arg[7] != '\0' && arg[7] != '+')
			return fe_fail(s, "bad-address", -EINVAL);
		*addr = s->net->scratch_gpa + off;
		return 0;
	}
	if (fe_parse_u64(arg, UINT64_MAX, addr) < 0)
		return fe_fail(s, "bad-address", -EINVAL);
	return 0;
}

static int
fe_arg_desc_flags(struct fe_script *s, const char *arg, uint16_t *flags)
{
	char buf[64], *tok, *save;
	uint64_t v;

	if (fe_parse_u64(arg, UINT16_MAX, &v) == 0) {
		*flags = (uint16_t)v;
		return 0;
	}
	if (strcmp(arg, "-") == 0) {
		*flags = 0;
		return 0;
	}
	if (strlen(arg) >= sizeof(buf))
		return fe_fail(s, "bad-flags", -EINVAL);
	strcpy(buf, arg);
	*flags = 0;
	for (tok = strtok_r(buf, ",|", &save); tok != NULL;
			tok = strtok_r(NULL, ",|", &save)) {
		if (strcmp(tok, "next") == 0)
			*flags |= FE_VRING_DESC_F_NEXT;
		else if (strcmp(tok, "write") == 0)
			*flags |= FE_VRING_DESC_F_WRITE;
		else if (strcmp(tok, "indirect") == 0)
			*flags |= FE_VRING_DESC_F_INDIRECT;
		else
			return fe_fail(s, "bad-flags", -EINVAL);
	}
	return 0;
}

static int
fe_cmd_raw_desc(struct fe_script *s, int argc, char **argv)
{
	struct fe_vring *vr;
	uint64_t idx, addr, len, next;
	uint16_t flags;

	(void)argc;
	if (fe_arg_vring(s, argv[1], &vr) < 0)
		return -EINVAL;
	if (fe_parse_u64(argv[2], vr->size - 1, &idx) < 0)
		return fe_fail(s, "bad-index", -EINVAL);
	if (fe_arg_addr(s, argv[3], &addr) < 0 ||
			fe_arg_desc_flags(s, argv[5], &flags) < 0)
		return -EINVAL;
	/* next is not bounded by the ring: out of range is a test case. */
	if (fe_parse_u64(argv[4], UINT32_MAX, &len) < 0 ||
			fe_parse_u64(argv[6], UINT16_MAX, &next) < 0)
		return fe_fail(s, "bad-argument", -EINVAL);
	fe_vring_raw_desc(vr, (uint16_t)idx, addr, (uint32_t)len, flags,
		(uint16_t)next);
	fe_out(s, "raw-desc vring=%u idx=%llu addr=0x%llx len=%llu flags=%u "
		"next=%llu", vr->index, (unsigned long long)idx,
		(unsigned long long)addr, (unsigned long long)len, flags,
		(unsigned long long)next);
	return 0;
}

static int
fe_cmd_raw_avail(struct fe_script *s, int argc, char **argv)
{
	struct fe_vring *vr;
	uint64_t head;
	int i;

	if (fe_arg_vring(s, argv[1], &vr) < 0)
		return -EINVAL;
	for (i = 2; i < argc; i++) {
		/* Heads beyond the ring are allowed: a test case. */
		if (fe_parse_u64(argv[i], UINT16_MAX, &head) < 0)
			return fe_fail(s, "bad-head", -EINVAL);
		fe_vring_raw_avail(vr, (uint16_t)head);
	}
	fe_vring_kick(vr, true);
	fe_out(s, "raw-avail vring=%u avail_idx=%u", vr->index, vr->avail_idx);
	return 0;
}

static int
fe_cmd_raw_avail_idx(struct fe_script *s, int argc, char **argv)
{
	struct fe_vring *vr;
	uint64_t idx;

	(void)argc;
	if (fe_arg_vring(s, argv[1], &vr) < 0)
		return -EINVAL;
	if (fe_parse_u64(argv[2], UINT16_MAX, &idx) < 0)
		return fe_fail(s, "bad-index", -EINVAL);
	fe_vring_raw_avail_idx(vr, (uint16_t)idx);
	fe_vring_kick(vr, true);
	fe_out(s, "raw-avail-idx vring=%u avail_idx=%u", vr->index,
		vr->avail_idx);
	return 0;
}

/* Indices, and on a raw vring the completions since the last look
 * (consumed: id:len,...), so a test sees what the backend did with
 * what it was given. */
static int
fe_cmd_raw_used(struct fe_script *s, int argc, char **argv)
{
	struct fe_vring *vr;
	uint16_t used_idx, last, id, i;
	size_t n = 0;
	uint32_t len;

	(void)argc;
	if (fe_arg_vring(s, argv[1], &vr) < 0)
		return -EINVAL;
	used_idx = fe_vring_used_idx(vr);
	last = vr->last_used;
	fe_hexbuf[0] = '\0';
	for (i = 0; vr->tainted && i < vr->size && n + 24 < FE_HEX_CAP; i++) {
		if (fe_vring_get_used(vr, &id, &len) <= 0)
			break;
		n += (size_t)snprintf(fe_hexbuf + n, FE_HEX_CAP - n, "%s%u:%u",
			n ? "," : "", id, len);
	}
	fe_out(s, "raw-used vring=%u used_idx=%u last_used=%u avail_idx=%u "
		"entries=%s", vr->index, used_idx, last, vr->avail_idx,
		n ? fe_hexbuf : "-");
	return 0;
}

static int
fe_cmd_kick(struct fe_script *s, int argc, char **argv)
{
	struct fe_vring *vr;

	(void)argc;
	if (fe_arg_vring(s, argv[1], &vr) < 0)
		return -EINVAL;
	fe_vring_kick(vr, true);
	fe_out(s, "kick vring=%u", vr->index);
	return 0;
}

/* ---- stream: loop in steps, across stop and reconnect ---- */

static void
fe_stream_drop(struct fe_script *s)
{
	if (s->stream != NULL) {
		fe_stream_fini(s->stream);
		free(s->stream);
		s->stream = NULL;
	}
}

static int
fe_cmd_stream(struct fe_script *s, int argc, char **argv)
{
	struct fe_loop_result r;
	uint32_t min_len = 60, max_len = 1514;
	uint64_t count, before;
	uint16_t pair = 0;
	int ms, ret;

	if (strcmp(argv[1], "begin") == 0) {
		if (argc < 3)
			return fe_fail(s, "usage", -EINVAL);
		if (strcmp(argv[2], "all") != 0 &&
				fe_arg_pair(s, argv[2], &pair) < 0)
			return -EINVAL;
		if (argc == 4 && fe_arg_lens(s, argv[3], &min_len,
				&max_len) < 0)
			return -EINVAL;
		/* A new stream replaces the old one, unchecked. */
		fe_stream_drop(s);
		s->stream = calloc(1, sizeof(*s->stream));
		if (s->stream == NULL)
			return fe_fail(s, "failed", -ENOMEM);
		ret = fe_stream_init(s->stream, s->net->p.pairs,
			strcmp(argv[2], "all") == 0 ? -1 : pair, min_len,
			max_len, FE_STREAM_MAGIC);
		if (ret < 0) {
			free(s->stream);
			s->stream = NULL;
			return fe_fail(s, fe_errno_reason(ret), ret);
		}
		fe_out(s, "stream begin pair=%s len=%u-%u", argv[2], min_len,
			max_len);
		return 0;
	}
	if (s->stream == NULL)
		return fe_fail(s, "no-stream", -EINVAL);
	if (strcmp(argv[1], "send") == 0) {
		if (argc != 3)
			return fe_fail(s, "usage", -EINVAL);
		if (fe_parse_u64(argv[2], UINT32_MAX, &count) < 0)
			return fe_fail(s, "bad-count", -EINVAL);
		before = s->stream->seq;
		ret = fe_stream_send(s->stream, s->net, count,
			fe_loop_window(s), fe_loop_idle_ms(s));
		if (ret < 0)
			return fe_fail(s, fe_errno_reason(ret), ret);
		fe_out(s, "stream send count=%llu sent=%llu total_sent=%llu "
			"received=%llu", (unsigned long long)count,
			(unsigned long long)(s->stream->seq - before),
			(unsigned long long)s->stream->seq,
			(unsigned long long)s->stream->unique);
		return 0;
	}
	if (strcmp(argv[1], "end") == 0) {
		if (argc > 3)
			return fe_fail(s, "usage", -EINVAL);
		ms = fe_loop_idle_ms(s);
		if (argc == 3 && fe_arg_ms(s, argv[2], &ms) < 0)
			return -EINVAL;
		ret = fe_stream_finish(s->stream, s->net, ms, &r);
		fe_stream_drop(s);
		if (ret < 0)
			return fe_fail(s, fe_errno_reason(ret), ret);
		fe_out(s, "stream end sent=%llu received=%llu lost=%llu "
			"dup=%llu corrupt=%llu misqueued=%llu reordered=%llu "
			"foreign=%llu ms=%llu", (unsigned long long)r.sent,
			(unsigned long long)r.received,
			(unsigned long long)r.lost, (unsigned long long)r.dup,
			(unsigned long long)r.corrupt,
			(unsigned long long)r.misqueued,
			(unsigned long long)r.reordered,
			(unsigned long long)r.foreign,
			(unsigned long long)r.ms);
		return 0;
	}
	return fe_fail(s, "usage", -EINVAL);
}

/* ---- dirty log (live migration) ---- */

/* The device-writable ranges (fe_net_log_ranges), allocated. */
static struct fe_log_range *
fe_log_ranges(struct fe_script *s, unsigned int *n)
{
	struct fe_log_range *r;
	unsigned int cap = fe_net_log_ranges(s->net, NULL, 0);

	r = calloc(cap ? cap : 1, sizeof(*r));
	if (r != NULL)
		*n = fe_net_log_ranges(s->net, r, cap);
	return r;
}

static int
fe_log_check(struct fe_script *s, int wait_ms)
{
	struct fe_net *net = s->net;
	struct fe_log *log = &net->log;
	struct fe_log_result res;
	const struct fe_log_range *where;
	struct fe_log_range *ranges;
	unsigned int nranges = 0;
	uint64_t deadline, i;
	int ret;

	if (log->fd < 0)
		return fe_fail(s, "no-log", -EINVAL);
	if (!log->has_snap)
		return fe_fail(s, "no-snapshot", -EINVAL);
	ranges = fe_log_ranges(s, &nranges);
	if (ranges == NULL)
		return fe_fail(s, "failed", -ENOMEM);
	/* A backend may log a page just after writing it (DPDK logs the
	 * used index after storing it): give a missing bit wait_ms to show
	 * up before calling it a miss. */
	deadline = fe_now_ms() + (uint64_t)wait_ms;
	for (;;) {
		ret = fe_log_compare(net->mem.va, log->snap, net->mem.size,
			net->mem.gpa_base, log->bitmap, log->nr_pages, ranges,
			nranges, &res);
		if (ret < 0 || res.missed == 0 || fe_now_ms() >= deadline)
			break;
		fe_sleep_ms(2);
	}
	if (ret < 0) {
		free(ranges);
		return fe_fail(s, fe_errno_reason(ret), ret);
	}
	for (i = 0; i < res.nmiss; i++) {
		where = fe_log_range_of(ranges, nranges, net->mem.gpa_base,
			res.miss[i]);
		fe_out(s, "log miss gpa=0x%llx page=%llu in=%s vring=%u",
			(unsigned long long)(res.miss[i] << FE_LOG_PAGE_SHIFT),
			(unsigned long long)res.miss[i],
			where ? fe_log_kind_name(where->kind) : "-",
			where ? where->vring : 0);
	}
	free(ranges);
	fe_out(s, "log check changed=%llu logged=%llu missed=%llu extra=%llu "
		"outside=%llu", (unsigned long long)res.changed,
		(unsigned long long)res.logged, (unsigned long long)res.missed,
		(unsigned long long)res.extra, (unsigned long long)res.outside);
	if (res.missed > 0)
		return fe_fail(s, "missed-pages", -EIO);
	return 0;
}

static int
fe_cmd_log(struct fe_script *s, int argc, char **argv)
{
	struct fe_net *net = s->net;
	struct fe_log *log = &net->log;
	struct fe_log_result res;
	uint64_t taken;
	int ms = 200, ret;

	if (strcmp(argv[1], "check") == 0) {
		if (argc == 3 && fe_arg_ms(s, argv[2], &ms) < 0)
			return -EINVAL;
		return fe_log_check(s, ms);
	}
	if (argc != 2)
		return fe_fail(s, "usage", -EINVAL);
	if (strcmp(argv[1], "start") == 0) {
		if (log->active)
			return fe_fail(s, "log-active", -EALREADY);
		if (!(net->offered & FE_BIT(FE_F_LOG_ALL)))
			ret = -ENOTSUP;
		else
			ret = fe_net_log_start(net);
		if (ret == -ENOTSUP)
			return fe_fail(s, net->offered & FE_BIT(FE_F_LOG_ALL) ?
				"no-log-shmfd" : "no-log-all", ret);
		if (ret == -EREMOTEIO)
			return fe_fail(s, "refused", ret);
		if (ret < 0)
			return fe_fail(s, fe_errno_reason(ret), ret);
		fe_out(s, "log started size=%llu pages=%llu reply_size=%u",
			(unsigned long long)log->size,
			(unsigned long long)log->nr_pages, log->reply_size);
		return 0;
	}
	if (strcmp(argv[1], "stop") == 0) {
		ret = fe_net_log_stop(net);
		if (ret == -EALREADY)
			return fe_fail(s, "log-off", ret);
		if (ret < 0)
			return fe_fail(s, fe_errno_reason(ret), ret);
		fe_out(s, "log stopped");
		return 0;
	}
	if (log->fd < 0)
		return fe_fail(s, "no-log", -EINVAL);
	if (strcmp(argv[1], "snapshot") == 0) {
		if (log->snap == NULL) {
			log->snap = malloc(net->mem.size);
			if (log->snap == NULL)
				return fe_fail(s, "failed", -ENOMEM);
		}
		/* QEMU's order: take the bits, then copy. A page written
		 * in between is both in the copy and logged again: extra
		 * at worst, never a miss. */
		taken = fe_log_take(log);
		memcpy(log->snap, net->mem.va, net->mem.size);
		log->has_snap = true;
		fe_out(s, "log snapshot bytes=%llu cleared=%llu",
			(unsigned long long)net->mem.size,
			(unsigned long long)taken);
		return 0;
	}
	if (strcmp(argv[1], "bits") == 0) {
		/* No ranges: nothing compared, every bit counted. */
		ret = fe_log_compare(net->mem.va, net->mem.va, net->mem.size,
			net->mem.gpa_base, log->bitmap, log->nr_pages, NULL, 0,
			&res);
		if (ret < 0)
			return fe_fail(s, fe_errno_reason(ret), ret);
		fe_out(s, "log bits logged=%llu outside=%llu active=%d",
			(unsigned long long)res.logged,
			(unsigned long long)res.outside, log->active);
		return 0;
	}
	return fe_fail(s, "usage", -EINVAL);
}

/* ---- migration between backends ---- */

static int
fe_cmd_reconnect(struct fe_script *s, int argc, char **argv)
{
	uint16_t used[2 * FE_MAX_PAIRS + 1];
	struct fe_reconnect_info info = { .used = used };
	struct fe_net *net = s->net;
	char mq[16] = "skipped";
	uint16_t i;
	int ret;

	if (argc == 3 && strcmp(argv[2], "mq") != 0)
		return fe_fail(s, "usage", -EINVAL);
	ret = fe_net_reconnect(net, argv[1], argc == 3, &info);
	if (ret == -EBUSY)
		return fe_fail(s, "not-stopped", ret);
	if (ret == -ENOTSUP)
		return fe_fail(s, "backend-mismatch", ret);
	if (ret == -ENAMETOOLONG)
		return fe_fail(s, "bad-argument", ret);
	if (ret < 0)
		return fe_fail(s, fe_errno_reason(ret), ret);
	for (i = 0; i < net->nb_vrings; i++)
		fe_out(s, "reconnect vring=%u kind=%s base=%u used_idx=%u "
			"avail_idx=%u", i, fe_vring_kind(net, i), net->bases[i],
			used[i], net->vrings[i].avail_idx);
	if (info.mq_sent && info.mq_ack < 0)
		snprintf(mq, sizeof(mq), "none");
	else if (info.mq_sent)
		snprintf(mq, sizeof(mq), "%d", info.mq_ack);
	fe_out(s, "reconnect done path=%s vrings=%u features=0x%llx "
		"bases=%s stuck=%u repeat=%u mq=%s", net->path, info.vrings,
		(unsigned long long)net->features,
		info.from_used ? "used" : "stop", info.stuck, info.repeat, mq);
	return 0;
}

static const struct fe_cmd fe_cmds[] = {
	{ "cvq", 2, 3, fe_cmd_cvq, FE_CMD_CVQ, "cvq CLASS CMD [HEXDATA|-]" },
	{ "rx", 2, 2, fe_cmd_cvq, FE_CMD_CVQ,
		"rx promisc|allmulti|alluni|nomulti|nouni|nobcast on|off" },
	{ "mac", 2, 3, fe_cmd_cvq, FE_CMD_CVQ,
		"mac set XX:XX:XX:XX:XX:XX | mac table UC,..|- MC,..|-" },
	{ "vlan", 2, 2, fe_cmd_cvq, FE_CMD_CVQ, "vlan add|del ID" },
	{ "announce", 1, 1, fe_cmd_cvq, FE_CMD_CVQ, "announce ack" },
	{ "mq", 2, 2, fe_cmd_cvq, FE_CMD_CVQ, "mq pairs N" },
	{ "rss", 5, 5, fe_cmd_cvq, FE_CMD_CVQ,
		"rss HASH_TYPES_HEX UNCLASSIFIED MAX_TX_VQ KEYHEX|- Q,Q,..." },
	{ "hash", 2, 2, fe_cmd_cvq, FE_CMD_CVQ, "hash HASH_TYPES_HEX KEYHEX|-" },
	{ "offloads", 1, 1, fe_cmd_cvq, FE_CMD_CVQ, "offloads HEX64" },
	{ "rand-cvq", 2, 2, fe_cmd_rand_cvq, FE_CMD_CVQ, "rand-cvq SEED COUNT" },
	{ "send", 2, 3, fe_cmd_send, FE_CMD_NET, "send PAIR HEXFRAME [COUNT]" },
	{ "recv", 1, 2, fe_cmd_recv, FE_CMD_NET, "recv TIMEOUT_MS [MAX]" },
	{ "drain", 0, 1, fe_cmd_drain, FE_CMD_NET, "drain [WAIT_MS]" },
	{ "probe", 2, -1, fe_cmd_probe, FE_CMD_NET,
		"probe PAIR HEXFRAME|@FILE ..." },
	{ "loop", 2, 3, fe_cmd_loop, FE_CMD_NET,
		"loop PAIR|all COUNT [LEN|MIN-MAX]" },
	{ "flood", 2, 3, fe_cmd_flood, FE_CMD_NET,
		"flood rx|tx|both SECONDS [LEN]" },
	{ "info", 0, 0, fe_cmd_info, FE_CMD_NET, "info" },
	{ "stats", 0, 0, fe_cmd_stats, FE_CMD_NET, "stats" },
	{ "stop", 0, 0, fe_cmd_stop, FE_CMD_NET, "stop" },
	{ "kick", 1, 1, fe_cmd_kick, FE_CMD_NET, "kick VRING|cvq" },
	{ "raw-desc", 6, 6, fe_cmd_raw_desc, FE_CMD_NET,
		"raw-desc VRING IDX ADDR|scratch[+N] LEN FLAGS NEXT" },
	{ "raw-avail", 2, -1, fe_cmd_raw_avail, FE_CMD_NET,
		"raw-avail VRING HEAD..." },
	{ "raw-avail-idx", 2, 2, fe_cmd_raw_avail_idx, FE_CMD_NET,
		"raw-avail-idx VRING IDX" },
	{ "raw-used", 1, 1, fe_cmd_raw_used, FE_CMD_NET, "raw-used VRING" },
	/* Live migration. log check compares only what the device may
	 * write (used rings, RX buffers, CVQ ack bytes, scratch): the rest
	 * is the driver's own writes, not the device's to log. */
	{ "log", 1, 2, fe_cmd_log, FE_CMD_NET,
		"log start|snapshot|bits|stop | log check [WAIT_MS]  "
		"(check: device-writable bytes only: used rings, RX buffers, "
		"CVQ acks, scratch)" },
	{ "stream", 1, 3, fe_cmd_stream, FE_CMD_NET,
		"stream begin PAIR|all [LEN|MIN-MAX] | stream send COUNT | "
		"stream end [IDLE_MS]" },
	{ "reconnect", 1, 2, fe_cmd_reconnect, FE_CMD_NET,
		"reconnect SOCKPATH [mq]  (after stop)" },
	{ "set", 2, 2, fe_cmd_set, 0,
		"set cvq_timeout|probe_timeout|timeout MS | set kick always|auto" },
	{ "sleep", 1, 1, fe_cmd_sleep, 0, "sleep MS" },
	{ "echo", 0, -1, fe_cmd_echo, 0, "echo TEXT..." },
	{ "expect", 1, -1, fe_cmd_expect, 0, "expect KEY=VALUE..." },
	{ "quit", 0, 0, fe_cmd_quit, 0, "quit" },
};

int
fe_script_init(struct fe_script *s)
{
	memset(s, 0, sizeof(*s));
	s->probe_timeout_ms = 200;
	s->pairs = 1;
	s->last_cap = 2 * FE_FRAME_MAX + 4096;
	s->last = calloc(1, s->last_cap);
	return s->last == NULL ? -ENOMEM : 0;
}

void
fe_script_fini(struct fe_script *s)
{
	fe_stream_drop(s);
	free(s->last);
	s->last = NULL;
}

int
fe_script_line(struct fe_script *s, char *line)
{
	static char *argv[FE_MAX_ARGS + 1];
	const struct fe_cmd *cmd = NULL;
	char *p, *save;
	int argc = 0, ret;
	unsigned int i;

	p = strchr(line, '#');
	if (p != NULL)
		*p = '\0';
	if (s->echo) {
		/* Before tokenising cuts the line up. */
		p = line + strspn(line, " \t\r\n");
		if (*p != '\0')
			printf("> %.*s\n", (int)strcspn(p, "\r\n"), p);
	}
	for (p = strtok_r(line, " \t\r\n", &save); p != NULL;
			p = strtok_r(NULL, " \t\r\n", &save)) {
		if (argc == FE_MAX_ARGS) {
			s->reason = "too-many-words";
			goto fail;
		}
		argv[argc++] = p;
	}
	if (argc == 0)
		return 0;
	argv[argc] = NULL;
	s->reason = NULL;
	for (i = 0; i < sizeof(fe_cmds) / sizeof(fe_cmds[0]); i++)
		if (strcmp(argv[0], fe_cmds[i].name) == 0)
			cmd = &fe_cmds[i];
	if (cmd == NULL) {
		s->reason = "unknown-command";
		goto fail;
	}
	if (argc - 1 < cmd->min_args ||
			(cmd->max_args >= 0 && argc - 1 > cmd->max_args)) {
		s->reason = "usage";
		goto fail;
	}
	if ((cmd->flags & FE_CMD_NET) && s->net == NULL) {
		s->reason = "no-backend";
		goto fail;
	}
	/* Once the backend is gone only reconnect can bring one back;
	 * nothing else that needs one is even tried. */
	if ((cmd->flags & FE_CMD_NET) && s->net->vh.broken &&
			cmd->fn != fe_cmd_reconnect) {
		s->reason = "backend-gone";
		goto fail;
	}
	ret = cmd->fn(s, argc, argv);
	if (ret == 0)
		return 0;
fail:
	s->errors++;
	printf("error line=%u cmd=%s reason=%s\n", s->line_no,
		argc ? argv[0] : "-", s->reason ? s->reason : "failed");
	if (cmd != NULL && s->reason != NULL && strcmp(s->reason, "usage") == 0)
		fprintf(stderr, "usage: %s\n", cmd->usage);
	return -EINVAL;
}

unsigned int
fe_script_run(struct fe_script *s, FILE *in)
{
	char *line = NULL;
	size_t cap = 0;

	while (!s->quit && getline(&line, &cap, in) >= 0) {
		s->line_no++;
		/* With keep_going, also past a backend that went away: a
		 * later reconnect may bring another (the commands before it
		 * fail at once with backend-gone). */
		if (fe_script_line(s, line) < 0 && !s->keep_going)
			break;
		fflush(stdout);
	}
	fflush(stdout);
	free(line);
	return s->errors;
}
