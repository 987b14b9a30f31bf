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

# Translation (nat.*): how this device maps, filters and picks ports
# (RFC 4787/5382 terms). Off until nat.outside is set, e.g.
# --set nat.outside=203.0.113.100 (natbox rules --nat prints the router set-up).
nat.mapping = address-and-port-dependent    # default; third party: "Default is also symmetric, but Google uniquely offers an Endpoint-Independent Mapping option if you configure static port allocation" (Tailscale blog above); API: RouterNat.enableEndpointIndependentMapping (bool), and enableDynamicPortAllocation=true means "enableEndpointIndependentMapping cannot be set to true": https://cloud.google.com/compute/docs/reference/rest/v1/routers
# nat.filtering = address-and-port-dependent (the built-in default) # inferred: Cloud NAT accepts inbound packets only as responses to outbound ones (Cloud NAT overview); the exact filter is not documented: https://cloud.google.com/nat/docs/overview
# nat.ports: not found (ports come from the VM's reserved block; the order within it is not documented)
# nat.port_range = 1024-65535 (the built-in default) # Cloud NAT IP addresses and ports page: 64,512 usable ports per NAT IP (ports 0-1023 not used); figure from that page, not re-quoted here: https://cloud.google.com/nat/docs/ports-and-addresses
# nat.parity: not found
# nat.pooling: not found
# nat.port_reuse_delay: not found as such; the closest documented timer is tcpTimeWaitTimeoutSec (120 s, 30 s for new gateways), already timeout.time_wait
nat.ports_per_host = 64                     # static port allocation: default minPortsPerVm 64 (ports-and-addresses page); with dynamic port allocation the minimum defaults to 32 ("If minPortsPerVm is not set, a minimum of 32 ports will be allocated", RouterNat API)
# nat.hairpin: not found (VM-to-VM traffic inside the VPC does not use Cloud NAT)
nat.unsolicited = drop                      # existing profile: silent drop (reported, not official); Cloud NAT does not accept unsolicited inbound connections (overview)
