/* check_safefile.c -- untrusted paths: a FIFO, a directory, a planted symlink, an emptied profile. */
#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "evsink.h"
#include "livepol.h"
#include "log.h"
#include "profiles.h"
#include "safefile.h"
#include "suites.h"

static char dir[64];

static void
setup(void)
{
	log_init(-1, false);
	snprintf(dir, sizeof(dir), "/tmp/natbox-safefile.XXXXXX");
	ck_assert_ptr_nonnull(mkdtemp(dir));
}

static void
teardown(void)
{
	char cmd[128];

	livepol_free();
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	ck_assert_int_eq(system(cmd), 0);
}

static const char *
at(const char *name)
{
	static char path[4][128];
	static int k;

	k = (k + 1) % 4;
	snprintf(path[k], sizeof(path[k]), "%s/%s", dir, name);
	return path[k];
}

static void
put(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");

	ck_assert_ptr_nonnull(f);
	fputs(text, f);
	ck_assert_int_eq(fclose(f), 0);
}

/* A FIFO with no writer would block open(2) for good: it is refused at
 * once (the test itself would hang, and Check's timeout fail it, if not). */
START_TEST(test_fifo_refused)
{
	const char *fifo = at("prof.profile");
	struct policy p;
	struct policy_errors errs;

	ck_assert_int_eq(mkfifo(fifo, 0600), 0);
	errno = 0;
	ck_assert_ptr_null(safe_fopen_read(fifo));
	ck_assert_int_eq(errno, ENODEV);
	ck_assert_int_eq(profile_load_errs(fifo, NULL, 0, &p, &errs), -1);
	ck_assert_uint_eq(errs.count, 1);
	ck_assert_ptr_nonnull(strstr(errs.msg[0], "not a regular file"));
}
END_TEST

START_TEST(test_directory_named)
{
	struct policy p;
	struct policy_errors errs;

	errno = 0;
	ck_assert_ptr_null(safe_fopen_read(dir));
	ck_assert_int_eq(errno, EISDIR);
	ck_assert_int_eq(profile_load_errs(at("sub/"), NULL, 0, &p, &errs), -1);
	ck_assert_int_eq(mkdir(at("d.profile"), 0700), 0);
	ck_assert_int_eq(profile_load_errs(at("d.profile"), NULL, 0, &p, &errs), -1);
	ck_assert_ptr_nonnull(strstr(errs.msg[0], ": is a directory"));
}
END_TEST

/* Another user plants /tmp/x -> /etc/something; root's events must not
 * follow it. */
START_TEST(test_event_symlink_refused)
{
	const char *target = at("target"), *link = at("events");
	struct evsink *s;
	struct stat st;

	put(target, "keep\n");
	ck_assert_int_eq(symlink(target, link), 0);
	errno = 0;
	ck_assert_ptr_null(s = evsink_open(link, EVF_TEXT));
	ck_assert_int_eq(errno, ELOOP);
	ck_assert_str_eq(safe_strerror(ELOOP), "a symbolic link: refusing to follow it");
	ck_assert_int_eq(stat(target, &st), 0);
	ck_assert_int_eq(st.st_size, 5);
}
END_TEST

START_TEST(test_event_file_private)
{
	const char *path = at("new.events");
	struct evsink *s;
	struct stat st;
	mode_t old = umask(0);

	s = evsink_open(path, EVF_JSON);
	umask(old);
	ck_assert_ptr_nonnull(s);
	ck_assert_int_eq(stat(path, &st), 0);
	ck_assert_uint_eq(st.st_mode & 0777, 0600);
	evsink_close(s);
	/* /dev/null is still a place to send events */
	ck_assert_ptr_nonnull(s = evsink_open("/dev/null", EVF_TEXT));
	evsink_close(s);
	/* a FIFO is not: a slow reader would stall the engine */
	ck_assert_int_eq(mkfifo(at("fifo"), 0600), 0);
	ck_assert_ptr_null(evsink_open(at("fifo"), EVF_TEXT));
}
END_TEST

START_TEST(test_empty_profile_refused)
{
	struct policy p;
	struct policy_errors errs;
	const char *empty = at("empty.profile"), *cmt = at("cmt.profile");

	put(empty, "");
	put(cmt, "# only a comment\n\n   \t# and another\r\n");
	ck_assert_int_eq(profile_load_errs(empty, NULL, 0, &p, &errs), -1);
	ck_assert_ptr_nonnull(strstr(errs.msg[0], "empty profile"));
	ck_assert_int_eq(profile_load_errs(cmt, NULL, 0, &p, &errs), -1);
	put(cmt, "# a comment, then a setting\ntimeout.established = 1h\n");
	ck_assert_int_eq(profile_load_errs(cmt, NULL, 0, &p, &errs), 0);
}
END_TEST

/* ": > prod.profile; kill -HUP" must keep the profile in force. */
START_TEST(test_reload_of_emptied_profile_keeps_old)
{
	const char *path = at("prod.profile");
	const struct policy *before;
	char msg[2048];

	put(path, "name = prod\ntimeout.established = 2h4m\n");
	ck_assert_int_eq(livepol_init(path, NULL, 0), 0);
	before = livepol_current();
	put(path, "");
	ck_assert_int_eq(livepol_reload(1000, "SIGHUP", msg, sizeof(msg)), -1);
	ck_assert_ptr_nonnull(strstr(msg, "empty profile"));
	ck_assert_ptr_nonnull(strstr(msg, "keeping profile prod"));
	ck_assert_ptr_eq(livepol_current(), before);
	ck_assert_uint_eq(livepol_current()->timeout[TCP_ESTABLISHED], 7440ULL * NS_PER_SEC);
}
END_TEST

Suite *
suite_safefile(void)
{
	Suite *s = suite_create("safefile");
	TCase *tc = tcase_create("paths");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 10);
	tcase_add_test(tc, test_fifo_refused);
	tcase_add_test(tc, test_directory_named);
	tcase_add_test(tc, test_event_symlink_refused);
	tcase_add_test(tc, test_event_file_private);
	tcase_add_test(tc, test_empty_profile_refused);
	tcase_add_test(tc, test_reload_of_emptied_profile_keeps_old);
	suite_add_tcase(s, tc);
	return s;
}
