/* livepol_int.h -- what livepol.c (the profile: build, publish) and livepol_change.c (overrides, the log of changes) share; private to src/control. */
#ifndef NATBOX_LIVEPOL_INT_H
#define NATBOX_LIVEPOL_INT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "livepol.h"
#include "policy.h"
#include "strbuf.h"

/* ---- livepol.c ---- */

/* The lock every change and every read of the change state takes. */
void lp_lock(void);
void lp_unlock(void);
/* The generation of the profile in force. */
unsigned lp_generation(void);
/* Build from base profile b (NULL: the one in force) and the overrides,
 * publish, and describe the change in msg (and in the log as "WHAT NAME,
 * generation N: what changed"). Under the lock. On failure the override
 * list is restored from the saved one (lp_overrides_save()). */
int lp_rebuild(const struct policy *b, const char *what, char *msg, size_t cap);
/* A profile parser's errors as one message. */
void lp_errs_to_msg(const struct policy_errors *e, struct strbuf *sb);

/* ---- livepol_change.c ---- */

/* The overrides: kept before a change (save) and put back if it fails
 * (restore); applied in order to a profile being built; listed by
 * livepol_describe() (JSON: the array's members; text: comment lines). */
void lp_overrides_save(void);
void lp_overrides_restore(void);
void lp_overrides_clear(void);
int lp_overrides_apply(struct policy *p, struct policy_errors *errs);
void lp_overrides_describe(uint64_t now, bool json, struct strbuf *sb);

/* A change of kind `what` at now; logged (event stream, explain's list)
 * with the profile and generation in force, under the lock. */
void lp_change_init(struct livepol_change *c, const char *what, uint64_t now);
void lp_note_locked(struct livepol_change *c);

#endif
