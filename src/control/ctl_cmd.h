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

#endif
