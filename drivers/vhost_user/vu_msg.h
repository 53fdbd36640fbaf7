/* SPDX-License-Identifier: BSD-3-Clause */

#ifndef VU_MSG_H
#define VU_MSG_H

/*
 * The frontend's side of the vhost-user protocol (QEMU docs/interop/
 * vhost-user.rst): messages the relay sends to a backend that plays the
 * device, and the checks every reply passes before anything in it is
 * used. The backend is not trusted: a reply of the wrong request, size or
 * flags is refused, and file descriptors it sends are closed. Private to
 * drivers/vhost_user.
 */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <rte_common.h>

#define VU_VERSION		0x1
#define VU_FLAG_VERSION_MASK	0x3
#define VU_FLAG_REPLY		(1u << 2)
#define VU_FLAG_NEED_REPLY	(1u << 3)

/* Regions a SET_MEM_TABLE carries without CONFIGURE_MEM_SLOTS. */
#define VU_MAX_REGIONS		8
/* SET_VRING_KICK/CALL: no file descriptor follows. */
#define VU_VRING_NOFD		(1u << 8)

enum vu_request {
	VU_GET_FEATURES = 1,
	VU_SET_FEATURES = 2,
	VU_SET_OWNER = 3,
	VU_SET_MEM_TABLE = 5,
	VU_SET_VRING_NUM = 8,
	VU_SET_VRING_ADDR = 9,
	VU_SET_VRING_BASE = 10,
	VU_GET_VRING_BASE = 11,
	VU_SET_VRING_KICK = 12,
	VU_SET_VRING_CALL = 13,
	VU_GET_PROTOCOL_FEATURES = 15,
	VU_SET_PROTOCOL_FEATURES = 16,
	VU_GET_QUEUE_NUM = 17,
	VU_SET_VRING_ENABLE = 18,
};

/* Protocol features the relay asks for. */
#define VU_PROTOCOL_F_MQ	0
#define VU_PROTOCOL_F_REPLY_ACK	3
/* The feature bit that says protocol features exist (not a virtio bit). */
#define VU_F_PROTOCOL_FEATURES	30

struct vu_vring_state {
	uint32_t index;
	uint32_t num;
};

struct vu_vring_addr {
	uint32_t index;
	uint32_t flags;
	uint64_t desc;
	uint64_t used;
	uint64_t avail;
	uint64_t log;
};

struct vu_mem_region {
	uint64_t guest_phys_addr;
	uint64_t size;
	uint64_t user_addr;
	uint64_t mmap_offset;
};

struct vu_mem_table {
	uint32_t nregions;
	uint32_t padding;
	struct vu_mem_region regions[VU_MAX_REGIONS];
};

struct vu_msg {
	uint32_t request;
	uint32_t flags;
	uint32_t size;		/* payload bytes that follow */
	union {
		uint64_t u64;
		struct vu_vring_state state;
		struct vu_vring_addr addr;
		struct vu_mem_table mem;
	} payload;
} __rte_packed;

#define VU_HDR_SIZE offsetof(struct vu_msg, payload)

/**
 * Send @p msg (header and msg->size payload bytes) with @p nfds file
 * descriptors. @return 0, or -errno (-EPIPE: the backend is gone).
 */
int vu_msg_send(int sock, const struct vu_msg *msg, const int *fds,
		unsigned int nfds);

/**
 * Receive one message within @p timeout_ms into @p msg; file descriptors
 * that come with it are closed. @return 0, -ETIMEDOUT, -EPROTO for a
 * header that cannot be a message, or -errno (-EPIPE: the backend closed).
 */
int vu_msg_recv(int sock, struct vu_msg *msg, int timeout_ms);

/**
 * Check that @p reply answers @p request with exactly @p size payload
 * bytes. @return 0 or -EPROTO.
 */
int vu_reply_check(const struct vu_msg *reply, uint32_t request,
		uint32_t size);

const char *vu_request_name(uint32_t request);

#endif /* VU_MSG_H */
