/* SPDX-License-Identifier: BSD-3-Clause */

/*
 * Fuzz target: the vhost-user frontend of drivers/vhost_user (vu_msg.c,
 * vu_net.c) against a hostile backend.
 *
 * The driver runs on one end of a socketpair; this file plays the backend
 * on the other, in the same thread: poll() is wrapped
 * (-Wl,--wrap=poll), so each time the driver waits for a reply the
 * backend first reads the requests the driver sent, then does what the
 * input says: an honest reply to the oldest request still unanswered
 * (with the values the input gives: features, queue pairs, vring base,
 * ack), one with a header or payload field replaced, any bytes, a reply
 * split in two, silence (the driver's wait then ends at once: a timeout
 * without the wait) or a hang-up; any of them with up to 15 file
 * descriptors attached. Between replies the input names the driver's
 * operations: set_features, set_status, dma_map of a memfd, dma_unmap,
 * a vring set up and started, disabled, stopped (GET_VRING_BASE), and a
 * reconnection (a new socketpair and the handshake again, as the
 * driver's monitor does). The driver's static functions are reached by
 * compiling vu_net.c into this file; the driver itself is unchanged.
 *
 * Properties:
 *  - no crash, sanitizer report or leak, and no wait (every timeout is
 *    the wrapper's);
 *  - every reply the driver accepts (vu_reply_check() returns 0, also
 *    wrapped) is, by the protocol's framing of all bytes the backend
 *    wrote, the reply to the request the driver is waiting for: it ends
 *    exactly where the driver stopped reading (no byte of the next
 *    message read, none of this one left), it pairs with that request
 *    (the n-th message answers the n-th request that wants a reply), and
 *    no request was given up on before it (after a timeout the stream
 *    cannot be resynchronised: a later reply is the late one);
 *  - an operation that says it succeeded had every reply it needed
 *    valid: right request, version and reply flags, size, vring index,
 *    an ack of 0; the values it took (features, queue pairs, vring base)
 *    are the ones the backend sent;
 *  - the requests the driver sends are well formed (size, vring index,
 *    one file descriptor per memory region, per kick and call fd);
 *  - no file descriptor is left open: the count of open descriptors is
 *    the same after each operation (but a dma_map's copy) and after the
 *    device is destroyed as before.
 *
 * The driver's log (an error for each reply it refuses) is off; FZ_LOG=1
 * in the environment turns it on, to see why an input fails.
 */

#include <dirent.h>
#include <sys/ioctl.h>
#include <sys/mman.h>

#include "fuzz_input.h"

/* The driver, with its static functions. */
#include "vu_net.c"

#define FZ_MAX_REQS 512
#define FZ_OUT_MAX 65536
#define FZ_MAX_FDS 15
#define FZ_NB_QIDS 8		/* vrings with eventfds, of the 128 possible */
#define FZ_MAP_SIZE 8192
#define FZ_PAYLOAD_MAX sizeof(((struct vu_msg *)0)->payload)

/* Linked with -Wl,--wrap= for each (test/fuzz/meson.build). */
int __real_poll(struct pollfd *fds, nfds_t nfds, int timeout);
int __wrap_poll(struct pollfd *fds, nfds_t nfds, int timeout);
int __real_vu_reply_check(const struct vu_msg *reply, uint32_t request,
		uint32_t size);
int __wrap_vu_reply_check(const struct vu_msg *reply, uint32_t request,
		uint32_t size);
void __wrap_rte_free(void *p);

enum fz_action {
	FZ_HONEST,
	FZ_MANGLE,
	FZ_RAW,
	FZ_SILENCE,
	FZ_HANGUP,
	FZ_SPLIT,
	FZ_NB_ACTIONS,
};

enum fz_op {
	FZ_OP_SET_FEATURES,
	FZ_OP_SET_STATUS,
	FZ_OP_DMA_MAP,
	FZ_OP_DMA_UNMAP,
	FZ_OP_START,
	FZ_OP_DISABLE,
	FZ_OP_STOP,
	FZ_OP_RECONNECT,
	FZ_NB_OPS,
};

