/* livepol.h -- the profile a running natbox uses: base + --set + runtime overrides, published to the workers. */
#ifndef NATBOX_LIVEPOL_H
#define NATBOX_LIVEPOL_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "event.h"
#include "evsink.h"
#include "policy.h"
#include "strbuf.h"

#define LIVEPOL_READERS_MAX	64
#define LIVEPOL_OVERRIDES_MAX	64
#define LIVEPOL_CHANGES		256	/* changes remembered for explain */

/* One per worker. A worker polls at its burst boundaries; the poll also
 * acknowledges the profile it switched to last time, which lets older
 * profiles be freed while natbox runs. */
struct livepol_reader {
	unsigned seen;
	atomic_uint acked;
};

/* A change, as logged in the event stream ([CONTROL] lines) and kept
 * for explain. */
struct livepol_change {
	uint64_t ts;		/* CLOCK_MONOTONIC ns: the engine's clock */
	char change[12];	/* start set revert unset reload policy flush */
	char key[64];		/* set, revert, unset */
	char value[256];	/* set/revert: the value; policy: the profile
				 * asked for; flush: the filter */
	uint64_t for_ns;	/* set --for, else 0 */
	int64_t flows;		/* flush: flows ended; -1 otherwise */
	char profile[64];	/* the profile's name after the change */
	unsigned gen;		/* the generation after the change */
};

/* The starting profile: NAME|FILE and the command line's --set (kept, so
 * a reload or a switch applies them again). Prints errors; -1 on failure. */
int livepol_init(const char *name, char *const *sets, int nsets);
/* Where [CONTROL] lines go (NULL: nowhere); before any change. */
void livepol_set_sink(struct evsink *s);
void livepol_free(void);

/* Only while no change can run concurrently (start-up). */
const struct policy *livepol_current(void);
/* A copy of the profile in force and its generation (any thread). */
unsigned livepol_snapshot(struct policy *out);

void livepol_reader_add(struct livepol_reader *r);	/* before threads */
/* The profile to switch to, or NULL if unchanged since the last call. */
const struct policy *livepol_reader_poll(struct livepol_reader *r);

/* Changes. Each builds a fresh profile (base, --set, then overrides in
 * order) and publishes it whole: a bad change never half-applies. 0 and
 * a summary in msg (what changed, key by key), or -1 and why. */
int livepol_reload(uint64_t now, const char *origin, char *msg, size_t cap);
int livepol_switch(const char *name, uint64_t now, char *msg, size_t cap);
/* key=value...; for_ns > 0: each reverts by itself after that long. A
 * permanent set replaces earlier overrides of the same key; a timed one
 * stacks on top, so its revert brings back what was there before. */
int livepol_set(char *const *kvs, int n, uint64_t for_ns, uint64_t now,
    char *msg, size_t cap);
int livepol_unset(char *const *keys, int n, bool all, uint64_t now,
    char *msg, size_t cap);
/* Revert what is due; returns the next revert deadline, or 0 if none. */
uint64_t livepol_revert_due(uint64_t now);

/* Log a change made elsewhere (flush); fills profile and gen. */
void livepol_note(struct livepol_change *c);
/* The profile in force in file syntax (or JSON) after comment lines on
 * where it comes from: base, --set, overrides and their time left. */
void livepol_describe(uint64_t now, bool json, struct strbuf *sb);
/* Changes with from <= ts <= to, oldest first; at most max. */
unsigned livepol_changes(uint64_t from, uint64_t to, struct livepol_change *out,
    unsigned max);
/* A change as an event line ('\n'-terminated). */
void livepol_change_format(const struct livepol_change *c, enum event_format fmt,
    struct strbuf *sb);

#endif
