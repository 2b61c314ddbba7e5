# lab-timeout: 900
# lab-option: busybox-image
# Scenario zones (issue 5): kratad and kratactl run OCI images as Xen zones. The sample image
# (tests/e2e/images/make-busybox-image.py: busybox, User app = uid 1000 in groups 2000 and
# 3000, Env FOO/BAR, WorkingDir /srv) is pulled from an oci-archive, packed, and launched with
# our own domain builder, devices and guest init. After every case: no domain, loop device or
# xenstore node is left, and `kratactl zone list` agrees with Xen.
. /lab/lib.sh

IMG=oci-archive:/lab/assets/busybox.tar
start_kratad
check_eq "kratad answers" 0 "$(kratactl zone list >/dev/null 2>&1; echo $?)"

out=$(kratactl image pull $IMG 2>&1); rc=$?
echo "$out"
check_eq "image pull exits 0" 0 "$rc"
check_contains "image pull prints the digest" "sha256:" "$out"

domains() { xl list | tail -n +2 | awk '{print $1}' | sort | tr '\n' ' '; }
loops() { for f in /sys/block/loop*/loop/backing_file; do [ -f "$f" ] && cat "$f"; done | tr '\n' ' '; }
zones_in_xenstore() { xenstore-ls /local/domain 2>/dev/null | grep -c '^[0-9]'; }
backends() { xenstore-ls /local/domain/0/backend 2>/dev/null | grep -c '^ *[0-9]'; }
# After each case: only dom0, no loop device, no backend, no running zone in the list.
clean_after() {
  check_eq "$1: only Domain-0 left" "Domain-0 " "$(domains)"
  check_eq "$1: no loop device left" "" "$(loops)"
  check_eq "$1: no /local/domain/N left" "1" "$(zones_in_xenstore)"
  check_eq "$1: no device backend left" "0" "$(backends)"
  check_eq "$1: zone list shows no running zone" "" \
    "$(kratactl zone list --format json | grep -o '"state":"[a-z_]*"' | grep -v 'exited' | tr '\n' ' ')"
}

run_case() {  # run_case NAME ARGS...: sets $out and $rc
  name=$1; shift
  echo "== $name: kratactl zone launch --attach $*"
  out=$(kratactl zone launch --attach "$@" 2>&1); rc=$?
  echo "$out" | tail -20
}

run_case echo -m 128 $IMG -- echo hello-from-a-zone
check_eq "echo: exit 0" 0 "$rc"
check_contains "echo: output through --attach" "hello-from-a-zone" "$out"
clean_after echo

run_case exit7 -m 128 $IMG -- sh -c 'exit 7'
check_eq "exit 7 propagates" 7 "$rc"
clean_after exit7

run_case signal -m 128 $IMG -- sh -c 'kill -KILL $$'
check_eq "signal death: 128+9" 137 "$rc"
check_contains "signal death is reported as such" "signal 9" "$out"
clean_after signal

run_case image-defaults -m 128 $IMG -- sh -c 'echo "uid=$(id -u) groups=$(id -G) env=$FOO,$BAR cwd=$(pwd) home=$HOME"'
check_contains "image User, groups, Env, WorkingDir" \
  "uid=1000 groups=1000 2000 3000 env=from-image,image cwd=/srv home=/home/app" "$out"
clean_after image-defaults

run_case overrides -m 128 -e FOO=from-cli -w /tmp -u root $IMG -- sh -c 'echo "uid=$(id -u) env=$FOO,$BAR cwd=$(pwd)"'
check_contains "-e, -w, -u override the image" "uid=0 env=from-cli,image cwd=/tmp" "$out"
clean_after overrides

image_file=$(ls $STORE/cache/image/*.squashfs | head -1)
before=$(sha256sum "$image_file" | cut -d' ' -f1)
run_case writes -m 128 -u root $IMG -- sh -c 'echo new > /newfile && echo changed > /srv/motd && cat /newfile /srv/motd && rm /bin/cat && ls /bin/cat 2>&1; echo done'
check_contains "files written under / exist until exit" "new" "$out"
check_contains "an image file can be overwritten" "changed" "$out"
check_contains "an image file can be removed" "No such file" "$out"
check_eq "the image file is untouched" "$before" "$(sha256sum "$image_file" | cut -d' ' -f1)"
run_case writes-again -m 128 $IMG -- sh -c 'cat /newfile 2>&1; cat /srv/motd'
check_contains "writes do not survive the zone" "No such file" "$out"
check_contains "the next zone sees the image's file" "served from the image" "$out"
clean_after writes

# Graceful stop: the workload traps SIGTERM and prints a marker; zone destroy must deliver it
# within the grace period (the loop only ends through the trap).
echo "== destroy delivers SIGTERM"
kratactl zone launch -n trapper -m 128 $IMG -- sh -c 'trap "echo got-sigterm; exit 3" TERM; echo trap-ready; while true; do sleep 1; done' > /tmp/trapper.id 2>&1
check_eq "launch without --attach prints the zone id" 36 "$(head -1 /tmp/trapper.id | tr -d '\n' | wc -c)"
kratactl zone logs -f trapper > /tmp/trapper.log 2>&1 &
LOGS=$!
i=0
until grep -q trap-ready /tmp/trapper.log; do i=$((i + 1)); [ $i -gt 600 ] && break; sleep 0.1; done
check_contains "trapper started" "trap-ready" "$(cat /tmp/trapper.log)"
t0=$(date +%s)
kratactl zone destroy --wait trapper; rc=$?
t1=$(date +%s)
wait $LOGS 2>/dev/null
check_eq "zone destroy exits 0" 0 "$rc"
check_contains "the workload got SIGTERM" "got-sigterm" "$(cat /tmp/trapper.log)"
check_range "destroy took less than the grace period (s)" 0 9 $((t1 - t0))
check_eq "destroyed zone is gone from the list" "" "$(kratactl zone list --format json | grep -o trapper)"
clean_after destroy

kill $KRATAD; wait $KRATAD
echo "== kratad log (tail)"; tail -20 /lab/out/kratad.log
finish "zones: attach, exit codes, signals, User/Env/WorkingDir, overlay writes, graceful destroy"
