name = openwrt
description = OpenWrt router: Linux conntrack with established cut to 7440s (the RFC 5382 floor), UDP 60s/180s
source = timeouts.md, Linux-based variants: OpenWrt sets established 7440 s (and nf_conntrack_tcp_max_retrans 5, which natbox does not model). UDP 60 s unreplied, 180 s stream (sysctl-nf-conntrack.conf). Everything else is the kernel default.
inherit = linux-conntrack

timeout.established = 2h4m

# UDP: package/kernel/linux/files/sysctl-nf-conntrack.conf sets
# net.netfilter.nf_conntrack_udp_timeout=60 and
# net.netfilter.nf_conntrack_udp_timeout_stream=180. An open PR
# (openwrt/openwrt#17334, "tune udp ct timeout for http3 and libtorrent")
# proposes changing them; not merged.
timeout.udp_unreplied = 60s
timeout.udp = 3m
# timeout.icmp, timeout.other: not set by that file, so the kernel's 30s and
# 600s apply (linux-conntrack).
# refresh.udp any: the kernel's behaviour (linux-conntrack).
# icmp.errors pass: firewall4 root/usr/share/firewall4/templates/ruleset.uc,
# chain forward: ct state established,related accept ("!fw4: Allow forwarded
# established and related flows"). The kernel's value already.
# With flow offloading enabled (off by default) offloaded UDP flows age on
# nf_flowtable_udp_timeout = 30s (nf_conntrack-sysctl.rst); not modelled.

# Translation (nat.*): how this device maps, filters and picks ports
# (RFC 4787/5382 terms). Off until nat.outside is set, e.g.
# --set nat.outside=203.0.113.100 (natbox rules --nat prints the router set-up).
# mapping, filtering, ports, hairpin: inherited from linux-conntrack; fw4 `masq 1` emits a plain nft `masquerade` (no `random`)
# nat.unsolicited = reset (as inherited) # fw4 default wan zone `option input REJECT`; handle_reject: "meta l4proto tcp reject with tcp reset", others "reject with icmpx type port-unreachable": https://github.com/openwrt/firewall4/blob/master/root/usr/share/firewall4/templates/ruleset.uc
