/* SPDX-License-Identifier: BSD-3-Clause */

#ifndef TEST_FUZZ_INPUT_H
#define TEST_FUZZ_INPUT_H

/*
 * What the fuzz targets share: reading little-endian fields from the
 * fuzzer's bytes (zeros once they run out, so every input means
 * something), writing seed files in the same layout, and failing a
 * property loudly. Each target is one executable, so everything here is
 * static.
 */

#include <inttypes.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct fz_in {
	const uint8_t *p;
	size_t n;
};

static inline bool
fz_more(const struct fz_in *in)
{
	return in->n != 0;
}

static inline uint64_t
fz_uint(struct fz_in *in, unsigned int bytes)
{
	uint64_t v = 0;
	unsigned int i;

	for (i = 0; i < bytes && in->n != 0; i++, in->p++, in->n--)
		v |= (uint64_t)in->p[0] << (8 * i);
	return v;
}

static inline uint8_t fz_u8(struct fz_in *in) { return fz_uint(in, 1); }
static inline uint16_t fz_u16(struct fz_in *in) { return fz_uint(in, 2); }
static inline uint32_t fz_u32(struct fz_in *in) { return fz_uint(in, 4); }
static inline uint64_t fz_u64(struct fz_in *in) { return fz_uint(in, 8); }

/* Up to @p want bytes of the input, in place. */
static inline const uint8_t *
fz_bytes(struct fz_in *in, size_t want, size_t *got)
{
	const uint8_t *p = in->p;

	*got = want < in->n ? want : in->n;
	in->p += *got;
	in->n -= *got;
	return p;
}

/* A seed being written: the same layout, produced field by field. */
struct fz_seed {
	uint8_t buf[4096];
	size_t len;
};

static inline void
fz_put(struct fz_seed *s, uint64_t v, unsigned int bytes)
{
	unsigned int i;

	for (i = 0; i < bytes && s->len < sizeof(s->buf); i++)
		s->buf[s->len++] = v >> (8 * i);
}

static inline void
fz_put_bytes(struct fz_seed *s, const void *p, size_t n)
{
	if (n > sizeof(s->buf) - s->len)
		n = sizeof(s->buf) - s->len;
	memcpy(s->buf + s->len, p, n);
	s->len += n;
}

static inline void
fz_seed_write(const char *dir, const char *name, const void *p, size_t len)
{
	char path[4096];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	f = fopen(path, "wb");
	if (f == NULL || fwrite(p, 1, len, f) != len || fclose(f) != 0) {
		perror(path);
		exit(EXIT_FAILURE);
	}
}

/*
 * With --make-seeds=DIR on the command line, write the target's seeds to
 * DIR and exit; called from LLVMFuzzerInitialize, before libFuzzer reads
 * its own flags.
 */
static inline void
fz_make_seeds(int *argc, char ***argv, void (*make)(const char *dir))
{
	static const char flag[] = "--make-seeds=";
	int i;

	for (i = 1; i < *argc; i++)
		if (strncmp((*argv)[i], flag, sizeof(flag) - 1) == 0) {
			make((*argv)[i] + sizeof(flag) - 1);
			exit(EXIT_SUCCESS);
		}
}

/* A broken property: say which, and abort so libFuzzer keeps the input. */
static inline void __attribute__((noreturn, format(printf, 1, 2)))
fz_fail(const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "PROPERTY VIOLATED: ");
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	abort();
}

#define FZ_CHECK(cond, ...) \
	do { \
		if (!(cond)) \
			fz_fail(__VA_ARGS__); \
	} while (0)

#endif /* TEST_FUZZ_INPUT_H */
