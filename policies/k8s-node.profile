name = k8s-node
description = Kubernetes node (kube-proxy conntrack settings): established 24h, close_wait 1h
source = timeouts.md, Linux-based variants: kube-proxy sets nf_conntrack_tcp_timeout_established to 24 h and nf_conntrack_tcp_timeout_close_wait to 1 h. Everything else is the kernel default. kube-proxy sets no UDP, ICMP or generic timeout by default (its UDP flags are 0, "leave as-is").
inherit = linux-conntrack

timeout.established = 1d
timeout.close_wait = 1h

# UDP, ICMP, other: nothing to add, the kernel's values (linux-conntrack)
# stand. kube-proxy leaves the UDP conntrack timeouts alone by default: its
# flags --conntrack-udp-timeout ("Idle timeout for UNREPLIED UDP connections
# (0 to leave as-is)") and --conntrack-udp-timeout-stream ("Idle timeout for
# ASSURED UDP connections (0 to leave as-is)"), cmd/kube-proxy/app/server.go;
# config fields udpTimeout / udpStreamTimeout "Must be greater than 0 to
# set"; server_linux.go calls SetUDPTimeout / SetUDPStreamTimeout only when
# > 0. (The release that added the flags was not verified.) kube-proxy sets
# no ICMP or generic timeout.
# In IPVS mode, IPVS's own UDP connection timeout is 300s
# (net/netfilter/ipvs/ip_vs_proto_udp.c [IP_VS_UDP_S_NORMAL] = 5*60*HZ):
# the IPVS table, not conntrack; not modelled.

# Translation (nat.*): how this device maps, filters and picks ports
# (RFC 4787/5382 terms). Off until nat.outside is set, e.g.
# --set nat.outside=203.0.113.100 (natbox rules --nat prints the router set-up).
nat.mapping = address-and-port-dependent    # kube-proxy writes `-j MASQUERADE --random-fully` when iptables supports it; --random-fully skips the mapping reuse in get_unique_tuple(): https://github.com/kubernetes/kubernetes/blob/master/pkg/proxy/iptables/proxier.go
nat.ports = random                          # same rule; nf_nat_l4proto_unique_tuple() random offset
# everything else: inherited from linux-conntrack
