name = k8s-node
description = Kubernetes node (kube-proxy conntrack settings): established 24h, close_wait 1h
source = timeouts.md, Linux-based variants: kube-proxy sets nf_conntrack_tcp_timeout_established to 24 h and nf_conntrack_tcp_timeout_close_wait to 1 h. Everything else is the kernel default.
inherit = linux-conntrack

timeout.established = 1d
timeout.close_wait = 1h
