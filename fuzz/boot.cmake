# Kernel-image parsers (src/xen/boot): bzImage + decompression, and ELF + Xen notes.
krata_fuzzer(bzimage_fuzzer SOURCE bzimage_fuzzer.cc DEPS krata_xenboot)
krata_fuzzer(elf_fuzzer SOURCE elf_fuzzer.cc DEPS krata_xenboot)
