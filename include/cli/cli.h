/* cli.h -- the subcommands main() dispatches to. */
#ifndef NATBOX_CLI_H
#define NATBOX_CLI_H

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

#endif
