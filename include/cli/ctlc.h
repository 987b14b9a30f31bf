/* ctlc.h -- the client side of the control socket: find it, connect, send a request and read its answer. */
#ifndef NATBOX_CTLC_H
#define NATBOX_CTLC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#include "strbuf.h"

#define CTLC_REPLY_MAX		(512u * 1024 * 1024)	/* bytes of an answer */
#define CTLC_REPLY_TIMEOUT_MS	10000

/* The socket: path_opt if given, else queue's (queue >= 0), else
 * $NATBOX_CTL, else the only one in CTL_DIR. 0, or -1 with a message (none
 * there, or several). */
int ctlc_find(const char *path_opt, long queue, char *path, size_t cap);
/* A connected socket, or -1 (with a message why, unless quiet). */
int ctlc_connect(const char *path, bool quiet);
/* One request of n words (escaped as the daemon splits them); the body's
 * lines go to out as they come (out != NULL) or into body. 0 ok, 1 the
 * daemon or the request was refused (why in err), -1 the connection
 * failed (why in err). */
int ctlc_request(int fd, char *const *words, int n, FILE *out, struct strbuf *body,
    char *err, size_t cap);

#endif
