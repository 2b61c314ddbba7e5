# lab-option: xenconsoled
# lab-timeout: 900
# Benchmark bench-boot: our domain build (createdomain until unpaused, measured inside
# krata-boot) against `xl create` of the same kernel and initramfs (wall time of the command,
# which returns once the domain is unpaused), several runs each in the same boot. Both get
# the same inputs twice: the ELF vmlinux, and Debian's xz bzImage (which both must
# decompress; our time for that is printed apart). The ratio is printed last.
. /lab/lib.sh
RUNS=${BENCH_RUNS:-5}
# Local copies: reading the kernels through 9p would be timed too.
cp /lab/assets/vmlinux /lab/assets/vmlinuz /tmp/

g=/tmp/guest
mkdir -p $g/bin $g/dev $g/proc
cp /bin/busybox $g/bin/busybox
printf '#!/bin/busybox sh\n/bin/busybox poweroff -f\n' > $g/init
chmod 755 $g/init
(cd $g && find . | cpio -o -H newc 2>/dev/null) > /tmp/guest.cpio

# busybox date has no %N: /proc/uptime gives 10 ms resolution, enough for runs of 0.1-10 s.
now_us() { awk '{printf "%d", $1 * 1000000}' /proc/uptime; }
median() { sort -n | awk '{a[NR]=$1} END {print (NR%2) ? a[(NR+1)/2] : int((a[NR/2]+a[NR/2+1])/2)}'; }

bench_kernel() {  # KERNEL LABEL
  : > /tmp/ours; : > /tmp/ours_wall; : > /tmp/xl
  i=0
  while [ $i -lt $RUNS ]; do
    i=$((i + 1))
    t0=$(now_us)
    krata-boot --bench --memory 128 "$1" /tmp/guest.cpio "console=hvc0" 2>/tmp/b.err || { cat /tmp/b.err; return 1; }
    t1=$(now_us)
    sed -n 's/.*build-us \([0-9]*\).*/\1/p' /tmp/b.err >> /tmp/ours
    echo $((t1 - t0)) >> /tmp/ours_wall
    cat > /tmp/xl.cfg <<CFG
name = "xlbench$i"
type = "pv"
kernel = "$1"
ramdisk = "/tmp/guest.cpio"
extra = "console=hvc0"
memory = 128
vcpus = 1
on_poweroff = "destroy"
CFG
    t0=$(now_us)
    xl create -q /tmp/xl.cfg >/tmp/xl.out 2>&1 || { cat /tmp/xl.out; return 1; }
    t1=$(now_us)
    echo $((t1 - t0)) >> /tmp/xl
    xl destroy "xlbench$i" 2>/dev/null
  done
  ours=$(median < /tmp/ours); wall=$(median < /tmp/ours_wall); xl=$(median < /tmp/xl)
  echo "$2: ours createdomain..unpause median ${ours} us (runs: $(tr '\n' ' ' < /tmp/ours))"
  echo "$2: ours krata-boot --bench whole command median ${wall} us"
  echo "$2: xl create median ${xl} us (runs: $(tr '\n' ' ' < /tmp/xl))"
  eval "${3}_ours=$ours; ${3}_wall=$wall; ${3}_xl=$xl"
}

bench_kernel /tmp/vmlinux "ELF vmlinux" elf || exit 1
RUNS=${BENCH_BZ_RUNS:-3} bench_kernel /tmp/vmlinuz "xz bzImage" bz || exit 1
check_range "our build is faster than xl create (ELF kernel)" 1 "$elf_xl" "$elf_ours"
ratio=$(awk "BEGIN {printf \"%.3f\", $elf_ours / $elf_xl}")
ratio_bz=$(awk "BEGIN {printf \"%.3f\", $bz_ours / $bz_xl}")
ratio_bz_wall=$(awk "BEGIN {printf \"%.3f\", $bz_wall / $bz_xl}")
echo "bzImage: ours createdomain..unpause / xl create = $ratio_bz; whole krata-boot (with xz decompression) / xl create = $ratio_bz_wall"
finish "build time ours/xl (ELF vmlinux, median of $RUNS): $ratio (ours ${elf_ours} us, xl ${elf_xl} us)"
