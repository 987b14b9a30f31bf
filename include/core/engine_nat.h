/* engine_nat.h -- an engine's translation, for its fronts: a flow's outside tuple, the mapping table, rebinding. */
#ifndef NATBOX_ENGINE_NAT_H
#define NATBOX_ENGINE_NAT_H

#include <stdbool.h>
#include <stdint.h>

#include "engine.h"
#include "nat.h"

/* A translated flow as the outside sees it: originator -> responder,
 * IPv4 host order. */
struct flow_outside {
	uint32_t src, dst;
	uint16_t sport, dport;
};

/* The engine's mapping table, NULL when its profile translates nothing. */
const struct nat_table *engine_nat(const struct engine *e);
/* Flow idx's outside tuple; false if it is not translated. */
bool engine_flow_outside(const struct engine *e, uint32_t idx, struct flow_outside *o);
/* Move flow idx to a new mapping (a new external port) now, as
 * nat.rebind_every does when its time comes (ctl rebind). -1 if the flow
 * is not a translated outbound one. */
int engine_rebind(struct engine *e, uint32_t idx, uint64_t now);

#endif
