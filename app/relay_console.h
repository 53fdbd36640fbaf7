/* SPDX-License-Identifier: BSD-3-Clause */

#ifndef RELAY_CONSOLE_H
#define RELAY_CONSOLE_H

/*
 * The operator console: testpmd-like commands on DPDK's cmdline library,
 * parsing only; the actions are in relay_cmd.c. Main lcore only.
 */

#include <signal.h>

/* "quit" sets *quit. */
void relay_console_init(volatile sig_atomic_t *quit);

/*
 * Run the commands in @p path, one per line ('#' starts a comment), each
 * echoed after the prompt with its answer, then print how many failed.
 * @return 0, or -errno if the file cannot be read.
 */
int relay_console_run_file(const char *path);

/* Start the interactive console on stdin (-i). */
int relay_console_start(void);

/* The fd to poll for console input, or -1 without a console. */
int relay_console_fd(void);

/* Read what is there and act on it. @return -1 at end of input or after
 * "quit", else 0. */
int relay_console_input(void);

/* Give the terminal back. Safe to call twice. */
void relay_console_stop(void);

#endif /* RELAY_CONSOLE_H */
