/* SPDX-License-Identifier: BSD-3-Clause */

/*
 * streamer: deterministic byte stream for the svq-relay end-to-end test.
 *
 * Built static (gcc -static -O2) so the same binary runs inside the
 * busybox initramfs and on the host.
 *
 *   streamer gen BYTES SEED
 *	write the pattern to stdout (the host pipes it into sha256sum to get
 *	the expected digest, so the pattern is defined in exactly one place)
 *   streamer send ADDR PORT BYTES SEED [TIMEOUT_S]
 *	connect over TCP (IPv4), send the pattern, half-close, then wait for
 *	the receiver's one-line acknowledgement; print one SVQ-RESULT line
 *
 * The pattern is xorshift64* seeded from SEED, emitted as little-endian
 * 64-bit words and truncated to BYTES. Chunking never changes it: the
 * buffer size is a multiple of 8 and the generator state carries over.
 */

#include <arpa/inet.h>
#include <errno.h>
#include <inttypes.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#define CHUNK_SIZE	(64 * 1024)	/* multiple of 8, see above */
#define CONNECT_SECS	20	/* give up connecting after this long */

struct pattern {
	uint64_t state;
};

static void
pattern_init(struct pattern *p, uint64_t seed)
{
	/* xorshift must not start from zero; mix the seed so 0, 1, 2 differ */
	p->state = seed * 0x9e3779b97f4a7c15ULL + 0x2545f4914f6cdd1dULL;
	if (p->state == 0)
		p->state = 1;
}

static void
pattern_fill(struct pattern *p, uint8_t *buf, size_t len)
{
	size_t i;
	int b;

	for (i = 0; i + 8 <= len; i += 8) {
		uint64_t x = p->state;

		x ^= x >> 12;
		x ^= x << 25;
		x ^= x >> 27;
		p->state = x;
		x *= 0x2545f4914f6cdd1dULL;
		/* explicit little-endian so the stream is host-independent */
		for (b = 0; b < 8; b++)
			buf[i + b] = (uint8_t)(x >> (8 * b));
	}
}

static int
parse_u64(const char *s, uint64_t *out)
{
	char *end;

	errno = 0;
	*out = strtoull(s, &end, 0);
	if (errno != 0 || end == s || *end != '\0')
		return -EINVAL;
	return 0;
}

static int
write_all(int fd, const uint8_t *buf, size_t len)
{
	while (len > 0) {
		ssize_t n = write(fd, buf, len);

		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		buf += n;
		len -= (size_t)n;
	}
	return 0;
}

/* Emit BYTES of the pattern to fd; returns 0 or a negative errno. */
static int
stream_pattern(int fd, uint64_t bytes, uint64_t seed)
{
	static uint8_t buf[CHUNK_SIZE];
	struct pattern p;
	int rc;

	pattern_init(&p, seed);
	while (bytes > 0) {
		size_t n = bytes < CHUNK_SIZE ? (size_t)bytes : CHUNK_SIZE;

		/* always generate a full chunk so the state stays aligned */
		pattern_fill(&p, buf, CHUNK_SIZE);
		rc = write_all(fd, buf, n);
		if (rc < 0)
			return rc;
		bytes -= n;
	}
	return 0;
}

static double
now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int
cmd_gen(int argc, char **argv)
{
	uint64_t bytes, seed;
	int rc;

	if (argc != 4 || parse_u64(argv[2], &bytes) || parse_u64(argv[3], &seed)) {
		fprintf(stderr, "usage: streamer gen BYTES SEED\n");
		return 2;
	}
	rc = stream_pattern(STDOUT_FILENO, bytes, seed);
	if (rc < 0) {
		fprintf(stderr, "streamer: write: %s\n", strerror(-rc));
		return 1;
	}
	return 0;
}

static int
connect_retry(const struct sockaddr_in *sa, unsigned int timeout_s)
{
	struct timeval tv = { .tv_sec = timeout_s };
	double deadline = now_s() + CONNECT_SECS;
	int tries, fd;

	for (tries = 0; now_s() < deadline; tries++) {
		fd = socket(AF_INET, SOCK_STREAM, 0);
		if (fd < 0)
			return -errno;
		/* a stalled datapath must end the test, not hang it */
		setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
		setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
		if (connect(fd, (const struct sockaddr *)sa, sizeof(*sa)) == 0)
			return fd;
		fprintf(stderr, "streamer: connect: %s (try %d)\n",
			strerror(errno), tries + 1);
		close(fd);
		sleep(1);
	}
	return -ETIMEDOUT;
}

static int
cmd_send(int argc, char **argv)
{
	struct sockaddr_in sa = { .sin_family = AF_INET };
	uint64_t port, bytes, seed, timeout_s = 60;
	char ack[256];
	size_t ack_len = 0;
	double t0, t_sent, t_ack;
	int fd, rc;

	if ((argc != 6 && argc != 7) ||
	    inet_pton(AF_INET, argv[2], &sa.sin_addr) != 1 ||
	    parse_u64(argv[3], &port) || port == 0 || port > 65535 ||
	    parse_u64(argv[4], &bytes) || parse_u64(argv[5], &seed) ||
	    (argc == 7 && parse_u64(argv[6], &timeout_s))) {
		fprintf(stderr,
			"usage: streamer send ADDR PORT BYTES SEED [TIMEOUT_S]\n");
		return 2;
	}
	sa.sin_port = htons((uint16_t)port);

	fd = connect_retry(&sa, (unsigned int)timeout_s);
	if (fd < 0) {
		printf("SVQ-RESULT stream error=connect:%s\n", strerror(-fd));
		return 1;
	}

	t0 = now_s();
	rc = stream_pattern(fd, bytes, seed);
	if (rc < 0) {
		printf("SVQ-RESULT stream error=send:%s\n", strerror(-rc));
		close(fd);
		return 1;
	}
	/* half-close: the receiver sees EOF, then answers with its count */
	shutdown(fd, SHUT_WR);
	t_sent = now_s();

	while (ack_len < sizeof(ack) - 1) {
		ssize_t n = read(fd, ack + ack_len, sizeof(ack) - 1 - ack_len);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		ack_len += (size_t)n;
	}
	ack[ack_len] = '\0';
	ack[strcspn(ack, "\r\n")] = '\0';
	t_ack = now_s();
	close(fd);

	/* "ack=" is the receiver's own line; the host checks its copy */
	printf("SVQ-RESULT stream sent=%" PRIu64 " seed=%" PRIu64
	       " send_secs=%.2f total_secs=%.2f ack=\"%s\"\n",
	       bytes, seed, t_sent - t0, t_ack - t0, ack);
	return ack_len > 0 ? 0 : 1;
}

int
main(int argc, char **argv)
{
	if (argc >= 2 && strcmp(argv[1], "gen") == 0)
		return cmd_gen(argc, argv);
	if (argc >= 2 && strcmp(argv[1], "send") == 0)
		return cmd_send(argc, argv);
	fprintf(stderr, "usage: streamer gen BYTES SEED\n"
		"       streamer send ADDR PORT BYTES SEED [TIMEOUT_S]\n");
	return 2;
}
