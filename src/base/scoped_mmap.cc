#include "base/scoped_mmap.h"

#include <sys/mman.h>

#include <cerrno>

namespace krata {

Result<ScopedMmap> ScopedMmap::Map(size_t len, int prot, int flags, int fd, off_t offset) {
  void* addr = ::mmap(nullptr, len, prot, flags, fd, offset);
  if (addr == MAP_FAILED) return Error::FromErrno("mmap", errno);
  return ScopedMmap(addr, len);
}

void ScopedMmap::reset() {
  if (addr_ != nullptr) ::munmap(addr_, len_);
  addr_ = nullptr;
  len_ = 0;
}

}  // namespace krata
