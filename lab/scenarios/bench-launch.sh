# lab-option: xenconsoled
# lab-option: busybox-image
# lab-timeout: 900
# Benchmark bench-launch (issue 5): the time from `kratactl zone launch` to the workload's first
# output line (image already pulled and packed; kratad running), next to `xl create` of the
# same kernel and zone initramfs until its first console line, in the same boot. Median of
# BENCH_RUNS runs each, after one untimed launch that fills our decompressed-kernel cache (xl
# decompresses the kernel on every create); the ratio is printed last. xl's first line is seen
# in xenconsoled's guest log (the lab starts it with --log=guest), polled every 10 ms.
. /lab/lib.sh
RUNS=${BENCH_RUNS:-3}
IMG=oci-archive:/lab/assets/busybox.tar
start_kratad
echo "== pulling $IMG"
kratactl image pull $IMG || { echo "image pull failed"; tail /lab/out/kratad.log; exit 1; }

now_us() { awk '{printf "%d", $1 * 1000000}' /proc/uptime; }
median() { sort -n | awk '{a[NR]=$1} END {print (NR%2) ? a[(NR+1)/2] : int((a[NR/2]+a[NR/2+1])/2)}'; }

echo "== warm-up launch (fills the kernel cache)"
kratactl zone launch --attach -m 128 $IMG -- true >/dev/null 2>&1
: > /tmp/ours; : > /tmp/xl
i=0
while [ $i -lt $RUNS ]; do
  i=$((i + 1))
  echo "== run $i: kratactl zone launch"
  t0=$(now_us)
  line=$(kratactl zone launch --attach -m 128 $IMG -- echo bench-marker-$i 2>&1 | grep -m1 "bench-marker-$i")
  t1=$(now_us)
  [ -n "$line" ] || { echo "no marker from run $i"; tail -20 /lab/out/kratad.log; exit 1; }
  echo $((t1 - t0)) >> /tmp/ours
  cat > /tmp/xl.cfg <<CFG
name = "xlbench$i"
type = "pv"
kernel = "$STORE/zone/kernel"
ramdisk = "$STORE/zone/initrd"
extra = "console=hvc0"
memory = 128
vcpus = 1
on_poweroff = "destroy"
CFG
  echo "== run $i: xl create"
  t0=$(now_us)
  xl create -q /tmp/xl.cfg || { echo "xl create failed"; exit 1; }
  log=/var/log/xen/console/guest-xlbench$i.log
  n=0
  until [ -s "$log" ] && grep -q . "$log"; do
    n=$((n + 1)); [ $n -gt 6000 ] && break
    usleep 10000
  done
  t1=$(now_us)
  first=$(head -1 "$log" 2>/dev/null)
  xl destroy "xlbench$i" 2>/dev/null
  [ -n "$first" ] || { echo "xl run $i printed nothing in 60 s"; exit 1; }
  echo $((t1 - t0)) >> /tmp/xl
done
ours=$(median < /tmp/ours); xl=$(median < /tmp/xl)
echo "ours: kratactl zone launch .. first workload line, median ${ours} us (runs: $(tr '\n' ' ' < /tmp/ours))"
echo "xl: xl create .. first console line, median ${xl} us (runs: $(tr '\n' ' ' < /tmp/xl))"
check_range "a launch reaches the workload" 1 600000000 "$ours"
kill $KRATAD; wait $KRATAD
ratio=$(awk "BEGIN {printf \"%.3f\", $ours / $xl}")
finish "launch ours/xl (median of $RUNS): $ratio (ours ${ours} us to the workload's first line, xl ${xl} us to the first console line)"
