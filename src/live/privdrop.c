/* privdrop.c -- `natbox run` gives up what it no longer needs once its
 * queues, raw sockets and control socket are open.
 *
 * What stays, and why:
 *   CAP_NET_ADMIN  every message to nfnetlink, verdicts included, is
 *                  checked against the sender's CAP_NET_ADMIN
 *                  (nfnetlink_rcv_msg(): netlink_net_capable()), not only
 *                  the bind: without it each verdict is refused (EPERM)
 *                  and the queue stalls. tests/e2e/s14_privs.sh checks it.
 *   CAP_NET_RAW    not needed to send on a raw socket already open (the
 *                  kernel checks it in socket(2) only), so it goes unless
 *                  the caller asks to keep it.
 * Everything else (CAP_SYS_ADMIN, CAP_DAC_OVERRIDE, CAP_SETUID...) goes
 * from the permitted, effective, inheritable, ambient and bounding sets,
 * and no_new_privs is set, so nothing natbox could exec gains more.
 *
 * --user: setgroups/setresgid/setresuid with PR_SET_KEEPCAPS, then capset
 * to put the kept capabilities back in the effective set (a uid change
 * empties it). glibc's set*id apply to every thread; capset does not,
 * hence privdrop_apply() runs before the workers and the control thread
 * start, and they inherit its sets.
 *
 * Raw syscalls and <linux/capability.h>, no libcap: two capabilities do
 * not need a library. */
#include <dirent.h>
#include <errno.h>
#include <grp.h>
#include <pwd.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <linux/capability.h>

#include "log.h"
#include "privdrop.h"

#ifndef PR_CAP_AMBIENT
#define PR_CAP_AMBIENT 47
#define PR_CAP_AMBIENT_CLEAR_ALL 4
#endif

void
privdrop_close_inherited(void)
{
	DIR *d;
	struct dirent *de;
	int dfd;

	/* close_range(2) would do, but not every libc has it; /proc lists
	 * exactly what is open. */
	if ((d = opendir("/proc/self/fd")) == NULL)
		return;
	dfd = dirfd(d);
	while ((de = readdir(d)) != NULL) {
		char *end;
		long fd = strtol(de->d_name, &end, 10);

		if (*end != '\0' || end == de->d_name || fd <= 2 || fd == dfd)
			continue;
		(void)close((int)fd);
	}
	closedir(d);
}

int
privdrop_lookup_user(struct privdrop *p, const char *name)
{
	struct passwd *pw;

	errno = 0;
	if ((pw = getpwnam(name)) == NULL) {
		if (errno)
			log_warn("--user %s", name);
		else
			log_warnx("--user %s: no such user", name);
		return -1;
	}
	p->switch_user = true;
	p->uid = pw->pw_uid;
	p->gid = pw->pw_gid;
	return 0;
}

static int
cap_last(void)
{
	int last = CAP_LAST_CAP;

	/* A newer kernel may know more than our header: ask it. */
	while (prctl(PR_CAPBSET_READ, last + 1, 0, 0, 0) >= 0)
		last++;
	return last;
}

static uint64_t
caps_permitted(void)
{
	struct __user_cap_header_struct hdr = {
		.version = _LINUX_CAPABILITY_VERSION_3, .pid = 0
	};
	struct __user_cap_data_struct data[_LINUX_CAPABILITY_U32S_3];

	memset(data, 0, sizeof(data));
	if (syscall(SYS_capget, &hdr, data) < 0)
		return 0;
	return (uint64_t)data[0].permitted | (uint64_t)data[1].permitted << 32;
}

static int
caps_set(uint64_t keep)
{
	struct __user_cap_header_struct hdr = {
		.version = _LINUX_CAPABILITY_VERSION_3, .pid = 0
	};
	struct __user_cap_data_struct data[_LINUX_CAPABILITY_U32S_3];

	memset(data, 0, sizeof(data));
	data[0].effective = data[0].permitted = (uint32_t)keep;
	data[1].effective = data[1].permitted = (uint32_t)(keep >> 32);
	return (int)syscall(SYS_capset, &hdr, data);
}

static int
switch_user(const struct privdrop *p)
{
	if (prctl(PR_SET_KEEPCAPS, 1, 0, 0, 0) < 0) {
		log_warn("PR_SET_KEEPCAPS");
		return -1;
	}
	if (setgroups(0, NULL) < 0 || setresgid(p->gid, p->gid, p->gid) < 0) {
		log_warn("cannot take gid %u", (unsigned)p->gid);
		return -1;
	}
	if (setresuid(p->uid, p->uid, p->uid) < 0) {
		log_warn("cannot take uid %u", (unsigned)p->uid);
		return -1;
	}
	(void)prctl(PR_SET_KEEPCAPS, 0, 0, 0, 0);
	return 0;
}

int
privdrop_apply(const struct privdrop *p)
{
	uint64_t keep = 1ULL << CAP_NET_ADMIN, have = caps_permitted();
	int c, last = cap_last();

	if (p->keep_net_raw)
		keep |= 1ULL << CAP_NET_RAW;
	keep &= have;		/* capset cannot add what we lack */
	/* The bounding set first: dropping from it needs CAP_SETPCAP. Without
	 * it (a unit's CapabilityBoundingSet= took it), whoever limited the
	 * set did this already. */
	for (c = 0; c <= last && (have >> CAP_SETPCAP & 1); c++)
		if (!(keep >> c & 1) && prctl(PR_CAPBSET_READ, c, 0, 0, 0) == 1 &&
		    prctl(PR_CAPBSET_DROP, c, 0, 0, 0) < 0) {
			log_warn("PR_CAPBSET_DROP %d", c);
			return -1;
		}
	(void)prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0);
	if (p->switch_user && switch_user(p) < 0)
		return -1;
	if (caps_set(keep) < 0) {
		log_warn("capset");
		return -1;
	}
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0) {
		log_warn("PR_SET_NO_NEW_PRIVS");
		return -1;
	}
	return 0;
}