/* A request the driver sent that wants a reply. */
struct fz_req {
	uint32_t request;
	uint32_t index;		/* vring, for the requests that name one */
	unsigned int op;	/* sequence number of the operation */
};

/* A complete message in the bytes the backend wrote, by the framing. */
struct fz_reply {
	size_t end;		/* offset just past it */
	struct vu_msg msg;
};

static struct {
	struct fz_in *in;
	struct fz_seed *rec;	/* --make-seeds: record what is taken */
	const uint8_t *script;	/* --make-seeds: the operations */
	size_t script_len;
	uint64_t (*profile)(const struct fz_req *req);

	int drv_sock, be_sock;
	int null_fd, memfd;
	unsigned int op;	/* operations so far */

	/* The driver's requests, as read from be_sock. */
	uint8_t req_buf[4096];
	size_t req_len;
	struct fz_req reqs[FZ_MAX_REQS];
	unsigned int nb_reqs;
	unsigned int nb_answered;	/* honest replies begun */
	bool gave_up;		/* the driver timed out on a request */
	bool hung_up;

	/* All bytes written to the driver on this connection, framed. */
	uint8_t out[FZ_OUT_MAX];
	size_t out_len;
	size_t framed;		/* bytes framed into replies[] */
	bool framing_lost;	/* a size no message can have */
	struct fz_reply replies[FZ_MAX_REQS];
	unsigned int nb_replies;

	uint8_t tail[VU_HDR_SIZE + 512];	/* the rest of a split reply */
	size_t tail_len;
} fz;

/* ---- taking input (or, when recording seeds, giving it) ------------- */

static uint64_t
fz_take(unsigned int bytes, uint64_t dflt)
{
	if (fz.rec == NULL)
		return fz_uint(fz.in, bytes);
	fz_put(fz.rec, dflt, bytes);
	return dflt;
}

/* An operation's field: from the input, or from the seed's script. */
static uint64_t
fz_take_op(unsigned int bytes)
{
	uint64_t v = 0;
	unsigned int i;

	if (fz.rec == NULL)
		return fz_uint(fz.in, bytes);
	for (i = 0; i < bytes && fz.script_len != 0; i++, fz.script++, fz.script_len--)
		v |= (uint64_t)fz.script[0] << (8 * i);
	fz_put(fz.rec, v, bytes);
	return v;
}

static bool
fz_input_left(void)
{
	return fz.rec == NULL ? fz_more(fz.in) : fz.script_len != 0;
}

/* ---- file descriptors ----------------------------------------------- */

static unsigned int
fz_open_fds(void)
{
	DIR *d = opendir("/proc/self/fd");
	unsigned int n = 0;

	FZ_CHECK(d != NULL, "cannot read /proc/self/fd");
	while (readdir(d) != NULL)
		n++;
	closedir(d);
	return n;
}

/* ---- the backend's side ---------------------------------------------- */

static bool
fz_wants_reply(const struct vu_msg *m)
{
	switch (m->request) {
	case VU_GET_FEATURES:
	case VU_GET_PROTOCOL_FEATURES:
	case VU_GET_QUEUE_NUM:
	case VU_GET_VRING_BASE:
		return true;
	default:
		return (m->flags & VU_FLAG_NEED_REPLY) != 0;
	}
}

