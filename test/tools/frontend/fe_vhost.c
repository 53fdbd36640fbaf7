/* SPDX-License-Identifier: BSD-3-Clause */

/*
 * vhost-user frontend side of the protocol.
 *
 * Threat model: the backend is the software under test. Every reply is
 * checked before use: the request number must echo ours, the flags must
 * carry version 1 and the reply bit, the size must be exactly the payload
 * the request defines, and fds nobody asked for are closed. A reply that
 * fails a check, a timeout or a closed socket marks the connection broken;
 * nothing after that is sent.
 */

#include <errno.h>
#include <poll.h>
#include <stddef.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "fe_util.h"
#include "fe_vhost.h"

#define FE_VHOST_VERSION	0x1u
#define FE_VHOST_VERSION_MASK	0x3u
#define FE_VHOST_REPLY		(1u << 2)
#define FE_VHOST_NEED_REPLY	(1u << 3)
#define FE_VHOST_VRING_NOFD	(1u << 8)

struct fe_vhost_msg {
	uint32_t request;
	uint32_t flags;
	uint32_t size;
	union {
		uint64_t u64;
		struct {
			uint32_t index;
			uint32_t num;
		} state;
		struct {
			uint32_t index;
			uint32_t flags;
			uint64_t desc;
			uint64_t used;
			uint64_t avail;
			uint64_t log;
		} addr;
		struct {
			uint64_t mmap_size;
			uint64_t mmap_offset;
		} log;
		struct {
			uint32_t nregions;
			uint32_t padding;
			struct fe_vhost_region regions[FE_VHOST_MAX_REGIONS];
		} mem;
	} payload;
} __attribute__((packed));

#define FE_VHOST_HDR_SIZE offsetof(struct fe_vhost_msg, payload)

const char *
fe_vhost_request_name(uint32_t request)
{
#define FE_VHOST_NAME(name, num) case num: return #name;
	switch (request) {
	FE_VHOST_REQUESTS(FE_VHOST_NAME)
	default:
		return "UNKNOWN";
	}
#undef FE_VHOST_NAME
}

/*
 * One connection attempt. Returns a connected fd, -EAGAIN when the peer is
 * not there yet (the caller retries), or another -errno.
 */
static int
fe_vhost_try_connect(const char *path, bool server, int lfd)
{
	struct sockaddr_un sun = { .sun_family = AF_UNIX };
	int fd, err;

	if (server) {
		/* lfd is non-blocking; the accepted fd is blocking again. */
		fd = accept4(lfd, NULL, NULL, SOCK_CLOEXEC);
		if (fd < 0)
			return errno == EAGAIN || errno == EWOULDBLOCK ||
				errno == EINTR ? -EAGAIN : -errno;
		return fd;
	}
	strcpy(sun.sun_path, path);	/* length checked by the caller */
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	if (connect(fd, (struct sockaddr *)&sun, sizeof(sun)) < 0) {
		err = errno;
		close(fd);
		/* Not there or not listening yet: the backend may still be
		 * starting. */
		return err == ENOENT || err == ECONNREFUSED ? -EAGAIN : -err;
	}
	return fd;
}

static int
fe_vhost_listen(const char *path)
{
	struct sockaddr_un sun = { .sun_family = AF_UNIX };
	int fd, err;

	strcpy(sun.sun_path, path);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (fd < 0)
		return -errno;
	unlink(path);
	if (bind(fd, (struct sockaddr *)&sun, sizeof(sun)) < 0 ||
			listen(fd, 1) < 0) {
		err = errno;
		close(fd);
		return -err;
	}
	return fd;
}

