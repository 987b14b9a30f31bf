#!/usr/bin/env python3
# knobs_pcap.py -- writes tests/data/knobs.pcap: TCP flows whose tracking
# turns on the kernel's tcp.* knobs (tcp.loose, tcp.be_liberal,
# tcp.ignore_invalid_rst, tcp.max_retrans) and a SYN+FIN first packet, for
# the replay suite's shadow-against-full-engine checks (run.sh).
#
# usage: python3 tests/replay/knobs_pcap.py tests/data/knobs.pcap
import struct
import sys

SYN, FIN, RST, PSH, ACK = 0x02, 0x01, 0x04, 0x08, 0x10


def csum(b):
    if len(b) % 2:
        b += b"\0"
    s = sum(struct.unpack("!%dH" % (len(b) // 2), b))
    while s >> 16:
        s = (s & 0xFFFF) + (s >> 16)
    return ~s & 0xFFFF


def ip4(a):
    return bytes(int(x) for x in a.split("."))


def seg(src, dst, sport, dport, flags, seq, ack, win, plen):
    payload = b"x" * plen
    tcp = struct.pack("!HHIIBBHHH", sport, dport, seq & 0xFFFFFFFF, ack & 0xFFFFFFFF,
                      5 << 4, flags, win, 0, 0) + payload
    pseudo = ip4(src) + ip4(dst) + struct.pack("!BBH", 0, 6, len(tcp))
    c = csum(pseudo + tcp)
    tcp = tcp[:16] + struct.pack("!H", c) + tcp[18:]
    ip = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + len(tcp), 0, 0x4000, 64, 6, 0,
                     ip4(src), ip4(dst))
    ip = ip[:10] + struct.pack("!H", csum(ip)) + ip[12:]
    eth = b"\x02\0\0\0\0\x02" + b"\x02\0\0\0\0\x01" + b"\x08\x00"
    return eth + ip + tcp


class Flow:
    def __init__(self, n, cseq, sseq):
        self.c = ("198.51.100.%d" % (10 + n), 40000 + n)
        self.s = ("203.0.113.%d" % (10 + n), 443)
        self.seq = {"C": cseq, "S": sseq}

    def pkt(self, who, flags, seq=None, ack=None, win=65535, plen=0, move=True):
        a, b = (self.c, self.s) if who == "C" else (self.s, self.c)
        other = "S" if who == "C" else "C"
        s = self.seq[who] if seq is None else seq
        k = self.seq[other] if ack is None else ack
        if move and seq is None:
            self.seq[who] += plen + (1 if flags & (SYN | FIN) else 0)
        return seg(a[0], b[0], a[1], b[1], flags, s, k if flags & ACK else 0, win, plen)


def main(path):
    out = []
    t = 1000 * 1000000

    def put(p, dt=0.05):
        nonlocal t
        t += int(round(dt * 1e6))
        out.append((t, p))

    # 1: a SYN+FIN first packet (tcp_error() calls it invalid in kernel
    # mode: no flow), then the handshake's answer and data, then a close
    f = Flow(1, 1000, 50000)
    put(f.pkt("C", SYN | FIN, move=False))
    f.seq["C"] += 1
    put(f.pkt("S", SYN | ACK))
    put(f.pkt("C", ACK))
    put(f.pkt("C", ACK | PSH, plen=100))
    put(f.pkt("S", ACK))
    put(f.pkt("C", FIN | ACK))
    put(f.pkt("S", FIN | ACK))
    put(f.pkt("C", ACK))

    # 2: retransmissions (tcp.max_retrans: the shorter timer), then an
    # inexact RST below the acknowledged sequence (tcp.ignore_invalid_rst)
    f = Flow(2, 7000, 90000)
    put(f.pkt("C", SYN))
    put(f.pkt("S", SYN | ACK))
    put(f.pkt("C", ACK))
    s0 = f.seq["C"]
    put(f.pkt("C", ACK | PSH, plen=500))
    for _ in range(4):
        put(f.pkt("C", ACK | PSH, seq=s0, plen=500))
    put(f.pkt("S", ACK), dt=3.0)
    put(f.pkt("S", ACK | PSH, plen=200))
    put(f.pkt("C", ACK))
    put(f.pkt("S", RST, seq=f.seq["S"] - 150))
    put(f.pkt("C", ACK | PSH, plen=10), dt=1.0)
    put(f.pkt("S", ACK))

    # 3: picked up mid-stream (tcp.loose)
    f = Flow(3, 300000, 800000)
    put(f.pkt("C", ACK | PSH, plen=100))
    put(f.pkt("S", ACK | PSH, plen=100))
    put(f.pkt("C", ACK))
    put(f.pkt("S", FIN | ACK), dt=0.5)
    put(f.pkt("C", FIN | ACK))
    put(f.pkt("S", ACK))

    # 4: data far over the receiver's window (tcp.be_liberal), then on
    f = Flow(4, 123456, 654321)
    put(f.pkt("C", SYN, win=1000))
    put(f.pkt("S", SYN | ACK, win=1000))
    put(f.pkt("C", ACK, win=1000))
    put(f.pkt("C", ACK | PSH, seq=f.seq["C"] + 200000, plen=100, win=1000))
    put(f.pkt("S", ACK | PSH, ack=f.seq["C"] + 200100, plen=10, win=1000))
    put(f.pkt("C", ACK | PSH, plen=100, win=1000), dt=2.0)
    put(f.pkt("S", ACK, win=1000))
    put(f.pkt("C", RST | ACK, win=0))

    # 5: a zero window, then the flow idles
    f = Flow(5, 5555, 6666)
    put(f.pkt("C", SYN))
    put(f.pkt("S", SYN | ACK))
    put(f.pkt("C", ACK))
    put(f.pkt("C", ACK | PSH, plen=300))
    put(f.pkt("S", ACK, win=0))
    put(f.pkt("C", ACK | PSH, plen=1, seq=f.seq["C"], move=False), dt=4.0)
    put(f.pkt("S", ACK, win=0))

    out.sort(key=lambda x: x[0])
    with open(path, "wb") as w:
        w.write(struct.pack("<IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, 262144, 1))
        for ts, p in out:
            sec, usec = divmod(ts, 1000000)
            w.write(struct.pack("<IIII", sec, usec, len(p), len(p)))
            w.write(p)


if __name__ == "__main__":
    main(sys.argv[1])
