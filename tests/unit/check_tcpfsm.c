/* check_tcpfsm.c -- the tracker against the kernel's transition table and its special cases. */
#include <check.h>
#include <stdio.h>
#include <string.h>

#include "suites.h"
#include "tcpfsm.h"

/* The kernel's table as ../shared/reference/timeouts.md prints it; the
 * test parses this text, so a typo in tcpfsm.c's array cannot hide. */
static const char *const ref_table =
    "ORIGINAL  NO SS SR ES FW CW LA TW CL S2\n"
    "syn       SS SS IG IG IG IG IG SS SS S2\n"
    "synack    IV IV SR IV IV IV IV IV IV SR\n"
    "fin       IV IV FW FW LA LA LA TW CL IV\n"
    "ack       ES IV ES ES CW CW TW TW CL IV\n"
    "rst       IV CL CL CL CL CL CL CL CL CL\n"
    "REPLY     NO SS SR ES FW CW LA TW CL S2\n"
    "syn       IV S2 IV IV IV IV IV SS IV S2\n"
    "synack    IV SR IG IG IG IG IG IG IG SR\n"
    "fin       IV IV FW FW LA LA LA TW CL IV\n"
    "ack       IV IG SR ES CW CW TW TW CL IG\n"
    "rst       IV CL CL CL CL CL CL CL CL CL\n";

static int
abbrev(const char *s)
{
	static const char *const ab[] = { "NO", "SS", "SR", "ES", "FW", "CW", "LA", "TW", "CL", "S2", "IG", "IV" };
	static const int val[] = { TCP_NONE, TCP_SYN_SENT, TCP_SYN_RECV, TCP_ESTABLISHED,
		TCP_FIN_WAIT, TCP_CLOSE_WAIT, TCP_LAST_ACK, TCP_TIME_WAIT, TCP_CLOSE,
		TCP_SYN_SENT2, TCP_IGNORE, TCP_INVALID };

	for (unsigned i = 0; i < sizeof(ab) / sizeof(ab[0]); i++)
		if (!strncmp(s, ab[i], 2))
			return val[i];
	return -1;
}

START_TEST(test_table_cell_by_cell)
{
	const char *line = ref_table;
	int dir = -1, cells = 0, cols[10];
	char name[16];

	while (*line) {
		const char *nl = strchr(line, '\n');
		int n = 0;

		ck_assert_int_eq(sscanf(line, "%15s%n", name, &n), 1);
		if (!strcmp(name, "ORIGINAL") || !strcmp(name, "REPLY")) {
			dir = !strcmp(name, "REPLY");
			for (int c = 0; c < 10; c++) {
				cols[c] = abbrev(line + 10 + 3 * c);
				ck_assert_int_ge(cols[c], 0);
			}
		} else {
			int cls = !strcmp(name, "syn") ? TPC_SYN : !strcmp(name, "synack") ? TPC_SYNACK :
			    !strcmp(name, "fin") ? TPC_FIN : !strcmp(name, "ack") ? TPC_ACK : TPC_RST;

			for (int c = 0; c < 10; c++) {
				int want = abbrev(line + 10 + 3 * c);
				int got = tcp_fsm_next((enum tcp_state)cols[c], (enum flow_dir)dir,
				    (enum tcp_pkt_class)cls);

				ck_assert_msg(got == want, "%s %s in %s: got %d want %d",
				    dir ? "REPLY" : "ORIG", name, tcp_state_name((unsigned)cols[c]), got, want);
				cells++;
			}
		}
		line = nl + 1;
	}
	ck_assert_int_eq(cells, 100);
	/* packets with no SYN/FIN/ACK/RST are invalid everywhere */
	for (int s = 0; s < TCP_STATE_MAX; s++)
		for (int d = 0; d < 2; d++)
			ck_assert_int_eq(tcp_fsm_next((enum tcp_state)s, (enum flow_dir)d, TPC_NONE), TCP_INVALID);
}
END_TEST

START_TEST(test_classify_order)
{
	ck_assert_int_eq(tcp_pkt_classify(TH_RST | TH_SYN | TH_ACK), TPC_RST);
	ck_assert_int_eq(tcp_pkt_classify(TH_SYN | TH_FIN), TPC_SYN);
	ck_assert_int_eq(tcp_pkt_classify(TH_SYN | TH_ACK), TPC_SYNACK);
	ck_assert_int_eq(tcp_pkt_classify(TH_FIN | TH_ACK), TPC_FIN);
	ck_assert_int_eq(tcp_pkt_classify(TH_ACK | TH_PSH), TPC_ACK);
	ck_assert_int_eq(tcp_pkt_classify(TH_PSH), TPC_NONE);
	ck_assert_int_eq(tcp_pkt_classify(0), TPC_NONE);
}
END_TEST