/* Check one request the driver sent, record it if it wants a reply. */
static void
fz_request(const struct vu_msg *m, unsigned int nfds)
{
	unsigned int want_fds = 0;
	uint32_t size = sizeof(uint64_t);

	FZ_CHECK((m->flags & VU_FLAG_VERSION_MASK) == VU_VERSION &&
		!(m->flags & VU_FLAG_REPLY), "request %u with flags 0x%x",
		m->request, m->flags);
	switch (m->request) {
	case VU_GET_FEATURES:
	case VU_GET_PROTOCOL_FEATURES:
	case VU_GET_QUEUE_NUM:
		size = 0;
		break;
	case VU_SET_FEATURES:
	case VU_SET_PROTOCOL_FEATURES:
	case VU_SET_OWNER:
		break;
	case VU_SET_MEM_TABLE:
		FZ_CHECK(m->payload.mem.nregions <= VU_MAX_REGIONS,
			"SET_MEM_TABLE with %u regions", m->payload.mem.nregions);
		want_fds = m->payload.mem.nregions;
		size = offsetof(struct vu_mem_table, regions) +
			want_fds * sizeof(struct vu_mem_region);
		break;
	case VU_SET_VRING_NUM:
	case VU_SET_VRING_BASE:
	case VU_GET_VRING_BASE:
	case VU_SET_VRING_ENABLE:
		size = sizeof(struct vu_vring_state);
		FZ_CHECK(m->payload.state.index < FZ_NB_QIDS,
			"%s for vring %u", vu_request_name(m->request),
			m->payload.state.index);
		break;
	case VU_SET_VRING_ADDR:
		size = sizeof(struct vu_vring_addr);
		break;
	case VU_SET_VRING_KICK:
	case VU_SET_VRING_CALL:
		FZ_CHECK(!(m->payload.u64 & VU_VRING_NOFD),
			"%s without a file descriptor", vu_request_name(m->request));
		want_fds = 1;
		break;
	default:
		fz_fail("unexpected request %u", m->request);
	}
	FZ_CHECK(m->size == size && nfds == want_fds,
		"%s: size %u, %u fds; expected %u, %u",
		vu_request_name(m->request), m->size, nfds, size, want_fds);
	if (!fz_wants_reply(m))
		return;
	FZ_CHECK(fz.nb_reqs < FZ_MAX_REQS, "too many requests");
	fz.reqs[fz.nb_reqs++] = (struct fz_req){
		.request = m->request,
		.index = m->size >= sizeof(uint32_t) ? m->payload.state.index : 0,
		.op = fz.op,
	};
}

/* Read every request the driver has sent; close the fds they carry. */
static void
fz_read_requests(void)
{
	for (;;) {
		char control[CMSG_SPACE(sizeof(int) * VU_MAX_REGIONS)];
		struct iovec iov = { fz.req_buf + fz.req_len,
			sizeof(fz.req_buf) - fz.req_len };
		struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1,
			.msg_control = control, .msg_controllen = sizeof(control) };
		struct cmsghdr *cmsg;
		unsigned int nfds = 0;
		ssize_t n;

		if (fz.be_sock < 0)
			return;
		n = recvmsg(fz.be_sock, &mh, MSG_DONTWAIT | MSG_CMSG_CLOEXEC);
		if (n <= 0)
			return;
		FZ_CHECK(!(mh.msg_flags & MSG_CTRUNC), "a request with too many fds");
		for (cmsg = CMSG_FIRSTHDR(&mh); cmsg != NULL;
				cmsg = CMSG_NXTHDR(&mh, cmsg)) {
			unsigned int i, k = (cmsg->cmsg_len - CMSG_LEN(0)) / sizeof(int);

			for (i = 0; i < k; i++) {
				int fd;

				memcpy(&fd, CMSG_DATA(cmsg) + i * sizeof(int), sizeof(fd));
				close(fd);
			}
			nfds += k;
		}
		/* The driver sends each request in one sendmsg(), and a read
		 * stops after a message that carries fds: they are the last
		 * message's of this read. */
		fz.req_len += n;
		while (fz.req_len >= VU_HDR_SIZE) {
			struct vu_msg m;
			size_t len;

			memcpy(&m, fz.req_buf, VU_HDR_SIZE);
			FZ_CHECK(m.size <= FZ_PAYLOAD_MAX, "request of %u bytes", m.size);
			len = VU_HDR_SIZE + m.size;
			if (fz.req_len < len)
				break;
			memcpy(&m, fz.req_buf, len);
			fz_request(&m, len == fz.req_len ? nfds : 0);
			if (len == fz.req_len)
				nfds = 0;
			memmove(fz.req_buf, fz.req_buf + len, fz.req_len - len);
			fz.req_len -= len;
		}
		FZ_CHECK(nfds == 0, "fds with part of a request");
	}
}

