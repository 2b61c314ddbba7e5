#include "xen/gnttab/fake_pages.h"

#include <sys/mman.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>

#include "xen/gnttab/gnttab.h"

namespace krata::xen::gnttab {

FakePageStore::FakePageStore() {
  int fd = ::memfd_create("krata-fake-grant-pages", MFD_CLOEXEC);
  if (fd < 0) std::abort();
  memfd_.reset(fd);
}

Result<size_t> FakePageStore::AddPage() {
  if (::ftruncate(memfd_.get(), static_cast<off_t>((pages_ + 1) * kPageSize)) != 0) {
    return Error::FromErrno("ftruncate(memfd)", errno);
  }
  return pages_++;
}

Result<ScopedMmap> FakePageStore::Map(std::span<const size_t> pages, int prot) const {
  // Reserve the whole range, then replace each page with the memfd page (MAP_FIXED). Unmapping
  // the range later removes them all.
  ScopedMmap region = TRY(ScopedMmap::Map(pages.size() * kPageSize, PROT_NONE,
                                          MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0));
  for (size_t i = 0; i < pages.size(); ++i) {
    if (pages[i] >= pages_) return Error::Invalid("fake map", "no such page");
    void* want = region.bytes().data() + i * kPageSize;
    void* got = ::mmap(want, kPageSize, prot, MAP_SHARED | MAP_FIXED, memfd_.get(),
                       static_cast<off_t>(pages[i] * kPageSize));
    if (got == MAP_FAILED) return Error::FromErrno("mmap(memfd)", errno);
  }
  return region;
}

}  // namespace krata::xen::gnttab
