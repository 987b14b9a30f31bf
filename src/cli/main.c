/* main.c -- natbox's subcommand table: it drives dispatch and the usage text. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"

/* Names and one-line descriptions only: each command owns its usage and
 * options (`natbox COMMAND --help`), as wireguard-tools' wg.c does. */
static const struct {
	const char *name;
	int (*fn)(int argc, char **argv);
	const char *description;
} subcommands[] = {
	{ "run", cmd_run, "sit inline on an NFQUEUE and give every packet its verdict" },
	{ "replay", cmd_replay, "run a capture through the engine with capture time as the clock" },
	{ "compare", cmd_compare, "which profiles would have broken which flows of a capture" },
	{ "suggest", cmd_suggest, "the smallest timeouts that break none of a capture's flows" },
	{ "policy", cmd_policy, "list, show and check profiles" },
	{ "ctl", cmd_ctl, "look into and steer a running natbox over its control socket" },
	{ "top", cmd_top, "the flow table live: timers counting down, drops as they happen" },
	{ "probe", cmd_probe, "measure a NAT or firewall from both sides and write its profile" },
	{ "rules", cmd_rules, "print the iptables commands that send TCP to natbox's queue" },
	{ "nfacct", cmd_nfacct, "add, delete or read the counter natbox's queue rules carry" },
};

#define NSUB (sizeof(subcommands) / sizeof(subcommands[0]))

static void
usage(FILE *out)
{
	fprintf(out, "usage: natbox COMMAND [ARGS]\n\n");
	for (size_t i = 0; i < NSUB; i++)
		fprintf(out, "  %-8s %s\n", subcommands[i].name, subcommands[i].description);
	fprintf(out, "\n`natbox COMMAND --help` shows a command's usage and options.\n"
	    "Profiles are looked up by name in $NATBOX_POLICY_PATH, the checkout's\n"
	    "policies/ and the installed profile directory.\n");
}

int
main(int argc, char **argv)
{
	if (argc < 2) {
		usage(stderr);
		return 2;
	}
	if (!strcmp(argv[1], "help") && argc == 3) {
		/* natbox help COMMAND: the command's own usage */
		static char help[] = "--help";

		argv[1] = argv[2];
		argv[2] = help;
	} else if (!strcmp(argv[1], "-h") || !strcmp(argv[1], "--help") || !strcmp(argv[1], "help")) {
		usage(stdout);
		return 0;
	}
	for (size_t i = 0; i < NSUB; i++)
		if (!strcmp(argv[1], subcommands[i].name))
			return subcommands[i].fn(argc - 1, argv + 1);
	fprintf(stderr, "natbox: unknown command '%s'\n\n", argv[1]);
	usage(stderr);
	return 2;
}