/* Frame what was written since the last call into replies[]. */
static void
fz_frame(void)
{
	while (!fz.framing_lost && fz.out_len - fz.framed >= VU_HDR_SIZE) {
		struct fz_reply *r;
		uint32_t size;

		memcpy(&size, fz.out + fz.framed + offsetof(struct vu_msg, size),
			sizeof(size));
		if (size > FZ_PAYLOAD_MAX) {
			fz.framing_lost = true;	/* the driver must stop here */
			return;
		}
		if (fz.out_len - fz.framed < VU_HDR_SIZE + size ||
				fz.nb_replies == FZ_MAX_REQS)
			return;
		r = &fz.replies[fz.nb_replies++];
		memset(&r->msg, 0, sizeof(r->msg));
		memcpy(&r->msg, fz.out + fz.framed, VU_HDR_SIZE + size);
		fz.framed += VU_HDR_SIZE + size;
		r->end = fz.framed;
	}
}

static void
fz_write(const void *p, size_t len, unsigned int nfds)
{
	char control[CMSG_SPACE(sizeof(int) * FZ_MAX_FDS)];
	struct iovec iov = { (void *)(uintptr_t)p, len };
	struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1 };
	unsigned int i;

	if (len == 0 || fz.out_len + len > FZ_OUT_MAX)
		return;
	if (nfds != 0) {
		struct cmsghdr *cmsg;

		memset(control, 0, sizeof(control));
		mh.msg_control = control;
		mh.msg_controllen = CMSG_SPACE(sizeof(int) * nfds);
		cmsg = CMSG_FIRSTHDR(&mh);
		cmsg->cmsg_level = SOL_SOCKET;
		cmsg->cmsg_type = SCM_RIGHTS;
		cmsg->cmsg_len = CMSG_LEN(sizeof(int) * nfds);
		for (i = 0; i < nfds; i++)
			memcpy(CMSG_DATA(cmsg) + i * sizeof(int), &fz.null_fd,
				sizeof(int));
	}
	FZ_CHECK(sendmsg(fz.be_sock, &mh, MSG_NOSIGNAL) == (ssize_t)len ||
		fz.hung_up, "the backend's write failed");
	memcpy(fz.out + fz.out_len, p, len);
	fz.out_len += len;
	fz_frame();
}

/* The honest reply to @p req, with the input's value. */
static size_t
fz_honest(const struct fz_req *req, struct vu_msg *m)
{
	uint64_t dflt = fz.profile != NULL ? fz.profile(req) : 0;

	memset(m, 0, sizeof(*m));
	m->request = req->request;
	m->flags = VU_VERSION | VU_FLAG_REPLY;
	m->size = sizeof(uint64_t);
	switch (req->request) {
	case VU_GET_VRING_BASE:
		m->payload.state.index = req->index;
		m->payload.state.num = fz_take(4, dflt);
		break;
	case VU_GET_FEATURES:
	case VU_GET_PROTOCOL_FEATURES:
	case VU_GET_QUEUE_NUM:
		m->payload.u64 = fz_take(8, dflt);
		break;
	default:		/* an ack: 0 is success */
		m->payload.u64 = fz_take(1, 0);
		break;
	}
	return VU_HDR_SIZE + m->size;
}