START_TEST(test_names)
{
	for (int s = 0; s < TCP_STATE_MAX; s++) {
		ck_assert_int_eq(tcp_state_from_key(tcp_state_key((unsigned)s)), s);
		ck_assert_str_ne(tcp_state_name((unsigned)s), "?");
	}
	ck_assert_str_eq(tcp_state_name(TCP_FIN_WAIT), "FIN_WAIT");
	ck_assert_str_eq(tcp_state_key(TCP_SYN_SENT2), "syn_sent2");
	ck_assert_str_eq(tcp_state_name(99), "?");
	ck_assert_int_eq(tcp_state_from_key("bogus"), -1);
}
END_TEST

/* A two-ended conversation: client (orig) and server (reply) with their
 * own sequence numbers, so tests read like a packet trace. */
struct conv {
	struct tcp_track t;
	struct tcp_last k;
	uint32_t cseq, sseq;
	bool window;
	struct tcp_result r;
};

static struct nb_packet
seg(uint8_t flags, uint32_t seq, uint32_t ack, uint32_t len)
{
	struct nb_packet p;

	memset(&p, 0, sizeof(p));
	p.family = 4;
	p.flags = flags;
	p.seq = seq;
	p.ack = ack;
	p.window = 65535;
	p.payload_len = len;
	p.thlen = 32;		/* NOP NOP TS, as Linux sends */
	p.opt.sack = ack;
	return p;
}

/* Send from side d with flags and len bytes; advances that side's seq. */
static enum tcp_outcome
send_(struct conv *c, enum flow_dir d, uint8_t flags, uint32_t len)
{
	uint32_t *my = d == DIR_ORIG ? &c->cseq : &c->sseq;
	uint32_t peer = d == DIR_ORIG ? c->sseq : c->cseq;
	struct nb_packet p = seg(flags, *my, (flags & TH_ACK) ? peer : 0, len);

	tcp_history_add(&c->t, d, &p);	/* as the engine does */
	tcp_track_packet(&c->t, &c->k, d, &p, c->window, &c->r);
	if (c->r.outcome == TO_OK)
		*my += decode_seglen(&p);
	return c->r.outcome;
}

static void
conv_open(struct conv *c, bool window)
{
	struct nb_packet syn;

	memset(c, 0, sizeof(*c));
	c->cseq = 1000;
	c->sseq = 5000;
	c->window = window;
	syn = seg(TH_SYN, c->cseq, 0, 0);
	ck_assert(tcp_track_new(&c->t, &syn, true));
	c->cseq++;
	ck_assert_int_eq(c->t.state, TCP_SYN_SENT);
	ck_assert_int_eq(send_(c, DIR_REPLY, TH_SYN | TH_ACK, 0), TO_OK);
	ck_assert_int_eq(c->t.state, TCP_SYN_RECV);
	ck_assert_int_eq(send_(c, DIR_ORIG, TH_ACK, 0), TO_OK);
	ck_assert_int_eq(c->t.state, TCP_ESTABLISHED);
	ck_assert(c->t.flags & TTF_ASSURED);
}

