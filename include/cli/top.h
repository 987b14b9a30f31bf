/* top.h -- the live view of the flow table (cmd_top.c): natbox top, natbox ctl flows --watch. */
#ifndef NATBOX_TOP_H
#define NATBOX_TOP_H

/* Ask the daemon at path for stats and for the nw words of a flows
 * request every interval seconds, count times (0: until q, ^C or a
 * signal); draw each answer on a terminal, or print the dump otherwise.
 * Returns the exit status (0). */
int top_watch(const char *path, char **words, int nw, double interval, long count);

#endif
