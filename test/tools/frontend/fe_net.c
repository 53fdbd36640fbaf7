/* SPDX-License-Identifier: BSD-3-Clause */

/*
 * virtio-net driver model over vhost-user.
 *
 * Threat model: the backend writes the used rings, the RX buffers (header
 * and frame) and the CVQ ack bytes. RX headers are checked (length,
 * num_buffers bounded by the ring) before a frame is assembled; a merged
 * frame that never completes is dropped after a bounded wait; every wait
 * has a deadline and notices a backend that went away.
 */

#include <errno.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>

#include "fe_net.h"
#include "fe_util.h"
#include "fe_virtio.h"

/* TX: the frame starts this far into a slot when the header has its own
 * descriptor. */
#define FE_TX_FRAME_OFF	64u
/* CVQ slot: header at 0, data at 16, the ack after the largest data. */
#define FE_CVQ_DATA_OFF	16u
#define FE_CVQ_SLOT	(((FE_CVQ_DATA_OFF + FE_CVQ_DATA_MAX + 1) + 4095) & ~4095u)
/* How long the rest of a merged RX frame may take to appear. */
#define FE_MERGE_WAIT_MS 100
#define FE_SCRATCH_LEN	(64u * 1024)

static const char *const fe_feature_names[64] = {
	[FE_F_CSUM] = "CSUM",
	[FE_F_GUEST_CSUM] = "GUEST_CSUM",
	[FE_F_CTRL_GUEST_OFFLOADS] = "CTRL_GUEST_OFFLOADS",
	[FE_F_MTU] = "MTU",
	[FE_F_MAC] = "MAC",
	[FE_F_GUEST_TSO4] = "GUEST_TSO4",
	[FE_F_GUEST_TSO6] = "GUEST_TSO6",
	[FE_F_GUEST_ECN] = "GUEST_ECN",
	[FE_F_GUEST_UFO] = "GUEST_UFO",
	[FE_F_HOST_TSO4] = "HOST_TSO4",
	[FE_F_HOST_TSO6] = "HOST_TSO6",
	[FE_F_HOST_ECN] = "HOST_ECN",
	[FE_F_HOST_UFO] = "HOST_UFO",
	[FE_F_MRG_RXBUF] = "MRG_RXBUF",
	[FE_F_STATUS] = "STATUS",
	[FE_F_CTRL_VQ] = "CTRL_VQ",
	[FE_F_CTRL_RX] = "CTRL_RX",
	[FE_F_CTRL_VLAN] = "CTRL_VLAN",
	[FE_F_CTRL_RX_EXTRA] = "CTRL_RX_EXTRA",
	[FE_F_GUEST_ANNOUNCE] = "GUEST_ANNOUNCE",
	[FE_F_MQ] = "MQ",
	[FE_F_CTRL_MAC_ADDR] = "CTRL_MAC_ADDR",
	[FE_F_LOG_ALL] = "LOG_ALL",
	[FE_F_RING_INDIRECT_DESC] = "RING_INDIRECT_DESC",
	[FE_F_RING_EVENT_IDX] = "RING_EVENT_IDX",
	[FE_F_PROTOCOL_FEATURES] = "PROTOCOL_FEATURES",
	[FE_F_VERSION_1] = "VERSION_1",
	[FE_F_ACCESS_PLATFORM] = "ACCESS_PLATFORM",
	[FE_F_RING_PACKED] = "RING_PACKED",
	[FE_F_IN_ORDER] = "IN_ORDER",
	[FE_F_GUEST_USO4] = "GUEST_USO4",
	[FE_F_GUEST_USO6] = "GUEST_USO6",
	[FE_F_HOST_USO] = "HOST_USO",
	[FE_F_HASH_REPORT] = "HASH_REPORT",
	[FE_F_GUEST_HDRLEN] = "GUEST_HDRLEN",
	[FE_F_RSS] = "RSS",
};

const char *
fe_feature_name(unsigned int bit)
{
	return bit < 64 ? fe_feature_names[bit] : NULL;
}

static int
fe_feature_bit(const char *name, size_t len)
{
	char buf[32];
	uint64_t v;
	unsigned int i;

	if (len == 0 || len >= sizeof(buf))
		return -EINVAL;
	memcpy(buf, name, len);
	buf[len] = '\0';
	for (i = 0; i < 64; i++)
		if (fe_feature_names[i] != NULL &&
				strcasecmp(buf, fe_feature_names[i]) == 0)
			return (int)i;
	if (fe_parse_u64(buf, 63, &v) == 0)
		return (int)v;
	return -EINVAL;
}

int
fe_features_parse(const char *spec, uint64_t base, uint64_t *out)
{
	const char *p = spec, *comma;
	bool relative = spec[0] == '+' || spec[0] == '-';
	uint64_t v = relative ? base : 0;
	size_t len;
	char sign;
	int bit;

	if (spec[0] == '0' && (spec[1] == 'x' || spec[1] == 'X'))
		return fe_parse_hex_u64(spec, UINT64_MAX, out);
	for (;;) {
		comma = strchr(p, ',');
		len = comma != NULL ? (size_t)(comma - p) : strlen(p);
		sign = (*p == '+' || *p == '-') ? *p : 0;
		/* No mixing: "A,+B" would be ambiguous. */
		if ((sign != 0) != relative)
			return -EINVAL;
		if (sign != 0) {
			p++;
			len--;
		}
		bit = fe_feature_bit(p, len);
		if (bit < 0)
			return -EINVAL;
		if (sign == '-')
			v &= ~FE_BIT(bit);
		else
			v |= FE_BIT(bit);
		if (comma == NULL)
			break;
		p = comma + 1;
	}
	*out = v;
	return 0;
}

