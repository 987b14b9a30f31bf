/* capture_opts.h -- the options the capture commands (replay, compare, suggest) share, parsed in one place. */
#ifndef NATBOX_CAPTURE_OPTS_H
#define NATBOX_CAPTURE_OPTS_H

#include <getopt.h>
#include <stdbool.h>
#include <stdint.h>

/* getopt_long codes; a command's own codes stay below CO_FIRST. */
enum {
	CO_FIRST = 0x1000,
	CO_SET = CO_FIRST, CO_MAX_FLOWS, CO_SVG, CO_SVG_FLOWS, CO_SVG_BROKEN,
};

/* Entries for a command's option table. */
#define CO_OPT_SET		{ "set", required_argument, NULL, CO_SET }
#define CO_OPT_MAX_FLOWS	{ "max-flows", required_argument, NULL, CO_MAX_FLOWS }
#define CO_OPT_SVG							\
	{ "svg", required_argument, NULL, CO_SVG },			\
	{ "svg-flows", required_argument, NULL, CO_SVG_FLOWS },		\
	{ "svg-broken", no_argument, NULL, CO_SVG_BROKEN }

struct capture_opts {
	char **sets;		/* each --set KEY=VALUE, for the profile loader */
	int nsets;
	const char *svg;	/* --svg FILE */
	unsigned svg_flows;	/* --svg-flows N */
	bool svg_broken;	/* --svg-broken */
	uint32_t max_flows;	/* --max-flows N; 0: the report's own bound */
};

/* Room for argc --set (exits on no memory, as option parsing does). */
void capture_opts_init(struct capture_opts *co, int argc, unsigned svg_flows_default);
void capture_opts_free(struct capture_opts *co);
/* Take getopt's c: 1 if it was one of these, 0 if not, -1 (said) if its
 * value is bad. */
int capture_opts_take(struct capture_opts *co, int c, const char *arg);

#endif
