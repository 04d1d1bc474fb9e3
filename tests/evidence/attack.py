#!/usr/bin/python3
"""
What anyone with write access to the records database (root on the
gateway, or a process running as the daemon) can do without the lead
team's verification key: edit rows and recompute the hash chain exactly
as records/chain.c computes it.  t_evidence.sh checks that verify
--verification-key names each attack.

usage: attack.py DB rewrite|rewrite-reseal|forge-checkpoint N|drop-seal SEQ
"""
import hashlib
import sqlite3
import struct
import sys

FLOW_COLS = ["start_us", "end_us", "duration_us", "device", "mac", "ip",
             "person", "grp", "app", "category", "host", "host_source",
             "dst_ip", "dst_port", "transport", "bytes_out", "bytes_in",
             "pkts_out", "pkts_in", "action", "rule", "clause",
             "in_school_hours", "source", "id_source"]
EVENT_COLS = ["ts_us", "kind", "detail"]
SEAL_COLS = ["seq", "ts_us", "flow_id", "flow_head", "event_id",
             "event_head", "mac"]
ZERO = b"\0" * 32


def encode(v):
    """A type byte, an 8-byte big-endian length, the bytes (chain.c)."""
    if v is None:
        return bytes([5]) + struct.pack(">Q", 0)
    if isinstance(v, int):
        return bytes([1]) + struct.pack(">Q", 8) + struct.pack(">q", v)
    b = v.encode() if isinstance(v, str) else bytes(v)
    return bytes([3]) + struct.pack(">Q", len(b)) + b


def row_hash(prev, vals):
    while vals and vals[-1] is None:  # a column the row predates
        vals = vals[:-1]
    h = hashlib.sha256(prev)
    for v in vals:
        h.update(encode(v))
    return h.digest()


def checkpoint(db):
    r = db.execute("SELECT detail FROM events WHERE kind = 'checkpoint'"
                   " ORDER BY id DESC LIMIT 1").fetchone()
    if r is None:
        return ZERO
    return bytes.fromhex(r[0].split(" hash ")[1])


def rechain(db, table, cols, start=ZERO):
    prev = start
    for r in db.execute(f"SELECT id, {', '.join(cols)} FROM {table}"
                        " ORDER BY id").fetchall():
        h = row_hash(prev, list(r[1:]))
        db.execute(f"UPDATE {table} SET prev_hash = ?, hash = ? WHERE id = ?",
                   (prev, h, r[0]))
        prev = h
    return prev


def rewrite(db):
    """Every blocked Instagram visit becomes an allowed Wikipedia one."""
    n = db.execute("UPDATE flows SET app = 'TLS.Wikipedia', category ="
                   " 'reference', host = 'en.wikipedia.org', action ="
                   " 'allow', rule = 'default', clause = '' WHERE app LIKE"
                   " '%Instagram%' AND action = 'block'").rowcount
    if n == 0:
        sys.exit("attack.py: no blocked Instagram rows to rewrite")
    rechain(db, "flows", FLOW_COLS, checkpoint(db))


def reseal(db):
    """Point every seal at the new hashes and re-chain the seals: all but
    the MAC, which needs keys the gateway no longer has."""
    for sid, fid in db.execute("SELECT id, flow_id FROM seals").fetchall():
        h = db.execute("SELECT hash FROM flows WHERE id = ?", (fid,))
        row = h.fetchone()
        if row is not None:
            db.execute("UPDATE seals SET flow_head = ? WHERE id = ?",
                       (row[0].hex(), sid))
    rechain(db, "seals", SEAL_COLS)


def forge_checkpoint(db, n):
    """Delete rows 1..n and say a purge left a checkpoint there."""
    h = db.execute("SELECT hash FROM flows WHERE id = ?", (n,)).fetchone()[0]
    db.execute("DELETE FROM flows WHERE id <= ?", (n,))
    last = db.execute("SELECT hash FROM events ORDER BY id DESC LIMIT 1")
    prev = last.fetchone()[0]
    vals = [1794911400000000, "checkpoint",
            f"flows checkpoint at row {n} hash {h.hex()}"]
    db.execute("INSERT INTO events (ts_us, kind, detail, prev_hash, hash)"
               " VALUES (?, ?, ?, ?, ?)", vals + [prev, row_hash(prev, vals)])


def drop_seal(db, seq):
    db.execute("DELETE FROM seals WHERE seq = ?", (seq,))
    rechain(db, "seals", SEAL_COLS)


def main():
    db = sqlite3.connect(sys.argv[1])
    what = sys.argv[2]
    if what == "rewrite":
        rewrite(db)
    elif what == "rewrite-reseal":
        rewrite(db)
        reseal(db)
    elif what == "forge-checkpoint":
        forge_checkpoint(db, int(sys.argv[3]))
    elif what == "drop-seal":
        drop_seal(db, int(sys.argv[3]))
    else:
        sys.exit(__doc__)
    db.commit()
    db.close()


if __name__ == "__main__":
    main()
