/* evsink.h -- the event stream: engine events as text or JSON lines on a FILE. */
#ifndef NATBOX_EVSINK_H
#define NATBOX_EVSINK_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "event.h"

/* One sink, shared by every thread; each thread writes through its own
 * struct evbuf. Lines are formatted into the thread's buffer without a
 * lock; evbuf_flush() takes the sink's mutex once, writes whole lines and
 * flushes the FILE. So lines never interleave, and the packet path never
 * waits on another thread's formatting. Flush at least once per burst. */
struct evsink;
struct evbuf;

struct evsink_stats {
	uint64_t lines;		/* lines written */
	uint64_t lost;		/* lines not written (write error, closed pipe) */
};

/* path "-" is stdout; a file is opened for appending. NULL with errno. */
struct evsink *evsink_open(const char *path, enum event_format fmt);
/* Reopen a file sink (log rotation); stdout stays. 0 or -1 with errno (the
 * old file is kept then). */
int evsink_reopen(struct evsink *s);
/* Flushes and closes the file (not stdout, which is only flushed). Every
 * evbuf must be flushed and freed first. */
void evsink_close(struct evsink *s);
/* Give a file sink to the user natbox switches to, so a SIGHUP reopen
 * still appends to it; stdout stays. 0 or -1 with errno. */
int evsink_chown(struct evsink *s, uid_t uid, gid_t gid);
void evsink_stats(struct evsink *s, struct evsink_stats *st);

struct evbuf *evbuf_new(struct evsink *s);
void evbuf_free(struct evbuf *b);	/* flushes first */

/* Format ev into b (flushing b first if it is full). */
void evbuf_put(struct evbuf *b, const struct event *ev);
/* An engine_ops.event callback: ctx is a struct evbuf. */
void evbuf_event_cb(void *ctx, const struct event *ev);
/* Add one preformatted line (must end in '\n'): natbox's own [CONTROL]
 * lines, which share the stream with the engine's events. */
void evbuf_put_line(struct evbuf *b, const char *line, size_t len);
/* The sink's line format. */
enum event_format evsink_format(const struct evsink *s);
/* Write b's lines to the sink. Returns 0, or -1 (lines counted as lost). */
int evbuf_flush(struct evbuf *b);
/* Bytes waiting in b. */
size_t evbuf_pending(const struct evbuf *b);

#endif
