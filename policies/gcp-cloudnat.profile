# Cloud NAT's "transitory" covers every state but ESTABLISHED and
# TIME_WAIT: opening, half-closed, closing and after a RST.
# Gateways created from late 2026 use a 30s TIME_WAIT:
#   --set timeout.time_wait=30s
name = gcp-cloudnat
description = Google Cloud NAT: established idle 1200s, transitory 30s, TIME_WAIT 120s, silent expiry
source = GCP Cloud NAT API and Terraform docs (timeouts.md, cloud NAT gateways): tcpEstablishedIdleTimeoutSec 1200, tcpTransitoryIdleTimeoutSec 30, tcpTimeWaitTimeoutSec 120 (30 s for gateways made from late 2026). After expiry: silent drop (reported, not official). Unknown non-SYN flows: not documented; dropped like expired ones. CLOSE (after RST) counted as transitory. udpIdleTimeoutSec 30, icmpIdleTimeoutSec 30; other timer, UDP refresh, ICMP errors: not found, Linux kept.

timeout.opening = 30s
timeout.established = 20m
timeout.half_closed = 30s
# timeout.closing (LAST_ACK) is transitory too: 30s, the Linux value already.
# tcpTimeWaitTimeoutSec 120 = TIME_WAIT: the Linux value already.
timeout.close = 30s
expire.later = drop
unknown.action = drop

# UDP and ICMP 30s: Compute Engine API RouterNat (googleapis compute v1;
# Terraform google_compute_router_nat): udpIdleTimeoutSec "Timeout (in
# seconds) for UDP connections. Defaults to 30s if not set.";
# icmpIdleTimeoutSec "Timeout (in seconds) for ICMP connections. Defaults to
# 30s if not set." One UDP timer, so both UDP keys are 30s.
# timeout.udp_unreplied 30s: udpIdleTimeoutSec; the Linux value already.
# timeout.udp 30s: udpIdleTimeoutSec.
timeout.udp = 30s
# timeout.icmp 30s: icmpIdleTimeoutSec; the Linux value already.
# timeout.other: not found. RouterNat has timers for TCP, UDP and ICMP only;
# whether other protocols are translated was not found. The Linux 600s is
# kept.
# refresh.udp, icmp.errors: not found (looked at the Public NAT overview and
# specifications pages and the API reference). The Linux any and pass are
# kept.
