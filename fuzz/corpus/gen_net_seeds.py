#!/usr/bin/env python3
"""Writes the seed corpus of net_frame_fuzzer (fuzz/corpus/net_frame_fuzzer/).

Small Ethernet frames a zone sends, with correct checksums, using the addresses the fuzzer's
fake gateway is configured with (zone 10.75.0.2 / fdd4:1476:6c7e::2, gateway 10.75.0.1 /
fdd4:1476:6c7e::1) so the seeds reach the gateway's answers.
Run from anywhere: python3 fuzz/corpus/gen_net_seeds.py
"""
import ipaddress
import os
import struct

HERE = os.path.dirname(os.path.abspath(__file__))
OUT = os.path.join(HERE, "net_frame_fuzzer")

ZONE_MAC = bytes([0x02, 0x6B, 0x72, 0, 0, 2])
GW_MAC = bytes([0x02, 0x6B, 0x72, 0, 0, 1])
ZONE4, GW4 = ipaddress.ip_address("10.75.0.2").packed, ipaddress.ip_address("10.75.0.1").packed
ZONE6 = ipaddress.ip_address("fdd4:1476:6c7e::2").packed
GW6 = ipaddress.ip_address("fdd4:1476:6c7e::1").packed
OUT4 = ipaddress.ip_address("192.0.2.1").packed
OUT6 = ipaddress.ip_address("2001:db8::1").packed


def csum(data):
    if len(data) % 2:
        data += b"\0"
    s = sum(struct.unpack("!%dH" % (len(data) // 2), data))
    while s >> 16:
        s = (s & 0xFFFF) + (s >> 16)
    return ~s & 0xFFFF


def eth(dst, ethertype, payload):
    return dst + ZONE_MAC + struct.pack("!H", ethertype) + payload


def ipv4(src, dst, proto, l4, frag=0x4000):
    hdr = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + len(l4), 0, frag, 64, proto, 0, src, dst)
    hdr = hdr[:10] + struct.pack("!H", csum(hdr)) + hdr[12:]
    return eth(GW_MAC, 0x0800, hdr + l4)


def ipv6(src, dst, nh, l4, hop=64, dst_mac=GW_MAC):
    hdr = struct.pack("!IHBB16s16s", 0x60000000, len(l4), nh, hop, src, dst)
    return eth(dst_mac, 0x86DD, hdr + l4)


def l4_csum(src, dst, proto, l4, off):
    if len(src) == 4:
        pseudo = src + dst + struct.pack("!BBH", 0, proto, len(l4))
    else:
        pseudo = src + dst + struct.pack("!I3xB", len(l4), proto)
    c = csum(pseudo + l4) if proto != 1 else csum(l4)
    return l4[:off] + struct.pack("!H", c) + l4[off + 2:]


def tcp_syn(src, dst):
    # MSS 1460, NOP + window scale 7, SACK permitted + 2 NOPs (as build.cc writes them).
    opts = bytes([2, 4, 0x05, 0xB4, 1, 3, 3, 7, 4, 2, 1, 1])
    l4 = struct.pack("!HHIIBBHHH", 40000, 80, 0x11223344, 0, (5 + 3) << 4, 0x02, 64240, 0, 0)
    return l4_csum(src, dst, 6, l4 + opts, 16)


def udp(src, dst, sport, dport, data):
    l4 = struct.pack("!HHHH", sport, dport, 8 + len(data), 0) + data
    return l4_csum(src, dst, 17, l4, 6)


def echo(src, dst, v6, data):
    l4 = struct.pack("!BBHHH", 128 if v6 else 8, 0, 0, 0x77, 1) + data
    return l4_csum(src, dst, 58 if v6 else 1, l4, 2)


def neighbor_solicit():
    target = GW6
    l4 = struct.pack("!BBHI16s", 135, 0, 0, 0, target) + bytes([1, 1]) + ZONE_MAC
    snm = bytes([0xFF, 0x02] + [0] * 9 + [1, 0xFF]) + target[13:]
    return ipv6(ZONE6, snm, 58, l4_csum(ZONE6, snm, 58, l4, 2), hop=255,
                dst_mac=bytes([0x33, 0x33, 0xFF]) + target[13:])


def arp_request():
    arp = struct.pack("!HHBBH6s4s6s4s", 1, 0x0800, 6, 4, 1, ZONE_MAC, ZONE4, bytes(6), GW4)
    return eth(b"\xff" * 6, 0x0806, arp)


def ipv6_fragment():
    # Hop-by-hop options (8 bytes of padding) then a fragment header (offset 0, M set).
    u = udp(ZONE6, OUT6, 5000, 53, b"first fragment")
    hbh = bytes([44, 0, 1, 4, 0, 0, 0, 0])
    frag = struct.pack("!BBHI", 17, 0, 1, 0x1234)
    return ipv6(ZONE6, OUT6, 0, hbh + frag + u)


SEEDS = {
    "arp_request": arp_request(),
    "ndp_ns": neighbor_solicit(),
    "icmp_echo_v4": ipv4(ZONE4, GW4, 1, echo(ZONE4, GW4, False, b"ping4")),
    "icmp_echo_v6": ipv6(ZONE6, GW6, 58, echo(ZONE6, GW6, True, b"ping6")),
    "tcp_syn_v4": ipv4(ZONE4, OUT4, 6, tcp_syn(ZONE4, OUT4)),
    "tcp_syn_v6": ipv6(ZONE6, OUT6, 6, tcp_syn(ZONE6, OUT6)),
    "udp_dns_v4": ipv4(ZONE4, GW4, 17, udp(ZONE4, GW4, 33000, 53, b"\x12\x34\x01\x00")),
    "fragment_v4": ipv4(ZONE4, OUT4, 17, udp(ZONE4, OUT4, 1, 2, b"more to come"), frag=0x2000),
    "fragment_v6": ipv6_fragment(),
}

os.makedirs(OUT, exist_ok=True)
for name, data in SEEDS.items():
    with open(os.path.join(OUT, name), "wb") as f:
        f.write(data)
