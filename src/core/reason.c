/* reason.c -- the names of drop, expiry and end reasons; stable, they are counter names. */
#include "reason.h"

static const char *const names[R_DECODE] = {
	[R_NONE] = "none",
	[R_EXPIRED_OPENING] = "expired:opening",
	[R_EXPIRED_IDLE] = "expired:idle",
	[R_EXPIRED_HALF_CLOSED] = "expired:half_closed",
	[R_EXPIRED_CLOSING] = "expired:closing",
	[R_EXPIRED_TIME_WAIT] = "expired:time_wait",
	[R_EXPIRED_CLOSED] = "expired:closed",
	[R_EXPIRED_UDP_UNREPLIED] = "expired:udp_unreplied",
	[R_EXPIRED_UDP] = "expired:udp",
	[R_EXPIRED_ICMP] = "expired:icmp",
	[R_EXPIRED_OTHER] = "expired:other",
	[R_EXPIRED_GRE_UNREPLIED] = "expired:gre_unreplied",
	[R_EXPIRED_GRE] = "expired:gre",
	[R_NO_FLOW] = "no_flow",
	[R_TIMEWAIT_REUSE] = "timewait_reuse",
	[R_TABLE_FULL] = "table_full",
	[R_INVALID_STATE] = "invalid:state",
	[R_INVALID_WINDOW] = "invalid:window",
	[R_FAULT_DROP_RST] = "fault:drop_rst",
	[R_FAULT_DROP_FIN_ACK] = "fault:drop_fin_ack",
	[R_FAULT_DROP_FIRST_FIN] = "fault:drop_first_fin",
	[R_FAULT_DROP_SECOND_FIN] = "fault:drop_second_fin",
	[R_ICMP_ERROR] = "icmp_error",
	[R_NAT_NO_MAPPING] = "nat:no_mapping",
	[R_NAT_FILTERED] = "nat:filtered",
	[R_NAT_PORTS] = "nat:ports_exhausted",
	[R_NAT_QUOTA] = "nat:host_quota",
	[R_NAT_HAIRPIN] = "nat:hairpin_off",
	[R_NAT_REBIND] = "nat:rebind",
	[R_END_RST] = "rst",
	[R_END_REOPEN] = "reopen",
	[R_END_EVICTED] = "evicted",
	[R_END_FLUSH] = "flush",
	[R_END_TOMBSTONE] = "forgotten",
};

static const char *const decode_names[DEC__MAX] = {
	[DEC_OK] = "decode:ok",
	[DEC_NOT_TCP] = "decode:not_tcp",
	[DEC_FRAGMENT] = "decode:fragment",
	[DEC_TRUNCATED] = "decode:truncated",
	[DEC_BAD_VERSION] = "decode:bad_version",
	[DEC_BAD_IHL] = "decode:bad_ihl",
	[DEC_BAD_LENGTH] = "decode:bad_length",
	[DEC_BAD_DOFF] = "decode:bad_doff",
	[DEC_BAD_EXTHDR] = "decode:bad_exthdr",
	[DEC_BAD_UDP_LENGTH] = "decode:bad_udp_length",
	[DEC_BAD_QUOTE] = "decode:bad_quote",
	[DEC_SHORT_L4] = "decode:short_l4",
};

const char *
reason_name(unsigned r)
{
	if (r < R_DECODE)
		return names[r] ? names[r] : "?";
	if (r < R__MAX)
		return decode_names[r - R_DECODE] ? decode_names[r - R_DECODE] : "?";
	return "?";
}
