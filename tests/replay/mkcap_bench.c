/* mkcap_bench.c -- mkcap's streamed synthetic load (bench) and random damage (mutate). */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "mkcap.h"

static uint64_t rng = 88172645463325252ULL;

static uint64_t
rnd(void)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return rng;
}

static uint64_t
rnd_range(uint64_t lo, uint64_t hi)
{
	return lo + rnd() % (hi - lo + 1);
}

enum bkind { BK_SHORT, BK_LONG, BK_HALF, BK_IDLE, BK_RST,
	/* --dgram: */ BK_DNS, BK_UDPKA, BK_PING, BK_ESP };
enum bphase { BP_SYN, BP_SYNACK, BP_ACK, BP_REQ, BP_EARLY_FIN, BP_DATA, BP_DACK,
	BP_FIN1, BP_FIN2, BP_LAST };

struct bflow {
	struct conn k;
	uint64_t next;		/* time of its next packet */
	uint16_t left;		/* data exchanges to go */
	uint8_t kind, phase;
	bool first_gap;
	bool answer;		/* datagrams: the other side answers next */
	bool server_first;	/* datagrams: this exchange starts at the server */
};

static struct bflow *heap[1 << 21];
static size_t nheap;

static void
heap_push(struct bflow *f)
{
	size_t i = nheap++;

	while (i > 0 && heap[(i - 1) / 2]->next > f->next) {
		heap[i] = heap[(i - 1) / 2];
		i = (i - 1) / 2;
	}
	heap[i] = f;
}

static struct bflow *
heap_pop(void)
{
	struct bflow *top = heap[0], *last = heap[--nheap];
	size_t i = 0, c;

	while ((c = 2 * i + 1) < nheap) {
		if (c + 1 < nheap && heap[c + 1]->next < heap[c]->next)
			c++;
		if (heap[c]->next >= last->next)
			break;
		heap[i] = heap[c];
		i = c;
	}
	if (nheap)
		heap[i] = last;
	return top;
}

static uint64_t bench_written;

/* A header-only copy (as tcpdump -s 96 records): the IP header says how
 * long the packet was, the file holds only the first snap bytes. */
static void
bench_tcp(struct bflow *f, int dir, uint8_t flags, uint32_t len)
{
	uint8_t b[MAXFRAME + 128];
	size_t n;

	n = segment(b, &f->k, dir, flags, len, f->k.seq[dir], f->k.ack[dir], false,
	    opt.snap);
	f->k.seq[dir] += len + !!(flags & SYN) + !!(flags & FIN);
	f->k.ack[!dir] = f->k.seq[dir];
	record(EPOCH + f->next, b, (uint32_t)(n - (len < opt.snap ? len : opt.snap) + len));
	bench_written++;
}

/* A datagram of a flow of the load, header-only past the snap length;
 * unreach: an ICMP port unreachable for the client's last instead. */
static void
bench_dg(struct bflow *f, int dir, uint8_t proto, uint32_t len, bool unreachable)
{
	uint8_t b[MAXFRAME + 128];
	size_t ip, n;

	n = unreachable ? unreach_build(b, &f->k, proto, len) :
	    dgram_build(b, &f->k, dir, proto, len, ++f->k.seq[dir], &ip);
	record(EPOCH + f->next, b, (uint32_t)n);
	bench_written++;
}

/*
 * One datagram of a UDP, ICMP or ESP flow of the load: exchanges of a
 * datagram and its answer, the first side random for keepalives and ESP
 * (30% the server's), with waits across the profiles' timers. A DNS
 * query is answered (85%), unanswered (10%) or refused with a port
 * unreachable (5%); an echo reply comes now and then seconds late.
 */
