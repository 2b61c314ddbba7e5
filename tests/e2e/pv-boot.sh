# lab-timeout: 600
# Scenario pv-boot: krata's own domain builder boots Debian's compressed kernel (the xz bzImage
# from linux-image-amd64) with a tiny initramfs. Its /init prints a marker on the console and
# writes a xenstore key; our console backend must capture the marker and the key must read
# back. Destroy must leave the domain list, /local/domain, dom0's event channels and free
# memory as they were, also after ten launch/destroy cycles in one process.
. /lab/lib.sh

# The guest: static busybox + our static xenstore client, and an /init that reports and
# powers off.
g=/tmp/guest
mkdir -p $g/bin $g/dev $g/proc $g/sys
cp /bin/busybox $g/bin/busybox
cp /opt/krata/bin/krata-xs $g/bin/krata-xs
cat > $g/init <<'INIT'
#!/bin/busybox sh
/bin/busybox mount -t devtmpfs dev /dev
/bin/busybox mount -t proc proc /proc
echo "@@GUEST_MARKER hello-from-a-krata-pv-guest"
/bin/krata-xs write data/marker krata-pv-boot-ok && echo "@@GUEST_KEY_WRITTEN"
/bin/busybox poweroff -f
INIT
chmod 755 $g/init
(cd $g && find . | cpio -o -H newc 2>/dev/null) > /tmp/guest.cpio
check_range "guest initramfs built" 100000 100000000 "$(wc -c < /tmp/guest.cpio)"

domains() { xl list | tail -n +2 | awk '{print $1"/"$2}' | sort | tr '\n' ' '; }
local_domains() { xenstore-ls /local/domain 2>/dev/null | grep -c '^[^ ]' ; }
evtchns() { lsevtchn 0 2>/dev/null | wc -l; }
free_mem() { json_field "$(kratactl host status --format json)" free_memory_bytes; }
before_domains=$(domains); before_xs=$(xenstore-list /local/domain | tr '\n' ' ')
before_evtchn=$(evtchns); before_free=$(free_mem)
echo "before: domains [$before_domains] /local/domain [$before_xs] dom0 evtchns $before_evtchn free $before_free"

# One boot of Debian's own xz-compressed bzImage.
out=$(krata-boot --memory 128 --timeout 120 --dump-data /lab/assets/vmlinuz /tmp/guest.cpio \
      "console=hvc0 loglevel=4" 2>/tmp/boot.err); rc=$?
cat /tmp/boot.err
echo "$out" | tail -25
check_eq "krata-boot exits 0 after the guest powers off" 0 "$rc"
check_contains "console backend captured the guest's marker" "@@GUEST_MARKER hello-from-a-krata-pv-guest" "$out"
check_contains "guest ran its xenstore write" "@@GUEST_KEY_WRITTEN" "$out"
check_contains "guest's xenstore key read back" "xenstore data/marker = krata-pv-boot-ok" "$out"
check_contains "kernel was the compressed bzImage" "domain" "$(grep 'running (kernel load' /tmp/boot.err)"
check_contains "guest shut down by poweroff" "shut down (poweroff)" "$(cat /tmp/boot.err)"

# after_state LABEL FREE_LOW FREE_HIGH
after_state() {
  check_eq "$1: domain list as before" "$before_domains" "$(domains)"
  check_eq "$1: /local/domain as before" "$before_xs" "$(xenstore-list /local/domain | tr '\n' ' ')"
  check_eq "$1: dom0 event channels as before" "$before_evtchn" "$(evtchns)"
  check_range "$1: free memory (physinfo)" "$2" "$3" "$(free_mem)"
}
# The first guest costs dom0 a few pages for good: Xen grows dom0's grant maptrack table and
# event-channel buckets on first use and keeps them. Allow 4 pages once, then nothing more.
after_state "after one boot" $((before_free - 4 * 4096)) "$before_free"
warm_free=$(free_mem)

# Ten launch/destroy cycles in one process: leaks of grant mappings or event channels in our
# process would pile up here.
krata-boot --cycles 10 --quiet --memory 128 --timeout 120 /lab/assets/vmlinuz /tmp/guest.cpio \
  "console=hvc0 loglevel=4" 2>/tmp/cycles.err; rc=$?
tail -3 /tmp/cycles.err
check_eq "ten cycles all powered off cleanly" 0 "$rc"
check_eq "ten cycles: ten guests shut down" 10 "$(grep -c 'shut down (poweroff)' /tmp/cycles.err)"
check_contains "second run loaded the decompressed kernel from the cache" \
  "decompressed ELF from cache" "$(grep -m1 'running (kernel load' /tmp/cycles.err)"
after_state "after ten cycles" "$warm_free" "$warm_free"

# A kernel that is not a Xen PV kernel is refused with a clear error, and leaves nothing.
head -c 100000 /dev/urandom > /tmp/notakernel
err=$(krata-boot /tmp/notakernel /tmp/guest.cpio 2>&1); rc=$?
check_eq "a non-kernel is refused" 1 "$rc"
check_contains "the refusal says why" "krata-boot:" "$err"
echo "refusal: $err"
check_eq "refusal left no domain" "$before_domains" "$(domains)"

finish "Debian bzImage booted by our builder; marker and key seen; 10 cycles leak-free"
