/* SPDX-License-Identifier: BSD-3-Clause */

/*
 * Shadow virtqueue: forwarding of well-formed chains, and every malformed
 * guest ring or device completion the walker must refuse.
 */

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include <CUnit/CUnit.h>

#include "guest_ring.h"
#include "svq_shadow.h"
#include "unit.h"

static struct test_guest g;
static struct svq_shadow_vq vq;
static void *shadow_mem;
static uint16_t dev_last_avail;	/* the test's device: next shadow avail */
static uint16_t dev_used;	/* the test's device: next shadow used */

static void
start(uint16_t size, bool event_idx, int callfd)
{
	tg_init(&g, size);
	shadow_mem = aligned_alloc(4096, RTE_ALIGN_CEIL(svq_shadow_ring_bytes(size), 4096));
	svq_shadow_init(&vq, "test q0");
	CU_ASSERT_EQUAL_FATAL(svq_shadow_start(&vq, &g.ring, size, shadow_mem,
			&g.map, 0, 0, event_idx, callfd), 0);
	dev_last_avail = 0;
	dev_used = 0;
}

static void
stop(void)
{
	svq_shadow_free(&vq);
	free(shadow_mem);
	tg_fini(&g);
}

/* The test's device takes the next shadow avail entry. */
static uint16_t
dev_take(void)
{
	uint16_t head = vq.shadow.avail->ring[dev_last_avail & (vq.size - 1)];

	dev_last_avail++;
	return head;
}

static void
dev_complete(uint32_t id, uint32_t len)
{
	struct vring_used_elem *e = &vq.shadow.used->ring[dev_used & (vq.size - 1)];

	e->id = id;
	e->len = len;
	dev_used++;
	__atomic_store_n(&vq.shadow.used->idx, dev_used, __ATOMIC_RELEASE);
}

static void
test_forward_single_and_complete(void)
{
	uint64_t buf;
	uint32_t id, len;

	start(TG_RING_SIZE, false, -1);
	buf = tg_alloc(&g, 100);
	tg_set_desc(&g, 5, buf, 100, 0, 0);
	tg_publish(&g, 5);

	CU_ASSERT_EQUAL(svq_shadow_forward_avail(&vq), 1);
	CU_ASSERT_EQUAL(vq.shadow.avail->idx, 1);
	CU_ASSERT_EQUAL(vq.shadow.avail->ring[0], 5);
	/* zero copy: the shadow descriptor points at the guest buffer */
	CU_ASSERT_EQUAL(vq.shadow.desc[5].addr, buf);
	CU_ASSERT_EQUAL(vq.shadow.desc[5].len, 100);
	CU_ASSERT_EQUAL(vq.nb_inflight, 1);
	CU_ASSERT_EQUAL(vq.stats.avail_bytes, 100);

	CU_ASSERT_EQUAL(dev_take(), 5);
	dev_complete(5, 0);
	CU_ASSERT_EQUAL(svq_shadow_forward_used(&vq), 1);
	CU_ASSERT_TRUE(tg_pop_used(&g, &id, &len));
	CU_ASSERT_EQUAL(id, 5);
	CU_ASSERT_EQUAL(len, 0);
	CU_ASSERT_EQUAL(vq.nb_inflight, 0);
	CU_ASSERT_EQUAL(vq.fault, SVQ_FAULT_NONE);
	stop();
}

static void
test_forward_chain_out_of_order_completion(void)
{
	uint32_t id, len;

	start(TG_RING_SIZE, false, -1);
	/* chain A: 0 (readable) -> 1 (writable 200) */
	tg_set_desc(&g, 0, tg_alloc(&g, 12), 12, VRING_DESC_F_NEXT, 1);
	tg_set_desc(&g, 1, tg_alloc(&g, 200), 200, VRING_DESC_F_WRITE, 0);
	/* chain B: 7 -> 3 -> 9, all writable */
	tg_set_desc(&g, 7, tg_alloc(&g, 50), 50, VRING_DESC_F_NEXT | VRING_DESC_F_WRITE, 3);
	tg_set_desc(&g, 3, tg_alloc(&g, 50), 50, VRING_DESC_F_NEXT | VRING_DESC_F_WRITE, 9);
	tg_set_desc(&g, 9, tg_alloc(&g, 50), 50, VRING_DESC_F_WRITE, 0);
	tg_publish(&g, 0);
	tg_publish(&g, 7);

	CU_ASSERT_EQUAL(svq_shadow_forward_avail(&vq), 2);
	CU_ASSERT_EQUAL(vq.stats.avail_descs, 5);
	CU_ASSERT_EQUAL(vq.shadow.desc[7].next, 3);
	CU_ASSERT_EQUAL(vq.shadow.desc[3].next, 9);
	CU_ASSERT_EQUAL(vq.shadow.desc[9].flags, VRING_DESC_F_WRITE);

	/* the device completes B before A */
	dev_complete(7, 150);
	dev_complete(0, 200);
	CU_ASSERT_EQUAL(svq_shadow_forward_used(&vq), 2);
	CU_ASSERT_TRUE(tg_pop_used(&g, &id, &len));
	CU_ASSERT_EQUAL(id, 7);
	CU_ASSERT_EQUAL(len, 150);
	CU_ASSERT_TRUE(tg_pop_used(&g, &id, &len));
	CU_ASSERT_EQUAL(id, 0);
	CU_ASSERT_EQUAL(len, 200);
	CU_ASSERT_EQUAL(vq.stats.used_bytes, 350);

	/* descriptors are free again: the same chain can be reposted */
	tg_publish(&g, 7);
	CU_ASSERT_EQUAL(svq_shadow_forward_avail(&vq), 1);
	CU_ASSERT_EQUAL(vq.fault, SVQ_FAULT_NONE);
	stop();
}

