/* opts.h -- the one number parser every command and parser uses, and the options several commands share. */
#ifndef NATBOX_OPTS_H
#define NATBOX_OPTS_H

#include <stdbool.h>
#include <stdint.h>

/* arg as a decimal number in lo..hi: digits only (no sign, no blanks, no
 * 0x), no overflow. 0 and *val set, or -1 and *val untouched (iproute2's
 * get_unsigned(), with the range checked in the same place). */
int get_unsigned(unsigned long long *val, const char *arg,
    unsigned long long lo, unsigned long long hi);

/* The same for an option: on failure logs "--NAME ARG: expected a number
 * LO..HI" and returns -1. */
int opt_unsigned(unsigned long long *val, const char *name, const char *arg,
    unsigned long long lo, unsigned long long hi);

/* "--format text|json" (and the --json switch's value). */
int opt_format(bool *json, const char *arg);

/* A queue number or range: "N", "N-M" or "N:M" (iptables' spelling), each
 * 0..65535, N <= M, at most max queues. 0, or -1 with nothing set. */
int get_queues(const char *arg, unsigned *lo, unsigned *hi, unsigned max);

/* The flows a reference tracker or table may hold (--max-flows). */
#define OPT_FLOWS_MAX	16777216u

/* --policy and --set as compare, replay, suggest and run take them:
 * specs in the order given, each "KEY=VALUE" of --set kept for the
 * profile loader. */
struct opt_profiles {
	const char **specs;
	unsigned nspecs, max_specs;
	char **sets;
	int nsets;
};

/* Room for argc of each (no option can appear more often). Exits on no
 * memory, as the commands' option parsing always has. */
void opt_profiles_init(struct opt_profiles *op, int argc, unsigned max_specs);
void opt_profiles_free(struct opt_profiles *op);
/* Take --policy (c == 'p') or --set (c == 's'); -1 with a message when
 * there are more than max_specs profiles. */
int opt_profiles_take(struct opt_profiles *op, int c, const char *arg, const char *cmd);

#endif