void
fe_features_format(uint64_t features, char *buf, size_t len)
{
	size_t used = 0;
	unsigned int i;
	int n;

	buf[0] = '\0';
	for (i = 0; i < 64; i++) {
		if (!(features & FE_BIT(i)))
			continue;
		if (fe_feature_names[i] != NULL)
			n = snprintf(buf + used, len - used, "%s%s",
				used ? "," : "", fe_feature_names[i]);
		else
			n = snprintf(buf + used, len - used, "%s%u",
				used ? "," : "", i);
		if (n < 0 || (size_t)n >= len - used)
			return;
		used += (size_t)n;
	}
	if (used == 0)
		snprintf(buf, len, "-");
}

static bool
fe_has(const struct fe_net *net, unsigned int bit)
{
	return (net->features & FE_BIT(bit)) != 0;
}

void
fe_net_rx_refill(struct fe_net *net, struct fe_vring *vr)
{
	struct fe_seg seg = { .len = net->p.rx_buf, .write = true };
	int head;

	while ((head = fe_vring_peek_head(vr)) >= 0) {
		seg.gpa = fe_vring_slot_gpa(vr, (uint16_t)head);
		if (fe_vring_add(vr, &seg, 1) < 0)
			break;
	}
	fe_vring_publish(vr);
}

/*
 * Feature negotiation. With require 0 (set-up), the features wanted and
 * offered; otherwise (reconnect) exactly require, which the backend must
 * offer in full: a guest driver cannot renegotiate under way.
 */
static int
fe_net_negotiate(struct fe_net *net, uint64_t require)
{
	struct fe_vhost *vh = &net->vh;
	const struct fe_net_params *p = &net->p;
	uint64_t want;
	int ret;

	ret = fe_vhost_get_u64(vh, FE_VHOST_USER_GET_FEATURES, &net->offered);
	if (ret < 0)
		return ret;
	if (!(net->offered & FE_BIT(FE_F_VERSION_1))) {
		FE_LOG("backend does not offer VERSION_1 (features 0x%llx)",
			(unsigned long long)net->offered);
		return -ENOTSUP;
	}
	if (net->offered & FE_BIT(FE_F_PROTOCOL_FEATURES)) {
		ret = fe_vhost_get_u64(vh, FE_VHOST_USER_GET_PROTOCOL_FEATURES,
			&net->proto_offered);
		if (ret < 0)
			return ret;
		/* LOG_SHMFD as QEMU does: a backend without it cannot be
		 * migrated, and asking costs nothing until log start. */
		net->proto = net->proto_offered &
			(FE_BIT(FE_VHOST_PROTOCOL_F_MQ) |
			 FE_BIT(FE_VHOST_PROTOCOL_F_LOG_SHMFD) |
			 FE_BIT(FE_VHOST_PROTOCOL_F_REPLY_ACK));
		ret = fe_vhost_set_u64(vh, FE_VHOST_USER_SET_PROTOCOL_FEATURES,
			net->proto);
		if (ret < 0)
			return ret;
		/* From here on every set message is acknowledged. */
		vh->reply_ack = (net->proto &
			FE_BIT(FE_VHOST_PROTOCOL_F_REPLY_ACK)) != 0;
		if (net->proto & FE_BIT(FE_VHOST_PROTOCOL_F_MQ)) {
			ret = fe_vhost_get_u64(vh, FE_VHOST_USER_GET_QUEUE_NUM,
				&net->backend_queues);
			if (ret < 0)
				return ret;
		}
	}
	ret = fe_vhost_set_owner(vh);
	if (ret < 0)
		return ret;

	/* LOG_ALL is not a device feature: only log start sends it. */
	want = (p->features | FE_BIT(FE_F_VERSION_1)) & ~FE_BIT(FE_F_LOG_ALL);
	net->features = want & net->offered;
	if (net->offered & FE_BIT(FE_F_PROTOCOL_FEATURES))
		net->features |= FE_BIT(FE_F_PROTOCOL_FEATURES);
	if (require != 0) {
		if (require & ~net->offered) {
			FE_LOG("%s: backend lacks features 0x%llx the guest "
				"negotiated (offered 0x%llx)", p->path,
				(unsigned long long)(require & ~net->offered),
				(unsigned long long)net->offered);
			return -ENOTSUP;
		}
		net->features = require;
	}
	/* Spec 5.1.2: without MQ and RSS there is one pair and the CVQ is
	 * vring 2; with either, max_virtqueue_pairs pairs and the CVQ at
	 * twice that, which is what --queues stands for. */
	if (p->pairs > 1 && !fe_has(net, FE_F_MQ) && !fe_has(net, FE_F_RSS)) {
		FE_LOG("%u queue pairs need MQ or RSS, neither was negotiated "
			"(offered 0x%llx)", p->pairs,
			(unsigned long long)net->offered);
		return -ENOTSUP;
	}
	if (net->backend_queues != 0 && p->pairs > net->backend_queues) {
		FE_LOG("backend supports %llu queue pairs, asked for %u",
			(unsigned long long)net->backend_queues, p->pairs);
		return -ENOTSUP;
	}
	ret = fe_vhost_set_u64(vh, FE_VHOST_USER_SET_FEATURES, net->features);
	if (ret < 0)
		return ret;
	net->hdr_len = fe_has(net, FE_F_HASH_REPORT) ?
		FE_NET_HDR_HASH_LEN : FE_NET_HDR_LEN;
	return 0;
}

