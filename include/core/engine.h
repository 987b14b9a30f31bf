/* engine.h -- the verdict path: decode -> flow lookup -> tracker -> policy. */
#ifndef NATBOX_ENGINE_H
#define NATBOX_ENGINE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "decode.h"
#include "event.h"
#include "flowtab.h"
#include "natrw.h"
#include "policy.h"
#include "reason.h"
#include "timeout.h"	/* which timer a flow runs, for its users too */

/* The hooks only a shadow pass uses (observers, adoption, the outside
 * count) are in engine_shadow.h. */

enum verdict_action { V_ACCEPT = 0, V_DROP, V_RESET };

/* A RST the front must send. src/dst/ports are as the RST travels. The
 * sequence numbers are the receiver's rcv.nxt as last seen, so an RFC 5961
 * stack accepts it outright rather than answering with a challenge ACK. */
struct rst_spec {
	uint8_t family;
	uint8_t flags;		/* TH_RST, or TH_RST|TH_ACK */
	uint16_t sport, dport;
	struct nb_addr src, dst;
	uint32_t seq, ack;
};

struct verdict {
	uint8_t action;		/* enum verdict_action; V_RESET = drop + rst[] */
	uint8_t nrst;
	uint16_t reason;	/* enum nb_reason for drops, R_NONE if accepted */
	uint8_t dir;		/* packet direction within its flow */
	uint32_t flow;		/* pool index of the packet's flow, FLOW_NIL if none */
	uint32_t ip_len;	/* the packet's IP length (0 if it did not decode) */
	/* Translation (nat.*): rw.set != 0 means the front rewrites the
	 * packet (nat_rewrite()) before it lets it go. icmp_unreach = code
	 * + 1: the front answers the dropped packet's sender with an ICMP
	 * destination unreachable of that code, from the address it was
	 * sent to (nat.unsolicited = icmp). */
	uint8_t icmp_unreach;
	struct nat_rewrite rw;
	struct rst_spec rst[2];
};

struct engine_ops {
	/* Every event; may be NULL. Called synchronously, must not re-enter. */
	void (*event)(void *ctx, const struct event *ev);
	/* RSTs the engine wants sent outside a packet's verdict (expiry with
	 * expire.action = reset). May be NULL (then they are only counted). */
	void (*rst)(void *ctx, const struct rst_spec *r);
	void *ctx;
};

struct engine_stats {
	uint64_t packets, accepted, dropped, resets_sent;
	uint64_t reason[R__MAX];	/* drops by reason */
	uint64_t ends[R__MAX];		/* flow ends by reason */
	uint64_t events[EV__MAX];
	uint64_t decode[DEC__MAX];	/* decode outcomes, malformed ones included */
	uint64_t skipped;		/* not tracked / non-first fragments, accepted */
	uint64_t icmp_errors;		/* ICMP errors that quoted a live flow */
	uint64_t evictions;
	uint64_t grace_pickups;		/* mid-stream TCP flows adopted in a grace period */
};

struct engine;

/* The engine keeps pointer p; the caller keeps it alive until replaced.
 * seed feeds the hash key and the fault RNG's default seed. */
struct engine *engine_new(const struct policy *p, const struct engine_ops *ops,
    const uint64_t seed[2], uint64_t now);
/* The same, with the flow table's memory touched as flows first use it
 * rather than all at once (offline passes; the live path wants no page
 * faults on the packet path). */
struct engine *engine_new_lazy(const struct policy *p, const struct engine_ops *ops,
    const uint64_t seed[2], uint64_t now, bool lazy);
void engine_free(struct engine *e);

/* Swap the profile. Flows keep their state; at the engine's next call
 * with a clock every live flow is re-timed under the new profile from its
 * last packet (a flow idle past its new timeout expires then; the pass
 * is spread over calls, 65536 slots each). max_flows, and the nat.*
 * settings that shape the mapping table (nat_conf_compatible()), cannot
 * change (returns -1, nothing done). */
int engine_set_policy(struct engine *e, const struct policy *p);
const struct policy *engine_policy(const struct engine *e);

/* A restart's grace period: until `until` (the engine's clock), a packet
 * of an unknown flow is picked up (tracked from mid-stream, as with
 * unknown.action = pickup) whatever the profile says, so connections open
 * before a restart are adopted rather than dropped as no_flow. 0 ends it.
 * Translation gains nothing: the mappings died with the old process. */
