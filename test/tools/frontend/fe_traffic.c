/* SPDX-License-Identifier: BSD-3-Clause */

/*
 * Threat model: received frames come from the backend under test and may
 * be anything; a frame counts as ours only after its header fields are
 * bounded and its whole content matches what the sequence number says it
 * must be.
 */

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "fe_traffic.h"
#include "fe_util.h"

/* dst, src, EtherType, then magic, pair, seq, len, then the pattern. */
#define FE_LOOP_HDR	28u

static uint32_t
fe_loop_len(uint64_t seq, uint32_t min_len, uint32_t max_len)
{
	/* Spread over the range, the same for sender and checker. */
	return min_len + (uint32_t)((seq * 7919u) % (max_len - min_len + 1));
}

static void
fe_put32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 24);
	p[1] = (uint8_t)(v >> 16);
	p[2] = (uint8_t)(v >> 8);
	p[3] = (uint8_t)v;
}

static uint32_t
fe_get32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 |
		(uint32_t)p[2] << 8 | p[3];
}

static void
fe_loop_build(uint8_t *f, uint32_t magic, uint16_t pair, uint64_t seq,
		uint32_t len)
{
	static const uint8_t dst[6] = { 0x02, 0, 0, 0, 0, 0x01 };
	static const uint8_t src[6] = { 0x02, 0, 0, 0, 0, 0x02 };
	uint32_t i;

	memcpy(f, dst, 6);
	memcpy(f + 6, src, 6);
	f[12] = FE_LOOP_ETHERTYPE >> 8;
	f[13] = FE_LOOP_ETHERTYPE & 0xff;
	fe_put32(f + 14, magic);
	fe_put32(f + 18, pair);
	fe_put32(f + 22, (uint32_t)seq);
	f[26] = (uint8_t)(len >> 8);
	f[27] = (uint8_t)len;
	for (i = FE_LOOP_HDR; i < len; i++)
		f[i] = (uint8_t)(seq * 31 + i);
}

int
fe_stream_init(struct fe_stream *s, uint16_t pairs, int pair,
		uint32_t min_len, uint32_t max_len, uint32_t magic)
{
	uint16_t p;

	memset(s, 0, sizeof(*s));
	if (pairs == 0 || pair >= (int)pairs || min_len < FE_LOOP_HDR + 2 ||
			max_len < min_len || max_len > FE_FRAME_MAX)
		return -EINVAL;
	s->pair = pair;
	s->pairs = pairs;
	s->min_len = min_len;
	s->max_len = max_len;
	s->magic = magic;
	s->expect = calloc(pairs, sizeof(*s->expect));
	s->inflight = calloc(pairs, sizeof(*s->inflight));
	s->seen_cap = 4096;
	s->seen = calloc(s->seen_cap, 1);
	if (s->expect == NULL || s->inflight == NULL || s->seen == NULL) {
		fe_stream_fini(s);
		return -ENOMEM;
	}
	/* Sequence numbers are global: round-robin sends frame k on pair
	 * k % pairs, so the checker knows each frame's pair from k alone;
	 * pair p's first frame is sequence number p. */
	for (p = 0; pair < 0 && p < pairs; p++)
		s->expect[p] = p;
	s->start_ms = fe_now_ms();
	return 0;
}

void
fe_stream_fini(struct fe_stream *s)
{
	free(s->expect);
	free(s->inflight);
	free(s->seen);
	memset(s, 0, sizeof(*s));
}

/* Room in seen[] for sequence number seq. */
static int
fe_stream_grow(struct fe_stream *s, uint64_t seq)
{
	uint64_t cap = s->seen_cap;
	uint8_t *n;

	if (seq < cap)
		return 0;
	while (cap <= seq)
		cap *= 2;
	n = realloc(s->seen, cap);
	if (n == NULL)
		return -ENOMEM;
	memset(n + s->seen_cap, 0, cap - s->seen_cap);
	s->seen = n;
	s->seen_cap = cap;
	return 0;
}

/* Check one received frame against what the stream sent. Returns true
 * when it was a new frame of ours. */
