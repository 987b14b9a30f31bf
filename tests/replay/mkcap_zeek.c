/* mkcap_zeek.c -- mkcap's zeek scenario: one TCP connection per Zeek history letter and conn_state value, each packet explained (tests/data/zeek.pcap). */
#include <string.h>

#include "mkcap.h"

/*
 * The labels each connection must get, by Zeek's rules (natbox's model of
 * them is src/core/zconn*.c; the golden is tests/data/expected/zeek.zeek.out):
 * upper case from the originator, lower from the responder.
 */

/* tcp() with a window and, if bad, a wrong TCP checksum (IPv4 only). */
static void
tcp_patch(struct conn *k, uint64_t ts, int dir, uint8_t flags, uint32_t len, uint16_t win,
    bool bad)
{
	uint8_t b[MAXFRAME + 128], scratch[64];
	size_t n, th = link_hdr(scratch, dir, 0x0800, 0) + 20;
	uint32_t sum;

	n = segment(b, k, dir, flags, len, k->seq[dir], k->ack[dir], false, len);
	k->seq[dir] += len + !!(flags & SYN) + !!(flags & FIN);
	k->ack[!dir] = k->seq[dir];
	put16(b + th + 14, win);
	put16(b + th + 16, 0);
	sum = csum_add(0, b + th - 8, 8) + 6 + (uint32_t)(n - th);
	sum = csum_add(sum, b + th, n - th);
	put16(b + th + 16, (uint16_t)(csum_fold(sum) ^ (bad ? 0x00ff : 0)));
	emit(ts, b, n);
}

static void
close_both(struct conn *k, uint64_t *t)
{
	tcp(k, *t += 1 * MS, 0, FIN | ACK, 0);
	tcp(k, *t += 1 * MS, 1, FIN | ACK, 0);
	tcp(k, *t += 1 * MS, 0, ACK, 0);
}

/* Hs^ADadFf SF: the SYN-ACK captured 1 us before its SYN (two interfaces
 * merged); the SYN flips the roles (UpdateInactiveState()). ShADTTaFf
 * SF: a request sent 11 times, T at the 1st and 10th retransmission
 * (ScaledHistoryEntry()), then the server's ACK. */
static void
zeek_flip_and_rxmit(void)
{
	struct conn k;
	uint64_t t = 100 * MS;

	conn_init(&k, 4, 20, 46001, 20, 5001, 1000, 5000);
	tcp(&k, t + 1 * US, 0, SYN, 0);
	tcp(&k, t, 1, SYN | ACK, 0);
	tcp(&k, t += 2 * MS, 0, ACK, 0);
	tcp(&k, t += 1 * MS, 0, PSH | ACK, 20);
	tcp(&k, t += 1 * MS, 1, ACK, 0);
	tcp(&k, t += 1 * MS, 1, PSH | ACK, 40);
	tcp(&k, t += 1 * MS, 0, ACK, 0);
	close_both(&k, &t);

	conn_init(&k, 4, 20, 46003, 20, 5001, 3000, 7000);
	t = 300 * MS;
	handshake(&k, &t, 2 * MS);
	tcp(&k, t += 1 * MS, 0, PSH | ACK, 100);
	for (int i = 0; i < 10; i++)
		tcp_again(&k, t += 10 * MS, 0, PSH | ACK, 100);
	tcp(&k, t += 1 * MS, 1, ACK, 0);
	close_both(&k, &t);
}

/* ^hdf SHR: a half-duplex tap's server side: SYN-ACK, data, FIN from port
 * 80, a likely server port: Zeek starts it flipped (WantConnection()).
 * ^hr RSTRH: a SYN-ACK from port 80, then its RST. */
static void
zeek_one_way(void)
{
	struct conn k;
	uint64_t t = 200 * MS;

	conn_init(&k, 4, 20, 46002, 20, 80, 2000, 6000);
	k.ack[1] = 2001;
	tcp(&k, t, 1, SYN | ACK, 0);
	tcp(&k, t += 2 * MS, 1, PSH | ACK, 300);
	tcp(&k, t += 2 * MS, 1, FIN | ACK, 0);

	conn_init(&k, 4, 20, 46011, 20, 80, 11000, 15000);
	k.ack[1] = 11001;
	t = 1100 * MS;
	tcp(&k, t, 1, SYN | ACK, 0);
	tcp(&k, t += 2 * MS, 1, RST, 0);
}

/* ShAawwFf SF: the server's window 0 ten times, pure ACKs (a; w at the
 * 1st and 10th). ShADaGFf SF: 100 bytes the capture missed, acked: the
 * ACK's letter, then the gap it reveals (G), missed_bytes 100. SchAFf SF: a SYN-ACK with a bad checksum (c, dropped), then a
 * good one. */
