// Fuzzes the parsers of what xenstored sends unprompted or in replies: WATCH_EVENT payloads
// ("<path>\0<token>\0"), directory listings and transaction ids. Invariants: accepted
// watch events re-format to exactly the input and hold no NULs; directory names are
// non-empty and NUL-free and their total size matches the input; transaction ids are
// non-zero and print back as the digits given.

#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "xen/store/payload.h"

using namespace krata::xen::store;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view in(reinterpret_cast<const char*>(data), size);

  krata::Result<WatchEvent> ev = ParseWatchEvent(in);
  if (ev.has_value()) {
    if (ev->path.empty() || ev->path.find('\0') != std::string::npos ||
        ev->token.find('\0') != std::string::npos) {
      std::abort();
    }
    if (FormatWatchEvent(*ev) != in) std::abort();
  }

  krata::Result<std::vector<std::string>> dir = ParseDirectory(in);
  if (dir.has_value()) {
    size_t total = 0;
    for (const std::string& name : *dir) {
      if (name.empty() || name.find('\0') != std::string::npos) std::abort();
      total += name.size() + 1;
    }
    // The only accepted form not counted above is a lone NUL for an empty directory.
    if (total != size && !(dir->empty() && size == 1)) std::abort();
  }

  krata::Result<uint32_t> tx = ParseTransactionId(in);
  if (tx.has_value()) {
    std::string_view digits = in.substr(0, in.find('\0'));
    if (*tx == 0 || std::to_string(*tx) != digits.substr(digits.find_first_not_of('0'))) {
      std::abort();
    }
  }
  return 0;
}
