/* SPDX-License-Identifier: BSD-3-Clause */

#ifndef FE_NET_H
#define FE_NET_H

/*
 * The virtio-net driver model: negotiates features over vhost-user, sets
 * up N queue pairs (rx = 2q, tx = 2q + 1) and, with CTRL_VQ, the control
 * virtqueue at 2N; sends and receives frames with the virtio-net header;
 * runs CVQ commands and waits for their acks.
 */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "fe_cvq.h"
#include "fe_log.h"
#include "fe_mem.h"
#include "fe_vhost.h"
#include "fe_vring.h"

#define FE_MAX_PAIRS	64
#define FE_FRAME_MAX	65536u

struct fe_net_params {
	const char *path;
	bool server;		/* listen; the backend connects (client mode) */
	uint16_t pairs;		/* max queue pairs; the CVQ index is 2 * pairs */
	uint64_t features;	/* wanted; VERSION_1 is always added */
	uint16_t ring_size;
	uint16_t cvq_size;
	uint32_t rx_buf;	/* bytes per RX buffer */
	uint32_t tx_buf;	/* bytes per TX slot (header + frame) */
	bool tx_single;		/* header and frame in one descriptor */
	uint64_t mem_size;
	uint64_t mem_base;	/* GPA of the first byte of guest memory */
	int timeout_ms;		/* vhost-user replies, TX ring space */
	int connect_timeout_ms;
};

struct fe_frame {
	uint16_t pair;
	uint32_t len;
	uint16_t num_buffers;
	bool has_hash;
	uint32_t hash;
	uint16_t report;
	uint8_t data[FE_FRAME_MAX];
};

struct fe_net_stats {
	uint64_t tx_frames, tx_bytes;
	uint64_t rx_frames, rx_bytes;
	uint64_t rx_bad;	/* short, bad num_buffers, incomplete merge */
	uint64_t cvq_cmds, cvq_ok, cvq_err, cvq_other, cvq_none, cvq_late;
};

struct fe_net {
	struct fe_net_params p;
	char path[108];			/* p.path after a reconnect */
	struct fe_vhost vh;
	struct fe_mem mem;
	uint64_t offered;
	uint64_t features;
	uint64_t proto_offered;
	uint64_t proto;
	uint64_t backend_queues;	/* GET_QUEUE_NUM, 0 if not asked */
	uint32_t hdr_len;
	uint16_t nb_vrings;
	int cvq;			/* vring index, -1 without CTRL_VQ */
	struct fe_vring *vrings;
	uint64_t scratch_gpa;		/* free guest memory for raw tests */
	uint64_t scratch_len;
	bool running;
	bool stopped;			/* bases[] are the last stop's */
	uint32_t *bases;		/* by vring: GET_VRING_BASE */
	uint16_t mq_pairs;		/* last VQ_PAIRS_SET acked, or 0 */
	uint16_t rx_rr;
	int cvq_timeout_ms;
	uint32_t cvq_ack_off;
	struct fe_log log;		/* dirty log, fd -1 before log start */
	struct fe_net_stats st;
};

/* What reconnect found: chains the old backend took and never completed
 * (base ahead of the used index: those buffers are gone), or completed
 * and is told to take again (base behind it: repeated). */
struct fe_reconnect_info {
	uint32_t vrings;
	uint32_t stuck;		/* sum of base - used idx, base ahead */
	uint32_t repeat;	/* sum of used idx - base, base behind */
	bool from_used;		/* no stop: the used indices as bases */
	bool mq_sent;		/* VQ_PAIRS_SET replayed on the CVQ */
	int mq_ack;		/* its ack, -1 when none came */
	uint16_t *used;		/* caller's, by vring, or NULL: the used
				 * idx at the switch, before anything ran */
};

/* Feature names: "MRG_RXBUF" <-> bit 15. */
const char *fe_feature_name(unsigned int bit);

/*
 * Parse a --features value: hex ("0x..."), or a comma list of names or bit
 * numbers; a list whose items all start with + or - edits base instead.
 * Returns 0 or -EINVAL.
 */
int fe_features_parse(const char *spec, uint64_t base, uint64_t *out);

/* Write the names of the bits in features, comma-separated, into buf. */
void fe_features_format(uint64_t features, char *buf, size_t len);

