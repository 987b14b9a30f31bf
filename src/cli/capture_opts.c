/* capture_opts.c -- --set, --max-flows and the --svg family for replay, compare and suggest. */
#include <stdlib.h>

#include "capture_opts.h"
#include "log.h"
#include "opts.h"

void
capture_opts_init(struct capture_opts *co, int argc, unsigned svg_flows_default)
{
	*co = (struct capture_opts){ .svg_flows = svg_flows_default };
	if ((co->sets = calloc((size_t)argc + 1, sizeof(char *))) == NULL)
		fatal("calloc");
}

void
capture_opts_free(struct capture_opts *co)
{
	free(co->sets);
	co->sets = NULL;
	co->nsets = 0;
}

int
capture_opts_take(struct capture_opts *co, int c, const char *arg)
{
	unsigned long long v;

	switch (c) {
	case CO_SET:
		co->sets[co->nsets++] = (char *)(uintptr_t)arg;
		return 1;
	case CO_MAX_FLOWS:
		if (opt_unsigned(&v, "max-flows", arg, 1, OPT_FLOWS_MAX) < 0)
			return -1;
		co->max_flows = (uint32_t)v;
		return 1;
	case CO_SVG:
		co->svg = arg;
		return 1;
	case CO_SVG_FLOWS:
		if (opt_unsigned(&v, "svg-flows", arg, 1, OPT_FLOWS_MAX) < 0)
			return -1;
		co->svg_flows = (unsigned)v;
		return 1;
	case CO_SVG_BROKEN:
		co->svg_broken = true;
		return 1;
	default:
		return 0;
	}
}
