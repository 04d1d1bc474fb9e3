#!/usr/bin/env python3
"""Send a bounded burst of TCP SYNs, each a new flow (fresh source port),
for the fault tests.  Only for the test's own namespaces.

    synflood.py --src IP --dst IP --port N --count N [--seconds S]

Stops after COUNT packets or S seconds, whichever comes first, and
prints how many it sent."""
import argparse
import random
import socket
import struct
import time


def csum(data):
    if len(data) % 2:
        data += b"\0"
    s = sum(struct.unpack("!%dH" % (len(data) // 2), data))
    s = (s >> 16) + (s & 0xffff)
    s += s >> 16
    return ~s & 0xffff


def syn(src, dst, sport, dport):
    tcp = struct.pack("!HHIIBBHHH", sport, dport, random.getrandbits(32), 0,
                      5 << 4, 0x02, 64240, 0, 0)
    pseudo = src + dst + struct.pack("!BBH", 0, socket.IPPROTO_TCP, len(tcp))
    tcp = tcp[:16] + struct.pack("!H", csum(pseudo + tcp)) + tcp[18:]
    ip = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + len(tcp),
                     random.getrandbits(16), 0, 64, socket.IPPROTO_TCP, 0,
                     src, dst)
    ip = ip[:10] + struct.pack("!H", csum(ip)) + ip[12:]
    return ip + tcp


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--src", required=True)
    ap.add_argument("--dst", required=True)
    ap.add_argument("--port", type=int, required=True)
    ap.add_argument("--count", type=int, required=True)
    ap.add_argument("--seconds", type=float, default=10.0)
    a = ap.parse_args()
    src, dst = socket.inet_aton(a.src), socket.inet_aton(a.dst)
    sock = socket.socket(socket.AF_INET, socket.SOCK_RAW, socket.IPPROTO_RAW)
    end = time.monotonic() + a.seconds
    sent = 0
    while sent < a.count and time.monotonic() < end:
        sport = 1024 + sent % 64000
        try:
            sock.sendto(syn(src, dst, sport, a.port), (a.dst, 0))
        except OSError:
            time.sleep(0.001)	# the send buffer is full: let it drain
            continue
        sent += 1
    print("sent %d" % sent, flush=True)


if __name__ == "__main__":
    main()
