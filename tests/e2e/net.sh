# lab-timeout: 900
# lab-option: busybox-image
# lab-option: nettool-image
# Scenario net (issue 6): zones on real Xen netback get IPv4 and IPv6 from kratad, and kratanet
# serves their vif<domid>.0 in userspace. From a zone: TCP, UDP and ping reach a dom0 address
# through the NAT over both families; DNS sent to the gateway reaches a resolver on dom0's
# loopback (as systemd-resolved's 127.0.0.53); a 20 MB stream comes back intact. From dom0: a
# forwarded port (-p) reaches a zone's TCP and UDP servers, and the zone's own address answers
# over krata0; a second zone reaches the first one directly.
. /lab/lib.sh

IMG=oci-archive:/lab/assets/busybox.tar
# Destinations "outside" the zone network: addresses of our own on dom0's loopback (which
# dom0's init leaves down).
ip link set lo up
ip addr add 198.18.0.1/32 dev lo
ip -6 addr add fd00:198::1/128 dev lo
krata-nettool tcp-echo 7000 > /lab/out/tcp-echo.log 2>&1 &
krata-nettool udp-echo 7001 > /lab/out/udp-echo.log 2>&1 &
# The "resolver": a UDP echo on every address, 127.0.0.53 included.
krata-nettool udp-echo 53 > /lab/out/dns-echo.log 2>&1 &

start_kratad
kratanet --dns 127.0.0.53 > /lab/out/kratanet.log 2>&1 &
KRATANET=$!
out=$(kratactl image pull $IMG 2>&1) || { echo "$out"; }
check_contains "image pull" "sha256:" "$out"

host=$(kratactl host status --format json 2>&1)
echo "$host"
GW4=$(json_field "$host" gateway_ipv4)
GW6=$(json_field "$host" gateway_ipv6)
check_eq "gateway IPv4 (kratad default subnet)" "10.75.0.1" "$GW4"

# Waits (in the zone) until the gateway answers ARP and ping: kratanet attaches to the vif
# once kratad reports the zone created, which can be just after the workload starts.
WAIT_GW="i=0; until ping -c1 -W1 $GW4 >/dev/null 2>&1; do i=\$((i+1)); [ \$i -gt 60 ] && break; done"

echo "== NAT from a zone to dom0 (198.18.0.1, fd00:198::1)"
# As root: busybox's ping needs a raw socket (krata-zone lets every user open ICMP echo
# sockets, but busybox does not use them).
out=$(kratactl zone launch --attach -u root -m 128 $IMG -- sh -c "$WAIT_GW
  ip addr show eth0
  krata-nettool tcp-send 198.18.0.1 7000 tcp4-ok
  krata-nettool tcp-send fd00:198::1 7000 tcp6-ok
  krata-nettool udp-send 198.18.0.1 7001 udp4-ok
  krata-nettool udp-send fd00:198::1 7001 udp6-ok
  ping -c1 -W5 198.18.0.1 >/dev/null && echo ping4-ok
  ping6 -c1 -W5 fd00:198::1 >/dev/null && echo ping6-ok
  ping -c1 -W5 $GW4 >/dev/null && echo gw4-ok
  ping6 -c1 -W5 $GW6 >/dev/null && echo gw6-ok
  grep nameserver /etc/resolv.conf
  krata-nettool udp-send $GW4 53 dns4-ok
  krata-nettool udp-send $GW6 53 dns6-ok
  krata-nettool tcp-send 198.18.0.1 7999 x 2>&1
  krata-nettool tcp-bulk 198.18.0.1 7000 20000000" 2>&1)
rc=$?
echo "$out" | tail -30
check_eq "zone exits 0" 0 "$rc"
check_contains "the zone has its IPv4" "inet 10.75." "$out"
check_contains "the zone has its IPv6" "inet6 fdd4:1476:6c7e::" "$out"
for marker in tcp4-ok tcp6-ok udp4-ok udp6-ok ping4-ok ping6-ok gw4-ok gw6-ok dns4-ok dns6-ok; do
  check_contains "zone -> dom0: $marker" "$marker" "$out"
done
check_contains "resolv.conf names the gateway" "nameserver $GW4" "$out"
check_contains "a closed port is refused (RST through the NAT)" "Connection refused" "$out"
check_contains "20 MB echoed intact through the NAT" "ok 20000000 bytes echoed intact" "$out"

echo "== port forwarding and the host reaching a zone"
kratactl zone launch -n web -p 18080:8080 -p 15353:5353/udp -m 128 $IMG -- \
  sh -c 'krata-nettool udp-echo 5353 & krata-nettool tcp-echo 8080' > /tmp/web.id 2>&1
cat /tmp/web.id
# The forwarded port answers once the zone's server listens: retry the client (each try
# blocks on the connection, not on a sleep) for at most ~60 s.
i=0
until out=$(krata-nettool tcp-send 127.0.0.1 18080 fwd-tcp-ok 2>&1) && [ "$out" = fwd-tcp-ok ]; do
  i=$((i + 1)); [ $i -gt 60 ] && break; sleep 1
done
check_eq "dom0 -> zone: TCP through -p 18080:8080" "fwd-tcp-ok" "$out"
out=$(krata-nettool udp-send 127.0.0.1 15353 fwd-udp-ok 2>&1)
check_eq "dom0 -> zone: UDP through -p 15353:5353/udp" "fwd-udp-ok" "$out"
out=$(krata-nettool tcp-send ::1 18080 fwd-tcp6-ok 2>&1)
check_eq "dom0 -> zone: TCP over IPv6 through the forward" "fwd-tcp6-ok" "$out"

WEB4=$(kratactl zone list | awk '$1 == "web" {print $5}')
check_contains "zone list shows web's IPv4" "10.75." "$WEB4"
out=$(krata-nettool tcp-send "$WEB4" 8080 direct-ok 2>&1)
check_eq "dom0 -> zone's own address over krata0" "direct-ok" "$out"

out=$(kratactl zone launch --attach -m 128 $IMG -- sh -c "$WAIT_GW
  krata-nettool tcp-send $WEB4 8080 zone-to-zone-ok" 2>&1)
echo "$out" | tail -5
check_contains "zone -> zone on the subnet" "zone-to-zone-ok" "$out"

kratactl zone destroy --wait web
check_eq "no vif left after destroy" "" "$(ls /sys/class/net | grep '^vif' | tr '\n' ' ')"
check_eq "only Domain-0 left" "Domain-0" "$(xl list | tail -n +2 | awk '{print $1}' | tr '\n' ' ' | sed 's/ $//')"

kill $KRATANET; wait $KRATANET
kill $KRATAD; wait $KRATAD
echo "== kratanet log (tail)"; tail -30 /lab/out/kratanet.log
finish "net: NAT TCP/UDP/ping v4+v6, gateway, DNS to loopback resolver, port forwards, krata0, zone to zone"
