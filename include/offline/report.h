/* report.h -- one pass over a capture: a reference tracker finds the flows, one engine per profile judges them. */
#ifndef NATBOX_REPORT_H
#define NATBOX_REPORT_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "decode.h"
#include "engine.h"
#include "evsink.h"
#include "policy.h"
#include "zconn.h"

#define RFLOW_NONE	UINT32_MAX
#define T_NONE		UINT64_MAX	/* "never" for a time in ns */
#define RSTATE_GONE	0xff		/* timeline: the profile keeps no state */

/*
 * A capture flow: one TCP connection, UDP flow, ICMP query session or
 * other-protocol address pair as the capture shows it. Flows are
 * delimited by a reference engine that never times anything out (every
 * timeout ~100 years, pickup of mid-stream flows, reopen on a new SYN),
 * so every profile is judged against the same flows, numbered in order
 * of their first packet. Times are ns from the capture's first packet.
 * An ICMP error counts as a packet of the flow it quotes, in the
 * direction it travels (it takes that flow's verdict).
 */
struct rflow {
	struct nb_addr src, dst;	/* originator -> responder */
	uint64_t first, last;
	uint64_t bytes[2];		/* IP bytes, orig and reply */
	uint32_t pkts[2];
	uint16_t sport, dport;		/* an ICMP query's identifier, another
					 * protocol's number: as in events */
	uint8_t family;
	uint8_t proto;			/* IP protocol */
	uint8_t kind;			/* enum nb_kind */
	uint8_t state;			/* tracker state at the end */
	uint8_t midstream;		/* TCP, no handshake seen: open before
					 * the capture (a datagram flow: never) */
	char conn_state[8];		/* Zeek conn_state */
	char history[13];		/* the tracker's Zeek history (see
					 * report_history()) */
	uint16_t tun;			/* the tunnel of its first tunneled
					 * packet, report_tunnel(); 0: none */
};

/* What one profile did to one flow; only flows it touched have one. */
struct rhit {
	uint64_t broken_at;	/* it broke the flow here (T_NONE: it did not) */
	uint64_t lost_at;	/* its state ended here while the flow went on */
	uint64_t drop_bytes;
	uint32_t drop_pkts;
	uint16_t reason;	/* why it broke: the expiry behind the first
				 * drop if there was one, else that drop's own */
	uint16_t drop_reason;	/* the first dropped packet's own reason */
	uint16_t lost_reason;	/* expired:*, or evicted */
};

/* Timer phases, as suggest speaks of them: TCP's, then the datagram
 * trackers' (each protocol's contiguous). */
enum rphase {
	PH_OPENING = 0,		/* syn_sent, syn_recv, syn_sent2 */
	PH_ESTABLISHED,
	PH_HALF_CLOSED,		/* fin_wait, close_wait */
	PH_CLOSING,		/* last_ack */
	PH_TIME_WAIT,
	PH_CLOSED,		/* close: after a RST */
	PH_UDP_UNREPLIED,	/* UDP one way, or in its first 2 s */
	PH_UDP,			/* UDP replied (the kernel's stream) */
	PH_ICMP,		/* an ICMP query session */
	PH_OTHER,		/* another protocol */
	PH__MAX
};

/* A flow's waits are kept by the phases of its own protocol, slot 0 its
 * first (report_phase_first()): TCP has six, the others fewer. */
#define RGAP_SLOTS	(PH_CLOSED + 1)

/* Per flow, for suggest: the longest time its timer ran in each phase
 * before a packet came, and when that packet came. */