static void
test_burst_limit(void)
{
	uint16_t i;

	start(TG_RING_SIZE, false, -1);
	for (i = 0; i < 40; i++) {
		tg_set_desc(&g, i, tg_alloc(&g, 64), 64, 0, 0);
		tg_publish(&g, i);
	}
	CU_ASSERT_EQUAL(svq_shadow_forward_avail(&vq), SVQ_BURST);
	CU_ASSERT_EQUAL(svq_shadow_forward_avail(&vq), 40 - SVQ_BURST);
	CU_ASSERT_EQUAL(svq_shadow_forward_avail(&vq), 0);
	stop();
}

/* Good single buffers the guest posts around a malformed entry, at
 * descriptors the setups leave alone. */
#define LEAD_DESC 100
#define TRAIL_DESC 120

/*
 * Run @p setup on a fresh ring after @p lead good single buffers, with
 * @p trail more after it, then check the guest fault it must cause: the lead
 * buffers are forwarded, as the entries before a malformed one are, and
 * nothing after. With lead counts around four the malformed entry falls at
 * each place of a group the fast path takes four at a time.
 */
static void
expect_guest_fault_after(void (*setup)(void), uint16_t lead, uint16_t trail)
{
	uint16_t i;

	start(TG_RING_SIZE, false, -1);
	for (i = 0; i < lead; i++) {
		tg_set_desc(&g, LEAD_DESC + i, tg_alloc(&g, 64), 64, 0, 0);
		tg_publish(&g, LEAD_DESC + i);
	}
	setup();
	for (i = 0; i < trail; i++) {
		tg_set_desc(&g, TRAIL_DESC + i, tg_alloc(&g, 64), 64, 0, 0);
		tg_publish(&g, TRAIL_DESC + i);
	}
	/* forward until the malformed entry is reached */
	while (svq_shadow_forward_avail(&vq) != 0)
		;
	CU_ASSERT_EQUAL(vq.fault, SVQ_FAULT_GUEST);
	CU_ASSERT_EQUAL(vq.stats.guest_errors, 1);
	for (i = 0; i < lead; i++)
		CU_ASSERT_EQUAL(vq.priv[LEAD_DESC + i].state.ndescs, 1);
	for (i = 0; i < trail; i++)
		CU_ASSERT_EQUAL(vq.priv[TRAIL_DESC + i].state.ndescs, 0);
	/* a faulted queue forwards nothing more, in either direction */
	tg_set_desc(&g, 200, tg_alloc(&g, 64), 64, 0, 0);
	tg_publish(&g, 200);
	CU_ASSERT_EQUAL(svq_shadow_forward_avail(&vq), 0);
	CU_ASSERT_EQUAL(svq_shadow_forward_used(&vq), 0);
	stop();
}

static void
expect_guest_fault(void (*setup)(void))
{
	static const uint16_t leads[] = { 0, 1, 2, 3, 4, 7 };
	unsigned int i;

	for (i = 0; i < RTE_DIM(leads); i++)
		expect_guest_fault_after(setup, leads[i], 3);
}

static void
setup_head_out_of_range(void)
{
	tg_publish(&g, TG_RING_SIZE);
}

static void
setup_next_out_of_range(void)
{
	tg_set_desc(&g, 0, tg_alloc(&g, 64), 64, VRING_DESC_F_NEXT, 0xffff);
	tg_publish(&g, 0);
}

static void
setup_loop(void)
{
	tg_set_desc(&g, 0, tg_alloc(&g, 64), 64, VRING_DESC_F_NEXT, 1);
	tg_set_desc(&g, 1, tg_alloc(&g, 64), 64, VRING_DESC_F_NEXT, 0);
	tg_publish(&g, 0);
}

static void
setup_self_loop(void)
{
	tg_set_desc(&g, 4, tg_alloc(&g, 64), 64, VRING_DESC_F_NEXT, 4);
	tg_publish(&g, 4);
}

static void
setup_overlapping_chains(void)
{
	tg_set_desc(&g, 0, tg_alloc(&g, 64), 64, VRING_DESC_F_NEXT, 1);
	tg_set_desc(&g, 1, tg_alloc(&g, 64), 64, 0, 0);
	tg_set_desc(&g, 2, tg_alloc(&g, 64), 64, VRING_DESC_F_NEXT, 1);
	tg_publish(&g, 0);
	tg_publish(&g, 2);
}

static void
setup_head_reused_in_flight(void)
{
	tg_set_desc(&g, 3, tg_alloc(&g, 64), 64, 0, 0);
	tg_publish(&g, 3);
	tg_publish(&g, 3);
}

static void
setup_readable_after_writable(void)
{
	tg_set_desc(&g, 0, tg_alloc(&g, 64), 64,
		VRING_DESC_F_NEXT | VRING_DESC_F_WRITE, 1);
	tg_set_desc(&g, 1, tg_alloc(&g, 64), 64, 0, 0);
	tg_publish(&g, 0);
}

static void
setup_indirect(void)
{
	tg_set_desc(&g, 0, tg_alloc(&g, 64), 64, VRING_DESC_F_INDIRECT, 0);
	tg_publish(&g, 0);
}

static void
setup_buffer_past_end(void)
{
	tg_set_desc(&g, 0, TG_GPA_BASE + TG_MEM_SIZE - 10, 11, 0, 0);
	tg_publish(&g, 0);
}

static void
setup_buffer_below_start(void)
{
	tg_set_desc(&g, 0, TG_GPA_BASE - 1, 1, 0, 0);
	tg_publish(&g, 0);
}

