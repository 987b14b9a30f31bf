/* policy_int.h -- the profile parser's name tables, shared with its writers (core-internal). */
#ifndef NATBOX_POLICY_INT_H
#define NATBOX_POLICY_INT_H

#define NELEM(a) (sizeof(a) / sizeof((a)[0]))

/* Enum names as spelled in files, indexed by the enums of policy.h. */
extern const char *const policy_refresh_names[4];
extern const char *const policy_hc_names[3];
extern const char *const policy_expire_names[2];
extern const char *const policy_late_names[3];
extern const char *const policy_reopen_names[2];
extern const char *const policy_bad_names[2];
extern const char *const policy_full_names[2];
extern const char *const policy_onoff_names[2];
extern const char *const policy_fault_names[FAULT__MAX];

#endif
