/* SPDX-License-Identifier: BSD-3-Clause */

#ifndef RELAY_TELEMETRY_H
#define RELAY_TELEMETRY_H

/*
 * Read-only DPDK telemetry endpoints under /svq/ (doc/telemetry.md), for
 * dpdk-telemetry.py and any client of the telemetry socket.
 */

/* Register the endpoints. @return 0 or -errno. */
int relay_telemetry_init(void);

#endif /* RELAY_TELEMETRY_H */
