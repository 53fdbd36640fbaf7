/* SPDX-License-Identifier: BSD-3-Clause */

#ifndef FE_VIRTIO_H
#define FE_VIRTIO_H

/*
 * virtio 1.x facts the driver model needs: feature bits, the split ring
 * layout, the virtio-net header and the control virtqueue classes. Written
 * from the virtio specification (1.2), not copied from any implementation:
 * the tool is meant to be an independent check of the relay.
 */

#include <stdint.h>

/* Feature bits (virtio spec 5.1.3 and 6). */
#define FE_F_CSUM		0
#define FE_F_GUEST_CSUM		1
#define FE_F_CTRL_GUEST_OFFLOADS 2
#define FE_F_MTU		3
#define FE_F_MAC		5
#define FE_F_GUEST_TSO4		7
#define FE_F_GUEST_TSO6		8
#define FE_F_GUEST_ECN		9
#define FE_F_GUEST_UFO		10
#define FE_F_HOST_TSO4		11
#define FE_F_HOST_TSO6		12
#define FE_F_HOST_ECN		13
#define FE_F_HOST_UFO		14
#define FE_F_MRG_RXBUF		15
#define FE_F_STATUS		16
#define FE_F_CTRL_VQ		17
#define FE_F_CTRL_RX		18
#define FE_F_CTRL_VLAN		19
#define FE_F_CTRL_RX_EXTRA	20
#define FE_F_GUEST_ANNOUNCE	21
#define FE_F_MQ			22
#define FE_F_CTRL_MAC_ADDR	23
#define FE_F_LOG_ALL		26	/* vhost: log every write (migration) */
#define FE_F_RING_INDIRECT_DESC	28
#define FE_F_RING_EVENT_IDX	29
#define FE_F_PROTOCOL_FEATURES	30	/* vhost-user, not virtio */
#define FE_F_VERSION_1		32
#define FE_F_ACCESS_PLATFORM	33
#define FE_F_RING_PACKED	34
#define FE_F_IN_ORDER		35
#define FE_F_GUEST_USO4		54
#define FE_F_GUEST_USO6		55
#define FE_F_HOST_USO		56
#define FE_F_HASH_REPORT	57
#define FE_F_GUEST_HDRLEN	59
#define FE_F_RSS		60

#define FE_BIT(b) (UINT64_C(1) << (b))

/* What the driver model asks for unless told otherwise. */
#define FE_DEFAULT_FEATURES \
	(FE_BIT(FE_F_VERSION_1) | FE_BIT(FE_F_MRG_RXBUF) | FE_BIT(FE_F_MQ) | \
	 FE_BIT(FE_F_CTRL_VQ) | FE_BIT(FE_F_CTRL_RX) | \
	 FE_BIT(FE_F_CTRL_VLAN) | FE_BIT(FE_F_CTRL_RX_EXTRA) | \
	 FE_BIT(FE_F_CTRL_MAC_ADDR) | FE_BIT(FE_F_GUEST_ANNOUNCE) | \
	 FE_BIT(FE_F_CTRL_GUEST_OFFLOADS) | FE_BIT(FE_F_RSS) | \
	 FE_BIT(FE_F_HASH_REPORT) | FE_BIT(FE_F_RING_EVENT_IDX))

/* Split virtqueue (spec 2.7). All fields little-endian; this tool runs on
 * little-endian hosts only (checked at build time in fe_vring.c). */
#define FE_VRING_DESC_F_NEXT	1
#define FE_VRING_DESC_F_WRITE	2
#define FE_VRING_DESC_F_INDIRECT 4
#define FE_VRING_AVAIL_F_NO_INTERRUPT 1
#define FE_VRING_USED_F_NO_NOTIFY 1

struct fe_vring_desc {
	uint64_t addr;
	uint32_t len;
	uint16_t flags;
	uint16_t next;
};

struct fe_vring_used_elem {
	uint32_t id;
	uint32_t len;
};

/* Byte sizes of the three parts; the trailing u16 is used_event (avail)
 * or avail_event (used), present whether or not EVENT_IDX is negotiated. */
#define FE_VRING_DESC_SIZE(n)	(16u * (n))
#define FE_VRING_AVAIL_SIZE(n)	(6u + 2u * (n))
#define FE_VRING_USED_SIZE(n)	(6u + 8u * (n))

/* virtio-net header (spec 5.1.6): 12 bytes with VERSION_1, 20 with
 * HASH_REPORT, on TX and RX alike. */
struct fe_net_hdr {
	uint8_t flags;
	uint8_t gso_type;
	uint16_t hdr_len;
	uint16_t gso_size;
	uint16_t csum_start;
	uint16_t csum_offset;
	uint16_t num_buffers;
	/* only with HASH_REPORT: */
	uint32_t hash_value;
	uint16_t hash_report;
	uint16_t padding_reserved;
} __attribute__((packed));

#define FE_NET_HDR_LEN		12u
#define FE_NET_HDR_HASH_LEN	20u

/* Control virtqueue (spec 5.1.6.5). */
#define FE_CTRL_OK	0
#define FE_CTRL_ERR	1

#define FE_CTRL_RX		0
#define FE_CTRL_RX_PROMISC	0
#define FE_CTRL_RX_ALLMULTI	1
#define FE_CTRL_RX_ALLUNI	2
#define FE_CTRL_RX_NOMULTI	3
#define FE_CTRL_RX_NOUNI	4
#define FE_CTRL_RX_NOBCAST	5

#define FE_CTRL_MAC		1
#define FE_CTRL_MAC_TABLE_SET	0
#define FE_CTRL_MAC_ADDR_SET	1

#define FE_CTRL_VLAN		2
#define FE_CTRL_VLAN_ADD	0
#define FE_CTRL_VLAN_DEL	1

#define FE_CTRL_ANNOUNCE	3
#define FE_CTRL_ANNOUNCE_ACK	0

#define FE_CTRL_MQ		4
#define FE_CTRL_MQ_VQ_PAIRS_SET	0
#define FE_CTRL_MQ_RSS_CONFIG	1
#define FE_CTRL_MQ_HASH_CONFIG	2
#define FE_CTRL_MQ_PAIRS_MIN	1
#define FE_CTRL_MQ_PAIRS_MAX	0x8000

#define FE_CTRL_GUEST_OFFLOADS	5
#define FE_CTRL_GUEST_OFFLOADS_SET 0

/* RSS hash types (spec 5.1.6.4.1) and the key length devices support. */
#define FE_HASH_TYPES_ALL	0x1ffu
#define FE_RSS_KEY_LEN		40u

#endif /* FE_VIRTIO_H */
