/* probe_cli_int.h -- the probe client's state, shared by its rounds (probe_cli.c) and its findings (probe_out.c). */
#ifndef NATBOX_PROBE_CLI_INT_H
#define NATBOX_PROBE_CLI_INT_H

#include <stdbool.h>
#include <stdint.h>

#include "infer.h"
#include "probe.h"
#include "probe_int.h"

#define PROBE_ROUND_MAX	96

struct strbuf;

/* Searches (infer.h), then kinds of flow that are not, each kept alive
 * by one kind of packet every T/4 (refresh rules): M_TCP_HREF, a
 * half-closed flow the server keeps sending into (idle vs absolute);
 * M_TCP_EKEEP, an established flow the client sends a byte into (echoed);
 * M_UDP_KORIG and M_UDP_KREPLY, replied UDP flows only the client, or
 * only the server, sends into. */
enum mkind { M_TCP_EST = 0, M_UDP_UNREP, M_UDP_REP, M_TCP_HALF, M__MAX,
	M_TCP_HREF = M__MAX, M_TCP_EKEEP, M_UDP_KORIG, M_UDP_KREPLY };
#define IS_TCP(k)	((k) == M_TCP_EST || (k) == M_TCP_HALF || (k) == M_TCP_HREF || \
			 (k) == M_TCP_EKEEP)
#define IS_UREP(k)	((k) == M_UDP_REP || (k) == M_UDP_KORIG || (k) == M_UDP_KREPLY)
enum pass_what { PASS_RST_ORIG = 0, PASS_RST_REPLY, PASS_FIN, PASS_FIN_ACK };
/* the refresh sets: keep[] of struct prober, by kind - M_TCP_EKEEP */
enum { KEEP_TCP = 0, KEEP_UDP_ORIG, KEEP_UDP_REPLY, KEEP__MAX };
#define HREF_FLOWS	3
enum phase { PH_IDLE = 0, PH_PROBED, PH_DONE };

struct pflow {
	unsigned id;
	uint8_t kind, phase;	/* enum mkind, enum phase */
	int fd;
	uint64_t idle;		/* ns */
	uint64_t born;		/* ns: its first exchange done */
	uint64_t last;		/* ns: the flow's last packet before its idle */
	uint64_t give_up;	/* ns: no answer to the probe by then: dead */
	uint64_t keep, next_keep;	/* kept alive every keep ns (HREF, keep sets) */
	uint64_t keep_span;	/* ns from last the keepalives go on; 0: up to the probe */
	uint64_t gap;		/* keep sets: ns from the last keepalive to the probe */
	bool alive, reset_before, reset_after, setup_failed;
	bool srv_fin;		/* the server saw the client's FIN */
	char srv;		/* the server's RST: '-', 'B' before its send, 'A' after */
	char seen[64];		/* the source the server saw */
	char local[64];		/* ours */
};

struct prober {
	const struct probe_cli_opts *o;
	int ctl;
	uint64_t ctl_opened, started, elapsed;
	unsigned next_id, rounds, flows;
	struct { struct infer s; } m[M__MAX];
	/* dead TCP flows (established, half-closed) and the RSTs each side saw:
	 * before the probe packet (at expiry) and after it (to its sender) */
	struct expiry {
		unsigned dead, cli_before, cli_after, srv_before, srv_after;
		unsigned rst_expiry;	/* flows either side saw a RST before the probe */
	} ex[2];
	/* idle vs absolute: flows the server kept sending into, T used (ms) */
	bool href_planned;
	unsigned href_kept, href_lost;
	uint64_t href_t;
	/* refresh by direction: flows kept alive by one kind of packet for
	 * 2 T, then idle for gap ms before the probe; told: a flow the
	 * keepalives made again (unreplied) dies in the gap, so a life means
	 * the keepalives refreshed the first one */
	struct keepset {
		bool planned, told;
		unsigned kept, lost;
		uint64_t t, gap;
	} keep[KEEP__MAX];
	/* does a segment pass the device at all (seed 003): tried, passed */
	struct { unsigned tried, passed; } pass[4];	/* enum pass_what */
	struct { unsigned tried, reopened; } tw;	/* TIME_WAIT reopened */
	/* bare ACKs of no flow (probe_raw.c): sent, answered with a RST,
	 * seen by the server, and asked of a server that cannot tell */
	struct { unsigned tried, rst, seen, blind; } unk;
	char unknown_why[96];	/* why they were not sent */
	/* what a RST does to the state (probe_rst.c): flows probed d after
	 * a RST the device takes and the server's stack ignores */
	struct infer rsth;
	char rsth_why[96];	/* why not measured, or "" */
	/* the opening timer (probe_open.c): a SYN/ACK d after the SYN */
	struct infer open;
	unsigned open_blocked;	/* SYNs that never reached the server */
	char open_why[128];
	/* the closing timers on fully raw flows (probe_close.c), enum
	 * close_kind; why not measured, or "" */
	struct infer close[5];
	char close_why[192];
	/* refresh by one direction alone (probe_ackkeep.c): established
	 * flows kept by pure ACKs, [0] the client's, [1] the server's */
	struct {
		unsigned kept[2], lost[2];
		uint64_t t, gap;	/* ms */
		char why[96];	/* why not measured, or "" */
	} akeep;
	/* what the server saw of our flows' sources */
	unsigned seen, translated, port_kept, parity_kept;
	bool outside_varied;	/* one internal address left from several */
	char outside[64];	/* the external address last seen */
	/* fresh UDP mappings opened one after the other: how many the server
	 * saw, and how many took the port after (or two after) the last */
	unsigned samples, steps;
	/* the server's listen endpoints, and UDP mapping and filtering
	 * found through them (-1: not measured) */
	union probe_sa ep[PROBE_LISTEN_MAX];
	unsigned nep;
	int mapping, filtering;
	/* hairpinning (probe_hairpin.c): datagrams sent to another inside
	 * socket's external endpoint, arrived, and from our external one */
	struct { unsigned tried, passed, ext_src; } hair, hair_tcp;
	char hair_why[64], hair_why_tcp[96];
	/* the ICMP query timer (probe_icmp.c): an echo reply d after the
	 * stack's */
	struct infer icmp;
	char icmp_why[96];
	const char *icmp_how;	/* "ping sockets" or "raw socket" */
	int icmp_pid, icmp_pipe;	/* its search's child process, -1 */
};

