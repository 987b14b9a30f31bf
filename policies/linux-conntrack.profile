# The Linux kernel's own TCP conntrack: the built-in baseline, plus the
# kernel's window tracking (nf_conntrack_tcp_be_liberal = 0).
name = linux-conntrack
description = Linux nf_conntrack defaults: established 5d, loose pickup, silent expiry, window tracking
source = net/netfilter/nf_conntrack_proto_tcp.c and the nf_conntrack-sysctl documentation (timeouts.md, Linux section): SYN_SENT 120s, SYN_RECV 60s, ESTABLISHED 432000s, FIN_WAIT 120s, CLOSE_WAIT 60s, LAST_ACK 30s, TIME_WAIT 120s, CLOSE 10s, SYN_SENT2 120s; every accepted packet refreshes; expiry is silent; nf_conntrack_tcp_loose = 1 picks up mid-stream flows, capped at 300s until a reply. UDP 30s/120s, ICMP 30s, GRE 30s/180s, generic 600s (nf_conntrack_proto_udp.c, _icmp.c, _gre.c, _generic.c; see the comments).

tracking.window = on

# The sysctls that change TCP tracking are the built-in defaults, the
# kernel's (Documentation/networking/nf_conntrack-sysctl.rst), so nothing
# is set: tcp.loose on (nf_conntrack_tcp_loose 1), tcp.be_liberal off (0),
# tcp.ignore_invalid_rst off (0), tcp.max_retrans 3, timeout.max_retrans
# 5m. tracking.window = on is the port of nf_conntrack_proto_tcp.c
# (src/core/tcpkern.c).
# A full table: early_drop() evicts a flow not yet ASSURED, never an
# established one; none found, the new flow is dropped
# (nf_conntrack_core.c: early_drop(), "table full, dropping packet").
table.full = early_drop

# UDP, ICMP, GRE and other protocols: the kernel's values are natbox's
# built-in defaults, so nothing is set here.
# timeout.udp_unreplied 30s, timeout.udp 120s: nf_conntrack_proto_udp.c,
#   udp_timeouts[] = { [UDP_CT_UNREPLIED] = 30*HZ, [UDP_CT_REPLIED] = 120*HZ };
#   sysctls nf_conntrack_udp_timeout / nf_conntrack_udp_timeout_stream
#   (Documentation/networking/nf_conntrack-sysctl.rst: default 30 / 120).
#   120s only once a reply was seen and the flow is past its first 2 s
#   (nf_conntrack_udp_packet()).
# refresh.udp any: nf_conntrack_udp_packet() calls nf_ct_refresh_acct() for
#   every accepted packet whatever its direction.
# timeout.icmp 30s: nf_conntrack_proto_icmp.c nf_ct_icmp_timeout = 30*HZ,
#   nf_conntrack_proto_icmpv6.c nf_ct_icmpv6_timeout = 30*HZ (sysctl doc:
#   nf_conntrack_icmp_timeout / icmpv6_timeout default 30).
#   The ICMP tuple is identifier, type and code (icmp_pkt_to_tuple(),
#   invmap[]): a reply of another type or code, or in its request's
#   direction, is INVALID; natbox keys query flows the same way.
# timeout.gre_unreplied 30s, timeout.gre 180s: nf_conntrack_proto_gre.c
#   gre_timeouts[] = { [GRE_CT_UNREPLIED] = 30*HZ, [GRE_CT_REPLIED] =
#   180*HZ } (sysctls nf_conntrack_gre_timeout / _gre_timeout_stream);
#   nf_conntrack_gre_packet() takes the stream timer and sets ASSURED once
#   a reply was seen (the packet after the first reply), in both families
#   since 5.12. Version 0 GRE is keyed on the address pair, as natbox does;
#   the PPTP call-id keys (version 1) are not modelled.
# timeout.other 600s: nf_conntrack_proto_generic.c nf_ct_generic_timeout =
#   600*HZ (sysctl doc: nf_conntrack_generic_timeout 600, "layer 4
#   unknown/unsupported protocols"). SCTP has its own state machine in the
#   kernel (ESTABLISHED 210s in current kernels), which natbox does not
#   model: it is timed as other protocols, 600s.
# icmp.errors pass: nf_conntrack_inet_error() marks an ICMP error whose
#   quoted packet matches a conntrack as RELATED and NAT translates it; it is
#   forwarded when the ruleset accepts RELATED (every stateful Linux ruleset
#   does). Errors do not refresh the flow.

# Translation (nat.*): how this device maps, filters and picks ports
# (RFC 4787/5382 terms). Off until nat.outside is set, e.g.
# --set nat.outside=203.0.113.100 (natbox rules --nat prints the router set-up).
# nat.mapping = endpoint-independent (the built-in default) # nf_nat_core.c get_unique_tuple(): find_appropriate_src() reuses the existing mapping of the same src ip:port if the resulting tuple is unique: https://github.com/torvalds/linux/blob/master/net/netfilter/nf_nat_core.c
# nat.filtering = address-and-port-dependent (the built-in default) # conntrack: only a packet matching a conntrack's reply tuple (exact remote ip:port) is de-NATed; anything else is a NEW local packet: nf_nat_core.c nf_nat_inet_fn()/nf_nat_packet()
# nat.ports = preserve (the built-in default) # get_unique_tuple(): "try the original tuple first"; libxt_SNAT.man "Where possible, no port alteration will occur": https://git.netfilter.org/iptables/tree/extensions/libxt_SNAT.man
# nat.port_range = 1024-65535 (the built-in default) # nf_nat_l4proto_unique_tuple(): without --to-ports, a source port >= 1024 is remapped within 1024-65535 (a port < 512 within 1-511, a port of 512-1023 within 600-1023)
# nat.parity = off (the built-in default) # nf_nat_l4proto_unique_tuple(): random offset, linear probe, no parity logic
# nat.pooling = arbitrary (the built-in default) # find_best_ips_proto(): hash of src IP and dst IP (per destination); --persistent drops the dst from the hash = paired
# nat.port_reuse_delay = 0s (the built-in default) # no hold-down: a port is free once no conntrack holds the 5-tuple (nf_nat_used_tuple -> nf_conntrack_tuple_taken)
# nat.ports_per_host: not applicable; nf_nat has no per-host port limit (connlimit is a separate, optional match)
# nat.hairpin = off (the built-in default) # no reflection of dynamic mappings; a packet to the NAT address with no conntrack is delivered locally. Third-party STUN test of OpenWrt: "no hairpin": https://github.com/openwrt/openwrt/issues/7021
# nat.unsolicited = reset (the built-in default) # bare kernel, no filter rules: local TCP answers RST (tcp_v4_send_reset), UDP answers ICMP port unreachable (__udp4_lib_rcv -> icmp_send). Any INPUT drop rule makes it drop
