/* ctl.c -- natbox run's control thread: the unix socket, its clients, and posting requests to the workers.
 *
 * One thread owns the socket and every client connection, all
 * non-blocking, in one poll() loop. It never touches an engine: what needs
 * engine state goes to the worker that owns it through that worker's
 * mailbox (ctl_work.c), one bounded chunk at a time, and comes back as
 * fixed-size records that this thread formats. So the packet path pays
 * at most one chunk per wakeup, whatever the clients do.
 *
 * Protocol (so `socat - UNIX-CONNECT:/run/natbox/natbox-0.sock` works
 * too): a request is one line of words (a backslash escapes the next
 * character); the answer is the body, then one status line, "ok" or
 * "error: MESSAGE". Requests on one connection are answered in order.
 *
 * Limits, so a slow or dead client cannot hurt anything: at most
 * CTL_CLIENTS_MAX connections; a request line of at most CTL_REQUEST_MAX bytes;
 * a client's pending output past CTL_OUT_SOFT pauses its request (no more
 * chunks asked for, no next request read) and CTL_OUT_MAX is never
 * passed; a client whose output makes no progress for CTL_STALL_MS, or
 * that sends nothing for CTL_IDLE_MS, is dropped. */
#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>

#include "clock.h"
#include "ctl.h"
#include "ctl_cmd.h"
#include "livepol.h"
#include "log.h"
#include "nfqproc.h"

/* The commands are in ctl_cmd.c; this file moves bytes and decides when a
 * job's next chunk is posted. */

/* ---- socket set-up ---- */

/* Is a natbox answering on path? Then it is not ours to replace. */
static bool
socket_alive(const char *path)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	int r;

	if (fd < 0)
		return false;
	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", path);
	r = connect(fd, (struct sockaddr *)&sa, sizeof(sa));
	/* EAGAIN: its backlog is full, so someone listens. */
	r = r == 0 || errno == EAGAIN || errno == EINPROGRESS;
	close(fd);
	return r;
}

struct ctl *
ctl_open(const char *path, struct evsink *sink)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	struct ctl *c;
	struct stat st;
	mode_t old;
	int e;

	if (strlen(path) >= sizeof(sa.sun_path)) {
		errno = ENAMETOOLONG;
		return NULL;
	}
	if ((c = calloc(1, sizeof(*c))) == NULL)
		return NULL;
	c->lfd = c->done_fd = c->stop_fd = -1;
	snprintf(c->path, sizeof(c->path), "%s", path);
	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", path);
	c->sink = sink;
	if (strncmp(path, CTL_DIR "/", sizeof(CTL_DIR)) == 0 && mkdir(CTL_DIR, 0755) < 0 &&
	    errno != EEXIST)
		goto fail;
	if (lstat(path, &st) == 0) {
		if (!S_ISSOCK(st.st_mode)) {
			errno = EEXIST;
			goto fail;
		}
		if (socket_alive(path)) {
			errno = EADDRINUSE;
			goto fail;
		}
		(void)unlink(path);	/* left by a natbox that died */
	}
	c->lfd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (c->lfd < 0)
		goto fail;
	old = umask(0177);	/* the socket is born 0600: no window */
	e = bind(c->lfd, (struct sockaddr *)&sa, sizeof(sa));
	umask(old);
	if (e < 0 || listen(c->lfd, CTL_CLIENTS_MAX) < 0 || stat(path, &st) < 0)
		goto fail;
	c->dev = st.st_dev;
	c->ino = st.st_ino;
	c->done_fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	c->stop_fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	if (c->done_fd < 0 || c->stop_fd < 0)
		goto fail;
	/* the kernel's queue lines are root's: opened now, read after --user */
	c->kq_fd = nfqproc_open();
	c->have_kq = c->kq_fd >= 0;
	c->t0 = clock_now_ns();
	return c;
fail:
	e = errno;
	if (c->lfd >= 0) {
		close(c->lfd);
		if (c->ino)
			(void)unlink(path);
	}
	if (c->done_fd >= 0)
		close(c->done_fd);
	if (c->stop_fd >= 0)
		close(c->stop_fd);
	free(c);
	errno = e;
	return NULL;
}

