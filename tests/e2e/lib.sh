# tests/e2e/lib.sh: helpers for lab scenarios. Sourced by busybox sh inside dom0.
# Results go to /lab/out/results.jsonl (one JSON object per line) for lab/run to read.
. /lab/lab.env
OUT=/lab/out
RESULTS=$OUT/results.jsonl
mkdir -p "$OUT"
: > "$RESULTS"
LAB_CHECKS=0
LAB_FAILED=0

_json_str() { printf '%s' "$1" | tr -d '"\\' | tr '\n\t' '  '; }

# record NAME OK(0|1) EXPECTED ACTUAL
_record() {
  LAB_CHECKS=$((LAB_CHECKS + 1))
  if [ "$2" = 1 ]; then ok=true; mark=ok; else ok=false; mark=FAIL; LAB_FAILED=$((LAB_FAILED + 1)); fi
  printf '{"check":"%s","ok":%s,"expected":"%s","actual":"%s"}\n' \
    "$(_json_str "$1")" "$ok" "$(_json_str "$3")" "$(_json_str "$4")" >> "$RESULTS"
  echo "check $mark: $1 (expected: $3; actual: $4)"
}

# check_eq NAME EXPECTED ACTUAL
check_eq() { if [ "$2" = "$3" ]; then _record "$1" 1 "$2" "$3"; else _record "$1" 0 "$2" "$3"; fi; }

# check_range NAME LOW HIGH ACTUAL (integers, inclusive)
check_range() {
  if [ -n "$4" ] && [ "$4" -ge "$2" ] 2>/dev/null && [ "$4" -le "$3" ]; then
    _record "$1" 1 "$2..$3" "$4"
  else
    _record "$1" 0 "$2..$3" "$4"
  fi
}

# check_contains NAME NEEDLE HAYSTACK
check_contains() {
  case "$3" in *"$2"*) _record "$1" 1 "contains $2" "$3" ;; *) _record "$1" 0 "contains $2" "$3" ;; esac
}

# json_field JSON NAME: a scalar field of a flat JSON object (busybox has no jq).
json_field() {
  printf '%s' "$1" | sed -n "s/.*\"$2\":\"\{0,1\}\([^,\"}]*\)\"\{0,1\}[,}].*/\1/p"
}

# finish SUMMARY: writes the final result line; the scenario's exit code follows it.
finish() {
  if [ "$LAB_CHECKS" -gt 0 ] && [ "$LAB_FAILED" = 0 ]; then r=pass; else r=fail; fi
  printf '{"result":"%s","checks":%d,"failed":%d,"summary":"%s"}\n' \
    "$r" "$LAB_CHECKS" "$LAB_FAILED" "$(_json_str "$1")" >> "$RESULTS"
  echo "scenario $r: $((LAB_CHECKS - LAB_FAILED))/$LAB_CHECKS checks; $1"
  [ "$r" = pass ]
}

# start_kratad: installs the lab's zone kernel and initramfs in the store (/var/lib/krata), starts
# kratad in the background ($KRATAD is its pid; log in /lab/out/kratad.log) and waits until it
# answers: the daemon's readiness is its socket, polled every 100 ms for at most 10 s.
start_kratad() {
  STORE=/var/lib/krata
  mkdir -p $STORE/zone
  cp /lab/assets/vmlinuz $STORE/zone/kernel
  cp /lab/assets/zone-initrd $STORE/zone/initrd
  kratad --store $STORE > /lab/out/kratad.log 2>&1 &
  KRATAD=$!
  _i=0
  until kratactl zone list >/dev/null 2>&1; do
    _i=$((_i + 1)); [ $_i -gt 100 ] && break
    kill -0 $KRATAD 2>/dev/null || break
    sleep 0.1
  done
}
