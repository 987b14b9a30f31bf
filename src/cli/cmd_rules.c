/* cmd_rules.c -- `natbox rules`: the iptables commands that send TCP to natbox's queue, printed, never run.
 *
 * Printed rather than run: the operator sees what changes on the router
 * and pipes it to sh (or a configuration tool) when it looks right. The
 * NFQUEUE target of iptables (not nftables' queue expression, which some
 * kernels lack) with --queue-bypass: while no natbox is bound, packets
 * pass, so stopping natbox never cuts the router off.
 *
 * Every queue rule carries `-m nfacct --nfacct-name natbox-qN`: a counter
 * of the packets that reach it, which `natbox run` sets against the
 * packets it was handed, so what --fail-open lets past natbox is counted
 * (nfacct.c says why the kernel's own figures cannot tell). The counter is
 * made before the rules (`natbox nfacct add`; the match refuses a missing
 * one) and removed after them. */
#include <getopt.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "log.h"
#include "nfacct.h"
#include "opts.h"

enum { P_TCP = 1, P_UDP = 2, P_ICMP = 4, P_ALL = 8 };

/* One rule per protocol and family, in this order: "all" is one rule
 * without -p. ICMPv6 is ip6tables' "ipv6-icmp"; neighbour discovery never
 * crosses FORWARD, so queueing it there costs nothing. */
static const struct {
	unsigned bit;
	const char *name, *v4, *v6;
} protocols[] = {
	{ P_TCP, "tcp", " -p tcp", " -p tcp" },
	{ P_UDP, "udp", " -p udp", " -p udp" },
	{ P_ICMP, "icmp", " -p icmp", " -p ipv6-icmp" },
	{ P_ALL, "all", "", "" },
};

/* "tcp,udp" -> its bits; 0 if a word is unknown or "all" is mixed in. */
static unsigned
proto_mask(const char *list)
{
	unsigned mask = 0;
	const char *w = list;

	while (*w) {
		size_t n = strcspn(w, ",");
		unsigned i;

		for (i = 0; i < sizeof(protocols) / sizeof(protocols[0]); i++)
			if (strlen(protocols[i].name) == n && strncmp(w, protocols[i].name, n) == 0)
				break;
		if (i == sizeof(protocols) / sizeof(protocols[0]))
			return 0;
		mask |= protocols[i].bit;
		w += n + (w[n] == ',');
	}
	return (mask & P_ALL) && mask != P_ALL ? 0 : mask;
}

static void
usage(FILE *f)
{
	fprintf(f,
	    "usage: natbox rules --queue N[-M] [--proto LIST] [-4 | -6] [--delete] [--chain CHAIN]\n"
	    "                    [--cpu-fanout]\n"
	    "       natbox rules --nat --inside IF --outside IF --queue N [--policy NAME|FILE]\n"
	    "                    [--set key=value]... [--delete]\n"
	    "  --queue N        one queue (--queue-num N)\n"
	    "  --queue N-M      one per worker, flows spread by address hash (--queue-balance N:M)\n"
	    "  --proto LIST     what natbox sees: tcp, udp, icmp (ICMPv6 for ip6tables),\n"
	    "                   comma-separated, or all (every IP protocol); default tcp,udp,icmp\n"
	    "  -4, -6/--ipv6    iptables or ip6tables only (default: both)\n"
	    "  --delete         the commands that remove the rules again (-D for -A)\n"
	    "  --chain CHAIN    the chain (default FORWARD: traffic routed through this box)\n"
	    "  --cpu-fanout     with N-M: pick the queue by CPU (only with symmetric RSS/RPS)\n"
	    "  --nat            translation: the whole router set-up (forwarding, pool\n"
	    "                   addresses on --outside, raw/mangle queue rules, conntrack\n"
	    "                   kept out) for the pool of the profile's nat.outside\n"
	    "                   (--policy, default rfc4787, and --set); IPv4, one queue\n"
	    "Pipe the output to sh to apply it.\n");
}

static bool
name_ok(const char *s)
{
	return s[0] != '\0' && strpbrk(s, " \t'\"$;|&`\\") == NULL;
}