START_TEST(test_handshake_and_close)
{
	struct conv c;
	char h[13];

	conv_open(&c, _i);
	ck_assert_int_eq(send_(&c, DIR_ORIG, TH_ACK | TH_PSH, 100), TO_OK);
	ck_assert_int_eq(send_(&c, DIR_REPLY, TH_ACK, 0), TO_OK);
	ck_assert_int_eq(send_(&c, DIR_ORIG, TH_FIN | TH_ACK, 0), TO_OK);
	ck_assert_int_eq(c.t.state, TCP_FIN_WAIT);
	ck_assert(c.t.d[DIR_ORIG].flags & TDF_FIN_SEEN);
	ck_assert(!(c.t.d[DIR_ORIG].flags & TDF_FIN_ACKED));
	ck_assert_uint_eq(c.t.d[DIR_ORIG].end - 1, c.cseq - 1);	/* fin seq */
	/* the server keeps sending: half-closed; its ACK covers the FIN */
	ck_assert_int_eq(send_(&c, DIR_REPLY, TH_ACK | TH_PSH, 500), TO_OK);
	ck_assert_int_eq(c.t.state, TCP_CLOSE_WAIT);
	ck_assert(c.t.d[DIR_ORIG].flags & TDF_FIN_ACKED);
	ck_assert_int_eq(send_(&c, DIR_ORIG, TH_ACK, 0), TO_OK);
	ck_assert_int_eq(send_(&c, DIR_REPLY, TH_FIN | TH_ACK, 0), TO_OK);
	ck_assert_int_eq(c.t.state, TCP_LAST_ACK);
	ck_assert_int_eq(send_(&c, DIR_ORIG, TH_ACK, 0), TO_OK);
	ck_assert_int_eq(c.t.state, TCP_TIME_WAIT);
	ck_assert(c.t.d[DIR_REPLY].flags & TDF_FIN_ACKED);
	tcp_history_str(&c.t, h);
	ck_assert_str_eq(h, "ShADaFdf");	/* the FIN precedes the server's data */
	ck_assert_str_eq(tcp_conn_state(&c.t), "SF");
}
END_TEST

START_TEST(test_ack_not_covering_fin)
{
	struct conv c;
	struct nb_packet p;

	conv_open(&c, false);
	ck_assert_int_eq(send_(&c, DIR_ORIG, TH_FIN | TH_ACK, 0), TO_OK);
	/* an ACK from the server that predates the FIN */
	p = seg(TH_ACK, c.sseq, c.cseq - 1, 0);
	tcp_track_packet(&c.t, &c.k, DIR_REPLY, &p, false, &c.r);
	ck_assert_int_eq(c.r.outcome, TO_OK);
	ck_assert(!(c.t.d[DIR_ORIG].flags & TDF_FIN_ACKED));
	/* kernel quirk kept: any ACK moves FIN_WAIT to CLOSE_WAIT */
	ck_assert_int_eq(c.t.state, TCP_CLOSE_WAIT);
}
END_TEST

START_TEST(test_timewait_reopen)
{
	struct conv c;
	struct nb_packet syn;

	conv_open(&c, false);
	send_(&c, DIR_ORIG, TH_FIN | TH_ACK, 0);
	send_(&c, DIR_REPLY, TH_FIN | TH_ACK, 0);
	send_(&c, DIR_ORIG, TH_ACK, 0);
	ck_assert_int_eq(c.t.state, TCP_TIME_WAIT);
	syn = seg(TH_SYN, c.cseq + 100000, 0, 0);
	tcp_track_packet(&c.t, &c.k, DIR_ORIG, &syn, false, &c.r);
	ck_assert_int_eq(c.r.outcome, TO_REOPEN);
	/* and from the other side (REPLY syn in TW -> SS) */
	tcp_track_packet(&c.t, &c.k, DIR_REPLY, &syn, false, &c.r);
	ck_assert_int_eq(c.r.outcome, TO_REOPEN);
}
END_TEST

START_TEST(test_close_reopen_needs_close_or_own_rst)
{
	struct conv c;
	struct nb_packet syn;

	/* server resets: CLOSE; a client SYN is not a reopen (no FIN, and
	 * the RST was not the client's) -> ignored like the kernel */
	conv_open(&c, false);
	ck_assert_int_eq(send_(&c, DIR_REPLY, TH_RST | TH_ACK, 0), TO_OK);
	ck_assert_int_eq(c.t.state, TCP_CLOSE);
	syn = seg(TH_SYN, 77777, 0, 0);
	tcp_track_packet(&c.t, &c.k, DIR_ORIG, &syn, false, &c.r);
	ck_assert_int_eq(c.r.outcome, TO_IGNORE);
	/* client resets, then reconnects: reopen */
	conv_open(&c, false);
	ck_assert_int_eq(send_(&c, DIR_ORIG, TH_RST | TH_ACK, 0), TO_OK);
	tcp_track_packet(&c.t, &c.k, DIR_ORIG, &syn, false, &c.r);
	ck_assert_int_eq(c.r.outcome, TO_REOPEN);
	ck_assert_str_eq(tcp_conn_state(&c.t), "RSTO");
}
END_TEST

