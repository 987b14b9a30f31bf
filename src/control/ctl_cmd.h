/* ctl_cmd.h -- the control socket's commands (ctl_cmd.c), as the transport (ctl.c) drives them. */
#ifndef NATBOX_CTL_CMD_H
#define NATBOX_CTL_CMD_H

#include <stdint.h>

#include "ctl_int.h"

/* Run one request line (modified) at time now; sync commands answer at
 * once, the others leave cl->busy set and a job to post. */
void ctl_cmd_dispatch(struct ctl *c, struct client *cl, char *line, uint64_t now);
/* A worker's reply to cl's job is in w->rep. */
void ctl_cmd_on_reply(struct ctl *c, struct client *cl, struct ctl_worker *w, uint64_t now);
/* End cl's current request with its status line (err NULL: "ok"). */
void ctl_cmd_end(struct ctl *c, struct client *cl, const char *err);
/* Start a job that walks the workers the filter (cl->job.filter) takes,
 * one op each. -1 with err if none does. */
int ctl_cmd_start(struct ctl *c, struct client *cl, enum job_kind kind, enum ctl_op op,
    char *err);

/* A flush's or rebind's FILTER words (argv[1..]) into cl->job: the
 * filter, and its text for logs ("all" when none). -1 with err. */
int ctl_cmd_take_filter(struct job *j, int argc, char **argv, char *err);

/* Translation's commands (ctl_nat.c): mappings [--json], rebind FILTER;
 * their replies, and their end. */
int ctl_nat_cmd_mappings(struct ctl *c, struct client *cl, int argc, char **argv, char *err);
int ctl_nat_cmd_rebind(struct ctl *c, struct client *cl, int argc, char **argv, char *err);
void ctl_nat_reply(struct client *cl, const struct ctl_reply *r);
void ctl_nat_finish(struct client *cl);

#endif
