# kratanet (src/net): frames from zones and the gateway's answers to them.
# Seeds: corpus/gen_net_seeds.py.
krata_fuzzer(net_frame_fuzzer SOURCE net_frame_fuzzer.cc DEPS krata_netpacket krata_netgateway)
