/* cmd_ctl.c -- `natbox ctl`: ask a running natbox over its control socket, print the answer. */
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "ctl_proto.h"
#include "ctlc.h"
#include "ctlc_view.h"
#include "log.h"
#include "opts.h"
#include "strbuf.h"
#include "top.h"

static void
flows_pretty(FILE *out, char *body)
{
	struct ctlc_view_opts vo = { .color = false };

	ctlc_view_flows(out, body, &vo);
}

enum { F_JSON = 1, F_PROM = 2, F_PRETTY = 4, F_WATCH = 8 };
enum outmode { OUT_AUTO, OUT_PRETTY, OUT_DUMP, OUT_JSON, OUT_PROM };

/* Drives dispatch and the usage text alike. */
static const struct {
	const char *name, *args, *help;
	unsigned flags;
	void (*pretty)(FILE *out, char *body);
} cmds[] = {
	{ "flows", "[FILTER] [--watch]",
	  "the flow table: endpoints, state, half-close facts, timer left, packets, bytes, drops",
	  F_JSON | F_PRETTY | F_WATCH, flows_pretty },
	{ "explain", "FLOW|FILTER",
	  "one flow's history: state changes, timers, drops and why, profile changes",
	  F_JSON | F_PRETTY, ctlc_view_explain },
	{ "stats", "",
	  "counters by event and drop reason, flows by state, kernel queue figures, per queue",
	  F_JSON | F_PROM | F_PRETTY, ctlc_view_stats },
	{ "set", "KEY=VALUE... [--for DURATION]",
	  "change settings of the running profile; with --for they revert by themselves", 0, NULL },
	{ "unset", "KEY...|--all", "drop settings made with set (back to the profile's)", 0, NULL },
	{ "policy", "[NAME|FILE]", "show the profile in force and its changes, or switch profile",
	  F_JSON, NULL },
	{ "reload", "", "read the profile file again and apply it, settings kept", 0, NULL },
	{ "flush", "[FILTER]", "end flows: all of them, or those the filter matches", 0, NULL },
	{ "mappings", "",
	  "the NAT table: inside and outside endpoints, flows, age; resting ports", F_JSON, NULL },
	{ "rebind", "FLOW|FILTER|all",
	  "move translated flows to new external ports now (connection migration tests)", 0, NULL },
};

#define NCMDS (sizeof(cmds) / sizeof(cmds[0]))

struct copts {
	const char *path;
	long queue;
	enum outmode out;
	bool watch;
	double interval;
	long count;
};

static int
usage(FILE *f)
{
	fprintf(f, "usage: natbox ctl [--ctl PATH | --queue N] COMMAND [ARGS] "
	    "[--json | --prom | --dump | --pretty]\n       natbox top [--ctl PATH | --queue N] "
	    "[FILTER] [--interval SECS]\n\n");
	for (size_t i = 0; i < NCMDS; i++)
		fprintf(f, "  %-7s%s%s\n          %s\n", cmds[i].name, cmds[i].args[0] ? " " : "",
		    cmds[i].args, cmds[i].help);
	fprintf(f, "\nFILTER: state or group (fin_wait, half-closed, closing, opening, expired, all),\n"
	    "  src|dst|addr ADDR[/LEN], sport|dport|port N, queue N, flow [Q:]N, -4, -6.\n"
	    "FLOW: the FLOW column of `flows` (N or QUEUE:N), or a FILTER.\n"
	    "Output: pretty on a terminal, else the dump form (tab-separated flows,\n"
	    "key=value stats); --json where it applies, --prom for stats.\n"
	    "flows --watch (natbox top): refreshes every --interval (1s); q quits.\n"
	    "The socket: --ctl PATH, $NATBOX_CTL, --queue N (%s/natbox-N.sock),\n"
	    "or the only one in %s.\n", CTL_DIR, CTL_DIR);
	return f == stdout ? 0 : 2;
}

/* A profile given as a path is read by the daemon: make it absolute. */
static char *
abs_profile(char *arg, char *buf)
{
	size_t n = strlen(arg);

	if (!strchr(arg, '/') && !(n > 8 && strcmp(arg + n - 8, ".profile") == 0))
		return arg;
	return realpath(arg, buf) ? buf : arg;
}

/* An option that takes a value: its value, or NULL (said so) if none. */
static const char *
value_of(int argc, char **argv, int *i)
{
	if (*i + 1 >= argc) {
		log_warnx("ctl: %s needs a value", argv[*i]);
		return NULL;
	}
	return argv[++*i];
}

/* One option at argv[*i] (with its value, *i moves past it); 0, or -1
 * with a message. Not an option: a word of the request. */
