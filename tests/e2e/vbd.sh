# lab-timeout: 420
# Scenario vbd: files handed to a guest as read-only disks. krata-boot --disk puts each file on
# a read-only loop device (our own loop ioctls) and declares a vbd for dom0's blkback (no
# hotplug script: physical-device is written up front). The guest loads xen-blkfront, prints
# the checksum of /dev/xvda and /dev/xvdb and tries to write to xvda. After destroy no loop
# device, no vbd backend directory and no domain may be left. A second guest stays up and is
# destroyed while blkfront is connected: the close handshake (backend state 5 -> 6) must
# complete within its bound and leave nothing either. A third goes through the zone runtime
# (krata-boot --runtime): config disk, graceful shutdown request, exit report, destroy.
. /lab/lib.sh

# Two disks with known content (random, so a wrong or stale device cannot match by chance).
dd if=/dev/urandom of=/tmp/disk-a.img bs=4096 count=256 2>/dev/null
dd if=/dev/urandom of=/tmp/disk-b.img bs=4096 count=16 2>/dev/null
sum_a=$(sha256sum /tmp/disk-a.img | cut -d' ' -f1)
sum_b=$(sha256sum /tmp/disk-b.img | cut -d' ' -f1)

# The guest: static busybox, xen-blkfront from dom0's modules (same Debian kernel; lab/build-image
# carries it for guests without loading it), an /init that reports on the console and powers
# off (or, with "stay" on its cmdline, idles).
blkfront=$(find /lib/modules/"$(uname -r)" -name 'xen-blkfront.ko*' | head -1)
check_contains "dom0 carries xen-blkfront for guests" "xen-blkfront.ko" "$blkfront"
g=/tmp/guest
mkdir -p $g/bin $g/dev $g/proc $g/sys
cp /bin/busybox $g/bin/busybox
cp "$blkfront" $g/xen-blkfront.ko
cp /opt/krata/bin/krata-xs $g/bin/krata-xs
mkdir -p $g/sbin
# What the guest kernel runs on a xenstore control/shutdown request (drivers/xen/manage.c):
# report exit code 42 as krata-zone would, then power off.
cat > $g/sbin/poweroff <<'POWEROFF'
#!/bin/busybox sh
/bin/krata-xs write krata/zone/exit-code 42
/bin/busybox poweroff -f
POWEROFF
chmod 755 $g/sbin/poweroff
cat > $g/init <<'INIT'
#!/bin/busybox sh
/bin/busybox --install -s /bin
mount -t devtmpfs dev /dev
mount -t proc proc /proc
mount -t sysfs sys /sys
insmod /xen-blkfront.ko && echo "@@GUEST_BLKFRONT_LOADED"
i=0
while [ ! -b /dev/xvdb ] && [ $i -lt 300 ]; do i=$((i + 1)); sleep 0.1; done
echo "@@GUEST_DISKS $(cd /sys/block && ls -d xvd* | tr '\n' ' ')"
echo "@@GUEST_XVDA_SHA256 $(sha256sum /dev/xvda | cut -d' ' -f1)"
echo "@@GUEST_XVDB_SHA256 $(sha256sum /dev/xvdb | cut -d' ' -f1)"
echo "@@GUEST_XVDA_RO $(cat /sys/block/xvda/ro)"
if echo overwrite | dd of=/dev/xvda bs=512 count=1 conv=notrunc,fsync 2>/dev/null; then
  echo "@@GUEST_WRITE_SUCCEEDED"
else
  echo "@@GUEST_WRITE_REFUSED"
fi
if grep -q krata-runtime /proc/cmdline; then
  # Launched by the zone runtime: xvdb is its config disk.
  echo "@@GUEST_XVDB_MAGIC $(dd if=/dev/xvdb bs=8 count=1 2>/dev/null)"
fi
if grep -q stay /proc/cmdline; then
  echo "@@GUEST_IDLE"
  exec sleep 100000
fi
/bin/busybox poweroff -f
INIT
chmod 755 $g/init
(cd $g && find . | cpio -o -H newc 2>/dev/null) > /tmp/guest.cpio

domains() { xl list | tail -n +2 | awk '{print $1"/"$2}' | sort | tr '\n' ' '; }
# Attached loop devices, from sysfs (what losetup -a reads).
loops() { cat /sys/block/loop*/loop/backing_file 2>/dev/null | tr '\n' ' '; }
before_domains=$(domains)
check_eq "no loop device attached before" "" "$(loops)"

out=$(krata-boot --memory 128 --timeout 180 --disk /tmp/disk-a.img --disk /tmp/disk-b.img \
      /lab/assets/vmlinuz /tmp/guest.cpio "console=hvc0 loglevel=4" 2>/tmp/boot.err); rc=$?
