# Layer merge + squashfs/erofs packing (src/oci/pack).
if(TARGET krata_ocipack)
  krata_fuzzer(layer_merge_fuzzer SOURCE layer_merge_fuzzer.cc DEPS krata_ocipack)
endif()
