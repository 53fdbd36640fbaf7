/* SPDX-License-Identifier: BSD-3-Clause */

#ifndef FE_MEM_H
#define FE_MEM_H

/*
 * Guest memory of the driver model: one memfd mapped shared, handed to the
 * backend as the single region of SET_MEM_TABLE. Guest-physical address
 * base + off is byte off of the memfd. Rings and buffers are carved out of
 * it by a bump allocator; nothing is ever freed (the tool is short-lived).
 */

#include <stddef.h>
#include <stdint.h>

struct fe_mem {
	int fd;
	uint8_t *va;		/* our mapping: also the region's userspace_addr */
	uint64_t size;
	uint64_t gpa_base;
	uint64_t next;		/* allocator: first free offset */
};

int fe_mem_create(struct fe_mem *mem, uint64_t size, uint64_t gpa_base);
void fe_mem_destroy(struct fe_mem *mem);

/* Allocate len bytes aligned to align (a power of two), zeroed. Returns
 * the offset, or UINT64_MAX when the memory is exhausted. */
uint64_t fe_mem_alloc(struct fe_mem *mem, uint64_t len, uint64_t align);

static inline uint64_t
fe_mem_off_to_gpa(const struct fe_mem *mem, uint64_t off)
{
	return mem->gpa_base + off;
}

static inline void *
fe_mem_off_to_va(const struct fe_mem *mem, uint64_t off)
{
	return mem->va + off;
}

/* Our virtual address of [gpa, gpa + len), or NULL if it is not all
 * inside guest memory (used to read what the backend wrote). */
void *fe_mem_gpa_to_va(const struct fe_mem *mem, uint64_t gpa, uint64_t len);

#endif /* FE_MEM_H */
