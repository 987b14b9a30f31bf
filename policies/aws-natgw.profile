# AWS documents a single idle timeout and no per-state timers, so the one
# figure applies to every state here. Whether the gateway frees a flow
# sooner after FIN or RST is not documented.
#
# Inside and outside: AWS sends the RST only to the inside host; packets
# from outside are just not delivered. A profile has no interfaces, so
# reset-sender answers whichever side sends; in the lab the inside is the
# client (originator) side.
name = aws-natgw
description = AWS NAT Gateway: fixed 350s idle timeout in every state, RST to a sender of a timed-out flow
source = AWS VPC user guide (timeouts.md, cloud NAT gateways): a connection idle for 350 s times out (not configurable, refreshed by traffic); the gateway then answers the inside host with a RST when it sends again, outside packets are not delivered. Per-state timers: none documented, 350 s used for all. Unknown non-SYN flows: not documented; treated like timed-out ones, as the gateway cannot tell them apart. UDP, ICMP: the same 350 s; other protocols not carried; UDP refresh, ICMP errors not found.

timeout.opening = 350s
timeout.established = 350s
timeout.half_closed = 350s
timeout.closing = 350s
timeout.time_wait = 350s
timeout.close = 350s
expire.later = reset-sender
unknown.action = reset-sender

# UDP and ICMP 350s: AWS VPC User Guide, Troubleshoot NAT gateways,
# "Internet connection drops after 350 seconds": "If a connection that's
# using a NAT gateway is idle for 350 seconds or more, the connection times
# out." The statement is protocol-agnostic; no UDP- or ICMP-specific figure
# is published, so it is applied to all three keys by that wording.
timeout.udp_unreplied = 350s
timeout.udp = 350s
timeout.icmp = 350s
# timeout.other: not applicable. VPC User Guide, NAT gateway basics: "A NAT
# gateway supports the following protocols: TCP, UDP, and ICMP";
# troubleshooting: "Ensure that your connection is using a TCP, UDP, or ICMP
# protocol only." Other protocols (IPsec ESP among them; use NAT-T over UDP)
# are not translated. natbox has no key to drop a protocol, so the Linux
# 600s is kept and other protocols pass here.
# refresh.udp: not found. The guide's remedy is to "initiate more traffic
# over the connection" from the instance, i.e. outbound refresh; inbound
# refresh is not stated (looked at the troubleshooting and basics pages).
# The Linux any is kept.
# icmp.errors: not found (same pages). The Linux pass is kept.
# Not to be confused with EC2 security-group connection tracking (ENI
# ConnectionTrackingSpecification: udpTimeout default 30s, udpStreamTimeout
# 180s): that is the instance's conntrack, not the NAT gateway.

# Translation (nat.*): how this device maps, filters and picks ports
# (RFC 4787/5382 terms). Off until nat.outside is set, e.g.
# --set nat.outside=203.0.113.100 (natbox rules --nat prints the router set-up).
nat.mapping = address-and-port-dependent    # third party: "Always symmetric. Each connection gets a randomized source port, per-destination": https://tailscale.com/blog/nat-traversal-improvements-pt-2-cloud-environments
# nat.filtering = address-and-port-dependent (the built-in default) # inferred: AWS documents only that external hosts cannot initiate connections; the exact filter is not documented: https://docs.aws.amazon.com/vpc/latest/userguide/nat-gateway-basics.html
nat.ports = random                          # third party (Tailscale, above); AWS does not document port selection
# nat.port_range: not found
# nat.parity: not found
# nat.pooling: not found (secondary IPs raise the per-destination limit; how a flow picks one is not documented)
# nat.port_reuse_delay: not found
# nat.ports_per_host: not found; the documented limit is per destination, not per host: "Each IPv4 address can support up to 55,000 simultaneous connections to each unique destination" (nat-gateway-basics)
# nat.hairpin: not found
nat.unsolicited = drop                      # timeouts.md / AWS troubleshooting: packets from outside without a connection are not delivered (the RST goes only to the inside host)
