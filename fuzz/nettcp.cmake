krata_fuzzer(tcp_nat_fuzzer SOURCE tcp_nat_fuzzer.cc DEPS krata_nettcp)