cat /tmp/boot.err
echo "$out" | grep -v '^\[' | tail -20
domid=$(sed -n 's/^krata-boot: domain \([0-9]*\) running.*/\1/p' /tmp/boot.err | head -1)
marker() { echo "$out" | grep -m1 "^$1" | tr -d '\r'; }
check_eq "krata-boot exits 0 after the guest powers off" 0 "$rc"
check_contains "disk a on a loop device" "disk xvda = /dev/loop" "$(grep 'disk xvda' /tmp/boot.err)"
check_eq "guest loaded xen-blkfront" "@@GUEST_BLKFRONT_LOADED" "$(marker @@GUEST_BLKFRONT_LOADED)"
check_eq "guest sees both disks" "@@GUEST_DISKS xvda xvdb " "$(marker @@GUEST_DISKS)"
check_eq "guest reads disk a intact" "@@GUEST_XVDA_SHA256 $sum_a" "$(marker @@GUEST_XVDA_SHA256)"
check_eq "guest reads disk b intact" "@@GUEST_XVDB_SHA256 $sum_b" "$(marker @@GUEST_XVDB_SHA256)"
check_eq "xvda is read-only in the guest" "@@GUEST_XVDA_RO 1" "$(marker @@GUEST_XVDA_RO)"
check_eq "guest's write to xvda is refused" "@@GUEST_WRITE_REFUSED" "$(marker @@GUEST_WRITE)"
check_eq "disk a unchanged in dom0" "$sum_a" "$(sha256sum /tmp/disk-a.img | cut -d' ' -f1)"

# after_destroy LABEL DOMID: nothing of the guest may remain.
after_destroy() {
  # blkback lets go of a loop device asynchronously once its nodes are gone; autoclear then
  # frees it. Bounded wait.
  i=0
  while [ -n "$(loops)" ] && [ $i -lt 50 ]; do i=$((i + 1)); sleep 0.1; done
  echo "$1: loops gone after ${i} x 0.1 s"
  check_eq "$1: no loop device left" "" "$(loops)"
  check_eq "$1: losetup -a lists nothing" "" "$(losetup -a 2>/dev/null)"
  check_eq "$1: no vbd backend directory left" "no" \
    "$(xenstore-exists /local/domain/0/backend/vbd/${2:-none} && echo yes || echo no)"
  check_eq "$1: no /local/domain/<domid> left" "no" \
    "$(xenstore-exists /local/domain/${2:-none} && echo yes || echo no)"
  check_eq "$1: domain list as before" "$before_domains" "$(domains)"
}
after_destroy "after poweroff" "$domid"

# Destroy while the guest runs with both disks connected: krata-boot destroys it as soon as
# the guest prints @@GUEST_IDLE. blkfront must answer the close handshake in time.
out=$(krata-boot --memory 128 --timeout 180 --disk /tmp/disk-a.img --disk /tmp/disk-b.img \
      --destroy-on @@GUEST_IDLE /lab/assets/vmlinuz /tmp/guest.cpio \
      "console=hvc0 loglevel=4 stay" 2>/tmp/boot2.err); rc=$?
cat /tmp/boot2.err
domid=$(sed -n 's/^krata-boot: domain \([0-9]*\) running.*/\1/p' /tmp/boot2.err | head -1)
check_eq "running guest: krata-boot exits 0" 0 "$rc"
check_eq "running guest: read its disk first" "@@GUEST_XVDA_SHA256 $sum_a" "$(marker @@GUEST_XVDA_SHA256)"
check_contains "running guest: destroyed while running" "marker seen, destroying it" \
  "$(grep 'marker seen' /tmp/boot2.err)"
check_eq "running guest: blkback closed within the bound" "" \
  "$(grep 'did not close' /tmp/boot2.err)"
after_destroy "after destroying a running guest" "$domid"

# The zone runtime (what kratad uses): image as xvda, its own config disk as xvdb, a graceful
# shutdown request (control/shutdown), the guest's exit report, destroy.
out=$(krata-boot --runtime /tmp/krata-store --disk /tmp/disk-a.img --shutdown-on @@GUEST_IDLE \
      --memory 128 --timeout 180 /lab/assets/vmlinuz /tmp/guest.cpio \
      "loglevel=4 stay krata-runtime" 2>/tmp/boot3.err); rc=$?
cat /tmp/boot3.err
domid=$(sed -n 's/^krata-boot: zone .* running as domain \([0-9]*\) (runtime)$/\1/p' /tmp/boot3.err)
check_eq "runtime: krata-boot exits 0" 0 "$rc"
check_eq "runtime: image is xvda" "@@GUEST_XVDA_SHA256 $sum_a" "$(marker @@GUEST_XVDA_SHA256)"
check_eq "runtime: config disk is xvdb" "@@GUEST_XVDB_MAGIC KRATACF1" "$(marker @@GUEST_XVDB_MAGIC)"
check_eq "runtime: xvda read-only" "@@GUEST_WRITE_REFUSED" "$(marker @@GUEST_WRITE)"
check_contains "runtime: graceful shutdown requested" "shutdown requested" \
  "$(grep 'shutdown requested' /tmp/boot3.err)"
check_contains "runtime: guest's exit report read back" "zone exited with code 42 signal 0" \
  "$(grep 'zone exited' /tmp/boot3.err)"
after_destroy "after the runtime's destroy" "$domid"
check_eq "runtime: zone directory removed" "" "$(ls /tmp/krata-store/zones 2>&1)"

finish "two read-only disks via our loop devices and blkback; checksums match; writes refused; nothing left after poweroff, destroy of a running guest, or a runtime destroy"
