#!/usr/bin/python3
"""Replay a capture's client-started flows through the live gateway, each
packet in its own direction, for tests/t_offline_live.sh:

  replay.py plan   --pcap F --out FLOWS
  replay.py replay --pcap F --flows FLOWS --client-ns NS --inet-ns NS
                   --client-ip IP --client-mac MAC --lan-mac MAC --wan-mac MAC
  replay.py compare --flows FLOWS --offline JSONL --live TSV --live-packets N

plan picks the capture's client (the IPv4 address that starts the most
flows) and its flows that the live path can see whole: TCP flows whose
first packet is the client's SYN and UDP flows whose first packet is the
client's, to a unicast IPv4 address outside the test network.  Left out,
and why, goes to stderr.  FLOWS: "client-ip transport sport server dport".

replay sends every packet of those flows in capture order: the client's on
the staff laptop's link (source rewritten to the laptop's address, its own
MAC, to the gateway's LAN MAC), the server's on the internet link (to the
gateway's WAN MAC, destination rewritten).  Server addresses are kept, so
nDPI's address lists see what classify sees; the test routes each one to
the internet namespace.  Checksums are recomputed.  Each packet is waited
for on the far link; a TCP reset coming back means the gateway blocked it.
A packet neither seen nor reset within the wait counts as dropped, and
later packets of that flow then get a short wait (the kernel drops a
blocked flow's packets itself).

compare matches flows by transport, server address and port (the records
carry no client port, so flows to the same server are compared as sets)
and prints one line per flow; then the packet budget: N, the packets the
daemon inspected during the replay, against what classify's flows say it
should have been handed.  Exit status 1 when anything differs.
"""
import argparse
import collections
import ctypes
import json
import os
import select
import socket
import struct
import sys
import time

from scapy.all import IP, TCP, UDP, Ether, PcapReader  # noqa: E402

WAIT = 1.5		# a packet the daemon may have to look at
WAIT_BLOCKED = 0.03	# a packet of a flow already seen blocked
PACKET_OUTGOING = 4
TEST_NETS = ("10.", "198.51.100.", "203.0.113.", "127.", "0.")


def ip_packets(path):
    with PcapReader(path) as rd:
        for pkt in rd:
            ip = pkt.getlayer(IP)
            if ip is None or ip.frag != 0 or ip.flags.MF:
                yield None
                continue
            yield ip


def key_of(ip):
    l4 = ip.getlayer(TCP) or ip.getlayer(UDP)
    if l4 is None:
        return None
    proto = "tcp" if isinstance(l4, TCP) else "udp"
    return proto, (ip.src, l4.sport), (ip.dst, l4.dport)


def unicast(addr):
    a = [int(x) for x in addr.split(".")]
    return a[0] < 224 and a[3] != 255 and a[3] != 0


def plan(a):
    first = collections.OrderedDict()
    for ip in ip_packets(a.pcap):
        k = ip and key_of(ip)
        if k is None:
            continue
        proto, s, d = k
        if (proto, d, s) in first or (proto, s, d) in first:
            continue
        first[(proto, s, d)] = ip.getlayer(TCP).flags if proto == "tcp" else ""
    starts = collections.Counter(s[0] for (_, s, _) in first)
    client = starts.most_common(1)[0][0]
    out = []
    moved = {}
    for (proto, s, d), flags in first.items():
        if s[0] != client:
            continue
        why = ""
        if proto == "tcp" and str(flags) != "S":
            why = "no handshake in the capture (first packet %s)" % flags
        elif not unicast(d[0]):
            why = "broadcast or multicast, never forwarded"
        if why:
            print("left out: %s %s:%d -> %s:%d: %s" % (proto, *s, *d, why),
                  file=sys.stderr)
            continue
        live = d[0]
        if d[0].startswith(TEST_NETS):
            live = moved.setdefault(d[0], "203.0.113.%d" % (len(moved) + 1))
        out.append("%s %s %d %s %d %s\n" % (client, proto, s[1], d[0], d[1],
                                             live))
    with open(a.out, "w") as f:
        f.writelines(out)