/* This binary's own path, so the printed script runs the natbox that
 * printed it (a checkout's ./natbox too); "natbox" if it has no plain one. */
static const char *
self_path(char *buf, size_t cap)
{
	ssize_t n = readlink("/proc/self/exe", buf, cap - 1);

	if (n <= 0 || (size_t)n >= cap - 1)
		return "natbox";
	buf[n] = '\0';
	return name_ok(buf) && buf[0] == '/' ? buf : "natbox";
}

void
rules_counter_match(unsigned lo, unsigned hi, char *buf, size_t cap)
{
	char name[NFACCT_NAME_LEN];

	nfacct_queue_name(lo, hi, name, sizeof(name));
	snprintf(buf, cap, " -m nfacct --nfacct-name %s", name);
}

void
rules_counter(unsigned lo, unsigned hi, bool del)
{
	char name[NFACCT_NAME_LEN], self[PATH_MAX];

	nfacct_queue_name(lo, hi, name, sizeof(name));
	if (del) {
		printf("# the rules' counter, once no rule uses it\n");
		printf("%s nfacct delete %s\n", self_path(self, sizeof(self)), name);
		return;
	}
	printf("# %s counts the packets that reach the rules: natbox run sets it against\n"
	    "# those it was handed (ctl stats: queue.matched, queue.bypassed)\n", name);
	printf("%s nfacct add %s\n", self_path(self, sizeof(self)), name);
}

/* --nat: one queue, both interfaces; then the recipe. */
static int
rules_nat_args(int argc, const char *queue, struct rules_nat *rn, bool del)
{
	unsigned lo, hi;

	if (optind < argc || queue == NULL || rn->inside == NULL || rn->outside == NULL) {
		log_warnx("rules --nat: %s", optind < argc ? "unexpected argument" :
		    "--queue, --inside and --outside are required");
		usage(stderr);
		return 2;
	}
	if (get_queues(queue, &lo, &hi, 65536) < 0 || lo != hi) {
		log_warnx("rules --nat: --queue %s: expected one queue N, 0-65535 (one mapping "
		    "table: translation runs on one queue)", queue);
		return 2;
	}
	if (!name_ok(rn->inside) || !name_ok(rn->outside) || strlen(rn->inside) >= 16 ||
	    strlen(rn->outside) >= 16 || strcmp(rn->inside, rn->outside) == 0) {
		log_warnx("rules --nat: --inside %s --outside %s: two interface names expected",
		    rn->inside, rn->outside);
		return 2;
	}
	rn->queue = lo;
	rn->del = del;
	return rules_nat(rn);
}

struct rules_args {
	const char *chain, *queue, *protos;
	bool v4, v6, del, fanout, nat;
	struct rules_nat rn;
};

/* The options into *a (--set's into sets). 0, or with *done the exit
 * status: 0 after --help, 2. */
static int
rules_parse(int argc, char **argv, struct rules_args *a, char **sets, bool *done)
{
	static const struct option lopts[] = {
		{ "queue", required_argument, NULL, 'q' },
		{ "ipv4", no_argument, NULL, '4' },
		{ "ipv6", no_argument, NULL, '6' },
		{ "delete", no_argument, NULL, 'd' },
		{ "chain", required_argument, NULL, 'c' },
		{ "cpu-fanout", no_argument, NULL, 'f' },
		{ "proto", required_argument, NULL, 'p' },
		{ "nat", no_argument, NULL, 'n' },
		{ "inside", required_argument, NULL, 'I' },
		{ "outside", required_argument, NULL, 'O' },
		{ "policy", required_argument, NULL, 'P' },
		{ "set", required_argument, NULL, 's' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 }
	};
	int c;

	*done = false;
	optind = 0;
	while ((c = getopt_long(argc, argv, "+q:46dc:fp:h", lopts, NULL)) != -1) {
		switch (c) {
		case 'n':
			a->nat = true;
			break;
		case 'I':
			a->rn.inside = optarg;
			break;
		case 'O':
			a->rn.outside = optarg;
			break;
		case 'P':
			a->rn.policy = optarg;
			break;
		case 's':
			sets[a->rn.nsets++] = optarg;
			break;
		case 'q':
			a->queue = optarg;
			break;
		case 'p':
			a->protos = optarg;
			break;
		case '4':
			a->v4 = true;
			break;
		case '6':
			a->v6 = true;
			break;
		case 'd':
			a->del = true;
			break;
		case 'c':
			a->chain = optarg;
			break;
		case 'f':
			a->fanout = true;
			break;
		case 'h':
			usage(stdout);
			*done = true;
			return 0;
		default:
			usage(stderr);
			*done = true;
			return 2;
		}
	}
	return 0;
}

