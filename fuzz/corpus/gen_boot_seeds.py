#!/usr/bin/env python3
"""Writes the seed corpora of bzimage_fuzzer and elf_fuzzer (fuzz/corpus/<name>/seed_*).

Synthetic, small inputs mirroring src/xen/boot/testing.cc: an ELF64 PV kernel with the Xen
notes of Debian's 6.1 kernel, variants that must be refused, and bzImages wrapping it in every
compression Linux offers (zstd and lz4 via the zstd and lz4 command-line tools).
Run from anywhere: python3 fuzz/corpus/gen_boot_seeds.py
"""
import bz2
import gzip
import lzma
import os
import struct
import subprocess

HERE = os.path.dirname(os.path.abspath(__file__))
VIRT_BASE = 0xffffffff80000000


def align(n, a):
    return (n + a - 1) // a * a


def note(type_, desc, name=b"Xen"):
    name += b"\0"
    out = struct.pack("<III", len(name), len(desc), type_)
    out += name.ljust(align(len(name), 4), b"\0")
    return out + desc.ljust(align(len(desc), 4), b"\0")


def num(type_, v, size=8):
    return note(type_, v.to_bytes(size, "little"))


def string(type_, s, nul=True):
    return note(type_, s.encode() + (b"\0" if nul else b""))


def linux_notes(entry_phys=0x1000010, features="!writable_page_tables|pae_pgdir_above_4gb"):
    return b"".join([
        string(6, "linux"), string(7, "2.6"), string(5, "xen-3.0"),
        num(3, VIRT_BASE), num(15, 0x8000000000), num(1, VIRT_BASE + entry_phys),
        string(10, features, nul=False), num(17, 0x8801, 4), string(9, "yes"),
        string(8, "generic"), note(13, bytes(16)), num(14, 1, 4), num(16, 1, 4),
        num(12, 0xffff800000000000), num(4, 0), num(18, 0x1000850, 8),
        note(3, b"\0" * 20, name=b"GNU"),
    ])


def elf(segments, notes=b"", machine=62, etype=2):
    """segments: list of (paddr, data, memsz, flags)."""
    nph = len(segments) + (1 if notes else 0)
    ident = b"\x7fELF" + bytes([2, 1, 1]) + bytes(9)
    hdr = ident + struct.pack("<HHIQQQIHHHHHH", etype, machine, 1, 0, 64, 0, 0, 64, 56,
                              nph, 64, 0, 0)
    body = bytearray(hdr + bytes(56 * nph))
    pos = align(len(body), 16)
    notes_at = pos
    body += bytes(pos - len(body)) + notes
    pos = align(len(body), 16)
    for i, (paddr, data, memsz, flags) in enumerate(segments):
        body += bytes(pos - len(body))
        struct.pack_into("<IIQQQQQQ", body, 64 + 56 * i, 1, flags, pos, VIRT_BASE + paddr,
                         paddr, len(data), memsz or len(data), 16)
        body += data
        pos = align(len(body), 16)
    if notes:
        struct.pack_into("<IIQQQQQQ", body, 64 + 56 * len(segments), 4, 4, notes_at, 0, 0,
                         len(notes), len(notes), 4)
    return bytes(body)


def small_kernel(**kw):
    text = bytes((i * 7) & 0xff for i in range(3000))
    return elf([(0x1000000, text, 0, 5), (0x1002000, b"data segment bytes", 0x3000, 6)],
               linux_notes(**kw))


def compress(fmt, data):
    if fmt == "gzip":
        return gzip.compress(data, 9, mtime=0)
    if fmt == "xz":
        return lzma.compress(data, format=lzma.FORMAT_XZ, check=lzma.CHECK_CRC32)
    if fmt == "lzma":
        return lzma.compress(data, format=lzma.FORMAT_ALONE)
    if fmt == "bzip2":
        return bz2.compress(data, 9)
    if fmt == "zstd":
        return subprocess.run(["zstd", "-19", "-q", "-c"], input=data, check=True,
                              stdout=subprocess.PIPE).stdout
    if fmt == "lz4":  # legacy frame, as Linux's "lz4 -l"
        return subprocess.run(["lz4", "-l", "-9", "-q", "-c"], input=data, check=True,
                              stdout=subprocess.PIPE).stdout
    raise ValueError(fmt)


def size_append(data, n):
    return data + struct.pack("<I", n)


def bzimage(payload, setup_sects=4, version=0x020F, gap=0x100):
    setup = ((setup_sects or 4) + 1) * 512
    out = bytearray(setup + gap)
    out[0x1F1] = setup_sects
    struct.pack_into("<H", out, 0x1FE, 0xAA55)
    struct.pack_into("<I", out, 0x202, 0x53726448)
    struct.pack_into("<H", out, 0x206, version)
    struct.pack_into("<II", out, 0x248, gap, len(payload))
    return bytes(out) + payload + b"\xcc" * 64


def write(fuzzer, name, data):
    with open(os.path.join(HERE, fuzzer, "seed_" + name), "wb") as f:
        f.write(data)


def main():
    k = small_kernel()
    # elf_fuzzer: accepted kernel plus one refusal per check.
    write("elf_fuzzer", "pv_kernel", k)
    write("elf_fuzzer", "no_xen_notes", elf([(0x1000000, b"\x90" * 64, 0, 5)]))
    write("elf_fuzzer", "requires_translated",
          small_kernel(features="!writable_page_tables|!auto_translated_physmap"))
    write("elf_fuzzer", "requires_unknown", small_kernel(features="!frobnicate"))
    write("elf_fuzzer", "entry_outside", small_kernel(entry_phys=0x2000000))
    write("elf_fuzzer", "pvh_only", elf([(0x1000000, b"\x90" * 64, 0, 5)],
                                        num(18, 0x1000000, 4)))
    write("elf_fuzzer", "truncated", k[: len(k) // 2])
    write("elf_fuzzer", "bss_only", elf([(0x1000000, b"", 0x2000, 6),
                                         (0x1000000, b"\x90" * 16, 0, 5)], linux_notes(0x1000000)))
    # bzimage_fuzzer: every compression, uncompressed, bare stream, a bomb, an old protocol.
    for fmt in ["gzip", "xz", "lzma", "zstd", "lz4", "bzip2"]:
        write("bzimage_fuzzer", fmt, bzimage(size_append(compress(fmt, k), len(k)),
                                            27 if fmt == "xz" else 4))
    write("bzimage_fuzzer", "uncompressed", bzimage(k, 0))
    write("bzimage_fuzzer", "bare_xz", compress("xz", k))
    zeros = bytes(2 << 20)
    write("bzimage_fuzzer", "bomb_zstd", bzimage(size_append(compress("zstd", zeros), len(zeros))))
    write("bzimage_fuzzer", "protocol_2_07", bzimage(compress("gzip", k), 4, 0x0207))


if __name__ == "__main__":
    main()