void engine_set_grace(struct engine *e, uint64_t until);

/* The one verdict path, for live and offline fronts alike. buf holds
 * caplen bytes of an IP packet (header-only copies are fine). */
enum verdict_action engine_process(struct engine *e, const uint8_t *buf,
    size_t caplen, uint64_t now, struct verdict *v);

/* The same for a burst: v[i] is packet i's verdict, exactly as if each
 * went through engine_process() in order, only faster (prefetching). */
struct engine_pkt {
	const uint8_t *buf;
	size_t caplen;
};
void engine_process_burst(struct engine *e, const struct engine_pkt *pkts,
    unsigned n, uint64_t now, struct verdict *v);

/* Offline (replay, compare): packets with their own times, tagged by
 * the caller. Exactly as, for each packet in order:
 *   engine_expire(e, pk->now, UINT_MAX);
 *   engine_process(e, pk->buf, pk->caplen, pk->now, &v);
 *   fn(ctx, pk, &v);
 * with the events of pk's processing carrying ev->tag = pk->tag (those of
 * the expiry before it EV_TAG_NONE), only faster: the burst is decoded
 * and hashed first and its lookups prefetched. Times must not decrease. */
struct engine_prep;
struct engine_tpkt {
	const uint8_t *buf;
	uint32_t caplen;
	uint32_t tag;
	uint64_t now;
	const struct engine_prep *prep;	/* NULL, or buf decoded and hashed */
};

/* A packet decoded and hashed once for several engines (compare runs an
 * engine per profile over the same packets). engine_prepare() fills it
 * with e's hash key; an engine created with the same seed uses it as it
 * is, any other decodes buf itself. */
struct engine_prep {
	struct nb_packet p;
	uint32_t hash;
	uint8_t err;		/* enum decode_err */
	uint64_t keyid;		/* which hash key */
};
void engine_prepare(const struct engine *e, const struct engine_tpkt *pkts, unsigned n,
    struct engine_prep *out);
typedef void (*engine_verdict_fn)(void *ctx, const struct engine_tpkt *pk,
    const struct verdict *v);
void engine_process_timed(struct engine *e, const struct engine_tpkt *pkts,
    unsigned n, engine_verdict_fn fn, void *ctx);

/* Expire due flows; at most budget flows looked at. Returns how many
 * expired. Call it often (live) or before each packet (offline). */
unsigned engine_expire(struct engine *e, uint64_t now, unsigned budget);

/* End every flow (reason R_END_FLUSH): emits their end events. */
void engine_flush(struct engine *e, uint64_t now);
/* End one flow (pool index; a tombstone is simply forgotten). Returns -1
 * if the slot holds none. For ctl flush with a filter. */
int engine_flow_end(struct engine *e, uint32_t idx, uint64_t now);

const struct engine_stats *engine_stats(const struct engine *e);
uint32_t engine_flow_count(const struct engine *e);
size_t engine_memory(const struct engine *e);

/* The flow in pool slot idx (a verdict's or an event's `flow`), or NULL
 * if the slot is free. Read-only: for reports and dumps. */
const struct flow *engine_flow_at(const struct engine *e, uint32_t idx);

/* Visit every flow (tombstones too); for dumps and ctl. */
void engine_foreach(struct engine *e, void (*fn)(void *ctx, const struct flow *f), void *ctx);

/* Fill ev with a flow's identity and state (for dumps). */
void engine_flow_event(struct engine *e, const struct flow *f, uint8_t type,
    uint64_t now, struct event *ev);

/* Which event types (1u << EV_*) reach ops.event; the others are only
 * counted (stats.events), not built. All, unless set: an observer that
 * ignores drops spares the engine two events a dropped packet. */
void engine_set_event_mask(struct engine *e, uint32_t mask);

/* Before the first packet: e keeps no timers. Its flows never expire
 * and end only as the tracker ends them (a RST, a reopening SYN) or by
 * eviction; their deadline reads UINT64_MAX, events carry no timeout. An
 * offline reference that only tracks skips the timer work. */
void engine_set_untimed(struct engine *e);

#endif
