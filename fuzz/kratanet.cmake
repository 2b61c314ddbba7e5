# kratanet's parser of the host's /etc/resolv.conf (and --dns values).
krata_fuzzer(resolv_conf_fuzzer SOURCE resolv_conf_fuzzer.cc DEPS krata_kratanet)