static void
setup_buffer_wraps(void)
{
	tg_set_desc(&g, 0, UINT64_MAX - 8, 64, 0, 0);
	tg_publish(&g, 0);
}

static void
setup_avail_idx_jump(void)
{
	tg_set_desc(&g, 0, tg_alloc(&g, 64), 64, 0, 0);
	__atomic_store_n(&g.ring.avail->idx, TG_RING_SIZE + 1, __ATOMIC_RELEASE);
}

static void
setup_bad_link_deep_in_chain(void)
{
	/* first two descriptors are fine, the third points outside memory */
	tg_set_desc(&g, 10, tg_alloc(&g, 64), 64, VRING_DESC_F_NEXT, 11);
	tg_set_desc(&g, 11, tg_alloc(&g, 64), 64, VRING_DESC_F_NEXT, 12);
	tg_set_desc(&g, 12, 0x10, 64, 0, 0);
	tg_publish(&g, 10);
}

static void test_fault_head_out_of_range(void) { expect_guest_fault(setup_head_out_of_range); }
static void test_fault_next_out_of_range(void) { expect_guest_fault(setup_next_out_of_range); }
static void test_fault_loop(void) { expect_guest_fault(setup_loop); }
static void test_fault_self_loop(void) { expect_guest_fault(setup_self_loop); }
static void test_fault_overlap(void) { expect_guest_fault(setup_overlapping_chains); }
static void test_fault_reused_head(void) { expect_guest_fault(setup_head_reused_in_flight); }
static void test_fault_readable_after_writable(void) { expect_guest_fault(setup_readable_after_writable); }
static void test_fault_indirect(void) { expect_guest_fault(setup_indirect); }
static void test_fault_past_end(void) { expect_guest_fault(setup_buffer_past_end); }
static void test_fault_below_start(void) { expect_guest_fault(setup_buffer_below_start); }
static void test_fault_wraps(void) { expect_guest_fault(setup_buffer_wraps); }
/* The jump is seen before any entry is read: nothing around it. */
static void test_fault_avail_jump(void) { expect_guest_fault_after(setup_avail_idx_jump, 0, 0); }
static void test_fault_deep_link(void) { expect_guest_fault(setup_bad_link_deep_in_chain); }

static void
test_long_chain_within_ring_is_fine(void)
{
	uint16_t i, size = 16;

	start(size, false, -1);
	for (i = 0; i < size; i++)
		tg_set_desc(&g, i, tg_alloc(&g, 64), 64,
			i + 1 < size ? VRING_DESC_F_NEXT : 0, i + 1);
	tg_publish(&g, 0);
	CU_ASSERT_EQUAL(svq_shadow_forward_avail(&vq), 1);
	CU_ASSERT_EQUAL(vq.stats.avail_descs, size);
	CU_ASSERT_EQUAL(vq.fault, SVQ_FAULT_NONE);
	stop();
}

static void
test_device_completes_unknown_id(void)
{
	start(TG_RING_SIZE, false, -1);
	tg_set_desc(&g, 0, tg_alloc(&g, 64), 64, 0, 0);
	tg_publish(&g, 0);
	CU_ASSERT_EQUAL(svq_shadow_forward_avail(&vq), 1);
	dev_complete(1, 0);	/* 1 was never made available */
	CU_ASSERT_EQUAL(svq_shadow_forward_used(&vq), 0);
	CU_ASSERT_EQUAL(vq.fault, SVQ_FAULT_DEVICE);
	CU_ASSERT_EQUAL(vq.stats.device_errors, 1);
	CU_ASSERT_EQUAL(g.ring.used->idx, 0);
	stop();

	start(TG_RING_SIZE, false, -1);
	tg_set_desc(&g, 0, tg_alloc(&g, 64), 64, 0, 0);
	tg_publish(&g, 0);
	svq_shadow_forward_avail(&vq);
	dev_complete(TG_RING_SIZE + 5, 0);	/* out of range */
	CU_ASSERT_EQUAL(svq_shadow_forward_used(&vq), 0);
	CU_ASSERT_EQUAL(vq.fault, SVQ_FAULT_DEVICE);
	stop();
}

/* Eight single writable buffers, forwarded and taken by the device. */
static void
start_eight(void)
{
	uint16_t i;

	start(TG_RING_SIZE, false, -1);
	for (i = 0; i < 8; i++) {
		tg_set_desc(&g, i, tg_alloc(&g, 100), 100, VRING_DESC_F_WRITE, 0);
		tg_publish(&g, i);
	}
	CU_ASSERT_EQUAL_FATAL(svq_shadow_forward_avail(&vq), 8);
	for (i = 0; i < 8; i++)
		dev_take();
}

/*
 * Completions taken four at a time must be judged one by one: a bad one
 * at any place of a group returns those before it and faults, an id twice
 * in a group is caught at its second completion, a length too long is
 * clamped without a fault.
 */
