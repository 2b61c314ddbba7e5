#!/bin/bash
# Builds a three-layer OCI image and pushes it to a test registry with skopeo.
#   make-layered-image.sh WORKDIR DEST [CREDS]
# The layer tars are written by make-layers.py (umoci 0.4.7's `insert` here writes tars that
# end without padding or end-of-archive blocks, which the packer rightly rejects) and added
# with `umoci raw add-layer`. Leaves the image in WORKDIR/layout:img.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
work=${1:?usage: make-layered-image.sh WORKDIR DEST}
dest=${2:?usage: make-layered-image.sh WORKDIR DEST [CREDS]}
creds=${3:-}
mkdir -p "$work"
python3 "$here/make-layers.py" "$work"

layout="$work/layout"
rm -rf "$layout"
umoci init --layout "$layout" >/dev/null
umoci new --image "$layout:img" >/dev/null
for i in 1 2 3; do
  umoci raw add-layer --image "$layout:img" "$work/layer$i.tar" >/dev/null
done

policy="$work/policy.json"
echo '{"default":[{"type":"insecureAcceptAnything"}]}' > "$policy"
args=(--policy "$policy" copy -q --dest-tls-verify=false)
[[ -n "$creds" ]] && args+=(--dest-creds "$creds")
skopeo "${args[@]}" "oci:$layout:img" "docker://$dest"
