# What the zone runtime reads back from xenstore: the guest-written exit report and the
# krata/loops record.
krata_fuzzer(runtime_report_fuzzer SOURCE runtime_report_fuzzer.cc DEPS krata_runtime)
