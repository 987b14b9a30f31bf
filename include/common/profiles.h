/* profiles.h -- find a profile by name or file, read it and resolve inherit. */
#ifndef NATBOX_PROFILES_H
#define NATBOX_PROFILES_H

#include "policy.h"

/* Load profile NAME (looked up in $NATBOX_POLICY_PATH, ./policies next to
 * the binary's checkout, then the installed directory) or FILE (contains a
 * '/' or ends in .profile), resolving `inherit`. Then apply each
 * "key=value" of sets (origin "--set"). On error prints every
 * "file:line: message" to stderr and returns -1. */
int profile_load(const char *name_or_file, char *const *sets, int nsets,
    struct policy *p);
/* Same, errors returned instead of printed (reload keeps the old one). */
int profile_load_errs(const char *name_or_file, char *const *sets, int nsets,
    struct policy *p, struct policy_errors *errs);

/* Call fn for each profile file found by name, search path order, first
 * one of each name only. Returns the count. */
int profile_foreach(void (*fn)(void *ctx, const char *name, const char *path), void *ctx);

#endif
