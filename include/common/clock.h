/* clock.h -- the fronts' one clock: CLOCK_MONOTONIC in nanoseconds, the `now` the core is given. */
#ifndef NATBOX_CLOCK_H
#define NATBOX_CLOCK_H

#include <stdint.h>

uint64_t clock_now_ns(void);

#endif
