/* main.c -- one Check runner for every unit suite (weak: a missing suite is skipped). */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>

#include "suites.h"

int
main(void)
{
	Suite *(*const all[])(void) = {
		suite_decode, suite_decode_bad, suite_flowtab, suite_timer,
		suite_tcpfsm, suite_policy, suite_policy_text, suite_profiles,
		suite_engine, suite_engine_timer, suite_engine_admin, suite_event,
		suite_burst, suite_flowfilter, suite_adopt, suite_livepol,
		suite_livepol_reload, suite_livepol_log, suite_safefile, suite_shtimer,
		suite_track, suite_track_icmperr, suite_track_engine,
		suite_track_errors, suite_track_policy, suite_nat, suite_natrw,
		suite_natrw_icmp, suite_conform, suite_infer, suite_grace,
		suite_ctlpeer, suite_kernel, suite_zconn, suite_probeaddr, suite_malformed,
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