/* The driver waits for a reply: play the backend's turn. */
static void
fz_backend_turn(void)
{
	struct pollfd pfd = { .fd = fz.drv_sock, .events = POLLIN };
	uint8_t raw[256];
	unsigned int action, nfds;
	struct vu_msg m;
	size_t len, got;
	const uint8_t *p;

	fz_read_requests();
	/* Bytes the driver has not read yet, or the hang-up: nothing to do. */
	if (fz.hung_up || __real_poll(&pfd, 1, 0) != 0)
		return;
	if (!fz_input_left() && fz.rec == NULL) {
		fz.gave_up = true;
		return;
	}
	action = fz_take(1, FZ_HONEST);
	nfds = (action >> 3) & FZ_MAX_FDS;
	action = (action & 7) % FZ_NB_ACTIONS;
	if (fz.tail_len != 0 && action != FZ_SILENCE && action != FZ_HANGUP) {
		fz_write(fz.tail, fz.tail_len, nfds);
		fz.tail_len = 0;
		return;
	}
	switch (action) {
	case FZ_HONEST:
	case FZ_MANGLE:
	case FZ_SPLIT:
		if (fz.nb_answered == fz.nb_reqs) {
			fz.gave_up = true;	/* nothing to answer: silence */
			return;
		}
		len = fz_honest(&fz.reqs[fz.nb_answered++], &m);
		if (action == FZ_MANGLE) {
			unsigned int field = fz_take(1, 0) % 4;
			uint32_t v = fz_take(4, 0);

			if (field == 3)
				m.payload.state.index = v;
			else
				memcpy((uint8_t *)&m + 4 * field, &v, sizeof(v));
			len = VU_HDR_SIZE + RTE_MIN(m.size, (uint32_t)FZ_PAYLOAD_MAX);
		}
		if (action == FZ_SPLIT) {
			size_t k = fz_take(1, 1) % len;

			fz.tail_len = len - k;
			memcpy(fz.tail, (uint8_t *)&m + k, fz.tail_len);
			len = k;
		}
		fz_write(&m, len, nfds);
		break;
	case FZ_RAW:
		p = fz_bytes(fz.in, fz_take(1, 0), &got);
		memcpy(raw, p, got);
		fz_write(raw, got, nfds);
		break;
	case FZ_SILENCE:
		fz.gave_up = true;
		break;
	case FZ_HANGUP:
		shutdown(fz.be_sock, SHUT_WR);
		fz.hung_up = true;
		break;
	}
}

/* ---- wrapped: where the driver waits, and what it accepts ------------ */


int
__wrap_poll(struct pollfd *fds, nfds_t nfds, int timeout)
{
	if (nfds != 1 || fds[0].fd != fz.drv_sock || fz.drv_sock < 0)
		return __real_poll(fds, nfds, timeout);
	fz_backend_turn();
	/* Whatever the driver's timeout: what is written is all there is. */
	return __real_poll(fds, nfds, 0);
}

/* Bytes the driver has read from the socket so far. */
static size_t
fz_driver_read(void)
{
	int unread = 0;

	FZ_CHECK(ioctl(fz.drv_sock, FIONREAD, &unread) == 0,
		"FIONREAD: %s", strerror(errno));
	return fz.out_len - unread;
}

int
__wrap_vu_reply_check(const struct vu_msg *reply, uint32_t request,
		uint32_t size)
{
	int ret = __real_vu_reply_check(reply, request, size);
	const struct fz_reply *r;
	size_t at;
	unsigned int i;

	if (ret != 0)
		return ret;
	at = fz_driver_read();
	for (i = 0; i < fz.nb_replies && fz.replies[i].end != at; i++)
		;
	FZ_CHECK(i < fz.nb_replies, "%s: a reply accepted at byte %zu, "
		"not the end of a message", vu_request_name(request), at);
	r = &fz.replies[i];
	FZ_CHECK(i + 1 == fz.nb_reqs && fz.reqs[i].request == request,
		"%s: accepted message %u, which answers request %u of %u (%s)",
		vu_request_name(request), i, i, fz.nb_reqs,
		i < fz.nb_reqs ? vu_request_name(fz.reqs[i].request) : "none");
	FZ_CHECK(memcmp(reply, &r->msg, VU_HDR_SIZE + r->msg.size) == 0,
		"%s: the reply accepted is not the message sent",
		vu_request_name(request));
	return ret;
}

void
__wrap_rte_free(void *p)
{
	free(p);
}

/* ---- operations -------------------------------------------------------- */

/* The verdict of the protocol on request @p i: the n-th message answers
 * the n-th request that wants a reply. */
