#!/usr/bin/env python3
"""Generates the seed corpus of layer_merge_fuzzer into layer_merge_fuzzer/ beside this script.

Each seed is: one flag byte (bit 0: two layers), then for two layers a little-endian u32
length of the first layer, then the layer blob(s). Blobs are tar (pax or GNU) or tar+gzip.
"""
import gzip
import io
import os
import struct
import tarfile


def member(tf, name, kind=tarfile.REGTYPE, data=b"", mode=0o644, link="", uid=0, gid=0,
           pax=None, devmajor=0, devminor=0):
    ti = tarfile.TarInfo(name)
    ti.type = kind
    ti.mode = mode
    ti.uid, ti.gid = uid, gid
    ti.mtime = 1700000000
    ti.linkname = link
    ti.devmajor, ti.devminor = devmajor, devminor
    if pax:
        ti.pax_headers = pax
    ti.size = len(data) if kind == tarfile.REGTYPE else 0
    tf.addfile(ti, io.BytesIO(data) if ti.size else None)


def layer(build, fmt=tarfile.PAX_FORMAT, gz=False):
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w", format=fmt) as tf:
        build(tf)
    raw = buf.getvalue()
    return gzip.compress(raw, mtime=0) if gz else raw


def one(blob):
    return b"\x00" + blob


def two(a, b):
    return b"\x01" + struct.pack("<I", len(a)) + a + b


def base(tf):
    member(tf, "./", tarfile.DIRTYPE, mode=0o755)
    member(tf, "etc/", tarfile.DIRTYPE, mode=0o755)
    member(tf, "etc/passwd", data=b"root:x:0:0\n")
    member(tf, "bin/su", data=b"ELF", mode=0o4755)
    member(tf, "bin/sh", tarfile.SYMTYPE, link="/bin/busybox", mode=0o777)
    member(tf, "bin/link", tarfile.LNKTYPE, link="bin/su")
    member(tf, "dev/null", tarfile.CHRTYPE, mode=0o666, devmajor=1, devminor=3)
    member(tf, "run/fifo", tarfile.FIFOTYPE, mode=0o600)
    member(tf, "tmp/", tarfile.DIRTYPE, mode=0o1777)
    member(tf, "var/cache/a", data=b"a" * 5000)
    member(tf, "usr/bin/ping", data=b"ping", mode=0o755,
           pax={"SCHILY.xattr.security.capability": "\x01\x00\x00\x02",
                "SCHILY.xattr.user.note": "x"})


def upper(tf):
    member(tf, "etc/.wh.passwd")
    member(tf, "var/cache/.wh..wh..opq")
    member(tf, "var/cache/b", data=b"b")
    member(tf, "bin/.wh.su")  # hardlink bin/link keeps the data
    member(tf, "tmp", data=b"file over dir")
    member(tf, "etc/passwd/x", data=b"dir over file")  # implicit dir where passwd was
    member(tf, "/abs/./path", data=b"abs")
    member(tf, "caf\u00e9/" + "\u65e5" * 80, data=b"utf8")


def upper_ok(tf):
    member(tf, "etc/.wh.passwd")
    member(tf, "var/cache/.wh..wh..opq")
    member(tf, "var/cache/b", data=b"b")
    member(tf, "bin/.wh.su")
    member(tf, "tmp", data=b"file over dir")
    member(tf, "etc/passwd", tarfile.DIRTYPE)
    member(tf, "/abs/./path", data=b"abs")
    member(tf, "caf\u00e9/" + "\u65e5" * 80, data=b"utf8")
    member(tf, ".wh..wh.plnk/1.2", data=b"aufs")


def hostile(tf):
    member(tf, "a/../../etc/passwd", data=b"x")


def hostile_link(tf):
    member(tf, "x", tarfile.LNKTYPE, link="../../etc/shadow")


def bad_whiteout(tf):
    member(tf, "etc/.wh..")


def symlink_walk(tf):
    member(tf, "evil", tarfile.SYMTYPE, link="/etc")
    member(tf, "evil/passwd", data=b"pwned")


def dupes(tf):
    member(tf, "f", data=b"one")
    member(tf, "f", tarfile.SYMTYPE, link="x")
    member(tf, "f", data=b"three")
    member(tf, "g", tarfile.LNKTYPE, link="f")


def erofs_edges(tf):
    # Multi-block directory with names sorting around "." and "..", files at block edges,
    # ACL and large xattrs, symlinks that do and do not fit beside their inode.
    member(tf, "many/", tarfile.DIRTYPE)
    for i in range(40):
        member(tf, "many/%s%03d" % ("n" * 120, i), data=b"%d" % i)
    for name in ("!", "-x", ".a", "..b", "~"):
        member(tf, "many/" + name, data=name.encode())
    member(tf, "b4096", data=b"x" * 4096)
    member(tf, "b4097", data=b"y" * 4097)
    acl = "\x02\x00\x00\x00\x01\x00\x06\x00\xff\xff\xff\xff"
    member(tf, "acl", data=b"a", pax={"SCHILY.xattr.system.posix_acl_access": acl,
                                      "SCHILY.xattr.user.big": "v" * 5000,
                                      "SCHILY.xattr.other.ns": "dropped"})
    member(tf, "long-link", tarfile.SYMTYPE, link="L" * 4000, mode=0o777)
    member(tf, "fat-link", tarfile.SYMTYPE, link="F" * 4000, mode=0o777,
           pax={"SCHILY.xattr.trusted.pad": "p" * 100})


SEEDS = {
    "erofs_edges": one(layer(erofs_edges, gz=True)),
    "single_pax": one(layer(base)),
    "single_gnu_gzip": one(layer(base, tarfile.GNU_FORMAT, gz=True)),
    "two_layers": two(layer(base), layer(upper_ok)),
    "two_layers_gzip": two(layer(base, gz=True), layer(upper_ok, gz=True)),
    "two_layers_implicit_dir": two(layer(base), layer(upper)),
    "hostile_dotdot": one(layer(hostile)),
    "hostile_hardlink": one(layer(hostile_link)),
    "bad_whiteout": two(layer(base), layer(bad_whiteout)),
    "symlink_walk": one(layer(symlink_walk)),
    "duplicates": one(layer(dupes)),
    "truncated": one(layer(base)[:1500]),
    "empty": one(b""),
}

if __name__ == "__main__":
    out = os.path.join(os.path.dirname(os.path.abspath(__file__)), "layer_merge_fuzzer")
    os.makedirs(out, exist_ok=True)
    for name, blob in SEEDS.items():
        with open(os.path.join(out, name), "wb") as f:
            f.write(blob)