void
ctl_set_qstats(struct ctl *c, void (*fn)(void *ctx, struct ctl_qstats *out), void *ctx)
{
	c->qstats = fn;
	c->qctx = ctx;
}

int
ctl_set_group(struct ctl *c, gid_t group)
{
	struct stat st;

	/* Our socket, not something put in its place since. */
	if (lstat(c->path, &st) < 0)
		return -1;
	if (st.st_dev != c->dev || st.st_ino != c->ino) {
		errno = ESTALE;
		return -1;
	}
	if (lchown(c->path, (uid_t)-1, group) < 0 || chmod(c->path, 0660) < 0)
		return -1;
	c->have_group = true;
	c->group = group;
	return 0;
}

const char *
ctl_path(const struct ctl *c)
{
	return c->path;
}

struct ctl_worker *
ctl_worker_add(struct ctl *c, uint16_t queue, uint32_t max_flows, unsigned history,
    void (*wstats)(void *ctx, struct ctl_wstats *), void *ctx)
{
	struct ctl_worker *w;

	if (c->nw == CTL_WORKERS_MAX) {
		errno = ENOSPC;
		return NULL;
	}
	w = ctl_worker_new(queue, max_flows, history, c->done_fd, wstats, ctx);
	if (w)
		c->w[c->nw++] = w;
	return w;
}

/* ---- clients ---- */

static void
client_close(struct ctl *c, unsigned i, const char *why)
{
	struct client *cl = c->c[i];

	if (why) {
		c->dropped++;
		log_info("ctl: dropped client %u: %s", cl->id, why);
	}
	for (unsigned k = 0; k < c->nw; k++)
		if (c->w[k]->owner == cl)
			c->w[k]->owner = &c->orphan;	/* reply will be thrown away */
	close(cl->fd);
	sb_free(&cl->out);
	free(cl->job.snaps);
	free(cl);
	c->c[i] = c->c[--c->nc];
}

static void
accept_clients(struct ctl *c, uint64_t now)
{
	static const char busy_msg[] = "error: too many control clients\n";
	static const char denied_msg[] = "error: permission denied\n";
	enum ctl_access acc;
	struct client *cl;
	int fd;

	while ((fd = accept4(c->lfd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC)) >= 0) {
		if ((acc = ctl_peer_access(fd, c->have_group, c->group)) == CTL_ACCESS_NONE) {
			(void)!send(fd, denied_msg, sizeof(denied_msg) - 1,
			    MSG_NOSIGNAL | MSG_DONTWAIT);
			close(fd);
			c->dropped++;
			continue;
		}
		if (c->nc == CTL_CLIENTS_MAX || (cl = calloc(1, sizeof(*cl))) == NULL) {
			(void)!send(fd, busy_msg, sizeof(busy_msg) - 1, MSG_NOSIGNAL | MSG_DONTWAIT);
			close(fd);
			c->dropped++;
			continue;
		}
		cl->fd = fd;
		cl->readonly = acc != CTL_ACCESS_ALL;
		cl->id = ++c->next_id;
		cl->last_active = now;
		sb_init(&cl->out, CTL_OUT_MAX);
		c->c[c->nc++] = cl;
	}
}

/* Read what is there; start the next request if the client is free. */
static void
client_read(struct ctl *c, struct client *cl, uint64_t now)
{
	ssize_t n;

	if (cl->eof || cl->doomed || cl->inlen == sizeof(cl->in))
		return;
	n = recv(cl->fd, cl->in + cl->inlen, sizeof(cl->in) - cl->inlen, MSG_DONTWAIT);
	if (n == 0) {
		cl->eof = true;
	} else if (n < 0) {
		if (errno != EAGAIN && errno != EINTR)
			cl->eof = cl->doomed = true;
	} else {
		cl->inlen += (size_t)n;
		cl->last_active = now;
	}
	(void)c;
}

