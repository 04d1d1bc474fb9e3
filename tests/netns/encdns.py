#!/usr/bin/env python3
"""A public encrypted-DNS resolver stand-in for the netns tests: DNS over
TLS (RFC 7858) on ADDR:853 and DNS over HTTPS (RFC 8484, POST over
HTTP/1.1) on ADDR:8443 (sites.py holds :443 on every address of the
namespace; the gateway names DoH by its SNI, whatever the port), each
passing the query to the test's dnsmasq
over UDP and the answer back.

  encdns.py ADDR CERT KEY UPSTREAM
"""
import socket
import ssl
import struct
import sys
import threading


def ask(upstream, query):
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.settimeout(2)
    s.sendto(query, (upstream, 53))
    answer, _ = s.recvfrom(65535)
    s.close()
    return answer


def read_exact(conn, n):
    buf = b""
    while len(buf) < n:
        chunk = conn.recv(n - len(buf))
        if not chunk:
            raise EOFError
        buf += chunk
    return buf


def dot(conn, upstream):
    while True:
        (n,) = struct.unpack("!H", read_exact(conn, 2))
        answer = ask(upstream, read_exact(conn, n))
        conn.sendall(struct.pack("!H", len(answer)) + answer)


def doh(conn, upstream):
    rfile = conn.makefile("rb")
    rfile.readline()                    # POST /dns-query HTTP/1.1
    length = 0
    for line in iter(rfile.readline, b"\r\n"):
        name, _, value = line.partition(b":")
        if not line or name.strip().lower() == b"content-length":
            length = int(value or b"0")
    answer = ask(upstream, rfile.read(length))
    conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Type: application/dns-message"
                 b"\r\nContent-Length: %d\r\nConnection: close\r\n\r\n"
                 % len(answer) + answer)


def serve(addr, port, ctx, handler, upstream):
    ls = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    ls.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    ls.bind((addr, port))
    ls.listen(16)
    while True:
        raw, _ = ls.accept()
        threading.Thread(target=session, daemon=True,
                         args=(raw, ctx, handler, upstream)).start()


def session(raw, ctx, handler, upstream):
    try:
        with ctx.wrap_socket(raw, server_side=True) as conn:
            handler(conn, upstream)
    except (OSError, EOFError, ssl.SSLError, ValueError, struct.error):
        pass


def main():
    addr, cert, key, upstream = sys.argv[1:5]
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.load_cert_chain(cert, key)
    threading.Thread(target=serve, daemon=True,
                     args=(addr, 853, ctx, dot, upstream)).start()
    print("listening", flush=True)
    serve(addr, 8443, ctx, doh, upstream)


if __name__ == "__main__":
    main()
