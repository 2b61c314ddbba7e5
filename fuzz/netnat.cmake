# kratanet's UDP/ICMP NAT (src/net/nat): echo replies as the host kernel hands them to ping
# and raw sockets. Seeds: corpus/gen_netnat_seeds.py.
krata_fuzzer(net_echo_reply_fuzzer SOURCE net_echo_reply_fuzzer.cc DEPS krata_netnat)
