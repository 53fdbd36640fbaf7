/* SPDX-License-Identifier: BSD-3-Clause */

#ifndef FE_VHOST_H
#define FE_VHOST_H

/*
 * vhost-user frontend (the "master" side of the protocol): one connection
 * to a backend, request/reply with validation and timeouts. Numbers and
 * layouts are from the vhost-user specification (QEMU docs/interop).
 */

#include <stdbool.h>
#include <stdint.h>

#define FE_VHOST_REQUESTS(X) \
	X(GET_FEATURES, 1) \
	X(SET_FEATURES, 2) \
	X(SET_OWNER, 3) \
	X(RESET_OWNER, 4) \
	X(SET_MEM_TABLE, 5) \
	X(SET_LOG_BASE, 6) \
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
	X(SET_VRING_ENABLE, 18)

#define FE_VHOST_ENUM(name, num) FE_VHOST_USER_ ## name = num,
enum fe_vhost_request {
	FE_VHOST_REQUESTS(FE_VHOST_ENUM)
};
#undef FE_VHOST_ENUM

/* Protocol feature bits this frontend knows about. */
#define FE_VHOST_PROTOCOL_F_MQ		0
#define FE_VHOST_PROTOCOL_F_LOG_SHMFD	1
#define FE_VHOST_PROTOCOL_F_REPLY_ACK	3

#define FE_VHOST_MAX_REGIONS 8

/* SET_VRING_ADDR flags: bit 0 asks the backend to log its writes to the
 * used ring at log_guest_addr (a GPA), while VHOST_F_LOG_ALL is on. */
#define FE_VHOST_VRING_F_LOG	0

struct fe_vhost_region {
	uint64_t guest_phys_addr;
	uint64_t memory_size;
	uint64_t userspace_addr;
	uint64_t mmap_offset;
};

struct fe_vhost {
	int fd;
	int timeout_ms;		/* for every reply */
	bool reply_ack;		/* REPLY_ACK negotiated: ack every set */
	bool broken;		/* a reply failed validation or the peer left */
	char path[108];
};

const char *fe_vhost_request_name(uint32_t request);

/*
 * Connect to the backend's socket (or, with server, listen on it and accept
 * one backend), retrying until connect_timeout_ms. Returns 0 or -errno.
 */
int fe_vhost_connect(struct fe_vhost *vh, const char *path, bool server,
		int connect_timeout_ms, int timeout_ms);
void fe_vhost_close(struct fe_vhost *vh);

/* GET_FEATURES, GET_PROTOCOL_FEATURES, GET_QUEUE_NUM: a u64 reply. */
int fe_vhost_get_u64(struct fe_vhost *vh, uint32_t request, uint64_t *val);

/* SET_FEATURES, SET_PROTOCOL_FEATURES: a u64 payload. */
int fe_vhost_set_u64(struct fe_vhost *vh, uint32_t request, uint64_t val);

int fe_vhost_set_owner(struct fe_vhost *vh);

/* SET_MEM_TABLE: one fd per region, sent with SCM_RIGHTS. */
int fe_vhost_set_mem_table(struct fe_vhost *vh,
		const struct fe_vhost_region *regions, const int *fds,
		unsigned int n);

/* SET_VRING_NUM, SET_VRING_BASE, SET_VRING_ENABLE. */
int fe_vhost_set_vring_state(struct fe_vhost *vh, uint32_t request,
		uint32_t index, uint32_t num);

/* GET_VRING_BASE: stops the vring; *base is where the backend stopped. */
int fe_vhost_get_vring_base(struct fe_vhost *vh, uint32_t index,
		uint32_t *base);

/* SET_VRING_ADDR: desc, used and avail in this process' virtual address
 * space; log is the used ring's GPA, flags FE_BIT(FE_VHOST_VRING_F_LOG)
 * or 0. */
int fe_vhost_set_vring_addr(struct fe_vhost *vh, uint32_t index,
		uint32_t flags, uint64_t desc, uint64_t used, uint64_t avail,
		uint64_t log);

/*
 * SET_LOG_BASE with LOG_SHMFD: payload {u64 mmap_size; u64 mmap_offset},
 * the log's fd with SCM_RIGHTS, and one reply. The spec says "reply
 * payload: N/A", yet QEMU waits for a reply whenever LOG_SHMFD is on and
 * backends answer in different ways: DPDK (22.11) with an empty payload,
 * rust-vmm by echoing the 16-byte payload, a REPLY_ACK backend asked for an
 * ack (we set NEED_REPLY when REPLY_ACK is on) with a u64, 0 for success.
 * All three are accepted; a non-zero u64 is a refusal (-EREMOTEIO), any
 * other size a protocol error. *reply_size gets the payload size seen.
 */
int fe_vhost_set_log_base(struct fe_vhost *vh, int fd, uint64_t mmap_size,
		uint64_t mmap_offset, uint32_t *reply_size);

/* SET_VRING_KICK, SET_VRING_CALL, SET_VRING_ERR: fd < 0 sends no fd. */
int fe_vhost_set_vring_fd(struct fe_vhost *vh, uint32_t request,
		uint32_t index, int fd);

#endif /* FE_VHOST_H */