struct rgap {
	uint64_t restart;	/* when the reference timer last (re)started */
	uint64_t entered;	/* when the flow entered its current phase */
	uint64_t gap[RGAP_SLOTS];	/* longest wait; 0 and seen bit clear: none */
	uint64_t at[RGAP_SLOTS];
	uint64_t stay[RGAP_SLOTS];	/* longest time in the phase when a
					 * packet came: what an absolute timer
					 * must last */
	uint8_t tstate;		/* the timer's state after the last packet */
	uint8_t seen;		/* bit per slot: a packet arrived in it */
	uint8_t syn;		/* bit per slot: the longest wait had a bare SYN
				 * in it (see below) */
	uint8_t syn_now;	/* a bare SYN came since the timer's restart */
};

/* Timeline of states for the SVG: (flow, time, state). */
struct rmark {
	uint64_t ts;
	uint32_t flow;
	uint8_t state;		/* enum tcp_state, or RSTATE_GONE */
};

struct rmarks {
	struct rmark *v;
	size_t n, cap;
	bool full;		/* stopped recording (memory cap) */
};

/* What broke a flow: the TCP timers by phase, TIME_WAIT reuse, a fault,
 * anything else (other); then the datagram trackers' timers: UDP's (both),
 * ICMP's, another protocol's (other_proto); then a translating profile's
 * refusals of inbound packets: filtering's (nat_filtered), and those no
 * mapping held (nat_no_mapping). */
enum rclass {
	RC_OPENING = 0, RC_IDLE, RC_HALF_CLOSED, RC_CLOSING, RC_TIME_WAIT,
	RC_TW_REUSE, RC_FAULT, RC_OTHER, RC_UDP, RC_ICMP, RC_OTHER_PROTO,
	RC_NAT_FILTERED, RC_NAT_NO_MAPPING, RC__MAX
};
/* The classes only a translating profile has */
#define RC_NAT_FIRST	RC_NAT_FILTERED

/* A translating profile's flow (nat.outside set): the NAT's own end of
 * it as the outside sees it, the first the flow had. */
struct rnat {
	uint32_t addr;		/* external address, host order; 0: untranslated */
	uint16_t port;		/* external port (an ICMP query's identifier) */
};

/* A flow moved to another external endpoint: its state was lost and a
 * later packet made a new mapping (pickup), or nat.rebind_every moved it. */
enum rremap_why { RMAP_PICKUP = 0, RMAP_REBIND };

struct rremap {
	uint64_t ts;
	uint32_t flow;
	uint32_t addr;		/* the new external endpoint */
	uint16_t port;
	uint8_t why;		/* enum rremap_why */
};

/* One profile's engine and verdicts. */
struct shprof;

struct rprof {
	const struct policy *pol;
	struct policy polcopy;		/* pol, with a table sized to the capture */
	char label[160];		/* name, or the spec given */
	struct engine *e;
	/* per flow (index + 1 into hits; 0 = untouched), grown as needed */
	uint32_t *hit_of;
	uint64_t *pend;			/* expiry not yet followed by traffic */
	uint32_t ncap;
	struct rhit *hits;
	uint32_t nhits, hcap;
	uint32_t *map;			/* engine pool index -> flow */
	uint32_t mapcap;
	/* totals, filled at the end */
	uint32_t broken, lost;
	uint32_t broken_midstream;	/* of broken: no state for a flow open before */
	uint32_t by_class[RC__MAX];
	uint32_t by_reason[R__MAX];
	uint64_t drop_pkts, drop_bytes;	/* of flows */
	uint64_t stray_drops;		/* packets of no flow it dropped */
	uint64_t first_break;
	struct engine_stats st;
	struct rmarks marks;
	/* translating profiles (report_nat.c): per flow, and the re-maps in
	 * the order they came; after the pass, remap_of[i] .. remap_of[i + 1]
	 * index flow i's in remaps (sorted by flow) */
	struct rnat *nat;
	uint32_t natcap;
	struct rremap *remaps;
	uint32_t nremaps, remapcap;
	uint32_t *remap_of;
	uint32_t remap_flows;		/* remap_of's flows */
	uint32_t translated, remapped;	/* flows */
	/* replay only */
	struct evbuf *evb;
	struct pcapout *dump;
	const struct chunk *chunk;	/* the chunk in hand */
	uint32_t new_tag;		/* the packet that last started a flow */
	bool timeline;
	bool failed;			/* events or dump could not be written */
	/* shadowing the reference (report_shadow.c) */
	struct shprof *sh;		/* NULL: its engine sees every packet */
	bool shadow_failed;		/* its table came near full: run again */
	uint64_t sh_pkts, sh_expired;	/* what the shadow did, for st */
	uint64_t sh_icmp_errors;
};

