/* main.c -- natbox's subcommand table: it drives dispatch and the usage text. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"

/* Weak: a subcommand whose front is not linked in is simply not offered. */
#pragma weak cmd_run
#pragma weak cmd_replay
#pragma weak cmd_compare
#pragma weak cmd_suggest
#pragma weak cmd_ctl
#pragma weak cmd_top

static const struct {
	const char *name;
	int (*fn)(int argc, char **argv);
	const char *args;
	const char *description;
} subcommands[] = {
	{ "run", cmd_run, "--queue N[-M] --policy NAME|FILE [--set k=v]... [--events -|FILE] [--format text|json]",
	  "sit inline on an NFQUEUE and give every packet its verdict" },
	{ "replay", cmd_replay, "CAPTURE --policy NAME|FILE [--set k=v]... [--events -|FILE]",
	  "run a capture through the engine with capture time as the clock" },
	{ "compare", cmd_compare, "CAPTURE --policy A --policy B...",
	  "which profiles would have broken which flows of a capture" },
	{ "suggest", cmd_suggest, "CAPTURE", "the smallest timeouts that break none of a capture's flows" },
	{ "policy", cmd_policy, "list | show NAME|FILE [--json] | check FILE...",
	  "list, show and check profiles" },
	{ "ctl", cmd_ctl, "[--ctl PATH] flows|explain|stats|set|unset|policy|reload|flush ...",
	  "look into and steer a running natbox over its control socket" },
	{ "top", cmd_top, "[--ctl PATH] [FILTER]", "the flow table live: timers counting down, drops as they happen" },
	{ "rules", cmd_rules, "--queue N[-M] [-4|-6] [--delete]",
	  "print the iptables commands that send TCP to natbox's queue" },
};

#define NSUB (sizeof(subcommands) / sizeof(subcommands[0]))

static void
usage(FILE *out)
{
	fprintf(out, "usage: natbox COMMAND [ARGS]\n\n");
	for (size_t i = 0; i < NSUB; i++)
		if (subcommands[i].fn)
			fprintf(out, "  natbox %-8s %s\n           %s\n", subcommands[i].name,
			    subcommands[i].args, subcommands[i].description);
	fprintf(out, "\nProfiles are looked up by name in $NATBOX_POLICY_PATH, the checkout's\n"
	    "policies/ and the installed profile directory.\n");
}

int
main(int argc, char **argv)
{
	if (argc < 2) {
		usage(stderr);
		return 2;
	}
	if (!strcmp(argv[1], "-h") || !strcmp(argv[1], "--help") || !strcmp(argv[1], "help")) {
		usage(stdout);
		return 0;
	}
	for (size_t i = 0; i < NSUB; i++)
		if (subcommands[i].fn && !strcmp(argv[1], subcommands[i].name))
			return subcommands[i].fn(argc - 1, argv + 1);
	fprintf(stderr, "natbox: unknown command '%s'\n\n", argv[1]);
	usage(stderr);
	return 2;
}
