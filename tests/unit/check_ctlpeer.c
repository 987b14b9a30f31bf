/* check_ctlpeer.c -- the control socket's read group: the Groups: line of a
 * peer's /proc/PID/status (ctl_peer_status_has_group()). */
#include <check.h>
#include <string.h>

#include "../../src/control/ctl_peer.h"
#include "suites.h"

static bool
has(const char *status, gid_t g)
{
	return ctl_peer_status_has_group(status, strlen(status), g);
}

START_TEST(test_groups_line)
{
	const char *st = "Name:\tbash\nUid:\t1000\t1000\t1000\t1000\n"
	    "Gid:\t999\t999\t999\t999\nGroups:\t4 24 27 998 \nNgid:\t0\n";

	ck_assert(has(st, 4));
	ck_assert(has(st, 27));
	ck_assert(has(st, 998));
	ck_assert(!has(st, 999));	/* the Gid line is not the Groups line */
	ck_assert(!has(st, 2));
	ck_assert(!has(st, 0));
	ck_assert(!has("Groups:\t\nNgid:\t0\n", 0));	/* no groups */
	ck_assert(!has("Gid:\t5\n", 5));
	ck_assert(!has("Groups:\t99999999999999999999\n", 0));
	ck_assert(!has("", 0));
	ck_assert(has("Groups:\t7", 7));		/* cut short: what is there counts */
	ck_assert(!has("Groups:\t7x 8\n", 8));	/* junk ends the list */
	/* Only the given length is read. */
	ck_assert(!ctl_peer_status_has_group("Groups:\t71\n", 9, 71));
}
END_TEST

Suite *
suite_ctlpeer(void)
{
	Suite *s = suite_create("ctlpeer");
	TCase *tc = tcase_create("groups");

	tcase_add_test(tc, test_groups_line);
	suite_add_tcase(s, tc);
	return s;
}
