#pragma once
// FakePageStore: "machine memory" for the grant fakes. Pages live in one memfd, so the same page
// can be mapped several times (the granting domain's view and the mapper's view alias, as
// they do under Xen) and a run of arbitrary pages can be mapped contiguously.
// Thread-safety: none; the fakes serialise calls.

#include <cstddef>
#include <span>

#include "base/result.h"
#include "base/scoped_mmap.h"
#include "base/unique_handle.h"

namespace krata::xen::gnttab {

class FakePageStore {
 public:
  FakePageStore();  // aborts if memfd_create fails (a broken test environment)
  // A new zero-filled page; returns its number.
  Result<size_t> AddPage();
  // Maps `pages` (page numbers, any order, repeats allowed) contiguously with `prot`.
  Result<ScopedMmap> Map(std::span<const size_t> pages, int prot) const;

 private:
  UniqueFd memfd_;
  size_t pages_ = 0;
};

}  // namespace krata::xen::gnttab
