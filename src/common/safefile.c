/* safefile.c -- opening user-named paths without blocking or following links. */
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "safefile.h"

/* fd checked by kind, made blocking, wrapped; closed on failure. */
enum { OK_CHR = 1, OK_FIFO = 2 };

static FILE *
finish(int fd, unsigned ok, const char *mode)
{
	struct stat st;
	FILE *f;
	int flags, err;

	if (fstat(fd, &st) < 0)
		goto fail;
	if (S_ISDIR(st.st_mode)) {
		errno = EISDIR;
		goto fail;
	}
	if (!S_ISREG(st.st_mode) && !((ok & OK_CHR) && S_ISCHR(st.st_mode)) &&
	    !((ok & OK_FIFO) && S_ISFIFO(st.st_mode))) {
		errno = ENODEV;
		goto fail;
	}
	if ((flags = fcntl(fd, F_GETFL)) < 0 || fcntl(fd, F_SETFL, flags & ~O_NONBLOCK) < 0)
		goto fail;
	if ((f = fdopen(fd, mode)) == NULL)
		goto fail;
	return f;
fail:
	err = errno;
	close(fd);
	errno = err;
	return NULL;
}

FILE *
safe_fopen_read(const char *path)
{
	int fd = open(path, O_RDONLY | O_NONBLOCK | O_NOCTTY | O_CLOEXEC);

	return fd < 0 ? NULL : finish(fd, 0, "r");
}

FILE *
safe_fopen_stream(const char *path)
{
	int fd = open(path, O_RDONLY | O_NONBLOCK | O_NOCTTY | O_CLOEXEC);

	return fd < 0 ? NULL : finish(fd, OK_FIFO, "r");
}

FILE *
safe_fopen_append(const char *path)
{
	int fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_NOFOLLOW | O_NONBLOCK |
	    O_NOCTTY | O_CLOEXEC, 0600);

	return fd < 0 ? NULL : finish(fd, OK_CHR, "a");
}

const char *
safe_strerror(int err)
{
	switch (err) {
	case EISDIR:
		return "is a directory";
	case ENODEV:
	case ENXIO:
		return "not a regular file (a FIFO, socket or device?)";
	case ELOOP:
		return "a symbolic link: refusing to follow it";
	default:
		return strerror(err);
	}
}
