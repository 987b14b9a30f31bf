/* livepol_tb.h -- the live profile's unit tests' bench: a clock stretch of
 * their own per test, profile files in a temporary directory, the change
 * log read back. */
#ifndef NATBOX_LIVEPOL_TB_H
#define NATBOX_LIVEPOL_TB_H

#include <check.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "livepol.h"
#include "log.h"
#include "suites.h"
#include "tcpfsm.h"

#define SEC	NS_PER_SEC
#define MS	(NS_PER_SEC / 1000)
#define NELEM(a) (sizeof(a) / sizeof((a)[0]))
#define NARGS(...) ((int)NELEM(((char *[]){ __VA_ARGS__ })))

/* livepol_set/unset over words, the reply in msg. */
#define SET(for_ns, now, ...) livepol_set((char *[]){ __VA_ARGS__ }, NARGS(__VA_ARGS__), \
	(for_ns), (now), msg, sizeof(msg))
#define UNSET(now, ...) livepol_unset((char *[]){ __VA_ARGS__ }, NARGS(__VA_ARGS__), \
	false, (now), msg, sizeof(msg))
#define UNSET_ALL(now) livepol_unset(NULL, 0, true, (now), msg, sizeof(msg))

#ifdef __SANITIZE_ADDRESS__
/* ASan's count of live heap bytes (sanitizer/allocator_interface.h,
 * which GCC does not ship). */
size_t __sanitizer_get_current_allocated_bytes(void);
#endif

static char msg[2048];
static struct livepol_change chg[LIVEPOL_CHANGES + 16];

/* livepol_free() keeps the generation counter and the change log (natbox
 * starts once per process), so with CK_FORK=no a test sees the changes of
 * the tests before it. Each test gets its own stretch of clock, far from
 * the others', and looks at the log from t0 on. */
static uint64_t t0;
extern uint64_t livepol_tb_epoch;	/* one count for every file's tests */
#define AT(s) (t0 + (uint64_t)(s) * SEC)

/* Profiles written for one test; removed by the teardown. */
static char tmpdir[64];
static char tmppath[8][128];
static int ntmp;
static int saved_stderr = -1;

static inline void
setup(void)
{
	log_init(-1, false);	/* no notice line for every change */
	livepol_tb_epoch++;
	t0 = livepol_tb_epoch << 46;	/* about 19 hours apart */
	msg[0] = '\0';
	tmpdir[0] = '\0';
	ntmp = 0;
}

static inline void
stderr_restore(void)
{
	if (saved_stderr < 0)
		return;
	fflush(stderr);
	dup2(saved_stderr, STDERR_FILENO);
	close(saved_stderr);
	saved_stderr = -1;
}

static inline void
teardown(void)
{
	stderr_restore();
	livepol_free();
	for (int i = 0; i < ntmp; i++)
		unlink(tmppath[i]);
	if (tmpdir[0] != '\0')
		rmdir(tmpdir);
}

/* profile_load prints a failed start's errors: keep them out of the run. */
static inline void
stderr_quiet(void)
{
	int fd = open("/dev/null", O_WRONLY);

	ck_assert_int_ge(fd, 0);
	fflush(stderr);
	saved_stderr = dup(STDERR_FILENO);
	ck_assert_int_ge(saved_stderr, 0);
	dup2(fd, STDERR_FILENO);
	close(fd);
}

/* Write FILE in this test's directory (again: the same path); its path. */
static inline const char *
tmp_file(const char *file, const char *text)
{
	char path[128];
	FILE *f;
	int i;

	if (tmpdir[0] == '\0') {
		snprintf(tmpdir, sizeof(tmpdir), "/tmp/natbox-livepol.XXXXXX");
		ck_assert_ptr_nonnull(mkdtemp(tmpdir));
	}
	snprintf(path, sizeof(path), "%s/%s", tmpdir, file);
	for (i = 0; i < ntmp && strcmp(tmppath[i], path) != 0; i++)
		;
	if (i == ntmp) {
		ck_assert_int_lt(ntmp, (int)NELEM(tmppath));
		snprintf(tmppath[ntmp++], sizeof(tmppath[0]), "%s", path);
	}
	ck_assert_ptr_nonnull(f = fopen(path, "w"));
	fputs(text, f);
	ck_assert_int_eq(fclose(f), 0);
	return tmppath[i];
}

static inline char *
slurp(const char *path)
{
	static char buf[8192];
	FILE *f = fopen(path, "r");
	size_t n;

	ck_assert_ptr_nonnull(f);
	n = fread(buf, 1, sizeof(buf) - 1, f);
	buf[n] = '\0';
	fclose(f);
	return buf;
}

static inline void
init(const char *name)
{
	ck_assert_int_eq(livepol_init(name, NULL, 0), 0);
}

static inline const struct policy *
pol(void)
{
	const struct policy *p = livepol_current();

	ck_assert_ptr_nonnull(p);
	return p;
}

static inline unsigned
generation(void)
{
	struct policy p;

	return livepol_snapshot(&p);
}

/* This test's changes, oldest first. */
static inline unsigned
changes(void)
{
	return livepol_changes(t0, UINT64_MAX, chg, NELEM(chg));
}

static inline void
ck_change(unsigned i, const char *what, uint64_t ts, const char *key,
    const char *value, const char *profile, unsigned gen)
{
	ck_assert_str_eq(chg[i].change, what);
	ck_assert_uint_eq(chg[i].ts, ts);
	ck_assert_str_eq(chg[i].key, key);
	ck_assert_str_eq(chg[i].value, value);
	ck_assert_str_eq(chg[i].profile, profile);
	ck_assert_uint_eq(chg[i].gen, gen);
}

/* "# ctl set" lines of the text description: the overrides listed. */
static inline int
count_overrides(void)
{
	struct strbuf sb;
	int n = 0;

	sb_init(&sb, 1 << 20);
	livepol_describe(t0, false, &sb);
	for (const char *l = sb.buf; (l = strstr(l, "# ctl set ")) != NULL; l++)
		n++;
	sb_free(&sb);
	return n;
}

static inline char *expect(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* A message as printf would write it (fills in generations, paths). */
static inline char *
expect(const char *fmt, ...)
{
	static char buf[1024];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	return buf;
}

#define ck_prefix(s, prefix) do {					\
	const char *s_ = (s), *p_ = (prefix);				\
									\
	ck_assert_ptr_nonnull(s_);					\
	ck_assert_msg(strncmp(s_, p_, strlen(p_)) == 0,			\
	    "'%.300s'\ndoes not start with\n'%.300s'", s_, p_);		\
} while (0)

#endif
