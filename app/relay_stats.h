/* SPDX-License-Identifier: BSD-3-Clause */

#ifndef RELAY_STATS_H
#define RELAY_STATS_H

#include <stdio.h>

struct svq_port;

/* Print every queue of @p ports, with rates since the previous call. */
void relay_stats_print(FILE *f, struct svq_port *const *ports,
		unsigned int nb_ports);

#endif /* RELAY_STATS_H */
