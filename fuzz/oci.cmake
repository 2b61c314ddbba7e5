# Fuzzers for src/oci parsers (manifests/indexes/configs, references, auth challenges).
krata_fuzzer(oci_manifest_fuzzer SOURCE oci_manifest_fuzzer.cc DEPS krata_oci)
krata_fuzzer(oci_reference_fuzzer SOURCE oci_reference_fuzzer.cc DEPS krata_oci)
krata_fuzzer(oci_auth_fuzzer SOURCE oci_auth_fuzzer.cc DEPS krata_oci)