static void
test_device_faults_within_a_group(void)
{
	uint32_t id, len;
	uint16_t bad, i;

	for (bad = 0; bad < 8; bad++) {
		/* an id that is not in flight at place @bad */
		start_eight();
		for (i = 0; i < 8; i++)
			dev_complete(i == bad ? 50 : i, 10);
		CU_ASSERT_EQUAL(svq_shadow_forward_used(&vq), bad);
		CU_ASSERT_EQUAL(vq.fault, SVQ_FAULT_DEVICE);
		CU_ASSERT_EQUAL(g.ring.used->idx, bad);
		stop();

		/* the id of the completion before it again */
		if (bad > 0) {
			start_eight();
			for (i = 0; i < 8; i++)
				dev_complete(i == bad ? bad - 1 : i, 10);
			CU_ASSERT_EQUAL(svq_shadow_forward_used(&vq), bad);
			CU_ASSERT_EQUAL(vq.fault, SVQ_FAULT_DEVICE);
			stop();
		}

		/* one length past its buffer: clamped, the rest as they are */
		start_eight();
		for (i = 0; i < 8; i++)
			dev_complete(i, i == bad ? 101 : 10 + i);
		CU_ASSERT_EQUAL(svq_shadow_forward_used(&vq), 8);
		CU_ASSERT_EQUAL(vq.fault, SVQ_FAULT_NONE);
		CU_ASSERT_EQUAL(vq.stats.device_errors, 1);
		CU_ASSERT_EQUAL(vq.stats.used_bytes,
			100 + 28 + 8 * 10 - (10 + bad));
		for (i = 0; i < 8; i++) {
			CU_ASSERT_TRUE(tg_pop_used(&g, &id, &len));
			CU_ASSERT_EQUAL(id, i);
			CU_ASSERT_EQUAL(len, i == bad ? 100 : 10u + i);
		}
		stop();
	}
}

/* Chains of several descriptors among single ones, both ways: each is
 * taken by the path that fits it, and every count adds up. */
static void
test_singles_and_chains_mixed(void)
{
	uint32_t id, len;
	uint16_t i, d = 0, heads[12];

	start(TG_RING_SIZE, false, -1);
	for (i = 0; i < 12; i++) {
		heads[i] = d;
		if (i % 5 == 2) {
			/* readable header, writable body */
			tg_set_desc(&g, d, tg_alloc(&g, 12), 12, VRING_DESC_F_NEXT, d + 1);
			tg_set_desc(&g, d + 1, tg_alloc(&g, 200), 200, VRING_DESC_F_WRITE, 0);
			d += 2;
		} else {
			tg_set_desc(&g, d, tg_alloc(&g, 100), 100,
				i % 2 ? VRING_DESC_F_WRITE : 0, 0);
			d++;
		}
		tg_publish(&g, heads[i]);
	}
	CU_ASSERT_EQUAL(svq_shadow_forward_avail(&vq), 12);
	CU_ASSERT_EQUAL(vq.stats.avail_descs, 14);
	CU_ASSERT_EQUAL(vq.stats.avail_bytes, 10 * 100 + 2 * 212);
	for (i = 0; i < 12; i++) {
		CU_ASSERT_EQUAL(dev_take(), heads[i]);
		CU_ASSERT_EQUAL(vq.shadow.desc[heads[i]].len, i % 5 == 2 ? 12 : 100);
	}
	/* the device writes 50 bytes into each: readable singles are
	 * clamped to nothing */
	for (i = 0; i < 12; i++)
		dev_complete(heads[i], 50);
	CU_ASSERT_EQUAL(svq_shadow_forward_used(&vq), 12);
	for (i = 0; i < 12; i++) {
		const bool writable = i % 5 == 2 || i % 2;

		CU_ASSERT_TRUE(tg_pop_used(&g, &id, &len));
		CU_ASSERT_EQUAL(id, heads[i]);
		CU_ASSERT_EQUAL(len, writable ? 50 : 0);
	}
	CU_ASSERT_EQUAL(vq.nb_inflight, 0);
	CU_ASSERT_EQUAL(vq.fault, SVQ_FAULT_NONE);
	/* every descriptor is free again */
	for (i = 0; i < d; i++)
		CU_ASSERT_EQUAL(vq.priv[i].state.ndescs, 0);
	stop();
}

/*
 * Buffers in another region than the last one's: the general path takes
 * the first and moves the fast path's window there; a buffer straddling
 * two adjacent regions is valid and goes the general way each time.
 */
static void
test_buffers_across_regions(void)
{
	const uint64_t half = TG_MEM_SIZE / 2;
	uint16_t i, d = 0;

	start(TG_RING_SIZE, false, -1);
	/* guest memory as two adjacent regions */
	g.map.nregions = 2;
	g.map.regions[1] = g.map.regions[0];
	g.map.regions[0].size = half;
	g.map.regions[1].gpa += half;
	g.map.regions[1].hva += half;
	g.map.regions[1].size = half;
	for (i = 0; i < 8; i++, d++) {
		tg_set_desc(&g, d, TG_GPA_BASE + half + 64 * i, 64, 0, 0);
		tg_publish(&g, d);
	}
	for (i = 0; i < 8; i++, d++) {
		tg_set_desc(&g, d, tg_alloc(&g, 64), 64, 0, 0);
		tg_publish(&g, d);
	}
	for (i = 0; i < 8; i++, d++) {
		tg_set_desc(&g, d, TG_GPA_BASE + half - 32 + i, 64, 0, 0);
		tg_publish(&g, d);
	}
	CU_ASSERT_EQUAL(svq_shadow_forward_avail(&vq), 24);
	CU_ASSERT_EQUAL(vq.fault, SVQ_FAULT_NONE);
	for (i = 0; i < d; i++)
		CU_ASSERT_EQUAL(vq.shadow.desc[i].addr, g.ring.desc[i].addr);
	/* the last whole buffer the general path saw was in region 0 */
	CU_ASSERT_EQUAL(vq.mem_hint, 0);
	CU_ASSERT_EQUAL(vq.stats.avail_bytes, 24 * 64);

	/* one byte past region 1 is still refused */
	tg_set_desc(&g, d, TG_GPA_BASE + TG_MEM_SIZE - 63, 64, 0, 0);
	tg_publish(&g, d);
	CU_ASSERT_EQUAL(svq_shadow_forward_avail(&vq), 0);
	CU_ASSERT_EQUAL(vq.fault, SVQ_FAULT_GUEST);
	stop();
}

