/* SPDX-License-Identifier: BSD-3-Clause */

/*
 * Microbenchmark of the relay's forwarding path in one thread: a
 * synthetic guest keeps a split ring full of 64-byte writable buffers, the
 * shadow virtqueue forwards them, a minimal device completes every shadow
 * buffer at once, and the completions go back to the guest ring, which
 * reposts them. Only the relay's two calls are timed (TSC around each
 * burst), so the figures are the relay's cost per descriptor.
 *
 *   svq-bench-shadow [--ring N] [--descs N] [--chain N] [--offer N] [--log]
 *
 * --offer N: the guest makes at most N chains available per round (one
 * call of each relay function), so the relay's bursts are at most N long:
 * the cost of small bursts. Without it (0) the guest reposts everything
 * that came back, and the relay works in bursts of SVQ_BURST.
 *
 * --log: dirty logging on, as during a live migration: every completed
 * buffer and the used ring are marked in a log bitmap.
 *
 * Under valgrind --tool=callgrind with --toggle-collect for the two
 * svq_shadow_forward_* functions, the instruction count divided by the
 * descriptors printed here is the instructions per descriptor.
 */

#include <getopt.h>
#include <stdbool.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <rte_common.h>
#include <rte_cycles.h>
#include <rte_eal.h>

#include "svq_shadow.h"

#define BUF_LEN 64
#define GPA_BASE UINT64_C(0x100000000)

struct bench_guest {
	uint8_t *mem;
	size_t mem_len;
	struct svq_mem_map map;
	struct svq_ring ring;
	uint16_t size;
	uint16_t avail_idx;
	uint16_t last_used;
};

static void
guest_init(struct bench_guest *g, uint16_t size, uint16_t chain)
{
	size_t ring_len = RTE_ALIGN_CEIL(svq_shadow_ring_bytes(size), 4096);
	uint16_t i;

	g->size = size;
	g->mem_len = ring_len + (size_t)size * BUF_LEN;
	g->mem = aligned_alloc(4096, RTE_ALIGN_CEIL(g->mem_len, 4096));
	memset(g->mem, 0, g->mem_len);
	g->map.nregions = 1;
	g->map.regions[0] = (struct svq_mem_region){ .gpa = GPA_BASE,
		.size = g->mem_len, .hva = (uintptr_t)g->mem, .fd = -1 };
	g->ring.desc = (struct vring_desc *)g->mem;
	g->ring.avail = (struct vring_avail *)(g->mem + svq_shadow_avail_offset(size));
	g->ring.used = (struct vring_used *)(g->mem + svq_shadow_used_offset(size));
	/* chains of @chain descriptors, each a 64-byte writable buffer */
	for (i = 0; i < size; i++) {
		g->ring.desc[i].addr = GPA_BASE + ring_len + (uint64_t)i * BUF_LEN;
		g->ring.desc[i].len = BUF_LEN;
		g->ring.desc[i].flags = VRING_DESC_F_WRITE |
			((i + 1) % chain ? VRING_DESC_F_NEXT : 0);
		g->ring.desc[i].next = i + 1;
	}
}

static void
guest_post(struct bench_guest *g, uint16_t head)
{
	g->ring.avail->ring[g->avail_idx++ & (g->size - 1)] = head;
}

/* The minimal device: complete everything in the shadow avail ring. */
static void
device_complete_all(struct svq_shadow_vq *vq, uint16_t *dev_avail,
		uint16_t *dev_used, uint32_t len)
{
	uint16_t avail = __atomic_load_n(&vq->shadow.avail->idx, __ATOMIC_ACQUIRE);

	while (*dev_avail != avail) {
		uint16_t head = vq->shadow.avail->ring[*dev_avail & (vq->size - 1)];
		struct vring_used_elem *e =
			&vq->shadow.used->ring[*dev_used & (vq->size - 1)];

		e->id = head;
		e->len = len;
		(*dev_avail)++;
		(*dev_used)++;
	}
	__atomic_store_n(&vq->shadow.used->idx, *dev_used, __ATOMIC_RELEASE);
}