static bool
fz_reply_valid(unsigned int i, uint64_t *value)
{
	const struct vu_msg *m;

	if (fz.gave_up || i >= fz.nb_replies)
		return false;
	m = &fz.replies[i].msg;
	if (m->request != fz.reqs[i].request ||
			(m->flags & VU_FLAG_VERSION_MASK) != VU_VERSION ||
			!(m->flags & VU_FLAG_REPLY) || m->size != sizeof(uint64_t))
		return false;
	*value = m->payload.u64;
	if (m->request == VU_GET_VRING_BASE)
		return m->payload.state.index == fz.reqs[i].index;
	if (m->request == VU_GET_FEATURES || m->request == VU_GET_PROTOCOL_FEATURES ||
			m->request == VU_GET_QUEUE_NUM)
		return true;
	return m->payload.u64 == 0;
}

/* An operation said it succeeded: every reply it needed was valid. @return
 * the value of the last of them, of request @p request. */
static uint64_t
fz_check_succeeded(const char *what, uint32_t request)
{
	uint64_t value = 0, last = 0;
	unsigned int i;

	for (i = 0; i < fz.nb_reqs; i++) {
		if (fz.reqs[i].op != fz.op)
			continue;
		FZ_CHECK(fz_reply_valid(i, &value),
			"%s succeeded, but the reply to its %s was not valid",
			what, vu_request_name(fz.reqs[i].request));
		if (fz.reqs[i].request == request)
			last = value;
	}
	return last;
}

static void
fz_connect(struct vu_net *vu)
{
	int sv[2];

	FZ_CHECK(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) == 0,
		"socketpair: %s", strerror(errno));
	vu->sock = fz.drv_sock = sv[0];
	fz.be_sock = sv[1];
	fz.req_len = fz.nb_reqs = fz.nb_answered = 0;
	fz.out_len = fz.framed = fz.nb_replies = fz.tail_len = 0;
	fz.framing_lost = fz.gave_up = fz.hung_up = false;
}

static void
fz_close_backend(void)
{
	fz_read_requests();
	if (fz.be_sock >= 0)
		close(fz.be_sock);
	fz.be_sock = -1;
}

/* The handshake, as vu_handshake() does it after connect(). */
static void
fz_handshake(struct vu_net *vu)
{
	fz_connect(vu);
	if (vu_negotiate(vu) < 0) {
		close(vu->sock);
		vu->sock = fz.drv_sock = -1;
		fz_close_backend();
		return;
	}
	fz_read_requests();
	FZ_CHECK(vu->backend_features == fz_check_succeeded("the handshake",
		VU_GET_FEATURES), "features 0x%" PRIx64 " taken", vu->backend_features);
	FZ_CHECK(vu->nb_vqs >= 2 && vu->nb_vqs <= 2 * vu->max_pairs_arg,
		"%u vrings", vu->nb_vqs);
}

