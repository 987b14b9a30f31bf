/* cmd_rules.c -- `natbox rules`: the iptables commands that send TCP to natbox's queue, printed, never run.
 *
 * Printed rather than run: the operator sees what changes on the router
 * and pipes it to sh (or a configuration tool) when it looks right. The
 * NFQUEUE target of iptables (not nftables' queue expression, which some
 * kernels lack) with --queue-bypass: while no natbox is bound, packets
 * pass, so stopping natbox never cuts the router off. */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "log.h"
#include "opts.h"

static void
usage(FILE *f)
{
	fprintf(f,
	    "usage: natbox rules --queue N[-M] [-4 | -6] [--delete] [--chain CHAIN] [--cpu-fanout]\n"
	    "  --queue N        one queue (--queue-num N)\n"
	    "  --queue N-M      one per worker, flows spread by address hash (--queue-balance N:M)\n"
	    "  -4, -6/--ipv6    iptables or ip6tables only (default: both)\n"
	    "  --delete         the commands that remove the rules again (-D for -A)\n"
	    "  --chain CHAIN    the chain (default FORWARD: traffic routed through this box)\n"
	    "  --cpu-fanout     with N-M: pick the queue by CPU (only with symmetric RSS/RPS)\n"
	    "Pipe the output to sh to apply it.\n");
}

int
cmd_rules(int argc, char **argv)
{
	static const struct option lopts[] = {
		{ "queue", required_argument, NULL, 'q' },
		{ "ipv4", no_argument, NULL, '4' },
		{ "ipv6", no_argument, NULL, '6' },
		{ "delete", no_argument, NULL, 'd' },
		{ "chain", required_argument, NULL, 'c' },
		{ "cpu-fanout", no_argument, NULL, 'f' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 }
	};
	const char *chain = "FORWARD", *queue = NULL;
	bool v4 = false, v6 = false, del = false, fanout = false;
	unsigned lo, hi;
	char target[96];
	int c;

	optind = 0;
	while ((c = getopt_long(argc, argv, "+q:46dc:fh", lopts, NULL)) != -1) {
		switch (c) {
		case 'q':
			queue = optarg;
			break;
		case '4':
			v4 = true;
			break;
		case '6':
			v6 = true;
			break;
		case 'd':
			del = true;
			break;
		case 'c':
			chain = optarg;
			break;
		case 'f':
			fanout = true;
			break;
		case 'h':
			usage(stdout);
			return 0;
		default:
			usage(stderr);
			return 2;
		}
	}
	if (optind < argc || queue == NULL) {
		log_warnx("rules: %s", queue ? "unexpected argument" : "--queue is required");
		usage(stderr);
		return 2;
	}
	if (get_queues(queue, &lo, &hi, 65536) < 0) {
		log_warnx("rules: --queue %s: expected N or N-M, 0-65535", queue);
		return 2;
	}
	if (chain[0] == '\0' || strpbrk(chain, " \t'\"$;|&`\\") != NULL) {
		log_warnx("rules: --chain %s: not a chain name", chain);
		return 2;
	}
	if (fanout && lo == hi) {
		log_warnx("rules: --cpu-fanout needs a queue range N-M");
		return 2;
	}
	if (!v4 && !v6)
		v4 = v6 = true;
	if (lo == hi)
		snprintf(target, sizeof(target), "--queue-num %u", lo);
	else
		snprintf(target, sizeof(target), "--queue-balance %u:%u%s", lo, hi,
		    fanout ? " --queue-cpu-fanout" : "");
	printf("# %s: TCP %s natbox on queue %s; --queue-bypass lets packets pass "
	    "while no natbox runs\n", del ? "remove" : "send", del ? "no longer to" : "to", queue);
	if (lo != hi && !fanout)
		printf("# the kernel hashes the address pair, so both directions of a flow "
		    "meet one worker: run natbox run --queue %u-%u\n", lo, hi);
	if (v4)
		printf("iptables -w -%c %s -p tcp -j NFQUEUE %s --queue-bypass\n",
		    del ? 'D' : 'A', chain, target);
	if (v6)
		printf("ip6tables -w -%c %s -p tcp -j NFQUEUE %s --queue-bypass\n",
		    del ? 'D' : 'A', chain, target);
	return 0;
}
