/* cli.h -- subcommands and the profile loader shared by the fronts. */
#ifndef NATBOX_CLI_H
#define NATBOX_CLI_H

#include "policy.h"

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

/* Load profile NAME (looked up in $NATBOX_POLICY_PATH, ./policies next to
 * the binary's checkout, then the installed directory) or FILE (contains a
 * '/' or ends in .profile), resolving `inherit`. Then apply each
 * "key=value" of sets (origin "--set"). On error prints every
 * "file:line: message" to stderr and returns -1. */
int profile_load(const char *name_or_file, char *const *sets, int nsets,
    struct policy *p);
/* Same, errors returned instead of printed (reload keeps the old one). */
int profile_load_errs(const char *name_or_file, char *const *sets, int nsets,
    struct policy *p, struct policy_errors *errs);

/* Call fn for each profile file found by name, search path order, first
 * one of each name only. Returns the count. */
int profile_foreach(void (*fn)(void *ctx, const char *name, const char *path), void *ctx);

#endif
