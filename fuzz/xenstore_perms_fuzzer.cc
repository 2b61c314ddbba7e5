// Fuzzes the xenstore permission parser (GET_PERMS replies; the strings can come from nodes
// guests own). Invariants: parsing is canonical, so whatever parses formats back to exactly
// the input; every entry is a valid single perm; the entry count is bounded by the input.

#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "xen/store/perms.h"

using namespace krata::xen::store;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view in(reinterpret_cast<const char*>(data), size);

  krata::Result<std::vector<Perm>> list = ParsePermList(in);
  if (list.has_value()) {
    if (list->empty() || list->size() > size / 3) std::abort();  // "n0\0" is the shortest
    krata::Result<std::string> out = FormatPermList(*list);
    if (!out.has_value() || *out != in) std::abort();
  }

  // A single entry: the input up to its first NUL.
  std::string_view one = in.substr(0, in.find('\0'));
  krata::Result<Perm> p = ParsePerm(one);
  if (p.has_value()) {
    if (FormatPerm(*p) != one) std::abort();
    if (ParsePerm(FormatPerm(*p))->domid != p->domid) std::abort();
  }
  return 0;
}
