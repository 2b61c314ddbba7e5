#!/usr/bin/env python3
"""Writes the seed corpus of net_echo_reply_fuzzer (fuzz/corpus/net_echo_reply_fuzzer/).

Each seed is a mode byte (bit 0: ICMPv6, bit 1: raw IPv4 with header) followed by what a
ping or raw socket returns for an echo reply.
Run from anywhere: python3 fuzz/corpus/gen_netnat_seeds.py
"""
import os
import struct

HERE = os.path.dirname(os.path.abspath(__file__))
OUT = os.path.join(HERE, "net_echo_reply_fuzzer")


def echo(type_, ident, seq, data):
    return struct.pack("!BBHHH", type_, 0, 0, ident, seq) + data


def ipv4(payload, ihl_words=5):
    opts = b"\x01" * (4 * ihl_words - 20)
    hdr = struct.pack("!BBHHHBBH4s4s", 0x40 | ihl_words, 0, 4 * ihl_words + len(payload), 0, 0,
                      64, 1, 0, bytes([127, 0, 0, 1]), bytes([127, 0, 0, 1]))
    return hdr + opts + payload


SEEDS = {
    "ping_v4": b"\x00" + echo(0, 0x1234, 1, b"abcdefgh"),
    "ping_v6": b"\x01" + echo(129, 0x1234, 2, b"0123456789"),
    "raw_v4": b"\x02" + ipv4(echo(0, 7, 3, b"payload")),
    "raw_v4_options": b"\x02" + ipv4(echo(0, 7, 4, b""), ihl_words=6),
    "request_v4": b"\x00" + echo(8, 1, 1, b"x"),
}

os.makedirs(OUT, exist_ok=True)
for name, data in SEEDS.items():
    with open(os.path.join(OUT, name), "wb") as f:
        f.write(data)
