/* svg.h -- a timeline picture of a report: one lane per flow and profile, coloured by tracker state. */
#ifndef NATBOX_SVG_H
#define NATBOX_SVG_H

#include <stdbool.h>

#include "report.h"

#define SVG_FLOWS_DEFAULT 30

struct svg_opts {
	const char *path;	/* "-" is stdout */
	const char *title;	/* first line of the picture */
	unsigned flows;		/* lanes: the busiest this many flows */
	bool broken_first;	/* pick flows some profile broke before busy ones */
};

/* Needs a report made with opts.timeline. Reads the capture a second
 * time (if it is a file) to draw each lane's packets. 0, or -1 with a
 * message printed. */
int svg_write(const struct report *r, const struct svg_opts *o);

#endif
