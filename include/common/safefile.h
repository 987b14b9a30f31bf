/* safefile.h -- open paths a user names without blocking on a FIFO or following a planted symlink. */
#ifndef NATBOX_SAFEFILE_H
#define NATBOX_SAFEFILE_H

#include <stdio.h>

/* Open path for reading: O_NONBLOCK so a FIFO or a device cannot hang the
 * open, then refused unless it is a regular file (EISDIR for a directory,
 * ENODEV for a FIFO, socket or device); the descriptor is made blocking
 * again for the reads. Returns the stream, or NULL with errno set. */
FILE *safe_fopen_read(const char *path);
/* The same for a stream read once from start to end (a capture): a pipe
 * or FIFO is taken too (`replay <(zcat x.pcap.gz)`); opened without
 * blocking, a FIFO that no writer opens reads as empty instead of hanging. */
FILE *safe_fopen_stream(const char *path);

/* Open (create 0600) path for appending events: a symbolic link as the
 * last component is refused (ELOOP), so a link planted in /tmp cannot
 * redirect root's writes; the target must be a regular file or a
 * character device (/dev/null); nothing blocks. Returns the stream, or
 * NULL with errno set. */
FILE *safe_fopen_append(const char *path);

/* A message for a safe_fopen_* failure that names the problem (never a
 * file's content): "is a directory", "not a regular file (a FIFO?)",
 * "a symbolic link: refusing to follow it", else strerror(err). */
const char *safe_strerror(int err);

#endif
