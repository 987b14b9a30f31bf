/* ctlc.c -- the client side of the control socket: find it, connect, one request at a time.
 *
 * The protocol is ctl_proto.h's: a request is one line of words, a
 * backslash escaping the next character; the answer is the body, then
 * "ok" or "error: MESSAGE". */
#include <errno.h>
#include <glob.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/socket.h>
#include <sys/un.h>

#include "ctl_proto.h"
#include "ctlc.h"
#include "log.h"

int
ctlc_find(const char *path_opt, long queue, char *path, size_t cap)
{
	const char *env = getenv("NATBOX_CTL");
	glob_t g;
	int rc = -1;

	if (path_opt) {
		snprintf(path, cap, "%s", path_opt);
		return 0;
	}
	if (queue >= 0) {
		ctl_default_path((unsigned)queue, path, cap);
		return 0;
	}
	if (env && *env) {
		snprintf(path, cap, "%s", env);
		return 0;
	}
	if (glob(CTL_DIR "/natbox-*.sock", 0, NULL, &g) != 0 || g.gl_pathc == 0) {
		log_warnx("no control socket in %s: is natbox run running? "
		    "(or give --ctl PATH)", CTL_DIR);
	} else if (g.gl_pathc > 1) {
		log_warnx("several natbox are running; choose one with --queue N or --ctl PATH:");
		for (size_t i = 0; i < g.gl_pathc; i++)
			fprintf(stderr, "  %s\n", g.gl_pathv[i]);
	} else {
		snprintf(path, cap, "%s", g.gl_pathv[0]);
		rc = 0;
	}
	globfree(&g);
	return rc;
}

int
ctlc_connect(const char *path, bool quiet)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	int fd, e;

	if (strlen(path) >= sizeof(sa.sun_path)) {
		log_warnx("%s: path too long for a unix socket", path);
		return -1;
	}
	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", path);
	if ((fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0)) < 0) {
		log_warn("socket");
		return -1;
	}
	if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) == 0)
		return fd;
	e = errno;
	if (!quiet) {
		if (errno == ENOENT)
			log_warnx("no control socket at %s: is natbox run running?", path);
		else if (errno == ECONNREFUSED)
			log_warnx("nothing listens on %s: natbox has stopped", path);
		else if (errno == EACCES || errno == EPERM)
			log_warnx("%s: permission denied (the socket is root's, mode 0600)", path);
		else
			log_warn("connect %s", path);
	}
	close(fd);
	errno = e;		/* why, for a quiet caller */
	return -1;
}

/* The request line: words escaped, space-separated, a newline. 1 with a
 * message if it cannot be sent (a newline in a word; too long). */
static int
request_line(struct strbuf *req, char *const *words, int n, char *err, size_t cap)
{
	for (int i = 0; i < n; i++) {
		if (i)
			sb_puts(req, " ");
		for (const char *p = words[i]; *p; p++) {
			if (*p == '\n') {
				snprintf(err, cap, "an argument holds a newline");
				return 1;
			}
			if (*p == ' ' || *p == '\t' || *p == '\\' || *p == '\r')
				sb_puts(req, "\\");
			sb_put(req, p, 1);
		}
	}
	sb_puts(req, "\n");
	if (req->cut) {
		snprintf(err, cap, "request longer than %d bytes", CTL_REQUEST_MAX);
		return 1;
	}
	return 0;
}

static int
send_all(int fd, const char *buf, size_t len, char *err, size_t cap)
{
	for (size_t off = 0; off < len;) {
		ssize_t w = send(fd, buf + off, len - off, MSG_NOSIGNAL);

		if (w < 0) {
			if (errno == EINTR)
				continue;
			snprintf(err, cap, "sending the request: %s", strerror(errno));
			return -1;
		}
		off += (size_t)w;
	}
	return 0;
}

/* Complete lines of in: the body's to out or body; the status line ends
 * the answer (0 "ok", 1 "error: ..."). -1 while it has not come. */
static int
reply_lines(struct strbuf *in, FILE *out, struct strbuf *body, char *err, size_t cap)
{
	char *nl, *line;
	int rc = -1;

	while (rc < 0 && (nl = memchr(in->buf, '\n', in->len)) != NULL) {
		size_t len = (size_t)(nl - in->buf);

		line = in->buf;
		*nl = '\0';
		if (strcmp(line, "ok") == 0) {
			rc = 0;
		} else if (strncmp(line, "error: ", 7) == 0) {
			snprintf(err, cap, "%s", line + 7);
			rc = 1;
		} else if (out) {
			fwrite(line, 1, len, out);
			fputc('\n', out);
		} else {
			sb_put(body, line, len);
			sb_puts(body, "\n");
		}
		sb_consume(in, len + 1);
	}
	return rc;
}

/* Read until the status line. */
static int
read_reply(int fd, FILE *out, struct strbuf *body, char *err, size_t cap)
{
	struct strbuf in;
	char buf[65536];
	int rc = -1;

	sb_init(&in, CTLC_REPLY_MAX);
	while (rc < 0) {
		struct pollfd p = { .fd = fd, .events = POLLIN };
		int pr = poll(&p, 1, CTLC_REPLY_TIMEOUT_MS);
		ssize_t r;

		if (pr < 0 && errno == EINTR)
			continue;
		if (pr == 0) {
			snprintf(err, cap, "natbox did not answer within %d s",
			    CTLC_REPLY_TIMEOUT_MS / 1000);
			break;
		}
		r = recv(fd, buf, sizeof(buf), 0);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0) {
			snprintf(err, cap, "natbox closed the connection%s%s", r < 0 ? ": " : "",
			    r < 0 ? strerror(errno) : "");
			break;
		}
		sb_put(&in, buf, (size_t)r);
		if (in.cut) {
			snprintf(err, cap, "answer too large");
			break;
		}
		rc = reply_lines(&in, out, body, err, cap);
	}
	sb_free(&in);
	return rc;
}

int
ctlc_request(int fd, char *const *words, int n, FILE *out, struct strbuf *body,
    char *err, size_t cap)
{
	struct strbuf req;
	int rc;

	sb_init(&req, CTL_REQUEST_MAX + 1);
	rc = request_line(&req, words, n, err, cap);
	if (rc == 0 && send_all(fd, req.buf, req.len, err, cap) < 0)
		rc = -1;
	sb_free(&req);
	return rc != 0 ? rc : read_reply(fd, out, body, err, cap);
}
