/* SPDX-License-Identifier: BSD-3-Clause */

#ifndef SVQ_VHOST_MSG_H
#define SVQ_VHOST_MSG_H

/*
 * vhost-user wire facts the relay needs to watch the frontend's messages
 * before and after librte_vhost handles them (pre/post message hooks).
 * Numbers are from the vhost-user specification; the X-macro gives every
 * request a printable name for logs.
 */

#include <stdint.h>
#include <string.h>

#define SVQ_VHOST_REQUESTS(X) \
	X(GET_FEATURES, 1) \
	X(SET_FEATURES, 2) \
	X(SET_OWNER, 3) \
	X(RESET_OWNER, 4) \
	X(SET_MEM_TABLE, 5) \
	X(SET_LOG_BASE, 6) \
	X(SET_LOG_FD, 7) \
	X(SET_VRING_NUM, 8) \
	X(SET_VRING_ADDR, 9) \
	X(SET_VRING_BASE, 10) \
	X(GET_VRING_BASE, 11) \
	X(SET_VRING_KICK, 12) \
	X(SET_VRING_CALL, 13) \
	X(SET_VRING_ERR, 14) \
	X(GET_PROTOCOL_FEATURES, 15) \
	X(SET_PROTOCOL_FEATURES, 16) \
	X(GET_QUEUE_NUM, 17) \
	X(SET_VRING_ENABLE, 18) \
	X(SEND_RARP, 19) \
	X(NET_SET_MTU, 20) \
	X(SET_SLAVE_REQ_FD, 21) \
	X(IOTLB_MSG, 22) \
	X(SET_VRING_ENDIAN, 23) \
	X(GET_CONFIG, 24) \
	X(SET_CONFIG, 25) \
	X(CREATE_CRYPTO_SESSION, 26) \
	X(CLOSE_CRYPTO_SESSION, 27) \
	X(POSTCOPY_ADVISE, 28) \
	X(POSTCOPY_LISTEN, 29) \
	X(POSTCOPY_END, 30) \
	X(GET_INFLIGHT_FD, 31) \
	X(SET_INFLIGHT_FD, 32) \
	X(GPU_SET_SOCKET, 33) \
	X(RESET_DEVICE, 34) \
	X(VRING_KICK, 35) \
	X(GET_MAX_MEM_SLOTS, 36) \
	X(ADD_MEM_REG, 37) \
	X(REM_MEM_REG, 38) \
	X(SET_STATUS, 39) \
	X(GET_STATUS, 40)

#define SVQ_VHOST_REQ_ENUM(name, num) SVQ_VHOST_USER_ ## name = num,
enum svq_vhost_request {
	SVQ_VHOST_REQUESTS(SVQ_VHOST_REQ_ENUM)
	SVQ_VHOST_USER_MAX
};
#undef SVQ_VHOST_REQ_ENUM

/* Vring index of SET_VRING_KICK/CALL/ERR: low byte of the u64 payload. */
#define SVQ_VHOST_VRING_IDX_MASK 0xff

/* Wire header; the payload follows at offset 12 (the message is packed). */
struct svq_vhost_msg_hdr {
	uint32_t request;
	uint32_t flags;
	uint32_t size;
};

const char *svq_vhost_request_name(uint32_t request);

static inline uint32_t
svq_vhost_msg_request(const void *msg)
{
	struct svq_vhost_msg_hdr hdr;

	memcpy(&hdr, msg, sizeof(hdr));
	return hdr.request;
}

/* First u32 of the payload: the vring index of every per-vring message
 * (struct vhost_vring_state, vhost_vring_addr, and the kick/call/err u64
 * on a little-endian host), and the num of SET_VRING_ENABLE after it. */
static inline uint32_t
svq_vhost_msg_u32(const void *msg, unsigned int word)
{
	uint32_t v;

	memcpy(&v, (const uint8_t *)msg + sizeof(struct svq_vhost_msg_hdr) +
			word * sizeof(uint32_t), sizeof(v));
	return v;
}

#endif /* SVQ_VHOST_MSG_H */
