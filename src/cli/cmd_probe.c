/* cmd_probe.c -- `natbox probe server | client`: measure a NAT or firewall from both sides and write the profile that emulates it. */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "log.h"
#include "opts.h"
#include "policy.h"
#include "probe.h"

static void
usage(FILE *f)
{
	fprintf(f,
	    "usage: natbox probe server [--listen ADDR[:PORT] | [ADDR6][:PORT]]...\n"
	    "       natbox probe rules client --server ADDR[:PORT] | server [--listen ADDR[:PORT]]\n"
	    "                           [--delete]\n"
	    "       natbox probe client --server ADDR[:PORT] | [ADDR6][:PORT] | ADDR6\n"
	    "                           [--max-wait DURATION]\n"
	    "                           [--resolution DURATION] [--flows N] [--quick]\n"
	    "                           [--translation-only] [--json] [-o FILE]\n"
	    "  server: on the far side of the device; TCP and UDP on each --listen\n"
	    "          (default 0.0.0.0:%u); two endpoints (addresses or ports) let the\n"
	    "          client tell mapping and filtering apart (RFC 4787)\n"
	    "  client: on the near side; no root needed (the raw-socket searches\n"
	    "          need it, and are IPv4 only)\n"
	    "  rules:  the iptables commands (printed) that drop each host's own RSTs on\n"
	    "          the probe's raw flows: FIN_WAIT, CLOSE_WAIT, LAST_ACK, TIME_WAIT\n"
	    "          and SYN_RECV are measured only with them on both hosts\n"
	    "  --max-wait D     the longest idle tried (default 10m)\n"
	    "  --resolution D   stop a search when the timer is pinned this close\n"
	    "                   (default: max-wait / 40, at least 100ms)\n"
	    "  --flows N        parallel flows a round, per measurement (default 12)\n"
	    "  --quick          for timers under a minute (a lab, a scaled-down\n"
	    "                   profile): --max-wait 1m --resolution 250ms unless given\n"
	    "  --translation-only  mapping, filtering, ports and parity only (seconds):\n"
	    "                   no timers\n"
	    "  --json           the report as JSON\n"
	    "  -o FILE          write the measured profile (else printed after the report)\n",
	    PROBE_PORT);
}

static int
probe_server(int argc, char **argv)
{
	static const struct option lopts[] = {
		{ "listen", required_argument, NULL, 'l' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 }
	};
	struct probe_srv_opts o;
	int c;

	memset(&o, 0, sizeof(o));
	optind = 0;
	while ((c = getopt_long(argc, argv, "+l:h", lopts, NULL)) != -1) {
		if (c == 'h') {
			usage(stdout);
			return 0;
		}
		if (c != 'l') {
			usage(stderr);
			return 2;
		}
		if (o.nlisten == PROBE_LISTEN_MAX) {
			log_warnx("probe server: at most %d --listen", PROBE_LISTEN_MAX);
			return 2;
		}
		if (probe_parse_addr(optarg, &o.addr[o.nlisten]) < 0) {
			log_warnx("probe server: --listen %s: expected ADDR[:PORT] or [ADDR6][:PORT]",
			    optarg);
			return 2;
		}
		o.nlisten++;
	}
	if (optind < argc) {
		usage(stderr);
		return 2;
	}
	if (o.nlisten == 0)
		probe_parse_addr("0.0.0.0", &o.addr[o.nlisten++]);
	for (unsigned i = 0; i < o.nlisten; i++)
		probe_sa_v4(&o.addr[i], &o.listen[i]);
	return probe_server_run(&o);
}

static int
duration_opt(const char *name, const char *arg, uint64_t *ns)
{
	if (policy_parse_duration(arg, ns) == 0 && *ns > 0)
		return 0;
	log_warnx("probe client: --%s %s: expected a duration (30s, 10m, 250ms)", name, arg);
	return -1;
}

static int
probe_client(int argc, char **argv)
{
	static const struct option lopts[] = {
		{ "server", required_argument, NULL, 's' },
		{ "max-wait", required_argument, NULL, 'm' },
		{ "resolution", required_argument, NULL, 'r' },
		{ "flows", required_argument, NULL, 'n' },
		{ "json", no_argument, NULL, 'j' },
		{ "translation-only", no_argument, NULL, 't' },
		{ "quick", no_argument, NULL, 'Q' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 }
	};
	struct probe_cli_opts o = {
		.max_wait = 600 * NS_PER_SEC, .answer_wait = 1500 * 1000000ULL, .per_round = 12,
	};
	unsigned long long n;
	bool quick = false, max_set = false;
	int c;

	optind = 0;
	while ((c = getopt_long(argc, argv, "+s:m:r:n:jto:h", lopts, NULL)) != -1) {
		switch (c) {
		case 's':
			o.server_arg = optarg;
			if (probe_parse_addr(optarg, &o.addr) < 0) {
				log_warnx("probe client: --server %s: expected ADDR[:PORT], "
				    "[ADDR6][:PORT] or ADDR6", optarg);
				return 2;
			}
			probe_sa_v4(&o.addr, &o.server);
			break;
		case 'm':
			if (duration_opt("max-wait", optarg, &o.max_wait) < 0)
				return 2;
			max_set = true;
			break;
		case 'r':
			if (duration_opt("resolution", optarg, &o.resolution) < 0)
				return 2;
			break;
		case 'n':
			if (opt_unsigned(&n, "flows", optarg, 4, 32) < 0)
				return 2;
			o.per_round = (unsigned)n;
			break;
		case 'j':
			o.json = true;
			break;
		case 't':
			o.translation_only = true;
			break;
		case 'Q':
			quick = true;
			break;
		case 'o':
			o.out = optarg;
			break;
		case 'h':
			usage(stdout);
			return 0;
		default:
			usage(stderr);
			return 2;
		}
	}
	if (optind < argc || o.server_arg == NULL) {
		log_warnx("probe client: %s", o.server_arg ? "unexpected argument" : "--server is required");
		usage(stderr);
		return 2;
	}
	if (quick && !max_set)
		o.max_wait = 60 * NS_PER_SEC;
	if (quick && o.resolution == 0)
		o.resolution = 250 * (NS_PER_SEC / 1000);
	if (o.resolution == 0)
		o.resolution = o.max_wait / 40 > 100000000ULL ? o.max_wait / 40 : 100000000ULL;
	return probe_client_run(&o);
}

int
cmd_probe(int argc, char **argv)
{
	if (argc >= 2 && strcmp(argv[1], "server") == 0)
		return probe_server(argc - 1, argv + 1);
	if (argc >= 2 && strcmp(argv[1], "client") == 0)
		return probe_client(argc - 1, argv + 1);
	if (argc >= 2 && strcmp(argv[1], "rules") == 0)
		return cmd_probe_rules(argc - 1, argv + 1);
	if (argc >= 2 && (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0)) {
		usage(stdout);
		return 0;
	}
	usage(stderr);
	return 2;
}