static void
test_device_completes_too_many(void)
{
	start(TG_RING_SIZE, false, -1);
	tg_set_desc(&g, 0, tg_alloc(&g, 64), 64, 0, 0);
	tg_publish(&g, 0);
	svq_shadow_forward_avail(&vq);
	__atomic_store_n(&vq.shadow.used->idx, 2, __ATOMIC_RELEASE);
	CU_ASSERT_EQUAL(svq_shadow_forward_used(&vq), 0);
	CU_ASSERT_EQUAL(vq.fault, SVQ_FAULT_DEVICE);
	stop();
}

static void
test_device_used_len_clamped(void)
{
	uint32_t id, len;

	start(TG_RING_SIZE, false, -1);
	tg_set_desc(&g, 0, tg_alloc(&g, 100), 100, VRING_DESC_F_WRITE, 0);
	tg_publish(&g, 0);
	svq_shadow_forward_avail(&vq);
	dev_complete(0, 5000);
	CU_ASSERT_EQUAL(svq_shadow_forward_used(&vq), 1);
	CU_ASSERT_TRUE(tg_pop_used(&g, &id, &len));
	CU_ASSERT_EQUAL(len, 100);
	CU_ASSERT_EQUAL(vq.stats.device_errors, 1);
	CU_ASSERT_EQUAL(vq.fault, SVQ_FAULT_NONE);
	stop();
}

static void
test_stop_rewinds_untouched(void)
{
	uint16_t i;
	uint32_t id, len;

	start(TG_RING_SIZE, false, -1);
	for (i = 0; i < 4; i++) {
		tg_set_desc(&g, i, tg_alloc(&g, 64), 64, VRING_DESC_F_WRITE, 0);
		tg_publish(&g, i);
	}
	CU_ASSERT_EQUAL(svq_shadow_forward_avail(&vq), 4);
	/* the device took two and completed one of them */
	dev_take();
	dev_take();
	dev_complete(0, 10);
	CU_ASSERT_EQUAL(svq_shadow_stop(&vq, dev_last_avail), 1);
	/* the completion reached the guest; the two untouched are rewound */
	CU_ASSERT_TRUE(tg_pop_used(&g, &id, &len));
	CU_ASSERT_EQUAL(id, 0);
	CU_ASSERT_EQUAL(vq.guest_last_avail, 2);
	CU_ASSERT_EQUAL(vq.guest_used, 1);
	CU_ASSERT_EQUAL(vq.nb_inflight, 0);

	/* restarted from that base, heads 2 and 3 are offered again */
	CU_ASSERT_EQUAL(svq_shadow_start(&vq, &g.ring, TG_RING_SIZE, shadow_mem,
			&g.map, vq.guest_last_avail, vq.guest_used, false, -1), 0);
	dev_last_avail = dev_used = 0;
	CU_ASSERT_EQUAL(svq_shadow_forward_avail(&vq), 2);
	CU_ASSERT_EQUAL(dev_take(), 2);
	CU_ASSERT_EQUAL(dev_take(), 3);
	stop();
}

static void
test_stop_with_impossible_device_base(void)
{
	start(TG_RING_SIZE, false, -1);
	tg_set_desc(&g, 0, tg_alloc(&g, 64), 64, 0, 0);
	tg_publish(&g, 0);
	svq_shadow_forward_avail(&vq);
	/* base 100 would mean the device took entries never made available */
	CU_ASSERT_EQUAL(svq_shadow_stop(&vq, 100), -EIO);
	CU_ASSERT_EQUAL(vq.nb_inflight, 0);
	stop();
}

/* Found by fuzz-shadow: a device base that would give back a chain the
 * device completed. */
static void
test_stop_base_behind_a_completion(void)
{
	uint16_t i;
	uint32_t id, len;

	start(TG_RING_SIZE, false, -1);
	for (i = 0; i < 2; i++) {
		tg_set_desc(&g, i, tg_alloc(&g, 64), 64, VRING_DESC_F_WRITE, 0);
		tg_publish(&g, i);
	}
	CU_ASSERT_EQUAL(svq_shadow_forward_avail(&vq), 2);
	dev_take();
	dev_complete(dev_take(), 10);
	/* base 1 says head 1 was never taken, yet it completed */
	CU_ASSERT_EQUAL(svq_shadow_stop(&vq, 1), -EIO);
	CU_ASSERT_TRUE(tg_pop_used(&g, &id, &len));
	CU_ASSERT_EQUAL(id, 1);
	CU_ASSERT_EQUAL(vq.guest_last_avail, 2);
	stop();
}

static uint64_t
drain_eventfd(int fd)
{
	eventfd_t v = 0;

	if (eventfd_read(fd, &v) < 0)
		return 0;
	return v;
}

static void
complete_one(uint16_t head)
{
	tg_set_desc(&g, head, tg_alloc(&g, 64), 64, 0, 0);
	tg_publish(&g, head);
	svq_shadow_forward_avail(&vq);
	dev_complete(dev_take(), 0);
	svq_shadow_forward_used(&vq);
}

static void
test_guest_call_flags(void)
{
	int fd = eventfd(0, EFD_NONBLOCK);

	start(TG_RING_SIZE, false, fd);
	g.ring.avail->flags = VRING_AVAIL_F_NO_INTERRUPT;
	complete_one(0);
	CU_ASSERT_EQUAL(drain_eventfd(fd), 0);
	CU_ASSERT_EQUAL(vq.stats.guest_calls, 0);
	g.ring.avail->flags = 0;
	complete_one(1);
	CU_ASSERT_EQUAL(drain_eventfd(fd), 1);
	CU_ASSERT_EQUAL(vq.stats.guest_calls, 1);
	stop();
	close(fd);
}

