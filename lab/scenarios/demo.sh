# Demo scenario (scripts/demo): what krata can do today, shown inside the lab's dom0.
. /lab/lib.sh
echo "== kratactl host status =="
out=$(kratactl host status 2>&1); rc=$?
echo "$out"
check_eq "kratactl host status exits 0" 0 "$rc"
check_contains "reports the host domain" "Domain-0" "$out"
finish "kratactl host status on Xen $LAB_XEN_VERSION"
