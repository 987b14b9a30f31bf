/* evsink.c -- the event stream: engine events as text or JSON lines on a FILE.
 *
 * Per-thread buffers, one mutex per sink held only for the write of whole
 * buffered lines: a burst of 64 packets that makes 100 events costs one
 * lock and one write(2), not 100. The FILE is flushed on every evbuf_flush
 * so a reader (tail -f, a pipe to jq) sees a burst's events right away. */
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "evsink.h"
#include "safefile.h"

#define EVBUF_SIZE (64 * 1024)
#define EVLINE_MAX 1024		/* longest line we format; event lines are ~300 */

struct evsink {
	pthread_mutex_t lock;
	FILE *f;
	char *path;		/* NULL for stdout */
	enum event_format fmt;
	bool broken;		/* write failed (EPIPE, ENOSPC): stop trying */
	struct evsink_stats st;
};

struct evbuf {
	struct evsink *s;
	size_t len;
	uint64_t nlines;
	char data[EVBUF_SIZE];
};

struct evsink *
evsink_open(const char *path, enum event_format fmt)
{
	struct evsink *s;
	int e;

	s = calloc(1, sizeof(*s));
	if (s == NULL)
		return NULL;
	s->fmt = fmt;
	if (strcmp(path, "-") == 0) {
		s->f = stdout;
	} else {
		s->path = strdup(path);
		if (s->path == NULL)
			goto fail;
		s->f = safe_fopen_append(path);
		if (s->f == NULL)
			goto fail;
	}
	pthread_mutex_init(&s->lock, NULL);
	return s;
fail:
	e = errno;
	free(s->path);
	free(s);
	errno = e;
	return NULL;
}

int
evsink_reopen(struct evsink *s)
{
	FILE *f;

	if (s->path == NULL)
		return 0;
	f = safe_fopen_append(s->path);
	if (f == NULL)
		return -1;
	pthread_mutex_lock(&s->lock);
	fclose(s->f);
	s->f = f;
	s->broken = false;
	pthread_mutex_unlock(&s->lock);
	return 0;
}

int
evsink_chown(struct evsink *s, uid_t uid, gid_t gid)
{
	if (s->path == NULL)
		return 0;
	return fchown(fileno(s->f), uid, gid);
}

void
evsink_close(struct evsink *s)
{
	if (s == NULL)
		return;
	if (s->path)
		fclose(s->f);
	else
		fflush(s->f);
	pthread_mutex_destroy(&s->lock);
	free(s->path);
	free(s);
}

void
evsink_stats(struct evsink *s, struct evsink_stats *st)
{
	pthread_mutex_lock(&s->lock);
	*st = s->st;
	pthread_mutex_unlock(&s->lock);
}

struct evbuf *
evbuf_new(struct evsink *s)
{
	struct evbuf *b;

	b = malloc(sizeof(*b));
	if (b == NULL)
		return NULL;
	b->s = s;
	b->len = 0;
	b->nlines = 0;
	return b;
}

void
evbuf_free(struct evbuf *b)
{
	if (b == NULL)
		return;
	(void)evbuf_flush(b);
	free(b);
}

size_t
evbuf_pending(const struct evbuf *b)
{
	return b->len;
}

int
evbuf_flush(struct evbuf *b)
{
	struct evsink *s = b->s;
	int rc = 0;

	if (b->len == 0)
		return 0;
	pthread_mutex_lock(&s->lock);
	if (s->broken ||
	    fwrite(b->data, 1, b->len, s->f) != b->len || fflush(s->f) != 0) {
		/* A reader that went away (EPIPE; SIGPIPE is ignored by the
		 * front) or a full disk: stop writing, keep forwarding. */
		s->broken = true;
		clearerr(s->f);
		s->st.lost += b->nlines;
		rc = -1;
	} else {
		s->st.lines += b->nlines;
	}
	pthread_mutex_unlock(&s->lock);
	b->len = 0;
	b->nlines = 0;
	return rc;
}

void
evbuf_put(struct evbuf *b, const struct event *ev)
{
	size_t n;

	if (EVBUF_SIZE - b->len < EVLINE_MAX)
		(void)evbuf_flush(b);
	n = event_format(ev, b->s->fmt, b->data + b->len, EVBUF_SIZE - b->len);
	if (n >= EVBUF_SIZE - b->len) {
		/* Longer than the room left (cannot happen after the flush
		 * above unless a line tops EVLINE_MAX): keep it whole or not
		 * at all, and never let a cut line into the stream. */
		(void)evbuf_flush(b);
		n = event_format(ev, b->s->fmt, b->data, EVBUF_SIZE);
		if (n >= EVBUF_SIZE)
			return;
	}
	b->len += n;
	b->nlines++;
}

void
evbuf_put_line(struct evbuf *b, const char *line, size_t len)
{
	if (len > EVBUF_SIZE - b->len)
		(void)evbuf_flush(b);
	if (len > EVBUF_SIZE - b->len)
		return;		/* longer than the whole buffer: never cut a line */
	memcpy(b->data + b->len, line, len);
	b->len += len;
	b->nlines++;
}

enum event_format
evsink_format(const struct evsink *s)
{
	return s->fmt;
}

void
evbuf_event_cb(void *ctx, const struct event *ev)
{
	evbuf_put(ctx, ev);
}