/* Connect, negotiate, set up memory and every vring, post RX buffers,
 * enable. Returns 0 or -errno (the reason is logged on stderr). */
int fe_net_start(struct fe_net *net, const struct fe_net_params *p);
void fe_net_close(struct fe_net *net);

/* Queue one frame on pair's TX vring; the header is added here. */
int fe_net_send(struct fe_net *net, uint16_t pair, const uint8_t *frame,
		uint32_t len);

/* The longest frame a TX slot holds. */
uint32_t fe_net_tx_room(const struct fe_net *net);

/* Write the TX header and len bytes of frame (len <= fe_net_tx_room) into
 * head's slot of TX vring vr. */
void fe_net_tx_write(const struct fe_net *net, const struct fe_vring *vr,
		uint16_t head, const uint8_t *frame, uint32_t len);

/* The chain that sends what head's slot holds, a frame of len bytes:
 * header and frame in two segments, or one with --tx-single. Returns how
 * many segments. */
unsigned int fe_net_tx_segs(const struct fe_net *net,
		const struct fe_vring *vr, uint16_t head, uint32_t len,
		struct fe_seg segs[2]);

/* Post an empty --rx-buf buffer on every free descriptor of RX vring vr
 * and publish (no kick). */
void fe_net_rx_refill(struct fe_net *net, struct fe_vring *vr);

/* Take back the TX buffers the device has completed. */
void fe_net_reclaim(struct fe_net *net);

/* Next complete received frame from any RX vring: 1, or 0 if none is
 * pending now. Bad ones are counted in st.rx_bad and skipped. */
int fe_net_rx_frame(struct fe_net *net, struct fe_frame *f);

/* Wait up to ms for a call or backend activity; returns -ECONNRESET when
 * the backend is gone, else 0. */
int fe_net_wait(struct fe_net *net, int ms);

/*
 * Run one CVQ command: 0 with *ack (the byte the device wrote, 0xff if it
 * wrote none) and *used_len; -ETIMEDOUT without a completion in time;
 * -ENOTSUP without a CVQ; -ENOSPC when earlier commands still hold the
 * ring.
 */
int fe_net_cvq(struct fe_net *net, const struct fe_cvq_cmd *c, int *ack,
		uint32_t *used_len);

/* SET_VRING_ENABLE 0 and GET_VRING_BASE on every vring; bases[i] gets
 * vring i's base (kept in net->bases for reconnect). */
int fe_net_stop(struct fe_net *net, uint32_t *bases);

/*
 * Migration start as QEMU does it (vhost_migration_log): SET_LOG_BASE with
 * a zeroed memfd bitmap covering GPA 0 to the end of guest memory, then
 * SET_FEATURES with VHOST_F_LOG_ALL, then SET_VRING_ADDR with
 * VHOST_VRING_F_LOG and the used ring's GPA on every vring. -ENOTSUP when
 * the backend did not offer LOG_ALL or LOG_SHMFD, -EALREADY when logging.
 */
int fe_net_log_start(struct fe_net *net);

/* Migration cancelled: SET_FEATURES without LOG_ALL, SET_VRING_ADDR
 * without the log flag. The bitmap stays mapped (so does the backend's). */
int fe_net_log_stop(struct fe_net *net);

/* The device-writable ranges of guest memory (see fe_log.h), at most cap;
 * returns how many. */
unsigned int fe_net_log_ranges(const struct fe_net *net,
		struct fe_log_range *ranges, unsigned int cap);

/*
 * Move the guest to another backend, as a migration destination sees it:
 * close the connection, connect to path, negotiate the same features
 * (without LOG_ALL; -ENOTSUP if the new backend lacks one), the same
 * memory table (same memfd: the guest's memory as it is), and every vring
 * at the base of the last stop, with the same addresses, kick and call
 * eventfds; then, with mq and a VQ_PAIRS_SET acked before, that command
 * again with only the control vring enabled, and the data vrings enabled.
 * Without a stop, only if the old connection is broken: bases are then
 * the used indices (what QEMU falls back to). Driver state (buffers
 * posted, completions not yet read) is untouched.
 */
int fe_net_reconnect(struct fe_net *net, const char *path, bool mq,
		struct fe_reconnect_info *info);

#endif /* FE_NET_H */
