/* policy_tcp.c -- the tcp.* keys: the kernel's sysctls that change TCP tracking, with its defaults (no I/O). */
#include <string.h>

#include "outbuf.h"
#include "policy.h"
#include "policy_int.h"

/*
 * Documentation/networking/nf_conntrack-sysctl.rst: nf_conntrack_tcp_loose
 * (default 1), nf_conntrack_tcp_be_liberal (0),
 * nf_conntrack_tcp_ignore_invalid_rst (0), nf_conntrack_tcp_max_retrans
 * (3), nf_conntrack_tcp_timeout_max_retrans (300 s). tcp.loose gates
 * every pickup of a mid-stream flow (with unknown.action and expire.later
 * = pickup); the others change the kernel mode of tracking.window = on.
 */
enum tcp_key_id { TK_LOOSE, TK_LIBERAL, TK_IGNORE_RST, TK_MAX_RETRANS, TK_TIMEOUT_RETRANS, TK__MAX };

static const char *const tcp_keys[TK__MAX] = {
	[TK_LOOSE] = "tcp.loose", [TK_LIBERAL] = "tcp.be_liberal",
	[TK_IGNORE_RST] = "tcp.ignore_invalid_rst", [TK_MAX_RETRANS] = "tcp.max_retrans",
	[TK_TIMEOUT_RETRANS] = "timeout.max_retrans",
};
_Static_assert(TK__MAX <= POLICY_TCP_KEYS, "tcp key id slots");

#define KERNEL_MAX_RETRANS_TIMEOUT	(300 * SEC)

void
policy_tcp_defaults(struct policy *p)
{
	p->tcp_loose = true;
	p->tcp_liberal = false;
	p->tcp_ignore_invalid_rst = false;
	p->tcp_max_retrans = TCP_CONF_KERNEL_MAX_RETRANS;
	p->max_retrans_timeout = KERNEL_MAX_RETRANS_TIMEOUT;
}

int
policy_tcp_key(const char *key)
{
	for (unsigned i = 0; i < TK__MAX; i++)
		if (strcmp(key, tcp_keys[i]) == 0)
			return (int)i;
	return -1;
}

static void
set_bool(struct parser *ps, const char *v, bool *out)
{
	int e = pval_enum(ps, v, policy_onoff_names, NELEM(policy_onoff_names));

	if (e >= 0)
		*out = e == 1;
}

void
policy_tcp_apply(struct parser *ps, unsigned id, const char *v)
{
	struct policy *p = ps->p;
	uint64_t n;

	switch ((enum tcp_key_id)id) {
	case TK_LOOSE:
		set_bool(ps, v, &p->tcp_loose);
		break;
	case TK_LIBERAL:
		set_bool(ps, v, &p->tcp_liberal);
		break;
	case TK_IGNORE_RST:
		set_bool(ps, v, &p->tcp_ignore_invalid_rst);
		break;
	case TK_MAX_RETRANS:
		/* the counter saturates at 255 (tcpfsm.h) */
		if (pval_uint(v, &n) != 0 || n > 255)
			policy_perr(ps, "tcp.max_retrans: expected an integer 0..255: '%s'", v);
		else
			p->tcp_max_retrans = (uint8_t)n;
		break;
	case TK_TIMEOUT_RETRANS:
		pval_duration(ps, v, false, &p->max_retrans_timeout);
		break;
	case TK__MAX:
		break;
	}
}

void
policy_tcp_format(const struct policy *p, struct outbuf *o)
{
	char d[64];

	if (!p->tcp_loose)
		outbuf_printf(o, "tcp.loose = off\n");
	if (p->tcp_liberal)
		outbuf_printf(o, "tcp.be_liberal = on\n");
	if (p->tcp_ignore_invalid_rst)
		outbuf_printf(o, "tcp.ignore_invalid_rst = on\n");
	if (p->tcp_max_retrans != TCP_CONF_KERNEL_MAX_RETRANS)
		outbuf_printf(o, "tcp.max_retrans = %u\n", (unsigned)p->tcp_max_retrans);
	if (p->max_retrans_timeout != KERNEL_MAX_RETRANS_TIMEOUT) {
		policy_format_duration(p->max_retrans_timeout, d, sizeof(d));
		outbuf_printf(o, "timeout.max_retrans = %s\n", d);
	}
}

void
policy_tcp_format_json(const struct policy *p, struct outbuf *o)
{
	outbuf_printf(o, ",\"tcp\":{\"loose\":%s,\"be_liberal\":%s,\"ignore_invalid_rst\":%s,"
	    "\"max_retrans\":%u,\"timeout_max_retrans\":", p->tcp_loose ? "true" : "false",
	    p->tcp_liberal ? "true" : "false", p->tcp_ignore_invalid_rst ? "true" : "false",
	    (unsigned)p->tcp_max_retrans);
	outbuf_json_secs(o, p->max_retrans_timeout);
	outbuf_printf(o, "}");
}
