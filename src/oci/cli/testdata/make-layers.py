#!/usr/bin/env python3
"""Writes WORKDIR/layer{1,2,3}.tar for make-layered-image.sh.

Layer 1: files with odd modes and owners, a setuid binary with a hardlink, a symlink, a
user.* xattr (PAX SCHILY.xattr), directories /opt/gone and /var/data/old.
Layer 2: replaces /etc/a, whites out /etc/b and /opt/gone (".wh." files).
Layer 3: makes /var/data opaque (".wh..wh..opq") and adds /var/data/new/file.
"""
import io
import os
import sys
import tarfile

work = sys.argv[1]


def add_dir(t, name, mode=0o755, uid=0, gid=0):
    ti = tarfile.TarInfo(name)
    ti.type, ti.mode, ti.uid, ti.gid, ti.mtime = tarfile.DIRTYPE, mode, uid, gid, 1700000000
    t.addfile(ti)


def add_file(t, name, data, mode=0o644, uid=0, gid=0, xattrs=None):
    ti = tarfile.TarInfo(name)
    ti.size, ti.mode, ti.uid, ti.gid, ti.mtime = len(data), mode, uid, gid, 1700000000
    if xattrs:
        ti.pax_headers = {"SCHILY.xattr." + k: v for k, v in xattrs.items()}
    t.addfile(ti, io.BytesIO(data))


def add_link(t, name, target, kind):
    ti = tarfile.TarInfo(name)
    ti.type, ti.linkname, ti.mode, ti.mtime = kind, target, 0o777, 1700000000
    t.addfile(ti)


def layer(n):
    return tarfile.open(os.path.join(work, "layer%d.tar" % n), "w", format=tarfile.PAX_FORMAT)


with layer(1) as t:
    add_dir(t, "etc")
    add_file(t, "etc/a", b"a v1\n")
    add_file(t, "etc/b", b"b\n")
    add_file(t, "etc/owned", b"owned\n", mode=0o640, uid=1234, gid=5678,
             xattrs={"user.krata": "hello"})
    add_dir(t, "opt")
    add_dir(t, "opt/gone")
    add_file(t, "opt/gone/file", b"gone\n")
    add_dir(t, "var")
    add_dir(t, "var/data")
    add_dir(t, "var/data/old")
    add_file(t, "var/data/old/file", b"old\n")
    add_dir(t, "bin")
    add_file(t, "bin/tool", os.urandom(150000), mode=0o4755)
    add_link(t, "bin/tool-link", "bin/tool", tarfile.LNKTYPE)
    add_link(t, "bin/to-a", "../etc/a", tarfile.SYMTYPE)

with layer(2) as t:
    add_file(t, "etc/a", b"a v2\n")
    add_file(t, "etc/.wh.b", b"")
    add_file(t, "opt/.wh.gone", b"")

with layer(3) as t:
    add_file(t, "var/data/.wh..wh..opq", b"")
    add_dir(t, "var/data/new", mode=0o700, uid=42, gid=43)
    add_file(t, "var/data/new/file", b"fresh\n")
