/* SPDX-License-Identifier: BSD-3-Clause */

#include <ctype.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "fe_util.h"

bool fe_verbose;

uint64_t
fe_now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000 + (uint64_t)ts.tv_nsec;
}

uint64_t
fe_cpu_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
	return (uint64_t)ts.tv_sec * 1000000000 + (uint64_t)ts.tv_nsec;
}

uint64_t
fe_now_ms(void)
{
	return fe_now_ns() / 1000000;
}

void
fe_sleep_ms(unsigned int ms)
{
	struct timespec ts = {
		.tv_sec = ms / 1000,
		.tv_nsec = (long)(ms % 1000) * 1000000,
	};

	/* EINTR only shortens the sleep; callers bound their waits anyway. */
	nanosleep(&ts, NULL);
}

static int
fe_parse_base(const char *s, int base, uint64_t max, uint64_t *val)
{
	unsigned long long v;
	char *end;

	/* strtoull accepts a sign and leading blanks; a script must not. */
	if (s == NULL || !(base == 16 ? isxdigit((unsigned char)s[0]) :
			isdigit((unsigned char)s[0])))
		return -EINVAL;
	errno = 0;
	v = strtoull(s, &end, base);
	if (errno != 0 || end == s || *end != '\0' || v > max)
		return -EINVAL;
	*val = v;
	return 0;
}

int
fe_parse_u64(const char *s, uint64_t max, uint64_t *val)
{
	/* Decimal or 0x hex; never octal: "010" in a script means ten. */
	if (s != NULL && s[0] == '0' && (s[1] == 'x' || s[1] == 'X'))
		return fe_parse_base(s + 2, 16, max, val);
	return fe_parse_base(s, 10, max, val);
}

int
fe_parse_hex_u64(const char *s, uint64_t max, uint64_t *val)
{
	if (s != NULL && s[0] == '0' && (s[1] == 'x' || s[1] == 'X'))
		s += 2;
	return fe_parse_base(s, 16, max, val);
}

int
fe_parse_size(const char *s, uint64_t *val)
{
	char buf[32];
	size_t len;
	unsigned int shift = 0;
	uint64_t v;

	if (s == NULL || (len = strlen(s)) == 0 || len >= sizeof(buf))
		return -EINVAL;
	memcpy(buf, s, len + 1);
	switch (buf[len - 1]) {
	case 'k': case 'K': shift = 10; break;
	case 'm': case 'M': shift = 20; break;
	case 'g': case 'G': shift = 30; break;
	default: break;
	}
	if (shift != 0)
		buf[len - 1] = '\0';
	if (fe_parse_u64(buf, UINT64_MAX >> shift, &v) < 0)
		return -EINVAL;
	*val = v << shift;
	return 0;
}

static int
fe_hex_digit(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

int
fe_parse_hex(const char *s, uint8_t *buf, size_t cap)
{
	size_t n = 0;
	int hi, lo;

	if (strcmp(s, "-") == 0)
		return 0;
	if (s[0] == '0' && (s[1] == 'x' || s[1] == 'X'))
		s += 2;
	while (*s != '\0') {
		if (*s == ':' || *s == '-' || *s == '.') {
			s++;
			continue;
		}
		hi = fe_hex_digit(s[0]);
		lo = hi < 0 ? -1 : fe_hex_digit(s[1]);
		if (hi < 0 || lo < 0)
			return -EINVAL;
		if (n == cap)
			return -E2BIG;
		buf[n++] = (uint8_t)(hi << 4 | lo);
		s += 2;
	}
	return (int)n;
}

int
fe_parse_mac(const char *s, uint8_t mac[6])
{
	unsigned int i;
	int hi, lo;

	/* Exactly six two-digit groups separated by ':' (no shortcuts: a
	 * mistyped MAC in a test script must not become another MAC). */
	for (i = 0; i < 6; i++) {
		hi = fe_hex_digit(s[0]);
		lo = hi < 0 ? -1 : fe_hex_digit(s[1]);
		if (hi < 0 || lo < 0)
			return -EINVAL;
		mac[i] = (uint8_t)(hi << 4 | lo);
		s += 2;
		if (i < 5 && *s++ != ':')
			return -EINVAL;
	}
	return *s == '\0' ? 0 : -EINVAL;
}

char *
fe_hex(const uint8_t *buf, size_t len, char *out)
{
	static const char digits[] = "0123456789abcdef";
	size_t i;

	for (i = 0; i < len; i++) {
		out[2 * i] = digits[buf[i] >> 4];
		out[2 * i + 1] = digits[buf[i] & 0xf];
	}
	out[2 * len] = '\0';
	return out;
}

void
fe_print_hex(FILE *f, const uint8_t *buf, size_t len)
{
	static const char digits[] = "0123456789abcdef";
	size_t i;

	if (len == 0) {
		fputc('-', f);
		return;
	}
	for (i = 0; i < len; i++) {
		fputc(digits[buf[i] >> 4], f);
		fputc(digits[buf[i] & 0xf], f);
	}
}