int
fe_vhost_connect(struct fe_vhost *vh, const char *path, bool server,
		int connect_timeout_ms, int timeout_ms)
{
	uint64_t deadline = fe_now_ms() + (uint64_t)connect_timeout_ms;
	int lfd = -1;
	int fd;

	memset(vh, 0, sizeof(*vh));
	vh->fd = -1;
	vh->timeout_ms = timeout_ms;
	if (strlen(path) >= sizeof(vh->path) ||
			strlen(path) >= sizeof(((struct sockaddr_un *)0)->sun_path))
		return -ENAMETOOLONG;
	strcpy(vh->path, path);
	if (server) {
		lfd = fe_vhost_listen(path);
		if (lfd < 0)
			return lfd;
	}
	for (;;) {
		fd = fe_vhost_try_connect(path, server, lfd);
		if (fd != -EAGAIN || fe_now_ms() >= deadline)
			break;
		fe_sleep_ms(20);
	}
	if (lfd >= 0) {
		close(lfd);
		unlink(path);
	}
	if (fd < 0)
		return fd == -EAGAIN ? -ETIMEDOUT : fd;
	vh->fd = fd;
	return 0;
}

void
fe_vhost_close(struct fe_vhost *vh)
{
	if (vh->fd >= 0)
		close(vh->fd);
	vh->fd = -1;
}

static int
fe_vhost_send(struct fe_vhost *vh, struct fe_vhost_msg *msg, const int *fds,
		unsigned int nfds)
{
	char control[CMSG_SPACE(sizeof(int) * FE_VHOST_MAX_REGIONS)];
	size_t len = FE_VHOST_HDR_SIZE + msg->size;
	size_t done = 0;
	struct iovec iov;
	struct msghdr mh;
	struct cmsghdr *cmsg;
	ssize_t n;

	if (vh->broken || vh->fd < 0)
		return -ENOTCONN;
	FE_DEBUG("-> %s flags=0x%x size=%u fds=%u",
		fe_vhost_request_name(msg->request), msg->flags, msg->size,
		nfds);
	while (done < len) {
		memset(&mh, 0, sizeof(mh));
		iov.iov_base = (uint8_t *)msg + done;
		iov.iov_len = len - done;
		mh.msg_iov = &iov;
		mh.msg_iovlen = 1;
		/* The fds travel with the first byte only. */
		if (done == 0 && nfds > 0) {
			memset(control, 0, sizeof(control));
			mh.msg_control = control;
			mh.msg_controllen = CMSG_SPACE(sizeof(int) * nfds);
			cmsg = CMSG_FIRSTHDR(&mh);
			cmsg->cmsg_level = SOL_SOCKET;
			cmsg->cmsg_type = SCM_RIGHTS;
			cmsg->cmsg_len = CMSG_LEN(sizeof(int) * nfds);
			memcpy(CMSG_DATA(cmsg), fds, sizeof(int) * nfds);
		}
		n = sendmsg(vh->fd, &mh, MSG_NOSIGNAL);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			FE_LOG("%s: send %s: %s", vh->path,
				fe_vhost_request_name(msg->request),
				n < 0 ? strerror(errno) : "nothing sent");
			vh->broken = true;
			return n < 0 ? -errno : -EIO;
		}
		done += (size_t)n;
	}
	return 0;
}

/* Read exactly len bytes before the deadline; fds that come along are
 * closed (no reply this frontend asks for carries any). */