START_TEST(test_rst_before_reply_kills)
{
	struct tcp_track t;
	struct tcp_last k;
	struct tcp_result r;
	struct nb_packet syn = seg(TH_SYN, 1, 0, 0), rst = seg(TH_RST | TH_ACK, 0, 2, 0);

	ck_assert(tcp_track_new(&t, &syn, false));
	tcp_track_packet(&t, &k, DIR_REPLY, &rst, false, &r);
	ck_assert_int_eq(r.outcome, TO_KILL);
	ck_assert_str_eq(tcp_conn_state(&t), "S0");	/* history added by caller */
	tcp_history_add(&t, DIR_REPLY, &rst);
	ck_assert_str_eq(tcp_conn_state(&t), "REJ");
	/* the originator aborting its own attempt: also deleted */
	ck_assert(tcp_track_new(&t, &syn, false));
	rst = seg(TH_RST, 2, 0, 0);
	tcp_track_packet(&t, &k, DIR_ORIG, &rst, false, &r);
	ck_assert_int_eq(r.outcome, TO_KILL);
}
END_TEST

START_TEST(test_syn_retransmit_no_refresh)
{
	struct tcp_track t;
	struct tcp_last k;
	struct tcp_result r;
	struct nb_packet syn = seg(TH_SYN, 1, 0, 0), ack;

	ck_assert(tcp_track_new(&t, &syn, false));
	tcp_track_packet(&t, &k, DIR_ORIG, &syn, false, &r);
	ck_assert_int_eq(r.outcome, TO_OK);
	ck_assert_int_eq(r.new_state, TCP_SYN_SENT);
	ck_assert(!r.refresh);
	/* the reply's SYN/ACK refreshes */
	ack = seg(TH_SYN | TH_ACK, 100, 2, 0);
	tcp_track_packet(&t, &k, DIR_REPLY, &ack, false, &r);
	ck_assert(r.refresh);
	ck_assert_int_eq(r.new_state, TCP_SYN_RECV);
}
END_TEST

START_TEST(test_pickup_rules)
{
	struct tcp_track t;
	struct nb_packet p = seg(TH_ACK | TH_PSH, 100, 200, 10);

	ck_assert(tcp_track_new(&t, &p, true));
	ck_assert_int_eq(t.state, TCP_ESTABLISHED);
	ck_assert(t.flags & TTF_PICKUP);
	ck_assert(!(t.flags & TTF_SEEN_REPLY));
	ck_assert(!tcp_track_new(&t, &p, false));
	p.flags = TH_FIN | TH_ACK;
	ck_assert(!tcp_track_new(&t, &p, true));
	p.flags = TH_SYN | TH_ACK;
	ck_assert(!tcp_track_new(&t, &p, true));
	p.flags = TH_RST;
	ck_assert(!tcp_track_new(&t, &p, true));
	p.flags = 0;
	ck_assert(!tcp_track_new(&t, &p, true));
	p.flags = TH_SYN;
	ck_assert(tcp_track_new(&t, &p, false));
	ck_assert_int_eq(t.state, TCP_SYN_SENT);
}
END_TEST

START_TEST(test_simultaneous_open)
{
	struct tcp_track t;
	struct tcp_last k;
	struct tcp_result r;
	struct nb_packet a = seg(TH_SYN, 1, 0, 0), b = seg(TH_SYN, 900, 0, 0);

	ck_assert(tcp_track_new(&t, &a, false));
	tcp_track_packet(&t, &k, DIR_REPLY, &b, false, &r);
	ck_assert_int_eq(r.new_state, TCP_SYN_SENT2);
	b = seg(TH_SYN | TH_ACK, 900, 2, 0);
	tcp_track_packet(&t, &k, DIR_REPLY, &b, false, &r);
	ck_assert_int_eq(r.new_state, TCP_SYN_RECV);
}
END_TEST

