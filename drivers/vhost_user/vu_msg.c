/* SPDX-License-Identifier: BSD-3-Clause */

#include <errno.h>
#include <poll.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "vu_msg.h"

int
vu_msg_send(int sock, const struct vu_msg *msg, const int *fds,
		unsigned int nfds)
{
	char control[CMSG_SPACE(sizeof(int) * VU_MAX_REGIONS)];
	struct iovec iov = {
		.iov_base = (void *)(uintptr_t)msg,
		.iov_len = VU_HDR_SIZE + msg->size,
	};
	struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1 };
	ssize_t n;

	if (msg->size > sizeof(msg->payload) || nfds > VU_MAX_REGIONS)
		return -EINVAL;
	if (nfds != 0) {
		struct cmsghdr *cmsg;

		memset(control, 0, sizeof(control));
		mh.msg_control = control;
		mh.msg_controllen = CMSG_SPACE(sizeof(int) * nfds);
		cmsg = CMSG_FIRSTHDR(&mh);
		cmsg->cmsg_level = SOL_SOCKET;
		cmsg->cmsg_type = SCM_RIGHTS;
		cmsg->cmsg_len = CMSG_LEN(sizeof(int) * nfds);
		memcpy(CMSG_DATA(cmsg), fds, sizeof(int) * nfds);
	}
	do {
		/* MSG_NOSIGNAL: a backend that died is an error, not SIGPIPE */
		n = sendmsg(sock, &mh, MSG_NOSIGNAL);
	} while (n < 0 && errno == EINTR);
	if (n < 0)
		return -errno;
	/* A short write of one small message on a stream socket means the
	 * peer is going away; the protocol cannot resynchronise. */
	return (size_t)n == iov.iov_len ? 0 : -EPIPE;
}

static void
vu_close_passed_fds(struct msghdr *mh)
{
	struct cmsghdr *cmsg;

	for (cmsg = CMSG_FIRSTHDR(mh); cmsg != NULL; cmsg = CMSG_NXTHDR(mh, cmsg)) {
		size_t i, nfds;

		if (cmsg->cmsg_level != SOL_SOCKET || cmsg->cmsg_type != SCM_RIGHTS)
			continue;
		nfds = (cmsg->cmsg_len - CMSG_LEN(0)) / sizeof(int);
		for (i = 0; i < nfds; i++) {
			int fd;

			memcpy(&fd, CMSG_DATA(cmsg) + i * sizeof(int), sizeof(fd));
			close(fd);
		}
	}
}

/* Read exactly @p len bytes, waiting at most @p timeout_ms for each part. */
static int
vu_read_full(int sock, void *buf, size_t len, int timeout_ms, bool first)
{
	char control[CMSG_SPACE(sizeof(int) * VU_MAX_REGIONS)];
	size_t done = 0;

	while (done < len) {
		struct pollfd pfd = { .fd = sock, .events = POLLIN };
		struct iovec iov = {
			.iov_base = (uint8_t *)buf + done,
			.iov_len = len - done,
		};
		struct msghdr mh = {
			.msg_iov = &iov,
			.msg_iovlen = 1,
			.msg_control = control,
			.msg_controllen = sizeof(control),
		};
		ssize_t n;
		int ret;

		ret = poll(&pfd, 1, timeout_ms);
		if (ret < 0 && errno == EINTR)
			continue;
		if (ret < 0)
			return -errno;
		if (ret == 0)
			return first && done == 0 ? -ETIMEDOUT : -EPROTO;
		n = recvmsg(sock, &mh, MSG_CMSG_CLOEXEC);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -errno;
		vu_close_passed_fds(&mh);
		if (n == 0)
			return -EPIPE;
		done += n;
	}
	return 0;
}

int
vu_msg_recv(int sock, struct vu_msg *msg, int timeout_ms)
{
	int ret;

	ret = vu_read_full(sock, msg, VU_HDR_SIZE, timeout_ms, true);
	if (ret < 0)
		return ret;
	if (msg->size > sizeof(msg->payload))
		return -EPROTO;
	return vu_read_full(sock, &msg->payload, msg->size, timeout_ms, false);
}

int
vu_reply_check(const struct vu_msg *reply, uint32_t request, uint32_t size)
{
	if (reply->request != request ||
			(reply->flags & VU_FLAG_VERSION_MASK) != VU_VERSION ||
			!(reply->flags & VU_FLAG_REPLY) || reply->size != size)
		return -EPROTO;
	return 0;
}

const char *
vu_request_name(uint32_t request)
{
	static const char *const names[] = {
		[VU_GET_FEATURES] = "GET_FEATURES",
		[VU_SET_FEATURES] = "SET_FEATURES",
		[VU_SET_OWNER] = "SET_OWNER",
		[VU_SET_MEM_TABLE] = "SET_MEM_TABLE",
		[VU_SET_VRING_NUM] = "SET_VRING_NUM",
		[VU_SET_VRING_ADDR] = "SET_VRING_ADDR",
		[VU_SET_VRING_BASE] = "SET_VRING_BASE",
		[VU_GET_VRING_BASE] = "GET_VRING_BASE",
		[VU_SET_VRING_KICK] = "SET_VRING_KICK",
		[VU_SET_VRING_CALL] = "SET_VRING_CALL",
		[VU_GET_PROTOCOL_FEATURES] = "GET_PROTOCOL_FEATURES",
		[VU_SET_PROTOCOL_FEATURES] = "SET_PROTOCOL_FEATURES",
		[VU_GET_QUEUE_NUM] = "GET_QUEUE_NUM",
		[VU_SET_VRING_ENABLE] = "SET_VRING_ENABLE",
	};

	if (request < RTE_DIM(names) && names[request] != NULL)
		return names[request];
	return "UNKNOWN";
}