static bool
bench_dgram_step(struct bflow *f)
{
	static const uint8_t proto[] = {
		[BK_DNS] = P_UDP, [BK_UDPKA] = P_UDP, [BK_PING] = P_ICMP, [BK_ESP] = P_ESP,
	};
	int from = f->server_first != f->answer;
	uint64_t r = rnd() % 100;

	if (f->answer && f->kind == BK_DNS && r >= 85) {
		if (r >= 95)
			bench_dg(f, 1, P_UDP, 40, true);
		return false;
	}
	bench_dg(f, from, proto[f->kind], (uint32_t)rnd_range(1, 300), false);
	if (!f->answer) {
		f->answer = true;
		f->next += f->kind == BK_PING && r < 5 ? rnd_range(2000, 4000) * MS :
		    rnd_range(1, 50) * MS;
		return true;
	}
	if (--f->left == 0)
		return false;
	f->answer = false;
	f->server_first = f->kind != BK_PING && rnd() % 100 < 30;
	switch (f->kind) {
	case BK_UDPKA:
		f->next += rnd_range(1, 200) * NS;
		break;
	case BK_PING:
		f->next += rnd_range(1, 45) * NS;
		break;
	default:
		f->next += rnd_range(1, 90) * NS;
		break;
	}
	return true;
}

/* One packet of a flow's script; false when the flow is over. */
static bool
bench_step(struct bflow *f)
{
	if (f->kind >= BK_DNS)
		return bench_dgram_step(f);
	switch (f->phase) {
	case BP_SYN:
		bench_tcp(f, 0, SYN, 0);
		f->next += 10 * MS;
		f->phase = BP_SYNACK;
		return true;
	case BP_SYNACK:
		bench_tcp(f, 1, SYN | ACK, 0);
		f->next += 10 * MS;
		f->phase = BP_ACK;
		return true;
	case BP_ACK:
		bench_tcp(f, 0, ACK, 0);
		f->next += rnd_range(100, 2000) * US;
		f->phase = BP_REQ;
		return true;
	case BP_REQ:
		bench_tcp(f, 0, PSH | ACK, (uint32_t)rnd_range(40, 600));
		f->next += rnd_range(1, 5) * MS;
		f->phase = f->kind == BK_HALF ? BP_EARLY_FIN : BP_DATA;
		return true;
	case BP_EARLY_FIN:
		/* the seed's client: request, then shutdown(SHUT_WR) */
		bench_tcp(f, 0, FIN | ACK, 0);
		f->next += 1 * MS;
		f->phase = BP_DATA;
		return true;
	case BP_DATA:
		bench_tcp(f, 1, PSH | ACK, (uint32_t)rnd_range(200, 1448));
		f->next += rnd_range(100, 1000) * US;
		f->phase = BP_DACK;
		return true;
	case BP_DACK:
		bench_tcp(f, 0, ACK, 0);
		switch (f->kind) {
		case BK_LONG:
			f->next += rnd_range(10, 30000) * MS;
			break;
		case BK_IDLE:
			f->next += f->first_gap ? rnd_range(300, 500) * NS : rnd_range(1, 20) * MS;
			break;
		case BK_HALF:
			f->next += rnd_range(200, 2000) * MS;
			break;
		default:
			f->next += rnd_range(100, 3000) * US;
			break;
		}
		f->first_gap = false;
		if (--f->left > 0)
			f->phase = BP_DATA;
		else if (f->kind == BK_RST)
			f->phase = BP_LAST;
		else
			f->phase = f->kind == BK_HALF ? BP_FIN2 : BP_FIN1;
		return true;
	case BP_FIN1:
		bench_tcp(f, 0, FIN | ACK, 0);
		f->next += rnd_range(1, 10) * MS;
		f->phase = BP_FIN2;
		return true;
	case BP_FIN2:
		bench_tcp(f, 1, FIN | ACK, 0);
		f->next += rnd_range(1, 10) * MS;
		f->phase = BP_LAST;
		return true;
	default:
		if (f->kind == BK_RST)
			bench_tcp(f, (int)(rnd() & 1), RST | ACK, 0);
		else
			bench_tcp(f, 0, ACK, 0);
		return false;
	}
}