static int
parse_opt(int argc, char **argv, int *i, struct copts *o, char **words, int *nw)
{
	const char *a = argv[*i], *v;
	unsigned long long n;
	char *end;

	if (!strcmp(a, "--ctl") || !strcmp(a, "-s")) {
		if ((o->path = value_of(argc, argv, i)) == NULL)
			return -1;
	} else if (!strncmp(a, "--ctl=", 6)) {
		o->path = a + 6;
	} else if (!strcmp(a, "--queue") || !strcmp(a, "-q")) {
		if ((v = value_of(argc, argv, i)) == NULL)
			return -1;
		if (get_unsigned(&n, v, 0, 65535) < 0) {
			log_warnx("ctl: --queue %s: expected 0-65535", v);
			return -1;
		}
		o->queue = (long)n;
	} else if (!strcmp(a, "--json") || !strcmp(a, "-j")) {
		o->out = OUT_JSON;
	} else if (!strcmp(a, "--prom")) {
		o->out = OUT_PROM;
	} else if (!strcmp(a, "--dump")) {
		o->out = OUT_DUMP;
	} else if (!strcmp(a, "--pretty") || !strcmp(a, "-p")) {
		o->out = OUT_PRETTY;
	} else if (!strcmp(a, "--watch") || !strcmp(a, "-w")) {
		o->watch = true;
	} else if (!strcmp(a, "--interval")) {
		if ((v = value_of(argc, argv, i)) == NULL)
			return -1;
		o->interval = strtod(v, &end);
		if (*end == 's')
			end++;
		if (*end || o->interval < 0.1 || o->interval > 3600) {
			log_warnx("ctl: --interval %s: expected seconds, 0.1-3600", v);
			return -1;
		}
	} else if (!strcmp(a, "--count")) {
		if ((v = value_of(argc, argv, i)) == NULL)
			return -1;
		if (get_unsigned(&n, v, 1, LONG_MAX) < 0) {
			log_warnx("ctl: --count %s: expected a positive number", v);
			return -1;
		}
		o->count = (long)n;
	} else {
		words[(*nw)++] = argv[*i];
	}
	return 0;
}

/* The command words[0] names, if it takes the output asked for; -1 (said
 * so) if not. */
static int
find_cmd(const struct copts *o, char **words)
{
	size_t ci;

	for (ci = 0; ci < NCMDS && strcmp(words[0], cmds[ci].name) != 0; ci++)
		;
	if (ci == NCMDS) {
		log_warnx("ctl: unknown command '%s'", words[0]);
		return -1;
	}
	if ((o->out == OUT_JSON && !(cmds[ci].flags & F_JSON)) ||
	    (o->out == OUT_PROM && !(cmds[ci].flags & F_PROM)) ||
	    (o->watch && !(cmds[ci].flags & F_WATCH))) {
		log_warnx("ctl %s: no %s form", cmds[ci].name,
		    o->watch ? "--watch" : o->out == OUT_JSON ? "--json" : "--prom");
		return -1;
	}
	return (int)ci;
}

/* One request, its answer printed as asked. */
static int
ask(const struct copts *o, size_t ci, const char *path, char **words, int nw)
{
	void (*pretty)(FILE *, char *) = NULL;
	FILE *stream = NULL;
	struct strbuf body;
	char err[4096];
	int fd, rc;

	if (o->out == OUT_JSON)
		words[nw++] = "--json";
	else if (o->out == OUT_PROM)
		words[nw++] = "--prom";
	if ((cmds[ci].flags & F_PRETTY) &&
	    (o->out == OUT_PRETTY || (o->out == OUT_AUTO && isatty(STDOUT_FILENO))))
		pretty = cmds[ci].pretty;
	else
		stream = stdout;
	if ((fd = ctlc_connect(path, false)) < 0)
		return 1;
	sb_init(&body, CTLC_REPLY_MAX);
	rc = ctlc_request(fd, words, nw, stream, &body, err, sizeof(err));
	close(fd);
	if (rc == 0 && pretty)
		pretty(stdout, body.buf ? body.buf : (char[]){ "" });
	fflush(stdout);
	sb_free(&body);
	if (rc != 0) {
		log_warnx("ctl %s: %s", cmds[ci].name, err);
		return 1;
	}
	return 0;
}

int
cmd_ctl(int argc, char **argv)
{
	struct copts o = { .queue = -1, .out = OUT_AUTO, .interval = 1.0 };
	char **words, path[PATH_MAX], absbuf[PATH_MAX];
	int nw = 0, rc, ci;

	if ((words = calloc((size_t)argc + 2, sizeof(*words))) == NULL)
		fatal("calloc");
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i];

		if (!strcmp(a, "-h") || !strcmp(a, "--help") || (nw == 0 && !strcmp(a, "help"))) {
			free(words);
			return usage(stdout);
		}
		if (parse_opt(argc, argv, &i, &o, words, &nw) < 0)
			goto bad;
	}
	if (nw == 0) {
		free(words);
		return usage(stderr);
	}
	if ((ci = find_cmd(&o, words)) < 0)
		goto bad;
	if (strcmp(words[0], "policy") == 0 && nw == 2)
		words[1] = abs_profile(words[1], absbuf);
	if (ctlc_find(o.path, o.queue, path, sizeof(path)) < 0) {
		free(words);
		return 1;
	}
	if (o.watch && o.out == OUT_JSON) {
		log_warnx("ctl flows --watch: no --json form");
		goto bad;
	}
	if (o.watch) {
		if (nw == 1)	/* a live view shows expired flows too: drops go there */
			words[nw++] = "all";
		rc = top_watch(path, words, nw, o.interval, o.count);
	} else {
		rc = ask(&o, (size_t)ci, path, words, nw);
	}
	free(words);
	return rc;

bad:
	free(words);
	usage(stderr);
	return 2;
}