struct report_opts {
	const char *capture;
	struct policy **pols;		/* one engine each */
	const char **labels;
	unsigned npol;
	bool gaps;			/* suggest: measure waits per phase */
	bool timeline;			/* SVG: record state timelines */
	struct evsink *events;		/* profile 0's engine events, or NULL */
	const char *write_dropped;	/* profile 0's dropped frames, or NULL */
	uint32_t max_flows;		/* reference table; 0 = from the file size */
	bool zeek;			/* describe the flows by Zeek's connections
					 * (report->zc; labels shown: replay,
					 * compare --flows or --svg), else by the
					 * reference tracker's labels */
	bool shadow;			/* profiles may shadow the reference
					 * (same results, faster; ignored with
					 * timeline, events, write_dropped) */
};

struct report {
	const char *capture;
	const char *format, *linkname;
	uint64_t t0;			/* first packet, ns since the epoch */
	uint64_t duration;		/* last - first packet, ns */
	uint64_t frames, ip, not_ip, fragments, link_truncated, vlan;
	uint64_t tunneled;		/* IP frames unwrapped from a tunnel */
	uint64_t packets;		/* tracked IP packets (decoded) */
	uint64_t kpkts[NBK__MAX];	/* of them by kind (an ICMP error: ICMP) */
	uint32_t kflows[NBK__MAX];	/* flows by kind */
	uint64_t not_tracked;		/* valid IP of nothing tracked
					 * (DEC_NOT_TCP: ICMP neither query
					 * nor error, no next header) */
	uint64_t decode[DEC__MAX];	/* malformed IP/TCP by kind */
	uint64_t backwards;		/* packets too late to put in time order:
					 * taken at the last time handed on */
	uint64_t reordered;		/* packets put back in time order (within
					 * the reorder window) */
	uint64_t bad_time;		/* records whose fraction of a second was
					 * out of range (pcapin_stats) */
	uint64_t tso;			/* TSO/GSO segments taken at their
					 * captured length */
	uint64_t stray;			/* packets of no flow (lone RSTs, ICMP
					 * replies or errors of none) */
	uint64_t dumped;		/* frames written by --write-dropped */
	uint32_t ref_max_flows, ref_peak, ref_evicted;
	int damaged;			/* the file ends in damage */
	char damage[320];
	struct rflow *flows;
	uint32_t nflows, fcap;
	struct zconn *zc;		/* Zeek's connections: the labels (opts.zeek),
					 * or NULL */
	uint32_t *flow_zc;		/* with zc: per flow, the Zeek connection of
					 * its first packet, or ZC_NONE */
	char **tunnels;			/* rflow.tun - 1: its name */
	uint16_t ntunnels;
	struct rgap *gaps;		/* with opts.gaps */
	struct rmarks marks;		/* reference timeline */
	struct rprof *prof;
	unsigned nprof;
	struct policy ref_pol;
};

/* Run the capture through everything. Returns 0; 1 if the capture is
 * damaged part way (everything before the damage is in *out, the
 * message in damage[]); -1 if nothing could be done (message printed).
 * Prints "capture: message" for problems itself. */
int report_run(const struct report_opts *o, struct report **out);
void report_free(struct report *r);

/* The flow's tunnel, "vxlan 192.0.2.1:50000->192.0.2.2:4789", or NULL. */
const char *report_tunnel(const struct report *r, const struct rflow *f);

