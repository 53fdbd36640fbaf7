/* SPDX-License-Identifier: BSD-3-Clause */

#ifndef FE_UTIL_H
#define FE_UTIL_H

/* Small helpers shared by the frontend's files: number and hex parsing,
 * monotonic time, diagnostics on stderr. */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

extern bool fe_verbose;

#define FE_LOG(fmt, ...) \
	fprintf(stderr, "svq-frontend: " fmt "\n", ##__VA_ARGS__)
#define FE_DEBUG(fmt, ...) do { \
	if (fe_verbose) \
		fprintf(stderr, "svq-frontend: " fmt "\n", ##__VA_ARGS__); \
} while (0)

/* Milliseconds, nanoseconds on the monotonic clock. */
uint64_t fe_now_ms(void);
uint64_t fe_now_ns(void);
/* Nanoseconds of CPU time this process has had. */
uint64_t fe_cpu_ns(void);
void fe_sleep_ms(unsigned int ms);

/*
 * Parse an unsigned integer (decimal, or hex with 0x) into *val, at most
 * max. Returns 0 or -EINVAL (not a number, trailing text, out of range).
 */
int fe_parse_u64(const char *s, uint64_t max, uint64_t *val);

/* The same, but the text is hex with or without 0x (HASH_TYPES_HEX). */
int fe_parse_hex_u64(const char *s, uint64_t max, uint64_t *val);

/* Size with an optional K/M/G suffix. */
int fe_parse_size(const char *s, uint64_t *val);

/*
 * Decode hex bytes into buf (capacity cap). ':' '-' '.' between bytes are
 * ignored so MACs and keys may be written readably; "-" alone is empty.
 * Returns the byte count, -EINVAL on bad text, -E2BIG when it does not fit.
 */
int fe_parse_hex(const char *s, uint8_t *buf, size_t cap);

/* Parse "XX:XX:XX:XX:XX:XX". Returns 0 or -EINVAL. */
int fe_parse_mac(const char *s, uint8_t mac[6]);

/* Hex-encode len bytes into out (2 * len + 1 bytes); returns out. */
char *fe_hex(const uint8_t *buf, size_t len, char *out);

/* Print len bytes as hex on f, with no separators ("-" when empty). */
void fe_print_hex(FILE *f, const uint8_t *buf, size_t len);

#endif /* FE_UTIL_H */
