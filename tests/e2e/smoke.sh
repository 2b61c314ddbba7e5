# Scenario smoke: our first product code on real Xen. `kratactl host status` talks to the
# hypervisor through /dev/xen/privcmd and to xenstored; its facts must match what the lab
# configured (lab.env) and what xl, the stock toolstack, reports (an oracle only).
. /lab/lib.sh

json=$(kratactl host status --format json 2>&1)
echo "kratactl host status --format json: $json"
kratactl host status

check_eq "xen version is the lab's" "$LAB_XEN_VERSION" \
  "$(json_field "$json" xen_major).$(json_field "$json" xen_minor)"
check_eq "physical CPUs = QEMU -smp" "$LAB_CPUS" "$(json_field "$json" nr_cpus)"
total_mib=$(( $(json_field "$json" total_memory_bytes) / 1048576 ))
free_mib=$(( $(json_field "$json" free_memory_bytes) / 1048576 ))
# Xen counts the RAM QEMU gives it minus firmware holes and its own image: a little under -m.
check_range "total memory within 96 MiB under QEMU -m" $((LAB_MEM_MB - 96)) "$LAB_MEM_MB" "$total_mib"
check_range "free memory excludes dom0's allocation" 1 $((total_mib - LAB_DOM0_MEM_MB)) "$free_mib"
check_eq "host domain name from xenstore" "Domain-0" "$(json_field "$json" host_domain_name)"
check_eq "sysctl interface version probed" "21" "$(json_field "$json" sysctl_interface_version)"

# Oracle: xl reads the same hypercalls through libxenctrl.
xl_info=$(xl info)
xl_field() { printf '%s\n' "$xl_info" | sed -n "s/^$1 *: *//p"; }
check_eq "nr_cpus agrees with xl info" "$(xl_field nr_cpus)" "$(json_field "$json" nr_cpus)"
check_eq "total memory agrees with xl info" "$(xl_field total_memory)" "$total_mib"
check_eq "free memory agrees with xl info" "$(xl_field free_memory)" "$free_mib"
check_eq "full version agrees with xl info" \
  "$(xl_field xen_major).$(xl_field xen_minor)$(xl_field xen_extra)" "$(json_field "$json" xen_version)"

# A clear error, not a crash, when xenstored is unreachable.
err=$(XENSTORED_PATH=/nonexistent/socket kratactl host status 2>&1); rc=$?
check_eq "unreachable xenstored exits 1" 1 "$rc"
check_contains "unreachable xenstored error names the socket" "/nonexistent/socket" "$err"

finish "Xen $(json_field "$json" xen_version), $(json_field "$json" nr_cpus) CPUs, ${total_mib} MiB total, ${free_mib} MiB free"
