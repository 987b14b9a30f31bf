/* policy_tb.h -- the profile tests' comparisons: two parsed profiles are the
 * same in every field but the informational inherit. */
#ifndef NATBOX_POLICY_TB_H
#define NATBOX_POLICY_TB_H

#include <check.h>
#include <stdbool.h>
#include <string.h>

#include "policy.h"

/* A field added to struct policy must be compared below (both functions):
 * this size (x86-64) changes with it. */
#define POLICY_TB_SIZE	1312
_Static_assert(sizeof(struct policy) == POLICY_TB_SIZE,
    "struct policy changed: compare the new field in policy_tb.h, then update POLICY_TB_SIZE");

/* Field by field (not memcmp: padding), inherit left out. */
static inline bool
same_policy(const struct policy *a, const struct policy *b)
{
	return memcmp(a->name, b->name, sizeof(a->name)) == 0 &&
	    memcmp(a->description, b->description, sizeof(a->description)) == 0 &&
	    memcmp(a->source, b->source, sizeof(a->source)) == 0 &&
	    memcmp(a->timeout, b->timeout, sizeof(a->timeout)) == 0 &&
	    memcmp(a->refresh, b->refresh, sizeof(a->refresh)) == 0 &&
	    a->unacknowledged == b->unacknowledged &&
	    a->tombstone == b->tombstone &&
	    a->half_close_start == b->half_close_start &&
	    a->expire_action == b->expire_action &&
	    a->after_expiry == b->after_expiry &&
	    a->unknown_flow == b->unknown_flow &&
	    a->timewait_reopen == b->timewait_reopen &&
	    a->invalid == b->invalid && a->malformed == b->malformed &&
	    a->window_tracking == b->window_tracking &&
	    memcmp(a->fault, b->fault, sizeof(a->fault)) == 0 &&
	    a->fault_seed == b->fault_seed && a->max_flows == b->max_flows &&
	    a->table_full == b->table_full &&
	    a->adaptive_start == b->adaptive_start &&
	    a->adaptive_end == b->adaptive_end &&
	    a->icmp_errors == b->icmp_errors &&
	    memcmp(&a->nat, &b->nat, sizeof(a->nat)) == 0 &&
	    a->tcp_loose == b->tcp_loose && a->tcp_liberal == b->tcp_liberal &&
	    a->tcp_ignore_invalid_rst == b->tcp_ignore_invalid_rst &&
	    a->tcp_max_retrans == b->tcp_max_retrans &&
	    a->max_retrans_timeout == b->max_retrans_timeout;
}

/* The same, failing on the first field that differs. */
static inline void
assert_same_policy(const struct policy *a, const struct policy *b)
{
	ck_assert_mem_eq(a->name, b->name, sizeof(a->name));
	ck_assert_mem_eq(a->description, b->description, sizeof(a->description));
	ck_assert_mem_eq(a->source, b->source, sizeof(a->source));
	ck_assert_mem_eq(a->timeout, b->timeout, sizeof(a->timeout));
	ck_assert_mem_eq(a->refresh, b->refresh, sizeof(a->refresh));
	ck_assert_uint_eq(a->unacknowledged, b->unacknowledged);
	ck_assert_uint_eq(a->tombstone, b->tombstone);
	ck_assert_uint_eq(a->half_close_start, b->half_close_start);
	ck_assert_uint_eq(a->expire_action, b->expire_action);
	ck_assert_uint_eq(a->after_expiry, b->after_expiry);
	ck_assert_uint_eq(a->unknown_flow, b->unknown_flow);
	ck_assert_uint_eq(a->timewait_reopen, b->timewait_reopen);
	ck_assert_uint_eq(a->invalid, b->invalid);
	ck_assert_uint_eq(a->malformed, b->malformed);
	ck_assert(a->window_tracking == b->window_tracking);
	ck_assert_mem_eq(a->fault, b->fault, sizeof(a->fault));
	ck_assert_uint_eq(a->fault_seed, b->fault_seed);
	ck_assert_uint_eq(a->max_flows, b->max_flows);
	ck_assert_uint_eq(a->table_full, b->table_full);
	ck_assert_uint_eq(a->adaptive_start, b->adaptive_start);
	ck_assert_uint_eq(a->adaptive_end, b->adaptive_end);
	ck_assert_uint_eq(a->icmp_errors, b->icmp_errors);
	ck_assert_mem_eq(&a->nat, &b->nat, sizeof(a->nat));
	ck_assert(a->tcp_loose == b->tcp_loose && a->tcp_liberal == b->tcp_liberal &&
	    a->tcp_ignore_invalid_rst == b->tcp_ignore_invalid_rst);
	ck_assert_uint_eq(a->tcp_max_retrans, b->tcp_max_retrans);
	ck_assert_uint_eq(a->max_retrans_timeout, b->max_retrans_timeout);
}

#endif
