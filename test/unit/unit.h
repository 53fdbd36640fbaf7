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

#endif /* TEST_UNIT_H */