static int fe_net_send_mem_table(struct fe_net *net);

static int
fe_net_setup_memory(struct fe_net *net)
{
	const struct fe_net_params *p = &net->p;
	uint16_t i;
	uint64_t off;
	int ret;

	ret = fe_mem_create(&net->mem, p->mem_size, p->mem_base);
	if (ret < 0) {
		FE_LOG("cannot create %llu bytes of guest memory: %s",
			(unsigned long long)p->mem_size, strerror(-ret));
		return ret;
	}
	net->nb_vrings = (uint16_t)(2 * p->pairs +
		(fe_has(net, FE_F_CTRL_VQ) ? 1 : 0));
	net->cvq = fe_has(net, FE_F_CTRL_VQ) ? 2 * p->pairs : -1;
	net->vrings = calloc(net->nb_vrings, sizeof(*net->vrings));
	if (net->vrings == NULL)
		return -ENOMEM;
	for (i = 0; i < net->nb_vrings; i++) {
		bool ctrl = (int)i == net->cvq;

		ret = fe_vring_init(&net->vrings[i], &net->mem, i,
			ctrl ? p->cvq_size : p->ring_size,
			ctrl ? FE_CVQ_SLOT : (i % 2 == 0 ? p->rx_buf : p->tx_buf),
			fe_has(net, FE_F_RING_EVENT_IDX));
		if (ret < 0) {
			FE_LOG("vring %u: %s%s", i, strerror(-ret),
				ret == -ENOMEM ? " (raise --mem)" : "");
			return ret;
		}
	}
	net->cvq_ack_off = FE_CVQ_DATA_OFF + FE_CVQ_DATA_MAX;
	off = fe_mem_alloc(&net->mem, FE_SCRATCH_LEN, 4096);
	if (off == UINT64_MAX) {
		FE_LOG("no room for the scratch area (raise --mem)");
		return -ENOMEM;
	}
	net->scratch_gpa = fe_mem_off_to_gpa(&net->mem, off);
	net->scratch_len = FE_SCRATCH_LEN;
	return fe_net_send_mem_table(net);
}

/* SET_MEM_TABLE: the one region, our memfd. */
static int
fe_net_send_mem_table(struct fe_net *net)
{
	const struct fe_net_params *p = &net->p;
	struct fe_vhost_region region;

	region.guest_phys_addr = p->mem_base;
	region.memory_size = p->mem_size;
	region.userspace_addr = (uint64_t)(uintptr_t)net->mem.va;
	region.mmap_offset = 0;
	return fe_vhost_set_mem_table(&net->vh, &region, &net->mem.fd, 1);
}

/* SET_VRING_ADDR, with VHOST_VRING_F_LOG while logging. */
static int
fe_net_set_vring_addr(struct fe_net *net, const struct fe_vring *vr,
		bool log)
{
	const struct fe_mem *mem = &net->mem;

	/* Ring addresses are ours (the backend translates them through the
	 * region's userspace_addr); the log address is a GPA: where the
	 * used ring's writes are logged (vhost-user spec, "Migration"). It
	 * is sent even without the flag, as QEMU does. */
	return fe_vhost_set_vring_addr(&net->vh, vr->index,
		log ? FE_BIT(FE_VHOST_VRING_F_LOG) : 0,
		(uint64_t)(uintptr_t)fe_mem_off_to_va(mem, vr->desc_off),
		(uint64_t)(uintptr_t)fe_mem_off_to_va(mem, vr->used_off),
		(uint64_t)(uintptr_t)fe_mem_off_to_va(mem, vr->avail_off),
		fe_mem_off_to_gpa(mem, vr->used_off));
}

static int
fe_net_setup_vring(struct fe_net *net, struct fe_vring *vr, uint32_t base)
{
	struct fe_vhost *vh = &net->vh;
	int ret;

	ret = fe_vhost_set_vring_state(vh, FE_VHOST_USER_SET_VRING_NUM,
		vr->index, vr->size);
	if (ret == 0)
		ret = fe_vhost_set_vring_state(vh, FE_VHOST_USER_SET_VRING_BASE,
			vr->index, base);
	if (ret == 0)
		ret = fe_net_set_vring_addr(net, vr, false);
	if (ret == 0)
		ret = fe_vhost_set_vring_fd(vh, FE_VHOST_USER_SET_VRING_CALL,
			vr->index, vr->callfd);
	if (ret == 0)
		ret = fe_vhost_set_vring_fd(vh, FE_VHOST_USER_SET_VRING_KICK,
			vr->index, vr->kickfd);
	if (ret < 0)
		FE_LOG("vring %u: setup failed: %s", vr->index, strerror(-ret));
	return ret;
}

