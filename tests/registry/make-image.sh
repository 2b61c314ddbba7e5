#!/bin/bash
# Builds a tiny OCI image with umoci and pushes it to a test registry with skopeo.
#   make-image.sh WORKDIR DEST [CREDS]
# WORKDIR: scratch directory (layout and rootfs go there). DEST: 127.0.0.1:PORT/repo:tag.
# CREDS: USER:PASS for the registry. The image has two layers: /etc/hello and /bin/data
# (WORKDIR's name in /etc/hello makes every image distinct).
set -euo pipefail
work=${1:?usage: make-image.sh WORKDIR DEST [CREDS]}
dest=${2:?usage: make-image.sh WORKDIR DEST [CREDS]}
creds=${3:-}
mkdir -p "$work/rootfs1/etc" "$work/rootfs2/bin"
echo "hello from $work" > "$work/rootfs1/etc/hello"
head -c 200000 /dev/urandom > "$work/rootfs2/bin/data"

layout="$work/layout"
rm -rf "$layout"
umoci init --layout "$layout" >/dev/null
umoci new --image "$layout:img" >/dev/null
umoci insert --image "$layout:img" "$work/rootfs1/etc" /etc >/dev/null
umoci insert --image "$layout:img" "$work/rootfs2/bin" /bin >/dev/null
umoci config --image "$layout:img" --config.entrypoint /bin/sh --config.cmd -c \
  --config.cmd 'cat /etc/hello' --config.env FOO=bar --config.workingdir /srv \
  --config.exposedports 80/tcp --config.label krata.test=1 --config.user 1000:1000 >/dev/null

policy="$work/policy.json"
echo '{"default":[{"type":"insecureAcceptAnything"}]}' > "$policy"
args=(--policy "$policy" copy -q --dest-tls-verify=false)
[[ -n "$creds" ]] && args+=(--dest-creds "$creds")
skopeo "${args[@]}" "oci:$layout:img" "docker://$dest"

# With MULTI_DEST set, also push a two-platform OCI index (linux/amd64 = the image above,
# linux/arm64/v8 = the same layers with an arm64 config) to MULTI_DEST.
if [[ -n "${MULTI_DEST:-}" ]]; then
  umoci config --image "$layout:img" --tag img-arm64 --architecture arm64 \
    --config.label krata.arch=arm64 >/dev/null
  python3 - "$layout" <<'PY'
import hashlib, json, os, sys
layout = sys.argv[1]
with open(os.path.join(layout, "index.json")) as f:
    top = json.load(f)
by_tag = {m["annotations"]["org.opencontainers.image.ref.name"]: m for m in top["manifests"]}
def entry(tag, arch, variant=None):
    d = dict(by_tag[tag])
    d.pop("annotations", None)
    d["platform"] = {"os": "linux", "architecture": arch}
    if variant:
        d["platform"]["variant"] = variant
    return d
nested = {"schemaVersion": 2, "mediaType": "application/vnd.oci.image.index.v1+json",
          "manifests": [entry("img-arm64", "arm64", "v8"), entry("img", "amd64")]}
blob = json.dumps(nested).encode()
digest = hashlib.sha256(blob).hexdigest()
with open(os.path.join(layout, "blobs", "sha256", digest), "wb") as f:
    f.write(blob)
top["manifests"].append({"mediaType": "application/vnd.oci.image.index.v1+json",
                         "digest": "sha256:" + digest, "size": len(blob),
                         "annotations": {"org.opencontainers.image.ref.name": "multi"}})
with open(os.path.join(layout, "index.json"), "w") as f:
    json.dump(top, f)
PY
  skopeo "${args[@]}" --all "oci:$layout:multi" "docker://$MULTI_DEST"
fi
