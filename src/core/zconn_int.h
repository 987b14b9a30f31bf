/* zconn_int.h -- what zconn.c and zconn_tcp.c share (not an interface). */
#ifndef NATBOX_ZCONN_INT_H
#define NATBOX_ZCONN_INT_H

#include "zconn.h"

/* Zeek's hist_seen masks (TCP_Endpoint.h HIST_*; a responder's are
 * shifted 16 bits), and the UDP analyzer's data masks. */
#define ZH_SYN		0x001
#define ZH_FIN		0x002
#define ZH_RST		0x004
#define ZH_FIN_RST	0x008
#define ZH_DATA		0x010
#define ZH_ACK		0x020
#define ZH_MULTI	0x040

/* Is the endpoint in slot s the originator now (TCP_Endpoint::IsOrig()) */
static inline bool
zc_is_orig(const struct zc_conn *c, unsigned s)
{
	return s == c->orig;
}

/* Connection::AddHistory(): the letter, as given. */
void zc_hist_add(struct zc_conn *c, char code);
/* TCP_Endpoint::CheckHistory(): the letter (lower case for a responder)
 * the first time its mask is seen from that side; true if seen before. */
bool zc_hist_check(struct zc_conn *c, unsigned s, uint32_t mask, char code);
/* Connection::ScaledHistoryEntry(): the letter at the 1st, 10th, 100th...
 * time (base 10, counted in *n). */
void zc_hist_scaled(struct zc_conn *c, unsigned s, char code, uint32_t *n);
/* Zeek's FlipRoles(): the other slot becomes the originator, '^'. */
void zc_flip(struct zc_conn *c);

/* zconn_tcp.c: one TCP packet from slot s (checksum already checked). */
void zc_tcp_packet(struct zc_conn *c, unsigned s, const struct nb_packet *p,
    size_t caplen_l4, uint64_t now);
/* Is the connection over by Zeek's TCP timers at now (a packet for its
 * tuple then starts a new one)? */
bool zc_tcp_gone(const struct zc_conn *c, uint64_t now);
/* Is this first packet for a live connection a reuse of its tuple
 * (TCPSessionAdapter::IsReuse()): a new connection starts with it. */
bool zc_tcp_reuse(const struct zc_conn *c, const struct nb_packet *p);

#endif
