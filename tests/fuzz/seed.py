#!/usr/bin/env python3
"""Seed the fuzz corpora: seed.py TOP SHARED OUTDIR

Writes OUTDIR/NAME/* for every fuzz target, from the real captures in
SHARED/pcaps, the example and malformed configs, and the lease samples in
tests/unit/test_leases.c and test_identity.c.  Standard library only."""
import os
import re
import sqlite3
import struct
import sys

# fuzz_packet.c's link table, by DLT number
LINK_INDEX = {0: 1, 1: 2, 101: 3, 113: 4, 228: 5, 229: 6, 12: 7, 14: 8,
              108: 9, 276: 10}
PACKETS_PER_SEED = 8
SEEDS_PER_FILE = 24
PCAP_SEED_MAX = 65536


def read_pcap(data):
    """(linktype, [frame...]) for pcap or pcapng; stops at damage."""
    frames = []
    if len(data) < 24:
        return None, frames
    magic = data[:4]
    if magic == b"\x0a\x0d\x0d\x0a":
        return read_pcapng(data)
    if magic in (b"\xd4\xc3\xb2\xa1", b"\x4d\x3c\xb2\xa1"):
        end = "<"
    elif magic in (b"\xa1\xb2\xc3\xd4", b"\xa1\xb2\x3c\x4d"):
        end = ">"
    else:
        return None, frames
    link = struct.unpack(end + "I", data[20:24])[0] & 0xffff
    off = 24
    while off + 16 <= len(data):
        caplen = struct.unpack(end + "I", data[off + 8:off + 12])[0]
        off += 16
        if off + caplen > len(data):
            break
        frames.append(data[off:off + caplen])
        off += caplen
    return link, frames


def read_pcapng(data):
    frames = []
    link = None
    end = "<"
    off = 0
    while off + 12 <= len(data):
        btype = struct.unpack(end + "I", data[off:off + 4])[0]
        if btype == 0x0a0d0d0a:
            end = "<" if data[off + 8:off + 12] == b"\x4d\x3c\x2b\x1a" \
                else ">"
        blen = struct.unpack(end + "I", data[off + 4:off + 8])[0]
        if blen < 12 or off + blen > len(data):
            break
        body = data[off + 8:off + blen - 4]
        if btype == 1 and link is None:
            link = struct.unpack(end + "H", body[:2])[0]
        elif btype == 6 and len(body) >= 20:
            caplen = struct.unpack(end + "I", body[12:16])[0]
            frames.append(body[20:20 + caplen])
        elif btype == 3 and len(body) >= 4:
            frames.append(body[4:])
        off += blen
    return link, frames


def l3_of(link, frame):
    """The IP packet inside an Ethernet frame, for raw (NFQUEUE) seeds."""
    if link == 1 and len(frame) > 14 and frame[12:14] in (b"\x08\x00",
                                                          b"\x86\xdd"):
        return frame[14:]
    if link in (101, 12, 14, 228, 229):
        return frame
    return None


def packet_seed(index, frames):
    out = bytearray([index])
    for f in frames:
        f = f[:0xffff]
        out += struct.pack(">H", len(f)) + f
    return bytes(out)


def udp53_payloads(link, frames):
    for f in frames:
        p = l3_of(link, f)
        if p is None or len(p) < 28 or p[0] >> 4 != 4 or p[9] != 17:
            continue
        ihl = (p[0] & 15) * 4
        if struct.unpack(">H", p[ihl:ihl + 2])[0] == 53:
            yield p[ihl + 8:]


def tls_client_payloads(link, frames):
    """TCP payloads that begin a TLS handshake record (ClientHellos)."""
    for f in frames:
        p = l3_of(link, f)
        if p is None or len(p) < 40 or p[0] >> 4 != 4 or p[9] != 6:
            continue
        ihl = (p[0] & 15) * 4
        doff = (p[ihl + 12] >> 4) * 4
        pay = p[ihl + doff:]
        if pay[:2] == b"\x16\x03" and len(pay) > 5 and pay[5] == 1:
            yield pay


def write(outdir, name, fname, data):
    d = os.path.join(outdir, name)
    os.makedirs(d, exist_ok=True)
    with open(os.path.join(d, fname), "wb") as f:
        f.write(data)