/*
 * SET_VRING_ENABLE 1 on one vring (only >= 0) or on every vring not yet
 * enabled. With protocol features vrings start disabled (vhost-user spec,
 * "Ring states"); without them a vring starts on its kick.
 */
static int
fe_net_enable(struct fe_net *net, int only)
{
	uint16_t i;
	int ret;

	for (i = 0; i < net->nb_vrings; i++) {
		if (only >= 0 ? i != only : net->vrings[i].enabled)
			continue;
		if (fe_has(net, FE_F_PROTOCOL_FEATURES)) {
			ret = fe_vhost_set_vring_state(&net->vh,
				FE_VHOST_USER_SET_VRING_ENABLE, i, 1);
			if (ret < 0) {
				FE_LOG("vring %u: enable failed: %s", i,
					strerror(-ret));
				return ret;
			}
		}
		net->vrings[i].enabled = true;
	}
	return 0;
}

int
fe_net_start(struct fe_net *net, const struct fe_net_params *p)
{
	uint16_t i;
	int ret;

	memset(net, 0, sizeof(*net));
	net->p = *p;
	net->cvq = -1;
	net->mem.fd = -1;
	net->vh.fd = -1;
	net->log.fd = -1;
	net->cvq_timeout_ms = 1000;

	ret = fe_vhost_connect(&net->vh, p->path, p->server,
		p->connect_timeout_ms, p->timeout_ms);
	if (ret < 0) {
		FE_LOG("%s: cannot connect: %s", p->path, strerror(-ret));
		return ret;
	}
	ret = fe_net_negotiate(net, 0);
	if (ret < 0)
		return ret;
	ret = fe_net_setup_memory(net);
	if (ret < 0)
		return ret;
	/* RX buffers go in before the backend can look at the rings, as a
	 * driver fills its RX queues before DRIVER_OK. */
	for (i = 0; i < 2 * p->pairs; i += 2)
		fe_net_rx_refill(net, &net->vrings[i]);
	for (i = 0; i < net->nb_vrings; i++) {
		ret = fe_net_setup_vring(net, &net->vrings[i], 0);
		if (ret < 0)
			return ret;
	}
	ret = fe_net_enable(net, -1);
	if (ret < 0)
		return ret;
	for (i = 0; i < 2 * p->pairs; i += 2)
		fe_vring_kick(&net->vrings[i], true);
	net->running = true;
	return 0;
}

void
fe_net_close(struct fe_net *net)
{
	uint16_t i;

	fe_vhost_close(&net->vh);
	if (net->vrings != NULL) {
		for (i = 0; i < net->nb_vrings; i++)
			fe_vring_fini(&net->vrings[i]);
		free(net->vrings);
		net->vrings = NULL;
	}
	fe_mem_destroy(&net->mem);
	fe_log_destroy(&net->log);
	free(net->bases);
	net->bases = NULL;
	net->stopped = false;
	net->running = false;
}

int
fe_net_wait(struct fe_net *net, int ms)
{
	struct pollfd pfd[2 * FE_MAX_PAIRS + 2];
	unsigned int n = 0, i;
	char c;
	ssize_t r;

	if (net->vh.fd < 0 || net->vh.broken)
		return -ECONNRESET;
	for (i = 0; i < net->nb_vrings; i++) {
		pfd[n].fd = net->vrings[i].callfd;
		pfd[n].events = POLLIN;
		pfd[n].revents = 0;
		n++;
	}
	pfd[n].fd = net->vh.fd;
	pfd[n].events = POLLIN | POLLRDHUP;
	pfd[n].revents = 0;
	if (poll(pfd, n + 1, ms) <= 0)
		return 0;
	for (i = 0; i < n; i++)
		if (pfd[i].revents & POLLIN)
			fe_vring_clear_call(&net->vrings[i]);
	if (pfd[n].revents == 0)
		return 0;
	/* Between our requests the backend has nothing to say on this
	 * channel: data is a protocol error, end of file a disconnect. */
	r = recv(net->vh.fd, &c, 1, MSG_PEEK | MSG_DONTWAIT);
	if (r < 0 && (errno == EAGAIN || errno == EINTR))
		return 0;
	if (r > 0)
		FE_LOG("%s: unsolicited message from the backend", net->p.path);
	else
		FE_LOG("%s: backend closed the connection", net->p.path);
	net->vh.broken = true;
	net->running = false;
	return -ECONNRESET;
}

static int
fe_net_usable(const struct fe_net *net)
{
	if (net->vh.broken)
		return -ECONNRESET;
	if (!net->running)
		return -ESHUTDOWN;
	return 0;
}

static void
fe_net_reclaim_tx(struct fe_vring *vr)
{
	uint32_t len;
	uint16_t head;

	/* Protocol errors are counted in the vring's stats; go on. */
	while (fe_vring_get_used(vr, &head, &len) != 0 && !vr->broken)
		;
}

void
fe_net_reclaim(struct fe_net *net)
{
	uint16_t q;

	for (q = 0; net->vrings != NULL && q < net->p.pairs; q++)
		if (!net->vrings[2 * q + 1].tainted)
			fe_net_reclaim_tx(&net->vrings[2 * q + 1]);
}

