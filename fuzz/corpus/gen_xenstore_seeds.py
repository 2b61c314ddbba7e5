#!/usr/bin/env python3
"""Writes the seed corpora of the xenstore payload fuzzers (the seeds contain NUL bytes).

Run from fuzz/corpus: python3 gen_xenstore_seeds.py
"""
import os
import struct

SEEDS = {
    "xenstore_perms_fuzzer": {
        "owner_only": b"n0\0",
        "guest_ro": b"n0\0r5\0",
        "three": b"b7\0r0\0w65535\0",
        "single_no_nul": b"r1",
        "leading_zero": b"r01\0",
        "too_big": b"w65536\0",
        "bad_letter": b"x3\0",
        "empty_entry": b"n0\0\0r1\0",
    },
    "xenstore_watch_event_fuzzer": {
        "event": b"/local/domain/3/device/vif/0/state\0tok\0",
        "special": b"@releaseDomain\0domains\0",
        "empty_token": b"/a\0\0",
        "extra_field": b"/a\0t\0x\0",
        "no_nul": b"/a",
        "directory": b"0\0001\0002\0",
        "empty_dir": b"\0",
        "txid": b"42\0",
        "txid_zero_pad": b"007\0",
        "txid_overflow": b"4294967296\0",
    },
}

for corpus, files in SEEDS.items():
    os.makedirs(corpus, exist_ok=True)
    for name, data in files.items():
        with open(os.path.join(corpus, name), "wb") as f:
            f.write(data)


def msg(type_, req_id, payload, length=None):
    """One xsd_sockmsg (xen/include/public/io/xs_wire.h), native little-endian."""
    n = len(payload) if length is None else length
    return struct.pack("<IIII", type_, req_id, 0, n) + payload


READ, WRITE, WATCH_EVENT, ERROR = 2, 11, 15, 16
CLIENT = {
    "reply": msg(READ, 1, b"value"),
    "event_then_reply": msg(WATCH_EVENT, 0, b"/w\0t\0") + msg(READ, 1, b"v"),
    "error_reply": msg(ERROR, 1, b"ENOENT\0"),
    "unknown_req": msg(READ, 7, b"v"),
    "wrong_type": msg(WRITE, 1, b"OK\0"),
    "oversized": msg(READ, 1, b"", length=5000),
    "bad_event": msg(WATCH_EVENT, 0, b"no-nul"),
    "truncated": msg(READ, 1, b"value")[:9],
}
os.makedirs("xenstore_client_fuzzer", exist_ok=True)
for name, data in CLIENT.items():
    with open(os.path.join("xenstore_client_fuzzer", name), "wb") as f:
        f.write(data)
