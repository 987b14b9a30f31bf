/* engine_event.c -- the engine's events: built from a flow or a packet, counted, handed to the front. */
#include <string.h>

#include "engine_int.h"
#include "track.h"

void
engine_emit(struct engine *e, struct event *ev)
{
	e->st.events[ev->type]++;
	ev->tag = e->tag;
	if (e->ops.event)
		e->ops.event(e->ops.ctx, ev);
}

void
engine_event_of_flow(struct engine *e, const struct flow *f, uint8_t type,
    uint64_t ts, struct event *ev)
{
	memset(ev, 0, sizeof(*ev));
	ev->type = type;
	ev->family = f->family;
	ev->proto = flow_proto(f);
	ev->state = f->trk.state;
	ev->timer_state = f->timer_state;
	ev->flow = flowtab_index(e->ft, f);
	ev->sport = f->sport;
	ev->dport = f->dport;
	ev->src = f->src;
	ev->dst = f->dst;
	ev->ts = ts;
	ev->timeout = EV_NO_TIMEOUT;
	if (e->nat != NULL)
		engine_nat_event(e, f, ev);
}

void
engine_flow_event(struct engine *e, const struct flow *f, uint8_t type,
    uint64_t now, struct event *ev)
{
	engine_event_of_flow(e, f, type, now, ev);
	ev->tag = EV_TAG_NONE;
	if (!(f->fflags & FF_DEAD) && !e->untimed && f->deadline > now)
		ev->timeout = f->deadline - now;
	if (f->fflags & FF_DEAD)
		ev->reason = f->dead_reason;
	ev->conn_state = flow_kind(f) == NBK_TCP ? tcp_conn_state(&f->trk) :
	    dgram_conn_state(flow_kind(f), &f->trk);
	tcp_history_str(&f->trk, ev->history);
}

void
engine_event_of_packet(const struct nb_packet *p, uint8_t type, uint64_t ts,
    struct event *ev)
{
	memset(ev, 0, sizeof(*ev));
	ev->type = type;
	ev->family = p->family;
	ev->proto = p->proto;
	ev->flow = FLOW_NIL;
	ev->sport = p->sport;
	ev->dport = p->dport;
	ev->src = p->src;
	ev->dst = p->dst;
	ev->ts = ts;
	ev->timeout = EV_NO_TIMEOUT;
}

/* A packet the tracker called invalid and the profile passes: the
 * kernel's conntrack passes what no rule drops, marked INVALID. */
void
engine_emit_invalid(struct engine *e, const struct nb_packet *p, const struct flow *f,
    enum flow_dir dir, uint16_t reason, uint64_t now)
{
	struct event ev;

	if (!engine_wants(e, EV_INVALID)) {
		engine_emit_none(e, EV_INVALID);
		return;
	}
	if (f)
		engine_event_of_flow(e, f, EV_INVALID, now, &ev);
	else
		engine_event_of_packet(p, EV_INVALID, now, &ev);
	ev.reason = reason;
	ev.dir = (uint8_t)dir;
	engine_emit(e, &ev);
}
