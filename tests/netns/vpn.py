#!/usr/bin/env python3
"""An OpenVPN handshake, just enough for nDPI to recognise it: the
client's hard-reset packets and the server's answer, taken from a real
OpenVPN session (nDPI's own test capture, protocol bytes only).

  vpn.py serve IP PORT     answer hard resets (runs until killed)
  vpn.py connect IP PORT   send the handshake; exit 0 if answered"""
import socket
import sys

CLIENT = [bytes.fromhex(
    "38b02ccff1b5f0174fc091666e3b124bada39173317b939722d1fe63be000000"
    "0157a1c15f0000000000"), bytes.fromhex(
    "28b02ccff1b5f0174fc837497a6a8d694eb960b6ac0878e757d987f830000000"
    "0257a1c15f0100000000f77fc2efdbe23f57")]
SERVER = bytes.fromhex(
    "40f77fc2efdbe23f57dec4c8d5654d0723bf8c0be54138563270cfae13000000"
    "0157a1c15f0100000000b02ccff1b5f0174f00000000")


def serve(ip, port):
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.bind((ip, port))
    print("vpn ready", flush=True)
    while True:
        data, peer = s.recvfrom(2048)
        if data[:1] == CLIENT[0][:1]:
            s.sendto(SERVER, peer)


def connect(ip, port):
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.settimeout(2)
    s.sendto(CLIENT[0], (ip, port))
    try:
        s.recvfrom(2048)
    except socket.timeout:
        print("no answer")
        return 1
    s.sendto(CLIENT[1], (ip, port))
    print("handshake answered")
    return 0


if __name__ == "__main__":
    role, ip, port = sys.argv[1], sys.argv[2], int(sys.argv[3])
    sys.exit(serve(ip, port) if role == "serve" else connect(ip, port))