uint32_t
fe_net_tx_room(const struct fe_net *net)
{
	return net->p.tx_single ? net->p.tx_buf - net->hdr_len :
		net->p.tx_buf - FE_TX_FRAME_OFF;
}

void
fe_net_tx_write(const struct fe_net *net, const struct fe_vring *vr,
		uint16_t head, const uint8_t *frame, uint32_t len)
{
	uint8_t *buf = fe_vring_slot_va(vr, head);

	/* An all-zero header: no checksum or GSO requested, and
	 * num_buffers, hash_value and hash_report are unused on TX. */
	memset(buf, 0, net->hdr_len);
	memcpy(buf + (net->p.tx_single ? net->hdr_len : FE_TX_FRAME_OFF),
		frame, len);
}

unsigned int
fe_net_tx_segs(const struct fe_net *net, const struct fe_vring *vr,
		uint16_t head, uint32_t len, struct fe_seg segs[2])
{
	uint64_t gpa = fe_vring_slot_gpa(vr, head);

	if (net->p.tx_single) {
		segs[0] = (struct fe_seg){ gpa, net->hdr_len + len, false };
		return 1;
	}
	segs[0] = (struct fe_seg){ gpa, net->hdr_len, false };
	segs[1] = (struct fe_seg){ gpa + FE_TX_FRAME_OFF, len, false };
	return 2;
}

int
fe_net_send(struct fe_net *net, uint16_t pair, const uint8_t *frame,
		uint32_t len)
{
	struct fe_seg segs[2];
	struct fe_vring *vr;
	uint64_t deadline;
	unsigned int nsegs = net->p.tx_single ? 1 : 2;
	int head, ret;

	ret = fe_net_usable(net);
	if (ret < 0)
		return ret;
	if (pair >= net->p.pairs)
		return -EINVAL;
	vr = &net->vrings[2 * pair + 1];
	if (vr->tainted)
		return -EPERM;
	if (len > fe_net_tx_room(net))
		return -EMSGSIZE;
	deadline = fe_now_ms() + (uint64_t)net->p.timeout_ms;
	for (;;) {
		fe_net_reclaim_tx(vr);
		if (vr->broken)
			return -EPROTO;
		if (vr->num_free >= nsegs)
			break;
		if (fe_now_ms() >= deadline)
			return -ENOBUFS;
		ret = fe_net_wait(net, 1);
		if (ret < 0)
			return ret;
	}
	head = fe_vring_peek_head(vr);
	fe_net_tx_write(net, vr, (uint16_t)head, frame, len);
	ret = fe_vring_add(vr, segs,
		fe_net_tx_segs(net, vr, (uint16_t)head, len, segs));
	if (ret < 0)
		return ret;
	fe_vring_publish(vr);
	fe_vring_kick(vr, false);
	net->st.tx_frames++;
	net->st.tx_bytes += len;
	return 0;
}

/* Copy one RX buffer's bytes [from, len) into the frame, bounded. */
static void
fe_net_rx_copy(struct fe_frame *f, const uint8_t *buf, uint32_t from,
		uint32_t len, bool *truncated)
{
	uint32_t n = len - from;

	if (n > FE_FRAME_MAX - f->len) {
		n = FE_FRAME_MAX - f->len;
		*truncated = true;
	}
	memcpy(f->data + f->len, buf + from, n);
	f->len += n;
}

/* Assemble one frame that starts at vr's next used entry. Returns 1, or
 * -EPROTO for a bad one (dropped, counted). */
static int
fe_net_rx_assemble(struct fe_net *net, struct fe_vring *vr, uint16_t pair,
		struct fe_frame *f)
{
	struct fe_net_hdr hdr;
	bool truncated = false;
	uint64_t deadline;
	uint16_t head, nb, i;
	uint32_t len;
	int ret;

	ret = fe_vring_get_used(vr, &head, &len);
	if (ret <= 0)
		return ret < 0 ? -EPROTO : 0;
	f->pair = pair;
	f->len = 0;
	if (len < net->hdr_len) {
		FE_LOG("rx pair %u: used len %u < header %u", pair, len,
			net->hdr_len);
		ret = -EPROTO;
		goto out;
	}
	memset(&hdr, 0, sizeof(hdr));
	memcpy(&hdr, fe_vring_slot_va(vr, head), net->hdr_len);
	nb = fe_has(net, FE_F_MRG_RXBUF) ? hdr.num_buffers : 1;
	if (nb == 0 || nb > vr->size) {
		FE_LOG("rx pair %u: num_buffers %u (ring size %u)", pair,
			hdr.num_buffers, vr->size);
		ret = -EPROTO;
		goto out;
	}
	f->num_buffers = nb;
	f->has_hash = fe_has(net, FE_F_HASH_REPORT);
	f->hash = hdr.hash_value;
	f->report = hdr.hash_report;
	fe_net_rx_copy(f, fe_vring_slot_va(vr, head), net->hdr_len, len,
		&truncated);
	/* The rest of a merged frame: the device publishes it with (or
	 * right after) the first buffer; do not wait for ever. */
	deadline = fe_now_ms() + FE_MERGE_WAIT_MS;
	for (i = 1; i < nb; i++) {
		while ((ret = fe_vring_get_used(vr, &head, &len)) == 0) {
			if (fe_now_ms() >= deadline) {
				FE_LOG("rx pair %u: merged frame has %u of %u "
					"buffers", pair, i, nb);
				ret = -EPROTO;
				goto out;
			}
			fe_sleep_ms(1);
		}
		if (ret < 0) {
			ret = -EPROTO;
			goto out;
		}
		fe_net_rx_copy(f, fe_vring_slot_va(vr, head), 0, len,
			&truncated);
	}
	if (truncated) {
		FE_LOG("rx pair %u: frame longer than %u bytes", pair,
			FE_FRAME_MAX);
		ret = -EPROTO;
		goto out;
	}
	ret = 1;
out:
	fe_net_rx_refill(net, vr);
	fe_vring_kick(vr, false);
	return ret;
}

