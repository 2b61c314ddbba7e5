# Fuzzers for what krata-zone reads: the launch config on xvdb.
krata_fuzzer(launch_config_fuzzer SOURCE launch_config_fuzzer.cc DEPS krata_zoneconfig)