static void
test_guest_call_event_idx(void)
{
	int fd = eventfd(0, EFD_NONBLOCK);

	start(TG_RING_SIZE, true, fd);
	/* used_event = 5: the guest wants a call once used idx passes 5 */
	g.ring.avail->ring[TG_RING_SIZE] = 5;
	g.ring.avail->flags = VRING_AVAIL_F_NO_INTERRUPT;	/* ignored */
	complete_one(0);	/* used 0 -> 1 */
	CU_ASSERT_EQUAL(drain_eventfd(fd), 0);
	g.ring.avail->ring[TG_RING_SIZE] = 1;
	complete_one(1);	/* used 1 -> 2 crosses event 1 */
	CU_ASSERT_EQUAL(drain_eventfd(fd), 1);
	complete_one(2);	/* 2 -> 3 does not cross 1 again */
	CU_ASSERT_EQUAL(drain_eventfd(fd), 0);
	stop();
	close(fd);
}

/* Passthrough: the test's device completes @p n chains on the guest ring
 * itself, as a device running on it does. */
static void
passthrough_complete(uint16_t n)
{
	while (n-- > 0) {
		struct vring_used_elem *e =
			&g.ring.used->ring[g.ring.used->idx & (TG_RING_SIZE - 1)];

		e->id = 0;
		e->len = 64;
		__atomic_store_n(&g.ring.used->idx, g.ring.used->idx + 1,
				__ATOMIC_RELEASE);
	}
}

static void
test_passthrough_used_and_calls(void)
{
	int fd = eventfd(0, EFD_NONBLOCK);

	tg_init(&g, TG_RING_SIZE);
	svq_shadow_init(&vq, "test q0");
	g.ring.used->idx = 100;
	svq_shadow_passthrough_start(&vq, &g.ring, TG_RING_SIZE, 100, true, fd);
	CU_ASSERT_EQUAL(svq_shadow_passthrough_used(&vq), 0);

	/* used_event = 101: a call once the used index passes 101 */
	g.ring.avail->ring[TG_RING_SIZE] = 101;
	passthrough_complete(1);
	CU_ASSERT_EQUAL(svq_shadow_passthrough_used(&vq), 1);
	CU_ASSERT_EQUAL(drain_eventfd(fd), 0);
	passthrough_complete(3);
	CU_ASSERT_EQUAL(svq_shadow_passthrough_used(&vq), 3);
	CU_ASSERT_EQUAL(drain_eventfd(fd), 1);
	CU_ASSERT_EQUAL(vq.stats.used_chains, 4);
	CU_ASSERT_EQUAL(vq.stats.guest_calls, 1);
	CU_ASSERT_EQUAL(vq.stats.avail_chains, 0);

	/* Stop: the device took two chains more than it completed. */
	passthrough_complete(2);
	CU_ASSERT_EQUAL(svq_shadow_passthrough_stop(&vq, 108), 2);
	CU_ASSERT_EQUAL(vq.guest_used, 106);
	CU_ASSERT_EQUAL(vq.guest_last_avail, 108);
	svq_shadow_free(&vq);
	tg_fini(&g);
	close(fd);
}

static void
test_passthrough_stop_impossible_base(void)
{
	tg_init(&g, TG_RING_SIZE);
	svq_shadow_init(&vq, "test q0");
	svq_shadow_passthrough_start(&vq, &g.ring, TG_RING_SIZE, 0, false, -1);
	passthrough_complete(3);
	/* a base behind the used index, or more than a ring ahead of it */
	CU_ASSERT_EQUAL(svq_shadow_passthrough_stop(&vq, 1), -EIO);
	CU_ASSERT_EQUAL(vq.guest_last_avail, 3);
	CU_ASSERT_EQUAL(svq_shadow_passthrough_stop(&vq, 3 + TG_RING_SIZE + 1), -EIO);
	CU_ASSERT_EQUAL(svq_shadow_passthrough_stop(&vq, 3), 0);
	svq_shadow_free(&vq);
	tg_fini(&g);
}

static void
test_start_refuses_bad_sizes(void)
{
	uint8_t mem[64];

	svq_shadow_init(&vq, "test");
	CU_ASSERT_EQUAL(svq_shadow_start(&vq, &g.ring, 0, mem, &g.map, 0, 0,
			false, -1), -EINVAL);
	CU_ASSERT_EQUAL(svq_shadow_start(&vq, &g.ring, 100, mem, &g.map, 0, 0,
			false, -1), -EINVAL);
	svq_shadow_free(&vq);
}

/* virtio 1.2, 2.7: descriptors 16-, avail 2-, used 4-byte aligned; the
 * fast path reads descriptors and used elements as 64-bit words. */
static void
test_start_refuses_misaligned_rings(void)
{
	struct svq_ring ring;

	tg_init(&g, TG_RING_SIZE);
	shadow_mem = aligned_alloc(4096, RTE_ALIGN_CEIL(
			svq_shadow_ring_bytes(TG_RING_SIZE), 4096));
	svq_shadow_init(&vq, "test");
	ring = g.ring;
	ring.desc = (struct vring_desc *)((uint8_t *)g.ring.desc + 8);
	CU_ASSERT_EQUAL(svq_shadow_start(&vq, &ring, TG_RING_SIZE, shadow_mem,
			&g.map, 0, 0, false, -1), -EINVAL);
	ring = g.ring;
	ring.avail = (struct vring_avail *)((uint8_t *)g.ring.avail + 1);
	CU_ASSERT_EQUAL(svq_shadow_start(&vq, &ring, TG_RING_SIZE, shadow_mem,
			&g.map, 0, 0, false, -1), -EINVAL);
	ring = g.ring;
	ring.used = (struct vring_used *)((uint8_t *)g.ring.used + 2);
	CU_ASSERT_EQUAL(svq_shadow_start(&vq, &ring, TG_RING_SIZE, shadow_mem,
			&g.map, 0, 0, false, -1), -EINVAL);
	/* the same rings, aligned */
	CU_ASSERT_EQUAL(svq_shadow_start(&vq, &g.ring, TG_RING_SIZE, shadow_mem,
			&g.map, 0, 0, false, -1), 0);
	stop();
}

