/* mkcap.h -- what mkcap's files share: the options, the byte and file writers
 * (mkcap_write.c), the frame builders (mkcap_frame.c) and the scenarios
 * (mkcap_tcp.c, mkcap_dgram.c, mkcap_bench.c). */
#ifndef MKCAP_H
#define MKCAP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "mkcap_encap.h"

/*
 * Every address is a documentation one: 198.51.100.0/24 (clients) and
 * 203.0.113.0/24 (servers), RFC 5737; 2001:db8:1::/64 and 2001:db8:2::/64,
 * RFC 3849. Nothing is sent anywhere; the files are written only.
 */

#define NS	1000000000ULL
#define MS	1000000ULL
#define US	1000ULL
#define MAXFRAME 2048
/* 2024-05-01 10:00:00 UTC: a fixed start, so files repeat byte for byte. */
#define EPOCH (1714557600ULL * NS)

#define SYN 0x02
#define FIN 0x01
#define RST 0x04
#define PSH 0x08
#define ACK 0x10
#define URG 0x20

#define P_ICMP	1
#define P_UDP	17
#define P_GRE	47
#define P_ESP	50
#define P_ICMP6	58

enum link { L_ETHER, L_VLAN, L_QINQ, L_SLL, L_SLL2, L_RAW, L_IPV4, L_IPV6, L_NULL,
	L_PPPOE, L_MPLS };

struct mkcap_opts {
	enum link link;
	bool pcapng, nano, swap;
	uint32_t hsnap;		/* snap length the pcap header claims (0: snap) */
	uint32_t snap;
	uint64_t flows, packets;
	uint64_t seconds;
	uint64_t seed;
	long cut;
	const char *from;
	uint64_t flips;
	uint64_t dgram;		/* bench: percent of datagram flows */
	int encap;		/* mkcap_encap.c's framing around raw IP, or -1 */
	uint64_t skew;		/* us: every 3rd record written this much earlier */
};

extern struct mkcap_opts opt;
extern FILE *out;
extern const char *out_path;

struct host {
	uint8_t a[16];
	uint16_t port;
};

struct conn {
	int fam;		/* 4 or 6 */
	struct host c, s;	/* client (originator in a normal open), server */
	uint32_t seq[2];	/* next sequence number: [0] client, [1] server */
	uint32_t ack[2];	/* what each side acknowledges (its rcv.nxt) */
	int ext;		/* IPv6: 1 hop-by-hop + dstopts, 2 + routing */
};

/* mkcap_write.c: bytes (big-endian, little-endian, the file's order),
 * the Internet checksum, the file, and the scenario's packets */
void put16(uint8_t *p, uint16_t v);
void put32(uint8_t *p, uint32_t v);
void le16(uint8_t *p, uint16_t v);
void le32(uint8_t *p, uint32_t v);
void fe16(uint8_t *p, uint16_t v);
void fe32(uint8_t *p, uint32_t v);
uint32_t csum_add(uint32_t sum, const uint8_t *p, size_t n);
uint16_t csum_fold(uint32_t sum);
__attribute__((noreturn)) void die(const char *msg);
void wr(const void *p, size_t n);
void file_header(void);
void record(uint64_t ts, const uint8_t *frame, uint32_t len);
/* Collect one frame at ts; write_all() sorts them by time (stably) and
 * writes the file. */
void emit(uint64_t ts, const uint8_t *frame, size_t len);
void write_all(void);

/* mkcap_frame.c */
uint32_t link_type(void);
int link_lookup(const char *name);
void conn_init(struct conn *k, int fam, unsigned cl, uint16_t cport, unsigned sv,
    uint16_t sport, uint32_t iss_c, uint32_t iss_s);
size_t link_hdr(uint8_t *b, int dir, uint16_t ethertype, size_t l3len);
size_t segment(uint8_t *b, const struct conn *k, int dir, uint8_t flags, uint32_t len,
    uint32_t seq, uint32_t ack, bool frag, uint32_t fill);
void tcp(struct conn *k, uint64_t ts, int dir, uint8_t flags, uint32_t len);
void tcp_again(struct conn *k, uint64_t ts, int dir, uint8_t flags, uint32_t len);
void handshake(struct conn *k, uint64_t *t, uint64_t rtt);
void arp_frame(uint64_t t);
void other_protocols(uint64_t t);
size_t dgram_ip(uint8_t *b, const struct conn *k, int dir, uint8_t proto, size_t l4len,
    size_t *ip);
void dgram_csum(uint8_t *b, size_t ip, size_t l4, size_t l4len, uint8_t proto, size_t at);
size_t dgram_build(uint8_t *b, const struct conn *k, int dir, uint8_t proto, uint32_t len,
    uint32_t seq, size_t *ip);
void dg(struct conn *k, uint64_t ts, int dir, uint8_t proto, uint32_t len);
size_t unreach_build(uint8_t *b, const struct conn *k, uint8_t proto, uint32_t len);
void unreach(struct conn *k, uint64_t ts, uint8_t proto, uint32_t len);

/* the scenarios: mkcap_tcp.c */
void sc_basic(void);
void sc_midstream(void);
void sc_simultaneous(void);
void sc_rst(void);
void sc_ipv6ext(void);
void sc_gaps(void);
void sc_idle(void);
void sc_shadow_evict(void);
void sc_shadow_lag(void);
void sc_shadow_short(void);
void sc_shadow_tail(void);
/* mkcap_dgram.c */
void sc_dgram(void);
void sc_gre(void);
void sc_p2p(void);
/* mkcap_zeek.c: a connection per Zeek history letter and conn_state */
void sc_zeek(void);
/* mkcap_bench.c: streamed, and a copy damaged */
void sc_bench(void);
void sc_mutate(void);

#endif
