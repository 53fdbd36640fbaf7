/* SPDX-License-Identifier: BSD-3-Clause */

#ifndef SVQ_CVQ_H
#define SVQ_CVQ_H

/**
 * @file
 * virtio-net control virtqueue commands: parse and validate one command
 * from the bytes the driver wrote (header, then command data; the ack byte
 * is not part of it). Used by the relay, which refuses malformed commands
 * before they reach the device, and by the software device, which checks
 * them again as a device must.
 *
 * Wire format: {u8 class, u8 cmd} + data, little-endian (virtio 1.x).
 */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <rte_ether.h>

/** MAC filter entries the state model keeps per table; more is overflow. */
#define SVQ_MAC_TABLE_MAX 64
/** Largest RSS key (virtio: rss_max_key_size is at most 40). */
#define SVQ_RSS_KEY_MAX 40
/** Largest RSS indirection table the relay keeps. */
#define SVQ_RSS_TABLE_MAX 1024

/** What a device accepts, from its config space and the features. */
struct svq_cvq_limits {
	uint64_t features;		/**< negotiated features */
	uint16_t max_pairs;		/**< max_virtqueue_pairs */
	uint8_t rss_max_key;		/**< rss_max_key_size */
	uint16_t rss_max_table;		/**< rss_max_indirection_table_length */
	uint32_t hash_types;		/**< supported_hash_types */
	uint64_t guest_offloads;	/**< offloads GUEST_OFFLOADS_SET may enable */
};

struct svq_cvq_rss {
	uint32_t hash_types;
	uint16_t table_len;		/**< indirection_table_mask + 1 */
	uint16_t unclassified;
	uint16_t max_tx_vq;
	uint8_t key_len;
	uint8_t key[SVQ_RSS_KEY_MAX];
	uint16_t table[SVQ_RSS_TABLE_MAX];
};

/** One parsed command. MAC tables point into the buffer parsed. */
struct svq_cvq_cmd {
	uint8_t class;
	uint8_t cmd;
	union {
		bool on;			/**< RX class */
		struct rte_ether_addr mac;	/**< MAC_ADDR_SET */
		struct {
			uint32_t n_uc, n_mc;
			const uint8_t *uc, *mc;	/**< n * 6 bytes each */
		} table;			/**< MAC_TABLE_SET */
		uint16_t vid;			/**< VLAN_ADD/DEL */
		uint16_t pairs;			/**< MQ_VQ_PAIRS_SET */
		struct svq_cvq_rss rss;		/**< RSS_CONFIG, HASH_CONFIG */
		uint64_t offloads;		/**< GUEST_OFFLOADS_SET */
	} u;
};

/**
 * Parse and validate one command.
 *
 * @param buf, len
 *   Header and data, already copied out of guest memory.
 * @param why
 *   On failure, a static string saying what is wrong.
 * @return 0, or -EINVAL for a malformed command, -ENOTSUP for a class or
 *   command that is unknown or not negotiated.
 */
int svq_cvq_parse(const void *buf, size_t len,
		const struct svq_cvq_limits *lim, struct svq_cvq_cmd *cmd,
		const char **why);

/**
 * Encode @p cmd (the inverse of svq_cvq_parse).
 * @return bytes written, or -ENOSPC if @p cap is too small.
 */
int svq_cvq_encode(const struct svq_cvq_cmd *cmd, void *buf, size_t cap);

/** "RX_PROMISC", "MAC_TABLE_SET", ... for log lines. */
const char *svq_cvq_cmd_name(uint8_t class, uint8_t cmd);

#endif /* SVQ_CVQ_H */
