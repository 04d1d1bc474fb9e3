#!/usr/bin/python3
"""A decoy ClientHello that only the gateway sees, then the real one.

    decoy.py --decoy a.padlet.com --sni www.facebook.com [--ttl 2] ADDR

Run inside a client namespace (ip netns exec), with Debian's python3 and
python3-scapy.  Opens a TCP connection to ADDR:443 by hand, sends a
ClientHello naming the decoy with an IP TTL (IPv6 hop limit) that runs out
past the gateway, then the real ClientHello at the same sequence number
with a normal TTL.  The server sees only the real one; a gateway that
decides on the first ClientHello it sees lets the real one through.

The client's kernel knows nothing of this connection and would reset it
when the server answers: its RSTs on our port are dropped, by an nftables
table this program adds and removes.

Prints "reset", "answered BYTES" (the server's TLS answer came back) or
"timeout".
"""

import argparse
import os
import random
import subprocess
import sys
import threading

from scapy.all import IP, IPv6, TCP, Raw, AsyncSniffer, conf, send, sr1

import tlsclient

TIMEOUT = 5.0


def drop_own_resets(sport):
    table = "sgdecoy%d" % os.getpid()
    rules = ("table inet %s {\n chain out {\n  type filter hook output "
             "priority 0; policy accept;\n  tcp sport %d tcp flags & rst == rst "
             "drop\n }\n}\n" % (table, sport))
    subprocess.run(["nft", "-f", "-"], input=rules.encode(), check=True)
    return table


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--decoy", required=True)
    ap.add_argument("--sni", required=True)
    ap.add_argument("--ttl", type=int, default=2)
    ap.add_argument("addr")
    a = ap.parse_args()
    conf.verb = 0
    six = ":" in a.addr
    iface = (conf.route6 if six else conf.route).route(a.addr)[0]
    mss = 1440 if six else 1460

    def net(ttl=64):
        return IPv6(dst=a.addr, hlim=ttl) if six else IP(dst=a.addr, ttl=ttl)
    sport = random.randint(20000, 60000)
    isn = random.randint(0, 1 << 31)
    decoy = tlsclient.client_hello(a.decoy)
    real = tlsclient.client_hello(a.sni)
    table = drop_own_resets(sport)
    done = threading.Event()

    def from_server(p):
        return (TCP in p and p[TCP].sport == 443 and p[TCP].dport == sport)

    def final(p):
        return bool(p[TCP].flags & 0x04) or len(p[TCP].payload) > 0

    sniffer = AsyncSniffer(iface=iface, lfilter=from_server,
                           stop_filter=final, started_callback=done.set)
    try:
        sniffer.start()
        done.wait(TIMEOUT)
        synack = sr1(net() / TCP(sport=sport, dport=443, flags="S", seq=isn,
                                 options=[("MSS", mss)]), timeout=TIMEOUT)
        if synack is None or TCP not in synack:
            print("timeout (no SYN-ACK)", flush=True)
            return 1
        ack = synack[TCP].seq + 1
        send(net() / TCP(sport=sport, dport=443, flags="A", seq=isn + 1,
                         ack=ack))
        for ttl, hello in ((a.ttl, decoy), (64, real)):
            send(net(ttl) / TCP(sport=sport, dport=443, flags="PA",
                                seq=isn + 1, ack=ack) / Raw(hello))
        sniffer.join(TIMEOUT)
    finally:
        if sniffer.running:
            sniffer.stop()
        subprocess.run(["nft", "delete", "table", "inet", table], check=False)
    answers = [p for p in (sniffer.results or []) if final(p)]
    if not answers:
        print("timeout", flush=True)
    elif answers[-1][TCP].flags & 0x04:
        print("reset", flush=True)
    else:
        print("answered %d" % len(answers[-1][TCP].payload), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
