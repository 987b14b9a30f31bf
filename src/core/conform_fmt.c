/* conform_fmt.c -- the requirement table as text and as JSON (no I/O: the caller's buffer). */
#include <stdio.h>
#include <string.h>

#include "conform.h"
#include "outbuf.h"

size_t
conform_format(const struct conform_report *r, char *buf, size_t cap)
{
	struct outbuf o = { buf, cap, 0 };
	static const char *const rfcs[] = { "RFC 5382", "RFC 4787", "RFC 5508", "RFC 7857" };

	outbuf_printf(&o, "%-8s  %-6s  %-11s  %-12s  %-55s  %s\n", "rfc", "req", "level",
	    "result", "requirement", "measured");
	for (unsigned i = 0; i < r->n; i++) {
		const struct conform_row *w = &r->row[i];

		outbuf_printf(&o, "%-8s  %-6s  %-11s  %-12s  %-55s  %s\n", w->rfc, w->req,
		    conform_level_names[w->level % 3], conform_result_names[w->result % 4],
		    w->what, w->measured[0] ? w->measured : "-");
	}
	for (size_t k = 0; k < sizeof(rfcs) / sizeof(rfcs[0]); k++) {
		unsigned pass, judged, rp, rj;

		conform_count(r, rfcs[k], CL_MUST, &pass, &judged);
		conform_count(r, rfcs[k], CL_SHOULD, &rp, &rj);
		outbuf_printf(&o, "%s%s: %u/%u MUSTs", k == 0 ? "\n" : ", ", rfcs[k], pass, judged);
		if (rj > 0)
			outbuf_printf(&o, ", %u/%u SHOULDs", rp, rj);
		conform_count(r, rfcs[k], CL_RECOMMENDED, &rp, &rj);
		if (rj > 0)
			outbuf_printf(&o, ", %u/%u RECOMMENDEDs", rp, rj);
	}
	outbuf_printf(&o, "\n");
	return outbuf_end(&o);
}

size_t
conform_format_json(const struct conform_report *r, char *buf, size_t cap)
{
	struct outbuf o = { buf, cap, 0 };

	outbuf_printf(&o, "{\"requirements\":[");
	for (unsigned i = 0; i < r->n; i++) {
		const struct conform_row *w = &r->row[i];

		outbuf_printf(&o, "%s{\"rfc\":", i ? "," : "");
		outbuf_json_str(&o, w->rfc);
		outbuf_printf(&o, ",\"req\":");
		outbuf_json_str(&o, w->req);
		outbuf_printf(&o, ",\"level\":\"%s\",\"result\":\"%s\",\"requirement\":",
		    conform_level_names[w->level % 3], conform_result_names[w->result % 4]);
		outbuf_json_str(&o, w->what);
		outbuf_printf(&o, ",\"measured\":");
		outbuf_json_str(&o, w->measured);
		outbuf_printf(&o, "}");
	}
	outbuf_printf(&o, "]}");
	return outbuf_end(&o);
}
