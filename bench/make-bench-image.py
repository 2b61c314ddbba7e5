#!/usr/bin/env python3
"""Writes the layers of the pack benchmark's image: about SIZE_MIB of real files taken from
this machine's /usr (binaries, libraries, text), spread over four gzip layers, with the
cases a merge must handle (a file replaced, a whiteout, an opaque directory, a hardlink).

    make-bench-image.py OUTDIR [SIZE_MIB]

Writes OUTDIR/layer1.tar.gz .. layer4.tar.gz. Deterministic for a given machine."""
import gzip
import io
import os
import sys
import tarfile

out = sys.argv[1]
budget = int(sys.argv[2] if len(sys.argv) > 2 else 200) << 20
roots = ["/usr/lib/x86_64-linux-gnu", "/usr/bin", "/usr/share/doc", "/usr/share/locale"]


def files():
    for root in roots:
        for d, dirs, names in os.walk(root):
            dirs.sort()
            for n in sorted(names):
                p = os.path.join(d, n)
                if os.path.isfile(p) and not os.path.islink(p):
                    yield p


def add_bytes(tar, name, data, mode=0o644):
    info = tarfile.TarInfo(name)
    info.size = len(data)
    info.mode = mode
    info.mtime = 1700000000
    tar.addfile(info, io.BytesIO(data))


picked, total = [], 0
for p in files():
    size = os.path.getsize(p)
    if size > 32 << 20:
        continue
    picked.append(p)
    total += size
    if total >= budget:
        break

layers = [picked[i::3] for i in range(3)]
for i, group in enumerate(layers, start=1):
    with gzip.open(f"{out}/layer{i}.tar.gz", "wb", compresslevel=6) as gz:
        with tarfile.open(fileobj=gz, mode="w", format=tarfile.PAX_FORMAT) as tar:
            tar.add("/usr/share/doc/bash", arcname=f"layer{i}/doc", recursive=True)
            for p in group:
                tar.add(p, arcname=p.lstrip("/"), recursive=False)
            add_bytes(tar, "etc/version", f"layer {i}\n".encode())
# Layer 4: replace, whiteout, opaque dir, hardlink.
with gzip.open(f"{out}/layer4.tar.gz", "wb") as gz:
    with tarfile.open(fileobj=gz, mode="w", format=tarfile.PAX_FORMAT) as tar:
        add_bytes(tar, "etc/version", b"layer 4\n")
        add_bytes(tar, "layer1/.wh.doc", b"")
        add_bytes(tar, "layer2/doc/.wh..wh..opq", b"")
        link = tarfile.TarInfo("etc/version-link")
        link.type = tarfile.LNKTYPE
        link.linkname = "etc/version"
        tar.addfile(link)
print(f"{len(picked)} files, {total >> 20} MiB in 4 layers")
