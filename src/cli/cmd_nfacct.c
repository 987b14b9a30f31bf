/* cmd_nfacct.c -- `natbox nfacct add|delete|get NAME`: the counter objects
 * natbox's NFQUEUE rules carry, made and removed without the nfacct tool.
 *
 * `natbox rules` prints these commands around its iptables lines: add
 * before the rules (the nfacct match refuses a missing object), delete
 * after them (the kernel refuses to delete an object a rule uses). Both
 * are idempotent, so a set-up or teardown script can run twice. */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "log.h"
#include "nfacct.h"

static void
usage(FILE *f)
{
	fprintf(f,
	    "usage: natbox nfacct add|delete|get NAME\n"
	    "  add     create the counter NAME (nothing if it exists)\n"
	    "  delete  remove it (nothing if it is missing; kept while a rule uses it)\n"
	    "  get     print its packets, bytes and the rules using it\n"
	    "NAME is natbox-qN (natbox-qN-M for a queue range) in the rules `natbox rules`\n"
	    "prints; `natbox run` reads it to count the packets that bypass it.\n");
}

static int
nfacct_do(struct nfacct *a, const char *op, const char *name)
{
	struct nfacct_obj o;

	if (strcmp(op, "add") == 0) {
		if (nfacct_add(a, name) == 0)
			return 0;
		if (errno == EBUSY || errno == EEXIST) {
			log_info("nfacct: %s exists already", name);
			return 0;
		}
	} else if (strcmp(op, "delete") == 0) {
		if (nfacct_del(a, name) == 0)
			return 0;
		if (errno == ENOENT) {
			log_info("nfacct: no counter %s: nothing to delete", name);
			return 0;
		}
		if (errno == EBUSY) {
			log_warnx("nfacct: %s is still used by a rule: kept", name);
			return 0;
		}
	} else {
		if (nfacct_get(a, name, &o) == 0) {
			/* one reference is the object's own */
			printf("%s pkts=%" PRIu64 " bytes=%" PRIu64 " rules=%u\n", name, o.pkts,
			    o.bytes, o.use ? o.use - 1 : 0);
			return 0;
		}
		if (errno == ENOENT) {
			log_warnx("nfacct: no counter %s", name);
			return 1;
		}
	}
	if (errno == EPERM)
		log_warnx("nfacct %s %s: needs root (CAP_NET_ADMIN)", op, name);
	else
		log_warn("nfacct %s %s", op, name);
	return 1;
}

int
cmd_nfacct(int argc, char **argv)
{
	struct nfacct *a;
	int rc;

	if (argc == 2 && (!strcmp(argv[1], "-h") || !strcmp(argv[1], "--help"))) {
		usage(stdout);
		return 0;
	}
	if (argc != 3 || (strcmp(argv[1], "add") && strcmp(argv[1], "delete") &&
	    strcmp(argv[1], "get"))) {
		usage(stderr);
		return 2;
	}
	if (argv[2][0] == '\0' || strlen(argv[2]) >= NFACCT_NAME_LEN) {
		log_warnx("nfacct: '%s': a name of 1 to %d bytes expected", argv[2],
		    NFACCT_NAME_LEN - 1);
		return 2;
	}
	if ((a = nfacct_open()) == NULL) {
		log_warn("nfacct: netlink socket");
		return 1;
	}
	rc = nfacct_do(a, argv[1], argv[2]);
	nfacct_close(a);
	return rc;
}
