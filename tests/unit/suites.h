/* suites.h -- the unit suites; each tests/unit/check_X.c defines suite_X(). */
#ifndef NATBOX_TEST_SUITES_H
#define NATBOX_TEST_SUITES_H

#include <check.h>

#define SUITE_DECL(n) Suite *suite_##n(void) __attribute__((weak))
SUITE_DECL(decode);
SUITE_DECL(decode_bad);
SUITE_DECL(flowtab);
SUITE_DECL(timer);
SUITE_DECL(tcpfsm);
SUITE_DECL(policy);
SUITE_DECL(policy_text);
SUITE_DECL(profiles);
SUITE_DECL(engine);
SUITE_DECL(engine_admin);
SUITE_DECL(engine_timer);
SUITE_DECL(event);
SUITE_DECL(flowfilter);
SUITE_DECL(burst);
SUITE_DECL(adopt);
SUITE_DECL(livepol);
SUITE_DECL(livepol_reload);
SUITE_DECL(livepol_log);
SUITE_DECL(safefile);
SUITE_DECL(shtimer);
SUITE_DECL(track);
SUITE_DECL(track_icmperr);
SUITE_DECL(track_engine);
SUITE_DECL(track_errors);
SUITE_DECL(track_policy);
SUITE_DECL(nat);
SUITE_DECL(natrw);
SUITE_DECL(natrw_icmp);
SUITE_DECL(conform);
SUITE_DECL(infer);
SUITE_DECL(grace);
SUITE_DECL(ctlpeer);
SUITE_DECL(kernel);
SUITE_DECL(zconn);
SUITE_DECL(probeaddr);
SUITE_DECL(malformed);
#undef SUITE_DECL

#endif
