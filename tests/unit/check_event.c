/* check_event.c -- event lines: the fields every consumer relies on, in both formats. */
#include <check.h>
#include <stdio.h>
#include <string.h>

#include "event.h"
#include "flowtab.h"
#include "reason.h"
#include "suites.h"
#include "tcpfsm.h"

static struct event
sample(uint8_t type)
{
	struct event ev;

	memset(&ev, 0, sizeof(ev));
	ev.type = type;
	ev.family = 4;
	ev.proto = NB_PROTO_TCP;
	ev.state = TCP_FIN_WAIT;
	ev.old_state = TCP_ESTABLISHED;
	ev.timer_state = TCP_FIN_WAIT;
	ev.flow = 7;
	ev.sport = 40000;
	ev.dport = 80;
	ev.src.b[0] = 198, ev.src.b[1] = 51, ev.src.b[2] = 100, ev.src.b[3] = 2;
	ev.dst.b[0] = 203, ev.dst.b[1] = 0, ev.dst.b[2] = 113, ev.dst.b[3] = 2;
	ev.ts = 12500000000ULL;
	ev.timeout = 120000000000ULL;
	return ev;
}

START_TEST(test_json_required_fields)
{
	static const char *const need[] = { "\"ts\":12.5,", "\"src\":\"198.51.100.2\"",
		"\"dst\":\"203.0.113.2\"", "\"sport\":40000", "\"dport\":80", "\"state\":\"FIN_WAIT\"" };
	char buf[512];

	for (unsigned t = 0; t < EV__MAX; t++) {
		struct event ev = sample((uint8_t)t);
		char want[64];
		size_t n;

		if (t == EV_EXPIRE || t == EV_DROP || t == EV_FAULT)
			ev.reason = R_EXPIRED_HALF_CLOSED;
		if (t == EV_END || t == EV_FLOW) {
			ev.conn_state = "S2";
			strcpy(ev.history, "ShADaF");
			ev.reason = R_EXPIRED_HALF_CLOSED;
		}
		n = event_format(&ev, EVF_JSON, buf, sizeof(buf));
		ck_assert_uint_eq(n, strlen(buf));
		ck_assert(buf[0] == '{' && buf[n - 2] == '}' && buf[n - 1] == '\n');
		for (unsigned i = 0; i < sizeof(need) / sizeof(need[0]); i++)
			ck_assert_msg(strstr(buf, need[i]), "%s lacks %s", buf, need[i]);
		snprintf(want, sizeof(want), "\"event\":\"%s\"", event_type_name(t));
		ck_assert_msg(strstr(buf, want), "%s lacks %s", buf, want);
		ck_assert(strstr(buf, "\"timeout\":120") != NULL);
		if (t == EV_UPDATE)
			ck_assert(strstr(buf, "\"old_state\":\"ESTABLISHED\""));
		if (t == EV_EXPIRE || t == EV_DROP || t == EV_END)
			ck_assert(strstr(buf, "\"reason\":\"expired:half_closed\""));
		if (t == EV_END || t == EV_FLOW)
			ck_assert(strstr(buf, "\"conn_state\":\"S2\",\"history\":\"ShADaF\""));
		if (t == EV_FLOW)
			ck_assert(strstr(buf, "\"timer\":\"fin_wait\""));
	}
}
END_TEST

START_TEST(test_text_conntrack_style)
{
	struct event ev = sample(EV_UPDATE);
	char buf[512];

	event_format(&ev, EVF_TEXT, buf, sizeof(buf));
	ck_assert_str_eq(buf, "[UPDATE] ts=12.5 src=198.51.100.2 dst=203.0.113.2 sport=40000 "
	    "dport=80 proto=tcp state=FIN_WAIT old_state=ESTABLISHED timer=fin_wait timeout=120 flow=7\n");
	ev = sample(EV_END);
	ev.timeout = EV_NO_TIMEOUT;
	ev.reason = R_END_RST;
	ev.conn_state = "REJ";
	strcpy(ev.history, "Sr");
	event_format(&ev, EVF_TEXT, buf, sizeof(buf));
	ck_assert_str_eq(buf, "[DESTROY] ts=12.5 src=198.51.100.2 dst=203.0.113.2 sport=40000 "
	    "dport=80 proto=tcp state=FIN_WAIT reason=rst conn_state=REJ history=Sr flow=7\n");
	/* another protocol: its number */
	ev.proto = 47;
	event_format(&ev, EVF_JSON, buf, sizeof(buf));
	ck_assert_ptr_nonnull(strstr(buf, "\"proto\":\"47\""));
	ev.proto = NB_PROTO_ICMPV6;
	ev.state = TRK_ICMP;
	event_format(&ev, EVF_TEXT, buf, sizeof(buf));
	ck_assert_ptr_nonnull(strstr(buf, " proto=icmpv6 state=ICMP "));
}
END_TEST

