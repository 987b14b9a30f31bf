name = openwrt
description = OpenWrt router: Linux conntrack with established cut to 7440s (the RFC 5382 floor)
source = timeouts.md, Linux-based variants: OpenWrt sets established 7440 s (and nf_conntrack_tcp_max_retrans 5, which natbox does not model). Everything else is the kernel default.
inherit = linux-conntrack

timeout.established = 2h4m
