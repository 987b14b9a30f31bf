/* ctlc_view.h -- natbox ctl's terminal views (flow table, stats, explain), drawn from the dump forms. */
#ifndef NATBOX_CTLC_VIEW_H
#define NATBOX_CTLC_VIEW_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "ctl_proto.h"	/* the flows dump's fields: FL_QUEUE ... FL_SERIAL */

/* Drops per flow seen in the previous frame of a live view, so rows
 * whose drops grew can be marked. In the dump's order: by queue, then
 * slot (binary search). */
struct ctlc_view_seen {
	struct ctlc_view_seen_ent {
		uint32_t queue, slot, serial, drops;
	} *v;
	unsigned n, cap;
};

struct ctlc_view_opts {
	bool color;		/* ANSI attributes for marked rows */
	int max_rows;		/* flow rows to draw (0: all) */
	int width;		/* terminal columns (0: no limit) */
	struct ctlc_view_seen *prev, *next;	/* live view: last frame, this one */
};

/* Draw from the dump text (modified in place). Return rows in the dump. */
int ctlc_view_flows(FILE *out, char *dump, const struct ctlc_view_opts *o);
void ctlc_view_stats(FILE *out, char *kv);
void ctlc_view_explain(FILE *out, char *text);

void ctlc_view_seen_free(struct ctlc_view_seen *s);

/* "850ms", "1.2s", "5m03s", "2h04m", "5d02h" from seconds as text. */
void ctlc_view_dur(const char *secs, char *buf, size_t cap);
/* "512", "1.5K", "20M" from a byte count as text. */
void ctlc_view_bytes(const char *n, char *buf, size_t cap);

#endif