/* Flows start evenly over --seconds; each runs a script by kind: 80%
 * short request/response, 10% long-lived with waits up to 30 s, 5% the
 * seed's half-close with the server streaming for seconds, 3% idle for
 * 5 to 8 minutes once, 2% ended by a RST. With --dgram PCT, that share
 * of the flows are instead DNS-like UDP, UDP keepalives, pings and ESP
 * (bench_dgram_step()). The heap holds the flows in progress, ordered by
 * their next packet. */
void
sc_bench(void)
{
	uint64_t started = 0, span = opt.seconds * NS, next_start = 0;
	uint64_t avg = opt.packets / opt.flows;
	uint32_t pairs = avg > 8 ? (uint32_t)(avg - 7) : 1;	/* 7 + 2n packets */
	struct bflow *f;

	rng ^= opt.seed * 0x9e3779b97f4a7c15ULL;
	file_header();
	while (started < opt.flows || nheap) {
		if (started < opt.flows && (nheap == 0 || next_start <= heap[0]->next) &&
		    nheap < sizeof(heap) / sizeof(heap[0])) {
			uint64_t r = rnd() % 100;
			uint32_t i = (uint32_t)started;

			if ((f = calloc(1, sizeof(*f))) == NULL)
				die("out of memory");
			conn_init(&f->k, i % 10 == 9 ? 6 : 4, 1 + i % 250,
			    (uint16_t)(1024 + (i / 250) % 64000), 1 + (unsigned)(rnd() % 50),
			    r & 1 ? 443 : 80, (uint32_t)rnd(), (uint32_t)rnd());
			f->next = next_start;
			f->kind = r < 80 ? BK_SHORT : r < 90 ? BK_LONG : r < 95 ? BK_HALF :
			    r < 98 ? BK_IDLE : BK_RST;
			/* n data exchanges averaging (packets/flows - 7) / 2 */
			f->left = (uint16_t)(1 + rnd() % pairs);
			if (f->kind == BK_LONG || f->kind == BK_HALF)
				f->left += 8;
			/* --dgram PCT: that share of flows are UDP, ICMP and
			 * ESP flows (without it, no draw: the load repeats) */
			if (opt.dgram && rnd() % 100 < opt.dgram) {
				f->kind = (uint8_t)(BK_DNS + rnd() % 4);
				f->left = (uint16_t)(f->kind == BK_DNS ? 1 : 3 + rnd() % 8);
			}
			f->first_gap = true;
			heap_push(f);
			started++;
			next_start = span * started / opt.flows;
			continue;
		}
		f = heap_pop();
		if (bench_step(f))
			heap_push(f);
		else
			free(f);
	}
	fprintf(stderr, "mkcap: %s: %llu packets, %llu flows over %llu s\n", out_path,
	    (unsigned long long)bench_written, (unsigned long long)started,
	    (unsigned long long)opt.seconds);
}

/* Copy --from to the output with --flips random bytes overwritten
 * (after the first 24, so the file still opens and the records suffer). */
void
sc_mutate(void)
{
	FILE *in;
	uint8_t *b = NULL;
	size_t n = 0, cap = 0, r;

	if (opt.from == NULL || (in = fopen(opt.from, "rb")) == NULL)
		die("mutate needs --from FILE");
	for (;;) {
		if (n == cap) {
			cap = cap ? cap * 2 : 65536;
			if ((b = realloc(b, cap)) == NULL)
				die("out of memory");
		}
		if ((r = fread(b + n, 1, cap - n, in)) == 0)
			break;
		n += r;
	}
	fclose(in);
	rng ^= opt.seed * 0x9e3779b97f4a7c15ULL;
	for (uint64_t i = 0; i < opt.flips && n > 24; i++) {
		size_t at = 24 + (size_t)(rnd() % (n - 24));

		/* bit flips, and now and then a byte of all ones or zeros */
		switch (rnd() % 4) {
		case 0: b[at] = 0xff; break;
		case 1: b[at] = 0; break;
		default: b[at] ^= (uint8_t)(1u << (rnd() % 8)); break;
		}
	}
	wr(b, n);
	free(b);
}