int
fe_net_rx_frame(struct fe_net *net, struct fe_frame *f)
{
	struct fe_vring *vr;
	uint16_t k, q, tries;
	int ret;

	if (net->vrings == NULL || !net->running)
		return 0;
	for (k = 0; k < net->p.pairs; k++) {
		q = (uint16_t)((net->rx_rr + k) % net->p.pairs);
		vr = &net->vrings[2 * q];
		/* Bad frames are skipped; a bound keeps a device that only
		 * produces bad ones from holding us here. */
		for (tries = 0; tries < vr->size && !vr->tainted &&
				!vr->broken && fe_vring_pending(vr) > 0;
				tries++) {
			ret = fe_net_rx_assemble(net, vr, q, f);
			if (ret == 1) {
				/* Round robin: the next call starts after q. */
				net->rx_rr = (uint16_t)(q + 1);
				net->st.rx_frames++;
				net->st.rx_bytes += f->len;
				return 1;
			}
			if (ret == 0)
				break;
			net->st.rx_bad++;
		}
	}
	return 0;
}

int
fe_net_cvq(struct fe_net *net, const struct fe_cvq_cmd *c, int *ack,
		uint32_t *used_len)
{
	struct fe_seg segs[3];
	struct fe_vring *vr;
	unsigned int n = 0;
	uint64_t deadline, gpa, now;
	uint32_t len;
	uint16_t id;
	uint8_t *buf;
	int head, ret;

	if (net->cvq < 0)
		return -ENOTSUP;
	ret = fe_net_usable(net);
	if (ret < 0)
		return ret;
	vr = &net->vrings[net->cvq];
	if (vr->tainted)
		return -EPERM;
	if (c->len > FE_CVQ_DATA_MAX)
		return -EMSGSIZE;
	/* Completions of commands we gave up on arrive late: count them. */
	while ((ret = fe_vring_get_used(vr, &id, &len)) != 0 && !vr->broken)
		if (ret > 0)
			net->st.cvq_late++;
	if (vr->broken)
		return -EPROTO;
	if (vr->num_free < 3)
		return -ENOSPC;
	head = fe_vring_peek_head(vr);
	buf = fe_vring_slot_va(vr, (uint16_t)head);
	gpa = fe_vring_slot_gpa(vr, (uint16_t)head);
	buf[0] = c->cls;
	buf[1] = c->cmd;
	memcpy(buf + FE_CVQ_DATA_OFF, c->data, c->len);
	/* Not a valid ack: shows a completion whose ack was never written. */
	buf[net->cvq_ack_off] = 0xff;
	/* The one byte the driver writes that the device may write too:
	 * into the dirty log's snapshot as well, so log check sees only
	 * what the device changed (an unanswered command is no change). */
	if (net->log.has_snap)
		net->log.snap[buf + net->cvq_ack_off - net->mem.va] = 0xff;
	segs[n++] = (struct fe_seg){ gpa, 2, false };
	if (c->len > 0)
		segs[n++] = (struct fe_seg){ gpa + FE_CVQ_DATA_OFF, c->len,
			false };
	segs[n++] = (struct fe_seg){ gpa + net->cvq_ack_off, 1, true };
	ret = fe_vring_add(vr, segs, n);
	if (ret < 0)
		return ret;
	fe_vring_publish(vr);
	fe_vring_kick(vr, false);
	net->st.cvq_cmds++;

	deadline = fe_now_ms() + (uint64_t)net->cvq_timeout_ms;
	for (;;) {
		ret = fe_vring_get_used(vr, &id, &len);
		if (ret > 0 && id == head)
			break;
		if (ret > 0) {
			net->st.cvq_late++;
			continue;
		}
		if (ret < 0) {
			if (vr->broken)
				return -EPROTO;
			continue;
		}
		now = fe_now_ms();
		if (now >= deadline) {
			net->st.cvq_none++;
			return -ETIMEDOUT;
		}
		ret = fe_net_wait(net, (int)(deadline - now < 2 ?
			deadline - now : 2));
		if (ret < 0)
			return ret;
	}
	/* The used entry was read with acquire: the ack byte is final. */
	*ack = buf[net->cvq_ack_off];
	*used_len = len;
	/* The pairs in use, for reconnect mq to restore. */
	if (*ack == FE_CTRL_OK && c->cls == FE_CTRL_MQ &&
			c->cmd == FE_CTRL_MQ_VQ_PAIRS_SET && c->len == 2)
		net->mq_pairs = (uint16_t)(c->data[0] | c->data[1] << 8);
	if (*ack == FE_CTRL_OK)
		net->st.cvq_ok++;
	else if (*ack == FE_CTRL_ERR)
		net->st.cvq_err++;
	else
		net->st.cvq_other++;
	return 0;
}

