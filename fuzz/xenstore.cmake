# xenstore payload parsers (src/xen/store). xenstore_wire_fuzzer is registered in
# CMakeLists.txt. Seeds: corpus/gen_xenstore_seeds.py.
krata_fuzzer(xenstore_perms_fuzzer SOURCE xenstore_perms_fuzzer.cc DEPS krata_xenstore)
krata_fuzzer(xenstore_watch_event_fuzzer SOURCE xenstore_watch_event_fuzzer.cc
  DEPS krata_xenstore)
krata_fuzzer(xenstore_client_fuzzer SOURCE xenstore_client_fuzzer.cc DEPS krata_xenstore)