def seed_captures(shared, outdir):
    pcaps = os.path.join(shared, "pcaps")
    ndns = 0
    for fn in sorted(os.listdir(pcaps)):
        if not fn.endswith((".pcap", ".pcapng")):
            continue
        with open(os.path.join(pcaps, fn), "rb") as f:
            data = f.read()
        write(outdir, "pcap", fn, data[:PCAP_SEED_MAX])
        link, frames = read_pcap(data)
        if link is None or link not in LINK_INDEX:
            continue
        for i in range(SEEDS_PER_FILE):
            chunk = frames[i * PACKETS_PER_SEED:(i + 1) * PACKETS_PER_SEED]
            if not chunk:
                break
            write(outdir, "packet", "%s.%d" % (fn, i),
                  packet_seed(LINK_INDEX[link], chunk))
            raw = [p for p in (l3_of(link, f) for f in chunk) if p]
            if raw:
                write(outdir, "packet", "%s.raw%d" % (fn, i),
                      packet_seed(0, raw))
        for p in udp53_payloads(link, frames):
            if ndns < 400:
                write(outdir, "dns", "%s.%d" % (fn, ndns), p)
                ndns += 1
        for i, p in enumerate(tls_client_payloads(link, frames)):
            if i < 8:
                write(outdir, "tlshello", "%s.%d" % (fn, i), p)


def c_strings(path):
    """static const char NAME[] = "..." "..."; literals, decoded."""
    with open(path) as f:
        src = f.read()
    for m in re.finditer(r'static const char (\w+)\[\] =((?:\s*"(?:[^"\\]|'
                         r'\\.)*")+);', src):
        parts = re.findall(r'"((?:[^"\\]|\\.)*)"', m.group(2))
        text = "".join(parts).encode("latin-1").decode("unicode_escape")
        yield m.group(1), text.encode("latin-1")


def seed_text(top, outdir):
    write(outdir, "config", "schoolgate.conf",
          open(os.path.join(top, "conf/schoolgate.conf"), "rb").read())
    bad = os.path.join(top, "tests/configs/bad")
    for fn in sorted(os.listdir(bad)):
        write(outdir, "config", fn, open(os.path.join(bad, fn), "rb").read())
    for test in ("test_leases.c", "test_identity.c"):
        for name, text in c_strings(os.path.join(top, "tests/unit", test)):
            for fmt in range(4):
                write(outdir, "leases", "%s.%d" % (name, fmt),
                      bytes([fmt]) + text)


def seed_records(top, outdir):
    fields = bytearray([0])
    start = 1794911400000000     # 2026-11-17 10:30 GMT, as microseconds
    for v in (struct.pack(">q", start), struct.pack(">q", start + 90000000),
              b"laptop-j-smith", b"3c:22:fb:12:34:56", b"10.1.0.23",
              b"jsmith", b"staff", b"TLS.Facebook", b"social",
              b"www.facebook.com", b"sni", b"157.240.1.35", b"\x01\xbb",
              b"tcp", b"\x10\x00", b"\x20\x00", b"\x0a", b"\x0c", b"log",
              b"staff-social-log", b"7.3", b"\x01", b"fuzz.pcap"):
        fields += bytes([2, len(v)]) + v
    write(outdir, "records", "row", bytes(fields))
    write(outdir, "records", "raw", bytes([1]) + bytes(fields[1:]))
    write(outdir, "records", "raw-events", bytes([0x81]) + bytes(fields[1:]))
    db = os.path.join(outdir, "records.tmp.db")
    if os.path.exists(db):
        os.unlink(db)
    con = sqlite3.connect(db)
    schema = open(os.path.join(top, "records/store.c")).read()
    m = re.search(r'schema_sql\[\] =\s*((?:"(?:[^"\\]|\\.)*"\s*)+)', schema)
    sql = "".join(re.findall(r'"((?:[^"\\]|\\.)*)"', m.group(1)))
    con.executescript(sql.replace("' REC_SCHEMA_VERSION '", "'1'") + "1');")
    con.execute("INSERT INTO flows (start_us, host, action, prev_hash, hash)"
                " VALUES (1, 'x', 'log', zeroblob(32), zeroblob(32))")
    con.commit()
    con.close()
    with open(db, "rb") as f:
        write(outdir, "records", "db", bytes([2]) + f.read())
    os.unlink(db)


def msg(mtype, payload, flags=0, fd=False):
    """fuzz_msg.c's input: a byte saying whether a descriptor came, then
    the datagram (daemon/msg.h's header in host order, then payload)."""
    return bytes([1 if fd else 0]) + struct.pack("=HHI", mtype, flags,
                                                 len(payload)) + payload


def cstr(text, size):
    b = text.encode("utf-8")[:size - 1]
    return b + bytes(size - len(b))