def read_flows(path):
    flows = []
    with open(path) as f:
        for line in f:
            c, proto, sport, srv, dport, live = line.split()
            flows.append((c, proto, int(sport), srv, int(dport), live))
    return flows


LIBC = ctypes.CDLL(None, use_errno=True)
CLONE_NEWNET = 0x40000000


def setns(path):
    fd = os.open(path, os.O_RDONLY)
    try:
        if LIBC.setns(fd, CLONE_NEWNET) != 0:
            raise OSError(ctypes.get_errno(), "setns " + path)
    finally:
        os.close(fd)


def link_socket(ns):
    """A raw socket on eth0 of namespace ns (it stays in ns)."""
    home = os.open("/proc/self/ns/net", os.O_RDONLY)
    try:
        setns("/run/netns/" + ns)
        s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW,
                          socket.htons(0x0800))
        s.bind(("eth0", 0))
        if LIBC.setns(home, CLONE_NEWNET) != 0:
            raise OSError(ctypes.get_errno(), "setns back")
    finally:
        os.close(home)
    return s


def mac(text):
    return bytes(int(x, 16) for x in text.split(":"))


class Link:
    def __init__(self, ns, src_mac, dst_mac):
        self.sock = link_socket(ns)
        self.hdr = mac(dst_mac) + mac(src_mac) + b"\x08\x00"

    def send(self, l3):
        self.sock.send(self.hdr + l3)

    def drain(self):
        self.sock.setblocking(False)
        try:
            while True:
                self.sock.recv(65535)
        except BlockingIOError:
            pass
        self.sock.setblocking(True)

    def frames(self, until):
        """Incoming IPv4 packets (bytes) until the deadline."""
        while True:
            left = until - time.monotonic()
            if left <= 0 or not select.select([self.sock], [], [], left)[0]:
                return
            data, addr = self.sock.recvfrom(65535)
            if addr[2] != PACKET_OUTGOING and len(data) > 34:
                yield data[14:]


def ident(l3):
    """Addresses, protocol, ports and IP ID of an IPv4 packet."""
    ihl = (l3[0] & 0x0f) * 4
    pid, proto = struct.unpack("!H", l3[4:6])[0], l3[9]
    ports = struct.unpack("!HH", l3[ihl:ihl + 4]) if len(l3) >= ihl + 4 \
        else (0, 0)
    return l3[12:16], l3[16:20], proto, ports, pid


def is_reset_for(l3, sent):
    src, dst, proto, ports, _ = ident(l3)
    s_src, s_dst, s_proto, s_ports, _ = sent
    ihl = (l3[0] & 0x0f) * 4
    return (proto == 6 and s_proto == 6 and src == s_dst and dst == s_src
            and ports == (s_ports[1], s_ports[0]) and len(l3) > ihl + 13
            and l3[ihl + 13] & 0x04)


def wait_for(sent, near, far, wait):
    """'fwd' once the packet shows on the far link, 'reset' if the
    gateway answers it with a reset, else 'drop'."""
    until = time.monotonic() + wait
    while time.monotonic() < until:
        for link, want in ((far, "fwd"), (near, "reset")):
            for l3 in link.frames(min(until, time.monotonic() + 0.005)):
                if want == "fwd" and ident(l3)[:4] == sent[:4]:
                    return "fwd"
                if want == "reset" and is_reset_for(l3, sent):
                    return "reset"
    return "drop"


def rewrite(ip, src, dst):
    ip = ip.copy()
    ip.src, ip.dst = src, dst
    if ip.ttl < 2:
        ip.ttl = 64
    del ip.chksum
    l4 = ip.getlayer(TCP) or ip.getlayer(UDP)
    del l4.chksum
    return bytes(ip)


