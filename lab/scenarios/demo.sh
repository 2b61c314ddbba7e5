# Demo scenario (scripts/demo): what krata can do today, shown inside the lab's dom0.
. /lab/lib.sh
echo "== kratactl host status =="
out=$(kratactl host status 2>&1); rc=$?
echo "$out"
check_eq "kratactl host status exits 0" 0 "$rc"
check_contains "reports the host domain" "Domain-0" "$out"

# A PV guest booted by krata's own domain builder from Debian's compressed kernel: busybox in
# the initramfs says hello on the console (served by our console backend) and powers off.
g=/tmp/guest
mkdir -p $g/bin $g/dev $g/proc
cp /bin/busybox $g/bin/busybox
cat > $g/init <<'INIT'
#!/bin/busybox sh
/bin/busybox mount -t proc proc /proc
echo "Hello from a Xen PV guest booted by krata: $(/bin/busybox uname -sr), $(/bin/busybox cut -d' ' -f1 /proc/uptime) s after boot"
/bin/busybox poweroff -f
INIT
chmod 755 $g/init
(cd $g && find . | cpio -o -H newc 2>/dev/null) > /tmp/guest.cpio
echo "== krata-boot $LAB_KVER bzImage + busybox initramfs =="
out=$(krata-boot --memory 128 /lab/assets/vmlinuz /tmp/guest.cpio "console=hvc0 loglevel=1" 2>&1); rc=$?
echo "$out"
check_eq "krata-boot exits 0" 0 "$rc"
check_contains "the guest said hello" "Hello from a Xen PV guest booted by krata" "$out"
finish "kratactl host status and a PV guest booted by krata on Xen $LAB_XEN_VERSION"