static int
fe_vhost_read(struct fe_vhost *vh, void *buf, size_t len, uint64_t deadline)
{
	char control[CMSG_SPACE(sizeof(int) * FE_VHOST_MAX_REGIONS)];
	struct pollfd pfd = { .fd = vh->fd, .events = POLLIN };
	size_t done = 0;
	struct cmsghdr *cmsg;
	struct msghdr mh;
	struct iovec iov;
	uint64_t now;
	ssize_t n;
	int ret;

	while (done < len) {
		now = fe_now_ms();
		if (now >= deadline)
			return -ETIMEDOUT;
		ret = poll(&pfd, 1, (int)(deadline - now));
		if (ret < 0 && errno == EINTR)
			continue;
		if (ret < 0)
			return -errno;
		if (ret == 0)
			return -ETIMEDOUT;
		memset(&mh, 0, sizeof(mh));
		iov.iov_base = (uint8_t *)buf + done;
		iov.iov_len = len - done;
		mh.msg_iov = &iov;
		mh.msg_iovlen = 1;
		mh.msg_control = control;
		mh.msg_controllen = sizeof(control);
		n = recvmsg(vh->fd, &mh, MSG_CMSG_CLOEXEC | MSG_DONTWAIT);
		if (n < 0 && (errno == EINTR || errno == EAGAIN))
			continue;
		if (n < 0)
			return -errno;
		if (n == 0)
			return -ECONNRESET;
		for (cmsg = CMSG_FIRSTHDR(&mh); cmsg != NULL;
				cmsg = CMSG_NXTHDR(&mh, cmsg)) {
			int *fdp = (int *)CMSG_DATA(cmsg);
			size_t i, nfd;

			if (cmsg->cmsg_level != SOL_SOCKET ||
					cmsg->cmsg_type != SCM_RIGHTS)
				continue;
			nfd = (cmsg->cmsg_len - CMSG_LEN(0)) / sizeof(int);
			FE_LOG("%s: reply carried %zu unexpected fd(s)",
				vh->path, nfd);
			for (i = 0; i < nfd; i++)
				close(fdp[i]);
		}
		if (mh.msg_flags & MSG_CTRUNC)
			FE_LOG("%s: reply control data truncated", vh->path);
		done += (size_t)n;
	}
	return 0;
}

/*
 * Wait for the reply to request and check it carries between min_size and
 * max_size bytes of payload (at most the union). The payload lands in
 * reply->payload, its size in reply->size.
 */
static int
fe_vhost_recv_reply_range(struct fe_vhost *vh, uint32_t request,
		struct fe_vhost_msg *reply, uint32_t min_size, uint32_t max_size)
{
	uint64_t deadline = fe_now_ms() + (uint64_t)vh->timeout_ms;
	const char *name = fe_vhost_request_name(request);
	int ret;

	ret = fe_vhost_read(vh, reply, FE_VHOST_HDR_SIZE, deadline);
	if (ret < 0) {
		FE_LOG("%s: no reply to %s: %s", vh->path, name,
			ret == -ECONNRESET ? "backend closed the connection" :
			strerror(-ret));
		goto broken;
	}
	/* Check the header before reading the payload it announces, so a
	 * bogus size cannot make us read past our buffer. */
	if (reply->request != request) {
		FE_LOG("%s: reply to %s has request %u (%s)", vh->path, name,
			reply->request, fe_vhost_request_name(reply->request));
		goto broken;
	}
	if ((reply->flags & FE_VHOST_VERSION_MASK) != FE_VHOST_VERSION ||
			!(reply->flags & FE_VHOST_REPLY)) {
		FE_LOG("%s: reply to %s has flags 0x%x (want version 1 + reply)",
			vh->path, name, reply->flags);
		goto broken;
	}
	if (reply->size < min_size || reply->size > max_size ||
			reply->size > sizeof(reply->payload)) {
		if (min_size == max_size)
			FE_LOG("%s: reply to %s has size %u, want %u", vh->path,
				name, reply->size, min_size);
		else
			FE_LOG("%s: reply to %s has size %u, want %u..%u",
				vh->path, name, reply->size, min_size,
				max_size);
		goto broken;
	}
	ret = fe_vhost_read(vh, &reply->payload, reply->size, deadline);
	if (ret < 0) {
		FE_LOG("%s: short reply to %s: %s", vh->path, name,
			strerror(-ret));
		goto broken;
	}
	FE_DEBUG("<- %s flags=0x%x size=%u", name, reply->flags, reply->size);
	return 0;
broken:
	vh->broken = true;
	return ret < 0 ? ret : -EPROTO;
}

/* The same for a reply of exactly size bytes. */
static int
fe_vhost_recv_reply(struct fe_vhost *vh, uint32_t request,
		struct fe_vhost_msg *reply, uint32_t size)
{
	return fe_vhost_recv_reply_range(vh, request, reply, size, size);
}