/* The filter rules for queues lo..hi (ranges checked). */
static void
rules_print(const struct rules_args *a, unsigned lo, unsigned hi, unsigned pmask)
{
	char target[96], counter[64];
	bool v4 = a->v4, v6 = a->v6;

	if (!v4 && !v6)
		v4 = v6 = true;
	if (lo == hi)
		snprintf(target, sizeof(target), "--queue-num %u", lo);
	else
		snprintf(target, sizeof(target), "--queue-balance %u:%u%s", lo, hi,
		    a->fanout ? " --queue-cpu-fanout" : "");
	printf("# %s: %s %s natbox on queue %s; --queue-bypass lets packets pass "
	    "while no natbox runs\n", a->del ? "remove" : "send",
	    pmask == P_ALL ? "every IP protocol" : a->protos, a->del ? "no longer to" : "to",
	    a->queue);
	if (lo != hi && !a->fanout)
		printf("# the kernel hashes the address pair, so both directions of a flow "
		    "meet one worker: run natbox run --queue %u-%u\n", lo, hi);
	rules_counter_match(lo, hi, counter, sizeof(counter));
	if (!a->del)
		rules_counter(lo, hi, false);
	for (unsigned i = 0; i < sizeof(protocols) / sizeof(protocols[0]); i++) {
		if (!(pmask & protocols[i].bit))
			continue;
		if (v4 && protocols[i].v4)
			printf("iptables -w -%c %s%s%s -j NFQUEUE %s --queue-bypass\n",
			    a->del ? 'D' : 'A', a->chain, protocols[i].v4, counter, target);
		if (v6 && protocols[i].v6)
			printf("ip6tables -w -%c %s%s%s -j NFQUEUE %s --queue-bypass\n",
			    a->del ? 'D' : 'A', a->chain, protocols[i].v6, counter, target);
	}
	if (a->del)
		rules_counter(lo, hi, true);
}

int
cmd_rules(int argc, char **argv)
{
	struct rules_args a = {
		.chain = "FORWARD", .protos = "tcp,udp,icmp", .rn = { .policy = "rfc4787" },
	};
	char **sets = calloc((size_t)argc + 1, sizeof(*sets));
	unsigned lo, hi, pmask;
	bool done;
	int rc;

	if (sets == NULL)
		fatal("calloc");
	a.rn.sets = sets;
	rc = rules_parse(argc, argv, &a, sets, &done);
	if (!done && a.nat)
		rc = rules_nat_args(argc, a.queue, &a.rn, a.del);
	free(sets);
	if (done || a.nat)
		return rc;
	if (optind < argc || a.queue == NULL) {
		log_warnx("rules: %s", a.queue ? "unexpected argument" : "--queue is required");
		usage(stderr);
		return 2;
	}
	if (get_queues(a.queue, &lo, &hi, 65536) < 0) {
		log_warnx("rules: --queue %s: expected N or N-M, 0-65535", a.queue);
		return 2;
	}
	if (a.chain[0] == '\0' || strpbrk(a.chain, " \t'\"$;|&`\\") != NULL) {
		log_warnx("rules: --chain %s: not a chain name", a.chain);
		return 2;
	}
	if (a.fanout && lo == hi) {
		log_warnx("rules: --cpu-fanout needs a queue range N-M");
		return 2;
	}
	if ((pmask = proto_mask(a.protos)) == 0) {
		log_warnx("rules: --proto %s: expected tcp, udp, icmp (comma-separated) or all",
		    a.protos);
		return 2;
	}
	rules_print(&a, lo, hi, pmask);
	return 0;
}