static void
client_next_request(struct ctl *c, struct client *cl, uint64_t now)
{
	char *nl, line[CTL_REQUEST_MAX], msg[64];
	size_t len;

	while (!cl->busy && !cl->doomed && cl->out.len < CTL_OUT_SOFT) {
		nl = memchr(cl->in, '\n', cl->inlen);
		if (nl == NULL) {
			if (cl->inlen == sizeof(cl->in)) {
				snprintf(msg, sizeof(msg), "request longer than %d bytes",
				    CTL_REQUEST_MAX);
				ctl_cmd_end(c, cl, msg);
				cl->doomed = true;
			} else if (cl->eof && cl->inlen > 0) {
				/* A last request without its newline. */
				memcpy(line, cl->in, cl->inlen);
				line[cl->inlen] = '\0';
				cl->inlen = 0;
				ctl_cmd_dispatch(c, cl, line, now);
			}
			return;
		}
		len = (size_t)(nl - cl->in);
		memcpy(line, cl->in, len);
		line[len] = '\0';
		memmove(cl->in, nl + 1, cl->inlen - len - 1);
		cl->inlen -= len + 1;
		ctl_cmd_dispatch(c, cl, line, now);
	}
}

static void
client_write(struct client *cl, uint64_t now)
{
	ssize_t n;

	if (cl->out.len == 0)
		return;
	n = send(cl->fd, cl->out.buf, cl->out.len, MSG_NOSIGNAL | MSG_DONTWAIT);
	if (n > 0) {
		sb_consume(&cl->out, (size_t)n);
		cl->stall_since = 0;
		cl->last_active = now;
	} else if (n < 0 && errno != EAGAIN && errno != EINTR) {
		cl->doomed = true;
		sb_reset(&cl->out);
	}
	if (cl->out.len && cl->stall_since == 0)
		cl->stall_since = now;
}

static void
collect_replies(struct ctl *c, uint64_t now)
{
	uint64_t v;

	(void)!read(c->done_fd, &v, sizeof(v));
	for (unsigned k = 0; k < c->nw; k++) {
		struct ctl_worker *w = c->w[k];
		void *owner;

		if (atomic_load_explicit(&w->state, memory_order_acquire) != CTL_MB_DONE)
			continue;
		owner = w->owner;
		if (owner != &c->orphan && owner != NULL)
			ctl_cmd_on_reply(c, owner, w, now);
		w->owner = NULL;
		atomic_store_explicit(&w->state, CTL_MB_IDLE, memory_order_relaxed);
	}
}

/* Post what waits, fairly: clients take turns from a rotating start. */
static void
post_requests(struct ctl *c, uint64_t now)
{
	uint64_t one = 1;

	for (unsigned n = 0; n < c->nc; n++) {
		struct client *cl = c->c[(c->rr + n) % c->nc];
		struct job *j = &cl->job;
		struct ctl_worker *w;

		if (!cl->busy || j->waiting || cl->out.len >= CTL_OUT_SOFT)
			continue;
		w = c->w[j->wi];
		if (w->owner != NULL ||
		    atomic_load_explicit(&w->state, memory_order_relaxed) != CTL_MB_IDLE) {
			if (j->since == 0)
				j->since = now;
			continue;
		}
		w->req = j->req;
		w->owner = cl;
		w->posted_at = now;
		j->waiting = true;
		j->since = now;
		atomic_store_explicit(&w->state, CTL_MB_POSTED, memory_order_release);
		(void)!write(w->wake_fd, &one, sizeof(one));
	}
	if (c->nc)
		c->rr = (c->rr + 1) % c->nc;
}