START_TEST(test_window_tracking)
{
	struct conv c;
	struct nb_packet p;

	conv_open(&c, true);
	ck_assert_int_eq(send_(&c, DIR_ORIG, TH_ACK | TH_PSH, 1000), TO_OK);
	/* a segment far beyond what the server's window allows */
	p = seg(TH_ACK, c.cseq + 10000000, c.sseq, 100);
	tcp_track_packet(&c.t, &c.k, DIR_ORIG, &p, true, &c.r);
	ck_assert_int_eq(c.r.outcome, TO_INVALID_WINDOW);
	ck_assert(!c.r.refresh);
	/* an ACK for data the client never sent */
	p = seg(TH_ACK, c.sseq, c.cseq + 5000000, 0);
	tcp_track_packet(&c.t, &c.k, DIR_REPLY, &p, true, &c.r);
	ck_assert_int_eq(c.r.outcome, TO_INVALID_WINDOW);
	/* unacknowledged data flag follows the ACKs */
	ck_assert(c.t.d[DIR_ORIG].flags & TDF_DATA_UNACK);
	ck_assert_int_eq(send_(&c, DIR_REPLY, TH_ACK, 0), TO_OK);
	ck_assert(!(c.t.d[DIR_ORIG].flags & TDF_DATA_UNACK));
	/* the same out-of-window packet passes without tracking */
	c.window = false;
	p = seg(TH_ACK, c.cseq + 10000000, c.sseq, 100);
	tcp_track_packet(&c.t, &c.k, DIR_ORIG, &p, false, &c.r);
	ck_assert_int_eq(c.r.outcome, TO_OK);
}
END_TEST

START_TEST(test_window_stale_rst)
{
	struct conv c;
	struct nb_packet p;

	conv_open(&c, true);
	send_(&c, DIR_ORIG, TH_ACK | TH_PSH, 1000);
	send_(&c, DIR_REPLY, TH_ACK, 0);
	/* a RST from the client below what the server already acked */
	p = seg(TH_RST, c.cseq - 500, 0, 0);
	tcp_track_packet(&c.t, &c.k, DIR_ORIG, &p, true, &c.r);
	ck_assert_int_eq(c.r.outcome, TO_INVALID_WINDOW);
	ck_assert_int_eq(c.t.state, TCP_ESTABLISHED);
	p = seg(TH_RST, c.cseq, 0, 0);
	tcp_track_packet(&c.t, &c.k, DIR_ORIG, &p, true, &c.r);
	ck_assert_int_eq(c.r.outcome, TO_OK);
	ck_assert_int_eq(c.t.state, TCP_CLOSE);
}
END_TEST

START_TEST(test_window_scale)
{
	struct tcp_track t;
	struct tcp_last k;
	struct tcp_result r;
	struct nb_packet syn = seg(TH_SYN, 1000, 0, 0), sa, p;

	syn.opt.has_wscale = 1;
	syn.opt.wscale = 7;
	ck_assert(tcp_track_new(&t, &syn, false));
	sa = seg(TH_SYN | TH_ACK, 5000, 1001, 0);
	sa.opt.has_wscale = 1;
	sa.opt.wscale = 7;
	tcp_track_packet(&t, &k, DIR_REPLY, &sa, true, &r);
	ck_assert_int_eq(r.outcome, TO_OK);
	ck_assert_uint_eq(t.d[DIR_ORIG].scale, 7);
	ck_assert_uint_eq(t.d[DIR_REPLY].scale, 7);
	p = seg(TH_ACK, 1001, 5001, 0);
	p.window = 1000;	/* 128000 bytes scaled */
	tcp_track_packet(&t, &k, DIR_ORIG, &p, true, &r);
	ck_assert_int_eq(r.outcome, TO_OK);
	/* the server may now send 100000 bytes beyond 5001 */
	p = seg(TH_ACK, 5001 + 100000, 1001, 1000);
	tcp_track_packet(&t, &k, DIR_REPLY, &p, true, &r);
	ck_assert_int_eq(r.outcome, TO_OK);
}
END_TEST

START_TEST(test_conn_states)
{
	struct tcp_track t;
	struct nb_packet syn = seg(TH_SYN, 1, 0, 0), p;

	tcp_track_new(&t, &syn, false);
	ck_assert_str_eq(tcp_conn_state(&t), "S0");
	p = seg(TH_FIN, 2, 0, 0);
	tcp_history_add(&t, DIR_ORIG, &p);
	ck_assert_str_eq(tcp_conn_state(&t), "SH");

	tcp_track_new(&t, &syn, false);
	p = seg(TH_SYN | TH_ACK, 9, 2, 0);
	tcp_history_add(&t, DIR_REPLY, &p);
	ck_assert_str_eq(tcp_conn_state(&t), "S1");
	p = seg(TH_FIN | TH_ACK, 2, 10, 0);
	tcp_history_add(&t, DIR_ORIG, &p);
	ck_assert_str_eq(tcp_conn_state(&t), "S2");
	p = seg(TH_RST, 10, 0, 0);
	tcp_history_add(&t, DIR_REPLY, &p);
	ck_assert_str_eq(tcp_conn_state(&t), "RSTR");

	p = seg(TH_ACK, 1, 1, 5);
	tcp_track_new(&t, &p, true);
	ck_assert_str_eq(tcp_conn_state(&t), "OTH");
	{
		char h[13];

		tcp_history_str(&t, h);
		ck_assert_str_eq(h, "D");
	}
}
END_TEST

