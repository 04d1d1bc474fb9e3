#!/usr/bin/env python3
"""Write a pcap of N TCP flows for the memory benchmark (P5):

  genflows.py --flows N --mode parallel|serial OUT.pcap

parallel: every flow's handshake first (N flows open and undecided at
once), then each flow's HTTP request and response (all get decided).
serial: each flow complete, request and response, before the next starts,
so at most one flow is ever under inspection.
Clients are 10.10.x.y:port, the server 198.51.100.15:80; all packets fall
within a few seconds, so no flow times out."""
import argparse
import struct
import sys

SRV = bytes([198, 51, 100, 15])
SMAC = b"\x02\x00\x00\x00\x99\x01"
CMAC = b"\x02\x00\x00\x00\x10\x03"
SYN, SYNACK, ACK, PSHACK = 0x02, 0x12, 0x10, 0x18


def csum(data):
    if len(data) % 2:
        data += b"\0"
    s = sum(struct.unpack("!%dH" % (len(data) // 2), data))
    while s >> 16:
        s = (s & 0xFFFF) + (s >> 16)
    return ~s & 0xFFFF


def packet(src, dst, sport, dport, seq, ack, flags, payload, to_server):
    tcp = struct.pack("!HHIIBBHHH", sport, dport, seq, ack, 5 << 4, flags,
                      65535, 0, 0) + payload
    ip = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + len(tcp), 0, 0x4000, 64,
                     6, 0, src, dst)
    ip = ip[:10] + struct.pack("!H", csum(ip)) + ip[12:]
    eth = (SMAC + CMAC if to_server else CMAC + SMAC) + b"\x08\x00"
    return eth + ip + tcp


def flow_packets(i):
    cli = bytes([10, 10 + (i >> 16) % 50, (i >> 8) & 0xFF, i & 0xFF])
    sport = 10000 + i % 50000
    req = (b"GET /item/%d HTTP/1.1\r\nHost: site%d.example\r\n"
           b"User-Agent: genflows\r\nAccept: */*\r\n\r\n" % (i, i % 997))
    resp = b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok"
    hs = [packet(cli, SRV, sport, 80, 1000, 0, SYN, b"", True),
          packet(SRV, cli, 80, sport, 5000, 1001, SYNACK, b"", False),
          packet(cli, SRV, sport, 80, 1001, 5001, ACK, b"", True)]
    data = [packet(cli, SRV, sport, 80, 1001, 5001, PSHACK, req, True),
            packet(SRV, cli, 80, sport, 5001, 1001 + len(req), PSHACK, resp,
                   False)]
    return hs, data


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--flows", type=int, default=100000)
    ap.add_argument("--mode", choices=("parallel", "serial"), required=True)
    ap.add_argument("out")
    a = ap.parse_args()
    t = [1760000000, 0]

    def rec(f, pkt):
        t[1] += 10
        if t[1] >= 1000000:
            t[0] += 1
            t[1] -= 1000000
        f.write(struct.pack("<IIII", t[0], t[1], len(pkt), len(pkt)) + pkt)

    with open(a.out, "wb") as f:
        f.write(struct.pack("<IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, 65535, 1))
        if a.mode == "serial":
            for i in range(a.flows):
                hs, data = flow_packets(i)
                for p in hs + data:
                    rec(f, p)
        else:
            for i in range(a.flows):
                for p in flow_packets(i)[0]:
                    rec(f, p)
            for i in range(a.flows):
                for p in flow_packets(i)[1]:
                    rec(f, p)
    return 0


if __name__ == "__main__":
    sys.exit(main())
