/* cmd_policy.c -- `natbox policy list | show | check`: the profile library from the command line. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "conform.h"
#include "profiles.h"
#include "log.h"
#include "policy.h"

static int policy_list(int argc, char **argv);
static int policy_show(int argc, char **argv);
static int policy_check(int argc, char **argv);
static int policy_conform(int argc, char **argv);

/* Drives dispatch and the usage text alike. */
static const struct {
	const char *name;
	int (*fn)(int argc, char **argv);
	const char *args;
	const char *help;
} subcmds[] = {
	{ "list", policy_list, "",
	  "every profile on the search path, with its description" },
	{ "show", policy_show, "NAME|FILE [--set key=value]... [--json]",
	  "the resolved profile, every key (file syntax, or JSON)" },
	{ "check", policy_check, "FILE...",
	  "print every error as file:line: message, or configuration OK" },
	{ "conform", policy_conform, "NAME|FILE [--set key=value]... [--json]",
	  "RFC 5382/4787/5508/7857 requirements, judged by running the profile" },
};

#define NSUBCMDS (sizeof(subcmds) / sizeof(subcmds[0]))

static int
usage(FILE *f, const char *only)
{
	const char *lead = "usage:";

	for (size_t i = 0; i < NSUBCMDS; i++) {
		if (only != NULL && strcmp(only, subcmds[i].name) != 0)
			continue;
		fprintf(f, "%-6s natbox policy %s%s%s\n", lead, subcmds[i].name,
		    subcmds[i].args[0] != '\0' ? " " : "", subcmds[i].args);
		lead = "";
	}
	if (only == NULL) {
		fprintf(f, "\n");
		for (size_t i = 0; i < NSUBCMDS; i++)
			fprintf(f, "  %-7s %s\n", subcmds[i].name, subcmds[i].help);
		fprintf(f, "\nProfiles are looked up in $NATBOX_POLICY_PATH "
		    "(colon-separated), policies/ next to the binary, then %s.\n",
		    NATBOX_POLICY_DIR);
	}
	return f == stdout ? 0 : 2;
}

int
cmd_policy(int argc, char **argv)
{
	if (argc < 2)
		return usage(stderr, NULL);
	if (strcmp(argv[1], "-h") == 0 || strcmp(argv[1], "--help") == 0 ||
	    strcmp(argv[1], "help") == 0)
		return usage(stdout, NULL);
	for (size_t i = 0; i < NSUBCMDS; i++)
		if (strcmp(argv[1], subcmds[i].name) == 0)
			return subcmds[i].fn(argc - 1, argv + 1);
	log_warnx("policy: unknown subcommand '%s'", argv[1]);
	return usage(stderr, NULL);
}

/* ---- list ---- */

struct entry {
	char *name, *path;
};

struct entries {
	struct entry *v;
	size_t n;
};

static void
collect(void *ctx, const char *name, const char *path)
{
	struct entries *e = ctx;
	struct entry *nv = realloc(e->v, (e->n + 1) * sizeof(*e->v));

	if (nv == NULL)
		fatal("realloc");
	e->v = nv;
	if ((e->v[e->n].name = strdup(name)) == NULL ||
	    (e->v[e->n].path = strdup(path)) == NULL)
		fatal("strdup");
	e->n++;
}

static int
by_name(const void *a, const void *b)
{
	return strcmp(((const struct entry *)a)->name, ((const struct entry *)b)->name);
}

/* One line a profile: name, then its description, aligned. A profile that
 * does not load says so instead (`policy check` gives the details). */
static int
policy_list(int argc, char **argv)
{
	struct entries e = { NULL, 0 };
	struct policy_errors *errs;
	struct policy p;
	int width = 0, rc = 0;

	(void)argv;
	if (argc != 1)
		return usage(stderr, "list");
	profile_foreach(collect, &e);
	if (e.n == 0) {
		log_warnx("no profiles found (set NATBOX_POLICY_PATH?)");
		return 1;
	}
	qsort(e.v, e.n, sizeof(*e.v), by_name);
	for (size_t i = 0; i < e.n; i++)
		if ((int)strlen(e.v[i].name) > width)
			width = (int)strlen(e.v[i].name);
	if ((errs = malloc(sizeof(*errs))) == NULL)
		fatal("malloc");
	for (size_t i = 0; i < e.n; i++) {
		if (profile_load_errs(e.v[i].path, NULL, 0, &p, errs) == 0)
			printf("%-*s  %s\n", width, e.v[i].name, p.description);
		else {
			printf("%-*s  (does not load: natbox policy check %s)\n",
			    width, e.v[i].name, e.v[i].path);
			rc = 1;
		}
		free(e.v[i].name);
		free(e.v[i].path);
	}
	free(errs);
	free(e.v);
	return rc;
}