/* A track whose history is exactly these letters, one packet each. */
static void
hist_from(struct tcp_track *t, const char *h)
{
	memset(t, 0, sizeof(*t));
	for (; *h; h++) {
		enum flow_dir d = *h >= 'a' ? DIR_REPLY : DIR_ORIG;
		uint8_t fl[] = { ['S' - 'A'] = TH_SYN, ['H' - 'A'] = TH_SYN | TH_ACK,
			['A' - 'A'] = TH_ACK, ['D' - 'A'] = TH_ACK,
			['F' - 'A'] = TH_FIN | TH_ACK, ['R' - 'A'] = TH_RST };
		unsigned c = (unsigned)((*h & ~0x20) - 'A');
		struct nb_packet p = seg(fl[c], 1, 1, (*h & ~0x20) == 'D' ? 10 : 0);

		tcp_history_add(t, d, &p);
	}
}

/* Zeek's conn_state() (scripts/base/protocols/conn/main.zeek) over the
 * endpoint states its TCP analyzer (TCPSessionAdapter.cc) leaves. */
START_TEST(test_conn_state_zeek)
{
	static const struct {
		const char *hist, *state, *why;
	} c[] = {
		{ "S", "S0", "SYN_SENT, responder INACTIVE" },
		{ "Sa", "S0", "UpdateInactiveState: pure ACKs to a SYN stay inactive" },
		{ "Sh", "S1", "both ESTABLISHED" },
		{ "ShAF", "S2", "originator CLOSED" },
		{ "ShAf", "S3", "responder CLOSED" },
		{ "SF", "SH", "originator CLOSED, responder inactive" },
		{ "ShADadFf", "SF", "both CLOSED" },
		/* UpdateClosedState: a RST after both FINs leaves CLOSED */
		{ "ShADadFfR", "SF", "RST after both FINs" },
		{ "ShADadFfr", "SF", "responder RST after both FINs" },
		/* UpdateEstablishedState: the peer's FIN turns FIN-then-RST back */
		{ "ShADFRf", "SF", "FIN, RST, then the peer's FIN" },
		{ "ShADRFf", "RSTO", "RST before its FIN: RESET stays" },
		{ "ShADFr", "RSTR", "responder RST, no responder FIN" },
		/* no SYN: both endpoints PARTIAL, then CLOSED */
		{ "ADadFf", "SF", "no SYN, both FINs" },
		{ "ADF", "SH", "no SYN, originator FIN, responder inactive" },
		{ "ADdf", "SHR", "no SYN, responder FIN, originator partial" },
		{ "ADad", "OTH", "both partial" },
		{ "ADdr", "RSTRH", "responder RST, originator partial" },
		/* RSTOS0: history =~ ^?S[^HAFGIQ]*R */
		{ "SR", "RSTOS0", "SYN then RST" },
		{ "SDaR", "RSTOS0", "D and the responder's a do not count" },
		{ "SAR", "OTH", "an A before the RST" },
		{ "SFR", "OTH", "a FIN before the RST" },
		{ "ADR", "OTH", "no SYN first" },
		/* the responder's RST is checked first */
		{ "ShADRr", "RSTR", "both RST, originator's first" },
		{ "ShADrR", "RSTR", "both RST, responder's first" },
		{ "Sr", "REJ", "RST to a SYN" },
		{ "SRr", "REJ", "both RESET, no payload" },
		{ "SDRr", "RSTR", "both RESET, payload" },
		{ "ShADR", "RSTO", "originator RST, responder ESTABLISHED" },
	};
	struct tcp_track t;

	for (unsigned i = 0; i < sizeof(c) / sizeof(c[0]); i++) {
		char h[13];

		hist_from(&t, c[i].hist);
		tcp_history_str(&t, h);
		ck_assert_str_eq(h, c[i].hist);
		ck_assert_msg(strcmp(tcp_conn_state(&t), c[i].state) == 0,
		    "%s: %s, want %s (%s)", c[i].hist, tcp_conn_state(&t), c[i].state,
		    c[i].why);
	}
}
END_TEST

