# Fuzzers for src/oci/local (docker-archive manifest.json).
krata_fuzzer(oci_docker_archive_fuzzer SOURCE oci_docker_archive_fuzzer.cc DEPS krata_ocilocal)
