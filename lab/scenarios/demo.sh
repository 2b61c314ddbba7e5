# lab-option: busybox-image
# Demo scenario (scripts/demo): krata inside the lab's dom0. kratad runs; kratactl pulls a
# sample image built from Debian's busybox (an oci-archive), launches it as a Xen zone with
# our own domain builder, devices and guest init, and shows its output and exit code.
. /lab/lib.sh
echo "== kratactl host status =="
out=$(kratactl host status 2>&1); rc=$?
echo "$out"
check_eq "kratactl host status exits 0" 0 "$rc"

start_kratad

IMG=oci-archive:/lab/assets/busybox.tar
echo "== kratactl image pull $IMG =="
kratactl image pull $IMG
echo "== kratactl zone launch --attach $IMG -- sh -c '...' =="
out=$(kratactl zone launch --attach -n hello -m 128 $IMG -- sh -c \
  'echo "Hello from a krata zone: $(uname -sr), $(id -un) in $(pwd), $(cat motd)"; exit 3' 2>&1); rc=$?
echo "$out" | grep -v '^\[ *[0-9.]*\]'
echo "(kratactl exited $rc, the workload's exit code)"
check_contains "the zone said hello" "Hello from a krata zone" "$out"
check_eq "kratactl exits with the workload's code" 3 "$rc"
echo "== kratactl zone list =="
kratactl zone list
kill $KRATAD 2>/dev/null
finish "kratad + kratactl launched an OCI image as a Xen zone on Xen $LAB_XEN_VERSION"
