/* nat_tb.h -- the translation tests' addresses: clients in
 * 198.51.100.0/24, servers and the pool in 203.0.113.0/24. */
#ifndef NATBOX_NAT_TB_H
#define NATBOX_NAT_TB_H

#include <stdint.h>

#define SEC 1000000000ULL
#define P_ICMP 1
#define P_TCP 6
#define P_UDP 17

#define IP(a, b, c, d) ((uint32_t)(a) << 24 | (uint32_t)(b) << 16 | (uint32_t)(c) << 8 | (d))
static const uint32_t CLIENT = IP(198, 51, 100, 10), CLIENT2 = IP(198, 51, 100, 11);
static const uint32_t SERVER = IP(203, 0, 113, 20), SERVER2 = IP(203, 0, 113, 21);
static const uint32_t POOL = IP(203, 0, 113, 100);

static const uint64_t seed[2] = { 11, 22 };

#endif
