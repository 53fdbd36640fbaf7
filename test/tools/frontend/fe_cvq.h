/* SPDX-License-Identifier: BSD-3-Clause */

#ifndef FE_CVQ_H
#define FE_CVQ_H

/*
 * Control virtqueue commands as bytes: the named script commands encoded
 * from the spec layouts, and a random generator of valid and malformed
 * commands. Pure functions, no I/O: the self-test checks them against
 * hand-written bytes.
 */

#include <stdbool.h>
#include <stdint.h>

/* Command data bytes (the ack and the 2-byte header come on top). */
#define FE_CVQ_DATA_MAX 16384u

struct fe_cvq_cmd {
	uint8_t cls;
	uint8_t cmd;
	uint32_t len;
	const char *kind;	/* rand-cvq: which generator made it */
	uint8_t data[FE_CVQ_DATA_MAX];
};

/* Is name the first word of a CVQ command (cvq, rx, mac, vlan, ...)? */
bool fe_cvq_is_command(const char *name);

/*
 * Encode a CVQ script command, argv[0] being its name. The encoders do not
 * judge values (a VLAN id of 5000 or an RSS table of 3 entries is encoded
 * as given, so malformed commands can be sent on purpose); they refuse
 * only text they cannot turn into bytes. Returns 0, or -EINVAL with *err
 * pointing at a short reason.
 */
int fe_cvq_encode(int argc, char **argv, struct fe_cvq_cmd *out,
		const char **err);

/* splitmix64: deterministic per seed, the same on every host. */
uint64_t fe_rand_next(uint64_t *state);

/*
 * One random command for a device with pairs queue pairs: mostly valid,
 * some deliberately malformed (out->kind names which, e.g. "vlan" or
 * "rss-bad-mask").
 */
void fe_cvq_rand(uint64_t *state, uint16_t pairs, struct fe_cvq_cmd *out);

#endif /* FE_CVQ_H */
