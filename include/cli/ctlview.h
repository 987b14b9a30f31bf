/* ctlview.h -- natbox ctl's terminal views (flow table, stats, explain), drawn from the dump forms. */
#ifndef NATBOX_CTLVIEW_H
#define NATBOX_CTLVIEW_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "ctl_proto.h"	/* the flows dump's fields: FL_QUEUE ... FL_SERIAL */

/* Drops per flow seen in the previous frame of a live view, so rows
 * whose drops grew can be marked. In the dump's order: by queue, then
 * slot (binary search). */
struct ctlview_seen {
	struct ctlview_seen_ent {
		uint32_t queue, slot, serial, drops;
	} *v;
	unsigned n, cap;
};

struct ctlview_opts {
	bool color;		/* ANSI attributes for marked rows */
	int max_rows;		/* flow rows to draw (0: all) */
	int width;		/* terminal columns (0: no limit) */
	struct ctlview_seen *prev, *next;	/* live view: last frame, this one */
};

/* Draw from the dump text (modified in place). Return rows in the dump. */
int ctlview_flows(FILE *out, char *dump, const struct ctlview_opts *o);
void ctlview_stats(FILE *out, char *kv);
void ctlview_explain(FILE *out, char *text);

void ctlview_seen_free(struct ctlview_seen *s);

/* "850ms", "1.2s", "5m03s", "2h04m", "5d02h" from seconds as text. */
void ctlview_dur(const char *secs, char *buf, size_t cap);
/* "512", "1.5K", "20M" from a byte count as text. */
void ctlview_bytes(const char *n, char *buf, size_t cap);

#endif