/* Deadlines; returns the poll timeout in ms. */
static int
check_clients(struct ctl *c, uint64_t now)
{
	uint64_t next = now + 1000 * CTL_NS_PER_MS, revert;

	for (unsigned i = 0; i < c->nc;) {
		struct client *cl = c->c[i];
		uint64_t dl;

		if (cl->busy && cl->job.since && now - cl->job.since > CTL_WORKER_MS * CTL_NS_PER_MS) {
			char msg[96];

			snprintf(msg, sizeof(msg), "queue %u did not answer",
			    c->w[cl->job.wi]->queue);
			log_warnx("ctl: %s", msg);
			ctl_cmd_end(c, cl, msg);
			cl->doomed = true;
		}
		if (cl->out.len && cl->stall_since &&
		    now - cl->stall_since > CTL_STALL_MS * CTL_NS_PER_MS) {
			client_close(c, i, "reads nothing (output stalled)");
			continue;
		}
		if (!cl->busy && cl->out.len == 0 &&
		    now - cl->last_active > CTL_IDLE_MS * CTL_NS_PER_MS) {
			client_close(c, i, cl->inlen ? "no complete request" : "idle");
			continue;
		}
		if ((cl->doomed || (cl->eof && cl->inlen == 0)) && !cl->busy &&
		    cl->out.len == 0) {
			client_close(c, i, NULL);
			continue;
		}
		if (cl->out.cut) {
			client_close(c, i, "output over the limit");
			continue;
		}
		dl = cl->out.len && cl->stall_since ? cl->stall_since + CTL_STALL_MS * CTL_NS_PER_MS :
		    cl->last_active + CTL_IDLE_MS * CTL_NS_PER_MS;
		if (cl->busy && cl->job.since)
			dl = cl->job.since + CTL_WORKER_MS * CTL_NS_PER_MS;
		if (dl < next)
			next = dl;
		i++;
	}
	revert = livepol_revert_due(now);
	if (revert && revert < next)
		next = revert;
	return next > now ? (int)((next - now + CTL_NS_PER_MS - 1) / CTL_NS_PER_MS) : 0;
}

static void *
ctl_main(void *arg)
{
	struct ctl *c = arg;
	struct pollfd pfd[3 + CTL_CLIENTS_MAX];
	int timeout = 0;

	for (;;) {
		uint64_t now;
		unsigned i, n;

		pfd[0] = (struct pollfd){ .fd = c->stop_fd, .events = POLLIN };
		pfd[1] = (struct pollfd){ .fd = c->done_fd, .events = POLLIN };
		pfd[2] = (struct pollfd){ .fd = c->lfd, .events = POLLIN };
		for (i = 0, n = 3; i < c->nc; i++, n++) {
			struct client *cl = c->c[i];

			pfd[n].fd = cl->fd;
			pfd[n].events = 0;
			if (!cl->eof && !cl->doomed && cl->inlen < sizeof(cl->in))
				pfd[n].events |= POLLIN;
			if (cl->out.len)
				pfd[n].events |= POLLOUT;
		}
		if (poll(pfd, n, timeout) < 0 && errno != EINTR) {
			log_warn("ctl: poll");
			break;
		}
		if (pfd[0].revents)
			break;
		now = clock_now_ns();
		if (pfd[1].revents)
			collect_replies(c, now);
		/* Clients by position in pfd: only those that existed at poll. */
		for (i = 3; i < n; i++) {
			struct client *cl = c->c[i - 3];

			if (pfd[i].revents & (POLLIN | POLLHUP | POLLERR))
				client_read(c, cl, now);
			if (pfd[i].revents & (POLLOUT | POLLERR))
				client_write(cl, now);
		}
		if (pfd[2].revents)
			accept_clients(c, now);
		for (i = 0; i < c->nc; i++) {
			client_next_request(c, c->c[i], now);
			client_write(c->c[i], now);
		}
		post_requests(c, now);
		timeout = check_clients(c, now);
	}
	while (c->nc)
		client_close(c, 0, NULL);
	return NULL;
}

int
ctl_start(struct ctl *c)
{
	int r = pthread_create(&c->tid, NULL, ctl_main, c);

	if (r != 0) {
		errno = r;
		return -1;
	}
	c->started = true;
	return 0;
}

void
ctl_stop(struct ctl *c)
{
	uint64_t one = 1;
	struct stat st;

	if (c == NULL)
		return;
	if (c->started) {
		(void)!write(c->stop_fd, &one, sizeof(one));
		pthread_join(c->tid, NULL);
		c->started = false;
	}
	if (c->lfd >= 0) {
		close(c->lfd);
		c->lfd = -1;
		/* Only our own socket: a newer natbox may have taken the path. */
		if (stat(c->path, &st) == 0 && st.st_dev == c->dev && st.st_ino == c->ino)
			(void)unlink(c->path);
	}
}

void
ctl_free(struct ctl *c)
{
	if (c == NULL)
		return;
	ctl_stop(c);
	for (unsigned i = 0; i < c->nw; i++)
		ctl_worker_free(c->w[i]);
	close(c->done_fd);
	close(c->stop_fd);
	if (c->have_kq)
		close(c->kq_fd);
	free(c);
}
