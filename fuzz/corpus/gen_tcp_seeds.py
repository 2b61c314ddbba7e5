#!/usr/bin/env python3
"""Writes the seed corpus of tcp_nat_fuzzer (record format: fuzz/tcp_nat_fuzzer.cc)."""
import os
import struct

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "tcp_nat_fuzzer")
FIN, SYN, RST, PSH, ACK = 0x01, 0x02, 0x04, 0x08, 0x10


def seg(flags, seq, ack, payload=b"", window=65535, opts=0, mss=1460, ws=7, port=0):
    body = bytes([port, flags]) + struct.pack("<IIHBHB", seq, ack, window, opts, mss, ws)
    body += payload
    return bytes([len(body)]) + body


def host(op, payload=b""):
    body = bytes([op]) + payload
    return bytes([len(body)]) + body


def handshake(port=0, opts=3):
    return seg(SYN, 0, 0, opts=opts, port=port) + seg(ACK, 1, 1, port=port)


SEEDS = {
    "seed_exchange": handshake() + seg(ACK | PSH, 1, 1, b"hello") + host(2, b"world") +
    seg(ACK, 6, 6) + seg(FIN | ACK, 6, 6) + host(3) + seg(ACK, 7, 7),
    "seed_zone_rst": handshake() + seg(RST, 1, 0),
    "seed_host_rst": handshake() + host(2, b"x" * 100) + host(4) + seg(ACK, 1, 1),
    "seed_no_destination": seg(SYN, 0, 0, opts=3 | 16),
    "seed_garbage": seg(ACK, 12345, 999, b"junk") + seg(FIN, 5, 5) + seg(SYN | ACK, 0, 1),
    "seed_v6_two_flows": handshake(0, 3 | 8) + handshake(1, 1) + seg(ACK, 1, 1, b"a" * 64, port=1)
    + seg(ACK, 1000, 1, b"ooo") + seg(SYN, 0, 0, opts=3),
    "seed_zero_window": handshake() + seg(ACK, 1, 1, window=0) + host(2, b"y" * 200) +
    seg(ACK, 1, 1, window=10),
}

os.makedirs(OUT, exist_ok=True)
for name, data in SEEDS.items():
    with open(os.path.join(OUT, name), "wb") as f:
        f.write(data)