static void
fz_one_op(struct vu_net *vu)
{
	struct svq_device *dev = &vu->dev;
	unsigned int op = fz_take_op(1) % FZ_NB_OPS, before = fz_open_fds();
	int ret = 0, delta = 0;
	bool configured;
	uint16_t qid, base;
	uint64_t v;

	fz.op++;
	switch (op) {
	case FZ_OP_SET_FEATURES:
		vu_ops.set_features(dev, fz_take_op(8));
		break;
	case FZ_OP_SET_STATUS: {
		uint8_t had = vu->status;

		vu_ops.set_status(dev, fz_take_op(1));
		fz_read_requests();
		if ((vu->status & VIRTIO_CONFIG_S_FEATURES_OK) &&
				!(had & VIRTIO_CONFIG_S_FEATURES_OK))
			fz_check_succeeded("FEATURES_OK", VU_SET_FEATURES);
		break;
	}
	case FZ_OP_DMA_MAP:
		v = fz_take_op(8) & ~UINT64_C(0xfff);
		ret = vu_ops.dma_map(dev, v, FZ_MAP_SIZE, NULL,
			(v & 0x1000) ? -1 : fz.memfd, 0);
		delta = ret == 0;
		break;
	case FZ_OP_DMA_UNMAP:
		v = fz_take_op(1);
		if (v < vu->nb_maps)
			ret = vu_ops.dma_unmap(dev, vu->maps[v].iova, vu->maps[v].size);
		else
			ret = vu_ops.dma_unmap(dev, 0x1000, FZ_MAP_SIZE);
		delta = -(ret == 0);
		break;
	case FZ_OP_START:
		qid = fz_take_op(1) % FZ_NB_QIDS;
		vu_ops.set_vring_num(dev, qid, fz_take_op(2));
		vu_ops.set_vring_addr(dev, qid, 0x1000, 0x2000, 0x3000);
		vu_ops.set_vring_base(dev, qid, fz_take_op(2));
		ret = vu_ops.set_vring_enable(dev, qid, true);
		fz_read_requests();
		if (ret == 0)
			fz_check_succeeded("a vring start", 0);
		break;
	case FZ_OP_DISABLE:
		qid = fz_take_op(1) % FZ_NB_QIDS;
		ret = vu_ops.set_vring_enable(dev, qid, false);
		fz_read_requests();
		if (ret == 0)
			fz_check_succeeded("a vring disable", 0);
		break;
	case FZ_OP_STOP:
		qid = fz_take_op(1) % FZ_NB_QIDS;
		configured = vu->vqs[qid].configured;
		ret = vu_ops.get_vring_base(dev, qid, &base);
		fz_read_requests();
		if (ret == 0) {
			v = fz_check_succeeded("GET_VRING_BASE", VU_GET_VRING_BASE);
			FZ_CHECK(!vu->vqs[qid].configured, "vring %u stopped, still configured",
				qid);
			/* the backend's base, or the one the vring was set to */
			FZ_CHECK(!configured || base == (uint16_t)(v >> 32),
				"base %u taken, the backend said %u", base,
				(unsigned int)(v >> 32));
		}
		break;
	case FZ_OP_RECONNECT:
		/* what vu_monitor() does after a hang-up */
		vu_disconnect(vu);
		fz_close_backend();
		fz.drv_sock = -1;
		fz_handshake(vu);
		return;
	}
	fz_read_requests();
	FZ_CHECK(fz_open_fds() == before + delta,
		"operation %u: %u fds open before, %u after", op, before,
		fz_open_fds());
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fz_in in = { data, size };
	unsigned int fds_before = fz_open_fds();
	struct vu_net *vu;
	unsigned int i;

	fz.in = &in;
	fz.op = 0;
	vu = calloc(1, sizeof(*vu));
	FZ_CHECK(vu != NULL, "out of memory");
	/* as vu_create() does, with eventfds for the first vrings only */
	vu->dev.ops = &vu_ops;
	snprintf(vu->dev.name, sizeof(vu->dev.name), "vhost-user-fuzz");
	vu->timeout_ms = 1;	/* unused: the wrapped poll() never waits */
	vu->max_pairs_arg = fz_take_op(1) % VU_MAX_QUEUE_PAIRS + 1;
	pthread_mutex_init(&vu->lock, NULL);
	for (i = 0; i < RTE_DIM(vu->vqs); i++)
		vu->vqs[i].kickfd = vu->vqs[i].callfd = vu->vqs[i].relay_callfd = -1;
	for (i = 0; i < FZ_NB_QIDS; i++) {
		vu->vqs[i].kickfd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
		vu->vqs[i].callfd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	}

	fz_handshake(vu);
	while (fz_input_left())
		fz_one_op(vu);

	vu_destroy(&vu->dev);
	fz_close_backend();
	fz.drv_sock = -1;
	FZ_CHECK(fz_open_fds() == fds_before, "%u fds open before, %u after",
		fds_before, fz_open_fds());
	return 0;
}

/* ---- seeds ------------------------------------------------------------- */

static uint64_t fz_profile_features;
static uint64_t fz_profile_protocol;

/* An honest backend's answers. */
static uint64_t
fz_profile(const struct fz_req *req)
{
	switch (req->request) {
	case VU_GET_FEATURES:
		return fz_profile_features;
	case VU_GET_PROTOCOL_FEATURES:
		return fz_profile_protocol;
	case VU_GET_QUEUE_NUM:
		return 4;
	case VU_GET_VRING_BASE:
		return 7 + req->index;
	default:
		return 0;
	}
}