/* ---- show ---- */

/* show's and conform's arguments: one NAME|FILE, --set KEY=VALUE...,
 * --json. 0 with *p loaded, or the exit status (usage shown, or the
 * profile's errors printed). */
static int
load_one(int argc, char **argv, const char *cmd, bool *json, struct policy *p)
{
	const char *what = NULL;
	char **sets;
	int nsets = 0, rc;

	*json = false;
	if ((sets = calloc((size_t)argc, sizeof(*sets))) == NULL)
		fatal("calloc");
	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--json") == 0)
			*json = true;
		else if (strcmp(argv[i], "--set") == 0 && i + 1 < argc)
			sets[nsets++] = argv[++i];
		else if (strncmp(argv[i], "--set=", 6) == 0)
			sets[nsets++] = argv[i] + 6;
		else if (argv[i][0] == '-' && argv[i][1] != '\0') {
			log_warnx("policy %s: unknown or incomplete option '%s'", cmd, argv[i]);
			free(sets);
			return usage(stderr, cmd);
		} else if (what == NULL) {
			what = argv[i];
		} else {
			log_warnx("policy %s: one profile at a time", cmd);
			free(sets);
			return usage(stderr, cmd);
		}
	}
	if (what == NULL) {
		free(sets);
		return usage(stderr, cmd);
	}
	rc = profile_load(what, sets, nsets, p) != 0 ? 2 : 0;
	free(sets);
	return rc;
}

static int
policy_show(int argc, char **argv)
{
	char *buf;
	int rc;
	bool json;
	struct policy p;
	size_t need;

	if ((rc = load_one(argc, argv, "show", &json, &p)) != 0)
		return rc;

	need = json ? policy_format_json(&p, NULL, 0) : policy_format(&p, NULL, 0);
	if ((buf = malloc(need + 1)) == NULL)
		fatal("malloc");
	if (json) {
		policy_format_json(&p, buf, need + 1);
		printf("%s\n", buf);
	} else {
		policy_format(&p, buf, need + 1);
		/* the output is itself a profile: this line is a comment */
		if (p.inherit[0] != '\0')
			printf("# %s, resolved (inherits %s)\n", p.name, p.inherit);
		else
			printf("# %s, resolved\n", p.name);
		fputs(buf, stdout);
	}
	free(buf);
	if (fflush(stdout) != 0) {
		log_warn("stdout");
		return 1;
	}
	return 0;
}

/* ---- check ---- */

/* Like pfctl -n: every error of every file, or "configuration OK" for
 * each good one (prefixed with its name when several are checked). */
static int
policy_check(int argc, char **argv)
{
	struct policy_errors *errs;
	struct policy p;
	int rc = 0;

	if (argc < 2)
		return usage(stderr, "check");
	if ((errs = malloc(sizeof(*errs))) == NULL)
		fatal("malloc");
	for (int i = 1; i < argc; i++) {
		if (profile_load_errs(argv[i], NULL, 0, &p, errs) == 0) {
			if (argc > 2)
				printf("%s: configuration OK\n", argv[i]);
			else
				printf("configuration OK\n");
			continue;
		}
		rc = 2;
		for (unsigned j = 0; j < errs->count && j < 32; j++)
			fprintf(stderr, "%s\n", errs->msg[j]);
		if (errs->count > 32)
			fprintf(stderr, "... and %u more errors\n", errs->count - 32);
	}
	free(errs);
	return rc;
}

/* ---- conform ---- */

/* The profile run on a virtual clock through crafted packet sequences
 * (conform.h): each requirement's verdict is what its engine did, with
 * translation switched on (documentation addresses) so its nat.*
 * behaviour shows whether or not the profile sets nat.outside. */
static int
policy_conform(int argc, char **argv)
{
	char *buf;
	int rc;
	bool json;
	struct policy p;
	struct conform_report *r;
	size_t need;

	if ((rc = load_one(argc, argv, "conform", &json, &p)) != 0)
		return rc;
	if ((r = malloc(sizeof(*r))) == NULL)
		fatal("malloc");
	if (conform_run(&p, CA_ALL, r) != 0)
		fatal("conform: out of memory");
	need = json ? conform_format_json(r, NULL, 0) : conform_format(r, NULL, 0);
	if ((buf = malloc(need + 1)) == NULL)
		fatal("malloc");
	if (json)
		conform_format_json(r, buf, need + 1);
	else
		conform_format(r, buf, need + 1);
	if (!json)
		printf("%s: requirements judged on a virtual clock\n\n", p.name);
	printf("%s%s", buf, json ? "\n" : "");
	free(buf);
	free(r);
	if (fflush(stdout) != 0) {
		log_warn("stdout");
		return 1;
	}
	return 0;
}