START_TEST(test_history_all_letters)
{
	struct tcp_track t;
	struct nb_packet p = seg(TH_SYN, 1, 0, 0);
	char h[13];

	tcp_track_new(&t, &p, false);
	for (int d = 0; d < 2; d++) {
		uint8_t fl[] = { TH_SYN, TH_SYN | TH_ACK, TH_ACK, TH_FIN, TH_RST };

		for (unsigned i = 0; i < sizeof(fl); i++) {
			p = seg(fl[i], 1, 1, 0);
			tcp_history_add(&t, (enum flow_dir)d, &p);
			tcp_history_add(&t, (enum flow_dir)d, &p);	/* once only */
		}
		p = seg(TH_ACK, 1, 1, 9);
		tcp_history_add(&t, (enum flow_dir)d, &p);
	}
	tcp_history_str(&t, h);
	ck_assert_str_eq(h, "SHAFRDshafrd");
}
END_TEST

/* Against a model written from Zeek's rule (each letter once per side, a
 * packet's letters in the order S H A D F R), on random packets: every
 * flag combination, with and without payload, both directions. */
START_TEST(test_history_model)
{
	static const char up[] = "SHADFR", lo[] = "shadfr";
	unsigned seed = 12345;

	for (int run = 0; run < 3000; run++) {
		struct nb_packet p = seg(TH_SYN, 1, 0, 0);
		struct tcp_track t;
		char want[13], got[13];
		bool seen[2][6] = { { true } };	/* tcp_track_new: S */
		size_t n = 1;
		int len = (int)(seed % 24);

		want[0] = 'S';
		tcp_track_new(&t, &p, false);
		for (int k = 0; k < len; k++) {
			unsigned d, fl, pay;
			bool bring[6];

			seed = seed * 1103515245u + 12345u;
			d = seed >> 16 & 1;
			fl = seed >> 17 & 0xff;
			pay = seed >> 25 & 1;
			p = seg((uint8_t)fl, 1, 1, pay ? 7 : 0);
			bring[0] = (fl & TH_SYN) && !(fl & TH_ACK);
			bring[1] = (fl & TH_SYN) && (fl & TH_ACK);
			bring[2] = (fl & (TH_SYN | TH_ACK | TH_FIN | TH_RST)) == TH_ACK && !pay;
			bring[3] = pay;
			bring[4] = (fl & TH_FIN) != 0;
			bring[5] = (fl & TH_RST) != 0;
			for (int c = 0; c < 6; c++) {
				if (bring[c] && !seen[d][c]) {
					seen[d][c] = true;
					want[n++] = d ? lo[c] : up[c];
				}
			}
			tcp_history_add(&t, (enum flow_dir)d, &p);
		}
		want[n] = '\0';
		tcp_history_str(&t, got);
		ck_assert_msg(strcmp(got, want) == 0, "run %d: history %s, model %s",
		    run, got, want);
		seed = seed * 1103515245u + 12345u;
	}
}
END_TEST

Suite *
suite_tcpfsm(void)
{
	Suite *s = suite_create("tcpfsm");
	TCase *tc = tcase_create("core");

	tcase_add_test(tc, test_table_cell_by_cell);
	tcase_add_test(tc, test_classify_order);
	tcase_add_test(tc, test_names);
	tcase_add_loop_test(tc, test_handshake_and_close, 0, 2);
	tcase_add_test(tc, test_ack_not_covering_fin);
	tcase_add_test(tc, test_timewait_reopen);
	tcase_add_test(tc, test_close_reopen_needs_close_or_own_rst);
	tcase_add_test(tc, test_rst_before_reply_kills);
	tcase_add_test(tc, test_syn_retransmit_no_refresh);
	tcase_add_test(tc, test_pickup_rules);
	tcase_add_test(tc, test_simultaneous_open);
	tcase_add_test(tc, test_window_tracking);
	tcase_add_test(tc, test_window_stale_rst);
	tcase_add_test(tc, test_window_scale);
	tcase_add_test(tc, test_conn_states);
	tcase_add_test(tc, test_conn_state_zeek);
	tcase_add_test(tc, test_history_all_letters);
	tcase_add_test(tc, test_history_model);
	suite_add_tcase(s, tc);
	return s;
}
