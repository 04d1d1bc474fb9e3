#!/usr/bin/python3
"""Write captures of ClientHellos cut up to hide their name:
tlssplit.py OUTDIR.  Needs Debian's python3-scapy (run with /usr/bin/python3).

Each capture is one TCP connection from a staff laptop (10.1.0.23) to a
server (192.0.2.80:443): the handshake, the client's segments as named
below, then the server's answer (a ServerHello-sized record) and a little
data each way.  tests/t_tls_split.sh runs them through classify."""
import os
import random
import struct
import sys

from scapy.all import IP, TCP, Raw, wrpcap

CLIENT, SERVER = "10.1.0.23", "192.0.2.80"
CPORT, SPORT = 40123, 443
CISN, SISN = 1000000, 5000000


def hello(sni, size=0):
    """A TLS record with a ClientHello for sni, padded to size bytes."""
    def ext(t, body):
        return struct.pack(">HH", t, len(body)) + body
    exts = b""
    if sni:
        name = sni.encode()
        exts += ext(0, struct.pack(">HBH", len(name) + 3, 0, len(name)) + name)
    exts += ext(16, b"\x00\x0c\x02h2\x08http/1.1")
    body = (b"\x03\x03" + bytes(range(32)) + b"\x00" + b"\x00\x04\x13\x01\x13\x02"
            + b"\x01\x00")

    def build(pad):
        e = exts + (ext(21, bytes(pad)) if pad is not None else b"")
        hs = body + struct.pack(">H", len(e)) + e
        hs = b"\x01" + struct.pack(">I", len(hs))[1:] + hs
        return b"\x16\x03\x01" + struct.pack(">H", len(hs)) + hs
    rec = build(None)
    if size > len(rec):
        rec = build(max(0, size - len(rec) - 4))
    return rec


class Conn:
    def __init__(self):
        self.pkts = []
        self.t = 1794911400.0       # 2026-11-17 10:30 GMT

    def add(self, src, flags, seq, ack, data=b"", ttl=64):
        sp, dp = (CPORT, SPORT) if src == CLIENT else (SPORT, CPORT)
        dst = SERVER if src == CLIENT else CLIENT
        p = IP(src=src, dst=dst, ttl=ttl) / TCP(sport=sp, dport=dp,
                                                 flags=flags, seq=seq, ack=ack)
        if data:
            p = p / Raw(data)
        self.t += 0.001
        p.time = self.t
        self.pkts.append(p)

    def handshake(self):
        self.add(CLIENT, "S", CISN, 0)
        self.add(SERVER, "SA", SISN, CISN + 1)
        self.add(CLIENT, "A", CISN + 1, SISN + 1)

    def segments(self, data, size, order=None, base=0):
        cuts = [(o, data[o:o + size]) for o in range(0, len(data), size)]
        if order == "reverse":
            cuts.reverse()
        elif order == "shuffle":
            random.Random(7).shuffle(cuts)
        for o, d in cuts:
            self.add(CLIENT, "PA", CISN + 1 + base + o, SISN + 1, d)

    def answer(self, sent):
        """The server's answer, the client's next flight, and the end."""
        c = CISN + 1 + sent
        self.add(SERVER, "PA", SISN + 1, c, b"\x16\x03\x03" + bytes(120))
        self.add(CLIENT, "PA", c, SISN + 124, b"\x14\x03\x03\x00\x01\x01")
        self.add(SERVER, "PA", SISN + 124, c + 6, b"\x17\x03\x03" + bytes(40))
        self.add(CLIENT, "FA", c + 6, SISN + 167)
        self.add(SERVER, "FA", SISN + 167, c + 7)

    def write(self, path):
        wrpcap(path, self.pkts)


def main():
    out = sys.argv[1]
    fb = "www.facebook.com"
    small = hello(fb, 300)
    big = hello(fb, 517)
    cases = {}

    c = Conn(); c.handshake(); c.add(CLIENT, "PA", CISN + 1, SISN + 1, small)
    c.answer(len(small)); cases["whole"] = c

    c = Conn(); c.handshake(); c.segments(small, 40); c.answer(len(small))
    cases["split40"] = c

    c = Conn(); c.handshake(); c.segments(big, 40); c.answer(len(big))
    cases["split40-517"] = c

    c = Conn(); c.handshake(); c.segments(big, 4); c.answer(len(big))
    cases["split4"] = c

    c = Conn(); c.handshake(); c.segments(small, 40, "reverse")
    c.answer(len(small)); cases["reversed"] = c

    c = Conn(); c.handshake(); c.segments(small, 40, "shuffle")
    c.answer(len(small)); cases["shuffled"] = c

    # the first segment held back until the other 13 are through
    c = Conn(); c.handshake(); c.segments(big[40:], 40, base=40)
    c.add(CLIENT, "PA", CISN + 1, SISN + 1, big[:40])
    c.answer(len(big)); cases["held-back"] = c

    # segments of 60 bytes every 40: each repeats the last 20 bytes
    c = Conn(); c.handshake()
    for o in range(0, len(small), 40):
        c.add(CLIENT, "PA", CISN + 1 + o, SISN + 1, small[o:o + 60])
    c.answer(len(small)); cases["overlap-same"] = c

    # the same, but one repeat carries different bytes
    c = Conn(); c.handshake()
    for o in range(0, len(small), 40):
        d = bytearray(small[o:o + 60])
        if o == 80:
            d[-1] ^= 0xff
        c.add(CLIENT, "PA", CISN + 1 + o, SISN + 1, bytes(d))
    c.answer(len(small)); cases["overlap-diff"] = c

    # a decoy for padlet that expires on the way, then the real one
    decoy = hello("a.padlet.com", len(small))
    padlet = Conn(); padlet.handshake()
    padlet.add(CLIENT, "PA", CISN + 1, SISN + 1, decoy)
    padlet.answer(len(decoy)); cases["padlet"] = padlet
    c = Conn(); c.handshake()
    c.add(CLIENT, "PA", CISN + 1, SISN + 1, decoy, ttl=2)
    c.add(CLIENT, "PA", CISN + 1, SISN + 1, small)
    c.answer(len(small)); cases["decoy"] = c

    # a second, different ClientHello straight after the first
    c = Conn(); c.handshake()
    c.add(CLIENT, "PA", CISN + 1, SISN + 1, decoy)
    c.add(CLIENT, "PA", CISN + 1 + len(decoy), SISN + 1, small)
    c.answer(len(decoy) + len(small)); cases["second"] = c

    # no name at all, and a long conversation after it
    nosni = hello(None, 300)
    c = Conn(); c.handshake(); c.add(CLIENT, "PA", CISN + 1, SISN + 1, nosni)
    s, k = SISN + 1, CISN + 1 + len(nosni)
    for i in range(8):
        c.add(SERVER, "PA", s, k, b"\x17\x03\x03\x00\x20" + bytes(32))
        s += 37
        c.add(CLIENT, "PA", k, s, b"\x17\x03\x03\x00\x10" + bytes(16))
        k += 21
    cases["nosni"] = c

    os.makedirs(out, exist_ok=True)
    for name, conn in cases.items():
        conn.write(os.path.join(out, name + ".pcap"))


if __name__ == "__main__":
    main()
