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
#define FE_LOOP_MAGIC	0x53565146u	/* "SVQF" */

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
fe_loop_build(uint8_t *f, uint16_t pair, uint64_t seq, uint32_t len)
{
	static const uint8_t dst[6] = { 0x02, 0, 0, 0, 0, 0x01 };
	static const uint8_t src[6] = { 0x02, 0, 0, 0, 0, 0x02 };
	uint32_t i;

	memcpy(f, dst, 6);
	memcpy(f + 6, src, 6);
	f[12] = FE_LOOP_ETHERTYPE >> 8;
	f[13] = FE_LOOP_ETHERTYPE & 0xff;
	fe_put32(f + 14, FE_LOOP_MAGIC);
	fe_put32(f + 18, pair);
	fe_put32(f + 22, (uint32_t)seq);
	f[26] = (uint8_t)(len >> 8);
	f[27] = (uint8_t)len;
	for (i = FE_LOOP_HDR; i < len; i++)
		f[i] = (uint8_t)(seq * 31 + i);
}

int
fe_traffic_loop(struct fe_net *net, int pair, uint64_t count,
		uint32_t min_len, uint32_t max_len, uint32_t window,
		int idle_ms, struct fe_loop_result *r)
{
	static uint8_t tx[FE_FRAME_MAX], want[FE_FRAME_MAX];
	static struct fe_frame f;
	uint16_t pairs = net->p.pairs, p, q;
	uint64_t *expect = NULL, *inflight = NULL;
	uint8_t *seen = NULL;
	uint64_t seq, start, last_progress, i;
	uint32_t len, fp, fs, flen;
	int ret = 0;

	memset(r, 0, sizeof(*r));
	if (min_len < FE_LOOP_HDR + 2 || max_len < min_len ||
			max_len > FE_FRAME_MAX || count > UINT32_MAX)
		return -EINVAL;
	/* Sequence numbers are global: round-robin sends frame k on pair
	 * k % pairs, so the checker knows each frame's pair from k alone. */
	expect = calloc(pairs, sizeof(*expect));
	inflight = calloc(pairs, sizeof(*inflight));
	seen = calloc(count ? count : 1, 1);
	if (expect == NULL || inflight == NULL ||
			seen == NULL) {
		ret = -ENOMEM;
		goto out;
	}
	/* Round-robin: pair p's first frame is sequence number p. */
	for (p = 0; pair < 0 && p < pairs; p++)
		expect[p] = p;
	start = fe_now_ms();
	last_progress = start;
	seq = 0;
	while (r->received - r->dup < count) {
		/* Send while the window allows. */
		while (seq < count) {
			p = pair >= 0 ? (uint16_t)pair : (uint16_t)(seq % pairs);
			if (inflight[p] >= window)
				break;
			len = fe_loop_len(seq, min_len, max_len);
			fe_loop_build(tx, p, seq, len);
			ret = fe_net_send(net, p, tx, len);
			if (ret == -ENOBUFS)
				break;	/* TX ring full: receive first */
			if (ret < 0)
				goto out;
			inflight[p]++;
			r->sent++;
			seq++;
		}
		/* Receive whatever is there. */
		while (fe_net_rx_frame(net, &f) == 1) {
			last_progress = fe_now_ms();
			q = f.pair;
			if (f.len < FE_LOOP_HDR ||
					f.data[12] != FE_LOOP_ETHERTYPE >> 8 ||
					f.data[13] != (FE_LOOP_ETHERTYPE & 0xff) ||
					fe_get32(f.data + 14) != FE_LOOP_MAGIC) {
				r->foreign++;
				continue;
			}
			fp = fe_get32(f.data + 18);
			fs = fe_get32(f.data + 22);
			flen = (uint32_t)f.data[26] << 8 | f.data[27];
			if (fs >= seq || fp >= pairs ||
					(pair >= 0 ? fp != (uint32_t)pair :
					 fp != fs % pairs) ||
					flen != fe_loop_len(fs, min_len, max_len) ||
					f.len != flen) {
				r->corrupt++;
				continue;
			}
			fe_loop_build(want, (uint16_t)fp, fs, flen);
			if (memcmp(want, f.data, flen) != 0) {
				r->corrupt++;
				continue;
			}
			r->received++;
			if (seen[fs]) {
				r->dup++;
				continue;
			}
			seen[fs] = 1;
			if (inflight[fp] > 0)
				inflight[fp]--;
			if (q != fp)
				r->misqueued++;
			/* In order per pair: the next one from that pair. */
			if (fs != expect[fp]) {
				if (r->reordered++ < 5)
					FE_LOG("loop: pair %u: got seq %u, expected "
						"%llu", fp, fs,
						(unsigned long long)expect[fp]);
			}
			expect[fp] = fs + (pair >= 0 ? 1 : pairs);
		}
		if (fe_now_ms() - last_progress > (uint64_t)idle_ms)
			break;
		ret = fe_net_wait(net, 1);
		if (ret < 0)
			goto out;
	}
	ret = 0;
	/* Seen or lost by sequence number: [0, seq) were sent. */
	for (i = 0; i < seq; i++)
		if (!seen[i])
			r->lost++;
	r->lost += count - seq;	/* never even sent (TX stuck) */
	r->ms = fe_now_ms() - start;
out:
	free(expect);
	free(inflight);
	free(seen);
	return ret;
}
