/* check_zconn.c -- Zeek's connection labels (zconn): every history letter and conn_state value on packets built here, each test citing the Zeek rule it follows. */
#include <check.h>
#include <stdint.h>
#include <string.h>

#include "decode.h"
#include "suites.h"
#include "zconn.h"

#define NS	1000000000ULL
#define MS	1000000ULL

/*
 * A connection under test: client 198.51.100.1, server 203.0.113.1 (RFC
 * 5737); each side's next sequence number and what it acknowledges,
 * advanced as the segments go (like mkcap's tcp()).
 */
struct tconn {
	struct zconn *z;
	uint16_t port[2];	/* [0] client, [1] server */
	uint32_t seq[2], ack[2];
	uint32_t last;		/* the last packet's connection */
	uint64_t t;
};

static const uint8_t host[2][4] = { { 198, 51, 100, 1 }, { 203, 0, 113, 1 } };

static uint32_t
sum16(uint32_t s, const uint8_t *b, size_t n)
{
	for (size_t i = 0; i + 1 < n; i += 2)
		s += (uint32_t)b[i] << 8 | b[i + 1];
	if (n & 1)
		s += (uint32_t)b[n - 1] << 8;
	return s;
}

static uint16_t
fold(uint32_t s)
{
	while (s >> 16)
		s = (s & 0xffff) + (s >> 16);
	return (uint16_t)~s;
}