/* probe_cli.c */
int probe_dial(const union probe_sa *sa, int type, const union probe_sa *from);
void probe_ctl_say(struct prober *pr, const char *line);
int probe_ctl_line(struct prober *pr, char *buf, size_t cap);
int probe_flow_open(struct prober *pr, struct pflow *f);
void probe_round_run(struct prober *pr, struct pflow *fl, unsigned n);
void probe_collect(struct prober *pr, struct pflow *fl, unsigned n);

/* probe_pass.c */
void probe_passage(struct prober *pr);
void probe_timewait(struct prober *pr);
void probe_pass_profile(const struct prober *pr, struct strbuf *sb);
void probe_pass_json(const struct prober *pr);
void probe_pass_text(const struct prober *pr);

/* probe_raw.c */
void probe_unknown(struct prober *pr);
void probe_unknown_profile(const struct prober *pr, struct strbuf *sb);
int probe_raw_ports(struct prober *pr, struct sockaddr_in *me, int *held, uint16_t *ports,
    unsigned n);
/* Every TCP segment from from's address the raw socket gets within wait
 * ns, to fn: its header (at least 20 bytes) and len, the segment's
 * length (TCP header and payload) as read. */
struct tcphdr;
void probe_raw_catch(int raw, const struct sockaddr_in *from, uint64_t wait,
    void (*fn)(const struct tcphdr *th, size_t len, void *arg), void *arg);
/* Did the server see our raw segment with sequence number seq (a bare
 * ACK of no flow, a SYN to its silent port): 'Y', 'N', '?' (it cannot
 * tell: no raw socket). */
char probe_raw_seen(struct prober *pr, uint32_t seq);

/* probe_rst.c */
void probe_rst_hold(struct prober *pr);

/* probe_open.c */
void probe_opening(struct prober *pr);

/* probe_close.c: FIN_WAIT, CLOSE_WAIT, LAST_ACK, TIME_WAIT, SYN_RECV */
enum close_kind { CL_FIN_WAIT, CL_CLOSE_WAIT, CL_LAST_ACK, CL_TIME_WAIT, CL_SYN_RECV, CL__MAX };
void probe_close(struct prober *pr);
/* the half-closed timer's start the raw flows tell (INFER_HC_UNKNOWN:
 * not measured: probe_report.c's own reading stands) */
enum infer_hc probe_close_start(const struct prober *pr);
void probe_close_profile(const struct prober *pr, struct strbuf *sb);
void probe_close_text(const struct prober *pr);
void probe_close_json(const struct prober *pr);

/* probe_ackkeep.c */
void probe_ack_keep(struct prober *pr);

/* probe_rawsearch.c: the searches on raw sockets written out */
void probe_rawsearch_profile(const struct prober *pr, struct strbuf *sb, uint32_t *known);
void probe_rawsearch_text(const struct prober *pr);
void probe_rawsearch_json(const struct prober *pr);

/* probe_hairpin.c */
void probe_hairpin(struct prober *pr);
void probe_hairpin_profile(const struct prober *pr, struct strbuf *sb, uint32_t *known);
struct conform_report;
void probe_hairpin_rows(const struct prober *pr, struct conform_report *r);

/* probe_icmp.c */
/* The ICMP search in a child process, side by side with the others;
 * its outcome read back into pr (waiting for the child). */
void probe_icmp_start(struct prober *pr);
void probe_icmp_finish(struct prober *pr);
void probe_icmp_profile(const struct prober *pr, struct strbuf *sb, uint32_t *known);
void probe_icmp_text(const struct prober *pr);
void probe_icmp_json(const struct prober *pr);

/* probe_keep.c */
unsigned probe_plan_keep(struct prober *pr, struct pflow *fl, unsigned n, uint64_t *longest);
int probe_keep_verdict(const struct prober *pr, unsigned set);
void probe_keep_profile(const struct prober *pr, struct strbuf *sb, uint32_t *known);
const char *probe_keep_json(const struct prober *pr, unsigned set);

/* probe_out.c */
void probe_local(int fd, char *buf, size_t cap);
void probe_note_seen(struct prober *pr, const char *local, const char *seen);
void probe_parse_list(struct prober *pr, char *list);
/* an unbound UDP socket of the server's family, or -1 */
int probe_udp_sock(const struct prober *pr);
/* "U id r" to ep from fd; the source the server saw in seen, or "" */
void probe_ask(struct prober *pr, int fd, const union probe_sa *ep, unsigned id, char *seen,
    size_t cap);
void probe_translation(struct prober *pr);
int probe_output(struct prober *pr);

#endif
