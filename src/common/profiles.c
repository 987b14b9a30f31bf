/* profiles.c -- find profiles on the search path, read them, and resolve inherit for the core parser. */
#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "profiles.h"
#include "log.h"
#include "policy.h"
#include "safefile.h"

#ifndef NATBOX_POLICY_DIR
#define NATBOX_POLICY_DIR "/usr/local/share/natbox/policies"
#endif

#define MAX_DIRS	32
#define MAX_TEXTS	16		/* a parse reads at most 1 + 8 files */
#define MAX_FILE	(1024 * 1024)	/* a profile is a page of text */
#define SUFFIX		".profile"

/* The search path, in order: the directory of a FILE argument (so a
 * profile can inherit its neighbours), each directory of
 * $NATBOX_POLICY_PATH, policies/ of the checkout the binary runs from,
 * and the installed directory. */
struct search {
	char *dirs[MAX_DIRS];
	int n;
};

static void
search_add(struct search *s, const char *dir, size_t len)
{
	char *d;

	if (len == 0 || s->n == MAX_DIRS)
		return;
	for (int i = 0; i < s->n; i++)
		if (strlen(s->dirs[i]) == len && strncmp(s->dirs[i], dir, len) == 0)
			return;
	if ((d = strndup(dir, len)) == NULL)
		fatal("strndup");
	s->dirs[s->n++] = d;
}

static void
search_init(struct search *s, const char *file_dir)
{
	const char *env = getenv("NATBOX_POLICY_PATH");
	char exe[PATH_MAX];
	ssize_t n;

	s->n = 0;
	if (file_dir != NULL)
		search_add(s, file_dir, strlen(file_dir));
	for (const char *p = env; p != NULL && *p != '\0';) {
		const char *colon = strchr(p, ':');
		size_t len = colon != NULL ? (size_t)(colon - p) : strlen(p);

		search_add(s, p, len);
		p = colon != NULL ? colon + 1 : NULL;
	}
	n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
	if (n > 0) {
		char *slash;

		exe[n] = '\0';
		if ((slash = strrchr(exe, '/')) != NULL &&
		    (size_t)(slash - exe) + sizeof("/policies") <= sizeof(exe)) {
			strcpy(slash, "/policies");
			search_add(s, exe, strlen(exe));
		}
	}
	search_add(s, NATBOX_POLICY_DIR, strlen(NATBOX_POLICY_DIR));
}

static void
search_free(struct search *s)
{
	while (s->n > 0)
		free(s->dirs[--s->n]);
}

/* The whole file, NUL-terminated; NULL with errno on failure. */
static char *
read_file(const char *path, size_t *len)
{
	FILE *f;
	char *buf;
	size_t n = 0, cap = 4096;
	int saved;

	if ((f = safe_fopen_read(path)) == NULL)
		return NULL;
	if ((buf = malloc(cap)) == NULL)
		goto fail;
	for (;;) {
		size_t got = fread(buf + n, 1, cap - n - 1, f);

		n += got;
		if (got == 0)
			break;
		if (n + 1 == cap) {
			char *nb;

			if (cap >= MAX_FILE) {
				errno = EFBIG;
				goto fail;
			}
			if ((nb = realloc(buf, cap * 2)) == NULL)
				goto fail;
			buf = nb;
			cap *= 2;
		}
	}
	if (ferror(f)) {
		errno = EIO;
		goto fail;
	}
	fclose(f);
	buf[n] = '\0';
	*len = n;
	return buf;
fail:
	saved = errno;
	free(buf);
	fclose(f);
	errno = saved;
	return NULL;
}

/* No line but blanks and comments: a file emptied by mistake (": > x;
 * kill -HUP") must not turn into the built-in defaults. */
static bool
no_settings(const char *text)
{
	for (const char *l = text; *l; ) {
		l += strspn(l, " \t\r");
		if (*l != '\n' && *l != '#' && *l != '\0')
			return false;
		l += strcspn(l, "\n");
		l += *l == '\n';
	}
	return true;
}

static bool
is_file_arg(const char *arg)
{
	size_t n = strlen(arg);

	return strchr(arg, '/') != NULL ||
	    (n >= sizeof(SUFFIX) - 1 && strcmp(arg + n - (sizeof(SUFFIX) - 1), SUFFIX) == 0);
}

/* dir/NAME.profile into buf; false if it does not fit. */
static bool
profile_path(char *buf, size_t cap, const char *dir, const char *name)
{
	int n = snprintf(buf, cap, "%s/%s" SUFFIX, dir, name);

	return n > 0 && (size_t)n < cap;
}

/* What the resolver hands out stays here until the parse is over. */
struct loader {
	struct search search;
	char *texts[MAX_TEXTS];
	char *paths[MAX_TEXTS];
	int n;
};

static int
loader_lookup(void *ctx, const char *name, const char **text, size_t *len,
    const char **path)
{
	struct loader *l = ctx;
	char buf[PATH_MAX];

	if (l->n == MAX_TEXTS || strchr(name, '/') != NULL)
		return -1;
	for (int i = 0; i < l->search.n; i++) {
		char *t;

		if (!profile_path(buf, sizeof(buf), l->search.dirs[i], name))
			continue;
		if ((t = read_file(buf, len)) == NULL)
			continue;	/* missing here; try the next directory */
		if ((l->paths[l->n] = strdup(buf)) == NULL)
			fatal("strdup");
		l->texts[l->n] = t;
		*text = t;
		*path = l->paths[l->n];
		l->n++;
		return 0;
	}
	return -1;
}