def seed_msg(shared, outdir):
    """One valid message of each type in daemon/msg.h's enum msg_type."""
    (CONFIG, LEASES, QUEUE_FD, PACKETS, VERDICTS, STATS, LOG, FLOW,
     EVENT) = range(1, 10)
    conf = b"school = { name = \"T\"; };\n" * 40
    write(outdir, "msg", "config", msg(CONFIG, conf))
    write(outdir, "msg", "config-more", msg(CONFIG, conf, flags=1))
    lease = (struct.pack("=B16s6sxq", 2, bytes([10, 1, 0, 23]),
                         bytes.fromhex("3c22fb123456"), 0) +
             cstr("laptop-j-smith", 64))
    write(outdir, "msg", "leases", msg(LEASES, lease * 3, flags=1))
    ifs = (struct.pack("=I", 2) + cstr("lan-staff", 16) +
           struct.pack("=I", 3) + cstr("lan-pupils", 16) + bytes(62 * 20))
    write(outdir, "msg", "queue-fd",
          msg(QUEUE_FD, struct.pack("=IIII", 0, 4242, 2, 0) + ifs, fd=True))
    write(outdir, "msg", "verdicts",
          msg(VERDICTS, struct.pack("=IIB3xI", 7, 0x300, 2, 0x10000) +
              struct.pack("=IIB3xI", 8, 0, 1, 0)))
    write(outdir, "msg", "stats", msg(STATS, bytes(26 * 8)))
    write(outdir, "msg", "log", msg(LOG, struct.pack("=iI", 4, 0) +
                                    cstr("queue 0: flow table full", 1024)))
    flow = (struct.pack("=qqQQQQHBBB3x", 1794911400000000,
                        1794911490000000, 4096, 8192, 10, 12, 443, 2, 1, 1) +
            cstr("laptop-j-smith", 64) + cstr("3c:22:fb:12:34:56", 18) +
            cstr("10.1.0.23", 48) + cstr("jsmith", 64) + cstr("staff", 64) +
            cstr("TLS.Facebook", 64) + cstr("social", 64) +
            cstr("www.facebook.com", 256) + cstr("157.240.1.35", 48) +
            cstr("tcp", 8) + cstr("staff-social-hours", 64) +
            cstr("7.3", 16) + cstr("live", 256) + bytes(6))
    write(outdir, "msg", "flow", msg(FLOW, flow))
    write(outdir, "msg", "event", msg(EVENT, struct.pack("=q", 1) +
                                      cstr("crash", 16) +
                                      cstr("inspector 0: SIGSEGV", 512)))
    pcaps = os.path.join(shared, "pcaps")
    nseed = 0
    for fn in sorted(os.listdir(pcaps)):
        if not fn.endswith((".pcap", ".pcapng")) or nseed >= 16:
            continue
        with open(os.path.join(pcaps, fn), "rb") as f:
            link, frames = read_pcap(f.read())
        batch = b""
        for i, fr in enumerate(frames[:8]):
            p = l3_of(link, fr)
            if p is None:
                continue
            p = p[:0xffff]
            batch += (struct.pack("=IIQHB6s7x", i, 0, 1, len(p), 1,
                                  bytes(6)) + cstr("eth0", 16) + p +
                      bytes((8 - len(p) % 8) % 8))
        if batch:
            write(outdir, "msg", "packets.%s" % fn, msg(PACKETS, batch))
            nseed += 1


def https_answer(mandatory):
    """An answer with an HTTPS record carrying ech (and, if mandatory, a
    mandatory list naming it), then an A record whose owner a later
    CNAME points at: the ECH strip's pointer moves."""
    q = b"\x06crypto\x07example\x00"
    params = b""
    if mandatory:
        params += struct.pack("!HH", 0, 4) + b"\x00\x01\x00\x05"
    params += struct.pack("!HH", 1, 3) + b"\x02h2"
    params += struct.pack("!HH", 5, 8) + b"\x00\x06\xfe\x0d\x00\x02AB"
    rdata = b"\x00\x01\x00" + params
    msg = struct.pack("!HHHHHH", 0x1234, 0x8180, 1, 3, 0, 0) + q
    msg += struct.pack("!HH", 65, 1)
    msg += b"\xc0\x0c" + struct.pack("!HHIH", 65, 1, 300, len(rdata)) + rdata
    edge = len(msg)
    msg += b"\x04edge\x07example\x03net\x00"
    msg += struct.pack("!HHIH", 1, 1, 300, 4) + b"\xc6\x33\x64\x15"
    msg += struct.pack("!H", 0xc000 | edge)
    msg += struct.pack("!HHIH", 5, 1, 300, 2) + struct.pack("!H", 0xc000 | edge)
    return msg


def main():
    top, shared, outdir = sys.argv[1:4]
    seed_captures(shared, outdir)
    write(outdir, "dns", "https-ech", https_answer(False))
    write(outdir, "dns", "https-ech-mandatory", https_answer(True))
    seed_text(top, outdir)
    seed_msg(shared, outdir)
    try:
        seed_records(top, outdir)
    except (sqlite3.Error, AttributeError) as e:
        print("seed.py: records database seed skipped: %s" % e,
              file=sys.stderr)
    for name in sorted(os.listdir(outdir)):
        print("seed.py: %s: %d seeds" % (name,
              len(os.listdir(os.path.join(outdir, name)))))


if __name__ == "__main__":
    main()