static void
zeek_window_gap_checksum(void)
{
	struct conn k;
	uint64_t t = 400 * MS;

	conn_init(&k, 4, 20, 46004, 20, 5001, 4000, 8000);
	handshake(&k, &t, 2 * MS);
	for (int i = 0; i < 10; i++)
		tcp_patch(&k, t += 5 * MS, 1, ACK, 0, 0, false);
	close_both(&k, &t);

	conn_init(&k, 4, 20, 46005, 20, 5001, 5000, 9000);
	t = 500 * MS;
	handshake(&k, &t, 2 * MS);
	tcp(&k, t += 1 * MS, 0, PSH | ACK, 50);
	k.seq[0] += 100;
	tcp(&k, t += 1 * MS, 0, PSH | ACK, 50);
	tcp(&k, t += 1 * MS, 1, ACK, 0);
	close_both(&k, &t);

	conn_init(&k, 4, 20, 46006, 20, 5001, 6000, 10000);
	t = 600 * MS;
	tcp(&k, t, 0, SYN, 0);
	tcp_patch(&k, t += 1 * MS, 1, SYN | ACK, 0, 502, true);
	k.seq[1]--;
	tcp(&k, t += 1 * MS, 1, SYN | ACK, 0);
	tcp(&k, t += 1 * MS, 0, ACK, 0);
	close_both(&k, &t);
}

/* ShAI RSTO: the client's FIN+RST in one packet (I); its RST made it
 * RESET. Q SH: a SYN+FIN alone (Q; SYN_SENT then CLOSED). */
static void
zeek_multi_flag(void)
{
	struct conn k;
	uint64_t t = 700 * MS;

	conn_init(&k, 4, 20, 46007, 20, 5001, 7000, 11000);
	handshake(&k, &t, 2 * MS);
	tcp(&k, t += 1 * MS, 0, FIN | RST | ACK, 0);

	conn_init(&k, 4, 20, 46008, 20, 5001, 8000, 12000);
	tcp(&k, 800 * MS, 0, SYN | FIN, 0);
}

/* The conn_state values main.zeek's conn_state() gives, one each:
 * Sr REJ, SR RSTOS0, SF SH, ShAF S2, ShAf S3, ShA S1, S S0, Dd OTH,
 * ShAFfR SF (a RST after both FINs changes nothing), ShADr RSTR. */
static void
zeek_states(void)
{
	struct conn k;
	uint64_t t;

	conn_init(&k, 4, 20, 46009, 20, 5001, 9000, 13000);
	tcp(&k, 900 * MS, 0, SYN, 0);
	tcp(&k, 901 * MS, 1, RST | ACK, 0);
	conn_init(&k, 4, 20, 46010, 20, 5001, 10000, 14000);
	tcp(&k, 1000 * MS, 0, SYN, 0);
	tcp(&k, 1001 * MS, 0, RST, 0);
	conn_init(&k, 4, 20, 46012, 20, 5001, 12000, 16000);
	tcp(&k, 1200 * MS, 0, SYN, 0);
	tcp(&k, 1201 * MS, 0, FIN, 0);
	conn_init(&k, 4, 20, 46013, 20, 5001, 13000, 17000);
	t = 1300 * MS;
	handshake(&k, &t, 2 * MS);
	tcp(&k, t += 1 * MS, 0, FIN | ACK, 0);
	conn_init(&k, 4, 20, 46014, 20, 5001, 14000, 18000);
	t = 1400 * MS;
	handshake(&k, &t, 2 * MS);
	tcp(&k, t += 1 * MS, 1, FIN | ACK, 0);
	conn_init(&k, 4, 20, 46015, 20, 5001, 15000, 19000);
	t = 1500 * MS;
	handshake(&k, &t, 2 * MS);
	conn_init(&k, 4, 20, 46016, 20, 5001, 16000, 20000);
	tcp(&k, 1600 * MS, 0, SYN, 0);
	conn_init(&k, 4, 20, 46017, 20, 5001, 17000, 21000);
	tcp(&k, 1700 * MS, 0, PSH | ACK, 10);
	tcp(&k, 1701 * MS, 1, PSH | ACK, 10);
	conn_init(&k, 4, 20, 46018, 20, 5001, 18000, 22000);
	t = 1800 * MS;
	handshake(&k, &t, 2 * MS);
	close_both(&k, &t);
	tcp(&k, t += 1 * MS, 0, RST, 0);
	conn_init(&k, 4, 20, 46019, 20, 5001, 19000, 23000);
	t = 1900 * MS;
	handshake(&k, &t, 2 * MS);
	tcp(&k, t += 1 * MS, 0, PSH | ACK, 10);
	tcp(&k, t += 1 * MS, 1, RST | ACK, 0);
}

/* Two Zeek connections on one tuple: ShAFf SF, then a SYN with a new ISN
 * 1 s later (IsReuse()): ShAFf SF again. */
static void
zeek_reuse(void)
{
	struct conn k;
	uint64_t t = 2000 * MS;

	conn_init(&k, 4, 20, 46020, 20, 5001, 20000, 24000);
	handshake(&k, &t, 2 * MS);
	close_both(&k, &t);
	k.seq[0] += 100000;
	t += 1 * NS;
	handshake(&k, &t, 2 * MS);
	close_both(&k, &t);
}

void
sc_zeek(void)
{
	zeek_flip_and_rxmit();
	zeek_one_way();
	zeek_window_gap_checksum();
	zeek_multi_flag();
	zeek_states();
	zeek_reuse();
}
