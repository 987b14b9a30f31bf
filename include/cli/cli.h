/* cli.h -- the subcommands main() dispatches to. */
#ifndef NATBOX_CLI_H
#define NATBOX_CLI_H

#include <stdbool.h>

/* Subcommands: argv[0] is the subcommand name. Return the exit status:
 * 0 ok, 1 runtime failure, 2 usage or configuration error. */
int cmd_policy(int argc, char **argv);
int cmd_run(int argc, char **argv);
int cmd_replay(int argc, char **argv);
int cmd_compare(int argc, char **argv);
int cmd_suggest(int argc, char **argv);
int cmd_ctl(int argc, char **argv);
int cmd_top(int argc, char **argv);
int cmd_rules(int argc, char **argv);
int cmd_probe(int argc, char **argv);
/* natbox probe rules (cmd_proberules.c): argv[0] "rules" */
int cmd_probe_rules(int argc, char **argv);
int cmd_nfacct(int argc, char **argv);

/* The nfacct match every queue rule for queues lo..hi carries (" -m nfacct
 * --nfacct-name natbox-qN"), and the command that adds its counter (before
 * the rules) or deletes it (del: after them), with a comment; cmd_rules.c. */
void rules_counter_match(unsigned lo, unsigned hi, char *buf, size_t cap);
void rules_counter(unsigned lo, unsigned hi, bool del);

/* natbox rules --nat (cmd_rules_nat.c): the router set-up for translation
 * with the pool of profile policy (and sets), printed. */
struct rules_nat {
	const char *inside, *outside;	/* interfaces */
	unsigned queue;
	const char *policy;
	char *const *sets;
	int nsets;
	bool del;			/* the teardown */
};
int rules_nat(const struct rules_nat *r);

#endif
