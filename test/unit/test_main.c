/* SPDX-License-Identifier: BSD-3-Clause */

/*
 * Unit test runner. EAL runs without hugepages or devices: the library's
 * allocations and the sim device's mempool come from ordinary memory.
 */

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <CUnit/Basic.h>
#include <rte_common.h>
#include <rte_eal.h>

#include "unit.h"

char *
unit_text_edit(const char *text, const char *from, const char *to)
{
	const char *at = strstr(text, from);
	size_t head;
	char *out;

	if (at == NULL) {
		printf("\n    edit '%s' not found in %s\n", from, text);
		CU_FAIL("edit not found");
		return NULL;
	}
	head = at - text;
	out = malloc(strlen(text) - strlen(from) + strlen(to) + 1);
	CU_ASSERT_PTR_NOT_NULL_FATAL(out);
	memcpy(out, text, head);
	strcpy(out + head, to);
	strcat(out, at + strlen(from));
	return out;
}

int
main(int argc, char **argv)
{
	char *eal_argv[] = {
		argv[0], "-l", "0", "--no-huge", "-m", "256", "--no-pci",
		"--no-shconf", "--log-level=*:critical", NULL,
	};
	CU_SuiteInfo suites[] = {
		unit_suite_mem,
		unit_suite_shadow,
		unit_suite_sim,
		unit_suite_sim_cvq,
		unit_suite_cvq,
		unit_suite_ctrl,
		unit_suite_migration,
		CU_SUITE_INFO_NULL,
	};
	unsigned int failed;

	(void)argc;
	if (rte_eal_init(RTE_DIM(eal_argv) - 1, eal_argv) < 0) {
		fprintf(stderr, "cannot initialise EAL\n");
		return EXIT_FAILURE;
	}
	if (CU_initialize_registry() != CUE_SUCCESS ||
			CU_register_suites(suites) != CUE_SUCCESS) {
		fprintf(stderr, "cannot register tests: %s\n", CU_get_error_msg());
		return EXIT_FAILURE;
	}
	CU_basic_set_mode(CU_BRM_VERBOSE);
	CU_basic_run_tests();
	failed = CU_get_number_of_failures() + CU_get_number_of_tests_failed();
	CU_cleanup_registry();
	rte_eal_cleanup();
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