static void
fe_vhost_msg_init(struct fe_vhost_msg *msg, uint32_t request, uint32_t size)
{
	memset(msg, 0, sizeof(*msg));
	msg->request = request;
	msg->flags = FE_VHOST_VERSION;
	msg->size = size;
}

/*
 * Send a request that has no reply of its own. With REPLY_ACK the backend
 * is asked for an ack, whose u64 is 0 on success: that is how a refused
 * message becomes an error here instead of a silently ignored one.
 */
static int
fe_vhost_send_set(struct fe_vhost *vh, struct fe_vhost_msg *msg,
		const int *fds, unsigned int nfds)
{
	struct fe_vhost_msg reply;
	uint32_t request = msg->request;
	int ret;

	if (vh->reply_ack)
		msg->flags |= FE_VHOST_NEED_REPLY;
	ret = fe_vhost_send(vh, msg, fds, nfds);
	if (ret < 0 || !vh->reply_ack)
		return ret;
	ret = fe_vhost_recv_reply(vh, request, &reply, sizeof(uint64_t));
	if (ret < 0)
		return ret;
	if (reply.payload.u64 != 0) {
		FE_LOG("%s: backend refused %s (ack %#llx)", vh->path,
			fe_vhost_request_name(request),
			(unsigned long long)reply.payload.u64);
		return -EREMOTEIO;
	}
	return 0;
}

int
fe_vhost_get_u64(struct fe_vhost *vh, uint32_t request, uint64_t *val)
{
	struct fe_vhost_msg msg, reply;
	int ret;

	fe_vhost_msg_init(&msg, request, 0);
	ret = fe_vhost_send(vh, &msg, NULL, 0);
	if (ret < 0)
		return ret;
	ret = fe_vhost_recv_reply(vh, request, &reply, sizeof(uint64_t));
	if (ret < 0)
		return ret;
	*val = reply.payload.u64;
	return 0;
}

int
fe_vhost_set_u64(struct fe_vhost *vh, uint32_t request, uint64_t val)
{
	struct fe_vhost_msg msg;

	fe_vhost_msg_init(&msg, request, sizeof(uint64_t));
	msg.payload.u64 = val;
	return fe_vhost_send_set(vh, &msg, NULL, 0);
}

int
fe_vhost_set_owner(struct fe_vhost *vh)
{
	struct fe_vhost_msg msg;

	fe_vhost_msg_init(&msg, FE_VHOST_USER_SET_OWNER, 0);
	return fe_vhost_send_set(vh, &msg, NULL, 0);
}

int
fe_vhost_set_mem_table(struct fe_vhost *vh,
		const struct fe_vhost_region *regions, const int *fds,
		unsigned int n)
{
	struct fe_vhost_msg msg;

	if (n == 0 || n > FE_VHOST_MAX_REGIONS)
		return -EINVAL;
	/* Only the regions in use are sent, as the spec's size says. */
	fe_vhost_msg_init(&msg, FE_VHOST_USER_SET_MEM_TABLE,
		2 * sizeof(uint32_t) + n * sizeof(struct fe_vhost_region));
	msg.payload.mem.nregions = n;
	memcpy(msg.payload.mem.regions, regions, n * sizeof(*regions));
	return fe_vhost_send_set(vh, &msg, fds, n);
}

int
fe_vhost_set_vring_state(struct fe_vhost *vh, uint32_t request,
		uint32_t index, uint32_t num)
{
	struct fe_vhost_msg msg;

	fe_vhost_msg_init(&msg, request, sizeof(msg.payload.state));
	msg.payload.state.index = index;
	msg.payload.state.num = num;
	return fe_vhost_send_set(vh, &msg, NULL, 0);
}

