#!/usr/bin/env python3
"""One TLS connection kept open with a small request every 200 ms, for the
tests of decisions that change while a flow is open.

    keepopen.py --ca CA --ip IP --name NAME

Prints "open SPORT" once connected, "ok N" after the first answer and every
25th, and "closed TIME KIND" (Unix time, float) when the connection is
reset or closed, then exits 0.  Exits 1 if it cannot connect."""
import argparse
import socket
import ssl
import sys
import time


def answer(t):
    buf = b""
    while b"\r\n\r\n" not in buf:
        chunk = t.recv(4096)
        if not chunk:
            raise ConnectionError("eof")
        buf += chunk
    head, body = buf.split(b"\r\n\r\n", 1)
    length = 0
    for line in head.split(b"\r\n"):
        if line.lower().startswith(b"content-length:"):
            length = int(line.split(b":", 1)[1])
    while len(body) < length:
        chunk = t.recv(4096)
        if not chunk:
            raise ConnectionError("eof")
        body += chunk


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--ca", required=True)
    ap.add_argument("--ip", required=True)
    ap.add_argument("--name", required=True)
    a = ap.parse_args()
    ctx = ssl.create_default_context(cafile=a.ca)
    try:
        s = socket.create_connection((a.ip, 443), timeout=5)
        t = ctx.wrap_socket(s, server_hostname=a.name)
    except OSError as e:
        print("failed", type(e).__name__, flush=True)
        return 1
    print("open", t.getsockname()[1], flush=True)
    req = b"GET /10 HTTP/1.1\r\nHost: " + a.name.encode() + b"\r\n\r\n"
    n = 0
    while True:
        try:
            t.sendall(req)
            answer(t)
        except (OSError, ssl.SSLError, ConnectionError) as e:
            print("closed", "%.3f" % time.time(), type(e).__name__, flush=True)
            return 0
        n += 1
        if n == 1 or n % 25 == 0:
            print("ok", n, flush=True)
        time.sleep(0.2)


if __name__ == "__main__":
    sys.exit(main())
