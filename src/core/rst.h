/* rst.h -- the RSTs the engine sends (core-internal). */
#ifndef NATBOX_RST_H
#define NATBOX_RST_H

#include "engine.h"

/* The RST that makes the endpoint on side `to` of f drop the connection
 * (RFC 5961 3.2). */
void rst_for_side(const struct flow *f, enum flow_dir to, struct rst_spec *r);
/* RFC 793 reset generation for a segment that has no connection. */
void rst_for_packet(const struct nb_packet *p, struct rst_spec *r);

#endif
