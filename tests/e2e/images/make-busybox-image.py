#!/usr/bin/env python3
"""Builds the lab's sample image as an oci-archive from Debian's busybox-static: two layers
(busybox with its applet links; /etc, /srv and a home), User "app" (uid 1000, in groups
"extra" and "other" as well), Env, WorkingDir /srv and a Cmd that greets.

    make-busybox-image.py OUT.tar [BUSYBOX] [--add PATH:DEST]...

--add puts an extra executable in a third layer (the network scenario adds krata-nettool).

Deterministic: fixed mtimes, sorted entries, so the manifest digest only changes with busybox."""
import gzip
import hashlib
import io
import json
import sys
import tarfile

args = sys.argv[1:]
extras = []
while "--add" in args:
    i = args.index("--add")
    path, dest = args[i + 1].split(":", 1)
    extras.append((path, dest.lstrip("/")))
    del args[i:i + 2]
out = args[0]
busybox = args[1] if len(args) > 1 else "/bin/busybox"
MTIME = 1700000000
APPLETS = ["sh", "echo", "cat", "id", "pwd", "env", "sleep", "ls", "mkdir", "touch", "rm", "grep",
           "kill", "ps", "dd", "wc", "head", "seq", "stat", "sync", "true", "false", "test",
           "printf", "hostname", "uname", "mount", "df", "sha256sum", "cut", "tr", "ping", "ping6",
           "nc", "wget", "nslookup", "ip", "ifconfig", "route", "netstat"]


def member(tar, name, data=None, mode=0o644, uid=0, gid=0, kind=tarfile.REGTYPE, link=""):
    info = tarfile.TarInfo(name)
    info.mtime, info.mode, info.uid, info.gid, info.type, info.linkname = MTIME, mode, uid, gid, kind, link
    if data is not None:
        info.size = len(data)
        tar.addfile(info, io.BytesIO(data))
    else:
        tar.addfile(info)


def layer(fill):
    raw = io.BytesIO()
    with tarfile.open(fileobj=raw, mode="w", format=tarfile.PAX_FORMAT) as tar:
        fill(tar)
    tar_bytes = raw.getvalue()
    gz = gzip.compress(tar_bytes, compresslevel=6, mtime=0)
    return gz, "sha256:" + hashlib.sha256(tar_bytes).hexdigest()


def base(tar):
    member(tar, "bin", mode=0o755, kind=tarfile.DIRTYPE)
    member(tar, "bin/busybox", open(busybox, "rb").read(), mode=0o755)
    for a in sorted(APPLETS):
        member(tar, f"bin/{a}", kind=tarfile.SYMTYPE, link="busybox", mode=0o777)


def etc(tar):
    member(tar, "etc", mode=0o755, kind=tarfile.DIRTYPE)
    member(tar, "etc/passwd", b"root:x:0:0:root:/root:/bin/sh\n"
           b"app:x:1000:1000:App User:/home/app:/bin/sh\n")
    member(tar, "etc/group", b"root:x:0:\napp:x:1000:\nextra:x:2000:app\nother:x:3000:root,app\n")
    member(tar, "home", mode=0o755, kind=tarfile.DIRTYPE)
    member(tar, "home/app", mode=0o755, uid=1000, gid=1000, kind=tarfile.DIRTYPE)
    member(tar, "root", mode=0o700, kind=tarfile.DIRTYPE)
    member(tar, "srv", mode=0o777, kind=tarfile.DIRTYPE)
    member(tar, "srv/motd", b"served from the image\n")
    member(tar, "tmp", mode=0o1777, kind=tarfile.DIRTYPE)


blobs = {}


def blob(data, media_type):
    digest = "sha256:" + hashlib.sha256(data).hexdigest()
    blobs[digest] = data
    return {"mediaType": media_type, "digest": digest, "size": len(data)}


def extra(tar):
    dirs = sorted({d for _, dest in extras for d in [dest.rsplit("/", 1)[0]] if "/" in dest})
    for d in dirs:
        member(tar, d, mode=0o755, kind=tarfile.DIRTYPE)
    for path, dest in extras:
        member(tar, dest, open(path, "rb").read(), mode=0o755)


layers = [layer(base), layer(etc)] + ([layer(extra)] if extras else [])
config = {
    "architecture": "amd64", "os": "linux", "created": "2023-11-14T22:13:20Z",
    "config": {"User": "app", "Env": ["PATH=/bin", "FOO=from-image", "BAR=image"],
               "WorkingDir": "/srv", "Cmd": ["sh", "-c", "echo hello from busybox"]},
    "rootfs": {"type": "layers", "diff_ids": [d for _, d in layers]},
}
manifest = {
    "schemaVersion": 2, "mediaType": "application/vnd.oci.image.manifest.v1+json",
    "config": blob(json.dumps(config, sort_keys=True).encode(), "application/vnd.oci.image.config.v1+json"),
    "layers": [blob(gz, "application/vnd.oci.image.layer.v1.tar+gzip") for gz, _ in layers],
}
mdesc = blob(json.dumps(manifest, sort_keys=True).encode(), "application/vnd.oci.image.manifest.v1+json")
mdesc["annotations"] = {"org.opencontainers.image.ref.name": "latest"}
index = {"schemaVersion": 2, "mediaType": "application/vnd.oci.image.index.v1+json", "manifests": [mdesc]}

with tarfile.open(out, "w", format=tarfile.PAX_FORMAT) as tar:
    member(tar, "oci-layout", json.dumps({"imageLayoutVersion": "1.0.0"}).encode())
    member(tar, "index.json", json.dumps(index, sort_keys=True).encode())
    member(tar, "blobs", mode=0o755, kind=tarfile.DIRTYPE)
    member(tar, "blobs/sha256", mode=0o755, kind=tarfile.DIRTYPE)
    for digest in sorted(blobs):
        member(tar, "blobs/sha256/" + digest.split(":")[1], blobs[digest])
print(mdesc["digest"])
