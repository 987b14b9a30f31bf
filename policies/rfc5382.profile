# The floor RFC 5382 (BCP 142) sets for a compliant NAT: nothing may time
# out sooner than this. Everything RFC 5382 leaves open stays at the Linux
# baseline.
name = rfc5382
description = RFC 5382 compliant floor: established 2h4m, transitory 4m, closing only after both FINs
source = RFC 5382 section 5 REQ-5: the established idle timeout must not be below 2 hours 4 minutes, the transitory (partially open or closing) idle timeout must not be below 4 minutes; the closing phase begins when both endpoints have sent a FIN (quoted in seed 000). RFC 5382 gives no figure after a RST: the Linux 10s CLOSE is kept. The 300s cap before any reply (Linux) is above the 4m floor and kept.

timeout.established = 2h4m
# Transitory: partially open ...
timeout.opening = 4m
# ... or closing. With half_closed.start = both_fins the FIN_WAIT and
# CLOSE_WAIT timers never run (the established one does); set anyway.
timeout.half_closed = 4m
timeout.closing = 4m
timeout.time_wait = 4m
half_closed.start = both_fins