/* The profile's verdict on flow i, or NULL if it never touched it. */
const struct rhit *report_hit(const struct rprof *p, uint32_t i);

/* Each flow's labels from its Zeek connection (after the pass): Zeek's
 * originator first, its counts, conn_state and history. */
void report_labels(struct report *r);
/* Flow i's Zeek connection, or NULL. */
const struct zc_conn *report_zconn(const struct report *r, uint32_t i);
/* Flow f's history: its Zeek connection's (into buf), or the tracker's. */
const char *report_history(const struct report *r, const struct rflow *f,
    char buf[static ZC_HIST_MAX + 1]);

/* Profile 0's flows as a Zeek conn.log (TSV with its header lines),
 * natbox's verdict columns after Zeek's; broken_only as replay --broken. */
void report_zeek_write(FILE *f, const struct report *r, bool broken_only);
/* A Zeek uid for connection c ("C" and base62 letters; the same on every
 * run). */
void report_zeek_uid(const struct zc_conn *c, char buf[16]);
/* Flow fl's Zeek conn.log fields, by Zeek's JSON names, into a record
 * the caller opened. */
struct fieldw;
void report_zeek_json(struct fieldw *w, const struct report *r, const struct rflow *fl);

/* A translating profile's view of flow i: NULL if it never translated it. */
const struct rnat *report_nat(const struct rprof *p, uint32_t i);
/* Flow i's re-maps, in time order (*n of them; NULL if none). */
const struct rremap *report_remaps(const struct rprof *p, uint32_t i, unsigned *n);
/* "203.0.113.100:40000"; "-" if untranslated. */
void report_nat_endpoint(const struct rnat *n, char *buf, size_t cap);
/* "pickup", "rebind" */
const char *report_remap_why(unsigned why);
/* Flow i's "outside" and "remaps" [{at outside why}] JSON fields. */
struct fieldw;
void report_nat_json(struct fieldw *w, const struct rprof *p, uint32_t i);

/* Output helpers shared by the subcommands. */
void report_endpoint(uint8_t family, const struct nb_addr *a, uint16_t port,
    char *buf, size_t cap);			/* 1.2.3.4:80, [2001:db8::1]:80 */
/* A flow's ends as report_endpoint() writes them (another protocol's:
 * the addresses alone); a > b; its protocol ("tcp", "udp", "icmp",
 * "icmpv6", or the number, as events name it). */
void report_flow_ends(const struct rflow *f, char *a, char *b, size_t cap);
void report_flow_name(const struct rflow *f, char *buf, size_t cap);
const char *report_proto_name(const struct rflow *f, char buf[4]);
void report_time(uint64_t ns, char *buf, size_t cap);	/* 2.500, 2.513042: ms at least */
void report_dur(uint64_t ns, char *buf, size_t cap);	/* 4.521s, 2m03.5s, 1h02m */
const char *report_class_name(unsigned c);		/* "idle", ... */
unsigned report_class_of(unsigned reason);
const char *report_phase_name(unsigned ph);		/* "opening", ... */
unsigned report_phase_of(unsigned tcp_state);		/* PH__MAX if none */
/* The first phase of a kind of flow: its rgap slot 0 */
unsigned report_phase_first(unsigned kind);
/* One line about the capture (what was read, what was skipped, damage). */
void report_capture_text(FILE *f, const struct report *r);
void report_capture_json(FILE *f, const struct report *r);
/* Colour on a terminal unless NO_COLOR is set. */
bool report_color(FILE *f);
/* "NAME" or "NAME,key=value,..." -> profile. Prints errors; -1 on error. */
int report_policy_load(const char *spec, char *const *sets, int nsets,
    struct policy *p);

/* The one CAPTURE operand left after options (argv[first...]): 0, or -1
 * with "CMD: which capture?" / "CMD: unexpected argument" said. */
int report_capture_arg(const char *cmd, int argc, char **argv, int first,
    const char **capture);

#endif