static void
loader_free(struct loader *l)
{
	while (l->n > 0) {
		l->n--;
		free(l->texts[l->n]);
		free(l->paths[l->n]);
	}
	search_free(&l->search);
}

static void errs_add(struct policy_errors *errs, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static void
errs_add(struct policy_errors *errs, const char *fmt, ...)
{
	va_list ap;

	if (errs->count < sizeof(errs->msg) / sizeof(errs->msg[0])) {
		va_start(ap, fmt);
		vsnprintf(errs->msg[errs->count], sizeof(errs->msg[0]), fmt, ap);
		va_end(ap);
	}
	errs->count++;
}

int
profile_load_errs(const char *name_or_file, char *const *sets, int nsets,
    struct policy *p, struct policy_errors *errs)
{
	struct policy_resolver res;
	struct loader l;
	struct policy tmp;
	char path[PATH_MAX], *text = NULL, *dir = NULL, *slash;
	size_t len = 0;

	memset(errs, 0, sizeof(*errs));
	memset(&l, 0, sizeof(l));
	if (is_file_arg(name_or_file)) {
		if (snprintf(path, sizeof(path), "%s", name_or_file) >= (int)sizeof(path)) {
			errs_add(errs, "%.64s...: path too long", name_or_file);
			return -1;
		}
		slash = strrchr(path, '/');
		dir = slash == NULL ? strdup(".") :
		    strndup(path, slash == path ? 1 : (size_t)(slash - path));
		if (dir == NULL)
			fatal("strndup");
		search_init(&l.search, dir);
		free(dir);
		if ((text = read_file(path, &len)) == NULL) {
			errs_add(errs, "%s: %s", path, safe_strerror(errno));
			loader_free(&l);
			return -1;
		}
	} else {
		search_init(&l.search, NULL);
		for (int i = 0; i < l.search.n && text == NULL; i++)
			if (profile_path(path, sizeof(path), l.search.dirs[i], name_or_file))
				text = read_file(path, &len);
		if (text == NULL) {
			errs_add(errs, "unknown profile '%s' (natbox policy list shows them)",
			    name_or_file);
			loader_free(&l);
			return -1;
		}
	}

	if (no_settings(text)) {
		errs_add(errs, "%s: empty profile: no key = value line in it", path);
		free(text);
		loader_free(&l);
		return -1;
	}
	res.lookup = loader_lookup;
	res.ctx = &l;
	policy_parse(&tmp, path, text, len, &res, errs);
	free(text);
	loader_free(&l);
	/* --set applies on top, even after file errors, so one run shows
	 * every mistake */
	for (int i = 0; i < nsets; i++)
		policy_set(&tmp, "--set", sets[i], errs);
	if (errs->count != 0)
		return -1;
	*p = tmp;
	return 0;
}

/* Print a parse's errors as pfctl does: "file:line: message", one a line. */
static void
print_errs(const struct policy_errors *errs)
{
	unsigned shown = errs->count;

	if (shown > sizeof(errs->msg) / sizeof(errs->msg[0]))
		shown = sizeof(errs->msg) / sizeof(errs->msg[0]);
	for (unsigned i = 0; i < shown; i++)
		fprintf(stderr, "%s\n", errs->msg[i]);
	if (errs->count > shown)
		fprintf(stderr, "... and %u more errors\n", errs->count - shown);
}

int
profile_load(const char *name_or_file, char *const *sets, int nsets,
    struct policy *p)
{
	struct policy_errors *errs;
	int rc;

	/* 6 KiB: off the stack, the fronts run with small thread stacks */
	if ((errs = malloc(sizeof(*errs))) == NULL)
		fatal("malloc");
	rc = profile_load_errs(name_or_file, sets, nsets, p, errs);
	if (rc != 0)
		print_errs(errs);
	free(errs);
	return rc;
}

static int
is_profile_entry(const struct dirent *de)
{
	size_t n = strlen(de->d_name);

	return de->d_name[0] != '.' && n > sizeof(SUFFIX) - 1 &&
	    strcmp(de->d_name + n - (sizeof(SUFFIX) - 1), SUFFIX) == 0;
}

int
profile_foreach(void (*fn)(void *ctx, const char *name, const char *path), void *ctx)
{
	struct search s;
	char **seen = NULL;
	int nseen = 0;

	search_init(&s, NULL);
	for (int i = 0; i < s.n; i++) {
		struct dirent **list;
		int n = scandir(s.dirs[i], &list, is_profile_entry, alphasort);

		if (n < 0) {
			if (errno != ENOENT && errno != ENOTDIR)
				log_warn("%s", s.dirs[i]);
			continue;
		}
		for (int j = 0; j < n; j++) {
			char *name = list[j]->d_name, path[PATH_MAX];
			bool dup = false;

			name[strlen(name) - (sizeof(SUFFIX) - 1)] = '\0';
			for (int k = 0; k < nseen && !dup; k++)
				dup = strcmp(seen[k], name) == 0;
			if (!dup && profile_path(path, sizeof(path), s.dirs[i], name)) {
				char **ns = realloc(seen, (size_t)(nseen + 1) * sizeof(*seen));

				if (ns == NULL || (ns[nseen] = strdup(name)) == NULL)
					fatal("realloc");
				seen = ns;
				nseen++;
				fn(ctx, name, path);
			}
			free(list[j]);
		}
		free(list);
	}
	for (int k = 0; k < nseen; k++)
		free(seen[k]);
	free(seen);
	search_free(&s);
	return nseen;
}
