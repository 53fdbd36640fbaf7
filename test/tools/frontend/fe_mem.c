/* SPDX-License-Identifier: BSD-3-Clause */

#include <errno.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "fe_mem.h"

int
fe_mem_create(struct fe_mem *mem, uint64_t size, uint64_t gpa_base)
{
	int err;

	memset(mem, 0, sizeof(*mem));
	mem->fd = -1;
	if (size == 0 || size % 4096 != 0 || gpa_base % 4096 != 0 ||
			gpa_base + size < gpa_base)
		return -EINVAL;
	mem->fd = memfd_create("svq-frontend-guest", MFD_CLOEXEC);
	if (mem->fd < 0)
		return -errno;
	if (ftruncate(mem->fd, (off_t)size) < 0)
		goto fail;
	mem->va = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED,
		mem->fd, 0);
	if (mem->va == MAP_FAILED) {
		mem->va = NULL;
		goto fail;
	}
	mem->size = size;
	mem->gpa_base = gpa_base;
	return 0;
fail:
	err = errno;
	close(mem->fd);
	mem->fd = -1;
	return -err;
}

void
fe_mem_destroy(struct fe_mem *mem)
{
	if (mem->va != NULL)
		munmap(mem->va, mem->size);
	if (mem->fd >= 0)
		close(mem->fd);
	memset(mem, 0, sizeof(*mem));
	mem->fd = -1;
}

uint64_t
fe_mem_alloc(struct fe_mem *mem, uint64_t len, uint64_t align)
{
	uint64_t off = (mem->next + align - 1) & ~(align - 1);

	if (off < mem->next || off > mem->size || len > mem->size - off)
		return UINT64_MAX;
	mem->next = off + len;
	/* ftruncate gave zero pages; say it anyway for reused memory. */
	memset(mem->va + off, 0, len);
	return off;
}

void *
fe_mem_gpa_to_va(const struct fe_mem *mem, uint64_t gpa, uint64_t len)
{
	uint64_t off;

	if (gpa < mem->gpa_base)
		return NULL;
	off = gpa - mem->gpa_base;
	if (off > mem->size || len > mem->size - off)
		return NULL;
	return mem->va + off;
}
