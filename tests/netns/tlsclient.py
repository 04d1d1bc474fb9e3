#!/usr/bin/env python3
"""TLS clients that try to get past the gateway, for tests/t_live_*.sh.
Run inside a client namespace (ip netns exec).  Standard library only.

    tlsclient.py split --seg N --sni NAME ADDR
        One real ClientHello for NAME, sent in N-byte TCP segments: TCP_NODELAY
        and one send() per segment, each sent only once the kernel has put
        the one before on the wire (so the kernel cannot merge them).
        Prints "answered BYTES segs=S/N", "reset segs=S/N", "closed
        segs=S/N" or "timeout segs=S/N", where S is the number of data
        segments the kernel sent (TCP_INFO) and N the number of pieces, so
        a caller can see the split really happened (S >= N).

    tlsclient.py hold --sni NAME --ca FILE [--max SECONDS] ADDR
        A verified HTTPS connection to NAME that stays open, asking
        "GET /" every 0.1 s on the same connection.  Prints "ready" after
        the first answer, then at the end one of "reset AT", "closed AT",
        "error AT TEXT" (AT = wall-clock time, seconds since the epoch) or
        "open" if it was still working after --max seconds.

client_hello(name) is also used by decoy.py.
"""

import argparse
import errno
import fcntl
import socket
import ssl
import struct
import sys
import time

SIOCOUTQNSD = 0x894B		# bytes written but not yet sent
TCPI_DATA_SEGS_OUT = 156	# offset in struct tcp_info (Linux >= 4.6)
ANSWER_TIMEOUT = 5.0
TCP_CLOSE = 7			# include/net/tcp_states.h


def client_hello(name):
    """The first flight of Python's own TLS client for name (None: no SNI)."""
    ctx = ssl.create_default_context()
    ctx.check_hostname = False
    ctx.verify_mode = ssl.CERT_NONE
    incoming, outgoing = ssl.MemoryBIO(), ssl.MemoryBIO()
    obj = ctx.wrap_bio(incoming, outgoing, server_hostname=name)
    try:
        obj.do_handshake()
    except ssl.SSLWantReadError:
        pass
    return outgoing.read()


def connect(addr, port=443, timeout=5.0):
    family = socket.AF_INET6 if ":" in addr else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.settimeout(timeout)
    sock.connect((addr, port))
    return sock


def data_segs_out(sock):
    info = sock.getsockopt(socket.IPPROTO_TCP, socket.TCP_INFO, 256)
    if len(info) < TCPI_DATA_SEGS_OUT + 4:
        return -1
    return struct.unpack_from("=I", info, TCPI_DATA_SEGS_OUT)[0]


def wait_sent(sock, limit=2.0):
    """Until the kernel has sent what we wrote: while data is still
    unsent, a new write would be appended to the same segment."""
    end = time.monotonic() + limit
    buf = bytearray(4)
    while time.monotonic() < end:
        fcntl.ioctl(sock.fileno(), SIOCOUTQNSD, buf)
        if struct.unpack("=i", buf)[0] == 0:
            return
        time.sleep(0.0005)


def first_answer(sock):
    try:
        sock.settimeout(ANSWER_TIMEOUT)
        data = sock.recv(65536)
    except socket.timeout:
        return "timeout"
    except ConnectionResetError:
        return "reset"
    except OSError as e:
        return "error %s" % errno.errorcode.get(e.errno, e.errno)
    return "answered %d" % len(data) if data else "closed"


def cmd_split(a):
    hello = client_hello(a.sni)
    try:
        sock = connect(a.addr)
    except ConnectionResetError:
        print("reset segs=0/0")
        return 0
    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    outcome = None
    for off in range(0, len(hello), a.seg):
        try:
            sock.send(hello[off:off + a.seg])
        except ConnectionResetError:
            outcome = "reset"
            break
        wait_sent(sock)
    if outcome is None:
        outcome = first_answer(sock)
    want = (len(hello) + a.seg - 1) // a.seg
    print("%s segs=%d/%d" % (outcome, data_segs_out(sock), want), flush=True)
    sock.close()
    return 0


def http_get(tls, name):
    tls.sendall(("GET / HTTP/1.1\r\nHost: %s\r\n\r\n" % name).encode())
    data = b""
    while b"</html>" not in data:
        chunk = tls.recv(65536)
        if not chunk:
            raise EOFError
        data += chunk


def tcp_state(sock):
    try:
        return sock.getsockopt(socket.IPPROTO_TCP, socket.TCP_INFO, 8)[0]
    except OSError:
        return -1


def cmd_hold(a):
    ctx = ssl.create_default_context(cafile=a.ca)
    tls = ctx.wrap_socket(connect(a.addr), server_hostname=a.sni)
    http_get(tls, a.sni)
    print("ready", flush=True)
    end = time.monotonic() + a.max
    while time.monotonic() < end:
        try:
            http_get(tls, a.sni)
        except (EOFError, OSError) as e:
            # The ssl module often reports a reset as a plain EOF: the
            # kernel's TCP state tells them apart (a FIN from the server
            # leaves CLOSE_WAIT).
            when = time.time()
            if isinstance(e, ConnectionResetError) or \
                    tcp_state(tls) == TCP_CLOSE:
                print("reset %.3f" % when, flush=True)
            elif isinstance(e, EOFError):
                print("closed %.3f" % when, flush=True)
            else:
                print("error %.3f %s" % (when, e), flush=True)
            return 0
        time.sleep(0.1)
    print("open", flush=True)
    return 0


def main():
    ap = argparse.ArgumentParser()
    sub = ap.add_subparsers(dest="cmd", required=True)
    p = sub.add_parser("split")
    p.add_argument("--seg", type=int, required=True)
    p.add_argument("--sni", required=True)
    p.add_argument("addr")
    p = sub.add_parser("hold")
    p.add_argument("--sni", required=True)
    p.add_argument("--ca", required=True)
    p.add_argument("--max", type=float, default=60.0)
    p.add_argument("addr")
    a = ap.parse_args()
    return cmd_split(a) if a.cmd == "split" else cmd_hold(a)


if __name__ == "__main__":
    sys.exit(main())