static bool
fe_stream_check(struct fe_stream *s, const struct fe_frame *f)
{
	static uint8_t want[FE_FRAME_MAX];
	struct fe_loop_result *r = &s->r;
	uint32_t fp, fs, flen;

	if (f->len < FE_LOOP_HDR ||
			f->data[12] != FE_LOOP_ETHERTYPE >> 8 ||
			f->data[13] != (FE_LOOP_ETHERTYPE & 0xff) ||
			fe_get32(f->data + 14) != s->magic) {
		r->foreign++;
		return false;
	}
	fp = fe_get32(f->data + 18);
	fs = fe_get32(f->data + 22);
	flen = (uint32_t)f->data[26] << 8 | f->data[27];
	if (fs >= s->seq || fp >= s->pairs ||
			(s->pair >= 0 ? fp != (uint32_t)s->pair :
			 fp != fs % s->pairs) ||
			flen != fe_loop_len(fs, s->min_len, s->max_len) ||
			f->len != flen) {
		r->corrupt++;
		return false;
	}
	fe_loop_build(want, s->magic, (uint16_t)fp, fs, flen);
	if (memcmp(want, f->data, flen) != 0) {
		r->corrupt++;
		return false;
	}
	r->received++;
	if (s->seen[fs]) {
		r->dup++;
		return false;
	}
	s->seen[fs] = 1;
	s->unique++;
	if (s->inflight[fp] > 0)
		s->inflight[fp]--;
	if (f->pair != fp)
		r->misqueued++;
	/* In order per pair: the next one from that pair. */
	if (fs != s->expect[fp]) {
		if (r->reordered++ < 5)
			FE_LOG("stream: pair %u: got seq %u, expected %llu", fp,
				fs, (unsigned long long)s->expect[fp]);
	}
	s->expect[fp] = fs + (s->pair >= 0 ? 1 : s->pairs);
	return true;
}

/*
 * Send until target frames have gone, receiving meanwhile; with drain,
 * then also until every frame sent is back. Stops early when nothing has
 * been sent or received for idle_ms.
 */
static int
fe_stream_pump(struct fe_stream *s, struct fe_net *net, uint64_t target,
		uint32_t window, int idle_ms, bool drain)
{
	static uint8_t tx[FE_FRAME_MAX];
	static struct fe_frame f;
	uint64_t last_progress = fe_now_ms();
	uint32_t len;
	uint16_t p;
	int ret;

	if (target > UINT32_MAX)
		return -EINVAL;	/* the sequence field is 32 bits */
	for (;;) {
		/* Send while the window allows. */
		while (s->seq < target) {
			p = s->pair >= 0 ? (uint16_t)s->pair :
				(uint16_t)(s->seq % s->pairs);
			if (s->inflight[p] >= window)
				break;
			ret = fe_stream_grow(s, s->seq);
			if (ret < 0)
				return ret;
			len = fe_loop_len(s->seq, s->min_len, s->max_len);
			fe_loop_build(tx, s->magic, p, s->seq, len);
			ret = fe_net_send(net, p, tx, len);
			if (ret == -ENOBUFS)
				break;	/* TX ring full: receive first */
			if (ret < 0)
				return ret;
			s->inflight[p]++;
			s->r.sent++;
			s->seq++;
		}
		/* Sending only: back as soon as the last frame is queued,
		 * so the last window is still in flight (in the TX ring, in
		 * the device, or completed and not yet read) for whatever
		 * the script does next -- stop, say. */
		if (!drain && s->seq >= target)
			return 0;
		/* Receive whatever is there. */
		while (fe_net_rx_frame(net, &f) == 1) {
			last_progress = fe_now_ms();
			fe_stream_check(s, &f);
		}
		if (drain && s->seq >= target && s->unique == s->seq)
			return 0;
		if (fe_now_ms() - last_progress > (uint64_t)idle_ms)
			return 0;
		ret = fe_net_wait(net, 1);
		if (ret < 0)
			return ret;
	}
}

int
fe_stream_send(struct fe_stream *s, struct fe_net *net, uint64_t count,
		uint32_t window, int idle_ms)
{
	if (count > UINT32_MAX - s->seq)
		return -EINVAL;
	return fe_stream_pump(s, net, s->seq + count, window ? window : 1,
		idle_ms, false);
}

int
fe_stream_finish(struct fe_stream *s, struct fe_net *net, int idle_ms,
		struct fe_loop_result *r)
{
	int ret = 0;

	if (s->unique < s->seq)
		ret = fe_stream_pump(s, net, s->seq, 1, idle_ms, true);
	*r = s->r;
	/* Seen or lost by sequence number: [0, seq) were sent. */
	r->lost = s->seq - s->unique;
	r->ms = fe_now_ms() - s->start_ms;
	return ret;
}

int
fe_traffic_loop(struct fe_net *net, int pair, uint64_t count,
		uint32_t min_len, uint32_t max_len, uint32_t window,
		int idle_ms, struct fe_loop_result *r)
{
	struct fe_stream s;
	int ret;

	memset(r, 0, sizeof(*r));
	if (count > UINT32_MAX)
		return -EINVAL;
	ret = fe_stream_init(&s, net->p.pairs, pair, min_len, max_len,
		FE_LOOP_MAGIC);
	if (ret < 0)
		return ret;
	ret = fe_stream_pump(&s, net, count, window ? window : 1, idle_ms,
		true);
	if (ret == 0) {
		*r = s.r;
		/* Sent and never back, and never even sent (TX stuck). */
		r->lost = s.seq - s.unique + (count - s.seq);
		r->ms = fe_now_ms() - s.start_ms;
	}
	fe_stream_fini(&s);
	return ret;
}
