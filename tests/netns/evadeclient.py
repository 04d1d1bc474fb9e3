#!/usr/bin/python3
"""ClientHellos that try to hide their name, sent through the gateway:

  evadeclient.py split SIZE HOST [BYTES]  a ClientHello for HOST (padded to
        BYTES, default 517) in SIZE-byte TCP segments, TCP_NODELAY, one
        send() each; prints "reset" if the connection is reset, "answered"
        if the server sends anything, "timeout" otherwise.
  evadeclient.py decoy SRC DST DECOY REAL  (scapy, raw) the handshake, then a
        ClientHello for DECOY with TTL 2 (the test drops it past the
        gateway) and one for REAL at the same sequence number; prints
        "reset" if a RST comes back, "answered" if data does.

The raw mode needs the client kernel's own RSTs dropped (the test adds
the rule).  Run with /usr/bin/python3 (Debian's python3-scapy)."""
import os
import random
import socket
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)),
                                "..", "pcap"))
from tlssplit import hello  # noqa: E402


def split(size, host, total):
    data = hello(host, total)
    s = socket.create_connection((sys.argv[5] if len(sys.argv) > 5 else
                                  "198.51.100.11", 443), timeout=3)
    s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    try:
        for o in range(0, len(data), size):
            s.send(data[o:o + size])
            time.sleep(0.01)
        s.settimeout(3)
        got = s.recv(100)
        return "answered" if got else "closed"
    except (ConnectionResetError, BrokenPipeError):
        return "reset"
    except socket.timeout:
        return "timeout"
    finally:
        s.close()


def decoy(src, dst, fake, real):
    from scapy.all import IP, TCP, Raw, conf, sr1, send
    conf.verb = 0
    sport = random.randint(20000, 60000)
    ip = IP(src=src, dst=dst)
    synack = sr1(ip / TCP(sport=sport, dport=443, flags="S", seq=1000),
                 timeout=3)
    if synack is None or TCP not in synack:
        return "no-synack"
    ack = synack[TCP].seq + 1
    send(ip / TCP(sport=sport, dport=443, flags="A", seq=1001, ack=ack))
    first = hello(fake, 517)
    send(IP(src=src, dst=dst, ttl=2) /
         TCP(sport=sport, dport=443, flags="PA", seq=1001, ack=ack) /
         Raw(first))
    time.sleep(0.2)
    ans = sr1(ip / TCP(sport=sport, dport=443, flags="PA", seq=1001, ack=ack)
              / Raw(hello(real, 517)), timeout=3)
    if ans is None or TCP not in ans:
        return "timeout"
    return "reset" if ans[TCP].flags & 0x04 else "answered"


def main():
    if sys.argv[1] == "split":
        total = int(sys.argv[4]) if len(sys.argv) > 4 else 517
        print(split(int(sys.argv[2]), sys.argv[3], total))
    elif sys.argv[1] == "decoy":
        print(decoy(*sys.argv[2:6]))
    else:
        sys.exit(__doc__)


if __name__ == "__main__":
    main()
