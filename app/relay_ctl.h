/* SPDX-License-Identifier: BSD-3-Clause */

#ifndef RELAY_CTL_H
#define RELAY_CTL_H

/*
 * The control socket: newline-delimited JSON requests on a UNIX stream
 * socket, served by a control thread (doc/control-socket.md).
 */

#include <stddef.h>

/*
 * Listen on @p path (created mode 0600; a stale socket left by a dead
 * relay is replaced) and start the thread. On error write one line to
 * @p err and return -errno.
 */
int relay_ctl_start(const char *path, char *err, size_t err_len);

/* Stop the thread, close every connection, remove the socket. Safe to
 * call when not started, and twice. */
void relay_ctl_stop(void);

#endif /* RELAY_CTL_H */