static void
fz_record(const char *dir, const char *name, uint64_t features,
		uint64_t protocol, const uint8_t *script, size_t len)
{
	struct fz_seed s = { .len = 0 };

	fz_profile_features = features;
	fz_profile_protocol = protocol;
	fz.rec = &s;
	fz.profile = fz_profile;
	fz.script = script;
	fz.script_len = len;
	LLVMFuzzerTestOneInput(NULL, 0);
	fz.rec = NULL;
	fz.profile = NULL;
	fz_seed_write(dir, name, s.buf, s.len);
}

static void
fz_make_vhost_user_seeds(const char *dir)
{
	/* max pairs; then operations: op byte and its fields */
	static const uint8_t session[] = {
		4,
		FZ_OP_SET_FEATURES, 0x20, 0, 0, 0, 1, 0, 0, 0,	/* MQ, VERSION_1 */
		FZ_OP_SET_STATUS, VIRTIO_CONFIG_S_ACKNOWLEDGE |
			VIRTIO_CONFIG_S_DRIVER | VIRTIO_CONFIG_S_FEATURES_OK,
		FZ_OP_SET_STATUS, VIRTIO_CONFIG_S_ACKNOWLEDGE |
			VIRTIO_CONFIG_S_DRIVER | VIRTIO_CONFIG_S_FEATURES_OK |
			VIRTIO_CONFIG_S_DRIVER_OK,
		FZ_OP_DMA_MAP, 0, 0, 0, 0, 1, 0, 0, 0,
		FZ_OP_START, 0, 0, 1, 3, 0,
		FZ_OP_START, 1, 0, 1, 5, 0,
		FZ_OP_START, 2, 0, 1, 0, 0,
		FZ_OP_DISABLE, 1,
		FZ_OP_START, 1, 0, 1, 5, 0,
		FZ_OP_STOP, 0,
		FZ_OP_DISABLE, 2,
		FZ_OP_DMA_MAP, 0, 0x20, 0, 0, 1, 0, 0, 0,
		FZ_OP_START, 0, 0, 1, 9, 0,
		FZ_OP_DMA_UNMAP, 0,
		FZ_OP_SET_STATUS, 0,
		FZ_OP_RECONNECT,
		FZ_OP_SET_STATUS, VIRTIO_CONFIG_S_FEATURES_OK |
			VIRTIO_CONFIG_S_DRIVER_OK,
		FZ_OP_START, 3, 0, 1, 0, 0,
		FZ_OP_STOP, 3,
	};
	const uint64_t version_1 = VU_BIT(VIRTIO_F_VERSION_1);
	const uint64_t protocol = VU_BIT(VU_F_PROTOCOL_FEATURES);
	const uint64_t mq = VU_BIT(VIRTIO_NET_F_MQ);

	fz_record(dir, "plain", version_1, 0, session, sizeof(session));
	fz_record(dir, "protocol-no-ack", version_1 | protocol | mq,
		VU_BIT(VU_PROTOCOL_F_MQ), session, sizeof(session));
	fz_record(dir, "protocol-ack-mq", version_1 | protocol | mq,
		VU_BIT(VU_PROTOCOL_F_MQ) | VU_BIT(VU_PROTOCOL_F_REPLY_ACK),
		session, sizeof(session));
	fz_record(dir, "protocol-ack", version_1 | protocol,
		VU_BIT(VU_PROTOCOL_F_REPLY_ACK), session, sizeof(session));
	fz_record(dir, "no-version-1", protocol, 0, session, sizeof(session));
}

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	fz.drv_sock = fz.be_sock = -1;
	fz.null_fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
	fz.memfd = memfd_create("fuzz-vhost-user", MFD_CLOEXEC);
	FZ_CHECK(fz.null_fd >= 0 && fz.memfd >= 0 &&
		ftruncate(fz.memfd, FZ_MAP_SIZE) == 0, "cannot open files");
	/* a refused reply is logged as an error: too many to print */
	rte_log_set_level(vu_logtype, getenv("FZ_LOG") ? RTE_LOG_DEBUG : RTE_LOG_CRIT);
	fz_make_seeds(argc, argv, fz_make_vhost_user_seeds);
	return 0;
}
