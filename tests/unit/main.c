/* main.c -- one Check runner for every unit suite (weak: a missing suite is skipped). */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>

#include "suites.h"

int
main(void)
{
	Suite *(*const all[])(void) = {
		suite_decode, suite_flowtab, suite_timer, suite_tcpfsm,
		suite_policy, suite_profiles, suite_engine, suite_event,
		suite_burst, suite_flowfilter, suite_adopt, suite_livepol,
		suite_safefile,
		suite_shtimer, suite_track, suite_nat, suite_natrw_icmp, suite_conform,
		suite_infer, suite_grace, suite_ctlpeer, suite_kernel, suite_zconn,
	};
	SRunner *sr = srunner_create(NULL);
	int failed;

	for (size_t i = 0; i < sizeof(all) / sizeof(all[0]); i++)
		if (all[i] != NULL)
			srunner_add_suite(sr, all[i]());
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
