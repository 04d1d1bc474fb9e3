#!/usr/bin/env python3
"""Write a pcap of HTTP and TLS flows whose Host and SNI carry hostile
strings (markup, quotes, a spreadsheet formula, terminal escapes, a
500-byte name), for escaping tests.  Usage: evil.py OUT.pcap"""
import struct
import sys

HOSTS = [
    b'<script>alert("x")</script>.example',
    b"=cmd|' /C calc'!A0.example",
    b'quote"and\'apos.example',
    b'esc\x1b[31mred\x07bell.example',
    b'a' * 500 + b'.example',
]


def csum(data):
    if len(data) % 2:
        data += b"\0"
    s = sum(struct.unpack(f"!{len(data) // 2}H", data))
    s = (s >> 16) + (s & 0xFFFF)
    s += s >> 16
    return ~s & 0xFFFF


def ip_tcp(src, dst, sport, dport, seq, ack, flags, payload=b""):
    tcp = struct.pack("!HHIIBBHHH", sport, dport, seq, ack, 5 << 4, flags,
                      65535, 0, 0) + payload
    ip = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + len(tcp), 1, 0, 64, 6,
                     0, bytes(src), bytes(dst))
    ip = ip[:10] + struct.pack("!H", csum(ip)) + ip[12:]
    return ip + tcp


def eth(l3):
    return (b"\x02\x00\x00\x00\x10\x03" + b"\x02\x00\x00\x00\x00\x01" +
            b"\x08\x00" + l3)


def client_hello(sni):
    ext_sni = struct.pack("!HBH", len(sni) + 3, 0, len(sni)) + sni
    ext = struct.pack("!HH", 0, len(ext_sni)) + ext_sni
    body = (b"\x03\x03" + b"\x11" * 32 + b"\x00" + b"\x00\x02\x13\x01" +
            b"\x01\x00" + struct.pack("!H", len(ext)) + ext)
    hs = b"\x01" + struct.pack("!I", len(body))[1:] + body
    return b"\x16\x03\x01" + struct.pack("!H", len(hs)) + hs


def flow(pkts, t, src, dst, sport, dport, payload):
    c, s = 1000, 5000
    for l3 in (ip_tcp(src, dst, sport, dport, c, 0, 0x02),
               ip_tcp(dst, src, dport, sport, s, c + 1, 0x12),
               ip_tcp(src, dst, sport, dport, c + 1, s + 1, 0x10),
               ip_tcp(src, dst, sport, dport, c + 1, s + 1, 0x18, payload)):
        pkts.append((t, eth(l3)))
        t += 0.001
    return t


def main():
    pkts, t = [], 1794911400.0
    src, dst = [10, 10, 0, 23], [198, 51, 100, 11]
    for i, h in enumerate(HOSTS):
        req = b"GET / HTTP/1.1\r\nHost: " + h + b"\r\nUser-Agent: t\r\n\r\n"
        t = flow(pkts, t, src, dst, 40000 + i, 80, req)
        t = flow(pkts, t, src, dst, 41000 + i, 443, client_hello(h))
    with open(sys.argv[1], "wb") as f:
        f.write(struct.pack("<IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, 65535, 1))
        for ts, data in pkts:
            f.write(struct.pack("<IIII", int(ts), int(ts % 1 * 1e6),
                                len(data), len(data)) + data)


if __name__ == "__main__":
    main()