int
fe_net_stop(struct fe_net *net, uint32_t *bases)
{
	uint16_t i;
	int ret;

	ret = fe_net_usable(net);
	if (ret < 0)
		return ret;
	if (net->bases == NULL) {
		net->bases = calloc(net->nb_vrings, sizeof(*net->bases));
		if (net->bases == NULL)
			return -ENOMEM;
	}
	net->stopped = false;
	/* As a guest driver being stopped: disable, then ask where the
	 * backend stopped (GET_VRING_BASE also stops it for good). */
	for (i = 0; i < net->nb_vrings; i++) {
		if (fe_has(net, FE_F_PROTOCOL_FEATURES)) {
			ret = fe_vhost_set_vring_state(&net->vh,
				FE_VHOST_USER_SET_VRING_ENABLE, i, 0);
			if (ret < 0)
				return ret;
		}
		net->vrings[i].enabled = false;
		ret = fe_vhost_get_vring_base(&net->vh, i, &bases[i]);
		if (ret < 0)
			return ret;
		net->bases[i] = bases[i];
	}
	net->running = false;
	net->stopped = true;
	return 0;
}

int
fe_net_log_start(struct fe_net *net)
{
	const struct fe_net_params *p = &net->p;
	struct fe_log *log = &net->log;
	uint16_t i;
	int ret;

	ret = fe_net_usable(net);
	if (ret < 0)
		return ret;
	if (log->active)
		return -EALREADY;
	if (!(net->offered & FE_BIT(FE_F_LOG_ALL))) {
		FE_LOG("%s: backend does not offer VHOST_F_LOG_ALL (features "
			"0x%llx)", p->path, (unsigned long long)net->offered);
		return -ENOTSUP;
	}
	if (!(net->proto & FE_BIT(FE_VHOST_PROTOCOL_F_LOG_SHMFD))) {
		FE_LOG("%s: backend does not offer "
			"VHOST_USER_PROTOCOL_F_LOG_SHMFD (protocol features "
			"0x%llx)", p->path,
			(unsigned long long)net->proto_offered);
		return -ENOTSUP;
	}
	if (log->fd < 0) {
		ret = fe_log_create(log, p->mem_base + p->mem_size);
		if (ret < 0) {
			FE_LOG("cannot create the dirty log: %s",
				strerror(-ret));
			return ret;
		}
	} else {
		/* A new migration starts from a clean log, as QEMU's does;
		 * nobody logs into it now (LOG_ALL is off). */
		memset(log->bitmap, 0, log->size);
	}
	log->has_snap = false;
	/* QEMU's order (vhost_migration_log): the log first, so that no
	 * write is logged into nothing once LOG_ALL is on; then LOG_ALL;
	 * then the used rings' log flag. Offset 0: DPDK 22.11 both maps
	 * the fd at mmap_offset and adds mmap_offset again to the base. */
	ret = fe_vhost_set_log_base(&net->vh, log->fd, log->size, 0,
		&log->reply_size);
	if (ret < 0)
		return ret;
	ret = fe_vhost_set_u64(&net->vh, FE_VHOST_USER_SET_FEATURES,
		net->features | FE_BIT(FE_F_LOG_ALL));
	if (ret < 0)
		return ret;
	log->active = true;
	for (i = 0; i < net->nb_vrings; i++) {
		ret = fe_net_set_vring_addr(net, &net->vrings[i], true);
		if (ret < 0)
			return ret;
	}
	return 0;
}

int
fe_net_log_stop(struct fe_net *net)
{
	uint16_t i;
	int ret;

	if (!net->log.active)
		return -EALREADY;
	/* As QEMU's vhost_dev_set_log(false): features, then addresses. */
	ret = fe_vhost_set_u64(&net->vh, FE_VHOST_USER_SET_FEATURES,
		net->features);
	if (ret < 0)
		return ret;
	net->log.active = false;
	for (i = 0; i < net->nb_vrings; i++) {
		ret = fe_net_set_vring_addr(net, &net->vrings[i], false);
		if (ret < 0)
			return ret;
	}
	return 0;
}

static unsigned int
fe_net_add_range(struct fe_log_range *ranges, unsigned int n,
		unsigned int cap, uint64_t off, uint64_t len,
		enum fe_log_kind kind, uint16_t vring)
{
	if (n < cap)
		ranges[n] = (struct fe_log_range){ off, len, kind, vring };
	return n + 1;
}

