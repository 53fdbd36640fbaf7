/* SPDX-License-Identifier: BSD-3-Clause */

#ifndef FE_SCRIPT_H
#define FE_SCRIPT_H

/*
 * The line-oriented script interface: one command per line, '#' starts a
 * comment, one result line per command on stdout (the first word names
 * the command, the rest are key=value pairs). A failed command prints
 *   error line=N cmd=NAME reason=WORD
 * and stops the script unless keep_going is set.
 */

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "fe_net.h"
#include "fe_traffic.h"

struct fe_script {
	struct fe_net *net;	/* NULL in --dump-cvq mode */
	uint16_t pairs;		/* for rand-cvq in dump mode */
	bool keep_going;
	bool echo;
	int probe_timeout_ms;
	/* state */
	struct fe_stream *stream;	/* stream begin .. stream end */
	unsigned int line_no;
	unsigned int errors;
	bool quit;
	const char *reason;	/* set by a failing command */
	char *last;		/* last result line, for expect */
	size_t last_cap;
	char *out;		/* line being formatted */
	size_t out_cap;
};

int fe_script_init(struct fe_script *s);
void fe_script_fini(struct fe_script *s);

/* Run every line of in; returns the number of failed commands (0 = all
 * good). Stops early on quit, or on the first failure without keep_going.
 * Once the backend is gone, commands that need one fail at once
 * (backend-gone), except reconnect. */
unsigned int fe_script_run(struct fe_script *s, FILE *in);

/* Run one line (exposed for the self-test). Returns 0 or -errno. */
int fe_script_line(struct fe_script *s, char *line);

#endif /* FE_SCRIPT_H */
