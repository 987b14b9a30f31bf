/* report_label.c -- each capture flow described as Zeek describes its connection: originator, counts, conn_state, history from the Zeek model, the tracker's only where the model has none. */
#include <string.h>

#include "report.h"

/* Is Zeek's originator of c the flow's destination? */
static bool
reversed(const struct rflow *f, const struct zc_conn *c)
{
	const struct nb_addr *o = &c->a[c->orig];

	if (memcmp(o, &f->src, sizeof(*o)) != 0)
		return true;
	/* TCP and UDP: the ports tell two ends of one host apart; an ICMP
	 * connection's "ports" are types, the flow's an identifier */
	return (f->kind == NBK_TCP || f->kind == NBK_UDP) && c->port[c->orig] != f->sport &&
	    memcmp(&c->a[0], &c->a[1], sizeof(c->a[0])) == 0;
}

const struct zc_conn *
report_zconn(const struct report *r, uint32_t i)
{
	return r->zc && i < r->nflows ? zconn_get(r->zc, r->flow_zc[i]) : NULL;
}

/*
 * The join: a flow takes the Zeek connection its first packet counted
 * for (tuple and time). The tracker's verdicts stay with the flow; what
 * describes it (who originated, packets and IP bytes each way, conn_state,
 * history) is Zeek's. Several flows in one Zeek connection (a tracker that
 * split what Zeek kept whole) each show the whole connection's labels.
 */
void
report_labels(struct report *r)
{
	if (r->zc == NULL)
		return;
	for (uint32_t i = 0; i < r->nflows; i++) {
		struct rflow *f = &r->flows[i];
		const struct zc_conn *c = report_zconn(r, i);
		const struct zc_ep *o, *p;
		size_t n;

		if (c == NULL)
			continue;
		if (reversed(f, c)) {
			struct nb_addr a = f->src;
			uint16_t port = f->sport;

			f->src = f->dst;
			f->dst = a;
			f->sport = f->dport;
			f->dport = port;
		}
		o = zconn_side(c, true);
		p = zconn_side(c, false);
		f->pkts[0] = o->pkts;
		f->pkts[1] = p->pkts;
		f->bytes[0] = o->ip_bytes;
		f->bytes[1] = p->ip_bytes;
		n = strlen(zconn_state(c));
		memcpy(f->conn_state, zconn_state(c), n + 1 < sizeof(f->conn_state) ? n + 1 : 0);
	}
}

const char *
report_history(const struct report *r, const struct rflow *f, char buf[static ZC_HIST_MAX + 1])
{
	const struct zc_conn *c = report_zconn(r, (uint32_t)(f - r->flows));

	if (c == NULL)
		return f->history;
	zconn_history(c, buf);
	return buf;
}
