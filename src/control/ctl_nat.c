/* ctl_nat.c -- the control socket's translation commands: mappings (the NAT table) and rebind (move flows to new external ports). */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "ctl_cmd.h"
#include "event.h"
#include "log.h"

static void
addr_str(uint32_t a, char *buf, size_t cap)
{
	snprintf(buf, cap, "%u.%u.%u.%u", a >> 24, a >> 16 & 255, a >> 8 & 255, a & 255);
}

int
ctl_nat_cmd_mappings(struct ctl *c, struct client *cl, int argc, char **argv, char *err)
{
	struct job *j = &cl->job;

	j->fmt = CTLF_DUMP;
	if (argc == 2 && strcmp(argv[1], "--json") == 0)
		j->fmt = CTLF_JSON;
	else if (argc != 1) {
		snprintf(err, CTL_MSG_MAX, "usage: mappings [--json]");
		return -1;
	}
	memset(&j->filter, 0, sizeof(j->filter));
	if (ctl_cmd_start(c, cl, J_MAPPINGS, CTL_OP_MAPPINGS, err) < 0)
		return -1;
	if (j->fmt == CTLF_JSON)
		sb_puts(&cl->out, "[");
	return 0;
}

int
ctl_nat_cmd_rebind(struct ctl *c, struct client *cl, int argc, char **argv, char *err)
{
	if (argc < 2) {
		snprintf(err, CTL_MSG_MAX, "usage: rebind FLOW|FILTER|all");
		return -1;
	}
	if (argc == 2 && strcmp(argv[1], "all") == 0)
		argc = 1;
	if (ctl_cmd_take_filter(&cl->job, argc, argv, err) < 0)
		return -1;
	return ctl_cmd_start(c, cl, J_REBIND, CTL_OP_REBIND, err);
}

/* One mapping: text key=value, or a JSON object. */
static void
mapping_line(struct strbuf *sb, const struct ctl_maprec *m, bool json, bool first)
{
	char in[16], out[16], rem[16], pn[4];
	const char *proto = event_proto_name(m->proto, pn);
	bool resting = m->flags & NMF_FREED;

	addr_str(m->iaddr, in, sizeof(in));
	addr_str(m->xaddr, out, sizeof(out));
	addr_str(m->raddr, rem, sizeof(rem));
	if (json) {
		sb_printf(sb, "%s\n{\"queue\":%u,\"proto\":\"%s\",\"outside\":\"%s\",\"outside_port\":%u,"
		    "\"state\":\"%s\"", first ? "" : ",", m->queue, proto, out, m->xport,
		    resting ? "resting" : "live");
		if (resting) {
			sb_printf(sb, ",\"rest_left\":%.3f}", (double)m->rest_left / 1e9);
			return;
		}
		sb_printf(sb, ",\"inside\":\"%s\",\"inside_port\":%u", in, m->iport);
		if (m->mapping != NAT_EI)
			sb_printf(sb, ",\"remote\":\"%s\"", rem);
		if (m->mapping == NAT_APD)
			sb_printf(sb, ",\"remote_port\":%u", m->rport);
		sb_printf(sb, ",\"flows\":%u,\"age\":%.3f}", m->nflows, (double)m->age / 1e9);
		return;
	}
	sb_printf(sb, "queue=%u proto=%s outside=%s:%u", m->queue, proto, out, m->xport);
	if (resting) {
		sb_printf(sb, " state=resting rest_left=%.3f\n", (double)m->rest_left / 1e9);
		return;
	}
	sb_printf(sb, " inside=%s:%u", in, m->iport);
	if (m->mapping == NAT_AD)
		sb_printf(sb, " remote=%s", rem);
	else if (m->mapping == NAT_APD)
		sb_printf(sb, " remote=%s:%u", rem, m->rport);
	sb_printf(sb, " state=live flows=%u age=%.3f\n", m->nflows, (double)m->age / 1e9);
}

void
ctl_nat_reply(struct client *cl, const struct ctl_reply *r)
{
	struct job *j = &cl->job;

	if (j->kind == J_REBIND) {
		j->count += r->flushed;
		return;
	}
	for (unsigned i = 0; i < r->n; i++, j->count++)
		mapping_line(&cl->out, &r->r.maps[i], j->fmt == CTLF_JSON, j->count == 0);
}

void
ctl_nat_finish(struct client *cl)
{
	struct job *j = &cl->job;

	if (j->kind == J_REBIND) {
		log_notice("ctl rebind %s: %" PRIu64 " flows moved to new mappings",
		    j->text, j->count);
		sb_printf(&cl->out, "rebound %" PRIu64 " flows\n", j->count);
		return;
	}
	if (j->fmt == CTLF_JSON)
		sb_puts(&cl->out, j->count ? "\n]\n" : "]\n");
}
