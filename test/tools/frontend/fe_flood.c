/* SPDX-License-Identifier: BSD-3-Clause */

/*
 * Threat model: the backend under test writes the used rings and the RX
 * buffers. Every used entry goes through fe_vring_get_used (id in flight,
 * length within what the chain offered, index bounded by the ring); of an
 * RX buffer only the header's num_buffers is read, after the used length
 * was found to cover the header, and it is bounded by the ring size.
 * Payloads are not read at all: this mode measures, loop checks.
 */

#include <errno.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "fe_flood.h"
#include "fe_util.h"
#include "fe_virtio.h"

/* How often the loop looks for a backend that went away (and reads the
 * call eventfds), in milliseconds. */
#define FE_FLOOD_CHECK_MS	100
/* The shortest frame: destination, source, EtherType. */
#define FE_FLOOD_MIN_LEN	14u

/* The frame every TX slot holds: to 02:00:00:00:00:01 from
 * 02:00:00:00:00:02, loop's EtherType (IEEE local experimental), zeros. */
static void
fe_flood_frame(uint8_t *f, uint32_t len)
{
	static const uint8_t hdr[FE_FLOOD_MIN_LEN] = {
		0x02, 0, 0, 0, 0, 0x01, 0x02, 0, 0, 0, 0, 0x02,
		0x88, 0xb5,
	};

	memset(f, 0, len);
	memcpy(f, hdr, sizeof(hdr));
}

static uint64_t
fe_flood_bad_used(const struct fe_net *net)
{
	uint64_t n = 0;
	uint16_t i;

	for (i = 0; i < 2 * net->p.pairs; i++)
		n += net->vrings[i].st.bad_id + net->vrings[i].st.bad_len +
			net->vrings[i].st.bad_idx;
	return n;
}

/*
 * Take what RX vring vr completed, count the frames, repost every buffer
 * at once with one publish. *merge_left carries the buffers a merged
 * frame still has to come. Returns the used entries read.
 */
static uint32_t
fe_flood_rx_pass(struct fe_net *net, struct fe_vring *vr, bool mrg,
		uint16_t *merge_left, struct fe_flood_result *r)
{
	uint32_t n, len;
	uint16_t head, nb;
	int ret;

	for (n = 0; n < vr->size; n++) {
		ret = fe_vring_get_used(vr, &head, &len);
		if (ret == 0 || vr->broken)
			break;
		if (ret < 0)
			continue;	/* counted by fe_vring */
		if (*merge_left > 0) {
			(*merge_left)--;
			r->rx_bytes += len;
			continue;
		}
		if (len < net->hdr_len) {
			r->rx_bad++;
			continue;
		}
		nb = 1;
		if (mrg)
			memcpy(&nb, fe_vring_slot_va(vr, head) +
				offsetof(struct fe_net_hdr, num_buffers),
				sizeof(nb));
		if (nb == 0 || nb > vr->size) {
			r->rx_bad++;
			continue;
		}
		*merge_left = (uint16_t)(nb - 1);
		r->rx_frames++;
		r->rx_bytes += len - net->hdr_len;
	}
	if (n > 0) {
		fe_net_rx_refill(net, vr);
		fe_vring_kick(vr, false);
	}
	return n;
}

/*
 * Take what TX vring vr completed, then fill every free descriptor with
 * the frame, one publish for all. built[head] says whether head's slot
 * already holds the frame: each slot is written once per flood. Returns
 * the used entries read.
 */