static void
put16(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

static void
put32(uint8_t *p, uint32_t v)
{
	put16(p, v >> 16);
	put16(p + 2, v);
}

/* One IPv4 TCP segment from side dir, decoded and fed at time c->t;
 * caplen: bytes captured (0: all); bad: a wrong checksum. */
static void
raw(struct tconn *c, int dir, uint8_t flags, uint32_t seq, uint32_t ack, uint16_t win,
    uint32_t len, size_t caplen, bool bad)
{
	uint8_t b[1600];
	struct nb_packet p;
	size_t n = 40 + len;
	uint32_t s;

	ck_assert_uint_le(n, sizeof(b));
	memset(b, 0, n);
	b[0] = 0x45;
	put16(b + 2, (uint32_t)n);
	b[8] = 64;
	b[9] = 6;
	memcpy(b + 12, host[dir], 4);
	memcpy(b + 16, host[!dir], 4);
	put16(b + 10, fold(sum16(0, b, 20)));
	put16(b + 20, c->port[dir]);
	put16(b + 22, c->port[!dir]);
	put32(b + 24, seq);
	put32(b + 28, (flags & TH_ACK) ? ack : 0);
	b[32] = 5 << 4;
	b[33] = flags;
	put16(b + 34, win);
	memset(b + 40, 'z', len);
	s = sum16(sum16(0, b + 12, 8) + 6 + 20 + len, b + 20, 20 + len);
	put16(b + 36, fold(s) ^ (bad ? 0x5555 : 0));
	ck_assert_int_eq(decode_packet(b, caplen ? caplen : n, &p), DEC_OK);
	c->last = zconn_packet(c->z, &p, b, caplen ? caplen : n, c->t);
	ck_assert_uint_ne(c->last, ZC_NONE);
}

/* Side dir sends flags and len bytes at now + dt; numbers advance. */
static void
seg(struct tconn *c, uint64_t dt, int dir, uint8_t flags, uint32_t len)
{
	c->t += dt;
	raw(c, dir, flags, c->seq[dir], c->ack[dir], 1000, len, 0, false);
	c->seq[dir] += len + !!(flags & TH_SYN) + !!(flags & TH_FIN);
	c->ack[!dir] = c->seq[dir];
}

static void
tc_init(struct tconn *c, uint16_t cport, uint16_t sport)
{
	memset(c, 0, sizeof(*c));
	c->z = zconn_new(16);
	ck_assert_ptr_nonnull(c->z);
	c->port[0] = cport;
	c->port[1] = sport;
	c->seq[0] = 1000;
	c->seq[1] = 90000;
	c->t = 1 * NS;
}

static void
handshake(struct tconn *c)
{
	seg(c, 0, 0, TH_SYN, 0);
	seg(c, 1 * MS, 1, TH_SYN | TH_ACK, 0);
	seg(c, 1 * MS, 0, TH_ACK, 0);
}

/* The history and conn_state of connection i, compared. */
static void
expect(const struct tconn *c, uint32_t i, const char *state, const char *hist)
{
	const struct zc_conn *z = zconn_get(c->z, i);
	char h[ZC_HIST_MAX + 1];

	ck_assert_ptr_nonnull(z);
	zconn_history(z, h);
	ck_assert_str_eq(h, hist);
	ck_assert_str_eq(zconn_state(z), state);
}

/* ---- history letters ---- */

/* update_history(): S a SYN, H a SYN-ACK, A a pure ACK, D payload, F FIN;
 * upper case from the originator, lower from the responder (CheckHistory);
 * conn_state SF: both endpoints CLOSED (main.zeek conn_state()). */
START_TEST(hist_normal)
{
	struct tconn c;

	tc_init(&c, 40000, 5001);
	handshake(&c);
	seg(&c, 1 * MS, 0, TH_ACK | TH_PSH, 100);
	seg(&c, 1 * MS, 1, TH_ACK, 0);
	seg(&c, 1 * MS, 1, TH_ACK | TH_PSH, 300);
	seg(&c, 1 * MS, 0, TH_ACK, 0);
	seg(&c, 1 * MS, 0, TH_ACK | TH_FIN, 0);
	seg(&c, 1 * MS, 1, TH_ACK | TH_FIN, 0);
	seg(&c, 1 * MS, 0, TH_ACK, 0);
	expect(&c, 0, "SF", "ShADadFf");
	/* sizes from sequence numbers (TCP_Endpoint::Size()), SYN and FIN out */
	ck_assert_uint_eq(zconn_bytes(zconn_get(c.z, 0), true), 100);
	ck_assert_uint_eq(zconn_bytes(zconn_get(c.z, 0), false), 300);
	ck_assert_uint_eq(zconn_side(zconn_get(c.z, 0), true)->pkts, 6);
	ck_assert_uint_eq(zconn_side(zconn_get(c.z, 0), true)->ip_bytes, 5 * 40 + 140);
	zconn_free(c.z);
}
END_TEST

/* The example: the SYN-ACK captured before its SYN. The SYN of an
 * endpoint whose peer is SYN_ACK_SENT, with the sequence number the
 * SYN-ACK acknowledged, flips the roles (UpdateInactiveState(), '^' from
 * Connection::FlipRoles()); IsReuse() does not take it for a new one. */
START_TEST(hist_flip_synack_first)
{
	struct tconn c;

	tc_init(&c, 40000, 5001);
	c.seq[0]++;		/* the SYN-ACK acks the SYN to come */
	c.ack[1] = c.seq[0];
	seg(&c, 0, 1, TH_SYN | TH_ACK, 0);
	c.seq[0]--;
	seg(&c, 1 * MS, 0, TH_SYN, 0);
	seg(&c, 1 * MS, 0, TH_ACK, 0);
	seg(&c, 1 * MS, 0, TH_ACK | TH_PSH, 10);
	seg(&c, 1 * MS, 1, TH_ACK, 0);
	seg(&c, 1 * MS, 1, TH_ACK | TH_PSH, 20);
	seg(&c, 1 * MS, 0, TH_ACK, 0);
	seg(&c, 1 * MS, 0, TH_ACK | TH_FIN, 0);
	seg(&c, 1 * MS, 1, TH_ACK | TH_FIN, 0);
	seg(&c, 1 * MS, 0, TH_ACK, 0);
	ck_assert_uint_eq(zconn_count(c.z), 1);
	expect(&c, 0, "SF", "Hs^ADadFf");
	/* the client originates after the flip */
	ck_assert_uint_eq(zconn_get(c.z, 0)->port[zconn_get(c.z, 0)->orig], 40000);
	zconn_free(c.z);
}
END_TEST

/* TCPAnalyzer::WantConnection(): a first packet that is no clean SYN,
 * from a likely server port to another, starts the connection flipped;
 * a half-duplex tap's server side (SYN-ACK, data, FIN) is then SHR: the
 * responder closed, the originator never seen (conn_state()). */
START_TEST(hist_flip_server_port)
{
	struct tconn c;

	tc_init(&c, 40000, 80);
	c.ack[1] = c.seq[0] + 1;
	seg(&c, 0, 1, TH_SYN | TH_ACK, 0);
	seg(&c, 1 * MS, 1, TH_ACK | TH_PSH, 200);
	seg(&c, 1 * MS, 1, TH_ACK | TH_FIN, 0);
	expect(&c, 0, "SHR", "^hdf");
	zconn_free(c.z);
}
END_TEST

/* R and r: a RST each way; REJ: the responder's RST to a SYN, the
 * originator still SYN_SENT (conn_state()). */
START_TEST(hist_rst_rej)
{
	struct tconn c;

	tc_init(&c, 40000, 5001);
	seg(&c, 0, 0, TH_SYN, 0);
	seg(&c, 1 * MS, 1, TH_RST | TH_ACK, 0);
	expect(&c, 0, "REJ", "Sr");
	zconn_free(c.z);
}
END_TEST

/* DidRxmit(): a payload that moves the sequence nowhere is a
 * retransmission, T, recorded again at the 10th and 100th
 * (Connection::ScaledHistoryEntry(), base 10). */
START_TEST(hist_retransmit_repeats)
{
	struct tconn c;
	const struct zc_conn *z;
	char h[ZC_HIST_MAX + 1];

	tc_init(&c, 40000, 5001);
	handshake(&c);
	seg(&c, 1 * MS, 0, TH_ACK | TH_PSH, 50);
	for (int i = 0; i < 100; i++) {
		c.t += 1 * MS;
		raw(&c, 0, TH_ACK | TH_PSH, c.seq[0] - 50, c.ack[0], 1000, 50, 0, false);
	}
	z = zconn_get(c.z, 0);
	zconn_history(z, h);
	ck_assert_str_eq(h, "ShADTTT");
	ck_assert_str_eq(zconn_state(z), "S1");
	zconn_free(c.z);
	/* 99 retransmissions: the 1st and the 10th only */
	tc_init(&c, 40000, 5001);
	handshake(&c);
	seg(&c, 1 * MS, 1, TH_ACK | TH_PSH, 50);
	for (int i = 0; i < 99; i++) {
		c.t += 1 * MS;
		raw(&c, 1, TH_ACK | TH_PSH, c.seq[1] - 50, c.ack[1], 1000, 50, 0, false);
	}
	expect(&c, 0, "S1", "ShAdtt");
	zconn_free(c.z);
}
END_TEST

/* update_window(): a zero window, W or w, again at the 10th; not with a
 * RST. */
START_TEST(hist_zero_window)
{
	struct tconn c;

	tc_init(&c, 40000, 5001);
	handshake(&c);
	for (int i = 0; i < 10; i++) {
		c.t += 1 * MS;
		raw(&c, 1, TH_ACK, c.seq[1], c.ack[1], 0, 0, 0, false);
	}
	c.t += 1 * MS;
	raw(&c, 0, TH_ACK, c.seq[0], c.ack[0], 0, 0, 0, false);
	c.t += 1 * MS;
	raw(&c, 0, TH_RST | TH_ACK, c.seq[0], c.ack[0], 0, 0, 0, false);
	expect(&c, 0, "RSTO", "ShAawwWR");
	zconn_free(c.z);
}
END_TEST

/* TCP_Reassembler: data acknowledged but never seen is a content gap (G
 * from the sender's side, missed_bytes), while both sides are cleanly
 * established (Gap(), is_clean()). */
START_TEST(hist_gap)
{
	struct tconn c;
	const struct zc_conn *z;

	tc_init(&c, 40000, 5001);
	handshake(&c);
	seg(&c, 1 * MS, 0, TH_ACK | TH_PSH, 100);
	c.seq[0] += 70;		/* 70 bytes the capture missed */
	seg(&c, 1 * MS, 0, TH_ACK | TH_PSH, 30);
	seg(&c, 1 * MS, 1, TH_ACK, 0);
	z = zconn_get(c.z, 0);
	/* the letter of the ACK comes first, the gap it reveals after */
	expect(&c, 0, "S1", "ShADaG");
	ck_assert_uint_eq(z->missed, 70);
	ck_assert_uint_eq(zconn_bytes(z, true), 200);
	zconn_free(c.z);
	/* a snap length that cuts the payload: the acked bytes are gaps */
	tc_init(&c, 40000, 5001);
	handshake(&c);
	c.t += 1 * MS;
	raw(&c, 1, TH_ACK | TH_PSH, c.seq[1], c.ack[1], 1000, 500, 60, false);
	c.seq[1] += 500;
	c.ack[0] = c.seq[1];
	seg(&c, 1 * MS, 0, TH_ACK, 0);
	expect(&c, 0, "S1", "ShAdg");
	ck_assert_uint_eq(zconn_get(c.z, 0)->missed, 500);
	zconn_free(c.z);
}
END_TEST

/* ValidateChecksum(): a bad checksum is C (c from the responder), the
 * packet goes no further: no letter, no count (ChecksumError()). */
START_TEST(hist_checksum)
{
	struct tconn c;
	const struct zc_conn *z;

	tc_init(&c, 40000, 5001);
	seg(&c, 0, 0, TH_SYN, 0);
	c.t += 1 * MS;
	raw(&c, 1, TH_SYN | TH_ACK, c.seq[1], c.ack[1], 1000, 0, 0, true);
	z = zconn_get(c.z, 0);
	expect(&c, 0, "S0", "Sc");
	ck_assert_uint_eq(zconn_side(z, false)->pkts, 0);
	zconn_free(c.z);
}
END_TEST

/* update_history(): I a FIN and a RST in one packet, Q any other two of
 * SYN, FIN and RST (a "christmas" SYN+FIN). */
START_TEST(hist_multi_flag)
{
	struct tconn c;

	tc_init(&c, 40000, 5001);
	seg(&c, 0, 0, TH_SYN | TH_FIN, 0);
	/* its SYN made it SYN_SENT, its FIN CLOSED: SH */
	expect(&c, 0, "SH", "Q");
	zconn_free(c.z);
	tc_init(&c, 40000, 5001);
	handshake(&c);
	seg(&c, 1 * MS, 1, TH_FIN | TH_RST | TH_ACK, 0);
	expect(&c, 0, "RSTR", "ShAi");
	zconn_free(c.z);
}
END_TEST

/* S, F and R again only at another sequence number (hist_last_SYN...):
 * a retransmitted SYN adds nothing; a FIN at a new place another F. */
START_TEST(hist_repeat_syn_fin)
{
	struct tconn c;

	tc_init(&c, 40000, 5001);
	seg(&c, 0, 0, TH_SYN, 0);
	c.t += 1 * NS;
	raw(&c, 0, TH_SYN, c.seq[0] - 1, 0, 1000, 0, 0, false);
	expect(&c, 0, "S0", "S");
	seg(&c, 1 * MS, 1, TH_SYN | TH_ACK, 0);
	seg(&c, 1 * MS, 0, TH_ACK | TH_FIN, 0);
	c.seq[0] += 10;
	seg(&c, 1 * MS, 0, TH_ACK | TH_FIN, 0);
	/* A is a pure ACK only: a FIN+ACK is F */
	expect(&c, 0, "S2", "ShFF");
	zconn_free(c.z);
}
END_TEST

/* ---- conn_state ---- */

/* conn_state() (base/protocols/conn/main.zeek) over endpoint states:
 * every value it returns, from the states that give it. */
START_TEST(state_table)
{
	static const struct {
		unsigned os, rs;
		uint64_t osz, rsz;
		const char *hist, *want;
	} v[] = {
		{ ZEP_SYN_SENT, ZEP_RESET, 0, 0, "Sr", "REJ" },
		{ ZEP_RESET, ZEP_RESET, 0, 0, "SRr", "REJ" },
		{ ZEP_PARTIAL, ZEP_RESET, 0, 0, "^hr", "RSTRH" },
		{ ZEP_ESTABLISHED, ZEP_RESET, 5, 0, "ShADr", "RSTR" },
		{ ZEP_RESET, ZEP_INACTIVE, 0, 0, "SR", "RSTOS0" },
		{ ZEP_RESET, ZEP_INACTIVE, 0, 0, "^SR", "RSTOS0" },
		{ ZEP_RESET, ZEP_INACTIVE, 0, 0, "SAR", "OTH" },	/* A: not RSTOS0 */
		{ ZEP_RESET, ZEP_ESTABLISHED, 0, 0, "ShAR", "RSTO" },
		{ ZEP_CLOSED, ZEP_CLOSED, 0, 0, "ShAFf", "SF" },
		{ ZEP_CLOSED, ZEP_INACTIVE, 0, 0, "SF", "SH" },
		{ ZEP_CLOSED, ZEP_ESTABLISHED, 0, 0, "ShAF", "S2" },
		{ ZEP_INACTIVE, ZEP_CLOSED, 0, 0, "^hf", "SHR" },
		{ ZEP_ESTABLISHED, ZEP_CLOSED, 0, 0, "ShAf", "S3" },
		{ ZEP_SYN_SENT, ZEP_INACTIVE, 0, 0, "S", "S0" },
		{ ZEP_ESTABLISHED, ZEP_ESTABLISHED, 0, 0, "ShA", "S1" },
		{ ZEP_PARTIAL, ZEP_PARTIAL, 0, 0, "Dd", "OTH" },
	};

	for (size_t i = 0; i < sizeof(v) / sizeof(v[0]); i++)
		ck_assert_msg(strcmp(zconn_tcp_state(v[i].os, v[i].rs, v[i].osz, v[i].rsz,
		    v[i].hist), v[i].want) == 0, "row %zu: %s", i,
		    zconn_tcp_state(v[i].os, v[i].rs, v[i].osz, v[i].rsz, v[i].hist));
}
END_TEST

/* The same values from packets: S0, S1, RSTOS0, RSTO, RSTR, SH, S3; an RST
 * after both FINs stays SF (UpdateClosedState()); no SYN but both FINs is
 * SF; mid-stream data both ways is OTH. */
START_TEST(state_from_packets)
{
	struct tconn c;

	tc_init(&c, 40000, 5001);
	seg(&c, 0, 0, TH_SYN, 0);
	expect(&c, 0, "S0", "S");
	seg(&c, 1 * MS, 1, TH_SYN | TH_ACK, 0);
	seg(&c, 1 * MS, 0, TH_ACK, 0);
	expect(&c, 0, "S1", "ShA");
	seg(&c, 1 * MS, 0, TH_ACK | TH_FIN, 0);
	seg(&c, 1 * MS, 1, TH_ACK | TH_FIN, 0);
	seg(&c, 1 * MS, 0, TH_RST, 0);
	expect(&c, 0, "SF", "ShAFfR");
	zconn_free(c.z);

	tc_init(&c, 40000, 5001);
	seg(&c, 0, 0, TH_SYN, 0);
	seg(&c, 1 * MS, 0, TH_RST, 0);
	expect(&c, 0, "RSTOS0", "SR");
	zconn_free(c.z);

	tc_init(&c, 40000, 5001);
	handshake(&c);
	seg(&c, 1 * MS, 0, TH_RST | TH_ACK, 0);
	expect(&c, 0, "RSTO", "ShAR");
	zconn_free(c.z);

	tc_init(&c, 40000, 5001);
	seg(&c, 0, 0, TH_SYN, 0);
	seg(&c, 1 * MS, 0, TH_FIN, 0);
	expect(&c, 0, "SH", "SF");
	zconn_free(c.z);

	tc_init(&c, 40000, 5001);
	handshake(&c);
	seg(&c, 1 * MS, 1, TH_ACK | TH_FIN, 0);
	expect(&c, 0, "S3", "ShAf");
	zconn_free(c.z);

	tc_init(&c, 40000, 5001);
	seg(&c, 0, 0, TH_ACK | TH_PSH, 10);
	seg(&c, 1 * MS, 1, TH_ACK | TH_PSH, 10);
	expect(&c, 0, "OTH", "Dd");
	seg(&c, 1 * MS, 0, TH_ACK | TH_FIN, 0);
	seg(&c, 1 * MS, 1, TH_ACK | TH_FIN, 0);
	expect(&c, 0, "SF", "DdFf");
	zconn_free(c.z);
}
END_TEST

/* ---- where connections end ---- */

/* IsReuse(): a SYN with a new sequence number after the close starts a
 * new connection; so does one after tcp_inactivity_timeout (5 min). */
START_TEST(bounds_reuse_and_timeout)
{
	struct tconn c;

	tc_init(&c, 40000, 5001);
	handshake(&c);
	seg(&c, 1 * MS, 0, TH_ACK | TH_FIN, 0);
	seg(&c, 1 * MS, 1, TH_ACK | TH_FIN, 0);
	seg(&c, 1 * MS, 0, TH_ACK, 0);
	c.seq[0] += 5000;
	handshake(&c);
	ck_assert_uint_eq(zconn_count(c.z), 2);
	expect(&c, 1, "S1", "ShA");
	seg(&c, 301 * NS, 0, TH_ACK | TH_PSH, 10);
	ck_assert_uint_eq(zconn_count(c.z), 3);
	expect(&c, 2, "OTH", "D");
	zconn_free(c.z);
}
END_TEST

/* UDP (UDP.cc): D and d once each way; SF both sides active, S0 the
 * originator only; udp_inactivity_timeout (1 min) ends a connection;
 * from a likely server port (53) to another port it starts flipped. */
START_TEST(udp_labels)
{
	struct zconn *z = zconn_new(4);
	uint8_t b[64];
	struct nb_packet p;
	const struct zc_conn *zc;
	char h[ZC_HIST_MAX + 1];
	uint64_t t = NS;

	for (int i = 0; i < 4; i++) {
		int dir = i == 1 || i == 2;

		memset(b, 0, sizeof(b));
		b[0] = 0x45;
		put16(b + 2, 36);
		b[8] = 64;
		b[9] = 17;
		memcpy(b + 12, host[dir], 4);
		memcpy(b + 16, host[!dir], 4);
		put16(b + 20, dir ? 53 : 40000);
		put16(b + 22, dir ? 40000 : 53);
		put16(b + 24, 16);	/* checksum 0: none (IPv4) */
		ck_assert_int_eq(decode_packet(b, 36, &p), DEC_OK);
		t += i == 2 ? 61 * NS : 1 * MS;	/* past udp_inactivity_timeout */
		ck_assert_uint_ne(zconn_packet(z, &p, b, 36, t), ZC_NONE);
	}
	ck_assert_uint_eq(zconn_count(z), 2);
	zc = zconn_get(z, 0);
	zconn_history(zc, h);
	ck_assert_str_eq(h, "Dd");
	ck_assert_str_eq(zconn_state(zc), "SF");
	ck_assert_uint_eq(zconn_bytes(zc, true), 8);
	/* the second starts with the server's datagram: flipped */
	zc = zconn_get(z, 1);
	zconn_history(zc, h);
	ck_assert_str_eq(h, "^dD");
	ck_assert_uint_eq(zc->port[zc->orig], 40000);
	zconn_free(z);
}
END_TEST

/* An ICMPv4 message from side dir: type, code, 8 bytes of header rest
 * (an error's quote follows in q, ql bytes), len bytes of payload. */
static uint32_t
icmp4(struct zconn *z, uint64_t t, int dir, uint8_t type, uint8_t code,
    const uint8_t *q, size_t ql, size_t len)
{
	uint8_t b[256];
	struct nb_packet p;
	size_t n = 28 + ql + len;

	memset(b, 0, n);
	b[0] = 0x45;
	put16(b + 2, (uint32_t)n);
	b[8] = 64;
	b[9] = 1;
	memcpy(b + 12, host[dir], 4);
	memcpy(b + 16, host[!dir], 4);
	put16(b + 10, fold(sum16(0, b, 20)));
	b[20] = type;
	b[21] = code;
	put16(b + 24, 77);	/* identifier */
	if (q)
		memcpy(b + 28, q, ql);
	put16(b + 22, fold(sum16(0, b + 20, n - 20)));
	ck_assert_int_eq(decode_packet(b, n, &p), DEC_OK);
	return zconn_packet(z, &p, b, n, t);
}

/* ICMP (ICMP.cc): a connection by the type pair (ICMP4_counterpart():
 * echo 8 with its reply 0), OTH, no history, sizes the payload; an error
 * is a connection of its own (type 3, its code as the responder's port),
 * not a packet of the flow it quotes. */
START_TEST(icmp_labels)
{
	struct zconn *z = zconn_new(4);
	const struct zc_conn *c;
	uint8_t q[28];
	char h[ZC_HIST_MAX + 1];

	ck_assert_uint_eq(icmp4(z, NS, 0, 8, 0, NULL, 0, 56), 0);
	ck_assert_uint_eq(icmp4(z, 2 * NS, 1, 0, 0, NULL, 0, 56), 0);
	c = zconn_get(z, 0);
	ck_assert_uint_eq(c->port[c->orig], 8);
	ck_assert_uint_eq(c->port[!c->orig], 0);
	ck_assert_str_eq(zconn_state(c), "OTH");
	zconn_history(c, h);
	ck_assert_str_eq(h, "");
	ck_assert_uint_eq(zconn_bytes(c, true), 56);
	ck_assert_uint_eq(zconn_side(c, false)->ip_bytes, 84);
	/* a port unreachable quoting a UDP datagram */
	memset(q, 0, sizeof(q));
	q[0] = 0x45;
	put16(q + 2, 28);
	q[9] = 17;
	memcpy(q + 12, host[0], 4);
	memcpy(q + 16, host[1], 4);
	put16(q + 20, 40000);
	put16(q + 22, 33434);
	ck_assert_uint_eq(icmp4(z, 3 * NS, 1, 3, 3, q, sizeof(q), 0), 1);
	c = zconn_get(z, 1);
	ck_assert_uint_eq(c->port[c->orig], 3);
	ck_assert_uint_eq(c->port[!c->orig], 3);
	ck_assert_uint_eq(zconn_count(z), 2);
	zconn_free(z);
}
END_TEST

Suite *
suite_zconn(void)
{
	Suite *s = suite_create("zconn");
	TCase *tc = tcase_create("history");

	tcase_add_test(tc, hist_normal);
	tcase_add_test(tc, hist_flip_synack_first);
	tcase_add_test(tc, hist_flip_server_port);
	tcase_add_test(tc, hist_rst_rej);
	tcase_add_test(tc, hist_retransmit_repeats);
	tcase_add_test(tc, hist_zero_window);
	tcase_add_test(tc, hist_gap);
	tcase_add_test(tc, hist_checksum);
	tcase_add_test(tc, hist_multi_flag);
	tcase_add_test(tc, hist_repeat_syn_fin);
	suite_add_tcase(s, tc);
	tc = tcase_create("conn_state");
	tcase_add_test(tc, state_table);
	tcase_add_test(tc, state_from_packets);
	suite_add_tcase(s, tc);
	tc = tcase_create("bounds");
	tcase_add_test(tc, bounds_reuse_and_timeout);
	tcase_add_test(tc, udp_labels);
	tcase_add_test(tc, icmp_labels);
	suite_add_tcase(s, tc);
	return s;
}