static uint64_t *log_bits;
static uint64_t log_pages;

/* A log of @p pages pages, and one spare word past its end. */
static void
start_logging_pages(uint64_t pages)
{
	struct svq_dirty_log log;

	log_pages = pages;
	log_bits = calloc(log_pages / 64 + 2, sizeof(uint64_t));
	log = (struct svq_dirty_log){ .bitmap = log_bits, .nr_pages = log_pages,
		.used_gpa = tg_gpa(&g, g.ring.used) };
	svq_shadow_set_log(&vq, &log);
}

static void
start_logging(void)
{
	start_logging_pages((TG_GPA_BASE + TG_MEM_SIZE) >> SVQ_LOG_PAGE_SHIFT);
}

static bool
page_logged(uint64_t gpa)
{
	uint64_t page = gpa >> SVQ_LOG_PAGE_SHIFT;

	return (log_bits[page / 64] >> (page % 64)) & 1;
}

static unsigned int
pages_logged(void)
{
	unsigned int n = 0;
	uint64_t i;

	for (i = 0; i < log_pages / 64 + 2; i++)
		n += __builtin_popcountll(log_bits[i]);
	return n;
}

static void
clear_log(void)
{
	memset(log_bits, 0, (log_pages / 64 + 2) * sizeof(uint64_t));
}

/* Post the chain at @p head, the device completes it with @p len bytes,
 * and the relay returns it: how many it returned. */
static uint16_t
log_round(uint16_t head, uint32_t len)
{
	tg_publish(&g, head);
	svq_shadow_forward_avail(&vq);
	dev_complete(dev_take(), len);
	return svq_shadow_forward_used(&vq);
}

static void
test_dirty_log_written_bytes_only(void)
{
	uint64_t page = 4096, a, b, used_page;

	start(TG_RING_SIZE, false, -1);
	start_logging();
	used_page = tg_gpa(&g, g.ring.used) & ~(page - 1);
	/* A straddles a page boundary; B is a buffer of its own */
	a = TG_GPA_BASE + 20 * page - 100;
	b = TG_GPA_BASE + 30 * page;
	tg_set_desc(&g, 0, a, 300, VRING_DESC_F_NEXT | VRING_DESC_F_WRITE, 1);
	tg_set_desc(&g, 1, b, 2000, VRING_DESC_F_WRITE, 0);
	/* 250 bytes: A only, both pages */
	CU_ASSERT_EQUAL(log_round(0, 250), 1);
	CU_ASSERT_TRUE(page_logged(a));
	CU_ASSERT_TRUE(page_logged(a + 100));
	CU_ASSERT_FALSE(page_logged(b));
	CU_ASSERT_TRUE(page_logged(used_page));
	CU_ASSERT_EQUAL(pages_logged(), 3);

	/* the device wrote into B too: its page is logged now */
	clear_log();
	log_round(0, 301);
	CU_ASSERT_TRUE(page_logged(b));
	CU_ASSERT_TRUE(page_logged(a));
	stop();
	free(log_bits);
}

/* Completions returned four at a time log what one at a time logs: each
 * writable single buffer's pages up to its length, none of a readable
 * one's, none of a buffer the device wrote nothing into. */
static void
test_dirty_log_four_at_a_time(void)
{
	const uint64_t page = 4096;
	uint64_t used_page;
	uint16_t i;

	start(TG_RING_SIZE, false, -1);
	start_logging();
	used_page = tg_gpa(&g, g.ring.used) & ~(page - 1);
	/* eight single buffers, one page apart from page 40 on; 5 readable */
	for (i = 0; i < 8; i++) {
		tg_set_desc(&g, i, TG_GPA_BASE + (40 + i) * page + 8, 64,
			i == 5 ? 0 : VRING_DESC_F_WRITE, 0);
		tg_publish(&g, i);
	}
	CU_ASSERT_EQUAL_FATAL(svq_shadow_forward_avail(&vq), 8);
	for (i = 0; i < 8; i++)
		dev_take();
	for (i = 0; i < 8; i++)
		dev_complete(i, i == 5 || i == 2 ? 0 : 64);
	CU_ASSERT_EQUAL(svq_shadow_forward_used(&vq), 8);
	CU_ASSERT_EQUAL(vq.fault, SVQ_FAULT_NONE);
	for (i = 0; i < 8; i++)
		CU_ASSERT_EQUAL(page_logged(TG_GPA_BASE + (40 + i) * page),
			i != 5 && i != 2);
	CU_ASSERT_TRUE(page_logged(used_page));
	CU_ASSERT_EQUAL(pages_logged(), 7);
	stop();
	free(log_bits);
}

static void
test_dirty_log_readable_and_off(void)
{
	uint64_t buf;

	start(TG_RING_SIZE, false, -1);
	start_logging();
	/* a TX chain: the device writes nothing into it, only the used ring */
	buf = TG_GPA_BASE + 40 * 4096;
	tg_set_desc(&g, 0, buf, 1000, 0, 0);
	log_round(0, 0);
	CU_ASSERT_FALSE(page_logged(buf));
	CU_ASSERT_EQUAL(pages_logged(), 1);

	/* logging off: nothing is set */
	clear_log();
	svq_shadow_set_log(&vq, NULL);
	tg_set_desc(&g, 1, buf, 1000, VRING_DESC_F_WRITE, 0);
	log_round(1, 1000);
	CU_ASSERT_EQUAL(pages_logged(), 0);
	stop();
	free(log_bits);
}

