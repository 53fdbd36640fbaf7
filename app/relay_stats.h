/* SPDX-License-Identifier: BSD-3-Clause */

#ifndef RELAY_STATS_H
#define RELAY_STATS_H

#include <stdio.h>

/*
 * Print every vring of every port, counters since the last "clear port
 * stats", with rates since the previous call.
 */
void relay_stats_print(FILE *f);

#endif /* RELAY_STATS_H */
