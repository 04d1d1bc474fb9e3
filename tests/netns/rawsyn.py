#!/usr/bin/env python3
"""rawsyn.py SRC DST PORT [PAYLOAD]: send one TCP SYN from a raw socket,
with PAYLOAD as data in it if given (as TCP Fast Open would), and print
"synack" if the server answers within 1.5 s, else "none".  The tests use
it to check which SYNs the gateway's rules pass without queueing."""
import random
import socket
import struct
import sys
import time


def csum(data):
    if len(data) % 2:
        data += b"\0"
    s = sum(struct.unpack(f"!{len(data) // 2}H", data))
    while s >> 16:
        s = (s & 0xFFFF) + (s >> 16)
    return ~s & 0xFFFF


def syn(src, dst, sport, dport, payload):
    # MSS, SACK permitted, timestamps, window scale: a Linux-like SYN
    opts = (struct.pack("!BBH", 2, 4, 1460) + b"\x04\x02" +
            struct.pack("!BBII", 8, 10, int(time.time()) & 0xFFFFFFFF, 0) +
            b"\x01" + struct.pack("!BBB", 3, 3, 7))
    doff = (20 + len(opts)) // 4
    seq = random.getrandbits(32)
    tcp = struct.pack("!HHIIBBHHH", sport, dport, seq, 0, doff << 4, 0x02,
                      64240, 0, 0) + opts + payload
    pseudo = (socket.inet_aton(src) + socket.inet_aton(dst) +
              struct.pack("!BBH", 0, socket.IPPROTO_TCP, len(tcp)))
    c = csum(pseudo + tcp)
    tcp = tcp[:16] + struct.pack("!H", c) + tcp[18:]
    ip = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + len(tcp),
                     random.getrandbits(16), 0x4000, 64, socket.IPPROTO_TCP,
                     0, socket.inet_aton(src), socket.inet_aton(dst))
    ip = ip[:10] + struct.pack("!H", csum(ip)) + ip[12:]
    return ip + tcp


def main():
    src, dst, dport = sys.argv[1], sys.argv[2], int(sys.argv[3])
    payload = sys.argv[4].encode().replace(b"\\r\\n", b"\r\n") \
        if len(sys.argv) > 4 else b""
    sport = random.randint(20000, 60000)
    rx = socket.socket(socket.AF_INET, socket.SOCK_RAW, socket.IPPROTO_TCP)
    tx = socket.socket(socket.AF_INET, socket.SOCK_RAW, socket.IPPROTO_RAW)
    tx.sendto(syn(src, dst, sport, dport, payload), (dst, 0))
    deadline = time.monotonic() + 1.5
    while (left := deadline - time.monotonic()) > 0:
        rx.settimeout(left)
        try:
            pkt = rx.recv(2048)
        except socket.timeout:
            break
        ihl = (pkt[0] & 0x0F) * 4
        sp, dp = struct.unpack("!HH", pkt[ihl:ihl + 4])
        flags = pkt[ihl + 13]
        if (socket.inet_ntoa(pkt[12:16]) == dst and sp == dport and
                dp == sport and flags & 0x12 == 0x12):
            print("synack")
            return
    print("none")


if __name__ == "__main__":
    main()