static void
test_dirty_log_one_buffer_many_pages(void)
{
	uint64_t page = 4096, a, used_page, p;

	start(TG_RING_SIZE, false, -1);
	start_logging();
	used_page = tg_gpa(&g, g.ring.used) & ~(page - 1);
	/* one writable buffer over 76 pages, across a bitmap word */
	a = TG_GPA_BASE + 60 * page + 100;
	tg_set_desc(&g, 0, a, 75 * page, VRING_DESC_F_WRITE, 0);
	CU_ASSERT_EQUAL(log_round(0, 75 * page), 1);
	for (p = a & ~(page - 1); p < a + 75 * page; p += page)
		CU_ASSERT_TRUE(page_logged(p));
	CU_ASSERT_TRUE(page_logged(used_page));
	CU_ASSERT_EQUAL(pages_logged(), 76 + 1);

	/* a short completion of the same buffer: its first page only */
	clear_log();
	CU_ASSERT_EQUAL(log_round(0, 10), 1);
	CU_ASSERT_TRUE(page_logged(a));
	CU_ASSERT_EQUAL(pages_logged(), 1 + 1);
	stop();
	free(log_bits);
}

static void
test_dirty_log_past_the_bitmap(void)
{
	uint64_t page = 4096, base_page = TG_GPA_BASE / page, a;

	start(TG_RING_SIZE, false, -1);
	/* the log ends inside a bitmap word, 100 pages into guest memory */
	start_logging_pages(base_page + 100);
	a = TG_GPA_BASE + 98 * page;
	tg_set_desc(&g, 0, a, 4 * page, VRING_DESC_F_WRITE, 0);
	tg_set_desc(&g, 1, TG_GPA_BASE + 130 * page, 100, VRING_DESC_F_WRITE, 0);
	tg_publish(&g, 0);
	tg_publish(&g, 1);
	svq_shadow_forward_avail(&vq);
	dev_complete(dev_take(), 4 * page);
	dev_complete(dev_take(), 100);
	CU_ASSERT_EQUAL(svq_shadow_forward_used(&vq), 2);
	CU_ASSERT_TRUE(page_logged(a));
	CU_ASSERT_TRUE(page_logged(a + page));
	/* pages 100 and on are not in the log: not a bit for them */
	CU_ASSERT_FALSE(page_logged(a + 2 * page));
	CU_ASSERT_FALSE(page_logged(a + 3 * page));
	CU_ASSERT_EQUAL(log_bits[(base_page + 100) / 64 + 1], 0);
	CU_ASSERT_EQUAL(pages_logged(), 2 + 1);
	stop();
	free(log_bits);
}

static CU_TestInfo shadow_tests[] = {
	{ "forward one buffer and complete it", test_forward_single_and_complete },
	{ "chains, out-of-order completion, repost", test_forward_chain_out_of_order_completion },
	{ "burst limit", test_burst_limit },
	{ "chain as long as the ring", test_long_chain_within_ring_is_fine },
	{ "guest: head index out of range", test_fault_head_out_of_range },
	{ "guest: next index out of range", test_fault_next_out_of_range },
	{ "guest: chain loop", test_fault_loop },
	{ "guest: self loop", test_fault_self_loop },
	{ "guest: chains overlap", test_fault_overlap },
	{ "guest: head reused while in flight", test_fault_reused_head },
	{ "guest: readable after writable", test_fault_readable_after_writable },
	{ "guest: indirect not negotiated", test_fault_indirect },
	{ "guest: buffer past end of memory", test_fault_past_end },
	{ "guest: buffer below memory", test_fault_below_start },
	{ "guest: buffer address wraps", test_fault_wraps },
	{ "guest: avail idx jumps past ring size", test_fault_avail_jump },
	{ "guest: bad buffer deep in a chain", test_fault_deep_link },
	{ "device: completes an id not in flight", test_device_completes_unknown_id },
	{ "device: completes more than in flight", test_device_completes_too_many },
	{ "device: faults at each place of a group", test_device_faults_within_a_group },
	{ "single buffers and chains mixed", test_singles_and_chains_mixed },
	{ "buffers across memory regions", test_buffers_across_regions },
	{ "device: used length clamped", test_device_used_len_clamped },
	{ "stop rewinds untouched chains", test_stop_rewinds_untouched },
	{ "stop with impossible device base", test_stop_with_impossible_device_base },
	{ "stop at a base behind a completion", test_stop_base_behind_a_completion },
	{ "guest call honours NO_INTERRUPT", test_guest_call_flags },
	{ "guest call honours EVENT_IDX", test_guest_call_event_idx },
	{ "passthrough: completions and calls", test_passthrough_used_and_calls },
	{ "passthrough: stop with impossible base", test_passthrough_stop_impossible_base },
	{ "start refuses bad ring sizes", test_start_refuses_bad_sizes },
	{ "start refuses misaligned rings", test_start_refuses_misaligned_rings },
	{ "dirty log: written bytes only", test_dirty_log_written_bytes_only },
	{ "dirty log: completions four at a time", test_dirty_log_four_at_a_time },
	{ "dirty log: readable chains, logging off", test_dirty_log_readable_and_off },
	{ "dirty log: one buffer over many pages", test_dirty_log_one_buffer_many_pages },
	{ "dirty log: pages past the bitmap", test_dirty_log_past_the_bitmap },
	CU_TEST_INFO_NULL,
};

CU_SuiteInfo unit_suite_shadow = {
	"shadow virtqueue", NULL, NULL, NULL, NULL, shadow_tests
};
