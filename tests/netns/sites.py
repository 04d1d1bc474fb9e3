#!/usr/bin/env python3
"""The internet side of the simulated school network: one process serving
every test site over HTTPS (:443, certificate picked by SNI) and HTTP (:80),
plus UDP responders on :443 (QUIC probes) and :1194 (VPN).

    sites.py --certs DIR [--bind ADDR] [--bind6 ADDR6]

DIR holds NAME.crt and NAME.key for each site name and default.crt/.key for
clients that send no SNI.  GET /NNN answers NNN bytes (byte-count tests);
GET / answers a small page naming the site.  HTTPS and HTTP listen on
IPv6 too (ADDR6, default ::, an IPv6-only socket beside the IPv4 one).
Prints "sites: ready" once every socket listens.
"""

import argparse
import http.server
import os
import socket
import ssl
import struct
import sys
import threading

MAX_BODY = 1 << 30
CHUNK = 65536


class SiteHandler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "sites/1"

    def log_message(self, fmt, *args):
        pass

    def site(self):
        host = self.headers.get("Host", "") or "unknown"
        return host.split(":", 1)[0][:253]

    def do_GET(self):
        path = self.path.split("?", 1)[0]
        if path == "/":
            body = ("<html><body><h1>%s</h1></body></html>\n"
                    % self.site()).encode("ascii", "replace")
            self.answer(200, "text/html", len(body), body)
            return
        digits = path[1:]
        if digits.isdigit() and len(digits) <= 10 and int(digits) <= MAX_BODY:
            self.answer(200, "application/octet-stream", int(digits), None)
            return
        body = b"not found\n"
        self.answer(404, "text/plain", len(body), body)

    def answer(self, code, ctype, length, body):
        self.send_response(code)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(length))
        self.end_headers()
        if body is not None:
            self.wfile.write(body)
            return
        block = b"x" * CHUNK
        left = length
        while left > 0:
            n = min(left, CHUNK)
            self.wfile.write(block[:n])
            left -= n


class Server(http.server.ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True
    tls = None

    def finish_request(self, request, client_address):
        # The handshake runs in the connection's own thread, so a client
        # the gateway blocks mid-handshake cannot stall the accept loop.
        request.settimeout(30)
        if self.tls is not None:
            try:
                request = self.tls.wrap_socket(request, server_side=True)
            except (ssl.SSLError, OSError):
                return
        try:
            super().finish_request(request, client_address)
        except (ssl.SSLError, OSError):
            pass


class Server6(Server):
    address_family = socket.AF_INET6

    def server_bind(self):
        # IPv6 only: the IPv4 socket on the same port is another server
        self.socket.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 1)
        super().server_bind()


def load_contexts(certdir):
    contexts = {}
    for entry in sorted(os.listdir(certdir)):
        if not entry.endswith(".crt"):
            continue
        name = entry[:-4]
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        ctx.load_cert_chain(os.path.join(certdir, entry),
                            os.path.join(certdir, name + ".key"))
        contexts[name] = ctx
    if "default" not in contexts:
        sys.exit("sites: no default.crt in %s" % certdir)
    return contexts


def tls_context(contexts):
    main = contexts["default"]

    def pick(sslsock, name, _ctx):
        if name is not None and name in contexts:
            sslsock.context = contexts[name]
        return None

    main.sni_callback = pick
    return main


IP_PKTINFO = getattr(socket, "IP_PKTINFO", 8)
PKTINFO = struct.Struct("=I4s4s")


def udp_echo(sock):
    """Echoes each datagram from the address it was sent to: the socket is
    bound to 0.0.0.0, and a site's address is not the primary one."""
    while True:
        try:
            data, anc, _flags, peer = sock.recvmsg(65535, 256)
        except OSError:
            continue
        dst = None
        for level, kind, value in anc:
            if (level == socket.IPPROTO_IP and kind == IP_PKTINFO and
                    len(value) >= PKTINFO.size):
                dst = PKTINFO.unpack_from(value)[2]
        info = []
        if dst is not None:
            info = [(socket.IPPROTO_IP, IP_PKTINFO,
                     PKTINFO.pack(0, dst, bytes(4)))]
        try:
            sock.sendmsg([data[:1200]], info, 0, peer)
        except OSError:
            pass


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--certs", required=True)
    ap.add_argument("--bind", default="0.0.0.0")
    ap.add_argument("--bind6", default="::")
    args = ap.parse_args()

    https = Server((args.bind, 443), SiteHandler)
    https.tls = tls_context(load_contexts(args.certs))
    https6 = Server6((args.bind6, 443), SiteHandler)
    https6.tls = https.tls
    plain = Server((args.bind, 80), SiteHandler)
    plain6 = Server6((args.bind6, 80), SiteHandler)
    for port in (443, 1194):
        sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        sock.setsockopt(socket.IPPROTO_IP, IP_PKTINFO, 1)
        sock.bind((args.bind, port))
        threading.Thread(target=udp_echo, args=(sock,), daemon=True).start()
    for srv in (plain, plain6, https6):
        threading.Thread(target=srv.serve_forever, daemon=True).start()
    print("sites: ready", flush=True)
    try:
        https.serve_forever()
    except KeyboardInterrupt:
        pass


if __name__ == "__main__":
    main()
