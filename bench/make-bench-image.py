#!/usr/bin/env python3
"""Writes the layers of the pack benchmark's image: about SIZE_MIB of real files taken from
this machine's /usr (binaries, libraries, text), spread over four layers (uncompressed tars; umoci gzips them), with the
cases a merge must handle (a file replaced, a whiteout, an opaque directory, a hardlink).

    make-bench-image.py OUTDIR [SIZE_MIB]

Writes OUTDIR/layer1.tar .. layer4.tar. Deterministic for a given machine."""
import os
import sys
import subprocess

out = os.path.abspath(sys.argv[1])
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


picked, total = [], 0
for p in files():
    size = os.path.getsize(p)
    if size > 32 << 20:
        continue
    picked.append(p)
    total += size
    if total >= budget:
        break

# GNU tar writes the layers (umoci's Go tar reader is strict about headers).
layers = [picked[i::3] for i in range(3)]
for i, group in enumerate(layers, start=1):
    extra = os.path.join(out, f"extra{i}")
    os.makedirs(os.path.join(extra, "etc"), exist_ok=True)
    with open(os.path.join(extra, "etc/version"), "w") as f:
        f.write(f"layer {i}\n")
    subprocess.run(["cp", "-a", "/usr/share/doc/bash", os.path.join(extra, f"layer{i}")], check=True)
    listing = os.path.join(out, f"list{i}")
    with open(listing, "w") as f:
        f.write("\n".join(p.lstrip("/") for p in group) + "\n")
    subprocess.run(["tar", "-cf", f"{out}/layer{i}.tar", "--mtime=@1700000000",
                    "-C", "/", "--no-recursion", "-T", listing,
                    "-C", extra, "--recursion", "etc", f"layer{i}"], check=True)
# Layer 4: replace, whiteout, opaque dir, hardlink.
l4 = os.path.join(out, "extra4")
os.makedirs(os.path.join(l4, "etc"), exist_ok=True)
os.makedirs(os.path.join(l4, "layer1"), exist_ok=True)
os.makedirs(os.path.join(l4, "layer2/doc"), exist_ok=True)
with open(os.path.join(l4, "etc/version"), "w") as f:
    f.write("layer 4\n")
os.link(os.path.join(l4, "etc/version"), os.path.join(l4, "etc/version-link"))
open(os.path.join(l4, "layer1/.wh.doc"), "w").close()
open(os.path.join(l4, "layer2/doc/.wh..wh..opq"), "w").close()
subprocess.run(["tar", "-cf", f"{out}/layer4.tar", "--mtime=@1700000000", "-C", l4,
                "etc", "layer1", "layer2"], check=True)
print(f"{len(picked)} files, {total >> 20} MiB in 4 layers")
