/* conform.h -- a profile's RFC requirement table, computed by running it on a virtual clock (pure). */
#ifndef NATBOX_CONFORM_H
#define NATBOX_CONFORM_H

#include <stddef.h>
#include <stdint.h>

#include "policy.h"

/* What a row's verdict rests on. `policy conform` knows everything of a
 * profile; the probe only what it measured, and a row resting on
 * anything else reads "not measured". */
enum conform_aspect {
	CA_TCP_EST = 0,		/* established idle timeout */
	CA_TCP_OPENING,		/* partially open (SYN sent) */
	CA_TCP_HALF,		/* one FIN: timer and its refresh */
	CA_TCP_CLOSING,		/* both FINs, TIME_WAIT */
	CA_TCP_RST,		/* what a RST does */
	CA_TCP_SEQ,		/* valid packet sequences pass */
	CA_UDP_UNREPLIED,
	CA_UDP_REPLIED,
	CA_UDP_REFRESH,		/* refresh direction */
	CA_ICMP_QUERY,
	CA_ICMP_ERR,		/* ICMP errors: passed, never ending a mapping */
	CA_MAPPING,		/* mapping behaviour (needs translation) */
	CA_FILTERING,
	CA_PORTS,		/* port overloading, port range */
	CA_PARITY,
	CA_POOLING,
	CA_HAIRPIN,		/* UDP (RFC 4787 REQ-9) */
	CA_HAIRPIN_TCP,		/* TCP (RFC 5382 REQ-8) */
	CA_UNSOLICITED,		/* answer to an unsolicited SYN */
	CA__MAX
};
#define CA_ALL	((1u << CA__MAX) - 1)
/* With the known bits: the device does not translate (its translation
 * rows are n/a). */
#define CONFORM_NO_NAT	(1u << 31)

enum conform_level { CL_MUST = 0, CL_SHOULD, CL_RECOMMENDED };
enum conform_result { CR_PASS = 0, CR_FAIL, CR_NA, CR_NOT_MEASURED };

extern const char *const conform_level_names[3];	/* MUST SHOULD RECOMMENDED */
extern const char *const conform_result_names[4];	/* pass fail n/a "not measured" */

#define CONFORM_ROWS_MAX	40
#define CONFORM_NEVER		UINT64_MAX	/* a timer that did not run out */

struct conform_row {
	const char *rfc;	/* "RFC 5382" */
	const char *req;	/* "REQ-5", "section 2.2" */
	const char *what;	/* the requirement, short */
	uint8_t level, result;
	char measured[112];	/* what the run showed */
};

/* The figures the rows were judged on (ns; CONFORM_NEVER: outlived the
 * search's cap). Behaviours are the nat.h enums. */
struct conform_figures {
	uint64_t tcp_est, tcp_opening, tcp_half, tcp_closing, tcp_time_wait, tcp_rst_hold;
	uint64_t udp_unreplied, udp_replied, icmp_query;
	uint8_t half_absolute;		/* data in the open direction did not keep it */
	uint8_t udp_refresh_out, udp_refresh_in;
	uint8_t mapping, filtering;	/* enum nat_dep */
};

struct conform_report {
	unsigned n;
	struct conform_row row[CONFORM_ROWS_MAX];
	struct conform_figures fig;
};

/* Run profile p (copied; translation switched on with documentation
 * addresses whatever p says, so its nat.* behaviour shows) through
 * crafted packet sequences with injected time, and judge each
 * requirement on what the engine did. known: CA_* bits the caller vouches
 * for (CA_ALL for a profile); other rows read CR_NOT_MEASURED. Returns 0,
 * or -1 if an engine could not be made (no memory). */
int conform_run(const struct policy *p, uint32_t known, struct conform_report *r);

/* How many rows of rfc ("RFC 5382") at level passed, and how many were
 * judged (pass or fail). */
void conform_count(const struct conform_report *r, const char *rfc, unsigned level,
    unsigned *passed, unsigned *judged);

/* The table as text (one row a line, aligned) or JSON; like snprintf. */
size_t conform_format(const struct conform_report *r, char *buf, size_t cap);
size_t conform_format_json(const struct conform_report *r, char *buf, size_t cap);

#endif
