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
source = AWS VPC user guide (timeouts.md, cloud NAT gateways): a connection idle for 350 s times out (not configurable, refreshed by traffic); the gateway then answers the inside host with a RST when it sends again, outside packets are not delivered. Per-state timers: none documented, 350 s used for all. Unknown non-SYN flows: not documented; treated like timed-out ones, as the gateway cannot tell them apart.

timeout.opening = 350s
timeout.established = 350s
timeout.half_closed = 350s
timeout.closing = 350s
timeout.time_wait = 350s
timeout.close = 350s
expire.later = reset-sender
unknown.action = reset-sender