unsigned int
fe_net_log_ranges(const struct fe_net *net, struct fe_log_range *ranges,
		unsigned int cap)
{
	unsigned int n = 0;
	uint16_t i, h;

	for (i = 0; i < net->nb_vrings; i++) {
		const struct fe_vring *vr = &net->vrings[i];

		/* The used ring is the device's alone: flags, idx, the
		 * entries and avail_event. */
		n = fe_net_add_range(ranges, n, cap, vr->used_off,
			FE_VRING_USED_SIZE(vr->size), FE_LOG_USED, i);
		if ((int)i == net->cvq) {
			/* Only the ack byte of each slot; the command bytes
			 * before it are the driver's. */
			for (h = 0; h < vr->size; h++)
				n = fe_net_add_range(ranges, n, cap,
					vr->slot_off + (uint64_t)h *
					vr->slot_size + net->cvq_ack_off, 1,
					FE_LOG_CVQ_ACK, i);
		} else if (i % 2 == 0) {
			/* RX: every buffer, the driver never writes them. */
			n = fe_net_add_range(ranges, n, cap, vr->slot_off,
				(uint64_t)vr->slot_size * vr->size, FE_LOG_RX,
				i);
		}
	}
	if (net->scratch_len != 0)
		n = fe_net_add_range(ranges, n, cap,
			net->scratch_gpa - net->p.mem_base, net->scratch_len,
			FE_LOG_SCRATCH, 0);
	return n;
}

int
fe_net_reconnect(struct fe_net *net, const char *path, bool mq,
		struct fe_reconnect_info *info)
{
	static struct fe_cvq_cmd cmd;
	struct fe_net_params *p = &net->p;
	uint64_t features = net->features;
	uint32_t used_len;
	uint16_t i, used, d;
	int ret, ack;

	uint16_t *used_out = info->used;

	memset(info, 0, sizeof(*info));
	info->mq_ack = -1;
	info->used = used_out;
	if (net->vrings == NULL)
		return -ESHUTDOWN;
	if (strlen(path) >= sizeof(net->path))
		return -ENAMETOOLONG;
	if (!net->stopped) {
		/* A live backend must be stopped first: its bases are the
		 * only truth about what it consumed. */
		if (!net->vh.broken && net->vh.fd >= 0)
			return -EBUSY;
		/* Gone without a stop: QEMU then takes the device's used
		 * index as the base (virtio_queue_restore_last_avail_idx);
		 * chains in flight in the old backend are lost. */
		if (net->bases == NULL) {
			net->bases = calloc(net->nb_vrings,
				sizeof(*net->bases));
			if (net->bases == NULL)
				return -ENOMEM;
		}
		for (i = 0; i < net->nb_vrings; i++)
			net->bases[i] = fe_vring_used_idx(&net->vrings[i]);
		info->from_used = true;
	}
	fe_vhost_close(&net->vh);
	net->running = false;
	net->stopped = false;
	/* The destination does not log: migration is over. The bitmap and
	 * the snapshot stay for log check. */
	net->log.active = false;
	for (i = 0; i < net->nb_vrings; i++)
		net->vrings[i].enabled = false;
	strcpy(net->path, path);
	p->path = net->path;

	ret = fe_vhost_connect(&net->vh, net->path, p->server,
		p->connect_timeout_ms, p->timeout_ms);
	if (ret < 0) {
		FE_LOG("%s: cannot connect: %s", net->path, strerror(-ret));
		return ret;
	}
	net->backend_queues = 0;
	ret = fe_net_negotiate(net, features);
	if (ret < 0)
		return ret;
	/* The same memfd and layout: the backend maps the guest's memory
	 * as the old one left it. */
	ret = fe_net_send_mem_table(net);
	if (ret < 0)
		return ret;
	for (i = 0; i < net->nb_vrings; i++) {
		struct fe_vring *vr = &net->vrings[i];

		used = fe_vring_used_idx(vr);
		if (info->used != NULL)
			info->used[i] = used;
		d = (uint16_t)(net->bases[i] - used);
		if (d <= vr->size)
			info->stuck += d;
		else
			info->repeat += (uint16_t)(used - net->bases[i]);
		ret = fe_net_setup_vring(net, vr, net->bases[i]);
		if (ret < 0)
			return ret;
	}
	/* QEMU's destination order for a device with a control queue
	 * (vhost_vdpa_net_load): the control vring alone first, the queue
	 * pairs in use, then the data vrings -- a fresh device starts with
	 * one pair and would drop what the guest queued on the others. */
	if (mq && net->cvq >= 0 && net->mq_pairs != 0) {
		ret = fe_net_enable(net, net->cvq);
		if (ret < 0)
			return ret;
		net->running = true;
		cmd.cls = FE_CTRL_MQ;
		cmd.cmd = FE_CTRL_MQ_VQ_PAIRS_SET;
		cmd.len = 2;
		cmd.kind = "mq-pairs";
		cmd.data[0] = (uint8_t)net->mq_pairs;
		cmd.data[1] = (uint8_t)(net->mq_pairs >> 8);
		info->mq_sent = true;
		ret = fe_net_cvq(net, &cmd, &ack, &used_len);
		if (ret == 0)
			info->mq_ack = ack;
		else if (ret != -ETIMEDOUT)
			return ret;
	}
	ret = fe_net_enable(net, -1);
	if (ret < 0)
		return ret;
	info->vrings = net->nb_vrings;
	net->running = true;
	/* Whatever was queued while no backend ran: RX buffers and TX
	 * chains posted before the stop are still in the avail rings. */
	for (i = 0; i < net->nb_vrings; i++)
		fe_vring_kick(&net->vrings[i], true);
	return 0;
}