def replay(a):
    flows = read_flows(a.flows)
    want = {}
    for c, proto, sport, srv, dport, live in flows:
        want[(proto, (c, sport), (srv, dport))] = ("out", live)
        want[(proto, (srv, dport), (c, sport))] = ("in", live)
    client = Link(a.client_ns, a.client_mac, a.lan_mac)
    inet = Link(a.inet_ns, a.wan_mac_inet, a.wan_mac)
    blocked = set()
    counts = collections.Counter()
    for ip in ip_packets(a.pcap):
        k = ip and key_of(ip)
        way, srv = (k and want.get(k)) or (None, None)
        if way is None:
            continue
        if ip.len > len(bytes(ip)):
            counts["truncated"] += 1
            continue
        flow = (k[0], frozenset((k[1], k[2])))
        if way == "out":
            l3, near, far = rewrite(ip, a.client_ip, srv), client, inet
        else:
            l3, near, far = rewrite(ip, srv, a.client_ip), inet, client
        near.drain()
        far.drain()
        near.send(l3)
        got = wait_for(ident(l3), near, far,
                       WAIT_BLOCKED if flow in blocked else WAIT)
        if got != "fwd":
            blocked.add(flow)
        counts[got] += 1
    print("replayed: %s" % " ".join("%s=%d" % kv for kv in
                                    sorted(counts.items())))


def queued_live(r, port):
    """The packets of a flow classify saw that the daemon should see: up
    to the decision, the handshake left out (decided_after_packets), and
    every packet of a blocked lookup over UDP, which stays queued so its
    answers can be rewritten."""
    if r["transport"] == "udp" and port == 53 and r["action"] == "block":
        return r["packets"]
    return r["decided_after_packets"]


def compare(a):
    flows = read_flows(a.flows)
    fields = ("app", "host", "host_source", "action", "rule")
    off = collections.defaultdict(list)
    budget = 0
    want = {(proto, "%s:%d" % (c, sport), "%s:%d" % (srv, dport))
            for c, proto, sport, srv, dport, _ in flows}
    orig = {live: srv for _, _, _, srv, _, live in flows}
    with open(a.offline) as f:
        for line in f:
            if not line.startswith("{"):
                continue
            r = json.loads(line)
            if (r["transport"], r["src"], r["dst"]) in want:
                srv, port = r["dst"].rsplit(":", 1)
                budget += queued_live(r, int(port))
                off[(r["transport"], srv, int(port))].append(
                    tuple(r[k] for k in fields))
    live = collections.defaultdict(list)
    with open(a.live) as f:
        for line in f:
            t, srv, port, *vals = line.rstrip("\n").split("\t")
            srv = orig.get(srv, srv)
            if (t, srv, int(port)) in off:
                live[(t, srv, int(port))].append(tuple(vals))
    bad = 0
    for _, proto, _, srv, dport, _ in flows:
        if (proto, srv, dport) not in off:
            print("DIFF %s %s:%d: not in classify's output" % (proto, srv,
                                                              dport))
            bad += 1
    for k in sorted(off):
        o, li = sorted(off[k]), sorted(live[k])
        ok = o == li
        bad += not ok
        print("%s %s %s:%d offline=%s live=%s" % (
            "ok  " if ok else "DIFF", k[0], k[1], k[2],
            ";".join("/".join(x) for x in o),
            ";".join("/".join(x) for x in li) or "none"))
    same = budget == a.live_packets
    bad += not same
    print("%s packets the daemon inspected: %d, as classify counts them: %d"
          % ("ok  " if same else "DIFF", a.live_packets, budget))
    print("%d flows compared, %d differ" % (len(off), bad))
    return 1 if bad or not off else 0


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("mode", choices=("plan", "replay", "compare"))
    ap.add_argument("--pcap")
    ap.add_argument("--out")
    ap.add_argument("--flows")
    ap.add_argument("--client-ns")
    ap.add_argument("--inet-ns")
    ap.add_argument("--client-ip")
    ap.add_argument("--client-mac")
    ap.add_argument("--lan-mac")
    ap.add_argument("--wan-mac")
    ap.add_argument("--wan-mac-inet")
    ap.add_argument("--offline")
    ap.add_argument("--live")
    ap.add_argument("--live-packets", type=int)
    a = ap.parse_args()
    if a.mode == "plan":
        plan(a)
    elif a.mode == "replay":
        replay(a)
    else:
        sys.exit(compare(a))


if __name__ == "__main__":
    main()