/* dir says which end a drop or RST concerns: an expiry's RSTs go to both. */
START_TEST(test_dir_orig_reply_both)
{
	static const char *const want[] = { "dir=orig", "dir=reply", "dir=both" };
	struct event ev = sample(EV_RESET);
	char buf[512];

	ev.timeout = EV_NO_TIMEOUT;
	ev.reason = R_EXPIRED_IDLE;
	for (uint8_t d = 0; d <= EV_DIR_BOTH; d++) {
		ev.dir = d;
		event_format(&ev, EVF_TEXT, buf, sizeof(buf));
		ck_assert_ptr_nonnull(strstr(buf, want[d]));
	}
	event_format(&ev, EVF_JSON, buf, sizeof(buf));
	ck_assert_ptr_nonnull(strstr(buf, "\"dir\":\"both\""));
}
END_TEST

START_TEST(test_format_truncation_reports_length)
{
	struct event ev = sample(EV_NEW);
	char big[512], small[16];
	size_t n = event_format(&ev, EVF_JSON, big, sizeof(big));

	memset(small, 'x', sizeof(small));
	ck_assert_uint_eq(event_format(&ev, EVF_JSON, small, sizeof(small)), n);
	ck_assert_int_eq(small[15], '\0');
	ck_assert(strncmp(small, big, 15) == 0);
}
END_TEST

START_TEST(test_ipv6_text)
{
	static const struct {
		uint8_t b[16];
		const char *s;
	} cases[] = {
		{ { 0x20, 0x01, 0x0d, 0xb8, 0, 1, [15] = 2 }, "2001:db8:1::2" },
		{ { [15] = 1 }, "::1" },
		{ { 0 }, "::" },
		{ { 0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 1, 0, 0, 0, 0, 0, 1, 0, 0 }, "2001:db8:0:1::1:0" },
		{ { 0x20, 0x01, 0x0d, 0xb8, 0, 1, 0, 2, 0, 3, 0, 4, 0, 5, 0, 6 }, "2001:db8:1:2:3:4:5:6" },
		{ { 0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0 }, "2001:db8:0:1::" },
		{ { 0x20, 0x01, 0, 0, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 1 }, "2001:0:0:1::1" },
	};
	char buf[64];

	for (unsigned i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct nb_addr a;

		memcpy(a.b, cases[i].b, 16);
		event_addr_str(6, &a, buf, sizeof(buf));
		ck_assert_str_eq(buf, cases[i].s);
	}
}
END_TEST

START_TEST(test_reason_names_unique)
{
	for (unsigned a = 1; a < R__MAX; a++) {
		ck_assert_str_ne(reason_name(a), "?");
		for (unsigned b = a + 1; b < R__MAX; b++)
			ck_assert_str_ne(reason_name(a), reason_name(b));
	}
	ck_assert_str_eq(reason_name(R_EXPIRED_HALF_CLOSED), "expired:half_closed");
	ck_assert_str_eq(reason_name(R_DECODE + DEC_TRUNCATED), "decode:truncated");
	ck_assert_str_eq(reason_name(R__MAX), "?");
}
END_TEST

Suite *
suite_event(void)
{
	Suite *s = suite_create("event");
	TCase *tc = tcase_create("format");

	tcase_add_test(tc, test_json_required_fields);
	tcase_add_test(tc, test_text_conntrack_style);
	tcase_add_test(tc, test_dir_orig_reply_both);
	tcase_add_test(tc, test_format_truncation_reports_length);
	tcase_add_test(tc, test_ipv6_text);
	tcase_add_test(tc, test_reason_names_unique);
	suite_add_tcase(s, tc);
	return s;
}
