/* SPDX-License-Identifier: BSD-3-Clause */

#ifndef TEST_UNIT_H
#define TEST_UNIT_H

#include <CUnit/CUnit.h>

extern CU_SuiteInfo unit_suite_mem;
extern CU_SuiteInfo unit_suite_shadow;
extern CU_SuiteInfo unit_suite_sim;
extern CU_SuiteInfo unit_suite_sim_cvq;
extern CU_SuiteInfo unit_suite_cvq;
extern CU_SuiteInfo unit_suite_ctrl;
extern CU_SuiteInfo unit_suite_migration;

/* A malloc()ed copy of @p text with the first @p from replaced by @p to,
 * or NULL (and a CUnit failure) if @p from is not in it. */
char *unit_text_edit(const char *text, const char *from, const char *to);

#endif /* TEST_UNIT_H */
