# Cisco ASA / FTD defaults.
#
# Inside and outside: `service resetoutbound` answers only an *inside* host
# with a RST; a packet from outside that matches no conn is dropped (and
# logged, 106015). A profile has no notion of interfaces or zones, so
# reset-sender below answers whichever side sent the packet. In the lab
# the client (originator) side is the inside, which is the case that
# matters; packets from the server side get a RST here where an ASA would
# drop them silently. Use --set unknown.action=drop to model the outside.
#
# LAST_ACK, TIME_WAIT and CLOSE: the reference gives no ASA figure for
# them; the Linux values (30s, 120s, 10s) are kept.
name = cisco-asa
description = Cisco ASA/FTD: conn idle 1h, embryonic 30s, half-closed 10m from FIN+ACK, resetoutbound
source = ASA CLI configuration guide and FTD platform settings (timeouts.md, Cisco section): conn 1h, embryonic 30s, half-closed 10m counted once the FIN and its ACK are seen (the conn timer until then), no reset at expiry by default, a non-SYN without a conn is dropped and service resetoutbound (on by default) answers the inside host with RST. No figure found for LAST_ACK, TIME_WAIT, CLOSE: Linux values kept. UDP 2m, ICMP 2s, other 2m; UDP refresh, ICMP errors not found: Linux kept.

timeout.established = 1h
timeout.opening = 30s
timeout.half_closed = 10m
half_closed.start = fin_acked
# A dead conn is no conn: later packets get what unknown ones get.
expire.later = reset-sender
unknown.action = reset-sender

# UDP: one timer, no replied/unreplied split. ASA Firewall CLI Configuration
# Guide, Connection Settings, Configure Global Timeouts: "timeout udp - The
# idle time until a UDP connection closes. This duration must be at least 1
# minute. The default is 2 minutes." Cisco tech note 222075 (Configure
# Connection Timeout for Specific Application): "The default udp idle
# timeout is 2 minutes."
timeout.udp_unreplied = 2m
# timeout.udp 2m: the same timer; the Linux value already.
# ICMP: same guide: "timeout icmp - The idle time for ICMP, between 0:0:2 and
# 1193:0:0. The default is 2 seconds (0:0:2)."; tech note 222075 the same.
# Not modelled: ICMP is stateless on the ASA unless inspect icmp is enabled
# (not in the default policy); without it, echo replies from a
# lower-security interface are dropped unless an ACL permits them (guide,
# ICMP Inspection; networkdirection.net, third party). With inspection "only
# one response for each request"; third-party logs (fir3net.com) show the
# conn torn down as soon as the reply is seen.
timeout.icmp = 2s
# Other protocols: tech note 222075: "For all other protocols, the default
# idle timeout is 2 minutes" (ESP/AH 30s). Caveat: the guide describes
# timeout conn (1h) as "the idle time after which a connection closes"
# without restricting it to TCP; which timer a GRE conn uses was not
# verified beyond the tech note.
timeout.other = 2m
# timeout.gre_unreplied, timeout.gre: no GRE timer of its own found in
# the sources above, so GRE is timed as other protocols (the built-in
# defaults are Linux's GRE timers, 30s / 180s).
timeout.gre_unreplied = 2m
timeout.gre = 2m
# refresh.udp: not found; the docs say "idle time" only (looked at the CLI
# guide's Global Timeouts section and tech note 222075). The Linux any is
# kept.
# icmp.errors: not found for the default configuration. inspect icmp error
# (off by default) translates errors from intermediate hops; nothing found
# on whether an error for an existing UDP/TCP conn passes without an ACL
# (looked at the CLI guide's ICMP Inspection / ICMP Error Inspection and
# Cisco community notes). The Linux pass is kept.

# Translation (nat.*): how this device maps, filters and picks ports
# (RFC 4787/5382 terms). Off until nat.outside is set, e.g.
# --set nat.outside=203.0.113.100 (natbox rules --nat prints the router set-up).
# nat.mapping = endpoint-independent (the built-in default) # ASA CLI guide, PAT pool options: "Normally, the destination port and address are not considered when creating PAT translations"; "ICE and TURN rely on the PAT binding to be the same for all destinations" (copy: http://www.manualsdir.com/manuals/743833/cisco-asa-5585-x-asa-5555-x-asa-5545-x-asa-5525-x-asa-5515-x-asa-5512-x-asa-5580-asa-5550-asa-5540-asa-5520-asa-5510-asa-5505-asa-5500-series.html?page=619)
# nat.filtering = address-and-port-dependent (the built-in default) # default policy: outside-initiated packets need an access rule; without one only return traffic of existing conns passes (see evidence)
# nat.ports = preserve (the built-in default) # "If available, the real source port number is used for the mapped port" (ASA CLI guide, Dynamic PAT; https://netcraftsmen.com/dynamic-pat-cont-with-pools-flat-round-robin-and-extended-pat/)
# nat.port_range = 1024-65535 (the built-in default) # "...mapped ports are chosen from the same range of ports as the real port number: 0 to 511, 512 to 1023, and 1024 to 65535" (same); `flat` = 1024-65535 for all, `flat include-reserve` = 1-65535
# nat.parity: not found
nat.pooling = paired                        # PAT pool round-robin: "If a host has an existing connection, then subsequent connections from that host will use the same PAT IP address if ports are available" (ASA CLI guide, Twice NAT PAT pool guidelines; copy: http://office.manualsonline.com/manuals/mfg/cisco_systems/asa_5580_1.html?p=138)
# nat.port_reuse_delay = 0s (the built-in default) # per-session PAT (default for all TCP and UDP DNS): "At the end of a per-session PAT session, the ASA sends a reset and immediately removes the xlate"; multi-session PAT uses "the PAT timeout, by default 30 seconds" (ASA 9.x CLI guide, History for NAT: https://www.easymanua.ls/cisco/asa-5506-x/manual/20706?p=203)
# nat.ports_per_host: not found for default PAT (port block allocation is an opt-in feature)
# nat.hairpin: not found as a default; needs explicit config (same-security-traffic permit intra-interface plus NAT), not verified here
nat.unsolicited = drop                      # existing profile / timeouts.md: a packet from outside that matches no conn is dropped and logged (106015)