int
fe_vhost_get_vring_base(struct fe_vhost *vh, uint32_t index, uint32_t *base)
{
	struct fe_vhost_msg msg, reply;
	int ret;

	fe_vhost_msg_init(&msg, FE_VHOST_USER_GET_VRING_BASE,
		sizeof(msg.payload.state));
	msg.payload.state.index = index;
	ret = fe_vhost_send(vh, &msg, NULL, 0);
	if (ret < 0)
		return ret;
	ret = fe_vhost_recv_reply(vh, FE_VHOST_USER_GET_VRING_BASE, &reply,
		sizeof(reply.payload.state));
	if (ret < 0)
		return ret;
	if (reply.payload.state.index != index) {
		FE_LOG("%s: GET_VRING_BASE reply for vring %u, asked %u",
			vh->path, reply.payload.state.index, index);
		vh->broken = true;
		return -EPROTO;
	}
	*base = reply.payload.state.num;
	return 0;
}

int
fe_vhost_set_vring_addr(struct fe_vhost *vh, uint32_t index, uint32_t flags,
		uint64_t desc, uint64_t used, uint64_t avail, uint64_t log)
{
	struct fe_vhost_msg msg;

	fe_vhost_msg_init(&msg, FE_VHOST_USER_SET_VRING_ADDR,
		sizeof(msg.payload.addr));
	msg.payload.addr.index = index;
	msg.payload.addr.flags = flags;
	msg.payload.addr.desc = desc;
	msg.payload.addr.used = used;
	msg.payload.addr.avail = avail;
	msg.payload.addr.log = log;
	return fe_vhost_send_set(vh, &msg, NULL, 0);
}

int
fe_vhost_set_vring_fd(struct fe_vhost *vh, uint32_t request, uint32_t index,
		int fd)
{
	struct fe_vhost_msg msg;

	fe_vhost_msg_init(&msg, request, sizeof(uint64_t));
	/* Vring index in the low byte; bit 8 says "no fd, poll instead". */
	msg.payload.u64 = index & 0xffu;
	if (fd < 0)
		msg.payload.u64 |= FE_VHOST_VRING_NOFD;
	return fe_vhost_send_set(vh, &msg, fd < 0 ? NULL : &fd, fd < 0 ? 0 : 1);
}

int
fe_vhost_set_log_base(struct fe_vhost *vh, int fd, uint64_t mmap_size,
		uint64_t mmap_offset, uint32_t *reply_size)
{
	struct fe_vhost_msg msg, reply;
	int ret;

	if (fd < 0)
		return -EINVAL;
	fe_vhost_msg_init(&msg, FE_VHOST_USER_SET_LOG_BASE,
		sizeof(msg.payload.log));
	msg.payload.log.mmap_size = mmap_size;
	msg.payload.log.mmap_offset = mmap_offset;
	/* With REPLY_ACK, ask for the ack: a backend that follows the spec
	 * to the letter (no reply of its own) then still answers, and one
	 * that has its own reply sends only that (spec: NEED_REPLY "brings
	 * no behavioural change" for messages that already have a reply).
	 * DPDK also turns a failure into an ack of 1 instead of silence. */
	if (vh->reply_ack)
		msg.flags |= FE_VHOST_NEED_REPLY;
	ret = fe_vhost_send(vh, &msg, &fd, 1);
	if (ret < 0)
		return ret;
	ret = fe_vhost_recv_reply_range(vh, FE_VHOST_USER_SET_LOG_BASE, &reply,
		0, sizeof(msg.payload.log));
	if (ret < 0)
		return ret;
	*reply_size = reply.size;
	switch (reply.size) {
	case 0:		/* DPDK: "QEMU doesn't expect any payload" */
		return 0;
	case sizeof(uint64_t):	/* an ack */
		if (reply.payload.u64 == 0)
			return 0;
		FE_LOG("%s: backend refused SET_LOG_BASE (ack %#llx)",
			vh->path, (unsigned long long)reply.payload.u64);
		return -EREMOTEIO;
	case sizeof(msg.payload.log):	/* rust-vmm: the request echoed */
		return 0;
	default:
		FE_LOG("%s: reply to SET_LOG_BASE has size %u (want 0, 8 or "
			"16)", vh->path, reply.size);
		vh->broken = true;
		return -EPROTO;
	}
}
