# The Linux kernel's own TCP conntrack: the built-in baseline, plus the
# kernel's window tracking (nf_conntrack_tcp_be_liberal = 0).
name = linux-conntrack
description = Linux nf_conntrack defaults: established 5d, loose pickup, silent expiry, window tracking
source = net/netfilter/nf_conntrack_proto_tcp.c and the nf_conntrack-sysctl documentation (timeouts.md, Linux section): SYN_SENT 120s, SYN_RECV 60s, ESTABLISHED 432000s, FIN_WAIT 120s, CLOSE_WAIT 60s, LAST_ACK 30s, TIME_WAIT 120s, CLOSE 10s, SYN_SENT2 120s; every accepted packet refreshes; expiry is silent; nf_conntrack_tcp_loose = 1 picks up mid-stream flows, capped at 300s until a reply.

tracking.window = on
