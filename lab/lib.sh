# lab/lib.sh: settings shared by the lab scripts (sourced, bash).
# Everything the lab builds goes under $LAB_DIR (default build/lab); nothing outside the repo.
set -euo pipefail
LAB_SRC=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
REPO=$(cd "$LAB_SRC/.." && pwd)
BUILD_DIR=${KRATA_BUILD_DIR:-$REPO/build}
LAB_DIR=${KRATA_LAB_DIR:-$BUILD_DIR/lab}
XEN_VER=4.17
XEN_BIN=/usr/lib/xen-$XEN_VER/bin
XEN_GZ=/boot/xen-$XEN_VER-amd64.gz

# The kernel Debian's linux-image-amd64 points at (dom0 and, later, zones use it).
lab_kver() {
  local dep
  dep=$(dpkg-query -W -f='${Depends}' linux-image-amd64 2>/dev/null | grep -o 'linux-image-[^ ,]*' | head -1)
  if [ -n "$dep" ]; then echo "${dep#linux-image-}"; return; fi
  ls /boot/vmlinuz-*-amd64 | sed 's|/boot/vmlinuz-||' | sort -V | tail -1
}
KVER=${KVER:-$(lab_kver)}
VMLINUZ=/boot/vmlinuz-$KVER

# Machine shape. Scenarios read these from lab.env to check what Xen reports.
LAB_CPUS=${LAB_CPUS:-2}
LAB_MEM_MB=${LAB_MEM_MB:-1536}
LAB_DOM0_MEM_MB=${LAB_DOM0_MEM_MB:-512}

log() { printf 'lab: %s\n' "$*" >&2; }
die() { printf 'lab: error: %s\n' "$*" >&2; exit 2; }