int
main(int argc, char **argv)
{
	char *eal_argv[] = { argv[0], "-l", "0", "--no-huge", "-m", "64",
		"--no-pci", "--no-shconf", "--log-level=*:error", NULL };
	uint64_t descs = 20000000, done = 0, cycles = 0;
	uint16_t ring = 1024, chain = 1, dev_avail = 0, dev_used = 0;
	/* heads the guest holds, offered in order: held[held_out..held_in) */
	uint32_t offer = 0, held_in = 0, held_out = 0, k;
	uint16_t *held;
	static const struct option opts[] = {
		{ "ring", required_argument, NULL, 'r' },
		{ "descs", required_argument, NULL, 'n' },
		{ "chain", required_argument, NULL, 'c' },
		{ "offer", required_argument, NULL, 'o' },
		{ "log", no_argument, NULL, 'l' },
		{ NULL, 0, NULL, 0 },
	};
	struct bench_guest g;
	struct svq_shadow_vq vq;
	uint64_t *log_bits = NULL;
	bool logging = false;
	void *shadow_mem;
	uint16_t i;
	int opt;

	if (rte_eal_init(RTE_DIM(eal_argv) - 1, eal_argv) < 0) {
		fprintf(stderr, "cannot initialise EAL\n");
		return 1;
	}
	while ((opt = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (opt) {
		case 'r': ring = atoi(optarg); break;
		case 'n': descs = strtoull(optarg, NULL, 10); break;
		case 'c': chain = atoi(optarg); break;
		case 'o': offer = atoi(optarg); break;
		case 'l': logging = true; break;
		default:
			fprintf(stderr, "usage: %s [--ring N] [--descs N] [--chain N] [--offer N] [--log]\n",
				argv[0]);
			return 2;
		}
	}
	if (!rte_is_power_of_2(ring) || ring > SVQ_RING_SIZE_MAX || chain == 0 ||
			ring % chain != 0) {
		fprintf(stderr, "error: --ring must be a power of two, a multiple of --chain\n");
		return 2;
	}

	guest_init(&g, ring, chain);
	shadow_mem = aligned_alloc(4096, RTE_ALIGN_CEIL(svq_shadow_ring_bytes(ring), 4096));
	svq_shadow_init(&vq, "bench");
	if (svq_shadow_start(&vq, &g.ring, ring, shadow_mem, &g.map, 0, 0,
			false, -1) < 0)
		return 1;
	if (logging) {
		uint64_t pages = (GPA_BASE + g.mem_len) >> SVQ_LOG_PAGE_SHIFT;
		struct svq_dirty_log log;

		log_bits = calloc(pages / 64 + 1, sizeof(uint64_t));
		log = (struct svq_dirty_log){ .bitmap = log_bits, .nr_pages = pages,
			.used_gpa = GPA_BASE + svq_shadow_used_offset(ring) };
		svq_shadow_set_log(&vq, &log);
	}
	held = malloc(ring * sizeof(*held));
	for (i = 0; i < ring; i += chain)
		held[held_in++ & (ring - 1)] = i;

	while (done < descs) {
		uint64_t t0, t1, t2;
		uint16_t used, n;

		/* the guest offers what it holds, at most --offer chains */
		k = held_in - held_out;
		if (offer != 0)
			k = RTE_MIN(k, offer);
		while (k-- > 0)
			guest_post(&g, held[held_out++ & (ring - 1)]);
		__atomic_store_n(&g.ring.avail->idx, g.avail_idx, __ATOMIC_RELEASE);

		t0 = rte_rdtsc_precise();
		svq_shadow_forward_avail(&vq);
		t1 = rte_rdtsc_precise();
		device_complete_all(&vq, &dev_avail, &dev_used, BUF_LEN);
		t2 = rte_rdtsc_precise();
		n = svq_shadow_forward_used(&vq);
		cycles += (t1 - t0) + (rte_rdtsc_precise() - t2);
		done += (uint64_t)n * chain;

		/* the guest takes back what came back, to offer it again */
		used = __atomic_load_n(&g.ring.used->idx, __ATOMIC_ACQUIRE);
		while (g.last_used != used) {
			held[held_in++ & (ring - 1)] =
				g.ring.used->ring[g.last_used & (ring - 1)].id;
			g.last_used++;
		}
		if (vq.fault != SVQ_FAULT_NONE) {
			fprintf(stderr, "error: queue faulted\n");
			return 1;
		}
	}
	printf("BENCH descs=%" PRIu64 " ring=%u chain=%u burst=%u offer=%u log=%d ns_per_desc=%.2f mdesc_per_s=%.2f\n",
		done, ring, chain, SVQ_BURST, offer, logging,
		(double)cycles * 1e9 / rte_get_tsc_hz() / done,
		(double)done / ((double)cycles / rte_get_tsc_hz()) / 1e6);
	svq_shadow_free(&vq);
	free(held);
	free(log_bits);
	free(shadow_mem);
	free(g.mem);
	rte_eal_cleanup();
	return 0;
}
