# Fuzzers for what krata-zone reads: the launch config on xvdb.
krata_fuzzer(launch_config_fuzzer SOURCE launch_config_fuzzer.cc DEPS krata_zoneconfig)
# The image's /etc/passwd and /etc/group and the OCI User string (krata-zone's user lookup).
krata_fuzzer(zone_user_fuzzer SOURCE zone_user_fuzzer.cc DEPS krata_zone_logic)