static uint32_t
fe_flood_tx_pass(struct fe_net *net, struct fe_vring *vr, uint8_t *built,
		const uint8_t *frame, uint32_t len, struct fe_flood_result *r)
{
	struct fe_seg segs[2];
	uint32_t n, added = 0, wlen;
	uint16_t head;
	int ret;

	for (n = 0; n < vr->size; n++) {
		ret = fe_vring_get_used(vr, &head, &wlen);
		if (ret == 0 || vr->broken)
			break;
		if (ret > 0) {
			r->tx_frames++;
			r->tx_bytes += len;
		}
	}
	while ((ret = fe_vring_peek_head(vr)) >= 0) {
		head = (uint16_t)ret;
		if (!built[head]) {
			fe_net_tx_write(net, vr, head, frame, len);
			built[head] = 1;
		}
		if (fe_vring_add(vr, segs,
				fe_net_tx_segs(net, vr, head, len, segs)) < 0)
			break;	/* -ENOSPC: no room for a whole chain */
		added++;
	}
	if (added > 0) {
		fe_vring_publish(vr);
		fe_vring_kick(vr, false);
		net->st.tx_frames += added;
		net->st.tx_bytes += (uint64_t)added * len;
	}
	return n;
}

int
fe_flood(struct fe_net *net, unsigned int dir, uint64_t ms, uint32_t len,
		struct fe_flood_result *r)
{
	const bool mrg = (net->features & FE_BIT(FE_F_MRG_RXBUF)) != 0;
	uint16_t merge_left[FE_MAX_PAIRS] = { 0 };
	uint64_t start, prev, now, deadline, next_check, bad_before, cpu;
	uint16_t pairs = net->p.pairs, ring = net->p.ring_size, q, i;
	uint8_t *frame = NULL, *built = NULL;
	uint32_t found;
	int ret = 0;

	memset(r, 0, sizeof(*r));
	if (dir == 0 || (dir & ~(FE_FLOOD_RX | FE_FLOOD_TX)) != 0 ||
			len < FE_FLOOD_MIN_LEN || len > fe_net_tx_room(net))
		return -EINVAL;
	if (net->vh.broken)
		return -ECONNRESET;
	if (!net->running || net->vrings == NULL)
		return -ESHUTDOWN;
	for (i = 0; i < 2 * pairs; i++)
		if (net->vrings[i].tainted)
			return -EPERM;
	frame = malloc(len);
	built = calloc((size_t)pairs * ring, 1);
	if (frame == NULL || built == NULL) {
		ret = -ENOMEM;
		goto out;
	}
	fe_flood_frame(frame, len);
	fe_net_reclaim(net);
	bad_before = fe_flood_bad_used(net);
	for (i = 0; i < 2 * pairs; i++)
		fe_vring_set_calls(&net->vrings[i], false);

	cpu = fe_cpu_ns();
	start = fe_now_ns();
	prev = start;
	deadline = start + ms * 1000000;
	next_check = start + FE_FLOOD_CHECK_MS * 1000000;
	for (;;) {
		found = 0;
		for (q = 0; q < pairs; q++) {
			struct fe_vring *rx = &net->vrings[2 * q];
			struct fe_vring *tx = &net->vrings[2 * q + 1];

			if (dir & FE_FLOOD_RX)
				found += fe_flood_rx_pass(net, rx, mrg,
					&merge_left[q], r);
			if (dir & FE_FLOOD_TX)
				found += fe_flood_tx_pass(net, tx,
					built + (size_t)q * ring, frame, len,
					r);
			if (rx->broken || tx->broken) {
				ret = -EPROTO;
				break;
			}
		}
		now = fe_now_ns();
		r->polls++;
		if (found > 0) {
			r->busy_polls++;
			r->busy_ns += now - prev;
		}
		r->completions += found;
		prev = now;
		if (ret < 0 || now >= deadline)
			break;
		if (now >= next_check) {
			ret = fe_net_wait(net, 0);
			if (ret < 0)
				break;
			next_check = now + FE_FLOOD_CHECK_MS * 1000000;
			prev = fe_now_ns();
		}
	}
	r->ns = now - start;
	r->cpu_ns = fe_cpu_ns() - cpu;
	r->bad_used = fe_flood_bad_used(net) - bad_before;
	net->st.rx_frames += r->rx_frames;
	net->st.rx_bytes += r->rx_bytes;
	net->st.rx_bad += r->rx_bad;
	for (i = 0; i < 2 * pairs; i++)
		fe_vring_set_calls(&net->vrings[i], true);
out:
	free(frame);
	free(built);
	return ret;
}
