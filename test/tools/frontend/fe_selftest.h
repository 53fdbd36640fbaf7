/* SPDX-License-Identifier: BSD-3-Clause */

#ifndef FE_SELFTEST_H
#define FE_SELFTEST_H

/* Run every offline check; returns the exit status (0 all passed). */
int fe_selftest(void);

#endif /* FE_SELFTEST_H */
