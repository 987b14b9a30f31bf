/* cmd_proberules.c -- `natbox probe rules client | server`: the iptables commands that drop each host's own RSTs on the probe's raw flows, printed, never run.
 *
 * The probe's closing-phase searches (probe_close.c) open TCP flows that
 * only raw sockets speak: the client's raw SYN to the server's silent
 * port (the first listen port + 1), the server's raw SYN/ACK, then FINs
 * and ACKs from either raw socket, some held back. Neither stack owns a
 * socket for such a flow, so each answers the other's segments with a
 * RST (the client's to the SYN/ACK, the server's to the ACK and the FIN)
 * that would end the flow in the device before any timer ran. These rules
 * drop just those RSTs: on the client, RSTs to the server's silent port;
 * on the server, RSTs from it (no connection of the probe's uses it).
 * Printed, as `natbox rules` prints its own, for the user to pipe to sh
 * on each host (--delete: the commands that remove them). The probe
 * checks for them itself (each side reports the other's RSTs) and skips
 * the searches, naming this command, when they are missing.
 */
#include <arpa/inet.h>
#include <getopt.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "log.h"
#include "probe.h"
#include "probe_addr.h"

static void
usage(FILE *f)
{
	fprintf(f,
	    "usage: natbox probe rules client --server ADDR[:PORT] [--delete]\n"
	    "       natbox probe rules server [--listen ADDR[:PORT]] [--delete]\n"
	    "  the iptables commands (printed, never run: pipe them to sh as root on\n"
	    "  that host) that drop the host's own RSTs on the probe's raw flows, to\n"
	    "  and from the server's silent port (the first listen port + 1), so the\n"
	    "  probe can measure FIN_WAIT, CLOSE_WAIT, LAST_ACK, TIME_WAIT and\n"
	    "  SYN_RECV; IPv4 only (the raw searches are)\n"
	    "  --server ADDR    as given to `natbox probe client`\n"
	    "  --listen ADDR    the server's first --listen (default 0.0.0.0:%u)\n"
	    "  --delete         the commands that remove the rules again (-D for -A)\n",
	    PROBE_PORT);
}

static int
print_rules(bool client, const struct sockaddr_in *a, bool del)
{
	char addr[INET_ADDRSTRLEN];
	unsigned silent = ntohs(a->sin_port) + 1u;

	if (silent > 65535) {
		log_warnx("probe rules: port %u has no silent port after it", ntohs(a->sin_port));
		return 2;
	}
	inet_ntop(AF_INET, &a->sin_addr, addr, sizeof(addr));
	printf("# natbox probe rules %s: %s the probe's raw flows' RSTs from this host's "
	    "stack\n", client ? "client" : "server", del ? "stop dropping" : "drop");
	if (client)
		printf("iptables -%c OUTPUT -p tcp --tcp-flags RST RST -d %s --dport %u -j DROP\n",
		    del ? 'D' : 'I', addr, silent);
	else if (a->sin_addr.s_addr == htonl(INADDR_ANY))
		printf("iptables -%c OUTPUT -p tcp --tcp-flags RST RST --sport %u -j DROP\n",
		    del ? 'D' : 'I', silent);
	else
		printf("iptables -%c OUTPUT -p tcp --tcp-flags RST RST -s %s --sport %u -j DROP\n",
		    del ? 'D' : 'I', addr, silent);
	return 0;
}

int
cmd_probe_rules(int argc, char **argv)
{
	static const struct option lopts[] = {
		{ "server", required_argument, NULL, 's' },
		{ "listen", required_argument, NULL, 'l' },
		{ "delete", no_argument, NULL, 'd' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 }
	};
	const char *side = argc >= 2 ? argv[1] : "", *at = NULL;
	bool client = strcmp(side, "client") == 0, del = false;
	union probe_sa sa;
	struct sockaddr_in v4;
	int c;

	if (!client && strcmp(side, "server") != 0) {
		usage(argc >= 2 && strcmp(side, "--help") == 0 ? stdout : stderr);
		return argc >= 2 && strcmp(side, "--help") == 0 ? 0 : 2;
	}
	optind = 0;
	while ((c = getopt_long(argc - 1, argv + 1, "+s:l:dh", lopts, NULL)) != -1) {
		if (c == 'h') {
			usage(stdout);
			return 0;
		}
		if ((c == 's' && client) || (c == 'l' && !client))
			at = optarg;
		else if (c == 'd')
			del = true;
		else {
			usage(stderr);
			return 2;
		}
	}
	if (optind < argc - 1 || (client && at == NULL)) {
		log_warnx("probe rules %s: %s", side, client && at == NULL ? "--server is required" :
		    "unexpected argument");
		return 2;
	}
	if (probe_parse_addr(at != NULL ? at : "0.0.0.0", &sa) < 0 || !probe_sa_v4(&sa, &v4)) {
		log_warnx("probe rules %s: %s: expected an IPv4 ADDR[:PORT] (the raw searches are "
		    "IPv4 only)", side, at);
		return 2;
	}
	return print_rules(client, &v4, del);
}
